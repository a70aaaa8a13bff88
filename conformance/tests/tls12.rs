//! TLS 1.2 between our own client and server, in memory: every suite,
//! version negotiation and downgrade protection, resumption by id and by
//! ticket, renegotiation, the protocol options and the key-export hooks.

use std::sync::{Arc, Mutex};

use embertls::config::{ExportedKeys, KeyExport, KeyLog, LegacyRenegotiation, VersionRange};
use embertls::conn::{Event, Output};
use embertls::msgs::enums::{
    AlertDescription, CipherSuite, ContentType, HandshakeType, NamedGroup, ProtocolVersion,
};
use embertls::session::{LruSessionCache, Session};
use embertls::suites::{self, Bulk, KeyExchange, TLS12_SUITES};
use embertls::verify::VerifyMode;
use embertls::{Connection, Error, Instant};
use embertls_conformance::testkit::pair::{certified_key, client_config, server_config, Pair};
use embertls_conformance::testkit::tls12::{configs_for_suite, dh_params_from_testdata};
use embertls_conformance::testkit::Mode;

fn exchange_data(pair: &mut Pair) {
    pair.client.send(b"ping from the client").unwrap();
    pair.server.send(b"pong from the server").unwrap();
    pair.drive();
    assert_eq!(pair.server_log.received, b"ping from the client");
    assert_eq!(pair.client_log.received, b"pong from the server");
}

fn exporters_agree(pair: &Pair) {
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    pair.client
        .export_keying_material(&mut a, b"EXPORTER-test", Some(b"ctx"))
        .unwrap();
    pair.server
        .export_keying_material(&mut b, b"EXPORTER-test", Some(b"ctx"))
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a, [0u8; 32]);
}

#[test]
fn every_tls12_suite_completes_in_both_modes() {
    let mut ran = 0;
    for mode in Mode::ALL {
        for suite in TLS12_SUITES {
            let (mut client, mut server) = configs_for_suite(mode, suite);
            if matches!(suite.bulk, Bulk::Cbc { .. }) {
                assert!(client.common.tls12.encrypt_then_mac);
            }
            if suite.kx.uses_dhe() && server.common.provider.ffdh.is_none() {
                panic!(
                    "{}: the test provider lacks finite-field DH",
                    suite.iana_name
                );
            }
            client.common.verify_mode = VerifyMode::Required;
            server.common.verify_mode = VerifyMode::None;
            let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
            pair.handshake()
                .unwrap_or_else(|e| panic!("{} ({mode:?}): {e}", suite.iana_name));
            assert_eq!(
                pair.client.protocol_version(),
                Some(ProtocolVersion::TLSv1_2)
            );
            assert_eq!(pair.server.cipher_suite(), Some(suite.suite));
            assert_eq!(
                pair.client.cipher_suite_info().map(|s| s.mbedtls_name),
                Some(suite.mbedtls_name)
            );
            exchange_data(&mut pair);
            exporters_agree(&pair);
            ran += 1;
        }
    }
    assert_eq!(ran, 2 * TLS12_SUITES.len());
}

fn suite(name: &str) -> &'static suites::SuiteInfo {
    suites::by_name(name).expect("known suite")
}

#[test]
fn cbc_without_encrypt_then_mac_needs_an_explicit_opt_in() {
    let cbc = suite("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256");
    // Client will not do Encrypt-then-MAC; the server refuses MAC-then-encrypt.
    let (mut client, server) = configs_for_suite(Mode::Direct, cbc);
    client.common.tls12.encrypt_then_mac = false;
    client.common.tls12.allow_mac_then_encrypt = true;
    let mut pair = Pair::new(client.clone(), server.clone(), Some("localhost")).unwrap();
    assert!(pair.handshake().is_err());
    assert_eq!(
        pair.server_log.error,
        Some(Error::PeerIncompatible(
            embertls::error::PeerIncompatible::NoCommonCipherSuite
        ))
    );
    // Both opt in: legacy MAC-then-encrypt works, in constant time.
    let mut server = server;
    server.common.tls12.allow_mac_then_encrypt = true;
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    exchange_data(&mut pair);
}

