//! TLS 1.2 interop with GnuTLS 3.7 over loopback, both roles: `embertls
//! client` against `gnutls-serv --echo` (the echo must come back byte for
//! byte), and `gnutls-cli` against `embertls server` (distinct data each
//! way). Every key exchange and cipher family, Encrypt-then-MAC and
//! MAC-then-encrypt, the extended master secret, RFC 7919 DHE groups,
//! resumption by ticket and by session id, renegotiation from either side
//! and client authentication. The negotiated version and suite are checked
//! in our summary line and in GnuTLS's report (`- Description:
//! (TLS1.2-X.509)-(kx)-(signature)-(cipher)[-(mac)]`, `- Options: ...`;
//! gnutls-serv also prints `- Version:` and `- Key Exchange:`).
//!
//! Left out: gnutls-cli 3.7.9 against our server with DHE-PSK and
//! ECDHE-PSK (gnutls-cli crashes printing the session, against gnutls-serv
//! too). Renegotiation with gnutls-serv runs with tickets off: in a
//! renegotiation where the client does not ask for a ticket, gnutls-serv
//! still sends a NewSessionTicket without the ServerHello extension, which
//! RFC 5077 3.2 forbids and our client refuses.

mod common;

use common::tls12::{
    client_fails, finish_server, our_cert, payloads, refs, run_client, start_server, PSK, PSK_ID,
};
use common::{
    assert_detail, assert_summary, embertls_server, eventually, payload, spawn_listening, testdata,
    transcripts, Proc, STEP,
};

/// TLS 1.2 only, otherwise GnuTLS defaults.
const TLS12: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.2";
/// GnuTLS's `- Options:` line with the extended master secret, without and
/// with Encrypt-then-MAC.
const OPTIONS: &str = "- Options: extended master secret, safe renegotiation,";
const OPTIONS_ETM: &str = "- Options: extended master secret, safe renegotiation, EtM,";

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The CA of a `server-KEY` (or `KEY`) certificate.
fn ca(stem: &str) -> String {
    testdata(&format!("ca-{}.pem", stem.trim_start_matches("server-")))
}

/// A priority string for one key exchange, cipher and MAC (`AEAD` for the
/// AEAD ciphers).
fn priority(kx: &str, cipher: &str, mac: &str) -> String {
    format!("{TLS12}:-KX-ALL:+{kx}:-CIPHER-ALL:+{cipher}:-MAC-ALL:+{mac}")
}

/// A gnutls-serv PSK password file holding our test identity; removed on
/// drop.
struct PskFile(std::path::PathBuf);

impl PskFile {
    fn new(seed: u32) -> PskFile {
        let path = std::env::temp_dir().join(format!(
            "embertls-gnutls12-psk-{}-{seed}.txt",
            std::process::id()
        ));
        std::fs::write(&path, format!("{PSK_ID}:{PSK}\n")).unwrap();
        PskFile(path)
    }

    fn path(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }
}

impl Drop for PskFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `gnutls-serv --echo` with `stem`'s certificate, `priority` and `extra`
/// arguments; output line-buffered so its report can be read while it runs.
fn gnutls_serv(stem: &str, priority: &str, extra: &[&str]) -> (Proc, u16) {
    let mut fixed = strings(&[
        "--echo",
        "--x509certfile",
        &testdata(&format!("{stem}.pem")),
        "--x509keyfile",
        &testdata(&format!("{stem}.key")),
        "--priority",
        priority,
    ]);
    fixed.extend(strings(extra));
    spawn_listening("gnutls-serv", "stdbuf", move |port| {
        let mut args = strings(&["-oL", "-eL", "gnutls-serv", "--port", &port.to_string()]);
        args.extend(fixed.iter().cloned());
        args
    })
}

/// `gnutls-cli` to our server on `port`, output line-buffered.
fn gnutls_cli(port: u16, priority: &str, extra: &[&str]) -> Proc {
    let mut args = strings(&[
        "-oL",
        "-eL",
        "gnutls-cli",
        "--port",
        &port.to_string(),
        "--priority",
        priority,
    ]);
    args.extend(strings(extra));
    args.push("localhost".into());
    Proc::spawn("gnutls-cli", "stdbuf", &args)
}

/// Waits until `proc` printed each of `lines` as a whole line (on either
/// stream, trailing blanks ignored).
fn gnutls_says(proc: &Proc, lines: &[&str], others: &[&Proc]) {
    let has = |line: &str| {
        (proc.stdout() + &proc.stderr())
            .lines()
            .any(|l| l.trim_end() == line)
    };
    for line in lines {
        if !eventually(STEP, || has(line)) {
            let mut all = vec![proc];
            all.extend_from_slice(others);
            panic!("{} should print {line:?}\n{}", proc.name, transcripts(&all));
        }
    }
}

