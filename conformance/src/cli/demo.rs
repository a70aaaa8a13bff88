//! `embertls demo`: a client and a server in one process over loopback TCP,
//! with a certificate generated at run time.

use std::net::TcpListener;
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant as StdInstant};

use embertls::config::{CertifiedKey, SingleCertAndKey};
use embertls::verify::{RootStore, VerifyMode};
use embertls::{ClientConfig, Connection, ServerConfig};
use rustls_pki_types::CertificateDer;

use super::client::{self, ClientParams};
use super::server::{self, ServerParams};
use super::session::{spawn_socket_reader, Input, Session, LOCAL};
use super::{config, CliError};

/// The name the demo certificate is issued for.
const NAME: &str = "localhost";
const PAYLOAD: &[u8] = b"hello";

/// What the demo saw, for the caller to print or check.
#[derive(Debug, Default)]
pub struct DemoReport {
    pub address: String,
    pub client_summary: String,
    pub server_summary: String,
    pub echoed: Vec<u8>,
}

/// A self-signed ECDSA P-256 certificate for `NAME`: DER certificate and
/// PKCS#8 DER private key.
pub fn self_signed_p256() -> Result<(Vec<u8>, Vec<u8>), CliError> {
    let fail = |e: rcgen::Error| CliError::new(format!("certificate generation failed: {e}"));
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(fail)?;
    let params = rcgen::CertificateParams::new(vec![NAME.to_string()]).map_err(fail)?;
    let cert = params.self_signed(&key).map_err(fail)?;
    Ok((cert.der().to_vec(), key.serialize_der()))
}

/// Runs the demo and prints what happened.
pub fn run() -> Result<(), CliError> {
    println!("embertls demo: generating a self-signed ECDSA P-256 certificate for {NAME} (rcgen)");
    let report = run_demo()?;
    println!("embertls demo: server listening on {}", report.address);
    println!("client: {}", report.client_summary);
    println!("server: {}", report.server_summary);
    println!(
        "embertls demo: client sent {:?}, received {:?} back",
        String::from_utf8_lossy(PAYLOAD),
        String::from_utf8_lossy(&report.echoed)
    );
    if report.echoed != PAYLOAD {
        return Err(CliError::new("demo failed: the echo did not match"));
    }
    println!("embertls demo: ok");
    Ok(())
}

/// Does the work of `run` without printing.
pub fn run_demo() -> Result<DemoReport, CliError> {
    let provider = config::provider();
    let (cert_der, key_der) = self_signed_p256()?;
    let key = provider
        .key_loader
        .load_private_key(&key_der)
        .map_err(|e| {
            CliError::new(format!(
                "loading the generated key: {}",
                embertls::Error::from(e)
            ))
        })?;
    let certified = Arc::new(CertifiedKey::new(
        vec![CertificateDer::from(cert_der.clone())],
        key,
    ));
    let alpn = vec![b"embertls-demo/1".to_vec(), b"http/1.1".to_vec()];

    let mut server_config =
        ServerConfig::new(provider.clone(), Arc::new(SingleCertAndKey(certified)));
    server_config.common.alpn_protocols = alpn.clone();
    let server_config = Arc::new(server_config);

    let mut client_config = ClientConfig::new(provider);
    let mut roots = RootStore::new();
    roots.add_der(&cert_der)?;
    client_config.common.roots = roots;
    client_config.common.verify_mode = VerifyMode::Required;
    client_config.common.alpn_protocols = alpn;

    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| CliError::new(format!("cannot listen on loopback: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| CliError::new(format!("listening socket: {e}")))?;

    let server = thread::spawn(move || -> Result<String, CliError> {
        let (sock, _) = listener
            .accept()
            .map_err(|e| CliError::new(format!("accept failed: {e}")))?;
        let (tx, rx) = channel();
        let mut lines = Vec::new();
        let mut sink = Vec::new();
        let result = server::serve(
            &server_config,
            sock,
            1,
            &tx,
            &rx,
            ServerParams {
                wait_for_client: false,
                echo: true,
                handshake_timeout: Duration::from_secs(10),
                verbose: false,
                key_update: false,
                out: &mut sink,
                log: &mut |l| lines.push(l),
                worker: None,
            },
        );
        result.map_err(|e| CliError::new(format!("server: {e}")))?;
        lines
            .into_iter()
            .next()
            .ok_or_else(|| CliError::new("server: no handshake summary"))
    });

    let sock = client::connect("127.0.0.1", address.port())?;
    let origin = StdInstant::now();
    let conn = Connection::client(Arc::new(client_config), Some(NAME), embertls::Instant::ZERO)?;
    let (tx, rx) = channel();
    spawn_socket_reader(
        sock.try_clone()
            .map_err(|e| CliError::new(format!("socket: {e}")))?,
        1,
        tx.clone(),
    );
    tx.send((LOCAL, Input::Local(PAYLOAD.to_vec())))
        .and_then(|()| tx.send((LOCAL, Input::LocalClosed)))
        .map_err(|_| CliError::new("internal error: channel closed"))?;
    let mut session = Session::new(conn, sock, origin);
    let mut echoed = Vec::new();
    let mut lines = Vec::new();
    let result = client::drive(
        &mut session,
        &rx,
        1,
        ClientParams {
            wait: Duration::from_secs(2),
            handshake_timeout: Duration::from_secs(10),
            verbose: false,
            key_update: false,
            renegotiate: false,
            close_after: Some(PAYLOAD.len()),
            report_resumption: false,
            out: &mut echoed,
            log: &mut |l| lines.push(l),
        },
    );
    session.shutdown();
    result.map_err(|e| CliError::new(format!("client: {e}")))?;
    let server_summary = server
        .join()
        .map_err(|_| CliError::new("server thread panicked"))??;
    Ok(DemoReport {
        address: address.to_string(),
        client_summary: lines
            .into_iter()
            .next()
            .ok_or_else(|| CliError::new("client: no handshake summary"))?,
        server_summary,
        echoed,
    })
}
