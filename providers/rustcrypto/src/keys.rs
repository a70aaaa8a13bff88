//! Private-key loading (PKCS#8, SEC1, PKCS#1 DER) and signing.

use alloc::sync::Arc;
use alloc::vec::Vec;

use embertls::crypto::{KeyLoader, KeyType, RsaKeyTransport, SecureRandom, SigningKey};
use embertls::error::CryptoError;
use embertls::msgs::enums::{HashAlgorithm, SignatureScheme};
use pkcs1::der::Decode;
use pkcs8::{DecodePrivateKey, ObjectIdentifier};
use rsa::traits::PublicKeyParts;
use sha2::{Sha256, Sha384, Sha512};
use signature::Signer;

use crate::verify::{digest, rsa_public_key, RSA_MAX_BITS, RSA_MIN_BITS};

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Maps any parse error to `InvalidKey`.
fn invalid<E>(_: E) -> CryptoError {
    CryptoError::InvalidKey
}

/// Loads private keys from DER. RSA keys draw PSS salts and blinding
/// factors from the random source given here.
pub struct RustCryptoKeyLoader {
    random: Arc<dyn SecureRandom>,
}

impl RustCryptoKeyLoader {
    pub fn new(random: Arc<dyn SecureRandom>) -> Self {
        Self { random }
    }
}

impl KeyLoader for RustCryptoKeyLoader {
    /// Accepts PKCS#8 (EC P-256/P-384, Ed25519, RSA), SEC1 (EC) and PKCS#1
    /// (RSA). A well-formed key of another kind is `UnsupportedAlgorithm`;
    /// anything unparsable, or an RSA key outside 2048..=8192 bits, is
    /// `InvalidKey`.
    fn load_private_key(&self, der: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError> {
        if let Ok(info) = pkcs8::PrivateKeyInfo::try_from(der) {
            return self.load_pkcs8(&info, der);
        }
        if let Ok(ec) = sec1::EcPrivateKey::try_from(der) {
            return load_sec1(&ec, der);
        }
        if pkcs1::RsaPrivateKey::from_der(der).is_ok() {
            let key = <rsa::RsaPrivateKey as pkcs1::DecodeRsaPrivateKey>::from_pkcs1_der(der)
                .map_err(invalid)?;
            return self.rsa(key);
        }
        Err(CryptoError::InvalidKey)
    }
}

impl RustCryptoKeyLoader {
    fn load_pkcs8(
        &self,
        info: &pkcs8::PrivateKeyInfo<'_>,
        der: &[u8],
    ) -> Result<Arc<dyn SigningKey>, CryptoError> {
        match info.algorithm.oid {
            OID_EC_PUBLIC_KEY => match info.algorithm.parameters_oid().map_err(invalid)? {
                OID_P256 => Ok(Arc::new(EcdsaP256(
                    p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(invalid)?,
                ))),
                OID_P384 => Ok(Arc::new(EcdsaP384(
                    p384::ecdsa::SigningKey::from_pkcs8_der(der).map_err(invalid)?,
                ))),
                _ => Err(CryptoError::UnsupportedAlgorithm),
            },
            OID_ED25519 => Ok(Arc::new(Ed25519(
                ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(invalid)?,
            ))),
            OID_RSA => self.rsa(rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(invalid)?),
            _ => Err(CryptoError::UnsupportedAlgorithm),
        }
    }

    fn rsa(&self, key: rsa::RsaPrivateKey) -> Result<Arc<dyn SigningKey>, CryptoError> {
        // Same bounds as the verifier: a key our own peers would refuse is a
        // configuration mistake worth reporting at load time.
        let bits = key.n().bits();
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(CryptoError::InvalidKey);
        }
        Ok(Arc::new(Rsa {
            key,
            random: self.random.clone(),
        }))
    }
}

/// SEC1 keys name their curve in the optional parameters; without them the
/// private scalar's length tells P-256 from P-384.
fn load_sec1(ec: &sec1::EcPrivateKey<'_>, der: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError> {
    let curve = ec.parameters.and_then(|p| p.named_curve());
    match (curve, ec.private_key.len()) {
        (Some(OID_P256), _) | (None, 32) => Ok(Arc::new(EcdsaP256(
            p256::SecretKey::from_sec1_der(der).map_err(invalid)?.into(),
        ))),
        (Some(OID_P384), _) | (None, 48) => Ok(Arc::new(EcdsaP384(
            p384::SecretKey::from_sec1_der(der).map_err(invalid)?.into(),
        ))),
        (Some(_), _) => Err(CryptoError::UnsupportedAlgorithm),
        (None, _) => Err(CryptoError::InvalidKey),
    }
}

