//! Interop with OpenSSL 3 over loopback TCP, both roles:
//! `embertls client` against `openssl s_server -tls1_3`, and
//! `openssl s_client` against `embertls server`. Real processes, no mocks;
//! data is checked byte for byte in both directions, and what was
//! negotiated is checked on both sides where the peer prints it.

mod common;

use common::{
    assert_detail, assert_summary, embertls_client, embertls_server, payload, spawn_listening,
    testdata, transcripts, Proc, STEP,
};

/// `openssl s_server` for one connection, with `key`'s server certificate
/// from the test PKI, and `extra` arguments.
fn s_server(key: &str, extra: &[&str]) -> (Proc, u16) {
    s_server_with(key, true, extra)
}

/// Like [`s_server`]; `brief: false` keeps s_server's chatty output and
/// its standard-input commands (such as `K` for a KeyUpdate).
fn s_server_with(key: &str, brief: bool, extra: &[&str]) -> (Proc, u16) {
    let cert = testdata(&format!("server-{key}.pem"));
    let key = testdata(&format!("server-{key}.key"));
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    spawn_listening("openssl s_server", "openssl", move |port| {
        let mut args: Vec<String> = [
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-naccept",
            "1",
            "-cert",
            &cert,
            "-key",
            &key,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if brief {
            args.push("-brief".into());
        }
        // TLS 1.3 only, unless the test picks the version itself.
        if !extra
            .iter()
            .any(|a| a.starts_with("-tls1") || a.starts_with("-no_tls"))
        {
            args.push("-tls1_3".into());
        }
        args.extend(extra.iter().cloned());
        args
    })
}

/// `openssl s_client` to an embertls server on `port`, trusting `ca`.
fn s_client(port: u16, ca: &str, extra: &[&str]) -> Proc {
    let mut args: Vec<String> = [
        "s_client",
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-servername",
        "localhost",
        "-CAfile",
        &testdata(ca),
        "-verify_return_error",
        "-nocommands",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    Proc::spawn("openssl s_client", "openssl", &args)
}

/// embertls client against s_server: each side sends a payload, each
/// side's received bytes must match exactly, the client must close
/// cleanly, and its summary must show `summary` (and `detail`).
fn client_case(
    seed: u32,
    key: &str,
    server_extra: &[&str],
    client_args: &[&str],
    summary: &str,
    detail: &str,
) {
    let (mut server, port) = s_server(key, server_extra);
    let to_client = payload(seed, 300);
    let to_server = payload(seed + 1, 500);
    server.write(&to_client);
    let mut args = vec!["--wait", "50", "-v"];
    args.extend_from_slice(client_args);
    let mut client = embertls_client(port, &args);
    client.write(&to_server);
    let got = client.wait_stdout(&to_client, STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let server_status = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "client failed\n{ctx}"
    );
    assert!(server_status.is_ok(), "s_server did not finish\n{ctx}");
    assert_eq!(client.stdout_bytes(), to_client, "client received\n{ctx}");
    assert_eq!(server.stdout_bytes(), to_server, "s_server received\n{ctx}");
    assert_summary(&client.stderr(), summary, &ctx);
    assert_detail(&client.stderr(), detail, &ctx);
}

/// s_client against embertls server: data both ways (the server copies
/// its standard input to the client and what it receives to standard
/// output), checked exactly on our side and as a substring in s_client's
/// chatty output; `sclient_says` lines must appear in s_client's output.
fn server_case(
    seed: u32,
    server_args: &[&str],
    ca: &str,
    sclient_extra: &[&str],
    summary: &str,
    detail: &str,
    sclient_says: &[&str],
) {
    let mut args = vec!["--once", "-v"];
    args.extend_from_slice(server_args);
    let (mut server, port) = embertls_server(&args);
    let to_client = payload(seed, 400);
    let to_server = payload(seed + 1, 300);
    server.write(&to_client);
    let mut client = s_client(port, ca, sclient_extra);
    client.write(&to_server);
    let got_client = client.wait_stdout(&to_client, STEP);
    let got_server = server.wait_stdout(&to_server, STEP);
    client.close_stdin();
    let client_status = client.wait(STEP);
    let server_status = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    got_client.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got_server.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(
        server_status.is_ok_and(|s| s.success()),
        "server failed\n{ctx}"
    );
    assert!(
        client_status.is_ok_and(|s| s.success()),
        "s_client failed\n{ctx}"
    );
    assert_eq!(server.stdout_bytes(), to_server, "server received\n{ctx}");
    assert_summary(&server.stderr(), summary, &ctx);
    assert_detail(&server.stderr(), detail, &ctx);
    let said = client.stdout() + &client.stderr();
    for line in sclient_says {
        assert!(
            said.contains(line),
            "s_client did not print {line:?}\n{ctx}"
        );
    }
}

const P256_CA: &str = "ca-p256.pem";

fn ca_arg(key: &str) -> String {
    testdata(&format!("ca-{key}.pem"))
}

// ---- embertls client, openssl s_server ----

fn client_suite(seed: u32, suite: &str) {
    client_case(
        seed,
        "p256",
        &[],
        &["--ca", &ca_arg("p256"), "--suites", suite],
        &format!("version=TLSv1.3 suite={suite} group=x25519 alpn=- verify=ok"),
        "hrr=no client-auth=no",
    );
}

#[test]
fn client_suite_aes128_gcm() {
    client_suite(line!(), "TLS_AES_128_GCM_SHA256");
}

#[test]
fn client_suite_aes256_gcm() {
    client_suite(line!(), "TLS_AES_256_GCM_SHA384");
}

#[test]
fn client_suite_chacha20_poly1305() {
    client_suite(line!(), "TLS_CHACHA20_POLY1305_SHA256");
}

fn client_group(seed: u32, flag: &str, group: &str) {
    client_case(
        seed,
        "p256",
        &[],
        &["--ca", &ca_arg("p256"), "--groups", flag],
        &format!("group={group} verify=ok"),
        "hrr=no",
    );
}

#[test]
fn client_group_x25519() {
    client_group(line!(), "x25519", "x25519");
}

#[test]
fn client_group_p256() {
    client_group(line!(), "P-256", "secp256r1");
}

#[test]
fn client_group_p384() {
    client_group(line!(), "secp384r1", "secp384r1");
}

fn client_server_cert(seed: u32, key: &str) {
    client_case(
        seed,
        key,
        &[],
        &["--ca", &ca_arg(key)],
        "version=TLSv1.3 verify=ok",
        "peer-certs=1",
    );
}

#[test]
fn client_server_cert_ecdsa_p256() {
    client_server_cert(line!(), "p256");
}

#[test]
fn client_server_cert_ecdsa_p384() {
    client_server_cert(line!(), "p384");
}

#[test]
fn client_server_cert_ed25519() {
    client_server_cert(line!(), "ed25519");
}

#[test]
fn client_server_cert_rsa() {
    client_server_cert(line!(), "rsa");
}

#[test]
fn client_hello_retry_request_from_openssl() {
    // We send a key share for x25519 only; the server wants P-384.
    client_case(
        line!(),
        "p256",
        &["-groups", "P-384"],
        &["--ca", &ca_arg("p256")],
        "group=secp384r1 verify=ok",
        "hrr=yes",
    );
}

fn client_auth(seed: u32, key: &str) {
    let ca = ca_arg(key);
    let cert = testdata(&format!("client-{key}.pem"));
    let client_key = testdata(&format!("client-{key}.key"));
    client_case(
        seed,
        "p256",
        &["-Verify", "1", "-CAfile", &ca, "-verify_return_error"],
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
    );
}

#[test]
fn client_auth_ecdsa_p256_to_openssl() {
    client_auth(line!(), "p256");
}

#[test]
fn client_auth_rsa_to_openssl() {
    client_auth(line!(), "rsa");
}

#[test]
fn client_auth_ed25519_to_openssl() {
    client_auth(line!(), "ed25519");
}

#[test]
fn client_without_certificate_fails_when_openssl_requires_one() {
    let (mut server, port) = s_server("p256", &["-Verify", "1", "-CAfile", &ca_arg("p256")]);
    let mut client = embertls_client(port, &["--ca", &ca_arg("p256"), "--wait", "50"]);
    client.write(b"1 no certificate here\n");
    client.close_stdin();
    let status = client.wait(STEP);
    let _ = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    assert!(
        status.is_ok_and(|s| !s.success()),
        "client must fail\n{ctx}"
    );
    assert!(
        client
            .stderr()
            .contains("embertls: error: received fatal alert: certificate_required"),
        "{ctx}"
    );
    assert!(
        server.stdout_bytes().is_empty(),
        "no data may arrive\n{ctx}"
    );
}

#[test]
fn client_alpn_with_openssl() {
    client_case(
        line!(),
        "p256",
        // OpenSSL picks by its own order: the first of its list we offer.
        &["-alpn", "h2,foo"],
        &["--ca", &ca_arg("p256"), "--alpn", "http/1.1,h2"],
        "alpn=h2",
        "hrr=no",
    );
}

#[test]
fn client_rejects_untrusted_server() {
    let (mut server, port) = s_server("p256", &[]);
    let mut client = embertls_client(port, &["--ca", &ca_arg("rsa")]);
    client.close_stdin();
    let status = client.wait(STEP);
    let _ = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    assert!(status.is_ok_and(|s| s.code() == Some(1)), "{ctx}");
    assert!(client.stderr().contains("UnknownIssuer"), "{ctx}");
    assert!(
        !client.stderr().contains("version="),
        "no summary on failure\n{ctx}"
    );
}

#[test]
fn client_rejects_wrong_server_name() {
    let (mut server, port) = s_server("p256", &[]);
    let mut client = embertls_client(
        port,
        &["--ca", &ca_arg("p256"), "--servername", "wrong.example"],
    );
    client.close_stdin();
    let status = client.wait(STEP);
    let _ = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    assert!(status.is_ok_and(|s| s.code() == Some(1)), "{ctx}");
    assert!(client.stderr().contains("NotValidForName"), "{ctx}");
}

#[test]
fn client_to_ip_address_checks_ip_san() {
    let (mut server, port) = s_server("p384", &[]);
    let mut client = Proc::spawn(
        "embertls client",
        common::embertls_bin(),
        &[
            "client".into(),
            format!("127.0.0.1:{port}"),
            "--ca".into(),
            ca_arg("p384"),
            "--wait".into(),
            "50".into(),
        ],
    );
    server.write(b"1 over an IP address\n");
    let got = client.wait_stdout(b"1 over an IP address\n", STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "{ctx}");
    assert_summary(&client.stderr(), "verify=ok", &ctx);
}

#[test]
fn client_large_transfer_both_ways() {
    let (mut server, port) = s_server("rsa", &[]);
    let to_client = payload(line!(), 100_000);
    let to_server = payload(line!() + 1, 150_000);
    server.write(&to_client);
    let mut client = embertls_client(port, &["--ca", &ca_arg("rsa"), "--wait", "50"]);
    client.write(&to_server);
    let got = client.wait_stdout(&to_client[to_client.len() - 64..], STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let _ = server.wait(STEP);
    let ctx_short = format!(
        "client stderr: {}\nserver stderr: {}",
        client.stderr(),
        server.stderr()
    );
    got.unwrap_or_else(|e| panic!("{e}\n{ctx_short}"));
    assert!(status.is_ok_and(|s| s.success()), "{ctx_short}");
    assert!(
        client.stdout_bytes() == to_client,
        "client data differs\n{ctx_short}"
    );
    assert!(
        server.stdout_bytes() == to_server,
        "server data differs\n{ctx_short}"
    );
}

// ---- openssl s_client, embertls server ----

fn server_suite(seed: u32, suite: &str) {
    server_case(
        seed,
        &[
            "--cert",
            &testdata("server-p256.pem"),
            "--key",
            &testdata("server-p256.key"),
        ],
        P256_CA,
        &["-ciphersuites", suite],
        &format!("version=TLSv1.3 suite={suite} group=x25519 alpn=- verify=-"),
        "hrr=no sni=localhost",
        &[&format!("Cipher is {suite}"), "Verify return code: 0 (ok)"],
    );
}

#[test]
fn server_suite_aes128_gcm() {
    server_suite(line!(), "TLS_AES_128_GCM_SHA256");
}

#[test]
fn server_suite_aes256_gcm() {
    server_suite(line!(), "TLS_AES_256_GCM_SHA384");
}

#[test]
fn server_suite_chacha20_poly1305() {
    server_suite(line!(), "TLS_CHACHA20_POLY1305_SHA256");
}

fn server_group(seed: u32, flag: &str, group: &str, openssl_says: &str) {
    server_case(
        seed,
        &[
            "--cert",
            &testdata("server-p256.pem"),
            "--key",
            &testdata("server-p256.key"),
        ],
        P256_CA,
        &["-groups", flag],
        &format!("group={group}"),
        "hrr=no",
        &[openssl_says],
    );
}

#[test]
fn server_group_x25519() {
    server_group(line!(), "X25519", "x25519", "Server Temp Key: X25519");
}

#[test]
fn server_group_p256() {
    server_group(
        line!(),
        "P-256",
        "secp256r1",
        "Server Temp Key: ECDH, prime256v1",
    );
}

#[test]
fn server_group_p384() {
    server_group(
        line!(),
        "P-384",
        "secp384r1",
        "Server Temp Key: ECDH, secp384r1",
    );
}

fn server_cert(seed: u32, key: &str, key_file: &str, openssl_says: &str) {
    server_case(
        seed,
        &[
            "--cert",
            &testdata(&format!("server-{key}.pem")),
            "--key",
            &testdata(key_file),
        ],
        &format!("ca-{key}.pem"),
        &[],
        "version=TLSv1.3",
        "hrr=no",
        &["Verify return code: 0 (ok)", openssl_says],
    );
}

#[test]
fn server_cert_ecdsa_p256() {
    server_cert(
        line!(),
        "p256",
        "server-p256.key",
        "Peer signature type: ECDSA",
    );
}

#[test]
fn server_cert_ecdsa_p256_sec1_key() {
    server_cert(
        line!(),
        "p256",
        "server-p256.sec1.key",
        "Peer signature type: ECDSA",
    );
}

#[test]
fn server_cert_ecdsa_p384() {
    server_cert(
        line!(),
        "p384",
        "server-p384.key",
        "Peer signature type: ECDSA",
    );
}

#[test]
fn server_cert_ed25519() {
    server_cert(
        line!(),
        "ed25519",
        "server-ed25519.key",
        "Peer signature type: ed25519",
    );
}

#[test]
fn server_cert_rsa() {
    server_cert(
        line!(),
        "rsa",
        "server-rsa.key",
        "Peer signature type: RSA-PSS",
    );
}

#[test]
fn server_cert_rsa_pkcs1_key() {
    server_cert(
        line!(),
        "rsa",
        "server-rsa.pkcs1.key",
        "Peer signature type: RSA-PSS",
    );
}

#[test]
fn server_hello_retry_request_to_openssl() {
    // s_client sends a key share for X25519 only; we accept only P-256.
    server_case(
        line!(),
        &[
            "--cert",
            &testdata("server-p256.pem"),
            "--key",
            &testdata("server-p256.key"),
            "--groups",
            "secp256r1",
        ],
        P256_CA,
        &["-groups", "X25519:P-256"],
        "group=secp256r1",
        "hrr=yes",
        &["Server Temp Key: ECDH, prime256v1"],
    );
}

fn server_client_auth(seed: u32, key: &str) {
    server_case(
        seed,
        &[
            "--cert",
            &testdata("server-p256.pem"),
            "--key",
            &testdata("server-p256.key"),
            "--ca",
            &ca_arg(key),
            "--verify",
            "required",
        ],
        P256_CA,
        &[
            "-cert",
            &testdata(&format!("client-{key}.pem")),
            "-key",
            &testdata(&format!("client-{key}.key")),
        ],
        "verify=ok",
        "client-auth=yes peer-certs=1",
        &["Verify return code: 0 (ok)"],
    );
}

#[test]
fn server_client_auth_ecdsa_p384_from_openssl() {
    server_client_auth(line!(), "p384");
}

#[test]
fn server_client_auth_rsa_from_openssl() {
    server_client_auth(line!(), "rsa");
}

#[test]
fn server_client_auth_ed25519_from_openssl() {
    server_client_auth(line!(), "ed25519");
}

#[test]
fn server_requires_client_certificate_and_openssl_sends_none() {
    let (mut server, port) = embertls_server(&[
        "--once",
        "--echo",
        "--cert",
        &testdata("server-p256.pem"),
        "--key",
        &testdata("server-p256.key"),
        "--ca",
        &ca_arg("p256"),
        "--verify",
        "required",
    ]);
    let mut client = s_client(port, P256_CA, &[]);
    client.write(b"1 hello without a certificate\n");
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
    assert!(
        !server.stderr().contains("version="),
        "no summary on failure\n{ctx}"
    );
    assert!(client.stderr().contains("certificate required"), "{ctx}");
    assert!(client_status.is_ok(), "{ctx}");
    assert!(
        !client.stdout().contains("1 hello without"),
        "no echo\n{ctx}"
    );
}

#[test]
fn server_optional_client_auth_without_certificate() {
    server_case(
        line!(),
        &[
            "--cert",
            &testdata("server-p256.pem"),
            "--key",
            &testdata("server-p256.key"),
            "--ca",
            &ca_arg("p256"),
            "--verify",
            "optional",
        ],
        P256_CA,
        &[],
        "verify=missing",
        "client-auth=no",
        &["Verify return code: 0 (ok)"],
    );
}

#[test]
fn server_alpn_with_openssl() {
    server_case(
        line!(),
        &[
            "--cert",
            &testdata("server-p256.pem"),
            "--key",
            &testdata("server-p256.key"),
            "--alpn",
            "h2,http/1.1",
        ],
        P256_CA,
        &["-alpn", "foo,http/1.1"],
        "alpn=http/1.1",
        "hrr=no",
        &["ALPN protocol: http/1.1"],
    );
}

#[test]
fn server_echo_large_transfer_from_openssl() {
    let (mut server, port) = embertls_server(&[
        "--once",
        "--echo",
        "--cert",
        &testdata("server-ed25519.pem"),
        "--key",
        &testdata("server-ed25519.key"),
    ]);
    let data = payload(line!(), 120_000);
    let mut client = s_client(port, "ca-ed25519.pem", &["-quiet", "-no_ign_eof"]);
    client.write(&data);
    let got = client.wait_stdout(&data[data.len() - 64..], STEP);
    client.close_stdin();
    let client_status = client.wait(STEP);
    let server_status = server.wait(STEP);
    let ctx = format!(
        "client stderr: {}\nserver stderr: {}",
        client.stderr(),
        server.stderr()
    );
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(client.stdout_bytes() == data, "echo differs\n{ctx}");
    assert!(client_status.is_ok(), "{ctx}");
    assert!(server_status.is_ok(), "{ctx}");
}

// ---- KeyUpdate, both directions ----

const KEY_UPDATE_IN: &str = "<<< TLS 1.3, Handshake [length 0005], KeyUpdate";
const KEY_UPDATE_OUT: &str = ">>> TLS 1.3, Handshake [length 0005], KeyUpdate";

/// Data in three rounds (client, server, client) between an embertls
/// client and `s_server -msg`; `after_first` runs once the first round
/// arrived. Returns the processes for more checks.
fn client_rounds(client_args: &[&str], after_first: impl FnOnce(&mut Proc)) -> (Proc, Proc) {
    let (mut server, port) = s_server_with("p256", false, &["-msg"]);
    let mut args = vec!["--ca", P256_CA_PATH.as_str(), "--wait", "50"];
    args.extend_from_slice(client_args);
    let mut client = embertls_client(port, &args);
    let steps: [&[u8]; _] = [b"1 first round\n", b"2 second one\n", b"3 third round\n"];
    client.write(steps[0]);
    let mut result = server.wait_stdout(steps[0], STEP);
    if result.is_ok() {
        after_first(&mut server);
        server.write(steps[1]);
        result = client.wait_stdout(steps[1], STEP);
    }
    if result.is_ok() {
        client.write(steps[2]);
        result = server.wait_stdout(steps[2], STEP);
    }
    client.close_stdin();
    let status = client.wait(STEP);
    let _ = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    result.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "{ctx}");
    assert_eq!(client.stdout_bytes(), steps[1], "{ctx}");
    (client, server)
}

static P256_CA_PATH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| ca_arg("p256"));

#[test]
fn client_key_update_to_openssl() {
    // We update first and ask OpenSSL to follow; it does so when it next writes.
    let (client, server) = client_rounds(&["--key-update"], |_| {});
    let ctx = transcripts(&[&client, &server]);
    let out = server.stdout();
    let theirs = out.find(KEY_UPDATE_IN).expect(&ctx);
    assert!(
        out[theirs..].contains(KEY_UPDATE_OUT),
        "OpenSSL answered\n{ctx}"
    );
}

#[test]
fn client_answers_key_update_from_openssl() {
    // s_server's "K" command: KeyUpdate with update_requested.
    let (client, server) = client_rounds(&[], |server| {
        server.write(b"K\n");
        // Let s_server act on the command before the next line arrives.
        let _ = server.wait_stdout(KEY_UPDATE_OUT.as_bytes(), STEP);
    });
    let ctx = transcripts(&[&client, &server]);
    let out = server.stdout();
    let sent = out.find(KEY_UPDATE_OUT).expect(&ctx);
    assert!(out[sent..].contains(KEY_UPDATE_IN), "we answered\n{ctx}");
}

/// Three rounds between `s_client -msg` (commands on) and an embertls echo
/// server.
fn server_rounds(server_args: &[&str], after_first: impl FnOnce(&mut Proc)) -> (Proc, Proc) {
    let mut args = vec![
        "--once",
        "--echo",
        "--cert",
        P256_CERT.as_str(),
        "--key",
        P256_KEY.as_str(),
    ];
    args.extend_from_slice(server_args);
    let (mut server, port) = embertls_server(&args);
    let mut client = Proc::spawn(
        "openssl s_client",
        "openssl",
        &[
            "s_client".into(),
            "-connect".into(),
            format!("127.0.0.1:{port}"),
            "-servername".into(),
            "localhost".into(),
            "-CAfile".into(),
            P256_CA_PATH.clone(),
            "-msg".into(),
        ],
    );
    let steps: [&[u8]; _] = [b"1 first round\n", b"2 second one\n"];
    client.write(steps[0]);
    let mut result = client.wait_stdout(steps[0], STEP);
    if result.is_ok() {
        after_first(&mut client);
        client.write(steps[1]);
        result = client.wait_stdout(steps[1], STEP);
    }
    client.close_stdin();
    let client_status = client.wait(STEP);
    let server_status = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    result.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(client_status.is_ok_and(|s| s.success()), "{ctx}");
    assert!(server_status.is_ok_and(|s| s.success()), "{ctx}");
    (client, server)
}

static P256_CERT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| testdata("server-p256.pem"));
static P256_KEY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| testdata("server-p256.key"));

