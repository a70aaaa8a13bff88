//! AES-128/256-CCM with 16- and 8-byte tags (RFC 6655, RFC 7251), TLS's
//! 12-byte nonce.
//!
//! aws-lc-rs's `aead` module has no CCM, and AWS-LC's CCM `EVP_AEAD`s are
//! fixed to other parameters (Bluetooth: 13-byte nonce; Matter: 13-byte
//! nonce, 16-byte tag). AWS-LC's `EVP_CIPHER` CCM (`EVP_aes_128_ccm`,
//! `EVP_aes_256_ccm`) takes any RFC 3610 nonce and tag size, so this module
//! drives it through `aws-lc-sys`:
//!
//! - `new_key` makes two `EVP_CIPHER_CTX`s, one for sealing and one for
//!   opening, sets the nonce length (12 bytes, L = 3) and the tag length,
//!   and schedules the key once.
//! - Each record re-initialises its context with the nonce only
//!   (`EVP_CipherInit_ex` without cipher and key keeps the key schedule),
//!   gives the message length, the AAD and then the record to one
//!   `EVP_CipherUpdate` with the same buffer as input and output (CCM runs
//!   in counter mode, so in place is fine), and reads or sets the detached
//!   tag. Nothing is allocated per record.
//! - CCM authenticates the plaintext, so opening must decrypt before it can
//!   check: AWS-LC wipes the output when the tag does not match, and this
//!   module wipes the buffer again on any failure, so no unauthenticated
//!   plaintext is released.
//!
//! The contexts are behind a `Mutex` each: `AeadKey` methods take `&self`
//! and a record layer uses one key from one thread at a time, so the lock
//! is never contended in practice.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::ptr::{self, NonNull};
use std::sync::{Mutex, MutexGuard};

use aws_lc_sys::{
    EVP_CIPHER_CTX_ctrl, EVP_CIPHER_CTX_free, EVP_CIPHER_CTX_new, EVP_CipherInit_ex,
    EVP_CipherUpdate, EVP_aes_128_ccm, EVP_aes_256_ccm, EVP_CIPHER, EVP_CIPHER_CTX,
    EVP_CTRL_AEAD_GET_TAG, EVP_CTRL_AEAD_SET_IVLEN, EVP_CTRL_AEAD_SET_TAG,
};
use embertls::crypto::{Aead, AeadAlgorithm, AeadKey};
use embertls::error::CryptoError;
use zeroize::Zeroize;

const NONCE_LEN: usize = AeadAlgorithm::NONCE_LEN;

/// AES-CCM with one key size and tag length.
pub(crate) struct AesCcm(AeadAlgorithm);

pub(crate) const AES_128_CCM: AesCcm = AesCcm(AeadAlgorithm::Aes128Ccm);
pub(crate) const AES_256_CCM: AesCcm = AesCcm(AeadAlgorithm::Aes256Ccm);
pub(crate) const AES_128_CCM_8: AesCcm = AesCcm(AeadAlgorithm::Aes128Ccm8);
pub(crate) const AES_256_CCM_8: AesCcm = AesCcm(AeadAlgorithm::Aes256Ccm8);

impl Aead for AesCcm {
    fn algorithm(&self) -> AeadAlgorithm {
        self.0
    }

    fn new_key(&self, key: &[u8]) -> Result<Box<dyn AeadKey>, CryptoError> {
        if key.len() != self.0.key_len() {
            return Err(CryptoError::InvalidKey);
        }
        // SAFETY: both functions return pointers to static method tables
        // and take no arguments.
        let cipher = unsafe {
            match self.0.key_len() {
                16 => EVP_aes_128_ccm(),
                _ => EVP_aes_256_ccm(),
            }
        };
        let tag_len = self.0.tag_len();
        Ok(Box::new(AesCcmKey {
            tag_len,
            seal: Mutex::new(CipherCtx::new(cipher, key, tag_len, true)?),
            open: Mutex::new(CipherCtx::new(cipher, key, tag_len, false)?),
        }))
    }
}

/// A keyed CCM context for one direction.
struct CipherCtx(NonNull<EVP_CIPHER_CTX>);

