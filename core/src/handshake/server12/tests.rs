//! What can be checked without TLS 1.2 record protection: negotiation
//! decisions, resumption rules, RFC 5746 checks, the RSA premaster
//! fallback and the server's first flight.

use alloc::collections::VecDeque;
use core::sync::atomic::{AtomicU8, Ordering};

use bytes::BytesMut;
use rustls_pki_types::CertificateDer;
use sha2::Digest;

use super::client_flight::rsa_premaster;
use super::*;
use crate::config::{PskCredential, ResolvesServerCert};
use crate::conn::DecryptResult;
use crate::crypto::{
    Cbc, CbcAlgorithm, CbcKey, CryptoProvider, FiniteFieldDh, Hash, HashContext, HashOutput,
    KeyExchangeGroup, KeyLoader, PrfUsingHmac, SecureRandom, SharedSecret, SignatureAlgorithm,
    SignatureVerifier, SigningKey,
};
use crate::error::CryptoError;
use crate::handshake::{Negotiated, OperationSlot};
use crate::msgs::enums::HashAlgorithm;
use crate::msgs::extensions::ClientExtensions;
use crate::msgs::handshake12::ClientKeyExchange;
use crate::record::RecordLayer;
use crate::test_support::{Aes128Gcm, HmacSha256};

struct Sha256;
struct Sha256Ctx(sha2::Sha256);

impl Hash for Sha256 {
    fn algorithm(&self) -> HashAlgorithm {
        HashAlgorithm::SHA256
    }
    fn output_len(&self) -> usize {
        32
    }
    fn start(&self) -> Box<dyn HashContext> {
        Box::new(Sha256Ctx(sha2::Sha256::new()))
    }
}

impl HashContext for Sha256Ctx {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data)
    }
    fn fork(&self) -> Box<dyn HashContext> {
        Box::new(Sha256Ctx(self.0.clone()))
    }
    fn finish(self: Box<Self>) -> HashOutput {
        HashOutput::new(&self.0.finalize())
    }
}

/// A key exchange with fixed values: negotiation tests need no real DH.
struct FakeKx {
    group: NamedGroup,
    public: Vec<u8>,
}

impl ActiveKeyExchange for FakeKx {
    fn group(&self) -> NamedGroup {
        self.group
    }
    fn public_key(&self) -> &[u8] {
        &self.public
    }
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, CryptoError> {
        if peer.iter().all(|b| *b == 0) {
            return Err(CryptoError::InvalidKey);
        }
        Ok(SharedSecret::new(vec![0, 0, 7, 7]))
    }
}

struct FakeGroup(NamedGroup);

impl KeyExchangeGroup for FakeGroup {
    fn group(&self) -> NamedGroup {
        self.0
    }
    fn start(&self, _: &dyn SecureRandom) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        Ok(Box::new(FakeKx {
            group: self.0,
            public: vec![4; 65],
        }))
    }
}

struct FakeFfdh;

impl FiniteFieldDh for FakeFfdh {
    fn start(
        &self,
        group: NamedGroup,
        p: &[u8],
        _: &[u8],
        _: &dyn SecureRandom,
    ) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        Ok(Box::new(FakeKx {
            group,
            public: vec![2; p.len()],
        }))
    }
}

struct FakeCbc;

impl Cbc for FakeCbc {
    fn algorithm(&self) -> CbcAlgorithm {
        CbcAlgorithm::Aes128Cbc
    }
    fn new_key(&self, _: &[u8]) -> Result<Box<dyn CbcKey>, CryptoError> {
        Err(CryptoError::UnsupportedAlgorithm)
    }
}

struct AnyVerifier;

impl SignatureVerifier for AnyVerifier {
    fn supports(&self, _: SignatureAlgorithm) -> bool {
        true
    }
    fn verify(
        &self,
        _: SignatureAlgorithm,
        _: &[u8],
        _: &[u8],
        _: &[u8],
    ) -> Result<(), CryptoError> {
        Ok(())
    }
}

struct NoKeys;

