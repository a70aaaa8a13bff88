//! The TLS record layer: framing and in-place record protection.
//!
//! Records are sealed directly into the outgoing `BytesMut` and opened in
//! place in the receive buffer, so the application-data path neither copies
//! ciphertext nor allocates per record.

// The DTLS connection is the user of this module; until it is wired in,
// parts of the API are exercised by tests and the fuzz target only.
#[allow(dead_code)]
mod dtls;
mod tls12;
mod tls13;

#[allow(dead_code, unused_imports)] // See `mod dtls` above.
pub(crate) use dtls::{DtlsCounters, DtlsRecord, DtlsRecordLayer, DTLS_HEADER_LEN};

pub(crate) use tls12::{tls12_key_block_len, tls12_record_keys, CbcMode, Tls12RecordKeys};
pub(crate) use tls13::Tls13RecordKeys;

use bytes::{BufMut, BytesMut};

use crate::error::{Error, InvalidMessage};
use crate::msgs::enums::{ContentType, ProtocolVersion};

/// Type (1), legacy version (2), length (2).
pub const RECORD_HEADER_LEN: usize = 5;
/// Largest plaintext fragment TLS allows (2^14).
pub const MAX_PLAINTEXT_LEN: usize = 16_384;
/// Largest TLS 1.3 ciphertext: 2^14 + 256 (checked when opening TLS 1.3
/// records).
pub const MAX_CIPHERTEXT_LEN: usize = MAX_PLAINTEXT_LEN + 256;
/// Largest TLS 1.2 ciphertext: 2^14 + 2048, the most any record header may
/// announce.
pub const MAX_TLS12_CIPHERTEXT_LEN: usize = MAX_PLAINTEXT_LEN + 2048;

/// A parsed record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    pub content_type: ContentType,
    pub version: ProtocolVersion,
    pub length: usize,
}

impl RecordHeader {
    /// Parses a header from the start of `buf`; `Ok(None)` when fewer than
    /// five bytes are present. Rejects what cannot be a TLS record.
    pub fn parse(buf: &[u8]) -> Result<Option<Self>, Error> {
        if buf.len() < RECORD_HEADER_LEN {
            return Ok(None);
        }
        let content_type = ContentType(buf[0]);
        if content_type.name().is_none() || content_type == ContentType::Ack {
            return Err(InvalidMessage::UnknownContentType.into());
        }
        let version = ProtocolVersion(u16::from_be_bytes([buf[1], buf[2]]));
        if buf[1] != 3 {
            return Err(InvalidMessage::NotTls.into());
        }
        let length = u16::from_be_bytes([buf[3], buf[4]]) as usize;
        if length > MAX_TLS12_CIPHERTEXT_LEN {
            return Err(Error::RecordOverflow);
        }
        Ok(Some(Self {
            content_type,
            version,
            length,
        }))
    }
}

/// Writes a record header.
pub fn put_header(
    out: &mut BytesMut,
    content_type: ContentType,
    version: ProtocolVersion,
    len: usize,
) {
    out.put_u8(content_type.0);
    out.put_u16(version.0);
    out.put_u16(len as u16);
}

/// Record protection for one direction, per protocol version.
pub(crate) enum Protection {
    Plaintext,
    Tls13(Tls13RecordKeys),
    #[allow(dead_code)] // Built by the TLS 1.2 handshake.
    Tls12(Tls12RecordKeys),
}

/// The connection's record layer state: protection each way and size limits.
pub(crate) struct RecordLayer {
    pub read: Protection,
    pub write: Protection,
    /// Largest plaintext we put in one outgoing record.
    pub max_fragment_out: usize,
    /// Largest plaintext we accept in one incoming record.
    pub max_plaintext_in: usize,
    /// Pad protected records' inner plaintext to a multiple of this (1 = none).
    pub padding_granularity: usize,
    /// Largest inner plaintext (content, type byte, padding) the peer takes.
    pub peer_inner_limit: usize,
    /// legacy_record_version for plaintext records (0x0301 for the first
    /// ClientHello, 0x0303 after).
    pub plaintext_version: ProtocolVersion,
    /// Counts read-key changes: handshake messages must not straddle one.
    pub read_epoch: u16,
    pub write_epoch: u16,
}

