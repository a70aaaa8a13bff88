//! embertls: a sans-IO TLS and DTLS protocol engine.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod codec;
pub mod config;
pub mod conn;
pub mod crypto;
pub mod error;
pub mod handshake;
pub mod msgs;
pub(crate) mod record;
pub mod suites;
pub mod time;
pub(crate) mod transport;
pub mod verify;

/// Not API: hooks for the conformance suite. No stability promise.
#[doc(hidden)]
pub use record::testing as __testing;

pub use config::{ClientConfig, ServerConfig};
pub use conn::{Connection, Event, Output, Side};
pub use error::Error;
pub use time::Instant;
