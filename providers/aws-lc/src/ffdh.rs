//! Finite-field Diffie-Hellman (DHE suites, RFC 7919 groups and
//! caller-supplied parameters) on AWS-LC's BIGNUM arithmetic.
//!
//! AWS-LC's `DH` API draws private keys from its own generator, but the
//! engine's contract is that key-exchange private keys come from the
//! `SecureRandom` passed to `start` (a scripted source then reproduces a key
//! share). So this module uses the bignum layer through `aws-lc-sys`: the
//! exponent is built from exactly the bytes drawn, and both exponentiations
//! are `BN_mod_exp_mont_consttime` with a Montgomery context for p.
//!
//! Exponent sizes match the other backends: 256/320/384 bits in the RFC
//! 7919 groups (their primes are safe primes; RFC 7919 section 5.2 asks for
//! at least 225/275/325 bits), a full-size exponent in [2, p-2] with
//! caller-supplied parameters, whose subgroup structure is unknown.
#![allow(unsafe_code)]

use std::cmp::Ordering;
use std::ptr::{self, NonNull};

use aws_lc_sys::{
    BN_CTX_free, BN_CTX_new, BN_MONT_CTX_free, BN_MONT_CTX_new_for_modulus, BN_bin2bn,
    BN_bn2bin_padded, BN_clear_free, BN_mod_exp_mont_consttime, BN_new, BN_num_bits, BN_sub_word,
    BN_ucmp, BIGNUM, BN_CTX, BN_MONT_CTX,
};
use embertls::crypto::ffdh::{plan_exchange, strip_leading_zeros, ExchangePlan};
use embertls::crypto::{ActiveKeyExchange, FiniteFieldDh, SecureRandom, SharedSecret};
use embertls::error::CryptoError;
use embertls::msgs::enums::NamedGroup;
use zeroize::Zeroizing;

/// Draws for a private exponent before giving up on the random source.
const MAX_DRAWS: usize = 64;

/// Finite-field DH on AWS-LC.
#[derive(Debug, Default, Clone, Copy)]
pub struct AwsLcFfdh;

/// An owned BIGNUM, wiped and freed on drop.
struct Bn(NonNull<BIGNUM>);

// SAFETY: a BIGNUM is plain heap memory owned by exactly one `Bn`; AWS-LC
// keeps no thread-affine state in it, and `&Bn` only allows reads.
unsafe impl Send for Bn {}
// SAFETY: see `Send`; shared references only reach const AWS-LC calls.
unsafe impl Sync for Bn {}

impl Bn {
    /// A number from big-endian bytes (empty is zero).
    fn from_be(bytes: &[u8]) -> Result<Self, CryptoError> {
        // SAFETY: `bytes` is readable for its length (a dangling but non-NULL
        // pointer when empty, which BN_bin2bn never reads); a NULL `ret`
        // asks for a fresh BIGNUM, checked for NULL.
        let bn = unsafe { BN_bin2bn(bytes.as_ptr(), bytes.len(), ptr::null_mut()) };
        NonNull::new(bn).map(Self).ok_or(CryptoError::Other)
    }

    fn new() -> Result<Self, CryptoError> {
        // SAFETY: no arguments; checked for NULL.
        NonNull::new(unsafe { BN_new() })
            .map(Self)
            .ok_or(CryptoError::Other)
    }

    fn as_ptr(&self) -> *const BIGNUM {
        self.0.as_ptr()
    }

    fn bits(&self) -> usize {
        // SAFETY: a live BIGNUM.
        unsafe { BN_num_bits(self.as_ptr()) as usize }
    }

    fn ucmp(&self, other: &Bn) -> Ordering {
        // SAFETY: two live BIGNUMs, only read.
        unsafe { BN_ucmp(self.as_ptr(), other.as_ptr()) }.cmp(&0)
    }

    /// Big-endian, left-padded to `len` bytes.
    fn to_be_padded(&self, len: usize) -> Result<Vec<u8>, CryptoError> {
        let mut out = vec![0u8; len];
        // SAFETY: `out` is writable for `len` bytes; the call fails (0)
        // rather than write more when the number does not fit.
        let rc = unsafe { BN_bn2bin_padded(out.as_mut_ptr(), len, self.as_ptr()) };
        if rc != 1 {
            return Err(CryptoError::Other);
        }
        Ok(out)
    }
}

impl Drop for Bn {
    fn drop(&mut self) {
        // SAFETY: owned, freed once; BN_clear_free wipes the limbs first.
        unsafe { BN_clear_free(self.0.as_ptr()) }
    }
}

/// A BN_CTX scratch pool for one computation.
struct BnCtx(NonNull<BN_CTX>);

impl BnCtx {
    fn new() -> Result<Self, CryptoError> {
        // SAFETY: no arguments; checked for NULL.
        NonNull::new(unsafe { BN_CTX_new() })
            .map(Self)
            .ok_or(CryptoError::Other)
    }
}

impl Drop for BnCtx {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { BN_CTX_free(self.0.as_ptr()) }
    }
}

