//! DTLS 1.2 between our own client and server in memory.

use embertls::config::{Transport, VersionRange};
use embertls::msgs::enums::ProtocolVersion;
use embertls_conformance::testkit::pair::{client_config, server_config, Pair};
use embertls_conformance::testkit::Mode;

fn dtls_configs(mode: Mode) -> (embertls::ClientConfig, embertls::ServerConfig) {
    let mut client = client_config(mode);
    let mut server = server_config(mode, "p256");
    for common in [&mut client.common, &mut server.common] {
        common.transport = Transport::Datagram;
        common.versions = VersionRange::TLS12_ONLY;
    }
    (client, server)
}

#[test]
fn dtls12_handshake_and_data() {
    for mode in Mode::ALL {
        let (client, server) = dtls_configs(mode);
        let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
        pair.handshake().unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(
            pair.client.protocol_version(),
            Some(ProtocolVersion::DTLSv1_2)
        );
        assert_eq!(
            pair.server.protocol_version(),
            Some(ProtocolVersion::DTLSv1_2)
        );
        pair.client.send(b"ping").unwrap();
        pair.server.send(b"pong").unwrap();
        pair.drive();
        assert_eq!(pair.server_log.received, b"ping");
        assert_eq!(pair.client_log.received, b"pong");
    }
}

/// Client and server continue in fresh `Connection`s (another process, in
/// real life) from their saved bytes; sequence numbers and replay windows
/// carry over.
#[test]
fn established_connections_survive_save_and_load() {
    use embertls::{Connection, Instant};
    use std::sync::Arc;
    for suite in [
        embertls::msgs::enums::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        embertls::msgs::enums::CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        embertls::msgs::enums::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
    ] {
        let (mut client, mut server) = dtls_configs(Mode::Direct);
        client.common.cipher_suites = vec![suite];
        server.common.cipher_suites = vec![suite];
        let (client_config, server_config) = (Arc::new(client.clone()), Arc::new(server.clone()));
        let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
        pair.handshake().unwrap();
        pair.client.send(b"before").unwrap();
        let before = pair.client.poll_transmit().unwrap();
        pair.server.handle_input(&before, Instant::ZERO).unwrap();
        while pair.server.poll_output().is_some() {}
        while pair.client.poll_output().is_some() {}

        let client_bytes = pair.client.save().unwrap();
        let server_bytes = pair.server.save().unwrap();
        // The saved connections are done with.
        assert!(pair.client.send(b"x").is_err());

        let mut client =
            Connection::load_client(client_config.clone(), &client_bytes, Instant::ZERO).unwrap();
        let mut server =
            Connection::load_server(server_config.clone(), &server_bytes, Instant::ZERO).unwrap();
        assert_eq!(client.cipher_suite(), Some(suite));
        client.send(b"after").unwrap();
        let after = client.poll_transmit().unwrap();
        server.handle_input(&after, Instant::ZERO).unwrap();
        let mut got = Vec::new();
        while let Some(out) = server.poll_output() {
            if let embertls::conn::Output::Event(embertls::conn::Event::Data(d)) = out {
                got.extend_from_slice(&d);
            }
        }
        assert_eq!(got, b"after");
        // A record from before the save is a replay for the loaded server.
        server.handle_input(&before, Instant::ZERO).unwrap();
        assert!(server.poll_output().is_none());
        server.send(b"back").unwrap();
        let back = server.poll_transmit().unwrap();
        client.handle_input(&back, Instant::ZERO).unwrap();

        // Truncated, altered and mismatched bytes are refused.
        for cut in 0..client_bytes.len() {
            assert!(Connection::load_client(
                client_config.clone(),
                &client_bytes[..cut],
                Instant::ZERO
            )
            .is_err());
        }
        for i in 0..client_bytes.len() {
            let mut altered = client_bytes.to_vec();
            altered[i] ^= 1;
            assert!(
                Connection::load_client(client_config.clone(), &altered, Instant::ZERO).is_err(),
                "byte {i}"
            );
        }
        assert!(
            Connection::load_server(server_config.clone(), &client_bytes, Instant::ZERO).is_err()
        );
        let mut tls = (*client_config).clone();
        tls.common.transport = embertls::config::Transport::Stream;
        assert!(Connection::load_client(Arc::new(tls), &client_bytes, Instant::ZERO).is_err());
    }
}

