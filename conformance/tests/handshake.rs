//! Full TLS 1.3 handshakes between embertls clients and servers in memory.
//! Every test runs twice: providers answering at once, and every pausable
//! operation pending.

use embertls::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use embertls_conformance::testkit::pair::{client_config, server_config};
use embertls_conformance::testkit::{Mode, Pair};

#[test]
fn handshake_and_data_each_key_type() {
    for mode in Mode::ALL {
        for key in ["p256", "p384", "ed25519", "rsa"] {
            let mut pair = Pair::new(
                client_config(mode),
                server_config(mode, key),
                Some("localhost"),
            )
            .unwrap();
            pair.handshake()
                .unwrap_or_else(|e| panic!("{mode:?} {key}: {e}"));
            assert_eq!(
                pair.client.protocol_version(),
                Some(ProtocolVersion::TLSv1_3)
            );
            assert_eq!(
                pair.client.cipher_suite(),
                Some(CipherSuite::TLS_AES_128_GCM_SHA256)
            );
            assert_eq!(pair.client.key_exchange_group(), Some(NamedGroup::X25519));
            assert!(pair.client.verify_result().unwrap().is_ok());
            let served = pair.server_log.operations_served;
            assert_eq!(served, usize::from(mode == Mode::AlwaysPending), "{mode:?}");
            pair.client.send(b"ping").unwrap();
            pair.server.send(b"pong").unwrap();
            pair.drive();
            assert_eq!(pair.server_log.received, b"ping");
            assert_eq!(pair.client_log.received, b"pong");
        }
    }
}
