//! embertls crypto provider built on the pure-Rust RustCrypto crates.
//!
//! `no_std` + `alloc`. With the `std` feature, [`provider`] uses the OS
//! random source and the system clock; without it, [`provider_with`] takes
//! both from the caller (a hardware RNG, an RTC).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

mod aead;
mod cbc;
mod ffdh;
mod hash;
mod keys;
mod kx;
mod verify;

use alloc::sync::Arc;
use alloc::vec;

#[cfg(feature = "std")]
use embertls::crypto::UnixTime;
use embertls::crypto::{
    Aead, Cbc, CryptoProvider, Hash, Hkdf, Hmac, SecureRandom, TimeSource, Tls12Prf,
};
#[cfg(feature = "std")]
use embertls::error::CryptoError;
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

pub use ffdh::RustCryptoFfdh;
pub use keys::{RustCryptoKeyLoader, RustCryptoRsaKeyTransport};
pub use verify::RustCryptoVerifier;

/// The provider with OS randomness and the system clock.
#[cfg(feature = "std")]
pub fn provider() -> CryptoProvider {
    provider_with(Arc::new(OsRandom), Some(Arc::new(SystemTimeSource)))
}

/// The provider with the caller's random source and clock (`None` on
/// devices without wall-clock time). Lists are in preference order.
pub fn provider_with(
    random: Arc<dyn SecureRandom>,
    time: Option<Arc<dyn TimeSource>>,
) -> CryptoProvider {
    let hashes: vec::Vec<Arc<dyn Hash>> = vec![
        Arc::new(hash::Sha::<Sha256>::new()),
        Arc::new(hash::Sha::<Sha384>::new()),
        Arc::new(hash::Sha::<Sha512>::new()),
        // Only for the record MAC of TLS 1.2 *_CBC_SHA suites; never for
        // signatures, the transcript, HKDF or the PRF.
        Arc::new(hash::Sha::<Sha1>::new()),
    ];
    let hmacs: vec::Vec<Arc<dyn Hmac>> = vec![
        Arc::new(hash::HmacSha::<Sha256>::new()),
        Arc::new(hash::HmacSha::<Sha384>::new()),
        Arc::new(hash::HmacSha::<Sha512>::new()),
        Arc::new(hash::HmacSha::<Sha1>::new()),
    ];
    let hkdfs: vec::Vec<Arc<dyn Hkdf>> = vec![
        Arc::new(hash::HkdfSha::<Sha256>::new()),
        Arc::new(hash::HkdfSha::<Sha384>::new()),
        Arc::new(hash::HkdfSha::<Sha512>::new()),
    ];
    // TLS 1.2 suites use only SHA-256 and SHA-384 for the PRF.
    let prfs: vec::Vec<Arc<dyn Tls12Prf>> = vec![
        Arc::new(hash::prf::<Sha256>()),
        Arc::new(hash::prf::<Sha384>()),
    ];
    let aeads: vec::Vec<Arc<dyn Aead>> = vec![
        Arc::new(aead::AES_128_GCM),
        Arc::new(aead::AES_256_GCM),
        Arc::new(aead::CHACHA20_POLY1305),
        Arc::new(aead::AES_128_CCM),
        Arc::new(aead::AES_256_CCM),
        Arc::new(aead::AES_128_CCM_8),
        Arc::new(aead::AES_256_CCM_8),
    ];
    let cbcs: vec::Vec<Arc<dyn Cbc>> = vec![Arc::new(cbc::AES_128_CBC), Arc::new(cbc::AES_256_CBC)];
    CryptoProvider {
        name: "rustcrypto",
        hashes,
        hmacs,
        hkdfs,
        prfs,
        aeads,
        cbcs,
        ffdh: Some(Arc::new(RustCryptoFfdh)),
        rsa_key_transport: Some(Arc::new(RustCryptoRsaKeyTransport)),
        groups: vec![
            Arc::new(kx::X25519),
            Arc::new(kx::SECP256R1),
            Arc::new(kx::SECP384R1),
        ],
        verifier: Arc::new(RustCryptoVerifier),
        key_loader: Arc::new(RustCryptoKeyLoader::new(random.clone())),
        random,
        time,
    }
}

