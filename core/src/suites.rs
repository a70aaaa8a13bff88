//! The cipher-suite registry: IANA id, IANA name, Mbed TLS name and OpenSSL
//! name, looked up both ways, with what each suite is made of.

use crate::crypto::{AeadAlgorithm, CbcAlgorithm};
use crate::msgs::enums::{CipherSuite, HashAlgorithm, ProtocolVersion};

/// How a suite agrees on keys and authenticates the server (TLS 1.2; TLS 1.3
/// suites leave both to extensions and say [`KeyExchange::Tls13`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyExchange {
    Tls13,
    EcdheEcdsa,
    EcdheRsa,
    DheRsa,
    /// RSA key transport: no forward secrecy.
    Rsa,
    Psk,
    DhePsk,
    EcdhePsk,
    RsaPsk,
}

impl KeyExchange {
    /// Whether the suite authenticates with a pre-shared key.
    pub fn uses_psk(self) -> bool {
        matches!(
            self,
            Self::Psk | Self::DhePsk | Self::EcdhePsk | Self::RsaPsk
        )
    }

    /// Whether the server sends a certificate.
    pub fn uses_certificate(self) -> bool {
        matches!(
            self,
            Self::EcdheEcdsa | Self::EcdheRsa | Self::DheRsa | Self::Rsa | Self::RsaPsk
        )
    }

    /// Whether the key exchange is elliptic-curve Diffie-Hellman.
    pub fn uses_ecdhe(self) -> bool {
        matches!(self, Self::EcdheEcdsa | Self::EcdheRsa | Self::EcdhePsk)
    }

    /// Whether the key exchange is finite-field Diffie-Hellman.
    pub fn uses_dhe(self) -> bool {
        matches!(self, Self::DheRsa | Self::DhePsk)
    }

    /// Whether the server signs its key exchange with its certificate key.
    pub fn signs_key_exchange(self) -> bool {
        matches!(self, Self::EcdheEcdsa | Self::EcdheRsa | Self::DheRsa)
    }
}

/// Record protection of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bulk {
    Aead(AeadAlgorithm),
    /// CBC with HMAC over `mac` (TLS 1.2 only).
    Cbc {
        cipher: CbcAlgorithm,
        mac: HashAlgorithm,
    },
}

/// Static facts about one cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteInfo {
    pub suite: CipherSuite,
    pub iana_name: &'static str,
    pub mbedtls_name: &'static str,
    pub openssl_name: &'static str,
    /// The protocol version family the suite belongs to.
    pub version: ProtocolVersion,
    /// The PRF (TLS 1.2) or HKDF (TLS 1.3) hash.
    pub hash: HashAlgorithm,
    pub kx: KeyExchange,
    pub bulk: Bulk,
    /// In the default configuration. Off by default: RSA key transport (no
    /// forward secrecy), 8-byte CCM tags and CBC with SHA-1.
    pub default_enabled: bool,
}

impl SuiteInfo {
    /// The AEAD, for AEAD suites.
    pub fn aead(&self) -> Option<AeadAlgorithm> {
        match self.bulk {
            Bulk::Aead(a) => Some(a),
            Bulk::Cbc { .. } => None,
        }
    }

    pub fn is_tls13(&self) -> bool {
        self.version == ProtocolVersion::TLSv1_3
    }
}

macro_rules! tls13 {
    ($id:expr, $iana:expr, $mbed:expr, $aead:ident, $hash:ident) => {
        SuiteInfo {
            suite: CipherSuite($id),
            iana_name: $iana,
            mbedtls_name: $mbed,
            openssl_name: $iana,
            version: ProtocolVersion::TLSv1_3,
            hash: HashAlgorithm::$hash,
            kx: KeyExchange::Tls13,
            bulk: Bulk::Aead(AeadAlgorithm::$aead),
            default_enabled: true,
        }
    };
}

macro_rules! tls12 {
    ($id:expr, $iana:expr, $mbed:expr, $openssl:expr, $kx:ident, $bulk:expr, $hash:ident, $default:expr) => {
        SuiteInfo {
            suite: CipherSuite($id),
            iana_name: $iana,
            mbedtls_name: $mbed,
            openssl_name: $openssl,
            version: ProtocolVersion::TLSv1_2,
            hash: HashAlgorithm::$hash,
            kx: KeyExchange::$kx,
            bulk: $bulk,
            default_enabled: $default,
        }
    };
}

