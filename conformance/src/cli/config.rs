//! Turns command-line options into engine configurations, and checks what
//! the engine cannot do yet with a clear message.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use embertls::config::{
    CertifiedKey, CommonConfig, PskCredential, SingleCertAndKey, Transport, VersionRange,
};
use embertls::crypto::CryptoProvider;
use embertls::msgs::enums::ProtocolVersion;
use embertls::verify::{certificates_from_pem, RootStore, VerifyMode};
use embertls::{ClientConfig, Connection, Instant, ServerConfig};

use super::args::{ClientOptions, Pkcs11Options, ServerOptions, TlsOptions, PIN_ENV};
use super::CliError;
use crate::testkit::pem::{load_certs, load_key, load_roots};

/// The provider the tool uses: RustCrypto with OS randomness and the
/// system clock.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(embertls_rustcrypto::provider())
}

/// Whether the engine accepts a configuration limited to `version`. Asked
/// of the engine itself (its configuration check runs when a connection
/// starts), so versions start working here as soon as the engine has them.
pub fn engine_supports(provider: &Arc<CryptoProvider>, version: ProtocolVersion) -> bool {
    let mut config = ClientConfig::new(provider.clone());
    config.common.verify_mode = VerifyMode::None;
    config.common.versions = VersionRange {
        min: version,
        max: version,
    };
    Connection::client(Arc::new(config), None, Instant::ZERO).is_ok()
}

fn version_name(v: ProtocolVersion) -> &'static str {
    match v {
        ProtocolVersion::TLSv1_2 => "TLS 1.2",
        ProtocolVersion::TLSv1_3 => "TLS 1.3",
        _ => "this TLS version",
    }
}

/// The version range from `--min-version`/`--max-version`.
pub fn version_range(
    provider: &Arc<CryptoProvider>,
    tls: &TlsOptions,
) -> Result<VersionRange, CliError> {
    for v in [tls.min_version, tls.max_version].into_iter().flatten() {
        if !engine_supports(provider, v) {
            return Err(CliError::new(format!(
                "{} is not supported yet",
                version_name(v)
            )));
        }
    }
    let min = tls.min_version.unwrap_or(ProtocolVersion::TLSv1_2);
    let max = tls.max_version.unwrap_or(ProtocolVersion::TLSv1_3);
    // A single bound implies the other when only one version is possible.
    let (min, max) = match (tls.min_version, tls.max_version) {
        (Some(min), None) if min.0 > max.0 => (min, min),
        (None, Some(max)) if max.0 < min.0 => (max, max),
        _ => (min, max),
    };
    if min.0 > max.0 {
        return Err(CliError::new(format!(
            "--min-version {} is above --max-version {}",
            version_name(min),
            version_name(max)
        )));
    }
    Ok(VersionRange { min, max })
}

/// Applies the options both sides share.
fn apply_common(common: &mut CommonConfig, tls: &TlsOptions) -> Result<(), CliError> {
    common.versions = version_range(&common.provider, tls)?;
    let dtls = &tls.dtls;
    if dtls.enabled {
        common.transport = Transport::Datagram;
        common.versions = VersionRange::TLS12_ONLY;
        if let Some(mtu) = dtls.mtu {
            common.dtls.mtu = mtu;
        }
        common.dtls.own_cid_len = dtls.cid.as_ref().map(Vec::len).or(dtls.cid_len);
        common.dtls.srtp.profiles = dtls.srtp.clone();
    }
    if let Some(suites) = &tls.suites {
        common.cipher_suites = suites.clone();
    }
    if let Some(groups) = &tls.groups {
        for g in groups {
            if !common.provider.supports_group(*g) {
                return Err(CliError::new(format!(
                    "group {g} is not available from the crypto provider"
                )));
            }
        }
        common.groups = groups.clone();
    }
    common.alpn_protocols = tls.alpn.clone();
    if tls.renegotiate || tls.allow_renegotiation {
        common.tls12.renegotiation.enabled = true;
    }
    if tls.allow_mac_then_encrypt {
        common.tls12.allow_mac_then_encrypt = true;
    }
    if tls.no_etm {
        common.tls12.encrypt_then_mac = false;
    }
    if tls.no_ems {
        common.tls12.extended_master_secret = false;
    }
    if let Some(n) = tls.max_record_size {
        common.max_incoming_plaintext = n;
    }
    if let Some(path) = &tls.keylog {
        let log = embertls::config::KeyLogFile::create(path)
            .map_err(|e| CliError::new(format!("--keylog {}: {e}", path.display())))?;
        common.key_log = Some(std::sync::Arc::new(log));
    }
    Ok(())
}