impl RecordLayer {
    pub fn new(
        max_fragment_out: usize,
        max_plaintext_in: usize,
        padding_granularity: usize,
    ) -> Self {
        Self {
            read: Protection::Plaintext,
            write: Protection::Plaintext,
            max_fragment_out: max_fragment_out.clamp(64, MAX_PLAINTEXT_LEN),
            max_plaintext_in: max_plaintext_in.clamp(64, MAX_PLAINTEXT_LEN),
            padding_granularity: padding_granularity.max(1),
            peer_inner_limit: MAX_PLAINTEXT_LEN + 1,
            plaintext_version: ProtocolVersion::TLSv1_0,
            read_epoch: 0,
            write_epoch: 0,
        }
    }

    /// Applies the peer's record_size_limit (RFC 8449), which counts the
    /// inner content-type byte in TLS 1.3.
    pub fn apply_peer_record_size_limit(&mut self, limit: u16) {
        let inner = (limit as usize).clamp(65, MAX_PLAINTEXT_LEN + 1);
        self.peer_inner_limit = inner;
        self.max_fragment_out = self.max_fragment_out.min(inner - 1);
    }

    pub fn set_read(&mut self, protection: Protection) {
        self.read = protection;
        self.read_epoch = self.read_epoch.wrapping_add(1);
    }

    pub fn set_write(&mut self, protection: Protection) {
        self.write = protection;
        self.write_epoch = self.write_epoch.wrapping_add(1);
    }

    /// Records sent under the current write keys.
    pub fn write_sequence(&self) -> u64 {
        match &self.write {
            Protection::Plaintext => 0,
            Protection::Tls13(k) => k.sequence(),
            Protection::Tls12(k) => k.sequence(),
        }
    }

    pub fn is_read_protected(&self) -> bool {
        !matches!(self.read, Protection::Plaintext)
    }

    /// Appends `payload` as one or more records of `content_type`,
    /// fragmenting to `max_fragment_out`.
    pub fn write(
        &mut self,
        out: &mut BytesMut,
        content_type: ContentType,
        payload: &[u8],
    ) -> Result<(), Error> {
        if payload.is_empty() {
            // Only application data may be empty; keep one empty record for it.
            return self.write_one(out, content_type, payload);
        }
        for chunk in payload.chunks(self.max_fragment_out) {
            self.write_one(out, content_type, chunk)?;
        }
        Ok(())
    }

    fn write_one(
        &mut self,
        out: &mut BytesMut,
        content_type: ContentType,
        fragment: &[u8],
    ) -> Result<(), Error> {
        match &mut self.write {
            Protection::Plaintext => {
                out.reserve(RECORD_HEADER_LEN + fragment.len());
                put_header(out, content_type, self.plaintext_version, fragment.len());
                out.put_slice(fragment);
                Ok(())
            }
            Protection::Tls13(keys) => {
                let padding = padding_for(
                    fragment.len() + 1,
                    self.padding_granularity,
                    self.peer_inner_limit,
                );
                keys.seal(out, content_type, fragment, padding)
            }
            // TLS 1.2 has no record padding beyond the CBC block padding.
            Protection::Tls12(keys) => keys.seal(out, content_type, fragment),
        }
    }

    /// Opens one record in place. `record` holds header and body; on success
    /// returns the true content type and the plaintext range within `record`.
    pub fn open(
        &mut self,
        header: &RecordHeader,
        record: &mut [u8],
    ) -> Result<(ContentType, core::ops::Range<usize>), Error> {
        match &mut self.read {
            Protection::Plaintext => {
                if header.length > self.max_plaintext_in {
                    return Err(Error::RecordOverflow);
                }
                Ok((header.content_type, RECORD_HEADER_LEN..record.len()))
            }
            Protection::Tls13(keys) => {
                let (typ, range) = keys.open(record)?;
                if range.len() > self.max_plaintext_in {
                    return Err(Error::RecordOverflow);
                }
                Ok((typ, range))
            }
            Protection::Tls12(keys) => {
                let (typ, range) = keys.open(record)?;
                if range.len() > self.max_plaintext_in {
                    return Err(Error::RecordOverflow);
                }
                Ok((typ, range))
            }
        }
    }
}