#[test]
fn save_is_refused_while_anything_is_pending() {
    use embertls::Instant;
    let (client, server) = dtls_configs(Mode::Direct);
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    // During the handshake.
    assert!(pair.client.save().is_err());
    pair.handshake().unwrap();
    // With unsent output.
    pair.client.send(b"unsent").unwrap();
    assert!(pair.client.save().is_err());
    let _ = pair.client.poll_transmit();
    let _ = Instant::ZERO;
    // A server whose HelloRequest is still unanswered.
    let (client, mut server) = dtls_configs(Mode::Direct);
    server.common.tls12.renegotiation.enabled = true;
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    pair.server.renegotiate().unwrap();
    while pair.server.poll_transmit().is_some() {}
    assert!(pair.server.save().is_err());
}

#[test]
fn read_timeout_is_reported_and_the_connection_stays_open() {
    use embertls::conn::{Event, Output};
    use embertls::Instant;
    use std::time::Duration;
    for transport in [
        embertls::config::Transport::Datagram,
        embertls::config::Transport::Stream,
    ] {
        let (mut client, mut server) = dtls_configs(Mode::Direct);
        client.common.transport = transport;
        server.common.transport = transport;
        client.common.read_timeout = Some(Duration::from_secs(5));
        let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
        pair.handshake().unwrap();
        assert_eq!(
            pair.client.poll_timeout(),
            Some(Instant::from_millis(5_000))
        );
        pair.client
            .handle_timeout(Instant::from_millis(4_999))
            .unwrap();
        assert!(pair.client.poll_event().is_none());
        pair.client
            .handle_timeout(Instant::from_millis(5_000))
            .unwrap();
        assert!(matches!(pair.client.poll_event(), Some(Event::ReadTimeout)));
        // Re-armed from the report; data still flows.
        assert_eq!(
            pair.client.poll_timeout(),
            Some(Instant::from_millis(10_000))
        );
        pair.server.send(b"late").unwrap();
        let late = pair.server.poll_transmit().unwrap();
        pair.client
            .handle_input(&late, Instant::from_millis(6_000))
            .unwrap();
        assert!(matches!(
            pair.client.poll_output(),
            Some(Output::Event(Event::Data(_)))
        ));
        assert_eq!(
            pair.client.poll_timeout(),
            Some(Instant::from_millis(11_000))
        );
    }
}

// ---- over the network emulator, on a perfect path, and by hand ----

use std::sync::Arc;

use bytes::Bytes;
use embertls::config::SrtpProfile;
use embertls::conn::Event;
use embertls::error::{ApiMisuse, Error, PeerMisbehaved};
use embertls::{Connection, Instant, Side};
use embertls_conformance::testkit::netem::{dtls_configs as netem_configs, wire_records, Netem};

/// A completed handshake on a perfect emulated path, with nothing in
/// flight.
fn established(client: embertls::ClientConfig, server: embertls::ServerConfig) -> Netem {
    let mut net = Netem::new(client, server, Some("localhost"), 11).unwrap();
    net.run_handshake().unwrap();
    net.settle();
    net
}

/// Every datagram `conn` has to send.
fn transmits(conn: &mut Connection) -> Vec<Bytes> {
    std::iter::from_fn(|| conn.poll_transmit()).collect()
}

/// The application data events `conn` has.
fn data_events(conn: &mut Connection) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(event) = conn.poll_event() {
        if let Event::Data(d) = event {
            out.push(d.to_vec());
        }
    }
    out
}

/// One application datagram from the client.
fn client_datagram(net: &mut Netem, data: &[u8]) -> Bytes {
    net.client.send(data).unwrap();
    let mut out = transmits(&mut net.client);
    assert_eq!(out.len(), 1, "one send, one datagram");
    out.pop().unwrap()
}

fn tampered(datagram: &[u8]) -> Vec<u8> {
    let mut bad = datagram.to_vec();
    *bad.last_mut().unwrap() ^= 0x01;
    bad
}

