//! One TLS connection over a blocking `TcpStream`.
//!
//! A reader thread turns the socket into [`Input::Net`] messages on a
//! channel that also carries local input (standard input, or the demo's
//! bytes). The connection loop waits on that channel with a deadline,
//! feeds the engine and writes what it asks to send. No polling.
//!
//! DTLS runs the same loops over a `UdpSocket`: a reader thread turns each
//! datagram from the peer into one [`Input::Net`] message (a server learns
//! the peer from the first ClientHello and then ignores other addresses),
//! each `Output::Transmit` is sent as one datagram, and
//! [`Session::recv_until`] wakes for the engine's retransmission timer.
//!
//! Pending operations (signatures with a key in a PKCS#11 token) go to a
//! [`Pkcs11Worker`] when the session has one: the worker thread sends the
//! result back on the same channel as [`Input::Completed`], and the loop
//! hands it to `Connection::complete`. Without a worker they are performed
//! inline.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant as StdInstant};

use bytes::Bytes;
use embertls::conn::{Event, OperationId, OperationResult, Output};
use embertls::{Connection, Instant};
use embertls_pkcs11::Pkcs11Worker;

use super::CliError;

/// Tag of messages from local input (standard input); sockets use others.
pub const LOCAL: u64 = 0;

/// Something that happened, tagged with its source on the shared channel.
#[derive(Debug)]
pub enum Input {
    /// Bytes from the socket.
    Net(Vec<u8>),
    /// The peer closed the TCP connection (or it broke).
    NetClosed(Option<String>),
    /// Local bytes to send.
    Local(Vec<u8>),
    /// Local input ended.
    LocalClosed,
    /// A worker finished an operation of the connection.
    Completed(OperationId, OperationResult),
}

/// A tagged message: `LOCAL` or the connection's tag.
pub type Message = (u64, Input);

/// Copies a reader (standard input) onto the channel as `LOCAL` messages.
pub fn spawn_local_reader(mut input: impl Read + Send + 'static, tx: Sender<Message>) {
    thread::spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if tx.send((LOCAL, Input::Local(buf[..n].to_vec()))).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = tx.send((LOCAL, Input::LocalClosed));
    });
}

/// Copies the socket onto the channel as `tag` messages until EOF or error.
pub fn spawn_socket_reader(mut sock: TcpStream, tag: u64, tx: Sender<Message>) {
    thread::spawn(move || {
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            match sock.read(&mut buf) {
                Ok(0) => {
                    let _ = tx.send((tag, Input::NetClosed(None)));
                    return;
                }
                Ok(n) => {
                    if tx.send((tag, Input::Net(buf[..n].to_vec()))).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.send((tag, Input::NetClosed(Some(e.to_string()))));
                    return;
                }
            }
        }
    });
}

/// The one address a UDP session talks to; `None` until a server has
/// seen the first ClientHello.
pub type SharedPeer = Arc<Mutex<Option<SocketAddr>>>;

/// Whether `datagram` starts with an epoch-0 handshake record (a
/// ClientHello), the only datagram that may start a server session.
fn starts_handshake(datagram: &[u8]) -> bool {
    datagram.len() > 13 && datagram[0] == 22 && datagram[3..5] == [0, 0]
}

/// Copies the datagrams from `peer` onto the channel as `tag` messages.
/// With `learn`, an unset peer is taken from the first datagram that
/// starts a handshake. A refused port (ICMP on a connected client socket)
/// ends the reader with `NetClosed`.
pub fn spawn_udp_reader(
    sock: UdpSocket,
    peer: SharedPeer,
    learn: bool,
    tag: u64,
    tx: Sender<Message>,
) {
    thread::spawn(move || {
        let mut buf = vec![0u8; 65_536];
        loop {
            let (n, from) = match sock.recv_from(&mut buf) {
                Ok(got) => got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    let detail = format!("{e}: nothing listens on the UDP port");
                    let _ = tx.send((tag, Input::NetClosed(Some(detail))));
                    return;
                }
                Err(e) => {
                    let _ = tx.send((tag, Input::NetClosed(Some(e.to_string()))));
                    return;
                }
            };
            let datagram = &buf[..n];
            {
                let mut peer = peer.lock().unwrap();
                match *peer {
                    Some(p) if p == from => {}
                    None if learn && starts_handshake(datagram) => *peer = Some(from),
                    _ => continue,
                }
            }
            if tx.send((tag, Input::Net(datagram.to_vec()))).is_err() {
                return;
            }
        }
    });
}

