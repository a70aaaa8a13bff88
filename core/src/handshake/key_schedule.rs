//! The TLS 1.3 key schedule (RFC 8446 section 7) over a provider's HKDF.

use alloc::sync::Arc;

use crate::crypto::{HashOutput, Hkdf};
use crate::error::{CryptoError, Error};

/// A secret of hash length; zeroized on drop.
pub type Secret = HashOutput;

/// Label prefix: "tls13 " for TLS, "dtls13" for DTLS 1.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelPrefix {
    Tls13,
    Dtls13,
}

impl LabelPrefix {
    fn bytes(self) -> &'static [u8] {
        match self {
            LabelPrefix::Tls13 => b"tls13 ",
            LabelPrefix::Dtls13 => b"dtls13",
        }
    }
}

/// HKDF-Expand-Label into `out`.
pub fn expand_label(
    hkdf: &dyn Hkdf,
    prefix: LabelPrefix,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    let prefix = prefix.bytes();
    let length = (out.len() as u16).to_be_bytes();
    let label_len = [(prefix.len() + label.len()) as u8];
    let context_len = [context.len() as u8];
    hkdf.expand(
        secret,
        &[&length, &label_len, prefix, label, &context_len, context],
        out,
    )
}

/// HKDF-Expand-Label producing a hash-length secret.
pub fn expand_label_secret(
    hkdf: &dyn Hkdf,
    prefix: LabelPrefix,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
) -> Result<Secret, CryptoError> {
    let mut buf = [0u8; crate::crypto::MAX_HASH_LEN];
    let len = hkdf.hash_len();
    expand_label(hkdf, prefix, secret, label, context, &mut buf[..len])?;
    let out = Secret::new(&buf[..len]);
    zeroize::Zeroize::zeroize(&mut buf);
    Ok(out)
}

/// Which stage of the schedule the current secret belongs to.
pub struct KeySchedule {
    hkdf: Arc<dyn Hkdf>,
    prefix: LabelPrefix,
    /// Early, handshake or master secret, depending on the stage.
    current: Secret,
}

impl KeySchedule {
    /// Starts with the early secret; `psk` is `None` for a full handshake.
    pub fn new(hkdf: Arc<dyn Hkdf>, prefix: LabelPrefix, psk: Option<&[u8]>) -> Self {
        let zeros = [0u8; crate::crypto::MAX_HASH_LEN];
        let len = hkdf.hash_len();
        let ikm = psk.unwrap_or(&zeros[..len]);
        let current = hkdf.extract(&[], ikm);
        Self {
            hkdf,
            prefix,
            current,
        }
    }

    pub fn hkdf(&self) -> &Arc<dyn Hkdf> {
        &self.hkdf
    }

    pub fn prefix(&self) -> LabelPrefix {
        self.prefix
    }

    fn empty_hash(&self, hash_of_empty: &[u8]) -> Secret {
        Secret::new(hash_of_empty)
    }

    /// Derive-Secret(current, label, transcript_hash).
    pub fn derive(&self, label: &[u8], transcript_hash: &[u8]) -> Result<Secret, Error> {
        Ok(expand_label_secret(
            &*self.hkdf,
            self.prefix,
            self.current.as_ref(),
            label,
            transcript_hash,
        )?)
    }

    /// Moves to the next stage: Extract(Derive-Secret(current, "derived", ""), ikm).
    /// `hash_of_empty` is Hash("") of the suite's hash; `ikm` is the (EC)DHE
    /// secret, or `None` for the master secret (zeros).
    pub fn advance(&mut self, hash_of_empty: &[u8], ikm: Option<&[u8]>) -> Result<(), Error> {
        let empty = self.empty_hash(hash_of_empty);
        let salt = self.derive(b"derived", empty.as_ref())?;
        let zeros = [0u8; crate::crypto::MAX_HASH_LEN];
        let ikm = ikm.unwrap_or(&zeros[..self.hkdf.hash_len()]);
        self.current = self.hkdf.extract(salt.as_ref(), ikm);
        Ok(())
    }

    /// The current stage's secret (for tests and key export).
    pub fn current(&self) -> &Secret {
        &self.current
    }

    /// Finished verify_data for `base_key` over `transcript_hash`.
    pub fn finished_verify_data(
        &self,
        base_key: &Secret,
        transcript_hash: &[u8],
    ) -> Result<Secret, Error> {
        let finished_key = expand_label_secret(
            &*self.hkdf,
            self.prefix,
            base_key.as_ref(),
            b"finished",
            &[],
        )?;
        Ok(self.hkdf.hmac(finished_key.as_ref(), transcript_hash))
    }

    /// The next application traffic secret after a KeyUpdate.
    pub fn next_traffic_secret(&self, secret: &Secret) -> Result<Secret, Error> {
        next_traffic_secret(&*self.hkdf, self.prefix, secret)
    }

    /// Record key and IV for a traffic secret.
    pub fn traffic_key_iv(
        &self,
        secret: &Secret,
        key: &mut [u8],
        iv: &mut [u8; 12],
    ) -> Result<(), Error> {
        traffic_key_iv(&*self.hkdf, self.prefix, secret, key, iv)
    }
}

/// The next application traffic secret after a KeyUpdate (RFC 8446 7.2).
pub fn next_traffic_secret(
    hkdf: &dyn Hkdf,
    prefix: LabelPrefix,
    secret: &Secret,
) -> Result<Secret, Error> {
    Ok(expand_label_secret(
        hkdf,
        prefix,
        secret.as_ref(),
        b"traffic upd",
        &[],
    )?)
}

/// Record key and IV for a traffic secret (RFC 8446 7.3). Needs no schedule
/// state, so key updates derive keys without one.
pub fn traffic_key_iv(
    hkdf: &dyn Hkdf,
    prefix: LabelPrefix,
    secret: &Secret,
    key: &mut [u8],
    iv: &mut [u8; 12],
) -> Result<(), Error> {
    expand_label(hkdf, prefix, secret.as_ref(), b"key", &[], key)?;
    expand_label(hkdf, prefix, secret.as_ref(), b"iv", &[], iv)?;
    Ok(())
}