#[test]
fn application_data_sends_fit_one_datagram() {
    for mode in Mode::ALL {
        let (mut client, server) = netem_configs(mode, "p256");
        client.common.dtls.mtu = 500;
        let mut net = established(client, server);
        let max = net.client.max_out_record_payload();
        assert!(
            max > 0 && max + net.client.record_expansion() <= 500,
            "{max}"
        );
        let too_big = vec![7u8; max + 1];
        assert_eq!(
            net.client.send(&too_big),
            Err(Error::ApiMisuse(ApiMisuse::DatagramTooLarge))
        );
        assert!(transmits(&mut net.client).is_empty());
        // The connection is unharmed; each send is one datagram.
        let sizes = [1, 100, max];
        for (i, n) in sizes.iter().enumerate() {
            let datagram = client_datagram(&mut net, &vec![i as u8; *n]);
            assert!(datagram.len() <= 500);
            assert_eq!(wire_records(&datagram, 0).len(), 1);
            net.deliver(Side::Server, &datagram);
        }
        let received = &net.server_stats.received;
        assert_eq!(received.len(), 3);
        for (i, n) in sizes.iter().enumerate() {
            assert_eq!(received[i], vec![i as u8; *n]);
        }
    }
}

#[test]
fn anti_replay_drops_a_datagram_fed_twice() {
    for anti_replay in [true, false] {
        let (client, mut server) = netem_configs(Mode::Direct, "p256");
        server.common.dtls.anti_replay = anti_replay;
        let mut net = established(client, server);
        let datagram = client_datagram(&mut net, b"once");
        net.deliver(Side::Server, &datagram);
        net.deliver(Side::Server, &datagram);
        let expected = if anti_replay { 1 } else { 2 };
        assert_eq!(net.server_stats.received.len(), expected, "{anti_replay}");
        assert!(net.server_stats.error.is_none());
    }
}

#[test]
fn bad_mac_limit() {
    // Limit 2: the third unauthentic record ends the connection.
    let (client, mut server) = netem_configs(Mode::Direct, "p256");
    server.common.dtls.badmac_limit = 2;
    let mut net = established(client, server);
    let now = net.now;
    for i in 0..3 {
        let datagram = client_datagram(&mut net, b"x");
        let result = net.server.handle_input(&tampered(&datagram), now);
        if i < 2 {
            assert_eq!(result, Ok(()), "record {i}");
        } else {
            assert_eq!(
                result,
                Err(Error::PeerMisbehaved(PeerMisbehaved::TooManyBadRecords))
            );
        }
    }
    let good = client_datagram(&mut net, b"late");
    assert!(net.server.handle_input(&good, now).is_err());
    assert!(data_events(&mut net.server).is_empty());

    // Limit 0: dropped silently, the connection keeps working.
    let (client, server) = netem_configs(Mode::Direct, "p256");
    let mut net = established(client, server);
    for _ in 0..5 {
        let datagram = client_datagram(&mut net, b"x");
        assert_eq!(net.server.handle_input(&tampered(&datagram), now), Ok(()));
    }
    let good = client_datagram(&mut net, b"fine");
    net.deliver(Side::Server, &good);
    assert_eq!(net.server_stats.received, [b"fine".to_vec()]);
    assert!(net.server_stats.error.is_none());
}

#[test]
fn check_record_changes_nothing() {
    let (client, mut server) = netem_configs(Mode::Direct, "p256");
    server.common.dtls.badmac_limit = 1;
    let mut net = established(client, server);
    let datagram = client_datagram(&mut net, b"checked");
    let bad = tampered(&datagram);
    for _ in 0..3 {
        assert_eq!(net.server.check_record(&datagram), Ok(()));
        // Not counted against the bad-MAC limit of 1.
        assert_eq!(net.server.check_record(&bad), Err(Error::DecryptFailed));
    }
    // Still delivered after the checks.
    net.deliver(Side::Server, &datagram);
    assert_eq!(net.server_stats.received, [b"checked".to_vec()]);
    // Now it is a replay.
    assert_eq!(
        net.server.check_record(&datagram),
        Err(Error::PeerMisbehaved(PeerMisbehaved::ReplayedRecord))
    );
    let next = client_datagram(&mut net, b"next");
    assert_eq!(net.server.check_record(&next), Ok(()));
    net.deliver(Side::Server, &next);
    assert_eq!(net.server_stats.received.len(), 2);
    assert!(net.server_stats.error.is_none());
}

