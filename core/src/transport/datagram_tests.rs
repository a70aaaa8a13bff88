use super::*;
use alloc::vec;

fn options() -> DtlsOptions {
    DtlsOptions::default()
}

/// A small deterministic generator for shuffles.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

fn tls_message(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![typ];
    m.put_u24(body.len() as u32);
    m.extend_from_slice(body);
    m
}

fn fragment(typ: u8, length: usize, seq: u16, offset: usize, data: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    put_dtls_header(&mut p, typ, length, seq, offset, data.len());
    p.extend_from_slice(data);
    p
}

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn to_dtls_form_layout() {
    let m = to_dtls_form(&tls_message(11, &[1, 2, 3, 4, 5]), 0x0102);
    assert_eq!(
        m,
        [11, 0, 0, 5, 0x01, 0x02, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5]
    );
    // Empty body (ServerHelloDone) and malformed input do not panic.
    assert_eq!(
        to_dtls_form(&[14, 0, 0, 0], 3),
        [14, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(to_dtls_form(&[], 0).len(), DTLS_HANDSHAKE_HEADER_LEN);
}

#[test]
fn prepare_assigns_sequence_numbers() {
    let mut h = DatagramHandshake::new(&options());
    h.set_sequences(1, 1);
    let a = h.prepare(&tls_message(2, b"x"));
    let b = h.prepare(&tls_message(11, b"yz"));
    assert_eq!(&a[4..6], &[0, 1]);
    assert_eq!(&b[4..6], &[0, 2]);
    assert_eq!(h.next_send_seq(), 3);
}

/// Sends a 5,000-byte message through `flight_payloads` at several MTUs and
/// reassembles it from shuffled, duplicated and overlapping fragments.
#[test]
fn fragmentation_and_reassembly_in_random_order() {
    let data = body(5000);
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for max_payload in [13usize, 100, 256, 576, 1200, 1400, 6000] {
        let mut tx = DatagramHandshake::new(&options());
        let message = tx.prepare(&tls_message(11, &data));
        tx.begin_flight();
        tx.push(FlightItem::Handshake {
            epoch: 0,
            message: message.clone(),
        });
        let payloads = tx.flight_payloads(|_| max_payload);
        let expected = 5000usize.div_ceil(max_payload.saturating_sub(12).max(1));
        assert_eq!(payloads.len(), expected, "max_payload {max_payload}");
        for (epoch, ct, p) in &payloads {
            assert_eq!((*epoch, *ct), (0, ContentType::Handshake));
            assert!(p.len() <= max_payload.max(13));
        }
        // Shuffle, repeat some, and add overlapping fragments cut at other
        // boundaries.
        let mut records: Vec<Vec<u8>> = payloads.into_iter().map(|(_, _, p)| p).collect();
        let dups: Vec<Vec<u8>> = records.iter().step_by(3).cloned().collect();
        records.extend(dups);
        for _ in 0..5 {
            let start = rng.below(5000);
            let len = rng.below(5000 - start).min(900);
            records.push(fragment(11, 5000, 0, start, &data[start..start + len]));
        }
        rng.shuffle(&mut records);
        let mut rx = DatagramHandshake::new(&options());
        let mut out = None;
        for r in &records {
            rx.receive(0, r).unwrap();
            if let Some(m) = rx.next_message() {
                assert!(out.is_none());
                out = Some(m);
            }
        }
        let (typ, transcript) = out.expect("message reassembled");
        assert_eq!(typ, HandshakeType::Certificate);
        assert_eq!(transcript, message);
        assert_eq!(rx.next_receive_seq(), 1);
        assert!(!rx.has_partial());
        assert_eq!(rx.buffered_bytes(), 0);
    }
}

#[test]
fn several_fragments_in_one_record_and_empty_messages() {
    let mut rx = DatagramHandshake::new(&options());
    let mut record = fragment(2, 3, 0, 0, b"abc");
    record.extend(fragment(14, 0, 1, 0, b""));
    assert_eq!(rx.receive(0, &record).unwrap(), Received::Progress);
    assert_eq!(rx.next_message().unwrap().0, HandshakeType::ServerHello);
    let (typ, m) = rx.next_message().unwrap();
    assert_eq!(typ, HandshakeType::ServerHelloDone);
    assert_eq!(m, [14, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    assert!(rx.next_message().is_none());
}

#[test]
fn out_of_order_messages_are_released_in_order() {
    let mut rx = DatagramHandshake::new(&options());
    for seq in [3u16, 1, 2] {
        let b = [seq as u8; 10];
        assert_eq!(
            rx.receive(0, &fragment(seq as u8 + 10, 10, seq, 0, &b))
                .unwrap(),
            Received::Progress
        );
        assert!(rx.next_message().is_none());
    }
    assert_eq!(rx.buffered_bytes(), 30);
    rx.receive(0, &fragment(10, 10, 0, 0, &[0; 10])).unwrap();
    for seq in 0..4u16 {
        let (typ, m) = rx.next_message().unwrap();
        assert_eq!(typ.0, seq as u8 + 10);
        assert_eq!(&m[4..6], &seq.to_be_bytes());
    }
    assert!(rx.next_message().is_none());
    assert_eq!(rx.buffered_bytes(), 0);
}

#[test]
fn buffering_budget_drops_then_accepts_retransmission() {
    let mut opts = options();
    opts.max_buffering = 1000;
    let mut rx = DatagramHandshake::new(&opts);
    let big = body(600);
    // Future messages: the first fits, the second does not and is dropped.
    assert_eq!(
        rx.receive(0, &fragment(11, 600, 1, 0, &big)).unwrap(),
        Received::Progress
    );
    assert_eq!(
        rx.receive(0, &fragment(12, 600, 2, 0, &big)).unwrap(),
        Received::Ignored
    );
    assert_eq!(rx.buffered_bytes(), 600);
    // A future message larger than the whole budget is never buffered.
    assert_eq!(
        rx.receive(0, &fragment(13, 1500, 3, 0, &body(100)))
            .unwrap(),
        Received::Ignored
    );
    // The expected message is always accepted.
    assert_eq!(
        rx.receive(0, &fragment(2, 300, 0, 0, &body(300))).unwrap(),
        Received::Progress
    );
    assert_eq!(rx.next_message().unwrap().0, HandshakeType::ServerHello);
    assert_eq!(rx.next_message().unwrap().0, HandshakeType::Certificate);
    // The retransmitted dropped message is now accepted.
    assert_eq!(
        rx.receive(0, &fragment(12, 600, 2, 0, &big)).unwrap(),
        Received::Progress
    );
    assert_eq!(
        rx.next_message().unwrap().0,
        HandshakeType::ServerKeyExchange
    );
    // Now the 1,500-byte message is the expected one: accepted in fragments.
    let b = body(1500);
    rx.receive(0, &fragment(13, 1500, 3, 700, &b[700..]))
        .unwrap();
    assert!(rx.has_partial());
    assert!(rx.next_message().is_none());
    rx.receive(0, &fragment(13, 1500, 3, 0, &b[..700])).unwrap();
    let (_, m) = rx.next_message().unwrap();
    assert_eq!(&m[12..], &b[..]);
}

#[test]
fn expected_message_evicts_later_ones_over_budget() {
    let mut opts = options();
    opts.max_buffering = 1000;
    let mut rx = DatagramHandshake::new(&opts);
    rx.receive(0, &fragment(11, 400, 1, 0, &body(400))).unwrap();
    rx.receive(0, &fragment(12, 400, 2, 0, &body(400))).unwrap();
    rx.receive(0, &fragment(2, 500, 0, 0, &body(10))).unwrap();
    // Message 2 went; message 1 stays.
    assert_eq!(rx.buffered_bytes(), 900);
    assert!(rx.buffered_bytes() <= opts.max_buffering);
}

#[test]
fn far_future_messages_are_ignored() {
    let mut rx = DatagramHandshake::new(&options());
    assert_eq!(
        rx.receive(0, &fragment(1, 1, 8, 0, &[0])).unwrap(),
        Received::Ignored
    );
    assert_eq!(
        rx.receive(0, &fragment(1, 1, 7, 0, &[0])).unwrap(),
        Received::Progress
    );
}

#[test]
fn last_message_of_the_answered_flight_again_is_a_retransmission() {
    let mut rx = DatagramHandshake::new(&options());
    let m0 = fragment(1, 4, 0, 0, b"abcd");
    assert_eq!(rx.receive(0, &m0).unwrap(), Received::Progress);
    // Repeated before being taken: a duplicate, nothing new.
    assert_eq!(rx.receive(0, &m0).unwrap(), Received::Ignored);
    rx.next_message().unwrap();
    // Taken, but our answer has not begun: a copy from the flight we are
    // still receiving.
    assert_eq!(rx.receive(0, &m0).unwrap(), Received::Ignored);
    rx.begin_flight();
    assert_eq!(rx.receive(0, &m0).unwrap(), Received::Retransmission);
    // A record with old and new fragments counts as progress.
    let mut both = m0.clone();
    both.extend(fragment(2, 2, 1, 0, b"xy"));
    assert_eq!(rx.receive(0, &both).unwrap(), Received::Progress);
}

#[test]
fn stateless_cookie_exchange_continues_sequences() {
    let mut rx = DatagramHandshake::new(&options());
    rx.receive(0, &fragment(1, 2, 0, 0, b"ab")).unwrap();
    rx.receive(0, &fragment(1, 2, 2, 0, b"cd")).unwrap();
    rx.set_sequences(1, 1);
    assert_eq!(rx.buffered_bytes(), 2);
    assert_eq!(rx.next_receive_seq(), 1);
    assert!(rx.next_message().is_none());
    rx.receive(0, &fragment(1, 2, 1, 0, b"ef")).unwrap();
    assert_eq!(&rx.next_message().unwrap().1[4..6], &[0, 1]);
    assert_eq!(&rx.next_message().unwrap().1[4..6], &[0, 2]);
}

#[test]
fn fragments_at_another_epoch_are_ignored() {
    let mut rx = DatagramHandshake::new(&options());
    rx.receive(1, &fragment(20, 4, 0, 0, b"ab")).unwrap();
    assert_eq!(
        rx.receive(0, &fragment(20, 4, 0, 2, b"cd")).unwrap(),
        Received::Ignored
    );
    rx.receive(1, &fragment(20, 4, 0, 2, b"cd")).unwrap();
    let (epoch, typ, m) = rx.next_message_with_epoch().unwrap();
    assert_eq!((epoch, typ), (1, HandshakeType::Finished));
    assert_eq!(&m[12..], b"abcd");
}

#[test]
fn inconsistent_fragments_are_errors() {
    let bad = |e: InvalidMessage| Err(Error::InvalidMessage(e));
    let mut rx = DatagramHandshake::new(&options());
    assert_eq!(rx.receive(0, &[]), bad(InvalidMessage::EmptyRecord));
    // Fragment beyond the message length.
    assert_eq!(
        rx.receive(0, &fragment(1, 4, 0, 3, b"ab")),
        bad(InvalidMessage::BadLength)
    );
    // Truncated header and truncated fragment.
    assert_eq!(
        rx.receive(0, &[1, 0, 0, 4, 0]),
        bad(InvalidMessage::Truncated)
    );
    let mut cut = fragment(1, 4, 0, 0, b"abcd");
    cut.pop();
    assert_eq!(rx.receive(0, &cut), bad(InvalidMessage::Truncated));
    // Too large.
    assert_eq!(
        rx.receive(0, &fragment(11, 64 * 1024 + 1, 0, 0, b"a")),
        bad(InvalidMessage::TooLarge)
    );
    // Same message_seq, different length or type.
    rx.receive(0, &fragment(1, 4, 0, 0, b"ab")).unwrap();
    assert!(matches!(
        rx.receive(0, &fragment(1, 5, 0, 2, b"cd")),
        Err(Error::InvalidMessage(InvalidMessage::IllegalValue(_)))
    ));
    assert!(matches!(
        rx.receive(0, &fragment(2, 4, 0, 2, b"cd")),
        Err(Error::InvalidMessage(InvalidMessage::IllegalValue(_)))
    ));
    // Every prefix of a valid record either fails or makes no claim beyond
    // what it holds; none panics.
    let whole = fragment(1, 4, 0, 0, b"abcd");
    for cut in 0..whole.len() {
        let mut rx = DatagramHandshake::new(&options());
        let _ = rx.receive(0, &whole[..cut]);
        assert!(rx.next_message().is_none());
    }
}

#[test]
fn flight_payloads_keep_order_epochs_and_ccs() {
    let mut tx = DatagramHandshake::new(&options());
    tx.begin_flight();
    let cke = tx.prepare(&tls_message(16, &body(50)));
    let fin = tx.prepare(&tls_message(20, &body(12)));
    tx.push(FlightItem::Handshake {
        epoch: 0,
        message: cke,
    });
    tx.push(FlightItem::ChangeCipherSpec { epoch: 0 });
    tx.push(FlightItem::Handshake {
        epoch: 1,
        message: fin.clone(),
    });
    assert!(tx.has_flight());
    let p = tx.flight_payloads(|epoch| if epoch == 0 { 42 } else { 100 });
    let kinds: Vec<(u16, ContentType, usize)> =
        p.iter().map(|(e, c, b)| (*e, *c, b.len())).collect();
    assert_eq!(
        kinds,
        [
            (0, ContentType::Handshake, 42),
            (0, ContentType::Handshake, 32),
            (0, ContentType::ChangeCipherSpec, 1),
            (1, ContentType::Handshake, 24),
        ]
    );
    assert_eq!(p[3].2, fin);
    // Offsets of the two fragments.
    assert_eq!(&p[0].2[6..12], &[0, 0, 0, 0, 0, 30]);
    assert_eq!(&p[1].2[6..12], &[0, 0, 30, 0, 0, 20]);
    tx.begin_flight();
    assert!(!tx.has_flight());
    assert!(tx.flight_payloads(|_| 100).is_empty());
}

#[test]
fn timer_doubles_up_to_max_then_gives_up() {
    let mut opts = options();
    opts.handshake_timeout_min = Duration::from_secs(1);
    opts.handshake_timeout_max = Duration::from_secs(8);
    let mut h = DatagramHandshake::new(&opts);
    let s = |secs: u64| Instant::from_millis(secs * 1000);
    assert_eq!(h.poll_timeout(), None);
    assert_eq!(h.on_timeout(s(100)), TimerAction::None);
    h.arm(s(0));
    assert_eq!(h.poll_timeout(), Some(s(1)));
    assert_eq!(h.on_timeout(Instant::from_millis(999)), TimerAction::None);
    for (at, next, wait) in [(1, 3, 2), (3, 7, 4), (7, 15, 8)] {
        assert_eq!(h.on_timeout(s(at)), TimerAction::Resend);
        assert_eq!(h.poll_timeout(), Some(s(next)));
        assert_eq!(h.current_timeout(), Duration::from_secs(wait));
    }
    assert_eq!(h.on_timeout(s(14)), TimerAction::None);
    assert_eq!(h.on_timeout(s(15)), TimerAction::GiveUp);
    assert_eq!(h.poll_timeout(), None);
    // A new flight starts from the minimum again; disarm stops the timer.
    h.arm(s(20));
    assert_eq!(h.poll_timeout(), Some(s(21)));
    assert_eq!(h.current_timeout(), Duration::from_secs(1));
    h.disarm();
    assert_eq!(h.poll_timeout(), None);
    assert_eq!(h.on_timeout(s(100)), TimerAction::None);
}

#[test]
fn timer_with_max_not_a_power_of_two_and_late_calls() {
    let mut opts = options();
    opts.handshake_timeout_min = Duration::from_secs(1);
    opts.handshake_timeout_max = Duration::from_secs(5);
    let mut h = DatagramHandshake::new(&opts);
    let s = |secs: u64| Instant::from_millis(secs * 1000);
    h.arm(s(0));
    assert_eq!(h.on_timeout(s(1)), TimerAction::Resend);
    assert_eq!(h.on_timeout(s(3)), TimerAction::Resend);
    assert_eq!(h.on_timeout(s(7)), TimerAction::Resend);
    assert_eq!(h.poll_timeout(), Some(s(12)));
    assert_eq!(h.on_timeout(s(12)), TimerAction::GiveUp);
    // A late call re-arms from the time it was made.
    h.arm(s(0));
    assert_eq!(h.on_timeout(s(10)), TimerAction::Resend);
    assert_eq!(h.poll_timeout(), Some(s(12)));
    // Zero or inverted settings stay sane.
    opts.handshake_timeout_min = Duration::ZERO;
    opts.handshake_timeout_max = Duration::ZERO;
    let mut h = DatagramHandshake::new(&opts);
    h.arm(s(0));
    assert_eq!(h.poll_timeout(), Some(Instant::from_millis(1)));
    assert_eq!(h.on_timeout(s(1)), TimerAction::GiveUp);
}

#[test]
fn packing_respects_mtu_and_order() {
    let records: Vec<Bytes> = [100usize, 200, 300, 700, 50, 1500, 20, 980]
        .iter()
        .enumerate()
        .map(|(i, &n)| Bytes::from(vec![i as u8; n]))
        .collect();
    let concat: Vec<u8> = records.iter().flat_map(|r| r.iter().copied()).collect();
    let packed = pack_datagrams(records.clone(), 1000, true);
    let sizes: Vec<usize> = packed.iter().map(Bytes::len).collect();
    assert_eq!(sizes, [600, 750, 1500, 1000]);
    for d in &packed {
        assert!(d.len() <= 1000 || d.len() == 1500);
    }
    let joined: Vec<u8> = packed.iter().flat_map(|d| d.iter().copied()).collect();
    assert_eq!(joined, concat);
    // Packing off: one record per datagram.
    let unpacked = pack_datagrams(records.clone(), 1000, false);
    assert_eq!(unpacked, records);
    assert!(pack_datagrams(Vec::new(), 1000, true).is_empty());
}

#[test]
fn only_the_last_message_of_a_resent_flight_asks_for_our_resend() {
    let mut rx = DatagramHandshake::new(&options());
    let flight: Vec<_> = (0..3u16)
        .map(|seq| fragment(11, 2, seq, 0, b"ab"))
        .collect();
    for m in &flight {
        rx.receive(0, m).unwrap();
        rx.next_message().unwrap();
    }
    rx.begin_flight();
    assert_eq!(rx.receive(0, &flight[0]).unwrap(), Received::Ignored);
    assert_eq!(rx.receive(0, &flight[1]).unwrap(), Received::Ignored);
    assert_eq!(rx.receive(0, &flight[2]).unwrap(), Received::Retransmission);
}

#[test]
fn renegotiation_restarts_message_seq() {
    let mut rx = DatagramHandshake::new(&options());
    for seq in 0..4u16 {
        rx.receive(0, &fragment(1, 1, seq, 0, b"a")).unwrap();
        rx.next_message().unwrap();
    }
    // A buffered message of the old handshake is forgotten too.
    rx.receive(0, &fragment(1, 1, 5, 0, b"z")).unwrap();
    rx.restart_sequences();
    assert_eq!(rx.next_receive_seq(), 0);
    assert_eq!(rx.buffered_bytes(), 0);
    assert_eq!(
        rx.receive(1, &fragment(1, 1, 0, 0, b"h")).unwrap(),
        Received::Progress
    );
    let (_, message) = rx.next_message().unwrap();
    assert_eq!(&message[4..6], &[0, 0], "message_seq 0");
    assert_eq!(rx.prepare(&[2, 0, 0, 0])[4..6], [0, 0]);
}
