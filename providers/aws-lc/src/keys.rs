//! Private-key loading (PKCS#8, SEC1, PKCS#1 DER) and signing.

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use embertls::crypto::{KeyLoader, KeyType, SigningKey};
use embertls::error::CryptoError;
use embertls::msgs::enums::SignatureScheme;

use crate::der;
use crate::rsa::RsaDecryptor;

/// Maps any parse error to `InvalidKey`.
fn invalid<E>(_: E) -> CryptoError {
    CryptoError::InvalidKey
}

/// Loads private keys from DER.
///
/// Unlike `embertls-rustcrypto`'s loader this takes no random source:
/// AWS-LC draws ECDSA nonces and RSA-PSS salts (and RSA blinding) from its
/// own generator, so signatures are not reproducible from a scripted
/// `SecureRandom` (key exchange still is; see the `kx` module).
#[derive(Debug, Default, Clone, Copy)]
pub struct AwsLcKeyLoader;

impl KeyLoader for AwsLcKeyLoader {
    /// Accepts PKCS#8 (EC P-256/P-384, Ed25519, RSA), SEC1 (EC) and PKCS#1
    /// (RSA). A well-formed key of another kind is `UnsupportedAlgorithm`;
    /// anything unparsable, or an RSA key outside 2048..=8192 bits, is
    /// `InvalidKey`.
    fn load_private_key(&self, der: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError> {
        if let Some((oid, params)) = der::pkcs8_algorithm(der) {
            return match oid {
                der::OID_EC_PUBLIC_KEY => match params {
                    Some(der::OID_P256) => Ecdsa::p256(EcdsaKeyPair::from_pkcs8(
                        &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
                        der,
                    )),
                    Some(der::OID_P384) => Ecdsa::p384(EcdsaKeyPair::from_pkcs8(
                        &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
                        der,
                    )),
                    // Another named curve, or explicit parameters.
                    _ => Err(CryptoError::UnsupportedAlgorithm),
                },
                der::OID_ED25519 => Ok(Arc::new(Ed25519(
                    Ed25519KeyPair::from_pkcs8(der).map_err(invalid)?,
                ))),
                der::OID_RSA => rsa(RsaKeyPair::from_pkcs8(der), RsaDecryptor::from_pkcs8(der)),
                _ => Err(CryptoError::UnsupportedAlgorithm),
            };
        }
        if let Some((scalar, curve)) = der::sec1_key(der) {
            // SEC1 keys name their curve in the optional parameters; without
            // them the private scalar's length tells P-256 from P-384.
            return match (curve, scalar.len()) {
                (Some(der::OID_P256), _) | (None, 32) => Ecdsa::p256(
                    EcdsaKeyPair::from_private_key_der(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, der),
                ),
                (Some(der::OID_P384), _) | (None, 48) => Ecdsa::p384(
                    EcdsaKeyPair::from_private_key_der(&sig::ECDSA_P384_SHA384_ASN1_SIGNING, der),
                ),
                (Some(_), _) => Err(CryptoError::UnsupportedAlgorithm),
                (None, _) => Err(CryptoError::InvalidKey),
            };
        }
        // PKCS#1 RSAPrivateKey is the only form left. AWS-LC would ignore
        // bytes after the SEQUENCE; a key file with trailing data is damaged.
        if der::single(der, der::TAG_SEQUENCE).is_none() {
            return Err(CryptoError::InvalidKey);
        }
        rsa(RsaKeyPair::from_der(der), RsaDecryptor::from_pkcs1(der))
    }
}

/// AWS-LC refuses RSA keys outside 2048..=8192 bits at load time (the same
/// bounds the verifier applies), which surfaces here as `InvalidKey`. The
/// key is parsed twice, once for signing and once for decryption, because
/// aws-lc-rs keeps the two uses in separate types.
fn rsa<E>(
    key: Result<RsaKeyPair, E>,
    decryptor: Result<RsaDecryptor, CryptoError>,
) -> Result<Arc<dyn SigningKey>, CryptoError> {
    Ok(Arc::new(Rsa {
        key: key.map_err(invalid)?,
        decryptor: decryptor.map_err(invalid)?,
    }))
}

/// ECDSA with the curve's own hash (P-256 with SHA-256, P-384 with
/// SHA-384), DER signatures as TLS carries them. AWS-LC hedges its nonces
/// (random bytes mixed with the key and message).
struct Ecdsa {
    key: EcdsaKeyPair,
    key_type: KeyType,
    scheme: SignatureScheme,
}

impl Ecdsa {
    fn p256<E>(key: Result<EcdsaKeyPair, E>) -> Result<Arc<dyn SigningKey>, CryptoError> {
        Ok(Arc::new(Self {
            key: key.map_err(invalid)?,
            key_type: KeyType::EcdsaP256,
            scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
        }))
    }