impl KeyLoader for NoKeys {
    fn load_private_key(&self, _: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError> {
        Err(CryptoError::UnsupportedAlgorithm)
    }
}

#[derive(Default)]
struct Counter(AtomicU8);

impl SecureRandom for Counter {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
        for b in dest {
            *b = self.0.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

struct FakeKey(KeyType);

impl SigningKey for FakeKey {
    fn key_type(&self) -> KeyType {
        self.0
    }
    fn sign(&self, _: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(sha2::Sha256::digest(message).to_vec())
    }
}

struct Resolver(Option<Arc<CertifiedKey>>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.clone()
    }
}

fn provider(ffdh: bool) -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        name: "test",
        hashes: vec![Arc::new(Sha256)],
        hmacs: vec![Arc::new(HmacSha256)],
        hkdfs: vec![],
        prfs: vec![Arc::new(PrfUsingHmac(Arc::new(HmacSha256)))],
        aeads: vec![Arc::new(Aes128Gcm)],
        cbcs: vec![Arc::new(FakeCbc)],
        groups: vec![
            Arc::new(FakeGroup(NamedGroup::X25519)),
            Arc::new(FakeGroup(NamedGroup::secp256r1)),
        ],
        ffdh: ffdh.then(|| Arc::new(FakeFfdh) as Arc<dyn FiniteFieldDh>),
        rsa_key_transport: None,
        verifier: Arc::new(AnyVerifier),
        key_loader: Arc::new(NoKeys),
        random: Arc::new(Counter::default()),
        time: None,
    })
}

const ECDHE_ECDSA_GCM: u16 = 0xc02b;
const ECDHE_ECDSA_CBC: u16 = 0xc023;
const ECDHE_RSA_GCM: u16 = 0xc02f;
const DHE_RSA_GCM: u16 = 0x009e;
const RSA_GCM: u16 = 0x009c;
const PSK_GCM: u16 = 0x00a8;
const ECDHE_PSK_CBC: u16 = 0xc037;

fn config_with(suites: &[u16], key: Option<KeyType>, ffdh: bool) -> ServerConfig {
    let certified = key.map(|k| {
        Arc::new(CertifiedKey::new(
            vec![CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])],
            Arc::new(FakeKey(k)),
        ))
    });
    let mut config = ServerConfig::new(provider(ffdh), Arc::new(Resolver(certified)));
    config.common.cipher_suites = suites.iter().map(|s| CipherSuite(*s)).collect();
    config
}

fn config(suites: &[u16], key: Option<KeyType>) -> ServerConfig {
    config_with(suites, key, false)
}

fn hello(suites: &[u16]) -> ClientHello {
    ClientHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random: [9; 32],
        session_id: SessionId::empty(),
        dtls_cookie: None,
        cipher_suites: suites.iter().map(|s| CipherSuite(*s)).collect(),
        compression_methods: vec![0],
        extensions: ClientExtensions {
            supported_groups: Some(vec![NamedGroup::secp256r1, NamedGroup::X25519]),
            signature_algorithms: Some(crate::config::default_signature_schemes()),
            renegotiation_info: Some(Vec::new()),
            extended_master_secret: true,
            ..Default::default()
        },
    }
}

fn with_psk(mut config: ServerConfig) -> ServerConfig {
    config.psk_resolver = Some(Arc::new(PskCredential::new(b"client", &[5; 32])));
    config
}

fn chosen(config: &ServerConfig, hello: &ClientHello) -> Result<u16, Error> {
    let certified = config.cert_resolver.resolve(&ClientHelloInfo {
        server_name: None,
        signature_schemes: &[],
        alpn: &[],
    });
    select_suite(config, hello, certified.as_deref()).map(|s| s.suite.suite.0)
}

#[test]
fn server_order_or_client_order() {
    let mut config = with_psk(config(
        &[ECDHE_ECDSA_GCM, PSK_GCM],
        Some(KeyType::EcdsaP256),
    ));
    let hello = hello(&[PSK_GCM, ECDHE_ECDSA_GCM]);
    config.prefer_server_suite_order = true;
    assert_eq!(chosen(&config, &hello), Ok(ECDHE_ECDSA_GCM));
    config.prefer_server_suite_order = false;
    assert_eq!(chosen(&config, &hello), Ok(PSK_GCM));
}

#[test]
fn tls13_suites_are_not_chosen() {
    let config = config(&[0x1301, ECDHE_ECDSA_GCM], Some(KeyType::EcdsaP256));
    assert_eq!(
        chosen(&config, &hello(&[0x1301, ECDHE_ECDSA_GCM])),
        Ok(ECDHE_ECDSA_GCM)
    );
    assert_eq!(
        chosen(&config, &hello(&[0x1301])),
        Err(PeerIncompatible::NoCommonCipherSuite.into())
    );
}

