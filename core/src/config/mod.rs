//! Client and server configuration: the `mbedtls_ssl_conf_*` surface.
//!
//! Configurations are plain structs with public fields and sensible defaults
//! from `new`; share them between connections behind an `Arc`.

mod cert;
mod dtls;
mod keylog;
mod tls12;

pub use cert::{CertifiedKey, ClientHelloInfo, ResolvesServerCert, SingleCertAndKey, SniResolver};
pub use dtls::{DtlsOptions, SrtpOptions, SrtpProfile, Transport, UnexpectedCid};
#[cfg(feature = "std")]
pub use keylog::KeyLogFile;
pub use keylog::{key_log_line, KeyLog};
pub use tls12::{
    DhParams, ExportedKeys, KeyExport, LegacyRenegotiation, PskCredential, PskResolver,
    Renegotiation, Tls12Options,
};

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::crypto::{CryptoProvider, ExternalSigner, TicketSealer};
use crate::error::Error;
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::record::MAX_PLAINTEXT_LEN;
use crate::suites::{self, SuiteInfo};
use crate::verify::{
    CertificateVerifier, RootStore, VerifyMode, WebPkiCertVerifier, WebPkiVerifier,
};

/// Protocol versions, lowest and highest acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionRange {
    pub min: ProtocolVersion,
    pub max: ProtocolVersion,
}

impl VersionRange {
    pub const TLS13_ONLY: Self = Self {
        min: ProtocolVersion::TLSv1_3,
        max: ProtocolVersion::TLSv1_3,
    };
    pub const TLS12_ONLY: Self = Self {
        min: ProtocolVersion::TLSv1_2,
        max: ProtocolVersion::TLSv1_2,
    };
    /// The default: TLS 1.2 and TLS 1.3.
    pub const TLS12_AND_13: Self = Self {
        min: ProtocolVersion::TLSv1_2,
        max: ProtocolVersion::TLSv1_3,
    };

    /// Whether `version` lies in the range.
    pub fn allows(self, version: ProtocolVersion) -> bool {
        (self.min.0..=self.max.0).contains(&version.0)
    }

    fn validate(self) -> Result<(), Error> {
        let supported = [ProtocolVersion::TLSv1_2, ProtocolVersion::TLSv1_3];
        if !supported.contains(&self.min)
            || !supported.contains(&self.max)
            || self.min.0 > self.max.0
        {
            return Err(Error::Config(
                "unsupported protocol version range (TLS 1.2 and 1.3 are available)",
            ));
        }
        Ok(())
    }
}

/// Settings shared by both sides.
#[derive(Clone)]
pub struct CommonConfig {
    pub provider: Arc<CryptoProvider>,
    pub versions: VersionRange,
    /// Cipher suites in preference order.
    pub cipher_suites: Vec<CipherSuite>,
    /// Key-exchange groups in preference order (Mbed TLS conf_curves).
    pub groups: Vec<NamedGroup>,
    /// Signature schemes we accept from the peer, in preference order
    /// (Mbed TLS conf_sig_hashes).
    pub signature_schemes: Vec<SignatureScheme>,
    /// ALPN protocols in preference order; empty disables ALPN.
    pub alpn_protocols: Vec<Vec<u8>>,
    /// How strictly the peer's certificate is checked (conf_authmode).
    pub verify_mode: VerifyMode,
    /// Trust anchors for the peer's chain (conf_ca_chain).
    pub roots: RootStore,
    /// Checks the peer's chain against `roots` (WebPKI by default); may be
    /// pausable.
    pub cert_verifier: Arc<dyn CertificateVerifier>,
    /// Sees every certificate of the peer's chain with its failure flags,
    /// which it may clear or extend (Mbed TLS conf_verify).
    pub verify_callback: Option<Arc<dyn crate::verify::VerifyCallback>>,
    /// Asked to sign before our certificate's own key; may decline
    /// (Mbed TLS conf_async_private_cb).
    pub external_signer: Option<Arc<dyn ExternalSigner>>,
    /// Receives traffic secrets in NSS key-log form (debugging only).
    pub key_log: Option<Arc<dyn KeyLog>>,
    /// Largest plaintext per outgoing record (conf_max_frag_len, 64..=16384).
    pub max_fragment_len: usize,
    /// Largest plaintext accepted per incoming record (64..=16384); larger
    /// records end the connection with record_overflow.
    pub max_incoming_plaintext: usize,
    /// Pad protected records to a multiple of this many bytes (1 = off;
    /// Mbed TLS conf_cid padding granularity analogue for TLS 1.3).
    pub record_padding_granularity: usize,
    /// Bytes of application data `send` may queue before the handshake ends.
    pub max_early_send_buffer: usize,
    /// Records we send before rotating keys with KeyUpdate on our own
    /// (AEAD confidentiality limits, RFC 8446 5.5).
    pub key_update_after_records: u64,
    /// TLS 1.2 options: EMS, Encrypt-then-MAC, renegotiation, key export.
    pub tls12: Tls12Options,
    /// TLS over a byte stream (default) or DTLS over datagrams.
    pub transport: Transport,
    /// DTLS options (MTU, timers, replay protection, CID, SRTP).
    pub dtls: DtlsOptions,
    /// Report `Event::ReadTimeout` when nothing arrived for this long
    /// (Mbed TLS conf_read_timeout); the connection stays open.
    pub read_timeout: Option<core::time::Duration>,
}