fn certified_key(
    provider: &CryptoProvider,
    cert: &Path,
    key: &Path,
) -> Result<Arc<CertifiedKey>, CliError> {
    let chain = load_certs(cert).map_err(CliError::new)?;
    let key = load_key(provider, key).map_err(CliError::new)?;
    Ok(Arc::new(CertifiedKey::new(chain, key)))
}

/// Our certificate and key, from `--cert` with `--key` or `--pkcs11-*`.
fn own_certified_key(
    provider: &Arc<CryptoProvider>,
    tls: &TlsOptions,
) -> Result<Option<Arc<CertifiedKey>>, CliError> {
    match (&tls.cert, &tls.key) {
        (Some(cert), _) if tls.pkcs11.is_used() => {
            pkcs11_certified_key(provider, cert, &tls.pkcs11).map(Some)
        }
        (Some(cert), Some(key)) => certified_key(provider, cert, key).map(Some),
        _ => Ok(None),
    }
}

/// The certificate chain from `cert` with its private key in a PKCS#11
/// token. One signature is made and checked against the certificate
/// before any connection, so a wrong key, PIN or token shows at start.
fn pkcs11_certified_key(
    provider: &Arc<CryptoProvider>,
    cert: &Path,
    opts: &Pkcs11Options,
) -> Result<Arc<CertifiedKey>, CliError> {
    use embertls::crypto::SigningKey;
    use embertls_pkcs11::{KeyLookup, Pkcs11Token};

    let chain = load_certs(cert).map_err(CliError::new)?;
    let (Some(module), Some(label)) = (&opts.module, &opts.token) else {
        return Err(CliError::usage(
            "--pkcs11-module and --pkcs11-token are needed",
        ));
    };
    let pin = match &opts.pin {
        Some(pin) => pin.clone(),
        None => std::env::var(PIN_ENV).map_err(|_| {
            CliError::usage(format!("no PIN: pass --pkcs11-pin PIN or set {PIN_ENV}"))
        })?,
    };
    let fail = |e: embertls_pkcs11::Pkcs11Error| CliError::new(format!("PKCS#11: {e}"));
    let token = Pkcs11Token::open(module, label, &pin).map_err(fail)?;
    let lookup = match (&opts.key_label, &opts.key_id) {
        (Some(l), _) => KeyLookup::Label(l.clone()),
        (None, Some(id)) => KeyLookup::Id(id.clone()),
        (None, None) => return Err(CliError::usage("--pkcs11-key or --pkcs11-key-id is needed")),
    };
    let key = token.key(lookup).map_err(fail)?;
    let scheme = key.key_type().tls13_schemes()[0];
    let probe = b"embertls: does the PKCS#11 key match the certificate?";
    let signature = key.try_sign(scheme, probe).map_err(fail)?;
    let end_entity = chain
        .first()
        .ok_or_else(|| CliError::new(format!("{}: no certificate", cert.display())))?;
    embertls::verify::WebPkiVerifier::new(provider.verifier.clone())
        .verify_signature(end_entity, scheme, probe, &signature)
        .map_err(|_| {
            CliError::new(format!(
                "the PKCS#11 key ({}) does not match the certificate in {}",
                key.lookup(),
                cert.display()
            ))
        })?;
    Ok(Arc::new(CertifiedKey::new(chain, Arc::new(key))))
}