// SAFETY: an `EVP_CIPHER_CTX` holds no thread-local state and may be used
// from any thread as long as one thread at a time does; `AesCcmKey` keeps
// each one behind a `Mutex`.
unsafe impl Send for CipherCtx {}

/// 1 is success for every EVP call used here.
fn check(rc: i32) -> Result<(), CryptoError> {
    if rc == 1 {
        Ok(())
    } else {
        Err(CryptoError::Other)
    }
}

impl CipherCtx {
    /// A context for `cipher` in the given direction, with a 12-byte nonce,
    /// `tag_len`-byte tags and `key` scheduled.
    fn new(
        cipher: *const EVP_CIPHER,
        key: &[u8],
        tag_len: usize,
        encrypt: bool,
    ) -> Result<Self, CryptoError> {
        // SAFETY: no arguments; the result is checked for NULL.
        let ctx = NonNull::new(unsafe { EVP_CIPHER_CTX_new() }).ok_or(CryptoError::Other)?;
        // From here on `Drop` frees the context, on errors too.
        let this = Self(ctx);
        let ctx = this.0.as_ptr();
        let enc = i32::from(encrypt);
        // SAFETY: `ctx` is a live context owned by `this`; `cipher` is one
        // of AWS-LC's static CCM tables. The key and IV pointers are NULL
        // (set later), which EVP_CipherInit_ex allows.
        check(unsafe {
            EVP_CipherInit_ex(ctx, cipher, ptr::null_mut(), ptr::null(), ptr::null(), enc)
        })?;
        // SAFETY: as above. SET_IVLEN takes the length in `arg` and no
        // pointer; SET_TAG with a NULL pointer only sets the tag length.
        unsafe {
            check(EVP_CIPHER_CTX_ctrl(
                ctx,
                EVP_CTRL_AEAD_SET_IVLEN,
                NONCE_LEN as i32,
                ptr::null_mut(),
            ))?;
            check(EVP_CIPHER_CTX_ctrl(
                ctx,
                EVP_CTRL_AEAD_SET_TAG,
                tag_len as i32,
                ptr::null_mut(),
            ))?;
        }
        // SAFETY: `key` is readable for the cipher's key length (checked by
        // the caller: 16 or 32 bytes, matching `cipher`); the IV is set per
        // record. AWS-LC copies what it needs into the context.
        check(unsafe {
            EVP_CipherInit_ex(
                ctx,
                ptr::null(),
                ptr::null_mut(),
                key.as_ptr(),
                ptr::null(),
                enc,
            )
        })?;
        Ok(this)
    }

    /// Starts a record: the nonce, the message length and the AAD.
    fn start(&mut self, nonce: &[u8; 12], aad: &[u8], len: usize) -> Result<(), CryptoError> {
        let len = i32::try_from(len).map_err(|_| CryptoError::Other)?;
        let aad_len = i32::try_from(aad.len()).map_err(|_| CryptoError::Other)?;
        let ctx = self.0.as_ptr();
        let mut out_len = 0i32;
        // SAFETY: `ctx` is live and exclusively ours (`&mut self`). Passing
        // only the IV (`enc` -1 keeps the direction) keeps the key schedule
        // and resets the per-message state, including a failed previous
        // record. With NULL input and output, EVP_CipherUpdate records the
        // message length; with NULL output it absorbs `aad` (readable for
        // `aad_len` bytes; never NULL, even when empty). The AAD call is
        // made even for empty AAD because it is what starts the CBC-MAC.
        unsafe {
            check(EVP_CipherInit_ex(
                ctx,
                ptr::null(),
                ptr::null_mut(),
                ptr::null(),
                nonce.as_ptr(),
                -1,
            ))?;
            check(EVP_CipherUpdate(
                ctx,
                ptr::null_mut(),
                &mut out_len,
                ptr::null(),
                len,
            ))?;
            check(EVP_CipherUpdate(
                ctx,
                ptr::null_mut(),
                &mut out_len,
                aad.as_ptr(),
                aad_len,
            ))?;
        }
        Ok(())
    }

