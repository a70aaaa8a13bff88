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

/// The handshake type of the first record of a plaintext datagram.
fn first_handshake_type(datagram: &[u8]) -> Option<u8> {
    wire_records(datagram, 0).first()?.handshake_type()
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
