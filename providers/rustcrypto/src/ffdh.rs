//! Finite-field Diffie-Hellman (RFC 7919 groups and caller-supplied
//! parameters) on `crypto-bigint`.
//!
//! `crypto-bigint` 0.5 sizes its integers at compile time, so the work is
//! done at the smallest of 1024, 2048, 3072, 4096 or 8192 bits that holds
//! `p`; Montgomery arithmetic works for any odd modulus below that width.
//! Exponentiation is constant time in the exponent's value (a fixed 4-bit
//! window over a fixed number of bits; only the number of bits, which is
//! public, shows in the timing).
//!
//! Private exponents: in an RFC 7919 group (whose primes are safe primes),
//! 256, 320 or 384 bits for ffdhe2048/3072/4096, above the 225/275/325 bits
//! RFC 7919 section 5.2 asks for; with caller-supplied parameters, whose
//! structure is unknown, a full-size exponent uniformly in [2, p-2].

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Limb, Uint, U1024, U2048, U3072, U4096, U8192};
use embertls::crypto::ffdh::{bit_length, plan_exchange, strip_leading_zeros, ExchangePlan};
use embertls::crypto::{ActiveKeyExchange, FiniteFieldDh, SecureRandom, SharedSecret};
use embertls::error::CryptoError;
use embertls::msgs::enums::NamedGroup;
use zeroize::Zeroizing;

/// Draws for a private exponent before giving up on the random source.
const MAX_DRAWS: usize = 64;

/// Finite-field Diffie-Hellman on `crypto-bigint`.
#[derive(Debug, Default, Clone, Copy)]
pub struct RustCryptoFfdh;

impl FiniteFieldDh for RustCryptoFfdh {
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
        let bits = bit_length(p);
        let params = Params {
            group,
            p,
            g,
            exponent_bits,
        };
        match bits {
            0..=1024 => start::<{ U1024::LIMBS }>(&params, rng),
            1025..=2048 => start::<{ U2048::LIMBS }>(&params, rng),
            2049..=3072 => start::<{ U3072::LIMBS }>(&params, rng),
            3073..=4096 => start::<{ U4096::LIMBS }>(&params, rng),
            _ => start::<{ U8192::LIMBS }>(&params, rng),
        }
    }
}

struct Params<'a> {
    group: NamedGroup,
    p: &'a [u8],
    g: &'a [u8],
    exponent_bits: usize,
}

/// `bytes` (at most `Uint::<LIMBS>::BYTES` long) as an integer.
fn to_uint<const LIMBS: usize>(bytes: &[u8]) -> Option<Uint<LIMBS>> {
    let bytes = strip_leading_zeros(bytes);
    if bytes.len() > Uint::<LIMBS>::BYTES {
        return None;
    }
    let mut buf = Zeroizing::new(vec![0u8; Uint::<LIMBS>::BYTES]);
    let start = buf.len() - bytes.len();
    buf[start..].copy_from_slice(bytes);
    Some(Uint::from_be_slice(&buf))
}

/// `n` big-endian in exactly `len` bytes (`n` < 2^(8 len)).
fn to_bytes<const LIMBS: usize>(n: &Uint<LIMBS>, len: usize) -> Vec<u8> {
    let mut full = Zeroizing::new(Vec::with_capacity(Uint::<LIMBS>::BYTES));
    for word in n.as_words().iter().rev() {
        full.extend_from_slice(&word.to_be_bytes());
    }
    debug_assert_eq!(full.len(), LIMBS * Limb::BYTES);
    full[full.len() - len..].to_vec()
}

/// Whether 2 <= n <= p - 2.
fn in_range<const LIMBS: usize>(n: &Uint<LIMBS>, p: &Uint<LIMBS>) -> bool {
    let two = Uint::<LIMBS>::from_u8(2);
    *n >= two && *n <= p.wrapping_sub(&two)
}

