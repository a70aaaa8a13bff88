//! SHA-2 hashes, HMAC, HKDF and the TLS 1.2 PRF, plus SHA-1 and HMAC-SHA1
//! for the record MAC of TLS 1.2 `*_CBC_SHA` suites.
//!
//! One generic implementation per trait, instantiated for SHA-256/384/512
//! (and SHA-1) through [`HashFn`], so the hashes cannot drift apart. SHA-1
//! is never offered to signature verification (`verify.rs` knows only
//! SHA-2) nor to HKDF or the PRF.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::marker::PhantomData;

use embertls::crypto::{self, HashContext, HashOutput, HmacKey, PrfUsingHmac};
use embertls::error::CryptoError;
use embertls::msgs::enums::HashAlgorithm;
use hmac::digest::{Digest, KeyInit};
use hmac::Mac;
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

/// A SHA-1 or SHA-2 function together with its HMAC type.
pub(crate) trait HashFn: Digest + Clone + Send + Sync + 'static {
    const ALGORITHM: HashAlgorithm;
    /// `hmac::Hmac<Self>`; named here so the bounds HKDF needs are stated once.
    type Mac: Mac + KeyInit + Clone + Send + Sync + hkdf::HmacImpl<Self> + 'static;
}

impl HashFn for Sha1 {
    const ALGORITHM: HashAlgorithm = HashAlgorithm::SHA1;
    type Mac = hmac::Hmac<Sha1>;
}

impl HashFn for Sha256 {
    const ALGORITHM: HashAlgorithm = HashAlgorithm::SHA256;
    type Mac = hmac::Hmac<Sha256>;
}

impl HashFn for Sha384 {
    const ALGORITHM: HashAlgorithm = HashAlgorithm::SHA384;
    type Mac = hmac::Hmac<Sha384>;
}

impl HashFn for Sha512 {
    const ALGORITHM: HashAlgorithm = HashAlgorithm::SHA512;
    type Mac = hmac::Hmac<Sha512>;
}

