//! Full TLS 1.3 handshakes between embertls clients and servers in memory.
//! Every test runs twice: providers answering at once, and every pausable
//! operation pending.

use embertls::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
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
            let expected_scheme = match key {
                "p256" => SignatureScheme::ECDSA_NISTP256_SHA256,
                "p384" => SignatureScheme::ECDSA_NISTP384_SHA384,
                "ed25519" => SignatureScheme::ED25519,
                _ => SignatureScheme::RSA_PSS_RSAE_SHA256,
            };
            assert_eq!(pair.client.peer_signature_scheme(), Some(expected_scheme));
            assert_eq!(pair.server.peer_signature_scheme(), None, "no client auth");
            // Pending mode: the server's signature, the client's chain check.
            let pending = usize::from(mode == Mode::AlwaysPending);
            assert_eq!(pair.server_log.operations_served, pending, "{mode:?}");
            assert_eq!(pair.client_log.operations_served, pending, "{mode:?}");
            pair.client.send(b"ping").unwrap();
            pair.server.send(b"pong").unwrap();
            pair.drive();
            assert_eq!(pair.server_log.received, b"ping");
            assert_eq!(pair.client_log.received, b"pong");
        }
    }
}

use std::sync::Arc;

use embertls::config::{ClientHelloInfo, SniResolver};
use embertls::error::{CertificateError, Error, PeerIncompatible};
use embertls::msgs::enums::AlertDescription;
use embertls::verify::{VerifyMode, VerifyResult};
use embertls_conformance::testkit::pair::{certified_key, test_provider};

#[test]
fn each_suite_and_group_negotiates() {
    for mode in Mode::ALL {
        for suite in [
            CipherSuite::TLS_AES_128_GCM_SHA256,
            CipherSuite::TLS_AES_256_GCM_SHA384,
            CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
        ] {
            for group in [
                NamedGroup::X25519,
                NamedGroup::secp256r1,
                NamedGroup::secp384r1,
            ] {
                let mut client = client_config(mode);
                client.common.cipher_suites = vec![suite];
                client.common.groups = vec![group];
                let mut pair =
                    Pair::new(client, server_config(mode, "p256"), Some("localhost")).unwrap();
                pair.handshake().unwrap();
                assert_eq!(pair.server.cipher_suite(), Some(suite));
                assert_eq!(pair.server.key_exchange_group(), Some(group));
                assert!(!pair.client.hello_retry_happened());
                let big = vec![0x5a; 40_000];
                pair.client.send(&big).unwrap();
                pair.drive();
                assert_eq!(pair.server_log.received, big);
            }
        }
    }
}

#[test]
fn hello_retry_for_group_mismatch() {
    for mode in Mode::ALL {
        let mut client = client_config(mode);
        client.common.groups = vec![NamedGroup::X25519, NamedGroup::secp384r1];
        client.key_shares = 1;
        let mut server = server_config(mode, "p384");
        server.common.groups = vec![NamedGroup::secp384r1];
        let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
        pair.handshake().unwrap();
        assert!(pair.client.hello_retry_happened());
        assert!(pair.server.hello_retry_happened());
        assert_eq!(
            pair.client.key_exchange_group(),
            Some(NamedGroup::secp384r1)
        );
    }
}

#[test]
fn hello_retry_with_cookie_and_without_middlebox_compat() {
    for mode in Mode::ALL {
        for compat in [true, false] {
            let mut client = client_config(mode);
            client.middlebox_compat = compat;
            let mut server = server_config(mode, "ed25519");
            server.require_cookie = true;
            let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
            pair.handshake().unwrap();
            assert!(pair.client.hello_retry_happened());
            assert_eq!(pair.client.key_exchange_group(), Some(NamedGroup::X25519));
        }
    }
}