/// The address as transport id for DTLS cookies: IP octets, then the port.
pub fn transport_id(addr: SocketAddr) -> Vec<u8> {
    let mut id = match addr.ip() {
        std::net::IpAddr::V4(ip) => ip.octets().to_vec(),
        std::net::IpAddr::V6(ip) => ip.octets().to_vec(),
    };
    id.extend_from_slice(&addr.port().to_be_bytes());
    id
}

/// What the engine reported, for the loops to act on.
#[derive(Debug)]
pub enum Happening {
    HandshakeComplete,
    /// A TLS 1.2 renegotiation finished.
    Renegotiated,
    Data(Bytes),
    PeerClosed,
}

/// The summary line printed after a handshake (without the `embertls: `
/// prefix): `version=TLSv1.3 suite=... group=x25519 alpn=- verify=ok`.
pub fn summary(conn: &Connection) -> String {
    let version = conn
        .protocol_version()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "-".into());
    let suite = conn
        .cipher_suite_info()
        .map(|s| s.iana_name.to_string())
        .or_else(|| conn.cipher_suite().map(|s| s.to_string()))
        .unwrap_or_else(|| "-".into());
    let group = conn
        .key_exchange_group()
        .map(|g| g.to_string())
        .unwrap_or_else(|| "-".into());
    let alpn = conn
        .alpn_protocol()
        .map(printable)
        .unwrap_or_else(|| "-".into());
    let verify = conn
        .verify_result()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "-".into());
    let mut line =
        format!("version={version} suite={suite} group={group} alpn={alpn} verify={verify}");
    if conn.protocol_version() == Some(embertls::msgs::enums::ProtocolVersion::DTLSv1_2) {
        let cid = conn.peer_cid().map(hex).unwrap_or_else(|| "-".into());
        let srtp = conn
            .srtp_profile()
            .map(|p| {
                p.name()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("0x{:04x}", p.0))
            })
            .unwrap_or_else(|| "-".into());
        line.push_str(&format!(" cid={cid} srtp={srtp}"));
    }
    line
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Extra facts for --verbose: `hrr=yes client-auth=no sni=localhost
/// peer-certs=2 resumed=no`.
pub fn details(conn: &Connection) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    format!(
        "hrr={} client-auth={} sni={} peer-certs={} resumed={}",
        yes_no(conn.hello_retry_happened()),
        yes_no(conn.client_authenticated()),
        conn.server_name().unwrap_or("-"),
        conn.peer_certificates().len(),
        yes_no(conn.resumed())
    )
}

