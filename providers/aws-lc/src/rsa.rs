//! RSA PKCS#1 v1.5 encryption for TLS 1.2 RSA key transport: the client's
//! [`RsaKeyTransport`] and the server key's decryption.
//!
//! Both are aws-lc-rs's safe PKCS#1 v1.5 types
//! (`rsa::Pkcs1PublicEncryptingKey`, `rsa::Pkcs1PrivateDecryptingKey`, over
//! AWS-LC's `EVP_PKEY_encrypt`/`EVP_PKEY_decrypt` with
//! `RSA_PKCS1_PADDING`). aws-lc-rs takes public keys as
//! SubjectPublicKeyInfo and private keys as PKCS#8, so the DER RSAPublicKey
//! and PKCS#1 RSAPrivateKey forms are wrapped first (`der::rsa_spki`,
//! `der::rsa_pkcs8`).
//!
//! The padding's random bytes come from AWS-LC's own generator, not from the
//! `SecureRandom` passed in (aws-lc-rs offers no way to supply them), so
//! ciphertexts are not reproducible from a scripted source.

use aws_lc_rs::rsa::{
    Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use embertls::crypto::{RsaKeyTransport, SecureRandom};
use embertls::error::CryptoError;
use zeroize::Zeroizing;

use crate::der;
use crate::verify::{rsa_modulus_bits, RSA_MAX_BITS, RSA_MIN_BITS};

/// PKCS#1 v1.5 encryption to a server's RSA key (2048 to 8192 bits).
#[derive(Debug, Default, Clone, Copy)]
pub struct AwsLcRsaKeyTransport;

impl RsaKeyTransport for AwsLcRsaKeyTransport {
    /// A key that is not exactly one DER RSAPublicKey, or whose modulus is
    /// outside 2048..=8192 bits, is `InvalidKey`; a plaintext longer than
    /// the modulus length minus 11 is `Other`.
    fn encrypt_pkcs1(
        &self,
        public_key: &[u8],
        plaintext: &[u8],
        _rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, CryptoError> {
        let bits = rsa_modulus_bits(public_key).ok_or(CryptoError::InvalidKey)?;
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(CryptoError::InvalidKey);
        }
        let key = PublicEncryptingKey::from_der(&der::rsa_spki(public_key))
            .map_err(|_| CryptoError::InvalidKey)?;
        let key = Pkcs1PublicEncryptingKey::new(key).map_err(|_| CryptoError::InvalidKey)?;
        if plaintext.len() > key.max_plaintext_size() {
            return Err(CryptoError::Other);
        }
        let mut out = vec![0u8; key.ciphertext_size()];
        let len = key
            .encrypt(plaintext, &mut out)
            .map_err(|_| CryptoError::Other)?
            .len();
        // Always the modulus length; anything else would be a library bug.
        if len != out.len() {
            return Err(CryptoError::Other);
        }
        Ok(out)
    }
}

/// The decrypting half of an RSA private key.
pub(crate) struct RsaDecryptor(Pkcs1PrivateDecryptingKey);

impl RsaDecryptor {
    /// From a PKCS#8 PrivateKeyInfo (2048 to 8192 bits).
    pub(crate) fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, CryptoError> {
        let key = PrivateDecryptingKey::from_pkcs8(pkcs8).map_err(|_| CryptoError::InvalidKey)?;
        Pkcs1PrivateDecryptingKey::new(key)
            .map(Self)
            .map_err(|_| CryptoError::InvalidKey)
    }

    /// From a PKCS#1 RSAPrivateKey.
    pub(crate) fn from_pkcs1(pkcs1: &[u8]) -> Result<Self, CryptoError> {
        Self::from_pkcs8(&der::rsa_pkcs8(pkcs1))
    }

    /// PKCS#1 v1.5 decryption. The ciphertext must be exactly as long as
    /// the modulus (RFC 8017 7.2.2; AWS-LC checks it too). Every failure is
    /// `Other`: the engine treats all of them, and wrong-length results,
    /// alike (RFC 5246 7.4.7.1), and AWS-LC checks the padding without
    /// branching on its contents.
    pub(crate) fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if ciphertext.len() != self.0.key_size_bytes() {
            return Err(CryptoError::Other);
        }
        let mut out = Zeroizing::new(vec![0u8; self.0.min_output_size()]);
        let plaintext = self
            .0
            .decrypt(ciphertext, &mut out)
            .map_err(|_| CryptoError::Other)?;
        Ok(plaintext.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::AwsLcKeyLoader;
    use crate::testutil::Counter;
    use embertls::crypto::{KeyLoader, Pausable};

    fn vector(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../conformance/testdata/vectors/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn round_trip_through_the_key_loader() {
        let public = vector("rsa2048.pub");
        let premaster: Vec<u8> = (0..48u8).map(|i| i.wrapping_mul(37) ^ 0x03).collect();
        let ct = AwsLcRsaKeyTransport
            .encrypt_pkcs1(&public, &premaster, &Counter::default())
            .unwrap();
        assert_eq!(ct.len(), 256);
        // Randomised padding.
        let again = AwsLcRsaKeyTransport
            .encrypt_pkcs1(&public, &premaster, &Counter::default())
            .unwrap();
        assert_ne!(ct, again);
        for file in ["rsa2048.pk8.der", "rsa2048.pkcs1.der"] {
            let key = AwsLcKeyLoader.load_private_key(&vector(file)).unwrap();
            assert_eq!(key.decrypt(&ct).unwrap(), premaster, "{file}");
            assert_eq!(key.decrypt(&again).unwrap(), premaster, "{file}");
            assert_eq!(
                key.start_decrypt(&ct),
                Pausable::Ready(Ok(premaster.clone()))
            );
        }
    }

    #[test]
    fn garbage_does_not_decrypt() {
        let key = AwsLcKeyLoader
            .load_private_key(&vector("rsa2048.pk8.der"))
            .unwrap();
        let public = vector("rsa2048.pub");
        let good = AwsLcRsaKeyTransport
            .encrypt_pkcs1(&public, &[7u8; 48], &Counter::default())
            .unwrap();
        let garbage: Vec<u8> = (0..256u32).map(|i| (i * 97 + 13) as u8 | 1).collect();
        let mut tampered = good.clone();
        tampered[100] ^= 0x40;
        for (what, ct) in [
            ("garbage", garbage),
            ("zeros", vec![0u8; 256]),
            ("above the modulus", vec![0xff; 256]),
            ("empty", vec![]),
            ("short", good[1..].to_vec()),
            ("long", [&[0u8][..], &good].concat()),
            ("tampered", tampered),
        ] {
            assert!(key.decrypt(&ct).is_err(), "{what} decrypted");
        }
        // Keys that are not RSA do not decrypt.
        let ec = AwsLcKeyLoader
            .load_private_key(&vector("p256.pk8.der"))
            .unwrap();
        assert_eq!(
            ec.decrypt(&good).err(),
            Some(CryptoError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn key_transport_refuses_bad_keys_and_long_messages() {
        let rng = Counter::default();
        let kt = AwsLcRsaKeyTransport;
        for (what, public) in [
            ("1024-bit", vector("rsa1024.pub")),
            ("junk", b"junk".to_vec()),
            ("EC point", vector("p256.pub")),
            ("trailing byte", [vector("rsa2048.pub"), vec![0]].concat()),
            ("SPKI", crate::testutil::data("rsa2048.spki.der")),
        ] {
            assert_eq!(
                kt.encrypt_pkcs1(&public, &[1u8; 48], &rng).err(),
                Some(CryptoError::InvalidKey),
                "{what}"
            );
        }
        let public = vector("rsa2048.pub");
        assert!(kt.encrypt_pkcs1(&public, &[1u8; 246], &rng).is_err());
        assert!(kt.encrypt_pkcs1(&public, &[1u8; 245], &rng).is_ok());
    }
}
