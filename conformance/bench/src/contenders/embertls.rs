//! embertls on one backend: its `Connection`s driven back to back with the
//! sans-IO calls, and the backend's primitives through the provider traits.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use embertls::config::{CertifiedKey, SingleCertAndKey, Transport, VersionRange};
use embertls::conn::{Event, Output};
use embertls::crypto::{AeadAlgorithm, CryptoProvider, SigningKey, TicketSealer};
use embertls::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use embertls::session::{LruSessionCache, Session};
use embertls::suites;
use embertls::transport::CookieGenerator;
use embertls::verify::{certificates_from_pem, RootStore};
use embertls::{ClientConfig, Connection, Instant, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;

use super::Backend;
use crate::{
    boxed, tls12_handshake_suite, Bulk, Connected, Contender, Handshaker, Missing, RawAead, RawOp,
    Resumption12, ServerKey, Suite, Suite12, DTLS_BULK_MTU, DTLS_CLIENT_ADDRESS,
    DTLS_HANDSHAKE_MTU, DTLS_HANDSHAKE_SUITE, RECORD, SERVER_NAME, SIGNED_MESSAGE, TAG_LEN,
};

/// embertls with one backend.
pub struct Embertls {
    name: String,
    backend: Backend,
    provider: Arc<CryptoProvider>,
}

impl Embertls {
    pub fn new(backend: Backend) -> Self {
        Self {
            name: format!("embertls+{}", backend.name),
            provider: Arc::new((backend.provider)()),
            backend,
        }
    }

    fn signing_key(&self, key: ServerKey) -> Result<Arc<dyn SigningKey>, String> {
        let (_, key_file, _) = key.files();
        let der = PrivateKeyDer::from_pem_file(&key_file)
            .map_err(|e| format!("{}: {e:?}", key_file.display()))?;
        self.provider
            .key_loader
            .load_private_key(der.secret_der())
            .map_err(|e| format!("{}: {e:?}", key_file.display()))
    }

    /// TLS 1.3 client and server configurations: X25519 only, `suite`
    /// only, the server certificate `key`, the client trusting only its CA.
    fn configs(
        &self,
        key: ServerKey,
        suite: Suite,
        tickets: bool,
    ) -> Result<(Arc<ClientConfig>, Arc<ServerConfig>), String> {
        let resumption = if tickets {
            ServerResumption::Tickets
        } else {
            ServerResumption::None
        };
        self.configs_for(
            key,
            VersionRange::TLS13_ONLY,
            cipher_suite(suite),
            resumption,
        )
    }

    /// Client and server configurations for `versions`: X25519 only,
    /// `suite` only, the server certificate `key`, the client trusting only
    /// its CA, and the server's `resumption`.
    fn configs_for(
        &self,
        key: ServerKey,
        versions: VersionRange,
        suite: CipherSuite,
        resumption: ServerResumption,
    ) -> Result<(Arc<ClientConfig>, Arc<ServerConfig>), String> {
        let (client, server) = self.build_configs(key, versions, suite, resumption)?;
        Ok((Arc::new(client), Arc::new(server)))
    }

    /// [`Self::configs_for`] before they are shared, for changes.
    fn build_configs(
        &self,
        key: ServerKey,
        versions: VersionRange,
        suite: CipherSuite,
        resumption: ServerResumption,
    ) -> Result<(ClientConfig, ServerConfig), String> {
        let (cert_file, _, ca_file) = key.files();
        let read = |path: &std::path::Path| {
            std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
        };
        let chain = certificates_from_pem(&read(&cert_file)?).map_err(|e| e.to_string())?;
        let mut roots = RootStore::new();
        roots.add_pem(&read(&ca_file)?).map_err(|e| e.to_string())?;

        let mut client = ClientConfig::new(self.provider.clone());
        client.common.versions = versions;
        client.common.roots = roots;
        client.common.cipher_suites = vec![suite];
        client.common.groups = vec![NamedGroup::X25519];
        // Tickets: offered (TLS 1.2: the empty SessionTicket extension) only
        // when the server issues them.
        client.resumption = resumption == ServerResumption::Tickets;

        let certified = Arc::new(CertifiedKey::new(chain, self.signing_key(key)?));
        let mut server =
            ServerConfig::new(self.provider.clone(), Arc::new(SingleCertAndKey(certified)));
        server.common.versions = versions;
        server.common.cipher_suites = vec![suite];
        server.common.groups = vec![NamedGroup::X25519];
        match resumption {
            ServerResumption::None => {}
            ServerResumption::Tickets => {
                server.ticketer =
                    Some((self.backend.ticketer)(&self.provider).map_err(|e| format!("{e:?}"))?);
                server.tickets_per_handshake = 1;
            }
            ServerResumption::SessionCache => {
                server.session_cache = Some(Arc::new(LruSessionCache::new(
                    SESSION_CACHE_ENTRIES,
                    u64::from(super::TICKET_LIFETIME_SECS),
                )));
            }
        }
        Ok((client, server))
    }

    /// DTLS 1.2 configurations: those of TLS 1.2 (`suite`, X25519, the
    /// P-256 certificate, no resumption) over datagrams of at most `mtu`
    /// bytes, the server's default cookies counted by the returned counter.
    fn dtls_configs(&self, suite: CipherSuite, mtu: usize) -> Result<DtlsConfigs, String> {
        let (mut client, mut server) = self.build_configs(
            ServerKey::P256,
            VersionRange::TLS12_ONLY,
            suite,
            ServerResumption::None,
        )?;
        for common in [&mut client.common, &mut server.common] {
            common.transport = Transport::Datagram;
            common.dtls.mtu = mtu;
        }
        let inner = server
            .dtls_cookies
            .take()
            .ok_or("the server has no DTLS cookie generator")?;
        let cookies = Arc::new(CountedCookies {
            inner,
            generated: AtomicU64::new(0),
        });
        server.dtls_cookies = Some(cookies.clone());
        Ok((Arc::new(client), Arc::new(server), cookies))
    }

    /// `suite` from its IANA name, if this backend implements its record
    /// protection.
    fn tls12_suite(&self, name: &str) -> Result<CipherSuite, Missing> {
        let info = suites::by_name(name).ok_or(format!("embertls has no suite {name}"))?;
        let available = match info.bulk {
            suites::Bulk::Aead(aead) => self.provider.aead(aead).is_some(),
            suites::Bulk::Cbc { cipher, mac } => {
                self.provider.cbc(cipher).is_some() && self.provider.hmac(mac).is_some()
            }
        };
        if !available {
            let what = match info.bulk {
                suites::Bulk::Aead(aead) => format!("{aead:?}"),
                suites::Bulk::Cbc { .. } => "CBC".to_string(),
            };
            return Err(Missing::Unsupported(format!(
                "the {} backend has no {what} record protection for {}",
                self.backend.name, info.iana_name
            )));
        }
        Ok(info.suite)
    }
}

/// DTLS client and server configurations, and the server's cookie counter.
type DtlsConfigs = (Arc<ClientConfig>, Arc<ServerConfig>, Arc<CountedCookies>);

/// What a server offers for resumption.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ServerResumption {
    None,
    /// Stateless tickets from the backend's `RotatingTicketer`.
    Tickets,
    /// A session-ID cache (TLS 1.2).
    SessionCache,
}

