//! Provider traits: every cryptographic primitive the engine uses.
//!
//! The engine names no backend crate. A backend implements these traits and
//! bundles them in a [`CryptoProvider`] value; configurations hold an
//! `Arc<CryptoProvider>`. Slow operations (signing today; RSA decryption,
//! ticket sealing and certificate verification as they arrive) return
//! [`Pausable`], so a backend may defer the work to the caller — see
//! `docs/providers.md` and [`crate::conn::Operation`].

mod aead;
mod cbc;
pub mod ffdh;
mod hash;
mod kx;
mod rand;
mod sign;
mod ticket;

use alloc::sync::Arc;
use alloc::vec::Vec;

pub use self::aead::{Aead, AeadAlgorithm, AeadKey};
pub use self::cbc::{Cbc, CbcAlgorithm, CbcKey};
pub use self::ffdh::FiniteFieldDh;
pub use self::hash::{
    Hash, HashContext, HashOutput, Hkdf, HkdfUsingHmac, Hmac, HmacKey, PrfUsingHmac, Tls12Prf,
    MAX_HASH_LEN,
};
pub use self::kx::{ActiveKeyExchange, KeyExchangeGroup, SharedSecret};
pub use self::rand::{RandomAdapter, SecureRandom, TimeSource, UnixTime};
pub(crate) use self::sign::ExternalKey;
pub use self::sign::{
    ExternalSign, ExternalSigner, KeyLoader, KeyType, RsaKeyTransport, SignatureAlgorithm,
    SignatureVerifier, SigningKey,
};
pub use self::ticket::TicketSealer;
pub use crate::handshake::tls12::tls12_prf;

use crate::msgs::enums::{HashAlgorithm, NamedGroup};

/// The result of an operation that may be deferred to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pausable<T> {
    /// The operation finished (successfully or not).
    Ready(T),
    /// The backend asks the caller to perform the operation; the connection
    /// emits an [`crate::conn::Operation`] and waits for
    /// [`crate::Connection::complete`].
    Pending,
}

/// A backend's primitives, bundled. Lists are in preference order.
#[derive(Clone)]
pub struct CryptoProvider {
    /// Short backend name for logs and benchmark tables.
    pub name: &'static str,
    pub hashes: Vec<Arc<dyn Hash>>,
    pub hmacs: Vec<Arc<dyn Hmac>>,
    pub hkdfs: Vec<Arc<dyn Hkdf>>,
    pub prfs: Vec<Arc<dyn Tls12Prf>>,
    pub aeads: Vec<Arc<dyn Aead>>,
    /// CBC ciphers for TLS 1.2 CBC suites; may be empty.
    pub cbcs: Vec<Arc<dyn Cbc>>,
    /// Elliptic-curve groups (and any natively implemented FFDHE group).
    pub groups: Vec<Arc<dyn KeyExchangeGroup>>,
    /// Finite-field DH for DHE suites and RFC 7919 groups; `None` drops them.
    pub ffdh: Option<Arc<dyn FiniteFieldDh>>,
    /// RSA encryption for clients of RSA key-transport suites.
    pub rsa_key_transport: Option<Arc<dyn RsaKeyTransport>>,
    pub verifier: Arc<dyn SignatureVerifier>,
    pub key_loader: Arc<dyn KeyLoader>,
    pub random: Arc<dyn SecureRandom>,
    /// Wall-clock time for certificate validity; `None` on devices without a
    /// clock (validity periods are then not checked).
    pub time: Option<Arc<dyn TimeSource>>,
}

impl CryptoProvider {
    pub fn hash(&self, alg: HashAlgorithm) -> Option<&Arc<dyn Hash>> {
        self.hashes.iter().find(|h| h.algorithm() == alg)
    }

    pub fn hmac(&self, alg: HashAlgorithm) -> Option<&Arc<dyn Hmac>> {
        self.hmacs.iter().find(|h| h.hash_algorithm() == alg)
    }

    pub fn hkdf(&self, alg: HashAlgorithm) -> Option<&Arc<dyn Hkdf>> {
        self.hkdfs.iter().find(|h| h.hash_algorithm() == alg)
    }

    pub fn prf(&self, alg: HashAlgorithm) -> Option<&Arc<dyn Tls12Prf>> {
        self.prfs.iter().find(|h| h.hash_algorithm() == alg)
    }

    pub fn aead(&self, alg: AeadAlgorithm) -> Option<&Arc<dyn Aead>> {
        self.aeads.iter().find(|a| a.algorithm() == alg)
    }

    pub fn group(&self, group: NamedGroup) -> Option<&Arc<dyn KeyExchangeGroup>> {
        self.groups.iter().find(|g| g.group() == group)
    }

    pub fn cbc(&self, alg: CbcAlgorithm) -> Option<&Arc<dyn Cbc>> {
        self.cbcs.iter().find(|c| c.algorithm() == alg)
    }

    /// Whether `group` can be used: a native group, or an RFC 7919 group
    /// through the finite-field DH backend.
    pub fn supports_group(&self, group: NamedGroup) -> bool {
        self.group(group).is_some()
            || (self.ffdh.is_some() && ffdh::named_ffdhe_params(group).is_some())
    }

    /// Starts a key exchange in `group`, native first, then RFC 7919 groups
    /// through [`FiniteFieldDh`].
    pub fn start_key_exchange(
        &self,
        group: NamedGroup,
    ) -> Result<alloc::boxed::Box<dyn ActiveKeyExchange>, crate::error::CryptoError> {
        if let Some(g) = self.group(group) {
            return g.start(self.random.as_ref());
        }
        match (&self.ffdh, ffdh::named_ffdhe_params(group)) {
            (Some(dh), Some(params)) => dh.start(group, params.p, params.g, self.random.as_ref()),
            _ => Err(crate::error::CryptoError::UnsupportedAlgorithm),
        }
    }
}

impl core::fmt::Debug for CryptoProvider {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CryptoProvider")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