#[test]
fn server_key_update_to_openssl() {
    let (client, server) = server_rounds(&["--key-update"], |_| {});
    let ctx = transcripts(&[&client, &server]);
    let out = client.stdout();
    let ours = out.find(KEY_UPDATE_IN).expect(&ctx);
    assert!(
        out[ours..].contains(KEY_UPDATE_OUT),
        "OpenSSL answered\n{ctx}"
    );
}

#[test]
fn server_answers_key_update_from_openssl() {
    // s_client's "K" command: KeyUpdate with update_requested.
    let (client, server) = server_rounds(&[], |client| {
        client.write(b"K\n");
        // Let s_client act on the command before the next line arrives.
        let _ = client.wait_stdout(KEY_UPDATE_OUT.as_bytes(), STEP);
    });
    let ctx = transcripts(&[&client, &server]);
    let out = client.stdout();
    let sent = out.find(KEY_UPDATE_OUT).expect(&ctx);
    assert!(out[sent..].contains(KEY_UPDATE_IN), "we answered\n{ctx}");
}

// ---- negotiation edges and refusals ----

/// Runs an embertls server that must fail, against s_client; returns both
/// after they exited.
fn server_refuses(server_args: &[&str], ca: &str, sclient_extra: &[&str]) -> (Proc, Proc) {
    let mut args = vec!["--once", "--echo"];
    args.extend_from_slice(server_args);
    let (mut server, port) = embertls_server(&args);
    let mut client = s_client(port, ca, sclient_extra);
    client.write(b"1 must not echo\n");
    let server_status = server.wait(STEP);
    client.close_stdin();
    let client_status = client.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    assert!(server_status.is_ok_and(|s| s.code() == Some(1)), "{ctx}");
    assert!(client_status.is_ok(), "{ctx}");
    assert!(!client.stdout().contains("1 must not echo"), "{ctx}");
    assert!(!server.stderr().contains("version="), "no summary\n{ctx}");
    (client, server)
}