#[test]
fn cbc_needs_encrypt_then_mac_unless_allowed() {
    let mut config = config(&[ECDHE_ECDSA_CBC], Some(KeyType::EcdsaP256));
    let mut h = hello(&[ECDHE_ECDSA_CBC]);
    assert_eq!(
        chosen(&config, &h),
        Err(PeerIncompatible::NoCommonCipherSuite.into())
    );
    h.extensions.encrypt_then_mac = true;
    let s = select_suite(&config, &h, Some(&certified(KeyType::EcdsaP256))).unwrap();
    assert!(s.encrypt_then_mac);
    // EtM switched off on our side: refused again...
    config.common.tls12.encrypt_then_mac = false;
    assert!(chosen(&config, &h).is_err());
    // ...unless MAC-then-encrypt is allowed.
    config.common.tls12.allow_mac_then_encrypt = true;
    let s = select_suite(&config, &h, Some(&certified(KeyType::EcdsaP256))).unwrap();
    assert!(!s.encrypt_then_mac);
}

#[test]
fn encrypt_then_mac_only_for_cbc() {
    let config = config(&[ECDHE_ECDSA_GCM], Some(KeyType::EcdsaP256));
    let mut h = hello(&[ECDHE_ECDSA_GCM]);
    h.extensions.encrypt_then_mac = true;
    let s = select_suite(&config, &h, Some(&certified(KeyType::EcdsaP256))).unwrap();
    assert!(!s.encrypt_then_mac);
}

fn certified(key: KeyType) -> CertifiedKey {
    CertifiedKey::new(
        vec![CertificateDer::from(vec![0x30, 0])],
        Arc::new(FakeKey(key)),
    )
}

#[test]
fn psk_suites_need_a_resolver() {
    let config = config(&[PSK_GCM], None);
    let h = hello(&[PSK_GCM]);
    assert_eq!(
        chosen(&config, &h),
        Err(PeerIncompatible::NoCommonCipherSuite.into())
    );
    let config = with_psk(config);
    assert_eq!(chosen(&config, &h), Ok(PSK_GCM));
    // ECDHE_PSK with EtM: a group and a resolver, no certificate.
    let config = with_psk(self::config(&[ECDHE_PSK_CBC], None));
    let mut h = hello(&[ECDHE_PSK_CBC]);
    h.extensions.encrypt_then_mac = true;
    let s = select_suite(&config, &h, None).unwrap();
    assert_eq!(s.kx, KxPlan::Ecdhe(NamedGroup::X25519));
}

#[test]
fn ecdhe_needs_a_common_group_and_uncompressed_points() {
    let config = config(&[ECDHE_ECDSA_GCM], Some(KeyType::EcdsaP256));
    let cert = certified(KeyType::EcdsaP256);
    let mut h = hello(&[ECDHE_ECDSA_GCM]);
    h.extensions.supported_groups = Some(vec![NamedGroup::secp384r1, NamedGroup::FFDHE2048]);
    assert_eq!(
        select_suite(&config, &h, Some(&cert)),
        Err(PeerIncompatible::NoCommonCipherSuite.into())
    );
    // No list at all means secp256r1.
    h.extensions.supported_groups = None;
    let s = select_suite(&config, &h, Some(&cert)).unwrap();
    assert_eq!(s.kx, KxPlan::Ecdhe(NamedGroup::secp256r1));
    // Our preference among the client's groups.
    h.extensions.supported_groups = Some(vec![NamedGroup::secp256r1, NamedGroup::X25519]);
    let s = select_suite(&config, &h, Some(&cert)).unwrap();
    assert_eq!(s.kx, KxPlan::Ecdhe(NamedGroup::X25519));
    h.extensions.ec_point_formats = Some(vec![1, 2]);
    assert!(select_suite(&config, &h, Some(&cert)).is_err());
    h.extensions.ec_point_formats = Some(vec![1, 0]);
    assert!(select_suite(&config, &h, Some(&cert)).is_ok());
}

#[test]
fn certificate_key_type_and_signature_schemes_decide() {
    let config = config(&[ECDHE_ECDSA_GCM, ECDHE_RSA_GCM, RSA_GCM], None);
    let mut h = hello(&[ECDHE_ECDSA_GCM, ECDHE_RSA_GCM, RSA_GCM]);
    let rsa = certified(KeyType::Rsa);
    let s = select_suite(&config, &h, Some(&rsa)).unwrap();
    assert_eq!(s.suite.suite.0, ECDHE_RSA_GCM);
    assert_eq!(s.scheme, Some(SignatureScheme::RSA_PSS_RSAE_SHA256));
    let s = select_suite(&config, &h, Some(&certified(KeyType::EcdsaP384))).unwrap();
    assert_eq!(s.suite.suite.0, ECDHE_ECDSA_GCM);
    assert_eq!(s.scheme, Some(SignatureScheme::ECDSA_NISTP384_SHA384));
    // PKCS#1 only.
    h.extensions.signature_algorithms = Some(vec![SignatureScheme::RSA_PKCS1_SHA384]);
    let s = select_suite(&config, &h, Some(&rsa)).unwrap();
    assert_eq!(s.scheme, Some(SignatureScheme::RSA_PKCS1_SHA384));
    // Without signature_algorithms (SHA-1 implied) nothing signs; RSA key
    // transport needs no signature.
    h.extensions.signature_algorithms = None;
    let s = select_suite(&config, &h, Some(&rsa)).unwrap();
    assert_eq!(s.suite.suite.0, RSA_GCM);
    assert_eq!(s.scheme, None);
    // No certificate at all.
    assert_eq!(
        select_suite(&config, &h, None),
        Err(PeerIncompatible::NoCertificateForName.into())
    );
}

