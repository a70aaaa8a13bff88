use alloc::boxed::Box;
use alloc::vec::Vec;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::SecureRandom;
use crate::error::CryptoError;
use crate::msgs::enums::NamedGroup;

/// A key-exchange group (ECDHE or FFDHE).
pub trait KeyExchangeGroup: Send + Sync {
    fn group(&self) -> NamedGroup;
    /// Generates an ephemeral key pair with randomness from `rng`.
    fn start(&self, rng: &dyn SecureRandom) -> Result<Box<dyn ActiveKeyExchange>, CryptoError>;
}

/// An ephemeral private key waiting for the peer's share.
pub trait ActiveKeyExchange: Send + Sync {
    fn group(&self) -> NamedGroup;
    /// Our public share in its TLS encoding.
    fn public_key(&self) -> &[u8];
    /// Combines with the peer's share. An invalid share (bad point, wrong
    /// length, all-zero X25519 output) is `CryptoError::InvalidKey`.
    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<SharedSecret, CryptoError>;
}

/// A key-exchange result; zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SharedSecret(Vec<u8>);

impl SharedSecret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl AsRef<[u8]> for SharedSecret {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
