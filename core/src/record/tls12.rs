//! TLS 1.2 record protection: AEAD (RFC 5246 6.2.3.3, RFC 5288, RFC 6655,
//! RFC 7905) and CBC with HMAC (RFC 5246 6.2.3.2), encrypt-then-MAC
//! (RFC 7366) or the legacy MAC-then-encrypt.
//!
//! Like the TLS 1.3 path, records are sealed straight into the outgoing
//! `BytesMut` and opened in place; nothing is allocated per record (as long
//! as the provider's AEAD, CBC and HMAC keys do not allocate).
//!
//! # MAC-then-encrypt without a padding oracle (Lucky13)
//!
//! With MAC-then-encrypt the MAC covers the content only, so the receiver
//! must strip the CBC padding, whose length is secret until the MAC has been
//! checked, before computing the MAC. Any timing difference between "bad
//! padding", "good padding, bad MAC" or between padding lengths is a
//! decryption oracle (Vaudenay; AlFardan and Paterson's Lucky Thirteen).
//! [`Tls12RecordKeys::open`] therefore:
//!
//! 1. checks the padding over a fixed window (the last `min(256, len)`
//!    bytes, whatever the padding length byte says) with mask arithmetic and
//!    no early exit; an invalid padding is then treated as a zero-length one
//!    and only remembered in a mask;
//! 2. computes the HMAC over the content at its real (secret) length, then a
//!    second, throwaway HMAC with the same key over `d` blocks of zeros, where
//!    `d` makes the number of hash compression-function calls of both
//!    together equal to that of the longest possible content. HMAC over a
//!    Merkle–Damgård hash with block size `B` and an `L`-byte length field
//!    costs a constant plus `floor((13 + n + L) / B)` compressions for `n`
//!    content bytes (13 is the sequence number and record header), so
//!    `d = f(n_max) - f(n)` blocks of dummy data level it. `d` comes from
//!    shifts and subtractions, not branches;
//! 3. extracts the received MAC from its secret offset by visiting every
//!    possible offset (at most 256) and masking, never indexing by a secret;
//! 4. compares the MACs with `subtle`, folds in the padding mask and only
//!    then branches, once, on the combined result. Bad padding and bad MAC
//!    are the same [`Error::DecryptFailed`].
//!
//! The MAC is computed with the provider's [`HmacKey`] rather than a hand
//! built HMAC over the raw hash: the compression count argument holds for
//! any HMAC over SHA-1 or SHA-2 (with or without precomputed pad states), and
//! the raw-hash route would need a boxed hash context, so an allocation,
//! per record. What is left is the hash implementation copying the final
//! partial block, a few bytes whose number depends on the padding length
//! (nanoseconds, not the compression-sized steps Lucky13 measures).
//! Encrypt-then-MAC (the default) needs none of this: its MAC covers the
//! ciphertext and is checked, in constant time, before anything is
//! decrypted.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::ops::Range;

use bytes::{BufMut, BytesMut};
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

use super::{MAX_PLAINTEXT_LEN, MAX_TLS12_CIPHERTEXT_LEN, RECORD_HEADER_LEN};
use crate::crypto::{
    AeadAlgorithm, AeadKey, CbcAlgorithm, CbcKey, CryptoProvider, HmacKey, SecureRandom,
    MAX_HASH_LEN,
};
use crate::error::{CryptoError, Error};
use crate::msgs::enums::{ContentType, HashAlgorithm, ProtocolVersion};
use crate::suites::{Bulk, SuiteInfo};

/// AES block and CBC IV length.
const BLOCK: usize = CbcAlgorithm::BLOCK_LEN;
/// GCM and CCM carry the sequence number as the explicit nonce.
const EXPLICIT_NONCE_LEN: usize = 8;
/// Salt length of GCM and CCM (RFC 5288 3, RFC 6655 3).
const SALT_LEN: usize = 4;
/// What the MAC or AAD puts before the content: seq_num (8), type (1),
/// version (2), length (2).
const PSEUDO_HEADER_LEN: usize = 13;
/// The RFC 9146 pseudo-header without its CID: placeholder (8), tls12_cid,
/// cid_length, tls12_cid (3), version (2), epoch and sequence number (8),
/// length (2).
const CID_PSEUDO_HEADER_LEN: usize = 23;
/// The longest CID (its length travels in one byte).
pub(crate) const MAX_CID_LEN: usize = 255;
/// The longest pseudo-header: the RFC 9146 form with the longest CID.
const MAX_PSEUDO_HEADER_LEN: usize = CID_PSEUDO_HEADER_LEN + MAX_CID_LEN;
/// The RFC 9146 content type of records carrying a connection ID.
pub(crate) const TLS12_CID: ContentType = ContentType(25);
/// The most padding a CBC record carries, the length byte included.
const MAX_PADDING: usize = 256;

