//! The Mbed TLS 2.28 peer program (peers/mbedtls_peer.c) against OpenSSL 3
//! on loopback, both roles, TLS 1.2 and DTLS 1.2: proof that the peer works
//! before it is paired with embertls (tests/common/mbedtls.rs is the
//! harness for that).
//!
//! Every case checks the message echoed end to end, the peer's summary
//! line (version, suite, group, ALPN, verification, resumption,
//! renegotiation, EMS, encrypt-then-MAC) and, where OpenSSL prints it, what
//! OpenSSL negotiated. Failure cases check the peer's error line.
//!
//! OpenSSL does not echo: `s_server` prints what it receives, and the test
//! relays that back into its standard input.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::mbedtls::{
    assert_fields, mbedtls_client, mbedtls_failure, mbedtls_peer_bin, mbedtls_server,
    mbedtls_success, pki_args,
};
use common::{eventually, spawn_bound_udp, spawn_listening, testdata, Proc, STEP};

/// Starts with a digit, so that neither s_server nor s_client reads it as
/// a command.
const MSG: &str = "0 hello through mbedtls_peer";

const PSK: &str = "0102030405060708090a0b0c0d0e0f10";
const PSK_ID: &str = "interop-client";

type Summary = HashMap<String, String>;

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn occurrences(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// `openssl s_server -brief` for `connections` connections, TLS 1.2 (or
/// DTLS 1.2 over UDP), with `extra` arguments (certificates included).
fn s_server(dtls: bool, connections: usize, extra: &[&str]) -> (Proc, u16) {
    let extra = strings(extra);
    let args = move |port: u16| {
        let mut args = strings(&["s_server", "-brief", "-accept"]);
        args.push(format!("127.0.0.1:{port}"));
        args.extend(strings(&["-naccept", &connections.to_string()]));
        args.push(if dtls { "-dtls1_2" } else { "-tls1_2" }.into());
        args.extend(extra.iter().cloned());
        args
    };
    if dtls {
        spawn_bound_udp("openssl s_server", "openssl", args)
    } else {
        spawn_listening("openssl s_server", "openssl", args)
    }
}

/// s_server's certificate arguments for `stem` (server-p256, server-rsa).
fn server_cert(stem: &str) -> Vec<String> {
    vec![
        "-cert".into(),
        testdata(&format!("{stem}.pem")),
        "-key".into(),
        testdata(&format!("{stem}.key")),
    ]
}

/// The Mbed TLS client, with `--message`, against s_server: s_server's
/// received data is relayed back as the echo, once per connection. Requires
/// success, the message at s_server `connections` times, and returns the
/// client's summary lines and s_server (for its own report on stderr).
fn client_case(
    dtls: bool,
    connections: usize,
    server_args: &[&str],
    client_args: &[&str],
) -> (Vec<Summary>, Proc) {
    let (mut server, port) = s_server(dtls, connections, server_args);
    let mut args = vec!["--message", MSG];
    if dtls {
        args.push("--dtls");
    }
    args.extend_from_slice(client_args);
    let mut client = mbedtls_client(port, &args);
    for n in 1..=connections {
        let arrived = eventually(STEP, || occurrences(&server.stdout(), MSG) >= n);
        if !arrived {
            break; // mbedtls_success below says why.
        }
        server.write(MSG.as_bytes());
    }
    let lines = mbedtls_success(&mut client, connections, &[&server]);
    let server_status = server.wait(STEP);
    let context = format!("{}{}", client.transcript(), server.transcript());
    assert!(server_status.is_ok(), "s_server did not finish\n{context}");
    assert_eq!(
        server.stdout(),
        MSG.repeat(connections),
        "s_server received\n{context}"
    );
    (lines, server)
}

/// `openssl s_client -brief` (TLS 1.2, or DTLS 1.2 over UDP) to `port`.
fn s_client(dtls: bool, port: u16, extra: &[&str]) -> Proc {
    let mut args = strings(&["s_client", "-brief", "-connect"]);
    args.push(format!("127.0.0.1:{port}"));
    args.push(if dtls { "-dtls1_2" } else { "-tls1_2" }.into());
    args.extend(strings(extra));
    Proc::spawn("openssl s_client", "openssl", &args)
}

/// s_client arguments that verify the server's certificate against `ca`.
fn verified(ca: &str) -> Vec<String> {
    vec![
        "-CAfile".into(),
        testdata(ca),
        "-verify_return_error".into(),
        "-servername".into(),
        "localhost".into(),
    ]
}

/// s_client sends the message to the Mbed TLS server, which echoes it and
/// closes. Requires success and the echo; returns the server's summary and
/// s_client (for its report on stderr).
fn server_case(dtls: bool, server_args: &[&str], sclient_args: &[&str]) -> (Summary, Proc) {
    let mut args: Vec<&str> = server_args.to_vec();
    if dtls {
        args.push("--dtls");
    }
    let (mut server, port) = mbedtls_server(&args);
    let mut client = s_client(dtls, port, sclient_args);
    client.write(MSG.as_bytes());
    let echoed = client.wait_stdout(MSG.as_bytes(), STEP);
    let mut lines = mbedtls_success(&mut server, 1, &[&client]);
    client.close_stdin();
    let client_status = client.wait(STEP);
    let context = format!("{}{}", server.transcript(), client.transcript());
    echoed.unwrap_or_else(|e| panic!("{e}\n{context}"));
    assert!(client_status.is_ok(), "s_client did not finish\n{context}");
    assert_eq!(client.stdout(), MSG, "s_client received\n{context}");
    (lines.remove(0), client)
}

fn context(procs: &[&Proc]) -> String {
    procs.iter().map(|p| p.transcript()).collect()
}

/// Asserts that OpenSSL's `-brief` report (stderr) has `line`.
fn assert_openssl_says(proc: &Proc, line: &str) {
    assert!(
        eventually(Duration::from_secs(2), || proc.stderr().contains(line)),
        "{} should say {line:?}\n{}",
        proc.name,
        proc.transcript()
    );
}

fn args_of(parts: &[Vec<String>]) -> Vec<String> {
    parts.concat()
}

fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

// ---- ECDHE-ECDSA, AES-GCM (P-256 certificates) ----------------------------

#[test]
fn ecdhe_ecdsa_gcm_mbedtls_client() {
    let server = args_of(&[server_cert("server-p256"), strings(&["-alpn", "http/1.1"])]);
    let client = args_of(&[
        pki_args(Some("ca-p256.pem"), None),
        strings(&[
            "--server-name",
            "localhost",
            "--ciphersuite",
            "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256",
            // The P-256 certificate needs secp256r1 among the client's
            // groups (RFC 8422); x25519 first is the key exchange.
            "--curves",
            "x25519,secp256r1",
            "--alpn",
            "h2,http/1.1",
            "--min-version",
            "1.2",
            "--max-version",
            "1.2",
        ]),
    ]);
    let (lines, server) = client_case(false, 1, &refs(&server), &refs(&client));
    assert_fields(
        &lines[0],
        "version=TLSv1.2 suite=TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256 suite-id=0xC02B \
         group=x25519 alpn=http/1.1 verify=ok resumed=no renegotiated=no ems=yes etm=no mfl=-",
        &server.transcript(),
    );
    assert_openssl_says(&server, "Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256");
}

#[test]
fn ecdhe_ecdsa_gcm_mbedtls_server() {
    let server = args_of(&[
        pki_args(None, Some("server-p256")),
        strings(&[
            "--ciphersuite",
            "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384,TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256",
            "--alpn",
            "http/1.1",
        ]),
    ]);
    let client = args_of(&[
        verified("ca-p256.pem"),
        strings(&["-groups", "P-256", "-alpn", "h2,http/1.1"]),
    ]);
    let (line, client) = server_case(false, &refs(&server), &refs(&client));
    assert_fields(
        &line,
        "version=TLSv1.2 suite=TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384 suite-id=0xC02C \
         group=secp256r1 alpn=http/1.1 verify=skipped resumed=no ems=yes etm=no",
        &client.transcript(),
    );
    assert_openssl_says(&client, "Ciphersuite: ECDHE-ECDSA-AES256-GCM-SHA384");
    assert_openssl_says(&client, "Verification: OK");
}

// ---- ECDHE-RSA, AES-CBC with and without encrypt-then-MAC ------------------

#[test]
fn ecdhe_rsa_cbc_etm_mbedtls_client() {
    for (etm, expect) in [("on", "yes"), ("off", "no")] {
        let client = args_of(&[
            pki_args(Some("ca-rsa.pem"), None),
            strings(&[
                "--server-name",
                "localhost",
                "--ciphersuite",
                "TLS-ECDHE-RSA-WITH-AES-128-CBC-SHA256",
                "--etm",
                etm,
                "--mfl",
                "1024",
            ]),
        ]);
        let (lines, server) =
            client_case(false, 1, &refs(&server_cert("server-rsa")), &refs(&client));
        assert_fields(
            &lines[0],
            &format!(
                "version=TLSv1.2 suite=TLS-ECDHE-RSA-WITH-AES-128-CBC-SHA256 suite-id=0xC027 \
                 verify=ok etm={expect} ems=yes mfl=1024"
            ),
            &server.transcript(),
        );
        assert_openssl_says(&server, "Ciphersuite: ECDHE-RSA-AES128-SHA256");
    }
}

#[test]
fn ecdhe_rsa_cbc_etm_mbedtls_server() {
    let server = args_of(&[
        pki_args(None, Some("server-rsa")),
        strings(&["--ciphersuite", "TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA384"]),
    ]);
    let (line, client) = server_case(false, &refs(&server), &refs(&verified("ca-rsa.pem")));
    assert_fields(
        &line,
        "version=TLSv1.2 suite=TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA384 suite-id=0xC028 etm=yes ems=yes",
        &client.transcript(),
    );
    assert_openssl_says(&client, "Ciphersuite: ECDHE-RSA-AES256-SHA384");
}

// ---- DHE-RSA and RSA key transport -----------------------------------------

#[test]
fn dhe_rsa_mbedtls_client() {
    let client = args_of(&[
        pki_args(Some("ca-rsa.pem"), None),
        strings(&[
            "--server-name",
            "localhost",
            "--ciphersuite",
            "TLS-DHE-RSA-WITH-AES-256-GCM-SHA384",
        ]),
    ]);
    let (lines, server) = client_case(false, 1, &refs(&server_cert("server-rsa")), &refs(&client));
    assert_fields(
        &lines[0],
        "version=TLSv1.2 suite=TLS-DHE-RSA-WITH-AES-256-GCM-SHA384 suite-id=0x009F group=- verify=ok",
        &server.transcript(),
    );
    assert_openssl_says(&server, "Ciphersuite: DHE-RSA-AES256-GCM-SHA384");
}

#[test]
fn dhe_rsa_mbedtls_server() {
    let server = args_of(&[
        pki_args(None, Some("server-rsa")),
        strings(&["--ciphersuite", "TLS-DHE-RSA-WITH-AES-128-GCM-SHA256"]),
    ]);
    let (line, client) = server_case(false, &refs(&server), &refs(&verified("ca-rsa.pem")));
    assert_fields(
        &line,
        "version=TLSv1.2 suite=TLS-DHE-RSA-WITH-AES-128-GCM-SHA256 suite-id=0x009E group=-",
        &client.transcript(),
    );
    assert_openssl_says(&client, "Ciphersuite: DHE-RSA-AES128-GCM-SHA256");
}

#[test]
fn rsa_key_transport_mbedtls_client() {
    let server = args_of(&[
        server_cert("server-rsa"),
        strings(&["-cipher", "AES128-GCM-SHA256"]),
    ]);
    let client = args_of(&[
        pki_args(Some("ca-rsa.pem"), None),
        strings(&[
            "--server-name",
            "localhost",
            "--ciphersuite",
            "TLS-RSA-WITH-AES-128-GCM-SHA256",
        ]),
    ]);
    let (lines, server) = client_case(false, 1, &refs(&server), &refs(&client));
    assert_fields(
        &lines[0],
        "version=TLSv1.2 suite=TLS-RSA-WITH-AES-128-GCM-SHA256 suite-id=0x009C group=- verify=ok",
        &server.transcript(),
    );
    assert_openssl_says(&server, "Ciphersuite: AES128-GCM-SHA256");
}

#[test]
fn rsa_key_transport_mbedtls_server() {
    let server = args_of(&[
        pki_args(None, Some("server-rsa")),
        strings(&["--ciphersuite", "TLS-RSA-WITH-AES-256-CBC-SHA256"]),
    ]);
    let client = args_of(&[
        verified("ca-rsa.pem"),
        strings(&["-cipher", "AES256-SHA256"]),
    ]);
    let (line, client) = server_case(false, &refs(&server), &refs(&client));
    assert_fields(
        &line,
        "version=TLSv1.2 suite=TLS-RSA-WITH-AES-256-CBC-SHA256 suite-id=0x003D etm=yes",
        &client.transcript(),
    );
    assert_openssl_says(&client, "Ciphersuite: AES256-SHA256");
}

// ---- PSK and ECDHE-PSK -----------------------------------------------------

fn openssl_psk(cipher: &str) -> Vec<String> {
    strings(&["-psk", PSK, "-psk_identity", PSK_ID, "-cipher", cipher])
}

fn mbedtls_psk(suite: &str) -> Vec<String> {
    strings(&[
        "--psk",
        PSK,
        "--psk-identity",
        PSK_ID,
        "--ciphersuite",
        suite,
    ])
}

#[test]
fn psk_mbedtls_client() {
    for (suite, openssl, group) in [
        (
            "TLS-PSK-WITH-AES-128-GCM-SHA256",
            "PSK-AES128-GCM-SHA256",
            "-",
        ),
        (
            "TLS-ECDHE-PSK-WITH-AES-128-CBC-SHA256",
            "ECDHE-PSK-AES128-CBC-SHA256",
            "x25519",
        ),
    ] {
        let server = args_of(&[strings(&["-nocert"]), openssl_psk(openssl)]);
        let client = args_of(&[mbedtls_psk(suite), strings(&["--curves", "x25519"])]);
        let (lines, server) = client_case(false, 1, &refs(&server), &refs(&client));
        assert_fields(
            &lines[0],
            &format!("version=TLSv1.2 suite={suite} group={group} resumed=no"),
            &server.transcript(),
        );
        assert_openssl_says(&server, &format!("Ciphersuite: {openssl}"));
    }
}

#[test]
fn psk_mbedtls_server() {
    for (suite, openssl) in [
        ("TLS-PSK-WITH-AES-256-GCM-SHA384", "PSK-AES256-GCM-SHA384"),
        (
            "TLS-ECDHE-PSK-WITH-AES-256-CBC-SHA384",
            "ECDHE-PSK-AES256-CBC-SHA384",
        ),
    ] {
        let (line, client) = server_case(
            false,
            &refs(&mbedtls_psk(suite)),
            &refs(&openssl_psk(openssl)),
        );
        assert_fields(
            &line,
            &format!("version=TLSv1.2 suite={suite}"),
            &client.transcript(),
        );
        assert_openssl_says(&client, &format!("Ciphersuite: {openssl}"));
    }
}

/// The server's PSK callback knows one identity only.
#[test]
fn psk_unknown_identity_refused_by_mbedtls_server() {
    let suite = "TLS-PSK-WITH-AES-128-GCM-SHA256";
    let (mut server, port) = mbedtls_server(&refs(&mbedtls_psk(suite)));
    let mut client = s_client(
        false,
        port,
        &[
            "-psk",
            PSK,
            "-psk_identity",
            "someone-else",
            "-cipher",
            "PSK-AES128-GCM-SHA256",
        ],
    );
    let (code, line) = mbedtls_failure(&mut server, &[&client]);
    let _ = client.wait(STEP);
    // MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY
    assert_eq!(code, -0x6C80, "{line}\n{}", context(&[&server, &client]));
}

// ---- Certificates: client authentication, verification failures -----------

#[test]
fn client_auth_mbedtls_client() {
    let server = args_of(&[
        server_cert("server-p256"),
        strings(&["-Verify", "1", "-verify_return_error", "-CAfile"]),
        vec![testdata("ca-p256.pem")],
    ]);
    let client = args_of(&[
        pki_args(Some("ca-p256.pem"), Some("client-p256")),
        strings(&["--server-name", "localhost"]),
    ]);
    let (lines, server) = client_case(false, 1, &refs(&server), &refs(&client));
    assert_fields(&lines[0], "version=TLSv1.2 verify=ok", &server.transcript());
}

#[test]
fn client_auth_required_by_mbedtls_server() {
    let server = args_of(&[
        pki_args(Some("ca-p256.pem"), Some("server-p256")),
        strings(&["--auth", "required"]),
    ]);
    let client = args_of(&[
        verified("ca-p256.pem"),
        strings(&["-cert"]),
        vec![testdata("client-p256.pem")],
        strings(&["-key"]),
        vec![testdata("client-p256.key")],
    ]);
    let (line, client) = server_case(false, &refs(&server), &refs(&client));
    assert_fields(&line, "version=TLSv1.2 verify=ok", &client.transcript());

    // Without a client certificate the handshake must fail on the server.
    let (mut server, port) = mbedtls_server(&refs(&server));
    let mut client = s_client(false, port, &refs(&verified("ca-p256.pem")));
    let (code, line) = mbedtls_failure(&mut server, &[&client]);
    let _ = client.wait(STEP);
    // MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE (an empty Certificate message)
    // or the verification failure.
    assert!(
        code == -0x7480 || code == -0x2700,
        "{line}\n{}",
        context(&[&server, &client])
    );
}

#[test]
fn mbedtls_client_rejects_untrusted_and_misnamed_servers() {
    // MBEDTLS_ERR_X509_CERT_VERIFY_FAILED in both cases.
    for (ca, name) in [
        ("ca-rsa.pem", "localhost"),
        ("ca-p256.pem", "wrong.example"),
    ] {
        let (server, port) = s_server(false, 1, &refs(&server_cert("server-p256")));
        let client_args = args_of(&[
            pki_args(Some(ca), None),
            strings(&["--server-name", name, "--message", MSG]),
        ]);
        let mut client = mbedtls_client(port, &refs(&client_args));
        let (code, line) = mbedtls_failure(&mut client, &[&server]);
        assert_eq!(code, -0x2700, "{line}\n{}", context(&[&client, &server]));
        assert!(line.starts_with("error: handshake: "), "{line}");
    }
}

#[test]
fn bad_command_lines_exit_2() {
    for args in [
        &["--role", "client", "--max-version", "1.3"][..],
        &[
            "--role",
            "client",
            "--ciphersuite",
            "TLS_AES_128_GCM_SHA256",
        ],
        &["--role", "server", "--port", "0"],
        &["--port", "1"],
    ] {
        let mut peer = Proc::spawn("mbedtls_peer", mbedtls_peer_bin(), &strings(args));
        let status = peer.wait(STEP).expect("exits");
        assert_eq!(status.code(), Some(2), "{}", peer.transcript());
        assert!(
            peer.stderr().starts_with("error: "),
            "{}",
            peer.transcript()
        );
    }
}

// ---- Session resumption ----------------------------------------------------

/// s_server without its session cache: only a ticket can resume.
#[test]
fn ticket_resumption_mbedtls_client() {
    let server = args_of(&[server_cert("server-p256"), strings(&["-no_cache"])]);
    let client = args_of(&[
        pki_args(Some("ca-p256.pem"), None),
        strings(&["--server-name", "localhost", "--reconnect"]),
    ]);
    let (lines, server) = client_case(false, 2, &refs(&server), &refs(&client));
    assert_fields(&lines[0], "resumed=no verify=ok", &server.transcript());
    assert_fields(&lines[1], "resumed=yes", &server.transcript());
    assert_eq!(lines[0].get("suite"), lines[1].get("suite"));

    // And with tickets refused, no resumption at all.
    let server = args_of(&[
        server_cert("server-p256"),
        strings(&["-no_cache", "-no_ticket"]),
    ]);
    let (lines, server) = client_case(false, 2, &refs(&server), &refs(&client));
    assert_fields(&lines[1], "resumed=no", &server.transcript());
}

/// s_client saves the session (with the ticket) and offers it on a second
/// connection to the same Mbed TLS server.
#[test]
fn ticket_resumption_mbedtls_server() {
    let dir = std::env::temp_dir().join(format!("embertls-mbedtls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let session = dir.join("session.pem").to_string_lossy().into_owned();
    let server_args = args_of(&[
        pki_args(None, Some("server-p256")),
        strings(&["--tickets", "--accept", "2"]),
    ]);
    let (mut server, port) = mbedtls_server(&refs(&server_args));
    for (n, sess) in [(1, "-sess_out"), (2, "-sess_in")] {
        let mut args = verified("ca-p256.pem");
        args.extend([sess.to_string(), session.clone()]);
        let mut client = s_client(false, port, &refs(&args));
        client.write(MSG.as_bytes());
        let echoed = client.wait_stdout(MSG.as_bytes(), STEP);
        let summaries = eventually(STEP, || {
            server
                .stdout()
                .lines()
                .filter(|l| l.starts_with("ok "))
                .count()
                >= n
        });
        client.close_stdin();
        let _ = client.wait(STEP);
        let ctx = context(&[&server, &client]);
        echoed.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
        assert!(summaries, "no summary for connection {n}\n{ctx}");
        if n == 1 {
            let text = std::process::Command::new("openssl")
                .args(["sess_id", "-noout", "-text", "-in", &session])
                .output()
                .expect("openssl sess_id");
            assert!(
                String::from_utf8_lossy(&text.stdout).contains("TLS session ticket:"),
                "no ticket in the saved session\n{ctx}"
            );
        }
    }
    let lines = mbedtls_success(&mut server, 2, &[]);
    assert_fields(&lines[0], "resumed=no", &server.transcript());
    assert_fields(&lines[1], "resumed=yes", &server.transcript());
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- Renegotiation ---------------------------------------------------------

#[test]
fn renegotiation_by_mbedtls_client() {
    let server = args_of(&[
        server_cert("server-p256"),
        strings(&["-client_renegotiation"]),
    ]);
    let client = args_of(&[
        pki_args(Some("ca-p256.pem"), None),
        strings(&["--server-name", "localhost", "--renegotiate"]),
    ]);
    let (lines, server) = client_case(false, 1, &refs(&server), &refs(&client));
    assert_fields(
        &lines[0],
        "renegotiated=yes verify=ok",
        &server.transcript(),
    );
}

#[test]
fn renegotiation_by_mbedtls_server() {
    let server = args_of(&[
        pki_args(None, Some("server-p256")),
        strings(&["--renegotiate"]),
    ]);
    let (line, client) = server_case(false, &refs(&server), &refs(&verified("ca-p256.pem")));
    assert_fields(&line, "renegotiated=yes", &client.transcript());
}

/// Between two Mbed TLS peers: the client starts it and the server
/// allows it; refused when the server does not allow it.
///
/// (Not the other way round: a 2.28 server that has sent HelloRequest sends
/// it again for every application data record it reads before the
/// renegotiation starts, and a 2.28 client in the middle of that
/// renegotiation fails on the second HelloRequest instead of ignoring it.
/// OpenSSL's client ignores it: see `renegotiation_by_mbedtls_server`.)
#[test]
fn renegotiation_mbedtls_both_sides() {
    let server_pki = pki_args(None, Some("server-p256"));
    let client_pki = args_of(&[
        pki_args(Some("ca-p256.pem"), None),
        strings(&["--server-name", "localhost", "--message", MSG]),
    ]);
    let server_args = args_of(&[server_pki.clone(), strings(&["--allow-renegotiation"])]);
    let (mut server, port) = mbedtls_server(&refs(&server_args));
    let client_args = args_of(&[client_pki.clone(), strings(&["--renegotiate"])]);
    let mut client = mbedtls_client(port, &refs(&client_args));
    let client_lines = mbedtls_success(&mut client, 1, &[&server]);
    let server_lines = mbedtls_success(&mut server, 1, &[&client]);
    let ctx = context(&[&client, &server]);
    assert_fields(&client_lines[0], "renegotiated=yes verify=ok", &ctx);
    assert_fields(&server_lines[0], "renegotiated=yes", &ctx);

    // The server does not allow it: the client's renegotiation fails.
    let (server, port) = mbedtls_server(&refs(&server_pki));
    let client_args = args_of(&[client_pki, strings(&["--renegotiate"])]);
    let mut client = mbedtls_client(port, &refs(&client_args));
    let (_, line) = mbedtls_failure(&mut client, &[&server]);
    assert!(
        line.starts_with("error: renegotiation: "),
        "{line}\n{}",
        context(&[&client, &server])
    );
}

// ---- DTLS 1.2 ----------------------------------------------------------------

#[test]
fn dtls_mbedtls_client() {
    let client = args_of(&[
        pki_args(Some("ca-p256.pem"), None),
        strings(&[
            "--server-name",
            "localhost",
            "--ciphersuite",
            "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256",
            "--mtu",
            "1000",
        ]),
    ]);
    let (lines, server) = client_case(true, 1, &refs(&server_cert("server-p256")), &refs(&client));
    assert_fields(
        &lines[0],
        "version=DTLSv1.2 suite=TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256 verify=ok resumed=no",
        &server.transcript(),
    );
    assert_openssl_says(&server, "Protocol version: DTLSv1.2");
}

/// The Mbed TLS server answers the first ClientHello with a
/// HelloVerifyRequest (cookie) before the handshake proper.
#[test]
fn dtls_mbedtls_server() {
    let server = args_of(&[
        pki_args(None, Some("server-p256")),
        strings(&["--ciphersuite", "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384"]),
    ]);
    let (line, client) = server_case(true, &refs(&server), &refs(&verified("ca-p256.pem")));
    assert_fields(
        &line,
        "version=DTLSv1.2 suite=TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384",
        &client.transcript(),
    );
    assert_openssl_says(&client, "Protocol version: DTLSv1.2");
}
