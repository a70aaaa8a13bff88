//! The sans-IO connection: bytes and time in, bytes, events and deadlines out.

mod operation;

pub use operation::{
    Cancellation, DecryptResult, Operation, OperationId, OperationRequest, OperationResult,
};

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use bytes::{Bytes, BytesMut};
use rustls_pki_types::CertificateDer;

use crate::config::{ClientConfig, ServerConfig};
use crate::error::{ApiMisuse, Error, InvalidMessage, PeerMisbehaved};
use crate::handshake::client12::Client12State;
use crate::handshake::client13::ClientState;
use crate::handshake::server12::Server12State;
use crate::handshake::server13::ServerState;
use crate::handshake::traffic12::{Side12, Traffic12};
use crate::handshake::traffic13::Traffic13;
use crate::handshake::{client13, server13, Context, Negotiated, OperationSlot};
use crate::msgs::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, NamedGroup, ProtocolVersion,
};
use crate::record::{RecordHeader, RecordLayer, RECORD_HEADER_LEN};
use crate::suites::SuiteInfo;
use crate::time::Instant;
use crate::transport::stream::HandshakeJoiner;
use crate::verify::VerifyResult;

/// Borrows the connection's fields a handshake handler may act on.
macro_rules! context {
    ($conn:ident) => {
        Context {
            record: &mut $conn.record,
            tx: &mut $conn.tx,
            events: &mut $conn.events,
            negotiated: &mut $conn.negotiated,
            ops: &mut $conn.ops,
            application_keys_ready: &mut $conn.application_keys_ready,
            datagram: $conn.datagram.as_deref_mut(),
        }
    };
}

// After the macro: the datagram side builds contexts too.
pub(crate) mod datagram;
mod save;

/// Largest handshake message we buffer (a certificate chain, mostly).
const MAX_HANDSHAKE_MESSAGE: usize = 64 * 1024;
/// Limits on content-free records a peer may send in a row.
const MAX_EMPTY_RECORDS: u32 = 32;
const MAX_WARNING_ALERTS: u32 = 4;
const MAX_CHANGE_CIPHER_SPECS: u32 = 1;
/// Input buffered while an operation is pending, at most.
const MAX_BUFFERED_WHILE_PAUSED: usize = 256 * 1024;

/// Which end of the connection this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// Something the caller should know.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// The handshake finished; application data flows both ways.
    HandshakeComplete,
    /// Application data from the peer.
    Data(Bytes),
    /// The peer sent close_notify: it will send no more data.
    PeerClosed,
    /// The peer sent an alert. Fatal alerts also end the connection with
    /// `Error::AlertReceived`.
    AlertReceived {
        level: AlertLevel,
        description: AlertDescription,
    },
    /// A slow operation to perform; finish with `Connection::complete`.
    Operation(Operation),
    /// Client: the server issued a ticket; offer it later with
    /// `Connection::client_with_session` (Mbed TLS get_session).
    NewSession(crate::session::Session),
    /// A TLS 1.2 renegotiation finished; the new parameters are in effect.
    Renegotiated,
    /// Nothing arrived for the configured `read_timeout` (Mbed TLS
    /// MBEDTLS_ERR_SSL_TIMEOUT from a read); the connection stays open.
    ReadTimeout,
    /// DTLS server: the client sent a new, cookie-verified ClientHello from
    /// the same address on an established connection (it restarted, RFC
    /// 6347 4.2.8). Start a fresh server connection and feed it that
    /// datagram again (Mbed TLS CLIENT_RECONNECT).
    ClientReconnect,
}

/// One item of output.
#[derive(Debug)]
pub enum Output {
    /// Bytes to write to the transport, in order.
    Transmit(Bytes),
    Event(Event),
}

/// The handshake's states; each side's enum holds only what its state needs.
pub(crate) enum State {
    Client(ClientState),
    Server(ServerState),
    Traffic(Box<Traffic13>),
    Client12(Client12State),
    Server12(Server12State),
    Traffic12(Box<Traffic12>),
}

use alloc::boxed::Box;

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::Client(s) => s.name(),
            State::Server(s) => s.name(),
            State::Traffic(_) => "traffic",
            State::Client12(s) => s.name(),
            State::Server12(s) => s.name(),
            State::Traffic12(t) => t.name(),
        }
    }

    fn is_traffic(&self) -> bool {
        matches!(self, State::Traffic(_) | State::Traffic12(_))
    }
}

