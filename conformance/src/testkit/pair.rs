//! A client and a server wired together in memory, with virtual time.

use std::sync::Arc;

use embertls::config::{CertifiedKey, ClientConfig, ServerConfig, SingleCertAndKey};
use embertls::conn::{Event, Output};
use embertls::crypto::CryptoProvider;
use embertls::msgs::enums::AlertDescription;
use embertls::{Connection, Error, Instant};

use super::pem::{load_certs, load_key, testdata};
use super::{deterministic, Mode};

/// A provider for tests: RustCrypto with a fixed clock inside the test
/// PKI's validity, wrapped by `mode`.
pub fn test_provider(mode: Mode) -> Arc<CryptoProvider> {
    let mut provider = embertls_rustcrypto::provider();
    provider.time = Some(Arc::new(deterministic::FixedTime(1_798_761_600)));
    Arc::new(mode.wrap(provider))
}

/// Certificate chain and key from the test PKI: `role` is "server" or
/// "client", `key` one of p256, p384, ed25519, rsa.
pub fn certified_key(provider: &CryptoProvider, role: &str, key: &str) -> Arc<CertifiedKey> {
    let chain = load_certs(&testdata(&format!("{role}-{key}.pem"))).expect("test cert");
    let key = load_key(provider, &testdata(&format!("{role}-{key}.key"))).expect("test key");
    Arc::new(CertifiedKey::new(chain, key))
}

/// A server with the test PKI's `key` certificate; no client auth.
pub fn server_config(mode: Mode, key: &str) -> ServerConfig {
    let provider = test_provider(mode);
    let certified = certified_key(&provider, "server", key);
    let mut config = ServerConfig::new(provider, Arc::new(SingleCertAndKey(certified)));
    mode.wrap_common(&mut config.common);
    config
}

/// A client trusting every test CA.
pub fn client_config(mode: Mode) -> ClientConfig {
    let mut config = ClientConfig::new(test_provider(mode));
    config.common.roots = all_test_roots();
    mode.wrap_common(&mut config.common);
    config
}

/// Every CA of the test PKI.
pub fn all_test_roots() -> embertls::verify::RootStore {
    let mut roots = embertls::verify::RootStore::new();
    for key in ["p256", "p384", "ed25519", "rsa"] {
        let pem = std::fs::read(testdata(&format!("ca-{key}.pem"))).expect("test CA");
        roots.add_pem(&pem).expect("test CA parses");
    }
    roots
}

/// What one side saw.
#[derive(Debug, Default)]
pub struct SideLog {
    pub handshake_complete: bool,
    pub received: Vec<u8>,
    pub alerts: Vec<AlertDescription>,
    pub peer_closed: bool,
    /// Sessions the server issued (client side).
    pub sessions: Vec<embertls::session::Session>,
    pub operations_served: usize,
    pub error: Option<Error>,
}

/// Client and server connected back to back.
pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    pub now: Instant,
    pub client_log: SideLog,
    pub server_log: SideLog,
    /// Hold back pending operations instead of serving them (to test pauses).
    pub hold_operations: bool,
    pub held: Vec<(bool, embertls::conn::Operation)>,
}

impl Pair {
    pub fn new(
        client: ClientConfig,
        server: ServerConfig,
        server_name: Option<&str>,
    ) -> Result<Self, Error> {
        Self::with_session(client, server, server_name, None)
    }

    /// A pair whose client offers `session` for resumption.
    pub fn with_session(
        client: ClientConfig,
        server: ServerConfig,
        server_name: Option<&str>,
        session: Option<embertls::session::Session>,
    ) -> Result<Self, Error> {
        let now = Instant::ZERO;
        Ok(Self {
            client: Connection::client_with_session(Arc::new(client), server_name, session, now)?,
            server: Connection::server(Arc::new(server), now)?,
            now,
            client_log: SideLog::default(),
            server_log: SideLog::default(),
            hold_operations: false,
            held: Vec::new(),
        })
    }

    /// Moves bytes and serves operations until nothing changes.
    pub fn drive(&mut self) {
        for _ in 0..10_000 {
            let moved_client = Self::pump(
                &mut self.client,
                &mut self.server,
                &mut self.client_log,
                &mut self.server_log,
                self.now,
                self.hold_operations,
                true,
                &mut self.held,
            );
            let moved_server = Self::pump(
                &mut self.server,
                &mut self.client,
                &mut self.server_log,
                &mut self.client_log,
                self.now,
                self.hold_operations,
                false,
                &mut self.held,
            );
            if !moved_client && !moved_server {
                return;
            }
        }
        panic!("pair did not settle");
    }

    /// Drains `from`'s output into `to`. Returns whether anything happened.
    #[allow(clippy::too_many_arguments)]
    fn pump(
        from: &mut Connection,
        to: &mut Connection,
        from_log: &mut SideLog,
        to_log: &mut SideLog,
        now: Instant,
        hold: bool,
        from_is_client: bool,
        held: &mut Vec<(bool, embertls::conn::Operation)>,
    ) -> bool {
        let mut moved = false;
        while let Some(out) = from.poll_output() {
            moved = true;
            match out {
                Output::Transmit(bytes) => {
                    if let Err(e) = to.handle_input(&bytes, now) {
                        to_log.error.get_or_insert(e);
                    }
                }
                Output::Event(Event::Operation(op)) => {
                    if hold {
                        held.push((from_is_client, op));
                        continue;
                    }
                    from_log.operations_served += 1;
                    let result = op.perform();
                    if let Err(e) = from.complete(op.id, result) {
                        from_log.error.get_or_insert(e);
                    }
                }
                Output::Event(Event::HandshakeComplete) => from_log.handshake_complete = true,
                Output::Event(Event::Data(d)) => from_log.received.extend_from_slice(&d),
                Output::Event(Event::AlertReceived { description, .. }) => {
                    from_log.alerts.push(description)
                }
                Output::Event(Event::PeerClosed) => from_log.peer_closed = true,
                Output::Event(Event::NewSession(session)) => from_log.sessions.push(session),
                Output::Event(_) => {}
            }
        }
        moved
    }

    /// Serves every held operation and stops holding new ones.
    pub fn release_held(&mut self) {
        self.hold_operations = false;
        for (from_client, op) in std::mem::take(&mut self.held) {
            let (conn, log) = if from_client {
                (&mut self.client, &mut self.client_log)
            } else {
                (&mut self.server, &mut self.server_log)
            };
            log.operations_served += 1;
            let result = op.perform();
            if let Err(e) = conn.complete(op.id, result) {
                log.error.get_or_insert(e);
            }
        }
    }

    /// Drives to completion and fails unless both sides finished cleanly.
    pub fn handshake(&mut self) -> Result<(), String> {
        self.drive();
        if let Some(e) = &self.client_log.error {
            return Err(format!("client failed: {e}"));
        }
        if let Some(e) = &self.server_log.error {
            return Err(format!("server failed: {e}"));
        }
        if !self.client_log.handshake_complete || !self.server_log.handshake_complete {
            return Err(format!(
                "handshake incomplete: client {} / server {}",
                self.client.handshake_state(),
                self.server.handshake_state()
            ));
        }
        Ok(())
    }
}