#[test]
fn dhe_groups() {
    let mut config = config_with(&[DHE_RSA_GCM], None, true);
    let rsa = certified(KeyType::Rsa);
    let mut h = hello(&[DHE_RSA_GCM]);
    // No FFDHE group named: our configured parameters.
    let s = select_suite(&config, &h, Some(&rsa)).unwrap();
    assert!(matches!(s.kx, KxPlan::Dhe(DhGroup { group, .. }) if group == NamedGroup::FFDHE2048));
    config.dh_params = DhParams::Custom {
        p: vec![0, 0xff, 0xfb],
        g: vec![2],
    };
    let s = select_suite(&config, &h, Some(&rsa)).unwrap();
    assert_eq!(
        s.kx,
        KxPlan::Dhe(DhGroup {
            group: NamedGroup(0),
            p: vec![0xff, 0xfb],
            g: vec![2]
        })
    );
    // A named group the client lists wins.
    h.extensions.supported_groups = Some(vec![NamedGroup::X25519, NamedGroup::FFDHE3072]);
    let s = select_suite(&config, &h, Some(&rsa)).unwrap();
    assert!(matches!(s.kx, KxPlan::Dhe(DhGroup { group, .. }) if group == NamedGroup::FFDHE3072));
    // Only FFDHE groups we do not know: no DHE (RFC 7919 4).
    h.extensions.supported_groups = Some(vec![NamedGroup(0x0104)]);
    assert!(select_suite(&config, &h, Some(&rsa)).is_err());
    // Without finite-field DH in the provider the suite is not usable at all.
    let config = self::config(&[DHE_RSA_GCM], None);
    h.extensions.supported_groups = None;
    assert!(select_suite(&config, &h, Some(&rsa)).is_err());
}

fn decrypted(bytes: &[u8]) -> DecryptResult {
    DecryptResult::from(Ok(bytes.to_vec()))
}

#[test]
fn rsa_premaster_falls_back_to_random_bytes() {
    let fallback = [0xaa; 48];
    let mut good = [0x11; 48];
    good[..2].copy_from_slice(&[3, 3]);
    let v12 = ProtocolVersion::TLSv1_2;
    assert_eq!(*rsa_premaster(&fallback, &decrypted(&good), v12), good);
    // Wrong length, either way.
    assert_eq!(
        *rsa_premaster(&fallback, &decrypted(&good[..47]), v12),
        fallback
    );
    let mut long = good.to_vec();
    long.push(0);
    assert_eq!(*rsa_premaster(&fallback, &decrypted(&long), v12), fallback);
    assert_eq!(*rsa_premaster(&fallback, &decrypted(&[]), v12), fallback);
    // Wrong version: the one the client negotiated is not enough.
    let mut wrong = good;
    wrong[1] = 1;
    assert_eq!(*rsa_premaster(&fallback, &decrypted(&wrong), v12), fallback);
    assert_eq!(
        *rsa_premaster(&fallback, &decrypted(&good), ProtocolVersion(0x0302)),
        fallback
    );
    // Decryption failed.
    let failed = DecryptResult::from(Err(CryptoError::Other));
    assert_eq!(*rsa_premaster(&fallback, &failed, v12), fallback);
}

fn session(ems: bool) -> SessionState12 {
    SessionState12 {
        version: ProtocolVersion::TLSv1_2,
        suite: CipherSuite(ECDHE_ECDSA_GCM),
        master: Zeroizing::new([1; 48]),
        extended_master_secret: ems,
        issued_at: UnixTime(1000),
        server_name: None,
        alpn: None,
    }
}

