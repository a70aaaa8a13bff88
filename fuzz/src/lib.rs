//! Shared set-up for the fuzz targets: deterministic connections (so every
//! crash reproduces), the test PKI compiled in, and the input conventions.

use std::sync::Arc;

use embertls::config::{
    CertifiedKey, ClientConfig, CommonConfig, ServerConfig, SingleCertAndKey, Transport,
    VersionRange,
};
use embertls::crypto::CryptoProvider;
use embertls::verify::{certificates_from_pem, RootStore};
use embertls::{Connection, Event, Instant, Output};
use embertls_conformance::testkit::deterministic;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;

const SERVER_CERT: &[u8] = include_bytes!("../../conformance/testdata/server-p256.pem");
const SERVER_KEY: &[u8] = include_bytes!("../../conformance/testdata/server-p256.key");
const CA_CERTS: &[&[u8]] = &[
    include_bytes!("../../conformance/testdata/ca-p256.pem"),
    include_bytes!("../../conformance/testdata/ca-p384.pem"),
    include_bytes!("../../conformance/testdata/ca-ed25519.pem"),
    include_bytes!("../../conformance/testdata/ca-rsa.pem"),
];

/// The name in the test PKI's server certificates.
pub const SERVER_NAME: &str = "localhost";

/// RustCrypto with scripted randomness and a stopped clock inside the test
/// PKI's validity. `tag` keeps the client's and server's bytes apart.
pub fn provider(tag: u8) -> Arc<CryptoProvider> {
    Arc::new(deterministic::provider(&[&[tag; 64]]))
}

/// A server with the test PKI's P-256 certificate; no client auth.
pub fn server_config() -> ServerConfig {
    let provider = provider(0x5a);
    let chain = certificates_from_pem(SERVER_CERT).expect("test certificate");
    let der = PrivateKeyDer::from_pem_slice(SERVER_KEY).expect("test key PEM");
    let key = provider
        .key_loader
        .load_private_key(der.secret_der())
        .expect("test key");
    let certified = Arc::new(CertifiedKey::new(chain, key));
    ServerConfig::new(provider, Arc::new(SingleCertAndKey(certified)))
}

/// A client trusting the test PKI's CAs.
pub fn client_config() -> ClientConfig {
    let mut config = ClientConfig::new(provider(0xc1));
    let mut roots = RootStore::new();
    for pem in CA_CERTS {
        roots.add_pem(pem).expect("test CA");
    }
    config.common.roots = roots;
    config
}

pub fn server() -> Connection {
    Connection::server(Arc::new(server_config()), Instant::ZERO).expect("server")
}

/// A client that has already produced its ClientHello; returns the bytes.
pub fn client() -> (Connection, Vec<u8>) {
    let mut conn = Connection::client(Arc::new(client_config()), Some(SERVER_NAME), Instant::ZERO)
        .expect("client");
    let hello = drain(&mut conn);
    (conn, hello)
}

/// Polls every output: returns the bytes to send, completes operations
/// (none with the plain provider, but the contract says to), drops events.
pub fn drain(conn: &mut Connection) -> Vec<u8> {
    let mut sent = Vec::new();
    for _ in 0..10_000 {
        match conn.poll_output() {
            None => break,
            Some(Output::Transmit(bytes)) => sent.extend_from_slice(&bytes),
            Some(Output::Event(Event::Operation(op))) => {
                let result = op.perform();
                let _ = conn.complete(op.id, result);
            }
            Some(Output::Event(_)) => {}
        }
    }
    sent
}

/// The chunked-input convention of `server_input` and `client_input`: the
/// first byte is the chunk size (0 = everything at once), the rest is the
/// peer's byte stream.
pub fn chunks(data: &[u8]) -> Vec<&[u8]> {
    let Some((&size, rest)) = data.split_first() else {
        return Vec::new();
    };
    if size == 0 || rest.is_empty() {
        return vec![rest];
    }
    rest.chunks(size as usize).collect()
}

