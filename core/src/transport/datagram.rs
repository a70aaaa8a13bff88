//! Datagram transport (DTLS 1.2, RFC 6347 4.2): handshake messages with
//! 12-byte headers, fragmentation to the MTU, reassembly of reordered and
//! repeated fragments within a byte budget, flights and their
//! retransmission timer, and packing records into datagrams.
//!
//! # Retransmission timer
//!
//! The rule (RFC 6347 4.2.4 with the Mbed TLS bounds): [`DatagramHandshake::arm`]
//! starts a wait of `handshake_timeout_min`. When a wait expires
//! ([`DatagramHandshake::on_timeout`]):
//! - if the wait that expired was shorter than `handshake_timeout_max`, the
//!   flight is resent and the next wait is twice as long, capped at the
//!   maximum ([`TimerAction::Resend`]);
//! - if it already was the maximum, the handshake gives up
//!   ([`TimerAction::GiveUp`]).
//!
//! With min 1 s and max 8 s and a flight sent at t = 0: resends at 1, 3 and
//! 7 s, and the handshake gives up at 15 s (waits of 1, 2, 4 and 8 s). With
//! min 1 s and max 5 s: resends at 1, 3 and 7 s, gives up at 12 s. Each
//! `arm` (a new flight) starts again from the minimum.
//!
//! # Memory
//!
//! Only messages with `message_seq` in `[next_receive, next_receive + 8)`
//! are kept. The message at `next_receive` (the one the handshake waits for)
//! is always accepted up to the maximum message length, evicting later
//! messages if the budget requires; later messages are buffered only while
//! the bodies of everything buffered stay within `max_buffering` bytes, and
//! are otherwise dropped for the peer to retransmit. A message that arrives
//! fragmented also keeps a bitmap of one bit per byte until it is complete.
//! The buffered bodies therefore never exceed
//! `max(max_buffering, max_message_len)`.

// The connection integration (the DTLS handshake driver in `conn`) is the
// user of this module; until it lands some items are only used by tests.
#![allow(dead_code)]

use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::codec::{Reader, Writer};
use crate::config::DtlsOptions;
use crate::error::{Error, InvalidMessage};
use crate::msgs::enums::{ContentType, HandshakeType};
use crate::msgs::handshake::HANDSHAKE_HEADER_LEN;
use crate::time::Instant;

/// type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3).
pub(crate) const DTLS_HANDSHAKE_HEADER_LEN: usize = 12;

/// Largest handshake message accepted by default (as over streams).
pub(crate) const DEFAULT_MAX_MESSAGE_LEN: usize = 64 * 1024;

/// How many messages past the expected one are tracked at most.
const MAX_MESSAGES_AHEAD: u32 = 8;

/// Shortest retransmission wait, whatever the configuration says (a zero
/// minimum would resend in a busy loop).
const MIN_TIMEOUT: Duration = Duration::from_millis(1);

fn put_dtls_header(
    out: &mut Vec<u8>,
    typ: u8,
    length: usize,
    seq: u16,
    offset: usize,
    frag: usize,
) {
    out.put_u8(typ);
    out.put_u24(length as u32);
    out.put_u16(seq);
    out.put_u24(offset as u32);
    out.put_u24(frag as u32);
}

/// A message in TLS form (4-byte header) to DTLS form with `message_seq`,
/// fragment_offset 0 and fragment_length = length: the transcript form
/// (RFC 6347 4.2.6). The length is taken from the body actually present;
/// input shorter than a TLS header is treated as type 0 with the body that
/// follows the header, if any.
pub(crate) fn to_dtls_form(encoded_tls: &[u8], message_seq: u16) -> Vec<u8> {
    let typ = encoded_tls.first().copied().unwrap_or(0);
    let body = encoded_tls.get(HANDSHAKE_HEADER_LEN..).unwrap_or(&[]);
    let mut out = Vec::with_capacity(DTLS_HANDSHAKE_HEADER_LEN + body.len());
    put_dtls_header(&mut out, typ, body.len(), message_seq, 0, body.len());
    out.extend_from_slice(body);
    out
}

/// One element of an outgoing flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FlightItem {
    /// A handshake message in DTLS form (12-byte header, offset 0, full
    /// length), sent in records of `epoch`.
    Handshake { epoch: u16, message: Vec<u8> },
    /// A ChangeCipherSpec record, sent at `epoch` (the epoch it ends).
    ChangeCipherSpec { epoch: u16 },
}

