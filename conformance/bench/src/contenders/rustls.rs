//! rustls 0.23 with its aws-lc-rs provider, driven through the buffered
//! `ClientConnection`/`ServerConnection` API (`write_tls`, `read_tls`,
//! `process_new_packets`, `reader`/`writer`) over in-memory buffers.

use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey};
use rustls::client::{Resumption, Tls12Resumption};
use rustls::crypto::aws_lc_rs as provider;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache};
use rustls::{
    ClientConfig, ClientConnection, ConnectionCommon, HandshakeKind, ProtocolVersion,
    RootCertStore, ServerConfig, ServerConnection, SignatureScheme, SupportedCipherSuite,
};

use crate::{
    boxed, tls12_handshake_suite, Bulk, Connected, Contender, Handshaker, Missing, RawAead, RawOp,
    Resumption12, ServerKey, Suite, Suite12, RECORD, SERVER_NAME, SIGNED_MESSAGE, TAG_LEN,
};

/// rustls with aws-lc-rs.
pub struct Rustls {
    name: String,
}

impl Rustls {
    pub fn new() -> Self {
        Self {
            name: super::REFERENCE.to_string(),
        }
    }
}

impl Default for Rustls {
    fn default() -> Self {
        Self::new()
    }
}

fn cipher_suite(suite: Suite) -> SupportedCipherSuite {
    match suite {
        Suite::Aes128Gcm => provider::cipher_suite::TLS13_AES_128_GCM_SHA256,
        Suite::Aes256Gcm => provider::cipher_suite::TLS13_AES_256_GCM_SHA384,
        Suite::ChaCha20Poly1305 => provider::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
    }
}

fn private_key(key: ServerKey) -> Result<PrivateKeyDer<'static>, String> {
    let (_, key_file, _) = key.files();
    PrivateKeyDer::from_pem_file(&key_file).map_err(|e| format!("{}: {e:?}", key_file.display()))
}

/// Client and server configurations: TLS 1.3, X25519 only, `suite` only,
/// the certificate `key`, the client trusting only its CA; tickets (one per
/// handshake, stateless) when `tickets`.
fn configs(
    key: ServerKey,
    suite: Suite,
    tickets: bool,
) -> Result<(Arc<ClientConfig>, Arc<ServerConfig>), String> {
    let (client, mut server) = configs_for(
        key,
        &rustls::version::TLS13,
        cipher_suite(suite),
        if tickets {
            ResumptionMode::Tickets
        } else {
            ResumptionMode::None
        },
    )?;
    Arc::get_mut(&mut server)
        .ok_or("shared server config")?
        .send_tls13_tickets = usize::from(tickets);
    Ok((client, server))
}

/// What a configuration allows for resumption.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ResumptionMode {
    /// No client session cache, no server session cache or tickets.
    None,
    /// Stateless tickets (aws-lc-rs `Ticketer`); no server session cache.
    Tickets,
    /// TLS 1.2 session ids: the server's in-memory cache, no tickets.
    SessionId,
}

