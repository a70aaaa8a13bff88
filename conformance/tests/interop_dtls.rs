//! DTLS 1.2 interop over loopback UDP, both roles, with `embertls client
//! --dtls` and `embertls server --dtls`: OpenSSL 3 (`s_server -dtls1_2`,
//! `s_client -dtls1_2`), GnuTLS (`gnutls-serv --udp`, `gnutls-cli --udp`)
//! and the Mbed TLS 2.28 peer program (`--dtls`). Our servers and theirs
//! keep HelloVerifyRequest cookies on. Covered: AES-GCM and CBC suites,
//! DTLS-SRTP profile negotiation, small MTUs that fragment RSA certificate
//! flights (with client authentication, in both directions), session
//! resumption by ticket and by session id in both roles, and renegotiation
//! started by either side (Mbed TLS; OpenSSL 3.0's DTLS server signs its
//! renegotiation ServerKeyExchange over the first handshake's randoms, so
//! it cannot renegotiate with a client that checks). Data is
//! checked byte for byte both ways, and the negotiated version and suite on
//! both sides. No peer here supports RFC 9146 connection IDs (OpenSSL 3.0,
//! GnuTLS 3.7 and Debian's Mbed TLS 2.28 build lack them), so CIDs are
//! only tested between our own client and server.

mod common;

use std::time::Duration;

use common::mbedtls::{assert_fields, mbedtls_client, mbedtls_server, mbedtls_success, pki_args};
use common::{
    assert_summary, embertls_bin, embertls_server, eventually, payload, spawn_bound_udp, testdata,
    transcripts, Proc, STEP,
};

const GCM: &str = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
const SRTP_80: &str = "SRTP_AES128_CM_HMAC_SHA1_80";

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// `--cert`/`--key` (ours) for a test-PKI stem.
fn cert_args(stem: &str) -> Vec<String> {
    vec![
        "--cert".into(),
        testdata(&format!("{stem}.pem")),
        "--key".into(),
        testdata(&format!("{stem}.key")),
    ]
}

/// `embertls client 127.0.0.1:PORT --dtls` trusting `ca`, with `extra`.
fn our_client(port: u16, ca: &str, extra: &[&str]) -> Proc {
    let mut args = strings(&[
        "client",
        &format!("127.0.0.1:{port}"),
        "--dtls",
        "--servername",
        "localhost",
        "--wait",
        "100",
        "--ca",
        &testdata(ca),
    ]);
    args.extend(strings(extra));
    Proc::spawn("embertls client", embertls_bin(), &args)
}

/// `embertls server --dtls --once -v` with `stem`'s certificate (cookies
/// on unless `extra` says otherwise).
fn our_server(stem: &str, extra: &[&str]) -> (Proc, u16) {
    let mut args = strings(&["--dtls", "--once", "-v"]);
    args.extend(cert_args(stem));
    args.extend(strings(extra));
    embertls_server(&refs(&args))
}

/// Waits until `proc` printed `needle` (stdout or stderr).
fn says(proc: &Proc, needle: &str, others: &[&Proc]) {
    let mut all = vec![proc];
    all.extend_from_slice(others);
    assert!(
        eventually(Duration::from_secs(3), || proc.stdout().contains(needle)
            || proc.stderr().contains(needle)),
        "{} should say {needle:?}\n{}",
        proc.name,
        transcripts(&all)
    );
}

/// Waits for `proc` to exit successfully.
fn succeeds(proc: &mut Proc, others: &[&Proc]) {
    let status = proc.wait(STEP);
    let mut all = vec![&*proc];
    all.extend_from_slice(others);
    assert!(
        status.is_ok_and(|s| s.success()),
        "{} failed\n{}",
        proc.name,
        transcripts(&all)
    );
}

/// Two payloads for a case, small enough for one record at MTU 400.
fn payloads(seed: u32) -> (Vec<u8>, Vec<u8>) {
    (payload(seed, 300), payload(seed + 1, 250))
}

