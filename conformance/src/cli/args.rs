//! Command-line parsing for `embertls`: hand-rolled, strict, with messages
//! that say which option was wrong and why.

use std::path::PathBuf;
use std::time::Duration;

use embertls::config::SrtpProfile;
use embertls::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use embertls::suites;
use embertls::verify::VerifyMode;

use super::CliError;

/// Options shared by `client` and `server`.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsOptions {
    /// Trust anchors for the peer's certificate.
    pub ca: Option<PathBuf>,
    /// How strictly to check the peer's certificate (`None` = the command's default).
    pub verify: Option<VerifyMode>,
    /// Our certificate chain and key (server: required; client: for client auth).
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// ALPN protocols in preference order; empty = no ALPN.
    pub alpn: Vec<Vec<u8>>,
    /// Key-exchange groups in preference order (`None` = provider defaults).
    pub groups: Option<Vec<NamedGroup>>,
    /// Cipher suites in preference order (`None` = provider defaults).
    pub suites: Option<Vec<CipherSuite>>,
    pub min_version: Option<ProtocolVersion>,
    pub max_version: Option<ProtocolVersion>,
    /// Print a second, detailed line after the summary.
    pub verbose: bool,
    /// Send a KeyUpdate (asking the peer to update too) right after the
    /// handshake, before any application data.
    pub key_update: bool,
    /// Largest record plaintext we accept (advertised with
    /// record_size_limit when below 16384).
    pub max_record_size: Option<usize>,
    /// How long a handshake may take.
    pub handshake_timeout: Duration,
    /// Append traffic secrets to this file in NSS key-log format.
    pub keylog: Option<std::path::PathBuf>,
    /// Our private key in a PKCS#11 token instead of `key`.
    pub pkcs11: Pkcs11Options,
    /// Pre-shared key for TLS 1.2 PSK suites (`--psk HEX`).
    pub psk: Option<Vec<u8>>,
    /// Identity naming the PSK (`--psk-identity ID`).
    pub psk_identity: Option<String>,
    /// Client: renegotiate once after the handshake (TLS 1.2); server:
    /// accept client-initiated renegotiation.
    pub renegotiate: bool,
    /// Accept a renegotiation the peer starts (TLS 1.2), without starting one.
    pub allow_renegotiation: bool,
    /// TLS 1.2: allow CBC suites without Encrypt-then-MAC.
    pub allow_mac_then_encrypt: bool,
    /// TLS 1.2: do not offer or accept Encrypt-then-MAC.
    pub no_etm: bool,
    /// TLS 1.2: do not offer or accept the extended master secret.
    pub no_ems: bool,
    /// DTLS 1.2 over UDP (`--dtls` and its options).
    pub dtls: DtlsArgs,
}

/// `--dtls` and the options that only apply to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DtlsArgs {
    /// DTLS 1.2 over UDP instead of TLS over TCP.
    pub enabled: bool,
    /// Largest datagram we send (`--mtu`).
    pub mtu: Option<usize>,
    /// Our connection ID (`--cid HEX`), which enables the extension.
    pub cid: Option<Vec<u8>>,
    /// A random connection ID of this length (`--cid-len N`; 0 accepts
    /// the peer's CID without asking for one).
    pub cid_len: Option<usize>,
    /// DTLS-SRTP profiles, preferred first (`--srtp`).
    pub srtp: Vec<SrtpProfile>,
    /// Client: the SRTP MKI to offer (`--srtp-mki`).
    pub srtp_mki: Option<Vec<u8>>,
}

impl DtlsArgs {
    /// The first DTLS-only option given, for the "needs --dtls" message.
    fn first_used(&self) -> Option<&'static str> {
        if self.mtu.is_some() {
            Some("--mtu")
        } else if self.cid.is_some() {
            Some("--cid")
        } else if self.cid_len.is_some() {
            Some("--cid-len")
        } else if !self.srtp.is_empty() {
            Some("--srtp")
        } else if self.srtp_mki.is_some() {
            Some("--srtp-mki")
        } else {
            None
        }
    }
}

/// `--pkcs11-*`: a private key that stays in a PKCS#11 token (an HSM,
/// SoftHSM2); signatures are made on a worker thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Options {
    /// The PKCS#11 module (shared library) to load.
    pub module: Option<PathBuf>,
    /// Label of the token.
    pub token: Option<String>,
    /// User PIN; `None` = from the environment variable [`PIN_ENV`].
    pub pin: Option<String>,
    /// Label (`CKA_LABEL`) of the private key.
    pub key_label: Option<String>,
    /// Id (`CKA_ID`) of the private key, decoded from hex.
    pub key_id: Option<Vec<u8>>,
}

/// Where the PIN comes from when `--pkcs11-pin` is not given (keeps it out
/// of the process list).
pub const PIN_ENV: &str = "EMBERTLS_PKCS11_PIN";

impl Pkcs11Options {
    /// Whether any `--pkcs11-*` option was given.
    pub fn is_used(&self) -> bool {
        *self != Self::default()
    }
}

