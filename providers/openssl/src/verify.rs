//! Signature verification with public keys taken from certificates.

use embertls::crypto::{SignatureAlgorithm, SignatureVerifier};
use embertls::error::CryptoError;
use embertls::msgs::enums::{HashAlgorithm, NamedGroup};
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey, EcPoint};
use openssl::error::ErrorStack;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Verifier};

use crate::hash::Sha;

/// Smallest RSA modulus accepted, in bits (CA/Browser Forum minimum).
pub(crate) const RSA_MIN_BITS: u32 = 2048;
/// Largest RSA modulus accepted, in bits; bounds the cost a peer can impose.
pub(crate) const RSA_MAX_BITS: u32 = 8192;

/// Verifies ECDSA (P-256/P-384 with SHA-256/384/512), Ed25519, and RSA
/// PKCS#1 v1.5 and PSS (SHA-256/384/512, salt = hash length) signatures
/// with OpenSSL's `EVP_DigestVerify`.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpenSslVerifier;

fn nist_curve(curve: NamedGroup) -> Option<Nid> {
    if curve == NamedGroup::secp256r1 {
        Some(Nid::X9_62_PRIME256V1)
    } else if curve == NamedGroup::secp384r1 {
        Some(Nid::SECP384R1)
    } else {
        None
    }
}

impl SignatureVerifier for OpenSslVerifier {
    fn supports(&self, alg: SignatureAlgorithm) -> bool {
        match alg {
            SignatureAlgorithm::Ecdsa { curve, hash } => {
                nist_curve(curve).is_some() && Sha::from_algorithm(hash).is_some()
            }
            SignatureAlgorithm::Ed25519 => true,
            SignatureAlgorithm::RsaPkcs1 { hash } | SignatureAlgorithm::RsaPss { hash } => {
                Sha::from_algorithm(hash).is_some()
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
        let valid = match alg {
            SignatureAlgorithm::Ecdsa { curve, hash } => {
                let nid = nist_curve(curve).ok_or(CryptoError::UnsupportedAlgorithm)?;
                let key = ec_public_key(nid, public_key)?;
                // OpenSSL insists on strict DER (it re-encodes and compares)
                // and truncates the digest to the curve size (FIPS 186).
                run(|| {
                    let mut v = Verifier::new(sha(hash)?.message_digest(), &key)?;
                    v.verify_oneshot(signature, message)
                })
            }
            SignatureAlgorithm::Ed25519 => {
                if public_key.len() != 32 {
                    return Err(CryptoError::InvalidKey);
                }
                let key = PKey::public_key_from_raw_bytes(public_key, Id::ED25519)
                    .map_err(|_| CryptoError::InvalidKey)?;
                if signature.len() != 64 {
                    return Err(CryptoError::Other);
                }
                run(|| Verifier::new_without_digest(&key)?.verify_oneshot(signature, message))
            }
            SignatureAlgorithm::RsaPkcs1 { hash } | SignatureAlgorithm::RsaPss { hash } => {
                let (key, modulus_len) = rsa_public_key(public_key)?;
                // RFC 8017 8.1.2 / 8.2.2 step 1: the signature is exactly
                // as long as the modulus.
                if signature.len() != modulus_len {
                    return Err(CryptoError::Other);
                }
                let pss = matches!(alg, SignatureAlgorithm::RsaPss { .. });
                run(|| {
                    let md = sha(hash)?.message_digest();
                    let mut v = Verifier::new(md, &key)?;
                    if pss {
                        v.set_rsa_padding(Padding::PKCS1_PSS)?;
                        // Exactly the hash length, MGF1 with the same hash.
                        v.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
                        v.set_rsa_mgf1_md(md)?;
                    } else {
                        v.set_rsa_padding(Padding::PKCS1)?;
                    }
                    v.verify_oneshot(signature, message)
                })
            }
        };
        if valid {
            Ok(())
        } else {
            Err(CryptoError::Other)
        }
    }
}

/// Runs an OpenSSL verification; an error (a malformed signature) is a
/// failed verification, not a different outcome.
fn run(f: impl FnOnce() -> Result<bool, ErrorStack>) -> bool {
    f().unwrap_or(false)
}

fn sha(hash: HashAlgorithm) -> Result<Sha, ErrorStack> {
    // `supports` has already ruled out other hashes.
    Sha::from_algorithm(hash).ok_or_else(ErrorStack::get)
}

/// An EC public key from a SEC1 point, checked to lie on the curve and not
/// be the point at infinity.
fn ec_public_key(nid: Nid, point: &[u8]) -> Result<PKey<Public>, CryptoError> {
    let key = (|| {
        let group = EcGroup::from_curve_name(nid)?;
        let mut ctx = BigNumContext::new()?;
        let point = EcPoint::from_bytes(&group, point, &mut ctx)?;
        let key = EcKey::from_public_key(&group, &point)?;
        key.check_key()?;
        PKey::from_ec_key(key)
    })();
    key.map_err(|_| CryptoError::InvalidKey)
}

/// Parses a DER RSAPublicKey (PKCS#1) and enforces the bounds the RustCrypto
/// backend enforces: 2048 to 8192 bits, an odd exponent in [3, 2^33).
/// Returns the key and the modulus length in bytes.
pub(crate) fn rsa_public_key(der: &[u8]) -> Result<(PKey<Public>, usize), CryptoError> {
    if !crate::der::is_one_sequence(der) {
        return Err(CryptoError::InvalidKey);
    }
    let rsa = Rsa::public_key_from_der_pkcs1(der).map_err(|_| CryptoError::InvalidKey)?;
    let bits = rsa.n().num_bits();
    if bits < RSA_MIN_BITS as i32 || bits > RSA_MAX_BITS as i32 {
        return Err(CryptoError::InvalidKey);
    }
    let e = rsa.e();
    if !e.is_bit_set(0) || e.num_bits() < 2 || e.num_bits() > 33 {
        return Err(CryptoError::InvalidKey);
    }
    let len = rsa.size() as usize;
    let key = PKey::from_rsa(rsa).map_err(|_| CryptoError::InvalidKey)?;
    Ok((key, len))
}
