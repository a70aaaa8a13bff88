//! `embertls client`: connect, send local input, print what arrives, close.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use embertls::Connection;
use embertls_pkcs11::Pkcs11Worker;

use super::args::ClientOptions;
use super::session::{
    details, spawn_local_reader, spawn_socket_reader, spawn_udp_reader, summary, Happening, Input,
    Message, Session,
};
use super::{config, CliError};

/// How long we wait for the peer's close_notify after sending ours.
const LINGER: Duration = Duration::from_secs(1);
/// How long a TCP connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the first --reconnect connection waits for a ticket.
const TICKET_WAIT: Duration = Duration::from_millis(1500);
/// Tag of the client's socket messages.
const NET: u64 = 1;

/// How the client loop behaves.
pub struct ClientParams<'a> {
    /// Quiet time after local input ends before we close.
    pub wait: Duration,
    pub handshake_timeout: Duration,
    pub verbose: bool,
    /// Send a KeyUpdate right after the handshake.
    pub key_update: bool,
    /// Renegotiate (TLS 1.2) right after the handshake; standard input is
    /// sent once it finished.
    pub renegotiate: bool,
    /// Close as soon as local input ended and this many bytes arrived.
    pub close_after: Option<usize>,
    /// Add `resumed=yes|no` to the summary line (--reconnect).
    pub report_resumption: bool,
    /// Received application data goes here.
    pub out: &'a mut dyn Write,
    /// Status lines (without the `embertls: ` prefix).
    pub log: &'a mut dyn FnMut(String),
}