impl Default for TlsOptions {
    fn default() -> Self {
        Self {
            ca: None,
            verify: None,
            cert: None,
            key: None,
            alpn: Vec::new(),
            groups: None,
            suites: None,
            min_version: None,
            max_version: None,
            verbose: false,
            key_update: false,
            max_record_size: None,
            keylog: None,
            handshake_timeout: Duration::from_secs(10),
            pkcs11: Pkcs11Options::default(),
            psk: None,
            psk_identity: None,
            renegotiate: false,
            allow_renegotiation: false,
            allow_mac_then_encrypt: false,
            no_etm: false,
            no_ems: false,
            dtls: DtlsArgs::default(),
        }
    }
}

/// `embertls client HOST:PORT ...`
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOptions {
    /// Host name or address to connect to (brackets of IPv6 literals removed).
    pub host: String,
    pub port: u16,
    /// Name for SNI and the certificate check; defaults to `host`.
    pub servername: Option<String>,
    /// Skip certificate verification (verify mode None).
    pub insecure: bool,
    /// Quiet time after standard input ends before we close.
    pub wait: Duration,
    /// Connect once to collect a session ticket, then again resuming it.
    pub reconnect: bool,
    /// Send TLS_FALLBACK_SCSV (RFC 7507).
    pub fallback_scsv: bool,
    /// Smallest DHE prime accepted, in bits (`None` = the engine's 2048).
    pub min_dh_bits: Option<usize>,
    /// Ask for max_fragment_length (512, 1024, 2048 or 4096).
    pub max_fragment_length: Option<u16>,
    pub tls: TlsOptions,
}

impl ClientOptions {
    /// The name used for SNI and certificate checks.
    pub fn server_name(&self) -> &str {
        self.servername.as_deref().unwrap_or(&self.host)
    }
}

/// `embertls server --accept ADDR ...`
#[derive(Debug, Clone, PartialEq)]
pub struct ServerOptions {
    pub accept: String,
    pub echo: bool,
    pub once: bool,
    /// Issue session tickets (on unless --no-tickets).
    pub tickets: bool,
    /// Keep a TLS 1.2 session-ID cache (--session-cache).
    pub session_cache: bool,
    /// DH parameters (PEM `DH PARAMETERS`) for DHE when the client names no
    /// RFC 7919 group (--dh-params).
    pub dh_params: Option<PathBuf>,
    /// DTLS: answer ClientHellos without a valid cookie with a
    /// HelloVerifyRequest (on unless --no-cookies).
    pub cookies: bool,
    pub tls: TlsOptions,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Client(ClientOptions),
    Server(ServerOptions),
    Demo,
    /// Help for the whole tool (`None`) or for one command.
    Help(Option<&'static str>),
    Version,
}

/// Where an option may appear.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Client,
    Server,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Client => "client",
            Scope::Server => "server",
        }
    }
}

/// Walks the arguments: `--name value`, `--name=value`, flags, positionals.
struct Args {
    items: Vec<String>,
    pos: usize,
}

enum Item {
    Option {
        name: String,
        inline: Option<String>,
    },
    Positional(String),
}

impl Args {
    fn next(&mut self) -> Option<Item> {
        let arg = self.items.get(self.pos)?.clone();
        self.pos += 1;
        if arg.len() > 1 && arg.starts_with('-') {
            if let Some((name, value)) = arg.split_once('=') {
                if name.starts_with("--") {
                    return Some(Item::Option {
                        name: name.to_string(),
                        inline: Some(value.to_string()),
                    });
                }
            }
            return Some(Item::Option {
                name: arg,
                inline: None,
            });
        }
        Some(Item::Positional(arg))
    }

