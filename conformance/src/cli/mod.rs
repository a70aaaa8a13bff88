//! The `embertls` command-line tool: a TLS client and server modelled on
//! `openssl s_client` / `s_server`, and a self-contained demo.
//!
//! Blocking `std::net` sockets; one thread reads the socket and one reads
//! standard input, and both feed a channel that the connection loop drains
//! (see [`session`]).

pub mod args;
pub mod client;
pub mod config;
pub mod demo;
pub mod server;
pub mod session;

use std::fmt;
use std::process::ExitCode;

pub use args::{ClientOptions, Command, ServerOptions, TlsOptions};

/// Exit status for a bad command line.
pub const EXIT_USAGE: u8 = 2;
/// Exit status for every other failure.
pub const EXIT_FAILURE: u8 = 1;

/// A failure to report as `embertls: error: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub message: String,
    /// The command line was wrong (exit status 2, not 1).
    pub usage: bool,
}

impl CliError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            usage: false,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            usage: true,
        }
    }

    pub fn exit_code(&self) -> u8 {
        if self.usage {
            EXIT_USAGE
        } else {
            EXIT_FAILURE
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<embertls::Error> for CliError {
    fn from(e: embertls::Error) -> Self {
        CliError::new(e.to_string())
    }
}

/// Runs the tool with the arguments after the program name.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let mut strings = Vec::new();
    for arg in args {
        match arg.into_string() {
            Ok(s) => strings.push(s),
            Err(raw) => {
                eprintln!("embertls: error: argument {raw:?} is not valid UTF-8");
                return ExitCode::from(EXIT_USAGE);
            }
        }
    }
    match run(&strings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("embertls: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Parses and runs one command.
pub fn run(args: &[String]) -> Result<(), CliError> {
    match args::parse(args)? {
        Command::Help(topic) => {
            print!("{}", help(topic));
            Ok(())
        }
        Command::Version => {
            println!("embertls {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Client(opts) => client::run(&opts),
        Command::Server(opts) => server::run(&opts),
        Command::Demo => demo::run(),
    }
}

const TOP_HELP: &str = "\
embertls: a TLS 1.2 and 1.3 client and server built on the embertls engine

Usage:
  embertls client HOST:PORT [options]   connect, send standard input, print what arrives
  embertls server [options]             accept connections (like openssl s_server)
  embertls demo                         client and server in one process over loopback
  embertls help COMMAND                 options of one command (or COMMAND --help)
  embertls --version

After each handshake one summary line goes to standard error:
  embertls: version=TLSv1.3 suite=TLS_AES_128_GCM_SHA256 group=x25519 alpn=- verify=ok
(--dtls: DTLS 1.2 over UDP; the line then ends with cid=HEX|- srtp=PROFILE|-)
Errors print 'embertls: error: ...' and exit with status 1 (2 for a bad command line).
";

const COMMON_HELP: &str = "\
TLS options (client and server):
  --ca PEM                 trust anchors for the peer's certificate
  --verify MODE            none | optional | required
  --cert PEM --key PEM     our certificate chain and private key (PKCS#8, SEC1 or PKCS#1 PEM)
  --pkcs11-module PATH     instead of --key: the private key stays in a PKCS#11 token
  --pkcs11-token LABEL       (an HSM; SoftHSM2's module is /usr/lib/softhsm/libsofthsm2.so),
  --pkcs11-key LABEL         found by label or by --pkcs11-key-id HEX; the PIN comes from
  --pkcs11-pin PIN           --pkcs11-pin or EMBERTLS_PKCS11_PIN. Signatures are made on a
                             worker thread, never on the connection's
  --alpn LIST              ALPN protocols, comma-separated, preferred first (h2,http/1.1)
  --groups LIST            key-exchange groups, preferred first, separated by ',' or ':':
                           x25519, secp256r1 (P-256), secp384r1 (P-384),
                           ffdhe2048, ffdhe3072, ffdhe4096
  --suites LIST            cipher suites, preferred first, by IANA, Mbed TLS or OpenSSL
                           name: TLS_AES_128_GCM_SHA256, TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256,
                           ECDHE-RSA-AES256-SHA384, ... (TLS 1.3 and TLS 1.2 suites)
  --min-version V          lowest protocol version: 1.2 or 1.3 (default 1.2)
  --max-version V          highest protocol version: 1.2 or 1.3 (default 1.3)
  --psk HEX --psk-identity ID
                           pre-shared key for the TLS 1.2 PSK suites (PSK, DHE-PSK,
                           ECDHE-PSK, RSA-PSK); the server accepts this one identity
  --renegotiate            TLS 1.2: client renegotiates once right after the handshake;
                           server accepts renegotiation (secure renegotiation only)
  --allow-renegotiation    TLS 1.2: accept a renegotiation the peer starts (secure only)
  --no-etm                 TLS 1.2: neither offer nor accept Encrypt-then-MAC (RFC 7366)
  --allow-mac-then-encrypt TLS 1.2: allow CBC suites without Encrypt-then-MAC
  --no-ems                 TLS 1.2: neither offer nor accept the extended master secret
  --max-record-size N      largest record we accept (64..16384), advertised to the
                           peer with record_size_limit (RFC 8449) when below 16384
  --keylog FILE            append secrets (TLS 1.3 traffic secrets, TLS 1.2 master
                           secrets) to FILE in NSS key-log format
                           (SSLKEYLOGFILE), for Wireshark; debugging only
  --key-update             right after the handshake, send a KeyUpdate that asks the
                           peer to update its keys too
  --timeout SECS           give up on a handshake after SECS seconds (default 10)
  --dtls                   DTLS 1.2 over UDP instead of TLS over TCP (HelloVerifyRequest
                           cookies, retransmission, one record per datagram); the
                           summary line adds cid=HEX|- (the peer's connection ID)
                           and srtp=PROFILE|-
  --mtu N                  DTLS: largest datagram we send (200..65535, default 1400)
  --cid HEX                DTLS: our connection ID (RFC 9146), enables the extension
  --cid-len N              DTLS: a random connection ID of N bytes instead (0: use
                           the peer's CID without asking for one)
  --srtp LIST              DTLS-SRTP profiles (RFC 5764), preferred first:
                           SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AES128_CM_HMAC_SHA1_32,
                           SRTP_NULL_HMAC_SHA1_80, SRTP_NULL_HMAC_SHA1_32 (the
                           SRTP_ prefix may be left out)
  -v, --verbose            also print 'embertls: detail: ...' lines (HelloRetryRequest,
                           client authentication, SNI, peer chain length)
  -h, --help               this help
";

const CLIENT_HELP: &str = "\
Usage: embertls client HOST:PORT [options]

Connects to HOST:PORT, sends standard input as application data and writes
the data that arrives to standard output. After standard input ends and the
peer has been quiet for --wait milliseconds (or as soon as the peer closes),
sends close_notify and exits: status 0 on a clean close, 1 on any failure.

Client options:
  --servername NAME        name for SNI and the certificate check (default: HOST)
  --insecure, -k           do not verify the server's certificate (verify=skipped)
  --wait MS                quiet time after standard input ends (default 400)
  --reconnect              connect once to get a session (ticket or TLS 1.2 session id),
                           then again resuming it; each summary line ends with resumed=yes|no
  --cert PEM --key PEM     client certificate for client authentication
  --fallback-scsv          send TLS_FALLBACK_SCSV (RFC 7507), as a client retrying
                           with a lower --max-version does
  --min-dh-bits N          smallest DHE prime accepted from the server (default 2048)
  --max-fragment-length N  TLS 1.2: ask for max_fragment_length 512, 1024, 2048 or 4096
  --srtp-mki HEX           DTLS-SRTP: the MKI to offer with --srtp
  Without --ca the system trust store is used (SSL_CERT_FILE, or
  /etc/ssl/certs/ca-certificates.crt); --verify defaults to required.

";

const SERVER_HELP: &str = "\
Usage: embertls server --cert PEM --key PEM [--accept ADDR] [options]
       embertls server --cert PEM --pkcs11-module PATH --pkcs11-token LABEL
                       --pkcs11-key LABEL [--pkcs11-pin PIN] [options]

Listens on ADDR (default 127.0.0.1:4433; port 0 picks a free port) and serves
connections one at a time. With --dtls it binds a UDP port instead: the first
ClientHello names the client, and datagrams from other addresses are ignored
until that connection ends. Prints 'embertls: listening on ADDR' to standard
error when ready, and a summary line after each handshake.

Server options:
  --accept ADDR            listening address: HOST:PORT, [V6]:PORT or just PORT
  --echo                   send every received byte back (otherwise received data
                           goes to standard output and standard input goes to
                           the connected client)
  --once                   exit after the first connection ends (status 0 when it
                           closed cleanly, 1 when it failed)
  --no-tickets             issue no session tickets (no resumption)
  --session-cache          TLS 1.2: keep a session-ID cache for resumption
  --dh-params PEM          TLS 1.2: DH parameters (openssl dhparam) for DHE when the
                           client names no RFC 7919 group (default ffdhe2048)
  --no-cookies             DTLS: answer ClientHellos directly, without the
                           HelloVerifyRequest cookie exchange
  --ca PEM --verify MODE   client authentication: with --ca, --verify defaults to
                           required; 'optional' asks for a certificate but lets the
                           handshake go on without (or with a bad) one

";

const DEMO_HELP: &str = "\
Usage: embertls demo

Generates a self-signed ECDSA P-256 certificate for 'localhost' (rcgen), starts
a server thread on a free loopback port and connects a client to it, prints
what both sides negotiated, sends \"hello\" and checks that it comes back.
Exits 0 on success.
";

/// The help text for the tool or one command.
pub fn help(topic: Option<&str>) -> String {
    match topic {
        Some("client") => format!("{CLIENT_HELP}{COMMON_HELP}"),
        Some("server") => format!("{SERVER_HELP}{COMMON_HELP}"),
        Some("demo") => DEMO_HELP.to_string(),
        _ => TOP_HELP.to_string(),
    }
}