/// Runs `embertls client`.
pub fn run(opts: &ClientOptions) -> Result<(), CliError> {
    let (config, note) = config::client_config(opts)?;
    let verbose = opts.tls.verbose;
    let mut log = |line: String| eprintln!("embertls: {line}");
    if let (true, Some(note)) = (verbose, note) {
        log(format!("detail: {note}"));
    }
    let config = Arc::new(config);
    // --reconnect: a first connection only to collect a session ticket.
    let ticket = if opts.reconnect {
        first_visit(&config, opts, &mut log)?
    } else {
        None
    };
    if opts.reconnect && ticket.is_none() {
        log(
            "detail: the server sent no session ticket; the second connection is a full handshake"
                .into(),
        );
    }
    let conn = Connection::client_with_session(
        config,
        Some(opts.server_name()),
        ticket,
        embertls::Instant::ZERO,
    )?;
    let (tx, rx) = channel();
    let mut session = open(conn, opts, &tx, &mut log)?;
    spawn_local_reader(io::stdin(), tx.clone());
    // Keys in a PKCS#11 token sign on a worker thread.
    let worker = opts
        .tls
        .pkcs11
        .is_used()
        .then(|| Arc::new(Pkcs11Worker::new(1).0));
    if let Some(worker) = &worker {
        session.set_worker(worker.clone(), tx.clone(), NET);
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let result = drive(
        &mut session,
        &rx,
        NET,
        ClientParams {
            wait: opts.wait,
            handshake_timeout: opts.tls.handshake_timeout,
            verbose,
            key_update: opts.tls.key_update,
            renegotiate: opts.tls.renegotiate,
            close_after: None,
            report_resumption: opts.reconnect,
            out: &mut out,
            log: &mut log,
        },
    );
    session.shutdown();
    drop(tx);
    result
}

/// Connects, completes a handshake, waits briefly for a session ticket, and
/// closes; prints that connection's summary line with `resumed=no`.
fn first_visit(
    config: &Arc<embertls::ClientConfig>,
    opts: &ClientOptions,
    log: &mut dyn FnMut(String),
) -> Result<Option<embertls::session::Session>, CliError> {
    let conn = Connection::client(
        config.clone(),
        Some(opts.server_name()),
        embertls::Instant::ZERO,
    )?;
    let (tx, rx) = channel();
    let mut session = open(conn, opts, &tx, log)?;
    let worker = opts
        .tls
        .pkcs11
        .is_used()
        .then(|| Arc::new(Pkcs11Worker::new(1).0));
    if let Some(worker) = &worker {
        session.set_worker(worker.clone(), tx.clone(), NET);
    }
    session.drain()?;
    let started = StdInstant::now();
    let mut done_at: Option<StdInstant> = None;
    while session.ticket.is_none() {
        let deadline = match done_at {
            Some(done) => done + TICKET_WAIT,
            None => started + opts.tls.handshake_timeout,
        };
        match session.recv_until(&rx, NET, deadline)? {
            None if session.handshake_done => break,
            None => return Err(CliError::new("first connection: handshake timed out")),
            Some(Input::Net(data)) => {
                session.feed(data)?;
            }
            Some(Input::Completed(id, result)) => {
                session.complete(id, result)?;
            }
            Some(Input::NetClosed(detail)) => return Err(session.eof_error(detail)),
            Some(_) => {}
        }
        if session.handshake_done && done_at.is_none() {
            done_at = Some(StdInstant::now());
        }
    }
    log(format!("{} resumed=no", summary(&session.conn)));
    let _ = session.close();
    session.shutdown();
    drop(tx);
    Ok(session.ticket.take())
}

/// Opens the transport for `conn`: a UDP socket for --dtls (with the
/// client's CID), a TCP connection otherwise; its reader sends to `tx`.
fn open(
    mut conn: Connection,
    opts: &ClientOptions,
    tx: &std::sync::mpsc::Sender<crate::cli::session::Message>,
    log: &mut dyn FnMut(String),
) -> Result<Session, CliError> {
    let origin = StdInstant::now();
    let verbose = opts.tls.verbose;
    if opts.tls.dtls.enabled {
        if let Some(cid) = &opts.tls.dtls.cid {
            conn.set_cid(Some(cid))?;
        }
        let (sock, peer) = connect_udp(&opts.host, opts.port)?;
        if verbose {
            log(format!("detail: sending datagrams to {peer}"));
        }
        let reader = sock
            .try_clone()
            .map_err(|e| CliError::new(format!("socket: {e}")))?;
        let peer = Arc::new(std::sync::Mutex::new(Some(peer)));
        spawn_udp_reader(reader, peer.clone(), false, NET, tx.clone());
        Ok(Session::new_udp(conn, sock, peer, origin))
    } else {
        let sock = connect(&opts.host, opts.port)?;
        if verbose {
            if let Ok(peer) = sock.peer_addr() {
                log(format!("detail: connected to {peer}"));
            }
        }
        spawn_socket_reader(
            sock.try_clone()
                .map_err(|e| CliError::new(format!("socket: {e}")))?,
            NET,
            tx.clone(),
        );
        Ok(Session::new(conn, sock, origin))
    }
}

/// Connects to the first address of `host:port` that answers.
pub fn connect(host: &str, port: u16) -> Result<TcpStream, CliError> {
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| CliError::new(format!("cannot resolve {host}: {e}")))?
        .collect();
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(format!("{addr}: {e}")),
        }
    }
    Err(CliError::new(format!(
        "cannot connect to {host}:{port}: {}",
        last.unwrap_or_else(|| "no address".into())
    )))
}

/// A UDP socket connected to the first address of `host:port` (so that
/// only its datagrams arrive, and a closed port shows as refused).
pub fn connect_udp(host: &str, port: u16) -> Result<(UdpSocket, SocketAddr), CliError> {
    // The first IPv4 address, else the first one (localhost may list ::1
    // before 127.0.0.1; UDP cannot try them in turn).
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| CliError::new(format!("cannot resolve {host}: {e}")))?
        .min_by_key(SocketAddr::is_ipv6)
        .ok_or_else(|| CliError::new(format!("cannot resolve {host}: no address")))?;
    let local = if addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let fail = |e: io::Error| CliError::new(format!("UDP socket for {addr}: {e}"));
    let sock = UdpSocket::bind(local).map_err(fail)?;
    sock.connect(addr).map_err(fail)?;
    Ok((sock, addr))
}

/// The client's connection loop: until a clean close (`Ok`) or a failure.
pub fn drive(
    session: &mut Session,
    rx: &Receiver<Message>,
    tag: u64,
    params: ClientParams<'_>,
) -> Result<(), CliError> {
    match drive_inner(session, rx, tag, params) {
        // Writing failed: prefer the reason the peer gave, if it sent one.
        Err(e) if session.write_failed => Err(session.peer_reason(rx, tag).unwrap_or(e)),
        other => other,
    }
}