/// How a CBC suite combines encryption and MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CbcMode {
    /// RFC 7366: MAC over the IV and ciphertext, checked before decrypting.
    EncryptThenMac,
    /// RFC 5246 6.2.3.2: MAC over the content, encrypted with it.
    MacThenEncrypt,
}

/// Output length, block length and length-field size of an HMAC hash.
#[derive(Debug, Clone, Copy)]
struct MacShape {
    out_len: usize,
    /// log2 of the hash block length (64 or 128 bytes).
    block_shift: u32,
    /// Bytes of message length the hash padding appends (8 or 16).
    length_field: usize,
}

impl MacShape {
    fn of(alg: HashAlgorithm) -> Option<Self> {
        let (out_len, block_shift, length_field) = match alg {
            HashAlgorithm::SHA1 => (20, 6, 8),
            HashAlgorithm::SHA256 => (32, 6, 8),
            HashAlgorithm::SHA384 => (48, 7, 16),
            _ => return None,
        };
        Some(Self {
            out_len,
            block_shift,
            length_field,
        })
    }

    /// Compression-function calls that depend on the content length `n`,
    /// for an HMAC over a pseudo-header of `pseudo_len` bytes and `n` bytes.
    fn variable_blocks(&self, pseudo_len: usize, n: usize) -> usize {
        (pseudo_len + n + self.length_field) >> self.block_shift
    }
}

enum Cipher {
    Aead {
        key: Box<dyn AeadKey>,
        /// The 4-byte salt (GCM, CCM) or the 12-byte IV (ChaCha20-Poly1305).
        iv: [u8; 12],
        /// GCM and CCM: salt plus 8-byte explicit nonce in the record.
        explicit: bool,
        tag_len: usize,
    },
    Cbc {
        key: Box<dyn CbcKey>,
        mac: Box<dyn HmacKey>,
        shape: MacShape,
        mode: CbcMode,
        random: Arc<dyn SecureRandom>,
    },
}

/// How a record's MAC input or AEAD additional data starts: everything
/// before the content except the final length field, which the cipher code
/// fills in.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RecordAad<'a> {
    /// seq_num || type || version (RFC 5246 6.2.3). For DTLS, `seq` is
    /// epoch << 48 | sequence_number (RFC 6347 4.1.2.1).
    Classic {
        seq: u64,
        content_type: ContentType,
        version: ProtocolVersion,
    },
    /// RFC 9146 5: seq_num_placeholder || tls12_cid || cid_length ||
    /// tls12_cid || version || epoch || sequence_number || cid. `seq` is
    /// epoch << 48 | sequence_number (also the nonce's sequence value);
    /// `cid` is at most [`MAX_CID_LEN`] bytes.
    ConnectionId {
        seq: u64,
        version: ProtocolVersion,
        cid: &'a [u8],
    },
}