    /// Encrypts or decrypts `in_out` in place (after [`Self::start`]).
    fn update_in_place(&mut self, in_out: &mut [u8]) -> Result<(), CryptoError> {
        let len = i32::try_from(in_out.len()).map_err(|_| CryptoError::Other)?;
        let mut out_len = 0i32;
        let ptr = in_out.as_mut_ptr();
        // SAFETY: `ptr` is valid for reads and writes of `len` bytes and never
        // NULL (a NULL input would mean "finish" to the CCM code). CCM's
        // counter-mode pass reads each block before writing it, so input and
        // output may be the same buffer.
        check(unsafe { EVP_CipherUpdate(self.0.as_ptr(), ptr, &mut out_len, ptr, len) })?;
        if out_len != len {
            return Err(CryptoError::Other);
        }
        Ok(())
    }

    /// `EVP_CIPHER_CTX_ctrl` with a tag buffer.
    fn tag_ctrl(&mut self, command: i32, tag: &mut [u8]) -> Result<(), CryptoError> {
        // SAFETY: `tag` is valid for reads and writes of `tag.len()` bytes;
        // GET_TAG writes exactly that many (after checking it equals the
        // configured tag length), SET_TAG reads that many.
        check(unsafe {
            EVP_CIPHER_CTX_ctrl(
                self.0.as_ptr(),
                command,
                tag.len() as i32,
                tag.as_mut_ptr().cast::<c_void>(),
            )
        })
    }
}

impl Drop for CipherCtx {
    fn drop(&mut self) {
        // SAFETY: the context came from EVP_CIPHER_CTX_new and is freed once.
        // AWS-LC's free wipes the key schedule with the allocation.
        unsafe { EVP_CIPHER_CTX_free(self.0.as_ptr()) }
    }
}

struct AesCcmKey {
    tag_len: usize,
    seal: Mutex<CipherCtx>,
    open: Mutex<CipherCtx>,
}

/// Every call re-initialises the context, so one left by a panicking
/// thread is still usable.
fn lock(ctx: &Mutex<CipherCtx>) -> MutexGuard<'_, CipherCtx> {
    ctx.lock().unwrap_or_else(|e| e.into_inner())
}

