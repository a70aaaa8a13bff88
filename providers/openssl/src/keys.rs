//! Private-key loading (PKCS#8, SEC1, PKCS#1 DER) and signing on OpenSSL.
//!
//! ECDSA nonces, PSS salts and RSA blinding come from OpenSSL's own DRBG,
//! not from the provider's [`embertls::crypto::SecureRandom`]: OpenSSL 3.0
//! has no way to hand them in. Signatures are therefore not reproducible
//! with a scripted random source (RSA PKCS#1 v1.5 and Ed25519 are
//! deterministic anyway).

use std::sync::Arc;

use embertls::crypto::{KeyLoader, KeyType, RsaKeyTransport, SecureRandom, SigningKey};
use embertls::error::CryptoError;
use embertls::msgs::enums::SignatureScheme;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey, EcPoint, PointConversionForm};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Signer};

use crate::der::tlv;
use crate::verify::{rsa_public_key, RSA_MAX_BITS, RSA_MIN_BITS};
use zeroize::Zeroizing;

fn invalid(_: ErrorStack) -> CryptoError {
    CryptoError::InvalidKey
}

/// Loads private keys from DER with OpenSSL's decoders.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpenSslKeyLoader;

impl KeyLoader for OpenSslKeyLoader {
    /// Accepts PKCS#8 (EC P-256/P-384, Ed25519, RSA), SEC1 (EC, with or
    /// without the curve parameters) and PKCS#1 (RSA). A well-formed key of
    /// another kind is `UnsupportedAlgorithm`; anything unparsable or
    /// inconsistent, or an RSA key outside 2048..=8192 bits, is `InvalidKey`.
    fn load_private_key(&self, der: &[u8]) -> Result<Arc<dyn SigningKey>, CryptoError> {
        // One DER SEQUENCE and nothing after it: OpenSSL's decoders ignore
        // trailing bytes, the RustCrypto backend (and DER) does not.
        if !crate::der::is_one_sequence(der) {
            return Err(CryptoError::InvalidKey);
        }
        // `d2i_AutoPrivateKey`: PKCS#8 and the traditional formats.
        if let Ok(key) = PKey::private_key_from_der(der) {
            return classify(key);
        }
        if let Ok(ec) = EcKey::private_key_from_der(der) {
            return classify(PKey::from_ec_key(ec).map_err(invalid)?);
        }
        if let Ok(rsa) = Rsa::private_key_from_der(der) {
            return classify(PKey::from_rsa(rsa).map_err(invalid)?);
        }
        if let Some((scalar, public)) = sec1_without_parameters(der) {
            return classify(sec1_key(scalar, public)?);
        }
        Err(CryptoError::InvalidKey)
    }
}

/// Checks a parsed key and wraps it with its type.
fn classify(key: PKey<Private>) -> Result<Arc<dyn SigningKey>, CryptoError> {
    let key_type = match key.id() {
        Id::EC => {
            let ec = key.ec_key().map_err(invalid)?;
            // Private scalar in range and matching the public point.
            ec.check_key().map_err(invalid)?;
            match ec.group().curve_name() {
                Some(Nid::X9_62_PRIME256V1) => KeyType::EcdsaP256,
                Some(Nid::SECP384R1) => KeyType::EcdsaP384,
                _ => return Err(CryptoError::UnsupportedAlgorithm),
            }
        }
        Id::ED25519 => KeyType::Ed25519,
        Id::RSA => {
            // Same bounds as the verifier: a key our own peers would refuse
            // is a configuration mistake worth reporting at load time.
            let bits = key.bits();
            if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
                return Err(CryptoError::InvalidKey);
            }
            KeyType::Rsa
        }
        // X25519, RSA-PSS-only keys, DSA, Ed448, ...
        _ => return Err(CryptoError::UnsupportedAlgorithm),
    };
    Ok(Arc::new(OpenSslSigningKey { key_type, key }))
}

/// A SEC1 `ECPrivateKey` that omits the curve parameters, which OpenSSL
/// cannot decode: `SEQUENCE { INTEGER 1, OCTET STRING d, [1] publicKey? }`.
/// Returns the scalar and the public point if present.
fn sec1_without_parameters(der: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let (0x30, body, []) = tlv(der)? else {
        return None;
    };
    let (0x02, [1], body) = tlv(body)? else {
        return None;
    };
    let (0x04, scalar, body) = tlv(body)? else {
        return None;
    };
    match body {
        [] => Some((scalar, None)),
        _ => {
            let (0xa1, explicit, []) = tlv(body)? else {
                return None;
            };
            let (0x03, [0, point @ ..], []) = tlv(explicit)? else {
                return None;
            };
            Some((scalar, Some(point)))
        }
    }
}

/// Builds an EC key from a bare scalar; its length names the curve.
fn sec1_key(scalar: &[u8], public: Option<&[u8]>) -> Result<PKey<Private>, CryptoError> {
    let nid = match scalar.len() {
        32 => Nid::X9_62_PRIME256V1,
        48 => Nid::SECP384R1,
        _ => return Err(CryptoError::InvalidKey),
    };
    let group = EcGroup::from_curve_name(nid).map_err(invalid)?;
    let mut ctx = BigNumContext::new().map_err(invalid)?;
    let mut d = BigNum::new_secure().map_err(invalid)?;
    d.set_const_time();
    let built = (|| {
        d.copy_from_slice(scalar)?;
        let mut point = EcPoint::new(&group)?;
        point.mul_generator2(&group, &d, &mut ctx)?;
        let encoded = point.to_bytes(&group, PointConversionForm::UNCOMPRESSED, &mut ctx)?;
        let key = EcKey::from_private_components(&group, &d, &point)?;
        Ok::<_, ErrorStack>((key, encoded))
    })();
    d.clear();
    let (key, encoded) = built.map_err(invalid)?;
    // A zero or too-large scalar fails here.
    key.check_key().map_err(invalid)?;
    if public.is_some_and(|p| p != encoded.as_slice()) {
        return Err(CryptoError::InvalidKey);
    }
    PKey::from_ec_key(key).map_err(invalid)
}