impl RecordAad<'_> {
    /// The 64-bit sequence value: the AEAD nonce's and, for the classic
    /// form, the MAC's seq_num.
    fn seq(&self) -> u64 {
        match self {
            Self::Classic { seq, .. } | Self::ConnectionId { seq, .. } => *seq,
        }
    }

    /// Bytes of the whole pseudo-header, length field included.
    fn len(&self) -> usize {
        match self {
            Self::Classic { .. } => PSEUDO_HEADER_LEN,
            Self::ConnectionId { cid, .. } => CID_PSEUDO_HEADER_LEN + cid.len(),
        }
    }

    fn check(&self) -> Result<(), Error> {
        match self {
            Self::ConnectionId { cid, .. } if cid.len() > MAX_CID_LEN => {
                Err(Error::Internal("connection ID over 255 bytes"))
            }
            _ => Ok(()),
        }
    }

    /// The pseudo-header for content (or covered ciphertext) of `len`
    /// bytes (at most 2^14 + 2048). [`Self::check`] has passed.
    fn build(&self, len: usize) -> PseudoHeader {
        let mut h = PseudoHeader {
            buf: [0u8; MAX_PSEUDO_HEADER_LEN],
            len: self.len(),
        };
        let at = match *self {
            Self::Classic {
                seq,
                content_type,
                version,
            } => {
                h.buf[..8].copy_from_slice(&seq.to_be_bytes());
                h.buf[8] = content_type.0;
                h.buf[9..11].copy_from_slice(&version.0.to_be_bytes());
                11
            }
            Self::ConnectionId { seq, version, cid } => {
                h.buf[..8].fill(0xff);
                h.buf[8] = TLS12_CID.0;
                h.buf[9] = cid.len() as u8;
                h.buf[10] = TLS12_CID.0;
                h.buf[11..13].copy_from_slice(&version.0.to_be_bytes());
                h.buf[13..21].copy_from_slice(&seq.to_be_bytes());
                h.buf[21..21 + cid.len()].copy_from_slice(cid);
                21 + cid.len()
            }
        };
        h.buf[at..at + 2].copy_from_slice(&(len as u16).to_be_bytes());
        h
    }
}

/// A built pseudo-header, on the stack.
struct PseudoHeader {
    buf: [u8; MAX_PSEUDO_HEADER_LEN],
    len: usize,
}

impl core::ops::Deref for PseudoHeader {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// One direction's TLS 1.2 record protection and sequence number.
pub(crate) struct Tls12RecordKeys {
    cipher: Cipher,
    version: ProtocolVersion,
    seq: u64,
}

impl Tls12RecordKeys {
    /// AEAD protection. `fixed_iv` is the key block's write IV: 4 bytes of
    /// salt for GCM and CCM, 12 bytes for ChaCha20-Poly1305. `version` is
    /// what the record header carries (TLS 1.2: 0x0303).
    pub fn aead(
        algorithm: AeadAlgorithm,
        key: Box<dyn AeadKey>,
        fixed_iv: &[u8],
        version: ProtocolVersion,
    ) -> Result<Self, Error> {
        let explicit = algorithm != AeadAlgorithm::ChaCha20Poly1305;
        let iv_len = if explicit { SALT_LEN } else { 12 };
        if fixed_iv.len() != iv_len {
            return Err(Error::Internal("TLS 1.2 AEAD IV of the wrong length"));
        }
        let mut iv = [0u8; 12];
        iv[..iv_len].copy_from_slice(fixed_iv);
        Ok(Self {
            cipher: Cipher::Aead {
                key,
                iv,
                explicit,
                tag_len: algorithm.tag_len(),
            },
            version,
            seq: 0,
        })
    }

    /// CBC protection with HMAC over `mac_hash` (SHA-1, SHA-256 or
    /// SHA-384); per-record IVs come from `random`.
    pub fn cbc(
        key: Box<dyn CbcKey>,
        mac: Box<dyn HmacKey>,
        mac_hash: HashAlgorithm,
        mode: CbcMode,
        random: Arc<dyn SecureRandom>,
        version: ProtocolVersion,
    ) -> Result<Self, Error> {
        let shape =
            MacShape::of(mac_hash).ok_or(Error::Crypto(CryptoError::UnsupportedAlgorithm))?;
        Ok(Self {
            cipher: Cipher::Cbc {
                key,
                mac,
                shape,
                mode,
                random,
            },
            version,
            seq: 0,
        })
    }

    /// Records protected so far (the next record's sequence number).
    pub fn sequence(&self) -> u64 {
        self.seq
    }

    /// Test hook: continue from record number `seq`.
    pub(crate) fn with_sequence(mut self, seq: u64) -> Self {
        self.seq = seq;
        self
    }

    fn next_seq(&mut self) -> Result<u64, Error> {
        if self.seq == u64::MAX {
            // Sequence numbers must not wrap (RFC 5246 6.1).
            return Err(Error::Internal("record sequence number exhausted"));
        }
        let seq = self.seq;
        self.seq += 1;
        Ok(seq)
    }