    fn value(&mut self, name: &str, inline: Option<String>) -> Result<String, CliError> {
        if let Some(v) = inline {
            return Ok(v);
        }
        match self.items.get(self.pos) {
            Some(v) => {
                self.pos += 1;
                Ok(v.clone())
            }
            None => Err(CliError::usage(format!("option '{name}' needs a value"))),
        }
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, CliError> {
    let Some(first) = args.first() else {
        return Err(CliError::usage(
            "missing command (client, server, demo); see 'embertls --help'",
        ));
    };
    let rest = &args[1..];
    match first.as_str() {
        "-h" | "--help" | "help" => match rest.first().map(String::as_str) {
            None => Ok(Command::Help(None)),
            Some(topic) => Ok(Command::Help(Some(help_topic(topic)?))),
        },
        "-V" | "--version" | "version" => Ok(Command::Version),
        "client" => parse_client(rest),
        "server" => parse_server(rest),
        "demo" => parse_demo(rest),
        other if other.starts_with('-') => Err(CliError::usage(format!(
            "unknown option '{other}' before the command; see 'embertls --help'"
        ))),
        other => Err(CliError::usage(format!(
            "unknown command '{other}' (expected client, server or demo); see 'embertls --help'"
        ))),
    }
}

fn help_topic(topic: &str) -> Result<&'static str, CliError> {
    match topic {
        "client" => Ok("client"),
        "server" => Ok("server"),
        "demo" => Ok("demo"),
        other => Err(CliError::usage(format!(
            "no help for '{other}' (commands: client, server, demo)"
        ))),
    }
}

fn parse_demo(args: &[String]) -> Result<Command, CliError> {
    match args.first().map(String::as_str) {
        None => Ok(Command::Demo),
        Some("-h" | "--help") => Ok(Command::Help(Some("demo"))),
        Some(other) => Err(CliError::usage(format!(
            "'embertls demo' takes no arguments (got '{other}')"
        ))),
    }
}

/// Handles an option both commands know. Returns `Ok(false)` when `name`
/// is not one of them.
fn common_option(
    tls: &mut TlsOptions,
    args: &mut Args,
    name: &str,
    inline: Option<String>,
) -> Result<bool, CliError> {
    match name {
        "--ca" | "--CAfile" => tls.ca = Some(PathBuf::from(args.value(name, inline)?)),
        "--verify" => tls.verify = Some(parse_verify(&args.value(name, inline)?)?),
        "--cert" => tls.cert = Some(PathBuf::from(args.value(name, inline)?)),
        "--key" => tls.key = Some(PathBuf::from(args.value(name, inline)?)),
        "--pkcs11-module" => tls.pkcs11.module = Some(PathBuf::from(args.value(name, inline)?)),
        "--pkcs11-token" => tls.pkcs11.token = Some(args.value(name, inline)?),
        "--pkcs11-pin" => tls.pkcs11.pin = Some(args.value(name, inline)?),
        "--pkcs11-key" => tls.pkcs11.key_label = Some(args.value(name, inline)?),
        "--pkcs11-key-id" => tls.pkcs11.key_id = Some(parse_hex(name, &args.value(name, inline)?)?),
        "--alpn" => tls.alpn = parse_alpn(&args.value(name, inline)?)?,
        "--groups" | "--curves" => tls.groups = Some(parse_groups(&args.value(name, inline)?)?),
        "--suites" | "--ciphersuites" => {
            tls.suites = Some(parse_suites(&args.value(name, inline)?)?)
        }
        "--min-version" => tls.min_version = Some(parse_version(name, &args.value(name, inline)?)?),
        "--max-version" => tls.max_version = Some(parse_version(name, &args.value(name, inline)?)?),
        "--timeout" => {
            let secs = parse_number(name, &args.value(name, inline)?)?;
            if secs == 0 {
                return Err(CliError::usage("--timeout must be at least 1 second"));
            }
            tls.handshake_timeout = Duration::from_secs(secs);
        }
        "--max-record-size" => {
            let n = parse_number(name, &args.value(name, inline)?)?;
            if !(64..=16384).contains(&n) {
                return Err(CliError::usage(format!(
                    "--max-record-size must be between 64 and 16384 (got {n})"
                )));
            }
            tls.max_record_size = Some(n as usize);
        }
        "--keylog" => tls.keylog = Some(args.value(name, inline)?.into()),
        "--psk" => {
            let psk = parse_hex(name, &args.value(name, inline)?)?;
            if psk.is_empty() || psk.len() > 256 {
                return Err(CliError::usage("--psk must be 1 to 256 bytes of hex"));
            }
            tls.psk = Some(psk);
        }
        "--psk-identity" => tls.psk_identity = Some(args.value(name, inline)?),
        "--renegotiate" => {
            no_value(name, inline)?;
            tls.renegotiate = true;
        }
        "--allow-renegotiation" => {
            no_value(name, inline)?;
            tls.allow_renegotiation = true;
        }
        "--allow-mac-then-encrypt" => {
            no_value(name, inline)?;
            tls.allow_mac_then_encrypt = true;
        }
        "--no-etm" => {
            no_value(name, inline)?;
            tls.no_etm = true;
        }
        "--no-ems" => {
            no_value(name, inline)?;
            tls.no_ems = true;
        }
        "--key-update" => {
            no_value(name, inline)?;
            tls.key_update = true;
        }
        "--dtls" => {
            no_value(name, inline)?;
            tls.dtls.enabled = true;
        }
        "--mtu" => {
            let n = parse_number(name, &args.value(name, inline)?)?;
            if !(200..=65_535).contains(&n) {
                return Err(CliError::usage(format!(
                    "--mtu must be between 200 and 65535 (got {n})"
                )));
            }
            tls.dtls.mtu = Some(n as usize);
        }
        "--cid" => {
            let cid = parse_hex(name, &args.value(name, inline)?)?;
            if cid.len() > 255 {
                return Err(CliError::usage("--cid must be at most 255 bytes"));
            }
            tls.dtls.cid = Some(cid);
        }
        "--cid-len" => {
            let n = parse_number(name, &args.value(name, inline)?)?;
            if n > 255 {
                return Err(CliError::usage(format!(
                    "--cid-len must be between 0 and 255 (got {n})"
                )));
            }
            tls.dtls.cid_len = Some(n as usize);
        }
        "--srtp" => tls.dtls.srtp = parse_srtp_profiles(&args.value(name, inline)?)?,
        "--srtp-mki" => {
            let mki = parse_hex(name, &args.value(name, inline)?)?;
            if mki.len() > 255 {
                return Err(CliError::usage("--srtp-mki must be at most 255 bytes"));
            }
            tls.dtls.srtp_mki = Some(mki);
        }
        "-v" | "--verbose" => {
            no_value(name, inline)?;
            tls.verbose = true;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn no_value(name: &str, inline: Option<String>) -> Result<(), CliError> {
    match inline {
        None => Ok(()),
        Some(_) => Err(CliError::usage(format!("option '{name}' takes no value"))),
    }
}

fn unknown_option(scope: Scope, name: &str) -> CliError {
    CliError::usage(format!(
        "unknown option '{name}' for 'embertls {0}'; see 'embertls {0} --help'",
        scope.name()
    ))
}

fn parse_client(items: &[String]) -> Result<Command, CliError> {
    let mut args = Args {
        items: items.to_vec(),
        pos: 0,
    };
    let mut tls = TlsOptions::default();
    let mut target = None;
    let mut servername = None;
    let mut insecure = false;
    let mut reconnect = false;
    let mut fallback_scsv = false;
    let mut min_dh_bits = None;
    let mut max_fragment_length = None;
    let mut wait = Duration::from_millis(400);
    while let Some(item) = args.next() {
        match item {
            Item::Positional(p) => {
                if target.is_some() {
                    return Err(CliError::usage(format!(
                        "unexpected argument '{p}': 'embertls client' takes one HOST:PORT"
                    )));
                }
                target = Some(parse_host_port(&p)?);
            }
            Item::Option { name, inline } => {
                if common_option(&mut tls, &mut args, &name, inline.clone())? {
                    continue;
                }
                match name.as_str() {
                    "-h" | "--help" => return Ok(Command::Help(Some("client"))),
                    "--connect" => {
                        let v = args.value(&name, inline)?;
                        if target.is_some() {
                            return Err(CliError::usage("HOST:PORT given twice"));
                        }
                        target = Some(parse_host_port(&v)?);
                    }
                    "--servername" | "--sni" => {
                        let v = args.value(&name, inline)?;
                        if v.is_empty() {
                            return Err(CliError::usage("--servername must not be empty"));
                        }
                        servername = Some(v);
                    }
                    "--insecure" | "-k" => {
                        no_value(&name, inline)?;
                        insecure = true;
                    }
                    "--wait" => {
                        wait =
                            Duration::from_millis(parse_number(&name, &args.value(&name, inline)?)?)
                    }
                    "--reconnect" => {
                        no_value(&name, inline)?;
                        reconnect = true;
                    }
                    "--fallback-scsv" => {
                        no_value(&name, inline)?;
                        fallback_scsv = true;
                    }
                    "--min-dh-bits" => {
                        let n = parse_number(&name, &args.value(&name, inline)?)?;
                        if !(512..=16384).contains(&n) {
                            return Err(CliError::usage(format!(
                                "--min-dh-bits must be between 512 and 16384 (got {n})"
                            )));
                        }
                        min_dh_bits = Some(n as usize);
                    }
                    "--max-fragment-length" => {
                        let n = parse_number(&name, &args.value(&name, inline)?)?;
                        if ![512, 1024, 2048, 4096].contains(&n) {
                            return Err(CliError::usage(format!(
                                "--max-fragment-length must be 512, 1024, 2048 or 4096 (got {n})"
                            )));
                        }
                        max_fragment_length = Some(n as u16);
                    }
                    _ => return Err(unknown_option(Scope::Client, &name)),
                }
            }
        }
    }
    let Some((host, port)) = target else {
        return Err(CliError::usage(
            "missing HOST:PORT; usage: embertls client HOST:PORT [options]",
        ));
    };
    if insecure
        && matches!(
            tls.verify,
            Some(VerifyMode::Optional | VerifyMode::Required)
        )
    {
        return Err(CliError::usage(
            "--insecure contradicts --verify optional/required",
        ));
    }
    check_cert_and_key(&tls)?;
    check_dtls(&tls)?;
    Ok(Command::Client(ClientOptions {
        host,
        port,
        servername,
        insecure,
        wait,
        reconnect,
        fallback_scsv,
        min_dh_bits,
        max_fragment_length,
        tls,
    }))
}

fn parse_server(items: &[String]) -> Result<Command, CliError> {
    let mut args = Args {
        items: items.to_vec(),
        pos: 0,
    };
    let mut tls = TlsOptions::default();
    let mut accept = None;
    let mut echo = false;
    let mut once = false;
    let mut tickets = true;
    let mut session_cache = false;
    let mut dh_params = None;
    let mut cookies = true;
    while let Some(item) = args.next() {
        match item {
            Item::Positional(p) => {
                return Err(CliError::usage(format!(
                    "unexpected argument '{p}' (use --accept ADDR for the listening address)"
                )))
            }
            Item::Option { name, inline } => {
                if common_option(&mut tls, &mut args, &name, inline.clone())? {
                    continue;
                }
                match name.as_str() {
                    "-h" | "--help" => return Ok(Command::Help(Some("server"))),
                    "--accept" | "--listen" => {
                        let v = args.value(&name, inline)?;
                        accept = Some(parse_accept(&v)?);
                    }
                    "--echo" => {
                        no_value(&name, inline)?;
                        echo = true;
                    }
                    "--once" => {
                        no_value(&name, inline)?;
                        once = true;
                    }
                    "--no-tickets" => {
                        no_value(&name, inline)?;
                        tickets = false;
                    }
                    "--session-cache" => {
                        no_value(&name, inline)?;
                        session_cache = true;
                    }
                    "--dh-params" => {
                        dh_params = Some(PathBuf::from(args.value(&name, inline)?));
                    }
                    "--no-cookies" => {
                        no_value(&name, inline)?;
                        cookies = false;
                    }
                    _ => return Err(unknown_option(Scope::Server, &name)),
                }
            }
        }
    }
    if tls.cert.is_none() || (tls.key.is_none() && !tls.pkcs11.is_used()) {
        return Err(CliError::usage(
            "'embertls server' needs --cert PEM and --key PEM (or --pkcs11-* options)",
        ));
    }
    check_cert_and_key(&tls)?;
    check_dtls(&tls)?;
    if !cookies && !tls.dtls.enabled {
        return Err(CliError::usage("--no-cookies needs --dtls"));
    }
    if tls.dtls.srtp_mki.is_some() {
        return Err(CliError::usage(
            "--srtp-mki is a client option (a server echoes the client's MKI)",
        ));
    }
    if matches!(
        tls.verify,
        Some(VerifyMode::Optional | VerifyMode::Required)
    ) && tls.ca.is_none()
    {
        return Err(CliError::usage(
            "--verify optional/required needs --ca PEM with the client CAs",
        ));
    }
    Ok(Command::Server(ServerOptions {
        accept: accept.unwrap_or_else(|| "127.0.0.1:4433".to_string()),
        echo,
        once,
        tickets,
        session_cache,
        dh_params,
        cookies,
        tls,
    }))
}

/// The DTLS options make sense together: only with --dtls, only DTLS 1.2,
/// no TLS-only features.
fn check_dtls(tls: &TlsOptions) -> Result<(), CliError> {
    let dtls = &tls.dtls;
    if !dtls.enabled {
        return match dtls.first_used() {
            Some(option) => Err(CliError::usage(format!("{option} needs --dtls"))),
            None => Ok(()),
        };
    }
    if [tls.min_version, tls.max_version].contains(&Some(ProtocolVersion::TLSv1_3)) {
        return Err(CliError::usage(
            "--dtls speaks DTLS 1.2 only; --min-version/--max-version 1.3 do not apply",
        ));
    }
    if tls.key_update {
        return Err(CliError::usage(
            "--key-update is not available with --dtls (a TLS 1.3 message)",
        ));
    }
    if dtls.cid.is_some() && dtls.cid_len.is_some() {
        return Err(CliError::usage("give --cid or --cid-len, not both"));
    }
    if dtls.srtp_mki.is_some() && dtls.srtp.is_empty() {
        return Err(CliError::usage("--srtp-mki needs --srtp"));
    }
    Ok(())
}

/// DTLS-SRTP profile names, comma- or colon-separated: the RFC 5764 names
/// (SRTP_AES128_CM_HMAC_SHA1_80), without the SRTP_ prefix, or OpenSSL's
/// (SRTP_AES128_CM_SHA1_80).
pub fn parse_srtp_profiles(value: &str) -> Result<Vec<SrtpProfile>, CliError> {
    let mut out = Vec::new();
    for name in list_items(value) {
        let upper = name.to_ascii_uppercase();
        let bare = upper.strip_prefix("SRTP_").unwrap_or(&upper);
        let profile = SrtpProfile::ALL
            .into_iter()
            .find(|p| {
                let full = p.name().unwrap_or_default();
                let short = full.trim_start_matches("SRTP_");
                bare == short || bare == short.replace("_HMAC_", "_")
            })
            .ok_or_else(|| {
                let known: Vec<&str> = SrtpProfile::ALL.iter().filter_map(|p| p.name()).collect();
                CliError::usage(format!(
                    "--srtp: unknown profile '{name}' (known: {})",
                    known.join(", ")
                ))
            })?;
        if !out.contains(&profile) {
            out.push(profile);
        }
    }
    Ok(out)
}

fn check_cert_and_key(tls: &TlsOptions) -> Result<(), CliError> {
    if tls.pkcs11.is_used() {
        return check_pkcs11(tls);
    }
    match (&tls.cert, &tls.key) {
        (Some(_), None) => Err(CliError::usage("--cert needs --key")),
        (None, Some(_)) => Err(CliError::usage("--key needs --cert")),
        _ => Ok(()),
    }
}

fn check_pkcs11(tls: &TlsOptions) -> Result<(), CliError> {
    let p = &tls.pkcs11;
    if tls.key.is_some() {
        return Err(CliError::usage(
            "--key and --pkcs11-* options exclude each other (the key is either in a file or in a token)",
        ));
    }
    if tls.cert.is_none() {
        return Err(CliError::usage(
            "a key in a PKCS#11 token needs --cert PEM with its certificate chain",
        ));
    }
    if p.module.is_none() {
        return Err(CliError::usage(
            "--pkcs11-module PATH is missing (for SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)",
        ));
    }
    if p.token.is_none() {
        return Err(CliError::usage("--pkcs11-token LABEL is missing"));
    }
    match (&p.key_label, &p.key_id) {
        (None, None) => Err(CliError::usage(
            "name the key in the token with --pkcs11-key LABEL or --pkcs11-key-id HEX",
        )),
        (Some(_), Some(_)) => Err(CliError::usage(
            "give --pkcs11-key or --pkcs11-key-id, not both",
        )),
        _ => Ok(()),
    }
}

/// Hex digits (an even number of them, at least two), optionally with
/// colons between bytes.
fn parse_hex(name: &str, value: &str) -> Result<Vec<u8>, CliError> {
    let digits: String = value.chars().filter(|c| *c != ':').collect();
    let bad = || {
        CliError::usage(format!(
            "{name}: '{value}' is not hex bytes (for example 01 or a1b2)"
        ))
    };
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return Err(bad());
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(digits.get(i..i + 2).ok_or_else(bad)?, 16).map_err(|_| bad()))
        .collect()
}

fn parse_number(name: &str, value: &str) -> Result<u64, CliError> {
    value.parse().map_err(|_| {
        CliError::usage(format!(
            "{name}: '{value}' is not a non-negative whole number"
        ))
    })
}

/// `HOST:PORT`, `[V6]:PORT`.
pub fn parse_host_port(value: &str) -> Result<(String, u16), CliError> {
    let bad = || {
        CliError::usage(format!(
            "'{value}' is not HOST:PORT (for example localhost:4433 or [::1]:4433)"
        ))
    };
    let (host, port) = value.rsplit_once(':').ok_or_else(bad)?;
    let host = match host.strip_prefix('[') {
        Some(inner) => inner.strip_suffix(']').ok_or_else(bad)?,
        None if host.contains(':') => return Err(bad()),
        None => host,
    };
    if host.is_empty() {
        return Err(bad());
    }
    let port: u16 = port.parse().map_err(|_| bad())?;
    if port == 0 {
        return Err(CliError::usage(format!(
            "'{value}': port 0 is not a valid target"
        )));
    }
    Ok((host.to_string(), port))
}

/// `ADDR:PORT` or a bare port (then 127.0.0.1). Port 0 picks a free port.
fn parse_accept(value: &str) -> Result<String, CliError> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let port: u16 = value
            .parse()
            .map_err(|_| CliError::usage(format!("--accept: '{value}' is not a port")))?;
        return Ok(format!("127.0.0.1:{port}"));
    }
    let bad = || {
        CliError::usage(format!(
            "--accept: '{value}' is not ADDR:PORT (for example 127.0.0.1:4433, [::1]:0, or 4433)"
        ))
    };
    let (host, port) = value.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(bad());
    }
    Ok(value.to_string())
}