/// Where the system's CA bundle usually is.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// The system trust store: `$SSL_CERT_FILE`, else the usual bundle paths.
/// Certificates the verifier cannot use as anchors are skipped.
pub fn system_roots() -> Result<(PathBuf, RootStore), CliError> {
    let candidates: Vec<PathBuf> = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(SYSTEM_BUNDLES.iter().map(PathBuf::from))
        .collect();
    for path in candidates {
        let Ok(pem) = std::fs::read(&path) else {
            continue;
        };
        let Ok(certs) = certificates_from_pem(&pem) else {
            continue;
        };
        let mut roots = RootStore::new();
        for cert in certs {
            let _ = roots.add_der(cert.as_ref());
        }
        if !roots.is_empty() {
            return Ok((path, roots));
        }
    }
    Err(CliError::new(
        "no trust anchors: no system CA bundle found; pass --ca PEM (or --insecure to skip verification)",
    ))
}

/// The client configuration for `opts`, and a note on where the trust
/// anchors came from (for --verbose).
pub fn client_config(opts: &ClientOptions) -> Result<(ClientConfig, Option<String>), CliError> {
    let provider = provider();
    let mut config = ClientConfig::new(provider.clone());
    apply_common(&mut config.common, &opts.tls)?;
    let mode = if opts.insecure {
        VerifyMode::None
    } else {
        opts.tls.verify.unwrap_or(VerifyMode::Required)
    };
    config.common.verify_mode = mode;
    let mut note = None;
    if mode != VerifyMode::None {
        config.common.roots = match &opts.tls.ca {
            Some(ca) => load_roots(ca).map_err(CliError::new)?,
            None => {
                let (path, roots) = system_roots()?;
                note = Some(format!("trust anchors from {}", path.display()));
                roots
            }
        };
    }
    config.client_cert = own_certified_key(&provider, &opts.tls)?;
    config.psk = psk_credential(&opts.tls)?;
    config.fallback_scsv = opts.fallback_scsv;
    if let Some(bits) = opts.min_dh_bits {
        config.min_dh_bits = bits;
    }
    config.request_max_fragment_length = opts.max_fragment_length;
    config.common.dtls.srtp.mki = opts.tls.dtls.srtp_mki.clone();
    if config.psk.is_some() && opts.tls.suites.is_none() {
        // A PSK on the command line means PSK suites are wanted.
        add_psk_suites(&mut config.common);
    }
    check_starts_client(&config, opts.server_name())?;
    Ok((config, note))
}

/// The server configuration for `opts`.
pub fn server_config(opts: &ServerOptions) -> Result<ServerConfig, CliError> {
    let provider = provider();
    let Some(certified) = own_certified_key(&provider, &opts.tls)? else {
        return Err(CliError::usage(
            "'embertls server' needs --cert PEM and --key PEM (or --pkcs11-* options)",
        ));
    };
    let mut config = ServerConfig::new(provider, Arc::new(SingleCertAndKey(certified)));
    apply_common(&mut config.common, &opts.tls)?;
    let mode = match (opts.tls.verify, &opts.tls.ca) {
        (Some(mode), _) => mode,
        (None, Some(_)) => VerifyMode::Required,
        (None, None) => VerifyMode::None,
    };
    config.common.verify_mode = mode;
    if let Some(ca) = &opts.tls.ca {
        config.common.roots = load_roots(ca).map_err(CliError::new)?;
    }
    if let Some(psk) = psk_credential(&opts.tls)? {
        config.psk_resolver = Some(Arc::new(psk));
        if opts.tls.suites.is_none() {
            add_psk_suites(&mut config.common);
        }
    }
    if opts.tickets {
        let ticketer = embertls::session::RotatingTicketer::new(&config.common.provider, 7200)
            .map_err(|e| CliError::new(format!("ticket keys: {}", embertls::Error::from(e))))?;
        config.ticketer = Some(Arc::new(ticketer));
    }
    if opts.session_cache {
        config.session_cache = Some(Arc::new(embertls::session::LruSessionCache::new(256, 7200)));
    }
    if let Some(path) = &opts.dh_params {
        config.dh_params = dh_params_from_pem(path)?;
    }
    if opts.tls.dtls.enabled {
        // Echo the client's SRTP MKI (RFC 5764 4.1.2).
        config.common.dtls.srtp.mki_supported = true;
        if !opts.cookies {
            config.dtls_cookies = None;
        }
    }
    Connection::server(Arc::new(config.clone()), Instant::ZERO)
        .map_err(|e| CliError::new(e.to_string()))?;
    Ok(config)
}

