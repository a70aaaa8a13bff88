//! The system OpenSSL through the `openssl` crate: an `SslStream` per side
//! over an in-memory duplex (two byte queues; for DTLS two datagram
//! queues), in non-blocking style.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use openssl::derive::Deriver;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer};
use openssl::ssl::{
    ErrorCode, ShutdownState, Ssl, SslContext, SslContextBuilder, SslMethod, SslOptions, SslRef,
    SslSession, SslSessionCacheMode, SslStream, SslVerifyMode, SslVersion,
};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::X509;

use crate::{
    boxed, tls12_handshake_suite, Bulk, Connected, Contender, Handshaker, Missing, RawOp,
    Resumption12, ServerKey, Suite, Suite12, DTLS_BULK_MTU, DTLS_CLIENT_ADDRESS,
    DTLS_HANDSHAKE_MTU, DTLS_HANDSHAKE_SUITE, RECORD, SERVER_NAME, SIGNED_MESSAGE,
};

/// OpenSSL (libssl) on its own.
pub struct OpenSsl;

/// One direction of the duplex: bytes written and not yet read.
#[derive(Default)]
struct Queue {
    bytes: Vec<u8>,
    read: usize,
}

/// One end of the in-memory duplex.
struct End {
    rx: Rc<RefCell<Queue>>,
    tx: Rc<RefCell<Queue>>,
}

impl Read for End {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut q = self.rx.borrow_mut();
        let available = q.bytes.len() - q.read;
        if available == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = available.min(out.len());
        out[..n].copy_from_slice(&q.bytes[q.read..q.read + n]);
        q.read += n;
        if q.read == q.bytes.len() {
            q.bytes.clear();
            q.read = 0;
        }
        Ok(n)
    }
}

impl Write for End {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.tx.borrow_mut().bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn duplex() -> (End, End) {
    let a = Rc::new(RefCell::new(Queue::default()));
    let b = Rc::new(RefCell::new(Queue::default()));
    (
        End {
            rx: a.clone(),
            tx: b.clone(),
        },
        End { rx: b, tx: a },
    )
}

type Stream = SslStream<End>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn private_key(key: ServerKey) -> Result<PKey<Private>, String> {
    let (_, key_file, _) = key.files();
    let pem = std::fs::read(&key_file).map_err(err)?;
    PKey::private_key_from_pem(&pem).map_err(err)
}

/// Client and server contexts: TLS 1.3 only, X25519 only, `suite` only,
/// the certificate `key`, the client verifying against only its CA; with
/// `tickets`, one stateless ticket per handshake, else none.
fn contexts(
    key: ServerKey,
    suite: Suite,
    tickets: bool,
) -> Result<(SslContext, SslContext), String> {
    let mode = if tickets {
        ResumptionMode::Tickets
    } else {
        ResumptionMode::None
    };
    contexts_for(key, SslVersion::TLS1_3, suite.iana_name(), mode)
}

/// What the server offers for resumption.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ResumptionMode {
    None,
    /// Stateless tickets (TLS 1.3: one per handshake); no session cache.
    Tickets,
    /// TLS 1.2 session ids: the server's session cache, no tickets.
    SessionId,
}

/// Entries of the TLS 1.2 server session cache.
const SESSION_CACHE_ENTRIES: i32 = 256;

