//! AES-128/256-CBC without padding, for TLS 1.2 `*_CBC_*` suites.
//!
//! aws-lc-rs's `cipher` module pads (PKCS#7) or schedules the key on every
//! call, so this goes to AWS-LC's block API through `aws-lc-sys`: the
//! encryption and decryption key schedules are made once in `new_key`
//! (`AES_set_encrypt_key`, `AES_set_decrypt_key`) and each record is one
//! `AES_cbc_encrypt` call over the caller's buffer, in place. AWS-LC picks
//! AES-NI or the constant-time vector-permutation code at run time. The
//! record layer adds and checks the padding itself.
#![allow(unsafe_code)]

use aws_lc_sys::{
    AES_cbc_encrypt, AES_set_decrypt_key, AES_set_encrypt_key, AES_DECRYPT, AES_ENCRYPT, AES_KEY,
};
use embertls::crypto::{Cbc, CbcAlgorithm, CbcKey};
use embertls::error::CryptoError;
use zeroize::Zeroize;

const BLOCK: usize = CbcAlgorithm::BLOCK_LEN;

/// AES in CBC mode with a 128- or 256-bit key.
pub(crate) struct AesCbc(CbcAlgorithm);

pub(crate) const AES_128_CBC: AesCbc = AesCbc(CbcAlgorithm::Aes128Cbc);
pub(crate) const AES_256_CBC: AesCbc = AesCbc(CbcAlgorithm::Aes256Cbc);

impl Cbc for AesCbc {
    fn algorithm(&self) -> CbcAlgorithm {
        self.0
    }

    fn new_key(&self, key: &[u8]) -> Result<Box<dyn CbcKey>, CryptoError> {
        if key.len() != self.0.key_len() {
            return Err(CryptoError::InvalidKey);
        }
        let bits = (key.len() * 8) as u32;
        let mut keys = Box::new(AesCbcKey {
            encrypt: zeroed_key(),
            decrypt: zeroed_key(),
        });
        // SAFETY: `key` is readable for `bits / 8` bytes (checked above) and
        // both schedules are valid, exclusively borrowed `AES_KEY`s that the
        // functions only write.
        let (enc, dec) = unsafe {
            (
                AES_set_encrypt_key(key.as_ptr(), bits, &mut keys.encrypt),
                AES_set_decrypt_key(key.as_ptr(), bits, &mut keys.decrypt),
            )
        };
        // Both return 0 on success, negative for a bad key size.
        if enc != 0 || dec != 0 {
            return Err(CryptoError::InvalidKey);
        }
        Ok(keys)
    }
}

fn zeroed_key() -> AES_KEY {
    AES_KEY {
        rd_key: [0; 60],
        rounds: 0,
    }
}

/// Both key schedules; wiped on drop.
struct AesCbcKey {
    encrypt: AES_KEY,
    decrypt: AES_KEY,
}

impl AesCbcKey {
    fn apply(&self, iv: &[u8; 16], in_out: &mut [u8], encrypt: bool) -> Result<(), CryptoError> {
        if in_out.len() % BLOCK != 0 {
            return Err(CryptoError::Other);
        }
        if in_out.is_empty() {
            return Ok(());
        }
        // AES_cbc_encrypt updates the IV it is given; the caller's stays.
        let mut ivec = *iv;
        let (key, mode) = if encrypt {
            (&self.encrypt, AES_ENCRYPT)
        } else {
            (&self.decrypt, AES_DECRYPT)
        };
        let ptr = in_out.as_mut_ptr();
        // SAFETY: `ptr` is valid for reads and writes of `in_out.len()` bytes,
        // a whole number of blocks, and AWS-LC's CBC code supports input and
        // output being the same buffer (it keeps the previous ciphertext
        // block in a local before overwriting it). `key` is an initialised
        // schedule of the right direction and `ivec` a 16-byte buffer the
        // call may write.
        unsafe {
            AES_cbc_encrypt(ptr, ptr, in_out.len(), key, ivec.as_mut_ptr(), mode);
        }
        ivec.zeroize();
        Ok(())
    }
}

impl CbcKey for AesCbcKey {
    fn encrypt_in_place(&self, iv: &[u8; 16], in_out: &mut [u8]) -> Result<(), CryptoError> {
        self.apply(iv, in_out, true)
    }

    fn decrypt_in_place(&self, iv: &[u8; 16], in_out: &mut [u8]) -> Result<(), CryptoError> {
        self.apply(iv, in_out, false)
    }
}

impl Drop for AesCbcKey {
    fn drop(&mut self) {
        for key in [&mut self.encrypt, &mut self.decrypt] {
            key.rd_key.zeroize();
            key.rounds.zeroize();
        }
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

    fn check(alg: &AesCbc, key: &[u8], ciphertext: &[u8; 64]) {
        let key = alg.new_key(key).unwrap();
        let mut buf = PLAINTEXT;
        key.encrypt_in_place(&IV, &mut buf).unwrap();
        assert_eq!(&buf, ciphertext);
        key.decrypt_in_place(&IV, &mut buf).unwrap();
        assert_eq!(buf, PLAINTEXT);
        // Block by block, chaining the IV by hand: the same.
        let mut iv = IV;
        for block in buf.chunks_mut(16) {
            key.encrypt_in_place(&iv, block).unwrap();
            iv.copy_from_slice(block);
        }
        assert_eq!(&buf, ciphertext);
    }

    /// NIST SP 800-38A F.2.1/F.2.2 (CBC-AES128) and F.2.5/F.2.6 (CBC-AES256).
    #[test]
    fn sp800_38a_f2() {
        check(
            &AES_128_CBC,
            &hex!("2b7e151628aed2a6abf7158809cf4f3c"),
            &hex!(
                "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
                "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"
            ),
        );
        check(
            &AES_256_CBC,
            &hex!("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"),
            &hex!(
                "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
                "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"
            ),
        );
    }

    #[test]
    fn partial_blocks_and_bad_keys_refused() {
        let key = AES_128_CBC.new_key(&[7u8; 16]).unwrap();
        for len in [1, 15, 17, 100] {
            let mut buf = vec![0x3cu8; len];
            assert_eq!(key.encrypt_in_place(&IV, &mut buf), Err(CryptoError::Other));
            assert_eq!(key.decrypt_in_place(&IV, &mut buf), Err(CryptoError::Other));
            assert!(buf.iter().all(|&b| b == 0x3c));
        }
        key.encrypt_in_place(&IV, &mut []).unwrap();
        for len in [0, 15, 24, 32] {
            assert_eq!(
                AES_128_CBC.new_key(&vec![1u8; len]).err(),
                Some(CryptoError::InvalidKey)
            );
        }
        assert_eq!(
            AES_256_CBC.new_key(&[1u8; 16]).err(),
            Some(CryptoError::InvalidKey)
        );
    }
}
