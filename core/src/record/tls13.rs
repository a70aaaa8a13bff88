//! TLS 1.3 record protection (RFC 8446 section 5.2-5.3).

use alloc::boxed::Box;
use core::ops::Range;

use bytes::{BufMut, BytesMut};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

use super::{put_header, RECORD_HEADER_LEN};
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

        // Find the last non-zero byte without data-dependent branches.
        let mut last_nonzero = 0u64;
        let mut found = subtle::Choice::from(0);
        for (i, b) in plain.iter().enumerate() {
            let nonzero = !b.ct_eq(&0);
            last_nonzero = u64::conditional_select(&last_nonzero, &(i as u64), nonzero);
            found |= nonzero;
        }
        if !bool::from(found) {
            return Err(InvalidMessage::EmptyRecord.into());
        }
        let type_at = last_nonzero as usize;
        let content_type = ContentType(plain[type_at]);
        let start = RECORD_HEADER_LEN;
        Ok((content_type, start..start + type_at))
    }
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
