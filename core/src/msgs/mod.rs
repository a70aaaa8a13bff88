//! Wire messages: one file per handshake message family.

pub mod enums;
pub mod extensions;
pub mod handshake;
pub mod handshake12;
pub mod hello;
