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