/// The handshake type of the first record of a plaintext datagram.
fn first_handshake_type(datagram: &[u8]) -> Option<u8> {
    wire_records(datagram, 0).first()?.handshake_type()
}

#[test]
fn cookies_hello_verify_request_first() {
    let (client, server) = netem_configs(Mode::Direct, "p256");
    let server = Arc::new(server);
    let mut c = Connection::client(Arc::new(client), Some("localhost"), Instant::ZERO).unwrap();
    let mut s = Connection::server(server.clone(), Instant::ZERO).unwrap();
    s.set_client_transport_id(b"192.0.2.1:4433").unwrap();
    let hello1 = transmits(&mut c);
    assert_eq!(first_handshake_type(&hello1[0]), Some(1));
    s.handle_input(&hello1[0], Instant::ZERO).unwrap();
    let answer = transmits(&mut s);
    assert_eq!(answer.len(), 1);
    assert_eq!(
        first_handshake_type(&answer[0]),
        Some(3),
        "HelloVerifyRequest"
    );
    c.handle_input(&answer[0], Instant::ZERO).unwrap();
    let hello2 = transmits(&mut c);
    assert_eq!(first_handshake_type(&hello2[0]), Some(1));

    // The cookie is bound to the transport id: another address gets a
    // HelloVerifyRequest again, the same address goes on.
    for (id, expected) in [(&b"198.51.100.7:4433"[..], 3), (b"192.0.2.1:4433", 2)] {
        let mut fresh = Connection::server(server.clone(), Instant::ZERO).unwrap();
        fresh.set_client_transport_id(id).unwrap();
        fresh.handle_input(&hello2[0], Instant::ZERO).unwrap();
        let answer = transmits(&mut fresh);
        assert_eq!(first_handshake_type(&answer[0]), Some(expected), "{id:?}");
    }
}

#[test]
fn without_cookies_the_server_answers_with_server_hello() {
    let (client, mut server) = netem_configs(Mode::Direct, "p256");
    server.dtls_cookies = None;
    let mut c = Connection::client(Arc::new(client), Some("localhost"), Instant::ZERO).unwrap();
    let mut s = Connection::server(Arc::new(server), Instant::ZERO).unwrap();
    let hello = transmits(&mut c);
    s.handle_input(&hello[0], Instant::ZERO).unwrap();
    let answer = transmits(&mut s);
    assert_eq!(first_handshake_type(&answer[0]), Some(2), "ServerHello");
}

#[test]
fn client_reconnect_on_an_established_server() {
    let (client, server) = netem_configs(Mode::Direct, "p256");
    let client = Arc::new(client);
    let mut net = established((*client).clone(), server);
    let now = net.now;
    // A fresh client from the same address (no transport id set: the
    // same, empty, one) talks to the established server.
    let mut fresh = Connection::client(client, Some("localhost"), now).unwrap();
    let hello1 = transmits(&mut fresh);
    net.server.handle_input(&hello1[0], now).unwrap();
    let answer = transmits(&mut net.server);
    assert_eq!(answer.len(), 1, "the cookie exchange");
    assert_eq!(first_handshake_type(&answer[0]), Some(3));
    fresh.handle_input(&answer[0], now).unwrap();
    let hello2 = transmits(&mut fresh);
    net.server.handle_input(&hello2[0], now).unwrap();
    let mut reconnects = 0;
    while let Some(event) = net.server.poll_event() {
        if matches!(event, Event::ClientReconnect) {
            reconnects += 1;
        }
    }
    assert_eq!(reconnects, 1);
    // The old connection still works until the caller replaces it.
    let datagram = client_datagram(&mut net, b"still here");
    net.deliver(Side::Server, &datagram);
    assert_eq!(net.server_stats.received, [b"still here".to_vec()]);
}

