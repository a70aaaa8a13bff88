//! Signature verification with public keys from certificates.

use embertls::crypto::{HashOutput, SignatureAlgorithm, SignatureVerifier};
use embertls::error::CryptoError;
use embertls::msgs::enums::{HashAlgorithm, NamedGroup};
use pkcs1::der::Decode;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::hazmat::PrehashVerifier;

/// Smallest RSA modulus accepted, in bits (CA/Browser Forum minimum).
pub(crate) const RSA_MIN_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits; bounds the cost a peer can impose.
pub(crate) const RSA_MAX_BITS: usize = 8192;

/// Verifies ECDSA (P-256/P-384 with SHA-256/384/512), Ed25519, and RSA
/// PKCS#1 v1.5 and PSS (SHA-256/384/512) signatures.
#[derive(Debug, Default, Clone, Copy)]
pub struct RustCryptoVerifier;

impl SignatureVerifier for RustCryptoVerifier {
    fn supports(&self, alg: SignatureAlgorithm) -> bool {
        let sha2 = |h: HashAlgorithm| {
            matches!(
                h,
                HashAlgorithm::SHA256 | HashAlgorithm::SHA384 | HashAlgorithm::SHA512
            )
        };
        match alg {
            SignatureAlgorithm::Ecdsa { curve, hash } => {
                (curve == NamedGroup::secp256r1 || curve == NamedGroup::secp384r1) && sha2(hash)
            }
            SignatureAlgorithm::Ed25519 => true,
            SignatureAlgorithm::RsaPkcs1 { hash } | SignatureAlgorithm::RsaPss { hash } => {
                sha2(hash)
            }
        }
    }

    fn verify(
        &self,
        alg: SignatureAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        if !self.supports(alg) {
            return Err(CryptoError::UnsupportedAlgorithm);
        }
        match alg {
            SignatureAlgorithm::Ecdsa { curve, hash } => {
                let digest = digest(hash, message)?;
                if curve == NamedGroup::secp256r1 {
                    verify_p256(public_key, digest.as_ref(), signature)
                } else {
                    verify_p384(public_key, digest.as_ref(), signature)
                }
            }
            SignatureAlgorithm::Ed25519 => verify_ed25519(public_key, message, signature),
            SignatureAlgorithm::RsaPkcs1 { hash } => {
                let key = rsa_public_key(public_key)?;
                let digest = digest(hash, message)?;
                let scheme = match hash {
                    HashAlgorithm::SHA256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                    HashAlgorithm::SHA384 => rsa::Pkcs1v15Sign::new::<Sha384>(),
                    _ => rsa::Pkcs1v15Sign::new::<Sha512>(),
                };
                key.verify(scheme, digest.as_ref(), signature)
                    .map_err(|_| CryptoError::Other)
            }
            SignatureAlgorithm::RsaPss { hash } => {
                let key = rsa_public_key(public_key)?;
                let digest = digest(hash, message)?;
                // Salt length = hash length, MGF1 with the same hash; the
                // verifier insists on exactly that salt length.
                let scheme = match hash {
                    HashAlgorithm::SHA256 => rsa::Pss::new::<Sha256>(),
                    HashAlgorithm::SHA384 => rsa::Pss::new::<Sha384>(),
                    _ => rsa::Pss::new::<Sha512>(),
                };
                key.verify(scheme, digest.as_ref(), signature)
                    .map_err(|_| CryptoError::Other)
            }
        }
    }
}

/// `message` hashed with `hash`.
pub(crate) fn digest(hash: HashAlgorithm, message: &[u8]) -> Result<HashOutput, CryptoError> {
    Ok(match hash {
        HashAlgorithm::SHA256 => HashOutput::new(&Sha256::digest(message)),
        HashAlgorithm::SHA384 => HashOutput::new(&Sha384::digest(message)),
        HashAlgorithm::SHA512 => HashOutput::new(&Sha512::digest(message)),
        _ => return Err(CryptoError::UnsupportedAlgorithm),
    })
}

// ECDSA verifies a prehash so that any curve can pair with any hash, as
// certificates may (a P-256 key signing with SHA-384); the digest is
// truncated or padded to the curve size as FIPS 186 specifies.

fn verify_p256(public_key: &[u8], digest: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key)
        .map_err(|_| CryptoError::InvalidKey)?;
    // Strict DER; r and s must lie in [1, n-1].
    let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| CryptoError::Other)?;
    key.verify_prehash(digest, &sig)
        .map_err(|_| CryptoError::Other)
}