#[test]
fn no_common_group_fails_with_handshake_failure() {
    let mut client = client_config(Mode::Direct);
    client.common.groups = vec![NamedGroup::X25519];
    let mut server = server_config(Mode::Direct, "p256");
    server.common.groups = vec![NamedGroup::secp384r1];
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.drive();
    assert_eq!(
        pair.server_log.error,
        Some(Error::PeerIncompatible(PeerIncompatible::NoCommonGroup))
    );
    assert_eq!(
        pair.client_log.alerts,
        vec![AlertDescription::HandshakeFailure]
    );
    assert_eq!(
        pair.client_log.error,
        Some(Error::AlertReceived(AlertDescription::HandshakeFailure))
    );
}

#[test]
fn client_authentication_modes() {
    for mode in Mode::ALL {
        for key in ["p256", "rsa", "ed25519"] {
            // Required, and the client has a certificate.
            let mut client = client_config(mode);
            let provider = client.common.provider.clone();
            client.client_cert = Some(certified_key(&provider, "client", key));
            let mut server = server_config(mode, "p256");
            server.common.verify_mode = VerifyMode::Required;
            server.common.roots = embertls_conformance::testkit::pair::all_test_roots();
            let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
            pair.handshake()
                .unwrap_or_else(|e| panic!("{mode:?} {key}: {e}"));
            assert!(pair.server.client_authenticated());
            assert!(pair.client.client_authenticated());
            assert_eq!(pair.server.verify_result(), Some(VerifyResult::empty()));
            assert_eq!(pair.server.peer_certificates().len(), 1);
            // Pending mode: each side signs once and checks one chain.
            let expected_ops = if mode == Mode::AlwaysPending { 2 } else { 0 };
            assert_eq!(pair.client_log.operations_served, expected_ops);
            assert_eq!(pair.server_log.operations_served, expected_ops);
        }

        // Required, and the client has none: certificate_required.
        let mut server = server_config(mode, "p256");
        server.common.verify_mode = VerifyMode::Required;
        server.common.roots = embertls_conformance::testkit::pair::all_test_roots();
        let mut pair = Pair::new(client_config(mode), server, Some("localhost")).unwrap();
        pair.drive();
        assert_eq!(
            pair.server_log.error,
            Some(Error::PeerIncompatible(
                PeerIncompatible::NoClientCertificate
            ))
        );
        assert_eq!(
            pair.client_log.alerts,
            vec![AlertDescription::CertificateRequired]
        );

        // Optional, and the client has none: completes, result says missing.
        let mut server = server_config(mode, "p256");
        server.common.verify_mode = VerifyMode::Optional;
        let mut pair = Pair::new(client_config(mode), server, Some("localhost")).unwrap();
        pair.handshake().unwrap();
        assert_eq!(pair.server.verify_result(), Some(VerifyResult::MISSING));
        assert!(!pair.server.client_authenticated());
    }
}

#[test]
fn untrusted_client_certificate_is_refused_or_recorded() {
    // The server trusts only the P-384 CA; the client's cert is from the P-256 CA.
    let ca = std::fs::read(embertls_conformance::testkit::pem::testdata("ca-p384.pem")).unwrap();
    for (verify, expect_ok) in [(VerifyMode::Required, false), (VerifyMode::Optional, true)] {
        let mut client = client_config(Mode::Direct);
        let provider = client.common.provider.clone();
        client.client_cert = Some(certified_key(&provider, "client", "p256"));
        let mut server = server_config(Mode::Direct, "p256");
        server.common.verify_mode = verify;
        server.common.roots.add_pem(&ca).unwrap();
        let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
        let result = pair.handshake();
        assert_eq!(result.is_ok(), expect_ok, "{verify:?}: {result:?}");
        if expect_ok {
            assert_eq!(pair.server.verify_result(), Some(VerifyResult::NOT_TRUSTED));
        } else {
            assert_eq!(pair.client_log.alerts, vec![AlertDescription::UnknownCa]);
        }
    }
}