/// Montgomery parameters for an odd modulus.
struct Mont(NonNull<BN_MONT_CTX>);

// SAFETY: after construction the context is only passed as `const` to
// BN_mod_exp_mont_consttime, which reads it; it is owned by one value.
unsafe impl Send for Mont {}
// SAFETY: see `Send`.
unsafe impl Sync for Mont {}

impl Mont {
    fn new(modulus: &Bn, ctx: &mut BnCtx) -> Result<Self, CryptoError> {
        // SAFETY: a live odd modulus (checked by the caller) and scratch
        // context; the result is checked for NULL.
        let mont = unsafe { BN_MONT_CTX_new_for_modulus(modulus.as_ptr(), ctx.0.as_ptr()) };
        NonNull::new(mont).map(Self).ok_or(CryptoError::Other)
    }
}

impl Drop for Mont {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { BN_MONT_CTX_free(self.0.as_ptr()) }
    }
}

/// A prime with its Montgomery context and p - 1.
struct Group {
    p: Bn,
    p_minus_1: Bn,
    mont: Mont,
    /// Length of p in bytes: of public values and the shared secret.
    len: usize,
}

impl Group {
    /// `p` as `plan_exchange` checked it: odd, 512..=8192 bits.
    fn new(p: &[u8]) -> Result<Self, CryptoError> {
        if p.last().map_or(true, |b| b & 1 == 0) {
            return Err(CryptoError::InvalidKey);
        }
        let prime = Bn::from_be(p)?;
        let p_minus_1 = Bn::from_be(p)?;
        // SAFETY: a live BIGNUM we own exclusively; p is odd and > 1, so
        // subtracting one cannot go negative.
        if unsafe { BN_sub_word(p_minus_1.0.as_ptr(), 1) } != 1 {
            return Err(CryptoError::Other);
        }
        let mut ctx = BnCtx::new()?;
        let mont = Mont::new(&prime, &mut ctx)?;
        Ok(Self {
            p: prime,
            p_minus_1,
            mont,
            len: p.len(),
        })
    }

    /// Whether 2 <= n <= p - 2.
    fn in_range(&self, n: &Bn) -> bool {
        n.bits() > 1 && n.ucmp(&self.p_minus_1) == Ordering::Less
    }

    /// base^exponent mod p, constant-time in the exponent; `base` < p.
    fn pow(&self, base: &Bn, exponent: &Bn) -> Result<Bn, CryptoError> {
        let result = Bn::new()?;
        let ctx = BnCtx::new()?;
        // SAFETY: all pointers are live BIGNUMs/contexts; `result` is ours
        // to write and distinct from the inputs; `base` is reduced (in
        // [2, p-2]) and p is odd, as the function requires; `mont` was made
        // for p.
        let rc = unsafe {
            BN_mod_exp_mont_consttime(
                result.0.as_ptr(),
                base.as_ptr(),
                exponent.as_ptr(),
                self.p.as_ptr(),
                ctx.0.as_ptr(),
                self.mont.0.as_ptr(),
            )
        };
        if rc != 1 {
            return Err(CryptoError::Other);
        }
        Ok(result)
    }
}

impl FiniteFieldDh for AwsLcFfdh {
    fn start(
        &self,
        group: NamedGroup,
        p: &[u8],
        g: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        // Prime size and parity, and the exponent size, as every backend decides them.
        let ExchangePlan {
            p,
            g,
            exponent_bits,
        } = plan_exchange(group, p, g)?;
        let params = Group::new(p)?;
        let generator = Bn::from_be(g)?;
        if !params.in_range(&generator) {
            return Err(CryptoError::InvalidKey);
        }
        let x = draw_exponent(&params, exponent_bits, rng)?;
        let public = params.pow(&generator, &x)?.to_be_padded(params.len)?;
        Ok(Box::new(ActiveDh {
            group,
            params,
            x,
            public,
        }))
    }
}

/// A private exponent below 2^bits in [2, p-2], from exactly the bytes
/// drawn (the top byte masked to `bits`).
fn draw_exponent(params: &Group, bits: usize, rng: &dyn SecureRandom) -> Result<Bn, CryptoError> {
    let mut bytes = Zeroizing::new(vec![0u8; bits.div_ceil(8)]);
    for _ in 0..MAX_DRAWS {
        rng.fill(&mut bytes)?;
        bytes[0] &= 0xff >> (bytes.len() * 8 - bits);
        let x = Bn::from_be(&bytes)?;
        if params.in_range(&x) {
            return Ok(x);
        }
    }
    Err(CryptoError::RandomFailed)
}

/// An ephemeral key pair waiting for the peer's public value.
struct ActiveDh {
    group: NamedGroup,
    params: Group,
    /// Wiped when dropped (`BN_clear_free`).
    x: Bn,
    public: Vec<u8>,
}