/// The operating system's random source (`getrandom`).
#[cfg(feature = "std")]
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

#[cfg(feature = "std")]
impl SecureRandom for OsRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
        getrandom::getrandom(dest).map_err(|_| CryptoError::RandomFailed)
    }
}

/// Wall-clock time from `std::time::SystemTime`; `None` if the clock reads
/// before 1970.
#[cfg(feature = "std")]
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemTimeSource;

#[cfg(feature = "std")]
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
    use alloc::vec::Vec;
    use std::sync::Mutex;

    use embertls::crypto::SecureRandom;
    use embertls::error::CryptoError;
    use sha2::{Digest, Sha256};

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
                let block = Sha256::digest(n.to_be_bytes());
                chunk.copy_from_slice(&block[..chunk.len()]);
            }
            Ok(())
        }
    }

    /// A file from tests/data.
    pub fn data(name: &str) -> Vec<u8> {
        let path = std::format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The subjectPublicKey bits of a DER SubjectPublicKeyInfo, which is
    /// what the verifier takes.
    pub fn spki_bits(spki: &[u8]) -> Vec<u8> {
        let info = pkcs8::SubjectPublicKeyInfoRef::try_from(spki).unwrap();
        info.subject_public_key.raw_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embertls::crypto::{AeadAlgorithm, CbcAlgorithm};
    use embertls::msgs::enums::{HashAlgorithm, NamedGroup};

    fn check(p: &CryptoProvider) {
        assert_eq!(p.name, "rustcrypto");
        let groups: vec::Vec<_> = p.groups.iter().map(|g| g.group()).collect();
        assert_eq!(
            groups,
            [
                NamedGroup::X25519,
                NamedGroup::secp256r1,
                NamedGroup::secp384r1
            ]
        );
        let aeads: vec::Vec<_> = p.aeads.iter().map(|a| a.algorithm()).collect();
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
        let cbcs: vec::Vec<_> = p.cbcs.iter().map(|c| c.algorithm()).collect();
        assert_eq!(cbcs, [CbcAlgorithm::Aes128Cbc, CbcAlgorithm::Aes256Cbc]);
        let hashes: vec::Vec<_> = p.hashes.iter().map(|h| h.algorithm()).collect();
        let sha2 = [
            HashAlgorithm::SHA256,
            HashAlgorithm::SHA384,
            HashAlgorithm::SHA512,
        ];
        assert_eq!(hashes, [&sha2[..], &[HashAlgorithm::SHA1]].concat());
        // SHA-1: hash and HMAC for CBC record MACs, nothing else.
        assert_eq!(p.hash(HashAlgorithm::SHA1).unwrap().output_len(), 20);
        assert_eq!(p.hmac(HashAlgorithm::SHA1).unwrap().output_len(), 20);
        assert!(p.hkdf(HashAlgorithm::SHA1).is_none());
        assert!(p.prf(HashAlgorithm::SHA1).is_none());
        assert!(!p
            .verifier
            .supports(embertls::crypto::SignatureAlgorithm::RsaPkcs1 {
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
        for alg in sha2 {
            assert_eq!(p.hmac(alg).unwrap().hash_algorithm(), alg);
            assert_eq!(p.hkdf(alg).unwrap().hash_algorithm(), alg);
            assert_eq!(
                p.hash(alg).unwrap().output_len(),
                p.hkdf(alg).unwrap().hash_len()
            );
        }
        assert!(p.prf(HashAlgorithm::SHA256).is_some());
        assert!(p.prf(HashAlgorithm::SHA384).is_some());
    }

    #[test]
    fn provider_with_lists_in_preference_order() {
        let p = provider_with(alloc::sync::Arc::new(testutil::Counter::default()), None);
        check(&p);
        assert!(p.time.is_none());
    }

    #[cfg(feature = "std")]
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
        let x = p.groups[0].start(&*p.random).unwrap();
        let y = p.groups[0].start(&*p.random).unwrap();
        let x_pub = x.public_key().to_vec();
        let y_pub = y.public_key().to_vec();
        assert_eq!(
            x.complete(&y_pub).unwrap().as_ref(),
            y.complete(&x_pub).unwrap().as_ref()
        );
    }
}
