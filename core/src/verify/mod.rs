//! Certificate verification: WebPKI path building (rustls-webpki) with the
//! provider's signature algorithms, verify modes, and Mbed TLS-style failure
//! flags.

mod flags;
mod roots;

pub use flags::VerifyResult;
pub use roots::{certificates_from_pem, RootStore};

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use rustls_pki_types::{alg_id, AlgorithmIdentifier, CertificateDer, InvalidSignature, ServerName};
use webpki::{EndEntityCert, KeyUsage};

use alloc::string::String;

use crate::crypto::{Pausable, SignatureAlgorithm, SignatureVerifier, UnixTime};
use crate::error::{CertificateError, Error, PeerMisbehaved};
use crate::msgs::enums::{HashAlgorithm, NamedGroup, SignatureScheme};

/// How strictly to check the peer's certificate (Mbed TLS conf_authmode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyMode {
    /// Do not check the chain (the CertificateVerify signature is still checked).
    None,
    /// Check the chain, record the result, continue on failure.
    Optional,
    /// Check the chain and abort the handshake on failure.
    Required,
}

/// Adapts one provider algorithm to webpki's verification trait.
struct ProviderAlgorithm {
    verifier: Arc<dyn SignatureVerifier>,
    alg: SignatureAlgorithm,
    public_key_alg_id: AlgorithmIdentifier,
    signature_alg_id: AlgorithmIdentifier,
}

impl fmt::Debug for ProviderAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProviderAlgorithm({:?})", self.alg)
    }
}

impl rustls_pki_types::SignatureVerificationAlgorithm for ProviderAlgorithm {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        self.verifier
            .verify(self.alg, public_key, message, signature)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.public_key_alg_id
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg_id
    }
}

fn algorithm_table() -> [(SignatureAlgorithm, AlgorithmIdentifier, AlgorithmIdentifier); 13] {
    use HashAlgorithm as H;
    let ec = |curve, hash| SignatureAlgorithm::Ecdsa { curve, hash };
    [
        (
            ec(NamedGroup::secp256r1, H::SHA256),
            alg_id::ECDSA_P256,
            alg_id::ECDSA_SHA256,
        ),
        (
            ec(NamedGroup::secp256r1, H::SHA384),
            alg_id::ECDSA_P256,
            alg_id::ECDSA_SHA384,
        ),
        (
            ec(NamedGroup::secp384r1, H::SHA256),
            alg_id::ECDSA_P384,
            alg_id::ECDSA_SHA256,
        ),
        (
            ec(NamedGroup::secp384r1, H::SHA384),
            alg_id::ECDSA_P384,
            alg_id::ECDSA_SHA384,
        ),
        (
            SignatureAlgorithm::Ed25519,
            alg_id::ED25519,
            alg_id::ED25519,
        ),
        (
            SignatureAlgorithm::RsaPkcs1 { hash: H::SHA256 },
            alg_id::RSA_ENCRYPTION,
            alg_id::RSA_PKCS1_SHA256,
        ),
        (
            SignatureAlgorithm::RsaPkcs1 { hash: H::SHA384 },
            alg_id::RSA_ENCRYPTION,
            alg_id::RSA_PKCS1_SHA384,
        ),
        (
            SignatureAlgorithm::RsaPkcs1 { hash: H::SHA512 },
            alg_id::RSA_ENCRYPTION,
            alg_id::RSA_PKCS1_SHA512,
        ),
        (
            SignatureAlgorithm::RsaPss { hash: H::SHA256 },
            alg_id::RSA_ENCRYPTION,
            alg_id::RSA_PSS_SHA256,
        ),
        (
            SignatureAlgorithm::RsaPss { hash: H::SHA384 },
            alg_id::RSA_ENCRYPTION,
            alg_id::RSA_PSS_SHA384,
        ),
        (
            SignatureAlgorithm::RsaPss { hash: H::SHA512 },
            alg_id::RSA_ENCRYPTION,
            alg_id::RSA_PSS_SHA512,
        ),
        // A P-521 entry would go here once a provider offers it.
        (
            SignatureAlgorithm::RsaPss { hash: H::SHA256 },
            alg_id::RSA_PSS_SHA256,
            alg_id::RSA_PSS_SHA256,
        ),
        (
            SignatureAlgorithm::RsaPss { hash: H::SHA384 },
            alg_id::RSA_PSS_SHA384,
            alg_id::RSA_PSS_SHA384,
        ),
    ]
}

