//! TLS 1.2 settings: the parts of the Mbed TLS configuration surface that
//! only TLS 1.2 (and DTLS 1.2) use.

use alloc::sync::Arc;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::msgs::enums::NamedGroup;

/// How to treat peers without secure renegotiation (RFC 5746), as Mbed TLS
/// conf_legacy_renegotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyRenegotiation {
    /// Connect to legacy peers but never renegotiate with them (default).
    NoRenegotiation,
    /// Renegotiate insecurely with legacy peers. Dangerous (RFC 5746 1).
    AllowRenegotiation,
    /// Refuse the handshake with a peer that does not support RFC 5746.
    BreakHandshake,
}

/// Renegotiation policy (Mbed TLS conf_renegotiation,
/// conf_renegotiation_enforced, conf_renegotiation_period).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renegotiation {
    /// Renegotiation at all, either side's initiative (off by default).
    pub enabled: bool,
    pub legacy: LegacyRenegotiation,
    /// After we request a renegotiation (server HelloRequest), how many
    /// application records the peer may still send before we give up;
    /// `None` waits forever.
    pub max_records_before_renegotiation: Option<u32>,
    /// Renegotiate on our own once this many records were sent under the
    /// current keys (`None`: never).
    pub period_records: Option<u64>,
}

impl Default for Renegotiation {
    fn default() -> Self {
        Self {
            enabled: false,
            legacy: LegacyRenegotiation::NoRenegotiation,
            max_records_before_renegotiation: Some(16),
            period_records: None,
        }
    }
}

/// A pre-shared key and the identity naming it (Mbed TLS conf_psk).
#[derive(Clone)]
pub struct PskCredential {
    pub identity: Vec<u8>,
    pub key: Zeroizing<Vec<u8>>,
}

impl PskCredential {
    pub fn new(identity: &[u8], key: &[u8]) -> Self {
        Self {
            identity: identity.to_vec(),
            key: Zeroizing::new(key.to_vec()),
        }
    }
}

impl core::fmt::Debug for PskCredential {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PskCredential")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// Server side: finds the PSK for an identity a client names (Mbed TLS
/// conf_psk_cb / set_hs_psk). `None` refuses the identity
/// (unknown_psk_identity).
pub trait PskResolver: Send + Sync {
    fn resolve(&self, identity: &[u8]) -> Option<Zeroizing<Vec<u8>>>;
}

/// A resolver knowing one identity.
impl PskResolver for PskCredential {
    fn resolve(&self, identity: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        use subtle::ConstantTimeEq;
        bool::from(identity.ct_eq(&self.identity)).then(|| self.key.clone())
    }
}

/// Finite-field DH group a server uses for DHE suites when the client names
/// no RFC 7919 group it shares (Mbed TLS conf_dh_param_bin).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DhParams {
    Named(NamedGroup),
    /// Big-endian prime and generator.
    Custom {
        p: Vec<u8>,
        g: Vec<u8>,
    },
}

/// Options only TLS 1.2 uses; `CommonConfig::tls12`.
#[derive(Clone)]
pub struct Tls12Options {
    /// Offer and accept the extended master secret (RFC 7627; Mbed TLS
    /// conf_extended_master_secret). On by default.
    pub extended_master_secret: bool,
    /// Refuse peers that do not use the extended master secret.
    pub require_extended_master_secret: bool,
    /// Offer and accept Encrypt-then-MAC for CBC suites (RFC 7366; Mbed
    /// TLS conf_encrypt_then_mac). On by default.
    pub encrypt_then_mac: bool,
    /// Allow CBC suites without Encrypt-then-MAC (legacy MAC-then-encrypt,
    /// processed in constant time). Off by default: a CBC suite is then
    /// only negotiated together with Encrypt-then-MAC.
    pub allow_mac_then_encrypt: bool,
    pub renegotiation: Renegotiation,
    /// Receives the master secret and key block of each handshake (Mbed
    /// TLS conf_export_keys_ext_cb).
    pub key_export: Option<Arc<dyn KeyExport>>,
}

impl Default for Tls12Options {
    fn default() -> Self {
        Self {
            extended_master_secret: true,
            require_extended_master_secret: false,
            encrypt_then_mac: true,
            allow_mac_then_encrypt: false,
            renegotiation: Renegotiation::default(),
            key_export: None,
        }
    }
}

/// Key material of a finished TLS 1.2 key derivation, as Mbed TLS hands it
/// to its export_keys_ext callback.
pub struct ExportedKeys<'a> {
    pub master_secret: &'a [u8],
    pub key_block: &'a [u8],
    pub client_random: &'a [u8; 32],
    pub server_random: &'a [u8; 32],
    /// The PRF hash of the suite ("SHA256" or "SHA384" PRF).
    pub prf: crate::msgs::enums::HashAlgorithm,
}

/// Receives TLS 1.2 key material (debugging, or keys for a protocol
/// layered on the handshake). Never enable in production without cause.
pub trait KeyExport: Send + Sync {
    fn export(&self, keys: &ExportedKeys<'_>);
}