    /// Seals `fragment` (at most 2^14 bytes) as one record onto `out`.
    pub fn seal(
        &mut self,
        out: &mut BytesMut,
        content_type: ContentType,
        fragment: &[u8],
    ) -> Result<(), Error> {
        if fragment.len() > MAX_PLAINTEXT_LEN {
            return Err(Error::Internal("record fragment over 2^14 bytes"));
        }
        let seq = self.next_seq()?;
        let version = self.version;
        let mut header = [content_type.0, 0, 0];
        header[1..].copy_from_slice(&version.0.to_be_bytes());
        let aad = RecordAad::Classic {
            seq,
            content_type,
            version,
        };
        self.seal_with(out, &header, &aad, fragment, &[])
    }

    /// Seals `fragment || trailer` (at most 2^14 bytes together) as one
    /// record onto `out`: `header` is the record header up to its length
    /// field (which this writes), `aad` gives the sequence value and the
    /// MAC/AAD pseudo-header. Leaves the own sequence number alone (DTLS
    /// keeps its own per epoch); `out` is untouched on failure.
    pub fn seal_with(
        &self,
        out: &mut BytesMut,
        header: &[u8],
        aad: &RecordAad<'_>,
        fragment: &[u8],
        trailer: &[u8],
    ) -> Result<(), Error> {
        if fragment.len() + trailer.len() > MAX_PLAINTEXT_LEN {
            return Err(Error::Internal("record fragment over 2^14 bytes"));
        }
        aad.check()?;
        let record = RecordOut {
            header,
            aad,
            fragment,
            trailer,
        };
        let start = out.len();
        let sealed = match &self.cipher {
            Cipher::Aead {
                key,
                iv,
                explicit,
                tag_len,
            } => seal_aead(out, key.as_ref(), iv, *explicit, *tag_len, &record),
            Cipher::Cbc {
                key,
                mac,
                shape,
                mode,
                random,
            } => seal_cbc(
                out,
                CbcParts {
                    key: key.as_ref(),
                    mac: mac.as_ref(),
                    shape: *shape,
                    mode: *mode,
                },
                random.as_ref(),
                &record,
            ),
        };
        if sealed.is_err() {
            out.truncate(start);
        }
        sealed
    }

    /// Opens a protected record (header included) in place; returns the
    /// content type and the plaintext range within `record`. Every
    /// authentication, padding or length failure is
    /// [`Error::DecryptFailed`].
    pub fn open(&mut self, record: &mut [u8]) -> Result<(ContentType, Range<usize>), Error> {
        if record.len() < RECORD_HEADER_LEN {
            return Err(Error::DecryptFailed);
        }
        let body_len = record.len() - RECORD_HEADER_LEN;
        if usize::from(u16::from_be_bytes([record[3], record[4]])) != body_len {
            return Err(Error::DecryptFailed);
        }
        if body_len > MAX_TLS12_CIPHERTEXT_LEN {
            return Err(Error::RecordOverflow);
        }
        // The MAC and AAD use our version; a header saying otherwise has
        // been tampered with.
        if u16::from_be_bytes([record[1], record[2]]) != self.version.0 {
            return Err(Error::DecryptFailed);
        }
        let content_type = ContentType(record[0]);
        let seq = self.next_seq()?;
        let aad = RecordAad::Classic {
            seq,
            content_type,
            version: self.version,
        };
        let range = self.open_with(&mut record[RECORD_HEADER_LEN..], &aad)?;
        Ok((
            content_type,
            RECORD_HEADER_LEN + range.start..RECORD_HEADER_LEN + range.end,
        ))
    }

    /// Opens a record body (what follows the header) in place with the
    /// sequence value and pseudo-header of `aad`; returns the plaintext
    /// range within `body`. Takes no sequence number of its own, so a
    /// record can be checked without changing any state. Every
    /// authentication, padding or length failure is
    /// [`Error::DecryptFailed`].
    pub fn open_with(&self, body: &mut [u8], aad: &RecordAad<'_>) -> Result<Range<usize>, Error> {
        if body.len() > MAX_TLS12_CIPHERTEXT_LEN {
            return Err(Error::RecordOverflow);
        }
        aad.check()?;
        match &self.cipher {
            Cipher::Aead {
                key,
                iv,
                explicit,
                tag_len,
            } => open_aead(body, key.as_ref(), iv, *explicit, *tag_len, aad),
            Cipher::Cbc {
                key,
                mac,
                shape,
                mode,
                ..
            } => {
                let parts = CbcParts {
                    key: key.as_ref(),
                    mac: mac.as_ref(),
                    shape: *shape,
                    mode: *mode,
                };
                match mode {
                    CbcMode::EncryptThenMac => open_cbc_etm(body, &parts, aad),
                    CbcMode::MacThenEncrypt => open_cbc_mte(body, &parts, aad),
                }
            }
        }
    }