#[test]
fn versions_are_negotiated_and_downgrades_detected() {
    // A TLS 1.2-only server: a default client (1.2 and 1.3) settles on 1.2.
    let mut server = server_config(Mode::Direct, "p256");
    server.common.versions = VersionRange::TLS12_ONLY;
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server.clone(),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert_eq!(
        pair.client.protocol_version(),
        Some(ProtocolVersion::TLSv1_2)
    );

    // A TLS 1.3-only client refuses it.
    let mut client13 = client_config(Mode::Direct);
    client13.common.versions = VersionRange::TLS13_ONLY;
    let mut pair = Pair::new(client13, server, Some("localhost")).unwrap();
    assert!(pair.handshake().is_err());
    assert!(
        pair.client_log
            .alerts
            .contains(&AlertDescription::ProtocolVersion)
            || pair
                .server_log
                .alerts
                .contains(&AlertDescription::ProtocolVersion)
    );

    // Default client and server agree on 1.3.
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert_eq!(
        pair.client.protocol_version(),
        Some(ProtocolVersion::TLSv1_3)
    );
}

/// Re-frames a ClientHello record without its supported_versions extension,
/// as an attacker forcing TLS 1.2 would.
fn strip_supported_versions(record: &[u8]) -> Vec<u8> {
    use embertls::msgs::hello::ClientHello;
    let body = &record[5 + 4..];
    let mut hello = ClientHello::read(body, false).unwrap();
    hello.extensions.supported_versions = None;
    hello.extensions.key_shares = None;
    hello.extensions.psk_key_exchange_modes = None;
    let mut hs = vec![HandshakeType::ClientHello.0, 0, 0, 0];
    hello.write(&mut hs);
    let len = (hs.len() - 4) as u32;
    hs[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
    let mut out = vec![ContentType::Handshake.0, 3, 1];
    out.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    out.extend_from_slice(&hs);
    out
}

#[test]
fn client_detects_the_downgrade_sentinel() {
    let mut client = Connection::client(
        Arc::new(client_config(Mode::Direct)),
        Some("localhost"),
        Instant::ZERO,
    )
    .unwrap();
    let mut server =
        Connection::server(Arc::new(server_config(Mode::Direct, "p256")), Instant::ZERO).unwrap();
    let hello = client.poll_transmit().unwrap();
    server
        .handle_input(&strip_supported_versions(&hello), Instant::ZERO)
        .unwrap();
    let flight = server.poll_transmit().unwrap();
    // The server (TLS 1.3 capable) negotiated 1.2 and marked its random.
    assert_eq!(server.protocol_version(), Some(ProtocolVersion::TLSv1_2));
    let err = client.handle_input(&flight, Instant::ZERO).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(embertls::error::PeerMisbehaved::DowngradeDetected)
    );
    let alert = client.poll_transmit().unwrap();
    assert_eq!(alert[5..], [2, AlertDescription::IllegalParameter.0][..]);
}