/// Not API: the engine's own TLS 1.3 record protection on caller-supplied
/// keys, so the conformance suite can replay RFC 8448's protected records
/// byte for byte. Reached through `embertls::__testing`.
#[doc(hidden)]
pub mod testing {
    use alloc::boxed::Box;
    use alloc::vec::Vec;

    use bytes::BytesMut;

    use super::{RecordHeader, Tls13RecordKeys, RECORD_HEADER_LEN};
    use crate::crypto::AeadKey;
    use crate::error::Error;
    use crate::msgs::enums::ContentType;

    pub use super::testing12::Tls12Keys;
    pub use super::testing_dtls::DtlsLayer;
    pub use crate::transport::datagram::testing::{fragment_message, DtlsReassembly};

    /// Seals `fragment` as record number `seq`, with `padding` zero bytes.
    pub fn seal_tls13_record(
        key: Box<dyn AeadKey>,
        iv: [u8; 12],
        tag_len: usize,
        seq: u64,
        content_type: ContentType,
        fragment: &[u8],
        padding: usize,
    ) -> Result<Vec<u8>, Error> {
        let mut keys = Tls13RecordKeys::new(key, iv, tag_len).with_sequence(seq);
        let mut out = BytesMut::new();
        keys.seal(&mut out, content_type, fragment, padding)?;
        Ok(out.to_vec())
    }

    /// Opens one whole protected record (header included) as record number
    /// `seq`: the inner content type and the plaintext.
    pub fn open_tls13_record(
        key: Box<dyn AeadKey>,
        iv: [u8; 12],
        tag_len: usize,
        seq: u64,
        record: &[u8],
    ) -> Result<(ContentType, Vec<u8>), Error> {
        let header = RecordHeader::parse(record)?.ok_or(Error::DecryptFailed)?;
        if record.len() != RECORD_HEADER_LEN + header.length {
            return Err(Error::DecryptFailed);
        }
        let mut keys = Tls13RecordKeys::new(key, iv, tag_len).with_sequence(seq);
        let mut buf = record.to_vec();
        let (typ, range) = keys.open(&mut buf)?;
        Ok((typ, buf[range].to_vec()))
    }
}

/// The TLS 1.2 half of [`testing`]: the engine's TLS 1.2 record protection
/// on caller-supplied keys, for the conformance suite and the fuzz targets.
mod testing12 {
    use alloc::boxed::Box;
    use alloc::sync::Arc;
    use alloc::vec::Vec;

    use bytes::BytesMut;

    use super::{
        tls12_key_block_len, tls12_record_keys, CbcMode, RecordHeader, Tls12RecordKeys,
        RECORD_HEADER_LEN,
    };
    use crate::crypto::{AeadAlgorithm, AeadKey, CbcKey, CryptoProvider, HmacKey, SecureRandom};
    use crate::error::Error;
    use crate::msgs::enums::{CipherSuite, ContentType, HashAlgorithm, ProtocolVersion};

    /// One direction of TLS 1.2 record protection (record version 0x0303).
    pub struct Tls12Keys(pub(super) Tls12RecordKeys);

    impl Tls12Keys {
        /// AEAD: `fixed_iv` is the 4-byte salt (GCM, CCM) or the 12-byte IV
        /// (ChaCha20-Poly1305).
        pub fn aead(
            algorithm: AeadAlgorithm,
            key: Box<dyn AeadKey>,
            fixed_iv: &[u8],
        ) -> Result<Self, Error> {
            Tls12RecordKeys::aead(algorithm, key, fixed_iv, ProtocolVersion::TLSv1_2).map(Self)
        }

