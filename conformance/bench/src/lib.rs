//! The pieces of the benchmark program (`cargo xtask bench`): the
//! contenders (embertls on each backend, rustls with aws-lc-rs, OpenSSL),
//! each able to run a handshake, a resumed handshake and a bulk transfer in
//! memory with client and server in one thread, plus the raw primitives of
//! each backend and a heap counter.
//!
//! Nothing here measures time; `main.rs` does. The smoke test
//! (`tests/smoke.rs`) runs every operation once and checks the data.

pub mod contenders;
pub mod heap;

use std::any::Any;
use std::path::PathBuf;

pub use contenders::{all_contenders, backends, Backend};

/// The server certificate of a handshake row (conformance/testdata).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKey {
    /// server-p256.pem/.key, signed by ca-p256.pem.
    P256,
    /// server-rsa.pem/.key (RSA-2048), signed by ca-rsa.pem.
    Rsa2048,
}

impl ServerKey {
    /// The key's name in the test PKI's file names.
    pub fn file_stem(self) -> &'static str {
        match self {
            ServerKey::P256 => "p256",
            ServerKey::Rsa2048 => "rsa",
        }
    }

    /// The PEM files: leaf certificate, private key, CA certificate.
    pub fn files(self) -> (PathBuf, PathBuf, PathBuf) {
        let stem = self.file_stem();
        (
            testdata(&format!("server-{stem}.pem")),
            testdata(&format!("server-{stem}.key")),
            testdata(&format!("ca-{stem}.pem")),
        )
    }
}

/// A TLS 1.3 cipher suite of the bulk rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl Suite {
    pub const ALL: [Suite; 3] = [Suite::Aes128Gcm, Suite::Aes256Gcm, Suite::ChaCha20Poly1305];

    pub fn label(self) -> &'static str {
        match self {
            Suite::Aes128Gcm => "AES-128-GCM",
            Suite::Aes256Gcm => "AES-256-GCM",
            Suite::ChaCha20Poly1305 => "ChaCha20-Poly1305",
        }
    }

    /// The IANA name, as OpenSSL's `set_ciphersuites` takes it.
    pub fn iana_name(self) -> &'static str {
        match self {
            Suite::Aes128Gcm => "TLS_AES_128_GCM_SHA256",
            Suite::Aes256Gcm => "TLS_AES_256_GCM_SHA384",
            Suite::ChaCha20Poly1305 => "TLS_CHACHA20_POLY1305_SHA256",
        }
    }

    pub fn key_len(self) -> usize {
        match self {
            Suite::Aes128Gcm => 16,
            _ => 32,
        }
    }
}

/// Plaintext bytes per write in the bulk rows and per buffer in the raw
/// AEAD rows: one full TLS record.
pub const RECORD: usize = 16 * 1024;

/// Tag bytes after the payload in a raw AEAD buffer.
pub const TAG_LEN: usize = 16;

/// The message signed in the raw signature rows: the size of a TLS 1.3
/// CertificateVerify input (64 spaces, context string, 0, SHA-256 hash).
pub const SIGNED_MESSAGE: [u8; 130] = [0x20; 130];

/// The server name every client connects to (a SAN of the test PKI).
pub const SERVER_NAME: &str = "localhost";

/// A file of the repository's test PKI (conformance/testdata).
pub fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("testdata")
        .join(name)
}

/// A connected client and server, both idle (all output delivered), boxed
/// so the caller can drop either and watch the heap.
pub struct Connected {
    pub client: Box<dyn Any>,
    pub server: Box<dyn Any>,
}

/// Makes handshakes with configurations built once.
pub trait Handshaker {
    /// Connects a fresh client and server and drives the handshake until
    /// both are done and nothing is left to deliver. A resuming handshaker
    /// fails if the handshake was not resumed.
    fn connect(&mut self) -> Result<Connected, String>;
}

/// A connected pair for the bulk rows.
pub trait Bulk {
    /// The client sends `data` (one record at most 16 KiB), the server
    /// decrypts it; `sink` gets the plaintext as it arrives.
    fn transfer(&mut self, data: &[u8], sink: &mut dyn FnMut(&[u8])) -> Result<(), String>;
}

/// Seals `buf[..RECORD]` in place (tag into `buf[RECORD..]`) and opens it
/// again: one raw AEAD round trip with a fresh nonce.
pub type RawAead = Box<dyn FnMut(&mut [u8]) -> Result<(), String>>;

/// One raw operation (a signature, a key exchange).
pub type RawOp = Box<dyn FnMut() -> Result<(), String>>;

/// Something to benchmark: a TLS implementation with a crypto backend.
pub trait Contender {
    /// Column name, e.g. "embertls+aws-lc".
    fn name(&self) -> &str;

    /// Full TLS 1.3 handshakes (X25519, AES-128-GCM) with `key`'s
    /// certificate, verified by the client; no tickets.
    fn full(&self, key: ServerKey) -> Result<Box<dyn Handshaker>, String>;

    /// Resumed TLS 1.3 handshakes (PSK-DHE with X25519, stateless tickets,
    /// one new ticket per handshake); the first ticket is fetched here.
    fn resumed(&self) -> Result<Box<dyn Handshaker>, String>;

    /// A connected pair negotiating `suite`.
    fn bulk(&self, suite: Suite) -> Result<Box<dyn Bulk>, String>;

    /// The backend's raw AEAD, as the TLS stack calls it (`None`: not
    /// measured for this contender).
    fn raw_aead(&self, _suite: Suite) -> Option<Result<RawAead, String>> {
        None
    }

    /// One signature over [`SIGNED_MESSAGE`] with the server key: ECDSA
    /// P-256 SHA-256 or RSA-2048 PSS SHA-256.
    fn raw_sign(&self, _key: ServerKey) -> Option<Result<RawOp, String>> {
        None
    }

    /// One X25519 key exchange: key pair and public key, then the shared
    /// secret with a fixed peer.
    fn raw_x25519(&self) -> Option<Result<RawOp, String>> {
        None
    }
}

/// Boxes a connection for [`Connected`].
pub(crate) fn boxed<T: Any>(value: T) -> Box<dyn Any> {
    Box::new(value)
}