#[test]
fn fallback_scsv_is_refused_by_a_better_server() {
    let mut client = client_config(Mode::Direct);
    client.common.versions = VersionRange::TLS12_ONLY;
    client.fallback_scsv = true;
    let mut pair = Pair::new(
        client.clone(),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    assert!(pair.handshake().is_err());
    assert!(pair
        .client_log
        .alerts
        .contains(&AlertDescription::InappropriateFallback));
    // A server that tops out at 1.2 accepts the fallback.
    let mut server = server_config(Mode::Direct, "p256");
    server.common.versions = VersionRange::TLS12_ONLY;
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
}

fn tls12_pair_configs(mode: Mode) -> (embertls::ClientConfig, embertls::ServerConfig) {
    configs_for_suite(mode, suite("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"))
}

fn full_then_resumed(
    client: embertls::ClientConfig,
    server: embertls::ServerConfig,
    through_bytes: bool,
) -> (Session, Pair) {
    let mut first = Pair::new(client.clone(), server.clone(), Some("localhost")).unwrap();
    first.handshake().unwrap();
    assert!(!first.client.resumed());
    let mut session = first
        .client_log
        .sessions
        .pop()
        .expect("a resumable session");
    assert_eq!(session.version(), ProtocolVersion::TLSv1_2);
    if through_bytes {
        session = Session::from_bytes(&session.to_bytes()).unwrap();
    }
    let mut second =
        Pair::with_session(client, server, Some("localhost"), Some(session.clone())).unwrap();
    second.handshake().unwrap();
    (session, second)
}

#[test]
fn resumption_by_session_id() {
    for mode in Mode::ALL {
        let (client, mut server) = tls12_pair_configs(mode);
        let cache = Arc::new(LruSessionCache::new(16, 3600));
        server.session_cache = Some(cache.clone());
        server.ticketer = None;
        let (session, mut pair) = full_then_resumed(client, server, true);
        assert!(!session.session_id().is_empty());
        assert!(!session.has_ticket());
        assert!(pair.client.resumed() && pair.server.resumed(), "{mode:?}");
        assert_eq!(cache.len(), 1);
        exchange_data(&mut pair);
    }
}

#[test]
fn resumption_by_ticket() {
    for mode in Mode::ALL {
        let (client, mut server) = tls12_pair_configs(mode);
        server.ticketer = Some(mode.ticketer(&server.common.provider));
        let (session, mut pair) = full_then_resumed(client, server, true);
        assert!(session.has_ticket());
        assert!(pair.client.resumed() && pair.server.resumed(), "{mode:?}");
        exchange_data(&mut pair);
        exporters_agree(&pair);
    }
}

#[test]
fn a_session_unknown_to_the_server_falls_back_to_a_full_handshake() {
    let (client, mut server) = tls12_pair_configs(Mode::Direct);
    server.session_cache = Some(Arc::new(LruSessionCache::new(16, 3600)));
    let (session, _) = full_then_resumed(client.clone(), server.clone(), false);
    // A new server (empty cache) does not know the id.
    server.session_cache = Some(Arc::new(LruSessionCache::new(16, 3600)));
    let mut pair = Pair::with_session(client, server, Some("localhost"), Some(session)).unwrap();
    pair.handshake().unwrap();
    assert!(!pair.client.resumed());
}

#[test]
fn extended_master_secret_is_negotiated_and_can_be_required() {
    let (mut client, mut server) = tls12_pair_configs(Mode::Direct);
    client.common.tls12.extended_master_secret = false;
    server.common.tls12.require_extended_master_secret = true;
    let mut pair = Pair::new(client.clone(), server.clone(), Some("localhost")).unwrap();
    assert!(pair.handshake().is_err());
    // Without the requirement the handshake works with the legacy derivation;
    // both sides must then agree on keys.
    server.common.tls12.require_extended_master_secret = false;
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    exchange_data(&mut pair);
}

#[test]
fn client_authentication_with_every_key_type() {
    for mode in Mode::ALL {
        for key in ["p256", "p384", "rsa", "ed25519"] {
            let (mut client, mut server) = tls12_pair_configs(mode);
            client.client_cert = Some(certified_key(&client.common.provider, "client", key));
            server.common.verify_mode = VerifyMode::Required;
            server.common.roots = embertls_conformance::testkit::pair::all_test_roots();
            let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
            pair.handshake()
                .unwrap_or_else(|e| panic!("client key {key} ({mode:?}): {e}"));
            assert!(pair.client.client_authenticated() && pair.server.client_authenticated());
            assert_eq!(pair.server.peer_certificates().len(), 1);
        }
    }
    // Required but not sent.
    let (client, mut server) = tls12_pair_configs(Mode::Direct);
    server.common.verify_mode = VerifyMode::Required;
    server.common.roots = embertls_conformance::testkit::pair::all_test_roots();
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    assert!(pair.handshake().is_err());
}

#[test]
fn rsa_key_transport_with_a_pending_decryption() {
    let rsa = suite("TLS_RSA_WITH_AES_128_GCM_SHA256");
    let (client, server) = configs_for_suite(Mode::AlwaysPending, rsa);
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    assert!(pair.server_log.operations_served >= 1);
    exchange_data(&mut pair);
}

#[test]
fn dhe_with_custom_parameters_and_a_minimum_size() {
    let dhe = suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
    let (mut client, mut server) = configs_for_suite(Mode::Direct, dhe);
    server.dh_params = dh_params_from_testdata("dh1024.pem");
    let mut pair = Pair::new(client.clone(), server.clone(), Some("localhost")).unwrap();
    assert!(pair.handshake().is_err());
    assert!(pair
        .server_log
        .alerts
        .contains(&AlertDescription::InsufficientSecurity));
    client.min_dh_bits = 1024;
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    exchange_data(&mut pair);

    // An RFC 7919 group the client names is preferred over the configured one.
    let (mut client, server) = configs_for_suite(Mode::Direct, dhe);
    client.common.groups = vec![NamedGroup::FFDHE3072, NamedGroup::secp256r1];
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    assert_eq!(
        pair.client.key_exchange_group(),
        Some(NamedGroup::FFDHE3072)
    );
}

#[test]
fn tls12_only_configs_may_name_only_rfc7919_groups() {
    // DHE needs no elliptic curve: a TLS 1.2-only client and server that
    // configure nothing but an RFC 7919 group must still start.
    let dhe = suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
    let (mut client, mut server) = configs_for_suite(Mode::Direct, dhe);
    client.common.groups = vec![NamedGroup::FFDHE3072];
    server.common.groups = vec![NamedGroup::FFDHE3072];
    let mut pair = Pair::new(client.clone(), server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    assert_eq!(
        pair.server.key_exchange_group(),
        Some(NamedGroup::FFDHE3072)
    );
    exchange_data(&mut pair);

    // TLS 1.3 key shares still need an elliptic-curve group.
    client.common.versions = VersionRange::TLS12_AND_13;
    let (_, server) = configs_for_suite(Mode::Direct, dhe);
    assert!(matches!(
        Pair::new(client, server, Some("localhost")).map(|_| ()),
        Err(Error::Config(_))
    ));
}

#[test]
fn psk_identity_is_checked() {
    let psk = suite("TLS_PSK_WITH_AES_128_GCM_SHA256");
    let (mut client, server) = configs_for_suite(Mode::Direct, psk);
    client.psk = Some(embertls::config::PskCredential::new(
        b"someone else",
        b"key",
    ));
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    assert!(pair.handshake().is_err());
    assert!(pair
        .client_log
        .alerts
        .contains(&AlertDescription::UnknownPskIdentity));
}

fn renegotiation_configs(enabled: bool) -> (embertls::ClientConfig, embertls::ServerConfig) {
    let (mut client, mut server) = tls12_pair_configs(Mode::Direct);
    client.common.tls12.renegotiation.enabled = enabled;
    server.common.tls12.renegotiation.enabled = enabled;
    (client, server)
}

fn count_renegotiations(conn: &mut Connection) -> usize {
    let mut n = 0;
    while let Some(out) = conn.poll_output() {
        if let Output::Event(Event::Renegotiated) = out {
            n += 1;
        }
    }
    n
}

#[test]
fn renegotiation_from_either_side() {
    for client_starts in [true, false] {
        let (client, server) = renegotiation_configs(true);
        let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
        pair.handshake().unwrap();
        let before = {
            let mut k = [0u8; 16];
            pair.client
                .export_keying_material(&mut k, b"EXPORTER-r", None)
                .unwrap();
            k
        };
        if client_starts {
            pair.client.renegotiate().unwrap();
        } else {
            pair.server.renegotiate().unwrap();
        }
        // Data sent while renegotiating still arrives.
        pair.client.send(b"during").unwrap();
        pair.drive();
        assert!(
            pair.client_log.error.is_none(),
            "{:?}",
            pair.client_log.error
        );
        assert!(
            pair.server_log.error.is_none(),
            "{:?}",
            pair.server_log.error
        );
        assert_eq!(pair.server_log.received, b"during");
        let mut after = [0u8; 16];
        pair.client
            .export_keying_material(&mut after, b"EXPORTER-r", None)
            .unwrap();
        assert_ne!(before, after, "new keys after renegotiation");
        exporters_agree(&pair);
        pair.client.send(b"after").unwrap();
        pair.drive();
        assert_eq!(pair.server_log.received, b"duringafter");
    }
}

#[test]
fn renegotiation_is_refused_when_disabled() {
    let (client, server) = renegotiation_configs(false);
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    assert_eq!(
        pair.client.renegotiate(),
        Err(Error::ApiMisuse(
            embertls::error::ApiMisuse::RenegotiationNotAllowed
        ))
    );
    // A server asking anyway gets a warning no_renegotiation; the connection lives on.
    let (mut client, mut server) = renegotiation_configs(false);
    server.common.tls12.renegotiation.enabled = true;
    client.common.tls12.renegotiation.legacy = LegacyRenegotiation::NoRenegotiation;
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    pair.server.renegotiate().unwrap();
    pair.drive();
    assert!(pair
        .server_log
        .alerts
        .contains(&AlertDescription::NoRenegotiation));
    exchange_data(&mut pair);
    assert_eq!(count_renegotiations(&mut pair.client), 0);
}

#[test]
fn max_fragment_length_limits_records_both_ways() {
    let (mut client, server) = tls12_pair_configs(Mode::Direct);
    client.request_max_fragment_length = Some(512);
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    assert_eq!(pair.client.max_record_payload(), 512);
    assert_eq!(pair.server.max_record_payload(), 512);
    let big = vec![7u8; 3000];
    pair.server.send(&big).unwrap();
    let wire = pair.server.poll_transmit().unwrap();
    let records = embertls_conformance::testkit::scripted::split_records(&wire).unwrap();
    assert_eq!(records.len(), 6);
    pair.client.handle_input(&wire, Instant::ZERO).unwrap();
    pair.drive();
    assert_eq!(pair.client_log.received, big);
}

#[derive(Default)]
struct Captured {
    exported: Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
    logged: Mutex<Vec<(String, Vec<u8>)>>,
}

impl KeyExport for Captured {
    fn export(&self, keys: &ExportedKeys<'_>) {
        self.exported
            .lock()
            .unwrap()
            .push((keys.master_secret.to_vec(), keys.key_block.to_vec()));
    }
}

impl KeyLog for Captured {
    fn log(&self, label: &str, _client_random: &[u8; 32], secret: &[u8]) {
        self.logged
            .lock()
            .unwrap()
            .push((label.to_string(), secret.to_vec()));
    }
}

#[test]
fn key_export_hook_and_key_log_see_the_same_master_secret() {
    let (mut client, mut server) = tls12_pair_configs(Mode::Direct);
    let client_seen = Arc::new(Captured::default());
    let server_seen = Arc::new(Captured::default());
    client.common.tls12.key_export = Some(client_seen.clone());
    client.common.key_log = Some(client_seen.clone());
    server.common.tls12.key_export = Some(server_seen.clone());
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    let c = client_seen.exported.lock().unwrap();
    let s = server_seen.exported.lock().unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(
        *c, *s,
        "both sides derive the same master secret and key block"
    );
    assert_eq!(c[0].0.len(), 48);
    // AES-128-GCM: two 16-byte keys and two 4-byte salts.
    assert_eq!(c[0].1.len(), 40);
    let logged = client_seen.logged.lock().unwrap();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].0, "CLIENT_RANDOM");
    assert_eq!(logged[0].1, c[0].0);
}

