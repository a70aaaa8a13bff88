//! The cipher-suite registry: IANA id, IANA name and Mbed TLS name, looked
//! up both ways.

use crate::crypto::AeadAlgorithm;
use crate::msgs::enums::{CipherSuite, HashAlgorithm, ProtocolVersion};

/// Static facts about one cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteInfo {
    pub suite: CipherSuite,
    pub iana_name: &'static str,
    pub mbedtls_name: &'static str,
    /// The protocol version family the suite belongs to.
    pub version: ProtocolVersion,
    pub hash: HashAlgorithm,
    pub aead: AeadAlgorithm,
}

/// TLS 1.3 suites in default preference order.
pub const TLS13_SUITES: &[SuiteInfo] = &[
    SuiteInfo {
        suite: CipherSuite::TLS_AES_128_GCM_SHA256,
        iana_name: "TLS_AES_128_GCM_SHA256",
        mbedtls_name: "TLS1-3-AES-128-GCM-SHA256",
        version: ProtocolVersion::TLSv1_3,
        hash: HashAlgorithm::SHA256,
        aead: AeadAlgorithm::Aes128Gcm,
    },
    SuiteInfo {
        suite: CipherSuite::TLS_AES_256_GCM_SHA384,
        iana_name: "TLS_AES_256_GCM_SHA384",
        mbedtls_name: "TLS1-3-AES-256-GCM-SHA384",
        version: ProtocolVersion::TLSv1_3,
        hash: HashAlgorithm::SHA384,
        aead: AeadAlgorithm::Aes256Gcm,
    },
    SuiteInfo {
        suite: CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
        iana_name: "TLS_CHACHA20_POLY1305_SHA256",
        mbedtls_name: "TLS1-3-CHACHA20-POLY1305-SHA256",
        version: ProtocolVersion::TLSv1_3,
        hash: HashAlgorithm::SHA256,
        aead: AeadAlgorithm::ChaCha20Poly1305,
    },
];

/// Every suite the engine knows.
pub fn all() -> impl Iterator<Item = &'static SuiteInfo> {
    TLS13_SUITES.iter()
}

/// Looks a suite up by its IANA id (Mbed TLS `ssl_get_ciphersuite_name`).
pub fn by_id(suite: CipherSuite) -> Option<&'static SuiteInfo> {
    all().find(|s| s.suite == suite)
}

/// Looks a suite up by IANA or Mbed TLS name, ignoring ASCII case
/// (Mbed TLS `ssl_get_ciphersuite_id`).
pub fn by_name(name: &str) -> Option<&'static SuiteInfo> {
    all().find(|s| {
        s.iana_name.eq_ignore_ascii_case(name) || s.mbedtls_name.eq_ignore_ascii_case(name)
    })
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
            assert_eq!(s.suite.name(), Some(s.iana_name));
        }
        assert!(by_name("TLS_RSA_WITH_RC4_128_MD5").is_none());
        assert!(by_id(CipherSuite(0x0005)).is_none());
    }
}
