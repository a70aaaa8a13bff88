//! Stream transport: joins handshake messages that span records.

use alloc::vec::Vec;

use crate::error::{Error, InvalidMessage};
use crate::msgs::enums::HandshakeType;
use crate::msgs::handshake::HANDSHAKE_HEADER_LEN;

use super::HandshakeMessage;

/// Reassembles handshake messages from record payloads. Memory is bounded by
/// `max_message_len` plus one record.
pub(crate) struct HandshakeJoiner {
    buf: Vec<u8>,
    /// Bytes of `buf` already handed out and awaiting `discard_taken`.
    taken: usize,
    max_message_len: usize,
}

impl HandshakeJoiner {
    pub fn new(max_message_len: usize) -> Self {
        Self {
            buf: Vec::new(),
            taken: 0,
            max_message_len,
        }
    }

    /// Appends one record's handshake payload.
    pub fn push(&mut self, payload: &[u8]) -> Result<(), Error> {
        if payload.is_empty() {
            // RFC 8446 5.1: zero-length handshake fragments are forbidden.
            return Err(InvalidMessage::EmptyRecord.into());
        }
        self.discard_taken();
        self.buf.extend_from_slice(payload);
        // Reject an oversized message as soon as its header is visible.
        if self.buf.len() >= HANDSHAKE_HEADER_LEN {
            let len = u32::from_be_bytes([0, self.buf[1], self.buf[2], self.buf[3]]) as usize;
            if len > self.max_message_len {
                return Err(InvalidMessage::TooLarge.into());
            }
        }
        Ok(())
    }

    /// Whether a partial message is buffered (forbidden across key changes).
    pub fn has_partial(&self) -> bool {
        self.buf.len() > self.taken
    }

    /// Frees the buffer when nothing is pending (after the handshake).
    pub fn release(&mut self) {
        if !self.has_partial() {
            self.buf = Vec::new();
            self.taken = 0;
        }
    }

    pub fn discard_taken(&mut self) {
        if self.taken > 0 {
            self.buf.drain(..self.taken);
            self.taken = 0;
        }
    }

    /// The next complete message, if one is buffered. Call `discard_taken`
    /// (or `push`) before the next call to release it.
    pub fn next_message(&mut self) -> Result<Option<HandshakeMessage<'_>>, Error> {
        self.discard_taken();
        if self.buf.len() < HANDSHAKE_HEADER_LEN {
            return Ok(None);
        }
        let len = u32::from_be_bytes([0, self.buf[1], self.buf[2], self.buf[3]]) as usize;
        if len > self.max_message_len {
            return Err(InvalidMessage::TooLarge.into());
        }
        let total = HANDSHAKE_HEADER_LEN + len;
        if self.buf.len() < total {
            return Ok(None);
        }
        self.taken = total;
        let encoded = &self.buf[..total];
        Ok(Some(HandshakeMessage {
            typ: HandshakeType(encoded[0]),
            body: &encoded[HANDSHAKE_HEADER_LEN..],
            encoded,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_across_records_and_splits_coalesced() {
        let mut j = HandshakeJoiner::new(100);
        j.push(&[20, 0, 0, 3, 1]).unwrap();
        assert!(j.next_message().unwrap().is_none());
        j.push(&[2, 3, 24, 0, 0, 1, 0]).unwrap();
        let m = j.next_message().unwrap().unwrap();
        assert_eq!(m.typ, HandshakeType::Finished);
        assert_eq!(m.body, &[1, 2, 3]);
        let m = j.next_message().unwrap().unwrap();
        assert_eq!(m.typ, HandshakeType::KeyUpdate);
        assert!(j.next_message().unwrap().is_none());
        assert!(!j.has_partial());
    }

    #[test]
    fn rejects_oversized_and_empty() {
        let mut j = HandshakeJoiner::new(10);
        assert!(j.push(&[]).is_err());
        assert_eq!(
            j.push(&[1, 0, 0, 11]).unwrap_err(),
            Error::InvalidMessage(InvalidMessage::TooLarge)
        );
    }
}
