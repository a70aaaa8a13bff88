//! DTLS 1.2 session resumption (by ticket and by session id) and
//! renegotiation, over the seeded network emulator with loss, reordering
//! and duplication.

use std::sync::Arc;
use std::time::Duration;

use embertls::msgs::enums::ProtocolVersion;
use embertls::session::{LruSessionCache, Session};
use embertls::{ClientConfig, Connection, Instant, ServerConfig, Side};
use embertls_conformance::testkit::netem::{dtls_configs, wire_records, Impairments, Netem, Stop};
use embertls_conformance::testkit::Mode;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Resumption {
    Ticket,
    SessionId,
}

fn configs(mode: Mode, by: Resumption) -> (ClientConfig, ServerConfig) {
    let (mut client, mut server) = dtls_configs(mode, "p256");
    client.resumption = true;
    match by {
        Resumption::Ticket => {
            server.ticketer = Some(mode.ticketer(&server.common.provider));
            server.session_cache = None;
        }
        Resumption::SessionId => {
            server.ticketer = None;
            server.session_cache = Some(Arc::new(LruSessionCache::new(16, 3600)));
        }
    }
    (client, server)
}

/// A handshake between fresh connections on a path with `loss`; the client
/// offers `session` when given.
fn handshake(
    client: &ClientConfig,
    server: &Arc<ServerConfig>,
    session: Option<Session>,
    loss: f64,
    seed: u64,
) -> Netem {
    let client = Connection::client_with_session(
        Arc::new(client.clone()),
        Some("localhost"),
        session,
        Instant::ZERO,
    )
    .unwrap();
    let server = Connection::server(server.clone(), Instant::ZERO).unwrap();
    let mut net = Netem::with_connections(client, server, seed);
    net.impair(Impairments::lossy(loss));
    net.run_handshake()
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    net.impair(Impairments::default());
    net
}

/// Whether any datagram the server sent carried a Certificate message.
fn server_sent_certificate(net: &Netem) -> bool {
    net.sent_by(Side::Server).any(|s| {
        wire_records(&s.bytes, 0)
            .iter()
            .any(|r| r.handshake_type() == Some(11))
    })
}

#[test]
fn resumption_over_a_lossy_path() {
    let mut resends = 0;
    for by in [Resumption::Ticket, Resumption::SessionId] {
        for mode in Mode::ALL {
            for seed in 0..6u64 {
                let what = format!("{by:?} {mode:?} seed {seed}");
                let (client, server) = configs(mode, by);
                let server = Arc::new(server);
                let mut first = handshake(&client, &server, None, 0.2, seed);
                assert!(!first.client.resumed(), "{what}");
                first.exchange_data(2, &what);
                let session = first
                    .client_stats
                    .sessions
                    .last()
                    .cloned()
                    .unwrap_or_else(|| panic!("{what}: no session"));
                assert_eq!(session.version(), ProtocolVersion::DTLSv1_2, "{what}");
                assert_eq!(session.has_ticket(), by == Resumption::Ticket, "{what}");
                // Through bytes, as a device keeps it across a reboot.
                let session = Session::from_bytes(&session.to_bytes()).unwrap();

                let mut second = handshake(&client, &server, Some(session), 0.2, seed + 100);
                assert!(second.client.resumed() && second.server.resumed(), "{what}");
                assert!(!server_sent_certificate(&second), "{what}: abbreviated");
                resends +=
                    second.client_stats.retransmissions + second.server_stats.retransmissions;
                second.exchange_data(3, &what);
            }
        }
    }
    assert!(resends > 5, "the losses hit the abbreviated handshakes");
}

