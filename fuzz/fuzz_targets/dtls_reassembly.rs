//! DTLS handshake reassembly (`transport/datagram.rs`) fed fuzzer-chosen
//! record payloads at chosen epochs.
//!
//! The first byte picks the buffering budget; the rest is a list of
//! operations:
//!
//! * `0`: a raw record payload (epoch, one length byte, bytes);
//! * `1`: a well-formed fragment built from (type, message_seq, length,
//!   offset, fragment length), with body bytes that depend only on the
//!   message and position, so overlapping fragments agree;
//! * `2`: by the top bits, `set_sequences` (the HelloVerifyRequest
//!   restart), `begin_flight` (we answer; decides what counts as a
//!   retransmission) or `restart_sequences` (a renegotiation starts);
//! * `3`: a message fragmented by the sender side at a chosen record size,
//!   reassembled from its fragments in reverse order by a fresh receiver,
//!   which must give back the message (up to 8 KiB).
//!
//! Invariants: no panic; buffered bytes within
//! `max(budget, MAX_MESSAGE_LEN)`; messages come out in message_seq order,
//! in transcript form (offset 0, fragment length = length).
#![no_main]

use embertls::__testing::{fragment_message, DtlsReassembly};
use libfuzzer_sys::fuzz_target;

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

fn body_byte(seq: u16, pos: usize) -> u8 {
    (pos as u8).wrapping_mul(31) ^ (seq as u8) ^ ((pos >> 8) as u8)
}

fn header(typ: u8, length: usize, seq: u16, offset: usize, frag: usize) -> Vec<u8> {
    let mut h = vec![typ];
    h.extend_from_slice(&(length as u32).to_be_bytes()[1..]);
    h.extend_from_slice(&seq.to_be_bytes());
    h.extend_from_slice(&(offset as u32).to_be_bytes()[1..]);
    h.extend_from_slice(&(frag as u32).to_be_bytes()[1..]);
    h
}

fn check_message(rx: &mut DtlsReassembly, budget: usize) {
    let limit = budget.max(DtlsReassembly::MAX_MESSAGE_LEN);
    assert!(
        rx.buffered_bytes() <= limit,
        "buffered {}",
        rx.buffered_bytes()
    );
    loop {
        let expected = rx.next_receive_seq();
        let Some((typ, m)) = rx.next_message() else {
            break;
        };
        assert!(m.len() >= 12);
        assert_eq!(m[0], typ);
        let length = u32::from_be_bytes([0, m[1], m[2], m[3]]) as usize;
        assert_eq!(u16::from_be_bytes([m[4], m[5]]), expected);
        assert_eq!(&m[6..9], &[0, 0, 0]);
        assert_eq!(&m[9..12], &m[1..4]);
        assert_eq!(m.len(), 12 + length);
        assert!(length <= DtlsReassembly::MAX_MESSAGE_LEN);
        assert_eq!(rx.next_receive_seq(), expected.saturating_add(1));
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(b) = input.u8() else { return };
    let budget = usize::from(b) * 512;
    let mut rx = DtlsReassembly::new(budget);
    let mut ops = 0;
    while let Some(op) = input.u8() {
        ops += 1;
        if ops > 2000 {
            break;
        }
        match op % 4 {
            0 => {
                let Some(epoch) = input.u8() else { break };
                let Some(len) = input.u8() else { break };
                let payload = input.take(usize::from(len));
                let _ = rx.receive(u16::from(epoch % 3), payload);
            }
            1 => {
                let (Some(typ), Some(seq), Some(length), Some(offset), Some(frag)) = (
                    input.u8(),
                    input.u8(),
                    input.u16(),
                    input.u16(),
                    input.u16(),
                ) else {
                    break;
                };
                let seq = u16::from(seq % 16);
                // Lengths up to 4 * 65535 exercise the size limit.
                let length = usize::from(length) * (usize::from(typ >> 6) + 1) / 2;
                let (offset, frag) = (usize::from(offset), usize::from(frag));
                let mut p = header(typ & 0x3f, length, seq, offset, frag);
                p.extend((offset..offset + frag).map(|pos| body_byte(seq, pos)));
                let _ = rx.receive(u16::from(op >> 6), &p);
            }
            2 => match op >> 6 {
                0 => rx.begin_flight(),
                1 => {
                    rx.restart_sequences();
                    assert_eq!(rx.next_receive_seq(), 0);
                    assert_eq!(rx.buffered_bytes(), 0);
                }
                _ => {
                    let (Some(a), Some(b)) = (input.u8(), input.u8()) else {
                        break;
                    };
                    rx.set_sequences(u16::from(a % 8), u16::from(b % 8));
                }
            },
            _ => {
                let (Some(typ), Some(len), Some(max_payload)) =
                    (input.u8(), input.u16(), input.u8())
                else {
                    break;
                };
                // Up to 8 KiB, so that one-byte fragments stay cheap.
                let len = len % 8192;
                let mut message = vec![typ, 0];
                message.extend_from_slice(&len.to_be_bytes());
                message.extend((0..usize::from(len)).map(|pos| body_byte(7, pos)));
                let fragments = fragment_message(&message, 0, usize::from(max_payload));
                let mut fresh = DtlsReassembly::new(0);
                for f in fragments.iter().rev() {
                    assert!(f.len() <= usize::from(max_payload).max(13));
                    assert_eq!(fresh.receive(0, f).unwrap(), "progress");
                }
                let (t, m) = fresh.next_message().expect("reassembled");
                assert_eq!(t, typ);
                assert_eq!(&m[12..], &message[4..]);
                assert!(fresh.next_message().is_none());
            }
        }
        check_message(&mut rx, budget);
    }
});
