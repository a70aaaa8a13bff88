//! SHA-2 hashes, HMAC, HKDF and the TLS 1.2 PRF; SHA-1 and HMAC-SHA1.
//!
//! One struct per trait, parameterised by aws-lc-rs's algorithm constants
//! for SHA-256/384/512, so the three hashes cannot drift apart. SHA-1
//! (`digest::SHA1_FOR_LEGACY_USE_ONLY`, `hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY`)
//! is there only for the record MAC of TLS 1.2 `*_CBC_SHA` suites: there is
//! no SHA-1 HKDF or PRF, and the verifier refuses SHA-1 signatures.

use std::sync::Arc;

use aws_lc_rs::{digest, hkdf, hmac};
use embertls::crypto::{self, HashContext, HashOutput, HkdfUsingHmac, HmacKey, PrfUsingHmac};
use embertls::error::CryptoError;
use embertls::msgs::enums::HashAlgorithm;

/// A hash function.
pub(crate) struct Sha {
    algorithm: HashAlgorithm,
    digest: &'static digest::Algorithm,
}

pub(crate) const SHA1: Sha = Sha {
    algorithm: HashAlgorithm::SHA1,
    digest: &digest::SHA1_FOR_LEGACY_USE_ONLY,
};
pub(crate) const SHA256: Sha = Sha {
    algorithm: HashAlgorithm::SHA256,
    digest: &digest::SHA256,
};
pub(crate) const SHA384: Sha = Sha {
    algorithm: HashAlgorithm::SHA384,
    digest: &digest::SHA384,
};
pub(crate) const SHA512: Sha = Sha {
    algorithm: HashAlgorithm::SHA512,
    digest: &digest::SHA512,
};

impl crypto::Hash for Sha {
    fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    fn output_len(&self) -> usize {
        self.digest.output_len()
    }

    fn start(&self) -> Box<dyn HashContext> {
        Box::new(Context(digest::Context::new(self.digest)))
    }

    fn hash(&self, data: &[u8]) -> HashOutput {
        HashOutput::new(digest::digest(self.digest, data).as_ref())
    }
}

/// A running hash; `fork` copies the EVP_MD_CTX state.
struct Context(digest::Context);

impl HashContext for Context {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    fn fork(&self) -> Box<dyn HashContext> {
        Box::new(Context(self.0.clone()))
    }

    fn finish(self: Box<Self>) -> HashOutput {
        HashOutput::new(self.0.finish().as_ref())
    }

    fn current(&self) -> HashOutput {
        HashOutput::new(self.0.clone().finish().as_ref())
    }
}

/// HMAC over one SHA-2 function.
#[derive(Clone, Copy)]
pub(crate) struct HmacSha {
    algorithm: HashAlgorithm,
    hmac: hmac::Algorithm,
}

pub(crate) const HMAC_SHA1: HmacSha = HmacSha {
    algorithm: HashAlgorithm::SHA1,
    hmac: hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
};
pub(crate) const HMAC_SHA256: HmacSha = HmacSha {
    algorithm: HashAlgorithm::SHA256,
    hmac: hmac::HMAC_SHA256,
};
pub(crate) const HMAC_SHA384: HmacSha = HmacSha {
    algorithm: HashAlgorithm::SHA384,
    hmac: hmac::HMAC_SHA384,
};
pub(crate) const HMAC_SHA512: HmacSha = HmacSha {
    algorithm: HashAlgorithm::SHA512,
    hmac: hmac::HMAC_SHA512,
};

impl crypto::Hmac for HmacSha {
    fn hash_algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    fn output_len(&self) -> usize {
        self.hmac.digest_algorithm().output_len()
    }

    fn with_key(&self, key: &[u8]) -> Box<dyn HmacKey> {
        Box::new(KeyedHmac(hmac::Key::new(self.hmac, key)))
    }
}

/// The HMAC state after absorbing the key (AWS-LC precomputes the inner
/// and outer pads); each `sign` copies it.
struct KeyedHmac(hmac::Key);

impl HmacKey for KeyedHmac {
    fn sign(&self, chunks: &[&[u8]]) -> HashOutput {
        let mut ctx = hmac::Context::with_key(&self.0);
        for chunk in chunks {
            ctx.update(chunk);
        }
        HashOutput::new(ctx.sign().as_ref())
    }
}

