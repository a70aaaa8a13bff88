//! ECDHE over X25519, secp256r1 and secp384r1.
//!
//! Private keys are built from bytes drawn from the caller's
//! [`SecureRandom`], never from a separate RNG, so a scripted random source
//! gives reproducible handshakes (the RFC 8448 replay relies on this).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::marker::PhantomData;

use embertls::crypto::{ActiveKeyExchange, KeyExchangeGroup, SecureRandom, SharedSecret};
use embertls::error::CryptoError;
use embertls::msgs::enums::NamedGroup;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ModulusSize, ToEncodedPoint};
use p256::elliptic_curve::{
    ecdh, AffinePoint, CurveArithmetic, FieldBytes, FieldBytesSize, PublicKey, SecretKey,
};
use zeroize::Zeroizing;

/// X25519 (RFC 7748).
pub(crate) struct X25519;

impl KeyExchangeGroup for X25519 {
    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }

    fn start(&self, rng: &dyn SecureRandom) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        // The 32 drawn bytes are the private scalar; clamping happens inside.
        let mut scalar = Zeroizing::new([0u8; 32]);
        rng.fill(&mut scalar[..])?;
        let secret = x25519_dalek::StaticSecret::from(*scalar);
        let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
        Ok(Box::new(X25519Active { secret, public }))
    }
}

struct X25519Active {
    /// Wiped on drop by x25519-dalek.
    secret: x25519_dalek::StaticSecret,
    public: [u8; 32],
}

impl ActiveKeyExchange for X25519Active {
    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<SharedSecret, CryptoError> {
        let peer: [u8; 32] = peer_public
            .try_into()
            .map_err(|_| CryptoError::InvalidKey)?;
        let shared = self
            .secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(peer));
        // RFC 8446 7.4.2: abort on an all-zero result (a small-order share).
        if !shared.was_contributory() {
            return Err(CryptoError::InvalidKey);
        }
        Ok(SharedSecret::new(shared.as_bytes().to_vec()))
    }
}

/// How many candidate scalars to draw before giving up. An honest source
/// yields a valid one first time with overwhelming probability (the failure
/// chance per draw is below 2^-32 for P-256), so running out means the
/// source is broken.
const MAX_SCALAR_DRAWS: usize = 16;

/// ECDHE over a NIST curve `C` (p256::NistP256 or p384::NistP384).
pub(crate) struct NistGroup<C> {
    group: NamedGroup,
    curve: PhantomData<fn() -> C>,
}

pub(crate) const SECP256R1: NistGroup<p256::NistP256> = NistGroup {
    group: NamedGroup::secp256r1,
    curve: PhantomData,
};

pub(crate) const SECP384R1: NistGroup<p384::NistP384> = NistGroup {
    group: NamedGroup::secp384r1,
    curve: PhantomData,
};

impl<C> KeyExchangeGroup for NistGroup<C>
where
    C: CurveArithmetic + 'static,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    fn group(&self) -> NamedGroup {
        self.group
    }

    fn start(&self, rng: &dyn SecureRandom) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        let mut bytes = Zeroizing::new(FieldBytes::<C>::default());
        for _ in 0..MAX_SCALAR_DRAWS {
            rng.fill(&mut bytes[..])?;
            // Rejects zero and values not below the group order.
            if let Ok(secret) = SecretKey::<C>::from_bytes(&bytes) {
                let public = secret
                    .public_key()
                    .to_encoded_point(false)
                    .as_bytes()
                    .to_vec();
                return Ok(Box::new(NistActive {
                    group: self.group,
                    secret,
                    public,
                }));
            }
        }
        Err(CryptoError::RandomFailed)
    }
}

struct NistActive<C: CurveArithmetic> {
    group: NamedGroup,
    /// Wiped on drop by elliptic-curve.
    secret: SecretKey<C>,
    /// Uncompressed SEC1 point, 0x04 || X || Y.
    public: Vec<u8>,
}