/// Client and server contexts for `version` only: X25519 only, `suite`
/// only (a TLS 1.3 IANA name or a TLS 1.2 OpenSSL cipher name), the
/// certificate `key`, the client verifying against only its CA, resumption
/// as `mode` says.
fn contexts_for(
    key: ServerKey,
    version: SslVersion,
    suite: &str,
    mode: ResumptionMode,
) -> Result<(SslContext, SslContext), String> {
    let (cert_file, _, ca_file) = key.files();
    let common = |builder: &mut SslContextBuilder| -> Result<(), String> {
        builder.set_min_proto_version(Some(version)).map_err(err)?;
        builder.set_max_proto_version(Some(version)).map_err(err)?;
        if version == SslVersion::TLS1_3 {
            builder.set_ciphersuites(suite).map_err(err)?;
        } else {
            builder.set_cipher_list(suite).map_err(err)?;
        }
        if version == SslVersion::TLS1_3 {
            builder.set_groups_list("X25519").map_err(err)?;
        } else {
            // TLS 1.2: OpenSSL only picks an ECDSA certificate whose curve
            // the client lists in supported_groups; X25519 first, so the
            // key exchange stays X25519.
            builder.set_groups_list("X25519:P-256").map_err(err)?;
        }
        Ok(())
    };

    let mut client = SslContextBuilder::new(SslMethod::tls_client()).map_err(err)?;
    common(&mut client)?;
    let mut store = X509StoreBuilder::new().map_err(err)?;
    let ca = X509::from_pem(&std::fs::read(&ca_file).map_err(err)?).map_err(err)?;
    store.add_cert(ca).map_err(err)?;
    client.set_cert_store(store.build());
    client.set_verify(SslVerifyMode::PEER);
    // Sessions are taken from the connection and offered by hand.
    client.set_session_cache_mode(SslSessionCacheMode::OFF);

    let mut server = SslContextBuilder::new(SslMethod::tls_server()).map_err(err)?;
    common(&mut server)?;
    server.set_certificate_chain_file(&cert_file).map_err(err)?;
    let pkey = private_key(key)?;
    server.set_private_key(&pkey).map_err(err)?;
    server.check_private_key().map_err(err)?;
    match mode {
        ResumptionMode::None => {
            server.set_session_cache_mode(SslSessionCacheMode::OFF);
            server.set_options(SslOptions::NO_TICKET);
            server.set_num_tickets(0).map_err(err)?;
        }
        ResumptionMode::Tickets => {
            server.set_session_cache_mode(SslSessionCacheMode::OFF);
            server.set_num_tickets(1).map_err(err)?;
        }
        ResumptionMode::SessionId => {
            server.set_session_cache_mode(SslSessionCacheMode::SERVER);
            server.set_session_cache_size(SESSION_CACHE_ENTRIES);
            server
                .set_session_id_context(b"embertls-bench")
                .map_err(err)?;
            server.set_options(SslOptions::NO_TICKET);
            server.set_num_tickets(0).map_err(err)?;
        }
    }
    Ok((client.build(), server.build()))
}

/// Whether an SSL call only waits for more input.
fn wants_io(e: &openssl::ssl::Error) -> bool {
    matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE)
}

/// Connects a fresh pair, offering `session`, and drives the handshake;
/// the client then reads the server's tickets.
fn connect(
    client_ctx: &SslContext,
    server_ctx: &SslContext,
    session: Option<&SslSession>,
) -> Result<(Stream, Stream), String> {
    let (client_end, server_end) = duplex();
    let mut ssl = openssl::ssl::Ssl::new(client_ctx).map_err(err)?;
    ssl.set_hostname(SERVER_NAME).map_err(err)?;
    ssl.param_mut().set_host(SERVER_NAME).map_err(err)?;
    if let Some(session) = session {
        // SAFETY: the session came from a connection of this same context.
        unsafe { ssl.set_session(session) }.map_err(err)?;
    }
    ssl.set_connect_state();
    let mut client = SslStream::new(ssl, client_end).map_err(err)?;
    let mut ssl = openssl::ssl::Ssl::new(server_ctx).map_err(err)?;
    ssl.set_accept_state();
    let mut server = SslStream::new(ssl, server_end).map_err(err)?;

    let (mut client_done, mut server_done) = (false, false);
    for _ in 0..16 {
        if !client_done {
            match client.do_handshake() {
                Ok(()) => client_done = true,
                Err(e) if wants_io(&e) => {}
                Err(e) => return Err(format!("client: {e}")),
            }
        }
        if !server_done {
            match server.do_handshake() {
                Ok(()) => server_done = true,
                Err(e) if wants_io(&e) => {}
                Err(e) => return Err(format!("server: {e}")),
            }
        }
        if client_done && server_done {
            // Session tickets arrive after the handshake; a read takes them.
            let mut byte = [0u8; 1];
            match client.ssl_read(&mut byte) {
                Err(e) if wants_io(&e) => {}
                Ok(_) => return Err("unexpected application data".into()),
                Err(e) => return Err(format!("client: {e}")),
            }
            // Idle: no transport bytes kept.
            for end in [client.get_ref(), server.get_ref()] {
                let mut q = end.rx.borrow_mut();
                if q.read != q.bytes.len() {
                    return Err("undelivered bytes".into());
                }
                q.bytes = Vec::new();
                q.read = 0;
            }
            return Ok((client, server));
        }
    }
    Err("handshake did not finish".into())
}

