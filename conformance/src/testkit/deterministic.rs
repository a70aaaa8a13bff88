//! Deterministic randomness and time, for byte-exact replays and snapshots.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use embertls::crypto::{CryptoProvider, SecureRandom, TimeSource, UnixTime};
use embertls::error::CryptoError;

/// Yields scripted bytes first, then a fixed counter pattern. Not random at
/// all: tests only.
#[derive(Default)]
pub struct ScriptedRandom {
    script: Mutex<(VecDeque<u8>, u8)>,
}

impl ScriptedRandom {
    pub fn new(chunks: &[&[u8]]) -> Self {
        let script = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        Self {
            script: Mutex::new((script, 0)),
        }
    }
}

impl SecureRandom for ScriptedRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
        let mut guard = self.script.lock().map_err(|_| CryptoError::RandomFailed)?;
        let (script, counter) = &mut *guard;
        for b in dest.iter_mut() {
            *b = match script.pop_front() {
                Some(v) => v,
                None => {
                    *counter = counter.wrapping_add(1);
                    *counter
                }
            };
        }
        Ok(())
    }
}

/// A clock stopped at one instant.
pub struct FixedTime(pub u64);

impl TimeSource for FixedTime {
    fn now(&self) -> Option<UnixTime> {
        Some(UnixTime(self.0))
    }
}

/// The RustCrypto provider with scripted randomness and a fixed clock
/// (2027-01-01, inside the test PKI's validity).
pub fn provider(chunks: &[&[u8]]) -> CryptoProvider {
    embertls_rustcrypto::provider_with(
        Arc::new(ScriptedRandom::new(chunks)),
        Some(Arc::new(FixedTime(1_798_761_600))),
    )
}
