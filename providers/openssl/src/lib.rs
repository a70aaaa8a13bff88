//! embertls crypto provider on the system OpenSSL 3, through the `openssl`
//! crate.
//!
//! Every primitive is OpenSSL's: `EVP_MD` hashes, HMAC and HKDF,
//! `EVP_CIPHER` AEADs working in place, `EVP_PKEY` key exchange, signing and
//! verification, and `RAND_bytes`. Key-exchange private keys are still
//! built from the bytes of the [`SecureRandom`] handed to
//! `KeyExchangeGroup::start`,
//! so scripted randomness reproduces key shares exactly as with the
//! RustCrypto backend.
#![forbid(unsafe_code)]

mod aead;
mod cbc;
mod der;
mod ffdh;
mod hash;
mod keys;
mod kx;
mod verify;

use std::sync::Arc;

use embertls::crypto::{
    Aead, Cbc, CryptoProvider, Hash, Hkdf, Hmac, KeyExchangeGroup, SecureRandom, TimeSource,
    Tls12Prf, UnixTime,
};
use embertls::error::CryptoError;

pub use ffdh::OpenSslFfdh;
use hash::Sha;
pub use keys::{OpenSslKeyLoader, OpenSslRsaKeyTransport};
pub use verify::OpenSslVerifier;

/// The provider with OpenSSL's random generator and the system clock.
pub fn provider() -> CryptoProvider {
    provider_with(Arc::new(OpenSslRandom), Some(Arc::new(SystemTimeSource)))
}

/// The provider with the caller's random source and clock. The random
/// source feeds key-exchange private keys; OpenSSL draws signature nonces
/// and salts from its own generator. Lists are in preference order.
pub fn provider_with(
    random: Arc<dyn SecureRandom>,
    time: Option<Arc<dyn TimeSource>>,
) -> CryptoProvider {
    // SHA-1 last, and only as a hash and HMAC: the record MAC of TLS 1.2
    // *_CBC_SHA suites. The verifier, HKDF and the PRF never see it.
    let shas = [Sha::Sha256, Sha::Sha384, Sha::Sha512, Sha::Sha1];
    let hashes: Vec<Arc<dyn Hash>> = shas
        .iter()
        .map(|&s| Arc::new(hash::OsslHash(s)) as Arc<dyn Hash>)
        .collect();
    let hmacs: Vec<Arc<dyn Hmac>> = shas
        .iter()
        .map(|&s| Arc::new(hash::OsslHmac(s)) as Arc<dyn Hmac>)
        .collect();
    let hkdfs: Vec<Arc<dyn Hkdf>> = shas[..3]
        .iter()
        .map(|&s| Arc::new(hash::OsslHkdf(s)) as Arc<dyn Hkdf>)
        .collect();
    // TLS 1.2 suites use only SHA-256 and SHA-384 for the PRF.
    let prfs: Vec<Arc<dyn Tls12Prf>> = vec![
        Arc::new(hash::prf(Sha::Sha256)),
        Arc::new(hash::prf(Sha::Sha384)),
    ];
    let aeads: Vec<Arc<dyn Aead>> = vec![
        Arc::new(aead::AES_128_GCM),
        Arc::new(aead::AES_256_GCM),
        Arc::new(aead::CHACHA20_POLY1305),
        Arc::new(aead::AES_128_CCM),
        Arc::new(aead::AES_256_CCM),
        Arc::new(aead::AES_128_CCM_8),
        Arc::new(aead::AES_256_CCM_8),
    ];
    let cbcs: Vec<Arc<dyn Cbc>> = vec![Arc::new(cbc::AES_128_CBC), Arc::new(cbc::AES_256_CBC)];
    let groups: Vec<Arc<dyn KeyExchangeGroup>> = vec![
        Arc::new(kx::X25519),
        Arc::new(kx::SECP256R1),
        Arc::new(kx::SECP384R1),
    ];
    CryptoProvider {
        name: "openssl",
        hashes,
        hmacs,
        hkdfs,
        prfs,
        aeads,
        cbcs,
        groups,
        ffdh: Some(Arc::new(OpenSslFfdh)),
        rsa_key_transport: Some(Arc::new(OpenSslRsaKeyTransport)),
        verifier: Arc::new(OpenSslVerifier),
        key_loader: Arc::new(OpenSslKeyLoader),
        random,
        time,
    }
}

