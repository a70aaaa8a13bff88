//! Signature verification with public keys from certificates.

use aws_lc_rs::signature::{self as sig, ParsedPublicKey, VerificationAlgorithm};
use embertls::crypto::{SignatureAlgorithm, SignatureVerifier};
use embertls::error::CryptoError;
use embertls::msgs::enums::{HashAlgorithm, NamedGroup};

use crate::der;

/// Smallest RSA modulus accepted, in bits (CA/Browser Forum minimum).
pub(crate) const RSA_MIN_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits; bounds the cost a peer can impose.
pub(crate) const RSA_MAX_BITS: usize = 8192;

/// Verifies ECDSA (P-256/P-384 with SHA-256/384/512, DER signatures),
/// Ed25519 (refusing small-order keys and R values, like RustCrypto's
/// strict check), and RSA PKCS#1 v1.5 and PSS (SHA-256/384/512; PSS with
/// salt = hash length and MGF1 over the same hash) signatures.
///
/// A public key that does not parse, is not in the raw form the core hands
/// over, or is an RSA key outside 2048..=8192 bits is `InvalidKey`; a
/// signature that does not verify is `Other`.
#[derive(Debug, Default, Clone, Copy)]
pub struct AwsLcVerifier;

/// The aws-lc-rs algorithm for `alg`, if supported.
fn algorithm(alg: SignatureAlgorithm) -> Option<&'static dyn VerificationAlgorithm> {
    use HashAlgorithm as H;
    Some(match alg {
        SignatureAlgorithm::Ecdsa { curve, hash } => match (curve, hash) {
            (NamedGroup::secp256r1, H::SHA256) => &sig::ECDSA_P256_SHA256_ASN1,
            (NamedGroup::secp256r1, H::SHA384) => &sig::ECDSA_P256_SHA384_ASN1,
            (NamedGroup::secp256r1, H::SHA512) => &sig::ECDSA_P256_SHA512_ASN1,
            (NamedGroup::secp384r1, H::SHA256) => &sig::ECDSA_P384_SHA256_ASN1,
            (NamedGroup::secp384r1, H::SHA384) => &sig::ECDSA_P384_SHA384_ASN1,
            (NamedGroup::secp384r1, H::SHA512) => &sig::ECDSA_P384_SHA512_ASN1,
            _ => return None,
        },
        SignatureAlgorithm::Ed25519 => &sig::ED25519,
        SignatureAlgorithm::RsaPkcs1 { hash } => match hash {
            H::SHA256 => &sig::RSA_PKCS1_2048_8192_SHA256,
            H::SHA384 => &sig::RSA_PKCS1_2048_8192_SHA384,
            H::SHA512 => &sig::RSA_PKCS1_2048_8192_SHA512,
            _ => return None,
        },
        SignatureAlgorithm::RsaPss { hash } => match hash {
            H::SHA256 => &sig::RSA_PSS_2048_8192_SHA256,
            H::SHA384 => &sig::RSA_PSS_2048_8192_SHA384,
            H::SHA512 => &sig::RSA_PSS_2048_8192_SHA512,
            _ => return None,
        },
    })
}

impl SignatureVerifier for AwsLcVerifier {
    fn supports(&self, alg: SignatureAlgorithm) -> bool {
        algorithm(alg).is_some()
    }

    fn verify(
        &self,
        alg: SignatureAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        let lc_alg = algorithm(alg).ok_or(CryptoError::UnsupportedAlgorithm)?;
        // aws-lc-rs also accepts whole SubjectPublicKeyInfo structures; the
        // contract is the raw subjectPublicKey bits, so check the shape.
        let raw_form = match alg {
            // A SEC1 point (compressed forms are legal in certificates).
            SignatureAlgorithm::Ecdsa { .. } => {
                matches!(public_key.first(), Some(0x02..=0x04))
            }
            SignatureAlgorithm::Ed25519 => public_key.len() == 32,
            SignatureAlgorithm::RsaPkcs1 { .. } | SignatureAlgorithm::RsaPss { .. } => {
                let bits = rsa_modulus_bits(public_key).ok_or(CryptoError::InvalidKey)?;
                (RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits)
            }
        };
        if !raw_form {
            return Err(CryptoError::InvalidKey);
        }
        // Checks the EC point is on the curve and the RSA key is sane.
        let key = ParsedPublicKey::new(lc_alg, public_key).map_err(|_| CryptoError::InvalidKey)?;
        if alg == SignatureAlgorithm::Ed25519
            && (is_small_order_ed25519(public_key)
                || signature.get(..32).is_some_and(is_small_order_ed25519))
        {
            // AWS-LC's check is RFC 8032's and accepts these; refuse them
            // as RustCrypto's `verify_strict` does, so both backends agree.
            return Err(CryptoError::Other);
        }
        key.verify_sig(message, signature)
            .map_err(|_| CryptoError::Other)
    }
}