/// The application data gnutls-cli wrote to standard output: what follows
/// the last `marker` line, without the closing report.
fn cli_received(stdout: &str, marker: &str) -> Vec<u8> {
    let start = stdout
        .rfind(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in gnutls-cli output"));
    let rest = &stdout[start + marker.len()..];
    let rest = rest.trim_start_matches('\n');
    let rest = rest
        .strip_suffix("- Peer has closed the GnuTLS connection\n")
        .unwrap_or(rest);
    rest.as_bytes().to_vec()
}

const SIMPLE_CLIENT: &str = "- Simple Client Mode:\n";

// ---- embertls client, gnutls-serv --echo -----------------------------------

/// Our client against gnutls-serv: the echo comes back, our summary shows
/// TLS 1.2 and `summary`, gnutls-serv reports TLS 1.2 and `gnutls` lines.
fn client_case(
    seed: u32,
    stem: &str,
    priority: &str,
    serv_extra: &[&str],
    ours: &[&str],
    summary: &str,
    gnutls: &[&str],
) {
    let (srv, port) = gnutls_serv(stem, priority, serv_extra);
    let data = payload(seed, 500);
    let ca = ca(stem);
    let mut args = vec!["--ca", ca.as_str(), "-v"];
    args.extend_from_slice(ours);
    let cl = run_client(port, &args, &data, &data, &srv);
    let ctx = transcripts(&[&cl, &srv]);
    assert_summary(&cl.stderr(), &format!("version=TLSv1.2 {summary}"), &ctx);
    let mut lines = vec!["- Version: TLS1.2"];
    lines.extend_from_slice(gnutls);
    gnutls_says(&srv, &lines, &[&cl]);
}

/// A cipher suite against gnutls-serv (priority from `kx`, `cipher`,
/// `mac`): our suite name, and GnuTLS's description and options (the
/// extended master secret always; Encrypt-then-MAC for CBC).
#[allow(clippy::too_many_arguments)]
fn client_suite(
    seed: u32,
    stem: &str,
    kx: &str,
    cipher: &str,
    mac: &str,
    ours: &str,
    iana: &str,
    desc: &str,
) {
    let options = if mac == "AEAD" { OPTIONS } else { OPTIONS_ETM };
    client_case(
        seed,
        stem,
        &priority(kx, cipher, mac),
        &[],
        &["--suites", ours],
        &format!("suite={iana} verify=ok"),
        &[
            &format!("- Description: (TLS1.2-X.509)-{desc}"),
            &format!("- Key Exchange: {kx}"),
            options,
        ],
    );
}

// ---- gnutls-cli, embertls server --------------------------------------------

/// gnutls-cli against our server (`stem`'s certificate, `ours`): data both
/// ways, our summary (and detail line), gnutls-cli's `gnutls` lines.
#[allow(clippy::too_many_arguments)]
fn server_case(
    seed: u32,
    stem: &str,
    ours: &[&str],
    priority: &str,
    cli_extra: &[&str],
    summary: &str,
    detail: &str,
    gnutls: &[&str],
) {
    let (to_client, to_server) = payloads(seed);
    let cert = our_cert(stem);
    let mut args = refs(&cert);
    args.extend_from_slice(ours);
    let (mut srv, port) = start_server(&args, Some(&to_client));
    let ca = ca(stem);
    let mut extra = vec!["--x509cafile", ca.as_str()];
    extra.extend_from_slice(cli_extra);
    let mut cl = gnutls_cli(port, priority, &extra);
    cl.write(&to_server);
    let got = cl.wait_stdout(&to_client, STEP);
    let got_server = srv.wait_stdout(&to_server, STEP);
    cl.close_stdin();
    let status = cl.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got_server.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(
        status.is_ok_and(|s| s.success()),
        "gnutls-cli failed\n{ctx}"
    );
    assert_eq!(
        cli_received(&cl.stdout(), SIMPLE_CLIENT),
        to_client,
        "gnutls-cli received\n{ctx}"
    );
    finish_server(
        &mut srv,
        &format!("version=TLSv1.2 {summary}"),
        Some(&to_server),
        &cl,
    );
    assert_detail(&srv.stderr(), detail, &ctx);
    gnutls_says(&cl, gnutls, &[&srv]);
}

#[allow(clippy::too_many_arguments)]
fn server_suite(
    seed: u32,
    stem: &str,
    kx: &str,
    cipher: &str,
    mac: &str,
    ours: &str,
    iana: &str,
    desc: &str,
) {
    let options = if mac == "AEAD" { OPTIONS } else { OPTIONS_ETM };
    server_case(
        seed,
        stem,
        &["--suites", ours],
        &priority(kx, cipher, mac),
        &[],
        &format!("suite={iana}"),
        "client-auth=no sni=localhost",
        &[
            &format!("- Description: (TLS1.2-X.509)-{desc}"),
            options,
            "- Status: The certificate is trusted.",
        ],
    );
}

/// One test per role for each row: our suite (OpenSSL name), its IANA
/// name, our certificate, the GnuTLS key exchange, cipher and MAC, and the
/// end of GnuTLS's description.
macro_rules! suites {
    ($($name:ident: $stem:literal, $kx:literal, $cipher:literal, $mac:literal,
       $ours:literal, $iana:literal, $desc:literal;)*) => {
        $( mod $name {
            #[test]
            fn client() {
                super::client_suite(line!(), $stem, $kx, $cipher, $mac, $ours, $iana, $desc);
            }
            #[test]
            fn server() {
                super::server_suite(line!(), $stem, $kx, $cipher, $mac, $ours, $iana, $desc);
            }
        } )*
    };
}

suites! {
    ecdhe_ecdsa_aes128_gcm: "server-p256", "ECDHE-ECDSA", "AES-128-GCM", "AEAD",
        "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-GCM)";
    ecdhe_ecdsa_aes256_gcm: "server-p256", "ECDHE-ECDSA", "AES-256-GCM", "AEAD",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "(ECDHE-X25519)-(ECDSA-SHA256)-(AES-256-GCM)";
    ecdhe_ecdsa_chacha20: "server-p256", "ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "(ECDHE-X25519)-(ECDSA-SHA256)-(CHACHA20-POLY1305)";
    ecdhe_ecdsa_aes128_ccm: "server-p256", "ECDHE-ECDSA", "AES-128-CCM", "AEAD",
        "ECDHE-ECDSA-AES128-CCM", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
        "(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-CCM)";
    ecdhe_ecdsa_aes256_ccm: "server-p256", "ECDHE-ECDSA", "AES-256-CCM", "AEAD",
        "ECDHE-ECDSA-AES256-CCM", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
        "(ECDHE-X25519)-(ECDSA-SHA256)-(AES-256-CCM)";
    ecdhe_ecdsa_aes128_ccm8: "server-p256", "ECDHE-ECDSA", "AES-128-CCM-8", "AEAD",
        "ECDHE-ECDSA-AES128-CCM8", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
        "(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-CCM-8)";
    ecdhe_ecdsa_aes256_ccm8: "server-p256", "ECDHE-ECDSA", "AES-256-CCM-8", "AEAD",
        "ECDHE-ECDSA-AES256-CCM8", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8",
        "(ECDHE-X25519)-(ECDSA-SHA256)-(AES-256-CCM-8)";
    ecdhe_ecdsa_cbc_sha256: "server-p256", "ECDHE-ECDSA", "AES-128-CBC", "SHA256",
        "ECDHE-ECDSA-AES128-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        "(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-CBC)-(SHA256)";
    ecdhe_ecdsa_cbc_sha384: "server-p256", "ECDHE-ECDSA", "AES-256-CBC", "SHA384",
        "ECDHE-ECDSA-AES256-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        "(ECDHE-X25519)-(ECDSA-SHA256)-(AES-256-CBC)-(SHA384)";
    ecdhe_ecdsa_cbc_sha1: "server-p256", "ECDHE-ECDSA", "AES-128-CBC", "SHA1",
        "ECDHE-ECDSA-AES128-SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-CBC)-(SHA1)";
    ecdhe_rsa_aes128_gcm: "server-rsa", "ECDHE-RSA", "AES-128-GCM", "AEAD",
        "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "(ECDHE-X25519)-(RSA-PSS-RSAE-SHA256)-(AES-128-GCM)";
    ecdhe_rsa_aes256_gcm: "server-rsa", "ECDHE-RSA", "AES-256-GCM", "AEAD",
        "ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "(ECDHE-X25519)-(RSA-PSS-RSAE-SHA256)-(AES-256-GCM)";
    ecdhe_rsa_chacha20: "server-rsa", "ECDHE-RSA", "CHACHA20-POLY1305", "AEAD",
        "ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "(ECDHE-X25519)-(RSA-PSS-RSAE-SHA256)-(CHACHA20-POLY1305)";
    ecdhe_rsa_cbc_sha256: "server-rsa", "ECDHE-RSA", "AES-128-CBC", "SHA256",
        "ECDHE-RSA-AES128-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        "(ECDHE-X25519)-(RSA-PSS-RSAE-SHA256)-(AES-128-CBC)-(SHA256)";
    ecdhe_rsa_cbc_sha384: "server-rsa", "ECDHE-RSA", "AES-256-CBC", "SHA384",
        "ECDHE-RSA-AES256-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        "(ECDHE-X25519)-(RSA-PSS-RSAE-SHA256)-(AES-256-CBC)-(SHA384)";
    ecdhe_rsa_cbc_sha1: "server-rsa", "ECDHE-RSA", "AES-256-CBC", "SHA1",
        "ECDHE-RSA-AES256-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        "(ECDHE-X25519)-(RSA-PSS-RSAE-SHA256)-(AES-256-CBC)-(SHA1)";
    rsa_aes128_gcm: "server-rsa", "RSA", "AES-128-GCM", "AEAD",
        "AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256",
        "(RSA)-(AES-128-GCM)";
    rsa_aes256_ccm8: "server-rsa", "RSA", "AES-256-CCM-8", "AEAD",
        "AES256-CCM8", "TLS_RSA_WITH_AES_256_CCM_8",
        "(RSA)-(AES-256-CCM-8)";
    rsa_cbc_sha256: "server-rsa", "RSA", "AES-256-CBC", "SHA256",
        "AES256-SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256",
        "(RSA)-(AES-256-CBC)-(SHA256)";
    rsa_cbc_sha1: "server-rsa", "RSA", "AES-128-CBC", "SHA1",
        "AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA",
        "(RSA)-(AES-128-CBC)-(SHA1)";
}

// ---- DHE_RSA with RFC 7919 groups -------------------------------------------

/// Our client names only `ffdheN` (TLS 1.2 only); gnutls-serv allows only
/// that group.
fn client_dhe(seed: u32, bits: u32, cipher: &str, mac: &str, ours: &str, iana: &str) {
    let group = format!("ffdhe{bits}");
    let prio = format!(
        "{}:-GROUP-ALL:+GROUP-FFDHE{bits}",
        priority("DHE-RSA", cipher, mac)
    );
    let mac_desc = if mac == "AEAD" {
        String::new()
    } else {
        format!("-({mac})")
    };
    client_case(
        seed,
        "server-rsa",
        &prio,
        &[],
        &[
            "--suites",
            ours,
            "--groups",
            &group,
            "--max-version",
            "1.2",
        ],
        &format!("suite={iana} group={group} verify=ok"),
        &[
            &format!(
                "- Description: (TLS1.2-X.509)-(DHE-FFDHE{bits})-(RSA-PSS-RSAE-SHA256)-({cipher}){mac_desc}"
            ),
            "- Key Exchange: DHE-RSA",
        ],
    );
}

#[test]
fn client_dhe_rsa_ffdhe2048() {
    client_dhe(
        line!(),
        2048,
        "AES-128-GCM",
        "AEAD",
        "DHE-RSA-AES128-GCM-SHA256",
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    );
}

#[test]
fn client_dhe_rsa_ffdhe3072() {
    client_dhe(
        line!(),
        3072,
        "CHACHA20-POLY1305",
        "AEAD",
        "DHE-RSA-CHACHA20-POLY1305",
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    );
}

#[test]
fn client_dhe_rsa_ffdhe4096() {
    client_dhe(
        line!(),
        4096,
        "AES-256-CBC",
        "SHA256",
        "DHE-RSA-AES256-SHA256",
        "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
    );
}

/// gnutls-cli names only `ffdheN`; our server has its default groups.
fn server_dhe(seed: u32, bits: u32, cipher: &str, ours: &str, iana: &str) {
    server_case(
        seed,
        "server-rsa",
        &["--suites", ours],
        &format!(
            "{}:-GROUP-ALL:+GROUP-FFDHE{bits}",
            priority("DHE-RSA", cipher, "AEAD")
        ),
        &[],
        &format!("suite={iana} group=ffdhe{bits}"),
        "client-auth=no",
        &[&format!(
            "- Description: (TLS1.2-X.509)-(DHE-FFDHE{bits})-(RSA-PSS-RSAE-SHA256)-({cipher})"
        )],
    );
}

#[test]
fn server_dhe_rsa_ffdhe2048() {
    server_dhe(
        line!(),
        2048,
        "AES-256-GCM",
        "DHE-RSA-AES256-GCM-SHA384",
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    );
}

#[test]
fn server_dhe_rsa_ffdhe4096() {
    server_dhe(
        line!(),
        4096,
        "AES-128-CCM",
        "DHE-RSA-AES128-CCM",
        "TLS_DHE_RSA_WITH_AES_128_CCM",
    );
}

#[test]
fn server_dhe_rsa_picks_its_own_ffdhe_group() {
    // gnutls-cli names every RFC 7919 group; we allow only ffdhe3072.
    server_case(
        line!(),
        "server-rsa",
        &[
            "--suites",
            "DHE-RSA-AES128-GCM-SHA256",
            "--groups",
            "ffdhe3072",
            "--max-version",
            "1.2",
        ],
        &priority("DHE-RSA", "AES-128-GCM", "AEAD"),
        &[],
        "suite=TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 group=ffdhe3072",
        "client-auth=no",
        &["- Description: (TLS1.2-X.509)-(DHE-FFDHE3072)-(RSA-PSS-RSAE-SHA256)-(AES-128-GCM)"],
    );
}

// ---- PSK ----------------------------------------------------------------------

fn psk_ours(suite: &str) -> Vec<&str> {
    vec!["--psk", PSK, "--psk-identity", PSK_ID, "--suites", suite]
}

fn client_psk(seed: u32, stem: &str, kx: &str, cipher: &str, ours: &str, iana: &str, desc: &str) {
    let file = PskFile::new(seed);
    let path = file.path();
    client_case(
        seed,
        stem,
        &priority(kx, cipher, "AEAD"),
        &["--pskpasswd", &path],
        &psk_ours(ours),
        &format!("suite={iana}"),
        &[
            &format!("- Description: (TLS1.2-X.509)-{desc}"),
            &format!("- Key Exchange: {kx}"),
            &format!("- PSK authentication. Connected as '{PSK_ID}'"),
        ],
    );
}

#[test]
fn client_psk_plain() {
    client_psk(
        line!(),
        "server-p256",
        "PSK",
        "AES-128-GCM",
        "PSK-AES128-GCM-SHA256",
        "TLS_PSK_WITH_AES_128_GCM_SHA256",
        "(PSK)-(AES-128-GCM)",
    );
}

#[test]
fn client_psk_dhe() {
    client_psk(
        line!(),
        "server-p256",
        "DHE-PSK",
        "AES-256-GCM",
        "DHE-PSK-AES256-GCM-SHA384",
        "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384",
        "(DHE-CUSTOM2048)-(AES-256-GCM)",
    );
}

#[test]
fn client_psk_ecdhe() {
    client_psk(
        line!(),
        "server-p256",
        "ECDHE-PSK",
        "CHACHA20-POLY1305",
        "ECDHE-PSK-CHACHA20-POLY1305",
        "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
        "(ECDHE-X25519)-(CHACHA20-POLY1305)",
    );
}

#[test]
fn client_psk_rsa() {
    client_psk(
        line!(),
        "server-rsa",
        "RSA-PSK",
        "AES-128-GCM",
        "RSA-PSK-AES128-GCM-SHA256",
        "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256",
        "(RSA-PSK)-(AES-128-GCM)",
    );
}

/// gnutls-cli with our PSK. Only PSK and RSA-PSK: gnutls-cli 3.7.9 crashes
/// after DHE-PSK and ECDHE-PSK handshakes (against gnutls-serv as well).
fn server_psk(seed: u32, stem: &str, kx: &str, cipher: &str, ours: &str, iana: &str, desc: &str) {
    server_case(
        seed,
        stem,
        &psk_ours(ours),
        &priority(kx, cipher, "AEAD"),
        &["--pskusername", PSK_ID, "--pskkey", PSK],
        &format!("suite={iana}"),
        "client-auth=no",
        &[&format!("- Description: (TLS1.2-X.509)-{desc}")],
    );
}

#[test]
fn server_psk_plain() {
    server_psk(
        line!(),
        "server-p256",
        "PSK",
        "AES-128-CCM",
        "PSK-AES128-CCM",
        "TLS_PSK_WITH_AES_128_CCM",
        "(PSK)-(AES-128-CCM)",
    );
}

#[test]
fn server_psk_rsa() {
    server_psk(
        line!(),
        "server-rsa",
        "RSA-PSK",
        "AES-256-GCM",
        "RSA-PSK-AES256-GCM-SHA384",
        "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384",
        "(RSA-PSK)-(AES-256-GCM)",
    );
}

// ---- Encrypt-then-MAC, MAC-then-encrypt, extended master secret --------------

const CBC: &str = "ECDHE-ECDSA-AES128-SHA256";
const CBC_IANA: &str = "suite=TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256";
const CBC_DESC: &str =
    "- Description: (TLS1.2-X.509)-(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-CBC)-(SHA256)";

fn cbc_no_etm() -> String {
    format!(
        "{}:%NO_ETM",
        priority("ECDHE-ECDSA", "AES-128-CBC", "SHA256")
    )
}

#[test]
fn client_mac_then_encrypt_needs_the_opt_in() {
    client_case(
        line!(),
        "server-p256",
        &cbc_no_etm(),
        &[],
        &["--suites", CBC, "--allow-mac-then-encrypt"],
        CBC_IANA,
        &[CBC_DESC, OPTIONS],
    );
    // Without it the CBC suite is refused when the server declines EtM.
    let (srv, port) = gnutls_serv("server-p256", &cbc_no_etm(), &[]);
    let ca = ca("p256");
    client_fails(
        port,
        &["--ca", &ca, "--suites", CBC],
        "NoCommonCipherSuite",
        &srv,
    );
}

#[test]
fn server_mac_then_encrypt_needs_the_opt_in() {
    server_case(
        line!(),
        "server-p256",
        &["--suites", CBC, "--allow-mac-then-encrypt"],
        &cbc_no_etm(),
        &[],
        CBC_IANA,
        "client-auth=no",
        &[CBC_DESC, OPTIONS],
    );
    let cert = our_cert("server-p256");
    let mut args = refs(&cert);
    args.extend(["--suites", CBC]);
    let (mut srv, port) = start_server(&args, None);
    let ca = ca("p256");
    let mut cl = gnutls_cli(port, &cbc_no_etm(), &["--x509cafile", &ca]);
    cl.close_stdin();
    let status = cl.wait(STEP);
    let srv_status = srv.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    assert!(status.is_ok_and(|s| !s.success()), "gnutls-cli\n{ctx}");
    assert!(srv_status.is_ok_and(|s| !s.success()), "server\n{ctx}");
    assert!(
        srv.stderr().contains("NoCommonCipherSuite"),
        "server error\n{ctx}"
    );
    gnutls_says(&cl, &["*** Received alert [40]: Handshake failed"], &[&srv]);
}

/// Without the extended master secret (either side declining it) the
/// handshake still completes; GnuTLS's options lack it.
const OPTIONS_NO_EMS: &str = "- Options: safe renegotiation,";

#[test]
fn client_without_extended_master_secret_from_gnutls() {
    client_case(
        line!(),
        "server-p256",
        &format!("{TLS12}:%NO_SESSION_HASH"),
        &[],
        &[],
        "suite=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        &[OPTIONS_NO_EMS],
    );
}

#[test]
fn client_no_ems_against_gnutls() {
    client_case(
        line!(),
        "server-p256",
        TLS12,
        &[],
        &["--no-ems"],
        "suite=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        &[OPTIONS_NO_EMS],
    );
}

#[test]
fn server_without_extended_master_secret_from_gnutls() {
    server_case(
        line!(),
        "server-p256",
        &[],
        &format!("{TLS12}:%NO_SESSION_HASH"),
        &[],
        "suite=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "client-auth=no",
        &[OPTIONS_NO_EMS],
    );
}

#[test]
fn server_no_ems_against_gnutls() {
    server_case(
        line!(),
        "server-p256",
        &["--no-ems"],
        TLS12,
        &[],
        "suite=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "client-auth=no",
        &[OPTIONS_NO_EMS],
    );
}

// ---- client authentication ------------------------------------------------------

fn client_auth(seed: u32, key: &str, gnutls_sig: &str) {
    let cert = our_cert(&format!("client-{key}"));
    let mut ours = refs(&cert);
    ours.extend(["--suites", "ECDHE-ECDSA-AES256-GCM-SHA384"]);
    let client_ca = ca(key);
    client_case(
        seed,
        "server-p256",
        TLS12,
        &[
            "--require-client-cert",
            "--verify-client-cert",
            "--x509cafile",
            &client_ca,
        ],
        &ours,
        "suite=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 verify=ok",
        &[
            "- Status: The certificate is trusted.",
            &format!("- Client Signature: {gnutls_sig}"),
        ],
    );
}

#[test]
fn client_auth_p256_to_gnutls() {
    client_auth(line!(), "p256", "ECDSA-SHA256");
}

#[test]
fn client_auth_rsa_to_gnutls() {
    client_auth(line!(), "rsa", "RSA-PSS-RSAE-SHA256");
}

fn server_client_auth(seed: u32, key: &str) {
    let client_ca = ca(key);
    let cert = testdata(&format!("client-{key}.pem"));
    let client_key = testdata(&format!("client-{key}.key"));
    server_case(
        seed,
        "server-rsa",
        &["--ca", &client_ca, "--verify", "required"],
        TLS12,
        &["--x509certfile", &cert, "--x509keyfile", &client_key],
        "suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 verify=ok",
        "client-auth=yes peer-certs=1",
        &["- Successfully sent 1 certificate(s) to server."],
    );
}

#[test]
fn server_client_auth_p256_from_gnutls() {
    server_client_auth(line!(), "p256");
}

#[test]
fn server_client_auth_rsa_from_gnutls() {
    server_client_auth(line!(), "rsa");
}

// ---- resumption -------------------------------------------------------------------

const RESUMED: &str = "*** This is a resumed session";
/// GnuTLS debug-log (`-d 4`) lines for a ticket sent and received.
const TICKET_SENT: &str = "NEW SESSION TICKET was queued";
const TICKET_RECEIVED: &str = "received session ticket";

/// Our client --reconnect against one gnutls-serv: the second handshake
/// resumes, by ticket or (tickets off) by session id.
fn client_resumes(seed: u32, priority: &str, ticket: bool) {
    let (srv, port) = gnutls_serv("server-p256", priority, &["-d", "4"]);
    let data = payload(seed, 300);
    let ca = ca("p256");
    let cl = run_client(
        port,
        &["--ca", &ca, "--max-version", "1.2", "--reconnect"],
        &data,
        &data,
        &srv,
    );
    let ctx = transcripts(&[&cl, &srv]);
    let err = cl.stderr();
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("embertls: version=TLSv1.2 "))
        .collect();
    assert_eq!(lines.len(), 2, "two TLS 1.2 handshakes\n{ctx}");
    assert!(lines[0].ends_with("resumed=no"), "{ctx}");
    assert!(lines[1].ends_with("resumed=yes"), "{ctx}");
    gnutls_says(&srv, &[RESUMED], &[&cl]);
    if ticket {
        assert!(
            eventually(STEP, || srv.stderr().contains(TICKET_SENT)),
            "gnutls-serv sent no ticket\n{ctx}"
        );
    } else {
        assert!(!srv.stderr().contains(TICKET_SENT), "a ticket\n{ctx}");
    }
}

