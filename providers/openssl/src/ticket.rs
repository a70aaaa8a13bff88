//! A session-ticket sealer with one AES-256-GCM key held in memory.

use std::sync::Arc;

use embertls::crypto::{AeadAlgorithm, AeadKey, SecureRandom, TicketSealer};
use embertls::error::CryptoError;
use zeroize::Zeroizing;

use crate::aead::{OsslAeadKey, TAG_LEN};

const KEY_NAME_LEN: usize = 16;
const NONCE_LEN: usize = 12;

/// Seals tickets as `key_name || nonce || ciphertext || tag` (the layout
/// RFC 5077 section 4 recommends), with the key name as associated data.
///
/// The key and its name are drawn at construction and live only in this
/// process, so tickets do not survive a restart and cannot be shared between
/// servers; deployments that need that bring their own [`TicketSealer`].
/// Nonces are random: keep one sealer well under 2^32 tickets.
pub struct AeadTicketSealer {
    key_name: [u8; KEY_NAME_LEN],
    key: OsslAeadKey,
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
        let key = OsslAeadKey::new(AeadAlgorithm::Aes256Gcm, &key[..])?;
        Ok(Self {
            key_name,
            key,
            random,
            lifetime_secs,
        })
    }

    fn seal_now(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce)?;
        let mut out = Vec::with_capacity(KEY_NAME_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&self.key_name);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let mut tag = [0u8; TAG_LEN];
        self.key.seal_in_place(
            &nonce,
            &self.key_name,
            &mut out[KEY_NAME_LEN + NONCE_LEN..],
            &mut tag,
        )?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    fn open_now(&self, ticket: &[u8]) -> Option<Vec<u8>> {
        if ticket.len() < KEY_NAME_LEN + NONCE_LEN + TAG_LEN {
            return None;
        }
        let (key_name, rest) = ticket.split_at(KEY_NAME_LEN);
        // Not secret: the name only says which key sealed the ticket.
        if key_name != self.key_name {
            return None;
        }
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let nonce: &[u8; NONCE_LEN] = nonce.try_into().ok()?;
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        let mut plaintext = ciphertext.to_vec();
        self.key
            .open_in_place(nonce, key_name, &mut plaintext, tag)
            .ok()?;
        Some(plaintext)
    }
}

impl TicketSealer for AeadTicketSealer {
    fn lifetime_secs(&self) -> u32 {
        self.lifetime_secs
    }

    fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.seal_now(plaintext)
    }

    fn open(&self, ticket: &[u8]) -> Result<Option<Vec<u8>>, CryptoError> {
        Ok(self.open_now(ticket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embertls::crypto::Pausable;
    use std::sync::Mutex;

    #[test]
    fn start_methods_are_ready() {
        let sealer = AeadTicketSealer::new(Arc::new(crate::OpenSslRandom), 60).unwrap();
        let Pausable::Ready(Ok(ticket)) = sealer.start_seal(b"s") else {
            panic!("not ready")
        };
        assert!(matches!(
            sealer.start_open(&ticket),
            Pausable::Ready(Ok(Some(_)))
        ));
    }

    /// Hands out a counter pattern, or fails after `limit` bytes.
    struct Counter {
        next: Mutex<u8>,
        limit: Mutex<usize>,
    }

    impl Counter {
        fn new(start: u8, limit: usize) -> Self {
            Self {
                next: Mutex::new(start),
                limit: Mutex::new(limit),
            }
        }
    }

    impl SecureRandom for Counter {
        fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
            let mut limit = self.limit.lock().unwrap();
            if *limit < dest.len() {
                return Err(CryptoError::RandomFailed);
            }
            *limit -= dest.len();
            let mut next = self.next.lock().unwrap();
            for b in dest {
                *next = next.wrapping_add(1);
                *b = *next;
            }
            Ok(())
        }
    }

    #[test]
    fn seal_open_round_trip() {
        let sealer = AeadTicketSealer::new(Arc::new(Counter::new(0, 1 << 20)), 3600).unwrap();
        assert_eq!(sealer.lifetime_secs(), 3600);
        let state = b"resumption secret and parameters";
        let t1 = sealer.seal(state).unwrap();
        let t2 = sealer.seal(state).unwrap();
        assert_ne!(t1, t2, "fresh nonce per ticket");
        assert_eq!(t1.len(), state.len() + 44);
        assert_eq!(sealer.open(&t1).unwrap().as_deref(), Some(&state[..]));
        assert_eq!(sealer.open(&t2).unwrap().as_deref(), Some(&state[..]));
        let empty = sealer.seal(b"").unwrap();
        assert_eq!(sealer.open(&empty).unwrap().as_deref(), Some(&b""[..]));
    }

    #[test]
    fn altered_short_and_foreign_tickets_do_not_open() {
        let sealer = AeadTicketSealer::new(Arc::new(Counter::new(0, 1 << 20)), 60).unwrap();
        let ticket = sealer.seal(b"state").unwrap();
        for i in [0, KEY_NAME_LEN, KEY_NAME_LEN + NONCE_LEN, ticket.len() - 1] {
            let mut bad = ticket.clone();
            bad[i] ^= 1;
            assert_eq!(sealer.open(&bad), Ok(None), "byte {i}");
        }
        assert_eq!(sealer.open(&ticket[..40]), Ok(None));
        assert_eq!(sealer.open(&[]), Ok(None));
        let other = AeadTicketSealer::new(Arc::new(Counter::new(100, 1 << 20)), 60).unwrap();
        assert_eq!(other.open(&ticket), Ok(None));
    }

    #[test]
    fn random_failure_is_reported() {
        assert!(AeadTicketSealer::new(Arc::new(Counter::new(0, 40)), 60).is_err());
        let sealer = AeadTicketSealer::new(Arc::new(Counter::new(0, 48)), 60).unwrap();
        assert_eq!(sealer.seal(b"x").err(), Some(CryptoError::RandomFailed));
    }
}
