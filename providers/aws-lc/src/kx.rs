//! ECDHE over X25519, secp256r1 and secp384r1.
//!
//! Private keys are built from bytes drawn from the caller's
//! [`SecureRandom`] (`agreement::PrivateKey::from_private_key`), never from
//! AWS-LC's own generator, so a scripted random source gives reproducible
//! handshakes, exactly as with the RustCrypto provider.

use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use embertls::crypto::{ActiveKeyExchange, KeyExchangeGroup, SecureRandom, SharedSecret};
use embertls::error::CryptoError;
use embertls::msgs::enums::NamedGroup;
use zeroize::Zeroizing;

/// How many candidate scalars to draw before giving up. An honest source
/// yields a valid one first time with overwhelming probability (the
/// failure chance per draw is below 2^-32 for P-256), so running out means
/// the source is broken.
const MAX_SCALAR_DRAWS: usize = 16;

/// Largest private key drawn (P-384).
const MAX_SCALAR_LEN: usize = 48;

/// An ECDHE group.
#[derive(Clone, Copy)]
pub(crate) struct Group {
    group: NamedGroup,
    algorithm: &'static agreement::Algorithm,
    /// Bytes of private key drawn per attempt.
    scalar_len: usize,
    /// Length of a public share: 32 for X25519, 0x04 || X || Y for NIST.
    share_len: usize,
}

/// X25519 (RFC 7748): the 32 drawn bytes are the private key; clamping
/// happens inside AWS-LC.
pub(crate) const X25519: Group = Group {
    group: NamedGroup::X25519,
    algorithm: &agreement::X25519,
    scalar_len: 32,
    share_len: 32,
};

pub(crate) const SECP256R1: Group = Group {
    group: NamedGroup::secp256r1,
    algorithm: &agreement::ECDH_P256,
    scalar_len: 32,
    share_len: 65,
};

pub(crate) const SECP384R1: Group = Group {
    group: NamedGroup::secp384r1,
    algorithm: &agreement::ECDH_P384,
    scalar_len: 48,
    share_len: 97,
};

impl KeyExchangeGroup for Group {
    fn group(&self) -> NamedGroup {
        self.group
    }

    fn start(&self, rng: &dyn SecureRandom) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        let mut buf = Zeroizing::new([0u8; MAX_SCALAR_LEN]);
        let bytes = &mut buf[..self.scalar_len];
        for _ in 0..MAX_SCALAR_DRAWS {
            rng.fill(bytes)?;
            // For the NIST curves AWS-LC rejects zero and values not below
            // the group order; every X25519 string is a valid key.
            if let Ok(private) = PrivateKey::from_private_key(self.algorithm, bytes) {
                let public = private
                    .compute_public_key()
                    .map_err(|_| CryptoError::Other)?
                    .as_ref()
                    .to_vec();
                if public.len() != self.share_len {
                    return Err(CryptoError::Other);
                }
                return Ok(Box::new(Active {
                    group: *self,
                    private,
                    public,
                }));
            }
        }
        Err(CryptoError::RandomFailed)
    }
}

struct Active {
    group: Group,
    /// Freed (and wiped) by AWS-LC on drop.
    private: PrivateKey,
    public: Vec<u8>,
}

