//! AES-GCM, ChaCha20-Poly1305 and AES-CCM (16- and 8-byte tags) record
//! protection on `EVP_CIPHER_CTX`.
//!
//! Each key holds two OpenSSL contexts, one initialised for encryption and
//! one for decryption, with the key schedule done once in [`Aead::new_key`].
//! A record only sets the nonce (`EVP_CipherInit_ex` with no cipher and no
//! key), feeds the AAD and runs `EVP_CipherUpdate` with the same pointer for
//! input and output, which OpenSSL allows for these stream-like modes: the
//! record is processed in place with no copy and no allocation.
//!
//! CCM differs in three ways: the nonce and tag lengths are set on the
//! context before the key; each record first declares its length
//! (`EVP_CipherUpdate` with no data), then passes the AAD and the data in
//! one call each; and when opening, the expected tag is set before the data,
//! which OpenSSL checks inside that one update.

use std::sync::{Mutex, MutexGuard};

use embertls::crypto::{Aead, AeadAlgorithm, AeadKey};
use embertls::error::CryptoError;
use openssl::cipher::{Cipher, CipherRef};
use openssl::cipher_ctx::{CipherCtx, CipherCtxRef};
use openssl::error::ErrorStack;

/// `EVP_CipherUpdate` takes an `int` length; records are far below this,
/// but larger buffers (tickets, tests) are fed in pieces of this size.
const MAX_UPDATE: usize = 1 << 30;

/// An AEAD algorithm backed by an OpenSSL cipher.
pub(crate) struct OsslAead(pub(crate) AeadAlgorithm);

pub(crate) const AES_128_GCM: OsslAead = OsslAead(AeadAlgorithm::Aes128Gcm);
pub(crate) const AES_256_GCM: OsslAead = OsslAead(AeadAlgorithm::Aes256Gcm);
pub(crate) const CHACHA20_POLY1305: OsslAead = OsslAead(AeadAlgorithm::ChaCha20Poly1305);
pub(crate) const AES_128_CCM: OsslAead = OsslAead(AeadAlgorithm::Aes128Ccm);
pub(crate) const AES_256_CCM: OsslAead = OsslAead(AeadAlgorithm::Aes256Ccm);
pub(crate) const AES_128_CCM_8: OsslAead = OsslAead(AeadAlgorithm::Aes128Ccm8);
pub(crate) const AES_256_CCM_8: OsslAead = OsslAead(AeadAlgorithm::Aes256Ccm8);

fn cipher(alg: AeadAlgorithm) -> Option<&'static CipherRef> {
    match alg {
        AeadAlgorithm::Aes128Gcm => Some(Cipher::aes_128_gcm()),
        AeadAlgorithm::Aes256Gcm => Some(Cipher::aes_256_gcm()),
        AeadAlgorithm::ChaCha20Poly1305 => Some(Cipher::chacha20_poly1305()),
        AeadAlgorithm::Aes128Ccm | AeadAlgorithm::Aes128Ccm8 => Some(Cipher::aes_128_ccm()),
        AeadAlgorithm::Aes256Ccm | AeadAlgorithm::Aes256Ccm8 => Some(Cipher::aes_256_ccm()),
        _ => None,
    }
}

fn is_ccm(alg: AeadAlgorithm) -> bool {
    matches!(
        alg,
        AeadAlgorithm::Aes128Ccm
            | AeadAlgorithm::Aes256Ccm
            | AeadAlgorithm::Aes128Ccm8
            | AeadAlgorithm::Aes256Ccm8
    )
}

impl Aead for OsslAead {
    fn algorithm(&self) -> AeadAlgorithm {
        self.0
    }

    fn new_key(&self, key: &[u8]) -> Result<Box<dyn AeadKey>, CryptoError> {
        Ok(Box::new(OsslAeadKey::new(self.0, key)?))
    }
}

/// A keyed cipher. `EVP_CIPHER_CTX_free` wipes the key schedule.
pub(crate) struct OsslAeadKey {
    seal: Mutex<CipherCtx>,
    open: Mutex<CipherCtx>,
    ccm: bool,
    tag_len: usize,
}

impl OsslAeadKey {
    pub(crate) fn new(alg: AeadAlgorithm, key: &[u8]) -> Result<Self, CryptoError> {
        let cipher = cipher(alg).ok_or(CryptoError::UnsupportedAlgorithm)?;
        if key.len() != alg.key_len() || key.len() != cipher.key_length() {
            return Err(CryptoError::InvalidKey);
        }
        let ccm = is_ccm(alg);
        let tag_len = alg.tag_len();
        let init = || -> Result<(CipherCtx, CipherCtx), ErrorStack> {
            let mut seal = CipherCtx::new()?;
            let mut open = CipherCtx::new()?;
            if ccm {
                // CCM's default nonce (7 bytes) and tag (12 bytes) are not
                // TLS's: set both before the key.
                seal.encrypt_init(Some(cipher), None, None)?;
                seal.set_iv_length(AeadAlgorithm::NONCE_LEN)?;
                seal.set_tag_length(tag_len)?;
                seal.encrypt_init(None, Some(key), None)?;
                open.decrypt_init(Some(cipher), None, None)?;
                open.set_iv_length(AeadAlgorithm::NONCE_LEN)?;
                open.set_tag_length(tag_len)?;
                open.decrypt_init(None, Some(key), None)?;
            } else {
                seal.encrypt_init(Some(cipher), Some(key), None)?;
                open.decrypt_init(Some(cipher), Some(key), None)?;
            }
            // GCM and ChaCha20-Poly1305 default to the TLS nonce length.
            debug_assert_eq!(seal.iv_length(), AeadAlgorithm::NONCE_LEN);
            Ok((seal, open))
        };
        let (seal, open) = init().map_err(|_| CryptoError::Other)?;
        Ok(Self {
            seal: Mutex::new(seal),
            open: Mutex::new(open),
            ccm,
            tag_len,
        })
    }
}

