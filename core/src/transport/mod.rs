//! The transport seam between handshake and record layer.
//!
//! Streams (TLS) and datagrams (DTLS) differ in how records are framed and
//! how handshake messages travel: over a stream a message may span records
//! and several may share one; over datagrams messages are fragmented to the
//! MTU, reordered, lost and retransmitted in flights. The handshake state
//! machines only see whole messages ([`HandshakeMessage`]) and hand whole
//! messages back; this module turns them into and out of records.

pub(crate) mod cookie;
pub(crate) mod datagram;
pub(crate) mod stream;

pub use cookie::{CookieGenerator, HmacCookies};

use crate::msgs::enums::HandshakeType;

/// One complete handshake message as received.
#[derive(Debug, Clone, Copy)]
pub struct HandshakeMessage<'a> {
    pub typ: HandshakeType,
    pub body: &'a [u8],
    /// The message as it enters the transcript (TLS header and body).
    pub encoded: &'a [u8],
}
