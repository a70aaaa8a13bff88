use alloc::boxed::Box;

use crate::error::CryptoError;

/// Block ciphers in CBC mode, for TLS 1.2 CBC suites. The record layer does
/// padding and the MAC itself; the backend only encrypts whole blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CbcAlgorithm {
    Aes128Cbc,
    Aes256Cbc,
}

impl CbcAlgorithm {
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128Cbc => 16,
            Self::Aes256Cbc => 32,
        }
    }

    /// AES: 16-byte blocks (and IVs).
    pub const BLOCK_LEN: usize = 16;
}

/// A CBC cipher: makes keys.
pub trait Cbc: Send + Sync {
    fn algorithm(&self) -> CbcAlgorithm;
    fn new_key(&self, key: &[u8]) -> Result<Box<dyn CbcKey>, CryptoError>;
}

/// A keyed CBC cipher working in place. `in_out.len()` is a multiple of the
/// block length (the record layer guarantees it; anything else is
/// `CryptoError::InvalidLength`). No padding is added or removed.
pub trait CbcKey: Send + Sync {
    fn encrypt_in_place(&self, iv: &[u8; 16], in_out: &mut [u8]) -> Result<(), CryptoError>;
    fn decrypt_in_place(&self, iv: &[u8; 16], in_out: &mut [u8]) -> Result<(), CryptoError>;
}
