//! TLS 1.2 interop with OpenSSL 3 over loopback, both roles: `embertls
//! client` against `openssl s_server -tls1_2`, `openssl s_client -tls1_2`
//! against `embertls server`. Every key exchange and cipher family,
//! resumption, renegotiation, client authentication, fallback SCSV, the
//! downgrade sentinel and the key log (checked by decrypting a captured
//! record with an independent PRF and AES-GCM). Data is checked byte for
//! byte both ways; the negotiated version and suite on both sides.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::tls12::{
    client_fails, finish_server, our_cert, payloads, refs, run_client, start_server, PSK, PSK_ID,
};
use common::{embertls_client, eventually, spawn_listening, testdata, transcripts, Proc, STEP};

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `openssl s_server -brief -tls1_2` with `stem`'s certificate (none for
/// `None`: add `-nocert`), serving `naccept` connections.
fn s_server(stem: Option<&str>, naccept: usize, extra: &[&str]) -> (Proc, u16) {
    let mut fixed = strings(&["-naccept", &naccept.to_string(), "-brief"]);
    if !extra.iter().any(|a| a.starts_with("-tls1")) {
        fixed.push("-tls1_2".into());
    }
    match stem {
        Some(stem) => fixed.extend([
            "-cert".into(),
            testdata(&format!("{stem}.pem")),
            "-key".into(),
            testdata(&format!("{stem}.key")),
        ]),
        None => fixed.push("-nocert".into()),
    }
    fixed.extend(strings(extra));
    spawn_listening("openssl s_server", "openssl", move |port| {
        let mut args = strings(&["s_server", "-accept", &format!("127.0.0.1:{port}")]);
        args.extend(fixed.iter().cloned());
        args
    })
}

/// Waits until `proc` printed `line` on stderr (OpenSSL's -brief report).
fn openssl_says(proc: &Proc, line: &str, others: &[&Proc]) {
    let mut all = vec![proc];
    all.extend_from_slice(others);
    assert!(
        eventually(Duration::from_secs(3), || proc.stderr().contains(line)
            || proc.stdout().contains(line)),
        "{} should say {line:?}\n{}",
        proc.name,
        transcripts(&all)
    );
}

/// Our client against s_server: payloads both ways, our summary, and
/// s_server's report of version and suite (`ossl`). s_server's data goes
/// in after the handshake: input waiting before it suppresses the report.
fn client_case(
    seed: u32,
    stem: Option<&str>,
    server: &[&str],
    client: &[&str],
    summary: &str,
    ossl: &str,
) {
    let (to_client, to_server) = payloads(seed);
    let (mut srv, port) = s_server(stem, 1, server);
    let ca = testdata(&format!(
        "ca-{}.pem",
        stem.unwrap_or("server-p256").trim_start_matches("server-")
    ));
    let mut args = vec!["--wait", "50", "--ca", ca.as_str()];
    args.extend_from_slice(client);
    let mut cl = embertls_client(port, &args);
    let done = cl.wait_stderr(b"embertls: version=", STEP);
    srv.write(&to_client);
    cl.write(&to_server);
    let got = cl.wait_stdout(&to_client, STEP);
    cl.close_stdin();
    let client_status = cl.wait(STEP);
    let status = srv.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    done.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(
        client_status.is_ok_and(|s| s.success()),
        "client failed\n{ctx}"
    );
    assert!(status.is_ok(), "s_server did not finish\n{ctx}");
    assert_eq!(cl.stdout_bytes(), to_client, "client received\n{ctx}");
    assert_eq!(srv.stdout_bytes(), to_server, "s_server received\n{ctx}");
    common::assert_summary(&cl.stderr(), &format!("version=TLSv1.2 {summary}"), &ctx);
    openssl_says(&srv, "Protocol version: TLSv1.2", &[&cl]);
    openssl_says(&srv, &format!("Ciphersuite: {ossl}"), &[&cl]);
}

fn client_suite(seed: u32, ossl: &str, iana: &str, stem: &str) {
    client_case(
        seed,
        Some(stem),
        &["-cipher", &format!("{ossl}:@SECLEVEL=0")],
        &["--suites", ossl],
        &format!("suite={iana} verify=ok"),
        ossl,
    );
}

