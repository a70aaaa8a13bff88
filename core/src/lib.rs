//! embertls: a sans-IO TLS and DTLS protocol engine.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod codec;
pub mod crypto;
pub mod error;
pub mod msgs;
pub mod time;

pub use error::Error;
pub use time::Instant;