/// What one received handshake record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Received {
    /// New bytes of a current or future message were stored.
    Progress,
    /// The last message of the peer's previous flight, again: the peer
    /// retransmitted that flight, so ours (its answer) was probably lost.
    Retransmission,
    /// Nothing new: duplicates (including the rest of a retransmitted
    /// flight and messages of the flight being received), messages too far
    /// ahead, messages dropped for the buffering budget, fragments at
    /// another epoch.
    Ignored,
}

/// What to do when the retransmission deadline has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimerAction {
    /// The timer is not armed or its deadline is still ahead.
    None,
    /// Send the stored flight again; the timer is re-armed.
    Resend,
    /// The longest wait passed without an answer; the timer is disarmed.
    GiveUp,
}

/// A message being reassembled.
struct Incoming {
    seq: u16,
    epoch: u16,
    typ: u8,
    /// `length` bytes; the parts not received yet are zero.
    body: Vec<u8>,
    /// One bit per body byte (set = received); empty once complete or when
    /// the message arrived whole.
    have: Vec<u8>,
    missing: usize,
}

impl Incoming {
    fn is_complete(&self) -> bool {
        self.missing == 0
    }

    /// Copies the bytes of a fragment not received yet; returns how many.
    fn apply(&mut self, offset: usize, fragment: &[u8]) -> usize {
        let mut added = 0;
        for (i, b) in fragment.iter().enumerate() {
            let pos = offset + i;
            let (Some(slot), Some(bits)) = (self.body.get_mut(pos), self.have.get_mut(pos / 8))
            else {
                break;
            };
            let mask = 1u8 << (pos % 8);
            if *bits & mask == 0 {
                *bits |= mask;
                *slot = *b;
                added += 1;
            }
        }
        self.missing -= added.min(self.missing);
        if self.missing == 0 {
            self.have = Vec::new();
        }
        added
    }
}

/// Handshake messages over datagrams: sequence numbers, the outgoing
/// flight, the retransmission timer and the reassembly of incoming
/// messages. See the module documentation for the timer rule and the
/// memory bounds.
pub(crate) struct DatagramHandshake {
    next_send: u16,
    next_receive: u16,
    /// `next_receive` when our current flight began: the first message of
    /// the peer flight that answers it. The message just before it ends
    /// the flight ours answered.
    peer_flight_start: u16,
    flight: Vec<FlightItem>,
    incoming: Vec<Incoming>,
    max_buffering: usize,
    max_message_len: usize,
    timeout_min: Duration,
    timeout_max: Duration,
    current_timeout: Duration,
    deadline: Option<Instant>,
}

impl DatagramHandshake {
    pub fn new(options: &DtlsOptions) -> Self {
        let timeout_min = options.handshake_timeout_min.max(MIN_TIMEOUT);
        let timeout_max = options.handshake_timeout_max.max(timeout_min);
        Self {
            next_send: 0,
            next_receive: 0,
            peer_flight_start: 0,
            flight: Vec::new(),
            incoming: Vec::new(),
            max_buffering: options.max_buffering,
            max_message_len: DEFAULT_MAX_MESSAGE_LEN,
            timeout_min,
            timeout_max,
            current_timeout: timeout_min,
            deadline: None,
        }
    }

    /// Changes the largest message accepted (default 64 KiB).
    pub fn set_max_message_len(&mut self, max: usize) {
        self.max_message_len = max;
    }

    // --- sending ---

    /// Assigns the next message_seq to a TLS-form message and returns its
    /// DTLS form.
    pub fn prepare(&mut self, encoded_tls: &[u8]) -> Vec<u8> {
        let out = to_dtls_form(encoded_tls, self.next_send);
        self.next_send = self.next_send.wrapping_add(1);
        out
    }

    /// A renegotiation starts: message_seq begins again at 0 both ways
    /// (RFC 6347 4.2.2) and nothing of the previous handshake is buffered.
    /// The stored flight stays until the next one begins.
    pub fn restart_sequences(&mut self) {
        self.next_send = 0;
        self.next_receive = 0;
        self.peer_flight_start = 0;
        self.incoming.clear();
    }

    /// Starts a new outgoing flight: forgets the stored one. Everything the
    /// peer sent so far is what this flight answers.
    pub fn begin_flight(&mut self) {
        self.flight.clear();
        self.peer_flight_start = self.next_receive;
    }