fn verify_p384(public_key: &[u8], digest: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(public_key)
        .map_err(|_| CryptoError::InvalidKey)?;
    let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| CryptoError::Other)?;
    key.verify_prehash(digest, &sig)
        .map_err(|_| CryptoError::Other)
}

fn verify_ed25519(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
    let key: &[u8; 32] = public_key.try_into().map_err(|_| CryptoError::InvalidKey)?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(key).map_err(|_| CryptoError::InvalidKey)?;
    let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| CryptoError::Other)?;
    // Strict: also refuses small-order keys and non-canonical R, which no
    // honest signer produces, closing off malleability tricks.
    key.verify_strict(message, &sig)
        .map_err(|_| CryptoError::Other)
}

/// Parses a DER RSAPublicKey (PKCS#1), enforcing the size bounds.
pub(crate) fn rsa_public_key(der: &[u8]) -> Result<rsa::RsaPublicKey, CryptoError> {
    let parsed = pkcs1::RsaPublicKey::from_der(der).map_err(|_| CryptoError::InvalidKey)?;
    let n = rsa::BigUint::from_bytes_be(parsed.modulus.as_bytes());
    let e = rsa::BigUint::from_bytes_be(parsed.public_exponent.as_bytes());
    // `new_with_max_size` also checks the exponent is odd and in [3, 2^33).
    let key = rsa::RsaPublicKey::new_with_max_size(n, e, RSA_MAX_BITS)
        .map_err(|_| CryptoError::InvalidKey)?;
    if key.n().bits() < RSA_MIN_BITS {
        return Err(CryptoError::InvalidKey);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{data, spki_bits};
    use embertls::msgs::enums::SignatureScheme;
    use hex_literal::hex;

    const MSG: &[u8] = include_bytes!("../tests/data/msg.bin");

    fn ecdsa(curve: NamedGroup, hash: HashAlgorithm) -> SignatureAlgorithm {
        SignatureAlgorithm::Ecdsa { curve, hash }
    }

    /// Signatures made by the openssl command line verify.
    #[test]
    fn openssl_signatures_verify() {
        let v = RustCryptoVerifier;
        let cases: &[(&str, &str, SignatureAlgorithm)] = &[
            (
                "p256",
                "p256-sha256.sig",
                ecdsa(NamedGroup::secp256r1, HashAlgorithm::SHA256),
            ),
            (
                "p256",
                "p256-sha384.sig",
                ecdsa(NamedGroup::secp256r1, HashAlgorithm::SHA384),
            ),
            (
                "p384",
                "p384-sha256.sig",
                ecdsa(NamedGroup::secp384r1, HashAlgorithm::SHA256),
            ),
            (
                "p384",
                "p384-sha384.sig",
                ecdsa(NamedGroup::secp384r1, HashAlgorithm::SHA384),
            ),
            ("ed25519", "ed25519.sig", SignatureAlgorithm::Ed25519),
        ];
        let mut all: alloc::vec::Vec<(&str, &str, SignatureAlgorithm)> = cases.to_vec();
        for (hash, pkcs1, pss) in [
            (
                HashAlgorithm::SHA256,
                "rsa-pkcs1-sha256.sig",
                "rsa-pss-sha256.sig",
            ),
            (
                HashAlgorithm::SHA384,
                "rsa-pkcs1-sha384.sig",
                "rsa-pss-sha384.sig",
            ),
            (
                HashAlgorithm::SHA512,
                "rsa-pkcs1-sha512.sig",
                "rsa-pss-sha512.sig",
            ),
        ] {
            all.push(("rsa2048", pkcs1, SignatureAlgorithm::RsaPkcs1 { hash }));
            all.push(("rsa2048", pss, SignatureAlgorithm::RsaPss { hash }));
        }
        for (key, sig, alg) in all {
            let public = spki_bits(&data(&alloc::format!("{key}.spki.der")));
            let sig = data(sig);
            assert!(v.supports(alg));
            assert_eq!(v.verify(alg, &public, MSG, &sig), Ok(()), "{key} {alg:?}");
            // Tampered message and signature fail.
            assert!(v.verify(alg, &public, b"other message", &sig).is_err());
            let mut bad = sig.clone();
            let last = bad.len() - 1;
            bad[last] ^= 0x01;
            assert!(v.verify(alg, &public, MSG, &bad).is_err(), "{key} {alg:?}");
        }
    }

    #[test]
    fn wrong_hash_or_padding_fails() {
        let v = RustCryptoVerifier;
        let rsa = spki_bits(&data("rsa2048.spki.der"));
        let pss256 = data("rsa-pss-sha256.sig");
        let alg = SignatureAlgorithm::RsaPss {
            hash: HashAlgorithm::SHA384,
        };
        assert!(v.verify(alg, &rsa, MSG, &pss256).is_err());
        let alg = SignatureAlgorithm::RsaPkcs1 {
            hash: HashAlgorithm::SHA256,
        };
        assert!(v.verify(alg, &rsa, MSG, &pss256).is_err());
        let p256 = spki_bits(&data("p256.spki.der"));
        let sig = data("p256-sha256.sig");
        let alg = ecdsa(NamedGroup::secp256r1, HashAlgorithm::SHA384);
        assert!(v.verify(alg, &p256, MSG, &sig).is_err());
    }

    /// RFC 8032 section 7.1, test 1 (empty message).
    #[test]
    fn ed25519_rfc8032_test_1() {
        let public = hex!("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let sig = hex!(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        let v = RustCryptoVerifier;
        assert_eq!(
            v.verify(SignatureAlgorithm::Ed25519, &public, b"", &sig),
            Ok(())
        );
        assert!(v
            .verify(SignatureAlgorithm::Ed25519, &public, b"x", &sig)
            .is_err());
        assert_eq!(
            v.verify(SignatureAlgorithm::Ed25519, &public[..31], b"", &sig),
            Err(CryptoError::InvalidKey)
        );
        assert!(v
            .verify(SignatureAlgorithm::Ed25519, &public, b"", &sig[..63])
            .is_err());
    }

    #[test]
    fn rsa_key_size_bounds() {
        let v = RustCryptoVerifier;
        let small = spki_bits(&data("rsa1024.spki.der"));
        let alg = SignatureAlgorithm::RsaPss {
            hash: HashAlgorithm::SHA256,
        };
        assert_eq!(
            v.verify(alg, &small, MSG, &[0u8; 128]),
            Err(CryptoError::InvalidKey)
        );
        assert!(rsa_public_key(&spki_bits(&data("rsa2048.spki.der"))).is_ok());
        assert_eq!(
            rsa_public_key(b"\x30\x03\x02\x01\x01").err(),
            Some(CryptoError::InvalidKey)
        );
        // A 9000-bit modulus is refused before any arithmetic.
        let mut modulus = alloc::vec![0xffu8; 1125];
        modulus[0] = 0xc1;
        let der = rsa_public_key_der(&modulus, &[1, 0, 1]);
        assert_eq!(rsa_public_key(&der).err(), Some(CryptoError::InvalidKey));
    }

    fn rsa_public_key_der(n: &[u8], e: &[u8]) -> alloc::vec::Vec<u8> {
        use pkcs1::der::Encode;
        let n = pkcs1::UintRef::new(n).unwrap();
        let e = pkcs1::UintRef::new(e).unwrap();
        pkcs1::RsaPublicKey {
            modulus: n,
            public_exponent: e,
        }
        .to_der()
        .unwrap()
    }

    #[test]
    fn invalid_ec_keys_are_invalid_key() {
        let v = RustCryptoVerifier;
        let sig = data("p256-sha256.sig");
        let alg = ecdsa(NamedGroup::secp256r1, HashAlgorithm::SHA256);
        let mut key = spki_bits(&data("p256.spki.der"));
        key[64] ^= 1;
        assert_eq!(v.verify(alg, &key, MSG, &sig), Err(CryptoError::InvalidKey));
        assert_eq!(v.verify(alg, &[4], MSG, &sig), Err(CryptoError::InvalidKey));
    }

    #[test]
    fn unsupported_algorithms() {
        let v = RustCryptoVerifier;
        let p521 = ecdsa(NamedGroup::secp521r1, HashAlgorithm::SHA512);
        assert!(!v.supports(p521));
        assert_eq!(
            v.verify(p521, &[], b"", &[]),
            Err(CryptoError::UnsupportedAlgorithm)
        );
        let sha1 = SignatureAlgorithm::RsaPkcs1 {
            hash: HashAlgorithm::SHA1,
        };
        assert!(!v.supports(sha1));
        for scheme in [
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::ED25519,
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PKCS1_SHA384,
            SignatureScheme::RSA_PKCS1_SHA512,
            SignatureScheme::RSA_PSS_RSAE_SHA256,
            SignatureScheme::RSA_PSS_RSAE_SHA384,
            SignatureScheme::RSA_PSS_RSAE_SHA512,
        ] {
            assert!(v.supports(SignatureAlgorithm::from_scheme(scheme).unwrap()));
        }
    }
}
