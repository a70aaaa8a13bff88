//! `embertls server`: accept connections one at a time; echo, or copy data
//! between the connection and standard input/output.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use embertls::{Connection, ServerConfig};
use embertls_pkcs11::Pkcs11Worker;

use super::args::ServerOptions;
use super::session::{
    details, spawn_local_reader, spawn_socket_reader, spawn_udp_reader, summary, Happening, Input,
    Message, Session, SharedPeer,
};
use super::{config, CliError};

/// How long we wait for the peer's close_notify after sending ours.
const LINGER: Duration = Duration::from_secs(1);

/// How the per-connection loop behaves.
pub struct ServerParams<'a> {
    pub echo: bool,
    pub handshake_timeout: Duration,
    pub verbose: bool,
    /// Send a KeyUpdate right after the handshake.
    pub key_update: bool,
    /// Received application data goes here (unless echoing).
    pub out: &'a mut dyn Write,
    /// Status lines (without the `embertls: ` prefix).
    pub log: &'a mut dyn FnMut(String),
    /// Serves pending operations (signatures with a key in a PKCS#11
    /// token) off the connection's thread; `None` performs them inline.
    pub worker: Option<Arc<Pkcs11Worker>>,
    /// DTLS: the handshake timeout starts with the client's first
    /// datagram, not when the loop starts.
    pub wait_for_client: bool,
}