/// `openssl s_client -tls1_2 -brief` to our server on `port`.
fn s_client(port: u16, extra: &[&str]) -> Proc {
    let mut args = strings(&[
        "s_client",
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-servername",
        "localhost",
    ]);
    if !extra.iter().any(|a| a.starts_with("-tls1")) {
        args.push("-tls1_2".into());
    }
    args.extend(strings(extra));
    Proc::spawn("openssl s_client", "openssl", &args)
}

/// s_client against our server: payloads both ways, our summary, and
/// s_client's report.
fn server_case(seed: u32, server: &[&str], client: &[&str], summary: &str, ossl: &str) {
    let (to_client, to_server) = payloads(seed);
    let (mut srv, port) = start_server(server, Some(&to_client));
    let mut args = vec!["-brief", "-verify_return_error"];
    args.extend_from_slice(client);
    let mut cl = s_client(port, &args);
    cl.write(&to_server);
    let got = cl.wait_stdout(&to_client, STEP);
    let got_server = srv.wait_stdout(&to_server, STEP);
    cl.close_stdin();
    let status = cl.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got_server.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "s_client failed\n{ctx}");
    assert_eq!(cl.stdout_bytes(), to_client, "s_client received\n{ctx}");
    finish_server(
        &mut srv,
        &format!("version=TLSv1.2 {summary}"),
        Some(&to_server),
        &cl,
    );
    openssl_says(&cl, "Protocol version: TLSv1.2", &[&srv]);
    openssl_says(&cl, &format!("Ciphersuite: {ossl}"), &[&srv]);
}

fn server_suite(seed: u32, ossl: &str, iana: &str, stem: &str) {
    let ca = testdata(&format!("ca-{}.pem", stem.trim_start_matches("server-")));
    let cert = our_cert(stem);
    let mut server = refs(&cert);
    server.extend(["--suites", ossl]);
    server_case(
        seed,
        &server,
        &["-CAfile", &ca, "-cipher", &format!("{ossl}:@SECLEVEL=0")],
        &format!("suite={iana}"),
        ossl,
    );
}