        /// CBC with HMAC over `mac_hash`, encrypt-then-MAC or
        /// MAC-then-encrypt.
        pub fn cbc(
            key: Box<dyn CbcKey>,
            mac: Box<dyn HmacKey>,
            mac_hash: HashAlgorithm,
            encrypt_then_mac: bool,
            random: Arc<dyn SecureRandom>,
        ) -> Result<Self, Error> {
            let mode = if encrypt_then_mac {
                CbcMode::EncryptThenMac
            } else {
                CbcMode::MacThenEncrypt
            };
            Tls12RecordKeys::cbc(key, mac, mac_hash, mode, random, ProtocolVersion::TLSv1_2)
                .map(Self)
        }

        /// The client-write (or server-write) keys of `suite` from a key
        /// block of [`Tls12Keys::key_block_len`] bytes.
        pub fn from_key_block(
            provider: &CryptoProvider,
            suite: CipherSuite,
            key_block: &[u8],
            encrypt_then_mac: bool,
            client_write: bool,
        ) -> Result<Self, Error> {
            let info = crate::suites::by_id(suite).ok_or(Error::Internal("unknown suite"))?;
            let pair = tls12_record_keys(
                info,
                provider,
                key_block,
                encrypt_then_mac,
                ProtocolVersion::TLSv1_2,
            )?;
            Ok(Self(if client_write {
                pair.client_write
            } else {
                pair.server_write
            }))
        }

        /// The key block length of a TLS 1.2 suite.
        pub fn key_block_len(suite: CipherSuite) -> Option<usize> {
            crate::suites::by_id(suite)
                .map(tls12_key_block_len)
                .filter(|&len| len > 0)
        }

        /// Continue from record number `seq`.
        pub fn with_sequence(self, seq: u64) -> Self {
            Self(self.0.with_sequence(seq))
        }

        pub fn sequence(&self) -> u64 {
            self.0.sequence()
        }

        /// Seals one record (header included).
        pub fn seal(
            &mut self,
            content_type: ContentType,
            fragment: &[u8],
        ) -> Result<Vec<u8>, Error> {
            let mut out = BytesMut::new();
            self.0.seal(&mut out, content_type, fragment)?;
            Ok(out.to_vec())
        }

        /// Opens one whole record (header included): content type and
        /// plaintext.
        pub fn open(&mut self, record: &[u8]) -> Result<(ContentType, Vec<u8>), Error> {
            let header = RecordHeader::parse(record)?.ok_or(Error::DecryptFailed)?;
            if record.len() != RECORD_HEADER_LEN + header.length {
                return Err(Error::DecryptFailed);
            }
            let mut buf = record.to_vec();
            let (typ, range) = self.0.open(&mut buf)?;
            Ok((typ, buf[range].to_vec()))
        }
    }
}

/// The DTLS half of [`testing`]: the engine's DTLS 1.2 record layer on
/// caller-supplied keys, for unit tests and the fuzz targets.
mod testing_dtls {
    use alloc::vec::Vec;

    use bytes::BytesMut;

    use super::testing12::Tls12Keys;
    use super::{tls12_record_keys, DtlsRecordLayer};
    use crate::config::DtlsOptions;
    use crate::crypto::CryptoProvider;
    use crate::error::Error;
    use crate::msgs::enums::{CipherSuite, ContentType, ProtocolVersion};

    /// One record delivered from a datagram: content type, epoch,
    /// sequence number, plaintext.
    pub type OpenedRecord = (ContentType, u16, u64, Vec<u8>);

    /// A DTLS 1.2 record layer (both directions of one endpoint).
    pub struct DtlsLayer(DtlsRecordLayer);

    impl DtlsLayer {
        /// Epoch 0 both ways.
        pub fn new(options: &DtlsOptions) -> Self {
            Self(DtlsRecordLayer::new(options))
        }

