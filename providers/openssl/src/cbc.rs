//! AES-CBC for TLS 1.2 CBC suites on `EVP_CIPHER_CTX`, padding disabled:
//! whole blocks in place (the record layer pads and MACs).
//!
//! Each key holds an encrypting and a decrypting context with the key
//! schedule done once in [`Cbc::new_key`]; a record only sets its IV. The
//! `openssl` crate's in-place update insists on a block of spare room
//! after the input (which OpenSSL needs when it pads, not here), so all but
//! the last block are processed in the caller's buffer and the last block
//! in a 32-byte stack buffer: no allocation per record.

use std::sync::{Mutex, MutexGuard};

use embertls::crypto::{Cbc, CbcAlgorithm, CbcKey};
use embertls::error::CryptoError;
use openssl::cipher::{Cipher, CipherRef};
use openssl::cipher_ctx::{CipherCtx, CipherCtxRef};
use openssl::error::ErrorStack;
use zeroize::Zeroize;

const BLOCK: usize = CbcAlgorithm::BLOCK_LEN;

/// Input per `EVP_CipherUpdate` call (an `int`), a multiple of the block.
const MAX_UPDATE: usize = 1 << 30;

/// AES-CBC on OpenSSL.
pub(crate) struct OsslCbc(pub(crate) CbcAlgorithm);

pub(crate) const AES_128_CBC: OsslCbc = OsslCbc(CbcAlgorithm::Aes128Cbc);
pub(crate) const AES_256_CBC: OsslCbc = OsslCbc(CbcAlgorithm::Aes256Cbc);

fn cipher(alg: CbcAlgorithm) -> Option<&'static CipherRef> {
    match alg {
        CbcAlgorithm::Aes128Cbc => Some(Cipher::aes_128_cbc()),
        CbcAlgorithm::Aes256Cbc => Some(Cipher::aes_256_cbc()),
        _ => None,
    }
}

impl Cbc for OsslCbc {
    fn algorithm(&self) -> CbcAlgorithm {
        self.0
    }

    fn new_key(&self, key: &[u8]) -> Result<Box<dyn CbcKey>, CryptoError> {
        let cipher = cipher(self.0).ok_or(CryptoError::UnsupportedAlgorithm)?;
        if key.len() != self.0.key_len() || key.len() != cipher.key_length() {
            return Err(CryptoError::InvalidKey);
        }
        let init = || -> Result<(CipherCtx, CipherCtx), ErrorStack> {
            let mut encrypt = CipherCtx::new()?;
            encrypt.encrypt_init(Some(cipher), Some(key), None)?;
            encrypt.set_padding(false);
            let mut decrypt = CipherCtx::new()?;
            decrypt.decrypt_init(Some(cipher), Some(key), None)?;
            decrypt.set_padding(false);
            Ok((encrypt, decrypt))
        };
        let (encrypt, decrypt) = init().map_err(|_| CryptoError::Other)?;
        Ok(Box::new(OsslCbcKey {
            encrypt: Mutex::new(encrypt),
            decrypt: Mutex::new(decrypt),
        }))
    }
}

/// A keyed cipher. `EVP_CIPHER_CTX_free` wipes the key schedule.
struct OsslCbcKey {
    encrypt: Mutex<CipherCtx>,
    decrypt: Mutex<CipherCtx>,
}

/// A context from a key's mutex; every use starts by setting the IV, so a
/// panic while it was held leaves nothing to distrust.
fn lock(ctx: &Mutex<CipherCtx>) -> MutexGuard<'_, CipherCtx> {
    ctx.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sets the IV and runs the cipher over the whole blocks of `in_out`.
fn run(
    ctx: &mut CipherCtxRef,
    encrypt: bool,
    iv: &[u8; 16],
    in_out: &mut [u8],
) -> Result<(), CryptoError> {
    if in_out.len() % BLOCK != 0 {
        return Err(CryptoError::Other);
    }
    let mut last = [0u8; 2 * BLOCK];
    let result = (|| -> Result<(), ErrorStack> {
        if encrypt {
            ctx.encrypt_init(None, None, Some(iv))?;
        } else {
            ctx.decrypt_init(None, None, Some(iv))?;
        }
        // The padding flag survives re-initialisation; set it anyway, it
        // is what makes partial blocks impossible to release.
        ctx.set_padding(false);
        let Some(body_len) = in_out.len().checked_sub(BLOCK) else {
            return Ok(());
        };
        // All blocks but the last, in place: each call's input ends at
        // least one block before the end of the slice it gets.
        let mut done = 0;
        while done < body_len {
            let len = (body_len - done).min(MAX_UPDATE);
            let written = ctx.cipher_update_inplace(&mut in_out[done..], len)?;
            if written != len {
                return Err(ErrorStack::get());
            }
            done += len;
        }
        // The last block through a buffer with room to spare.
        last[..BLOCK].copy_from_slice(&in_out[body_len..]);
        let written = ctx.cipher_update_inplace(&mut last, BLOCK)?;
        if written != BLOCK {
            return Err(ErrorStack::get());
        }
        in_out[body_len..].copy_from_slice(&last[..BLOCK]);
        // Nothing is buffered without padding; this only checks that.
        let mut rest = [0u8; BLOCK];
        if ctx.cipher_final(&mut rest)? != 0 {
            return Err(ErrorStack::get());
        }
        Ok(())
    })();
    last.zeroize();
    result.map_err(|_| {
        // Never leave a half-processed buffer behind.
        in_out.fill(0);
        CryptoError::Other
    })
}

impl CbcKey for OsslCbcKey {
    fn encrypt_in_place(&self, iv: &[u8; 16], in_out: &mut [u8]) -> Result<(), CryptoError> {
        run(&mut lock(&self.encrypt), true, iv, in_out)
    }

    fn decrypt_in_place(&self, iv: &[u8; 16], in_out: &mut [u8]) -> Result<(), CryptoError> {
        run(&mut lock(&self.decrypt), false, iv, in_out)
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

    /// NIST SP 800-38A F.2.1/F.2.2 (AES-128) and F.2.5/F.2.6 (AES-256),
    /// whole and block by block.
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
            // One block at a time, chaining the IV by hand.
            let mut iv = IV;
            let mut buf = PLAINTEXT;
            for block in buf.chunks_mut(16) {
                key.encrypt_in_place(&iv, block).unwrap();
                iv.copy_from_slice(block);
            }
            assert_eq!(buf, ciphertext);
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
}
