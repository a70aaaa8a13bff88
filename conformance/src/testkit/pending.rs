//! A provider wrapper under which every pausable operation answers
//! *pending*, so tests exercise each pause and resume point.

use std::sync::Arc;

use embertls::config::CommonConfig;
use embertls::crypto::{CryptoProvider, KeyLoader, KeyType, Pausable, SigningKey, TicketSealer};
use embertls::error::CryptoError;
use embertls::msgs::enums::SignatureScheme;
use embertls::verify::{CertificateVerifier, VerifyRequest, VerifyResult};

/// How a test runs its pausable operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Providers answer at once.
    Direct,
    /// Every pausable operation is deferred to the caller.
    AlwaysPending,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::Direct, Mode::AlwaysPending];

    /// Applies the mode to a configuration's certificate verifier.
    pub fn wrap_common(self, common: &mut CommonConfig) {
        if self == Mode::AlwaysPending {
            common.cert_verifier = Arc::new(PendingVerifier(common.cert_verifier.clone()));
        }
    }

    /// A ticket sealer (fresh key) for a server config, pending in
    /// `AlwaysPending` mode.
    pub fn ticketer(self, provider: &CryptoProvider) -> Arc<dyn TicketSealer> {
        let sealer: Arc<dyn TicketSealer> =
            Arc::new(embertls::session::RotatingTicketer::new(provider, 7200).expect("ticket key"));
        match self {
            Mode::Direct => sealer,
            Mode::AlwaysPending => Arc::new(PendingTicketSealer(sealer)),
        }
    }

    /// Applies the mode to a provider.
    pub fn wrap(self, provider: CryptoProvider) -> CryptoProvider {
        match self {
            Mode::Direct => provider,
            Mode::AlwaysPending => always_pending(provider),
        }
    }
}

/// A signing key whose `start_sign` always defers.
pub struct PendingKey(pub Arc<dyn SigningKey>);

impl SigningKey for PendingKey {
    fn key_type(&self) -> KeyType {
        self.0.key_type()
    }

    fn start_sign(&self, _: SignatureScheme, _: &[u8]) -> Pausable<Result<Vec<u8>, CryptoError>> {
        Pausable::Pending
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.0.sign(scheme, message)
    }

    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        self.0.choose_scheme(offered)
    }

    fn start_decrypt(&self, _: &[u8]) -> Pausable<Result<Vec<u8>, CryptoError>> {
        Pausable::Pending
    }

    fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.0.decrypt(ciphertext)
    }
}

/// A certificate verifier whose `start_verify` always defers.
pub struct PendingVerifier(pub Arc<dyn CertificateVerifier>);

impl CertificateVerifier for PendingVerifier {
    fn start_verify(&self, _: &VerifyRequest) -> Pausable<VerifyResult> {
        Pausable::Pending
    }

    fn verify(&self, request: &VerifyRequest) -> VerifyResult {
        self.0.verify(request)
    }
}

/// A ticket sealer whose `start_*` methods always defer.
pub struct PendingTicketSealer(pub Arc<dyn TicketSealer>);

impl TicketSealer for PendingTicketSealer {
    fn lifetime_secs(&self) -> u32 {
        self.0.lifetime_secs()
    }

    fn start_seal(&self, _: &[u8]) -> Pausable<Result<Vec<u8>, CryptoError>> {
        Pausable::Pending
    }

    fn start_open(&self, _: &[u8]) -> Pausable<Result<Option<Vec<u8>>, CryptoError>> {
        Pausable::Pending
    }

    fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.0.seal(plaintext)
    }

    fn open(&self, ticket: &[u8]) -> Result<Option<Vec<u8>>, CryptoError> {
        self.0.open(ticket)
    }
}

struct PendingKeyLoader(Arc<dyn KeyLoader>);

impl KeyLoader for PendingKeyLoader {
    fn load_private_key(&self, der: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError> {
        Ok(Arc::new(PendingKey(self.0.load_private_key(der)?)))
    }
}

/// Wraps `provider` so that keys it loads always answer pending.
pub fn always_pending(mut provider: CryptoProvider) -> CryptoProvider {
    provider.key_loader = Arc::new(PendingKeyLoader(provider.key_loader.clone()));
    provider
}
