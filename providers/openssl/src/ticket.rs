//! A session-ticket sealer with one AES-256-GCM key held in memory.

use std::sync::Arc;

use embertls::crypto::{AeadAlgorithm, AeadKey, Pausable, SecureRandom, TicketSealer};
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

    fn seal(&self, plaintext: &[u8]) -> Pausable<Result<Vec<u8>, CryptoError>> {
        Pausable::Ready(self.seal_now(plaintext))
    }

    fn open(&self, ticket: &[u8]) -> Pausable<Result<Option<Vec<u8>>, CryptoError>> {
        Pausable::Ready(Ok(self.open_now(ticket)))
    }
}
