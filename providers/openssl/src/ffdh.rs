//! Finite-field Diffie-Hellman (RFC 7919 groups and caller-supplied
//! parameters) on OpenSSL's `BN_mod_exp`.
//!
//! The private exponent is drawn from the [`SecureRandom`] passed to
//! `start` (so a scripted source reproduces a key share, as with the other
//! key exchanges) and marked `BN_FLG_CONSTTIME`, which makes OpenSSL use its
//! constant-time Montgomery exponentiation. Sizes as in the RustCrypto
//! backend: 256/320/384-bit exponents in the RFC 7919 groups (safe primes;
//! RFC 7919 section 5.2 asks for 225/275/325), a full-size exponent in
//! [2, p-2] with caller-supplied parameters.

use std::cmp::Ordering;

use embertls::crypto::ffdh::{plan_exchange, strip_leading_zeros, ExchangePlan};
use embertls::crypto::{ActiveKeyExchange, FiniteFieldDh, SecureRandom, SharedSecret};
use embertls::error::CryptoError;
use embertls::msgs::enums::NamedGroup;
use openssl::bn::{BigNum, BigNumContext, BigNumRef};
use openssl::error::ErrorStack;
use zeroize::Zeroizing;

/// Draws for a private exponent before giving up on the random source.
const MAX_DRAWS: usize = 64;

/// Finite-field Diffie-Hellman on OpenSSL.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpenSslFfdh;

fn other(_: ErrorStack) -> CryptoError {
    CryptoError::Other
}

/// Whether 2 <= n <= p - 2, given `p_minus_1` = p - 1.
fn in_range(n: &BigNumRef, p_minus_1: &BigNumRef) -> bool {
    n.num_bits() > 1 && n.ucmp(p_minus_1) == Ordering::Less && !n.is_negative()
}

impl FiniteFieldDh for OpenSslFfdh {
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
        let modulus = BigNum::from_slice(p).map_err(other)?;
        let mut p_minus_1 = BigNum::from_slice(p).map_err(other)?;
        p_minus_1.sub_word(1).map_err(other)?;
        let generator = BigNum::from_slice(g).map_err(other)?;
        if !in_range(&generator, &p_minus_1) {
            return Err(CryptoError::InvalidKey);
        }
        let x = draw_exponent(&p_minus_1, exponent_bits, rng)?;
        let mut ctx = BigNumContext::new().map_err(other)?;
        let mut y = BigNum::new().map_err(other)?;
        y.mod_exp(&generator, &x, &modulus, &mut ctx)
            .map_err(other)?;
        let public = y.to_vec_padded(p.len() as i32).map_err(other)?;
        Ok(Box::new(ActiveDh {
            group,
            modulus,
            p_minus_1,
            x,
            public,
        }))
    }
}

/// A private exponent below 2^bits in [2, p-2], from exactly the bytes
/// drawn, flagged for constant-time use and kept in OpenSSL's secure heap
/// when it has one.
fn draw_exponent(
    p_minus_1: &BigNumRef,
    bits: usize,
    rng: &dyn SecureRandom,
) -> Result<BigNum, CryptoError> {
    let mut bytes = Zeroizing::new(vec![0u8; bits.div_ceil(8)]);
    for _ in 0..MAX_DRAWS {
        rng.fill(&mut bytes)?;
        let excess = bytes.len() * 8 - bits;
        bytes[0] &= 0xff >> excess;
        let mut x = BigNum::new_secure().map_err(other)?;
        x.set_const_time();
        x.copy_from_slice(&bytes).map_err(other)?;
        if in_range(&x, p_minus_1) {
            return Ok(x);
        }
        x.clear();
    }
    Err(CryptoError::RandomFailed)
}

/// An ephemeral key pair waiting for the peer's public value.
struct ActiveDh {
    group: NamedGroup,
    modulus: BigNum,
    p_minus_1: BigNum,
    /// Cleared when dropped (`BN_clear_free`, as a secure-heap number).
    x: BigNum,
    public: Vec<u8>,
}

impl Drop for ActiveDh {
    fn drop(&mut self) {
        self.x.clear();
    }
}

impl ActiveKeyExchange for ActiveDh {
    fn group(&self) -> NamedGroup {
        self.group
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<SharedSecret, CryptoError> {
        let p_len = self.public.len();
        let peer = strip_leading_zeros(peer_public);
        if peer.len() > p_len {
            return Err(CryptoError::InvalidKey);
        }
        let y = BigNum::from_slice(peer).map_err(other)?;
        if !in_range(&y, &self.p_minus_1) {
            return Err(CryptoError::InvalidKey);
        }
        let mut ctx = BigNumContext::new_secure().map_err(other)?;
        let mut z = BigNum::new_secure().map_err(other)?;
        z.mod_exp(&y, &self.x, &self.modulus, &mut ctx)
            .map_err(other)?;
        // 1 means the peer's value lies in a small subgroup.
        if z.num_bits() == 1 {
            z.clear();
            return Err(CryptoError::InvalidKey);
        }
        let secret = z.to_vec_padded(p_len as i32).map_err(other);
        z.clear();
        Ok(SharedSecret::new(secret?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embertls::crypto::ffdh::{FFDHE2048_P, FFDHE3072_P, FFDHE4096_P};

    fn exchange(group: NamedGroup, p: &[u8], g: &[u8]) {
        let rng = crate::OpenSslRandom;
        let a = OpenSslFfdh.start(group, p, g, &rng).unwrap();
        let b = OpenSslFfdh.start(group, p, g, &rng).unwrap();
        assert_eq!(a.group(), group);
        assert_eq!(a.public_key().len(), p.len());
        let (a_pub, b_pub) = (a.public_key().to_vec(), b.public_key().to_vec());
        let sa = a.complete(&b_pub).unwrap();
        let sb = b.complete(&a_pub).unwrap();
        assert_eq!(sa.as_ref(), sb.as_ref());
        assert_eq!(sa.as_ref().len(), p.len());
    }

    #[test]
    fn named_and_custom_groups_agree() {
        exchange(NamedGroup::FFDHE2048, &FFDHE2048_P, &[2]);
        exchange(NamedGroup::FFDHE3072, &FFDHE3072_P, &[2]);
        exchange(NamedGroup::FFDHE4096, &FFDHE4096_P, &[2]);
        exchange(NamedGroup(0), &FFDHE2048_P, &[2]);
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let p = &FFDHE2048_P[..];
        let mut p_minus_1 = p.to_vec();
        *p_minus_1.last_mut().unwrap() -= 1;
        for bad in [
            vec![],
            vec![0],
            vec![1],
            p_minus_1,
            p.to_vec(),
            vec![0xff; 257],
        ] {
            let kx = OpenSslFfdh
                .start(NamedGroup::FFDHE2048, p, &[2], &crate::OpenSslRandom)
                .unwrap();
            assert_eq!(kx.complete(&bad).err(), Some(CryptoError::InvalidKey));
        }
        let mut even = FFDHE2048_P;
        even[255] = 0xfe;
        for (p, g) in [
            (&even[..], &[2u8][..]),
            (&FFDHE2048_P[..], &[1u8][..]),
            (&FFDHE2048_P[..], &[][..]),
            (&[0xffu8; 32][..], &[2u8][..]),
        ] {
            assert_eq!(
                OpenSslFfdh
                    .start(NamedGroup(0), p, g, &crate::OpenSslRandom)
                    .err(),
                Some(CryptoError::InvalidKey)
            );
        }
    }
}
