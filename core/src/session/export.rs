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
/// Format 2 added the TLS 1.2 session id and extended-master-secret flag.
const FORMAT: u8 = 2;

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
        put_vec_u8(&mut out, &self.session_id);
        out.put_u8(self.extended_master_secret as u8);
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
        if r.take(3)? != MAGIC {
            return Err(InvalidMessage::IllegalValue("not an embertls session"));
        }
        let format = r.u8()?;
        if format != 1 && format != FORMAT {
            return Err(InvalidMessage::IllegalValue("unknown session format"));
        }
        let version = ProtocolVersion(r.u16()?);
        let suite = CipherSuite(r.u16()?);
        // DTLS 1.2 sessions use the TLS 1.2 suites.
        let suite_version = match version {
            ProtocolVersion::DTLSv1_2 => ProtocolVersion::TLSv1_2,
            v => v,
        };
        let suite_matches = suites::by_id(suite).is_some_and(|s| s.version == suite_version);
        if format == 1 && version != ProtocolVersion::TLSv1_3 || !suite_matches {
            return Err(InvalidMessage::IllegalValue("session version or suite"));
        }
        let secret = Zeroizing::new(r.vec_u8()?.to_vec());
        let ticket = r.vec_u16()?.to_vec();
        let ticket_age_add = r.u32()?;
        let lifetime_secs = r.u32()?;
        let received_at = UnixTime(u64::from(r.u32()?) << 32 | u64::from(r.u32()?));
        let name = r.vec_u16()?;
        let alpn = r.vec_u8()?;
        let (session_id, extended_master_secret) = if format == 1 {
            (Vec::new(), false)
        } else {
            let id = r.vec_u8()?.to_vec();
            let ems = match r.u8()? {
                0 => false,
                1 => true,
                _ => return Err(InvalidMessage::IllegalValue("session EMS flag")),
            };
            (id, ems)
        };
        r.expect_empty()?;
        let tls12 = suite_version == ProtocolVersion::TLSv1_2;
        if secret.is_empty() || (ticket.is_empty() && (!tls12 || session_id.is_empty())) {
            return Err(InvalidMessage::EmptyVector);
        }
        if session_id.len() > 32 || (tls12 && secret.len() != 48) {
            return Err(InvalidMessage::IllegalValue(
                "session id or master secret length",
            ));
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
            session_id,
            extended_master_secret,
        })
    }
}

/// CRC-32 (IEEE 802.3), bitwise: sessions are small and loaded rarely.
pub(crate) fn crc32(data: &[u8]) -> u32 {
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
            session_id: vec![],
            extended_master_secret: false,
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
        future[3] = FORMAT + 1;
        let crc = crc32(&future);
        future.extend_from_slice(&crc.to_be_bytes());
        assert!(Session::from_bytes(&future).is_err());
    }

    #[test]
    fn tls12_session_by_id_round_trips() {
        let mut s = sample();
        s.version = ProtocolVersion::TLSv1_2;
        s.suite = CipherSuite(0xc02f);
        s.secret = Zeroizing::new(vec![4; 48]);
        s.ticket.clear();
        s.session_id = vec![8; 32];
        s.extended_master_secret = true;
        let bytes = s.to_bytes();
        let back = Session::from_bytes(&bytes).unwrap();
        assert_eq!(back.session_id(), &[8; 32]);
        assert!(back.extended_master_secret);
        assert!(!back.has_ticket());
        // A TLS 1.2 session naming a TLS 1.3 suite is foreign.
        s.suite = CipherSuite::TLS_AES_128_GCM_SHA256;
        assert!(Session::from_bytes(&s.to_bytes()).is_err());
    }
}
