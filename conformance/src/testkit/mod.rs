//! Building blocks for tests: PEM loading, a client/server pair in memory
//! with virtual time, a provider wrapper that makes every pausable
//! operation pending, deterministic randomness, the RFC 8448 trace and a
//! hand-driven client whose secrets are visible, and SoftHSM2 tokens in
//! directories of their own, and a seeded network emulator for DTLS.

pub mod deterministic;
pub mod netem;
pub mod pair;
pub mod pem;
pub mod pending;
pub mod rfc8448;
pub mod scripted;
pub mod softhsm;
pub mod tls12;

pub use pair::Pair;
pub use pending::Mode;