/// Verifies certificate chains and handshake signatures with a provider's
/// algorithms.
pub struct WebPkiVerifier {
    algorithms: Vec<ProviderAlgorithm>,
}

impl WebPkiVerifier {
    pub fn new(verifier: Arc<dyn SignatureVerifier>) -> Self {
        let algorithms = algorithm_table()
            .into_iter()
            .filter(|(alg, _, _)| verifier.supports(*alg))
            .map(
                |(alg, public_key_alg_id, signature_alg_id)| ProviderAlgorithm {
                    verifier: verifier.clone(),
                    alg,
                    public_key_alg_id,
                    signature_alg_id,
                },
            )
            .collect();
        Self { algorithms }
    }

    fn dyn_algorithms(&self) -> Vec<&dyn rustls_pki_types::SignatureVerificationAlgorithm> {
        self.algorithms
            .iter()
            .map(|a| a as &dyn rustls_pki_types::SignatureVerificationAlgorithm)
            .collect()
    }

    /// Signature schemes usable in a TLS 1.3 CertificateVerify, given the
    /// provider's support.
    pub fn tls13_schemes(&self, preference: &[SignatureScheme]) -> Vec<SignatureScheme> {
        preference
            .iter()
            .copied()
            .filter(|s| s.usable_in_tls13_handshake())
            .filter(|s| {
                SignatureAlgorithm::from_scheme(*s)
                    .is_some_and(|alg| self.algorithms.iter().any(|a| a.alg == alg))
            })
            .collect()
    }

    /// Checks a chain (end entity first) against `roots` for `usage` and, for
    /// servers, `server_name`. Returns the Mbed TLS-style failure flags
    /// (empty when the chain is good).
    pub fn verify_chain(
        &self,
        chain: &[CertificateDer<'static>],
        roots: &RootStore,
        server_name: Option<&str>,
        client_usage: bool,
        now: Option<UnixTime>,
    ) -> VerifyResult {
        let Some(end_entity) = chain.first() else {
            return VerifyResult::MISSING;
        };
        let Ok(ee) = EndEntityCert::try_from(end_entity) else {
            return VerifyResult::OTHER;
        };
        let Some(now) = now else {
            // Without wall-clock time validity cannot be checked at all.
            return VerifyResult::OTHER;
        };
        let time = rustls_pki_types::UnixTime::since_unix_epoch(Duration::from_secs(now.0));
        let usage = if client_usage {
            KeyUsage::client_auth()
        } else {
            KeyUsage::server_auth()
        };
        let mut result = VerifyResult::empty();
        let algorithms = self.dyn_algorithms();
        if let Err(e) = ee.verify_for_usage(
            &algorithms,
            roots.anchors(),
            &chain[1..],
            time,
            usage,
            None,
            None,
        ) {
            result |= flags::from_webpki(&e);
        }
        if let Some(name) = server_name {
            match ServerName::try_from(name) {
                Ok(name) => {
                    if ee.verify_is_valid_for_subject_name(&name).is_err() {
                        result |= VerifyResult::CN_MISMATCH;
                    }
                }
                Err(_) => result |= VerifyResult::CN_MISMATCH,
            }
        }
        result
    }

    /// Verifies a handshake signature made with the end-entity certificate's key.
    pub fn verify_signature(
        &self,
        end_entity: &CertificateDer<'_>,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let alg = SignatureAlgorithm::from_scheme(scheme)
            .ok_or(PeerMisbehaved::SignatureSchemeNotOffered)?;
        self.verify_with(end_entity, |a| a == alg, message, signature)
    }

    /// TLS 1.2 form: an ECDSA scheme names only the hash (RFC 5246
    /// 7.4.1.4.1), so `ecdsa_secp256r1_sha256` from a P-384 key means
    /// ECDSA with SHA-256 on P-384. Other schemes as in TLS 1.3.
    pub fn verify_signature_tls12(
        &self,
        end_entity: &CertificateDer<'_>,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        match SignatureAlgorithm::from_scheme(scheme) {
            Some(SignatureAlgorithm::Ecdsa { hash, .. }) => self.verify_with(
                end_entity,
                |a| matches!(a, SignatureAlgorithm::Ecdsa { hash: h, .. } if h == hash),
                message,
                signature,
            ),
            _ => self.verify_signature(end_entity, scheme, message, signature),
        }
    }

