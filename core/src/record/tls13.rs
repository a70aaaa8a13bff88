//! TLS 1.3 record protection (RFC 8446 section 5.2-5.3).

use alloc::boxed::Box;
use core::ops::Range;

use bytes::{BufMut, BytesMut};
use zeroize::Zeroize;

use super::{put_header, MAX_CIPHERTEXT_LEN, RECORD_HEADER_LEN};
use crate::crypto::AeadKey;
use crate::error::{Error, InvalidMessage};
use crate::msgs::enums::{ContentType, ProtocolVersion};

/// One direction's traffic key, IV and sequence number.
pub(crate) struct Tls13RecordKeys {
    key: Box<dyn AeadKey>,
    iv: [u8; 12],
    seq: u64,
    tag_len: usize,
}

impl Tls13RecordKeys {
    pub fn new(key: Box<dyn AeadKey>, iv: [u8; 12], tag_len: usize) -> Self {
        Self {
            key,
            iv,
            seq: 0,
            tag_len,
        }
    }

    pub fn sequence(&self) -> u64 {
        self.seq
    }

    /// Test hook: continue from record number `seq` (RFC 8448 replays).
    pub(crate) fn with_sequence(mut self, seq: u64) -> Self {
        self.seq = seq;
        self
    }

    fn next_nonce(&mut self) -> Result<[u8; 12], Error> {
        if self.seq == u64::MAX {
            // Sequence numbers must not wrap (RFC 8446 5.3).
            return Err(Error::Internal("record sequence number exhausted"));
        }
        let mut nonce = self.iv;
        for (n, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        self.seq += 1;
        Ok(nonce)
    }

    /// Seals one record onto `out`: header, encrypted inner plaintext
    /// (fragment, content type, `padding` zeros), tag.
    pub fn seal(
        &mut self,
        out: &mut BytesMut,
        content_type: ContentType,
        fragment: &[u8],
        padding: usize,
    ) -> Result<(), Error> {
        let inner_len = fragment.len() + 1 + padding;
        let body_len = inner_len + self.tag_len;
        out.reserve(RECORD_HEADER_LEN + body_len);
        let start = out.len();
        put_header(
            out,
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            body_len,
        );
        out.put_slice(fragment);
        out.put_u8(content_type.0);
        out.put_bytes(0, padding + self.tag_len);
        let nonce = self.next_nonce()?;
        let record = &mut out[start..];
        let (header, body) = record.split_at_mut(RECORD_HEADER_LEN);
        let (plain, tag) = body.split_at_mut(inner_len);
        self.key.seal_in_place(&nonce, header, plain, tag)?;
        Ok(())
    }

    /// Opens a protected record (header included) in place; returns the inner
    /// content type and the plaintext range. The padding scan does not branch
    /// on plaintext bytes.
    pub fn open(&mut self, record: &mut [u8]) -> Result<(ContentType, Range<usize>), Error> {
        if record.len() < RECORD_HEADER_LEN + self.tag_len + 1 {
            return Err(Error::DecryptFailed);
        }
        // Record headers may announce TLS 1.2's 2^14 + 2048; TLS 1.3 allows
        // 2^14 + 256 (RFC 8446 5.2).
        if record.len() > RECORD_HEADER_LEN + MAX_CIPHERTEXT_LEN {
            return Err(Error::RecordOverflow);
        }
        if record[0] != ContentType::ApplicationData.0 {
            return Err(InvalidMessage::UnknownContentType.into());
        }
        let nonce = self.next_nonce()?;
        let (header, body) = record.split_at_mut(RECORD_HEADER_LEN);
        let inner_len = body.len() - self.tag_len;
        let (plain, tag) = body.split_at_mut(inner_len);
        self.key
            .open_in_place(&nonce, header, plain, tag)
            .map_err(|_| Error::DecryptFailed)?;

        // The inner content type is the last non-zero byte; padding length
        // would leak through a scan that stops early, so scan everything.
        let Some(type_at) = last_nonzero_position(plain) else {
            return Err(InvalidMessage::EmptyRecord.into());
        };
        let content_type = ContentType(plain[type_at]);
        let start = RECORD_HEADER_LEN;
        Ok((content_type, start..start + type_at))
    }
}

/// Index of the last non-zero byte, in time that depends only on the length.
///
/// Two passes of plain integer arithmetic, with no data-dependent branch or
/// memory index, that compilers vectorize: the first finds the last 64-byte
/// block holding a non-zero byte (OR of its words), the second copies that
/// block out by masking every block; a word-at-a-time scan of the copy and
/// of the tail shorter than a block then gives the position. Positions are
/// kept plus one so that zero means "none".
pub(super) fn last_nonzero_position(data: &[u8]) -> Option<usize> {
    // All arithmetic in u64 so the masks mean the same on 32-bit targets.
    const BLOCK: usize = 64;
    let blocks = data.chunks_exact(BLOCK);
    let tail = blocks.remainder();

    let mut last_block = 0u64;
    for (i, block) in (1u64..).zip(blocks.clone()) {
        let any = block.chunks_exact(8).fold(0u64, |acc, w| acc | word(w));
        last_block = last_block.max(i & nonzero_mask(any));
    }

    let mut selected = [0u64; BLOCK / 8];
    for (i, block) in (1u64..).zip(blocks) {
        let mask = !nonzero_mask(i ^ last_block);
        for (slot, w) in selected.iter_mut().zip(block.chunks_exact(8)) {
            *slot |= word(w) & mask;
        }
    }
    let block_start = last_block.wrapping_sub(1).wrapping_mul(BLOCK as u64);
    let mut best = 0u64;
    for (k, &w) in (0u64..).zip(selected.iter()) {
        let candidate = block_start.wrapping_add(k * 8 + last_in_word(w));
        best = best.max(candidate & nonzero_mask(w));
    }
    best &= nonzero_mask(last_block);

    let tail_start = (data.len() - tail.len()) as u64;
    for (j, &b) in (1u64..).zip(tail.iter()) {
        best = best.max((tail_start + j) & nonzero_mask(u64::from(b)));
    }
    usize::try_from(best).ok()?.checked_sub(1)
}

/// Eight bytes as a little-endian word (byte j at bits 8j..8j+8).
fn word(w: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(w);
    u64::from_le_bytes(bytes)
}

/// All ones if `x` is non-zero, else zero, without a branch.
fn nonzero_mask(x: u64) -> u64 {
    ((x | x.wrapping_neg()) >> 63).wrapping_neg()
}

/// One plus the index of the last non-zero byte of `w`, 0 if none.
fn last_in_word(w: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Top bit of each byte set iff that byte is non-zero; `leading_zeros`
    // of the marks is 64 when there are none.
    let marks = (((w & LOW7).wrapping_add(LOW7)) | w) & HIGH;
    8 - u64::from(marks.leading_zeros()) / 8
}

impl Drop for Tls13RecordKeys {
    fn drop(&mut self) {
        self.iv.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Aead;
    use crate::test_support::Aes128Gcm;
    use alloc::vec::Vec;

    fn keys() -> Tls13RecordKeys {
        Tls13RecordKeys::new(Aes128Gcm.new_key(&[7u8; 16]).unwrap(), [9u8; 12], 16)
    }

    #[test]
    fn seal_open_round_trip_with_padding() {
        let (mut tx, mut rx) = (keys(), keys());
        for padding in [0usize, 1, 100] {
            let mut out = BytesMut::new();
            tx.seal(&mut out, ContentType::Handshake, b"payload", padding)
                .unwrap();
            assert_eq!(out.len(), 5 + 7 + 1 + padding + 16);
            assert_eq!(&out[..3], &[23, 3, 3]);
            let mut record: Vec<u8> = out.to_vec();
            let (typ, range) = rx.open(&mut record).unwrap();
            assert_eq!(typ, ContentType::Handshake);
            assert_eq!(&record[range], b"payload");
        }
        assert_eq!(tx.sequence(), 3);
    }

    #[test]
    fn tampering_and_reordering_fail() {
        let mut tx = keys();
        let mut first = BytesMut::new();
        tx.seal(&mut first, ContentType::ApplicationData, b"one", 0)
            .unwrap();
        let mut second = BytesMut::new();
        tx.seal(&mut second, ContentType::ApplicationData, b"two", 0)
            .unwrap();

        // Second record first: the nonce no longer matches.
        let mut rx = keys();
        assert_eq!(
            rx.open(&mut second.to_vec()).unwrap_err(),
            Error::DecryptFailed
        );

        // A flipped header bit breaks the additional data.
        let mut rx = keys();
        let mut record = first.to_vec();
        record[2] ^= 1;
        assert_eq!(rx.open(&mut record).unwrap_err(), Error::DecryptFailed);

        // Too short to hold a tag.
        let mut rx = keys();
        assert_eq!(
            rx.open(&mut [23, 3, 3, 0, 3, 1, 2, 3]).unwrap_err(),
            Error::DecryptFailed
        );
    }

    #[test]
    fn last_nonzero_position_matches_a_plain_scan() {
        let mut state = 0x1234_5678u32;
        for len in 0..300usize {
            for _ in 0..20 {
                let mut data = alloc::vec![0u8; len];
                for b in data.iter_mut() {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    // Mostly zeros, so the last non-zero byte moves around.
                    *b = if state >> 28 == 0 {
                        (state >> 16) as u8 | 1
                    } else {
                        0
                    };
                }
                let expected = data.iter().rposition(|&b| b != 0);
                assert_eq!(last_nonzero_position(&data), expected, "{data:?}");
            }
        }
        assert_eq!(
            last_nonzero_position(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0]),
            Some(0)
        );
        assert_eq!(last_nonzero_position(&[0, 0, 0, 0, 0, 0, 0, 0x01]), Some(7));
        assert_eq!(last_nonzero_position(&[0xff; 16]), Some(15));
    }

    #[test]
    fn ciphertext_over_the_tls13_limit_overflows() {
        // Record headers may say up to 2^14 + 2048 (TLS 1.2); TLS 1.3
        // records stop at 2^14 + 256.
        let len = crate::record::MAX_CIPHERTEXT_LEN + 1;
        let mut record = alloc::vec![23, 3, 3];
        record.extend_from_slice(&(len as u16).to_be_bytes());
        record.resize(5 + len, 0);
        assert!(crate::record::RecordHeader::parse(&record)
            .unwrap()
            .is_some());
        assert_eq!(keys().open(&mut record).unwrap_err(), Error::RecordOverflow);
    }

    #[test]
    fn all_padding_record_is_refused() {
        let mut tx = keys();
        let mut out = BytesMut::new();
        // Content type 0 with no content looks like padding only.
        tx.seal(&mut out, ContentType(0), b"", 5).unwrap();
        let mut rx = keys();
        assert_eq!(
            rx.open(&mut out.to_vec()).unwrap_err(),
            Error::InvalidMessage(InvalidMessage::EmptyRecord)
        );
    }
}
