//! SHA-2 hashes, HMAC, HKDF and the TLS 1.2 PRF on OpenSSL, plus SHA-1 and
//! HMAC-SHA1 for the record MAC of TLS 1.2 `*_CBC_SHA` suites.
//!
//! Hashing uses `EVP_MD_CTX` through [`openssl::hash::Hasher`], whose
//! `Clone` copies the running state (`EVP_MD_CTX_copy_ex`), which is what
//! `fork` needs. HMAC is `EVP_DigestSign` with an HMAC `EVP_PKEY`; HKDF-Expand
//! is OpenSSL's own HKDF (`EVP_PKEY_HKDF` in expand-only mode).

use std::sync::Arc;

use embertls::crypto::{self, HashContext, HashOutput, HmacKey, PrfUsingHmac, MAX_HASH_LEN};
use embertls::error::CryptoError;
use embertls::msgs::enums::HashAlgorithm;
use openssl::hash::{Hasher, MessageDigest};
use zeroize::Zeroizing;

/// One of the hash functions TLS uses: SHA-2, and SHA-1 for CBC record MACs
/// only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sha {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Sha {
    /// The SHA-2 function `alg` names. SHA-1 is deliberately absent: this
    /// is what the verifier accepts for signatures.
    pub(crate) fn from_algorithm(alg: HashAlgorithm) -> Option<Self> {
        match alg {
            HashAlgorithm::SHA256 => Some(Self::Sha256),
            HashAlgorithm::SHA384 => Some(Self::Sha384),
            HashAlgorithm::SHA512 => Some(Self::Sha512),
            _ => None,
        }
    }

    pub(crate) fn algorithm(self) -> HashAlgorithm {
        match self {
            Self::Sha1 => HashAlgorithm::SHA1,
            Self::Sha256 => HashAlgorithm::SHA256,
            Self::Sha384 => HashAlgorithm::SHA384,
            Self::Sha512 => HashAlgorithm::SHA512,
        }
    }

    pub(crate) fn len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    pub(crate) fn message_digest(self) -> MessageDigest {
        match self {
            Self::Sha1 => MessageDigest::sha1(),
            Self::Sha256 => MessageDigest::sha256(),
            Self::Sha384 => MessageDigest::sha384(),
            Self::Sha512 => MessageDigest::sha512(),
        }
    }
}

/// The trait methods here cannot report errors. OpenSSL fails to hash only
/// when it cannot allocate or the library is unusable (say, a FIPS
/// configuration without SHA-2, which does not exist), so that is a panic.
const BROKEN: &str = "OpenSSL failed a SHA-1/SHA-2/HMAC operation";

/// A SHA-2 (or SHA-1) hash function.
pub(crate) struct OsslHash(pub(crate) Sha);

impl crypto::Hash for OsslHash {
    fn algorithm(&self) -> HashAlgorithm {
        self.0.algorithm()
    }

    fn output_len(&self) -> usize {
        self.0.len()
    }

    fn start(&self) -> Box<dyn HashContext> {
        Box::new(Context(Hasher::new(self.0.message_digest()).expect(BROKEN)))
    }

    fn hash(&self, data: &[u8]) -> HashOutput {
        HashOutput::new(&openssl::hash::hash(self.0.message_digest(), data).expect(BROKEN))
    }
}

/// A running hash. `fork` is `EVP_MD_CTX_copy_ex`.
struct Context(Hasher);

impl HashContext for Context {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data).expect(BROKEN);
    }

    fn fork(&self) -> Box<dyn HashContext> {
        Box::new(Context(self.0.clone()))
    }

    fn finish(mut self: Box<Self>) -> HashOutput {
        HashOutput::new(&self.0.finish().expect(BROKEN))
    }

    fn current(&self) -> HashOutput {
        HashOutput::new(&self.0.clone().finish().expect(BROKEN))
    }
}

/// HMAC over one SHA-2 (or SHA-1) function.
pub(crate) struct OsslHmac(pub(crate) Sha);

impl crypto::Hmac for OsslHmac {
    fn hash_algorithm(&self) -> HashAlgorithm {
        self.0.algorithm()
    }

    fn output_len(&self) -> usize {
        self.0.len()
    }

    fn with_key(&self, key: &[u8]) -> Box<dyn HmacKey> {
        Box::new(KeyedHmac::new(self.0, key))
    }
}

