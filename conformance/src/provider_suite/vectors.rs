//! Signatures made once by the openssl command line (`testdata/vectors`,
//! see its README), and the key loader on the same keys.

use embertls::crypto::{CryptoProvider, KeyType, SignatureAlgorithm};
use embertls::error::CryptoError;
use embertls::msgs::enums::{NamedGroup, SignatureScheme};

use super::{ecdsa, hex, vector_file, SHA2};

/// Every (public key file, signature file, algorithm) in the vector set
/// whose key is acceptable (the 1024-bit RSA key is in [`super::edge`]).
pub fn signature_vector_list() -> Vec<(&'static str, String, SignatureAlgorithm)> {
    let mut all = Vec::new();
    for (name, curve) in [
        ("p256", NamedGroup::secp256r1),
        ("p384", NamedGroup::secp384r1),
    ] {
        for (hash, label) in SHA2.into_iter().zip(["sha256", "sha384", "sha512"]) {
            all.push((name, format!("{name}-{label}.sig"), ecdsa(curve, hash)));
        }
    }
    all.push((
        "ed25519",
        "ed25519.sig".to_string(),
        SignatureAlgorithm::Ed25519,
    ));
    for name in ["rsa2048", "rsa4096"] {
        for (hash, label) in SHA2.into_iter().zip(["sha256", "sha384", "sha512"]) {
            all.push((
                name,
                format!("{name}-pkcs1-{label}.sig"),
                SignatureAlgorithm::RsaPkcs1 { hash },
            ));
            all.push((
                name,
                format!("{name}-pss-{label}.sig"),
                SignatureAlgorithm::RsaPss { hash },
            ));
        }
    }
    all
}