/// ECDSA P-256 with SHA-256. Nonces are deterministic (RFC 6979), so no
/// randomness is needed. Signatures are DER, as TLS carries them.
struct EcdsaP256(p256::ecdsa::SigningKey);

impl SigningKey for EcdsaP256 {
    fn key_type(&self) -> KeyType {
        KeyType::EcdsaP256
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if scheme != SignatureScheme::ECDSA_NISTP256_SHA256 {
            return Err(CryptoError::UnsupportedAlgorithm);
        }
        let sig: p256::ecdsa::Signature = self
            .0
            .try_sign(message)
            .map_err(|_| CryptoError::SigningFailed)?;
        Ok(sig.to_der().as_bytes().to_vec())
    }
}

/// ECDSA P-384 with SHA-384, like [`EcdsaP256`].
struct EcdsaP384(p384::ecdsa::SigningKey);

impl SigningKey for EcdsaP384 {
    fn key_type(&self) -> KeyType {
        KeyType::EcdsaP384
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if scheme != SignatureScheme::ECDSA_NISTP384_SHA384 {
            return Err(CryptoError::UnsupportedAlgorithm);
        }
        let sig: p384::ecdsa::Signature = self
            .0
            .try_sign(message)
            .map_err(|_| CryptoError::SigningFailed)?;
        Ok(sig.to_der().as_bytes().to_vec())
    }
}

/// Ed25519 (RFC 8032, pure).
struct Ed25519(ed25519_dalek::SigningKey);

impl SigningKey for Ed25519 {
    fn key_type(&self) -> KeyType {
        KeyType::Ed25519
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if scheme != SignatureScheme::ED25519 {
            return Err(CryptoError::UnsupportedAlgorithm);
        }
        let sig = self
            .0
            .try_sign(message)
            .map_err(|_| CryptoError::SigningFailed)?;
        Ok(sig.to_bytes().to_vec())
    }
}

/// RSA: PSS (rsae, salt = hash length) and PKCS#1 v1.5, SHA-256/384/512.
/// The private operation is always blinded, as a guard against timing leaks.
struct Rsa {
    key: rsa::RsaPrivateKey,
    random: Arc<dyn SecureRandom>,
}

impl SigningKey for Rsa {
    fn key_type(&self) -> KeyType {
        KeyType::Rsa
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use HashAlgorithm as H;
        use SignatureScheme as S;
        let (pss, hash) = match scheme {
            S::RSA_PSS_RSAE_SHA256 => (true, H::SHA256),
            S::RSA_PSS_RSAE_SHA384 => (true, H::SHA384),
            S::RSA_PSS_RSAE_SHA512 => (true, H::SHA512),
            S::RSA_PKCS1_SHA256 => (false, H::SHA256),
            S::RSA_PKCS1_SHA384 => (false, H::SHA384),
            S::RSA_PKCS1_SHA512 => (false, H::SHA512),
            _ => return Err(CryptoError::UnsupportedAlgorithm),
        };
        let digest = digest(hash, message)?;
        let mut rng = FallibleRng::new(&*self.random);
        let result = if pss {
            // `new_blinded` blinds the private operation; the signature is an
            // ordinary PSS signature.
            let padding = match hash {
                H::SHA256 => rsa::Pss::new_blinded::<Sha256>(),
                H::SHA384 => rsa::Pss::new_blinded::<Sha384>(),
                _ => rsa::Pss::new_blinded::<Sha512>(),
            };
            self.key.sign_with_rng(&mut rng, padding, digest.as_ref())
        } else {
            let padding = match hash {
                H::SHA256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                H::SHA384 => rsa::Pkcs1v15Sign::new::<Sha384>(),
                _ => rsa::Pkcs1v15Sign::new::<Sha512>(),
            };
            self.key.sign_with_rng(&mut rng, padding, digest.as_ref())
        };
        if rng.failed {
            return Err(CryptoError::RandomFailed);
        }
        result.map_err(|_| CryptoError::SigningFailed)
    }

    /// PKCS#1 v1.5 decryption (TLS 1.2 RSA key transport), blinded. A bad
    /// padding or a ciphertext not exactly as long as the modulus is an
    /// error; the engine hides which error it was.
    fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // RFC 8017 7.2.2 step 1: exactly as long as the modulus. `rsa`
        // would take leading zero bytes in front of a valid ciphertext.
        if ciphertext.len() != self.key.size() {
            return Err(CryptoError::Other);
        }
        let mut rng = FallibleRng::new(&*self.random);
        let result = self
            .key
            .decrypt_blinded(&mut rng, rsa::Pkcs1v15Encrypt, ciphertext);
        if rng.failed {
            return Err(CryptoError::RandomFailed);
        }
        result.map_err(|_| CryptoError::Other)
    }
}