#[test]
fn client_resumes_by_gnutls_ticket() {
    client_resumes(line!(), TLS12, true);
}

#[test]
fn client_resumes_by_gnutls_session_id() {
    client_resumes(line!(), &format!("{TLS12}:%NO_TICKETS"), false);
}

/// gnutls-cli --resume against our server (serving any number of
/// connections): the second connection is resumed and carries data both
/// ways.
fn server_resumes(seed: u32, ours: &[&str], ticket: bool) {
    let cert = our_cert("server-p256");
    let mut args = vec!["-v"];
    args.extend(refs(&cert));
    args.extend_from_slice(ours);
    let (mut srv, port) = embertls_server(&args);
    let ca = ca("p256");
    let mut cl = gnutls_cli(port, TLS12, &["--x509cafile", &ca, "--resume", "-d", "4"]);
    let (to_client, to_server) = payloads(seed);
    cl.write(&to_server);
    let summaries = |srv: &Proc| {
        srv.stderr()
            .lines()
            .filter(|l| l.starts_with("embertls: version=TLSv1.2 "))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let both = eventually(STEP, || summaries(&srv).len() == 2);
    srv.write(&to_client);
    let got = cl.wait_stdout(&to_client, STEP);
    let got_server = srv.wait_stdout(&to_server, STEP);
    cl.close_stdin();
    let status = cl.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    assert!(both, "two handshakes\n{ctx}");
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got_server.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(
        status.is_ok_and(|s| s.success()),
        "gnutls-cli failed\n{ctx}"
    );
    assert_eq!(
        cli_received(&cl.stdout(), SIMPLE_CLIENT),
        to_client,
        "gnutls-cli received\n{ctx}"
    );
    assert_eq!(srv.stdout_bytes(), to_server, "server received\n{ctx}");
    let lines = summaries(&srv);
    // A resumed handshake has no key exchange: group=-.
    assert!(lines[0].contains(" group=x25519 "), "first\n{ctx}");
    assert!(lines[1].contains(" group=- "), "second resumed\n{ctx}");
    gnutls_says(&cl, &[RESUMED], &[&srv]);
    assert_eq!(
        cl.stderr().contains(TICKET_RECEIVED),
        ticket,
        "tickets\n{ctx}"
    );
}

#[test]
fn server_resumes_gnutls_by_ticket() {
    server_resumes(line!(), &[], true);
}

#[test]
fn server_resumes_gnutls_by_session_id() {
    server_resumes(line!(), &["--no-tickets", "--session-cache"], false);
}

// ---- renegotiation -------------------------------------------------------------------

/// gnutls-serv with safe renegotiation required; without tickets (see the
/// top of the file).
fn renegotiating_gnutls_serv() -> (Proc, u16) {
    gnutls_serv(
        "server-p256",
        &format!("{TLS12}:%SAFE_RENEGOTIATION"),
        &["--noticket"],
    )
}

#[test]
fn client_renegotiates_with_gnutls() {
    let (srv, port) = renegotiating_gnutls_serv();
    let data = payload(line!(), 300);
    let ca = ca("p256");
    let cl = run_client(
        port,
        &["--ca", &ca, "--max-version", "1.2", "--renegotiate"],
        &data,
        &data,
        &srv,
    );
    let ctx = transcripts(&[&cl, &srv]);
    assert!(
        cl.stderr()
            .contains("embertls: renegotiated version=TLSv1.2 suite=TLS_ECDHE_ECDSA"),
        "no renegotiation\n{ctx}"
    );
    gnutls_says(&srv, &["*** Received hello message"], &[&cl]);
}

#[test]
fn gnutls_serv_renegotiates_with_our_client() {
    // gnutls-serv --echo answers "**REHANDSHAKE**" with a HelloRequest.
    let (srv, port) = renegotiating_gnutls_serv();
    let ca = ca("p256");
    let mut cl = common::embertls_client(
        port,
        &[
            "--ca",
            &ca,
            "--wait",
            "50",
            "--max-version",
            "1.2",
            "--allow-renegotiation",
        ],
    );
    let first = payload(line!(), 200);
    let second = payload(line!(), 300);
    cl.write(&first);
    let mut result = cl.wait_stdout(&first, STEP);
    if result.is_ok() {
        cl.write(b"**REHANDSHAKE**\n");
        result = cl.wait_stderr(b"embertls: renegotiated version=TLSv1.2", STEP);
    }
    if result.is_ok() {
        cl.write(&second);
        result = cl.wait_stdout(&second, STEP);
    }
    cl.close_stdin();
    let status = cl.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    result.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "client failed\n{ctx}");
    let expected = [&first[..], b"Successfully executed command\n", &second].concat();
    assert_eq!(cl.stdout_bytes(), expected, "client received\n{ctx}");
    gnutls_says(
        &srv,
        &[
            "*** Sending rehandshake request",
            "*** Received hello message",
        ],
        &[&cl],
    );
}