impl<C> ActiveKeyExchange for NistActive<C>
where
    C: CurveArithmetic,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    fn group(&self) -> NamedGroup {
        self.group
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<SharedSecret, CryptoError> {
        // RFC 8446 4.2.8.2: only the uncompressed form is allowed, which
        // also rules out the one-byte encoding of the point at infinity.
        if peer_public.len() != self.public.len() || peer_public[0] != 0x04 {
            return Err(CryptoError::InvalidKey);
        }
        // Checks that the point lies on the curve.
        let peer =
            PublicKey::<C>::from_sec1_bytes(peer_public).map_err(|_| CryptoError::InvalidKey)?;
        let shared = ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), peer.as_affine());
        // The x-coordinate, as TLS uses it.
        Ok(SharedSecret::new(shared.raw_secret_bytes().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Scripted;
    use alloc::vec;
    use hex_literal::hex;

    /// RFC 7748 section 6.1.
    #[test]
    fn x25519_rfc7748_6_1() {
        let alice_sk = hex!("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let bob_sk = hex!("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        let rng = Scripted::new(&[alice_sk, bob_sk].concat());
        let alice = X25519.start(&rng).unwrap();
        let bob = X25519.start(&rng).unwrap();
        assert_eq!(rng.remaining(), 0, "exactly 32 bytes per key");
        assert_eq!(
            alice.public_key(),
            hex!("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        );
        assert_eq!(
            bob.public_key(),
            hex!("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        );
        let bob_pub = bob.public_key().to_vec();
        let k1 = alice.complete(&bob_pub).unwrap();
        let expected = hex!("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assert_eq!(k1.as_ref(), expected);
        let alice_pub = hex!("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        let k2 = bob.complete(&alice_pub).unwrap();
        assert_eq!(k2.as_ref(), expected);
    }

    #[test]
    fn x25519_rejects_small_order_and_bad_length() {
        let rng = Scripted::new(&[0x42u8; 96]);
        // All-zero share: the result is all zeros.
        assert_eq!(
            X25519.start(&rng).unwrap().complete(&[0u8; 32]).err(),
            Some(CryptoError::InvalidKey)
        );
        // The order-1 point u = 1 also yields zero.
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(
            X25519.start(&rng).unwrap().complete(&one).err(),
            Some(CryptoError::InvalidKey)
        );
        assert_eq!(
            X25519.start(&rng).unwrap().complete(&[9u8; 31]).err(),
            Some(CryptoError::InvalidKey)
        );
    }

    #[test]
    fn random_failure_propagates() {
        let rng = Scripted::new(&[1u8; 10]);
        assert_eq!(X25519.start(&rng).err(), Some(CryptoError::RandomFailed));
        assert_eq!(SECP256R1.start(&rng).err(), Some(CryptoError::RandomFailed));
    }

    fn nist_agree(group: &dyn KeyExchangeGroup, len: usize) {
        let rng = Scripted::new(&[[0x11u8; 48], [0x22u8; 48]].concat());
        let a = group.start(&rng).unwrap();
        let b = group.start(&rng).unwrap();
        assert_eq!(
            rng.remaining(),
            96 - 2 * len,
            "exactly one field element per key"
        );
        assert_eq!(a.public_key().len(), 1 + 2 * len);
        assert_eq!(a.public_key()[0], 0x04);
        let a_pub = a.public_key().to_vec();
        let b_pub = b.public_key().to_vec();
        let s1 = a.complete(&b_pub).unwrap();
        let s2 = b.complete(&a_pub).unwrap();
        assert_eq!(s1.as_ref(), s2.as_ref());
        assert_eq!(s1.as_ref().len(), len);
    }

    #[test]
    fn p256_and_p384_agree() {
        nist_agree(&SECP256R1, 32);
        nist_agree(&SECP384R1, 48);
    }

    /// The scalar comes straight from the drawn bytes: scalar 1 gives the
    /// generator, whose coordinates are public constants.
    #[test]
    fn p256_scalar_is_the_drawn_bytes() {
        let mut one = [0u8; 32];
        one[31] = 1;
        let rng = Scripted::new(&one);
        let kx = SECP256R1.start(&rng).unwrap();
        assert_eq!(
            kx.public_key(),
            hex!(
                "04"
                "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
                "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
            )
        );
    }

    #[test]
    fn nist_retries_invalid_scalars() {
        // All-ones exceeds the group order; zero is invalid; then a valid one.
        let mut script = vec![0xffu8; 32];
        script.extend_from_slice(&[0u8; 32]);
        script.extend_from_slice(&[0x33u8; 32]);
        let rng = Scripted::new(&script);
        assert!(SECP256R1.start(&rng).is_ok());
        assert_eq!(rng.remaining(), 0);
        // A source that only ever yields invalid scalars makes start fail.
        let rng = Scripted::new(&[0u8; 48 * MAX_SCALAR_DRAWS]);
        assert_eq!(SECP384R1.start(&rng).err(), Some(CryptoError::RandomFailed));
    }

    #[test]
    fn nist_rejects_invalid_peer_shares() {
        let rng = Scripted::new(&[0x44u8; 32 * 8]);
        let good = SECP256R1.start(&rng).unwrap().public_key().to_vec();
        let reject = |share: &[u8]| {
            assert_eq!(
                SECP256R1.start(&rng).unwrap().complete(share).err(),
                Some(CryptoError::InvalidKey),
                "{share:02x?}"
            );
        };
        // Not on the curve.
        let mut off = good.clone();
        off[64] ^= 1;
        reject(&off);
        // Compressed form of a valid point.
        let mut compressed = vec![0x02 | (good[64] & 1)];
        compressed.extend_from_slice(&good[1..33]);
        reject(&compressed);
        // Point at infinity, wrong lengths, wrong prefix.
        reject(&[0x00]);
        reject(&[]);
        reject(&good[..64]);
        let mut hybrid = good.clone();
        hybrid[0] = 0x06;
        reject(&hybrid);
        // All zeros with the uncompressed prefix is not a curve point.
        let mut zeros = vec![0u8; 65];
        zeros[0] = 4;
        reject(&zeros);
    }
}