    /// The most a record body adds to its plaintext: explicit nonce and
    /// tag, or IV, MAC and CBC padding (header not included).
    pub fn max_expansion(&self) -> usize {
        match &self.cipher {
            Cipher::Aead {
                explicit, tag_len, ..
            } => (if *explicit { EXPLICIT_NONCE_LEN } else { 0 }) + tag_len,
            Cipher::Cbc { shape, .. } => BLOCK + shape.out_len + BLOCK,
        }
    }
}

impl Drop for Tls12RecordKeys {
    fn drop(&mut self) {
        if let Cipher::Aead { iv, .. } = &mut self.cipher {
            iv.zeroize();
        }
    }
}

/// One record to seal: header up to the length field, pseudo-header,
/// plaintext in two parts.
struct RecordOut<'a> {
    header: &'a [u8],
    aad: &'a RecordAad<'a>,
    fragment: &'a [u8],
    trailer: &'a [u8],
}

impl RecordOut<'_> {
    fn plain_len(&self) -> usize {
        self.fragment.len() + self.trailer.len()
    }

    /// Reserves room for the whole record, then writes the header with
    /// `body_len` as its length. Returns the record's start in `out`.
    fn put_header(&self, out: &mut BytesMut, body_len: usize) -> usize {
        out.reserve(self.header.len() + 2 + body_len);
        let start = out.len();
        out.put_slice(self.header);
        out.put_u16(body_len as u16);
        start
    }

    fn header_len(&self) -> usize {
        self.header.len() + 2
    }
}

/// GCM/CCM: salt || explicit nonce; ChaCha20-Poly1305: IV XOR padded seq.
fn aead_nonce(iv: &[u8; 12], explicit: Option<&[u8]>, seq: u64) -> [u8; 12] {
    let mut nonce = *iv;
    match explicit {
        Some(e) => nonce[SALT_LEN..].copy_from_slice(e),
        None => {
            for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                *n ^= s;
            }
        }
    }
    nonce
}

fn seal_aead(
    out: &mut BytesMut,
    key: &dyn AeadKey,
    iv: &[u8; 12],
    explicit: bool,
    tag_len: usize,
    record: &RecordOut<'_>,
) -> Result<(), Error> {
    let explicit_len = if explicit { EXPLICIT_NONCE_LEN } else { 0 };
    let plain_len = record.plain_len();
    let body_len = explicit_len + plain_len + tag_len;
    let start = record.put_header(out, body_len);
    // The sequence number is a nonce that never repeats under one key.
    let seq = record.aad.seq();
    let seq_bytes = seq.to_be_bytes();
    if explicit {
        out.put_slice(&seq_bytes);
    }
    out.put_slice(record.fragment);
    out.put_slice(record.trailer);
    out.put_bytes(0, tag_len);
    let nonce = aead_nonce(iv, explicit.then_some(&seq_bytes[..]), seq);
    let aad = record.aad.build(plain_len);
    let body = &mut out[start + record.header_len() + explicit_len..];
    let (plain, tag) = body.split_at_mut(plain_len);
    key.seal_in_place(&nonce, &aad, plain, tag)?;
    Ok(())
}

fn open_aead(
    body: &mut [u8],
    key: &dyn AeadKey,
    iv: &[u8; 12],
    explicit: bool,
    tag_len: usize,
    aad: &RecordAad<'_>,
) -> Result<Range<usize>, Error> {
    let explicit_len = if explicit { EXPLICIT_NONCE_LEN } else { 0 };
    let Some(plain_len) = body.len().checked_sub(explicit_len + tag_len) else {
        return Err(Error::DecryptFailed);
    };
    let (nonce_part, rest) = body.split_at_mut(explicit_len);
    let nonce = aead_nonce(iv, explicit.then_some(&nonce_part[..]), aad.seq());
    let (plain, tag) = rest.split_at_mut(plain_len);
    key.open_in_place(&nonce, &aad.build(plain_len), plain, tag)
        .map_err(|_| Error::DecryptFailed)?;
    Ok(explicit_len..explicit_len + plain_len)
}

