//! embertls: a sans-IO TLS and DTLS protocol engine.
//!
//! The engine consumes bytes and time and produces bytes, events and timer
//! deadlines. It opens no socket, reads no clock, draws no randomness and
//! starts no thread: cryptography, randomness, wall-clock time, private-key
//! operations and ticket sealing come from a [`crypto::CryptoProvider`]
//! (for example `embertls-rustcrypto`). Slow operations such as signing with
//! a key in an HSM may answer *pending*; the connection then hands the
//! caller an [`conn::Operation`] and waits.
//!
//! # The call-order contract
//!
//! 1. Create a [`Connection`] with [`Connection::client`] or
//!    [`Connection::server`]. A client has its ClientHello ready at once.
//! 2. Loop:
//!    - Drain [`Connection::poll_output`] until it returns `None`:
//!      - [`Output::Transmit`]: write the bytes to the transport, in order.
//!      - [`Event::Operation`]: perform it now or later, anywhere (e.g.
//!        [`conn::Operation::perform`] on a worker thread), then call
//!        [`Connection::complete`] with its id. Until then the connection
//!        buffers input and does not advance the handshake.
//!      - [`Event::HandshakeComplete`], [`Event::Data`],
//!        [`Event::PeerClosed`], [`Event::AlertReceived`]: act on them.
//!    - Feed bytes read from the transport to [`Connection::handle_input`].
//!    - When the deadline from [`Connection::poll_timeout`] passes, call
//!      [`Connection::handle_timeout`] (TLS over streams sets none; DTLS does).
//! 3. [`Connection::send`] queues application data at any time (it is held
//!    until the handshake completes); [`Connection::close`] sends
//!    close_notify. Drain `poll_output` after each of these calls too.
//! 4. An `Err` from any call is final: drain `poll_output` once more to send
//!    the alert that describes it, then drop the connection.
//!
//! Time always comes in as an argument ([`Instant`], the caller's monotonic
//! clock in microseconds); certificate validity uses the provider's
//! [`crypto::TimeSource`].
//!
//! # Example: a client and a server in memory
//!
//! ```
//! use std::sync::Arc;
//! use embertls::config::{CertifiedKey, ClientConfig, ServerConfig, SingleCertAndKey};
//! use embertls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
//! use embertls::{Connection, Event, Instant, Output};
//!
//! let provider = Arc::new(embertls_rustcrypto::provider());
//!
//! // Server: one certificate chain and its key.
//! let chain = CertificateDer::pem_slice_iter(include_bytes!("../../conformance/testdata/server-p256.pem"))
//!     .collect::<Result<Vec<_>, _>>().unwrap();
//! let key_der = PrivateKeyDer::from_pem_slice(include_bytes!("../../conformance/testdata/server-p256.key")).unwrap();
//! let key = provider.key_loader.load_private_key(key_der.secret_der()).unwrap();
//! let server_config = ServerConfig::new(
//!     provider.clone(),
//!     Arc::new(SingleCertAndKey(Arc::new(CertifiedKey::new(chain, key)))),
//! );
//!
//! // Client: trusts the test CA.
//! let mut client_config = ClientConfig::new(provider);
//! client_config.common.roots.add_pem(include_bytes!("../../conformance/testdata/ca-p256.pem")).unwrap();
//!
//! let now = Instant::ZERO;
//! let mut client = Connection::client(Arc::new(client_config), Some("localhost"), now).unwrap();
//! let mut server = Connection::server(Arc::new(server_config), now).unwrap();
//! client.send(b"hello").unwrap(); // queued until the handshake completes
//!
//! /// Delivers everything `from` has to say to `to`; returns application data.
//! fn pump(from: &mut Connection, to: &mut Connection, now: Instant) -> Vec<u8> {
//!     let mut data = Vec::new();
//!     while let Some(output) = from.poll_output() {
//!         match output {
//!             Output::Transmit(bytes) => to.handle_input(&bytes, now).unwrap(),
//!             Output::Event(Event::Operation(op)) => {
//!                 let result = op.perform(); // or on a worker thread, later
//!                 from.complete(op.id, result).unwrap();
//!             }
//!             Output::Event(Event::Data(bytes)) => data.extend_from_slice(&bytes),
//!             Output::Event(_) => {}
//!         }
//!     }
//!     data
//! }
//!
//! let mut received = Vec::new();
//! while client.is_handshaking() || server.is_handshaking() || received.is_empty() {
//!     pump(&mut client, &mut server, now);
//!     received.extend(pump(&mut server, &mut client, now));
//! }
//! assert_eq!(received, b"hello");
//! assert_eq!(client.cipher_suite_info().unwrap().iana_name, "TLS_AES_128_GCM_SHA256");
//! assert!(client.verify_result().unwrap().is_ok());
//! ```
//!
//! # Crate layout
//!
//! - [`conn`]: the connection API, events and operations.
//! - [`config`]: client and server configuration (the Mbed TLS `conf_*` surface).
//! - [`crypto`]: provider traits.
//! - [`msgs`] and [`codec`]: total parsers and encoders of wire messages.
//! - [`handshake`]: transcript and key schedule (state machines are internal).
//! - [`transport`]: DTLS cookies ([`transport::HmacCookies`]).
//! - [`verify`]: certificate verification (rustls-webpki) and result flags.
//! - [`suites`]: the cipher-suite registry.
//! - [`error`]: typed errors and the one mapping from error to alert.
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
pub mod session;
pub mod suites;
pub mod time;
pub mod transport;
pub mod verify;

#[cfg(test)]
mod test_support;

/// Not API: hooks for the conformance suite. No stability promise.
#[doc(hidden)]
pub use record::testing as __testing;

pub use config::{ClientConfig, ServerConfig};
pub use conn::{Connection, Event, Output, Side};
pub use error::Error;
/// Certificate and key types (rustls-pki-types), re-exported.
pub use rustls_pki_types as pki_types;
pub use time::Instant;