#[test]
fn extended_master_secret_rules_for_resumption() {
    let config = config(&[ECDHE_ECDSA_GCM], Some(KeyType::EcdsaP256));
    let mut h = hello(&[ECDHE_ECDSA_GCM]);
    let resume =
        ResumeDecision::Resume(crate::suites::by_id(CipherSuite(ECDHE_ECDSA_GCM)).unwrap());
    let decide =
        |h: &ClientHello, s: &SessionState12| resume_decision(&config, h, s, None, None, None);
    h.extensions.extended_master_secret = true;
    assert_eq!(decide(&h, &session(true)), Ok(resume));
    // Session without EMS, hello with it: full handshake.
    assert_eq!(decide(&h, &session(false)), Ok(ResumeDecision::Full));
    // Session with EMS, hello without it: abort.
    h.extensions.extended_master_secret = false;
    assert_eq!(
        decide(&h, &session(true)),
        Err(PeerMisbehaved::ExtendedMasterSecretMismatch.into())
    );
    assert_eq!(
        Error::from(PeerMisbehaved::ExtendedMasterSecretMismatch).alert(),
        Some(crate::msgs::enums::AlertDescription::HandshakeFailure)
    );
    // Neither: resume.
    assert!(matches!(
        decide(&h, &session(false)),
        Ok(ResumeDecision::Resume(_))
    ));
}

#[test]
fn resumption_needs_the_same_suite_name_and_time() {
    let config = config(&[ECDHE_ECDSA_GCM, ECDHE_RSA_GCM], Some(KeyType::EcdsaP256));
    let h = hello(&[ECDHE_RSA_GCM, ECDHE_ECDSA_GCM]);
    let state = session(true);
    let decide = |h: &ClientHello, name: Option<&str>, now: Option<u64>| {
        resume_decision(&config, h, &state, name, now.map(UnixTime), Some(100))
    };
    assert!(matches!(
        decide(&h, None, Some(1050)),
        Ok(ResumeDecision::Resume(_))
    ));
    assert_eq!(decide(&h, None, Some(1100)), Ok(ResumeDecision::Full));
    assert_eq!(decide(&h, None, Some(999)), Ok(ResumeDecision::Full));
    assert_eq!(
        decide(&h, Some("other.example"), None),
        Ok(ResumeDecision::Full)
    );
    // The session's suite is no longer offered.
    let h2 = hello(&[ECDHE_RSA_GCM]);
    assert_eq!(decide(&h2, None, None), Ok(ResumeDecision::Full));
}

