//! Interop with GnuTLS over loopback TCP, both roles: `embertls client`
//! against `gnutls-serv --echo`, and `gnutls-cli` against
//! `embertls server --echo`. Real processes, no mocks. The echo must come
//! back byte for byte; what was negotiated is checked in our summary line
//! and in GnuTLS's `- Description: (TLS1.3-X.509)-(ECDHE-...)-(...)-(...)`.

mod common;

use common::{
    assert_detail, assert_summary, embertls_client, embertls_server, eventually, payload,
    spawn_listening, testdata, transcripts, Proc, STEP,
};

/// TLS 1.3 only, otherwise GnuTLS defaults.
const TLS13: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.3";

/// `gnutls-serv --echo` with `key`'s server certificate, priority string
/// `priority` and `extra` arguments; standard output line-buffered so its
/// report on the connection can be read while it runs.
fn gnutls_serv(key: &str, priority: &str, extra: &[&str]) -> (Proc, u16) {
    let cert = testdata(&format!("server-{key}.pem"));
    let key = testdata(&format!("server-{key}.key"));
    let priority = priority.to_string();
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    spawn_listening("gnutls-serv", "stdbuf", move |port| {
        let mut args: Vec<String> = [
            "-oL",
            "-eL",
            "gnutls-serv",
            "--port",
            &port.to_string(),
            "--echo",
            "--x509certfile",
            &cert,
            "--x509keyfile",
            &key,
            "--priority",
            &priority,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().cloned());
        args
    })
}

