//! AES-GCM, ChaCha20-Poly1305 and AES-CCM (16- and 8-byte tags) record
//! protection.
//!
//! Both directions work in place through `AeadInPlace`'s detached calls, so
//! sealing or opening a record allocates nothing.

use alloc::boxed::Box;
use core::marker::PhantomData;

use aead::consts::{U12, U16, U8};
use aead::generic_array::typenum::Unsigned;
use aead::{AeadCore, AeadInPlace, KeyInit, Nonce, Tag};
use embertls::crypto::{Aead, AeadAlgorithm, AeadKey};
use embertls::error::CryptoError;

/// AES-CCM with TLS's 12-byte nonce (RFC 6655) and a tag of `T` bytes.
pub(crate) type AesCcm<A, T> = ccm::Ccm<A, T, U12>;

/// An AEAD algorithm backed by the RustCrypto cipher `C`.
pub(crate) struct RcAead<C> {
    algorithm: AeadAlgorithm,
    cipher: PhantomData<fn() -> C>,
}

impl<C> RcAead<C> {
    pub(crate) const fn new(algorithm: AeadAlgorithm) -> Self {
        Self {
            algorithm,
            cipher: PhantomData,
        }
    }
}

pub(crate) const AES_128_GCM: RcAead<aes_gcm::Aes128Gcm> = RcAead::new(AeadAlgorithm::Aes128Gcm);
pub(crate) const AES_256_GCM: RcAead<aes_gcm::Aes256Gcm> = RcAead::new(AeadAlgorithm::Aes256Gcm);
pub(crate) const CHACHA20_POLY1305: RcAead<chacha20poly1305::ChaCha20Poly1305> =
    RcAead::new(AeadAlgorithm::ChaCha20Poly1305);
pub(crate) const AES_128_CCM: RcAead<AesCcm<aes::Aes128, U16>> =
    RcAead::new(AeadAlgorithm::Aes128Ccm);
pub(crate) const AES_256_CCM: RcAead<AesCcm<aes::Aes256, U16>> =
    RcAead::new(AeadAlgorithm::Aes256Ccm);
pub(crate) const AES_128_CCM_8: RcAead<AesCcm<aes::Aes128, U8>> =
    RcAead::new(AeadAlgorithm::Aes128Ccm8);
pub(crate) const AES_256_CCM_8: RcAead<AesCcm<aes::Aes256, U8>> =
    RcAead::new(AeadAlgorithm::Aes256Ccm8);

impl<C> Aead for RcAead<C>
where
    C: AeadInPlace + AeadCore<NonceSize = U12> + KeyInit + Send + Sync + 'static,
{
    fn algorithm(&self) -> AeadAlgorithm {
        self.algorithm
    }

    fn new_key(&self, key: &[u8]) -> Result<Box<dyn AeadKey>, CryptoError> {
        if key.len() != self.algorithm.key_len() {
            return Err(CryptoError::InvalidKey);
        }
        debug_assert_eq!(C::TagSize::USIZE, self.algorithm.tag_len());
        let cipher = C::new_from_slice(key).map_err(|_| CryptoError::InvalidKey)?;
        Ok(Box::new(RcAeadKey(cipher)))
    }
}

/// A keyed cipher. The RustCrypto ciphers wipe their key schedules on drop.
struct RcAeadKey<C>(C);

