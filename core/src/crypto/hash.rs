use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

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
            let mut parts: Vec<&[u8]> = Vec::with_capacity(info.len() + 2);
            if let Some(prev) = previous.as_ref() {
                parts.push(prev.as_ref());
            }
            parts.extend_from_slice(info);
            parts.push(&counter);
            let block = key.sign(&parts);
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
        // The next A is computed only when another chunk needs it: a
        // 12-byte verify_data takes two HMACs, not three.
        let key = self.0.with_key(secret);
        let mut a = key.sign(&[label, seed]);
        let mut chunks = out.chunks_mut(self.0.output_len()).peekable();
        while let Some(chunk) = chunks.next() {
            let block = key.sign(&[a.as_ref(), label, seed]);
            chunk.copy_from_slice(&block.as_ref()[..chunk.len()]);
            if chunks.peek().is_some() {
                a = key.sign(&[a.as_ref()]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// The generic HKDF and PRF agree with the provider's own on RFC vectors.
    #[test]
    fn generic_hkdf_matches_rfc5869_case1() {
        let hkdf = HkdfUsingHmac(Arc::new(crate::test_support::HmacSha256));
        let ikm = [0x0bu8; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let prk = hkdf.extract(&salt, &ikm);
        assert_eq!(
            prk.as_ref(),
            &[
                0x07, 0x77, 0x09, 0x36, 0x2c, 0x2e, 0x32, 0xdf, 0x0d, 0xdc, 0x3f, 0x0d, 0xc4, 0x7b,
                0xba, 0x63, 0x90, 0xb6, 0xc7, 0x3b, 0xb5, 0x0f, 0x9c, 0x31, 0x22, 0xec, 0x84, 0x4a,
                0xd7, 0xc2, 0xb3, 0xe5
            ]
        );
        let mut okm = [0u8; 42];
        // Split info across many pieces: the result must not change.
        let pieces: Vec<&[u8]> = info.chunks(1).collect();
        hkdf.expand(prk.as_ref(), &pieces, &mut okm).unwrap();
        assert_eq!(&okm[..8], &[0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a]);
        assert_eq!(
            &okm[34..],
            &[0x72, 0x08, 0xd5, 0xb8, 0x87, 0x18, 0x58, 0x65]
        );
        let mut one_piece = [0u8; 42];
        hkdf.expand(prk.as_ref(), &[&info], &mut one_piece).unwrap();
        assert_eq!(okm, one_piece);
        let mut too_long = vec![0u8; 255 * 32 + 1];
        assert!(hkdf.expand(prk.as_ref(), &[&info], &mut too_long).is_err());
    }

    /// Any output length is a prefix of a longer output, across chunk
    /// boundaries (the last A(i) is no longer computed).
    #[test]
    fn generic_prf_outputs_are_prefixes() {
        let prf = PrfUsingHmac(Arc::new(crate::test_support::HmacSha256));
        let mut long = [0u8; 100];
        prf.prf(b"secret", b"label", b"seed", &mut long);
        for len in [1, 12, 31, 32, 33, 48, 64, 65, 99] {
            let mut short = vec![0u8; len];
            prf.prf(b"secret", b"label", b"seed", &mut short);
            assert_eq!(short[..], long[..len], "{len} bytes");
        }
    }

    /// Counts the HMACs a PRF call makes.
    struct CountingHmac(Arc<core::sync::atomic::AtomicUsize>);

    struct CountingKey(Box<dyn HmacKey>, Arc<core::sync::atomic::AtomicUsize>);

    impl Hmac for CountingHmac {
        fn hash_algorithm(&self) -> HashAlgorithm {
            crate::test_support::HmacSha256.hash_algorithm()
        }
        fn output_len(&self) -> usize {
            crate::test_support::HmacSha256.output_len()
        }
        fn with_key(&self, key: &[u8]) -> Box<dyn HmacKey> {
            Box::new(CountingKey(
                crate::test_support::HmacSha256.with_key(key),
                self.0.clone(),
            ))
        }
    }

    impl HmacKey for CountingKey {
        fn sign(&self, chunks: &[&[u8]]) -> HashOutput {
            self.1.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            self.0.sign(chunks)
        }
    }

    /// P_hash needs 2n HMACs for n output chunks (RFC 5246 5): A(1)..A(n)
    /// and one per chunk, no A(n+1).
    #[test]
    fn generic_prf_makes_two_hmacs_per_chunk() {
        use core::sync::atomic::{AtomicUsize, Ordering};
        let count = Arc::new(AtomicUsize::new(0));
        let prf = PrfUsingHmac(Arc::new(CountingHmac(count.clone())));
        for (len, hmacs) in [(12, 2), (32, 2), (40, 4), (48, 4), (104, 8)] {
            count.store(0, Ordering::Relaxed);
            let mut out = vec![0u8; len];
            prf.prf(b"secret", b"label", b"seed", &mut out);
            assert_eq!(count.load(Ordering::Relaxed), hmacs, "{len} bytes");
        }
    }

    #[test]
    fn generic_prf_matches_published_sha256_vector() {
        let prf = PrfUsingHmac(Arc::new(crate::test_support::HmacSha256));
        let secret = [
            0x9b, 0xbe, 0x43, 0x6b, 0xa9, 0x40, 0xf0, 0x17, 0xb1, 0x76, 0x52, 0x84, 0x9a, 0x71,
            0xdb, 0x35,
        ];
        let seed = [
            0xa0, 0xba, 0x9f, 0x93, 0x6c, 0xda, 0x31, 0x18, 0x27, 0xa6, 0xf7, 0x96, 0xff, 0xd5,
            0x19, 0x8c,
        ];
        let mut out = [0u8; 100];
        prf.prf(&secret, b"test label", &seed, &mut out);
        assert_eq!(
            &out[..16],
            &[
                0xe3, 0xf2, 0x29, 0xba, 0x72, 0x7b, 0xe1, 0x7b, 0x8d, 0x12, 0x26, 0x20, 0x55, 0x7c,
                0xd4, 0x53
            ]
        );
    }
}
