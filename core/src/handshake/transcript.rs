//! The handshake transcript: buffered until the suite (and so the hash) is
//! known, then a running hash that can be forked.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::codec::Writer;
use crate::crypto::{Hash, HashContext, HashOutput};
use crate::error::Error;
use crate::msgs::enums::HandshakeType;

pub enum Transcript {
    Buffered(Vec<u8>),
    Hashing(Box<dyn HashContext>),
}

impl Transcript {
    pub fn new() -> Self {
        Transcript::Buffered(Vec::new())
    }

    pub fn add(&mut self, encoded_message: &[u8]) {
        match self {
            Transcript::Buffered(buf) => buf.extend_from_slice(encoded_message),
            Transcript::Hashing(ctx) => ctx.update(encoded_message),
        }
    }

    /// The messages so far while still buffering (before the suite is
    /// known): what a TLS 1.2 handshake takes over.
    pub fn buffered(&self) -> Option<&[u8]> {
        match self {
            Transcript::Buffered(buf) => Some(buf),
            Transcript::Hashing(_) => None,
        }
    }

    /// Switches from buffering to hashing with `hash`.
    pub fn start_hash(&mut self, hash: &dyn Hash) {
        if let Transcript::Buffered(buf) = self {
            let mut ctx = hash.start();
            ctx.update(buf);
            *self = Transcript::Hashing(ctx);
        }
    }

    /// Replaces ClientHello1 with message_hash(Hash(ClientHello1)), as the
    /// transcript after a HelloRetryRequest requires (RFC 8446 4.4.1).
    pub fn roll_up_for_retry(&mut self, hash: &dyn Hash) {
        let digest = match self {
            Transcript::Buffered(buf) => hash.hash(buf),
            Transcript::Hashing(ctx) => ctx.current(),
        };
        let mut ctx = hash.start();
        let mut header = Vec::with_capacity(4);
        header.put_u8(HandshakeType::MessageHash.0);
        header.put_u24(digest.as_ref().len() as u32);
        ctx.update(&header);
        ctx.update(digest.as_ref());
        *self = Transcript::Hashing(ctx);
    }

    /// The hash of everything so far followed by `extra`, leaving the
    /// transcript unchanged (PSK binders hash a partial ClientHello).
    /// `hash` is used while still buffering (the first ClientHello).
    pub fn hash_with(&self, hash: &dyn Hash, extra: &[u8]) -> HashOutput {
        let mut ctx = match self {
            Transcript::Hashing(ctx) => ctx.fork(),
            Transcript::Buffered(buf) => {
                let mut ctx = hash.start();
                ctx.update(buf);
                ctx
            }
        };
        ctx.update(extra);
        ctx.finish()
    }

    /// The hash of everything so far; an internal error while still
    /// buffering (callers only ask once the suite is chosen).
    pub fn current_hash(&self) -> Result<HashOutput, Error> {
        match self {
            Transcript::Hashing(ctx) => Ok(ctx.current()),
            Transcript::Buffered(_) => {
                Err(Error::Internal("transcript hash before suite selection"))
            }
        }
    }
}

impl Default for Transcript {
    fn default() -> Self {
        Self::new()
    }
}
