//! Full TLS 1.3 handshakes with the AWS-LC backend: on both sides, and
//! against the RustCrypto backend on the other side (so each backend's
//! signatures, key shares and record protection are checked by the other).

use std::sync::Arc;

use embertls::config::{ClientConfig, ServerConfig, SingleCertAndKey};
use embertls::crypto::CryptoProvider;
use embertls::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use embertls::verify::{VerifyMode, VerifyResult};
use embertls_conformance::testkit::deterministic::FixedTime;
use embertls_conformance::testkit::pair::{all_test_roots, certified_key};
use embertls_conformance::testkit::Pair;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    AwsLc,
    RustCrypto,
}

/// (client, server) pairings: AWS-LC on both sides or on one.
const PAIRINGS: [(Backend, Backend); 3] = [
    (Backend::AwsLc, Backend::AwsLc),
    (Backend::AwsLc, Backend::RustCrypto),
    (Backend::RustCrypto, Backend::AwsLc),
];

const SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS_AES_128_GCM_SHA256,
    CipherSuite::TLS_AES_256_GCM_SHA384,
    CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
];

const GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

const KEYS: [&str; 4] = ["p256", "p384", "ed25519", "rsa"];

/// The backend with a clock inside the test PKI's validity.
fn provider(backend: Backend) -> Arc<CryptoProvider> {
    let mut provider = match backend {
        Backend::AwsLc => embertls_aws_lc::provider(),
        Backend::RustCrypto => embertls_rustcrypto::provider(),
    };
    provider.time = Some(Arc::new(FixedTime(1_798_761_600)));
    Arc::new(provider)
}

fn client(backend: Backend) -> ClientConfig {
    let mut config = ClientConfig::new(provider(backend));
    config.common.roots = all_test_roots();
    config
}

fn server(backend: Backend, key: &str) -> ServerConfig {
    let provider = provider(backend);
    let certified = certified_key(&provider, "server", key);
    ServerConfig::new(provider, Arc::new(SingleCertAndKey(certified)))
}

#[test]
fn provider_is_aws_lc() {
    assert_eq!(embertls_aws_lc::provider().name, "aws-lc");
}

#[test]
fn every_suite_group_and_server_key() {
    for (client_backend, server_backend) in PAIRINGS {
        for suite in SUITES {
            for group in GROUPS {
                for key in KEYS {
                    let what =
                        format!("{client_backend:?}->{server_backend:?} {suite:?} {group:?} {key}");
                    let mut client = client(client_backend);
                    client.common.cipher_suites = vec![suite];
                    client.common.groups = vec![group];
                    let mut pair =
                        Pair::new(client, server(server_backend, key), Some("localhost")).unwrap();
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
                    assert!(!pair.client.hello_retry_happened(), "{what}");
                    assert_eq!(
                        pair.client.verify_result(),
                        Some(VerifyResult::empty()),
                        "{what}"
                    );
                    // Records both ways, one larger than a record.
                    let big: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
                    pair.client.send(&big).unwrap();
                    pair.server.send(b"pong").unwrap();
                    pair.drive();
                    assert_eq!(pair.server_log.received, big, "{what}");
                    assert_eq!(pair.client_log.received, b"pong", "{what}");
                    assert!(pair.client_log.error.is_none(), "{what}");
                    assert!(pair.server_log.error.is_none(), "{what}");
                }
            }
        }
    }
}

/// The client offers every group but sends one share for a group the
/// server does not take, so the server asks again (HelloRetryRequest).
#[test]
fn hello_retry_across_backends() {
    for (client_backend, server_backend) in PAIRINGS {
        let mut client = client(client_backend);
        client.common.groups = vec![NamedGroup::X25519, NamedGroup::secp384r1];
        let mut server = server(server_backend, "p256");
        server.common.groups = vec![NamedGroup::secp384r1];
        let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
        pair.handshake()
            .unwrap_or_else(|e| panic!("{client_backend:?}->{server_backend:?}: {e}"));
        assert!(pair.client.hello_retry_happened());
        assert_eq!(
            pair.client.key_exchange_group(),
            Some(NamedGroup::secp384r1)
        );
    }
}

/// Client certificates of every key type, signed by one backend and
/// checked by the other.
#[test]
fn client_authentication_across_backends() {
    for (client_backend, server_backend) in PAIRINGS {
        for key in KEYS {
            let what = format!("{client_backend:?}->{server_backend:?} client {key}");
            let mut client = client(client_backend);
            let provider = client.common.provider.clone();
            client.client_cert = Some(certified_key(&provider, "client", key));
            let mut server = server(server_backend, "p384");
            server.common.verify_mode = VerifyMode::Required;
            server.common.roots = all_test_roots();
            let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
            pair.handshake().unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(pair.server.client_authenticated(), "{what}");
            assert_eq!(
                pair.server.verify_result(),
                Some(VerifyResult::empty()),
                "{what}"
            );
        }
    }
}

/// Tickets sealed by the AWS-LC ticket sealer resume, whichever backend
/// the client uses.
#[test]
fn resumption_with_the_rotating_ticketer_on_aws_lc() {
    for client_backend in [Backend::AwsLc, Backend::RustCrypto] {
        let mut server = server(Backend::AwsLc, "ed25519");
        let sealer =
            embertls::session::RotatingTicketer::new(&server.common.provider, 3600).unwrap();
        server.ticketer = Some(Arc::new(sealer));
        let mut pair =
            Pair::new(client(client_backend), server.clone(), Some("localhost")).unwrap();
        pair.handshake().unwrap();
        let session = pair.client_log.sessions.pop().expect("a ticket");
        let mut pair = Pair::with_session(
            client(client_backend),
            server,
            Some("localhost"),
            Some(session),
        )
        .unwrap();
        pair.handshake().unwrap();
        assert!(
            pair.client.resumed() && pair.server.resumed(),
            "{client_backend:?}"
        );
    }
}