/// A keyed HMAC state. HMAC accepts keys of any length (long keys are
/// hashed), so construction cannot fail.
fn keyed<D: HashFn>(key: &[u8]) -> D::Mac {
    <D::Mac as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// A hash function (`D` is a `sha2` type).
pub(crate) struct Sha<D>(PhantomData<fn() -> D>);

impl<D> Sha<D> {
    pub(crate) const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<D: HashFn> crypto::Hash for Sha<D> {
    fn algorithm(&self) -> HashAlgorithm {
        D::ALGORITHM
    }

    fn output_len(&self) -> usize {
        <D as Digest>::output_size()
    }

    fn start(&self) -> Box<dyn HashContext> {
        Box::new(Context(D::new()))
    }

    fn hash(&self, data: &[u8]) -> HashOutput {
        HashOutput::new(&D::digest(data))
    }
}

/// A running hash; `fork` clones the state, which is cheap for SHA-2.
struct Context<D>(D);

impl<D: HashFn> HashContext for Context<D> {
    fn update(&mut self, data: &[u8]) {
        Digest::update(&mut self.0, data);
    }

    fn fork(&self) -> Box<dyn HashContext> {
        Box::new(Context(self.0.clone()))
    }

    fn finish(self: Box<Self>) -> HashOutput {
        HashOutput::new(&self.0.finalize())
    }

    fn current(&self) -> HashOutput {
        HashOutput::new(&self.0.clone().finalize())
    }
}

/// HMAC over `D`.
pub(crate) struct HmacSha<D>(PhantomData<fn() -> D>);

impl<D> HmacSha<D> {
    pub(crate) const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<D: HashFn> crypto::Hmac for HmacSha<D> {
    fn hash_algorithm(&self) -> HashAlgorithm {
        D::ALGORITHM
    }

    fn output_len(&self) -> usize {
        <D as Digest>::output_size()
    }

    fn with_key(&self, key: &[u8]) -> Box<dyn HmacKey> {
        Box::new(KeyedHmac::<D>(keyed::<D>(key)))
    }
}

/// The HMAC state after absorbing the key; each `sign` clones it, so the
/// key's inner and outer pads are computed only once per key.
struct KeyedHmac<D: HashFn>(D::Mac);

impl<D: HashFn> HmacKey for KeyedHmac<D> {
    fn sign(&self, chunks: &[&[u8]]) -> HashOutput {
        let mut mac = self.0.clone();
        for chunk in chunks {
            mac.update(chunk);
        }
        HashOutput::new(&mac.finalize().into_bytes())
    }
}

/// HKDF over `D`, using the `hkdf` crate (which takes any number of info
/// pieces without copying them together).
pub(crate) struct HkdfSha<D>(PhantomData<fn() -> D>);

impl<D> HkdfSha<D> {
    pub(crate) const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<D: HashFn> crypto::Hkdf for HkdfSha<D> {
    fn hash_algorithm(&self) -> HashAlgorithm {
        D::ALGORITHM
    }

    fn hash_len(&self) -> usize {
        <D as Digest>::output_size()
    }

    fn extract(&self, salt: &[u8], ikm: &[u8]) -> HashOutput {
        // `None` is RFC 5869's "HashLen zeros"; an empty HMAC key is the same
        // key after padding, but say what the RFC says.
        let salt = if salt.is_empty() { None } else { Some(salt) };
        let (prk, _) = hkdf::Hkdf::<D, D::Mac>::extract(salt, ikm);
        HashOutput::new(&prk)
    }

    fn expand(&self, prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<(), CryptoError> {
        // RFC 5869 2.3: PRK is at least HashLen bytes.
        let hkdf = hkdf::Hkdf::<D, D::Mac>::from_prk(prk).map_err(|_| CryptoError::InvalidKey)?;
        // Fails only when asked for more than 255 * HashLen bytes.
        hkdf.expand_multi_info(info, out)
            .map_err(|_| CryptoError::Other)
    }

    fn hmac(&self, key: &[u8], message: &[u8]) -> HashOutput {
        let mut mac = keyed::<D>(key);
        mac.update(message);
        HashOutput::new(&mac.finalize().into_bytes())
    }
}

/// The TLS 1.2 PRF over `D`, by core's generic construction.
pub(crate) fn prf<D: HashFn>() -> PrfUsingHmac {
    PrfUsingHmac(Arc::new(HmacSha::<D>::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use embertls::crypto::{Hash, Hkdf, Hmac, Tls12Prf};
    use hex_literal::hex;

    #[test]
    fn sha256_abc() {
        let h = Sha::<Sha256>::new();
        assert_eq!(
            h.hash(b"abc").as_ref(),
            hex!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        let mut ctx = h.start();
        ctx.update(b"a");
        ctx.update(b"bc");
        assert_eq!(ctx.finish().as_ref(), h.hash(b"abc").as_ref());
    }

    #[test]
    fn sha384_and_sha512_abc() {
        assert_eq!(
            Sha::<Sha384>::new().hash(b"abc").as_ref(),
            hex!(
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                "8086072ba1e7cc2358baeca134c825a7"
            )
        );
        assert_eq!(
            Sha::<Sha512>::new().hash(b"abc").as_ref(),
            hex!(
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
            )
        );
    }

    #[test]
    fn fork_matches_fresh_hash_of_prefix() {
        let h = Sha::<Sha384>::new();
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
    fn sha1_fips180_and_hmac_sha1_rfc2202() {
        let h = Sha::<Sha1>::new();
        assert_eq!(h.algorithm(), HashAlgorithm::SHA1);
        assert_eq!(h.output_len(), 20);
        assert_eq!(
            h.hash(b"abc").as_ref(),
            hex!("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        let mut ctx = h.start();
        ctx.update(b"abcdbcdecdefdefgefghfghighijhi");
        let fork = ctx.fork();
        ctx.update(b"jkijkljklmklmnlmnomnopnopq");
        assert_eq!(
            ctx.finish().as_ref(),
            hex!("84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        );
        assert_eq!(
            fork.finish().as_ref(),
            h.hash(b"abcdbcdecdefdefgefghfghighijhi").as_ref()
        );
        // RFC 2202 section 3, cases 2 and 6.
        let hmac = HmacSha::<Sha1>::new();
        assert_eq!(hmac.hash_algorithm(), HashAlgorithm::SHA1);
        assert_eq!(hmac.output_len(), 20);
        assert_eq!(
            hmac.with_key(b"Jefe")
                .sign(&[b"what do ya want ", b"for nothing?"])
                .as_ref(),
            hex!("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        );
        assert_eq!(
            hmac.with_key(&[0xaa; 80])
                .sign(&[b"Test Using Larger Than Block-Size Key - Hash Key First"])
                .as_ref(),
            hex!("aa4ae5e15272d00e95705637ce8a3b55ed402112")
        );
    }

    #[test]
    fn hmac_sha256_rfc4231_case_2() {
        let key = HmacSha::<Sha256>::new().with_key(b"Jefe");
        assert_eq!(
            key.sign(&[b"what do ya want ", b"for nothing?"]).as_ref(),
            hex!("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
    }

    #[test]
    fn hmac_sha384_sha512_rfc4231_case_2() {
        let msg: &[&[u8]] = &[b"what do ya want for nothing?"];
        assert_eq!(
            HmacSha::<Sha384>::new()
                .with_key(b"Jefe")
                .sign(msg)
                .as_ref(),
            hex!(
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
                "8e2240ca5e69e2c78b3239ecfab21649"
            )
        );
        assert_eq!(
            HmacSha::<Sha512>::new()
                .with_key(b"Jefe")
                .sign(msg)
                .as_ref(),
            hex!(
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
            )
        );
    }

    #[test]
    fn hkdf_sha256_rfc5869_case_1() {
        let hkdf = HkdfSha::<Sha256>::new();
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
    fn hkdf_sha256_rfc5869_case_3_empty_salt() {
        let hkdf = HkdfSha::<Sha256>::new();
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
        let hkdf = HkdfSha::<Sha384>::new();
        let mut out = [0u8; 16];
        assert_eq!(
            hkdf.expand(&[0u8; 32], &[], &mut out),
            Err(CryptoError::InvalidKey)
        );
        let mut big = [0u8; 255 * 48 + 1];
        assert!(hkdf.expand(&[0u8; 48], &[], &mut big).is_err());
    }

    #[test]
    fn hkdf_hmac_matches_hmac() {
        let hkdf = HkdfSha::<Sha512>::new();
        let hmac = HmacSha::<Sha512>::new();
        assert_eq!(
            hkdf.hmac(b"key", b"message").as_ref(),
            hmac.with_key(b"key").sign(&[b"message"]).as_ref()
        );
    }

    #[test]
    fn tls12_prf_sha256_vector() {
        let secret = hex!("9bbe436ba940f017b17652849a71db35");
        let seed = hex!("a0ba9f936cda311827a6f796ffd5198c");
        let mut out = [0u8; 100];
        prf::<Sha256>().prf(&secret, b"test label", &seed, &mut out);
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

    #[test]
    fn tls12_prf_sha384_reports_its_hash() {
        let prf = prf::<Sha384>();
        assert_eq!(prf.hash_algorithm(), HashAlgorithm::SHA384);
        let mut a = [0u8; 70];
        let mut b = [0u8; 70];
        prf.prf(b"secret", b"label", b"seed", &mut a);
        prf.prf(b"secret", b"label", b"seed", &mut b);
        assert_eq!(a, b);
        assert_ne!(a, [0u8; 70]);
    }
}
