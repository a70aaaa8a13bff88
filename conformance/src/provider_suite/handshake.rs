//! Full TLS 1.3 handshakes between two backends, client on one and server
//! on the other, over the test kit's in-memory [`Pair`].

use std::sync::Arc;

use embertls::config::{ClientConfig, ServerConfig, SingleCertAndKey};
use embertls::crypto::CryptoProvider;
use embertls::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use embertls::verify::{VerifyMode, VerifyResult};

use crate::testkit::deterministic::FixedTime;
use crate::testkit::pair::{all_test_roots, certified_key};
use crate::testkit::Pair;

/// The TLS 1.3 suites every backend offers.
pub const SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS_AES_128_GCM_SHA256,
    CipherSuite::TLS_AES_256_GCM_SHA384,
    CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
];

/// The key types of the test PKI (`testdata/{server,client}-KEY.pem`).
pub const KEY_TYPES: [&str; 4] = ["p256", "p384", "ed25519", "rsa"];

/// `provider` with a clock stopped inside the test PKI's validity.
fn with_fixed_time(provider: &CryptoProvider) -> Arc<CryptoProvider> {
    let mut provider = provider.clone();
    provider.time = Some(Arc::new(FixedTime(1_798_761_600)));
    Arc::new(provider)
}

/// A client on `provider` trusting every test CA, with the fixed clock.
pub fn client_config(provider: &CryptoProvider) -> ClientConfig {
    let mut config = ClientConfig::new(with_fixed_time(provider));
    config.common.roots = all_test_roots();
    config
}

/// A server on `provider` with the test PKI's `key` certificate (loaded by
/// `provider`'s key loader), with the fixed clock.
pub fn server_config(provider: &CryptoProvider, key: &str) -> ServerConfig {
    let provider = with_fixed_time(provider);
    let certified = certified_key(&provider, "server", key);
    ServerConfig::new(provider, Arc::new(SingleCertAndKey(certified)))
}

/// Runs the handshake, checks what was negotiated and moves data both ways.
fn run(mut pair: Pair, what: &str, suite: CipherSuite, group: NamedGroup) -> Pair {
    pair.handshake().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        pair.client.protocol_version(),
        Some(ProtocolVersion::TLSv1_3),
        "{what}"
    );
    assert_eq!(pair.client.cipher_suite(), Some(suite), "{what}");
    assert_eq!(pair.server.cipher_suite(), Some(suite), "{what}");
    assert_eq!(pair.client.key_exchange_group(), Some(group), "{what}");
    assert_eq!(pair.server.key_exchange_group(), Some(group), "{what}");
    assert_eq!(
        pair.client.verify_result(),
        Some(VerifyResult::empty()),
        "{what}"
    );
    let request: Vec<u8> = (0..20_000u32).map(|i| i as u8).collect();
    pair.client.send(&request).unwrap();
    pair.server.send(b"response").unwrap();
    pair.drive();
    assert_eq!(
        pair.server_log.received, request,
        "{what}: client -> server data"
    );
    assert_eq!(
        pair.client_log.received, b"response",
        "{what}: server -> client data"
    );
    pair
}

/// A client on `client` and a server on `server` complete a handshake for
/// every suite, every group and every server key type, then exchange data.
/// Returns the number of handshakes.
pub fn handshakes(client: &CryptoProvider, server: &CryptoProvider) -> usize {
    let mut count = 0;
    for key in KEY_TYPES {
        let server_config = server_config(server, key);
        for suite in SUITES {
            for group in super::GROUPS {
                let mut client_config = client_config(client);
                client_config.common.cipher_suites = vec![suite];
                client_config.common.groups = vec![group];
                let what = format!(
                    "client {} / server {}: {suite:?} {group:?} server key {key}",
                    client.name, server.name
                );
                let pair = Pair::new(client_config, server_config.clone(), Some("localhost"))
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                run(pair, &what, suite, group);
                count += 1;
            }
        }
    }
    count
}