/// Runs an embertls client that must fail against s_server.
fn client_refused(key: &str, server_extra: &[&str], client_args: &[&str]) -> (Proc, Proc) {
    let (mut server, port) = s_server(key, server_extra);
    let mut args = vec!["--wait", "50"];
    args.extend_from_slice(client_args);
    let mut client = embertls_client(port, &args);
    client.write(b"1 must not arrive\n");
    client.close_stdin();
    let status = client.wait(STEP);
    let _ = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    assert!(status.is_ok_and(|s| s.code() == Some(1)), "{ctx}");
    assert!(client.stderr().contains("embertls: error: "), "{ctx}");
    assert!(server.stdout_bytes().is_empty(), "{ctx}");
    (client, server)
}

#[test]
fn server_signs_with_the_scheme_openssl_asks_for() {
    server_case(
        line!(),
        &[
            "--cert",
            &testdata("server-rsa.pem"),
            "--key",
            &testdata("server-rsa.key"),
        ],
        "ca-rsa.pem",
        &["-sigalgs", "RSA-PSS+SHA384"],
        "version=TLSv1.3",
        "hrr=no",
        &[
            "Peer signing digest: SHA384",
            "Peer signature type: RSA-PSS",
        ],
    );
}

#[test]
fn server_without_common_signature_scheme_refuses_openssl() {
    // rsa_pss_pss_* needs an RSASSA-PSS key; ours is rsaEncryption.
    let (client, server) = server_refuses(
        &[
            "--cert",
            &testdata("server-rsa.pem"),
            "--key",
            &testdata("server-rsa.key"),
        ],
        "ca-rsa.pem",
        &["-sigalgs", "rsa_pss_pss_sha256"],
    );
    let ctx = transcripts(&[&client, &server]);
    assert!(server.stderr().contains("NoCommonSignatureScheme"), "{ctx}");
    assert!(client.stderr().contains("alert handshake failure"), "{ctx}");
}

