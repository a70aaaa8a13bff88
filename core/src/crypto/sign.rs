use alloc::sync::Arc;

use alloc::vec::Vec;
use rustls_pki_types::CertificateDer;

use super::Pausable;
use crate::error::CryptoError;
use crate::msgs::enums::{HashAlgorithm, NamedGroup, SignatureScheme};

/// A signature algorithm as certificates and handshakes use it: key type,
/// hash and padding. Wider than [`SignatureScheme`] because certificates may
/// pair, say, a P-256 key with SHA-384.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    Ecdsa {
        curve: NamedGroup,
        hash: HashAlgorithm,
    },
    Ed25519,
    RsaPkcs1 {
        hash: HashAlgorithm,
    },
    RsaPss {
        hash: HashAlgorithm,
    },
}

impl SignatureAlgorithm {
    /// The algorithm a TLS signature scheme names.
    pub fn from_scheme(scheme: SignatureScheme) -> Option<Self> {
        use HashAlgorithm as H;
        use SignatureScheme as S;
        Some(match scheme {
            S::ECDSA_NISTP256_SHA256 => Self::Ecdsa {
                curve: NamedGroup::secp256r1,
                hash: H::SHA256,
            },
            S::ECDSA_NISTP384_SHA384 => Self::Ecdsa {
                curve: NamedGroup::secp384r1,
                hash: H::SHA384,
            },
            S::ED25519 => Self::Ed25519,
            S::RSA_PKCS1_SHA256 => Self::RsaPkcs1 { hash: H::SHA256 },
            S::RSA_PKCS1_SHA384 => Self::RsaPkcs1 { hash: H::SHA384 },
            S::RSA_PKCS1_SHA512 => Self::RsaPkcs1 { hash: H::SHA512 },
            S::RSA_PSS_RSAE_SHA256 => Self::RsaPss { hash: H::SHA256 },
            S::RSA_PSS_RSAE_SHA384 => Self::RsaPss { hash: H::SHA384 },
            S::RSA_PSS_RSAE_SHA512 => Self::RsaPss { hash: H::SHA512 },
            _ => return None,
        })
    }

    pub fn key_type(self) -> KeyType {
        match self {
            Self::Ecdsa { curve, .. } if curve == NamedGroup::secp384r1 => KeyType::EcdsaP384,
            Self::Ecdsa { .. } => KeyType::EcdsaP256,
            Self::Ed25519 => KeyType::Ed25519,
            Self::RsaPkcs1 { .. } | Self::RsaPss { .. } => KeyType::Rsa,
        }
    }
}

/// The kind of a key pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    EcdsaP256,
    EcdsaP384,
    Ed25519,
    Rsa,
}

impl KeyType {
    /// Signature schemes a key of this type can make in a TLS 1.3 handshake,
    /// best first.
    pub fn tls13_schemes(self) -> &'static [SignatureScheme] {
        match self {
            KeyType::EcdsaP256 => &[SignatureScheme::ECDSA_NISTP256_SHA256],
            KeyType::EcdsaP384 => &[SignatureScheme::ECDSA_NISTP384_SHA384],
            KeyType::Ed25519 => &[SignatureScheme::ED25519],
            KeyType::Rsa => &[
                SignatureScheme::RSA_PSS_RSAE_SHA256,
                SignatureScheme::RSA_PSS_RSAE_SHA384,
                SignatureScheme::RSA_PSS_RSAE_SHA512,
            ],
        }
    }
}

impl KeyType {
    /// Signature schemes a key of this type can make in TLS 1.2
    /// (ServerKeyExchange, CertificateVerify), best first.
    pub fn tls12_schemes(self) -> &'static [SignatureScheme] {
        match self {
            KeyType::Rsa => &[
                SignatureScheme::RSA_PSS_RSAE_SHA256,
                SignatureScheme::RSA_PSS_RSAE_SHA384,
                SignatureScheme::RSA_PSS_RSAE_SHA512,
                SignatureScheme::RSA_PKCS1_SHA256,
                SignatureScheme::RSA_PKCS1_SHA384,
                SignatureScheme::RSA_PKCS1_SHA512,
            ],
            other => other.tls13_schemes(),
        }
    }
}

/// Verifies signatures with public keys taken from certificates.
pub trait SignatureVerifier: Send + Sync {
    /// Whether `verify` handles `alg`.
    fn supports(&self, alg: SignatureAlgorithm) -> bool;

    /// Checks `signature` over `message`. `public_key` is the certificate's
    /// subjectPublicKey bits: an uncompressed EC point, a DER RSAPublicKey or
    /// a raw Ed25519 key.
    fn verify(
        &self,
        alg: SignatureAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError>;
}

/// A private key able to sign handshake messages.
///
/// Keys that live in an HSM, a remote signer or a slow coprocessor return
/// [`Pausable::Pending`] from [`SigningKey::start_sign`]; the connection then
/// emits an operation that the caller serves (on any thread) by calling
/// [`SigningKey::sign`] and hands back with `Connection::complete`.
pub trait SigningKey: Send + Sync {
    fn key_type(&self) -> KeyType;