/// How to start over on `reset`.
#[derive(Clone)]
enum Role {
    Client {
        config: Arc<ClientConfig>,
        server_name: Option<String>,
        session: Option<crate::session::Session>,
    },
    Server {
        config: Arc<ServerConfig>,
    },
}

/// A TLS connection, client or server. See the crate documentation for the
/// call-order contract.
pub struct Connection {
    role: Role,
    state: Option<State>,
    record: RecordLayer,
    joiner: HandshakeJoiner,
    rx: BytesMut,
    tx: BytesMut,
    events: VecDeque<Event>,
    negotiated: Negotiated,
    ops: OperationSlot,
    application_keys_ready: bool,
    handshake_complete: bool,
    /// Application data written before the handshake completed.
    queued_send: Vec<u8>,
    max_queued_send: usize,
    key_update_after_records: u64,
    error: Option<Error>,
    sent_close: bool,
    received_close: bool,
    empty_records: u32,
    warning_alerts: u32,
    change_cipher_specs: u32,
    handshake_buffers_released: bool,
    /// A TLS 1.2 renegotiation is under way.
    renegotiating: bool,
    /// DTLS: the datagram side; `None` over streams.
    datagram: Option<Box<datagram::Datagram>>,
    read_timeout: Option<core::time::Duration>,
    /// When input last arrived (or the read timeout was last reported).
    last_input: Instant,
    now: Instant,
}

impl Connection {
    /// A client connecting to `server_name` (a DNS name or IP address; used
    /// for SNI and certificate name checks). `None` sends no SNI and checks
    /// no name.
    pub fn client(
        config: Arc<ClientConfig>,
        server_name: Option<&str>,
        now: Instant,
    ) -> Result<Self, Error> {
        Self::client_with_session(config, server_name, None, now)
    }

    /// A client that offers `session` (from an earlier `Event::NewSession`)
    /// for resumption (Mbed TLS set_session). An expired or unusable session
    /// is not offered; the server may still decline it, and then the
    /// handshake is a full one ([`Connection::resumed`] tells).
    pub fn client_with_session(
        config: Arc<ClientConfig>,
        server_name: Option<&str>,
        session: Option<crate::session::Session>,
        now: Instant,
    ) -> Result<Self, Error> {
        let server_name = server_name.map(String::from);
        let mut conn = Self::new(
            Role::Client {
                config: config.clone(),
                server_name,
                session,
            },
            &config.common,
            now,
        );
        conn.start()?;
        Ok(conn)
    }

    /// A server waiting for a ClientHello.
    pub fn server(config: Arc<ServerConfig>, now: Instant) -> Result<Self, Error> {
        let mut conn = Self::new(
            Role::Server {
                config: config.clone(),
            },
            &config.common,
            now,
        );
        conn.start()?;
        Ok(conn)
    }

    fn new(role: Role, common: &crate::config::CommonConfig, now: Instant) -> Self {
        Self {
            role,
            state: None,
            record: RecordLayer::new(
                common.max_fragment_len,
                common.max_incoming_plaintext,
                common.record_padding_granularity,
            ),
            joiner: HandshakeJoiner::new(MAX_HANDSHAKE_MESSAGE),
            rx: BytesMut::new(),
            tx: BytesMut::new(),
            events: VecDeque::new(),
            negotiated: Negotiated::default(),
            ops: OperationSlot::default(),
            application_keys_ready: false,
            handshake_complete: false,
            queued_send: Vec::new(),
            max_queued_send: common.max_early_send_buffer,
            key_update_after_records: common.key_update_after_records.max(1),
            error: None,
            sent_close: false,
            received_close: false,
            empty_records: 0,
            warning_alerts: 0,
            change_cipher_specs: 0,
            handshake_buffers_released: false,
            renegotiating: false,
            datagram: (common.transport == crate::config::Transport::Datagram)
                .then(|| Box::new(datagram::Datagram::new(common))),
            read_timeout: common.read_timeout,
            last_input: now,
            now,
        }
    }

    fn start(&mut self) -> Result<(), Error> {
        let role = self.role.clone();
        let state = match role {
            Role::Client {
                config,
                server_name,
                session,
            } => {
                let sni = server_name
                    .as_deref()
                    .filter(|_| config.send_sni)
                    .filter(|n| is_dns_name(n))
                    .map(String::from);
                let mut cx = context!(self);
                if cx.is_datagram() {
                    crate::handshake::client12::start_datagram(
                        config,
                        server_name,
                        sni,
                        session,
                        &mut cx,
                    )?
                } else {
                    State::Client(client13::start(config, server_name, sni, session, &mut cx)?)
                }
            }
            Role::Server { config } => State::Server(server13::start(config)?),
        };
        self.state = Some(state);
        if self.datagram.is_some() {
            self.flush_flight()?;
        }
        Ok(())
    }