#[test]
fn server_without_common_suite_refuses_openssl() {
    let (client, server) = server_refuses(
        &[
            "--cert",
            &testdata("server-p256.pem"),
            "--key",
            &testdata("server-p256.key"),
            "--suites",
            "TLS_AES_256_GCM_SHA384",
        ],
        P256_CA,
        &["-ciphersuites", "TLS_AES_128_GCM_SHA256"],
    );
    let ctx = transcripts(&[&client, &server]);
    assert!(server.stderr().contains("NoCommonCipherSuite"), "{ctx}");
    assert!(client.stderr().contains("alert handshake failure"), "{ctx}");
}

#[test]
fn server_without_common_group_refuses_openssl() {
    let (client, server) = server_refuses(
        &[
            "--cert",
            &testdata("server-p256.pem"),
            "--key",
            &testdata("server-p256.key"),
            "--groups",
            "x25519",
        ],
        P256_CA,
        &["-groups", "P-384"],
    );
    let ctx = transcripts(&[&client, &server]);
    assert!(server.stderr().contains("NoCommonGroup"), "{ctx}");
    assert!(client.stderr().contains("alert handshake failure"), "{ctx}");
}

#[test]
fn server_refuses_tls12_only_openssl_client() {
    let (client, server) = server_refuses(
        &[
            "--cert",
            &testdata("server-p256.pem"),
            "--key",
            &testdata("server-p256.key"),
        ],
        P256_CA,
        &["-tls1_2"],
    );
    let ctx = transcripts(&[&client, &server]);
    assert!(server.stderr().contains("NoCommonVersion"), "{ctx}");
    assert!(client.stderr().contains("alert protocol version"), "{ctx}");
}