#[test]
fn connection_ids() {
    let chosen = [0xde, 0xad, 0xbe, 0xef];
    let (mut client, mut server) = netem_configs(Mode::Direct, "p256");
    client.common.dtls.own_cid_len = Some(4);
    server.common.dtls.own_cid_len = Some(4);
    let mut net = Netem::new(client, server, Some("localhost"), 12).unwrap();
    net.server.set_cid(Some(&chosen)).unwrap();
    net.run_handshake().unwrap();
    net.settle();
    assert_eq!(net.client.peer_cid(), Some(&chosen[..]));
    let client_cid = net.server.peer_cid().unwrap().to_vec();
    assert_eq!(client_cid.len(), 4);
    // Records to the server carry its CID, records to the client the
    // client's, as tls12_cid (25).
    let to_server = client_datagram(&mut net, b"to server");
    let records = wire_records(&to_server, 4);
    assert_eq!(
        (records[0].content_type, &records[0].cid[..]),
        (25, &chosen[..])
    );
    net.server.send(b"to client").unwrap();
    let to_client = transmits(&mut net.server);
    let records = wire_records(&to_client[0], 4);
    assert_eq!(
        (records[0].content_type, &records[0].cid),
        (25, &client_cid)
    );
    net.deliver(Side::Server, &to_server);
    net.deliver(Side::Client, &to_client[0]);
    assert_eq!(net.server_stats.received, [b"to server".to_vec()]);
    assert_eq!(net.client_stats.received, [b"to client".to_vec()]);
    // The handshake's encrypted Finished records carried CIDs too.
    assert!(net
        .sent_by(Side::Server)
        .flat_map(|s| wire_records(&s.bytes, 4))
        .any(|r| r.content_type == 25));

    // CIDs configured on one side only: none used.
    for client_side in [true, false] {
        let (mut client, mut server) = netem_configs(Mode::Direct, "p256");
        if client_side {
            client.common.dtls.own_cid_len = Some(4);
        } else {
            server.common.dtls.own_cid_len = Some(4);
        }
        let mut net = established(client, server);
        assert_eq!(net.client.peer_cid(), None);
        assert_eq!(net.server.peer_cid(), None);
        let datagram = client_datagram(&mut net, b"plain");
        assert_eq!(wire_records(&datagram, 0)[0].content_type, 23);
        net.deliver(Side::Server, &datagram);
        assert_eq!(net.server_stats.received, [b"plain".to_vec()]);
    }
}

#[test]
fn dtls_srtp_negotiation() {
    let mki = vec![0x0a, 0x0b, 0x0c];
    let (mut client, mut server) = netem_configs(Mode::Direct, "p256");
    client.common.dtls.srtp.profiles = vec![
        SrtpProfile::AES128_CM_HMAC_SHA1_80,
        SrtpProfile::AES128_CM_HMAC_SHA1_32,
    ];
    client.common.dtls.srtp.mki = Some(mki.clone());
    server.common.dtls.srtp.profiles = vec![SrtpProfile::AES128_CM_HMAC_SHA1_32];
    server.common.dtls.srtp.mki_supported = true;
    let net = established(client.clone(), server.clone());
    for conn in [&net.client, &net.server] {
        assert_eq!(
            conn.srtp_profile(),
            Some(SrtpProfile::AES128_CM_HMAC_SHA1_32)
        );
        assert_eq!(conn.srtp_mki(), Some(&mki[..]));
    }
    let keys = net.client.srtp_keying_material().unwrap();
    assert_eq!(keys.len(), 60);
    assert_eq!(keys, net.server.srtp_keying_material().unwrap());
    assert_ne!(keys, vec![0; 60]);

    // No common profile: no SRTP, the handshake still completes.
    server.common.dtls.srtp.profiles = vec![SrtpProfile::NULL_HMAC_SHA1_32];
    let net = established(client, server);
    for conn in [&net.client, &net.server] {
        assert_eq!(conn.srtp_profile(), None);
        assert_eq!(conn.srtp_mki(), None);
        assert!(conn.srtp_keying_material().is_err());
    }
}