struct Full {
    client: SslContext,
    server: SslContext,
}

impl Handshaker for Full {
    fn connect(&mut self) -> Result<Connected, String> {
        let (client, server) = connect(&self.client, &self.server, None)?;
        if client.ssl().session_reused() {
            return Err("resumed a full handshake".into());
        }
        Ok(Connected {
            client: boxed(client),
            server: boxed(server),
        })
    }
}

struct Resumed {
    client: SslContext,
    server: SslContext,
    /// The newest session; each resumed handshake brings the next.
    session: Option<SslSession>,
}

impl Resumed {
    fn handshake(&mut self, expect_resumed: bool) -> Result<Connected, String> {
        let (mut client, mut server) = connect(&self.client, &self.server, self.session.as_ref())?;
        if client.ssl().session_reused() != expect_resumed {
            return Err(format!("resumed: {}", client.ssl().session_reused()));
        }
        // Without a ticket the next handshake is not resumed, which fails.
        let session = client.ssl().session().ok_or("no session")?;
        self.session = Some(session.to_owned());
        // Freeing an SSL that was not shut down marks its session
        // non-resumable; a client would send close_notify first. Mark the
        // connection as closed instead (SSL_set_shutdown).
        // The same holds for the server's session cache (TLS 1.2 session
        // ids): an SSL freed without shutdown removes its session.
        client.set_shutdown(ShutdownState::SENT | ShutdownState::RECEIVED);
        server.set_shutdown(ShutdownState::SENT | ShutdownState::RECEIVED);
        Ok(Connected {
            client: boxed(client),
            server: boxed(server),
        })
    }
}

impl Handshaker for Resumed {
    fn connect(&mut self) -> Result<Connected, String> {
        self.handshake(true)
    }
}

struct Pair<S> {
    client: SslStream<S>,
    server: SslStream<S>,
    plaintext: Vec<u8>,
}