/// The keyed parts of a CBC direction, borrowed for one record.
struct CbcParts<'a> {
    key: &'a dyn CbcKey,
    mac: &'a dyn HmacKey,
    shape: MacShape,
    mode: CbcMode,
}

fn seal_cbc(
    out: &mut BytesMut,
    parts: CbcParts<'_>,
    random: &dyn SecureRandom,
    record: &RecordOut<'_>,
) -> Result<(), Error> {
    let mac_len = parts.shape.out_len;
    let mte = parts.mode == CbcMode::MacThenEncrypt;
    let plain_len = record.plain_len();
    let unpadded = plain_len + if mte { mac_len } else { 0 };
    // Minimal padding: 1..=16 bytes, each holding the padding length.
    let padding = BLOCK - unpadded % BLOCK;
    let encrypted_len = unpadded + padding;
    let body_len = BLOCK + encrypted_len + if mte { 0 } else { mac_len };

    let mut iv = [0u8; BLOCK];
    random.fill(&mut iv)?;
    let start = record.put_header(out, body_len);
    let body_start = start + record.header_len();
    out.put_slice(&iv);
    out.put_slice(record.fragment);
    out.put_slice(record.trailer);
    if mte {
        let pseudo = record.aad.build(plain_len);
        let tag = parts.mac.sign(&[&pseudo, record.fragment, record.trailer]);
        out.put_slice(mac_prefix(tag.as_ref(), mac_len)?);
    }
    out.put_bytes((padding - 1) as u8, padding);
    let enc_start = body_start + BLOCK;
    parts
        .key
        .encrypt_in_place(&iv, &mut out[enc_start..enc_start + encrypted_len])?;
    if !mte {
        let covered = &out[body_start..];
        let pseudo = record.aad.build(covered.len());
        let tag = parts.mac.sign(&[&pseudo, covered]);
        out.put_slice(mac_prefix(tag.as_ref(), mac_len)?);
    }
    Ok(())
}

/// The first `len` bytes of a provider's MAC output.
fn mac_prefix(tag: &[u8], len: usize) -> Result<&[u8], Error> {
    tag.get(..len).ok_or(Error::Crypto(CryptoError::Other))
}

/// Encrypt-then-MAC: the MAC over IV and ciphertext is checked before
/// anything is decrypted, so padding can be checked plainly afterwards (it
/// is checked with the same constant-time routine all the same).
fn open_cbc_etm(
    body: &mut [u8],
    parts: &CbcParts<'_>,
    aad: &RecordAad<'_>,
) -> Result<Range<usize>, Error> {
    let mac_len = parts.shape.out_len;
    // IV, at least one block of ciphertext, MAC.
    if body.len() < BLOCK + BLOCK + mac_len || (body.len() - mac_len) % BLOCK != 0 {
        return Err(Error::DecryptFailed);
    }
    let (covered, received) = body.split_at_mut(body.len() - mac_len);
    let expected = parts.mac.sign(&[&aad.build(covered.len()), covered]);
    let expected = expected.as_ref().get(..mac_len).unwrap_or(&[]);
    if !bool::from(expected.ct_eq(received)) {
        return Err(Error::DecryptFailed);
    }
    let (iv, ciphertext) = covered.split_at_mut(BLOCK);
    let iv = block(iv);
    parts
        .key
        .decrypt_in_place(&iv, ciphertext)
        .map_err(|_| Error::DecryptFailed)?;
    let (good, padding) = check_padding(ciphertext, 0);
    if good == 0 {
        return Err(Error::DecryptFailed);
    }
    Ok(BLOCK..BLOCK + ciphertext.len() - padding)
}

