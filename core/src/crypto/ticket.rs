use alloc::vec::Vec;

use super::Pausable;
use crate::error::CryptoError;

/// Seals and opens session tickets. Like signing, both may be deferred to
/// the caller when the keys live elsewhere (an HSM, a ticket-key service):
/// `start_*` returns [`Pausable::Pending`] and whoever serves the operation
/// calls the blocking method.
pub trait TicketSealer: Send + Sync {
    /// How long issued tickets are valid, in seconds (at most 7 days).
    fn lifetime_secs(&self) -> u32;

    fn start_seal(&self, plaintext: &[u8]) -> Pausable<Result<Vec<u8>, CryptoError>> {
        Pausable::Ready(self.seal(plaintext))
    }

    fn start_open(&self, ticket: &[u8]) -> Pausable<Result<Option<Vec<u8>>, CryptoError>> {
        Pausable::Ready(self.open(ticket))
    }

    /// Seals synchronously.
    fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// Opens synchronously; `Ok(None)` for a ticket this sealer cannot open
    /// (expired key, foreign, altered).
    fn open(&self, ticket: &[u8]) -> Result<Option<Vec<u8>>, CryptoError>;
}
