//! AES-GCM and ChaCha20-Poly1305 record protection.
//!
//! `LessSafeKey` takes the nonce per call (the record layer builds it from
//! the sequence number), and its `*_separate_tag` calls work in place on
//! the caller's buffer: sealing or opening a record allocates nothing.
//! AWS-LC picks the fastest AES-GCM code the CPU allows (AES-NI + PCLMUL,
//! AVX2/VAES, AVX-512) at run time.

use aws_lc_rs::aead::{self as lc, Aad, LessSafeKey, Nonce, UnboundKey};
use embertls::crypto::{Aead, AeadAlgorithm, AeadKey};
use embertls::error::CryptoError;

/// Tag length of every AEAD here.
const TAG_LEN: usize = 16;

/// An AEAD algorithm backed by an aws-lc-rs algorithm.
pub(crate) struct AwsLcAead {
    algorithm: AeadAlgorithm,
    lc: &'static lc::Algorithm,
}

pub(crate) const AES_128_GCM: AwsLcAead = AwsLcAead {
    algorithm: AeadAlgorithm::Aes128Gcm,
    lc: &lc::AES_128_GCM,
};
pub(crate) const AES_256_GCM: AwsLcAead = AwsLcAead {
    algorithm: AeadAlgorithm::Aes256Gcm,
    lc: &lc::AES_256_GCM,
};
pub(crate) const CHACHA20_POLY1305: AwsLcAead = AwsLcAead {
    algorithm: AeadAlgorithm::ChaCha20Poly1305,
    lc: &lc::CHACHA20_POLY1305,
};

impl Aead for AwsLcAead {
    fn algorithm(&self) -> AeadAlgorithm {
        self.algorithm
    }

    fn new_key(&self, key: &[u8]) -> Result<Box<dyn AeadKey>, CryptoError> {
        if key.len() != self.algorithm.key_len() {
            return Err(CryptoError::InvalidKey);
        }
        let key = UnboundKey::new(self.lc, key).map_err(|_| CryptoError::InvalidKey)?;
        Ok(Box::new(AwsLcAeadKey(LessSafeKey::new(key))))
    }
}

/// A keyed cipher. AWS-LC wipes the key schedule when the context is freed.
struct AwsLcAeadKey(LessSafeKey);

impl AeadKey for AwsLcAeadKey {
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
        // Fails only past the cipher's per-nonce limit (~64 GiB for GCM).
        let computed = self
            .0
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(aad),
                in_out,
            )
            .map_err(|_| CryptoError::Other)?;
        tag.copy_from_slice(computed.as_ref());
        Ok(())
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
        let opened = self.0.open_in_place_separate_tag(
            Nonce::assume_unique_for_key(*nonce),
            Aad::from(aad),
            tag,
            in_out,
        );
        if opened.is_err() {
            // AWS-LC decrypts before it checks the tag and wipes the output
            // on failure; wipe again so the contract does not rest on that.
            in_out.fill(0);
            return Err(CryptoError::Other);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    /// McGrew-Viega test case 1: empty plaintext, no AAD (the tag alone).
    #[test]
    fn aes128gcm_empty_plaintext() {
        let sealed = seal(&AES_128_GCM, &[0u8; 16], &[0u8; 12], &[], &[]);
        assert_eq!(sealed, hex!("58e2fccefa7e3061367f1d57a4e7455a"));
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

    /// A full-size record (16 KiB + content type) round-trips, which runs the
    /// wide (AVX2/AVX-512) GCM and ChaCha paths where the CPU has them.
    #[test]
    fn full_record_round_trip() {
        let pt: Vec<u8> = (0..16385u32).map(|i| (i * 7) as u8).collect();
        for (aead, key_len) in [
            (&AES_128_GCM, 16),
            (&AES_256_GCM, 32),
            (&CHACHA20_POLY1305, 32),
        ] {
            let key = vec![9u8; key_len];
            let sealed = seal(aead, &key, &[3u8; 12], b"hdr", &pt);
            assert_eq!(sealed.len(), pt.len() + 16);
            assert_ne!(&sealed[..pt.len()], &pt[..]);
            assert_eq!(open(aead, &key, &[3u8; 12], b"hdr", &sealed).unwrap(), pt);
        }
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
            let plaintext = b"application data";
            let sealed = seal(aead, &key, &nonce, b"hdr", plaintext);
            for i in [0, sealed.len() - 17, sealed.len() - 1] {
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
                assert_eq!(buf, vec![0u8; ct.len()]);
            }
            assert!(open(aead, &key, &nonce, b"hdX", &sealed).is_err());
            assert!(open(aead, &key, &[2u8; 12], b"hdr", &sealed).is_err());
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