#[test]
fn renegotiation_info_on_initial_handshakes() {
    let legacy = LegacyRenegotiation::NoRenegotiation;
    let mut h = hello(&[ECDHE_ECDSA_GCM]);
    assert_eq!(check_renegotiation_info(&h, None, legacy), Ok(true));
    h.extensions.renegotiation_info = Some(vec![1]);
    assert_eq!(
        check_renegotiation_info(&h, None, legacy),
        Err(PeerMisbehaved::BadRenegotiationInfo.into())
    );
    h.extensions.renegotiation_info = None;
    assert_eq!(check_renegotiation_info(&h, None, legacy), Ok(false));
    assert_eq!(
        check_renegotiation_info(&h, None, LegacyRenegotiation::BreakHandshake),
        Err(PeerMisbehaved::InsecureRenegotiation.into())
    );
    h.cipher_suites
        .push(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    assert_eq!(
        check_renegotiation_info(&h, None, LegacyRenegotiation::BreakHandshake),
        Ok(true)
    );
}

#[test]
fn renegotiation_info_when_renegotiating() {
    let legacy = LegacyRenegotiation::NoRenegotiation;
    let binding = RenegotiationBinding {
        secure: true,
        client_verify_data: Zeroizing::new(vec![1; 12]),
        server_verify_data: Zeroizing::new(vec![2; 12]),
    };
    let mut h = hello(&[ECDHE_ECDSA_GCM]);
    h.extensions.renegotiation_info = Some(vec![1; 12]);
    assert_eq!(
        check_renegotiation_info(&h, Some(&binding), legacy),
        Ok(true)
    );
    for bad in [vec![], vec![1; 11], vec![2; 12], vec![1; 24]] {
        h.extensions.renegotiation_info = Some(bad);
        assert!(check_renegotiation_info(&h, Some(&binding), legacy).is_err());
    }
    h.extensions.renegotiation_info = None;
    assert!(check_renegotiation_info(&h, Some(&binding), legacy).is_err());
    // The SCSV is forbidden in a renegotiating hello.
    h.extensions.renegotiation_info = Some(vec![1; 12]);
    h.cipher_suites
        .push(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    assert!(check_renegotiation_info(&h, Some(&binding), legacy).is_err());
    // A legacy peer (policy allowed it) must stay legacy.
    let insecure = RenegotiationBinding::default();
    let mut h = hello(&[ECDHE_ECDSA_GCM]);
    h.extensions.renegotiation_info = None;
    let allow = LegacyRenegotiation::AllowRenegotiation;
    assert_eq!(
        check_renegotiation_info(&h, Some(&insecure), allow),
        Ok(false)
    );
    h.extensions.renegotiation_info = Some(vec![]);
    assert!(check_renegotiation_info(&h, Some(&insecure), allow).is_err());
    assert_eq!(binding.server_info(), [vec![1; 12], vec![2; 12]].concat());
}

#[test]
fn max_fragment_length_and_ems_policy() {
    assert_eq!(max_fragment_len(1), Ok(512));
    assert_eq!(max_fragment_len(4), Ok(4096));
    for bad in [0, 5, 255] {
        assert!(max_fragment_len(bad).is_err());
    }
    let mut config = config(&[ECDHE_ECDSA_GCM], None);
    assert_eq!(negotiate_ems(&config.common, true), Ok(true));
    assert_eq!(negotiate_ems(&config.common, false), Ok(false));
    config.common.tls12.require_extended_master_secret = true;
    assert_eq!(
        negotiate_ems(&config.common, false),
        Err(PeerIncompatible::ExtendedMasterSecretRequired.into())
    );
    config.common.tls12.extended_master_secret = false;
    assert!(negotiate_ems(&config.common, true).is_err());
}

/// A context over fresh connection state.
struct Harness {
    record: RecordLayer,
    tx: BytesMut,
    events: VecDeque<crate::conn::Event>,
    negotiated: Negotiated,
    ops: OperationSlot,
    ready: bool,
}

impl Harness {
    fn new() -> Self {
        Self {
            record: RecordLayer::new(16_384, 16_384, 1),
            tx: BytesMut::new(),
            events: VecDeque::new(),
            negotiated: Negotiated::default(),
            ops: OperationSlot::default(),
            ready: false,
        }
    }

    fn cx(&mut self) -> Context<'_> {
        Context {
            record: &mut self.record,
            tx: &mut self.tx,
            events: &mut self.events,
            negotiated: &mut self.negotiated,
            ops: &mut self.ops,
            application_keys_ready: &mut self.ready,
            datagram: None,
        }
    }

    /// The plaintext handshake messages written so far, as (type, body);
    /// stops at the first ChangeCipherSpec (what follows is encrypted).
    fn sent(&mut self) -> Vec<(HandshakeType, Vec<u8>)> {
        let mut payload = Vec::new();
        let mut rest = &self.tx[..];
        while rest.len() >= 5 {
            let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
            if rest[0] == ContentType::ChangeCipherSpec.0 {
                break;
            }
            assert_eq!(rest[0], ContentType::Handshake.0);
            payload.extend_from_slice(&rest[5..5 + len]);
            rest = &rest[5 + len..];
        }
        let mut out = Vec::new();
        let mut p = &payload[..];
        while p.len() >= 4 {
            let len = u32::from_be_bytes([0, p[1], p[2], p[3]]) as usize;
            out.push((HandshakeType(p[0]), p[4..4 + len].to_vec()));
            p = &p[4 + len..];
        }
        out
    }
}

fn state_name(state: &State) -> &'static str {
    match state {
        State::Server12(s) => s.name(),
        State::Traffic12(_) => "traffic12",
        _ => "other",
    }
}

fn run_hello(config: ServerConfig, hello: &ClientHello, h: &mut Harness) -> Result<State, Error> {
    let mut encoded = Vec::new();
    encode_handshake(&mut encoded, HandshakeType::ClientHello, |o| hello.write(o));
    handle_client_hello(Arc::new(config), &mut h.cx(), hello.clone(), &encoded, None)
}