macro_rules! suites {
    ($case:ident: $($name:ident: $ossl:literal, $iana:literal, $stem:literal;)*) => {
        $( #[test] fn $name() { $case(line!(), $ossl, $iana, $stem); } )*
    };
}

// ---- embertls client, s_server: cipher families -----------------------------

suites! { client_suite:
    client_ecdhe_ecdsa_aes128_gcm: "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "server-p256";
    client_ecdhe_ecdsa_aes256_gcm: "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "server-p256";
    client_ecdhe_ecdsa_chacha20: "ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "server-p256";
    client_ecdhe_ecdsa_aes128_ccm: "ECDHE-ECDSA-AES128-CCM", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "server-p256";
    client_ecdhe_ecdsa_aes256_ccm8: "ECDHE-ECDSA-AES256-CCM8", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", "server-p256";
    client_ecdhe_ecdsa_cbc_sha256: "ECDHE-ECDSA-AES128-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "server-p256";
    client_ecdhe_ecdsa_cbc_sha384: "ECDHE-ECDSA-AES256-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "server-p256";
    client_ecdhe_ecdsa_cbc_sha: "ECDHE-ECDSA-AES128-SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "server-p256";
    client_ecdhe_rsa_aes128_gcm: "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "server-rsa";
    client_ecdhe_rsa_chacha20: "ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "server-rsa";
    client_ecdhe_rsa_cbc_sha384: "ECDHE-RSA-AES256-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "server-rsa";
    client_ecdhe_rsa_cbc_sha: "ECDHE-RSA-AES256-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "server-rsa";
    client_dhe_rsa_ffdhe2048: "DHE-RSA-AES256-GCM-SHA384", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "server-rsa";
    client_dhe_rsa_ccm: "DHE-RSA-AES128-CCM", "TLS_DHE_RSA_WITH_AES_128_CCM", "server-rsa";
    client_rsa_aes128_gcm: "AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256", "server-rsa";
    client_rsa_cbc_sha256: "AES256-SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256", "server-rsa";
}

#[test]
fn client_mac_then_encrypt_needs_the_opt_in() {
    let server = ["-no_etm", "-cipher", "ECDHE-ECDSA-AES128-SHA256"];
    client_case(
        line!(),
        Some("server-p256"),
        &server,
        &[
            "--suites",
            "ECDHE-ECDSA-AES128-SHA256",
            "--allow-mac-then-encrypt",
        ],
        "suite=TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        "ECDHE-ECDSA-AES128-SHA256",
    );
    // Without it the CBC suite is refused when the server declines EtM.
    let (srv, port) = s_server(Some("server-p256"), 1, &server);
    let ca = testdata("ca-p256.pem");
    client_fails(
        port,
        &["--ca", &ca, "--suites", "ECDHE-ECDSA-AES128-SHA256"],
        "error",
        &srv,
    );
}

#[test]
fn client_dhe_custom_group() {
    let dh = testdata("dh2048.pem");
    client_case(
        line!(),
        Some("server-rsa"),
        &["-dhparam", &dh, "-cipher", "DHE-RSA-AES128-GCM-SHA256"],
        &["--suites", "DHE-RSA-AES128-GCM-SHA256"],
        "suite=TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        "DHE-RSA-AES128-GCM-SHA256",
    );
}

#[test]
fn client_refuses_a_1024_bit_dh_group_unless_allowed() {
    let dh = testdata("dh1024.pem");
    let server = [
        "-dhparam",
        dh.as_str(),
        "-cipher",
        "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
    ];
    let (srv, port) = s_server(Some("server-rsa"), 1, &server);
    let ca = testdata("ca-rsa.pem");
    client_fails(
        port,
        &["--ca", &ca, "--suites", "DHE-RSA-AES128-GCM-SHA256"],
        "WeakDhParameters",
        &srv,
    );
    openssl_says(&srv, "alert insufficient security", &[]);
    client_case(
        line!(),
        Some("server-rsa"),
        &server,
        &[
            "--suites",
            "DHE-RSA-AES128-GCM-SHA256",
            "--min-dh-bits",
            "1024",
        ],
        "suite=TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        "DHE-RSA-AES128-GCM-SHA256",
    );
}

fn client_psk(seed: u32, ossl: &str, iana: &str, stem: Option<&str>) {
    client_case(
        seed,
        stem,
        &["-psk", PSK, "-psk_identity", PSK_ID, "-cipher", ossl],
        &["--psk", PSK, "--psk-identity", PSK_ID, "--suites", ossl],
        &format!("suite={iana}"),
        ossl,
    );
}

#[test]
fn client_psk_plain() {
    client_psk(
        line!(),
        "PSK-AES128-GCM-SHA256",
        "TLS_PSK_WITH_AES_128_GCM_SHA256",
        None,
    );
}

#[test]
fn client_psk_dhe() {
    client_psk(
        line!(),
        "DHE-PSK-AES256-GCM-SHA384",
        "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384",
        None,
    );
}

#[test]
fn client_psk_ecdhe() {
    client_psk(
        line!(),
        "ECDHE-PSK-CHACHA20-POLY1305",
        "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
        None,
    );
}

#[test]
fn client_psk_rsa() {
    client_psk(
        line!(),
        "RSA-PSK-AES128-GCM-SHA256",
        "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256",
        Some("server-rsa"),
    );
}

fn client_auth(seed: u32, key: &str) {
    let ca = testdata(&format!("ca-{key}.pem"));
    let cert = our_cert(&format!("client-{key}"));
    let mut client = refs(&cert);
    client.extend(["--suites", "ECDHE-ECDSA-AES128-GCM-SHA256"]);
    client_case(
        seed,
        Some("server-p256"),
        &["-Verify", "1", "-verify_return_error", "-CAfile", &ca],
        &client,
        "suite=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 verify=ok",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
    );
}

#[test]
fn client_auth_p256() {
    client_auth(line!(), "p256");
}

#[test]
fn client_auth_rsa() {
    client_auth(line!(), "rsa");
}

#[test]
fn client_renegotiates_with_openssl() {
    let (to_client, to_server) = payloads(line!());
    let (mut srv, port) = s_server(Some("server-p256"), 1, &["-client_renegotiation"]);
    srv.write(&to_client);
    let ca = testdata("ca-p256.pem");
    let args = ["--ca", &ca, "--max-version", "1.2", "--renegotiate"];
    let cl = run_client(port, &args, &to_server, &to_client, &srv);
    let ctx = transcripts(&[&cl, &srv]);
    assert!(
        cl.stderr()
            .contains("embertls: renegotiated version=TLSv1.2"),
        "no renegotiation\n{ctx}"
    );
    assert!(
        eventually(STEP, || srv.stdout_bytes() == to_server),
        "s_server received\n{ctx}"
    );
}

/// --reconnect against s_server serving two connections; s_server's data
/// goes out once the second (resumed) handshake is done.
fn client_resumes(seed: u32, server: &[&str]) {
    let (to_client, to_server) = payloads(seed);
    let (mut srv, port) = s_server(Some("server-p256"), 2, server);
    let ca = testdata("ca-p256.pem");
    let mut cl = embertls_client(
        port,
        &[
            "--wait",
            "50",
            "--ca",
            &ca,
            "--max-version",
            "1.2",
            "--reconnect",
        ],
    );
    let resumed = cl.wait_stderr(b"resumed=yes", STEP);
    srv.write(&to_client);
    cl.write(&to_server);
    let got = cl.wait_stdout(&to_client, STEP);
    cl.close_stdin();
    let status = cl.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    resumed.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "client failed\n{ctx}");
    assert_eq!(cl.stdout_bytes(), to_client, "client received\n{ctx}");
    assert!(
        cl.stderr().contains("resumed=no"),
        "first connection\n{ctx}"
    );
    assert!(
        eventually(STEP, || srv.stdout_bytes() == to_server),
        "s_server received\n{ctx}"
    );
}