/// Entries of the TLS 1.2 session-ID cache (rustls's default size).
const SESSION_CACHE_ENTRIES: usize = 256;

fn cipher_suite(suite: Suite) -> CipherSuite {
    match suite {
        Suite::Aes128Gcm => CipherSuite::TLS_AES_128_GCM_SHA256,
        Suite::Aes256Gcm => CipherSuite::TLS_AES_256_GCM_SHA384,
        Suite::ChaCha20Poly1305 => CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
    }
}

fn aead_algorithm(suite: Suite) -> AeadAlgorithm {
    match suite {
        Suite::Aes128Gcm => AeadAlgorithm::Aes128Gcm,
        Suite::Aes256Gcm => AeadAlgorithm::Aes256Gcm,
        Suite::ChaCha20Poly1305 => AeadAlgorithm::ChaCha20Poly1305,
    }
}

const NOW: Instant = Instant::ZERO;

/// The server's default cookie generator, counting the cookies it makes
/// (one per HelloVerifyRequest), so setup can check the exchange happened.
struct CountedCookies {
    inner: Arc<dyn CookieGenerator>,
    generated: AtomicU64,
}

impl CookieGenerator for CountedCookies {
    fn generate(&self, client_id: &[u8], hello_fields: &[u8], now: Instant) -> Vec<u8> {
        self.generated.fetch_add(1, Ordering::Relaxed);
        self.inner.generate(client_id, hello_fields, now)
    }

