//! Client sessions as bytes (Mbed TLS session_save / session_load), so a
//! device can keep its ticket across restarts.
//!
//! Layout: magic `ETS`, format version, then the fields, then a CRC-32 of
//! everything before it. Loading checks all of it: truncated, altered or
//! foreign bytes are an error and produce no session. The bytes hold the
//! resumption secret: store them like a private key.

use alloc::string::String;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use super::Session;
use crate::codec::{put_vec_u16, put_vec_u8, Reader, Writer};
use crate::crypto::UnixTime;
use crate::error::InvalidMessage;
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::suites;

const MAGIC: &[u8; 3] = b"ETS";
const FORMAT: u8 = 1;

impl Session {
    /// Serializes the session (versioned, checksummed).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(
            64 + self.ticket.len() + self.secret.len(),
        ));
        out.put_slice(MAGIC);
        out.put_u8(FORMAT);
        out.put_u16(self.version.0);
        out.put_u16(self.suite.0);
        put_vec_u8(&mut out, &self.secret);
        put_vec_u16(&mut out, &self.ticket);
        out.put_u32(self.ticket_age_add);
        out.put_u32(self.lifetime_secs);
        out.extend_from_slice(&self.received_at.0.to_be_bytes());
        put_vec_u16(
            &mut out,
            self.server_name.as_deref().unwrap_or("").as_bytes(),
        );
        put_vec_u8(&mut out, self.alpn.as_deref().unwrap_or(&[]));
        let crc = crc32(&out);
        out.put_u32(crc);
        out
    }

    /// Loads a session saved by [`Session::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Session, InvalidMessage> {
        let body_len = bytes
            .len()
            .checked_sub(4)
            .ok_or(InvalidMessage::Truncated)?;
        let (body, crc) = bytes.split_at(body_len);
        if crc32(body).to_be_bytes() != crc {
            return Err(InvalidMessage::IllegalValue("session checksum"));
        }
        let mut r = Reader::new(body);
        if r.take(3)? != MAGIC || r.u8()? != FORMAT {
            return Err(InvalidMessage::IllegalValue("not an embertls session"));
        }
        let version = ProtocolVersion(r.u16()?);
        let suite = CipherSuite(r.u16()?);
        if version != ProtocolVersion::TLSv1_3 || suites::by_id(suite).is_none() {
            return Err(InvalidMessage::IllegalValue("session version or suite"));
        }
        let secret = Zeroizing::new(r.vec_u8()?.to_vec());
        let ticket = r.vec_u16()?.to_vec();
        let ticket_age_add = r.u32()?;
        let lifetime_secs = r.u32()?;
        let received_at = UnixTime(u64::from(r.u32()?) << 32 | u64::from(r.u32()?));
        let name = r.vec_u16()?;
        let alpn = r.vec_u8()?;
        r.expect_empty()?;
        if secret.is_empty() || ticket.is_empty() {
            return Err(InvalidMessage::EmptyVector);
        }
        let server_name = match name {
            [] => None,
            name => Some(
                String::from_utf8(name.to_vec())
                    .map_err(|_| InvalidMessage::IllegalValue("session server name"))?,
            ),
        };
        Ok(Session {
            version,
            suite,
            secret,
            ticket,
            ticket_age_add,
            lifetime_secs,
            received_at,
            server_name,
            alpn: (!alpn.is_empty()).then(|| alpn.to_vec()),
        })
    }
}

/// CRC-32 (IEEE 802.3), bitwise: sessions are small and loaded rarely.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sample() -> Session {
        Session {
            version: ProtocolVersion::TLSv1_3,
            suite: CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
            secret: Zeroizing::new(vec![9; 32]),
            ticket: vec![1, 2, 3, 4],
            ticket_age_add: 77,
            lifetime_secs: 3600,
            received_at: UnixTime(1_800_000_000),
            server_name: Some("example.com".into()),
            alpn: Some(b"coap".to_vec()),
        }
    }

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn round_trip() {
        let bytes = sample().to_bytes();
        let back = Session::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes().as_slice(), bytes.as_slice());
        assert_eq!(back.server_name(), Some("example.com"));
        assert_eq!(back.alpn_protocol(), Some(&b"coap"[..]));
    }

    #[test]
    fn truncated_altered_and_foreign_bytes_fail() {
        let bytes = sample().to_bytes();
        for cut in 0..bytes.len() {
            assert!(Session::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..bytes.len() {
            let mut altered = bytes.to_vec();
            altered[i] ^= 0x10;
            assert!(Session::from_bytes(&altered).is_err(), "byte {i}");
        }
        assert!(Session::from_bytes(b"not a session at all").is_err());
        // A future format version is refused even with a valid checksum.
        let mut future = bytes[..bytes.len() - 4].to_vec();
        future[3] = 2;
        let crc = crc32(&future);
        future.extend_from_slice(&crc.to_be_bytes());
        assert!(Session::from_bytes(&future).is_err());
    }
}