#[test]
fn client_resumes_by_ticket() {
    client_resumes(line!(), &[]);
}

#[test]
fn client_resumes_by_session_id() {
    client_resumes(line!(), &["-no_ticket"]);
}

// ---- s_client, embertls server ----------------------------------------------

suites! { server_suite:
    server_ecdhe_ecdsa_aes128_gcm: "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "server-p256";
    server_ecdhe_ecdsa_aes256_gcm: "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "server-p384";
    server_ecdhe_ecdsa_chacha20: "ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "server-p256";
    server_ecdhe_ecdsa_aes256_ccm: "ECDHE-ECDSA-AES256-CCM", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "server-p256";
    server_ecdhe_ecdsa_aes128_ccm8: "ECDHE-ECDSA-AES128-CCM8", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "server-p256";
    server_ecdhe_ecdsa_cbc_sha384: "ECDHE-ECDSA-AES256-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "server-p384";
    server_ecdhe_ecdsa_cbc_sha: "ECDHE-ECDSA-AES256-SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "server-p256";
    server_ecdhe_rsa_aes256_gcm: "ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "server-rsa";
    server_ecdhe_rsa_chacha20: "ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "server-rsa";
    server_ecdhe_rsa_cbc_sha256: "ECDHE-RSA-AES128-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "server-rsa";
    server_ecdhe_rsa_cbc_sha: "ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "server-rsa";
    server_dhe_rsa_ffdhe2048: "DHE-RSA-AES128-GCM-SHA256", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "server-rsa";
    server_dhe_rsa_chacha20: "DHE-RSA-CHACHA20-POLY1305", "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "server-rsa";
    server_rsa_aes256_gcm: "AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384", "server-rsa";
    server_rsa_cbc_sha: "AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", "server-rsa";
    server_rsa_ccm: "AES128-CCM", "TLS_RSA_WITH_AES_128_CCM", "server-rsa";
}