    /// Tries every provider algorithm `accept` allows until one fits the
    /// certificate's key.
    fn verify_with(
        &self,
        end_entity: &CertificateDer<'_>,
        accept: impl Fn(SignatureAlgorithm) -> bool,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let ee = EndEntityCert::try_from(end_entity).map_err(|_| CertificateError::BadEncoding)?;
        let mut last_err = PeerMisbehaved::SignatureSchemeNotOffered;
        for candidate in self.algorithms.iter().filter(|a| accept(a.alg)) {
            match ee.verify_signature(candidate, message, signature) {
                Ok(()) => return Ok(()),
                Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_))
                | Err(webpki::Error::UnsupportedSignatureAlgorithmContext(_)) => {
                    // This candidate does not fit the certificate's key; a
                    // fitting candidate's verdict (bad signature) stands.
                }
                Err(_) => last_err = PeerMisbehaved::BadSignature,
            }
        }
        Err(last_err.into())
    }
}

/// What a certificate chain is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A server's chain, checked by a client.
    ServerAuth,
    /// A client's chain, checked by a server.
    ClientAuth,
}

/// Everything needed to check a peer's chain, owned so that the check can
/// run later and elsewhere when it is pausable.
#[derive(Debug, Clone)]
pub struct VerifyRequest {
    /// End entity first.
    pub chain: Vec<CertificateDer<'static>>,
    pub roots: RootStore,
    /// The name the client connected to (server chains only).
    pub server_name: Option<String>,
    pub purpose: Purpose,
    pub now: Option<UnixTime>,
}

/// Checks certificate chains. The built-in [`WebPkiCertVerifier`] is
/// synchronous; a verifier that consults a remote service or a slow
/// revocation source returns [`Pausable::Pending`] from `start_verify`, and
/// the connection hands the request to the caller as an operation.
pub trait CertificateVerifier: Send + Sync {
    fn start_verify(&self, request: &VerifyRequest) -> Pausable<VerifyResult> {
        Pausable::Ready(self.verify(request))
    }

    /// Verifies synchronously; what a worker serving a pending request calls.
    fn verify(&self, request: &VerifyRequest) -> VerifyResult;
}

/// WebPKI path building and name checks with the provider's signature
/// algorithms (the default verifier).
pub struct WebPkiCertVerifier(WebPkiVerifier);

impl WebPkiCertVerifier {
    pub fn new(verifier: Arc<dyn SignatureVerifier>) -> Self {
        Self(WebPkiVerifier::new(verifier))
    }
}

impl CertificateVerifier for WebPkiCertVerifier {
    fn verify(&self, request: &VerifyRequest) -> VerifyResult {
        self.0.verify_chain(
            &request.chain,
            &request.roots,
            request.server_name.as_deref(),
            request.purpose == Purpose::ClientAuth,
            request.now,
        )
    }
}