        /// Epoch 1 both ways with the keys of `suite` from a key block:
        /// the client's write keys for writing if `client`, the other
        /// side's for reading.
        pub fn from_key_block(
            provider: &CryptoProvider,
            suite: CipherSuite,
            key_block: &[u8],
            encrypt_then_mac: bool,
            client: bool,
            options: &DtlsOptions,
        ) -> Result<Self, Error> {
            let info = crate::suites::by_id(suite).ok_or(Error::Internal("unknown suite"))?;
            let pair = tls12_record_keys(
                info,
                provider,
                key_block,
                encrypt_then_mac,
                ProtocolVersion::DTLSv1_2,
            )?;
            let (write, read) = if client {
                (pair.client_write, pair.server_write)
            } else {
                (pair.server_write, pair.client_write)
            };
            let mut layer = DtlsRecordLayer::new(options);
            layer.install_write(write);
            layer.install_read(read);
            Ok(Self(layer))
        }

        /// Moves the write side to the next epoch.
        pub fn install_write(&mut self, keys: Tls12Keys) {
            self.0.install_write(keys.0);
        }

        /// Moves the read side to the next epoch.
        pub fn install_read(&mut self, keys: Tls12Keys) {
            self.0.install_read(keys.0);
        }

        pub fn set_own_cid(&mut self, cid: Option<Vec<u8>>) {
            self.0.set_own_cid(cid);
        }

        pub fn set_peer_cid(&mut self, cid: Option<Vec<u8>>) {
            self.0.set_peer_cid(cid);
        }

        pub fn write_epoch(&self) -> u16 {
            self.0.write_epoch()
        }

        pub fn read_epoch(&self) -> u16 {
            self.0.read_epoch()
        }

        pub fn bad_records(&self) -> u32 {
            self.0.bad_records()
        }

        /// The most a record of `epoch` adds to its plaintext.
        pub fn expansion(&self, epoch: u16) -> usize {
            self.0.expansion(epoch)
        }

        /// Seals one record of `epoch`.
        pub fn seal(
            &mut self,
            epoch: u16,
            content_type: ContentType,
            fragment: &[u8],
        ) -> Result<Vec<u8>, Error> {
            let mut out = BytesMut::new();
            self.0.seal(epoch, content_type, fragment, &mut out)?;
            Ok(out.to_vec())
        }

        /// Opens every record of a datagram that survives.
        pub fn open(&mut self, datagram: &[u8]) -> Result<Vec<OpenedRecord>, Error> {
            let mut buf = datagram.to_vec();
            let mut pos = 0;
            let mut records = Vec::new();
            while let Some(r) = self.0.open_next(&mut buf, &mut pos)? {
                records.push((
                    r.content_type,
                    r.epoch,
                    r.sequence,
                    buf[r.plaintext].to_vec(),
                ));
            }
            Ok(records)
        }

        /// Whether the datagram's first record would be accepted.
        pub fn check_record(&self, datagram: &[u8]) -> Result<(), Error> {
            self.0.check_record(datagram)
        }
    }
}

/// Zero bytes to append so `inner_len` becomes a multiple of `granularity`,
/// never exceeding `limit`.
fn padding_for(inner_len: usize, granularity: usize, limit: usize) -> usize {
    if granularity <= 1 {
        return 0;
    }
    let padded = inner_len.div_ceil(granularity) * granularity;
    padded.min(limit.max(inner_len)) - inner_len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parsing_is_strict() {
        assert_eq!(RecordHeader::parse(&[22, 3, 3, 0]).unwrap(), None);
        assert!(RecordHeader::parse(&[99, 3, 3, 0, 1]).is_err());
        assert!(RecordHeader::parse(&[22, 4, 3, 0, 1]).is_err());
        assert_eq!(
            RecordHeader::parse(&[23, 3, 3, 0x48, 0x01]).unwrap_err(),
            Error::RecordOverflow
        );
        let h = RecordHeader::parse(&[23, 3, 3, 0x48, 0x00])
            .unwrap()
            .unwrap();
        assert_eq!(h.length, MAX_TLS12_CIPHERTEXT_LEN);
    }

    #[test]
    fn padding_respects_granularity_and_limit() {
        assert_eq!(padding_for(10, 1, 100), 0);
        assert_eq!(padding_for(10, 16, 100), 6);
        assert_eq!(padding_for(16, 16, 100), 0);
        assert_eq!(padding_for(95, 64, 100), 5);
    }
}
