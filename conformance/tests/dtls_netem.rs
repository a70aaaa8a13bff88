//! DTLS 1.2 handshakes over the seeded network emulator: loss, reordering,
//! duplication, black holes, MTUs and datagram packing, in virtual time.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use embertls::error::Error;
use embertls::session::RotatingTicketer;
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

#[test]
fn handshakes_survive_loss_reordering_and_duplication() {
    let (mut lost, mut duplicated, mut reordered, mut retransmissions) = (0, 0, 0, 0);
    let mut slowest = Instant::ZERO;
    for seed in 0..40u64 {
        for mode in Mode::ALL {
            for key in ["p256", "rsa"] {
                let what = format!("seed {seed} {mode:?} {key}");
                let (client, server) = dtls_configs(mode, key);
                let give_up = give_up_after(&client.common.dtls);
                let mut net = Netem::new(client, server, Some("localhost"), seed).unwrap();
                net.impair(Impairments::lossy(0.3));
                net.run_handshake()
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                // Before one flight could have given up (the configured
                // waits from min to max, in all).
                for side in [Side::Client, Side::Server] {
                    let done = net.stats(side).handshake_complete_at.unwrap();
                    assert!(done < Instant::ZERO + give_up, "{what}: {done:?}");
                    slowest = slowest.max(done);
                }
                for s in &net.log {
                    match s.fate {
                        Fate::Lost => lost += 1,
                        Fate::Duplicated => duplicated += 1,
                        Fate::Reordered => reordered += 1,
                        _ => {}
                    }
                }
                retransmissions +=
                    net.client_stats.retransmissions + net.server_stats.retransmissions;
                // Data on a path that still duplicates and reorders.
                net.c2s.loss = 0.0;
                net.s2c.loss = 0.0;
                net.c2s.duplicate = 0.5;
                net.s2c.duplicate = 0.5;
                net.exchange_data(8, &what);
            }
        }
    }
    // The impairments did happen.
    assert!(lost > 100 && duplicated > 50 && reordered > 50 && retransmissions > 100);
    assert!(slowest > secs(5), "some handshakes needed several resends");
}

#[test]
fn retransmission_schedule_into_a_black_hole() {
    let (mut client, server) = dtls_configs(Mode::Direct, "p256");
    client.common.dtls.handshake_timeout_min = Duration::from_secs(1);
    client.common.dtls.handshake_timeout_max = Duration::from_secs(8);
    let mut net = Netem::new(client, server, Some("localhost"), 1).unwrap();
    net.s2c = Impairments::black_hole();
    assert_eq!(net.run_until(|_| false), Stop::Idle);
    let sent: Vec<_> = net.sent_by(Side::Client).collect();
    let times: Vec<Instant> = sent.iter().map(|s| s.at).collect();
    assert_eq!(times, [secs(0), secs(1), secs(3), secs(7)]);
    for s in &sent {
        let records = wire_records(&s.bytes, 0);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].handshake_type(), Some(1), "ClientHello");
    }
    // The same ClientHello each time, in a fresh record.
    let seqs: Vec<u64> = sent
        .iter()
        .map(|s| wire_records(&s.bytes, 0)[0].sequence)
        .collect();
    assert_eq!(seqs, [0, 1, 2, 3]);
    let bodies: Vec<_> = sent
        .iter()
        .map(|s| wire_records(&s.bytes, 0)[0].body.clone())
        .collect();
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(
        net.client_stats.retransmit_times,
        [secs(1), secs(3), secs(7)]
    );
    assert!(matches!(
        net.client_stats.error,
        Some(Error::HandshakeTimeout)
    ));
    assert_eq!(net.client_stats.error_at, Some(secs(15)));
    // The server answered each hello statelessly and keeps no timer.
    assert_eq!(net.server_stats.datagrams_sent, 4);
    assert_eq!(net.server.poll_timeout(), None);
}

/// Whether a datagram (without CIDs) holds a ChangeCipherSpec.
fn has_ccs(datagram: &[u8]) -> bool {
    wire_records(datagram, 0)
        .iter()
        .any(|r| r.content_type == 20)
}

#[test]
fn lost_last_flight_is_resent_when_the_peer_retransmits() {
    for mode in Mode::ALL {
        let (client, server) = dtls_configs(mode, "p256");
        let mut net = Netem::new(client, server, Some("localhost"), 2).unwrap();
        let mut dropped = false;
        net.filter = Some(Box::new(move |s| {
            let drop = s.from == Side::Server && !dropped && has_ccs(&s.bytes);
            dropped |= drop;
            drop
        }));
        net.run_handshake()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let server_final: Vec<_> = net
            .sent_by(Side::Server)
            .filter(|s| has_ccs(&s.bytes))
            .collect();
        assert_eq!(server_final.len(), 2, "{mode:?}: sent, lost, sent again");
        assert_eq!(server_final[0].fate, Fate::Filtered);
        assert!(
            !server_final[1].on_timeout,
            "resent on the client's retransmission"
        );
        // The client's flight timer (1 s) fired once; the server's never.
        assert_eq!(net.client_stats.retransmissions, 1, "{mode:?}");
        assert_eq!(net.server_stats.retransmissions, 0, "{mode:?}");
        let client_retransmit = net.client_stats.retransmit_times[0];
        assert_eq!(
            server_final[1].at,
            client_retransmit + Duration::from_millis(10)
        );
        net.exchange_data(3, &format!("{mode:?}"));
    }
}

