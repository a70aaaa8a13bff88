//! The pieces of the benchmark program (`cargo xtask bench`): the
//! contenders (embertls on each backend, rustls with aws-lc-rs, OpenSSL),
//! each able to run a handshake, a resumed handshake and a bulk transfer in
//! memory with client and server in one thread (over TLS 1.3, TLS 1.2 and,
//! where the contender has it, DTLS 1.2), plus the raw primitives of
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

/// A TLS 1.3 cipher suite of the bulk rows (and the AEAD of the raw rows).
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

/// A TLS 1.2 cipher suite of the TLS 1.2 bulk rows: ECDHE-ECDSA with the
/// P-256 certificate, X25519.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite12 {
    /// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.
    Aes128Gcm,
    /// TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (RFC 7905).
    ChaCha20Poly1305,
    /// TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 with Encrypt-then-MAC
    /// (RFC 7366).
    Aes128CbcSha256,
}

impl Suite12 {
    pub const ALL: [Suite12; 3] = [
        Suite12::Aes128Gcm,
        Suite12::ChaCha20Poly1305,
        Suite12::Aes128CbcSha256,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Suite12::Aes128Gcm => "AES-128-GCM",
            Suite12::ChaCha20Poly1305 => "ChaCha20-Poly1305",
            Suite12::Aes128CbcSha256 => "AES-128-CBC + HMAC-SHA256, Encrypt-then-MAC",
        }
    }

    /// The IANA name.
    pub fn iana_name(self) -> &'static str {
        match self {
            Suite12::Aes128Gcm => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            Suite12::ChaCha20Poly1305 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            Suite12::Aes128CbcSha256 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        }
    }

    /// OpenSSL's name, as `set_cipher_list` takes it.
    pub fn openssl_name(self) -> &'static str {
        match self {
            Suite12::Aes128Gcm => "ECDHE-ECDSA-AES128-GCM-SHA256",
            Suite12::ChaCha20Poly1305 => "ECDHE-ECDSA-CHACHA20-POLY1305",
            Suite12::Aes128CbcSha256 => "ECDHE-ECDSA-AES128-SHA256",
        }
    }

    /// The TLS 1.3 suite with the same AEAD, for the bulk / raw rows.
    pub fn aead(self) -> Option<Suite> {
        match self {
            Suite12::Aes128Gcm => Some(Suite::Aes128Gcm),
            Suite12::ChaCha20Poly1305 => Some(Suite::ChaCha20Poly1305),
            Suite12::Aes128CbcSha256 => None,
        }
    }
}

impl Suite12 {
    /// The suites of the DTLS 1.2 bulk rows.
    pub const DTLS: [Suite12; 2] = [Suite12::Aes128Gcm, Suite12::ChaCha20Poly1305];
}

/// The suite of the DTLS 1.2 handshake row (P-256 certificate).
pub const DTLS_HANDSHAKE_SUITE: Suite12 = Suite12::Aes128Gcm;

/// MTU (largest datagram) of the DTLS handshake row: embertls's default,
/// so the server's flight goes out in several datagrams.
pub const DTLS_HANDSHAKE_MTU: usize = 1400;

/// MTU of the DTLS bulk rows: room for a full 16 KiB record and its header,
/// explicit nonce and tag, so each write is one full-size record in one
/// datagram.
pub const DTLS_BULK_MTU: usize = RECORD + 64;

/// The client's transport address as the DTLS servers see it (IPv4
/// address and port), bound into HelloVerifyRequest cookies.
pub const DTLS_CLIENT_ADDRESS: [u8; 6] = [127, 0, 0, 1, 0xc3, 0x50];

/// The suite of the TLS 1.2 handshake rows for a certificate: ECDHE with
/// the certificate's signature, AES-128-GCM.
pub fn tls12_handshake_suite(key: ServerKey) -> &'static str {
    match key {
        ServerKey::P256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        ServerKey::Rsa2048 => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    }
}

/// How a TLS 1.2 client resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resumption12 {
    /// RFC 5077 stateless tickets sealed by the server; no session cache.
    Ticket,
    /// The session id, from the server's session cache; no tickets.
    SessionId,
}

impl Resumption12 {
    pub const ALL: [Resumption12; 2] = [Resumption12::Ticket, Resumption12::SessionId];
}

/// Why a contender has no measurement for a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// The contender (or its backend) cannot do this: reported, not a
    /// failure.
    Unsupported(String),
    /// Setting up failed.
    Error(String),
}

impl From<String> for Missing {
    fn from(e: String) -> Self {
        Missing::Error(e)
    }
}

impl From<&str> for Missing {
    fn from(e: &str) -> Self {
        Missing::Error(e.to_string())
    }
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Unsupported(why) => write!(f, "not supported: {why}"),
            Missing::Error(e) => f.write_str(e),
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

    /// Full TLS 1.2 handshakes: ECDHE with X25519, AES-128-GCM, `key`'s
    /// certificate (ECDHE-ECDSA or ECDHE-RSA), extended master secret; no
    /// tickets and no session cache.
    fn tls12_full(&self, _key: ServerKey) -> Result<Box<dyn Handshaker>, Missing> {
        Err(Missing::Unsupported("no TLS 1.2".into()))
    }

    /// Resumed TLS 1.2 handshakes (ECDHE-ECDSA, AES-128-GCM) by `how`; each
    /// offers the newest session the client has; the first session is
    /// fetched here.
    fn tls12_resumed(&self, _how: Resumption12) -> Result<Box<dyn Handshaker>, Missing> {
        Err(Missing::Unsupported("no TLS 1.2".into()))
    }

    /// A TLS 1.2 connected pair negotiating `suite`.
    fn tls12_bulk(&self, _suite: Suite12) -> Result<Box<dyn Bulk>, Missing> {
        Err(Missing::Unsupported("no TLS 1.2".into()))
    }

    /// Full DTLS 1.2 handshakes with the P-256 certificate: ECDHE-ECDSA,
    /// X25519, AES-128-GCM, extended master secret, the server's
    /// HelloVerifyRequest cookie exchange included, MTU
    /// [`DTLS_HANDSHAKE_MTU`]; no tickets and no session cache.
    fn dtls12_full(&self) -> Result<Box<dyn Handshaker>, Missing> {
        Err(Missing::Unsupported("no DTLS".into()))
    }

    /// A DTLS 1.2 connected pair negotiating `suite` with MTU
    /// [`DTLS_BULK_MTU`]: each 16 KiB write is one record in one datagram.
    fn dtls12_bulk(&self, _suite: Suite12) -> Result<Box<dyn Bulk>, Missing> {
        Err(Missing::Unsupported("no DTLS".into()))
    }

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