#[test]
fn server_rejects_untrusted_client_certificate_from_openssl() {
    let (client, server) = server_refuses(
        &[
            "--cert",
            &testdata("server-p256.pem"),
            "--key",
            &testdata("server-p256.key"),
            "--ca",
            &ca_arg("p256"),
        ],
        P256_CA,
        &[
            "-cert",
            &testdata("client-rsa.pem"),
            "-key",
            &testdata("client-rsa.key"),
        ],
    );
    let ctx = transcripts(&[&client, &server]);
    assert!(
        server
            .stderr()
            .contains("invalid peer certificate: UnknownIssuer"),
        "{ctx}"
    );
    assert!(client.stderr().contains("alert unknown ca"), "{ctx}");
}

#[test]
fn client_certificate_rejected_by_openssl() {
    let (client, server) = client_refused(
        "p256",
        &[
            "-Verify",
            "1",
            "-CAfile",
            &ca_arg("p256"),
            "-verify_return_error",
        ],
        &[
            "--ca",
            &ca_arg("p256"),
            "--cert",
            &testdata("client-rsa.pem"),
            "--key",
            &testdata("client-rsa.key"),
        ],
    );
    let ctx = transcripts(&[&client, &server]);
    assert!(
        client.stderr().contains("received fatal alert: unknown_ca"),
        "{ctx}"
    );
}