#[test]
fn small_mtu_fragments_the_certificate_flight() {
    for mode in Mode::ALL {
        let (mut client, mut server) = dtls_configs(mode, "rsa");
        client.common.dtls.mtu = 300;
        server.common.dtls.mtu = 300;
        let mut net = Netem::new(client, server, Some("localhost"), 3).unwrap();
        net.impair(Impairments {
            mtu: Some(300),
            ..Impairments::default()
        });
        // After the cookie exchange, both sides lower the MTU.
        let stop = net.run_until(|n| n.server_stats.datagrams_sent >= 1);
        assert_eq!(stop, Stop::Done);
        net.client.set_mtu(220).unwrap();
        net.server.set_mtu(220).unwrap();
        let changed_at = net.log.len();
        net.run_handshake()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert!(net.log.iter().all(|s| s.bytes.len() <= 300));
        assert!(
            net.log[changed_at..].iter().all(|s| s.bytes.len() <= 220),
            "{mode:?}"
        );
        assert!(net.log.iter().all(|s| s.fate == Fate::Delivered));
        // The Certificate (type 11) went in several fragments.
        let fragments = net
            .sent_by(Side::Server)
            .flat_map(|s| wire_records(&s.bytes, 0))
            .filter(|r| r.handshake_type() == Some(11))
            .count();
        assert!(fragments > 3, "{mode:?}: {fragments} fragments");
        assert!(net.client.max_out_record_payload() + net.client.record_expansion() <= 220);
        net.exchange_data(3, &format!("{mode:?}"));
    }
}

#[test]
fn path_mtu_below_the_configured_one_times_out() {
    let (mut client, mut server) = dtls_configs(Mode::Direct, "rsa");
    for common in [&mut client.common, &mut server.common] {
        common.dtls.handshake_timeout_min = Duration::from_secs(1);
        common.dtls.handshake_timeout_max = Duration::from_secs(4);
    }
    let mut net = Netem::new(client, server, Some("localhost"), 4).unwrap();
    net.impair(Impairments {
        mtu: Some(300),
        ..Impairments::default()
    });
    assert_eq!(net.run_until(|_| false), Stop::Idle);
    assert!(matches!(
        net.client_stats.error,
        Some(Error::HandshakeTimeout)
    ));
    assert!(net.client_stats.handshake_complete_at.is_none());
    assert!(net.sent_by(Side::Server).any(|s| s.fate == Fate::TooBig));
    assert!(net.sent_by(Side::Client).all(|s| s.fate == Fate::Delivered));
}

#[test]
fn datagram_packing_sends_fewer_datagrams() {
    let mut counts = Vec::new();
    for packing in [true, false] {
        let (mut client, mut server) = dtls_configs(Mode::Direct, "p256");
        client.common.dtls.datagram_packing = packing;
        server.common.dtls.datagram_packing = packing;
        let mut net = Netem::new(client, server, Some("localhost"), 5).unwrap();
        net.run_handshake().unwrap();
        let server_sent: Vec<_> = net.sent_by(Side::Server).collect();
        if !packing {
            assert!(server_sent
                .iter()
                .all(|s| wire_records(&s.bytes, 0).len() == 1));
        } else {
            assert!(server_sent
                .iter()
                .any(|s| wire_records(&s.bytes, 0).len() > 1));
        }
        let records: usize = server_sent
            .iter()
            .map(|s| wire_records(&s.bytes, 0).len())
            .sum();
        counts.push((server_sent.len(), records));
    }
    let (packed, unpacked) = (counts[0], counts[1]);
    assert_eq!(packed.1, unpacked.1, "the same records either way");
    assert!(packed.0 < unpacked.0, "{counts:?}");
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
        net.exchange_data(2, &format!("{mode:?}"));
    }
}

/// Regression: the client stopped its retransmission timer on the first
/// message of the server's last flight. With the NewSessionTicket delivered
/// and the Finished lost, neither side resent anything: the server had
/// finished and only answers retransmissions. The client keeps its timer
/// until the server's flight is complete, so its resend fetches the
/// Finished again.
#[test]
fn last_flight_partly_lost_is_recovered_by_the_client_timer() {
    for mode in Mode::ALL {
        let (mut client, mut server) = dtls_configs(mode, "p256");
        client.resumption = true;
        server.ticketer = Some(Arc::new(
            RotatingTicketer::new(&server.common.provider, 3600).unwrap(),
        ));
        // One record per datagram, so the Finished travels alone.
        server.common.dtls.datagram_packing = false;
        let mut net = Netem::new(client, server, Some("localhost"), 3).unwrap();
        let mut dropped = false;
        net.filter = Some(Box::new(move |s| {
            let encrypted_handshake = wire_records(&s.bytes, 0)
                .iter()
                .any(|r| r.content_type == 22 && r.epoch == 1);
            let drop = s.from == Side::Server && !dropped && encrypted_handshake;
            dropped |= drop;
            drop
        }));
        net.run_handshake()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let ticket_sent = net.sent_by(Side::Server).any(|s| {
            wire_records(&s.bytes, 0)
                .iter()
                .any(|r| r.handshake_type() == Some(4))
        });
        assert!(
            ticket_sent,
            "{mode:?}: the last flight starts with a ticket"
        );
        let finished: Vec<_> = net
            .sent_by(Side::Server)
            .filter(|s| {
                wire_records(&s.bytes, 0)
                    .iter()
                    .any(|r| r.content_type == 22 && r.epoch == 1)
            })
            .collect();
        assert_eq!(finished.len(), 2, "{mode:?}: sent, lost, sent again");
        assert_eq!(finished[0].fate, Fate::Filtered);
        assert_eq!(net.client_stats.retransmissions, 1, "{mode:?}");
        assert_eq!(net.server_stats.retransmissions, 0, "{mode:?}");
        net.exchange_data(2, &format!("{mode:?}"));
    }
}