/// The server's HelloVerifyRequest cookie fits the DTLS 1.0 limit of 32
/// bytes, which GnuTLS also applies to DTLS 1.2 (it answered the 33-byte
/// cookie we used to send with decode_error), and the exchange completes.
#[test]
fn hello_verify_request_cookie_is_at_most_32_bytes() {
    use embertls::conn::Output;
    use std::sync::Arc;

    let (client, server) = dtls_configs(Mode::ALL[0]);
    assert!(server.dtls_cookies.is_some(), "cookies are on by default");
    let now = embertls::Instant::ZERO;
    let mut client =
        embertls::Connection::client(Arc::new(client), Some("localhost"), now).unwrap();
    let mut server = embertls::Connection::server(Arc::new(server), now).unwrap();
    server
        .set_client_transport_id(&[127, 0, 0, 1, 0x12, 0x34])
        .unwrap();
    let Some(Output::Transmit(hello)) = client.poll_output() else {
        panic!("no ClientHello")
    };
    server.handle_input(&hello, now).unwrap();
    let Some(Output::Transmit(hvr)) = server.poll_output() else {
        panic!("no HelloVerifyRequest")
    };
    // Record header (13), handshake header (12), server_version (2), cookie.
    assert_eq!((hvr[0], hvr[13]), (22, 3), "a HelloVerifyRequest record");
    let cookie_len = hvr[13 + 12 + 2] as usize;
    assert_eq!(hvr.len(), 13 + 12 + 2 + 1 + cookie_len);
    assert!(
        (1..=32).contains(&cookie_len),
        "cookie of {cookie_len} bytes"
    );
    // The client repeats its hello with the cookie, which the server takes.
    client.handle_input(&hvr, now).unwrap();
    let Some(Output::Transmit(hello2)) = client.poll_output() else {
        panic!("no second ClientHello")
    };
    server.handle_input(&hello2, now).unwrap();
    let Some(Output::Transmit(flight)) = server.poll_output() else {
        panic!("no ServerHello flight")
    };
    assert_eq!(flight[13], 2, "ServerHello after the cookie");
}

/// Datagrams that arrive while an operation is pending wait their turn. The
/// client's flight, spread over several datagrams by a small MTU, reaches
/// the server while it verifies the client's certificate (held by the
/// test); once the verification completes the handshake finishes with no
/// retransmission. Only the last waiting datagram used to be kept.
#[test]
fn datagrams_arriving_during_a_pending_operation_wait_for_it() {
    use embertls::conn::{OperationRequest, Output};
    use embertls::verify::VerifyMode;
    use embertls_conformance::testkit::pair::{all_test_roots, certified_key};

    let (mut client, mut server) = netem_configs(Mode::AlwaysPending, "rsa");
    client.client_cert = Some(certified_key(&client.common.provider, "client", "rsa"));
    server.common.verify_mode = VerifyMode::Required;
    server.common.roots = all_test_roots();
    for common in [&mut client.common, &mut server.common] {
        common.dtls.mtu = 300;
    }
    let now = Instant::ZERO;
    let mut client = Connection::client(Arc::new(client), Some("localhost"), now).unwrap();
    let mut server = Connection::server(Arc::new(server), now).unwrap();
    let mut held = None;
    let mut arrived_while_held = 0;
    // Datagrams on their way, to the server (false) or the client (true).
    let mut in_flight: std::collections::VecDeque<(bool, Bytes)> = Default::default();
    for _ in 0..200 {
        for from_server in [false, true] {
            let from = if from_server {
                &mut server
            } else {
                &mut client
            };
            while let Some(out) = from.poll_output() {
                match out {
                    Output::Transmit(datagram) => in_flight.push_back((from_server, datagram)),
                    Output::Event(Event::Operation(op)) => {
                        let verify =
                            matches!(op.request, OperationRequest::VerifyCertificate { .. });
                        if from_server && verify && held.is_none() {
                            held = Some(op);
                        } else {
                            let result = op.perform();
                            from.complete(op.id, result).unwrap();
                        }
                    }
                    Output::Event(_) => {}
                }
            }
        }
        // One datagram at a time, so the later ones of a flight arrive
        // after the server paused on the first.
        if let Some((to_client, datagram)) = in_flight.pop_front() {
            let to = if to_client { &mut client } else { &mut server };
            arrived_while_held += usize::from(!to_client && held.is_some());
            to.handle_input(&datagram, now).unwrap();
        } else if let Some(op) = held.take() {
            // Everything the client had is in; now the verification ends.
            assert!(
                arrived_while_held >= 2,
                "the flight arrived during the pause"
            );
            let result = op.perform();
            server.complete(op.id, result).unwrap();
        } else {
            break;
        }
    }
    assert!(
        !client.is_handshaking() && !server.is_handshaking(),
        "client {} / server {}",
        client.handshake_state(),
        server.handshake_state()
    );
    assert!(server.client_authenticated());
}