pub fn parse_verify(value: &str) -> Result<VerifyMode, CliError> {
    match value.to_ascii_lowercase().as_str() {
        "none" => Ok(VerifyMode::None),
        "optional" => Ok(VerifyMode::Optional),
        "required" => Ok(VerifyMode::Required),
        _ => Err(CliError::usage(format!(
            "--verify: '{value}' is not one of none, optional, required"
        ))),
    }
}

/// Comma-separated ALPN protocol names, each 1..=255 bytes.
pub fn parse_alpn(value: &str) -> Result<Vec<Vec<u8>>, CliError> {
    let mut out = Vec::new();
    for name in value.split(',') {
        if name.is_empty() {
            return Err(CliError::usage(format!(
                "--alpn: empty protocol name in '{value}' (use a comma-separated list like h2,http/1.1)"
            )));
        }
        if name.len() > 255 {
            return Err(CliError::usage(
                "--alpn: a protocol name is longer than 255 bytes",
            ));
        }
        out.push(name.as_bytes().to_vec());
    }
    Ok(out)
}

/// Names of the groups the tool knows, with aliases.
const GROUP_NAMES: &[(&str, NamedGroup)] = &[
    ("x25519", NamedGroup::X25519),
    ("secp256r1", NamedGroup::secp256r1),
    ("p-256", NamedGroup::secp256r1),
    ("p256", NamedGroup::secp256r1),
    ("prime256v1", NamedGroup::secp256r1),
    ("secp384r1", NamedGroup::secp384r1),
    ("p-384", NamedGroup::secp384r1),
    ("p384", NamedGroup::secp384r1),
    ("ffdhe2048", NamedGroup::FFDHE2048),
    ("ffdhe3072", NamedGroup::FFDHE3072),
    ("ffdhe4096", NamedGroup::FFDHE4096),
];

