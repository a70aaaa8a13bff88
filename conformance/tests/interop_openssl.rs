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

// More cases, in files beside this one (a test crate's root looks for its
// modules in tests/ itself, hence the paths).
#[path = "interop_openssl/key_update.rs"]
mod key_update;
#[path = "interop_openssl/refusals.rs"]
mod refusals;
#[path = "interop_openssl/resumption.rs"]
mod resumption;
#[path = "interop_openssl/server_role.rs"]
mod server_role;
