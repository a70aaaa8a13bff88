use alloc::boxed::Box;
use alloc::sync::Arc;

use zeroize::Zeroize;

use crate::error::CryptoError;
use crate::msgs::enums::HashAlgorithm;

/// Largest digest the engine handles (SHA-512).
pub const MAX_HASH_LEN: usize = 64;

/// A digest or MAC value, stored inline. Zeroized on drop because MAC keys
/// and Finished values pass through it.
#[derive(Clone)]
pub struct HashOutput {
    buf: [u8; MAX_HASH_LEN],
    len: usize,
}

impl HashOutput {
    /// Panics only on a provider bug (a digest longer than 64 bytes).
    pub fn new(bytes: &[u8]) -> Self {
        let mut buf = [0u8; MAX_HASH_LEN];
        buf[..bytes.len()].copy_from_slice(bytes);
        Self {
            buf,
            len: bytes.len(),
        }
    }
}

impl AsRef<[u8]> for HashOutput {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for HashOutput {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl core::fmt::Debug for HashOutput {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "HashOutput({} bytes)", self.len)
    }
}

/// A hash function.
pub trait Hash: Send + Sync {
    fn algorithm(&self) -> HashAlgorithm;
    fn output_len(&self) -> usize;
    fn start(&self) -> Box<dyn HashContext>;
    fn hash(&self, data: &[u8]) -> HashOutput {
        let mut ctx = self.start();
        ctx.update(data);
        ctx.finish()
    }
}

/// A running hash. `fork` lets the handshake transcript take intermediate
/// values (for Finished and CertificateVerify) and keep going.
pub trait HashContext: Send + Sync {
    fn update(&mut self, data: &[u8]);
    fn fork(&self) -> Box<dyn HashContext>;
    fn finish(self: Box<Self>) -> HashOutput;
    /// The hash of everything so far, without consuming the context.
    fn current(&self) -> HashOutput {
        self.fork().finish()
    }
}

/// HMAC over one hash function.
pub trait Hmac: Send + Sync {
    fn hash_algorithm(&self) -> HashAlgorithm;
    fn output_len(&self) -> usize;
    fn with_key(&self, key: &[u8]) -> Box<dyn HmacKey>;
}

/// An HMAC keyed and ready to sign many messages.
pub trait HmacKey: Send + Sync {
    /// The MAC of the concatenation of `chunks`.
    fn sign(&self, chunks: &[&[u8]]) -> HashOutput;
}

/// HKDF (RFC 5869) over one hash function, for the TLS 1.3 key schedule.
pub trait Hkdf: Send + Sync {
    fn hash_algorithm(&self) -> HashAlgorithm;
    fn hash_len(&self) -> usize;
    /// HKDF-Extract; an empty `salt` means a string of zeros of hash length.
    fn extract(&self, salt: &[u8], ikm: &[u8]) -> HashOutput;
    /// HKDF-Expand of `prk` with the concatenation of `info` into `out`.
    fn expand(&self, prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<(), CryptoError>;
    /// HMAC with the same hash, for Finished verify_data.
    fn hmac(&self, key: &[u8], message: &[u8]) -> HashOutput;
}

/// The TLS 1.2 PRF (RFC 5246 section 5) over one hash function.
pub trait Tls12Prf: Send + Sync {
    fn hash_algorithm(&self) -> HashAlgorithm;
    fn prf(&self, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]);
}

/// HKDF built from any [`Hmac`]; backends without a native HKDF use this.
pub struct HkdfUsingHmac(pub Arc<dyn Hmac>);

impl Hkdf for HkdfUsingHmac {
    fn hash_algorithm(&self) -> HashAlgorithm {
        self.0.hash_algorithm()
    }

    fn hash_len(&self) -> usize {
        self.0.output_len()
    }

    fn extract(&self, salt: &[u8], ikm: &[u8]) -> HashOutput {
        let zeros = [0u8; MAX_HASH_LEN];
        let salt = if salt.is_empty() {
            &zeros[..self.hash_len()]
        } else {
            salt
        };
        self.0.with_key(salt).sign(&[ikm])
    }

    fn expand(&self, prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<(), CryptoError> {
        let hash_len = self.hash_len();
        if out.len() > 255 * hash_len {
            return Err(CryptoError::Other);
        }
        let key = self.0.with_key(prk);
        let mut previous: Option<HashOutput> = None;
        for (counter, chunk) in out.chunks_mut(hash_len).enumerate() {
            let counter = [(counter + 1) as u8];
            let mut parts: [&[u8]; 8] = [&[]; 8];
            let mut n = 0;
            if let Some(prev) = previous.as_ref() {
                parts[n] = prev.as_ref();
                n += 1;
            }
            for piece in info.iter().take(6) {
                parts[n] = piece;
                n += 1;
            }
            parts[n] = &counter;
            n += 1;
            let block = key.sign(&parts[..n]);
            chunk.copy_from_slice(&block.as_ref()[..chunk.len()]);
            previous = Some(block);
        }
        Ok(())
    }

    fn hmac(&self, key: &[u8], message: &[u8]) -> HashOutput {
        self.0.with_key(key).sign(&[message])
    }
}

/// The TLS 1.2 PRF built from any [`Hmac`].
pub struct PrfUsingHmac(pub Arc<dyn Hmac>);

impl Tls12Prf for PrfUsingHmac {
    fn hash_algorithm(&self) -> HashAlgorithm {
        self.0.hash_algorithm()
    }

    fn prf(&self, secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
        // P_hash: A(i) = HMAC(secret, A(i-1)); output HMAC(secret, A(i) + label + seed).
        let key = self.0.with_key(secret);
        let mut a = key.sign(&[label, seed]);
        for chunk in out.chunks_mut(self.0.output_len()) {
            let block = key.sign(&[a.as_ref(), label, seed]);
            chunk.copy_from_slice(&block.as_ref()[..chunk.len()]);
            a = key.sign(&[a.as_ref()]);
        }
    }
}