impl<S: Read + Write> Bulk for Pair<S> {
    fn transfer(&mut self, data: &[u8], sink: &mut dyn FnMut(&[u8])) -> Result<(), String> {
        let mut rest = data;
        while !rest.is_empty() {
            let n = self.client.ssl_write(rest).map_err(err)?;
            rest = &rest[n..];
        }
        loop {
            match self.server.ssl_read(&mut self.plaintext) {
                Ok(0) => return Err("peer closed".into()),
                Ok(n) => sink(&self.plaintext[..n]),
                Err(e) if wants_io(&e) => return Ok(()),
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

/// A connected pair that negotiated `suite` (IANA name), for the bulk rows.
fn pair(client: &SslContext, server: &SslContext, suite: &str) -> Result<Box<dyn Bulk>, String> {
    let (client, server) = connect(client, server, None)?;
    let negotiated = client.ssl().current_cipher().map(|c| c.standard_name());
    if negotiated != Some(Some(suite)) {
        return Err(format!("negotiated {negotiated:?}"));
    }
    Ok(Box::new(Pair {
        client,
        server,
        plaintext: vec![0; RECORD],
    }))
}

/// The OpenSSL name of a TLS 1.2 handshake suite.
fn openssl_suite_name(iana: &str) -> Result<&'static str, String> {
    match iana {
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" => Ok("ECDHE-ECDSA-AES128-GCM-SHA256"),
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" => Ok("ECDHE-RSA-AES128-GCM-SHA256"),
        other => Err(format!("no OpenSSL name for {other}")),
    }
}

/// Checks a handshake negotiated TLS 1.2 and `suite` (IANA name).
fn check_tls12(connected: Connected, suite: &str) -> Result<(), String> {
    let client = connected
        .client
        .downcast_ref::<Stream>()
        .ok_or("not an OpenSSL stream")?;
    check_version(client.ssl(), SslVersion::TLS1_2, suite)
}

/// Checks a client negotiated `version`, `suite` (IANA name) and X25519.
fn check_version(ssl: &SslRef, version: SslVersion, suite: &str) -> Result<(), String> {
    if ssl.version2() != Some(version) {
        return Err(format!("negotiated {}", ssl.version_str()));
    }
    let negotiated = ssl.current_cipher().map(|c| c.standard_name());
    if negotiated != Some(Some(suite)) {
        return Err(format!("negotiated {negotiated:?}"));
    }
    // The client lists P-256 too (see `contexts_for`): the key exchange
    // must still be X25519.
    let kx = ssl.peer_tmp_key().map_err(err)?;
    if kx.id() != openssl::pkey::Id::X25519 {
        return Err(format!("key exchange {:?}", kx.id()));
    }
    Ok(())
}

/// One direction of a datagram duplex: datagrams written and not yet read,
/// and spent buffers to reuse.
#[derive(Default)]
struct Datagrams {
    queue: VecDeque<Vec<u8>>,
    spare: Vec<Vec<u8>>,
}

/// One end of the in-memory datagram duplex: each write OpenSSL makes is
/// one datagram and each read returns exactly one, as over a UDP socket.
struct DatagramEnd {
    rx: Rc<RefCell<Datagrams>>,
    tx: Rc<RefCell<Datagrams>>,
}

impl Read for DatagramEnd {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut q = self.rx.borrow_mut();
        let Some(datagram) = q.queue.pop_front() else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let n = datagram.len();
        if n > out.len() {
            return Err(io::Error::other(format!(
                "a {n}-byte datagram for a {}-byte read",
                out.len()
            )));
        }
        out[..n].copy_from_slice(&datagram);
        q.spare.push(datagram);
        Ok(n)
    }
}

impl Write for DatagramEnd {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut q = self.tx.borrow_mut();
        let mut datagram = q.spare.pop().unwrap_or_default();
        datagram.clear();
        datagram.extend_from_slice(data);
        q.queue.push_back(datagram);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn datagram_duplex() -> (DatagramEnd, DatagramEnd) {
    let a = Rc::new(RefCell::new(Datagrams::default()));
    let b = Rc::new(RefCell::new(Datagrams::default()));
    (
        DatagramEnd {
            rx: a.clone(),
            tx: b.clone(),
        },
        DatagramEnd { rx: b, tx: a },
    )
}

type DtlsStream = SslStream<DatagramEnd>;

/// DTLS client and server contexts: DTLS 1.2 only, `suite` (OpenSSL name)
/// only, X25519 for the key exchange, the P-256 certificate verified
/// against its CA, no resumption, and on the server the cookie exchange
/// (HelloVerifyRequest) with HMAC-SHA256 cookies over the client's
/// address. The counter counts the cookies made.
fn dtls_contexts(suite: &str) -> Result<(SslContext, SslContext, Arc<AtomicU64>), String> {
    let (cert_file, _, ca_file) = ServerKey::P256.files();
    let common = |builder: &mut SslContextBuilder| -> Result<(), String> {
        builder
            .set_min_proto_version(Some(SslVersion::DTLS1_2))
            .map_err(err)?;
        builder
            .set_max_proto_version(Some(SslVersion::DTLS1_2))
            .map_err(err)?;
        builder.set_cipher_list(suite).map_err(err)?;
        // As for TLS 1.2: P-256 listed so the ECDSA certificate is usable,
        // X25519 first for the key exchange.
        builder.set_groups_list("X25519:P-256").map_err(err)?;
        // The MTU is set on each connection, not asked of the transport.
        builder.set_options(SslOptions::NO_QUERY_MTU);
        Ok(())
    };

    let mut client = SslContextBuilder::new(SslMethod::dtls()).map_err(err)?;
    common(&mut client)?;
    let mut store = X509StoreBuilder::new().map_err(err)?;
    let ca = X509::from_pem(&std::fs::read(&ca_file).map_err(err)?).map_err(err)?;
    store.add_cert(ca).map_err(err)?;
    client.set_cert_store(store.build());
    client.set_verify(SslVerifyMode::PEER);
    client.set_session_cache_mode(SslSessionCacheMode::OFF);

    let mut server = SslContextBuilder::new(SslMethod::dtls()).map_err(err)?;
    common(&mut server)?;
    server.set_certificate_chain_file(&cert_file).map_err(err)?;
    let pkey = private_key(ServerKey::P256)?;
    server.set_private_key(&pkey).map_err(err)?;
    server.check_private_key().map_err(err)?;
    server.set_session_cache_mode(SslSessionCacheMode::OFF);
    server.set_options(SslOptions::NO_TICKET | SslOptions::COOKIE_EXCHANGE);

    let mut secret = [0u8; 32];
    openssl::rand::rand_bytes(&mut secret).map_err(err)?;
    let secret = Arc::new(PKey::hmac(&secret).map_err(err)?);
    let cookie = {
        let secret = secret.clone();
        move || -> Result<Vec<u8>, openssl::error::ErrorStack> {
            let mut signer = Signer::new(MessageDigest::sha256(), &secret)?;
            signer.update(&DTLS_CLIENT_ADDRESS)?;
            signer.sign_to_vec()
        }
    };
    let cookie = Arc::new(cookie);
    let generated = Arc::new(AtomicU64::new(0));
    {
        let (cookie, generated) = (cookie.clone(), generated.clone());
        server.set_cookie_generate_cb(move |_, out| {
            let made = cookie()?;
            out[..made.len()].copy_from_slice(&made);
            generated.fetch_add(1, Ordering::Relaxed);
            Ok(made.len())
        });
    }
    server.set_cookie_verify_cb(move |_, offered| {
        cookie().is_ok_and(|expected| {
            offered.len() == expected.len() && openssl::memcmp::eq(offered, &expected)
        })
    });
    Ok((client.build(), server.build(), generated))
}

/// Connects a fresh DTLS pair with `mtu` and drives the handshake.
fn connect_dtls(
    client_ctx: &SslContext,
    server_ctx: &SslContext,
    mtu: u32,
) -> Result<(DtlsStream, DtlsStream), String> {
    let (client_end, server_end) = datagram_duplex();
    let mut ssl = Ssl::new(client_ctx).map_err(err)?;
    ssl.set_hostname(SERVER_NAME).map_err(err)?;
    ssl.param_mut().set_host(SERVER_NAME).map_err(err)?;
    ssl.set_mtu(mtu).map_err(err)?;
    ssl.set_connect_state();
    let mut client = SslStream::new(ssl, client_end).map_err(err)?;
    let mut ssl = Ssl::new(server_ctx).map_err(err)?;
    ssl.set_mtu(mtu).map_err(err)?;
    ssl.set_accept_state();
    let mut server = SslStream::new(ssl, server_end).map_err(err)?;

    let (mut client_done, mut server_done) = (false, false);
    for _ in 0..16 {
        if !client_done {
            match client.do_handshake() {
                Ok(()) => client_done = true,
                Err(e) if wants_io(&e) => {}
                Err(e) => return Err(format!("client: {e}")),
            }
        }
        if !server_done {
            match server.do_handshake() {
                Ok(()) => server_done = true,
                Err(e) if wants_io(&e) => {}
                Err(e) => return Err(format!("server: {e}")),
            }
        }
        if client_done && server_done {
            for end in [client.get_ref(), server.get_ref()] {
                // Only a retransmission (the machine stalled past
                // OpenSSL's one-second timer) can be left; a datagram
                // network may drop it.
                end.rx.borrow_mut().queue.clear();
            }
            return Ok((client, server));
        }
    }
    Err("handshake did not finish".into())
}

struct DtlsFull {
    client: SslContext,
    server: SslContext,
}

impl Handshaker for DtlsFull {
    fn connect(&mut self) -> Result<Connected, String> {
        let (client, server) = connect_dtls(&self.client, &self.server, DTLS_HANDSHAKE_MTU as u32)?;
        Ok(Connected {
            client: boxed(client),
            server: boxed(server),
        })
    }
}

impl Contender for OpenSsl {
    fn name(&self) -> &str {
        "OpenSSL"
    }

    fn full(&self, key: ServerKey) -> Result<Box<dyn Handshaker>, String> {
        let (client, server) = contexts(key, Suite::Aes128Gcm, false)?;
        Ok(Box::new(Full { client, server }))
    }

    fn resumed(&self) -> Result<Box<dyn Handshaker>, String> {
        let (client, server) = contexts(ServerKey::P256, Suite::Aes128Gcm, true)?;
        let mut resumed = Resumed {
            client,
            server,
            session: None,
        };
        resumed.handshake(false)?;
        Ok(Box::new(resumed))
    }

    fn bulk(&self, suite: Suite) -> Result<Box<dyn Bulk>, String> {
        let (client, server) = contexts(ServerKey::P256, suite, false)?;
        pair(&client, &server, suite.iana_name())
    }

    fn tls12_full(&self, key: ServerKey) -> Result<Box<dyn Handshaker>, Missing> {
        let suite = tls12_handshake_suite(key);
        let (client, server) = contexts_for(
            key,
            SslVersion::TLS1_2,
            openssl_suite_name(suite)?,
            ResumptionMode::None,
        )?;
        let mut full = Full { client, server };
        check_tls12(full.connect()?, suite)?;
        Ok(Box::new(full))
    }

    fn tls12_resumed(&self, how: Resumption12) -> Result<Box<dyn Handshaker>, Missing> {
        let suite = tls12_handshake_suite(ServerKey::P256);
        let mode = match how {
            Resumption12::Ticket => ResumptionMode::Tickets,
            Resumption12::SessionId => ResumptionMode::SessionId,
        };
        let (client, server) = contexts_for(
            ServerKey::P256,
            SslVersion::TLS1_2,
            openssl_suite_name(suite)?,
            mode,
        )?;
        let mut resumed = Resumed {
            client,
            server,
            session: None,
        };
        // The server can resume only one way (no session cache with
        // tickets, no tickets with the cache), so a resumed handshake used
        // `how`.
        check_tls12(resumed.handshake(false)?, suite)?;
        Ok(Box::new(resumed))
    }

    fn tls12_bulk(&self, suite: Suite12) -> Result<Box<dyn Bulk>, Missing> {
        let (client, server) = contexts_for(
            ServerKey::P256,
            SslVersion::TLS1_2,
            suite.openssl_name(),
            ResumptionMode::None,
        )?;
        Ok(pair(&client, &server, suite.iana_name())?)
    }

    fn dtls12_full(&self) -> Result<Box<dyn Handshaker>, Missing> {
        let suite = DTLS_HANDSHAKE_SUITE;
        let (client, server, generated) = dtls_contexts(suite.openssl_name())?;
        let mut full = DtlsFull { client, server };
        let connected = full.connect()?;
        let client = connected
            .client
            .downcast_ref::<DtlsStream>()
            .ok_or("not an OpenSSL stream")?;
        check_version(client.ssl(), SslVersion::DTLS1_2, suite.iana_name())?;
        if client.ssl().session_reused() {
            return Err("resumed a full handshake".into());
        }
        // One HelloVerifyRequest per handshake.
        let generated = generated.load(Ordering::Relaxed);
        if generated != 1 {
            return Err(format!("{generated} cookies in one handshake").into());
        }
        Ok(Box::new(full))
    }

    fn dtls12_bulk(&self, suite: Suite12) -> Result<Box<dyn Bulk>, Missing> {
        let (client, server, _) = dtls_contexts(suite.openssl_name())?;
        let (mut client, mut server) = connect_dtls(&client, &server, DTLS_BULK_MTU as u32)?;
        check_version(client.ssl(), SslVersion::DTLS1_2, suite.iana_name())?;
        // A full-size write must leave as one record in one datagram.
        let probe = vec![0x5a; RECORD];
        let written = client.ssl_write(&probe).map_err(err)?;
        let (datagrams, largest) = {
            let q = server.get_ref().rx.borrow();
            let largest = q.queue.iter().map(Vec::len).max().unwrap_or(0);
            (q.queue.len(), largest)
        };
        if written != RECORD || datagrams != 1 || largest > DTLS_BULK_MTU {
            return Err(format!(
                "a {RECORD}-byte write took {written} bytes into {datagrams} datagram(s) \
                 of up to {largest} bytes"
            )
            .into());
        }
        let mut plaintext = vec![0; RECORD];
        let n = server.ssl_read(&mut plaintext).map_err(err)?;
        if plaintext[..n] != probe[..] {
            return Err(format!("{n} bytes arrived, not the {RECORD} sent").into());
        }
        Ok(Box::new(Pair {
            client,
            server,
            plaintext,
        }))
    }

    /// `EVP_DigestSign` with the server key (PSS: salt = hash length).
    fn raw_sign(&self, key: ServerKey) -> Option<Result<RawOp, String>> {
        let make = || -> Result<RawOp, String> {
            let pkey = private_key(key)?;
            Ok(Box::new(move || {
                let mut signer = Signer::new(MessageDigest::sha256(), &pkey).map_err(err)?;
                if key == ServerKey::Rsa2048 {
                    signer.set_rsa_padding(Padding::PKCS1_PSS).map_err(err)?;
                    signer
                        .set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)
                        .map_err(err)?;
                }
                let signature = signer.sign_oneshot_to_vec(&SIGNED_MESSAGE).map_err(err)?;
                if signature.is_empty() {
                    return Err("empty signature".into());
                }
                Ok(())
            }))
        };
        Some(make())
    }

    /// A fresh X25519 key, its raw public key, then `EVP_PKEY_derive`.
    fn raw_x25519(&self) -> Option<Result<RawOp, String>> {
        let make = || -> Result<RawOp, String> {
            let peer = PKey::generate_x25519().map_err(err)?;
            let peer = PKey::public_key_from_raw_bytes(
                &peer.raw_public_key().map_err(err)?,
                openssl::pkey::Id::X25519,
            )
            .map_err(err)?;
            Ok(Box::new(move || {
                let key = PKey::generate_x25519().map_err(err)?;
                if key.raw_public_key().map_err(err)?.len() != 32 {
                    return Err("bad public key".into());
                }
                let mut deriver = Deriver::new(&key).map_err(err)?;
                deriver.set_peer(&peer).map_err(err)?;
                if deriver.derive_to_vec().map_err(err)?.len() != 32 {
                    return Err("bad shared secret".into());
                }
                Ok(())
            }))
        };
        Some(make())
    }
}
