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