    /// Signs `message` with `scheme`, or defers the work to the caller.
    fn start_sign(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
    ) -> Pausable<Result<Vec<u8>, CryptoError>> {
        Pausable::Ready(self.sign(scheme, message))
    }

    /// Signs synchronously: what a worker serving a pending operation calls.
    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// RSA keys: PKCS#1 v1.5 decryption of a TLS 1.2 ClientKeyExchange, or
    /// deferral to the caller like signing. The engine treats every failure
    /// and every wrong-length result alike (RFC 5246 7.4.7.1), so a backend
    /// need not hide padding errors itself, only report them.
    fn start_decrypt(&self, ciphertext: &[u8]) -> Pausable<Result<Vec<u8>, CryptoError>> {
        Pausable::Ready(self.decrypt(ciphertext))
    }

    /// Decrypts synchronously; keys that cannot decrypt keep the default.
    fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let _ = ciphertext;
        Err(CryptoError::UnsupportedAlgorithm)
    }

    /// The schemes this key offers, best first, among `offered`.
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        self.key_type()
            .tls13_schemes()
            .iter()
            .copied()
            .find(|s| offered.contains(s))
    }
}

impl core::fmt::Debug for dyn SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SigningKey({:?})", self.key_type())
    }
}

/// Turns private-key DER (PKCS#8, SEC1 or PKCS#1) into a [`SigningKey`].
pub trait KeyLoader: Send + Sync {
    fn load_private_key(&self, der: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError>;
}

/// What an [`ExternalSigner`] says to a signing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalSign {
    /// Not this signer's key: the certificate's own [`SigningKey`] signs
    /// instead (Mbed TLS `MBEDTLS_ERR_SSL_HW_ACCEL_FALLTHROUGH`).
    Declined,
    /// Signed (or failed) at once.
    Ready(Result<Vec<u8>, CryptoError>),
    /// The caller gets an operation and serves it with [`ExternalSigner::sign`].
    Pending,
}

/// A signer consulted before a certificate's own key, chosen per
/// certificate (Mbed TLS `conf_async_private_cb` for signing): an HSM that
/// holds some keys, a remote signing service.
pub trait ExternalSigner: Send + Sync {
    fn start_sign(
        &self,
        certificate: &CertificateDer<'_>,
        scheme: SignatureScheme,
        message: &[u8],
    ) -> ExternalSign;

    /// Signs synchronously; what a worker serving a pending request calls.
    fn sign(
        &self,
        certificate: &CertificateDer<'static>,
        scheme: SignatureScheme,
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;

    /// RSA decryption of a TLS 1.2 ClientKeyExchange for `certificate`'s key
    /// (Mbed TLS async decrypt). Declines by default.
    fn start_decrypt(&self, certificate: &CertificateDer<'_>, ciphertext: &[u8]) -> ExternalSign {
        let _ = (certificate, ciphertext);
        ExternalSign::Declined
    }

    /// Decrypts synchronously; what a worker serving a pending request calls.
    fn decrypt(
        &self,
        certificate: &CertificateDer<'static>,
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let _ = (certificate, ciphertext);
        Err(CryptoError::UnsupportedAlgorithm)
    }
}

/// RSA public-key encryption for the client side of RSA key transport.
pub trait RsaKeyTransport: Send + Sync {
    /// PKCS#1 v1.5 encryption of `plaintext` under `public_key` (a DER
    /// RSAPublicKey, as certificates carry it).
    fn encrypt_pkcs1(
        &self,
        public_key: &[u8],
        plaintext: &[u8],
        rng: &dyn super::SecureRandom,
    ) -> Result<Vec<u8>, CryptoError>;
}

/// Presents an external signer bound to one certificate as a signing key,
/// so a pending external signature travels as an ordinary sign operation.
pub(crate) struct ExternalKey {
    pub signer: Arc<dyn ExternalSigner>,
    pub certificate: CertificateDer<'static>,
    pub key_type: KeyType,
}

impl SigningKey for ExternalKey {
    fn key_type(&self) -> KeyType {
        self.key_type
    }

    fn start_sign(&self, _: SignatureScheme, _: &[u8]) -> Pausable<Result<Vec<u8>, CryptoError>> {
        Pausable::Pending
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.signer.sign(&self.certificate, scheme, message)
    }

    fn start_decrypt(&self, _: &[u8]) -> Pausable<Result<Vec<u8>, CryptoError>> {
        Pausable::Pending
    }

    fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.signer.decrypt(&self.certificate, ciphertext)
    }
}