#[test]
fn full_handshake_first_flight() {
    let mut config = config(&[ECDHE_ECDSA_GCM], Some(KeyType::EcdsaP256));
    config.common.verify_mode = VerifyMode::Optional;
    let mut hello = hello(&[ECDHE_ECDSA_GCM]);
    hello.extensions.alpn = Some(vec![b"h2".to_vec()]);
    hello.extensions.max_fragment_length = Some(2);
    config.common.alpn_protocols = vec![b"http/1.1".to_vec(), b"h2".to_vec()];
    let mut h = Harness::new();
    let state = run_hello(config, &hello, &mut h).unwrap();
    assert_eq!(state_name(&state), "server12:expect_certificate");
    assert_eq!(h.negotiated.version, Some(ProtocolVersion::TLSv1_2));
    assert_eq!(h.negotiated.alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(h.negotiated.group, Some(NamedGroup::X25519));
    assert_eq!(h.record.max_fragment_out, 1024);
    let sent = h.sent();
    let types: Vec<_> = sent.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        types,
        [
            HandshakeType::ServerHello,
            HandshakeType::Certificate,
            HandshakeType::ServerKeyExchange,
            HandshakeType::CertificateRequest,
            HandshakeType::ServerHelloDone
        ]
    );
    let sh = ServerHello::read(&sent[0].1).unwrap();
    // Only TLS 1.2 suites configured: this server could not have spoken
    // TLS 1.3, so no downgrade sentinel.
    assert_ne!(sh.random[24..], DOWNGRADE_TLS12);
    assert_eq!(sh.extensions.renegotiation_info, Some(vec![]));
    assert!(sh.extensions.extended_master_secret);
    assert_eq!(sh.extensions.max_fragment_length, Some(2));
    assert!(sh.session_id.is_empty());
    let ske = ServerKeyExchange::read(&sent[2].1, KeyExchange::EcdheEcdsa).unwrap();
    let sig = ske.signature.unwrap();
    assert_eq!(sig.scheme, SignatureScheme::ECDSA_NISTP256_SHA256);
    let signed = tls12::signed_params(
        &hello.random,
        &sh.random,
        &sent[2].1[ske.params_range.clone()],
    );
    assert_eq!(sig.signature, sha2::Sha256::digest(&signed).to_vec());
}

#[test]
fn psk_flight_and_client_key_exchange() {
    let config = with_psk(config(&[PSK_GCM], None));
    let mut h = Harness::new();
    let state = run_hello(config, &hello(&[PSK_GCM]), &mut h).unwrap();
    let types: Vec<_> = h.sent().iter().map(|(t, _)| *t).collect();
    // No hint configured: no ServerKeyExchange.
    assert_eq!(
        types,
        [HandshakeType::ServerHello, HandshakeType::ServerHelloDone]
    );
    let cke = |identity: &[u8]| {
        let mut body = Vec::new();
        ClientKeyExchange {
            psk_identity: Some(identity.to_vec()),
            exchange: crate::msgs::handshake12::ClientExchange::None,
        }
        .write(&mut body);
        let mut encoded = Vec::new();
        encode_handshake(&mut encoded, HandshakeType::ClientKeyExchange, |o| {
            o.extend_from_slice(&body)
        });
        encoded
    };
    let encoded = cke(b"stranger");
    let msg = HandshakeMessage {
        typ: HandshakeType::ClientKeyExchange,
        body: &encoded[4..],
        encoded: &encoded,
    };
    let State::Server12(s) = state else {
        panic!("not a TLS 1.2 server state")
    };
    assert_eq!(s.name(), "server12:expect_client_key_exchange");
    assert_eq!(
        s.handle(&mut h.cx(), msg).err(),
        Some(PeerMisbehaved::UnknownPskIdentity.into())
    );
}

#[test]
fn hello_without_null_compression_or_required_ems() {
    let config = with_psk(config(&[PSK_GCM], None));
    let mut h = hello(&[PSK_GCM]);
    h.compression_methods = vec![1];
    assert_eq!(
        run_hello(config.clone(), &h, &mut Harness::new()).err(),
        Some(PeerIncompatible::NoCommonCompression.into())
    );
    let mut config = config;
    config.common.tls12.require_extended_master_secret = true;
    let mut h = hello(&[PSK_GCM]);
    h.extensions.extended_master_secret = false;
    let err = run_hello(config, &h, &mut Harness::new()).err().unwrap();
    assert_eq!(
        err.alert(),
        Some(crate::msgs::enums::AlertDescription::HandshakeFailure)
    );
}

#[test]
fn session_ids_and_ticket_extension() {
    struct Sealer;
    impl crate::crypto::TicketSealer for Sealer {
        fn lifetime_secs(&self) -> u32 {
            3600
        }
        fn seal(&self, p: &[u8]) -> Result<Vec<u8>, CryptoError> {
            Ok(p.to_vec())
        }
        fn open(&self, t: &[u8]) -> Result<Option<Vec<u8>>, CryptoError> {
            Ok(Some(t.to_vec()))
        }
        fn start_open(&self, _: &[u8]) -> Pausable<Result<Option<Vec<u8>>, CryptoError>> {
            Pausable::Pending
        }
    }
    let mut config = with_psk(config(&[PSK_GCM], None));
    config.ticketer = Some(Arc::new(Sealer));
    let mut hello = hello(&[PSK_GCM]);
    hello.extensions.session_ticket = Some(Vec::new());
    let mut h = Harness::new();
    run_hello(config.clone(), &hello, &mut h).unwrap();
    let sh = ServerHello::read(&h.sent()[0].1).unwrap();
    assert!(sh.extensions.session_ticket);
    // A non-empty ticket with a pausing sealer: an operation, no output.
    hello.extensions.session_ticket = Some(vec![1, 2, 3]);
    let mut h = Harness::new();
    let state = run_hello(config, &hello, &mut h).unwrap();
    assert_eq!(state_name(&state), "server12:opening_ticket");
    assert!(h.tx.is_empty());
    assert!(h.ops.pending.is_some());
    // The ticket does not decode: a full handshake follows on resume.
    let State::Server12(s) = state else {
        panic!("not a TLS 1.2 server state")
    };
    let next = s
        .resume(
            &mut h.cx(),
            OperationResult::OpenedTicket(Ok(Some(vec![0]))),
        )
        .unwrap();
    assert_eq!(state_name(&next), "server12:expect_client_key_exchange");
    assert!(!h.negotiated.resumed);
}