    pub fn push(&mut self, item: FlightItem) {
        self.flight.push(item);
    }

    pub fn has_flight(&self) -> bool {
        !self.flight.is_empty()
    }

    /// The stored flight as record payloads, each handshake message
    /// fragmented so that a fragment plus its 12-byte header is at most
    /// `max_payload(epoch)` bytes (at least one body byte per fragment even
    /// if that does not fit): `(epoch, content type, payload)` in order.
    /// Used for the first send and every resend.
    pub fn flight_payloads(
        &self,
        max_payload: impl Fn(u16) -> usize,
    ) -> Vec<(u16, ContentType, Vec<u8>)> {
        let mut out = Vec::new();
        for item in &self.flight {
            match item {
                FlightItem::ChangeCipherSpec { epoch } => {
                    out.push((*epoch, ContentType::ChangeCipherSpec, vec![1]))
                }
                FlightItem::Handshake { epoch, message } => {
                    let typ = message.first().copied().unwrap_or(0);
                    let seq = match message.get(4..6) {
                        Some(s) => u16::from_be_bytes([s[0], s[1]]),
                        None => 0,
                    };
                    let body = message.get(DTLS_HANDSHAKE_HEADER_LEN..).unwrap_or(&[]);
                    let room = max_payload(*epoch)
                        .saturating_sub(DTLS_HANDSHAKE_HEADER_LEN)
                        .max(1);
                    let mut offset = 0;
                    loop {
                        let n = (body.len() - offset).min(room);
                        let mut p = Vec::with_capacity(DTLS_HANDSHAKE_HEADER_LEN + n);
                        put_dtls_header(&mut p, typ, body.len(), seq, offset, n);
                        p.extend_from_slice(&body[offset..offset + n]);
                        out.push((*epoch, ContentType::Handshake, p));
                        offset += n;
                        if offset >= body.len() {
                            break;
                        }
                    }
                }
            }
        }
        out
    }

    // --- timer ---

    /// A flight that expects an answer went out: wait the minimum timeout.
    pub fn arm(&mut self, now: Instant) {
        self.current_timeout = self.timeout_min;
        self.deadline = Some(now + self.current_timeout);
    }