fn drive_inner(
    session: &mut Session,
    rx: &Receiver<Message>,
    tag: u64,
    params: ClientParams<'_>,
) -> Result<(), CliError> {
    let ClientParams {
        wait,
        handshake_timeout,
        verbose,
        key_update,
        renegotiate,
        close_after,
        report_resumption,
        out,
        log,
    } = params;
    let renegotiation_pending = std::cell::Cell::new(false);
    let started = StdInstant::now();
    let mut last_rx = started;
    let mut local_closed_at: Option<StdInstant> = None;
    let mut pending_local: Vec<u8> = Vec::new();
    let mut close_deadline: Option<StdInstant> = None;

    let mut act = |session: &mut Session, events: Vec<Happening>| -> Result<(), CliError> {
        for event in events {
            match event {
                Happening::HandshakeComplete => {
                    let mut line = summary(&session.conn);
                    if report_resumption {
                        line.push_str(if session.conn.resumed() {
                            " resumed=yes"
                        } else {
                            " resumed=no"
                        });
                    }
                    log(line);
                    if verbose {
                        log(format!("detail: {}", details(&session.conn)));
                    }
                }
                Happening::Data(data) => {
                    out.write_all(&data)
                        .and_then(|()| out.flush())
                        .map_err(|e| CliError::new(format!("writing output: {e}")))?;
                }
                Happening::Renegotiated => {
                    renegotiation_pending.set(false);
                    log(format!("renegotiated {}", summary(&session.conn)));
                }
                Happening::PeerClosed => {}
            }
        }
        Ok(())
    };

    let events = session.drain()?;
    act(session, events)?;
    let mut key_update_sent = !key_update;
    let mut renegotiation_started = !renegotiate;
    loop {
        if session.handshake_done && !key_update_sent {
            key_update_sent = true;
            let events = session.key_update()?;
            act(session, events)?;
        }
        if session.handshake_done && !renegotiation_started {
            renegotiation_started = true;
            renegotiation_pending.set(true);
            let events = session.renegotiate()?;
            act(session, events)?;
        }
        if session.peer_closed {
            // Answer the peer's close_notify with ours, then we are done.
            session.close()?;
            return Ok(());
        }
        if session.handshake_done
            && !renegotiation_pending.get()
            && !pending_local.is_empty()
            && !session.we_closed
        {
            let data = std::mem::take(&mut pending_local);
            let events = session.send(&data)?;
            act(session, events)?;
        }
        if let (Some(n), Some(_)) = (close_after, local_closed_at) {
            if session.received >= n && close_deadline.is_none() {
                session.close()?;
                close_deadline = Some(StdInstant::now() + LINGER);
            }
        }
        let deadline = if !session.handshake_done {
            started + handshake_timeout
        } else if let Some(d) = close_deadline {
            d
        } else if let Some(eof) = local_closed_at {
            eof.max(last_rx) + wait
        } else {
            StdInstant::now() + Duration::from_secs(3600)
        };
        match session.recv_until(rx, tag, deadline)? {
            None => {
                if !session.handshake_done {
                    return Err(CliError::new(format!(
                        "handshake timed out after {} s (in state {})",
                        handshake_timeout.as_secs(),
                        session.conn.handshake_state()
                    )));
                }
                if close_deadline.is_some() {
                    // The peer did not answer our close_notify; that is fine.
                    return Ok(());
                }
                if local_closed_at.is_some() {
                    session.close()?;
                    close_deadline = Some(StdInstant::now() + LINGER);
                }
            }
            Some(Input::Net(data)) => {
                last_rx = StdInstant::now();
                let events = session.feed(data)?;
                act(session, events)?;
            }
            Some(Input::Completed(id, result)) => {
                let events = session.complete(id, result)?;
                act(session, events)?;
            }
            Some(Input::NetClosed(detail)) => {
                if session.we_closed {
                    return Ok(());
                }
                return Err(session.eof_error(detail));
            }
            Some(Input::Local(data)) => {
                if local_closed_at.is_none() {
                    pending_local.extend_from_slice(&data);
                }
            }
            Some(Input::LocalClosed) => {
                local_closed_at.get_or_insert_with(StdInstant::now);
            }
        }
    }
}