#[test]
fn tls12_prf_is_public_and_matches_the_exporter() {
    let provider = embertls_conformance::testkit::pair::test_provider(Mode::Direct);
    let mut out = [0u8; 20];
    embertls::crypto::tls12_prf(
        &provider,
        embertls::msgs::enums::HashAlgorithm::SHA256,
        b"secret",
        b"label",
        b"seed",
        &mut out,
    )
    .unwrap();
    assert_ne!(out, [0u8; 20]);
    assert!(embertls::crypto::tls12_prf(
        &provider,
        embertls::msgs::enums::HashAlgorithm(99),
        b"s",
        b"l",
        b"s",
        &mut out
    )
    .is_err());
}

#[test]
fn key_update_is_a_tls13_operation() {
    let (client, server) = tls12_pair_configs(Mode::Direct);
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    assert_eq!(
        pair.client.key_update(true),
        Err(Error::ApiMisuse(
            embertls::error::ApiMisuse::WrongProtocolVersion
        ))
    );
    let _ = CipherSuite::TLS_FALLBACK_SCSV;
    let _ = KeyExchange::Psk;
}

#[test]
fn periodic_renegotiation_after_the_configured_record_count() {
    let (mut client, server) = renegotiation_configs(true);
    client.common.tls12.renegotiation.period_records = Some(3);
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    let mut renegotiations = 0;
    for i in 0..8u8 {
        pair.client.send(&[i; 10]).unwrap();
        // Drive by hand to see the client's events.
        for _ in 0..20 {
            while let Some(out) = pair.client.poll_output() {
                match out {
                    Output::Transmit(bytes) => {
                        pair.server.handle_input(&bytes, Instant::ZERO).unwrap()
                    }
                    Output::Event(Event::Renegotiated) => renegotiations += 1,
                    Output::Event(_) => {}
                }
            }
            while let Some(out) = pair.server.poll_output() {
                if let Output::Transmit(bytes) = out {
                    pair.client.handle_input(&bytes, Instant::ZERO).unwrap();
                }
            }
        }
    }
    assert!(renegotiations >= 2, "renegotiated {renegotiations} times");
}

