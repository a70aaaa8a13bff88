//! A session-ticket sealer with one AES-256-GCM key held in memory.

use std::sync::Arc;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use embertls::crypto::{SecureRandom, TicketSealer};
use embertls::error::CryptoError;
use zeroize::Zeroizing;

const KEY_NAME_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Seals tickets as `key_name || nonce || ciphertext || tag` (the layout
/// RFC 5077 section 4 recommends, and the one `embertls-rustcrypto`'s
/// sealer uses), with the key name as associated data.
///
/// The key and its name are drawn at construction and live only in this
/// process, so tickets do not survive a restart and cannot be shared between
/// servers; deployments that need that bring their own [`TicketSealer`].
/// Nonces are random: keep one sealer well under 2^32 tickets.
pub struct AeadTicketSealer {
    key_name: [u8; KEY_NAME_LEN],
    key: LessSafeKey,
    random: Arc<dyn SecureRandom>,
    lifetime_secs: u32,
}

impl AeadTicketSealer {
    /// A sealer with a fresh key from `random`, issuing tickets valid for
    /// `lifetime_secs` (RFC 8446 caps this at 7 days).
    pub fn new(random: Arc<dyn SecureRandom>, lifetime_secs: u32) -> Result<Self, CryptoError> {
        let mut key = Zeroizing::new([0u8; 32]);
        random.fill(&mut key[..])?;
        let mut key_name = [0u8; KEY_NAME_LEN];
        random.fill(&mut key_name)?;
        let key = UnboundKey::new(&AES_256_GCM, &key[..]).map_err(|_| CryptoError::InvalidKey)?;
        Ok(Self {
            key_name,
            key: LessSafeKey::new(key),
            random,
            lifetime_secs,
        })
    }
}

impl TicketSealer for AeadTicketSealer {
    fn lifetime_secs(&self) -> u32 {
        self.lifetime_secs
    }

    fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce)?;
        let mut out = Vec::with_capacity(KEY_NAME_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&self.key_name);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&self.key_name),
                &mut out[KEY_NAME_LEN + NONCE_LEN..],
            )
            .map_err(|_| CryptoError::Other)?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    fn open(&self, ticket: &[u8]) -> Result<Option<Vec<u8>>, CryptoError> {
        if ticket.len() < KEY_NAME_LEN + NONCE_LEN + TAG_LEN {
            return Ok(None);
        }
        let (key_name, rest) = ticket.split_at(KEY_NAME_LEN);
        // Not secret: the name only says which key sealed the ticket.
        if key_name != self.key_name {
            return Ok(None);
        }
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Other)?;
        let mut plaintext = ciphertext.to_vec();
        let opened =
            self.key
                .open_in_place_separate_tag(nonce, Aad::from(key_name), tag, &mut plaintext);
        Ok(opened.is_ok().then_some(plaintext))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{Counter, Scripted};
    use embertls::crypto::Pausable;

    fn ready<T>(p: Pausable<T>) -> T {
        match p {
            Pausable::Ready(v) => v,
            Pausable::Pending => panic!("pending"),
        }
    }

    #[test]
    fn start_methods_are_ready() {
        let sealer = AeadTicketSealer::new(Arc::new(Counter::default()), 60).unwrap();
        let ticket = ready(sealer.start_seal(b"s")).unwrap();
        assert_eq!(
            ready(sealer.start_open(&ticket)).unwrap().as_deref(),
            Some(&b"s"[..])
        );
    }

    #[test]
    fn seal_open_round_trip() {
        let sealer = AeadTicketSealer::new(Arc::new(Counter::default()), 3600).unwrap();
        assert_eq!(sealer.lifetime_secs(), 3600);
        let state = b"resumption secret and parameters";
        let t1 = sealer.seal(state).unwrap();
        let t2 = sealer.seal(state).unwrap();
        assert_ne!(t1, t2, "fresh nonce per ticket");
        assert_eq!(t1.len(), state.len() + 44);
        assert_eq!(sealer.open(&t1).unwrap().as_deref(), Some(&state[..]));
        assert_eq!(sealer.open(&t2).unwrap().as_deref(), Some(&state[..]));
        // An empty state seals too.
        let empty = sealer.seal(b"").unwrap();
        assert_eq!(sealer.open(&empty).unwrap().as_deref(), Some(&b""[..]));
    }

    /// The layout is the RustCrypto sealer's: name, nonce, AES-256-GCM of
    /// the plaintext with the name as AAD, tag. Checked against an
    /// independent AES-256-GCM computation with the same scripted key.
    #[test]
    fn layout_is_name_nonce_ciphertext_tag() {
        let key = [0x11u8; 32];
        let name = [0x22u8; 16];
        let nonce = [0x33u8; 12];
        let script = [&key[..], &name[..], &nonce[..]].concat();
        let sealer = AeadTicketSealer::new(Arc::new(Scripted::new(&script)), 60).unwrap();
        let ticket = sealer.seal(b"state").unwrap();
        assert_eq!(&ticket[..16], &name);
        assert_eq!(&ticket[16..28], &nonce);
        let aead = crate::aead::AES_256_GCM;
        let k = embertls::crypto::Aead::new_key(&aead, &key).unwrap();
        let mut buf = b"state".to_vec();
        let mut tag = [0u8; 16];
        k.seal_in_place(&nonce, &name, &mut buf, &mut tag).unwrap();
        assert_eq!(&ticket[28..33], &buf[..]);
        assert_eq!(&ticket[33..], &tag);
    }

    #[test]
    fn altered_short_and_foreign_tickets_do_not_open() {
        let sealer = AeadTicketSealer::new(Arc::new(Counter::default()), 60).unwrap();
        let ticket = sealer.seal(b"state").unwrap();
        for i in [0, KEY_NAME_LEN, KEY_NAME_LEN + NONCE_LEN, ticket.len() - 1] {
            let mut bad = ticket.clone();
            bad[i] ^= 1;
            assert_eq!(sealer.open(&bad), Ok(None), "byte {i}");
        }
        assert_eq!(sealer.open(&ticket[..40]), Ok(None));
        assert_eq!(sealer.open(&ticket[..43]), Ok(None));
        assert_eq!(sealer.open(&[]), Ok(None));
        // A sealer with another key refuses it.
        let random = Counter::default();
        let mut skip = [0u8; 64];
        random.fill(&mut skip).unwrap();
        let other = AeadTicketSealer::new(Arc::new(random), 60).unwrap();
        assert_eq!(other.open(&ticket), Ok(None));
    }

    #[test]
    fn random_failure_is_reported() {
        assert!(AeadTicketSealer::new(Arc::new(Scripted::new(&[0u8; 40])), 60).is_err());
        let sealer = AeadTicketSealer::new(Arc::new(Scripted::new(&[7u8; 48])), 60).unwrap();
        assert_eq!(sealer.seal(b"x").err(), Some(CryptoError::RandomFailed));
    }
}