fn gnutls_cli(port: u16, ca: &str, priority: &str, extra: &[&str]) -> Proc {
    let mut args: Vec<String> = [
        "--port",
        &port.to_string(),
        "--x509cafile",
        &testdata(ca),
        "--priority",
        priority,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("localhost".into());
    Proc::spawn("gnutls-cli", "gnutls-cli", &args)
}

fn ca_arg(key: &str) -> String {
    testdata(&format!("ca-{key}.pem"))
}

/// embertls client against gnutls-serv --echo: the echo must equal what we
/// sent, the client must close cleanly, and our summary, detail line and
/// gnutls-serv's report must show what is expected.
#[allow(clippy::too_many_arguments)]
fn client_case(
    seed: u32,
    key: &str,
    priority: &str,
    server_extra: &[&str],
    client_args: &[&str],
    summary: &str,
    detail: &str,
    server_says: &[&str],
) {
    let (mut server, port) = gnutls_serv(key, priority, server_extra);
    let data = payload(seed, 700);
    let mut args = vec!["--wait", "50", "-v"];
    args.extend_from_slice(client_args);
    let mut client = embertls_client(port, &args);
    client.write(&data);
    let got = client.wait_stdout(&data, STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let mut report = Ok(());
    for line in server_says {
        report = report.and_then(|()| server.wait_stdout(line.as_bytes(), STEP));
    }
    let ctx = transcripts(&[&client, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "client failed\n{ctx}");
    assert_eq!(client.stdout_bytes(), data, "echo\n{ctx}");
    assert_summary(&client.stderr(), summary, &ctx);
    assert_detail(&client.stderr(), detail, &ctx);
    report.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
}

/// gnutls-cli against embertls server --echo --once: the echo must come
/// back, both must exit cleanly, and our summary, detail line and
/// gnutls-cli's report must show what is expected.
#[allow(clippy::too_many_arguments)]
fn server_case(
    seed: u32,
    server_args: &[&str],
    ca: &str,
    priority: &str,
    cli_extra: &[&str],
    summary: &str,
    detail: &str,
    cli_says: &[&str],
) {
    let mut args = vec!["--once", "--echo", "-v"];
    args.extend_from_slice(server_args);
    let (mut server, port) = embertls_server(&args);
    let data = payload(seed, 600);
    let mut client = gnutls_cli(port, ca, priority, cli_extra);
    client.write(&data);
    let got = client.wait_stdout(&data, STEP);
    client.close_stdin();
    let client_status = client.wait(STEP);
    let server_status = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(
        server_status.is_ok_and(|s| s.success()),
        "server failed\n{ctx}"
    );
    assert!(
        client_status.is_ok_and(|s| s.success()),
        "gnutls-cli failed\n{ctx}"
    );
    assert_summary(&server.stderr(), summary, &ctx);
    assert_detail(&server.stderr(), detail, &ctx);
    let said = client.stdout() + &client.stderr();
    for line in cli_says {
        assert!(
            said.contains(line),
            "gnutls-cli did not print {line:?}\n{ctx}"
        );
    }
}

fn p256_server() -> Vec<String> {
    vec![
        "--cert".into(),
        testdata("server-p256.pem"),
        "--key".into(),
        testdata("server-p256.key"),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

// ---- embertls client, gnutls-serv ----

fn client_suite(seed: u32, suite: &str, gnutls_name: &str) {
    client_case(
        seed,
        "p256",
        TLS13,
        &[],
        &["--ca", &ca_arg("p256"), "--suites", suite],
        &format!("version=TLSv1.3 suite={suite} group=x25519 verify=ok"),
        "hrr=no",
        &[&format!(
            "-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-({gnutls_name})"
        )],
    );
}

#[test]
fn client_suite_aes128_gcm() {
    client_suite(line!(), "TLS_AES_128_GCM_SHA256", "AES-128-GCM");
}

#[test]
fn client_suite_aes256_gcm() {
    client_suite(line!(), "TLS_AES_256_GCM_SHA384", "AES-256-GCM");
}

#[test]
fn client_suite_chacha20_poly1305() {
    client_suite(line!(), "TLS_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305");
}

fn client_group(seed: u32, flag: &str, group: &str, gnutls_name: &str) {
    client_case(
        seed,
        "p256",
        TLS13,
        &[],
        &["--ca", &ca_arg("p256"), "--groups", flag],
        &format!("group={group} verify=ok"),
        "hrr=no",
        &[&format!("(TLS1.3-X.509)-(ECDHE-{gnutls_name})-")],
    );
}

#[test]
fn client_group_x25519() {
    client_group(line!(), "x25519", "x25519", "X25519");
}

#[test]
fn client_group_p256() {
    client_group(line!(), "P-256", "secp256r1", "SECP256R1");
}

#[test]
fn client_group_p384() {
    client_group(line!(), "P-384", "secp384r1", "SECP384R1");
}

fn client_server_cert(seed: u32, key: &str, gnutls_sig: &str) {
    client_case(
        seed,
        key,
        TLS13,
        &[],
        &["--ca", &ca_arg(key)],
        "version=TLSv1.3 verify=ok",
        "peer-certs=1",
        &[&format!("-({gnutls_sig})-")],
    );
}

#[test]
fn client_server_cert_ecdsa_p256() {
    client_server_cert(line!(), "p256", "ECDSA-SECP256R1-SHA256");
}

#[test]
fn client_server_cert_ecdsa_p384() {
    client_server_cert(line!(), "p384", "ECDSA-SECP384R1-SHA384");
}

#[test]
fn client_server_cert_ed25519() {
    client_server_cert(line!(), "ed25519", "EdDSA-Ed25519");
}

#[test]
fn client_server_cert_rsa() {
    client_server_cert(line!(), "rsa", "RSA-PSS-RSAE-SHA256");
}

#[test]
fn client_hello_retry_request_from_gnutls() {
    client_case(
        line!(),
        "p256",
        &format!("{TLS13}:-GROUP-ALL:+GROUP-SECP384R1"),
        &[],
        &["--ca", &ca_arg("p256")],
        "group=secp384r1 verify=ok",
        "hrr=yes",
        &["(ECDHE-SECP384R1)"],
    );
}

fn client_auth(seed: u32, key: &str, gnutls_sig: &str) {
    let cert = testdata(&format!("client-{key}.pem"));
    let client_key = testdata(&format!("client-{key}.key"));
    client_case(
        seed,
        "p256",
        TLS13,
        &[
            "--require-client-cert",
            "--verify-client-cert",
            "--x509cafile",
            &ca_arg(key),
        ],
        &[
            "--ca",
            &ca_arg("p256"),
            "--cert",
            &cert,
            "--key",
            &client_key,
        ],
        "verify=ok",
        "client-auth=yes",
        &[
            "- Status: The certificate is trusted.",
            &format!("- Client Signature: {gnutls_sig}"),
        ],
    );
}

#[test]
fn client_auth_ecdsa_p384_to_gnutls() {
    client_auth(line!(), "p384", "ECDSA-SECP384R1-SHA384");
}

#[test]
fn client_auth_ed25519_to_gnutls() {
    client_auth(line!(), "ed25519", "EdDSA-Ed25519");
}

#[test]
fn client_auth_rsa_to_gnutls() {
    client_auth(line!(), "rsa", "RSA-PSS-RSAE-SHA256");
}

#[test]
fn client_without_certificate_fails_when_gnutls_requires_one() {
    let (mut server, port) = gnutls_serv(
        "p256",
        TLS13,
        &[
            "--require-client-cert",
            "--verify-client-cert",
            "--x509cafile",
            &ca_arg("p256"),
        ],
    );
    let mut client = embertls_client(port, &["--ca", &ca_arg("p256"), "--wait", "50"]);
    client.write(b"1 no certificate\n");
    client.close_stdin();
    let status = client.wait(STEP);
    let said = server.wait_stderr(b"Certificate is required", STEP);
    let ctx = transcripts(&[&client, &server]);
    assert!(status.is_ok_and(|s| s.code() == Some(1)), "{ctx}");
    assert!(
        client
            .stderr()
            .contains("embertls: error: received fatal alert: certificate_required"),
        "{ctx}"
    );
    assert!(client.stdout_bytes().is_empty(), "{ctx}");
    said.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
}

#[test]
fn client_alpn_with_gnutls() {
    client_case(
        line!(),
        "p256",
        TLS13,
        &["--alpn", "h2"],
        &["--ca", &ca_arg("p256"), "--alpn", "http/1.1,h2"],
        "alpn=h2",
        "hrr=no",
        &["- Application protocol: h2"],
    );
}

#[test]
fn client_large_echo_with_gnutls() {
    let (mut server, port) = gnutls_serv("ed25519", TLS13, &[]);
    let data = payload(line!(), 100_000);
    let mut client = embertls_client(port, &["--ca", &ca_arg("ed25519"), "--wait", "50"]);
    client.write(&data);
    let got = client.wait_stdout(&data[data.len() - 64..], STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let ctx = format!("client stderr: {}", client.stderr());
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "{ctx}");
    assert!(client.stdout_bytes() == data, "echo differs\n{ctx}");
    assert!(server.try_status().is_none(), "gnutls-serv stopped\n{ctx}");
}

// ---- gnutls-cli, embertls server ----

fn server_suite(seed: u32, suite: &str, gnutls_name: &str) {
    server_case(
        seed,
        &strs(&p256_server()),
        "ca-p256.pem",
        &format!("{TLS13}:-CIPHER-ALL:+{gnutls_name}"),
        &[],
        &format!("version=TLSv1.3 suite={suite} group=x25519 alpn=- verify=-"),
        "hrr=no sni=localhost",
        &[
            &format!("(TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-({gnutls_name})"),
            "The certificate is trusted",
        ],
    );
}

#[test]
fn server_suite_aes128_gcm() {
    server_suite(line!(), "TLS_AES_128_GCM_SHA256", "AES-128-GCM");
}

#[test]
fn server_suite_aes256_gcm() {
    server_suite(line!(), "TLS_AES_256_GCM_SHA384", "AES-256-GCM");
}

#[test]
fn server_suite_chacha20_poly1305() {
    server_suite(line!(), "TLS_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305");
}

fn server_group(seed: u32, gnutls_name: &str, group: &str) {
    server_case(
        seed,
        &strs(&p256_server()),
        "ca-p256.pem",
        &format!("{TLS13}:-GROUP-ALL:+GROUP-{gnutls_name}"),
        &[],
        &format!("group={group}"),
        "hrr=no",
        &[&format!("(TLS1.3-X.509)-(ECDHE-{gnutls_name})-")],
    );
}

#[test]
fn server_group_x25519() {
    server_group(line!(), "X25519", "x25519");
}

#[test]
fn server_group_p256() {
    server_group(line!(), "SECP256R1", "secp256r1");
}

#[test]
fn server_group_p384() {
    server_group(line!(), "SECP384R1", "secp384r1");
}

fn server_cert(seed: u32, key: &str, key_file: &str, gnutls_sig: &str) {
    let cert = testdata(&format!("server-{key}.pem"));
    let key_path = testdata(key_file);
    server_case(
        seed,
        &["--cert", &cert, "--key", &key_path],
        &format!("ca-{key}.pem"),
        TLS13,
        &[],
        "version=TLSv1.3",
        "hrr=no",
        &["The certificate is trusted", &format!("-({gnutls_sig})-")],
    );
}

#[test]
fn server_cert_ecdsa_p256() {
    server_cert(line!(), "p256", "server-p256.key", "ECDSA-SECP256R1-SHA256");
}

#[test]
fn server_cert_ecdsa_p256_sec1_key() {
    server_cert(
        line!(),
        "p256",
        "server-p256.sec1.key",
        "ECDSA-SECP256R1-SHA256",
    );
}

#[test]
fn server_cert_ecdsa_p384() {
    server_cert(line!(), "p384", "server-p384.key", "ECDSA-SECP384R1-SHA384");
}

#[test]
fn server_cert_ed25519() {
    server_cert(line!(), "ed25519", "server-ed25519.key", "EdDSA-Ed25519");
}

#[test]
fn server_cert_rsa() {
    server_cert(line!(), "rsa", "server-rsa.key", "RSA-PSS-RSAE-SHA256");
}

#[test]
fn server_cert_rsa_pkcs1_key() {
    server_cert(
        line!(),
        "rsa",
        "server-rsa.pkcs1.key",
        "RSA-PSS-RSAE-SHA256",
    );
}

#[test]
fn server_hello_retry_request_to_gnutls() {
    // gnutls-cli sends key shares for x25519 and secp384r1; we take only P-256.
    let mut args = p256_server();
    args.extend(["--groups".into(), "secp256r1".into()]);
    server_case(
        line!(),
        &strs(&args),
        "ca-p256.pem",
        &format!("{TLS13}:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP384R1:+GROUP-SECP256R1"),
        &[],
        "group=secp256r1",
        "hrr=yes",
        &["(ECDHE-SECP256R1)"],
    );
}

fn server_client_auth(seed: u32, key: &str) {
    let mut args = p256_server();
    args.extend([
        "--ca".into(),
        ca_arg(key),
        "--verify".into(),
        "required".into(),
    ]);
    let cert = testdata(&format!("client-{key}.pem"));
    let client_key = testdata(&format!("client-{key}.key"));
    server_case(
        seed,
        &strs(&args),
        "ca-p256.pem",
        TLS13,
        &["--x509certfile", &cert, "--x509keyfile", &client_key],
        "verify=ok",
        "client-auth=yes peer-certs=1",
        &["- Successfully sent 1 certificate(s) to server."],
    );
}

#[test]
fn server_client_auth_ecdsa_p256_from_gnutls() {
    server_client_auth(line!(), "p256");
}

#[test]
fn server_client_auth_ed25519_from_gnutls() {
    server_client_auth(line!(), "ed25519");
}

#[test]
fn server_client_auth_rsa_from_gnutls() {
    server_client_auth(line!(), "rsa");
}

#[test]
fn server_requires_client_certificate_and_gnutls_sends_none() {
    let mut args = vec!["--once", "--echo"];
    let base = p256_server();
    args.extend(strs(&base));
    let ca = ca_arg("p256");
    args.extend(["--ca", &ca, "--verify", "required"]);
    let (mut server, port) = embertls_server(&args);
    let mut client = gnutls_cli(port, "ca-p256.pem", TLS13, &[]);
    client.write(b"1 no certificate\n");
    let server_status = server.wait(STEP);
    client.close_stdin();
    let client_status = client.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    assert!(server_status.is_ok_and(|s| s.code() == Some(1)), "{ctx}");
    assert!(
        server
            .stderr()
            .contains("embertls: error: peer incompatible: NoClientCertificate"),
        "{ctx}"
    );
    assert!(client.stdout().contains("Received alert [116]"), "{ctx}");
    assert!(client_status.is_ok_and(|s| !s.success()), "{ctx}");
}

#[test]
fn server_alpn_with_gnutls() {
    let mut args = p256_server();
    args.extend(["--alpn".into(), "h2,http/1.1".into()]);
    server_case(
        line!(),
        &strs(&args),
        "ca-p256.pem",
        TLS13,
        &["--alpn", "http/1.1", "--alpn", "h2"],
        "alpn=h2",
        "hrr=no",
        &["- Application protocol: h2"],
    );
}

// ---- KeyUpdate, both directions (GnuTLS's debug log shows them) ----

/// Lines of a GnuTLS debug log (`-d 4`) for a KeyUpdate received with
/// update_requested, and the answer that follows.
const GOT_REQUEST: &str = "received TLS 1.3 key update (1)";
const ANSWERED: &str = "sending key update (0)";
const SENT_REQUEST: &str = "sending key update (1)";
const GOT_ANSWER: &str = "received TLS 1.3 key update (0)";

/// Sends `lines` one by one from `client`, waiting for each echo.
fn echo_rounds(client: &mut Proc, lines: &[&[u8]]) -> Result<(), String> {
    let mut expected = Vec::new();
    for line in lines {
        client.write(line);
        expected.extend_from_slice(line);
        client.wait_stdout(&expected, STEP)?;
    }
    Ok(())
}

#[test]
fn client_key_update_to_gnutls() {
    let (mut server, port) = gnutls_serv("p256", TLS13, &["-d", "4"]);
    let mut client = embertls_client(
        port,
        &["--ca", &ca_arg("p256"), "--wait", "50", "--key-update"],
    );
    let result = echo_rounds(&mut client, &[b"1 first\n", b"2 second\n"]);
    client.close_stdin();
    let status = client.wait(STEP);
    let logged = server.wait_stderr(ANSWERED.as_bytes(), STEP);
    let ctx = transcripts(&[&client, &server]);
    result.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "{ctx}");
    logged.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    let log = server.stderr();
    let got = log.find(GOT_REQUEST).expect(&ctx);
    assert!(log[got..].contains(ANSWERED), "{ctx}");
}

#[test]
fn client_answers_key_update_from_gnutls() {
    // gnutls-serv --echo turns "**REHANDSHAKE**" into a KeyUpdate with
    // update_requested (TLS 1.3 has no renegotiation).
    let (mut server, port) = gnutls_serv("p256", TLS13, &["-d", "4"]);
    let mut client = embertls_client(port, &["--ca", &ca_arg("p256"), "--wait", "50"]);
    client.write(b"1 first\n");
    let mut result = client.wait_stdout(b"1 first\n", STEP);
    if result.is_ok() {
        client.write(b"**REHANDSHAKE**\n");
        result = client.wait_stdout(b"Successfully executed command\n", STEP);
    }
    if result.is_ok() {
        client.write(b"2 second\n");
        result = client.wait_stdout(b"2 second\n", STEP);
    }
    client.close_stdin();
    let status = client.wait(STEP);
    let logged = server.wait_stderr(GOT_ANSWER.as_bytes(), STEP);
    let ctx = transcripts(&[&client, &server]);
    result.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "{ctx}");
    logged.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    let log = server.stderr();
    let sent = log.find(SENT_REQUEST).expect(&ctx);
    assert!(log[sent..].contains(GOT_ANSWER), "we answered\n{ctx}");
}

#[test]
fn server_key_update_to_gnutls() {
    let mut args = vec!["--once", "--echo", "--key-update"];
    let base = p256_server();
    args.extend(strs(&base));
    let (mut server, port) = embertls_server(&args);
    let mut client = gnutls_cli(port, "ca-p256.pem", TLS13, &["-d", "4"]);
    let result = echo_rounds(&mut client, &[b"1 first\n", b"2 second\n"]);
    client.close_stdin();
    let client_status = client.wait(STEP);
    let server_status = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    result.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(client_status.is_ok_and(|s| s.success()), "{ctx}");
    assert!(server_status.is_ok_and(|s| s.success()), "{ctx}");
    let log = client.stderr();
    let got = log.find(GOT_REQUEST).expect(&ctx);
    assert!(log[got..].contains(ANSWERED), "{ctx}");
}

// ---- record_size_limit (RFC 8449) ----

/// Application-data plaintext sizes in a GnuTLS `-d 9` log.
fn decrypted_app_data_sizes(log: &str) -> Vec<usize> {
    log.lines()
        .filter(|l| l.contains("Decrypted Packet[") && l.contains("Application Data(23)"))
        .filter_map(|l| l.rsplit("length: ").next()?.trim().parse().ok())
        .collect()
}

#[test]
fn server_honours_record_size_limit_from_gnutls() {
    // gnutls-cli advertises 513 (512 bytes of content + the content type).
    let mut args = vec!["--once"];
    let base = p256_server();
    args.extend(strs(&base));
    let (mut server, port) = embertls_server(&args);
    let to_client = payload(line!(), 5000);
    server.write(&to_client);
    let mut client = gnutls_cli(
        port,
        "ca-p256.pem",
        TLS13,
        &["--recordsize", "512", "-d", "9"],
    );
    client.write(b"1 small\n");
    let got = client.wait_stdout(&to_client, STEP);
    let got_server = server.wait_stdout(b"1 small\n", STEP);
    client.close_stdin();
    let client_status = client.wait(STEP);
    let server_status = server.wait(STEP);
    let ctx = transcripts(&[&server]) + &format!("client stdout:\n{}", client.stdout());
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got_server.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(client_status.is_ok_and(|s| s.success()), "{ctx}");
    assert!(server_status.is_ok_and(|s| s.success()), "{ctx}");
    let total = || {
        decrypted_app_data_sizes(&client.stderr())
            .iter()
            .sum::<usize>()
    };
    eventually(STEP, || total() >= to_client.len());
    let sizes = decrypted_app_data_sizes(&client.stderr());
    assert_eq!(sizes.iter().sum::<usize>(), to_client.len(), "{sizes:?}");
    assert!(
        sizes.iter().all(|&n| n <= 512),
        "record too large: {sizes:?}"
    );
}

#[test]
fn client_honours_record_size_limit_from_gnutls() {
    // A server may only limit us when we offer record_size_limit, which we
    // do with --max-record-size; gnutls-serv then answers 513.
    let (server, port) = gnutls_serv("p256", TLS13, &["--recordsize", "512", "-d", "9"]);
    let data = payload(line!(), 5000);
    let mut client = embertls_client(
        port,
        &[
            "--ca",
            &ca_arg("p256"),
            "--wait",
            "50",
            "--max-record-size",
            "4096",
        ],
    );
    client.write(&data);
    let got = client.wait_stdout(&data, STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let ctx = format!("client stderr:\n{}", client.stderr());
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "{ctx}");
    let total = || {
        decrypted_app_data_sizes(&server.stderr())
            .iter()
            .sum::<usize>()
    };
    eventually(STEP, || total() >= data.len());
    let sizes = decrypted_app_data_sizes(&server.stderr());
    assert_eq!(sizes.iter().sum::<usize>(), data.len(), "{sizes:?}");
    assert!(
        sizes.iter().all(|&n| n <= 512),
        "record too large: {sizes:?}"
    );
}

/// gnutls-cli --resume connects, takes our ticket, reconnects and resumes.
#[test]
fn gnutls_cli_resumes_with_an_embertls_ticket() {
    let (server, port) = embertls_server(&[
        "--cert",
        &testdata("server-p256.pem"),
        "--key",
        &testdata("server-p256.key"),
        "--echo",
    ]);
    let mut client = gnutls_cli(port, "ca-p256.pem", TLS13, &["--resume"]);
    client.write(b"resumed data\n");
    let got = client.wait_stdout(b"resumed data", STEP);
    client.close_stdin();
    let _ = client.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    let said = client.stdout() + &client.stderr();
    assert!(
        said.contains("This is a resumed session"),
        "not resumed\n{ctx}"
    );
}

/// embertls client --reconnect against gnutls-serv (which issues tickets).
#[test]
fn embertls_client_resumes_with_a_gnutls_ticket() {
    let (server, port) = gnutls_serv("p256", TLS13, &[]);
    let mut client = embertls_client(
        port,
        &[
            "--wait",
            "50",
            "--ca",
            &ca_arg("p256"),
            "--servername",
            "localhost",
            "--reconnect",
        ],
    );
    // gnutls-serv --echo answers line by line.
    client.write(b"hello\n");
    let got = client.wait_stdout(b"hello\n", STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "client failed\n{ctx}");
    let err = client.stderr();
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("embertls: version="))
        .collect();
    assert_eq!(lines.len(), 2, "{ctx}");
    assert!(lines[1].ends_with("resumed=yes"), "{ctx}");
}