impl CommonConfig {
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        let groups = provider.groups.iter().map(|g| g.group()).collect();
        let cipher_suites = suites::all()
            .filter(|s| s.default_enabled && suite_available(&provider, s))
            .map(|s| s.suite)
            .collect();
        let cert_verifier = Arc::new(WebPkiCertVerifier::new(provider.verifier.clone()));
        Self {
            provider,
            versions: VersionRange::TLS12_AND_13,
            cipher_suites,
            groups,
            signature_schemes: default_signature_schemes(),
            alpn_protocols: Vec::new(),
            verify_mode: VerifyMode::Required,
            roots: RootStore::new(),
            cert_verifier,
            verify_callback: None,
            external_signer: None,
            key_log: None,
            max_fragment_len: MAX_PLAINTEXT_LEN,
            max_incoming_plaintext: MAX_PLAINTEXT_LEN,
            record_padding_granularity: 1,
            max_early_send_buffer: 64 * 1024,
            key_update_after_records: 1 << 23,
            tls12: Tls12Options::default(),
            transport: Transport::Stream,
            dtls: DtlsOptions::default(),
            read_timeout: None,
        }
    }

    /// Suites configured, within the version range and implemented by the
    /// provider, in order.
    pub(crate) fn usable_suites(&self) -> Vec<&'static SuiteInfo> {
        self.cipher_suites
            .iter()
            .filter_map(|s| suites::by_id(*s))
            .filter(|s| self.versions.allows(s.version))
            .filter(|s| suite_available(&self.provider, s))
            .collect()
    }

    /// Elliptic-curve groups usable for TLS 1.3 key shares and ECDHE.
    pub(crate) fn usable_groups(&self) -> Vec<NamedGroup> {
        self.groups
            .iter()
            .copied()
            .filter(|g| self.provider.group(*g).is_some())
            .collect()
    }

    /// Every configured group the provider implements, RFC 7919 groups
    /// through finite-field DH included.
    pub(crate) fn usable_groups_with_ffdhe(&self) -> Vec<NamedGroup> {
        self.groups
            .iter()
            .copied()
            .filter(|g| self.provider.supports_group(*g))
            .collect()
    }

    pub(crate) fn verify_policy(&self) -> crate::verify::VerifyPolicy {
        crate::verify::VerifyPolicy {
            mode: self.verify_mode,
            callback: self.verify_callback.clone(),
        }
    }

    pub(crate) fn verifier(&self) -> WebPkiVerifier {
        WebPkiVerifier::new(self.provider.verifier.clone())
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        self.versions.validate()?;
        if self.usable_suites().is_empty() {
            return Err(Error::Config(
                "no configured cipher suite is available from the provider",
            ));
        }
        // TLS 1.3 needs an elliptic-curve group for its key shares; TLS 1.2
        // alone can do with RFC 7919 groups (DHE suites).
        let groups = if self.versions.allows(ProtocolVersion::TLSv1_3) {
            self.usable_groups()
        } else {
            self.usable_groups_with_ffdhe()
        };
        if groups.is_empty() {
            return Err(Error::Config(
                "no configured group is available from the provider",
            ));
        }
        if self
            .alpn_protocols
            .iter()
            .any(|p| p.is_empty() || p.len() > 255)
        {
            return Err(Error::Config("ALPN protocol names must be 1..=255 bytes"));
        }
        if self.verify_mode != VerifyMode::None
            && self.roots.is_empty()
            && self.verify_mode == VerifyMode::Required
        {
            return Err(Error::Config("verify mode Required needs trust anchors"));
        }
        Ok(())
    }
}

/// Whether the provider has every primitive `suite` needs.
fn suite_available(provider: &CryptoProvider, suite: &SuiteInfo) -> bool {
    use crate::suites::{Bulk, KeyExchange};
    let bulk = match suite.bulk {
        Bulk::Aead(a) => provider.aead(a).is_some(),
        Bulk::Cbc { cipher, mac } => provider.cbc(cipher).is_some() && provider.hmac(mac).is_some(),
    };
    let hash = provider.hash(suite.hash).is_some();
    let kdf = if suite.is_tls13() {
        provider.hkdf(suite.hash).is_some()
    } else {
        provider.prf(suite.hash).is_some() && provider.hmac(suite.hash).is_some()
    };
    let kx = match suite.kx {
        KeyExchange::DheRsa | KeyExchange::DhePsk => provider.ffdh.is_some(),
        _ => true,
    };
    bulk && hash && kdf && kx
}

