//! AES-GCM and ChaCha20-Poly1305 record protection on `EVP_CIPHER_CTX`.
//!
//! Each key holds two OpenSSL contexts, one initialised for encryption and
//! one for decryption, with the key schedule done once in [`Aead::new_key`].
//! A record only sets the nonce (`EVP_CipherInit_ex` with no cipher and no
//! key), feeds the AAD and runs `EVP_CipherUpdate` with the same pointer for
//! input and output, which OpenSSL allows for these stream-like modes: the
//! record is processed in place with no copy and no allocation.

use std::sync::{Mutex, MutexGuard};

use embertls::crypto::{Aead, AeadAlgorithm, AeadKey};
use embertls::error::CryptoError;
use openssl::cipher::{Cipher, CipherRef};
use openssl::cipher_ctx::{CipherCtx, CipherCtxRef};
use openssl::error::ErrorStack;

/// Tag length of every AEAD here.
pub(crate) const TAG_LEN: usize = 16;

/// `EVP_CipherUpdate` takes an `int` length; records are far below this,
/// but larger buffers (tickets, tests) are fed in pieces of this size.
const MAX_UPDATE: usize = 1 << 30;

/// An AEAD algorithm backed by an OpenSSL cipher.
pub(crate) struct OsslAead(pub(crate) AeadAlgorithm);

pub(crate) const AES_128_GCM: OsslAead = OsslAead(AeadAlgorithm::Aes128Gcm);
pub(crate) const AES_256_GCM: OsslAead = OsslAead(AeadAlgorithm::Aes256Gcm);
pub(crate) const CHACHA20_POLY1305: OsslAead = OsslAead(AeadAlgorithm::ChaCha20Poly1305);

fn cipher(alg: AeadAlgorithm) -> Option<&'static CipherRef> {
    match alg {
        AeadAlgorithm::Aes128Gcm => Some(Cipher::aes_128_gcm()),
        AeadAlgorithm::Aes256Gcm => Some(Cipher::aes_256_gcm()),
        AeadAlgorithm::ChaCha20Poly1305 => Some(Cipher::chacha20_poly1305()),
        _ => None,
    }
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
}

impl OsslAeadKey {
    pub(crate) fn new(alg: AeadAlgorithm, key: &[u8]) -> Result<Self, CryptoError> {
        let cipher = cipher(alg).ok_or(CryptoError::UnsupportedAlgorithm)?;
        if key.len() != alg.key_len() || key.len() != cipher.key_length() {
            return Err(CryptoError::InvalidKey);
        }
        let init = || -> Result<(CipherCtx, CipherCtx), ErrorStack> {
            let mut seal = CipherCtx::new()?;
            seal.encrypt_init(Some(cipher), Some(key), None)?;
            let mut open = CipherCtx::new()?;
            open.decrypt_init(Some(cipher), Some(key), None)?;
            // The default nonce length of all three is the TLS one.
            debug_assert_eq!(seal.iv_length(), AeadAlgorithm::NONCE_LEN);
            Ok((seal, open))
        };
        let (seal, open) = init().map_err(|_| CryptoError::Other)?;
        Ok(Self {
            seal: Mutex::new(seal),
            open: Mutex::new(open),
        })
    }
}

/// A context from a key's mutex. A panic while it was held leaves nothing
/// to distrust: every use starts by setting a new nonce.
fn lock(ctx: &Mutex<CipherCtx>) -> MutexGuard<'_, CipherCtx> {
    ctx.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs the cipher over `in_out` in place, after the AAD.
fn update_in_place(
    ctx: &mut CipherCtxRef,
    aad: &[u8],
    in_out: &mut [u8],
) -> Result<(), ErrorStack> {
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
        if tag.len() != TAG_LEN {
            return Err(CryptoError::Other);
        }
        let mut ctx = lock(&self.seal);
        let mut run = |ctx: &mut CipherCtxRef| -> Result<(), ErrorStack> {
            ctx.encrypt_init(None, None, Some(nonce))?;
            update_in_place(ctx, aad, in_out)?;
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
        if tag.len() != TAG_LEN {
            return Err(CryptoError::Other);
        }
        let mut ctx = lock(&self.open);
        let run = |ctx: &mut CipherCtxRef, in_out: &mut [u8]| -> Result<(), ErrorStack> {
            ctx.decrypt_init(None, None, Some(nonce))?;
            ctx.set_tag(tag)?;
            update_in_place(ctx, aad, in_out)?;
            let mut rest = [0u8; 16];
            // Checks the tag.
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