    /// The answer started arriving, or the handshake is over.
    pub fn disarm(&mut self) {
        self.deadline = None;
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    /// Resend (re-armed with the doubled wait) or give up; see the module
    /// documentation.
    pub fn on_timeout(&mut self, now: Instant) -> TimerAction {
        match self.deadline {
            Some(deadline) if now >= deadline => {}
            _ => return TimerAction::None,
        }
        if self.current_timeout >= self.timeout_max {
            self.deadline = None;
            return TimerAction::GiveUp;
        }
        self.current_timeout = self.current_timeout.saturating_mul(2).min(self.timeout_max);
        self.deadline = Some(now + self.current_timeout);
        TimerAction::Resend
    }

    /// The wait in progress (or the last one).
    pub fn current_timeout(&self) -> Duration {
        self.current_timeout
    }

    // --- receiving ---

    /// One handshake record payload (it may hold several fragments) at
    /// `epoch`. Fragments before a malformed one have been stored.
    pub fn receive(&mut self, epoch: u16, payload: &[u8]) -> Result<Received, Error> {
        if payload.is_empty() {
            return Err(InvalidMessage::EmptyRecord.into());
        }
        let mut r = Reader::new(payload);
        let (mut progress, mut retransmission) = (false, false);
        while !r.is_empty() {
            let typ = r.u8()?;
            let length = r.u24()? as usize;
            let seq = r.u16()?;
            let offset = r.u24()? as usize;
            let fragment = r.vec_u24()?;
            if offset + fragment.len() > length {
                return Err(InvalidMessage::BadLength.into());
            }
            if length > self.max_message_len {
                return Err(InvalidMessage::TooLarge.into());
            }
            match self.fragment(epoch, typ, length, seq, offset, fragment)? {
                Received::Progress => progress = true,
                Received::Retransmission => retransmission = true,
                Received::Ignored => {}
            }
        }
        Ok(if progress {
            Received::Progress
        } else if retransmission {
            Received::Retransmission
        } else {
            Received::Ignored
        })
    }

    fn fragment(
        &mut self,
        epoch: u16,
        typ: u8,
        length: usize,
        seq: u16,
        offset: usize,
        fragment: &[u8],
    ) -> Result<Received, Error> {
        let (seq32, next32) = (u32::from(seq), u32::from(self.next_receive));
        if seq32 < next32 {
            // Only the last message of the peer's previous flight counts
            // as its retransmission: one resend of ours per resent flight,
            // and none for copies of the flight we are receiving.
            return Ok(if seq.wrapping_add(1) == self.peer_flight_start {
                Received::Retransmission
            } else {
                Received::Ignored
            });
        }
        if seq32 >= next32 + MAX_MESSAGES_AHEAD {
            return Ok(Received::Ignored);
        }
        if let Some(msg) = self.incoming.iter_mut().find(|m| m.seq == seq) {
            if msg.typ != typ || msg.body.len() != length {
                return Err(InvalidMessage::IllegalValue(
                    "handshake fragments of one message disagree on type or length",
                )
                .into());
            }
            if msg.epoch != epoch || msg.is_complete() {
                return Ok(Received::Ignored);
            }
            return Ok(if msg.apply(offset, fragment) > 0 {
                Received::Progress
            } else {
                Received::Ignored
            });
        }
        if fragment.is_empty() && length > 0 {
            return Ok(Received::Ignored);
        }
        if seq == self.next_receive {
            // The message the handshake waits for: make room by dropping
            // the furthest buffered messages.
            while self.buffered_bytes() + length > self.max_buffering {
                let Some((idx, _)) = self.incoming.iter().enumerate().max_by_key(|(_, m)| m.seq)
                else {
                    break;
                };
                self.incoming.swap_remove(idx);
            }
        } else if self.buffered_bytes() + length > self.max_buffering {
            return Ok(Received::Ignored);
        }
        let msg = if offset == 0 && fragment.len() == length {
            Incoming {
                seq,
                epoch,
                typ,
                body: fragment.to_vec(),
                have: Vec::new(),
                missing: 0,
            }
        } else {
            let mut msg = Incoming {
                seq,
                epoch,
                typ,
                body: vec![0; length],
                have: vec![0; length.div_ceil(8)],
                missing: length,
            };
            msg.apply(offset, fragment);
            msg
        };
        self.incoming.push(msg);
        Ok(Received::Progress)
    }

    /// The next complete in-order message, in transcript form (12-byte
    /// header, offset 0, full length) and its type; message_seq advances.
    pub fn next_message(&mut self) -> Option<(HandshakeType, Vec<u8>)> {
        self.next_message_with_epoch()
            .map(|(_, typ, message)| (typ, message))
    }

    /// [`Self::next_message`], also telling the epoch of the records that
    /// carried the message.
    pub fn next_message_with_epoch(&mut self) -> Option<(u16, HandshakeType, Vec<u8>)> {
        let idx = self
            .incoming
            .iter()
            .position(|m| m.seq == self.next_receive && m.is_complete())?;
        let msg = self.incoming.swap_remove(idx);
        let mut out = Vec::with_capacity(DTLS_HANDSHAKE_HEADER_LEN + msg.body.len());
        put_dtls_header(
            &mut out,
            msg.typ,
            msg.body.len(),
            msg.seq,
            0,
            msg.body.len(),
        );
        out.extend_from_slice(&msg.body);
        self.next_receive = self.next_receive.saturating_add(1);
        Some((msg.epoch, HandshakeType(msg.typ), out))
    }

    /// Whether a message is partly received.
    pub fn has_partial(&self) -> bool {
        self.incoming.iter().any(|m| !m.is_complete())
    }

    /// Bytes of message bodies buffered (complete or not, not yet taken).
    pub fn buffered_bytes(&self) -> usize {
        self.incoming.iter().map(|m| m.body.len()).sum()
    }

    /// Drops every buffered incoming message.
    pub fn clear_incoming(&mut self) {
        self.incoming = Vec::new();
    }

    /// A stateless server answering with HelloVerifyRequest keeps nothing;
    /// when the ClientHello with the cookie (message_seq n) arrives, both
    /// sides continue from it. Buffered messages before `next_receive` are
    /// dropped.
    pub fn set_sequences(&mut self, next_send: u16, next_receive: u16) {
        self.next_send = next_send;
        self.next_receive = next_receive;
        self.peer_flight_start = next_receive;
        self.incoming.retain(|m| {
            m.seq >= next_receive && u32::from(m.seq) < u32::from(next_receive) + MAX_MESSAGES_AHEAD
        });
    }

    pub fn next_receive_seq(&self) -> u16 {
        self.next_receive
    }

    pub fn next_send_seq(&self) -> u16 {
        self.next_send
    }
}

/// Groups sealed records into datagrams of at most `mtu` bytes, in order;
/// with packing off one record per datagram. Records longer than the MTU go
/// alone.
pub(crate) fn pack_datagrams(records: Vec<Bytes>, mtu: usize, packing: bool) -> Vec<Bytes> {
    if !packing {
        return records;
    }
    let mut out = Vec::new();
    let mut group: Vec<Bytes> = Vec::new();
    let mut group_len = 0;
    let flush = |group: &mut Vec<Bytes>, out: &mut Vec<Bytes>| match group.len() {
        0 => {}
        1 => out.extend(group.pop()),
        _ => {
            let mut d = BytesMut::with_capacity(group.iter().map(Bytes::len).sum());
            for r in group.drain(..) {
                d.extend_from_slice(&r);
            }
            out.push(d.freeze());
        }
    };
    for record in records {
        if !group.is_empty() && group_len + record.len() > mtu {
            flush(&mut group, &mut out);
            group_len = 0;
        }
        group_len += record.len();
        group.push(record);
    }
    flush(&mut group, &mut out);
    out
}

#[cfg(test)]
#[path = "datagram_tests.rs"]
mod tests;

/// Not API: DTLS reassembly for the fuzz targets, reached through
/// `embertls::__testing`.
#[doc(hidden)]
pub mod testing {
    use alloc::vec::Vec;