/// Splits a list on commas or colons (OpenSSL style).
fn list_items(value: &str) -> impl Iterator<Item = &str> {
    value.split([',', ':']).map(str::trim)
}

pub fn parse_groups(value: &str) -> Result<Vec<NamedGroup>, CliError> {
    let mut out = Vec::new();
    for name in list_items(value) {
        let lower = name.to_ascii_lowercase();
        let group = GROUP_NAMES
            .iter()
            .find(|(n, _)| *n == lower)
            .map(|(_, g)| *g)
            .ok_or_else(|| {
                CliError::usage(format!(
                    "--groups: unknown group '{name}' (known: x25519, secp256r1 or P-256, secp384r1 or P-384, ffdhe2048, ffdhe3072, ffdhe4096)"
                ))
            })?;
        if !out.contains(&group) {
            out.push(group);
        }
    }
    Ok(out)
}

pub fn parse_suites(value: &str) -> Result<Vec<CipherSuite>, CliError> {
    let mut out = Vec::new();
    for name in list_items(value) {
        let suite = suites::by_name(name).ok_or_else(|| {
            let known: Vec<&str> = suites::all().map(|s| s.iana_name).collect();
            CliError::usage(format!(
                "--suites: unknown cipher suite '{name}' (known: {})",
                known.join(", ")
            ))
        })?;
        if !out.contains(&suite.suite) {
            out.push(suite.suite);
        }
    }
    Ok(out)
}