/// Client and server configurations for one protocol `version`: X25519
/// only, `suite` only, the certificate `key`, the client trusting only its
/// CA, and resumption as `mode` says.
fn configs_for(
    key: ServerKey,
    version: &'static rustls::SupportedProtocolVersion,
    suite: SupportedCipherSuite,
    mode: ResumptionMode,
) -> Result<(Arc<ClientConfig>, Arc<ServerConfig>), String> {
    let (cert_file, _, ca_file) = key.files();
    let crypto = Arc::new(CryptoProvider {
        cipher_suites: vec![suite],
        kx_groups: vec![provider::kx_group::X25519],
        ..provider::default_provider()
    });
    let chain = CertificateDer::pem_file_iter(&cert_file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e:?}", cert_file.display()))?;
    let mut roots = RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(&ca_file)
        .map_err(|e| format!("{}: {e:?}", ca_file.display()))?
    {
        roots
            .add(ca.map_err(|e| format!("{e:?}"))?)
            .map_err(|e| e.to_string())?;
    }

    let mut client = ClientConfig::builder_with_provider(crypto.clone())
        .with_protocol_versions(&[version])
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.resumption = match mode {
        ResumptionMode::None => Resumption::disabled(),
        ResumptionMode::Tickets => Resumption::default(),
        ResumptionMode::SessionId => {
            Resumption::default().tls12_resumption(Tls12Resumption::SessionIdOnly)
        }
    };

    let mut server = ServerConfig::builder_with_provider(crypto)
        .with_protocol_versions(&[version])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, private_key(key)?)
        .map_err(|e| e.to_string())?;
    server.send_tls13_tickets = 0;
    match mode {
        ResumptionMode::None => {
            server.session_storage = Arc::new(NoServerSessionStorage {});
        }
        ResumptionMode::Tickets => {
            server.ticketer = provider::Ticketer::new().map_err(|e| e.to_string())?;
            server.session_storage = Arc::new(NoServerSessionStorage {});
        }
        ResumptionMode::SessionId => {
            server.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE_ENTRIES);
        }
    }
    Ok((Arc::new(client), Arc::new(server)))
}

/// Entries of the TLS 1.2 session-ID cache (rustls's default size).
const SESSION_CACHE_ENTRIES: usize = 256;

/// rustls's aws-lc-rs TLS 1.2 suite by IANA name.
fn tls12_suite(name: &str) -> Result<SupportedCipherSuite, Missing> {
    let suite = match name {
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" => {
            provider::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        }
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" => {
            provider::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        }
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" => {
            provider::cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        }
        other => {
            return Err(Missing::Unsupported(format!(
                "rustls has no {other} (no CBC suites)"
            )))
        }
    };
    Ok(suite)
}

/// Moves everything `from` wants to write into `to`. Returns whether any
/// bytes moved.
fn transfer<A, B>(
    from: &mut ConnectionCommon<A>,
    to: &mut ConnectionCommon<B>,
    buf: &mut Vec<u8>,
) -> Result<bool, String> {
    buf.clear();
    while from.wants_write() {
        from.write_tls(buf).map_err(|e| e.to_string())?;
    }
    if buf.is_empty() {
        return Ok(false);
    }
    let mut input = &buf[..];
    while !input.is_empty() {
        to.read_tls(&mut input).map_err(|e| e.to_string())?;
        to.process_new_packets().map_err(|e| e.to_string())?;
    }
    Ok(true)
}

/// Connects a fresh pair and drives the handshake until nothing moves.
fn connect(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    buf: &mut Vec<u8>,
) -> Result<(ClientConnection, ServerConnection), String> {
    let name = ServerName::try_from(SERVER_NAME).map_err(|e| e.to_string())?;
    let mut client = ClientConnection::new(client.clone(), name).map_err(|e| e.to_string())?;
    let mut server = ServerConnection::new(server.clone()).map_err(|e| e.to_string())?;
    loop {
        let a = transfer(&mut client, &mut server, buf)?;
        let b = transfer(&mut server, &mut client, buf)?;
        if !a && !b {
            break;
        }
    }
    if client.is_handshaking() || server.is_handshaking() {
        return Err("handshake did not finish".into());
    }
    Ok((client, server))
}

struct Handshakes {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    expect: HandshakeKind,
    buf: Vec<u8>,
}

impl Handshaker for Handshakes {
    fn connect(&mut self) -> Result<Connected, String> {
        let (client, server) = connect(&self.client, &self.server, &mut self.buf)?;
        if client.handshake_kind() != Some(self.expect) {
            return Err(format!(
                "handshake kind {:?} (expected {:?})",
                client.handshake_kind(),
                self.expect
            ));
        }
        Ok(Connected {
            client: boxed(client),
            server: boxed(server),
        })
    }
}

struct Pair {
    client: ClientConnection,
    server: ServerConnection,
    buf: Vec<u8>,
    plaintext: Vec<u8>,
}