    use super::{DatagramHandshake, FlightItem, Received, DEFAULT_MAX_MESSAGE_LEN};
    use crate::config::DtlsOptions;
    use crate::error::Error;

    /// A receiving `DatagramHandshake` (the engine's DTLS reassembly).
    pub struct DtlsReassembly(DatagramHandshake);

    impl DtlsReassembly {
        /// Largest message accepted.
        pub const MAX_MESSAGE_LEN: usize = DEFAULT_MAX_MESSAGE_LEN;

        pub fn new(max_buffering: usize) -> Self {
            let options = DtlsOptions {
                max_buffering,
                ..DtlsOptions::default()
            };
            Self(DatagramHandshake::new(&options))
        }

        /// `"progress"`, `"retransmission"` or `"ignored"`.
        pub fn receive(&mut self, epoch: u16, payload: &[u8]) -> Result<&'static str, Error> {
            Ok(match self.0.receive(epoch, payload)? {
                Received::Progress => "progress",
                Received::Retransmission => "retransmission",
                Received::Ignored => "ignored",
            })
        }

        /// The next message in transcript form (12-byte header).
        pub fn next_message(&mut self) -> Option<(u8, Vec<u8>)> {
            self.0.next_message().map(|(typ, m)| (typ.0, m))
        }

        pub fn buffered_bytes(&self) -> usize {
            self.0.buffered_bytes()
        }

        pub fn has_partial(&self) -> bool {
            self.0.has_partial()
        }

        pub fn next_receive_seq(&self) -> u16 {
            self.0.next_receive_seq()
        }

        pub fn set_sequences(&mut self, next_send: u16, next_receive: u16) {
            self.0.set_sequences(next_send, next_receive)
        }

        /// We answer: the messages taken so far are the flight answered.
        pub fn begin_flight(&mut self) {
            self.0.begin_flight()
        }

        /// A renegotiation starts: message_seq from 0 again.
        pub fn restart_sequences(&mut self) {
            self.0.restart_sequences()
        }
    }

    /// A TLS-form message as message `seq`, fragmented for records of at
    /// most `max_payload` bytes: the record payloads.
    pub fn fragment_message(encoded_tls: &[u8], seq: u16, max_payload: usize) -> Vec<Vec<u8>> {
        let mut h = DatagramHandshake::new(&DtlsOptions::default());
        h.set_sequences(seq, 0);
        let message = h.prepare(encoded_tls);
        h.push(FlightItem::Handshake { epoch: 0, message });
        h.flight_payloads(|_| max_payload)
            .into_iter()
            .map(|(_, _, p)| p)
            .collect()
    }
}