/// The same pairing with client authentication: the server (on `server`)
/// requires a certificate, the client (on `client`) presents each key type
/// of the test PKI, so each side signs and each side verifies the other's
/// chain and CertificateVerify. Returns the number of handshakes.
pub fn handshakes_with_client_auth(client: &CryptoProvider, server: &CryptoProvider) -> usize {
    let mut count = 0;
    for (i, key) in KEY_TYPES.into_iter().enumerate() {
        // Vary the server's key, suite and group too.
        let server_key = KEY_TYPES[(i + 1) % KEY_TYPES.len()];
        let suite = SUITES[i % SUITES.len()];
        let group = super::GROUPS[i % super::GROUPS.len()];
        let mut client_config = client_config(client);
        client_config.client_cert =
            Some(certified_key(&client_config.common.provider, "client", key));
        client_config.common.cipher_suites = vec![suite];
        client_config.common.groups = vec![group];
        let mut server_config = server_config(server, server_key);
        server_config.common.verify_mode = VerifyMode::Required;
        server_config.common.roots = all_test_roots();
        let what = format!(
            "client {} (key {key}) / server {} (key {server_key}), client auth: {suite:?} {group:?}",
            client.name, server.name
        );
        let pair = Pair::new(client_config, server_config, Some("localhost"))
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let pair = run(pair, &what, suite, group);
        assert!(pair.server.client_authenticated(), "{what}");
        assert!(pair.client.client_authenticated(), "{what}");
        assert_eq!(
            pair.server.verify_result(),
            Some(VerifyResult::empty()),
            "{what}"
        );
        count += 1;
    }
    count
}

/// TLS 1.2 handshakes for every TLS 1.2 suite, client on `client` and
/// server on `server`: every key exchange (PSK ones with the test PSK),
/// every record protection, with data both ways and matching exporters.
/// Returns the number of handshakes.
pub fn tls12_handshakes(client: &CryptoProvider, server: &CryptoProvider) -> usize {
    use crate::testkit::tls12::{server_key_for, TEST_PSK, TEST_PSK_IDENTITY};
    use embertls::config::{PskCredential, VersionRange};

    let mut count = 0;
    for suite in embertls::suites::TLS12_SUITES {
        let mut client_config = client_config(client);
        let mut server_config = server_config(server, server_key_for(suite));
        for common in [&mut client_config.common, &mut server_config.common] {
            common.versions = VersionRange::TLS12_ONLY;
            common.cipher_suites = vec![suite.suite];
        }
        if suite.kx.uses_psk() {
            client_config.psk = Some(PskCredential::new(TEST_PSK_IDENTITY, TEST_PSK));
            server_config.psk_resolver =
                Some(Arc::new(PskCredential::new(TEST_PSK_IDENTITY, TEST_PSK)));
        }
        let what = format!(
            "TLS 1.2 client {} / server {}: {}",
            client.name, server.name, suite.iana_name
        );
        let mut pair = Pair::new(client_config, server_config, Some("localhost"))
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        pair.handshake().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            pair.server.protocol_version(),
            Some(ProtocolVersion::TLSv1_2),
            "{what}"
        );
        assert_eq!(pair.client.cipher_suite(), Some(suite.suite), "{what}");
        let request: Vec<u8> = (0..20_000u32).map(|i| i as u8).collect();
        pair.client.send(&request).unwrap();
        pair.server.send(b"response").unwrap();
        pair.drive();
        assert_eq!(pair.server_log.received, request, "{what}");
        assert_eq!(pair.client_log.received, b"response", "{what}");
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        pair.client
            .export_keying_material(&mut a, b"EXPORTER-conformance", None)
            .unwrap();
        pair.server
            .export_keying_material(&mut b, b"EXPORTER-conformance", None)
            .unwrap();
        assert_eq!(a, b, "{what}: exporters");
        count += 1;
    }
    count
}