#[test]
fn gnutls_cli_renegotiates_with_our_server() {
    // gnutls-cli --rehandshake renegotiates right after the handshake; it
    // does not take application data in the middle of it, so ours follows
    // the renegotiation.
    let (to_client, to_server) = payloads(line!());
    let cert = our_cert("server-p256");
    let mut args = refs(&cert);
    args.push("--allow-renegotiation");
    let (mut srv, port) = start_server(&args, None);
    let ca = ca("p256");
    let mut cl = gnutls_cli(
        port,
        &format!("{TLS12}:%SAFE_RENEGOTIATION"),
        &["--x509cafile", &ca, "--rehandshake"],
    );
    cl.write(&to_server);
    let renegotiated = srv.wait_stderr(b"embertls: renegotiated version=TLSv1.2", STEP);
    srv.write(&to_client);
    let got = cl.wait_stdout(&to_client, STEP);
    let got_server = srv.wait_stdout(&to_server, STEP);
    cl.close_stdin();
    let status = cl.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    renegotiated.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got_server.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(
        status.is_ok_and(|s| s.success()),
        "gnutls-cli failed\n{ctx}"
    );
    let marker = "- ReHandshake was completed\n";
    assert_eq!(
        cli_received(&cl.stdout(), marker),
        to_client,
        "gnutls-cli received\n{ctx}"
    );
    finish_server(
        &mut srv,
        "version=TLSv1.2 suite=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        Some(&to_server),
        &cl,
    );
}

#[test]
fn server_refuses_renegotiation_from_gnutls_by_default() {
    let cert = our_cert("server-p256");
    let (mut srv, port) = start_server(&refs(&cert), None);
    let ca = ca("p256");
    let mut cl = gnutls_cli(port, TLS12, &["--x509cafile", &ca, "--rehandshake"]);
    cl.close_stdin();
    let status = cl.wait(STEP);
    let _ = srv.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    assert!(status.is_ok_and(|s| !s.success()), "gnutls-cli\n{ctx}");
    assert!(
        srv.stderr().contains("embertls: version=TLSv1.2"),
        "first handshake\n{ctx}"
    );
    assert!(!srv.stderr().contains("renegotiated"), "{ctx}");
    gnutls_says(
        &cl,
        &[
            "*** Received alert [100]: No renegotiation is allowed",
            "*** ReHandshake has failed",
        ],
        &[&srv],
    );
}