/// `--psk` with `--psk-identity`.
fn psk_credential(tls: &TlsOptions) -> Result<Option<PskCredential>, CliError> {
    match (&tls.psk, &tls.psk_identity) {
        (Some(key), Some(id)) => Ok(Some(PskCredential::new(id.as_bytes(), key))),
        (None, None) => Ok(None),
        _ => Err(CliError::usage("--psk and --psk-identity go together")),
    }
}

/// Appends the provider's TLS 1.2 PSK suites to the suite list.
fn add_psk_suites(common: &mut CommonConfig) {
    for suite in embertls::suites::TLS12_SUITES {
        if suite.kx.uses_psk()
            && suite.default_enabled
            && !common.cipher_suites.contains(&suite.suite)
        {
            common.cipher_suites.push(suite.suite);
        }
    }
}

/// Fails early, before any network activity, on configurations the engine
/// refuses.
fn check_starts_client(config: &ClientConfig, server_name: &str) -> Result<(), CliError> {
    Connection::client(Arc::new(config.clone()), Some(server_name), Instant::ZERO)
        .map(drop)
        .map_err(|e| CliError::new(e.to_string()))
}

/// `--dh-params`: a PEM `DH PARAMETERS` file (`openssl dhparam`), DER
/// `SEQUENCE { INTEGER p, INTEGER g }`.
fn dh_params_from_pem(path: &Path) -> Result<embertls::config::DhParams, CliError> {
    use base64::Engine;
    let bad = |why: &str| CliError::new(format!("--dh-params {}: {why}", path.display()));
    let pem = std::fs::read_to_string(path).map_err(|e| bad(&e.to_string()))?;
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN DH PARAMETERS-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    if body.is_empty() {
        return Err(bad("no DH PARAMETERS block"));
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .map_err(|_| bad("bad base64"))?;
    // One DER element: (tag, contents, rest).
    fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = match first {
            0..=0x7f => (first as usize, rest),
            0x81 => (*rest.first()? as usize, rest.get(1..)?),
            0x82 => (
                u16::from_be_bytes([*rest.first()?, *rest.get(1)?]) as usize,
                rest.get(2..)?,
            ),
            _ => return None,
        };
        Some((tag, rest.get(..len)?, rest.get(len..)?))
    }
    let strip = |n: &[u8]| {
        n.iter()
            .copied()
            .skip_while(|&b| b == 0)
            .collect::<Vec<u8>>()
    };
    let parsed = element(&der).and_then(|(tag, seq, _)| {
        let (ptag, p, rest) = element(seq)?;
        let (gtag, g, _) = element(rest)?;
        (tag == 0x30 && ptag == 0x02 && gtag == 0x02).then(|| (strip(p), strip(g)))
    });
    match parsed {
        Some((p, g)) if !p.is_empty() && !g.is_empty() => {
            Ok(embertls::config::DhParams::Custom { p, g })
        }
        _ => Err(bad("not a DHParameter (SEQUENCE { INTEGER p, INTEGER g })")),
    }
}