/// `1.2`, `1.3`, also spelled `tls1.2`, `TLSv1.3`, `tls1_3`.
pub fn parse_version(option: &str, value: &str) -> Result<ProtocolVersion, CliError> {
    let lower = value.to_ascii_lowercase();
    let bare = lower
        .strip_prefix("tlsv")
        .or_else(|| lower.strip_prefix("tls"))
        .unwrap_or(&lower)
        .replace('_', ".");
    match bare.as_str() {
        "1.2" => Ok(ProtocolVersion::TLSv1_2),
        "1.3" => Ok(ProtocolVersion::TLSv1_3),
        _ => Err(CliError::usage(format!(
            "{option}: '{value}' is not a TLS version (use 1.2 or 1.3)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn client_line_parses() {
        let cmd = parse(&args(
            "client localhost:4433 --ca ca.pem --alpn h2,http/1.1 --groups X25519:P-256 \
             --suites TLS_AES_256_GCM_SHA384 --min-version 1.3 --servername example.com",
        ))
        .unwrap();
        let Command::Client(c) = cmd else {
            panic!("not a client")
        };
        assert_eq!((c.host.as_str(), c.port), ("localhost", 4433));
        assert_eq!(c.server_name(), "example.com");
        assert_eq!(c.tls.alpn, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert_eq!(
            c.tls.groups,
            Some(vec![NamedGroup::X25519, NamedGroup::secp256r1])
        );
        assert_eq!(
            c.tls.suites,
            Some(vec![CipherSuite::TLS_AES_256_GCM_SHA384])
        );
        assert_eq!(c.tls.min_version, Some(ProtocolVersion::TLSv1_3));
    }

    #[test]
    fn ipv6_and_bad_targets() {
        assert_eq!(parse_host_port("[::1]:443").unwrap(), ("::1".into(), 443));
        for bad in [
            "localhost",
            "::1:443",
            ":443",
            "host:0",
            "host:70000",
            "[::1:4",
        ] {
            assert!(parse_host_port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_accept_tls12_spelling() {
        for v in ["1.2", "tls1.2", "TLSv1.2", "tls1_2"] {
            assert_eq!(
                parse_version("--max-version", v).unwrap(),
                ProtocolVersion::TLSv1_2
            );
        }
        assert!(parse_version("--max-version", "1.1").is_err());
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse(&args("client localhost:1 --bogus")).unwrap_err();
        assert!(e.message.contains("--bogus"), "{}", e.message);
        let e = parse(&args("client localhost:1 --ca")).unwrap_err();
        assert!(e.message.contains("needs a value"), "{}", e.message);
        let e = parse(&args("server --cert a.pem")).unwrap_err();
        assert!(e.message.contains("--key"), "{}", e.message);
        let e = parse(&args("client h:1 --groups x448")).unwrap_err();
        assert!(e.message.contains("x448"), "{}", e.message);
        let e = parse(&args("client h:1 --alpn h2,,x")).unwrap_err();
        assert!(e.message.contains("empty"), "{}", e.message);
        assert!(parse(&args("frobnicate")).is_err());
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn pkcs11_options() {
        let Command::Server(s) = parse(&args(
            "server --cert c.pem --pkcs11-module /m.so --pkcs11-token t --pkcs11-pin 1234 \
             --pkcs11-key-id 0a:FF",
        ))
        .unwrap() else {
            panic!()
        };
        assert_eq!(s.tls.pkcs11.key_id, Some(vec![0x0a, 0xff]));
        assert_eq!(s.tls.pkcs11.token.as_deref(), Some("t"));
        assert!(s.tls.key.is_none());
        for (line, complaint) in [
            ("server --cert c --key k --pkcs11-module m --pkcs11-token t --pkcs11-key k", "exclude"),
            ("server --pkcs11-module m --pkcs11-token t --pkcs11-key k", "--cert"),
            ("server --cert c --pkcs11-token t --pkcs11-key k", "--pkcs11-module"),
            ("server --cert c --pkcs11-module m --pkcs11-key k", "--pkcs11-token"),
            ("server --cert c --pkcs11-module m --pkcs11-token t", "--pkcs11-key"),
            ("server --cert c --pkcs11-module m --pkcs11-token t --pkcs11-key k --pkcs11-key-id 01", "not both"),
            ("server --cert c --pkcs11-key-id 0g", "hex"),
            ("server --cert c --pkcs11-key-id 012", "hex"),
        ] {
            let e = parse(&args(line)).unwrap_err();
            assert!(e.message.contains(complaint), "{line}: {}", e.message);
        }
    }

    #[test]
    fn tls12_options() {
        let Command::Client(c) = parse(&args(
            "client h:1 --fallback-scsv --min-dh-bits 1024 --max-fragment-length 512 \
             --no-etm --allow-mac-then-encrypt --no-ems --allow-renegotiation",
        ))
        .unwrap() else {
            panic!()
        };
        assert!(c.fallback_scsv && c.tls.no_etm && c.tls.allow_mac_then_encrypt && c.tls.no_ems);
        assert!(c.tls.allow_renegotiation && !c.tls.renegotiate);
        assert_eq!(
            (c.min_dh_bits, c.max_fragment_length),
            (Some(1024), Some(512))
        );
        assert!(parse(&args("client h:1 --max-fragment-length 1000")).is_err());
        assert!(parse(&args("client h:1 --min-dh-bits 100")).is_err());
        let Command::Server(s) = parse(&args(
            "server --cert c --key k --session-cache --dh-params d.pem",
        ))
        .unwrap() else {
            panic!()
        };
        assert!(s.session_cache);
        assert_eq!(s.dh_params, Some(PathBuf::from("d.pem")));
        assert!(parse(&args("server --cert c --key k --fallback-scsv")).is_err());
    }

    #[test]
    fn server_defaults() {
        let Command::Server(s) = parse(&args("server --cert c --key k --accept 0 --echo")).unwrap()
        else {
            panic!()
        };
        assert_eq!(s.accept, "127.0.0.1:0");
        assert!(s.echo && !s.once);
        assert_eq!(
            parse(&args("server --help")).unwrap(),
            Command::Help(Some("server"))
        );
    }

    #[test]
    fn dtls_options() {
        let Command::Client(c) = parse(&args(
            "client h:1 --dtls --mtu 500 --cid 0a:0b --srtp SRTP_AES128_CM_HMAC_SHA1_32,aes128_cm_hmac_sha1_80 \
             --srtp-mki 01ff",
        ))
        .unwrap() else {
            panic!()
        };
        assert!(c.tls.dtls.enabled);
        assert_eq!(c.tls.dtls.mtu, Some(500));
        assert_eq!(c.tls.dtls.cid, Some(vec![0x0a, 0x0b]));
        assert_eq!(
            c.tls.dtls.srtp,
            vec![
                SrtpProfile::AES128_CM_HMAC_SHA1_32,
                SrtpProfile::AES128_CM_HMAC_SHA1_80
            ]
        );
        assert_eq!(c.tls.dtls.srtp_mki, Some(vec![0x01, 0xff]));
        assert_eq!(
            parse_srtp_profiles("SRTP_AES128_CM_SHA1_80:NULL_HMAC_SHA1_32").unwrap(),
            vec![
                SrtpProfile::AES128_CM_HMAC_SHA1_80,
                SrtpProfile::NULL_HMAC_SHA1_32
            ]
        );
        let Command::Server(s) = parse(&args(
            "server --cert c --key k --dtls --no-cookies --cid-len 4",
        ))
        .unwrap() else {
            panic!()
        };
        assert!(s.tls.dtls.enabled && !s.cookies);
        assert_eq!(s.tls.dtls.cid_len, Some(4));
        let Command::Server(s) = parse(&args("server --cert c --key k")).unwrap() else {
            panic!()
        };
        assert!(!s.tls.dtls.enabled && s.cookies);
        for (line, complaint) in [
            ("client h:1 --mtu 500", "--mtu needs --dtls"),
            (
                "client h:1 --srtp AES128_CM_HMAC_SHA1_80",
                "--srtp needs --dtls",
            ),
            ("client h:1 --cid 01", "--cid needs --dtls"),
            (
                "server --cert c --key k --no-cookies",
                "--no-cookies needs --dtls",
            ),
            ("client h:1 --dtls --mtu 100", "between 200"),
            ("client h:1 --dtls --cid 0", "hex"),
            ("client h:1 --dtls --cid-len 256", "--cid-len"),
            ("client h:1 --dtls --cid 01 --cid-len 2", "not both"),
            (
                "client h:1 --dtls --srtp AES256_GCM",
                "unknown profile 'AES256_GCM'",
            ),
            ("client h:1 --dtls --srtp-mki 01", "--srtp-mki needs --srtp"),
            ("client h:1 --dtls --max-version 1.3", "DTLS 1.2 only"),
            ("client h:1 --dtls --key-update", "--key-update"),
            (
                "server --cert c --key k --dtls --srtp AES128_CM_HMAC_SHA1_80 --srtp-mki 01",
                "client option",
            ),
        ] {
            let e = parse(&args(line)).unwrap_err();
            assert!(e.usage, "{line}");
            assert!(e.message.contains(complaint), "{line}: {}", e.message);
        }
    }
}