    fn verify(&self, client_id: &[u8], hello_fields: &[u8], cookie: &[u8], now: Instant) -> bool {
        self.inner.verify(client_id, hello_fields, cookie, now)
    }
}

/// A fresh server connection; over DTLS it learns the client's address
/// first, as a server on a socket would.
fn new_server(config: &Arc<ServerConfig>) -> Result<Connection, String> {
    let mut server = Connection::server(config.clone(), NOW).map_err(|e| e.to_string())?;
    if config.common.transport == Transport::Datagram {
        server
            .set_client_transport_id(&DTLS_CLIENT_ADDRESS)
            .map_err(|e| e.to_string())?;
    }
    Ok(server)
}

/// Checks a pair speaks DTLS 1.2.
fn check_dtls(client: &Connection, server: &Connection) -> Result<(), String> {
    for conn in [client, server] {
        if conn.protocol_version() != Some(ProtocolVersion::DTLSv1_2) {
            return Err(format!(
                "{:?} negotiated {:?}",
                conn.side(),
                conn.protocol_version()
            ));
        }
    }
    Ok(())
}

/// What the driver saw besides bytes.
#[derive(Default)]
struct Seen {
    session: Option<Session>,
    /// Where datagrams are received, as a UDP loop's reused buffer.
    receive: bytes::BytesMut,
}