/// A private key in OpenSSL: ECDSA P-256/P-384 (DER signatures), Ed25519,
/// or RSA (PSS with salt = hash length, and PKCS#1 v1.5).
struct OpenSslSigningKey {
    key_type: KeyType,
    /// OpenSSL wipes private keys when freed.
    key: PKey<Private>,
}

impl SigningKey for OpenSslSigningKey {
    fn key_type(&self) -> KeyType {
        self.key_type
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use SignatureScheme as S;
        // (digest, PSS?) or no digest for Ed25519.
        let (md, pss) = match (self.key_type, scheme) {
            (KeyType::EcdsaP256, S::ECDSA_NISTP256_SHA256) => {
                (Some(MessageDigest::sha256()), false)
            }
            (KeyType::EcdsaP384, S::ECDSA_NISTP384_SHA384) => {
                (Some(MessageDigest::sha384()), false)
            }
            (KeyType::Ed25519, S::ED25519) => (None, false),
            (KeyType::Rsa, S::RSA_PSS_RSAE_SHA256) => (Some(MessageDigest::sha256()), true),
            (KeyType::Rsa, S::RSA_PSS_RSAE_SHA384) => (Some(MessageDigest::sha384()), true),
            (KeyType::Rsa, S::RSA_PSS_RSAE_SHA512) => (Some(MessageDigest::sha512()), true),
            (KeyType::Rsa, S::RSA_PKCS1_SHA256) => (Some(MessageDigest::sha256()), false),
            (KeyType::Rsa, S::RSA_PKCS1_SHA384) => (Some(MessageDigest::sha384()), false),
            (KeyType::Rsa, S::RSA_PKCS1_SHA512) => (Some(MessageDigest::sha512()), false),
            _ => return Err(CryptoError::UnsupportedAlgorithm),
        };
        let signed = (|| {
            let mut signer = match md {
                Some(md) => Signer::new(md, &self.key)?,
                None => Signer::new_without_digest(&self.key)?,
            };
            if self.key_type == KeyType::Rsa {
                if pss {
                    signer.set_rsa_padding(Padding::PKCS1_PSS)?;
                    signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
                    if let Some(md) = md {
                        signer.set_rsa_mgf1_md(md)?;
                    }
                } else {
                    signer.set_rsa_padding(Padding::PKCS1)?;
                }
            }
            signer.sign_oneshot_to_vec(message)
        })();
        signed.map_err(|_| CryptoError::SigningFailed)
    }

    /// PKCS#1 v1.5 decryption (TLS 1.2 RSA key transport, `RSA_private_decrypt`,
    /// blinded by OpenSSL). The ciphertext must be exactly as long as the
    /// modulus (RFC 8017 7.2.2 step 1). A bad padding is an error; the
    /// engine hides which error it was. OpenSSL 3.2 and later answer a bad
    /// padding with a synthetic plaintext instead (implicit rejection),
    /// which the engine's constant-time handling treats alike.
    fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if self.key_type != KeyType::Rsa {
            return Err(CryptoError::UnsupportedAlgorithm);
        }
        let rsa = self.key.rsa().map_err(|_| CryptoError::Other)?;
        let size = rsa.size() as usize;
        if ciphertext.len() != size {
            return Err(CryptoError::Other);
        }
        let mut out = Zeroizing::new(vec![0u8; size]);
        let len = rsa
            .private_decrypt(ciphertext, &mut out, Padding::PKCS1)
            .map_err(|_| CryptoError::Other)?;
        Ok(out[..len].to_vec())
    }
}

/// RSA PKCS#1 v1.5 encryption for the client side of TLS 1.2 RSA key
/// transport. Public keys are DER RSAPublicKey with the verifier's bounds
/// (2048 to 8192 bits). The padding's random bytes come from the
/// [`SecureRandom`] passed in, so a scripted source reproduces the
/// ciphertext; the block is then raised to `e` by `RSA_public_encrypt`
/// without padding.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpenSslRsaKeyTransport;

impl RsaKeyTransport for OpenSslRsaKeyTransport {
    fn encrypt_pkcs1(
        &self,
        public_key: &[u8],
        plaintext: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, CryptoError> {
        let (key, k) = rsa_public_key(public_key)?;
        // RFC 8017 7.2.1: EM = 0x00 || 0x02 || PS || 0x00 || M, PS at
        // least 8 non-zero random bytes.
        if plaintext.len() + 11 > k {
            return Err(CryptoError::Other);
        }
        let mut em = Zeroizing::new(vec![0u8; k]);
        em[1] = 2;
        let ps_end = k - plaintext.len() - 1;
        {
            let ps = &mut em[2..ps_end];
            rng.fill(ps)?;
            for i in 0..ps.len() {
                // Redraw zeros one byte at a time, as RFC 8017 suggests.
                let mut tries = 0;
                while ps[i] == 0 {
                    tries += 1;
                    if tries > 64 {
                        return Err(CryptoError::RandomFailed);
                    }
                    rng.fill(&mut ps[i..=i])?;
                }
            }
        }
        em[ps_end + 1..].copy_from_slice(plaintext);
        let rsa = key.rsa().map_err(|_| CryptoError::Other)?;
        let mut out = vec![0u8; k];
        let len = rsa
            .public_encrypt(&em, &mut out, Padding::NONE)
            .map_err(|_| CryptoError::Other)?;
        if len != k {
            return Err(CryptoError::Other);
        }
        Ok(out)
    }
}
