//! `embertls server`: accept connections one at a time; echo, or copy data
//! between the connection and standard input/output.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use embertls::{Connection, ServerConfig};
use embertls_pkcs11::Pkcs11Worker;

use super::args::ServerOptions;
use super::session::{
    details, recv_until, spawn_local_reader, spawn_socket_reader, summary, Happening, Input,
    Message, Session,
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
}

/// Runs `embertls server`.
pub fn run(opts: &ServerOptions) -> Result<(), CliError> {
    let config = Arc::new(config::server_config(opts)?);
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
    } = params;
    let started = StdInstant::now();
    let mut close_deadline: Option<StdInstant> = None;
    let mut pending_local: Vec<u8> = Vec::new();
    loop {
        if session.peer_closed {
            session.close()?;
            return Ok(());
        }
        if session.handshake_done && !pending_local.is_empty() {
            let data = std::mem::take(&mut pending_local);
            session.send(&data)?;
        }
        let deadline = if !session.handshake_done {
            started + handshake_timeout
        } else if let Some(d) = close_deadline {
            d
        } else {
            StdInstant::now() + Duration::from_secs(3600)
        };
        match recv_until(rx, tag, deadline)? {
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
                let mut events = match input {
                    Input::Completed(id, result) => session.complete(id, result)?,
                    Input::Net(data) => session.feed(&data)?,
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
