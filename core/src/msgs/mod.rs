//! Wire messages: one file per handshake message family.

pub mod enums;
