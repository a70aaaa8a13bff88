//! Building blocks for tests: PEM loading, a client/server pair in memory
//! with virtual time, a provider wrapper that makes every pausable
//! operation pending, and deterministic randomness.

pub mod deterministic;
pub mod pair;
pub mod pem;
pub mod pending;

pub use pair::Pair;
pub use pending::Mode;