/// MAC-then-encrypt, without a timing signal that depends on the padding:
/// see the module documentation.
fn open_cbc_mte(
    body: &mut [u8],
    parts: &CbcParts<'_>,
    aad: &RecordAad<'_>,
) -> Result<Range<usize>, Error> {
    let shape = parts.shape;
    let mac_len = shape.out_len;
    // IV, then whole blocks holding at least the MAC and one padding byte.
    let min_encrypted = (mac_len + 1).div_ceil(BLOCK) * BLOCK;
    if body.len() < BLOCK + min_encrypted || body.len() % BLOCK != 0 {
        return Err(Error::DecryptFailed);
    }
    let (iv, plain) = body.split_at_mut(BLOCK);
    let iv = block(iv);
    parts
        .key
        .decrypt_in_place(&iv, plain)
        .map_err(|_| Error::DecryptFailed)?;
    let plain: &[u8] = plain;
    let len = plain.len();

    // 1. Padding, over a fixed window; bad padding counts as one byte.
    let (good, padding) = check_padding(plain, mac_len);
    // Content length: secret until the MAC is checked. Public bounds:
    let n_max = len - mac_len - 1;
    let n_min = (len - mac_len).saturating_sub(MAX_PADDING);
    let n = len - mac_len - padding;

    // 2. The MAC at the real length, then dummy blocks to level the work.
    let expected = parts.mac.sign(&[&aad.build(n), &plain[..n]]);
    let pseudo_len = aad.len();
    let dummy_blocks =
        shape.variable_blocks(pseudo_len, n_max) - shape.variable_blocks(pseudo_len, n);
    let dummy_len = (dummy_blocks << shape.block_shift).min(DUMMY_DATA.len());
    core::hint::black_box(parts.mac.sign(&[&DUMMY_DATA[..dummy_len]]));

    // 3. The received MAC, from every candidate offset, masked.
    let mut received = [0u8; MAX_HASH_LEN];
    for (j, window) in (n_min..=n_max).zip(plain[n_min..].windows(mac_len)) {
        let mask = (eq_mask(j as u64, n as u64) & 0xff) as u8;
        for (r, &b) in received[..mac_len].iter_mut().zip(window) {
            *r |= b & mask;
        }
    }

    // 4. One decision over padding and MAC together.
    let expected = expected.as_ref().get(..mac_len).unwrap_or(&[]);
    let ok = Choice::from((good & 1) as u8) & expected.ct_eq(&received[..mac_len]);
    if !bool::from(ok) {
        return Err(Error::DecryptFailed);
    }
    Ok(BLOCK..BLOCK + n)
}

/// Enough zeros for the dummy MAC: at most `255 / B + 1` hash blocks.
static DUMMY_DATA: [u8; 384] = [0u8; 384];

fn block(bytes: &[u8]) -> [u8; BLOCK] {
    let mut b = [0u8; BLOCK];
    b.copy_from_slice(bytes);
    b
}

/// Checks CBC padding at the end of `plain` (non-empty) in time that depends
/// only on `plain.len()`: the last byte `p` and the `p` bytes before it must
/// all equal `p`, leaving at least `reserved` bytes (the MAC) before them.
/// Returns an all-ones mask if so (zero otherwise) and the padding length
/// including the length byte; for bad padding that length is 1.
fn check_padding(plain: &[u8], reserved: usize) -> (u64, usize) {
    let len = plain.len() as u64;
    let p = u64::from(plain[plain.len() - 1]);
    let mut good = le_mask(p + 1 + reserved as u64, len);
    let mut diff = 0u64;
    for (i, &b) in (1u64..).zip(plain.iter().rev().take(MAX_PADDING)) {
        diff |= le_mask(i, p + 1) & (u64::from(b) ^ p);
    }
    good &= !nonzero_mask(diff);
    let padding = ((p + 1) & good) | (1 & !good);
    (good, padding as usize)
}

/// All ones if `x` is non-zero, else zero, without a branch.
fn nonzero_mask(x: u64) -> u64 {
    ((x | x.wrapping_neg()) >> 63).wrapping_neg()
}

/// All ones if `a == b`.
fn eq_mask(a: u64, b: u64) -> u64 {
    !nonzero_mask(a ^ b)
}

/// All ones if `a <= b`; both below 2^63.
fn le_mask(a: u64, b: u64) -> u64 {
    // b - a borrows (top bit set) exactly when a > b.
    (b.wrapping_sub(a) >> 63).wrapping_sub(1)
}