/// RSA PKCS#1 v1.5 encryption for the client side of TLS 1.2 RSA key
/// transport. Public keys are DER RSAPublicKey with the verifier's size
/// bounds (2048 to 8192 bits).
#[derive(Debug, Default, Clone, Copy)]
pub struct RustCryptoRsaKeyTransport;

impl RsaKeyTransport for RustCryptoRsaKeyTransport {
    fn encrypt_pkcs1(
        &self,
        public_key: &[u8],
        plaintext: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, CryptoError> {
        let key = rsa_public_key(public_key)?;
        // The padding needs non-zero random bytes: after a failure, hand
        // out ones so that `rsa` does not wait forever for them.
        let mut rng = FallibleRng::new(rng);
        rng.filler = 1;
        let result = key.encrypt(&mut rng, rsa::Pkcs1v15Encrypt, plaintext);
        if rng.failed {
            return Err(CryptoError::RandomFailed);
        }
        // Fails only for a message too long for the key.
        result.map_err(|_| CryptoError::Other)
    }
}

/// Feeds the `rsa` crate, which calls the infallible `fill_bytes`, without
/// panicking when the source fails: the failure is recorded, zeros are
/// handed out (which cannot make `rsa` loop), and the signature is thrown
/// away afterwards.
struct FallibleRng<'a> {
    source: &'a dyn SecureRandom,
    failed: bool,
    /// What is handed out after a failure.
    filler: u8,
}

impl<'a> FallibleRng<'a> {
    fn new(source: &'a dyn SecureRandom) -> Self {
        Self {
            source,
            failed: false,
            filler: 0,
        }
    }
}