/// An HMAC key as two hash states, already fed the inner and outer padded
/// key (RFC 2104). Each `sign` clones them (`EVP_MD_CTX_copy_ex`), so no
/// algorithm is looked up per message: OpenSSL 3 fetches by name on every
/// `EVP_DigestSignInit`/HKDF context, which dominated handshake profiles.
pub(crate) struct KeyedHmac {
    inner: Hasher,
    outer: Hasher,
}

impl KeyedHmac {
    pub(crate) fn new(sha: Sha, key: &[u8]) -> Self {
        let block = match sha {
            Sha::Sha1 | Sha::Sha256 => 64,
            Sha::Sha384 | Sha::Sha512 => 128,
        };
        let mut padded = Zeroizing::new([0u8; 128]);
        if key.len() > block {
            let digest = openssl::hash::hash(sha.message_digest(), key).expect(BROKEN);
            padded[..digest.len()].copy_from_slice(&digest);
        } else {
            padded[..key.len()].copy_from_slice(key);
        }
        let mut pad = Zeroizing::new([0u8; 128]);
        let mut start = |xor: u8| {
            for (p, k) in pad.iter_mut().zip(padded.iter()) {
                *p = k ^ xor;
            }
            let mut h = Hasher::new(sha.message_digest()).expect(BROKEN);
            h.update(&pad[..block]).expect(BROKEN);
            h
        };
        let inner = start(0x36);
        let outer = start(0x5c);
        Self { inner, outer }
    }

    fn sign_chunks(&self, chunks: &[&[u8]]) -> Result<HashOutput, openssl::error::ErrorStack> {
        let mut inner = self.inner.clone();
        for chunk in chunks {
            inner.update(chunk)?;
        }
        let inner_digest = inner.finish()?;
        let mut outer = self.outer.clone();
        outer.update(&inner_digest)?;
        Ok(HashOutput::new(&outer.finish()?))
    }
}

impl HmacKey for KeyedHmac {
    fn sign(&self, chunks: &[&[u8]]) -> HashOutput {
        self.sign_chunks(chunks).expect(BROKEN)
    }
}

/// HKDF over one SHA-2 function, built on the keyed HMAC above (RFC 5869's
/// definition): OpenSSL's own HKDF fetches its algorithm on every call.
pub(crate) struct OsslHkdf(pub(crate) Sha);

impl crypto::Hkdf for OsslHkdf {
    fn hash_algorithm(&self) -> HashAlgorithm {
        self.0.algorithm()
    }

    fn hash_len(&self) -> usize {
        self.0.len()
    }

    fn extract(&self, salt: &[u8], ikm: &[u8]) -> HashOutput {
        // RFC 5869: an absent salt is HashLen zeros.
        let zeros = [0u8; MAX_HASH_LEN];
        let salt = if salt.is_empty() {
            &zeros[..self.0.len()]
        } else {
            salt
        };
        KeyedHmac::new(self.0, salt).sign(&[ikm])
    }

    fn expand(&self, prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<(), CryptoError> {
        if out.len() > 255 * self.0.len() {
            return Err(CryptoError::Other);
        }
        // RFC 5869 2.3: PRK is at least HashLen bytes.
        if prk.len() < self.0.len() {
            return Err(CryptoError::InvalidKey);
        }
        if out.is_empty() {
            return Ok(());
        }
        // T(i) = HMAC(PRK, T(i-1) | info | i), on one keyed HMAC.
        let key = KeyedHmac::new(self.0, prk);
        let mut previous: Option<HashOutput> = None;
        for (i, block) in out.chunks_mut(self.0.len()).enumerate() {
            let counter = [(i + 1) as u8];
            let mut parts: Vec<&[u8]> = Vec::with_capacity(info.len() + 2);
            if let Some(prev) = &previous {
                parts.push(prev.as_ref());
            }
            parts.extend_from_slice(info);
            parts.push(&counter);
            let t = key.sign_chunks(&parts).map_err(|_| CryptoError::Other)?;
            block.copy_from_slice(&t.as_ref()[..block.len()]);
            previous = Some(t);
        }
        Ok(())
    }

    fn hmac(&self, key: &[u8], message: &[u8]) -> HashOutput {
        KeyedHmac::new(self.0, key).sign(&[message])
    }
}

/// The TLS 1.2 PRF over `sha`, by core's construction on OpenSSL's HMAC.
pub(crate) fn prf(sha: Sha) -> PrfUsingHmac {
    PrfUsingHmac(Arc::new(OsslHmac(sha)))
}