/// HKDF over one SHA-2 function. Extract is HMAC(salt, IKM) (aws-lc-rs
/// keeps its own PRK opaque, and the key schedule needs the bytes); expand
/// is AWS-LC's HKDF_expand, which takes the info pieces without a heap copy
/// when they total 80 bytes or less (TLS 1.3 labels always do).
pub(crate) struct HkdfSha {
    hmac: HmacSha,
    hkdf: hkdf::Algorithm,
}

pub(crate) const HKDF_SHA256: HkdfSha = HkdfSha {
    hmac: HMAC_SHA256,
    hkdf: hkdf::HKDF_SHA256,
};
pub(crate) const HKDF_SHA384: HkdfSha = HkdfSha {
    hmac: HMAC_SHA384,
    hkdf: hkdf::HKDF_SHA384,
};
pub(crate) const HKDF_SHA512: HkdfSha = HkdfSha {
    hmac: HMAC_SHA512,
    hkdf: hkdf::HKDF_SHA512,
};

/// An output length for `Prk::expand`.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

impl crypto::Hkdf for HkdfSha {
    fn hash_algorithm(&self) -> HashAlgorithm {
        self.hmac.algorithm
    }

    fn hash_len(&self) -> usize {
        crypto::Hmac::output_len(&self.hmac)
    }

    fn extract(&self, salt: &[u8], ikm: &[u8]) -> HashOutput {
        // RFC 5869: an absent salt is HashLen zeros.
        let zeros = [0u8; crypto::MAX_HASH_LEN];
        let salt = if salt.is_empty() {
            &zeros[..self.hash_len()]
        } else {
            salt
        };
        self.hmac(salt, ikm)
    }

    fn expand(&self, prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<(), CryptoError> {
        // RFC 5869 2.3: PRK is at least HashLen bytes.
        if prk.len() < self.hash_len() {
            return Err(CryptoError::InvalidKey);
        }
        if out.len() > 255 * self.hash_len() {
            return Err(CryptoError::Other);
        }
        if prk.len() > crypto::MAX_HASH_LEN {
            // aws-lc-rs holds at most 64 PRK bytes; longer ones (never made
            // by TLS) take the generic construction over the same HMAC.
            return HkdfUsingHmac(Arc::new(self.hmac)).expand(prk, info, out);
        }
        hkdf::Prk::new_less_safe(self.hkdf, prk)
            .expand(info, Len(out.len()))
            .and_then(|okm| okm.fill(out))
            .map_err(|_| CryptoError::Other)
    }

    fn hmac(&self, key: &[u8], message: &[u8]) -> HashOutput {
        HashOutput::new(hmac::sign(&hmac::Key::new(self.hmac.hmac, key), message).as_ref())
    }
}

/// The TLS 1.2 PRF over `hmac`, by core's generic construction over AWS-LC's
/// HMAC. (aws-lc-rs's `tls_prf` returns a fresh heap buffer per call rather
/// than filling the caller's; a test checks the two agree.)
pub(crate) fn prf(hmac: HmacSha) -> PrfUsingHmac {
    PrfUsingHmac(Arc::new(hmac))
}

#[cfg(test)]
mod tests {
    use super::*;
    use embertls::crypto::{Hash, Hkdf, Hmac, Tls12Prf};
    use hex_literal::hex;

