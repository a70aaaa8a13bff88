//! The default session-ticket sealer: AEAD with keys that rotate.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use std::sync::Mutex;

use crate::crypto::{
    Aead, AeadAlgorithm, AeadKey, CryptoProvider, SecureRandom, TicketSealer, TimeSource,
};
use crate::error::CryptoError;

const KEY_NAME_LEN: usize = 16;
const NONCE_LEN: usize = 12;
/// Random nonces: stay far below the 2^32 birthday bound per key.
const MAX_TICKETS_PER_KEY: u64 = 1 << 24;

struct TicketKey {
    name: [u8; KEY_NAME_LEN],
    key: Box<dyn AeadKey>,
    created_at: Option<u64>,
    sealed: u64,
}

struct Keys {
    current: TicketKey,
    previous: Option<TicketKey>,
}

/// Seals tickets as `key_name || nonce || ciphertext || tag` (the layout
/// RFC 5077 section 4 suggests) with the provider's best AEAD, the key name
/// as associated data. Seals with the newest key and opens with it or the
/// one before, rotating every `lifetime` (or after 2^24 tickets), so every
/// ticket stays openable for its whole lifetime and a stolen key exposes at
/// most two lifetimes of tickets.
///
/// Keys live only in this process: tickets do not survive a restart and are
/// not shared between servers; bring your own [`TicketSealer`] for that.
pub struct RotatingTicketer {
    aead: Arc<dyn Aead>,
    tag_len: usize,
    random: Arc<dyn SecureRandom>,
    time: Option<Arc<dyn TimeSource>>,
    lifetime_secs: u32,
    keys: Mutex<Keys>,
}

impl RotatingTicketer {
    /// A ticketer on `provider`'s AES-256-GCM (or ChaCha20-Poly1305, or
    /// AES-128-GCM) issuing tickets valid for `lifetime_secs`.
    pub fn new(provider: &CryptoProvider, lifetime_secs: u32) -> Result<Self, CryptoError> {
        let aead = [
            AeadAlgorithm::Aes256Gcm,
            AeadAlgorithm::ChaCha20Poly1305,
            AeadAlgorithm::Aes128Gcm,
        ]
        .into_iter()
        .find_map(|alg| provider.aead(alg))
        .ok_or(CryptoError::UnsupportedAlgorithm)?
        .clone();
        let tag_len = aead.algorithm().tag_len();
        let random = provider.random.clone();
        let time = provider.time.clone();
        let current = Self::fresh_key(&*aead, &*random, time.as_deref())?;
        Ok(Self {
            aead,
            tag_len,
            random,
            time,
            lifetime_secs: lifetime_secs.clamp(1, 604_800),
            keys: Mutex::new(Keys {
                current,
                previous: None,
            }),
        })
    }

    fn fresh_key(
        aead: &dyn Aead,
        random: &dyn SecureRandom,
        time: Option<&dyn TimeSource>,
    ) -> Result<TicketKey, CryptoError> {
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        let key_len = aead.algorithm().key_len();
        random.fill(&mut secret[..key_len])?;
        let mut name = [0u8; KEY_NAME_LEN];
        random.fill(&mut name)?;
        Ok(TicketKey {
            name,
            key: aead.new_key(&secret[..key_len])?,
            created_at: time.and_then(|t| t.now()).map(|t| t.0),
            sealed: 0,
        })
    }

    fn now(&self) -> Option<u64> {
        self.time.as_ref().and_then(|t| t.now()).map(|t| t.0)
    }

    /// Starts a new key when the current one is old or worn.
    fn rotate_if_due(&self, keys: &mut Keys) -> Result<(), CryptoError> {
        let aged = match (keys.current.created_at, self.now()) {
            (Some(created), Some(now)) => {
                now.saturating_sub(created) >= u64::from(self.lifetime_secs)
            }
            _ => false,
        };
        if aged || keys.current.sealed >= MAX_TICKETS_PER_KEY {
            let fresh = Self::fresh_key(&*self.aead, &*self.random, self.time.as_deref())?;
            keys.previous = Some(core::mem::replace(&mut keys.current, fresh));
        }
        Ok(())
    }

    /// Forces a rotation now (for operators and tests).
    pub fn rotate(&self) -> Result<(), CryptoError> {
        let mut keys = self.keys.lock().map_err(|_| CryptoError::Other)?;
        let fresh = Self::fresh_key(&*self.aead, &*self.random, self.time.as_deref())?;
        keys.previous = Some(core::mem::replace(&mut keys.current, fresh));
        Ok(())
    }
}

impl TicketSealer for RotatingTicketer {
    fn lifetime_secs(&self) -> u32 {
        self.lifetime_secs
    }

    fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut keys = self.keys.lock().map_err(|_| CryptoError::Other)?;
        self.rotate_if_due(&mut keys)?;
        let key = &mut keys.current;
        key.sealed += 1;
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce)?;
        let body = KEY_NAME_LEN + NONCE_LEN;
        let mut out = Vec::with_capacity(body + plaintext.len() + self.tag_len);
        out.extend_from_slice(&key.name);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        out.resize(body + plaintext.len() + self.tag_len, 0);
        let (_, rest) = out.split_at_mut(body);
        let (data, tag) = rest.split_at_mut(plaintext.len());
        key.key.seal_in_place(&nonce, &key.name, data, tag)?;
        Ok(out)
    }

    fn open(&self, ticket: &[u8]) -> Result<Option<Vec<u8>>, CryptoError> {
        if ticket.len() < KEY_NAME_LEN + NONCE_LEN + self.tag_len {
            return Ok(None);
        }
        let keys = self.keys.lock().map_err(|_| CryptoError::Other)?;
        let (name, rest) = ticket.split_at(KEY_NAME_LEN);
        // Key names are not secret: they only say which key sealed the ticket.
        let Some(key) = [Some(&keys.current), keys.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.name == name)
        else {
            return Ok(None);
        };
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - self.tag_len);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Other)?;
        let mut plaintext = ciphertext.to_vec();
        match key.key.open_in_place(&nonce, name, &mut plaintext, tag) {
            Ok(()) => Ok(Some(plaintext)),
            Err(_) => Ok(None),
        }
    }
}