/// Signature schemes accepted by default, best first.
pub fn default_signature_schemes() -> Vec<SignatureScheme> {
    alloc::vec![
        SignatureScheme::ECDSA_NISTP256_SHA256,
        SignatureScheme::ECDSA_NISTP384_SHA384,
        SignatureScheme::ED25519,
        SignatureScheme::RSA_PSS_RSAE_SHA256,
        SignatureScheme::RSA_PSS_RSAE_SHA384,
        SignatureScheme::RSA_PSS_RSAE_SHA512,
        SignatureScheme::RSA_PKCS1_SHA256,
        SignatureScheme::RSA_PKCS1_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512,
    ]
}

/// Client configuration.
#[derive(Clone)]
pub struct ClientConfig {
    pub common: CommonConfig,
    /// Our certificate and key for client authentication, if any (conf_own_cert).
    pub client_cert: Option<Arc<CertifiedKey>>,
    /// Send server_name when connecting by DNS name.
    pub send_sni: bool,
    /// Send a fake session id and ChangeCipherSpec so middleboxes see a
    /// resumed TLS 1.2 handshake (RFC 8446 appendix D.4).
    pub middlebox_compat: bool,
    /// How many groups get a key share in the first ClientHello (the rest
    /// are reachable through HelloRetryRequest).
    pub key_shares: usize,
    /// Ask servers for session tickets (they arrive as `Event::NewSession`).
    pub resumption: bool,
    /// Our PSK for PSK suites (Mbed TLS conf_psk); PSK suites are offered
    /// only when set.
    pub psk: Option<PskCredential>,
    /// Send TLS_FALLBACK_SCSV (RFC 7507): set only when retrying with a
    /// lower maximum version after a failed connection.
    pub fallback_scsv: bool,
    /// Smallest DHE prime accepted from a server, in bits (Mbed TLS
    /// conf_dhm_min_bitlen).
    pub min_dh_bits: usize,
    /// Ask TLS 1.2 servers for smaller records (RFC 6066 max_fragment_length:
    /// 512, 1024, 2048 or 4096).
    pub request_max_fragment_length: Option<u16>,
}

impl ClientConfig {
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        Self {
            common: CommonConfig::new(provider),
            client_cert: None,
            send_sni: true,
            middlebox_compat: true,
            key_shares: 1,
            resumption: true,
            psk: None,
            fallback_scsv: false,
            min_dh_bits: 2048,
            request_max_fragment_length: None,
        }
    }
}

/// Server configuration.
#[derive(Clone)]
pub struct ServerConfig {
    pub common: CommonConfig,
    /// Picks the certificate chain and key per ClientHello (SNI callback).
    pub cert_resolver: Arc<dyn ResolvesServerCert>,
    /// Send the trust anchors' names in CertificateRequest (conf_cert_req_ca_list).
    pub send_ca_list: bool,
    /// Always answer the first ClientHello with a HelloRetryRequest carrying
    /// a cookie (return-routability check before any key exchange work).
    pub require_cookie: bool,
    /// Prefer our own cipher-suite order over the client's.
    pub prefer_server_suite_order: bool,
    /// Seals session tickets; `None` disables resumption (Mbed TLS
    /// conf_session_tickets_cb).
    pub ticketer: Option<Arc<dyn TicketSealer>>,
    /// NewSessionTickets sent after each full handshake.
    pub tickets_per_handshake: u8,
    /// PSK suites: finds the key for the client's identity (Mbed TLS
    /// conf_psk / conf_psk_cb). PSK suites are chosen only when set.
    pub psk_resolver: Option<Arc<dyn PskResolver>>,
    /// Identity hint sent in PSK ServerKeyExchange messages.
    pub psk_identity_hint: Option<Vec<u8>>,
    /// DHE group when the client names no shared RFC 7919 group.
    pub dh_params: DhParams,
    /// TLS 1.2 session-ID resumption cache; `None` issues no session ids.
    pub session_cache: Option<Arc<dyn crate::session::SessionCache>>,
    /// DTLS: makes and checks HelloVerifyRequest cookies (stateless HMAC
    /// cookies by default, Mbed TLS conf_dtls_cookies); `None` turns the
    /// cookie exchange off.
    pub dtls_cookies: Option<Arc<dyn crate::transport::CookieGenerator>>,
}

impl ServerConfig {
    /// A server with one certificate chain and key; client authentication off
    /// (`common.verify_mode` = None).
    pub fn new(provider: Arc<CryptoProvider>, cert_resolver: Arc<dyn ResolvesServerCert>) -> Self {
        let dtls_cookies = crate::conn::datagram::default_cookies(&provider);
        let mut common = CommonConfig::new(provider);
        common.verify_mode = VerifyMode::None;
        Self {
            common,
            cert_resolver,
            send_ca_list: true,
            require_cookie: false,
            prefer_server_suite_order: true,
            ticketer: None,
            tickets_per_handshake: 1,
            psk_resolver: None,
            psk_identity_hint: None,
            dh_params: DhParams::Named(NamedGroup::FFDHE2048),
            session_cache: None,
            dtls_cookies,
        }
    }
}