/// Records every call and applies a rule to the flags.
struct Callback {
    seen: Mutex<Vec<(usize, u32)>>,
    rule: fn(usize, &mut embertls::verify::VerifyResult),
}

impl embertls::verify::VerifyCallback for Callback {
    fn verify(
        &self,
        _certificate: &rustls_pki_types::CertificateDer<'_>,
        depth: usize,
        flags: &mut embertls::verify::VerifyResult,
    ) {
        self.seen.lock().unwrap().push((depth, flags.bits()));
        (self.rule)(depth, flags);
    }
}

#[test]
fn verify_callback_sees_every_certificate_and_may_change_flags() {
    use embertls::verify::VerifyResult;
    for version in [VersionRange::TLS12_ONLY, VersionRange::TLS13_ONLY] {
        // The wrong name fails verification; the callback accepts it.
        let accept_name = Arc::new(Callback {
            seen: Mutex::new(Vec::new()),
            rule: |_, flags| flags.remove(VerifyResult::CN_MISMATCH),
        });
        let mut client = client_config(Mode::Direct);
        let mut server = server_config(Mode::Direct, "p256");
        client.common.versions = version;
        server.common.versions = version;
        client.common.verify_callback = Some(accept_name.clone());
        let mut pair = Pair::new(client.clone(), server.clone(), Some("other.example")).unwrap();
        pair.handshake().unwrap();
        assert_eq!(pair.client.verify_result(), Some(VerifyResult::empty()));
        assert_eq!(
            *accept_name.seen.lock().unwrap(),
            vec![(0, VerifyResult::CN_MISMATCH.bits())],
            "one certificate (the server sends no intermediates), with the name failure"
        );
        // A callback that objects fails a Required handshake.
        let reject = Arc::new(Callback {
            seen: Mutex::new(Vec::new()),
            rule: |_, flags| flags.insert(VerifyResult::OTHER),
        });
        client.common.verify_callback = Some(reject);
        let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
        assert!(pair.handshake().is_err());
        assert!(pair
            .server_log
            .alerts
            .contains(&AlertDescription::BadCertificate));
    }
}