impl rand_core::RngCore for FallibleRng<'_> {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }

    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        if self.failed || self.source.fill(dest).is_err() {
            self.failed = true;
            dest.fill(self.filler);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for FallibleRng<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{data, spki_bits, Scripted};
    use crate::verify::RustCryptoVerifier;
    use embertls::crypto::{SignatureAlgorithm, SignatureVerifier};
    use hex_literal::hex;

    fn loader() -> RustCryptoKeyLoader {
        RustCryptoKeyLoader::new(Arc::new(crate::testutil::Counter::default()))
    }

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

    /// Every key file signs every scheme its type allows, the verifier
    /// accepts the result, a tampered signature fails, and other schemes are
    /// refused.
    #[test]
    fn sign_then_verify_every_key_and_scheme() {
        let cases = [
            ("p256.pk8.der", "p256", KeyType::EcdsaP256),
            ("p256.sec1.der", "p256", KeyType::EcdsaP256),
            ("p384.pk8.der", "p384", KeyType::EcdsaP384),
            ("p384.sec1.der", "p384", KeyType::EcdsaP384),
            ("ed25519.pk8.der", "ed25519", KeyType::Ed25519),
            ("rsa2048.pk8.der", "rsa2048", KeyType::Rsa),
            ("rsa2048.pkcs1.der", "rsa2048", KeyType::Rsa),
        ];
        let verifier = RustCryptoVerifier;
        let msg = b"TLS 1.3, server CertificateVerify\x00transcript hash";
        for (file, public, key_type) in cases {
            let key = loader().load_private_key(&data(file)).unwrap();
            assert_eq!(key.key_type(), key_type, "{file}");
            let public = spki_bits(&data(&alloc::format!("{public}.spki.der")));
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
        let rsa = loader().load_private_key(&data("rsa2048.pk8.der")).unwrap();
        assert_eq!(
            rsa.choose_scheme(&[
                SignatureScheme::RSA_PKCS1_SHA256,
                SignatureScheme::RSA_PSS_RSAE_SHA384
            ]),
            Some(SignatureScheme::RSA_PSS_RSAE_SHA384)
        );
        let ec = loader().load_private_key(&data("p256.pk8.der")).unwrap();
        assert_eq!(ec.choose_scheme(&[SignatureScheme::ED25519]), None);
    }

    /// RFC 8032 section 7.1, test 1, signed through the loader.
    #[test]
    fn ed25519_rfc8032_test_1_sign() {
        let seed = hex!("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        // PKCS#8 v1 wrapping of the seed (RFC 8410).
        let mut der = hex!("302e020100300506032b657004220420").to_vec();
        der.extend_from_slice(&seed);
        let key = loader().load_private_key(&der).unwrap();
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
        let scalar = [0x5au8; 32];
        let mut der = hex!("3025020101 0420").to_vec();
        der.extend_from_slice(&scalar);
        let key = loader().load_private_key(&der).unwrap();
        assert_eq!(key.key_type(), KeyType::EcdsaP256);
        let scalar = [0x5au8; 48];
        let mut der = hex!("3035020101 0430").to_vec();
        der.extend_from_slice(&scalar);
        let key = loader().load_private_key(&der).unwrap();
        assert_eq!(key.key_type(), KeyType::EcdsaP384);
    }

    #[test]
    fn rejects_bad_and_unsupported_keys() {
        let l = loader();
        assert_eq!(
            l.load_private_key(&data("rsa1024.pk8.der")).err(),
            Some(CryptoError::InvalidKey)
        );
        assert_eq!(l.load_private_key(b"").err(), Some(CryptoError::InvalidKey));
        assert_eq!(
            l.load_private_key(&data("p256.spki.der")).err(),
            Some(CryptoError::InvalidKey)
        );
        let mut truncated = data("rsa2048.pk8.der");
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
        // A P-256 scalar equal to zero.
        let mut zero = hex!("3025020101 0420").to_vec();
        zero.extend_from_slice(&[0u8; 32]);
        assert_eq!(
            l.load_private_key(&zero).err(),
            Some(CryptoError::InvalidKey)
        );
    }

    #[test]
    fn rsa_random_failure_is_reported() {
        let l = RustCryptoKeyLoader::new(Arc::new(Scripted::new(&[])));
        let key = l.load_private_key(&data("rsa2048.pk8.der")).unwrap();
        assert_eq!(
            key.sign(SignatureScheme::RSA_PSS_RSAE_SHA256, b"m"),
            Err(CryptoError::RandomFailed)
        );
        assert_eq!(
            key.sign(SignatureScheme::RSA_PKCS1_SHA256, b"m"),
            Err(CryptoError::RandomFailed)
        );
    }

    #[test]
    fn rsa_key_transport_round_trip() {
        let key = loader().load_private_key(&data("rsa2048.pk8.der")).unwrap();
        let public = {
            let spki = data("rsa2048.spki.der");
            spki_bits(&spki)
        };
        let rng = crate::testutil::Counter::default();
        let mut premaster = [0u8; 48];
        premaster[..2].copy_from_slice(&[3, 3]);
        premaster[2..].fill(0x5c);
        let ct = RustCryptoRsaKeyTransport
            .encrypt_pkcs1(&public, &premaster, &rng)
            .unwrap();
        assert_eq!(ct.len(), 256);
        assert_eq!(key.decrypt(&ct).unwrap(), premaster);
        // Randomized padding: a second encryption differs.
        let ct2 = RustCryptoRsaKeyTransport
            .encrypt_pkcs1(&public, &premaster, &rng)
            .unwrap();
        assert_ne!(ct, ct2);
        // Garbage, wrong lengths and a tampered ciphertext are errors.
        assert!(key.decrypt(&[0u8; 256]).is_err());
        assert!(key.decrypt(&[]).is_err());
        assert!(key.decrypt(&ct[1..]).is_err());
        assert!(key.decrypt(&[&[0u8][..], &ct].concat()).is_err());
        let mut bad = ct.clone();
        bad[0] ^= 0x40;
        bad[100] ^= 1;
        assert!(key.decrypt(&bad).is_err());
        // Keys outside the size bounds, non-keys and failing randomness.
        let small = spki_bits(&data("rsa1024.spki.der"));
        assert_eq!(
            RustCryptoRsaKeyTransport
                .encrypt_pkcs1(&small, &premaster, &rng)
                .err(),
            Some(CryptoError::InvalidKey)
        );
        assert_eq!(
            RustCryptoRsaKeyTransport
                .encrypt_pkcs1(b"junk", &premaster, &rng)
                .err(),
            Some(CryptoError::InvalidKey)
        );
        assert_eq!(
            RustCryptoRsaKeyTransport
                .encrypt_pkcs1(&public, &premaster, &Scripted::new(&[]))
                .err(),
            Some(CryptoError::RandomFailed)
        );
        // Non-RSA keys cannot decrypt.
        let ec = loader().load_private_key(&data("p256.pk8.der")).unwrap();
        assert_eq!(
            ec.decrypt(&ct).err(),
            Some(CryptoError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn rsa_pkcs1_is_deterministic_despite_blinding() {
        let key = loader()
            .load_private_key(&data("rsa2048.pkcs1.der"))
            .unwrap();
        let a = key.sign(SignatureScheme::RSA_PKCS1_SHA384, b"m").unwrap();
        let b = key.sign(SignatureScheme::RSA_PKCS1_SHA384, b"m").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 256);
    }
}