/// Bytes as text without spaces or control characters (those become \xNN).
fn printable(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        if b.is_ascii_graphic() && b != b'\\' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// The socket of a session.
enum Link {
    Tcp(TcpStream),
    Udp {
        sock: UdpSocket,
        peer: SharedPeer,
        /// Server: the client's transport id was given to the engine.
        id_set: bool,
    },
}

/// A connection and its socket.
pub struct Session {
    pub conn: Connection,
    link: Link,
    origin: StdInstant,
    pub handshake_done: bool,
    /// The peer's close_notify arrived.
    pub peer_closed: bool,
    /// We sent close_notify.
    pub we_closed: bool,
    /// Application bytes received.
    pub received: usize,
    /// A write to the socket failed (the peer may have closed it after an alert).
    pub write_failed: bool,
    /// The newest session ticket the server sent.
    pub ticket: Option<embertls::session::Session>,
    /// DTLS server: the client started a new handshake from the same
    /// address (RFC 6347 4.2.8); this connection is over.
    pub client_reconnect: bool,
    /// Where pending operations go, if not performed inline.
    offload: Option<Offload>,
}

/// A worker and the way back to this session's loop.
struct Offload {
    worker: Arc<Pkcs11Worker>,
    tx: Sender<Message>,
    tag: u64,
}

impl Session {
    /// Wraps `conn` and `sock`; the caller starts the reader with
    /// [`spawn_socket_reader`] on a clone of the socket.
    pub fn new(conn: Connection, sock: TcpStream, origin: StdInstant) -> Self {
        let _ = sock.set_nodelay(true);
        let _ = sock.set_write_timeout(Some(Duration::from_secs(10)));
        Self::with_link(conn, Link::Tcp(sock), origin)
    }

    /// A DTLS session on `sock` with the peer in `peer` (for a server,
    /// set by [`spawn_udp_reader`] when the first ClientHello arrives).
    pub fn new_udp(
        conn: Connection,
        sock: UdpSocket,
        peer: SharedPeer,
        origin: StdInstant,
    ) -> Self {
        let _ = sock.set_write_timeout(Some(Duration::from_secs(10)));
        let id_set = conn.side() == embertls::Side::Client;
        Self::with_link(conn, Link::Udp { sock, peer, id_set }, origin)
    }

    fn with_link(conn: Connection, link: Link, origin: StdInstant) -> Self {
        Self {
            conn,
            link,
            origin,
            handshake_done: false,
            peer_closed: false,
            we_closed: false,
            received: 0,
            write_failed: false,
            ticket: None,
            client_reconnect: false,
            offload: None,
        }
    }

    /// Sends pending operations to `worker`; their results come back on
    /// `tx` as `(tag, Input::Completed(..))`, for the loop to pass to
    /// [`Session::complete`].
    pub fn set_worker(&mut self, worker: Arc<Pkcs11Worker>, tx: Sender<Message>, tag: u64) {
        self.offload = Some(Offload { worker, tx, tag });
    }

    /// The engine's clock: microseconds since `origin`.
    pub fn now(&self) -> Instant {
        Instant::from_micros(self.origin.elapsed().as_micros() as u64)
    }

    /// Sends what the engine wants sent, serves operations, and returns the
    /// events of interest.
    pub fn drain(&mut self) -> Result<Vec<Happening>, CliError> {
        let mut out = Vec::new();
        while let Some(output) = self.conn.poll_output() {
            match output {
                Output::Transmit(bytes) => {
                    let sent = match &mut self.link {
                        Link::Tcp(sock) => sock.write_all(&bytes),
                        Link::Udp { sock, peer, .. } => match *peer.lock().unwrap() {
                            Some(to) => sock.send_to(&bytes, to).map(drop),
                            None => Ok(()),
                        },
                    };
                    if let Err(e) = sent {
                        self.write_failed = true;
                        return Err(CliError::new(format!("write to peer failed: {e}")));
                    }
                }
                Output::Event(Event::Operation(op)) => match &self.offload {
                    Some(Offload { worker, tx, tag }) => {
                        let (tx, tag) = (tx.clone(), *tag);
                        worker.submit_with(op, move |id, result| {
                            let _ = tx.send((tag, Input::Completed(id, result)));
                        });
                    }
                    None => {
                        let result = op.perform();
                        self.conn.complete(op.id, result)?;
                    }
                },
                Output::Event(Event::HandshakeComplete) => {
                    self.handshake_done = true;
                    out.push(Happening::HandshakeComplete);
                }
                Output::Event(Event::Renegotiated) => out.push(Happening::Renegotiated),
                Output::Event(Event::Data(data)) => {
                    self.received += data.len();
                    out.push(Happening::Data(data));
                }
                Output::Event(Event::PeerClosed) => {
                    self.peer_closed = true;
                    out.push(Happening::PeerClosed);
                }
                Output::Event(Event::NewSession(ticket)) => self.ticket = Some(ticket),
                Output::Event(Event::ClientReconnect) => self.client_reconnect = true,
                Output::Event(_) => {}
            }
        }
        Ok(out)
    }

    /// Feeds bytes from the peer (over UDP, one datagram, handed over
    /// without a copy). On an engine error the alert it queued is sent
    /// before the error is returned.
    pub fn feed(&mut self, data: Vec<u8>) -> Result<Vec<Happening>, CliError> {
        let now = self.now();
        let result = if let Link::Udp { peer, id_set, .. } = &mut self.link {
            if !*id_set {
                // The server's first datagram: bind cookies to its sender.
                if let Some(addr) = *peer.lock().unwrap() {
                    self.conn.set_client_transport_id(&transport_id(addr))?;
                    *id_set = true;
                }
            }
            let datagram = bytes::Bytes::from(data)
                .try_into_mut()
                .unwrap_or_else(|shared| bytes::BytesMut::from(&shared[..]));
            self.conn.handle_datagram(datagram, now)
        } else {
            self.conn.handle_input(&data, now)
        };
        match result {
            Ok(()) => self.drain(),
            Err(e) => {
                let _ = self.drain();
                Err(CliError::from(e))
            }
        }
    }

    /// Hands a worker's result to the connection, which goes on with the
    /// handshake. On an engine error the alert it queued is sent first.
    pub fn complete(
        &mut self,
        id: OperationId,
        result: OperationResult,
    ) -> Result<Vec<Happening>, CliError> {
        match self.conn.complete(id, result) {
            Ok(()) => self.drain(),
            Err(e) => {
                let _ = self.drain();
                Err(CliError::from(e))
            }
        }
    }

    /// Sends application data (queued by the engine during the handshake).
    /// Over DTLS in pieces of at most one record, one datagram each.
    pub fn send(&mut self, data: &[u8]) -> Result<Vec<Happening>, CliError> {
        let mut rest = data;
        while !rest.is_empty() {
            let chunk = match self.link {
                Link::Tcp(_) => rest.len(),
                Link::Udp { .. } => rest.len().min(self.conn.max_out_record_payload().max(1)),
            };
            let n = self.conn.send(&rest[..chunk])?;
            rest = &rest[n..];
            if matches!(self.link, Link::Udp { .. }) {
                let _ = self.drain()?;
            }
        }
        self.drain()
    }

    /// Like the free [`recv_until`], and meanwhile serves the engine's
    /// retransmission timer (DTLS): resends a flight when it expires, fails
    /// when the engine gives up.
    pub fn recv_until(
        &mut self,
        rx: &Receiver<Message>,
        tag: u64,
        deadline: StdInstant,
    ) -> Result<Option<Input>, CliError> {
        loop {
            let timer = self
                .conn
                .poll_timeout()
                .map(|t| self.origin + Duration::from_micros(t.as_micros()));
            let until = timer.map_or(deadline, |t| t.min(deadline));
            if let Some(input) = recv_until(rx, tag, until)? {
                return Ok(Some(input));
            }
            match timer {
                Some(t) if t <= StdInstant::now() => {
                    let now = self.now();
                    if let Err(e) = self.conn.handle_timeout(now) {
                        let _ = self.drain();
                        return Err(CliError::new(format!(
                            "{e} (no answer to our retransmissions, in state {})",
                            self.conn.handshake_state()
                        )));
                    }
                    // Retransmissions only send; they report nothing.
                    let _ = self.drain()?;
                }
                _ if StdInstant::now() >= deadline => return Ok(None),
                _ => {}
            }
        }
    }

    /// Starts a TLS 1.2 renegotiation.
    pub fn renegotiate(&mut self) -> Result<Vec<Happening>, CliError> {
        self.conn.renegotiate()?;
        self.drain()
    }

    /// Sends a KeyUpdate asking the peer to update as well.
    pub fn key_update(&mut self) -> Result<Vec<Happening>, CliError> {
        self.conn.key_update(true)?;
        self.drain()
    }

    /// Sends close_notify (once).
    pub fn close(&mut self) -> Result<(), CliError> {
        if !self.we_closed {
            self.we_closed = true;
            self.conn.close();
            self.drain()?;
        }
        Ok(())
    }

    /// Closes the socket both ways; the reader thread then ends.
    /// (UDP: nothing to close; a server forgets the peer.)
    pub fn shutdown(&self) {
        match &self.link {
            Link::Tcp(sock) => {
                let _ = sock.shutdown(Shutdown::Both);
            }
            Link::Udp { peer, .. } => *peer.lock().unwrap() = None,
        }
    }

    /// After a failed write: the peer may have said why (a fatal alert)
    /// before it closed the connection. Reads what already arrived and
    /// returns the engine's error for it, if any.
    pub fn peer_reason(&mut self, rx: &Receiver<Message>, tag: u64) -> Option<CliError> {
        let deadline = StdInstant::now() + Duration::from_millis(300);
        while let Ok(Some(input)) = recv_until(rx, tag, deadline) {
            match input {
                Input::Net(data) => {
                    let now = self.now();
                    if let Err(e) = self.conn.handle_input(&data, now) {
                        return Some(e.into());
                    }
                }
                Input::NetClosed(_) => return None,
                Input::Local(_) | Input::LocalClosed | Input::Completed(..) => {}
            }
        }
        None
    }

    /// The error for a TCP close that came without close_notify.
    pub fn eof_error(&self, detail: Option<String>) -> CliError {
        let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
        if !self.handshake_done {
            let state = self.conn.handshake_state();
            CliError::new(format!(
                "connection closed by peer during the handshake (in state {state}){detail}"
            ))
        } else {
            CliError::new(format!(
                "connection closed by peer without close_notify{detail}"
            ))
        }
    }
}

/// Receives the next message for `tag` (or local input), waiting until
/// `deadline` at most. `None` when the deadline passed.
pub fn recv_until(
    rx: &Receiver<Message>,
    tag: u64,
    deadline: StdInstant,
) -> Result<Option<Input>, CliError> {
    loop {
        let wait = deadline.saturating_duration_since(StdInstant::now());
        match rx.recv_timeout(wait) {
            Ok((t, input)) if t == tag || t == LOCAL => return Ok(Some(input)),
            // A message from an earlier connection's reader.
            Ok(_) => continue,
            Err(RecvTimeoutError::Timeout) => return Ok(None),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(CliError::new("internal error: input channel closed"))
            }
        }
    }
}