/// A client offering TLS 1.3 whose suite list puts a TLS 1.2 suite first:
/// the server must still answer TLS 1.3 with a TLS 1.3 suite (it used to
/// take the client's first common suite, whatever its version).
#[test]
fn tls13_is_never_negotiated_with_a_tls12_suite() {
    let mut client = client_config(Mode::Direct);
    client.common.cipher_suites = vec![
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_AES_128_GCM_SHA256,
    ];
    let mut pair = Pair::new(
        client.clone(),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert_eq!(
        pair.server.protocol_version(),
        Some(ProtocolVersion::TLSv1_3)
    );
    assert_eq!(
        pair.server.cipher_suite(),
        Some(CipherSuite::TLS_AES_128_GCM_SHA256)
    );
    exchange_data(&mut pair);

    // Only TLS 1.2 suites configured: the client does not offer TLS 1.3 at
    // all, and TLS 1.2 is what it gets.
    client.common.cipher_suites = vec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    let mut pair = Pair::new(
        client,
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert_eq!(
        pair.server.protocol_version(),
        Some(ProtocolVersion::TLSv1_2)
    );
}

/// The client refuses a TLS 1.3 ServerHello (supported_versions) that picks
/// a TLS 1.2 suite it offered.
#[test]
fn client_refuses_tls13_with_a_tls12_suite() {
    let mut client = Connection::client(
        Arc::new(client_config(Mode::Direct)),
        Some("localhost"),
        Instant::ZERO,
    )
    .unwrap();
    let mut server =
        Connection::server(Arc::new(server_config(Mode::Direct, "p256")), Instant::ZERO).unwrap();
    let hello = client.poll_transmit().unwrap();
    server.handle_input(&hello, Instant::ZERO).unwrap();
    let mut flight = server.poll_transmit().unwrap().to_vec();
    assert_eq!(server.protocol_version(), Some(ProtocolVersion::TLSv1_3));
    // Record header 5, handshake header 4, version 2, random 32, session id.
    assert_eq!(flight[5], HandshakeType::ServerHello.0);
    let at = 5 + 4 + 2 + 32 + 1 + flight[5 + 4 + 2 + 32] as usize;
    let tls12 = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.0;
    flight[at..at + 2].copy_from_slice(&tls12.to_be_bytes());
    let err = client.handle_input(&flight, Instant::ZERO).unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(embertls::error::PeerMisbehaved::SelectedUnofferedCipherSuite)
    );
    let alert = client.poll_transmit().unwrap();
    assert_eq!(alert[5..], [2, AlertDescription::IllegalParameter.0][..]);
}

#[test]
fn tls12_ecdsa_schemes_name_only_the_hash() {
    // In TLS 1.2, ecdsa_secp256r1_sha256 means "ECDSA with SHA-256" on any
    // curve: peers sign with it using P-384 keys. Made by the openssl tool.
    let dir = std::env::temp_dir().join(format!("embertls-ecdsa-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let message = dir.join("message");
    let signature = dir.join("signature");
    std::fs::write(&message, b"client random, server random, params").unwrap();
    let key = embertls_conformance::testkit::pem::testdata("server-p384.key");
    let status = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(&key)
        .arg("-out")
        .arg(&signature)
        .arg(&message)
        .status()
        .expect("openssl");
    assert!(status.success());
    let sig = std::fs::read(&signature).unwrap();
    let cert = embertls_conformance::testkit::pem::load_certs(
        &embertls_conformance::testkit::pem::testdata("server-p384.pem"),
    )
    .unwrap()
    .remove(0);
    let provider = embertls_conformance::testkit::pair::test_provider(Mode::Direct);
    let verifier = embertls::verify::WebPkiVerifier::new(provider.verifier.clone());
    let scheme = embertls::msgs::enums::SignatureScheme::ECDSA_NISTP256_SHA256;
    let msg = std::fs::read(&message).unwrap();
    verifier
        .verify_signature_tls12(&cert, scheme, &msg, &sig)
        .expect("TLS 1.2: the scheme names the hash only");
    // TLS 1.3 ties the scheme to the curve.
    assert!(verifier
        .verify_signature(&cert, scheme, &msg, &sig)
        .is_err());
    // A wrong signature still fails.
    assert!(verifier
        .verify_signature_tls12(&cert, scheme, b"other message", &sig)
        .is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn versions_are_offered_only_with_suites_for_them() {
    // Only TLS 1.2 suites configured: the client offers TLS 1.2 alone, and a
    // default server answers TLS 1.2 without the downgrade sentinel fuss.
    let mut client = client_config(Mode::Direct);
    client.common.cipher_suites = vec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    let mut pair = Pair::new(
        client,
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert_eq!(
        pair.client.protocol_version(),
        Some(ProtocolVersion::TLSv1_2)
    );
    // A server with only TLS 1.2 suites speaks TLS 1.2 to a default client.
    let mut server = server_config(Mode::Direct, "p256");
    server.common.cipher_suites = vec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    let mut pair = Pair::new(client_config(Mode::Direct), server, Some("localhost")).unwrap();
    pair.handshake().unwrap();
    assert_eq!(
        pair.client.protocol_version(),
        Some(ProtocolVersion::TLSv1_2)
    );
    // PSK suites alone without a PSK: nothing to offer.
    let mut client = client_config(Mode::Direct);
    client.common.cipher_suites = vec![CipherSuite::TLS_PSK_WITH_AES_128_GCM_SHA256];
    assert!(matches!(
        Connection::client(Arc::new(client), Some("localhost"), Instant::ZERO),
        Err(Error::Config(_))
    ));
}