    #[test]
    fn sha256_abc() {
        let h = SHA256;
        assert_eq!(
            h.hash(b"abc").as_ref(),
            hex!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        let mut ctx = h.start();
        ctx.update(b"a");
        ctx.update(b"bc");
        assert_eq!(ctx.finish().as_ref(), h.hash(b"abc").as_ref());
        assert_eq!(h.output_len(), 32);
    }

    #[test]
    fn sha384_and_sha512_abc() {
        assert_eq!(
            SHA384.hash(b"abc").as_ref(),
            hex!(
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                "8086072ba1e7cc2358baeca134c825a7"
            )
        );
        assert_eq!(
            SHA512.hash(b"abc").as_ref(),
            hex!(
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
            )
        );
        // The empty string, through a context that never saw an update.
        assert_eq!(
            SHA256.start().finish().as_ref(),
            hex!("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
    }

    /// FIPS 180 examples, one-shot and streamed.
    #[test]
    fn sha1_fips180() {
        assert_eq!(SHA1.output_len(), 20);
        assert_eq!(
            SHA1.hash(b"abc").as_ref(),
            hex!("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        let msg = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        let mut ctx = SHA1.start();
        for piece in msg.chunks(7) {
            ctx.update(piece);
        }
        let fork = ctx.fork();
        let want = hex!("84983e441c3bd26ebaae4aa1f95129e5e54670f1");
        assert_eq!(ctx.finish().as_ref(), want);
        assert_eq!(fork.finish().as_ref(), want);
        assert_eq!(
            SHA1.start().finish().as_ref(),
            hex!("da39a3ee5e6b4b0d3255bfef95601890afd80709")
        );
    }

    /// RFC 2202 section 3, all seven HMAC-SHA1 cases.
    #[test]
    fn hmac_sha1_rfc2202() {
        assert_eq!(HMAC_SHA1.output_len(), 20);
        assert_eq!(HMAC_SHA1.hash_algorithm(), HashAlgorithm::SHA1);
        let long_key = [0xaau8; 80];
        let cases: [(&[u8], &[u8], [u8; 20]); 7] = [
            (
                &[0x0b; 20],
                b"Hi There",
                hex!("b617318655057264e28bc0b6fb378c8ef146be00"),
            ),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                hex!("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
            ),
            (
                &[0xaa; 20],
                &[0xdd; 50],
                hex!("125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
            ),
            (
                &hex!("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                &[0xcd; 50],
                hex!("4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
            ),
            (
                &[0x0c; 20],
                b"Test With Truncation",
                hex!("4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
            ),
            (
                &long_key,
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                hex!("aa4ae5e15272d00e95705637ce8a3b55ed402112"),
            ),
            (
                &long_key,
                b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
                hex!("e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
            ),
        ];
        for (key, msg, want) in cases {
            let keyed = HMAC_SHA1.with_key(key);
            assert_eq!(keyed.sign(&[msg]).as_ref(), want);
            let (a, b) = msg.split_at(msg.len() / 3);
            assert_eq!(keyed.sign(&[a, b"", b]).as_ref(), want);
        }
    }

    #[test]
    fn fork_matches_fresh_hash_of_prefix() {
        let h = SHA384;
        let mut ctx = h.start();
        ctx.update(b"client hello");
        let fork = ctx.fork();
        let current = ctx.current();
        ctx.update(b" server hello");
        assert_eq!(fork.finish().as_ref(), h.hash(b"client hello").as_ref());
        assert_eq!(current.as_ref(), h.hash(b"client hello").as_ref());
        assert_eq!(
            ctx.finish().as_ref(),
            h.hash(b"client hello server hello").as_ref()
        );
    }

    #[test]
    fn hmac_sha256_rfc4231_case_2() {
        let key = HMAC_SHA256.with_key(b"Jefe");
        let expected = hex!("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(
            key.sign(&[b"what do ya want ", b"for nothing?"]).as_ref(),
            expected
        );
        // The same key signs again with the same result.
        assert_eq!(
            key.sign(&[b"what do ya want for nothing?"]).as_ref(),
            expected
        );
    }

    #[test]
    fn hmac_sha384_sha512_rfc4231_case_2() {
        let msg: &[&[u8]] = &[b"what do ya want for nothing?"];
        assert_eq!(
            HMAC_SHA384.with_key(b"Jefe").sign(msg).as_ref(),
            hex!(
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
                "8e2240ca5e69e2c78b3239ecfab21649"
            )
        );
        assert_eq!(
            HMAC_SHA512.with_key(b"Jefe").sign(msg).as_ref(),
            hex!(
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
            )
        );
    }

    /// RFC 4231 case 6: a key longer than the block size is hashed first.
    #[test]
    fn hmac_sha256_rfc4231_case_6_long_key() {
        let key = [0xaau8; 131];
        assert_eq!(
            HMAC_SHA256
                .with_key(&key)
                .sign(&[b"Test Using Larger Than Block-Size Key - Hash Key First"])
                .as_ref(),
            hex!("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        );
    }

    #[test]
    fn hkdf_sha256_rfc5869_case_1() {
        let hkdf = HKDF_SHA256;
        let ikm = [0x0bu8; 22];
        let salt = hex!("000102030405060708090a0b0c");
        let prk = hkdf.extract(&salt, &ikm);
        assert_eq!(
            prk.as_ref(),
            hex!("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        );
        let mut okm = [0u8; 42];
        // Info split in pieces must equal the whole.
        hkdf.expand(
            prk.as_ref(),
            &[&hex!("f0f1f2f3"), &hex!("f4f5f6f7f8f9")],
            &mut okm,
        )
        .unwrap();
        assert_eq!(
            okm,
            hex!(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                "34007208d5b887185865"
            )
        );
    }

    #[test]
    fn hkdf_sha256_rfc5869_case_2_long_inputs() {
        // 80-byte IKM, salt and info: info exceeds the stack buffer aws-lc-rs
        // uses, exercising its other path.
        let hkdf = HKDF_SHA256;
        let ikm: Vec<u8> = (0x00..=0x4f).collect();
        let salt: Vec<u8> = (0x60..=0xaf).collect();
        let info: Vec<u8> = (0xb0..=0xff).collect();
        let prk = hkdf.extract(&salt, &ikm);
        assert_eq!(
            prk.as_ref(),
            hex!("06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244")
        );
        let mut okm = [0u8; 82];
        hkdf.expand(prk.as_ref(), &[&info[..1], &info[1..]], &mut okm)
            .unwrap();
        assert_eq!(
            okm,
            hex!(
                "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                "cc30c58179ec3e87c14c01d5c1f3434f1d87"
            )
        );
    }

    #[test]
    fn hkdf_sha256_rfc5869_case_3_empty_salt() {
        let hkdf = HKDF_SHA256;
        let prk = hkdf.extract(&[], &[0x0bu8; 22]);
        assert_eq!(
            prk.as_ref(),
            hex!("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04")
        );
        let mut okm = [0u8; 42];
        hkdf.expand(prk.as_ref(), &[], &mut okm).unwrap();
        assert_eq!(
            okm,
            hex!(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                "9d201395faa4b61a96c8"
            )
        );
    }

    #[test]
    fn hkdf_rejects_short_prk_and_long_output() {
        let hkdf = HKDF_SHA384;
        let mut out = [0u8; 16];
        assert_eq!(
            hkdf.expand(&[0u8; 32], &[], &mut out),
            Err(CryptoError::InvalidKey)
        );
        let mut big = vec![0u8; 255 * 48 + 1];
        assert_eq!(
            hkdf.expand(&[0u8; 48], &[], &mut big),
            Err(CryptoError::Other)
        );
        let mut max = vec![0u8; 255 * 48];
        assert!(hkdf.expand(&[0u8; 48], &[], &mut max).is_ok());
    }

    /// A PRK longer than 64 bytes takes the generic path and agrees with it.
    #[test]
    fn hkdf_long_prk_matches_generic() {
        let prk = [0x42u8; 100];
        let mut a = [0u8; 70];
        let mut b = [0u8; 70];
        HKDF_SHA512.expand(&prk, &[b"label"], &mut a).unwrap();
        HkdfUsingHmac(Arc::new(HMAC_SHA512))
            .expand(&prk, &[b"label"], &mut b)
            .unwrap();
        assert_eq!(a, b);
        // And a 64-byte PRK gives the same on both paths.
        HKDF_SHA512.expand(&prk[..64], &[b"l"], &mut a).unwrap();
        HkdfUsingHmac(Arc::new(HMAC_SHA512))
            .expand(&prk[..64], &[b"l"], &mut b)
            .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn hkdf_hmac_matches_hmac() {
        assert_eq!(
            HKDF_SHA512.hmac(b"key", b"message").as_ref(),
            HMAC_SHA512.with_key(b"key").sign(&[b"message"]).as_ref()
        );
    }

    #[test]
    fn tls12_prf_sha256_vector() {
        let secret = hex!("9bbe436ba940f017b17652849a71db35");
        let seed = hex!("a0ba9f936cda311827a6f796ffd5198c");
        let mut out = [0u8; 100];
        prf(HMAC_SHA256).prf(&secret, b"test label", &seed, &mut out);
        assert_eq!(
            out,
            hex!(
                "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
                "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
                "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
                "87347b66"
            )
        );
    }

    /// The same PRF from aws-lc-rs's own `tls_prf` module agrees.
    #[test]
    fn tls12_prf_sha384_matches_aws_lc_tls_prf() {
        let prf = prf(HMAC_SHA384);
        assert_eq!(prf.hash_algorithm(), HashAlgorithm::SHA384);
        let mut ours = [0u8; 70];
        prf.prf(b"secret", b"label", b"seed", &mut ours);
        let theirs = aws_lc_rs::tls_prf::Secret::new(&aws_lc_rs::tls_prf::P_SHA384, b"secret")
            .unwrap()
            .derive(b"label", b"seed", 70)
            .unwrap();
        assert_eq!(&ours[..], theirs.as_ref());
    }
}