/// A DTLS session is not offered on a TLS connection, nor the other way
/// round: the record layers differ, so the handshake is a full one.
#[test]
fn sessions_do_not_cross_transports() {
    let (client, server) = configs(Mode::Direct, Resumption::Ticket);
    let server = Arc::new(server);
    let first = handshake(&client, &server, None, 0.0, 1);
    let dtls_session = first.client_stats.sessions.last().cloned().unwrap();

    let mut tls_client = client.clone();
    tls_client.common.transport = embertls::config::Transport::Stream;
    let mut tls_server = (*server).clone();
    tls_server.common.transport = embertls::config::Transport::Stream;
    let mut pair = embertls_conformance::testkit::pair::Pair::with_session(
        tls_client,
        tls_server,
        Some("localhost"),
        Some(dtls_session),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert!(!pair.client.resumed() && !pair.server.resumed());
    let tls_session = pair.client_log.sessions.pop().unwrap();
    assert_eq!(tls_session.version(), ProtocolVersion::TLSv1_2);

    let second = handshake(&client, &server, Some(tls_session), 0.0, 2);
    assert!(!second.client.resumed() && !second.server.resumed());
}

#[test]
fn renegotiation_over_a_lossy_path() {
    let mut resends = 0;
    for client_starts in [true, false] {
        for mode in Mode::ALL {
            for seed in 0..6u64 {
                let what = format!("client starts {client_starts} {mode:?} seed {seed}");
                let (mut client, mut server) = dtls_configs(mode, "p256");
                client.common.tls12.renegotiation.enabled = true;
                server.common.tls12.renegotiation.enabled = true;
                let mut net = handshake(&client, &Arc::new(server), None, 0.0, seed);
                let exporter = |conn: &Connection| {
                    let mut k = [0u8; 16];
                    conn.export_keying_material(&mut k, b"EXPORTER-test", None)
                        .unwrap();
                    k
                };
                let before = exporter(&net.client);
                net.impair(Impairments::lossy(0.25));
                if client_starts {
                    net.client.renegotiate().unwrap();
                } else {
                    net.server.renegotiate().unwrap();
                }
                let stop = net.run_until(|n| {
                    (n.client_stats.renegotiations == 1 && n.server_stats.renegotiations == 1)
                        || n.client_stats.error.is_some()
                        || n.server_stats.error.is_some()
                });
                assert_eq!(
                    stop,
                    Stop::Done,
                    "{what}: client {} / server {}",
                    net.client.handshake_state(),
                    net.server.handshake_state()
                );
                net.assert_no_errors(&what);
                let after = exporter(&net.client);
                assert_ne!(before, after, "{what}: new keys");
                assert_eq!(after, exporter(&net.server), "{what}");
                resends += net.client_stats.retransmissions + net.server_stats.retransmissions;
                net.impair(Impairments::default());
                net.exchange_data(3, &what);
            }
        }
    }
    assert!(resends > 5, "the losses hit the renegotiations");
}

/// A client that does not renegotiate answers a HelloRequest with a
/// warning no_renegotiation; the server stops resending its request and the
/// connection goes on (well past the retransmission give-up time).
#[test]
fn declined_renegotiation_stops_the_hello_request_resends() {
    let (client, mut server) = dtls_configs(Mode::Direct, "p256");
    server.common.tls12.renegotiation.enabled = true;
    server
        .common
        .tls12
        .renegotiation
        .max_records_before_renegotiation = None;
    let mut net = handshake(&client, &Arc::new(server), None, 0.0, 5);
    let sent_before = net.server_stats.datagrams_sent;
    net.server.renegotiate().unwrap();
    let quiet = net.now + Duration::from_secs(200);
    assert_eq!(net.run_until(|n| n.now >= quiet), Stop::Idle);
    net.assert_no_errors("declined renegotiation");
    // The HelloRequest once; the client's refusal stopped the timer.
    assert_eq!(net.server_stats.datagrams_sent, sent_before + 1);
    assert_eq!(net.server_stats.retransmissions, 0);
    assert_eq!(net.client_stats.renegotiations, 0);
    net.exchange_data(3, "after the refusal");
}

/// Connection IDs and the DTLS-SRTP profile stay as negotiated across a
/// renegotiation, and data then still travels in `tls12_cid` records. (The
/// renegotiating ClientHello offers both again, as the first did, for peers
/// that negotiate them per handshake; our own sides keep them either way.)
#[test]
fn renegotiation_keeps_connection_ids_and_srtp() {
    use embertls::config::SrtpProfile;
    for client_starts in [true, false] {
        let (mut client, mut server) = dtls_configs(Mode::Direct, "p256");
        for common in [&mut client.common, &mut server.common] {
            common.tls12.renegotiation.enabled = true;
            common.dtls.own_cid_len = Some(4);
        }
        client.common.dtls.srtp.profiles = vec![SrtpProfile::AES128_CM_HMAC_SHA1_80];
        server.common.dtls.srtp.profiles = vec![SrtpProfile::AES128_CM_HMAC_SHA1_80];
        let mut net = handshake(&client, &Arc::new(server), None, 0.0, 9);
        let before = (
            net.client.peer_cid().map(<[u8]>::to_vec),
            net.server.peer_cid().map(<[u8]>::to_vec),
        );
        assert!(before.0.is_some() && before.1.is_some());
        if client_starts {
            net.client.renegotiate().unwrap();
        } else {
            net.server.renegotiate().unwrap();
        }
        let stop = net.run_until(|n| n.client_stats.renegotiations == 1);
        assert_eq!(stop, Stop::Done, "client starts {client_starts}");
        assert_eq!(net.settle(), Stop::Done);
        for conn in [&net.client, &net.server] {
            assert_eq!(
                conn.srtp_profile(),
                Some(SrtpProfile::AES128_CM_HMAC_SHA1_80)
            );
        }
        assert_eq!(
            (
                net.client.peer_cid().map(<[u8]>::to_vec),
                net.server.peer_cid().map(<[u8]>::to_vec),
            ),
            before
        );
        net.exchange_data(2, "after renegotiation");
        // The data went in tls12_cid records.
        let last = net.log.last().unwrap();
        assert!(wire_records(&last.bytes, 4)
            .iter()
            .all(|r| r.content_type == 25));
    }
}
