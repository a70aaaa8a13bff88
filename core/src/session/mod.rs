//! Resumption: the session a client keeps, and what a server seals into a
//! ticket.
//!
//! TLS 1.3 resumption uses tickets (RFC 8446 4.6.1): the server seals the
//! resumption secret and the negotiated parameters with its
//! [`TicketSealer`](crate::crypto::TicketSealer) and sends the result in a
//! NewSessionTicket; the client reports it as
//! [`Event::NewSession`](crate::Event::NewSession) and offers it again with
//! `Connection::client_with_session`.

mod cache;
mod export;
pub(crate) use export::crc32;
#[cfg(feature = "std")]
mod ticketer;

#[cfg(feature = "std")]
pub use cache::LruSessionCache;
pub use cache::SessionCache;
#[cfg(feature = "std")]
pub use ticketer::RotatingTicketer;

use alloc::string::String;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::codec::{put_vec_u16, put_vec_u8, Reader, Writer};
use crate::crypto::UnixTime;
use crate::error::InvalidMessage;
use crate::msgs::enums::{CipherSuite, ProtocolVersion};

/// The psk_dhe_ke key-exchange mode (RFC 8446 4.2.9). Plain psk_ke is never
/// offered or accepted, so resumed handshakes keep forward secrecy.
pub(crate) const PSK_DHE_KE: u8 = 1;

/// A resumable session as the client keeps it (Mbed TLS `mbedtls_ssl_session`).
#[derive(Clone)]
pub struct Session {
    pub(crate) version: ProtocolVersion,
    pub(crate) suite: CipherSuite,
    /// TLS 1.3: the resumption PSK derived for this ticket; TLS 1.2: the
    /// master secret.
    pub(crate) secret: Zeroizing<Vec<u8>>,
    /// The ticket (TLS 1.3, or RFC 5077 for TLS 1.2); may be empty for a
    /// TLS 1.2 session resumable by id only.
    pub(crate) ticket: Vec<u8>,
    /// TLS 1.2 session id (empty when the server keeps no cache).
    pub(crate) session_id: Vec<u8>,
    /// TLS 1.2: the session used the extended master secret (RFC 7627).
    pub(crate) extended_master_secret: bool,
    pub(crate) ticket_age_add: u32,
    pub(crate) lifetime_secs: u32,
    /// Wall-clock time the ticket arrived.
    pub(crate) received_at: UnixTime,
    pub(crate) server_name: Option<String>,
    pub(crate) alpn: Option<Vec<u8>>,
}

impl Session {
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    pub fn cipher_suite(&self) -> CipherSuite {
        self.suite
    }

    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// The ALPN protocol the session was negotiated with.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.alpn.as_deref()
    }

    /// TLS 1.2 session id (Mbed TLS `session->id`); empty for TLS 1.3.
    pub fn session_id(&self) -> &[u8] {
        &self.session_id
    }

    /// Whether the session carries a ticket.
    pub fn has_ticket(&self) -> bool {
        !self.ticket.is_empty()
    }

    pub fn lifetime_secs(&self) -> u32 {
        self.lifetime_secs
    }

    /// Whether the ticket's lifetime has run out at `now`.
    pub fn is_expired(&self, now: UnixTime) -> bool {
        now.0 >= self.received_at.0.saturating_add(self.lifetime_secs as u64)
    }

    /// The ticket age the client reports, obfuscated (RFC 8446 4.2.11.1).
    pub(crate) fn obfuscated_age(&self, now: Option<UnixTime>) -> u32 {
        let age_ms = now
            .map(|n| n.0.saturating_sub(self.received_at.0).saturating_mul(1000))
            .unwrap_or(0);
        (age_ms as u32).wrapping_add(self.ticket_age_add)
    }
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("version", &self.version)
            .field("suite", &self.suite)
            .field("server_name", &self.server_name)
            .field("lifetime_secs", &self.lifetime_secs)
            .finish_non_exhaustive()
    }
}

