use alloc::boxed::Box;

use crate::error::CryptoError;

/// AEAD algorithms used by record protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AeadAlgorithm {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
    Aes128Ccm,
    Aes256Ccm,
    Aes128Ccm8,
    Aes256Ccm8,
}

impl AeadAlgorithm {
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm | Self::Aes128Ccm | Self::Aes128Ccm8 => 16,
            _ => 32,
        }
    }

    pub fn tag_len(self) -> usize {
        match self {
            Self::Aes128Ccm8 | Self::Aes256Ccm8 => 8,
            _ => 16,
        }
    }

    /// Every TLS AEAD uses a 12-byte nonce.
    pub const NONCE_LEN: usize = 12;
}

/// An AEAD algorithm: makes keys.
pub trait Aead: Send + Sync {
    fn algorithm(&self) -> AeadAlgorithm;
    fn new_key(&self, key: &[u8]) -> Result<Box<dyn AeadKey>, CryptoError>;
}

/// A keyed AEAD. Both directions work in place on the caller's buffer so the
/// record layer never copies or allocates per record.
pub trait AeadKey: Send + Sync {
    /// Encrypts `in_out` in place and writes the tag into `tag`
    /// (`tag.len()` is the algorithm's tag length).
    fn seal_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), CryptoError>;

    /// Verifies `tag` and decrypts `in_out` in place. On failure `in_out`
    /// holds no plaintext the caller may use.
    fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), CryptoError>;
}
