//! SHA-2 hashes, HMAC, HKDF and the TLS 1.2 PRF on OpenSSL.
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
use openssl::md::{Md, MdRef};
use openssl::pkey::{Id, PKey, Private};
use openssl::pkey_ctx::{HkdfMode, PkeyCtx};
use openssl::sign::Signer;
use zeroize::Zeroizing;

/// One of the SHA-2 functions TLS uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sha {
    Sha256,
    Sha384,
    Sha512,
}

impl Sha {
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
            Self::Sha256 => HashAlgorithm::SHA256,
            Self::Sha384 => HashAlgorithm::SHA384,
            Self::Sha512 => HashAlgorithm::SHA512,
        }
    }

    pub(crate) fn len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    pub(crate) fn message_digest(self) -> MessageDigest {
        match self {
            Self::Sha256 => MessageDigest::sha256(),
            Self::Sha384 => MessageDigest::sha384(),
            Self::Sha512 => MessageDigest::sha512(),
        }
    }

    fn md(self) -> &'static MdRef {
        match self {
            Self::Sha256 => Md::sha256(),
            Self::Sha384 => Md::sha384(),
            Self::Sha512 => Md::sha512(),
        }
    }
}

/// The trait methods here cannot report errors. OpenSSL fails to hash only
/// when it cannot allocate or the library is unusable (say, a FIPS
/// configuration without SHA-2, which does not exist), so that is a panic.
const BROKEN: &str = "OpenSSL failed a SHA-2/HMAC operation";

/// A SHA-2 hash function.
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

/// HMAC over one SHA-2 function.
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

/// An HMAC key as an OpenSSL `EVP_PKEY`. Each `sign` starts a fresh
/// `EVP_DigestSign` with it, so one key signs any number of messages.
pub(crate) struct KeyedHmac {
    sha: Sha,
    key: PKey<Private>,
}

impl KeyedHmac {
    pub(crate) fn new(sha: Sha, key: &[u8]) -> Self {
        // HMAC pads its key with zeros to the block size, so the empty key
        // and the one-byte key 0x00 are the same key. OpenSSL 3.0 refuses
        // an empty HMAC `EVP_PKEY` (its legacy MAC key manager fails to
        // allocate zero bytes), so use the latter.
        let key = if key.is_empty() { &[0u8][..] } else { key };
        Self {
            sha,
            key: PKey::hmac(key).expect(BROKEN),
        }
    }

    fn sign_chunks(&self, chunks: &[&[u8]]) -> Result<HashOutput, openssl::error::ErrorStack> {
        let mut signer = Signer::new(self.sha.message_digest(), &self.key)?;
        for chunk in chunks {
            signer.update(chunk)?;
        }
        let mut out = Zeroizing::new([0u8; MAX_HASH_LEN]);
        let len = signer.sign(&mut out[..])?;
        Ok(HashOutput::new(&out[..len]))
    }
}

impl HmacKey for KeyedHmac {
    fn sign(&self, chunks: &[&[u8]]) -> HashOutput {
        self.sign_chunks(chunks).expect(BROKEN)
    }
}

/// HKDF over one SHA-2 function. Extract is HMAC (its definition, and
/// unlike OpenSSL's extract mode it takes an empty input keying material);
/// Expand is OpenSSL's HKDF.
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
        // Joined rather than added piece by piece: OpenSSL 3.0 before 3.0.9
        // replaced the info on each `EVP_PKEY_CTX_add1_hkdf_info`.
        let info: Vec<u8> = info.concat();
        hkdf_expand(self.0, prk, &info, out).map_err(|_| CryptoError::Other)
    }

    fn hmac(&self, key: &[u8], message: &[u8]) -> HashOutput {
        KeyedHmac::new(self.0, key).sign(&[message])
    }
}

fn hkdf_expand(
    sha: Sha,
    prk: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), openssl::error::ErrorStack> {
    let mut ctx = PkeyCtx::new_id(Id::HKDF)?;
    ctx.derive_init()?;
    ctx.set_hkdf_md(sha.md())?;
    ctx.set_hkdf_mode(HkdfMode::EXPAND_ONLY)?;
    ctx.set_hkdf_key(prk)?;
    if !info.is_empty() {
        ctx.add_hkdf_info(info)?;
    }
    let written = ctx.derive(Some(out))?;
    if written != out.len() {
        out.fill(0);
        return Err(openssl::error::ErrorStack::get());
    }
    Ok(())
}

/// The TLS 1.2 PRF over `sha`, by core's construction on OpenSSL's HMAC.
pub(crate) fn prf(sha: Sha) -> PrfUsingHmac {
    PrfUsingHmac(Arc::new(OsslHmac(sha)))
}