/// What a TLS 1.3 server seals into a ticket. Versioned so that a server
/// upgrade refuses old tickets cleanly.
pub(crate) struct TicketContent {
    pub suite: CipherSuite,
    pub secret: Zeroizing<Vec<u8>>,
    pub issued_at: UnixTime,
    pub lifetime_secs: u32,
    pub age_add: u32,
    pub server_name: Option<String>,
    pub alpn: Option<Vec<u8>>,
}

const TICKET_FORMAT: u8 = 1;

impl TicketContent {
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(96));
        out.put_u8(TICKET_FORMAT);
        out.put_u16(ProtocolVersion::TLSv1_3.0);
        out.put_u16(self.suite.0);
        put_vec_u8(&mut out, &self.secret);
        out.extend_from_slice(&self.issued_at.0.to_be_bytes());
        out.put_u32(self.lifetime_secs);
        out.put_u32(self.age_add);
        put_vec_u16(
            &mut out,
            self.server_name.as_deref().unwrap_or("").as_bytes(),
        );
        put_vec_u8(&mut out, self.alpn.as_deref().unwrap_or(&[]));
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        if r.u8()? != TICKET_FORMAT || ProtocolVersion(r.u16()?) != ProtocolVersion::TLSv1_3 {
            return Err(InvalidMessage::IllegalValue("ticket format"));
        }
        let suite = CipherSuite(r.u16()?);
        let secret = Zeroizing::new(r.vec_u8()?.to_vec());
        let issued_at = UnixTime(u64::from(r.u32()?) << 32 | u64::from(r.u32()?));
        let lifetime_secs = r.u32()?;
        let age_add = r.u32()?;
        let name = r.vec_u16()?;
        let alpn = r.vec_u8()?;
        r.expect_empty()?;
        let server_name = if name.is_empty() {
            None
        } else {
            Some(
                String::from_utf8(name.to_vec())
                    .map_err(|_| InvalidMessage::IllegalValue("ticket server name"))?,
            )
        };
        Ok(Self {
            suite,
            secret,
            issued_at,
            lifetime_secs,
            age_add,
            server_name,
            alpn: (!alpn.is_empty()).then(|| alpn.to_vec()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn ticket_content_round_trips_and_rejects_damage() {
        let content = TicketContent {
            suite: CipherSuite::TLS_AES_256_GCM_SHA384,
            secret: Zeroizing::new(vec![7; 48]),
            issued_at: UnixTime(1_800_000_000),
            lifetime_secs: 7200,
            age_add: 0xdead_beef,
            server_name: Some("example.com".into()),
            alpn: Some(b"h2".to_vec()),
        };
        let bytes = content.encode();
        let back = TicketContent::decode(&bytes).unwrap();
        assert_eq!(back.suite, content.suite);
        assert_eq!(*back.secret, *content.secret);
        assert_eq!(back.issued_at, content.issued_at);
        assert_eq!(back.server_name.as_deref(), Some("example.com"));
        assert_eq!(back.alpn.as_deref(), Some(&b"h2"[..]));
        for cut in 0..bytes.len() {
            assert!(TicketContent::decode(&bytes[..cut]).is_err());
        }
        let mut wrong_format = bytes.to_vec();
        wrong_format[0] = 9;
        assert!(TicketContent::decode(&wrong_format).is_err());
    }

    #[test]
    fn session_age_and_expiry() {
        let session = Session {
            version: ProtocolVersion::TLSv1_3,
            suite: CipherSuite::TLS_AES_128_GCM_SHA256,
            secret: Zeroizing::new(vec![1; 32]),
            ticket: vec![2; 10],
            session_id: vec![],
            extended_master_secret: false,
            ticket_age_add: 5,
            lifetime_secs: 100,
            received_at: UnixTime(1000),
            server_name: None,
            alpn: None,
        };
        assert_eq!(session.obfuscated_age(Some(UnixTime(1002))), 2005);
        assert!(!session.is_expired(UnixTime(1099)));
        assert!(session.is_expired(UnixTime(1100)));
    }
}