/// Delivers everything `from` has to `to`, serving operations and handing
/// data to `sink`. Returns whether anything happened.
fn pump(
    from: &mut Connection,
    to: &mut Connection,
    seen: &mut Seen,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<bool, String> {
    let mut moved = false;
    while let Some(out) = from.poll_output() {
        moved = true;
        match out {
            Output::Transmit(bytes) => {
                let result = if to.is_datagram() {
                    seen.receive.extend_from_slice(&bytes);
                    to.handle_datagram(seen.receive.split(), NOW)
                } else {
                    to.handle_input(&bytes, NOW)
                };
                result.map_err(|e| format!("{:?} failed: {e}", to.side()))?
            }
            Output::Event(Event::Operation(op)) => {
                let result = op.perform();
                from.complete(op.id, result)
                    .map_err(|e| format!("{:?} failed: {e}", from.side()))?;
            }
            Output::Event(Event::Data(data)) => sink(&data),
            Output::Event(Event::NewSession(session)) => seen.session = Some(session),
            Output::Event(_) => {}
        }
    }
    Ok(moved)
}

/// Drives both ends until neither has anything to say.
fn drive(
    client: &mut Connection,
    server: &mut Connection,
    seen: &mut Seen,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<(), String> {
    loop {
        let a = pump(client, server, seen, sink)?;
        let b = pump(server, client, seen, sink)?;
        if !a && !b {
            break;
        }
    }
    for conn in [&*client, &*server] {
        if let Some(e) = conn.error() {
            return Err(format!("{:?} failed: {e}", conn.side()));
        }
        if conn.is_handshaking() {
            return Err(format!(
                "{:?} stuck in {}",
                conn.side(),
                conn.handshake_state()
            ));
        }
    }
    Ok(())
}

fn no_data(_: &[u8]) {}

struct Full {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
}

impl Handshaker for Full {
    fn connect(&mut self) -> Result<Connected, String> {
        let mut client = Connection::client(self.client.clone(), Some(SERVER_NAME), NOW)
            .map_err(|e| e.to_string())?;
        let mut server = new_server(&self.server)?;
        drive(&mut client, &mut server, &mut Seen::default(), &mut no_data)?;
        Ok(Connected {
            client: boxed(client),
            server: boxed(server),
        })
    }
}

struct Resumed {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    /// The newest ticket; each resumed handshake brings the next.
    session: Option<Session>,
}

impl Resumed {
    fn handshake(&mut self, expect_resumed: bool) -> Result<Connected, String> {
        let mut client = Connection::client_with_session(
            self.client.clone(),
            Some(SERVER_NAME),
            self.session.take(),
            NOW,
        )
        .map_err(|e| e.to_string())?;
        let mut server = Connection::server(self.server.clone(), NOW).map_err(|e| e.to_string())?;
        let mut seen = Seen::default();
        drive(&mut client, &mut server, &mut seen, &mut no_data)?;
        if client.resumed() != expect_resumed || server.resumed() != expect_resumed {
            return Err(format!(
                "resumed: {} (expected {expect_resumed})",
                client.resumed()
            ));
        }
        self.session = Some(seen.session.ok_or("the server issued no ticket")?);
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

struct Pair {
    client: Connection,
    server: Connection,
    seen: Seen,
}

impl Pair {
    /// Connects a client and server and checks they negotiated `suite`.
    fn connect(
        client: Arc<ClientConfig>,
        server: Arc<ServerConfig>,
        suite: CipherSuite,
    ) -> Result<Self, String> {
        let mut client =
            Connection::client(client, Some(SERVER_NAME), NOW).map_err(|e| e.to_string())?;
        let mut server = new_server(&server)?;
        drive(&mut client, &mut server, &mut Seen::default(), &mut no_data)?;
        if client.cipher_suite() != Some(suite) {
            return Err(format!("negotiated {:?}", client.cipher_suite()));
        }
        Ok(Self {
            client,
            server,
            seen: Seen::default(),
        })
    }
}

impl Bulk for Pair {
    fn transfer(&mut self, data: &[u8], sink: &mut dyn FnMut(&[u8])) -> Result<(), String> {
        self.client.send(data).map_err(|e| e.to_string())?;
        pump(&mut self.client, &mut self.server, &mut self.seen, sink)?;
        pump(&mut self.server, &mut self.client, &mut self.seen, sink)?;
        Ok(())
    }
}

impl Contender for Embertls {
    fn name(&self) -> &str {
        &self.name
    }

    fn full(&self, key: ServerKey) -> Result<Box<dyn Handshaker>, String> {
        let (client, server) = self.configs(key, Suite::Aes128Gcm, false)?;
        Ok(Box::new(Full { client, server }))
    }

    fn resumed(&self) -> Result<Box<dyn Handshaker>, String> {
        let (client, server) = self.configs(ServerKey::P256, Suite::Aes128Gcm, true)?;
        let mut resumed = Resumed {
            client,
            server,
            session: None,
        };
        resumed.handshake(false)?;
        Ok(Box::new(resumed))
    }

    fn bulk(&self, suite: Suite) -> Result<Box<dyn Bulk>, String> {
        let (client, server) = self.configs(ServerKey::P256, suite, false)?;
        Ok(Box::new(Pair::connect(
            client,
            server,
            cipher_suite(suite),
        )?))
    }

    fn tls12_full(&self, key: ServerKey) -> Result<Box<dyn Handshaker>, Missing> {
        let suite = self.tls12_suite(tls12_handshake_suite(key))?;
        let (client, server) =
            self.configs_for(key, VersionRange::TLS12_ONLY, suite, ServerResumption::None)?;
        Ok(Box::new(Full { client, server }))
    }

    fn tls12_resumed(&self, how: Resumption12) -> Result<Box<dyn Handshaker>, Missing> {
        let suite = self.tls12_suite(tls12_handshake_suite(ServerKey::P256))?;
        let resumption = match how {
            Resumption12::Ticket => ServerResumption::Tickets,
            Resumption12::SessionId => ServerResumption::SessionCache,
        };
        let (client, server) =
            self.configs_for(ServerKey::P256, VersionRange::TLS12_ONLY, suite, resumption)?;
        let mut resumed = Resumed {
            client,
            server,
            session: None,
        };
        resumed.handshake(false)?;
        let session = resumed.session.as_ref().ok_or("no session")?;
        if session.version() != ProtocolVersion::TLSv1_2 {
            return Err(format!("a {:?} session", session.version()).into());
        }
        if session.has_ticket() != (how == Resumption12::Ticket) {
            return Err(format!("{how:?} resumption: ticket {}", session.has_ticket()).into());
        }
        Ok(Box::new(resumed))
    }

    fn tls12_bulk(&self, suite: Suite12) -> Result<Box<dyn Bulk>, Missing> {
        let suite = self.tls12_suite(suite.iana_name())?;
        let (client, server) = self.configs_for(
            ServerKey::P256,
            VersionRange::TLS12_ONLY,
            suite,
            ServerResumption::None,
        )?;
        Ok(Box::new(Pair::connect(client, server, suite)?))
    }

    fn dtls12_full(&self) -> Result<Box<dyn Handshaker>, Missing> {
        let suite = self.tls12_suite(DTLS_HANDSHAKE_SUITE.iana_name())?;
        let (client, server, cookies) = self.dtls_configs(suite, DTLS_HANDSHAKE_MTU)?;
        let mut full = Full { client, server };
        let connected = full.connect()?;
        let (Some(client), Some(server)) = (
            connected.client.downcast_ref::<Connection>(),
            connected.server.downcast_ref::<Connection>(),
        ) else {
            return Err("not embertls connections".into());
        };
        check_dtls(client, server)?;
        if client.cipher_suite() != Some(suite) {
            return Err(format!("negotiated {:?}", client.cipher_suite()).into());
        }
        // One HelloVerifyRequest per handshake.
        let generated = cookies.generated.load(Ordering::Relaxed);
        if generated != 1 {
            return Err(format!("{generated} cookies in one handshake").into());
        }
        Ok(Box::new(full))
    }

    fn dtls12_bulk(&self, suite: Suite12) -> Result<Box<dyn Bulk>, Missing> {
        let suite = self.tls12_suite(suite.iana_name())?;
        let (client, server, _) = self.dtls_configs(suite, DTLS_BULK_MTU)?;
        let pair = Pair::connect(client, server, suite)?;
        check_dtls(&pair.client, &pair.server)?;
        let room = pair.client.max_out_record_payload();
        if room < RECORD {
            return Err(format!("records carry {room} bytes, not {RECORD}").into());
        }
        Ok(Box::new(pair))
    }

    fn raw_aead(&self, suite: Suite) -> Option<Result<RawAead, String>> {
        let aead = self.provider.aead(aead_algorithm(suite))?.clone();
        let key = match aead.new_key(&vec![0x42; suite.key_len()]) {
            Ok(key) => key,
            Err(e) => return Some(Err(format!("{e:?}"))),
        };
        let aad = [0x17, 0x03, 0x03, 0x40, 0x11];
        let mut counter = 0u64;
        Some(Ok(Box::new(move |buf: &mut [u8]| {
            counter += 1;
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&counter.to_be_bytes());
            let (payload, tag) = buf.split_at_mut(RECORD);
            let tag = &mut tag[..TAG_LEN];
            key.seal_in_place(&nonce, &aad, payload, tag)
                .map_err(|e| format!("seal: {e:?}"))?;
            key.open_in_place(&nonce, &aad, payload, tag)
                .map_err(|e| format!("open: {e:?}"))
        })))
    }

    fn raw_sign(&self, key: ServerKey) -> Option<Result<RawOp, String>> {
        let scheme = match key {
            ServerKey::P256 => SignatureScheme::ECDSA_NISTP256_SHA256,
            ServerKey::Rsa2048 => SignatureScheme::RSA_PSS_RSAE_SHA256,
        };
        Some(self.signing_key(key).map(|key| -> RawOp {
            Box::new(move || {
                let signature = key
                    .sign(scheme, &SIGNED_MESSAGE)
                    .map_err(|e| format!("{e:?}"))?;
                if signature.is_empty() {
                    return Err("empty signature".into());
                }
                Ok(())
            })
        }))
    }

    fn raw_x25519(&self) -> Option<Result<RawOp, String>> {
        let group = self.provider.group(NamedGroup::X25519)?.clone();
        let random = self.provider.random.clone();
        let peer = match group.start(&*random) {
            Ok(kx) => kx.public_key().to_vec(),
            Err(e) => return Some(Err(format!("{e:?}"))),
        };
        Some(Ok(Box::new(move || {
            let kx = group.start(&*random).map_err(|e| format!("{e:?}"))?;
            if kx.public_key().len() != 32 {
                return Err("bad public key".into());
            }
            let secret = kx.complete(&peer).map_err(|e| format!("{e:?}"))?;
            if secret.as_ref().len() != 32 {
                return Err("bad shared secret".into());
            }
            Ok(())
        })))
    }
}

/// A shorthand for the backends list.
pub(super) type Sealer = Arc<dyn TicketSealer>;