/// Past key derivation the server waits for the client's ChangeCipherSpec.
fn waits_for_change_cipher_spec(result: Result<State, Error>) {
    let state = result.expect("handshake goes on");
    assert_eq!(state_name(&state), "server12:expect_change_cipher_spec");
}

fn handshake_message(typ: HandshakeType, body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut encoded = Vec::new();
    encode_handshake(&mut encoded, typ, body);
    encoded
}

#[test]
fn ecdhe_client_key_exchange() {
    for (point, invalid) in [(vec![0u8; 65], true), (vec![4u8; 65], false)] {
        let config = config(&[ECDHE_ECDSA_GCM], Some(KeyType::EcdsaP256));
        let mut h = Harness::new();
        let Ok(State::Server12(s)) = run_hello(config, &hello(&[ECDHE_ECDSA_GCM]), &mut h) else {
            panic!("no TLS 1.2 server state")
        };
        assert_eq!(s.name(), "server12:expect_client_key_exchange");
        let encoded = handshake_message(HandshakeType::ClientKeyExchange, |o| {
            ClientKeyExchange {
                psk_identity: None,
                exchange: crate::msgs::handshake12::ClientExchange::Ecdh(point),
            }
            .write(o)
        });
        let msg = HandshakeMessage {
            typ: HandshakeType::ClientKeyExchange,
            body: &encoded[4..],
            encoded: &encoded,
        };
        let result = s.handle(&mut h.cx(), msg);
        if invalid {
            assert_eq!(
                result.err(),
                Some(PeerMisbehaved::InvalidKeyExchange.into())
            );
        } else {
            waits_for_change_cipher_spec(result);
        }
    }
}

/// Always finds the same session.
struct OneSession(Vec<u8>);

impl crate::session::SessionCache for OneSession {
    fn store(&self, _: &[u8], _: Zeroizing<Vec<u8>>, _: u64) {}
    fn load(&self, _: &[u8], _: u64) -> Option<Zeroizing<Vec<u8>>> {
        Some(Zeroizing::new(self.0.clone()))
    }
    fn remove(&self, _: &[u8]) {}
}

#[test]
fn resumption_by_session_id() {
    let mut config = config(&[ECDHE_ECDSA_GCM], Some(KeyType::EcdsaP256));
    config.session_cache = Some(Arc::new(OneSession(session(true).encode().to_vec())));
    let mut hello = hello(&[ECDHE_ECDSA_GCM]);
    hello.session_id = SessionId::new(&[7; 32]).unwrap();
    let mut h = Harness::new();
    waits_for_change_cipher_spec(run_hello(config.clone(), &hello, &mut h));
    assert!(h.negotiated.resumed);
    let sent = h.sent();
    let sh = ServerHello::read(&sent[0].1).unwrap();
    assert_eq!(sh.session_id.as_ref(), &[7; 32]);
    assert!(sh.extensions.ec_point_formats.is_none());
    // The session used EMS; a hello without it aborts (RFC 7627 5.3).
    hello.extensions.extended_master_secret = false;
    assert_eq!(
        run_hello(config.clone(), &hello, &mut Harness::new()).err(),
        Some(PeerMisbehaved::ExtendedMasterSecretMismatch.into())
    );
    // Without a session id offered: a full handshake with a fresh id.
    hello.extensions.extended_master_secret = true;
    hello.session_id = SessionId::empty();
    let mut h = Harness::new();
    run_hello(config, &hello, &mut h).unwrap();
    assert!(!h.negotiated.resumed);
    let sh = ServerHello::read(&h.sent()[0].1).unwrap();
    assert_eq!(sh.session_id.as_ref().len(), 32);
}