fn start<const LIMBS: usize>(
    params: &Params<'_>,
    rng: &dyn SecureRandom,
) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
    let p = to_uint::<LIMBS>(params.p).ok_or(CryptoError::InvalidKey)?;
    let g = to_uint::<LIMBS>(params.g).ok_or(CryptoError::InvalidKey)?;
    if !in_range(&g, &p) {
        return Err(CryptoError::InvalidKey);
    }
    let x = draw_exponent(&p, params.exponent_bits, rng)?;
    // `new` panics on an even modulus, which `start` has ruled out.
    let residue_params = DynResidueParams::new(&p);
    let y = DynResidue::new(&g, residue_params)
        .pow_bounded_exp(&*x, params.exponent_bits)
        .retrieve();
    Ok(Box::new(ActiveDh {
        group: params.group,
        modulus: p,
        residue_params,
        p_len: params.p.len(),
        x,
        exponent_bits: params.exponent_bits,
        public: to_bytes(&y, params.p.len()),
    }))
}

/// A private exponent of `bits` bits at most, in [2, p-2], from exactly the
/// bytes drawn from `rng` (so a scripted source reproduces a key share).
fn draw_exponent<const LIMBS: usize>(
    p: &Uint<LIMBS>,
    bits: usize,
    rng: &dyn SecureRandom,
) -> Result<Zeroizing<Uint<LIMBS>>, CryptoError> {
    let mut bytes = Zeroizing::new(vec![0u8; bits.div_ceil(8)]);
    for _ in 0..MAX_DRAWS {
        rng.fill(&mut bytes)?;
        let excess = bytes.len() * 8 - bits;
        bytes[0] &= 0xff >> excess;
        let x = Zeroizing::new(to_uint::<LIMBS>(&bytes).ok_or(CryptoError::Other)?);
        if in_range(&x, p) {
            return Ok(x);
        }
    }
    Err(CryptoError::RandomFailed)
}

/// An ephemeral key pair waiting for the peer's public value.
struct ActiveDh<const LIMBS: usize> {
    group: NamedGroup,
    modulus: Uint<LIMBS>,
    residue_params: DynResidueParams<LIMBS>,
    p_len: usize,
    /// Zeroized on drop.
    x: Zeroizing<Uint<LIMBS>>,
    exponent_bits: usize,
    public: Vec<u8>,
}

