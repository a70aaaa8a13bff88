//! embertls crypto provider built on AWS-LC through `aws-lc-rs`.
//!
//! The accelerated backend: AES-GCM with AES-NI/VAES/AVX-512, assembly
//! P-256 and P-384, SHA-2 with SHA extensions, all selected by AWS-LC at
//! run time from the CPU's features. Needs `std` (AWS-LC is a C library
//! with its own allocator and threads), so this is the backend for servers
//! and desktops; `embertls-rustcrypto` serves `no_std` devices.
//!
//! The public surface mirrors `embertls-rustcrypto`: [`provider`],
//! [`provider_with`], and the key loader and verifier types. Session tickets
//! use the core's `embertls::session::RotatingTicketer` over this provider.
//!
//! Most of the provider is safe code over aws-lc-rs. What aws-lc-rs does not
//! wrap (AES-CCM, AES-CBC without padding, bignum exponentiation for
//! finite-field DH) calls AWS-LC through `aws-lc-sys` in three small
//! modules (`ccm`, `cbc`, `ffdh`) that opt back into `unsafe`; every unsafe
//! block there states why it is sound.
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod aead;
mod cbc;
mod ccm;
mod der;
mod ffdh;
mod hash;
mod keys;
mod kx;
mod rsa;
mod verify;

use std::sync::Arc;

use embertls::crypto::{
    Aead, Cbc, CryptoProvider, Hash, Hkdf, Hmac, SecureRandom, TimeSource, Tls12Prf, UnixTime,
};
use embertls::error::CryptoError;

pub use ffdh::AwsLcFfdh;
pub use keys::AwsLcKeyLoader;
pub use rsa::AwsLcRsaKeyTransport;
pub use verify::AwsLcVerifier;

/// The provider with AWS-LC's random generator and the system clock.
pub fn provider() -> CryptoProvider {
    provider_with(Arc::new(AwsLcRandom), Some(Arc::new(SystemTimeSource)))
}

/// The provider with the caller's random source and clock. Key-exchange
/// private keys are drawn from `random`, so a scripted source gives
/// reproducible handshakes. Lists are in preference order, the same as
/// `embertls-rustcrypto`'s.
pub fn provider_with(
    random: Arc<dyn SecureRandom>,
    time: Option<Arc<dyn TimeSource>>,
) -> CryptoProvider {
    let hashes: Vec<Arc<dyn Hash>> = vec![
        Arc::new(hash::SHA256),
        Arc::new(hash::SHA384),
        Arc::new(hash::SHA512),
        // Only for TLS 1.2 *_CBC_SHA record MACs.
        Arc::new(hash::SHA1),
    ];
    let hmacs: Vec<Arc<dyn Hmac>> = vec![
        Arc::new(hash::HMAC_SHA256),
        Arc::new(hash::HMAC_SHA384),
        Arc::new(hash::HMAC_SHA512),
        Arc::new(hash::HMAC_SHA1),
    ];
    let hkdfs: Vec<Arc<dyn Hkdf>> = vec![
        Arc::new(hash::HKDF_SHA256),
        Arc::new(hash::HKDF_SHA384),
        Arc::new(hash::HKDF_SHA512),
    ];
    // TLS 1.2 suites use only SHA-256 and SHA-384 for the PRF.
    let prfs: Vec<Arc<dyn Tls12Prf>> = vec![
        Arc::new(hash::prf(hash::HMAC_SHA256)),
        Arc::new(hash::prf(hash::HMAC_SHA384)),
    ];
    let aeads: Vec<Arc<dyn Aead>> = vec![
        Arc::new(aead::AES_128_GCM),
        Arc::new(aead::AES_256_GCM),
        Arc::new(aead::CHACHA20_POLY1305),
        Arc::new(ccm::AES_128_CCM),
        Arc::new(ccm::AES_256_CCM),
        Arc::new(ccm::AES_128_CCM_8),
        Arc::new(ccm::AES_256_CCM_8),
    ];
    let cbcs: Vec<Arc<dyn Cbc>> = vec![Arc::new(cbc::AES_128_CBC), Arc::new(cbc::AES_256_CBC)];
    CryptoProvider {
        name: "aws-lc",
        hashes,
        hmacs,
        hkdfs,
        prfs,
        aeads,
        cbcs,
        ffdh: Some(Arc::new(AwsLcFfdh)),
        rsa_key_transport: Some(Arc::new(AwsLcRsaKeyTransport)),
        groups: vec![
            Arc::new(kx::X25519),
            Arc::new(kx::SECP256R1),
            Arc::new(kx::SECP384R1),
        ],
        verifier: Arc::new(AwsLcVerifier),
        key_loader: Arc::new(AwsLcKeyLoader),
        random,
        time,
    }
}

/// AWS-LC's random generator (a CTR-DRBG seeded from the OS, reseeded on
/// fork), through `aws_lc_rs::rand::SystemRandom`.
#[derive(Debug, Default, Clone, Copy)]
pub struct AwsLcRandom;

impl SecureRandom for AwsLcRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
        aws_lc_rs::rand::fill(dest).map_err(|_| CryptoError::RandomFailed)
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
mod testutil {
    use std::sync::Mutex;