impl AeadKey for AesCcmKey {
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
        ctx.start(nonce, aad, in_out.len())?;
        ctx.update_in_place(in_out)?;
        ctx.tag_ctrl(EVP_CTRL_AEAD_GET_TAG, tag)
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
        let mut expected = [0u8; 16];
        let expected = &mut expected[..tag.len()];
        expected.copy_from_slice(tag);
        let mut ctx = lock(&self.open);
        ctx.start(nonce, aad, in_out.len())?;
        // The tag must be known before decrypting: AWS-LC compares it at
        // the end of the same call.
        ctx.tag_ctrl(EVP_CTRL_AEAD_SET_TAG, expected)?;
        ctx.update_in_place(in_out).inspect_err(|_| {
            // AWS-LC has already wiped it on a tag mismatch; make sure.
            in_out.zeroize();
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    fn seal(alg: &AesCcm, key: &[u8], nonce: &[u8; 12], aad: &[u8], pt: &[u8]) -> Vec<u8> {
        let key = alg.new_key(key).unwrap();
        let mut buf = pt.to_vec();
        let mut tag = vec![0u8; alg.0.tag_len()];
        key.seal_in_place(nonce, aad, &mut buf, &mut tag).unwrap();
        buf.extend_from_slice(&tag);
        buf
    }

    /// NIST SP 800-38C appendix C.3 (example 3): AES-128, 12-byte nonce,
    /// 8-byte tag.
    #[test]
    fn sp800_38c_example_3() {
        let key = hex!("404142434445464748494a4b4c4d4e4f");
        let nonce = hex!("101112131415161718191a1b");
        let aad = hex!("000102030405060708090a0b0c0d0e0f10111213");
        let pt = hex!("202122232425262728292a2b2c2d2e2f3031323334353637");
        let want = hex!("e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951");
        assert_eq!(seal(&AES_128_CCM_8, &key, &nonce, &aad, &pt), want);
        let k = AES_128_CCM_8.new_key(&key).unwrap();
        let mut buf = want[..24].to_vec();
        k.open_in_place(&nonce, &aad, &mut buf, &want[24..])
            .unwrap();
        assert_eq!(buf, pt);
    }

    /// Wycheproof `aes_ccm_test.json`, tcId 12 (AES-128, 16-byte tag) and
    /// tcId 168 (AES-256, 16-byte tag), both with 12-byte nonces.
    /// Algorithm, key, nonce, AAD, plaintext, ciphertext || tag.
    type Case<'a> = (&'a AesCcm, &'a [u8], [u8; 12], &'a [u8], &'a [u8], &'a [u8]);

    #[test]
    fn wycheproof_16_byte_tags() {
        let cases: [Case; 2] = [
            (
                &AES_128_CCM,
                &hex!("9415f925bcb41dc25e86c826dbc8bf68"),
                hex!("bdffaa763b916ff0ee3f3ce4"),
                &hex!("705d676cd8a94451"),
                &hex!("feb36167eafc02c8e2bd6e13817686ba"),
                &hex!("08db327a88be7b48f430fd7bfccdf502b7c249f810adacf99abded1f3b9130f2"),
            ),
            (
                &AES_256_CCM,
                &hex!("b907a45075513fe8a8019edee3f2591487b2a030b03c6e1d771c862571d2ea1e"),
                hex!("118a6964c2d3e380071f5266"),
                &hex!("034585621af8d7ff"),
                &hex!("55a465644f5b650928cbee7c063214d6"),
                &hex!("ab01f92db4f210bdb5edaf0a1bd19eba621630c505d24e3b29294977d8ffa4b4"),
            ),
        ];
        for (alg, key, nonce, aad, pt, want) in cases {
            assert_eq!(seal(alg, key, &nonce, aad, pt), want, "{:?}", alg.0);
        }
    }

    /// A forged record fails, leaves no plaintext, and the key still opens
    /// genuine records afterwards; empty plaintext and AAD work.
    #[test]
    fn forgeries_refused_and_key_recovers() {
        for alg in [AES_128_CCM, AES_256_CCM, AES_128_CCM_8, AES_256_CCM_8] {
            let key_bytes = vec![0x24u8; alg.0.key_len()];
            let key = alg.new_key(&key_bytes).unwrap();
            let nonce = [9u8; 12];
            let pt: Vec<u8> = (0..100u8).collect();
            let sealed = seal(&alg, &key_bytes, &nonce, b"hdr", &pt);
            let (ct, tag) = sealed.split_at(pt.len());
            let mut bad_tag = tag.to_vec();
            bad_tag[0] ^= 1;
            let mut buf = ct.to_vec();
            assert!(key
                .open_in_place(&nonce, b"hdr", &mut buf, &bad_tag)
                .is_err());
            assert!(buf.iter().all(|&b| b == 0), "{:?} left plaintext", alg.0);
            let mut buf = ct.to_vec();
            assert!(key.open_in_place(&nonce, b"hdR", &mut buf, tag).is_err());
            // A tag of the other length is refused before anything runs.
            let other = if alg.0.tag_len() == 8 { 16 } else { 8 };
            let mut buf = ct.to_vec();
            assert!(key
                .open_in_place(&nonce, b"hdr", &mut buf, &sealed[..other])
                .is_err());
            assert_eq!(buf, ct);
            assert!(key
                .seal_in_place(&nonce, b"", &mut buf, &mut vec![0u8; other])
                .is_err());
            // Still works.
            let mut buf = ct.to_vec();
            key.open_in_place(&nonce, b"hdr", &mut buf, tag).unwrap();
            assert_eq!(buf, pt);
            // Empty plaintext and AAD.
            let mut empty = [0u8; 0];
            let mut tag = vec![0u8; alg.0.tag_len()];
            key.seal_in_place(&nonce, b"", &mut empty, &mut tag)
                .unwrap();
            key.open_in_place(&nonce, b"", &mut empty, &tag).unwrap();
            tag[3] ^= 0x80;
            assert!(key.open_in_place(&nonce, b"", &mut empty, &tag).is_err());
            for len in [0, 16, 24, 32, 33] {
                if len != alg.0.key_len() {
                    assert_eq!(
                        alg.new_key(&vec![1u8; len]).err(),
                        Some(CryptoError::InvalidKey)
                    );
                }
            }
        }
    }
}
