//! Signing keys that never leave an HSM: embertls private keys on a
//! PKCS#11 token (a hardware security module, a smart card, SoftHSM2).
//!
//! - [`Pkcs11Token::open`] loads a PKCS#11 module (`dlopen`, through the
//!   `cryptoki` crate), finds the token by label and logs in.
//! - [`Pkcs11Token::key_by_label`] / [`Pkcs11Token::key_by_id`] find a
//!   private key and read its type from the token (`CKA_KEY_TYPE`, with
//!   the curve from `CKA_EC_PARAMS` or the size from `CKA_MODULUS`).
//!   A [`Pkcs11Key`] is an [`embertls::crypto::SigningKey`]: ECDSA P-256
//!   and P-384, RSA-PSS and RSA PKCS#1 v1.5 with SHA-256/384/512. The
//!   message is hashed here and the token signs the digest (`CKM_ECDSA`,
//!   `CKM_RSA_PKCS_PSS`, `CKM_RSA_PKCS`), or the token hashes too
//!   ([`Hashing::Token`]); ECDSA's `r || s` becomes the DER TLS sends.
//! - [`Pkcs11Worker`] serves the signatures on threads of its own.
//!
//! # The flow
//!
//! [`Pkcs11Key`]'s `start_sign` always answers `Pending`, so the private
//! operation never runs on the connection's thread:
//!
//! 1. The handshake reaches CertificateVerify; the connection emits
//!    `Event::Operation(op)` and waits (it buffers input meanwhile).
//! 2. The event loop passes `op` to [`Pkcs11Worker::submit`]. A worker
//!    thread checks `op.cancellation`, calls `op.perform()` (which calls
//!    [`Pkcs11Key`]'s blocking `sign`: `C_Sign` on a session of its own)
//!    and sends `(op.id, result)` back.
//! 3. The event loop receives it and calls `Connection::complete(id,
//!    result)`; the handshake goes on.
//!
//! If the connection is dropped or fails while the operation is queued,
//! its cancellation flag is set and the worker skips it.
//!
//! ```no_run
//! use std::sync::Arc;
//! use embertls::config::{CertifiedKey, ServerConfig, SingleCertAndKey};
//! use embertls::{Connection, Event, Instant, Output};
//! use embertls_pkcs11::{Pkcs11Token, Pkcs11Worker};
//! # fn chain() -> Vec<embertls::pki_types::CertificateDer<'static>> { Vec::new() }
//! # fn read_socket() -> Vec<u8> { Vec::new() }
//! # fn write_socket(_: &[u8]) {}
//!
//! let token = Pkcs11Token::open("/usr/lib/softhsm/libsofthsm2.so", "tls", "1234")?;
//! let key = Arc::new(token.key_by_label("server")?);
//! let provider = Arc::new(embertls_rustcrypto::provider());
//! let config = Arc::new(ServerConfig::new(
//!     provider,
//!     Arc::new(SingleCertAndKey(Arc::new(CertifiedKey::new(chain(), key)))),
//! ));
//!
//! let (worker, completions) = Pkcs11Worker::new(2);
//! let mut conn = Connection::server(config, Instant::ZERO)?;
//! let mut waiting = false;
//! loop {
//!     while let Some(out) = conn.poll_output() {
//!         match out {
//!             Output::Transmit(bytes) => write_socket(&bytes),
//!             Output::Event(Event::Operation(op)) => {
//!                 worker.submit(op); // C_Sign happens on a worker thread
//!                 waiting = true;
//!             }
//!             Output::Event(_) => {}
//!         }
//!     }
//!     if waiting {
//!         // A real loop waits on sockets and completions together.
//!         let (id, result) = completions.recv().expect("worker alive");
//!         conn.complete(id, result)?;
//!         waiting = false;
//!     } else {
//!         conn.handle_input(&read_socket(), Instant::ZERO)?;
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With several connections on one event loop, use
//! [`Pkcs11Worker::submit_with`] and tag each result with its connection.
//!
//! # Sessions and threads
//!
//! A [`Pkcs11Token`] opens the module once per process (`C_Initialize`
//! with OS locking), keeps one session that holds the login, and lends
//! every signature a session of its own from a small pool, so keys may be
//! used from any number of threads. Sessions the token lost are replaced,
//! logging in again, and stale key handles are looked up again.
#![forbid(unsafe_code)]

mod encoding;
mod error;
mod key;
mod token;
mod worker;

pub use error::Pkcs11Error;
pub use key::{Hashing, KeyLookup, Pkcs11Key};
pub use token::Pkcs11Token;
pub use worker::{Completion, Pkcs11Worker, WorkerStats};

/// The `cryptoki` crate this backend is built on, for its mechanism and
/// error types.
pub use cryptoki;