impl ActiveKeyExchange for Active {
    fn group(&self) -> NamedGroup {
        self.group.group
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer_public: &[u8]) -> Result<SharedSecret, CryptoError> {
        // aws-lc-rs would also take a SubjectPublicKeyInfo or, for the NIST
        // curves, a compressed point; TLS allows neither (RFC 8446 4.2.8.2:
        // only the uncompressed form), so pin the raw encoding's length and
        // prefix first. That also rules out the one-byte point at infinity.
        if peer_public.len() != self.group.share_len {
            return Err(CryptoError::InvalidKey);
        }
        if self.group.group != NamedGroup::X25519 && peer_public[0] != 0x04 {
            return Err(CryptoError::InvalidKey);
        }
        // Checks the point lies on the curve; for X25519 AWS-LC refuses an
        // all-zero result (a small-order share). Either way: InvalidKey.
        let peer = UnparsedPublicKey::new(self.group.algorithm, peer_public);
        let shared = agreement::agree(&self.private, peer, CryptoError::InvalidKey, |secret| {
            Ok(Zeroizing::new(secret.to_vec()))
        })?;
        // Belt and braces for RFC 8446 7.4.2 / RFC 7748 6.1. (A NIST-curve
        // x-coordinate of zero is a legitimate point, not a small-order share.)
        if self.group.group == NamedGroup::X25519 && shared.iter().all(|&b| b == 0) {
            return Err(CryptoError::InvalidKey);
        }
        // The x-coordinate for the NIST curves, as TLS uses it.
        Ok(SharedSecret::new(shared.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Scripted;
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
        assert_eq!(alice.group(), NamedGroup::X25519);
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
        let rng = Scripted::new(&[0x42u8; 32 * 6]);
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
        // A point of order 8 (RFC 7748's list of small-order points).
        let order8 = hex!("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
        assert_eq!(
            X25519.start(&rng).unwrap().complete(&order8).err(),
            Some(CryptoError::InvalidKey)
        );
        assert_eq!(
            X25519.start(&rng).unwrap().complete(&[9u8; 31]).err(),
            Some(CryptoError::InvalidKey)
        );
        assert_eq!(
            X25519.start(&rng).unwrap().complete(&[9u8; 33]).err(),
            Some(CryptoError::InvalidKey)
        );
        // The same key as a SubjectPublicKeyInfo (which aws-lc-rs alone
        // would accept) is not a TLS share.
        let mut spki = hex!("302a300506032b656e032100").to_vec();
        spki.extend_from_slice(&[9u8; 32]);
        assert_eq!(
            X25519.start(&rng).unwrap().complete(&spki).err(),
            Some(CryptoError::InvalidKey)
        );
    }

    #[test]
    fn random_failure_propagates() {
        let rng = Scripted::new(&[1u8; 10]);
        assert_eq!(X25519.start(&rng).err(), Some(CryptoError::RandomFailed));
        assert_eq!(SECP256R1.start(&rng).err(), Some(CryptoError::RandomFailed));
        assert_eq!(SECP384R1.start(&rng).err(), Some(CryptoError::RandomFailed));
    }

    fn nist_agree(group: &Group, len: usize) {
        let rng = Scripted::new(&[[0x11u8; 48], [0x22u8; 48]].concat());
        let a = group.start(&rng).unwrap();
        let b = group.start(&rng).unwrap();
        assert_eq!(
            rng.remaining(),
            96 - 2 * len,
            "exactly one field element per key"
        );
        assert_eq!(a.group(), group.group);
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
    fn nist_scalar_is_the_drawn_bytes() {
        let mut one = [0u8; 32];
        one[31] = 1;
        let kx = SECP256R1.start(&Scripted::new(&one)).unwrap();
        assert_eq!(
            kx.public_key(),
            hex!(
                "04"
                "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
                "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
            )
        );
        let mut one = [0u8; 48];
        one[47] = 1;
        let kx = SECP384R1.start(&Scripted::new(&one)).unwrap();
        assert_eq!(
            kx.public_key(),
            hex!(
                "04"
                "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a38"
                "5502f25dbf55296c3a545e3872760ab7"
                "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c0"
                "0a60b1ce1d7e819d7a431d7c90ea0e5f"
            )
        );
    }

    /// RFC 5903 section 8.1: ECDH on P-256 with known scalars, through the
    /// scripted random source.
    #[test]
    fn p256_rfc5903_8_1() {
        let i = hex!("c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433");
        let r = hex!("c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53");
        let rng = Scripted::new(&[i, r].concat());
        let a = SECP256R1.start(&rng).unwrap();
        let b = SECP256R1.start(&rng).unwrap();
        assert_eq!(
            a.public_key(),
            hex!(
                "04"
                "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
                "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3"
            )
        );
        let b_pub = b.public_key().to_vec();
        assert_eq!(
            a.complete(&b_pub).unwrap().as_ref(),
            hex!("d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de")
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
        let rng = Scripted::new(&[0x44u8; 32 * 9]);
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
        // A P-384 share offered to a P-256 key.
        let p384 = SECP384R1
            .start(&Scripted::new(&[0x55u8; 48]))
            .unwrap()
            .public_key()
            .to_vec();
        reject(&p384);
    }
}
