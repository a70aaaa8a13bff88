//! Total, allocation-light encoding helpers.
//!
//! [`Reader`] never panics: every read is bounds-checked and returns
//! [`InvalidMessage`] on short input, and [`Reader::expect_empty`] rejects
//! trailing bytes so that every parser is exact.

use alloc::vec::Vec;

use crate::error::InvalidMessage;

/// A cursor over received bytes. All reads are checked.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The bytes not yet consumed.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = &self.buf[self.pos..];
        self.pos = self.buf.len();
        rest
    }

    pub fn take(&mut self, len: usize) -> Result<&'a [u8], InvalidMessage> {
        if self.remaining() < len {
            return Err(InvalidMessage::Truncated);
        }
        let out = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, InvalidMessage> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16, InvalidMessage> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u24(&mut self) -> Result<u32, InvalidMessage> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    pub fn u32(&mut self) -> Result<u32, InvalidMessage> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u48(&mut self) -> Result<u64, InvalidMessage> {
        let b = self.take(6)?;
        Ok(u64::from_be_bytes([
            0, 0, b[0], b[1], b[2], b[3], b[4], b[5],
        ]))
    }

    /// A vector with a one-byte length prefix.
    pub fn vec_u8(&mut self) -> Result<&'a [u8], InvalidMessage> {
        let len = self.u8()? as usize;
        self.take(len)
    }

    /// A vector with a two-byte length prefix.
    pub fn vec_u16(&mut self) -> Result<&'a [u8], InvalidMessage> {
        let len = self.u16()? as usize;
        self.take(len)
    }

    /// A vector with a three-byte length prefix.
    pub fn vec_u24(&mut self) -> Result<&'a [u8], InvalidMessage> {
        let len = self.u24()? as usize;
        self.take(len)
    }

    /// A sub-reader over a one-byte-length-prefixed vector.
    pub fn sub_u8(&mut self) -> Result<Reader<'a>, InvalidMessage> {
        self.vec_u8().map(Reader::new)
    }

    pub fn sub_u16(&mut self) -> Result<Reader<'a>, InvalidMessage> {
        self.vec_u16().map(Reader::new)
    }

    pub fn sub_u24(&mut self) -> Result<Reader<'a>, InvalidMessage> {
        self.vec_u24().map(Reader::new)
    }

    /// Fails unless every byte was consumed.
    pub fn expect_empty(&self) -> Result<(), InvalidMessage> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(InvalidMessage::TrailingData)
        }
    }

    /// Reads a list of two-byte values, rejecting an odd length.
    pub fn u16_list(&mut self, reader_len: LengthPrefix) -> Result<Vec<u16>, InvalidMessage> {
        let mut sub = match reader_len {
            LengthPrefix::U8 => self.sub_u8()?,
            LengthPrefix::U16 => self.sub_u16()?,
        };
        if sub.remaining() % 2 != 0 {
            return Err(InvalidMessage::BadLength);
        }
        let mut out = Vec::with_capacity(sub.remaining() / 2);
        while !sub.is_empty() {
            out.push(sub.u16()?);
        }
        Ok(out)
    }
}

/// Which length prefix a vector carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthPrefix {
    U8,
    U16,
}

/// Appends big-endian values and length-prefixed vectors to a `Vec<u8>`.
pub trait Writer {
    fn put_u8(&mut self, v: u8);
    fn put_u16(&mut self, v: u16);
    fn put_u24(&mut self, v: u32);
    fn put_u32(&mut self, v: u32);
    fn put_slice(&mut self, v: &[u8]);
}

impl Writer for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u24(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes()[1..]);
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_slice(&mut self, v: &[u8]) {
        self.extend_from_slice(v);
    }
}

/// Writes a length-prefixed vector whose body is produced by `body`; the
/// prefix is patched once the body length is known.
pub fn put_prefixed(out: &mut Vec<u8>, prefix_len: usize, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.resize(at + prefix_len, 0);
    body(out);
    let len = out.len() - at - prefix_len;
    let bytes = (len as u32).to_be_bytes();
    out[at..at + prefix_len].copy_from_slice(&bytes[4 - prefix_len..]);
}

pub fn put_vec_u8(out: &mut Vec<u8>, v: &[u8]) {
    out.put_u8(v.len() as u8);
    out.put_slice(v);
}

pub fn put_vec_u16(out: &mut Vec<u8>, v: &[u8]) {
    out.put_u16(v.len() as u16);
    out.put_slice(v);
}

pub fn put_vec_u24(out: &mut Vec<u8>, v: &[u8]) {
    out.put_u24(v.len() as u32);
    out.put_slice(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_rejects_short_and_trailing_input() {
        let mut r = Reader::new(&[0x00, 0x03, 1, 2]);
        assert_eq!(r.vec_u16(), Err(InvalidMessage::Truncated));
        let mut r = Reader::new(&[0x01, 7, 9]);
        assert_eq!(r.vec_u8().unwrap(), &[7]);
        assert_eq!(r.expect_empty(), Err(InvalidMessage::TrailingData));
        let mut r = Reader::new(&[0x03, 0, 1, 2]);
        assert_eq!(r.u16_list(LengthPrefix::U8), Err(InvalidMessage::BadLength));
    }

    #[test]
    fn prefixed_writer_patches_length() {
        let mut out = Vec::new();
        put_prefixed(&mut out, 3, |o| o.put_slice(&[1, 2, 3, 4]));
        assert_eq!(out, [0, 0, 4, 1, 2, 3, 4]);
        let mut r = Reader::new(&out);
        assert_eq!(r.vec_u24().unwrap(), &[1, 2, 3, 4]);
        r.expect_empty().unwrap();
    }
}