/// Each openssl-made signature verifies; the same signature over another
/// message, or with a bit flipped anywhere, does not.
pub fn signature_vectors(p: &CryptoProvider) -> usize {
    let message = vector_file("msg.bin");
    let list = signature_vector_list();
    for (key, sig_file, alg) in &list {
        let public = vector_file(&format!("{key}.pub"));
        let sig = vector_file(sig_file);
        assert!(
            p.verifier.supports(*alg),
            "[{}] does not support {alg:?}",
            p.name
        );
        assert_eq!(
            p.verifier.verify(*alg, &public, &message, &sig),
            Ok(()),
            "[{}] {sig_file} ({alg:?}) must verify",
            p.name
        );
        assert!(
            p.verifier
                .verify(*alg, &public, b"another message", &sig)
                .is_err(),
            "[{}] {sig_file} verified over another message",
            p.name
        );
        for i in [0, sig.len() / 2, sig.len() - 1] {
            let mut bad = sig.clone();
            bad[i] ^= 0x01;
            assert!(
                p.verifier.verify(*alg, &public, &message, &bad).is_err(),
                "[{}] {sig_file} with byte {i} flipped verified",
                p.name
            );
        }
    }
    list.len()
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

/// Every private-key file of the vector set, its public key and its type.
pub fn private_key_files() -> Vec<(String, &'static str, KeyType)> {
    let mut files = Vec::new();
    for (name, key_type) in [("p256", KeyType::EcdsaP256), ("p384", KeyType::EcdsaP384)] {
        files.push((format!("{name}.pk8.der"), name, key_type));
        files.push((format!("{name}.sec1.der"), name, key_type));
    }
    files.push(("ed25519.pk8.der".to_string(), "ed25519", KeyType::Ed25519));
    for name in ["rsa2048", "rsa4096"] {
        files.push((format!("{name}.pk8.der"), name, KeyType::Rsa));
        files.push((format!("{name}.pkcs1.der"), name, KeyType::Rsa));
    }
    files
}

/// Every key file loads (PKCS#8, SEC1, PKCS#1) with the right type, signs
/// every scheme its type allows so that the provider's own verifier accepts
/// the signature under the file's public key, and refuses every other
/// scheme with `UnsupportedAlgorithm`. Returns the signatures made.
pub fn key_loader_formats(p: &CryptoProvider) -> usize {
    let message = b"TLS 1.3, server CertificateVerify\x00transcript hash";
    let mut signed = 0;
    for (file, public, key_type) in private_key_files() {
        let key = p
            .key_loader
            .load_private_key(&vector_file(&file))
            .unwrap_or_else(|e| panic!("[{}] {file}: {e:?}", p.name));
        assert_eq!(key.key_type(), key_type, "[{}] {file}", p.name);
        let public = vector_file(&format!("{public}.pub"));
        for scheme in ALL_SCHEMES {
            let alg = SignatureAlgorithm::from_scheme(scheme).unwrap();
            if alg.key_type() != key_type {
                assert_eq!(
                    key.sign(scheme, message),
                    Err(CryptoError::UnsupportedAlgorithm),
                    "[{}] {file} must refuse {scheme:?}",
                    p.name
                );
                continue;
            }
            let sig = key
                .sign(scheme, message)
                .unwrap_or_else(|e| panic!("[{}] {file} {scheme:?}: {e:?}", p.name));
            assert_eq!(
                p.verifier.verify(alg, &public, message, &sig),
                Ok(()),
                "[{}] {file} {scheme:?} does not verify",
                p.name
            );
            signed += 1;
        }
        for scheme in [
            SignatureScheme::RSA_PSS_PSS_SHA256,
            SignatureScheme::ECDSA_NISTP521_SHA512,
            SignatureScheme::ED448,
        ] {
            assert_eq!(
                key.sign(scheme, message),
                Err(CryptoError::UnsupportedAlgorithm),
                "[{}] {file} must refuse {scheme:?}",
                p.name
            );
        }
    }
    signed
}

/// Keys the loader must refuse, and the SEC1 form without curve
/// parameters that it must accept.
pub fn key_loader_refusals(p: &CryptoProvider) {
    let load = |der: &[u8]| p.key_loader.load_private_key(der).map(|k| k.key_type());
    let name = p.name;
    for file in ["rsa1024.pk8.der", "rsa1024.pkcs1.der"] {
        assert_eq!(
            load(&vector_file(file)),
            Err(CryptoError::InvalidKey),
            "[{name}] {file}: RSA under 2048 bits"
        );
    }
    assert_eq!(load(b""), Err(CryptoError::InvalidKey), "[{name}] empty");
    assert_eq!(
        load(&[0x30, 0x03, 0x02, 0x01, 0x00]),
        Err(CryptoError::InvalidKey),
        "[{name}] junk"
    );
    let mut truncated = vector_file("rsa2048.pk8.der");
    truncated.truncate(600);
    assert_eq!(
        load(&truncated),
        Err(CryptoError::InvalidKey),
        "[{name}] truncated"
    );
    for file in [
        "p256.pk8.der",
        "p256.sec1.der",
        "ed25519.pk8.der",
        "rsa2048.pkcs1.der",
    ] {
        let mut trailing = vector_file(file);
        trailing.push(0);
        assert_eq!(
            load(&trailing),
            Err(CryptoError::InvalidKey),
            "[{name}] {file} + trailing byte"
        );
    }
    assert_eq!(
        load(&vector_file("p256.pub")),
        Err(CryptoError::InvalidKey),
        "[{name}] a public key"
    );
    // X25519 (1.3.101.110) in PKCS#8 is a key, but not a signing key.
    let mut x25519 = hex("302e020100300506032b656e04220420");
    x25519.extend_from_slice(&[1u8; 32]);
    assert_eq!(
        load(&x25519),
        Err(CryptoError::UnsupportedAlgorithm),
        "[{name}] X25519"
    );
    // SEC1 with no curve parameters: the scalar length names the curve.
    let mut p256 = hex("3025020101 0420");
    p256.extend_from_slice(&[0x5a; 32]);
    assert_eq!(
        load(&p256),
        Ok(KeyType::EcdsaP256),
        "[{name}] SEC1 P-256 without parameters"
    );
    let mut p384 = hex("3035020101 0430");
    p384.extend_from_slice(&[0x5a; 48]);
    assert_eq!(
        load(&p384),
        Ok(KeyType::EcdsaP384),
        "[{name}] SEC1 P-384 without parameters"
    );
    // A zero scalar is no key.
    let mut zero = hex("3025020101 0420");
    zero.extend_from_slice(&[0u8; 32]);
    assert_eq!(
        load(&zero),
        Err(CryptoError::InvalidKey),
        "[{name}] zero P-256 scalar"
    );
}