    fn p384<E>(key: Result<EcdsaKeyPair, E>) -> Result<Arc<dyn SigningKey>, CryptoError> {
        Ok(Arc::new(Self {
            key: key.map_err(invalid)?,
            key_type: KeyType::EcdsaP384,
            scheme: SignatureScheme::ECDSA_NISTP384_SHA384,
        }))
    }
}

impl SigningKey for Ecdsa {
    fn key_type(&self) -> KeyType {
        self.key_type
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if scheme != self.scheme {
            return Err(CryptoError::UnsupportedAlgorithm);
        }
        // aws-lc-rs ignores the generator argument and uses AWS-LC's own.
        let signature = self
            .key
            .sign(&SystemRandom::new(), message)
            .map_err(|_| CryptoError::SigningFailed)?;
        Ok(signature.as_ref().to_vec())
    }
}

/// Ed25519 (RFC 8032, pure).
struct Ed25519(Ed25519KeyPair);

impl SigningKey for Ed25519 {
    fn key_type(&self) -> KeyType {
        KeyType::Ed25519
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if scheme != SignatureScheme::ED25519 {
            return Err(CryptoError::UnsupportedAlgorithm);
        }
        let signature = self
            .0
            .try_sign(message)
            .map_err(|_| CryptoError::SigningFailed)?;
        Ok(signature.as_ref().to_vec())
    }
}

/// RSA: PSS (rsae, salt = hash length, MGF1 with the same hash) and
/// PKCS#1 v1.5, SHA-256/384/512 (TLS 1.2 peers may ask for the latter), and
/// PKCS#1 v1.5 decryption of TLS 1.2 RSA key transport. AWS-LC blinds the
/// private operation.
struct Rsa {
    key: RsaKeyPair,
    decryptor: RsaDecryptor,
}

impl SigningKey for Rsa {
    fn key_type(&self) -> KeyType {
        KeyType::Rsa
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use SignatureScheme as S;
        let encoding: &'static dyn sig::RsaEncoding = match scheme {
            S::RSA_PSS_RSAE_SHA256 => &sig::RSA_PSS_SHA256,
            S::RSA_PSS_RSAE_SHA384 => &sig::RSA_PSS_SHA384,
            S::RSA_PSS_RSAE_SHA512 => &sig::RSA_PSS_SHA512,
            S::RSA_PKCS1_SHA256 => &sig::RSA_PKCS1_SHA256,
            S::RSA_PKCS1_SHA384 => &sig::RSA_PKCS1_SHA384,
            S::RSA_PKCS1_SHA512 => &sig::RSA_PKCS1_SHA512,
            _ => return Err(CryptoError::UnsupportedAlgorithm),
        };
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(encoding, &SystemRandom::new(), message, &mut signature)
            .map_err(|_| CryptoError::SigningFailed)?;
        Ok(signature)
    }

    fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.decryptor.decrypt(ciphertext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{data, test_key};
    use crate::verify::AwsLcVerifier;
    use embertls::crypto::{SignatureAlgorithm, SignatureVerifier};
    use hex_literal::hex;

    const ALL_SCHEMES: [SignatureScheme; 9] = [
        SignatureScheme::ECDSA_NISTP256_SHA256,
        SignatureScheme::ECDSA_NISTP384_SHA384,
        SignatureScheme::ED25519,
        SignatureScheme::RSA_PKCS1_SHA256,
        SignatureScheme::RSA_PKCS1_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512,
        SignatureScheme::RSA_PSS_RSAE_SHA256,
        SignatureScheme::RSA_PSS_RSAE_SHA384,
        SignatureScheme::RSA_PSS_RSAE_SHA512,
    ];

    /// The subjectPublicKey bits of a certificate of the shared test PKI,
    /// read with the DER walker, independently of the key loader.
    fn cert_public_key(name: &str) -> Vec<u8> {
        use rustls_pki_types::pem::PemObject;
        let path = format!(
            "{}/../../conformance/testdata/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let cert = rustls_pki_types::CertificateDer::from_pem_file(&path).unwrap();
        let mut outer = der::Reader::new(der::single(&cert, der::TAG_SEQUENCE).unwrap());
        let mut tbs = der::Reader::new(outer.read(der::TAG_SEQUENCE).unwrap());
        tbs.read(der::TAG_CONTEXT_0).unwrap(); // version
        tbs.read(der::TAG_INTEGER).unwrap(); // serial
        for _ in 0..4 {
            // signature algorithm, issuer, validity, subject
            tbs.read(der::TAG_SEQUENCE).unwrap();
        }
        let mut spki = der::Reader::new(tbs.read(der::TAG_SEQUENCE).unwrap());
        spki.read(der::TAG_SEQUENCE).unwrap();
        let bits = spki.read(der::TAG_BIT_STRING).unwrap();
        bits[1..].to_vec()
    }

    /// Every key file signs every scheme its type allows, the verifier
    /// accepts the result under the certificate's public key, a tampered
    /// signature fails, and other schemes are refused.
    #[test]
    fn sign_then_verify_every_key_and_scheme() {
        let cases = [
            ("server-p256.key", "server-p256.pem", KeyType::EcdsaP256),
            (
                "server-p256.sec1.key",
                "server-p256.pem",
                KeyType::EcdsaP256,
            ),
            ("client-p256.key", "client-p256.pem", KeyType::EcdsaP256),
            ("server-p384.key", "server-p384.pem", KeyType::EcdsaP384),
            ("ca-p384.key", "ca-p384.pem", KeyType::EcdsaP384),
            ("server-ed25519.key", "server-ed25519.pem", KeyType::Ed25519),
            ("server-rsa.key", "server-rsa.pem", KeyType::Rsa),
            ("server-rsa.pkcs1.key", "server-rsa.pem", KeyType::Rsa),
        ];
        let verifier = AwsLcVerifier;
        let msg = b"TLS 1.3, server CertificateVerify\x00transcript hash";
        for (file, cert, key_type) in cases {
            let key = AwsLcKeyLoader.load_private_key(&test_key(file)).unwrap();
            assert_eq!(key.key_type(), key_type, "{file}");
            let public = cert_public_key(cert);
            let mut signed = 0;
            for scheme in ALL_SCHEMES {
                let alg = SignatureAlgorithm::from_scheme(scheme).unwrap();
                if alg.key_type() != key_type {
                    assert_eq!(
                        key.sign(scheme, msg),
                        Err(CryptoError::UnsupportedAlgorithm),
                        "{file} {scheme:?}"
                    );
                    continue;
                }
                let sig = key.sign(scheme, msg).unwrap();
                assert_eq!(
                    verifier.verify(alg, &public, msg, &sig),
                    Ok(()),
                    "{file} {scheme:?}"
                );
                let mut bad = sig.clone();
                bad[sig.len() / 2] ^= 0x10;
                assert!(verifier.verify(alg, &public, msg, &bad).is_err());
                assert!(verifier.verify(alg, &public, b"other", &sig).is_err());
                signed += 1;
            }
            assert!(signed > 0);
            assert_eq!(
                key.sign(SignatureScheme::RSA_PSS_PSS_SHA256, msg),
                Err(CryptoError::UnsupportedAlgorithm)
            );
        }
    }

    #[test]
    fn choose_scheme_defaults() {
        let rsa = AwsLcKeyLoader
            .load_private_key(&test_key("server-rsa.key"))
            .unwrap();
        assert_eq!(
            rsa.choose_scheme(&[
                SignatureScheme::RSA_PKCS1_SHA256,
                SignatureScheme::RSA_PSS_RSAE_SHA384
            ]),
            Some(SignatureScheme::RSA_PSS_RSAE_SHA384)
        );
        let ec = AwsLcKeyLoader
            .load_private_key(&test_key("server-p256.key"))
            .unwrap();
        assert_eq!(ec.choose_scheme(&[SignatureScheme::ED25519]), None);
    }

    /// RFC 8032 section 7.1, test 1, signed through the loader.
    #[test]
    fn ed25519_rfc8032_test_1_sign() {
        let seed = hex!("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        // PKCS#8 v1 wrapping of the seed (RFC 8410).
        let mut der = hex!("302e020100300506032b657004220420").to_vec();
        der.extend_from_slice(&seed);
        let key = AwsLcKeyLoader.load_private_key(&der).unwrap();
        assert_eq!(
            key.sign(SignatureScheme::ED25519, b"").unwrap(),
            hex!(
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            )
        );
    }

    #[test]
    fn sec1_without_curve_parameters() {
        // SEC1 ECPrivateKey { version 1, privateKey } with no parameters.
        let mut der = hex!("3025020101 0420").to_vec();
        der.extend_from_slice(&[0x5au8; 32]);
        let key = AwsLcKeyLoader.load_private_key(&der).unwrap();
        assert_eq!(key.key_type(), KeyType::EcdsaP256);
        let mut der = hex!("3035020101 0430").to_vec();
        der.extend_from_slice(&[0x5au8; 48]);
        let key = AwsLcKeyLoader.load_private_key(&der).unwrap();
        assert_eq!(key.key_type(), KeyType::EcdsaP384);
        // A 40-byte scalar is neither.
        let mut der = hex!("302d020101 0428").to_vec();
        der.extend_from_slice(&[0x5au8; 40]);
        assert_eq!(
            AwsLcKeyLoader.load_private_key(&der).err(),
            Some(CryptoError::InvalidKey)
        );
    }

    #[test]
    fn rejects_bad_and_unsupported_keys() {
        let l = AwsLcKeyLoader;
        // RSA below 2048 bits.
        assert_eq!(
            l.load_private_key(&data("rsa1024.pk8.der")).err(),
            Some(CryptoError::InvalidKey)
        );
        assert_eq!(l.load_private_key(b"").err(), Some(CryptoError::InvalidKey));
        // A public key is not a private key.
        assert_eq!(
            l.load_private_key(&data("p256.spki.der")).err(),
            Some(CryptoError::InvalidKey)
        );
        let mut truncated = test_key("server-rsa.key");
        truncated.truncate(600);
        assert_eq!(
            l.load_private_key(&truncated).err(),
            Some(CryptoError::InvalidKey)
        );
        // X25519 (1.3.101.110) in PKCS#8 is a key, but not a signing key.
        let mut x25519 = hex!("302e020100300506032b656e04220420").to_vec();
        x25519.extend_from_slice(&[1u8; 32]);
        assert_eq!(
            l.load_private_key(&x25519).err(),
            Some(CryptoError::UnsupportedAlgorithm)
        );
        // A SEC1 key on P-521 (1.3.132.0.35).
        let mut p521 = hex!("302e020101 0420").to_vec();
        p521.extend_from_slice(&[1u8; 32]);
        p521.extend_from_slice(&hex!("a007 0605 2b81040023"));
        assert_eq!(
            l.load_private_key(&p521).err(),
            Some(CryptoError::UnsupportedAlgorithm)
        );
        // A P-256 scalar equal to zero, and one above the group order.
        let mut zero = hex!("3025020101 0420").to_vec();
        zero.extend_from_slice(&[0u8; 32]);
        assert_eq!(
            l.load_private_key(&zero).err(),
            Some(CryptoError::InvalidKey)
        );
        let mut big = hex!("3025020101 0420").to_vec();
        big.extend_from_slice(&[0xffu8; 32]);
        assert_eq!(
            l.load_private_key(&big).err(),
            Some(CryptoError::InvalidKey)
        );
        // A P-384 PKCS#8 key relabelled as secp256k1 (1.3.132.0.10).
        let mut k1 = test_key("server-p384.key");
        let p384 = hex!("0605 2b81040022");
        let at = k1.windows(p384.len()).position(|w| w == p384).unwrap();
        k1[at + p384.len() - 1] = 0x0a;
        assert_eq!(
            l.load_private_key(&k1).err(),
            Some(CryptoError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn rsa_pkcs1_is_deterministic_pss_is_not() {
        let key = AwsLcKeyLoader
            .load_private_key(&test_key("server-rsa.pkcs1.key"))
            .unwrap();
        let a = key.sign(SignatureScheme::RSA_PKCS1_SHA384, b"m").unwrap();
        let b = key.sign(SignatureScheme::RSA_PKCS1_SHA384, b"m").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 256);
        let a = key
            .sign(SignatureScheme::RSA_PSS_RSAE_SHA256, b"m")
            .unwrap();
        let b = key
            .sign(SignatureScheme::RSA_PSS_RSAE_SHA256, b"m")
            .unwrap();
        assert_ne!(a, b, "random salt");
    }
}