impl ActiveKeyExchange for ActiveDh {
    fn group(&self) -> NamedGroup {
        self.group
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<SharedSecret, CryptoError> {
        let peer = strip_leading_zeros(peer_public);
        if peer.len() > self.params.len {
            return Err(CryptoError::InvalidKey);
        }
        let y = Bn::from_be(peer)?;
        if !self.params.in_range(&y) {
            return Err(CryptoError::InvalidKey);
        }
        let z = self.params.pow(&y, &self.x)?;
        Ok(SharedSecret::new(z.to_be_padded(self.params.len)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{Counter, Scripted};
    use embertls::crypto::ffdh::FFDHE2048_P;

    fn agree(p: &[u8], g: &[u8], group: NamedGroup) {
        let rng = Counter::default();
        let a = AwsLcFfdh.start(group, p, g, &rng).unwrap();
        let b = AwsLcFfdh.start(group, p, g, &rng).unwrap();
        assert_eq!(a.group(), group);
        assert_eq!(a.public_key().len(), p.len());
        assert_ne!(a.public_key(), b.public_key());
        let (a_pub, b_pub) = (a.public_key().to_vec(), b.public_key().to_vec());
        let s1 = a.complete(&b_pub).unwrap();
        let s2 = b.complete(&a_pub).unwrap();
        assert_eq!(s1.as_ref(), s2.as_ref());
        assert_eq!(s1.as_ref().len(), p.len());
    }

    #[test]
    fn named_groups_agree() {
        for group in [
            NamedGroup::FFDHE2048,
            NamedGroup::FFDHE3072,
            NamedGroup::FFDHE4096,
        ] {
            let params = embertls::crypto::ffdh::named_ffdhe_params(group).unwrap();
            agree(params.p, params.g, group);
        }
    }

    /// A custom safe prime: the 1024-bit MODP group of RFC 2409 (Oakley
    /// group 2), with generator 2.
    #[test]
    fn custom_prime_agrees() {
        let p = hex_literal::hex!(
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
            "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
            "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
            "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"
        );
        agree(&p, &[2], NamedGroup(0));
    }

    /// Known answer: with x = 2 (the smallest exponent allowed), the public
    /// value is g^2 = 4, and the secret with peer value 3 is 3^2 = 9.
    #[test]
    fn exponent_comes_from_the_random_source() {
        let p = &FFDHE2048_P;
        // A custom (non-named) group takes a full-size exponent: 256 bytes.
        let mut seed = vec![0u8; 256];
        seed[255] = 2;
        let kx = AwsLcFfdh
            .start(NamedGroup(0), p, &[2], &Scripted::new(&seed))
            .unwrap();
        let mut four = vec![0u8; 256];
        four[255] = 4;
        assert_eq!(kx.public_key(), four);
        let mut three = vec![0u8; 256];
        three[255] = 3;
        let mut nine = vec![0u8; 256];
        nine[255] = 9;
        assert_eq!(kx.complete(&three).unwrap().as_ref(), nine);
        // The named group draws 32 bytes; an exponent of 0 or 1 is drawn
        // again.
        let mut seed = vec![0u8; 32];
        seed[31] = 1;
        seed.extend_from_slice(&[0x11; 32]);
        let rng = Scripted::new(&seed);
        AwsLcFfdh
            .start(NamedGroup::FFDHE2048, p, &[2], &rng)
            .unwrap();
        assert_eq!(rng.remaining(), 0);
    }

    #[test]
    fn peer_values_outside_range_refused() {
        let p = FFDHE2048_P.to_vec();
        let len = p.len();
        let padded = |n: u8| {
            let mut v = vec![0u8; len];
            v[len - 1] = n;
            v
        };
        let mut p_minus_1 = p.clone();
        p_minus_1[len - 1] -= 1;
        let mut p_minus_2 = p.clone();
        p_minus_2[len - 1] -= 2;
        let mut longer = vec![1u8];
        longer.extend_from_slice(&p);
        let rng = Counter::default();
        for bad in [
            padded(0),
            padded(1),
            vec![1],
            vec![],
            p_minus_1,
            p.clone(),
            vec![0xff; len],
            longer,
        ] {
            let kx = AwsLcFfdh
                .start(NamedGroup::FFDHE2048, &p, &[2], &rng)
                .unwrap();
            assert_eq!(kx.complete(&bad).err(), Some(CryptoError::InvalidKey));
        }
        for good in [padded(2), vec![2], p_minus_2] {
            let kx = AwsLcFfdh
                .start(NamedGroup::FFDHE2048, &p, &[2], &rng)
                .unwrap();
            assert_eq!(kx.complete(&good).unwrap().as_ref().len(), len);
        }
    }

    #[test]
    fn bad_parameters_refused() {
        let rng = Counter::default();
        let mut even = FFDHE2048_P.to_vec();
        even[255] = 0xfe;
        let small = [0xfbu8; 32]; // 256 bits: too small
        for (p, g) in [
            (&even[..], &[2u8][..]),
            (&FFDHE2048_P[..], &[1u8][..]),
            (&FFDHE2048_P[..], &[][..]),
            (&FFDHE2048_P[..], &FFDHE2048_P[..]),
            (&[][..], &[2u8][..]),
            (&small[..], &[2u8][..]),
        ] {
            assert!(AwsLcFfdh.start(NamedGroup(0), p, g, &rng).is_err());
        }
    }
}