impl<const LIMBS: usize> ActiveKeyExchange for ActiveDh<LIMBS> {
    fn group(&self) -> NamedGroup {
        self.group
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<SharedSecret, CryptoError> {
        // Leading zeros are allowed (TLS 1.3 pads to the length of p, TLS
        // 1.2 does not), the value is not.
        if strip_leading_zeros(peer_public).len() > self.p_len {
            return Err(CryptoError::InvalidKey);
        }
        let y = to_uint::<LIMBS>(peer_public).ok_or(CryptoError::InvalidKey)?;
        if !in_range(&y, &self.modulus) {
            return Err(CryptoError::InvalidKey);
        }
        let z = Zeroizing::new(
            DynResidue::new(&y, self.residue_params)
                .pow_bounded_exp(&*self.x, self.exponent_bits)
                .retrieve(),
        );
        // 1 means the peer's value lies in a small subgroup.
        if *z == Uint::ONE {
            return Err(CryptoError::InvalidKey);
        }
        Ok(SharedSecret::new(to_bytes(&z, self.p_len)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{Counter, Scripted};
    use embertls::crypto::ffdh::{FFDHE2048_P, FFDHE3072_P, FFDHE4096_P};
    use hex_literal::hex;

    fn exchange(group: NamedGroup, p: &[u8], g: &[u8]) {
        let rng = Counter::default();
        let a = RustCryptoFfdh.start(group, p, g, &rng).unwrap();
        let b = RustCryptoFfdh.start(group, p, g, &rng).unwrap();
        assert_eq!(a.group(), group);
        assert_eq!(a.public_key().len(), p.len());
        assert_ne!(a.public_key(), b.public_key());
        let (a_pub, b_pub) = (a.public_key().to_vec(), b.public_key().to_vec());
        let sa = a.complete(&b_pub).unwrap();
        let sb = b.complete(&a_pub).unwrap();
        assert_eq!(sa.as_ref(), sb.as_ref());
        assert_eq!(sa.as_ref().len(), p.len());
    }

    #[test]
    fn named_groups_agree() {
        exchange(NamedGroup::FFDHE2048, &FFDHE2048_P, &[2]);
        exchange(NamedGroup::FFDHE3072, &FFDHE3072_P, &[2]);
        exchange(NamedGroup::FFDHE4096, &FFDHE4096_P, &[2]);
    }

    /// RFC 5114 / RFC 2409 style custom group: the 1024-bit MODP group 2
    /// prime (RFC 2409 section 6.2), g = 2.
    const MODP1024: [u8; 128] = hex!(
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
        "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
        "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"
    );

    #[test]
    fn custom_group_agrees() {
        exchange(NamedGroup(0), &MODP1024, &[2]);
        // ffdhe2048's prime passed as custom parameters: full-size exponent.
        exchange(NamedGroup(0), &FFDHE2048_P, &[2]);
    }

    #[test]
    fn peer_values_out_of_range_are_refused() {
        let p = &FFDHE2048_P[..];
        let mut p_minus_1 = p.to_vec();
        *p_minus_1.last_mut().unwrap() -= 1;
        let mut p_plus_1 = p.to_vec();
        *p_plus_1.last_mut().unwrap() = 0;
        p_plus_1.insert(0, 1); // 2^2048, above p
        let mut long = vec![0u8];
        long.extend_from_slice(p);
        for bad in [
            vec![],
            vec![0],
            vec![1],
            vec![0, 0, 1],
            p_minus_1,
            p.to_vec(),
            p_plus_1,
            vec![0xff; 300],
        ] {
            let kx = RustCryptoFfdh
                .start(NamedGroup::FFDHE2048, p, &[2], &Counter::default())
                .unwrap();
            assert_eq!(kx.complete(&bad).err(), Some(CryptoError::InvalidKey));
        }
        // A leading zero before a valid value is fine.
        let rng = Counter::default();
        let a = RustCryptoFfdh
            .start(NamedGroup::FFDHE2048, p, &[2], &rng)
            .unwrap();
        let mut two = vec![0u8; 256];
        two[255] = 2;
        assert!(a.complete(&two).is_ok());
    }

    #[test]
    fn bad_parameters_are_refused() {
        let rng = Counter::default();
        let mut even = FFDHE2048_P;
        even[255] = 0xfe;
        for (p, g) in [
            (&even[..], &[2u8][..]),
            (&FFDHE2048_P[..], &[1u8][..]),
            (&FFDHE2048_P[..], &[][..]),
            (&FFDHE2048_P[..], &FFDHE2048_P[..]),
            (&[0xffu8; 32][..], &[2u8][..]),
            (&[0xffu8; 1025][..], &[2u8][..]),
        ] {
            assert_eq!(
                RustCryptoFfdh.start(NamedGroup(0), p, g, &rng).err(),
                Some(CryptoError::InvalidKey)
            );
        }
    }

    #[test]
    fn private_exponent_comes_from_the_random_source() {
        // 32 bytes for ffdhe2048's 256-bit exponent, then nothing.
        let rng = Scripted::new(&[0x42; 32]);
        let a = RustCryptoFfdh
            .start(NamedGroup::FFDHE2048, &FFDHE2048_P, &[2], &rng)
            .unwrap();
        assert_eq!(rng.remaining(), 0);
        let rng = Scripted::new(&[0x42; 32]);
        let b = RustCryptoFfdh
            .start(NamedGroup::FFDHE2048, &FFDHE2048_P, &[2], &rng)
            .unwrap();
        assert_eq!(a.public_key(), b.public_key());
        // A failing source is reported.
        assert_eq!(
            RustCryptoFfdh
                .start(
                    NamedGroup::FFDHE2048,
                    &FFDHE2048_P,
                    &[2],
                    &Scripted::new(&[])
                )
                .err(),
            Some(CryptoError::RandomFailed)
        );
        // x = 2: g^x = 4.
        let mut two = [0u8; 32];
        two[31] = 2;
        let kx = RustCryptoFfdh
            .start(
                NamedGroup::FFDHE2048,
                &FFDHE2048_P,
                &[2],
                &Scripted::new(&two),
            )
            .unwrap();
        let mut four = [0u8; 256];
        four[255] = 4;
        assert_eq!(kx.public_key(), four);
    }
}
