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