/// Runs `embertls server`.
pub fn run(opts: &ServerOptions) -> Result<(), CliError> {
    let config = Arc::new(config::server_config(opts)?);
    if opts.tls.dtls.enabled {
        return run_dtls(opts, &config);
    }
    let listener = TcpListener::bind(&opts.accept)
        .map_err(|e| CliError::new(format!("cannot listen on {}: {e}", opts.accept)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::new(format!("listening socket: {e}")))?;
    eprintln!("embertls: listening on {addr}");
    let (tx, rx) = channel();
    if !opts.echo {
        spawn_local_reader(io::stdin(), tx.clone());
    }
    let mut log = |line: String| eprintln!("embertls: {line}");
    let stdout = io::stdout();
    // Keys in a PKCS#11 token sign on a worker thread.
    let worker = opts
        .tls
        .pkcs11
        .is_used()
        .then(|| Arc::new(Pkcs11Worker::new(1).0));
    if let (true, Some(token)) = (opts.tls.verbose, &opts.tls.pkcs11.token) {
        log(format!(
            "detail: private key in PKCS#11 token {token}, signing on a worker thread"
        ));
    }
    let mut tag = 0u64;
    for stream in listener.incoming() {
        let sock = match stream {
            Ok(s) => s,
            Err(e) => {
                log(format!("error: accept failed: {e}"));
                continue;
            }
        };
        tag += 1;
        if opts.tls.verbose {
            if let Ok(peer) = sock.peer_addr() {
                log(format!("detail: connection from {peer}"));
            }
        }
        let mut out = stdout.lock();
        let result = serve(
            &config,
            sock,
            tag,
            &tx,
            &rx,
            ServerParams {
                echo: opts.echo,
                handshake_timeout: opts.tls.handshake_timeout,
                verbose: opts.tls.verbose,
                key_update: opts.tls.key_update,
                out: &mut out,
                log: &mut log,
                worker: worker.clone(),
                wait_for_client: false,
            },
        );
        drop(out);
        if opts.once {
            return result;
        }
        match result {
            Ok(()) if opts.tls.verbose => log("detail: connection closed".into()),
            Ok(()) => {}
            Err(e) => log(format!("error: {e}")),
        }
    }
    Ok(())
}

/// `embertls server --dtls`: one UDP socket, one client at a time. The
/// first ClientHello names the client; other addresses are ignored until
/// its connection ends.
fn run_dtls(opts: &ServerOptions, config: &Arc<ServerConfig>) -> Result<(), CliError> {
    let sock = UdpSocket::bind(&opts.accept)
        .map_err(|e| CliError::new(format!("cannot bind UDP {}: {e}", opts.accept)))?;
    let addr = sock
        .local_addr()
        .map_err(|e| CliError::new(format!("UDP socket: {e}")))?;
    let clone = |sock: &UdpSocket| {
        sock.try_clone()
            .map_err(|e| CliError::new(format!("UDP socket: {e}")))
    };
    let (tx, rx) = channel();
    let peer: SharedPeer = Default::default();
    spawn_udp_reader(clone(&sock)?, peer.clone(), true, NET, tx.clone());
    // The same line as over TCP: scripts wait for it.
    eprintln!("embertls: listening on {addr}");
    if opts.tls.verbose {
        eprintln!("embertls: detail: DTLS over UDP, one client at a time");
    }
    if !opts.echo {
        spawn_local_reader(io::stdin(), tx.clone());
    }
    let mut log = |line: String| eprintln!("embertls: {line}");
    let stdout = io::stdout();
    let worker = opts
        .tls
        .pkcs11
        .is_used()
        .then(|| Arc::new(Pkcs11Worker::new(1).0));
    loop {
        let mut conn = Connection::server(config.clone(), embertls::Instant::ZERO)?;
        if let Some(cid) = &opts.tls.dtls.cid {
            conn.set_cid(Some(cid))?;
        }
        let mut session = Session::new_udp(conn, clone(&sock)?, peer.clone(), StdInstant::now());
        if let Some(worker) = &worker {
            session.set_worker(worker.clone(), tx.clone(), NET);
        }
        let mut out = stdout.lock();
        let result = drive(
            &mut session,
            &rx,
            NET,
            ServerParams {
                echo: opts.echo,
                handshake_timeout: opts.tls.handshake_timeout,
                verbose: opts.tls.verbose,
                key_update: false,
                out: &mut out,
                log: &mut log,
                worker: worker.clone(),
                wait_for_client: true,
            },
        );
        drop(out);
        let client = *peer.lock().unwrap();
        // Forget the client: the next ClientHello, from anyone, starts the
        // next connection.
        session.shutdown();
        if opts.tls.verbose {
            if let Some(client) = client {
                log(format!("detail: connection from {client} ended"));
            }
        }
        if session.client_reconnect {
            log("detail: the client started a new handshake; starting a new connection".into());
            if result.is_ok() {
                continue;
            }
        }
        if opts.once {
            return result;
        }
        if let Err(e) = result {
            log(format!("error: {e}"));
        }
    }
}

/// Tag of the DTLS server's socket messages.
const NET: u64 = 1;

/// Serves one accepted connection until it closes.
pub fn serve(
    config: &Arc<ServerConfig>,
    sock: TcpStream,
    tag: u64,
    tx: &Sender<Message>,
    rx: &Receiver<Message>,
    params: ServerParams<'_>,
) -> Result<(), CliError> {
    let origin = StdInstant::now();
    let conn = Connection::server(config.clone(), embertls::Instant::ZERO)?;
    let reader = sock
        .try_clone()
        .map_err(|e| CliError::new(format!("socket: {e}")))?;
    spawn_socket_reader(reader, tag, tx.clone());
    let mut session = Session::new(conn, sock, origin);
    if let Some(worker) = &params.worker {
        session.set_worker(worker.clone(), tx.clone(), tag);
    }
    let result = drive(&mut session, rx, tag, params);
    session.shutdown();
    result
}

/// The server's per-connection loop.
pub fn drive(
    session: &mut Session,
    rx: &Receiver<Message>,
    tag: u64,
    params: ServerParams<'_>,
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
    params: ServerParams<'_>,
) -> Result<(), CliError> {
    let ServerParams {
        echo,
        handshake_timeout,
        verbose,
        key_update,
        out,
        log,
        worker: _,
        wait_for_client,
    } = params;
    let mut started = (!wait_for_client).then(StdInstant::now);
    let mut close_deadline: Option<StdInstant> = None;
    let mut pending_local: Vec<u8> = Vec::new();
    loop {
        if session.peer_closed {
            session.close()?;
            return Ok(());
        }
        if session.client_reconnect {
            return Ok(());
        }
        if session.handshake_done && !pending_local.is_empty() {
            let data = std::mem::take(&mut pending_local);
            session.send(&data)?;
        }
        let deadline = if !session.handshake_done {
            match started {
                Some(started) => started + handshake_timeout,
                None => StdInstant::now() + Duration::from_secs(3600),
            }
        } else if let Some(d) = close_deadline {
            d
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
                    return Ok(());
                }
            }
            Some(input @ (Input::Net(_) | Input::Completed(..))) => {
                started.get_or_insert_with(StdInstant::now);
                let mut events = match input {
                    Input::Completed(id, result) => session.complete(id, result)?,
                    Input::Net(data) => session.feed(data)?,
                    _ => Vec::new(),
                };
                while !events.is_empty() {
                    let mut more = Vec::new();
                    for event in events {
                        match event {
                            Happening::HandshakeComplete => {
                                log(summary(&session.conn));
                                if verbose {
                                    log(format!("detail: {}", details(&session.conn)));
                                }
                                if key_update {
                                    more.extend(session.key_update()?);
                                }
                            }
                            Happening::Renegotiated => {
                                log(format!("renegotiated {}", summary(&session.conn)));
                            }
                            Happening::Data(data) if echo => {
                                if !session.we_closed {
                                    more.extend(session.send(&data)?);
                                }
                            }
                            Happening::Data(data) => {
                                out.write_all(&data)
                                    .and_then(|()| out.flush())
                                    .map_err(|e| CliError::new(format!("writing output: {e}")))?;
                            }
                            Happening::PeerClosed => {}
                        }
                    }
                    events = more;
                }
            }
            Some(Input::NetClosed(detail)) => {
                if session.we_closed {
                    return Ok(());
                }
                return Err(session.eof_error(detail));
            }
            Some(Input::Local(data)) => {
                if !echo {
                    pending_local.extend_from_slice(&data);
                }
            }
            Some(Input::LocalClosed) => {}
        }
        if close_deadline.is_none() && session.we_closed {
            close_deadline = Some(StdInstant::now() + LINGER);
        }
    }
}