    /// Starts over as a fresh connection with the same configuration
    /// (Mbed TLS session_reset). An operation in flight is canceled.
    pub fn reset(&mut self, now: Instant) -> Result<(), Error> {
        self.ops.cancel_pending();
        let role = self.role.clone();
        let common = match &role {
            Role::Client { config, .. } => config.common.clone(),
            Role::Server { config } => config.common.clone(),
        };
        *self = Self::new(role, &common, now);
        self.start()
    }

    pub fn side(&self) -> Side {
        match self.role {
            Role::Client { .. } => Side::Client,
            Role::Server { .. } => Side::Server,
        }
    }

    /// Feeds bytes received from the transport. Everything is consumed;
    /// complete records are processed at once unless an operation is pending.
    pub fn handle_input(&mut self, data: &[u8], now: Instant) -> Result<(), Error> {
        if !self.accept_input(data.len(), now)? {
            return Ok(());
        }
        if self.datagram.is_some() {
            // One call, one datagram.
            let result = self.process_datagram(BytesMut::from(data));
            return self.settle(result);
        }
        self.rx.extend_from_slice(data);
        let result = self.process();
        self.settle(result)
    }

    /// DTLS: [`Self::handle_input`] for one datagram the caller owns (a
    /// receive buffer, say). Records are decrypted in place in it and
    /// application data comes out as slices of it, so no byte is copied.
    /// Over TLS it is `handle_input(&datagram, now)`.
    pub fn handle_datagram(&mut self, datagram: BytesMut, now: Instant) -> Result<(), Error> {
        if self.datagram.is_none() {
            return self.handle_input(&datagram, now);
        }
        if !self.accept_input(datagram.len(), now)? {
            return Ok(());
        }
        let result = self.process_datagram(datagram);
        self.settle(result)
    }

    /// Whether this connection runs over datagrams (DTLS), where each
    /// input call is one datagram and [`Self::handle_datagram`] saves a copy.
    pub fn is_datagram(&self) -> bool {
        self.datagram.is_some()
    }

    /// What every input call checks first; `false` when the input is to be
    /// ignored (after close_notify).
    fn accept_input(&mut self, len: usize, now: Instant) -> Result<bool, Error> {
        self.now = now;
        self.last_input = now;
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.received_close {
            // Nothing may follow close_notify; ignore it.
            return Ok(false);
        }
        if self.ops.pending.is_some() && self.rx.len() + len > MAX_BUFFERED_WHILE_PAUSED {
            // The peer keeps talking while we wait for an operation; a
            // well-behaved peer has little to say at this point.
            let result = Err(PeerMisbehaved::ExcessiveDataWhilePaused.into());
            return self.settle(result).map(|()| false);
        }
        Ok(true)
    }

