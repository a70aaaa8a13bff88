use alloc::vec::Vec;

use super::Pausable;
use crate::error::CryptoError;

/// Seals and opens session tickets. Both operations may be [`Pausable::Pending`]
/// when the keys live elsewhere (an HSM, a ticket-key service).
pub trait TicketSealer: Send + Sync {
    /// How long issued tickets are valid, in seconds.
    fn lifetime_secs(&self) -> u32;
    fn seal(&self, plaintext: &[u8]) -> Pausable<Result<Vec<u8>, CryptoError>>;
    /// `Ok(None)` for a ticket this sealer cannot open (expired key, foreign, altered).
    fn open(&self, ticket: &[u8]) -> Pausable<Result<Option<Vec<u8>>, CryptoError>>;
}
