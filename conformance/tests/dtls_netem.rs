//! DTLS 1.2 handshakes over the seeded network emulator: loss, reordering,
//! duplication, black holes, MTUs and datagram packing, in virtual time.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use embertls::error::Error;
use embertls::{Instant, Side};
use embertls_conformance::testkit::netem::{
    dtls_configs, wire_records, Fate, Impairments, Netem, Stop,
};
use embertls_conformance::testkit::Mode;

fn secs(s: u64) -> Instant {
    Instant::from_millis(s * 1000)
}

/// How long a flight is resent before the handshake gives up: the waits
/// from `handshake_timeout_min`, doubling, through one of the maximum.
fn give_up_after(dtls: &embertls::config::DtlsOptions) -> Duration {
    let (mut wait, mut total) = (dtls.handshake_timeout_min, Duration::ZERO);
    loop {
        total += wait;
        if wait >= dtls.handshake_timeout_max {
            return total;
        }
        wait = (wait * 2).min(dtls.handshake_timeout_max);
    }
}

/// Sends `count` numbered messages each way and checks that each arrives
/// exactly once and intact (the paths may still reorder and duplicate).
fn exchange_data(net: &mut Netem, count: usize, what: &str) {
    for i in 0..count {
        let c = format!("client message {i} {}", "c".repeat(i * 37));
        let s = format!("server message {i} {}", "s".repeat(i * 41));
        net.client.send(c.as_bytes()).unwrap();
        net.server.send(s.as_bytes()).unwrap();
    }
    let stop = net.run_until(|n| {
        n.client_stats.received.len() >= count && n.server_stats.received.len() >= count
    });
    assert_eq!(stop, Stop::Done, "{what}: data did not arrive");
    assert_eq!(net.settle(), Stop::Done, "{what}");
    for (side, prefix, fill) in [(Side::Server, "client", "c"), (Side::Client, "server", "s")] {
        let mut seen: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        for m in &net.stats(side).received {
            *seen.entry(m.clone()).or_default() += 1;
        }
        for i in 0..count {
            let m = format!(
                "{prefix} message {i} {}",
                fill.repeat(i * if fill == "c" { 37 } else { 41 })
            );
            assert_eq!(
                seen.remove(m.as_bytes()),
                Some(1),
                "{what}: {side:?} got message {i} not once"
            );
        }
        assert!(
            seen.is_empty(),
            "{what}: {side:?} got unexpected data {seen:?}"
        );
    }
}

/// Whether a datagram (without CIDs) holds a ChangeCipherSpec.
fn has_ccs(datagram: &[u8]) -> bool {
    wire_records(datagram, 0)
        .iter()
        .any(|r| r.content_type == 20)
}

/// Regression: the client, whose flight the server's last flight answered,
/// used to resend it when another copy of the server's last flight (a
/// retransmission, with fresh record numbers) came in late; the server
/// answered with its last flight again, and so on forever.
#[test]
fn a_late_retransmission_after_the_handshake_does_not_start_a_resend_loop() {
    for mode in Mode::ALL {
        let (client, server) = dtls_configs(mode, "p256");
        let mut net = Netem::new(client, server, Some("localhost"), 7).unwrap();
        // The server's first last flight is held back (as by a slow path).
        let held: Rc<RefCell<Option<Bytes>>> = Rc::default();
        let keep = held.clone();
        net.filter = Some(Box::new(move |s| {
            let hold = s.from == Side::Server && keep.borrow().is_none() && has_ccs(&s.bytes);
            if hold {
                *keep.borrow_mut() = Some(s.bytes.clone());
            }
            hold
        }));
        net.run_handshake().unwrap();
        assert_eq!(net.settle(), Stop::Done);
        let (c, s) = (
            net.client_stats.datagrams_sent,
            net.server_stats.datagrams_sent,
        );
        // It arrives after the client finished with the resent one.
        let late = held.borrow_mut().take().unwrap();
        net.deliver(Side::Client, &late);
        assert_eq!(net.settle(), Stop::Done);
        assert_eq!(net.client_stats.datagrams_sent, c, "{mode:?}");
        assert_eq!(net.server_stats.datagrams_sent, s, "{mode:?}");
        assert!(net.client_stats.error.is_none() && net.server_stats.error.is_none());
        exchange_data(&mut net, 2, &format!("{mode:?}"));
    }
}