    /// Lets timers fire: DTLS retransmits its last flight, or gives up
    /// after the longest timeout (`Error::HandshakeTimeout`). TLS over
    /// streams has no timers.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        self.now = now;
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if let Some(limit) = self.read_timeout {
            if self.handshake_complete && now.saturating_since(self.last_input) >= limit {
                self.last_input = now;
                self.events.push_back(Event::ReadTimeout);
            }
        }
        if self.datagram.is_none() {
            return Ok(());
        }
        let result = self.datagram_timeout(now);
        self.settle(result)
    }

    /// The next deadline at which `handle_timeout` must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.error.is_some() {
            return None;
        }
        let retransmit = self
            .datagram
            .as_ref()
            .and_then(|d| d.handshake.poll_timeout());
        let read = self
            .read_timeout
            .filter(|_| self.handshake_complete && !self.received_close)
            .map(|limit| self.last_input + limit);
        match (retransmit, read) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next output: bytes to send first, then events.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(dg) = self.datagram.as_deref_mut() {
            if let Some(datagram) = dg.out.pop_front() {
                return Some(Output::Transmit(datagram));
            }
            return self.events.pop_front().map(Output::Event);
        }
        if !self.tx.is_empty() {
            return Some(Output::Transmit(self.tx.split().freeze()));
        }
        let event = self.events.pop_front();
        if event.is_none() {
            self.release_handshake_buffers();
        }
        event.map(Output::Event)
    }

    /// Once the handshake is over and everything was delivered, gives back
    /// the buffers sized for handshake flights: an idle connection then
    /// holds little more than its keys. Done once; the data path grows its
    /// buffers again on first use and keeps them.
    fn release_handshake_buffers(&mut self) {
        if self.handshake_buffers_released
            || !self.handshake_complete
            || !self.rx.is_empty()
            || self.joiner.has_partial()
            || self.ops.pending.is_some()
        {
            return;
        }
        self.handshake_buffers_released = true;
        self.rx = BytesMut::new();
        self.tx = BytesMut::new();
        self.events = VecDeque::new();
        self.queued_send = Vec::new();
        self.joiner.release();
    }

    /// Bytes waiting to be sent, without events (convenience for loops that
    /// only shuttle bytes).
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if let Some(dg) = self.datagram.as_deref_mut() {
            return dg.out.pop_front();
        }
        (!self.tx.is_empty()).then(|| self.tx.split().freeze())
    }

    /// The next event, leaving transmit bytes in place.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Sends application data. Before the handshake completes data is
    /// queued (up to `max_early_send_buffer` bytes). Returns how many bytes
    /// were accepted.
    pub fn send(&mut self, data: &[u8]) -> Result<usize, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.sent_close {
            return Err(ApiMisuse::AlreadyClosed.into());
        }
        if let Some(dg) = &self.datagram {
            // DTLS: one record, one datagram; no silent splitting.
            if data.len() > dg.max_payload() {
                return Err(ApiMisuse::DatagramTooLarge.into());
            }
        }
        if !self.handshake_complete {
            let room = self.max_queued_send.saturating_sub(self.queued_send.len());
            let take = room.min(data.len());
            if take == 0 && !data.is_empty() {
                return Err(ApiMisuse::BufferFull.into());
            }
            self.queued_send.extend_from_slice(&data[..take]);
            return Ok(take);
        }
        let result = self.write_application_data(data);
        self.settle(result)?;
        Ok(data.len())
    }

    fn write_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        if let Some(dg) = self.datagram.as_deref() {
            let due = matches!(
                &self.state,
                Some(State::Traffic12(t)) if t.renegotiation_due(dg.write_sequence())
            );
            if due {
                self.start_renegotiation()?;
            }
            let dg = self.dg()?;
            let max = dg.max_payload().max(1);
            for chunk in data.chunks(max) {
                dg.send_single(ContentType::ApplicationData, chunk)?;
            }
            return Ok(());
        }
        for chunk in data.chunks(self.record.max_fragment_out) {
            if let Some(State::Traffic12(t)) = &self.state {
                if t.renegotiation_due(self.record.write_sequence()) {
                    self.start_renegotiation()?;
                }
            } else if self.record.write_sequence() >= self.key_update_after_records
                && matches!(self.state, Some(State::Traffic(_)))
            {
                self.update_keys(false)?;
            }
            self.record
                .write(&mut self.tx, ContentType::ApplicationData, chunk)?;
        }
        Ok(())
    }

    /// Sends a KeyUpdate (RFC 8446 4.6.3) and switches to new write keys;
    /// with `request_peer`, asks the peer to do the same.
    pub fn key_update(&mut self, request_peer: bool) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let result = self.update_keys(request_peer);
        self.settle(result)
    }

    fn update_keys(&mut self, request_peer: bool) -> Result<(), Error> {
        match self.state.take() {
            Some(State::Traffic(mut t)) => {
                let result = {
                    let mut cx = context!(self);
                    t.send_key_update(&mut cx, request_peer)
                };
                self.state = Some(State::Traffic(t));
                result
            }
            Some(State::Traffic12(t)) => {
                self.state = Some(State::Traffic12(t));
                Err(ApiMisuse::WrongProtocolVersion.into())
            }
            other => {
                self.state = other;
                Err(ApiMisuse::HandshakeNotComplete.into())
            }
        }
    }

    /// Starts a TLS 1.2 renegotiation (Mbed TLS ssl_renegotiate): a client
    /// sends a new ClientHello, a server a HelloRequest. Application data
    /// keeps flowing meanwhile. Needs renegotiation enabled in the
    /// configuration and a peer with secure renegotiation (RFC 5746).
    pub fn renegotiate(&mut self) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let result = self.start_renegotiation();
        self.settle(result)
    }

    fn start_renegotiation(&mut self) -> Result<(), Error> {
        let traffic = match self.state.take() {
            Some(State::Traffic12(t)) => t,
            Some(State::Traffic(t)) => {
                self.state = Some(State::Traffic(t));
                return Err(ApiMisuse::WrongProtocolVersion.into());
            }
            other => {
                self.state = other;
                return Err(ApiMisuse::HandshakeNotComplete.into());
            }
        };
        if !traffic.renegotiation_allowed() {
            self.state = Some(State::Traffic12(traffic));
            return Err(ApiMisuse::RenegotiationNotAllowed.into());
        }
        if let Some(dg) = self.datagram.as_deref_mut() {
            dg.begin_renegotiation();
        }
        let hello_request = [crate::msgs::enums::HandshakeType::HelloRequest.0, 0, 0, 0];
        let next = match traffic.side {
            Side12::Client { .. } => {
                let mut cx = context!(self);
                crate::handshake::client12::start_renegotiation(&mut cx, *traffic)?
            }
            Side12::Server { .. } => {
                let mut traffic = traffic;
                match self.datagram.as_deref_mut() {
                    // A flight of its own, resent until the ClientHello
                    // comes (RFC 6347 4.2.4); not part of any transcript.
                    Some(dg) => {
                        dg.queue_handshake(&hello_request);
                    }
                    None => {
                        self.record
                            .write(&mut self.tx, ContentType::Handshake, &hello_request)?
                    }
                }
                traffic.records_since_request = Some(0);
                State::Traffic12(traffic)
            }
        };
        self.enter(next)?;
        if self.datagram.is_some() {
            self.flush_flight()?;
        }
        Ok(())
    }

    /// Sends close_notify. Further `send` calls fail; received data is still
    /// delivered until the peer closes.
    pub fn close(&mut self) {
        if self.sent_close || self.error.is_some() {
            return;
        }
        self.sent_close = true;
        let _ = self.send_alert_record(AlertLevel::Warning, AlertDescription::CloseNotify);
    }

    /// Sends an alert (Mbed TLS send_alert_message). A fatal alert ends the
    /// connection; in TLS 1.3 only close_notify (see [`Connection::close`])
    /// and user_canceled may be sent as warnings.
    pub fn send_alert(
        &mut self,
        level: AlertLevel,
        description: AlertDescription,
    ) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if level == AlertLevel::Warning {
            if description != AlertDescription::UserCanceled
                && description != AlertDescription::CloseNotify
            {
                return Err(ApiMisuse::WarningAlertNotAllowed.into());
            }
            if description == AlertDescription::CloseNotify {
                self.close();
                return Ok(());
            }
            return self.send_alert_record(level, description);
        }
        let sent = self.send_alert_record(AlertLevel::Fatal, description);
        self.ops.cancel_pending();
        self.state = None;
        self.error = Some(Error::Closed);
        sent
    }

    /// Hands in the result of an [`Operation`]; the handshake continues.
    pub fn complete(&mut self, id: OperationId, result: OperationResult) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match &self.ops.pending {
            Some((pending, _)) if *pending == id => {}
            _ => return Err(ApiMisuse::UnknownOperation.into()),
        }
        self.ops.pending = None;
        let outcome = self.resume(result).and_then(|()| {
            if self.datagram.is_some() {
                self.resume_datagram()
            } else {
                self.process()
            }
        });
        self.settle(outcome)
    }

    fn resume(&mut self, result: OperationResult) -> Result<(), Error> {
        let state = self.state.take().ok_or(Error::Closed)?;
        let next = {
            let mut cx = context!(self);
            match state {
                State::Client(s) => s.resume(&mut cx, result),
                State::Server(s) => s.resume(&mut cx, result),
                State::Traffic(t) => t.resume(&mut cx, result).map(State::Traffic),
                State::Client12(s) => s.resume(&mut cx, result),
                State::Server12(s) => s.resume(&mut cx, result),
                State::Traffic12(t) => t.resume(&mut cx, result),
            }
        }?;
        self.enter(next)
    }

    /// Records the outcome of a call: on error, sends the alert chosen by
    /// `Error::alert`, cancels any pending operation and fails for good.
    fn settle(&mut self, result: Result<(), Error>) -> Result<(), Error> {
        if let Err(e) = &result {
            if self.error.is_none() {
                if let Some(alert) = e.alert() {
                    let _ = self.send_alert_record(AlertLevel::Fatal, alert);
                }
                self.ops.cancel_pending();
                self.state = None;
                self.error = Some(e.clone());
            }
        }
        result
    }

    fn send_alert_record(
        &mut self,
        level: AlertLevel,
        description: AlertDescription,
    ) -> Result<(), Error> {
        if let Some(dg) = self.datagram.as_deref_mut() {
            return dg.send_single(ContentType::Alert, &[level.0, description.0]);
        }
        self.record
            .write(&mut self.tx, ContentType::Alert, &[level.0, description.0])
    }

    fn enter(&mut self, next: State) -> Result<(), Error> {
        let now_traffic = next.is_traffic();
        if self.handshake_complete {
            match (&next, self.renegotiating) {
                (State::Client12(_) | State::Server12(_), _) => self.renegotiating = true,
                (State::Traffic12(_), true) => {
                    self.renegotiating = false;
                    self.events.push_back(Event::Renegotiated);
                }
                _ => {}
            }
        }
        self.state = Some(next);
        if now_traffic && !self.handshake_complete {
            self.handshake_complete = true;
            if let (Some(dg), Role::Server { .. }) = (self.datagram.as_deref_mut(), &self.role) {
                // From now on a restarted client's new ClientHello must
                // get through (RFC 6347 4.2.8).
                dg.records.set_accept_new_client_hellos(true);
            }
            self.events.push_back(Event::HandshakeComplete);
            if !self.queued_send.is_empty() {
                let queued = core::mem::take(&mut self.queued_send);
                self.write_application_data(&queued)?;
            }
        }
        Ok(())
    }

    /// Processes buffered input until it runs out or an operation pauses us.
    fn process(&mut self) -> Result<(), Error> {
        loop {
            if self.ops.pending.is_some() {
                return Ok(());
            }
            self.process_handshake_messages()?;
            if self.ops.pending.is_some() || self.received_close {
                return Ok(());
            }
            let Some(header) = RecordHeader::parse(&self.rx)? else {
                return Ok(());
            };
            let total = RECORD_HEADER_LEN + header.length;
            if self.rx.len() < total {
                return Ok(());
            }
            let mut record = self.rx.split_to(total);
            self.process_record(&header, &mut record)?;
        }
    }

    fn is_tls12(&self) -> bool {
        matches!(
            self.negotiated.version,
            Some(ProtocolVersion::TLSv1_2 | ProtocolVersion::DTLSv1_2)
        ) || self.datagram.is_some()
    }

    fn process_record(
        &mut self,
        header: &RecordHeader,
        record: &mut BytesMut,
    ) -> Result<(), Error> {
        let protected = self.record.is_read_protected();
        if self.is_tls12() {
            return self.process_record12(header, record);
        }
        // Unprotected records allowed while reading protected ones: the
        // compatibility ChangeCipherSpec, and alerts during the handshake.
        if protected && header.content_type != ContentType::ApplicationData {
            return match header.content_type {
                ContentType::ChangeCipherSpec if !self.handshake_complete => {
                    self.handle_change_cipher_spec(&record[RECORD_HEADER_LEN..])
                }
                ContentType::Alert if !self.handshake_complete => {
                    self.handle_alert(&record[RECORD_HEADER_LEN..])
                }
                _ => Err(PeerMisbehaved::PlaintextAfterEncryption.into()),
            };
        }
        let (content_type, range) = self.record.open(header, record)?;
        if range.is_empty() && content_type != ContentType::ApplicationData {
            return Err(InvalidMessage::EmptyRecord.into());
        }
        match content_type {
            ContentType::Handshake => {
                self.empty_records = 0;
                self.joiner.push(&record[range])
            }
            ContentType::ApplicationData => {
                if !self.application_keys_ready || !protected {
                    return Err(self.unexpected(content_type));
                }
                self.deliver_application_data(record, range)
            }
            ContentType::Alert => self.handle_alert(&record[range]),
            ContentType::ChangeCipherSpec if !protected && !self.handshake_complete => {
                self.handle_change_cipher_spec(&record[range])
            }
            other => Err(self.unexpected(other)),
        }
    }

    /// TLS 1.2 records carry their real content type, protected or not.
    fn process_record12(
        &mut self,
        header: &RecordHeader,
        record: &mut BytesMut,
    ) -> Result<(), Error> {
        let (content_type, range) = self.record.open(header, record)?;
        if range.is_empty() && content_type != ContentType::ApplicationData {
            return Err(InvalidMessage::EmptyRecord.into());
        }
        match content_type {
            ContentType::Handshake => {
                self.empty_records = 0;
                self.joiner.push(&record[range])
            }
            ContentType::ApplicationData => {
                if !self.application_keys_ready || !self.record.is_read_protected() {
                    return Err(self.unexpected(content_type));
                }
                self.deliver_application_data(record, range)
            }
            ContentType::Alert => self.handle_alert(&record[range]),
            ContentType::ChangeCipherSpec => {
                if record[range] != [1] || self.joiner.has_partial() {
                    return Err(PeerMisbehaved::IllegalChangeCipherSpec.into());
                }
                let state = self.state.take().ok_or(Error::Closed)?;
                let next = {
                    let mut cx = context!(self);
                    match state {
                        State::Client12(s) => s.handle_change_cipher_spec(&mut cx)?,
                        State::Server12(s) => s.handle_change_cipher_spec(&mut cx)?,
                        other => {
                            self.state = Some(other);
                            return Err(self.unexpected(ContentType::ChangeCipherSpec));
                        }
                    }
                };
                self.enter(next)
            }
            other => Err(self.unexpected(other)),
        }
    }

    /// Hands the plaintext `range` of `record` to the caller without
    /// copying; empty records are counted (a flood of them is an attack).
    fn deliver_application_data(
        &mut self,
        record: &mut BytesMut,
        range: core::ops::Range<usize>,
    ) -> Result<(), Error> {
        if range.is_empty() {
            self.empty_records += 1;
            if self.empty_records > MAX_EMPTY_RECORDS {
                return Err(PeerMisbehaved::TooManyEmptyRecords.into());
            }
            return Ok(());
        }
        self.empty_records = 0;
        match &mut self.state {
            Some(State::Traffic(t)) => t.note_application_data(),
            Some(State::Traffic12(t)) => t.note_application_data()?,
            _ => {}
        }
        let mut data = core::mem::take(record);
        let _ = data.split_to(range.start);
        data.truncate(range.len());
        self.events.push_back(Event::Data(data.freeze()));
        Ok(())
    }

    fn unexpected(&self, content_type: ContentType) -> Error {
        Error::UnexpectedMessage {
            state: self.state.as_ref().map(State::name).unwrap_or("closed"),
            content_type,
            handshake_type: None,
        }
    }

    fn handle_change_cipher_spec(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.change_cipher_specs += 1;
        if payload != [1]
            || self.change_cipher_specs > MAX_CHANGE_CIPHER_SPECS
            || self.joiner.has_partial()
        {
            return Err(PeerMisbehaved::IllegalChangeCipherSpec.into());
        }
        Ok(())
    }

    fn handle_alert(&mut self, payload: &[u8]) -> Result<(), Error> {
        let [level, description] = payload else {
            return Err(InvalidMessage::BadLength.into());
        };
        let level = AlertLevel(*level);
        let description = AlertDescription(*description);
        if level != AlertLevel::Warning && level != AlertLevel::Fatal {
            return Err(InvalidMessage::IllegalValue("alert level").into());
        }
        self.events
            .push_back(Event::AlertReceived { level, description });
        if description == AlertDescription::CloseNotify {
            self.received_close = true;
            self.events.push_back(Event::PeerClosed);
            return Ok(());
        }
        // TLS 1.3: every alert but close_notify and user_canceled is fatal;
        // TLS 1.2 warnings (no_renegotiation, say) are not.
        let survivable = description == AlertDescription::UserCanceled || self.is_tls12();
        if survivable && level == AlertLevel::Warning {
            self.warning_alerts += 1;
            if self.warning_alerts > MAX_WARNING_ALERTS {
                return Err(PeerMisbehaved::TooManyWarningAlerts.into());
            }
            let asked = matches!(
                &self.state,
                Some(State::Traffic12(t)) if t.records_since_request.is_some()
            );
            if let (true, AlertDescription::NoRenegotiation, Some(dg)) =
                (asked, description, self.datagram.as_deref_mut())
            {
                // The client declined our HelloRequest: stop resending it.
                // The record limit for an unanswered request still holds.
                dg.stop_resending();
            }
            return Ok(());
        }
        // Do not answer a fatal alert with one of our own.
        self.error = Some(Error::AlertReceived(description));
        self.ops.cancel_pending();
        self.state = None;
        Err(Error::AlertReceived(description))
    }

    fn process_handshake_messages(&mut self) -> Result<(), Error> {
        loop {
            if self.ops.pending.is_some() {
                return Ok(());
            }
            let read_epoch = self.record.read_epoch;
            let Some(msg) = self.joiner.next_message()? else {
                return Ok(());
            };
            let state = self.state.take().ok_or(Error::Closed)?;
            let mut cx = context!(self);
            let next = match state {
                State::Client(s) => s.handle(&mut cx, msg)?,
                State::Server(s) => s.handle(&mut cx, msg)?,
                State::Traffic(t) => State::Traffic(t.handle(&mut cx, msg)?),
                State::Client12(s) => s.handle(&mut cx, msg)?,
                State::Server12(s) => s.handle(&mut cx, msg)?,
                State::Traffic12(t) => t.handle(&mut cx, msg)?,
            };
            self.joiner.discard_taken();
            if self.record.read_epoch != read_epoch && self.joiner.has_partial() {
                // A key change must fall on a record boundary (RFC 8446 5.1).
                return Err(PeerMisbehaved::MessageInterleavedWithKeyChange.into());
            }
            self.enter(next)?;
        }
    }

    // ---- queries ----

    /// Whether the handshake is still running.
    pub fn is_handshaking(&self) -> bool {
        !self.handshake_complete && self.error.is_none()
    }

    /// The name of the current handshake state (for logs).
    pub fn handshake_state(&self) -> &'static str {
        match (&self.state, &self.error) {
            (Some(s), _) => s.name(),
            (None, Some(_)) => "failed",
            (None, None) => "closed",
        }
    }

    /// The operation the connection waits for, if any.
    pub fn pending_operation(&self) -> Option<OperationId> {
        self.ops.pending.as_ref().map(|(id, _)| *id)
    }

    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.negotiated.version
    }

    pub fn cipher_suite(&self) -> Option<CipherSuite> {
        self.negotiated.suite.map(|s| s.suite)
    }

    /// Registry entry of the negotiated suite (IANA and Mbed TLS names).
    pub fn cipher_suite_info(&self) -> Option<&'static SuiteInfo> {
        self.negotiated.suite
    }

    pub fn key_exchange_group(&self) -> Option<NamedGroup> {
        self.negotiated.group
    }

    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.negotiated.alpn.as_deref()
    }

    /// Server side: the server_name the client asked for.
    pub fn server_name(&self) -> Option<&str> {
        self.negotiated.server_name.as_deref()
    }

    /// The peer's certificate chain, end entity first.
    pub fn peer_certificates(&self) -> &[CertificateDer<'static>] {
        &self.negotiated.peer_certificates
    }

    /// Verification flags for the peer's chain (Mbed TLS
    /// get_verify_result); `None` if no certificate was processed.
    pub fn verify_result(&self) -> Option<VerifyResult> {
        self.negotiated.verify_result
    }

    /// The scheme the peer signed its CertificateVerify with, if it signed.
    pub fn peer_signature_scheme(&self) -> Option<crate::msgs::enums::SignatureScheme> {
        self.negotiated.peer_signature_scheme
    }

    /// Whether the handshake resumed a session from a ticket.
    pub fn resumed(&self) -> bool {
        self.negotiated.resumed
    }

    /// Whether a HelloRetryRequest happened.
    pub fn hello_retry_happened(&self) -> bool {
        self.negotiated.hello_retry_request
    }

    /// Whether client authentication completed (client: we signed; server:
    /// the client proved its key).
    pub fn client_authenticated(&self) -> bool {
        self.negotiated.client_authenticated
    }

    /// The error that ended the connection, if any.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Whether the peer sent close_notify.
    pub fn peer_closed(&self) -> bool {
        self.received_close
    }

    /// Largest plaintext that fits one outgoing record now.
    pub fn max_record_payload(&self) -> usize {
        self.record.max_fragment_out
    }

    /// RFC 8446 7.5 keying-material exporter.
    pub fn export_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        match &self.state {
            Some(State::Traffic(t)) => t.export_keying_material(out, label, context),
            Some(State::Traffic12(t)) => t.established.export_keying_material(
                &t.side.common().provider,
                &self.negotiated.client_random,
                out,
                label,
                context,
            ),
            _ => Err(ApiMisuse::HandshakeNotComplete.into()),
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.ops.cancel_pending();
    }
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("side", &self.side())
            .field("state", &self.handshake_state())
            .finish_non_exhaustive()
    }
}

fn is_dns_name(name: &str) -> bool {
    matches!(
        rustls_pki_types::ServerName::try_from(name),
        Ok(rustls_pki_types::ServerName::DnsName(_))
    )
}