#[test]
fn server_certificate_verification_modes() {
    // Wrong name.
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("other.example"),
    )
    .unwrap();
    pair.drive();
    assert_eq!(
        pair.client_log.error,
        Some(Error::InvalidCertificate(CertificateError::NotValidForName))
    );
    assert_eq!(
        pair.server_log.alerts,
        vec![AlertDescription::BadCertificate]
    );

    // Untrusted issuer, optional mode: completes with the flag set.
    let mut client = client_config(Mode::Direct);
    client.common.roots = embertls::verify::RootStore::new();
    client
        .common
        .roots
        .add_pem(
            &std::fs::read(embertls_conformance::testkit::pem::testdata("ca-rsa.pem")).unwrap(),
        )
        .unwrap();
    client.common.verify_mode = VerifyMode::Optional;
    let mut pair = Pair::new(
        client,
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert_eq!(pair.client.verify_result(), Some(VerifyResult::NOT_TRUSTED));

    // Expired: a clock far past the test PKI's 100 years.
    let mut client = client_config(Mode::Direct);
    let mut provider = (*client.common.provider).clone();
    provider.time = Some(Arc::new(
        embertls_conformance::testkit::deterministic::FixedTime(7_000_000_000),
    ));
    client.common.provider = Arc::new(provider);
    let mut pair = Pair::new(
        client,
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.drive();
    assert_eq!(
        pair.client_log.error,
        Some(Error::InvalidCertificate(CertificateError::Expired))
    );
    assert_eq!(
        pair.server_log.alerts,
        vec![AlertDescription::CertificateExpired]
    );

    // None: skipped, but the handshake signature is still checked.
    let mut client = client_config(Mode::Direct);
    client.common.verify_mode = VerifyMode::None;
    client.common.roots = embertls::verify::RootStore::new();
    let mut pair = Pair::new(
        client,
        server_config(Mode::Direct, "rsa"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert_eq!(pair.client.verify_result(), Some(VerifyResult::SKIP_VERIFY));
}

#[test]
fn sni_resolver_picks_certificate_by_name() {
    for mode in Mode::ALL {
        let provider = test_provider(mode);
        let mut resolver = SniResolver::new();
        resolver.add("example.com", certified_key(&provider, "server", "ed25519"));
        resolver.set_default(certified_key(&provider, "server", "p384"));
        resolver.set_callback(|hello: &ClientHelloInfo<'_>| {
            (hello.server_name == Some("localhost"))
                .then(|| certified_key(&test_provider(Mode::Direct), "server", "rsa"))
        });
        let server = embertls::ServerConfig::new(provider, Arc::new(resolver));
        for (name, expected_scheme) in [
            (
                "example.com",
                embertls::msgs::enums::SignatureScheme::ED25519,
            ),
            (
                "localhost",
                embertls::msgs::enums::SignatureScheme::RSA_PSS_RSAE_SHA256,
            ),
        ] {
            let mut pair = Pair::new(client_config(mode), server.clone(), Some(name)).unwrap();
            pair.handshake().unwrap();
            assert_eq!(pair.server.server_name(), Some(name));
            let leaf = &pair.client.peer_certificates()[0];
            let expected = embertls_conformance::testkit::pem::load_certs(
                &embertls_conformance::testkit::pem::testdata(if name == "example.com" {
                    "server-ed25519.pem"
                } else {
                    "server-rsa.pem"
                }),
            )
            .unwrap();
            assert_eq!(leaf, &expected[0]);
            let _ = expected_scheme;
        }
    }
}

#[test]
fn unknown_name_without_default_is_unrecognized_name() {
    let provider = test_provider(Mode::Direct);
    let mut resolver = SniResolver::new();
    resolver.add("example.com", certified_key(&provider, "server", "p256"));
    let server = embertls::ServerConfig::new(provider, Arc::new(resolver));
    let mut pair = Pair::new(client_config(Mode::Direct), server, Some("localhost")).unwrap();
    pair.drive();
    assert_eq!(
        pair.client_log.alerts,
        vec![AlertDescription::UnrecognizedName]
    );
}

#[test]
fn alpn_negotiation() {
    let mut client = client_config(Mode::Direct);
    client.common.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let mut server = server_config(Mode::Direct, "p256");
    server.common.alpn_protocols = vec![b"http/1.1".to_vec(), b"h2".to_vec()];
    let mut pair = Pair::new(client.clone(), server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    assert_eq!(pair.client.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(pair.server.alpn_protocol(), Some(&b"http/1.1"[..]));

    let mut server = server_config(Mode::Direct, "p256");
    server.common.alpn_protocols = vec![b"smtp".to_vec()];
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.drive();
    assert_eq!(
        pair.client_log.alerts,
        vec![AlertDescription::NoApplicationProtocol]
    );

    // A server without ALPN configured ignores the client's offer.
    let mut client = client_config(Mode::Direct);
    client.common.alpn_protocols = vec![b"h2".to_vec()];
    let mut pair = Pair::new(
        client,
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert_eq!(pair.client.alpn_protocol(), None);
}

#[test]
fn key_update_both_ways() {
    for mode in Mode::ALL {
        let mut pair = Pair::new(
            client_config(mode),
            server_config(mode, "p256"),
            Some("localhost"),
        )
        .unwrap();
        pair.handshake().unwrap();
        pair.client.key_update(true).unwrap();
        pair.client.send(b"after client update").unwrap();
        pair.drive();
        pair.server.send(b"after server reply").unwrap();
        pair.drive();
        pair.server.key_update(false).unwrap();
        pair.server.send(b"!").unwrap();
        pair.drive();
        assert_eq!(pair.server_log.received, b"after client update");
        assert_eq!(pair.client_log.received, b"after server reply!");
        assert!(pair.client_log.error.is_none() && pair.server_log.error.is_none());
    }
}

#[test]
fn automatic_key_update_after_record_limit() {
    let mut client = client_config(Mode::Direct);
    client.common.key_update_after_records = 3;
    let mut pair = Pair::new(
        client,
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    let mut expected = Vec::new();
    for i in 0..20u8 {
        pair.client.send(&[i; 100]).unwrap();
        expected.extend_from_slice(&[i; 100]);
    }
    pair.drive();
    assert_eq!(pair.server_log.received, expected);
}

#[test]
fn data_sent_before_handshake_is_queued_and_delivered() {
    let mut pair = Pair::new(
        client_config(Mode::AlwaysPending),
        server_config(Mode::AlwaysPending, "p256"),
        Some("localhost"),
    )
    .unwrap();
    assert_eq!(pair.client.send(b"early words").unwrap(), 11);
    pair.handshake().unwrap();
    pair.drive();
    assert_eq!(pair.server_log.received, b"early words");
}

#[test]
fn close_notify_both_ways() {
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    pair.client.send(b"bye").unwrap();
    pair.client.close();
    pair.drive();
    assert!(pair.server_log.peer_closed);
    assert_eq!(pair.server_log.received, b"bye");
    assert!(pair.client.send(b"more").is_err());
    pair.server.close();
    pair.drive();
    assert!(pair.client_log.peer_closed);
    assert!(pair.client_log.error.is_none() && pair.server_log.error.is_none());
}

#[test]
fn record_padding_and_fragment_limits() {
    for granularity in [1usize, 64, 1000] {
        let mut client = client_config(Mode::Direct);
        client.common.record_padding_granularity = granularity;
        client.common.max_fragment_len = 512;
        let mut server = server_config(Mode::Direct, "p256");
        server.common.max_incoming_plaintext = 1024;
        let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
        pair.handshake().unwrap();
        pair.client.send(&[7u8; 5000]).unwrap();
        let wire = pair.client.poll_transmit().unwrap();
        // Walk the records: every one is within limits and padded.
        let mut at = 0;
        let mut count = 0;
        while at < wire.len() {
            let len = u16::from_be_bytes([wire[at + 3], wire[at + 4]]) as usize;
            // 512 bytes of data + type byte + padding + 16-byte tag.
            assert!(len <= 512 + 1 + granularity + 16, "record of {len}");
            assert!(
                len > 512 + 16 || at + 5 + len == wire.len(),
                "short record of {len} mid-stream"
            );
            if granularity > 1 {
                assert_eq!(
                    (len - 16) % granularity,
                    0,
                    "inner length {} not padded",
                    len - 16
                );
            }
            at += 5 + len;
            count += 1;
        }
        assert_eq!(count, 10);
        pair.server.handle_input(&wire, pair.now).unwrap();
        pair.drive();
        assert_eq!(pair.server_log.received, vec![7u8; 5000]);
    }
}

#[test]
fn peer_record_size_limit_is_honoured() {
    // The server advertises 1024 through record_size_limit; the client must
    // not send bigger records even though its own limit is 16 KiB.
    let mut server = server_config(Mode::Direct, "p256");
    server.common.max_incoming_plaintext = 1024;
    let mut client = client_config(Mode::Direct);
    client.common.max_incoming_plaintext = 2048;
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    assert_eq!(pair.client.max_record_payload(), 1024);
    assert_eq!(pair.server.max_record_payload(), 2048);
    pair.client.send(&[1u8; 10_000]).unwrap();
    pair.server.send(&[2u8; 10_000]).unwrap();
    pair.drive();
    assert_eq!(pair.server_log.received.len(), 10_000);
    assert_eq!(pair.client_log.received.len(), 10_000);

    // With default settings the client still announces its limit, so a
    // constrained server is honoured without extra configuration.
    let mut server = server_config(Mode::Direct, "p256");
    server.common.max_incoming_plaintext = 512;
    let mut pair = Pair::new(client_config(Mode::Direct), server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    assert_eq!(pair.client.max_record_payload(), 512);
    assert_eq!(pair.server.max_record_payload(), 16_384);
}

#[test]
fn oversized_record_is_record_overflow() {
    let mut server = server_config(Mode::Direct, "p256");
    server.common.max_incoming_plaintext = 1024;
    let mut client = client_config(Mode::Direct);
    // The client lies about nothing but ignores the limit: simulate by
    // raising its own fragment size after the handshake is impossible, so
    // send a record larger than 2^14 + 256 instead.
    client.common.max_fragment_len = 16_384;
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    let mut bogus = vec![23u8, 3, 3, 0x41, 0x01];
    bogus.extend(std::iter::repeat_n(0u8, 0x4101));
    assert_eq!(
        pair.server.handle_input(&bogus, pair.now),
        Err(Error::RecordOverflow)
    );
    let alert = pair.server.poll_transmit().unwrap();
    assert_eq!(alert[0], 23, "alert is protected");
}

#[test]
fn keying_material_exporter_agrees() {
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    let mut early = [0u8; 16];
    assert!(pair
        .client
        .export_keying_material(&mut early, b"label", None)
        .is_err());
    pair.handshake().unwrap();
    let export = |c: &embertls::Connection, label: &[u8], context: Option<&[u8]>| {
        let mut out = [0u8; 48];
        c.export_keying_material(&mut out, label, context).unwrap();
        out
    };
    let a = export(&pair.client, b"EXPERIMENTAL test", Some(b"ctx"));
    assert_eq!(a, export(&pair.server, b"EXPERIMENTAL test", Some(b"ctx")));
    assert_ne!(a, export(&pair.server, b"EXPERIMENTAL other", Some(b"ctx")));
    assert_ne!(a, export(&pair.server, b"EXPERIMENTAL test", None));
    // A KeyUpdate does not change exported values (they hang off the
    // exporter master secret).
    pair.client.key_update(true).unwrap();
    pair.drive();
    assert_eq!(a, export(&pair.client, b"EXPERIMENTAL test", Some(b"ctx")));
}

#[test]
fn ip_address_server_name_is_verified_without_sni() {
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("127.0.0.1"),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert_eq!(pair.server.server_name(), None, "no SNI for an IP address");
    assert!(pair.client.verify_result().unwrap().is_ok());
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("127.0.0.2"),
    )
    .unwrap();
    pair.drive();
    assert_eq!(
        pair.client_log.error,
        Some(Error::InvalidCertificate(CertificateError::NotValidForName))
    );
}

mod external_signer {
    use super::*;
    use embertls::crypto::{ExternalSign, ExternalSigner, SigningKey};
    use embertls::error::CryptoError;
    use embertls::msgs::enums::SignatureScheme;
    use embertls::pki_types::CertificateDer;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Clone, Copy, PartialEq)]
    enum Answer {
        Decline,
        Ready,
        Pending,
    }

    /// Signs for one certificate with a key of its own; counts its work.
    struct TestSigner {
        certificate: CertificateDer<'static>,
        key: Arc<dyn SigningKey>,
        answer: Answer,
        signatures: AtomicUsize,
    }

    impl ExternalSigner for TestSigner {
        fn start_sign(
            &self,
            certificate: &CertificateDer<'_>,
            scheme: SignatureScheme,
            message: &[u8],
        ) -> ExternalSign {
            if certificate.as_ref() != self.certificate.as_ref() {
                return ExternalSign::Declined;
            }
            match self.answer {
                Answer::Decline => ExternalSign::Declined,
                Answer::Ready => {
                    self.signatures.fetch_add(1, Ordering::SeqCst);
                    ExternalSign::Ready(self.key.sign(scheme, message))
                }
                Answer::Pending => ExternalSign::Pending,
            }
        }

        fn sign(
            &self,
            _: &CertificateDer<'static>,
            scheme: SignatureScheme,
            message: &[u8],
        ) -> Result<Vec<u8>, CryptoError> {
            self.signatures.fetch_add(1, Ordering::SeqCst);
            self.key.sign(scheme, message)
        }
    }

    fn run(answer: Answer, wrong_key: bool) -> (Pair, Arc<TestSigner>) {
        let mut server = server_config(Mode::Direct, "p256");
        let provider = server.common.provider.clone();
        let certificate = certified_key(&provider, "server", "p256").chain[0].clone();
        // The signer holds the key for the server certificate (or, to prove
        // its signature is the one used, a different key).
        let owner = if wrong_key { "client" } else { "server" };
        let key = certified_key(&provider, owner, "p256").key.clone();
        let signer = Arc::new(TestSigner {
            certificate,
            key,
            answer,
            signatures: AtomicUsize::new(0),
        });
        server.common.external_signer = Some(signer.clone());
        let mut pair = Pair::new(client_config(Mode::Direct), server, Some("localhost")).unwrap();
        pair.drive();
        (pair, signer)
    }

    #[test]
    fn ready_pending_and_declined() {
        for answer in [Answer::Ready, Answer::Pending, Answer::Decline] {
            let (pair, signer) = run(answer, false);
            assert!(pair.client_log.handshake_complete && pair.server_log.handshake_complete);
            let expected = if answer == Answer::Decline { 0 } else { 1 };
            assert_eq!(signer.signatures.load(Ordering::SeqCst), expected);
            assert_eq!(
                pair.server_log.operations_served,
                usize::from(answer == Answer::Pending)
            );
        }
    }

    #[test]
    fn the_external_signature_is_the_one_sent() {
        // The external signer uses a P-256 key that does not match the
        // certificate: the client must reject the handshake.
        for answer in [Answer::Ready, Answer::Pending] {
            let (pair, _) = run(answer, true);
            assert_eq!(
                pair.client_log.error,
                Some(Error::PeerMisbehaved(
                    embertls::error::PeerMisbehaved::BadSignature
                ))
            );
            assert_eq!(pair.server_log.alerts, vec![AlertDescription::DecryptError]);
        }
        // Declining falls through to the certificate's own key: success.
        let (pair, _) = run(Answer::Decline, true);
        assert!(pair.client_log.handshake_complete);
    }
}