/// A context from a key's mutex. A panic while it was held leaves nothing
/// to distrust: every use starts by setting a new nonce.
fn lock(ctx: &Mutex<CipherCtx>) -> MutexGuard<'_, CipherCtx> {
    ctx.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs the cipher over `in_out` in place, after the AAD. CCM takes the
/// total length first and the AAD and the data in one call each (which
/// limits a CCM message to 2 GiB; with TLS's 12-byte nonce CCM itself stops
/// at 16 MiB).
fn update_in_place(
    ctx: &mut CipherCtxRef,
    ccm: bool,
    aad: &[u8],
    in_out: &mut [u8],
) -> Result<(), ErrorStack> {
    if ccm {
        if in_out.len() > MAX_UPDATE || aad.len() > MAX_UPDATE {
            return Err(ErrorStack::get());
        }
        ctx.set_data_len(in_out.len())?;
        if !aad.is_empty() {
            ctx.cipher_update(aad, None)?;
        }
        // Even an empty message goes through one update: that is where
        // CCM computes (or, opening, checks) the tag.
        let len = in_out.len();
        let written = ctx.cipher_update_inplace(in_out, len)?;
        if written != len {
            return Err(ErrorStack::get());
        }
        return Ok(());
    }
    for piece in aad.chunks(MAX_UPDATE) {
        ctx.cipher_update(piece, None)?;
    }
    for piece in in_out.chunks_mut(MAX_UPDATE) {
        let len = piece.len();
        let written = ctx.cipher_update_inplace(piece, len)?;
        // GCM and ChaCha20-Poly1305 have no block buffering.
        if written != len {
            return Err(ErrorStack::get());
        }
    }
    Ok(())
}

impl AeadKey for OsslAeadKey {
    fn seal_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), CryptoError> {
        if tag.len() != self.tag_len {
            return Err(CryptoError::Other);
        }
        let mut ctx = lock(&self.seal);
        let mut run = |ctx: &mut CipherCtxRef| -> Result<(), ErrorStack> {
            ctx.encrypt_init(None, None, Some(nonce))?;
            update_in_place(ctx, self.ccm, aad, in_out)?;
            // Writes nothing for these modes; the buffer satisfies the API.
            let mut rest = [0u8; 16];
            ctx.cipher_final(&mut rest)?;
            ctx.tag(tag)
        };
        run(&mut ctx).map_err(|_| CryptoError::Other)
    }

    fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), CryptoError> {
        if tag.len() != self.tag_len {
            return Err(CryptoError::Other);
        }
        let mut ctx = lock(&self.open);
        let run = |ctx: &mut CipherCtxRef, in_out: &mut [u8]| -> Result<(), ErrorStack> {
            ctx.decrypt_init(None, None, Some(nonce))?;
            ctx.set_tag(tag)?;
            update_in_place(ctx, self.ccm, aad, in_out)?;
            let mut rest = [0u8; 16];
            // Checks the tag (CCM checked it in the update).
            ctx.cipher_final(&mut rest)?;
            Ok(())
        };
        run(&mut ctx, in_out).map_err(|_| {
            // OpenSSL decrypts before it checks the tag: wipe the
            // unauthenticated plaintext so none of it can be used.
            in_out.fill(0);
            CryptoError::Other
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    /// NIST SP 800-38C appendix C, example 3: AES-128, 12-byte nonce,
    /// 8-byte tag (CCM-8 as TLS uses it); then a forgery, and the empty
    /// message.
    #[test]
    fn aes128ccm8_sp800_38c_example_3() {
        let key = AES_128_CCM_8
            .new_key(&hex!("404142434445464748494a4b4c4d4e4f"))
            .unwrap();
        let nonce = hex!("101112131415161718191a1b");
        let aad = hex!("000102030405060708090a0b0c0d0e0f10111213");
        let pt = hex!("202122232425262728292a2b2c2d2e2f3031323334353637");
        let mut buf = pt;
        let mut tag = [0u8; 8];
        key.seal_in_place(&nonce, &aad, &mut buf, &mut tag).unwrap();
        assert_eq!(
            buf,
            hex!("e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5")
        );
        assert_eq!(tag, hex!("484392fbc1b09951"));
        let ct = buf;
        key.open_in_place(&nonce, &aad, &mut buf, &tag).unwrap();
        assert_eq!(buf, pt);
        let mut buf = ct;
        let mut bad = tag;
        bad[7] ^= 1;
        assert_eq!(
            key.open_in_place(&nonce, &aad, &mut buf, &bad),
            Err(CryptoError::Other)
        );
        assert!(buf.iter().all(|&b| b == 0));
        // The key still works after a failure.
        let mut buf = ct;
        key.open_in_place(&nonce, &aad, &mut buf, &tag).unwrap();
        assert_eq!(buf, pt);
        // Empty plaintext and empty AAD.
        let mut tag = [0u8; 8];
        key.seal_in_place(&nonce, &[], &mut [], &mut tag).unwrap();
        key.open_in_place(&nonce, &[], &mut [], &tag).unwrap();
        tag[0] ^= 1;
        assert!(key.open_in_place(&nonce, &[], &mut [], &tag).is_err());
        assert!(key
            .seal_in_place(&nonce, &aad, &mut buf, &mut [0u8; 16])
            .is_err());
    }
}