/// OpenSSL's random generator (`RAND_bytes`, the public DRBG seeded from
/// the operating system).
#[derive(Debug, Default, Clone, Copy)]
pub struct OpenSslRandom;

impl SecureRandom for OpenSslRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
        // `RAND_bytes` takes an `int` length.
        for chunk in dest.chunks_mut(1 << 30) {
            openssl::rand::rand_bytes(chunk).map_err(|_| CryptoError::RandomFailed)?;
        }
        Ok(())
    }
}

/// Wall-clock time from `std::time::SystemTime`; `None` if the clock reads
/// before 1970.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemTimeSource;

impl TimeSource for SystemTimeSource {
    fn now(&self) -> Option<UnixTime> {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| UnixTime(d.as_secs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embertls::crypto::{AeadAlgorithm, CbcAlgorithm, SignatureAlgorithm};
    use embertls::msgs::enums::{HashAlgorithm, NamedGroup};

    #[test]
    fn provider_lists_in_preference_order() {
        let p = provider();
        assert_eq!(p.name, "openssl");
        let groups: Vec<_> = p.groups.iter().map(|g| g.group()).collect();
        assert_eq!(
            groups,
            [
                NamedGroup::X25519,
                NamedGroup::secp256r1,
                NamedGroup::secp384r1
            ]
        );
        let aeads: Vec<_> = p.aeads.iter().map(|a| a.algorithm()).collect();
        assert_eq!(
            aeads,
            [
                AeadAlgorithm::Aes128Gcm,
                AeadAlgorithm::Aes256Gcm,
                AeadAlgorithm::ChaCha20Poly1305,
                AeadAlgorithm::Aes128Ccm,
                AeadAlgorithm::Aes256Ccm,
                AeadAlgorithm::Aes128Ccm8,
                AeadAlgorithm::Aes256Ccm8,
            ]
        );
        for a in &p.aeads {
            let alg = a.algorithm();
            assert!(a.new_key(&[0u8; 32][..alg.key_len()]).is_ok(), "{alg:?}");
        }
        let cbcs: Vec<_> = p.cbcs.iter().map(|c| c.algorithm()).collect();
        assert_eq!(cbcs, [CbcAlgorithm::Aes128Cbc, CbcAlgorithm::Aes256Cbc]);
        // SHA-1: hash and HMAC for CBC record MACs, nothing else.
        assert_eq!(p.hash(HashAlgorithm::SHA1).unwrap().output_len(), 20);
        assert_eq!(p.hmac(HashAlgorithm::SHA1).unwrap().output_len(), 20);
        assert!(p.hkdf(HashAlgorithm::SHA1).is_none());
        assert!(p.prf(HashAlgorithm::SHA1).is_none());
        assert!(!p.verifier.supports(SignatureAlgorithm::RsaPkcs1 {
            hash: HashAlgorithm::SHA1
        }));
        assert!(p.ffdh.is_some() && p.rsa_key_transport.is_some());
        for group in [
            NamedGroup::FFDHE2048,
            NamedGroup::FFDHE3072,
            NamedGroup::FFDHE4096,
        ] {
            assert!(p.supports_group(group));
        }
        for alg in [
            HashAlgorithm::SHA256,
            HashAlgorithm::SHA384,
            HashAlgorithm::SHA512,
        ] {
            assert_eq!(p.hash(alg).unwrap().algorithm(), alg);
            assert_eq!(p.hmac(alg).unwrap().hash_algorithm(), alg);
            assert_eq!(
                p.hkdf(alg).unwrap().hash_len(),
                p.hash(alg).unwrap().output_len()
            );
        }
        assert!(p.prf(HashAlgorithm::SHA256).is_some());
        assert!(p.prf(HashAlgorithm::SHA384).is_some());
        assert!(p.time.as_ref().unwrap().now().unwrap().0 > 1_577_836_800);
        let mut big = vec![0u8; 100_000];
        p.random.fill(&mut big).unwrap();
        assert!(big.iter().any(|&b| b != 0));
    }
}