/// The y-coordinates (little-endian, sign bit clear) of the Edwards25519
/// points of small order, including the non-canonical encodings p and p+1
/// of 0 and 1. With the sign bit these cover all eight torsion points.
const SMALL_ORDER_Y: [[u8; 32]; 7] = [
    // 0: order 4.
    [0; 32],
    // 1: the identity.
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    // p - 1: order 2.
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // p (= 0, non-canonical).
    [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // p + 1 (= 1, non-canonical).
    [
        0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // Order 8.
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    // Order 8.
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
];

/// Whether a 32-byte Edwards25519 point encoding is a point of small
/// order (one of the eight torsion points), whatever its sign bit.
fn is_small_order_ed25519(encoding: &[u8]) -> bool {
    let Ok(encoding) = <&[u8; 32]>::try_from(encoding) else {
        return false;
    };
    SMALL_ORDER_Y
        .iter()
        .any(|y| y[..31] == encoding[..31] && y[31] == encoding[31] & 0x7f)
}

/// The size in bits of the modulus of a DER RSAPublicKey (PKCS#1), or
/// `None` if it is not one.
pub(crate) fn rsa_modulus_bits(der: &[u8]) -> Option<usize> {
    let mut key = der::Reader::new(der::single(der, der::TAG_SEQUENCE)?);
    let modulus = key.read(der::TAG_INTEGER)?;
    key.read(der::TAG_INTEGER)?;
    if !key.is_empty() {
        return None;
    }
    // A positive INTEGER has one leading zero at most, before a high bit.
    let modulus = match modulus {
        [0, rest @ ..] if rest.first().is_some_and(|b| b & 0x80 != 0) => rest,
        [first, ..] if first & 0x80 == 0 && *first != 0 => modulus,
        _ => return None,
    };
    Some(modulus.len() * 8 - modulus[0].leading_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{data, spki_bits};
    use embertls::msgs::enums::SignatureScheme;
    use hex_literal::hex;

    fn ecdsa(curve: NamedGroup, hash: HashAlgorithm) -> SignatureAlgorithm {
        SignatureAlgorithm::Ecdsa { curve, hash }
    }

    fn msg() -> Vec<u8> {
        data("msg.bin")
    }

    /// Signatures made by the openssl command line verify.
    #[test]
    fn openssl_signatures_verify() {
        let v = AwsLcVerifier;
        let mut all = vec![
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
        let msg = msg();
        for (key, sig, alg) in all {
            let public = spki_bits(&data(&format!("{key}.spki.der")));
            let sig = data(sig);
            assert!(v.supports(alg));
            assert_eq!(v.verify(alg, &public, &msg, &sig), Ok(()), "{key} {alg:?}");
            // Tampered message and signature fail.
            assert_eq!(
                v.verify(alg, &public, b"other message", &sig),
                Err(CryptoError::Other)
            );
            let mut bad = sig.clone();
            let last = bad.len() - 1;
            bad[last] ^= 0x01;
            assert!(v.verify(alg, &public, &msg, &bad).is_err(), "{key} {alg:?}");
            // The whole SubjectPublicKeyInfo is not the raw key.
            assert_eq!(
                v.verify(alg, &data(&format!("{key}.spki.der")), &msg, &sig),
                Err(CryptoError::InvalidKey),
                "{key} {alg:?}"
            );
        }
    }

    #[test]
    fn wrong_hash_or_padding_fails() {
        let v = AwsLcVerifier;
        let msg = msg();
        let rsa = spki_bits(&data("rsa2048.spki.der"));
        let pss256 = data("rsa-pss-sha256.sig");
        let alg = SignatureAlgorithm::RsaPss {
            hash: HashAlgorithm::SHA384,
        };
        assert!(v.verify(alg, &rsa, &msg, &pss256).is_err());
        let alg = SignatureAlgorithm::RsaPkcs1 {
            hash: HashAlgorithm::SHA256,
        };
        assert!(v.verify(alg, &rsa, &msg, &pss256).is_err());
        let p256 = spki_bits(&data("p256.spki.der"));
        let sig = data("p256-sha256.sig");
        let alg = ecdsa(NamedGroup::secp256r1, HashAlgorithm::SHA384);
        assert!(v.verify(alg, &p256, &msg, &sig).is_err());
        // A P-256 key presented as P-384.
        let alg = ecdsa(NamedGroup::secp384r1, HashAlgorithm::SHA256);
        assert_eq!(
            v.verify(alg, &p256, &msg, &sig),
            Err(CryptoError::InvalidKey)
        );
    }

    /// RFC 8032 section 7.1, tests 1 (empty message) and 2 (one byte).
    #[test]
    fn ed25519_rfc8032_tests_1_and_2() {
        let v = AwsLcVerifier;
        let public = hex!("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let sig = hex!(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
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
        let public = hex!("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
        let sig = hex!(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        );
        assert_eq!(
            v.verify(SignatureAlgorithm::Ed25519, &public, &[0x72], &sig),
            Ok(())
        );
    }

    /// An Ed25519 signature whose S is not reduced (S + L) is refused.
    #[test]
    fn ed25519_rejects_non_canonical_s() {
        let v = AwsLcVerifier;
        let public = hex!("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let mut sig = hex!(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
        let l = hex!("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
        let mut carry = 0u16;
        for (s, l) in sig[32..].iter_mut().zip(l) {
            let sum = u16::from(*s) + u16::from(l) + carry;
            *s = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(
            v.verify(SignatureAlgorithm::Ed25519, &public, b"", &sig),
            Err(CryptoError::Other)
        );
    }

    /// Small-order keys and R values pass RFC 8032's equation for chosen
    /// messages; they are refused, as RustCrypto's strict check does.
    #[test]
    fn ed25519_rejects_small_order_key_and_r() {
        let v = AwsLcVerifier;
        // Identity key, R = identity, S = 0: "valid" for every message.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut sig = [0u8; 64];
        sig[0] = 1;
        assert_eq!(
            v.verify(SignatureAlgorithm::Ed25519, &identity, b"anything", &sig),
            Err(CryptoError::Other)
        );
        // Every small-order encoding, with either sign bit.
        for y in SMALL_ORDER_Y {
            let mut signed = y;
            signed[31] |= 0x80;
            assert!(is_small_order_ed25519(&y));
            assert!(is_small_order_ed25519(&signed));
        }
        // An honest key and R are not.
        let public = hex!("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assert!(!is_small_order_ed25519(&public));
        assert!(!is_small_order_ed25519(&public[..31]));
        // A small-order R with an honest key is refused before AWS-LC.
        let mut sig = hex!(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        sig[..32].copy_from_slice(&SMALL_ORDER_Y[5]);
        assert_eq!(
            v.verify(SignatureAlgorithm::Ed25519, &public, b"", &sig),
            Err(CryptoError::Other)
        );
    }

    #[test]
    fn rsa_key_size_bounds() {
        let v = AwsLcVerifier;
        let msg = msg();
        let small = spki_bits(&data("rsa1024.spki.der"));
        assert_eq!(rsa_modulus_bits(&small), Some(1024));
        let alg = SignatureAlgorithm::RsaPss {
            hash: HashAlgorithm::SHA256,
        };
        assert_eq!(
            v.verify(alg, &small, &msg, &[0u8; 128]),
            Err(CryptoError::InvalidKey)
        );
        assert_eq!(
            rsa_modulus_bits(&spki_bits(&data("rsa2048.spki.der"))),
            Some(2048)
        );
        assert_eq!(rsa_modulus_bits(b"\x30\x03\x02\x01\x01"), None);
        assert_eq!(
            v.verify(alg, b"\x30\x06\x02\x01\x01\x02\x01\x03", &msg, &[0u8; 4]),
            Err(CryptoError::InvalidKey)
        );
        // A 9000-bit modulus is refused before any arithmetic.
        let mut modulus = vec![0xffu8; 1125];
        modulus[0] = 0xc1;
        let der = rsa_public_key_der(&modulus, &[1, 0, 1]);
        assert_eq!(rsa_modulus_bits(&der), Some(9000));
        assert_eq!(
            v.verify(alg, &der, &msg, &[0u8; 1125]),
            Err(CryptoError::InvalidKey)
        );
        // 2048 bits by length, but an even modulus: AWS-LC refuses the key.
        let mut even = vec![0xffu8; 256];
        even[255] = 0xfe;
        let der = rsa_public_key_der(&even, &[1, 0, 1]);
        assert_eq!(rsa_modulus_bits(&der), Some(2048));
        assert_eq!(
            v.verify(alg, &der, &msg, &[0u8; 256]),
            Err(CryptoError::InvalidKey)
        );
    }

    /// DER RSAPublicKey with big-endian unsigned `n` and `e`.
    fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
        fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
            let mut out = vec![tag];
            let len = contents.len();
            if len < 0x80 {
                out.push(len as u8);
            } else if len < 0x100 {
                out.extend_from_slice(&[0x81, len as u8]);
            } else {
                out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
            }
            out.extend_from_slice(contents);
            out
        }
        let int = |v: &[u8]| {
            let mut c = Vec::new();
            if v[0] & 0x80 != 0 {
                c.push(0);
            }
            c.extend_from_slice(v);
            tlv(der::TAG_INTEGER, &c)
        };
        tlv(der::TAG_SEQUENCE, &[int(n), int(e)].concat())
    }

    #[test]
    fn rsa_modulus_bits_rejects_non_minimal_integers() {
        assert_eq!(
            rsa_modulus_bits(&hex!("3008 0202 0001 0202 0101")),
            None,
            "leading zero without a high bit after it"
        );
        assert_eq!(rsa_modulus_bits(&hex!("3007 0201 00 0202 0101")), None);
        assert_eq!(rsa_modulus_bits(&hex!("3007 0202 0080 0201 03")), Some(8));
        assert_eq!(rsa_modulus_bits(&hex!("3006 0201 81 0201 03")), None);
        assert_eq!(rsa_modulus_bits(&hex!("3006 0201 05 0201 03 00")), None);
    }

    #[test]
    fn invalid_ec_keys_are_invalid_key() {
        let v = AwsLcVerifier;
        let msg = msg();
        let sig = data("p256-sha256.sig");
        let alg = ecdsa(NamedGroup::secp256r1, HashAlgorithm::SHA256);
        let mut key = spki_bits(&data("p256.spki.der"));
        key[64] ^= 1;
        assert_eq!(
            v.verify(alg, &key, &msg, &sig),
            Err(CryptoError::InvalidKey)
        );
        assert_eq!(
            v.verify(alg, &[4], &msg, &sig),
            Err(CryptoError::InvalidKey)
        );
        assert_eq!(v.verify(alg, &[], &msg, &sig), Err(CryptoError::InvalidKey));
    }

    /// The compressed form of the same key verifies too: certificates may
    /// carry it.
    #[test]
    fn compressed_ec_key_verifies() {
        let v = AwsLcVerifier;
        let msg = msg();
        let key = spki_bits(&data("p256.spki.der"));
        let mut compressed = vec![0x02 | (key[64] & 1)];
        compressed.extend_from_slice(&key[1..33]);
        let alg = ecdsa(NamedGroup::secp256r1, HashAlgorithm::SHA256);
        assert_eq!(
            v.verify(alg, &compressed, &msg, &data("p256-sha256.sig")),
            Ok(())
        );
    }

    /// ECDSA signatures must be strict DER: a padded integer is refused.
    #[test]
    fn ecdsa_rejects_non_der_signature() {
        let v = AwsLcVerifier;
        let msg = msg();
        let key = spki_bits(&data("p256.spki.der"));
        let sig = data("p256-sha256.sig");
        let alg = ecdsa(NamedGroup::secp256r1, HashAlgorithm::SHA256);
        // Re-encode with a long-form SEQUENCE length (BER, not DER).
        let mut ber = vec![0x30, 0x81, sig[1]];
        ber.extend_from_slice(&sig[2..]);
        assert_eq!(v.verify(alg, &key, &msg, &ber), Err(CryptoError::Other));
        let mut trailing = sig.clone();
        trailing.push(0);
        assert_eq!(
            v.verify(alg, &key, &msg, &trailing),
            Err(CryptoError::Other)
        );
    }

    #[test]
    fn unsupported_algorithms() {
        let v = AwsLcVerifier;
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
        assert!(!v.supports(ecdsa(NamedGroup::secp256r1, HashAlgorithm::SHA1)));
        for curve in [NamedGroup::secp256r1, NamedGroup::secp384r1] {
            for hash in [
                HashAlgorithm::SHA256,
                HashAlgorithm::SHA384,
                HashAlgorithm::SHA512,
            ] {
                assert!(v.supports(ecdsa(curve, hash)));
            }
        }
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