#[test]
fn client_refused_by_tls12_only_openssl() {
    let (client, server) = client_refused("p256", &["-tls1_2"], &["--ca", &ca_arg("p256")]);
    let ctx = transcripts(&[&client, &server]);
    assert!(
        client
            .stderr()
            .contains("received fatal alert: protocol_version"),
        "{ctx}"
    );
}

#[test]
fn client_optional_verification_reports_untrusted_server() {
    client_case(
        line!(),
        "p256",
        &[],
        &["--ca", &ca_arg("rsa"), "--verify", "optional"],
        "version=TLSv1.3 verify=not-trusted",
        "peer-certs=1",
    );
}

#[test]
fn client_auth_with_scheme_chosen_by_openssl() {
    // OpenSSL accepts only RSA-PSS with SHA-512 for the client's signature.
    client_case(
        line!(),
        "p256",
        &[
            "-Verify",
            "1",
            "-CAfile",
            &ca_arg("rsa"),
            "-verify_return_error",
            "-client_sigalgs",
            "RSA-PSS+SHA512",
        ],
        &[
            "--ca",
            &ca_arg("p256"),
            "--cert",
            &testdata("client-rsa.pem"),
            "--key",
            &testdata("client-rsa.key"),
        ],
        "verify=ok",
        "client-auth=yes",
    );
}

#[test]
fn client_reads_padded_and_fragmented_records_from_openssl() {
    // 512-byte records (the RSA chain spans several) padded to 256 bytes.
    let (mut server, port) = s_server("rsa", &["-max_send_frag", "512", "-record_padding", "256"]);
    let to_client = payload(line!(), 20_000);
    server.write(&to_client);
    let mut client = embertls_client(port, &["--ca", &ca_arg("rsa"), "--wait", "50"]);
    client.write(b"1 thanks\n");
    let got = client.wait_stdout(&to_client, STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let _ = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "{ctx}");
    assert!(client.stdout_bytes() == to_client, "{ctx}");
    assert_eq!(server.stdout_bytes(), b"1 thanks\n", "{ctx}");
}