#[test]
fn server_mac_then_encrypt_with_the_opt_in() {
    let cert = our_cert("server-p256");
    let mut server = refs(&cert);
    server.extend([
        "--suites",
        "ECDHE-ECDSA-AES128-SHA256",
        "--allow-mac-then-encrypt",
    ]);
    let ca = testdata("ca-p256.pem");
    server_case(
        line!(),
        &server,
        &[
            "-CAfile",
            &ca,
            "-no_etm",
            "-cipher",
            "ECDHE-ECDSA-AES128-SHA256",
        ],
        "suite=TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        "ECDHE-ECDSA-AES128-SHA256",
    );
}

#[test]
fn server_dhe_custom_group() {
    let cert = our_cert("server-rsa");
    let dh = testdata("dh2048.pem");
    let mut server = refs(&cert);
    server.extend(["--dh-params", &dh]);
    let ca = testdata("ca-rsa.pem");
    // No RFC 7919 group offered: the server uses its own parameters.
    server_case(
        line!(),
        &server,
        &[
            "-CAfile",
            &ca,
            "-groups",
            "x25519",
            "-cipher",
            "DHE-RSA-AES256-GCM-SHA384",
        ],
        "suite=TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        "DHE-RSA-AES256-GCM-SHA384",
    );
}

fn server_psk(seed: u32, ossl: &str, iana: &str, stem: &str) {
    let cert = our_cert(stem);
    let mut server = refs(&cert);
    server.extend(["--psk", PSK, "--psk-identity", PSK_ID, "--suites", ossl]);
    let ca = testdata(&format!("ca-{}.pem", stem.trim_start_matches("server-")));
    server_case(
        seed,
        &server,
        &[
            "-CAfile",
            &ca,
            "-psk",
            PSK,
            "-psk_identity",
            PSK_ID,
            "-cipher",
            ossl,
        ],
        &format!("suite={iana}"),
        ossl,
    );
}

#[test]
fn server_psk_plain() {
    server_psk(
        line!(),
        "PSK-AES256-GCM-SHA384",
        "TLS_PSK_WITH_AES_256_GCM_SHA384",
        "server-p256",
    );
}

#[test]
fn server_psk_dhe() {
    server_psk(
        line!(),
        "DHE-PSK-AES128-GCM-SHA256",
        "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256",
        "server-p256",
    );
}

#[test]
fn server_psk_ecdhe() {
    server_psk(
        line!(),
        "ECDHE-PSK-AES128-CBC-SHA256",
        "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
        "server-p256",
    );
}

#[test]
fn server_psk_rsa() {
    server_psk(
        line!(),
        "RSA-PSK-AES256-GCM-SHA384",
        "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384",
        "server-rsa",
    );
}

fn server_client_auth(seed: u32, key: &str) {
    let cert = our_cert("server-p256");
    let ca = testdata(&format!("ca-{key}.pem"));
    let mut server = refs(&cert);
    server.extend(["--ca", &ca, "--verify", "required"]);
    let server_ca = testdata("ca-p256.pem");
    let client_cert = testdata(&format!("client-{key}.pem"));
    let client_key = testdata(&format!("client-{key}.key"));
    server_case(
        seed,
        &server,
        &[
            "-CAfile",
            &server_ca,
            "-cert",
            &client_cert,
            "-key",
            &client_key,
        ],
        "verify=ok",
        "ECDHE-ECDSA-",
    );
}

#[test]
fn server_client_auth_p256() {
    server_client_auth(line!(), "p256");
}

#[test]
fn server_client_auth_rsa() {
    server_client_auth(line!(), "rsa");
}