/// Feeds `data` to `conn` in chunks, draining output after each; stops at
/// the first error (the connection is dead then; further input must fail
/// cleanly, which one more call checks).
pub fn feed_chunked(conn: &mut Connection, data: &[u8]) -> Vec<u8> {
    let mut sent = Vec::new();
    for chunk in chunks(data) {
        let result = conn.handle_input(chunk, Instant::ZERO);
        sent.extend(drain(conn));
        if result.is_err() {
            assert!(conn.handle_input(chunk, Instant::ZERO).is_err());
            assert!(conn.send(b"x").is_err());
            break;
        }
    }
    sent
}

/// DTLS 1.2 over datagrams for a configuration.
fn datagrams_only(common: &mut CommonConfig) {
    common.transport = Transport::Datagram;
    common.versions = VersionRange::TLS12_ONLY;
}

/// A DTLS server, with or without HelloVerifyRequest cookies, that knows
/// its client's transport id.
pub fn dtls_server(cookies: bool) -> Connection {
    let mut config = server_config();
    datagrams_only(&mut config.common);
    if !cookies {
        config.dtls_cookies = None;
    }
    let mut conn = Connection::server(Arc::new(config), Instant::ZERO).expect("server");
    conn.set_client_transport_id(b"127.0.0.1:5684")
        .expect("datagram server");
    conn
}

/// A DTLS client that has sent its first ClientHello; returns it.
pub fn dtls_client() -> (Connection, Vec<Vec<u8>>) {
    let mut config = client_config();
    datagrams_only(&mut config.common);
    let mut conn =
        Connection::client(Arc::new(config), Some(SERVER_NAME), Instant::ZERO).expect("client");
    let sent = drain_datagrams(&mut conn);
    (conn, sent)
}

/// Like [`drain`], keeping datagrams apart.
pub fn drain_datagrams(conn: &mut Connection) -> Vec<Vec<u8>> {
    let mut sent = Vec::new();
    for _ in 0..10_000 {
        match conn.poll_output() {
            None => break,
            Some(Output::Transmit(bytes)) => sent.push(bytes.to_vec()),
            Some(Output::Event(Event::Operation(op))) => {
                let result = op.perform();
                let _ = conn.complete(op.id, result);
            }
            Some(Output::Event(_)) => {}
        }
    }
    sent
}

/// A length (big-endian u16) that is not a datagram but a timer tick.
pub const TICK: u16 = 0xffff;

/// The input convention of `dtls_input` after its first byte: datagrams,
/// each a big-endian u16 length and its bytes, or [`TICK`] for two seconds
/// passing (retransmission timers fire).
pub fn encode_datagrams(datagrams: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for d in datagrams {
        out.extend_from_slice(&(d.len() as u16).to_be_bytes());
        out.extend_from_slice(d);
    }
    out
}

/// Feeds datagrams and ticks to `conn`, draining output after each; stops
/// at the first error, after checking that the dead connection refuses
/// more input. Returns the datagrams sent.
pub fn feed_datagrams(conn: &mut Connection, mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut sent = Vec::new();
    let mut now = Instant::ZERO;
    while let [a, b, rest @ ..] = data {
        let len = u16::from_be_bytes([*a, *b]);
        let result = if len == TICK {
            data = rest;
            now = now + std::time::Duration::from_secs(2);
            conn.handle_timeout(now)
        } else {
            let len = usize::from(len).min(rest.len());
            let (datagram, tail) = rest.split_at(len);
            data = tail;
            // The owned-buffer path, as a UDP loop would use it.
            conn.handle_datagram(bytes::BytesMut::from(datagram), now)
        };
        sent.extend(drain_datagrams(conn));
        if result.is_err() {
            assert!(conn.handle_input(&[22, 0xfe, 0xfd], now).is_err());
            assert!(conn.send(b"x").is_err());
            break;
        }
    }
    sent
}