impl<C> AeadKey for RcAeadKey<C>
where
    C: AeadInPlace + AeadCore<NonceSize = U12> + Send + Sync,
{
    fn seal_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), CryptoError> {
        if tag.len() != C::TagSize::USIZE {
            return Err(CryptoError::Other);
        }
        // Fails only past the cipher's plaintext limit (~64 GiB for GCM).
        let computed = self
            .0
            .encrypt_in_place_detached(Nonce::<C>::from_slice(nonce), aad, in_out)
            .map_err(|_| CryptoError::Other)?;
        tag.copy_from_slice(&computed);
        Ok(())
    }

    fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), CryptoError> {
        if tag.len() != C::TagSize::USIZE {
            return Err(CryptoError::Other);
        }
        // GCM and ChaCha20-Poly1305 check the tag before decrypting, so on
        // failure `in_out` still holds ciphertext; CCM authenticates the
        // plaintext, so it decrypts first and zeroes `in_out` on failure.
        // Either way no unauthenticated plaintext is released.
        self.0
            .decrypt_in_place_detached(
                Nonce::<C>::from_slice(nonce),
                aad,
                in_out,
                Tag::<C>::from_slice(tag),
            )
            .map_err(|_| CryptoError::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use hex_literal::hex;

    fn seal(aead: &dyn Aead, key: &[u8], nonce: &[u8; 12], aad: &[u8], pt: &[u8]) -> Vec<u8> {
        let key = aead.new_key(key).unwrap();
        let mut buf = pt.to_vec();
        let mut tag = [0u8; 16];
        key.seal_in_place(nonce, aad, &mut buf, &mut tag).unwrap();
        buf.extend_from_slice(&tag);
        buf
    }

    fn open(
        aead: &dyn Aead,
        key: &[u8],
        nonce: &[u8; 12],
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let key = aead.new_key(key).unwrap();
        let (ct, tag) = sealed.split_at(sealed.len() - 16);
        let mut buf = ct.to_vec();
        key.open_in_place(nonce, aad, &mut buf, tag)?;
        Ok(buf)
    }

    use alloc::vec::Vec;

    /// McGrew-Viega GCM spec test case 4 (AES-128, with AAD, 60-byte text).
    #[test]
    fn aes128gcm_mcgrew_viega_case_4() {
        let key = hex!("feffe9928665731c6d6a8f9467308308");
        let nonce = hex!("cafebabefacedbaddecaf888");
        let pt = hex!(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
        );
        let aad = hex!("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let expected = hex!(
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
            "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
            "5bc94fbc3221a5db94fae95ae7121a47"
        );
        let sealed = seal(&AES_128_GCM, &key, &nonce, &aad, &pt);
        assert_eq!(sealed, expected);
        assert_eq!(open(&AES_128_GCM, &key, &nonce, &aad, &sealed).unwrap(), pt);
    }

    /// McGrew-Viega GCM spec test case 16 (AES-256, with AAD).
    #[test]
    fn aes256gcm_mcgrew_viega_case_16() {
        let key = hex!("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        let nonce = hex!("cafebabefacedbaddecaf888");
        let pt = hex!(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
        );
        let aad = hex!("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let expected = hex!(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
            "76fc6ece0f4e1768cddf8853bb2d551b"
        );
        let sealed = seal(&AES_256_GCM, &key, &nonce, &aad, &pt);
        assert_eq!(sealed, expected);
        assert_eq!(open(&AES_256_GCM, &key, &nonce, &aad, &sealed).unwrap(), pt);
    }

    /// RFC 8439 section 2.8.2.
    #[test]
    fn chacha20poly1305_rfc8439_2_8_2() {
        let key = hex!("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        let nonce = hex!("070000004041424344454647");
        let aad = hex!("50515253c0c1c2c3c4c5c6c7");
        let pt = b"Ladies and Gentlemen of the class of '99: If I could offer you \
only one tip for the future, sunscreen would be it.";
        let expected = hex!(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
            "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
            "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
            "3ff4def08e4b7a9de576d26586cec64b6116"
            "1ae10b594f09e26a7e902ecbd0600691"
        );
        let sealed = seal(&CHACHA20_POLY1305, &key, &nonce, &aad, pt);
        assert_eq!(sealed, expected);
        assert_eq!(
            open(&CHACHA20_POLY1305, &key, &nonce, &aad, &sealed).unwrap(),
            pt
        );
    }

    #[test]
    fn wrong_tag_aad_or_ciphertext_fails() {
        let aeads: [(&dyn Aead, usize); 3] = [
            (&AES_128_GCM, 16),
            (&AES_256_GCM, 32),
            (&CHACHA20_POLY1305, 32),
        ];
        for (aead, key_len) in aeads {
            let key = vec![7u8; key_len];
            let nonce = [1u8; 12];
            let sealed = seal(aead, &key, &nonce, b"hdr", b"application data");
            for i in [0, sealed.len() - 1] {
                let mut bad = sealed.clone();
                bad[i] ^= 1;
                let key2 = aead.new_key(&key).unwrap();
                let (ct, tag) = bad.split_at(bad.len() - 16);
                let mut buf = ct.to_vec();
                assert_eq!(
                    key2.open_in_place(&nonce, b"hdr", &mut buf, tag),
                    Err(CryptoError::Other)
                );
                // No plaintext was released.
                assert_eq!(buf, ct);
            }
            assert!(open(aead, &key, &nonce, b"hdX", &sealed).is_err());
            assert!(open(aead, &key, &[2u8; 12], b"hdr", &sealed).is_err());
        }
    }

    /// NIST SP 800-38C appendix C, example 3: AES-128, 12-byte nonce,
    /// 8-byte tag (CCM-8 as TLS uses it).
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
        key.open_in_place(&nonce, &aad, &mut buf, &tag).unwrap();
        assert_eq!(buf, pt);
        // A 16-byte tag buffer is the wrong size for CCM-8.
        assert!(key
            .seal_in_place(&nonce, &aad, &mut buf, &mut [0u8; 16])
            .is_err());
    }

    /// CCM decrypts before it can check the tag: a forgery leaves zeros,
    /// never plaintext.
    #[test]
    fn ccm_forgeries_fail_and_release_nothing() {
        let aeads: [&dyn Aead; 4] = [&AES_128_CCM, &AES_256_CCM, &AES_128_CCM_8, &AES_256_CCM_8];
        for aead in aeads {
            let alg = aead.algorithm();
            let key = aead.new_key(&vec![9u8; alg.key_len()]).unwrap();
            let nonce = [3u8; 12];
            let pt = b"application data, two blocks long".to_vec();
            let mut ct = pt.clone();
            let mut tag = vec![0u8; alg.tag_len()];
            key.seal_in_place(&nonce, b"hdr", &mut ct, &mut tag)
                .unwrap();
            assert_ne!(ct, pt);
            for (flip_ct, flip_tag) in [(true, false), (false, true)] {
                let mut buf = ct.clone();
                let mut bad_tag = tag.clone();
                if flip_ct {
                    buf[5] ^= 1;
                }
                if flip_tag {
                    bad_tag[alg.tag_len() - 1] ^= 0x80;
                }
                assert_eq!(
                    key.open_in_place(&nonce, b"hdr", &mut buf, &bad_tag),
                    Err(CryptoError::Other),
                    "{alg:?}"
                );
                assert!(buf.iter().all(|&b| b == 0), "{alg:?}");
            }
            let mut buf = ct.clone();
            key.open_in_place(&nonce, b"hdr", &mut buf, &tag).unwrap();
            assert_eq!(buf, pt);
        }
    }

    #[test]
    fn wrong_key_length_is_invalid_key() {
        assert_eq!(
            AES_128_GCM.new_key(&[0u8; 32]).err(),
            Some(CryptoError::InvalidKey)
        );
        assert_eq!(
            AES_256_GCM.new_key(&[0u8; 16]).err(),
            Some(CryptoError::InvalidKey)
        );
        assert_eq!(
            CHACHA20_POLY1305.new_key(&[0u8; 31]).err(),
            Some(CryptoError::InvalidKey)
        );
    }

    #[test]
    fn wrong_tag_buffer_length_fails() {
        let key = AES_128_GCM.new_key(&[0u8; 16]).unwrap();
        let mut buf = [0u8; 4];
        let mut short = [0u8; 8];
        assert!(key
            .seal_in_place(&[0u8; 12], &[], &mut buf, &mut short)
            .is_err());
        assert!(key
            .open_in_place(&[0u8; 12], &[], &mut buf, &short)
            .is_err());
    }
}