/// Our client against a server that prints what it receives and sends its
/// standard input (s_server): payloads both ways, our summary line.
fn exchange_with_server(srv: &mut Proc, cl: &mut Proc, seed: u32, summary: &str) {
    let ctx = exchange_once_ready(srv, cl, seed, b"embertls: version=");
    assert_summary(&cl.stderr(), &format!("version=DTLSv1.2 {summary}"), &ctx);
}

/// Once our client printed `ready`: payloads both ways (checked byte for
/// byte), then the client ends cleanly. Returns the transcripts.
fn exchange_once_ready(srv: &mut Proc, cl: &mut Proc, seed: u32, ready: &[u8]) -> String {
    let (to_client, to_server) = payloads(seed);
    let done = cl.wait_stderr(ready, STEP);
    srv.write(&to_client);
    cl.write(&to_server);
    let got = cl.wait_stdout(&to_client, STEP);
    let got_server = srv.wait_stdout(&to_server, STEP);
    cl.close_stdin();
    let status = cl.wait(STEP);
    let ctx = transcripts(&[cl, srv]);
    done.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got_server.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "client failed\n{ctx}");
    assert_eq!(cl.stdout_bytes(), to_client, "client received\n{ctx}");
    ctx
}

/// A peer client that sends its standard input and prints what arrives
/// (s_client, gnutls-cli) against our server: payloads both ways; our
/// server must end cleanly and report `summary`.
fn exchange_with_client(srv: &mut Proc, cl: &mut Proc, seed: u32, summary: &str) {
    let (to_client, to_server) = payloads(seed);
    srv.write(&to_client);
    cl.write(&to_server);
    let got = cl.wait_stdout(&to_client, STEP);
    let got_server = srv.wait_stdout(&to_server, STEP);
    cl.close_stdin();
    let status = cl.wait(STEP);
    let server_status = srv.wait(STEP);
    let ctx = transcripts(&[cl, srv]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got_server.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "client failed\n{ctx}");
    assert!(
        server_status.is_ok_and(|s| s.success()),
        "embertls server failed\n{ctx}"
    );
    assert_eq!(srv.stdout_bytes(), to_server, "server received\n{ctx}");
    assert_summary(&srv.stderr(), &format!("version=DTLSv1.2 {summary}"), &ctx);
}

// ---- embertls client, openssl s_server ---------------------------------------

/// `openssl s_server -dtls1_2` for one connection, once its UDP port is
/// bound.
fn s_server(stem: &str, extra: &[&str]) -> (Proc, u16) {
    s_server_for(stem, 1, extra)
}

/// `openssl s_server -dtls1_2` for `connections` connections.
fn s_server_for(stem: &str, connections: u32, extra: &[&str]) -> (Proc, u16) {
    let mut fixed = strings(&["-dtls1_2", "-naccept", &connections.to_string()]);
    fixed.extend(strings(&[
        "-cert",
        &testdata(&format!("{stem}.pem")),
        "-key",
        &testdata(&format!("{stem}.key")),
    ]));
    fixed.extend(strings(extra));
    spawn_bound_udp("openssl s_server", "openssl", move |port| {
        let mut args = strings(&["s_server", "-accept", &format!("127.0.0.1:{port}")]);
        args.extend(fixed.iter().cloned());
        args
    })
}

fn client_openssl_suite(seed: u32, ossl: &str, iana: &str) {
    let (mut srv, port) = s_server("server-p256", &["-brief", "-cipher", ossl]);
    let mut cl = our_client(port, "ca-p256.pem", &["--suites", ossl]);
    exchange_with_server(
        &mut srv,
        &mut cl,
        seed,
        &format!("suite={iana} verify=ok cid=- srtp=-"),
    );
    says(&srv, "Protocol version: DTLSv1.2", &[&cl]);
    says(&srv, &format!("Ciphersuite: {ossl}"), &[&cl]);
}

#[test]
fn client_openssl_ecdhe_ecdsa_aes_gcm() {
    client_openssl_suite(line!(), "ECDHE-ECDSA-AES128-GCM-SHA256", GCM);
}