/// Two s_client connections (-sess_out, then -sess_in) to one server; the
/// second must be reused, with data both ways on it.
fn server_resumption(seed: u32, extra: &[&str]) {
    let dir =
        std::env::temp_dir().join(format!("embertls-tls12-ossl-{}-{seed}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sess = dir.join("session.pem").to_string_lossy().into_owned();
    let cert = our_cert("server-p256");
    let mut args = vec!["-v"];
    args.extend(refs(&cert));
    args.extend_from_slice(extra);
    let (mut srv, port) = common::embertls_server(&args);
    let ca = testdata("ca-p256.pem");
    let mut first = s_client(port, &["-CAfile", &ca, "-brief", "-sess_out", &sess]);
    first.close_stdin();
    let status = first.wait(STEP);
    assert!(
        status.is_ok_and(|s| s.success()),
        "first\n{}",
        transcripts(&[&first, &srv])
    );
    let (to_client, to_server) = payloads(seed);
    let mut second = s_client(port, &["-CAfile", &ca, "-nocommands", "-sess_in", &sess]);
    let connected = second.wait_stdout(b"Reused, TLSv1.2", STEP);
    srv.write(&to_client);
    second.write(&to_server);
    let got = second.wait_stdout(&to_client, STEP);
    let got_server = srv.wait_stdout(&to_server, STEP);
    second.close_stdin();
    let _ = second.wait(STEP);
    let ctx = transcripts(&[&first, &second, &srv]);
    let _ = std::fs::remove_dir_all(&dir);
    connected.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got_server.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert_eq!(srv.stdout_bytes(), to_server, "server received\n{ctx}");
    assert_eq!(
        srv.stderr().matches("embertls: version=TLSv1.2").count(),
        2,
        "two TLS 1.2 handshakes\n{ctx}"
    );
}

#[test]
fn server_resumption_by_ticket() {
    server_resumption(line!(), &[]);
}

#[test]
fn server_resumption_by_session_id() {
    server_resumption(line!(), &["--no-tickets", "--session-cache"]);
}

#[test]
fn server_accepts_renegotiation_from_s_client() {
    let (to_client, to_server) = payloads(line!());
    let cert = our_cert("server-p256");
    let mut server = refs(&cert);
    server.push("--allow-renegotiation");
    let (mut srv, port) = start_server(&server, None);
    let ca = testdata("ca-p256.pem");
    // Not -brief, no -nocommands: a line "R" asks s_client to renegotiate.
    let mut cl = s_client(port, &["-CAfile", &ca]);
    let connected = srv.wait_stderr(b"embertls: version=TLSv1.2", STEP);
    cl.write(b"R\n");
    let renegotiated = srv.wait_stderr(b"embertls: renegotiated version=TLSv1.2", STEP);
    srv.write(&to_client);
    cl.write(&to_server);
    let got = cl.wait_stdout(&to_client, STEP);
    let got_server = srv.wait_stdout(&to_server, STEP);
    cl.close_stdin();
    let _ = cl.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    connected.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    renegotiated.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got_server.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    finish_server(&mut srv, "version=TLSv1.2", Some(&to_server), &cl);
}

#[test]
fn fallback_scsv_refused_by_a_tls13_server_accepted_by_a_tls12_one() {
    let cert = our_cert("server-p256");
    let ca = testdata("ca-p256.pem");
    let (mut srv, port) = start_server(&refs(&cert), None);
    let mut cl = s_client(port, &["-CAfile", &ca, "-brief", "-fallback_scsv"]);
    cl.close_stdin();
    let status = cl.wait(STEP);
    let srv_status = srv.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    assert!(
        status.is_ok_and(|s| !s.success()),
        "s_client should fail\n{ctx}"
    );
    assert!(
        srv_status.is_ok_and(|s| !s.success()),
        "server should fail\n{ctx}"
    );
    assert!(
        cl.stderr().contains("inappropriate fallback"),
        "alert\n{ctx}"
    );
    assert!(
        srv.stderr().contains("InappropriateFallback"),
        "server error\n{ctx}"
    );

    let mut server = refs(&cert);
    server.extend(["--max-version", "1.2"]);
    server_case(
        line!(),
        &server,
        &["-CAfile", &ca, "-fallback_scsv"],
        "suite=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
    );
}

/// The ServerHello random from s_client's `-msg` dump.
fn server_hello_random(msg: &str) -> Vec<u8> {
    let mut lines = msg
        .lines()
        .skip_while(|l| !(l.starts_with("<<<") && l.contains("ServerHello")));
    lines.next().expect("a ServerHello in the -msg dump");
    let bytes: Vec<u8> = lines
        .take_while(|l| l.starts_with(' '))
        .flat_map(|l| {
            l.split_whitespace()
                .map(|b| u8::from_str_radix(b, 16).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(bytes[0], 2, "ServerHello");
    bytes[6..38].to_vec()
}

fn sentinel(server_extra: &[&str]) -> Vec<u8> {
    let cert = our_cert("server-p256");
    let mut server = refs(&cert);
    server.extend_from_slice(server_extra);
    let (mut srv, port) = start_server(&server, None);
    let ca = testdata("ca-p256.pem");
    let mut cl = s_client(port, &["-CAfile", &ca, "-msg", "-nocommands"]);
    let done = srv.wait_stderr(b"embertls: version=TLSv1.2", STEP);
    cl.close_stdin();
    let _ = cl.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    done.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    server_hello_random(&cl.stdout())
}

#[test]
fn downgrade_sentinel_only_from_a_tls13_capable_server() {
    const DOWNGRD: [u8; 8] = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01];
    assert_eq!(sentinel(&[])[24..], DOWNGRD);
    assert_ne!(sentinel(&["--max-version", "1.2"])[24..], DOWNGRD);
}

// ---- key log ------------------------------------------------------------------

/// A one-connection TCP relay between our client and `target`, recording
/// both directions: (client to server, server to client).
type Capture = Arc<Mutex<(Vec<u8>, Vec<u8>)>>;

fn relay(target: u16) -> (u16, Capture) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let capture: Capture = Arc::default();
    let cap = capture.clone();
    thread::spawn(move || {
        let (inbound, _) = listener.accept().unwrap();
        let outbound = TcpStream::connect(("127.0.0.1", target)).unwrap();
        let pipe = |mut from: TcpStream, mut to: TcpStream, cap: Capture, upstream: bool| {
            thread::spawn(move || {
                let mut buf = [0u8; 16384];
                while let Ok(n @ 1..) = from.read(&mut buf) {
                    let mut c = cap.lock().unwrap();
                    if upstream { &mut c.0 } else { &mut c.1 }.extend_from_slice(&buf[..n]);
                    drop(c);
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to.shutdown(std::net::Shutdown::Write);
            })
        };
        let a = pipe(
            inbound.try_clone().unwrap(),
            outbound.try_clone().unwrap(),
            cap.clone(),
            true,
        );
        let b = pipe(outbound, inbound, cap, false);
        let _ = (a.join(), b.join());
    });
    (port, capture)
}

/// The TLS records of one direction: (content type, fragment).
fn records(stream: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut rest = stream;
    while rest.len() >= 5 {
        let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
        out.push((rest[0], &rest[5..5 + len]));
        rest = &rest[5 + len..];
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// TLS 1.2 PRF with SHA-256 (RFC 5246 5), written here from HMAC.
fn prf_sha256(secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    type H = Hmac<sha2::Sha256>;
    let mac = |data: &[&[u8]]| {
        let mut m = <H as Mac>::new_from_slice(secret).unwrap();
        for d in data {
            m.update(d);
        }
        m.finalize().into_bytes().to_vec()
    };
    let mut a = mac(&[label, seed]);
    let mut out = Vec::new();
    while out.len() < len {
        out.extend(mac(&[&a, label, seed]));
        a = mac(&[&a]);
    }
    out.truncate(len);
    out
}

/// Our client with --keylog against s_server -keylogfile through a relay:
/// both files hold the same CLIENT_RANDOM line, and the logged master
/// secret decrypts the client's application data as Wireshark would.
#[test]
fn keylog_tls12_matches_openssl_and_decrypts_the_capture() {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let dir = std::env::temp_dir().join(format!("embertls-keylog12-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ours = dir.join("ours.log");
    let theirs = dir.join("openssl.log");
    let theirs_s = theirs.to_string_lossy().into_owned();
    let (mut srv, port) = s_server(Some("server-p256"), 1, &["-keylogfile", &theirs_s]);
    let (relay_port, capture) = relay(port);
    let (to_client, to_server) = payloads(line!());
    let ca = testdata("ca-p256.pem");
    let ours_s = ours.to_string_lossy().into_owned();
    let args = [
        "--wait",
        "50",
        "--ca",
        &ca,
        "--suites",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "--keylog",
        &ours_s,
    ];
    let mut cl = embertls_client(relay_port, &args);
    let done = cl.wait_stderr(b"embertls: version=TLSv1.2", STEP);
    srv.write(&to_client);
    cl.write(&to_server);
    let got = cl.wait_stdout(&to_client, STEP);
    cl.close_stdin();
    let _ = cl.wait(STEP);
    let _ = srv.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    done.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    let line = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("CLIENT_RANDOM "))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no CLIENT_RANDOM in {}\n{ctx}", path.display()))
    };
    let (mine, openssl) = (line(&ours), line(&theirs));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(mine, openssl, "key log lines\n{ctx}");

    assert!(
        eventually(STEP, || srv.stdout_bytes() == to_server),
        "s_server received\n{ctx}"
    );
    let (c2s, s2c) = capture.lock().unwrap().clone();
    let up = records(&c2s);
    let down = records(&s2c);
    // ClientHello / ServerHello: type 22, handshake header 4, version 2.
    let client_random = &up[0].1[6..38];
    let server_random = &down[0].1[6..38];
    let fields: Vec<&str> = mine.split_whitespace().collect();
    assert_eq!(fields[1], hex(client_random), "logged client random");
    let master = unhex(fields[2]);
    let seed = [server_random, client_random].concat();
    // AES-128-GCM: keys 2 x 16, IVs (salts) 2 x 4, no MAC keys.
    let block = prf_sha256(&master, b"key expansion", &seed, 40);
    let (key, salt) = (&block[0..16], &block[32..36]);
    let cipher = aes_gcm::Aes128Gcm::new_from_slice(key).unwrap();
    let mut plain = Vec::new();
    // Sequence number 0 is the client's Finished (type 22 after CCS).
    for (seq, fragment) in up
        .iter()
        .filter(|(t, _)| *t == 23)
        .map(|(_, f)| f)
        .enumerate()
    {
        let seq = seq as u64 + 1;
        let nonce = [salt, &fragment[..8]].concat();
        let len = (fragment.len() - 8 - 16) as u16;
        let aad = [&seq.to_be_bytes()[..], &[23, 3, 3], &len.to_be_bytes()].concat();
        let out = cipher
            .decrypt(
                aes_gcm::Nonce::from_slice(&nonce),
                Payload {
                    msg: &fragment[8..],
                    aad: &aad,
                },
            )
            .unwrap_or_else(|_| panic!("record {seq} does not decrypt with the logged secret"));
        plain.extend(out);
    }
    assert_eq!(plain, to_server, "decrypted application data");
}

#[test]
fn keylog_tls13_matches_openssl() {
    let dir = std::env::temp_dir().join(format!("embertls-keylog13-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ours = dir.join("ours.log").to_string_lossy().into_owned();
    let theirs = dir.join("openssl.log").to_string_lossy().into_owned();
    let (mut srv, port) = s_server(Some("server-p256"), 1, &["-tls1_3", "-keylogfile", &theirs]);
    let ca = testdata("ca-p256.pem");
    let (to_client, to_server) = payloads(line!());
    let mut cl = embertls_client(port, &["--wait", "50", "--ca", &ca, "--keylog", &ours]);
    let done = cl.wait_stderr(b"embertls: version=TLSv1.3", STEP);
    srv.write(&to_client);
    cl.write(&to_server);
    let got = cl.wait_stdout(&to_client, STEP);
    cl.close_stdin();
    let _ = cl.wait(STEP);
    let _ = srv.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    done.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    let lines = |path: &str| {
        let mut v: Vec<String> = std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    let (mine, openssl) = (lines(&ours), lines(&theirs));
    let _ = std::fs::remove_dir_all(&dir);
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    ] {
        let find = |v: &[String]| {
            v.iter()
                .find(|l| l.starts_with(&format!("{label} ")))
                .cloned()
        };
        assert!(
            find(&mine).is_some(),
            "{label} missing in ours\n{mine:?}\n{ctx}"
        );
        assert_eq!(find(&mine), find(&openssl), "{label}\n{ctx}");
    }
}