impl Bulk for Pair {
    fn transfer(&mut self, data: &[u8], sink: &mut dyn FnMut(&[u8])) -> Result<(), String> {
        self.client
            .writer()
            .write_all(data)
            .map_err(|e| e.to_string())?;
        transfer(&mut self.client, &mut self.server, &mut self.buf)?;
        loop {
            match self.server.reader().read(&mut self.plaintext) {
                Ok(0) => return Err("peer closed".into()),
                Ok(n) => sink(&self.plaintext[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

/// A connected pair that negotiated `suite`, for the bulk rows.
fn pair(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    suite: SupportedCipherSuite,
) -> Result<Box<dyn Bulk>, String> {
    let mut buf = Vec::new();
    let (client, server) = connect(client, server, &mut buf)?;
    if client.negotiated_cipher_suite() != Some(suite) {
        return Err(format!("negotiated {:?}", client.negotiated_cipher_suite()));
    }
    Ok(Box::new(Pair {
        client,
        server,
        buf,
        plaintext: vec![0; RECORD],
    }))
}

/// One handshake, checked to be TLS 1.2.
fn check_tls12(handshakes: &mut Handshakes) -> Result<(), String> {
    let connected = handshakes.connect()?;
    let client = connected
        .client
        .downcast_ref::<ClientConnection>()
        .ok_or("not a rustls client")?;
    match client.protocol_version() {
        Some(ProtocolVersion::TLSv1_2) => Ok(()),
        other => Err(format!("negotiated {other:?}")),
    }
}

/// Why the DTLS rows have no rustls measurement.
const NO_DTLS: &str = "rustls implements TLS over streams only; it has no DTLS \
                       (the DTLS rows compare with OpenSSL instead)";

impl Contender for Rustls {
    fn name(&self) -> &str {
        &self.name
    }

    fn full(&self, key: ServerKey) -> Result<Box<dyn Handshaker>, String> {
        let (client, server) = configs(key, Suite::Aes128Gcm, false)?;
        Ok(Box::new(Handshakes {
            client,
            server,
            expect: HandshakeKind::Full,
            buf: Vec::new(),
        }))
    }

    fn resumed(&self) -> Result<Box<dyn Handshaker>, String> {
        let (client, server) = configs(ServerKey::P256, Suite::Aes128Gcm, true)?;
        let mut handshakes = Handshakes {
            client,
            server,
            expect: HandshakeKind::Full,
            buf: Vec::new(),
        };
        // The first handshake fills the client's session cache.
        handshakes.connect()?;
        handshakes.expect = HandshakeKind::Resumed;
        Ok(Box::new(handshakes))
    }

    fn bulk(&self, suite: Suite) -> Result<Box<dyn Bulk>, String> {
        let (client, server) = configs(ServerKey::P256, suite, false)?;
        pair(&client, &server, cipher_suite(suite))
    }

    fn tls12_full(&self, key: ServerKey) -> Result<Box<dyn Handshaker>, Missing> {
        let suite = tls12_suite(tls12_handshake_suite(key))?;
        let (client, server) =
            configs_for(key, &rustls::version::TLS12, suite, ResumptionMode::None)?;
        let mut handshakes = Handshakes {
            client,
            server,
            expect: HandshakeKind::Full,
            buf: Vec::new(),
        };
        check_tls12(&mut handshakes)?;
        Ok(Box::new(handshakes))
    }

    fn tls12_resumed(&self, how: Resumption12) -> Result<Box<dyn Handshaker>, Missing> {
        let suite = tls12_suite(tls12_handshake_suite(ServerKey::P256))?;
        let mode = match how {
            Resumption12::Ticket => ResumptionMode::Tickets,
            Resumption12::SessionId => ResumptionMode::SessionId,
        };
        let (client, server) = configs_for(ServerKey::P256, &rustls::version::TLS12, suite, mode)?;
        let mut handshakes = Handshakes {
            client,
            server,
            expect: HandshakeKind::Full,
            buf: Vec::new(),
        };
        // The first handshake fills the client's session cache.
        check_tls12(&mut handshakes)?;
        handshakes.expect = HandshakeKind::Resumed;
        Ok(Box::new(handshakes))
    }

    fn tls12_bulk(&self, suite: Suite12) -> Result<Box<dyn Bulk>, Missing> {
        let suite = tls12_suite(suite.iana_name())?;
        let (client, server) = configs_for(
            ServerKey::P256,
            &rustls::version::TLS12,
            suite,
            ResumptionMode::None,
        )?;
        Ok(pair(&client, &server, suite)?)
    }

    fn dtls12_full(&self) -> Result<Box<dyn Handshaker>, Missing> {
        Err(Missing::Unsupported(NO_DTLS.into()))
    }

    fn dtls12_bulk(&self, _suite: Suite12) -> Result<Box<dyn Bulk>, Missing> {
        Err(Missing::Unsupported(NO_DTLS.into()))
    }

    /// aws-lc-rs's AEAD as rustls calls it: seal in place with a separate
    /// tag, open in place over ciphertext and tag together.
    fn raw_aead(&self, suite: Suite) -> Option<Result<RawAead, String>> {
        let algorithm = match suite {
            Suite::Aes128Gcm => &aws_lc_rs::aead::AES_128_GCM,
            Suite::Aes256Gcm => &aws_lc_rs::aead::AES_256_GCM,
            Suite::ChaCha20Poly1305 => &aws_lc_rs::aead::CHACHA20_POLY1305,
        };
        let key = match UnboundKey::new(algorithm, &vec![0x42; suite.key_len()]) {
            Ok(key) => LessSafeKey::new(key),
            Err(e) => return Some(Err(e.to_string())),
        };
        let aad = [0x17, 0x03, 0x03, 0x40, 0x11];
        let mut counter = 0u64;
        Some(Ok(Box::new(move |buf: &mut [u8]| {
            counter += 1;
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&counter.to_be_bytes());
            let tag = key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad),
                    &mut buf[..RECORD],
                )
                .map_err(|e| format!("seal: {e}"))?;
            buf[RECORD..RECORD + TAG_LEN].copy_from_slice(tag.as_ref());
            key.open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buf[..RECORD + TAG_LEN],
            )
            .map_err(|e| format!("open: {e}"))?;
            Ok(())
        })))
    }

    /// rustls's own signer (`any_supported_type`, `choose_scheme`, `sign`).
    fn raw_sign(&self, key: ServerKey) -> Option<Result<RawOp, String>> {
        let scheme = match key {
            ServerKey::P256 => SignatureScheme::ECDSA_NISTP256_SHA256,
            ServerKey::Rsa2048 => SignatureScheme::RSA_PSS_SHA256,
        };
        let make = || -> Result<RawOp, String> {
            let key = provider::sign::any_supported_type(&private_key(key)?)
                .map_err(|e| e.to_string())?;
            let signer = key
                .choose_scheme(&[scheme])
                .ok_or("the key cannot make the scheme")?;
            Ok(Box::new(move || {
                let signature = signer.sign(&SIGNED_MESSAGE).map_err(|e| e.to_string())?;
                if signature.is_empty() {
                    return Err("empty signature".into());
                }
                Ok(())
            }))
        };
        Some(make())
    }

    /// rustls's X25519 group: `start` then `complete`.
    fn raw_x25519(&self) -> Option<Result<RawOp, String>> {
        let group = provider::kx_group::X25519;
        let peer = match group.start() {
            Ok(kx) => kx.pub_key().to_vec(),
            Err(e) => return Some(Err(e.to_string())),
        };
        Some(Ok(Box::new(move || {
            let kx = group.start().map_err(|e| e.to_string())?;
            if kx.pub_key().len() != 32 {
                return Err("bad public key".into());
            }
            let secret = kx.complete(&peer).map_err(|e| e.to_string())?;
            if secret.secret_bytes().len() != 32 {
                return Err("bad shared secret".into());
            }
            Ok(())
        })))
    }
}