#[test]
fn client_openssl_ecdhe_ecdsa_cbc() {
    client_openssl_suite(
        line!(),
        "ECDHE-ECDSA-AES256-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    );
}

#[test]
fn client_openssl_srtp() {
    // Not -brief: s_server then reports the SRTP profile (and the rest of
    // the connection on stdout, around the received data).
    let (mut srv, port) = s_server("server-p256", &["-use_srtp", "SRTP_AES128_CM_SHA1_80"]);
    let mut cl = our_client(
        port,
        "ca-p256.pem",
        &[
            "--srtp",
            "SRTP_AES128_CM_HMAC_SHA1_32,AES128_CM_HMAC_SHA1_80",
        ],
    );
    exchange_with_server(
        &mut srv,
        &mut cl,
        line!(),
        &format!("suite={GCM} srtp={SRTP_80}"),
    );
    says(
        &srv,
        "SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80",
        &[&cl],
    );
    says(&srv, "CIPHER is ECDHE-ECDSA-AES128-GCM-SHA256", &[&cl]);
}

#[test]
fn client_openssl_mtu_500_fragments_both_flights() {
    // RSA certificates (about 900 bytes each) on both sides: the server's
    // and our client's certificate flights need several datagrams.
    let ca = testdata("ca-rsa.pem");
    let (mut srv, port) = s_server(
        "server-rsa",
        &["-brief", "-mtu", "500", "-Verify", "1", "-CAfile", &ca],
    );
    let mut args = vec!["--mtu", "500"];
    let client_cert = cert_args("client-rsa");
    args.extend(refs(&client_cert));
    let mut cl = our_client(port, "ca-rsa.pem", &args);
    exchange_with_server(
        &mut srv,
        &mut cl,
        line!(),
        "suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 verify=ok",
    );
    says(&srv, "Protocol version: DTLSv1.2", &[&cl]);
    says(&srv, "Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256", &[&cl]);
    says(&srv, "Peer certificate: CN = embertls test client", &[&cl]);
}

// ---- openssl s_client, embertls server ---------------------------------------

/// `openssl s_client -dtls1_2` to our server on `port`.
fn s_client(port: u16, ca: &str, extra: &[&str]) -> Proc {
    let mut args = strings(&[
        "s_client",
        "-dtls1_2",
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-servername",
        "localhost",
        "-verify_return_error",
        "-CAfile",
        &testdata(ca),
    ]);
    args.extend(strings(extra));
    Proc::spawn("openssl s_client", "openssl", &args)
}

#[test]
fn server_openssl_with_cookies() {
    let (mut srv, port) = our_server("server-p256", &[]);
    let mut cl = s_client(port, "ca-p256.pem", &["-brief"]);
    exchange_with_client(&mut srv, &mut cl, line!(), &format!("suite={GCM}"));
    says(&cl, "Protocol version: DTLSv1.2", &[&srv]);
    says(&cl, "Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256", &[&srv]);
    says(&cl, "Verification: OK", &[&srv]);
}

#[test]
fn server_openssl_cbc_without_cookies() {
    let suite = "ECDHE-ECDSA-AES128-SHA256";
    let (mut srv, port) = our_server("server-p256", &["--no-cookies", "--suites", suite]);
    let mut cl = s_client(port, "ca-p256.pem", &["-brief", "-cipher", suite]);
    exchange_with_client(
        &mut srv,
        &mut cl,
        line!(),
        "suite=TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    );
    says(&cl, &format!("Ciphersuite: {suite}"), &[&srv]);
}

#[test]
fn server_openssl_srtp() {
    let (mut srv, port) = our_server("server-p256", &["--srtp", SRTP_80]);
    // Not -brief: s_client reports the SRTP profile with the connection.
    let mut cl = s_client(
        port,
        "ca-p256.pem",
        &["-use_srtp", "SRTP_AES128_CM_SHA1_32:SRTP_AES128_CM_SHA1_80"],
    );
    let (to_client, to_server) = payloads(line!());
    srv.write(&to_client);
    cl.write(&to_server);
    let got = cl.wait_stdout(&to_client, STEP);
    let got_server = srv.wait_stdout(&to_server, STEP);
    cl.close_stdin();
    let ctx = transcripts(&[&cl, &srv]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got_server.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    succeeds(&mut cl, &[&srv]);
    succeeds(&mut srv, &[&cl]);
    let ctx = transcripts(&[&cl, &srv]);
    assert_summary(
        &srv.stderr(),
        &format!("version=DTLSv1.2 suite={GCM} srtp={SRTP_80}"),
        &ctx,
    );
    says(
        &cl,
        "SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80",
        &[&srv],
    );
    says(&cl, "Protocol  : DTLSv1.2", &[&srv]);
}

#[test]
fn server_openssl_mtu_400_fragments_both_flights() {
    let (mut srv, port) = our_server(
        "server-rsa",
        &[
            "--mtu",
            "400",
            "--ca",
            &testdata("ca-rsa.pem"),
            "--verify",
            "required",
        ],
    );
    let client_cert = testdata("client-rsa.pem");
    let client_key = testdata("client-rsa.key");
    let mut cl = s_client(
        port,
        "ca-rsa.pem",
        &[
            "-brief",
            "-mtu",
            "400",
            "-cert",
            &client_cert,
            "-key",
            &client_key,
        ],
    );
    exchange_with_client(
        &mut srv,
        &mut cl,
        line!(),
        "suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 verify=ok",
    );
    says(&cl, "Protocol version: DTLSv1.2", &[&srv]);
    says(&srv, "client-auth=yes", &[&cl]);
}

// ---- GnuTLS ------------------------------------------------------------------

const GNUTLS_DTLS12: &str = "NORMAL:-VERS-ALL:+VERS-DTLS1.2";

/// `gnutls-serv --udp --echo` for DTLS 1.2 with `stem`'s certificate.
fn gnutls_serv(stem: &str, extra: &[&str]) -> (Proc, u16) {
    let mut fixed = strings(&[
        "--udp",
        "--echo",
        "--x509certfile",
        &testdata(&format!("{stem}.pem")),
        "--x509keyfile",
        &testdata(&format!("{stem}.key")),
        "--priority",
        GNUTLS_DTLS12,
    ]);
    fixed.extend(strings(extra));
    spawn_bound_udp("gnutls-serv", "gnutls-serv", move |port| {
        let mut args = strings(&["-p", &port.to_string()]);
        args.extend(fixed.iter().cloned());
        args
    })
}

#[test]
fn client_gnutls_echo_srtp_mtu_400() {
    let (srv, port) = gnutls_serv(
        "server-rsa",
        &["-d", "4", "--srtp-profiles", SRTP_80, "--mtu", "400"],
    );
    let ours = ["--mtu", "400", "--srtp", SRTP_80];
    let (cl, ctx) = echo_through(&srv, port, "ca-rsa.pem", &ours, true);
    assert_summary(
        &cl.stderr(),
        &format!(
            "version=DTLSv1.2 suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 verify=ok srtp={SRTP_80}"
        ),
        &ctx,
    );
    says(&srv, "Selected version DTLS1.2", &[&cl]);
    says(
        &srv,
        "Selected cipher suite: GNUTLS_ECDHE_RSA_AES_128_GCM_SHA256",
        &[&cl],
    );
}

#[test]
fn server_gnutls_cookies_srtp_mtu_400() {
    let (mut srv, port) = our_server("server-rsa", &["--mtu", "400", "--srtp", SRTP_80]);
    let args = strings(&[
        "--udp",
        "-p",
        &port.to_string(),
        "127.0.0.1",
        "--x509cafile",
        &testdata("ca-rsa.pem"),
        "--verify-hostname",
        "localhost",
        "--priority",
        GNUTLS_DTLS12,
        "--srtp-profiles",
        SRTP_80,
        "--mtu",
        "400",
    ]);
    let mut cl = Proc::spawn("gnutls-cli", "gnutls-cli", &args);
    exchange_with_client(
        &mut srv,
        &mut cl,
        line!(),
        &format!("suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 srtp={SRTP_80}"),
    );
    says(&cl, "- Description: (DTLS1.2-X.509)", &[&srv]);
    says(&cl, "(AES-128-GCM)", &[&srv]);
    says(&cl, &format!("- SRTP profile: {SRTP_80}"), &[&srv]);
}

// ---- Mbed TLS ----------------------------------------------------------------

/// Our client against the Mbed TLS peer's DTLS server (cookies on), which
/// echoes the first record and closes.
fn client_mbedtls(stem: &str, ca: &str, peer: &[&str], ours: &[&str], summary: &str, mb: &str) {
    let mut args = strings(&["--dtls"]);
    args.extend(pki_args(None, Some(stem)));
    args.extend(strings(peer));
    let (cl, lines, ctx) = echo_through_mbedtls_server(&args, ca, ours, 1);
    assert_summary(&cl.stderr(), &format!("version=DTLSv1.2 {summary}"), &ctx);
    assert_fields(&lines[0], &format!("version=DTLSv1.2 {mb}"), &ctx);
}

/// Our client (trusting `ca`, with `ours`) sends a payload that the
/// echoing server `srv` on `port` sends back; it then ends cleanly, after
/// closing its input when `close_input` (servers that do not close).
/// Returns our client and the transcripts.
fn echo_through(
    srv: &Proc,
    port: u16,
    ca: &str,
    ours: &[&str],
    close_input: bool,
) -> (Proc, String) {
    let (_, to_server) = payloads(line!());
    let mut cl = our_client(port, ca, ours);
    cl.write(&to_server);
    let got = cl.wait_stdout(&to_server, STEP);
    if close_input {
        cl.close_stdin();
    }
    let ctx = transcripts(&[&cl, srv]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    succeeds(&mut cl, &[srv]);
    let ctx = transcripts(&[&cl, srv]);
    assert_eq!(cl.stdout_bytes(), to_server, "echo\n{ctx}");
    (cl, ctx)
}

/// [`echo_through`] the Mbed TLS server (`args`), which echoes on the last
/// of `connections` and closes; returns its summary lines too.
fn echo_through_mbedtls_server(
    args: &[String],
    ca: &str,
    ours: &[&str],
    connections: usize,
) -> (Proc, Vec<std::collections::HashMap<String, String>>, String) {
    let (mut srv, port) = mbedtls_server(&refs(args));
    let (cl, _) = echo_through(&srv, port, ca, ours, false);
    let lines = mbedtls_success(&mut srv, connections, &[&cl]);
    let ctx = transcripts(&[&cl, &srv]);
    (cl, lines, ctx)
}

#[test]
fn client_mbedtls_cookies() {
    client_mbedtls(
        "server-p256",
        "ca-p256.pem",
        &[],
        &["--suites", "ECDHE-ECDSA-AES128-GCM-SHA256"],
        &format!("suite={GCM} verify=ok"),
        "suite=TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256",
    );
}

#[test]
fn client_mbedtls_mtu_500_cbc() {
    client_mbedtls(
        "server-rsa",
        "ca-rsa.pem",
        &["--mtu", "500"],
        &["--mtu", "500", "--suites", "ECDHE-RSA-AES128-SHA256"],
        "suite=TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 verify=ok",
        "suite=TLS-ECDHE-RSA-WITH-AES-128-CBC-SHA256 etm=yes",
    );
}

/// The Mbed TLS peer's DTLS client against our echoing server.
fn server_mbedtls(stem: &str, ca: &str, ours: &[&str], peer: &[&str], summary: &str, mb: &str) {
    let mut args = strings(&["--echo"]);
    args.extend(strings(ours));
    let (mut srv, port) = our_server(stem, &refs(&args));
    let message = String::from_utf8(payload(line!(), 200)).unwrap();
    let mut full = strings(&[
        "--dtls",
        "--server-name",
        "localhost",
        "--message",
        &message,
    ]);
    full.extend(pki_args(Some(ca), None));
    full.extend(strings(peer));
    let mut cl = mbedtls_client(port, &refs(&full));
    let lines = mbedtls_success(&mut cl, 1, &[&srv]);
    succeeds(&mut srv, &[&cl]);
    let ctx = transcripts(&[&cl, &srv]);
    assert_fields(&lines[0], &format!("version=DTLSv1.2 verify=ok {mb}"), &ctx);
    assert_summary(&srv.stderr(), &format!("version=DTLSv1.2 {summary}"), &ctx);
}

#[test]
fn server_mbedtls_cookies() {
    server_mbedtls(
        "server-p256",
        "ca-p256.pem",
        &[],
        &[],
        &format!("suite={GCM}"),
        "suite=TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256",
    );
}

#[test]
fn server_mbedtls_mtu_400() {
    server_mbedtls(
        "server-rsa",
        "ca-rsa.pem",
        &["--mtu", "400"],
        &["--mtu", "400"],
        "suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "suite=TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256",
    );
}

// ---- resumption and renegotiation --------------------------------------------

/// Our client --reconnect against a server serving two connections: the
/// second resumes; data flows both ways on it.
fn client_resumes_against(srv: &mut Proc, port: u16, seed: u32) {
    let mut cl = our_client(port, "ca-p256.pem", &["--reconnect"]);
    let ctx = exchange_once_ready(srv, &mut cl, seed, b"resumed=yes");
    let summaries: Vec<_> = cl
        .stderr()
        .lines()
        .filter(|l| l.starts_with("embertls: version=DTLSv1.2 "))
        .map(str::to_string)
        .collect();
    assert_eq!(summaries.len(), 2, "{ctx}");
    assert!(summaries[0].ends_with("resumed=no"), "{ctx}");
    assert!(summaries[1].ends_with("resumed=yes"), "{ctx}");
    // An abbreviated handshake exchanges no new key.
    assert!(summaries[1].contains(" group=- "), "{ctx}");
}

#[test]
fn client_openssl_resumes_by_ticket() {
    let (mut srv, port) = s_server_for("server-p256", 2, &["-brief"]);
    client_resumes_against(&mut srv, port, line!());
}

#[test]
fn client_openssl_resumes_by_session_id() {
    let (mut srv, port) = s_server_for("server-p256", 2, &["-brief", "-no_ticket"]);
    client_resumes_against(&mut srv, port, line!());
}

/// `s_client -reconnect` connects six times with one session; our server
/// (serving one client after another) resumes the last five.
#[test]
fn server_openssl_client_resumes() {
    let mut args = strings(&["--dtls", "-v"]);
    args.extend(cert_args("server-p256"));
    let (srv, port) = embertls_server(&refs(&args));
    let mut cl = s_client(port, "ca-p256.pem", &["-reconnect"]);
    let reused = cl.wait_stdout(b"Reused, TLSv1.2", STEP);
    cl.close_stdin();
    let status = cl.wait(STEP);
    let all_resumed = eventually(STEP, || srv.stderr().matches("resumed=yes").count() == 5);
    let ctx = transcripts(&[&cl, &srv]);
    reused.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "s_client failed\n{ctx}");
    assert!(all_resumed, "five resumptions\n{ctx}");
    assert_eq!(srv.stderr().matches("resumed=no").count(), 1, "{ctx}");
}

fn client_mbedtls_resumes(peer: &[&str]) {
    let mut args = strings(&["--dtls", "--accept", "2"]);
    args.extend(pki_args(None, Some("server-p256")));
    args.extend(strings(peer));
    let (cl, lines, ctx) = echo_through_mbedtls_server(&args, "ca-p256.pem", &["--reconnect"], 2);
    assert_fields(&lines[0], "version=DTLSv1.2 resumed=no", &ctx);
    assert_fields(&lines[1], "version=DTLSv1.2 resumed=yes", &ctx);
    assert!(cl.stderr().contains("resumed=yes"), "{ctx}");
}

#[test]
fn client_mbedtls_resumes_by_ticket() {
    client_mbedtls_resumes(&["--tickets"]);
}

#[test]
fn client_mbedtls_resumes_by_session_id() {
    client_mbedtls_resumes(&[]);
}

/// The Mbed TLS client resumes with our server. Regression: it draws a
/// fresh session id for the ClientHello that repeats the first with the
/// cookie, which our cookie used to cover, so every repeat got another
/// HelloVerifyRequest.
fn server_mbedtls_resumes(ours: &[&str]) {
    let mut args = strings(&["--dtls", "-v", "--echo"]);
    args.extend(cert_args("server-p256"));
    args.extend(strings(ours));
    let (srv, port) = embertls_server(&refs(&args));
    let mut client = strings(&[
        "--dtls",
        "--server-name",
        "localhost",
        "--message",
        "resume me",
        "--reconnect",
    ]);
    client.extend(pki_args(Some("ca-p256.pem"), None));
    let mut cl = mbedtls_client(port, &refs(&client));
    let lines = mbedtls_success(&mut cl, 2, &[&srv]);
    let ctx = transcripts(&[&cl, &srv]);
    assert_fields(&lines[0], "version=DTLSv1.2 resumed=no", &ctx);
    assert_fields(&lines[1], "version=DTLSv1.2 resumed=yes", &ctx);
    assert!(
        eventually(STEP, || srv.stderr().contains("resumed=yes")),
        "{ctx}"
    );
}

#[test]
fn server_mbedtls_resumes_by_ticket() {
    server_mbedtls_resumes(&[]);
}

#[test]
fn server_mbedtls_resumes_by_session_id() {
    server_mbedtls_resumes(&["--no-tickets", "--session-cache"]);
}

#[test]
fn client_renegotiates_with_mbedtls() {
    client_mbedtls(
        "server-p256",
        "ca-p256.pem",
        &["--allow-renegotiation"],
        &["--renegotiate"],
        "verify=ok",
        "renegotiated=yes",
    );
}

/// The Mbed TLS server sends HelloRequest (message_seq 0 of a new
/// handshake, under the current keys); our client renegotiates.
#[test]
fn mbedtls_server_renegotiates_with_our_client() {
    let mut args = strings(&["--dtls", "--renegotiate"]);
    args.extend(pki_args(None, Some("server-p256")));
    let (mut srv, port) = mbedtls_server(&refs(&args));
    let (_, to_server) = payloads(line!());
    let mut cl = our_client(port, "ca-p256.pem", &["--allow-renegotiation"]);
    let renegotiated = cl.wait_stderr(b"embertls: renegotiated version=DTLSv1.2", STEP);
    cl.write(&to_server);
    let got = cl.wait_stdout(&to_server, STEP);
    let ctx = transcripts(&[&cl, &srv]);
    renegotiated.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    succeeds(&mut cl, &[&srv]);
    let lines = mbedtls_success(&mut srv, 1, &[&cl]);
    let ctx = transcripts(&[&cl, &srv]);
    assert_fields(&lines[0], "version=DTLSv1.2 renegotiated=yes", &ctx);
}

#[test]
fn mbedtls_client_renegotiates_with_our_server() {
    server_mbedtls(
        "server-p256",
        "ca-p256.pem",
        &["--allow-renegotiation"],
        &["--renegotiate"],
        &format!("suite={GCM}"),
        "renegotiated=yes",
    );
}

#[test]
fn client_gnutls_resumes() {
    let (srv, port) = gnutls_serv("server-p256", &[]);
    let (cl, ctx) = echo_through(&srv, port, "ca-p256.pem", &["--reconnect"], true);
    assert!(cl.stderr().contains("resumed=no"), "{ctx}");
    assert!(
        cl.stderr()
            .lines()
            .any(|l| l.starts_with("embertls: version=DTLSv1.2 ") && l.ends_with("resumed=yes")),
        "{ctx}"
    );
}

#[test]
fn server_gnutls_client_resumes() {
    let mut args = strings(&["--dtls", "-v"]);
    args.extend(cert_args("server-p256"));
    let (srv, port) = embertls_server(&refs(&args));
    let cl_args = strings(&[
        "--udp",
        "-p",
        &port.to_string(),
        "127.0.0.1",
        "--x509cafile",
        &testdata("ca-p256.pem"),
        "--verify-hostname",
        "localhost",
        "--priority",
        GNUTLS_DTLS12,
        "--resume",
    ]);
    let mut cl = Proc::spawn("gnutls-cli", "gnutls-cli", &cl_args);
    let resumed = cl.wait_stdout(b"*** This is a resumed session", STEP);
    cl.close_stdin();
    let status = cl.wait(STEP);
    let server_saw = eventually(STEP, || srv.stderr().contains("resumed=yes"));
    let ctx = transcripts(&[&cl, &srv]);
    resumed.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(
        status.is_ok_and(|s| s.success()),
        "gnutls-cli failed\n{ctx}"
    );
    assert!(server_saw, "{ctx}");
}
