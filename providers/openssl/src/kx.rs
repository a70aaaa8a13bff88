//! ECDHE over X25519, secp256r1 and secp384r1 on OpenSSL.
//!
//! Private keys are built from bytes drawn from the caller's
//! [`SecureRandom`], never from OpenSSL's own generator, so a scripted
//! random source gives reproducible key shares (the same contract as the
//! RustCrypto backend).

use embertls::crypto::{ActiveKeyExchange, KeyExchangeGroup, SecureRandom, SharedSecret};
use embertls::error::CryptoError;
use embertls::msgs::enums::NamedGroup;
use openssl::bn::{BigNum, BigNumContext};
use openssl::derive::Deriver;
use openssl::ec::{EcGroup, EcKey, EcPoint, PointConversionForm};
use openssl::error::ErrorStack;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use zeroize::Zeroizing;

/// Any OpenSSL failure while making our own key: not the peer's fault.
fn other(_: ErrorStack) -> CryptoError {
    CryptoError::Other
}

/// Any OpenSSL failure while taking the peer's share: its fault.
fn invalid(_: ErrorStack) -> CryptoError {
    CryptoError::InvalidKey
}

/// X25519 (RFC 7748).
pub(crate) struct X25519;

impl KeyExchangeGroup for X25519 {
    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }

    fn start(&self, rng: &dyn SecureRandom) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        // The 32 drawn bytes are the private key; OpenSSL clamps on use.
        let mut scalar = Zeroizing::new([0u8; 32]);
        rng.fill(&mut scalar[..])?;
        let key = PKey::private_key_from_raw_bytes(&scalar[..], Id::X25519).map_err(other)?;
        let public: [u8; 32] = key
            .raw_public_key()
            .map_err(other)?
            .try_into()
            .map_err(|_| CryptoError::Other)?;
        Ok(Box::new(X25519Active { key, public }))
    }
}

struct X25519Active {
    /// OpenSSL wipes it when freed.
    key: PKey<Private>,
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
        if peer_public.len() != 32 {
            return Err(CryptoError::InvalidKey);
        }
        let peer = PKey::public_key_from_raw_bytes(peer_public, Id::X25519).map_err(invalid)?;
        let mut shared = Zeroizing::new([0u8; 32]);
        // OpenSSL itself refuses an all-zero result (a small-order share).
        let len = derive(&self.key, &peer, &mut shared[..]).map_err(invalid)?;
        // RFC 8446 7.4.2: abort on an all-zero result; checked here as well
        // so the rule does not rest on the library version.
        if len != 32 || shared.iter().fold(0u8, |acc, b| acc | b) == 0 {
            return Err(CryptoError::InvalidKey);
        }
        Ok(SharedSecret::new(shared.to_vec()))
    }
}

fn derive(
    ours: &PKey<Private>,
    peer: &PKey<impl openssl::pkey::HasPublic>,
    out: &mut [u8],
) -> Result<usize, ErrorStack> {
    let mut deriver = Deriver::new(ours)?;
    deriver.set_peer(peer)?;
    deriver.derive(out)
}

/// How many candidate scalars to draw before giving up. An honest source
/// yields a valid one first time with overwhelming probability, so running
/// out means the source is broken.
const MAX_SCALAR_DRAWS: usize = 16;

/// ECDHE over a NIST prime curve.
pub(crate) struct NistGroup {
    group: NamedGroup,
    nid: Nid,
    /// Field element (and scalar) length in bytes.
    len: usize,
}

pub(crate) const SECP256R1: NistGroup = NistGroup {
    group: NamedGroup::secp256r1,
    nid: Nid::X9_62_PRIME256V1,
    len: 32,
};

pub(crate) const SECP384R1: NistGroup = NistGroup {
    group: NamedGroup::secp384r1,
    nid: Nid::SECP384R1,
    len: 48,
};

impl KeyExchangeGroup for NistGroup {
    fn group(&self) -> NamedGroup {
        self.group
    }

    fn start(&self, rng: &dyn SecureRandom) -> Result<Box<dyn ActiveKeyExchange>, CryptoError> {
        let group = EcGroup::from_curve_name(self.nid).map_err(other)?;
        let mut ctx = BigNumContext::new().map_err(other)?;
        let mut order = BigNum::new().map_err(other)?;
        group.order(&mut order, &mut ctx).map_err(other)?;
        let mut bytes = Zeroizing::new([0u8; 48]);
        let bytes = &mut bytes[..self.len];
        for _ in 0..MAX_SCALAR_DRAWS {
            rng.fill(bytes)?;
            // Held in the secure heap, wiped when freed, used in constant time.
            let mut d = BigNum::new_secure().map_err(other)?;
            d.set_const_time();
            d.copy_from_slice(bytes).map_err(other)?;
            // The drawn bytes are the scalar, big-endian, if 1 <= d < order.
            if d.num_bits() == 0 || d >= order {
                d.clear();
                continue;
            }
            let made = (|| {
                let mut public = EcPoint::new(&group)?;
                public.mul_generator2(&group, &d, &mut ctx)?;
                let encoded =
                    public.to_bytes(&group, PointConversionForm::UNCOMPRESSED, &mut ctx)?;
                let key = EcKey::from_private_components(&group, &d, &public)?;
                Ok::<_, ErrorStack>((PKey::from_ec_key(key)?, encoded))
            })();
            d.clear();
            let (key, public) = made.map_err(other)?;
            return Ok(Box::new(NistActive {
                group: self.group,
                curve: group,
                key,
                public,
            }));
        }
        Err(CryptoError::RandomFailed)
    }
}

struct NistActive {
    group: NamedGroup,
    curve: EcGroup,
    /// OpenSSL wipes the private scalar when freed.
    key: PKey<Private>,
    /// Uncompressed SEC1 point, 0x04 || X || Y.
    public: Vec<u8>,
}

impl ActiveKeyExchange for NistActive {
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
        let mut ctx = BigNumContext::new().map_err(other)?;
        // Decoding checks that the point lies on the curve; `check_key`
        // checks again and rules out the point at infinity.
        let point = EcPoint::from_bytes(&self.curve, peer_public, &mut ctx).map_err(invalid)?;
        let peer = EcKey::from_public_key(&self.curve, &point).map_err(invalid)?;
        peer.check_key().map_err(invalid)?;
        let peer = PKey::from_ec_key(peer).map_err(invalid)?;
        let field_len = (self.public.len() - 1) / 2;
        let mut shared = Zeroizing::new(vec![0u8; field_len]);
        // The x-coordinate, left-padded to the field length, as TLS uses it.
        let len = derive(&self.key, &peer, &mut shared).map_err(invalid)?;
        if len != field_len {
            return Err(CryptoError::InvalidKey);
        }
        Ok(SharedSecret::new(std::mem::take(&mut *shared)))
    }
}