/// The certificate error that a non-empty verification result maps to, for
/// the alert sent when the mode is `Required`.
pub fn result_to_error(result: VerifyResult) -> CertificateError {
    if result.contains(VerifyResult::MISSING) {
        CertificateError::Other
    } else if result.contains(VerifyResult::EXPIRED) {
        CertificateError::Expired
    } else if result.contains(VerifyResult::FUTURE) {
        CertificateError::NotValidYet
    } else if result.contains(VerifyResult::REVOKED) {
        CertificateError::Revoked
    } else if result.contains(VerifyResult::NOT_TRUSTED) {
        CertificateError::UnknownIssuer
    } else if result.contains(VerifyResult::CN_MISMATCH) {
        CertificateError::NotValidForName
    } else if result.contains(VerifyResult::BAD_MD) || result.contains(VerifyResult::BAD_PK) {
        CertificateError::UnsupportedSignatureAlgorithm
    } else if result.contains(VerifyResult::EXT_KEY_USAGE) {
        CertificateError::InvalidPurpose
    } else {
        CertificateError::Other
    }
}

/// The subjectPublicKey bits of an end-entity certificate (for RSA, the DER
/// RSAPublicKey that RSA key transport encrypts to).
pub(crate) fn end_entity_public_key(end_entity: &CertificateDer<'_>) -> Result<Vec<u8>, Error> {
    let ee = EndEntityCert::try_from(end_entity).map_err(|_| CertificateError::BadEncoding)?;
    let spki = ee.subject_public_key_info();
    spki_public_key(spki.as_ref())
        .map(|k| k.to_vec())
        .ok_or(CertificateError::BadEncoding.into())
}

/// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
/// subjectPublicKey BIT STRING }: the BIT STRING's bytes.
fn spki_public_key(spki: &[u8]) -> Option<&[u8]> {
    fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = match first {
            0..=0x7f => (first as usize, rest),
            0x81 => (*rest.first()? as usize, &rest[1..]),
            0x82 => (
                u16::from_be_bytes([*rest.first()?, *rest.get(1)?]) as usize,
                &rest[2..],
            ),
            _ => return None,
        };
        let body = rest.get(..len)?;
        Some((tag, body, &rest[len..]))
    }
    let (tag, seq, _) = element(spki)?;
    if tag != 0x30 {
        return None;
    }
    let (_, _algorithm, rest) = element(seq)?;
    let (tag, bits, _) = element(rest)?;
    match (tag, bits.split_first()) {
        (0x03, Some((0, key))) => Some(key),
        _ => None,
    }
}

/// Mbed TLS conf_verify: called for every certificate of the peer's chain,
/// from the one nearest the trust anchor down to the end entity (depth 0).
/// `flags` holds that certificate's failures (the chain's verification
/// result is attributed to the end entity); the callback may clear flags
/// it accepts or add its own, and the connection's result is the union of
/// what all calls leave.
pub trait VerifyCallback: Send + Sync {
    fn verify(&self, certificate: &CertificateDer<'_>, depth: usize, flags: &mut VerifyResult);
}

/// How a side checks its peer's chain: the mode and the optional callback.
#[derive(Clone)]
pub(crate) struct VerifyPolicy {
    pub mode: VerifyMode,
    pub callback: Option<Arc<dyn VerifyCallback>>,
}

/// Runs `callback` over `chain` (end entity first) from the top down.
pub(crate) fn run_verify_callback(
    callback: &dyn VerifyCallback,
    chain: &[CertificateDer<'static>],
    chain_result: VerifyResult,
) -> VerifyResult {
    let mut total = VerifyResult::empty();
    for (depth, certificate) in chain.iter().enumerate().rev() {
        let mut flags = if depth == 0 {
            chain_result
        } else {
            VerifyResult::empty()
        };
        callback.verify(certificate, depth, &mut flags);
        total |= flags;
    }
    if chain.is_empty() {
        return chain_result;
    }
    total
}