/// TLS 1.3 suites in default preference order.
pub const TLS13_SUITES: &[SuiteInfo] = &[
    tls13!(
        0x1301,
        "TLS_AES_128_GCM_SHA256",
        "TLS1-3-AES-128-GCM-SHA256",
        Aes128Gcm,
        SHA256
    ),
    tls13!(
        0x1302,
        "TLS_AES_256_GCM_SHA384",
        "TLS1-3-AES-256-GCM-SHA384",
        Aes256Gcm,
        SHA384
    ),
    tls13!(
        0x1303,
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS1-3-CHACHA20-POLY1305-SHA256",
        ChaCha20Poly1305,
        SHA256
    ),
];

/// TLS 1.2 suites in default preference order: forward-secret AEAD first,
/// then PSK-family AEAD, then CBC, RSA key transport last.
#[rustfmt::skip]
pub const TLS12_SUITES: &[SuiteInfo] = &[
    tls12!(0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", EcdheEcdsa, Bulk::Aead(AeadAlgorithm::Aes128Gcm), SHA256, true),
    tls12!(0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", EcdheEcdsa, Bulk::Aead(AeadAlgorithm::Aes256Gcm), SHA384, true),
    tls12!(0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", EcdheEcdsa, Bulk::Aead(AeadAlgorithm::ChaCha20Poly1305), SHA256, true),
    tls12!(0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "TLS-ECDHE-ECDSA-WITH-AES-128-CCM", "ECDHE-ECDSA-AES128-CCM", EcdheEcdsa, Bulk::Aead(AeadAlgorithm::Aes128Ccm), SHA256, true),
    tls12!(0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "TLS-ECDHE-ECDSA-WITH-AES-256-CCM", "ECDHE-ECDSA-AES256-CCM", EcdheEcdsa, Bulk::Aead(AeadAlgorithm::Aes256Ccm), SHA256, true),
    tls12!(0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8", "ECDHE-ECDSA-AES128-CCM8", EcdheEcdsa, Bulk::Aead(AeadAlgorithm::Aes128Ccm8), SHA256, false),
    tls12!(0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", "TLS-ECDHE-ECDSA-WITH-AES-256-CCM-8", "ECDHE-ECDSA-AES256-CCM8", EcdheEcdsa, Bulk::Aead(AeadAlgorithm::Aes256Ccm8), SHA256, false),
    tls12!(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", EcdheRsa, Bulk::Aead(AeadAlgorithm::Aes128Gcm), SHA256, true),
    tls12!(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", EcdheRsa, Bulk::Aead(AeadAlgorithm::Aes256Gcm), SHA384, true),
    tls12!(0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS-ECDHE-RSA-WITH-CHACHA20-POLY1305-SHA256", "ECDHE-RSA-CHACHA20-POLY1305", EcdheRsa, Bulk::Aead(AeadAlgorithm::ChaCha20Poly1305), SHA256, true),
    tls12!(0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS-DHE-RSA-WITH-AES-128-GCM-SHA256", "DHE-RSA-AES128-GCM-SHA256", DheRsa, Bulk::Aead(AeadAlgorithm::Aes128Gcm), SHA256, true),
    tls12!(0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "TLS-DHE-RSA-WITH-AES-256-GCM-SHA384", "DHE-RSA-AES256-GCM-SHA384", DheRsa, Bulk::Aead(AeadAlgorithm::Aes256Gcm), SHA384, true),
    tls12!(0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS-DHE-RSA-WITH-CHACHA20-POLY1305-SHA256", "DHE-RSA-CHACHA20-POLY1305", DheRsa, Bulk::Aead(AeadAlgorithm::ChaCha20Poly1305), SHA256, true),
    tls12!(0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM", "TLS-DHE-RSA-WITH-AES-128-CCM", "DHE-RSA-AES128-CCM", DheRsa, Bulk::Aead(AeadAlgorithm::Aes128Ccm), SHA256, true),
    tls12!(0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM", "TLS-DHE-RSA-WITH-AES-256-CCM", "DHE-RSA-AES256-CCM", DheRsa, Bulk::Aead(AeadAlgorithm::Aes256Ccm), SHA256, true),
    tls12!(0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", "TLS-DHE-RSA-WITH-AES-128-CCM-8", "DHE-RSA-AES128-CCM8", DheRsa, Bulk::Aead(AeadAlgorithm::Aes128Ccm8), SHA256, false),
    tls12!(0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", "TLS-DHE-RSA-WITH-AES-256-CCM-8", "DHE-RSA-AES256-CCM8", DheRsa, Bulk::Aead(AeadAlgorithm::Aes256Ccm8), SHA256, false),
    tls12!(0xccac, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", "TLS-ECDHE-PSK-WITH-CHACHA20-POLY1305-SHA256", "ECDHE-PSK-CHACHA20-POLY1305", EcdhePsk, Bulk::Aead(AeadAlgorithm::ChaCha20Poly1305), SHA256, true),
    tls12!(0x00aa, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", "TLS-DHE-PSK-WITH-AES-128-GCM-SHA256", "DHE-PSK-AES128-GCM-SHA256", DhePsk, Bulk::Aead(AeadAlgorithm::Aes128Gcm), SHA256, true),
    tls12!(0x00ab, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384", "TLS-DHE-PSK-WITH-AES-256-GCM-SHA384", "DHE-PSK-AES256-GCM-SHA384", DhePsk, Bulk::Aead(AeadAlgorithm::Aes256Gcm), SHA384, true),
    tls12!(0xccad, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256", "TLS-DHE-PSK-WITH-CHACHA20-POLY1305-SHA256", "DHE-PSK-CHACHA20-POLY1305", DhePsk, Bulk::Aead(AeadAlgorithm::ChaCha20Poly1305), SHA256, true),
    tls12!(0xc0a6, "TLS_DHE_PSK_WITH_AES_128_CCM", "TLS-DHE-PSK-WITH-AES-128-CCM", "DHE-PSK-AES128-CCM", DhePsk, Bulk::Aead(AeadAlgorithm::Aes128Ccm), SHA256, true),
    tls12!(0xc0a7, "TLS_DHE_PSK_WITH_AES_256_CCM", "TLS-DHE-PSK-WITH-AES-256-CCM", "DHE-PSK-AES256-CCM", DhePsk, Bulk::Aead(AeadAlgorithm::Aes256Ccm), SHA256, true),
    tls12!(0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8", "TLS-DHE-PSK-WITH-AES-128-CCM-8", "DHE-PSK-AES128-CCM8", DhePsk, Bulk::Aead(AeadAlgorithm::Aes128Ccm8), SHA256, false),
    tls12!(0xc0ab, "TLS_PSK_DHE_WITH_AES_256_CCM_8", "TLS-DHE-PSK-WITH-AES-256-CCM-8", "DHE-PSK-AES256-CCM8", DhePsk, Bulk::Aead(AeadAlgorithm::Aes256Ccm8), SHA256, false),
    tls12!(0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256", "TLS-PSK-WITH-AES-128-GCM-SHA256", "PSK-AES128-GCM-SHA256", Psk, Bulk::Aead(AeadAlgorithm::Aes128Gcm), SHA256, true),
    tls12!(0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384", "TLS-PSK-WITH-AES-256-GCM-SHA384", "PSK-AES256-GCM-SHA384", Psk, Bulk::Aead(AeadAlgorithm::Aes256Gcm), SHA384, true),
    tls12!(0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", "TLS-PSK-WITH-CHACHA20-POLY1305-SHA256", "PSK-CHACHA20-POLY1305", Psk, Bulk::Aead(AeadAlgorithm::ChaCha20Poly1305), SHA256, true),
    tls12!(0xc0a4, "TLS_PSK_WITH_AES_128_CCM", "TLS-PSK-WITH-AES-128-CCM", "PSK-AES128-CCM", Psk, Bulk::Aead(AeadAlgorithm::Aes128Ccm), SHA256, true),
    tls12!(0xc0a5, "TLS_PSK_WITH_AES_256_CCM", "TLS-PSK-WITH-AES-256-CCM", "PSK-AES256-CCM", Psk, Bulk::Aead(AeadAlgorithm::Aes256Ccm), SHA256, true),
    tls12!(0xc0a8, "TLS_PSK_WITH_AES_128_CCM_8", "TLS-PSK-WITH-AES-128-CCM-8", "PSK-AES128-CCM8", Psk, Bulk::Aead(AeadAlgorithm::Aes128Ccm8), SHA256, false),
    tls12!(0xc0a9, "TLS_PSK_WITH_AES_256_CCM_8", "TLS-PSK-WITH-AES-256-CCM-8", "PSK-AES256-CCM8", Psk, Bulk::Aead(AeadAlgorithm::Aes256Ccm8), SHA256, false),
    tls12!(0x00ac, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", "TLS-RSA-PSK-WITH-AES-128-GCM-SHA256", "RSA-PSK-AES128-GCM-SHA256", RsaPsk, Bulk::Aead(AeadAlgorithm::Aes128Gcm), SHA256, true),
    tls12!(0x00ad, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384", "TLS-RSA-PSK-WITH-AES-256-GCM-SHA384", "RSA-PSK-AES256-GCM-SHA384", RsaPsk, Bulk::Aead(AeadAlgorithm::Aes256Gcm), SHA384, true),
    tls12!(0xccae, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256", "TLS-RSA-PSK-WITH-CHACHA20-POLY1305-SHA256", "RSA-PSK-CHACHA20-POLY1305", RsaPsk, Bulk::Aead(AeadAlgorithm::ChaCha20Poly1305), SHA256, true),
    tls12!(0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS-RSA-WITH-AES-128-GCM-SHA256", "AES128-GCM-SHA256", Rsa, Bulk::Aead(AeadAlgorithm::Aes128Gcm), SHA256, false),
    tls12!(0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS-RSA-WITH-AES-256-GCM-SHA384", "AES256-GCM-SHA384", Rsa, Bulk::Aead(AeadAlgorithm::Aes256Gcm), SHA384, false),
    tls12!(0xc09c, "TLS_RSA_WITH_AES_128_CCM", "TLS-RSA-WITH-AES-128-CCM", "AES128-CCM", Rsa, Bulk::Aead(AeadAlgorithm::Aes128Ccm), SHA256, false),
    tls12!(0xc09d, "TLS_RSA_WITH_AES_256_CCM", "TLS-RSA-WITH-AES-256-CCM", "AES256-CCM", Rsa, Bulk::Aead(AeadAlgorithm::Aes256Ccm), SHA256, false),
    tls12!(0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8", "TLS-RSA-WITH-AES-128-CCM-8", "AES128-CCM8", Rsa, Bulk::Aead(AeadAlgorithm::Aes128Ccm8), SHA256, false),
    tls12!(0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8", "TLS-RSA-WITH-AES-256-CCM-8", "AES256-CCM8", Rsa, Bulk::Aead(AeadAlgorithm::Aes256Ccm8), SHA256, false),
    tls12!(0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS-ECDHE-ECDSA-WITH-AES-128-CBC-SHA256", "ECDHE-ECDSA-AES128-SHA256", EcdheEcdsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA256 }, SHA256, true),
    tls12!(0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS-ECDHE-ECDSA-WITH-AES-256-CBC-SHA384", "ECDHE-ECDSA-AES256-SHA384", EcdheEcdsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA384 }, SHA384, true),
    tls12!(0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS-ECDHE-ECDSA-WITH-AES-128-CBC-SHA", "ECDHE-ECDSA-AES128-SHA", EcdheEcdsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS-ECDHE-ECDSA-WITH-AES-256-CBC-SHA", "ECDHE-ECDSA-AES256-SHA", EcdheEcdsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS-ECDHE-RSA-WITH-AES-128-CBC-SHA256", "ECDHE-RSA-AES128-SHA256", EcdheRsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA256 }, SHA256, true),
    tls12!(0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA384", "ECDHE-RSA-AES256-SHA384", EcdheRsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA384 }, SHA384, true),
    tls12!(0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS-ECDHE-RSA-WITH-AES-128-CBC-SHA", "ECDHE-RSA-AES128-SHA", EcdheRsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA", "ECDHE-RSA-AES256-SHA", EcdheRsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "TLS-DHE-RSA-WITH-AES-128-CBC-SHA256", "DHE-RSA-AES128-SHA256", DheRsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA256 }, SHA256, true),
    tls12!(0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "TLS-DHE-RSA-WITH-AES-256-CBC-SHA256", "DHE-RSA-AES256-SHA256", DheRsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA256 }, SHA256, true),
    tls12!(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "TLS-DHE-RSA-WITH-AES-128-CBC-SHA", "DHE-RSA-AES128-SHA", DheRsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "TLS-DHE-RSA-WITH-AES-256-CBC-SHA", "DHE-RSA-AES256-SHA", DheRsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0xc037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", "TLS-ECDHE-PSK-WITH-AES-128-CBC-SHA256", "ECDHE-PSK-AES128-CBC-SHA256", EcdhePsk, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA256 }, SHA256, true),
    tls12!(0xc038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384", "TLS-ECDHE-PSK-WITH-AES-256-CBC-SHA384", "ECDHE-PSK-AES256-CBC-SHA384", EcdhePsk, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA384 }, SHA384, true),
    tls12!(0xc035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", "TLS-ECDHE-PSK-WITH-AES-128-CBC-SHA", "ECDHE-PSK-AES128-CBC-SHA", EcdhePsk, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0xc036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA", "TLS-ECDHE-PSK-WITH-AES-256-CBC-SHA", "ECDHE-PSK-AES256-CBC-SHA", EcdhePsk, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0x00b2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256", "TLS-DHE-PSK-WITH-AES-128-CBC-SHA256", "DHE-PSK-AES128-CBC-SHA256", DhePsk, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA256 }, SHA256, true),
    tls12!(0x00b3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384", "TLS-DHE-PSK-WITH-AES-256-CBC-SHA384", "DHE-PSK-AES256-CBC-SHA384", DhePsk, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA384 }, SHA384, true),
    tls12!(0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA", "TLS-DHE-PSK-WITH-AES-128-CBC-SHA", "DHE-PSK-AES128-CBC-SHA", DhePsk, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA", "TLS-DHE-PSK-WITH-AES-256-CBC-SHA", "DHE-PSK-AES256-CBC-SHA", DhePsk, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0x00ae, "TLS_PSK_WITH_AES_128_CBC_SHA256", "TLS-PSK-WITH-AES-128-CBC-SHA256", "PSK-AES128-CBC-SHA256", Psk, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA256 }, SHA256, true),
    tls12!(0x00af, "TLS_PSK_WITH_AES_256_CBC_SHA384", "TLS-PSK-WITH-AES-256-CBC-SHA384", "PSK-AES256-CBC-SHA384", Psk, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA384 }, SHA384, true),
    tls12!(0x008c, "TLS_PSK_WITH_AES_128_CBC_SHA", "TLS-PSK-WITH-AES-128-CBC-SHA", "PSK-AES128-CBC-SHA", Psk, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0x008d, "TLS_PSK_WITH_AES_256_CBC_SHA", "TLS-PSK-WITH-AES-256-CBC-SHA", "PSK-AES256-CBC-SHA", Psk, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0x00b6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256", "TLS-RSA-PSK-WITH-AES-128-CBC-SHA256", "RSA-PSK-AES128-CBC-SHA256", RsaPsk, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA256 }, SHA256, true),
    tls12!(0x00b7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384", "TLS-RSA-PSK-WITH-AES-256-CBC-SHA384", "RSA-PSK-AES256-CBC-SHA384", RsaPsk, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA384 }, SHA384, true),
    tls12!(0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA", "TLS-RSA-PSK-WITH-AES-128-CBC-SHA", "RSA-PSK-AES128-CBC-SHA", RsaPsk, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA", "TLS-RSA-PSK-WITH-AES-256-CBC-SHA", "RSA-PSK-AES256-CBC-SHA", RsaPsk, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", "TLS-RSA-WITH-AES-128-CBC-SHA256", "AES128-SHA256", Rsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA256 }, SHA256, false),
    tls12!(0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", "TLS-RSA-WITH-AES-256-CBC-SHA256", "AES256-SHA256", Rsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA256 }, SHA256, false),
    tls12!(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS-RSA-WITH-AES-128-CBC-SHA", "AES128-SHA", Rsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes128Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
    tls12!(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS-RSA-WITH-AES-256-CBC-SHA", "AES256-SHA", Rsa, Bulk::Cbc { cipher: CbcAlgorithm::Aes256Cbc, mac: HashAlgorithm::SHA1 }, SHA256, false),
];

/// Every suite the engine knows, TLS 1.3 first.
pub fn all() -> impl Iterator<Item = &'static SuiteInfo> {
    TLS13_SUITES.iter().chain(TLS12_SUITES.iter())
}

/// Looks a suite up by its IANA id (Mbed TLS `ssl_get_ciphersuite_name`).
pub fn by_id(suite: CipherSuite) -> Option<&'static SuiteInfo> {
    all().find(|s| s.suite == suite)
}

/// Looks a suite up by IANA, Mbed TLS or OpenSSL name, ignoring ASCII case
/// (Mbed TLS `ssl_get_ciphersuite_id`).
pub fn by_name(name: &str) -> Option<&'static SuiteInfo> {
    all().find(|s| {
        s.iana_name.eq_ignore_ascii_case(name)
            || s.mbedtls_name.eq_ignore_ascii_case(name)
            || s.openssl_name.eq_ignore_ascii_case(name)
    })
}

/// The IANA name of a suite id (Mbed TLS `ssl_get_ciphersuite_name`).
pub fn name_of(suite: CipherSuite) -> Option<&'static str> {
    by_id(suite).map(|s| s.iana_name)
}

/// The id of a suite name in any of the three spellings (Mbed TLS
/// `ssl_get_ciphersuite_id`).
pub fn id_of(name: &str) -> Option<CipherSuite> {
    by_name(name).map(|s| s.suite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_agree_both_ways() {
        for s in all() {
            assert_eq!(by_id(s.suite), Some(s));
            assert_eq!(by_name(s.iana_name), Some(s));
            assert_eq!(by_name(s.mbedtls_name), Some(s));
            assert_eq!(by_name(s.openssl_name), Some(s));
            assert_eq!(id_of(s.mbedtls_name), Some(s.suite));
            assert_eq!(name_of(s.suite), Some(s.iana_name));
            assert_eq!(s.suite.name(), Some(s.iana_name));
        }
        assert!(by_name("TLS_RSA_WITH_RC4_128_MD5").is_none());
        assert!(by_id(CipherSuite(0x0005)).is_none());
    }

    #[test]
    fn ids_and_names_are_unique() {
        let all: alloc::vec::Vec<_> = all().collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.suite, b.suite);
                assert_ne!(a.iana_name, b.iana_name);
                assert_ne!(a.mbedtls_name, b.mbedtls_name);
            }
        }
    }

    #[test]
    fn suite_parts_match_their_names() {
        for s in TLS12_SUITES {
            let name = s.iana_name;
            match s.bulk {
                Bulk::Aead(a) => {
                    let expect = if name.contains("CHACHA20") {
                        AeadAlgorithm::ChaCha20Poly1305
                    } else {
                        let wide = name.contains("AES_256");
                        match (name.contains("GCM"), name.ends_with("CCM_8"), wide) {
                            (true, _, false) => AeadAlgorithm::Aes128Gcm,
                            (true, _, true) => AeadAlgorithm::Aes256Gcm,
                            (false, true, false) => AeadAlgorithm::Aes128Ccm8,
                            (false, true, true) => AeadAlgorithm::Aes256Ccm8,
                            (false, false, false) => AeadAlgorithm::Aes128Ccm,
                            (false, false, true) => AeadAlgorithm::Aes256Ccm,
                        }
                    };
                    assert_eq!(a, expect, "{name}");
                }
                Bulk::Cbc { cipher, mac } => {
                    assert!(name.contains("_CBC_"), "{name}");
                    assert_eq!(cipher == CbcAlgorithm::Aes256Cbc, name.contains("AES_256"));
                    let mac_name = name.rsplit('_').next().unwrap();
                    let expect_mac = match mac_name {
                        "SHA" => HashAlgorithm::SHA1,
                        "SHA256" => HashAlgorithm::SHA256,
                        _ => HashAlgorithm::SHA384,
                    };
                    assert_eq!(mac, expect_mac, "{name}");
                }
            }
            let expect_hash = if name.ends_with("SHA384") {
                HashAlgorithm::SHA384
            } else {
                HashAlgorithm::SHA256
            };
            assert_eq!(s.hash, expect_hash, "{name}");
        }
    }
}
