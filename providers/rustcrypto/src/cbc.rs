//! AES-CBC for TLS 1.2 CBC suites: whole blocks in place, no padding (the
//! record layer pads and MACs).
//!
//! The AES key schedule is computed once in [`Cbc::new_key`]; each record
//! clones the expanded key into a `cbc` mode object with the record's IV,
//! which copies the round keys and expands nothing.

use alloc::boxed::Box;
use core::marker::PhantomData;

use aes::cipher::consts::U16;
use aes::cipher::generic_array::GenericArray;
use aes::cipher::{
    BlockCipher, BlockDecrypt, BlockDecryptMut, BlockEncrypt, BlockEncryptMut, InnerIvInit, KeyInit,
};
use embertls::crypto::{Cbc, CbcAlgorithm, CbcKey};
use embertls::error::CryptoError;

const BLOCK: usize = CbcAlgorithm::BLOCK_LEN;

/// AES-CBC with the block cipher `A` (`aes::Aes128` or `aes::Aes256`).
pub(crate) struct AesCbc<A> {
    algorithm: CbcAlgorithm,
    cipher: PhantomData<fn() -> A>,
}

impl<A> AesCbc<A> {
    pub(crate) const fn new(algorithm: CbcAlgorithm) -> Self {
        Self {
            algorithm,
            cipher: PhantomData,
        }
    }
}

pub(crate) const AES_128_CBC: AesCbc<aes::Aes128> = AesCbc::new(CbcAlgorithm::Aes128Cbc);
pub(crate) const AES_256_CBC: AesCbc<aes::Aes256> = AesCbc::new(CbcAlgorithm::Aes256Cbc);

/// What the `cbc` modes need of the block cipher: AES, 16-byte blocks.
pub(crate) trait AesBlock:
    BlockCipher<BlockSize = U16> + BlockEncrypt + BlockDecrypt + KeyInit + Clone + Send + Sync + 'static
{
}

impl<A> AesBlock for A where
    A: BlockCipher<BlockSize = U16>
        + BlockEncrypt
        + BlockDecrypt
        + KeyInit
        + Clone
        + Send
        + Sync
        + 'static
{
}

impl<A: AesBlock> Cbc for AesCbc<A> {
    fn algorithm(&self) -> CbcAlgorithm {
        self.algorithm
    }

    fn new_key(&self, key: &[u8]) -> Result<Box<dyn CbcKey>, CryptoError> {
        if key.len() != self.algorithm.key_len() {
            return Err(CryptoError::InvalidKey);
        }
        let cipher = A::new_from_slice(key).map_err(|_| CryptoError::InvalidKey)?;
        Ok(Box::new(AesCbcKey(cipher)))
    }
}

/// The expanded key; `aes` wipes it on drop (its `zeroize` feature).
struct AesCbcKey<A>(A);

/// Whole blocks only: anything else is refused before touching the buffer.
fn check_len(in_out: &[u8]) -> Result<(), CryptoError> {
    if in_out.len() % BLOCK == 0 {
        Ok(())
    } else {
        Err(CryptoError::Other)
    }
}

impl<A: AesBlock> CbcKey for AesCbcKey<A> {
    fn encrypt_in_place(&self, iv: &[u8; 16], in_out: &mut [u8]) -> Result<(), CryptoError> {
        check_len(in_out)?;
        let mut mode = cbc::Encryptor::<A>::inner_iv_init(self.0.clone(), iv.into());
        for block in in_out.chunks_exact_mut(BLOCK) {
            mode.encrypt_block_mut(GenericArray::from_mut_slice(block));
        }
        Ok(())
    }

    fn decrypt_in_place(&self, iv: &[u8; 16], in_out: &mut [u8]) -> Result<(), CryptoError> {
        check_len(in_out)?;
        let mut mode = cbc::Decryptor::<A>::inner_iv_init(self.0.clone(), iv.into());
        for block in in_out.chunks_exact_mut(BLOCK) {
            mode.decrypt_block_mut(GenericArray::from_mut_slice(block));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    const PLAINTEXT: [u8; 64] = hex!(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
    );
    const IV: [u8; 16] = hex!("000102030405060708090a0b0c0d0e0f");

    /// NIST SP 800-38A F.2.1/F.2.2 (AES-128) and F.2.5/F.2.6 (AES-256).
    #[test]
    fn sp800_38a_f2() {
        let cases: [(&dyn Cbc, &[u8], [u8; 64]); 2] = [
            (
                &AES_128_CBC,
                &hex!("2b7e151628aed2a6abf7158809cf4f3c"),
                hex!(
                    "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
                    "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"
                ),
            ),
            (
                &AES_256_CBC,
                &hex!("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"),
                hex!(
                    "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
                    "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"
                ),
            ),
        ];
        for (cbc, key, ciphertext) in cases {
            let key = cbc.new_key(key).unwrap();
            let mut buf = PLAINTEXT;
            key.encrypt_in_place(&IV, &mut buf).unwrap();
            assert_eq!(buf, ciphertext);
            key.decrypt_in_place(&IV, &mut buf).unwrap();
            assert_eq!(buf, PLAINTEXT);
            // The key is reusable, and an empty buffer is whole blocks.
            key.encrypt_in_place(&IV, &mut buf[..16]).unwrap();
            assert_eq!(buf[..16], ciphertext[..16]);
            key.encrypt_in_place(&IV, &mut []).unwrap();
        }
    }

    #[test]
    fn partial_blocks_and_bad_keys_are_refused() {
        let key = AES_128_CBC.new_key(&[0u8; 16]).unwrap();
        for len in [1, 15, 17, 31, 33] {
            let mut buf = vec![7u8; len];
            assert_eq!(key.encrypt_in_place(&IV, &mut buf), Err(CryptoError::Other));
            assert_eq!(key.decrypt_in_place(&IV, &mut buf), Err(CryptoError::Other));
            assert!(buf.iter().all(|&b| b == 7));
        }
        assert_eq!(
            AES_128_CBC.new_key(&[0u8; 32]).err(),
            Some(CryptoError::InvalidKey)
        );
        assert_eq!(
            AES_256_CBC.new_key(&[0u8; 16]).err(),
            Some(CryptoError::InvalidKey)
        );
    }

    use alloc::vec;
}