/// The TLS 1.2 key block length of `suite` (RFC 5246 6.3): two MAC keys,
/// two cipher keys and, for AEAD suites, two fixed IVs. CBC suites use
/// explicit per-record IVs and take no IV from the key block (a longer key
/// block would only append unused bytes). 0 for a suite that is not TLS 1.2.
pub(crate) fn tls12_key_block_len(suite: &SuiteInfo) -> usize {
    if suite.is_tls13() {
        return 0;
    }
    match suite.bulk {
        Bulk::Aead(alg) => 2 * (alg.key_len() + fixed_iv_len(alg)),
        Bulk::Cbc { cipher, mac } => {
            MacShape::of(mac).map_or(0, |s| 2 * (s.out_len + cipher.key_len()))
        }
    }
}

fn fixed_iv_len(alg: AeadAlgorithm) -> usize {
    if alg == AeadAlgorithm::ChaCha20Poly1305 {
        12
    } else {
        SALT_LEN
    }
}

/// Both directions' record protection from one key block.
pub(crate) struct Tls12KeyPair {
    pub client_write: Tls12RecordKeys,
    pub server_write: Tls12RecordKeys,
}

/// Builds both directions' protection for `suite` from `key_block`, which
/// must be exactly [`tls12_key_block_len`] bytes in RFC 5246 6.3 order
/// (client MAC key, server MAC key, client key, server key, client IV,
/// server IV). `encrypt_then_mac` is whether RFC 7366 was negotiated (CBC
/// suites only). Records carry `version` (0x0303 for TLS 1.2).
pub(crate) fn tls12_record_keys(
    suite: &SuiteInfo,
    provider: &CryptoProvider,
    key_block: &[u8],
    encrypt_then_mac: bool,
    version: ProtocolVersion,
) -> Result<Tls12KeyPair, Error> {
    let expected = tls12_key_block_len(suite);
    if expected == 0 || key_block.len() != expected {
        return Err(Error::Internal("TLS 1.2 key block of the wrong length"));
    }
    match suite.bulk {
        Bulk::Aead(alg) => {
            let aead = provider
                .aead(alg)
                .ok_or(Error::Crypto(CryptoError::UnsupportedAlgorithm))?;
            let (keys, ivs) = key_block.split_at(2 * alg.key_len());
            let (client_key, server_key) = keys.split_at(alg.key_len());
            let (client_iv, server_iv) = ivs.split_at(fixed_iv_len(alg));
            Ok(Tls12KeyPair {
                client_write: Tls12RecordKeys::aead(
                    alg,
                    aead.new_key(client_key)?,
                    client_iv,
                    version,
                )?,
                server_write: Tls12RecordKeys::aead(
                    alg,
                    aead.new_key(server_key)?,
                    server_iv,
                    version,
                )?,
            })
        }
        Bulk::Cbc { cipher, mac } => {
            let cbc = provider
                .cbc(cipher)
                .ok_or(Error::Crypto(CryptoError::UnsupportedAlgorithm))?;
            let hmac = provider
                .hmac(mac)
                .ok_or(Error::Crypto(CryptoError::UnsupportedAlgorithm))?;
            let mac_len = MacShape::of(mac).map_or(0, |s| s.out_len);
            if hmac.output_len() != mac_len {
                return Err(Error::Crypto(CryptoError::Other));
            }
            let (macs, keys) = key_block.split_at(2 * mac_len);
            let (client_mac, server_mac) = macs.split_at(mac_len);
            let (client_key, server_key) = keys.split_at(cipher.key_len());
            let mode = if encrypt_then_mac {
                CbcMode::EncryptThenMac
            } else {
                CbcMode::MacThenEncrypt
            };
            let direction = |key: &[u8], mac_key: &[u8]| {
                Tls12RecordKeys::cbc(
                    cbc.new_key(key)?,
                    hmac.with_key(mac_key),
                    mac,
                    mode,
                    provider.random.clone(),
                    version,
                )
            };
            Ok(Tls12KeyPair {
                client_write: direction(client_key, client_mac)?,
                server_write: direction(server_key, server_mac)?,
            })
        }
    }
}

#[cfg(test)]
#[path = "tls12_tests.rs"]
mod tests;