    use embertls::crypto::SecureRandom;
    use embertls::error::CryptoError;

    /// Hands out exactly the scripted bytes, then fails.
    pub struct Scripted(Mutex<Vec<u8>>);

    impl Scripted {
        pub fn new(bytes: &[u8]) -> Self {
            Self(Mutex::new(bytes.to_vec()))
        }

        pub fn remaining(&self) -> usize {
            self.0.lock().unwrap().len()
        }
    }

    impl SecureRandom for Scripted {
        fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
            let mut queue = self.0.lock().unwrap();
            if queue.len() < dest.len() {
                return Err(CryptoError::RandomFailed);
            }
            dest.copy_from_slice(&queue[..dest.len()]);
            queue.drain(..dest.len());
            Ok(())
        }
    }

    /// An endless, reproducible stream: SHA-256 of a counter.
    #[derive(Default)]
    pub struct Counter(Mutex<u64>);

    impl SecureRandom for Counter {
        fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
            let mut n = self.0.lock().unwrap();
            for chunk in dest.chunks_mut(32) {
                *n += 1;
                let block = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &n.to_be_bytes());
                chunk.copy_from_slice(&block.as_ref()[..chunk.len()]);
            }
            Ok(())
        }
    }

    /// A file from tests/data.
    pub fn data(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The DER inside a PEM private-key file of the shared test PKI
    /// (conformance/testdata).
    pub fn test_key(name: &str) -> Vec<u8> {
        use rustls_pki_types::pem::PemObject;
        let path = format!(
            "{}/../../conformance/testdata/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let pem = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        rustls_pki_types::PrivateKeyDer::from_pem_slice(&pem)
            .unwrap_or_else(|e| panic!("{path}: {e:?}"))
            .secret_der()
            .to_vec()
    }

    /// The subjectPublicKey bits of a DER SubjectPublicKeyInfo, which is
    /// what the verifier takes.
    pub fn spki_bits(spki: &[u8]) -> Vec<u8> {
        crate::der::spki_bits(spki).expect("SPKI").to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embertls::crypto::{AeadAlgorithm, CbcAlgorithm};
    use embertls::msgs::enums::{HashAlgorithm, NamedGroup};

    fn check(p: &CryptoProvider) {
        assert_eq!(p.name, "aws-lc");
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
        let cbcs: Vec<_> = p.cbcs.iter().map(|c| c.algorithm()).collect();
        assert_eq!(cbcs, [CbcAlgorithm::Aes128Cbc, CbcAlgorithm::Aes256Cbc]);
        assert!(p.ffdh.is_some());
        assert!(p.rsa_key_transport.is_some());
        for group in [
            NamedGroup::FFDHE2048,
            NamedGroup::FFDHE3072,
            NamedGroup::FFDHE4096,
        ] {
            assert!(p.supports_group(group));
        }
        let hashes: Vec<_> = p.hashes.iter().map(|h| h.algorithm()).collect();
        let sha2 = [
            HashAlgorithm::SHA256,
            HashAlgorithm::SHA384,
            HashAlgorithm::SHA512,
        ];
        assert_eq!(hashes, [&sha2[..], &[HashAlgorithm::SHA1]].concat());
        assert_eq!(p.hmac(HashAlgorithm::SHA1).unwrap().output_len(), 20);
        assert!(p.hkdf(HashAlgorithm::SHA1).is_none());
        assert!(p.prf(HashAlgorithm::SHA1).is_none());
        for alg in sha2 {
            assert_eq!(p.hmac(alg).unwrap().hash_algorithm(), alg);
            assert_eq!(p.hkdf(alg).unwrap().hash_algorithm(), alg);
            assert_eq!(
                p.hash(alg).unwrap().output_len(),
                p.hkdf(alg).unwrap().hash_len()
            );
            assert_eq!(
                p.hash(alg).unwrap().output_len(),
                p.hmac(alg).unwrap().output_len()
            );
        }
        assert_eq!(
            p.prf(HashAlgorithm::SHA256).unwrap().hash_algorithm(),
            HashAlgorithm::SHA256
        );
        assert_eq!(
            p.prf(HashAlgorithm::SHA384).unwrap().hash_algorithm(),
            HashAlgorithm::SHA384
        );
    }

    #[test]
    fn provider_with_lists_in_preference_order() {
        let p = provider_with(Arc::new(testutil::Counter::default()), None);
        check(&p);
        assert!(p.time.is_none());
    }

    #[test]
    fn std_provider_has_randomness_and_time() {
        let p = provider();
        check(&p);
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        p.random.fill(&mut a).unwrap();
        p.random.fill(&mut b).unwrap();
        assert_ne!(a, b);
        // After 2020-01-01.
        assert!(p.time.as_ref().unwrap().now().unwrap().0 > 1_577_836_800);
        // A full key exchange through the provider's own parts.
        for group in &p.groups {
            let x = group.start(&*p.random).unwrap();
            let y = group.start(&*p.random).unwrap();
            let x_pub = x.public_key().to_vec();
            let y_pub = y.public_key().to_vec();
            assert_eq!(
                x.complete(&y_pub).unwrap().as_ref(),
                y.complete(&x_pub).unwrap().as_ref()
            );
        }
    }
}
