//! The private key lives only in a PKCS#11 token (SoftHSM2) and real
//! OpenSSL peers check the signatures it makes:
//!
//! - `openssl s_client -verify_return_error` against `embertls server
//!   --pkcs11-*` (the server signs CertificateVerify on its worker
//!   thread), for ECDSA P-256, P-384 and RSA keys, with data both ways;
//! - `embertls client --pkcs11-*` authenticating to `openssl s_server
//!   -Verify 1` with a client key in the token;
//! - a wrong PIN or a key that does not match the certificate stops the
//!   server before it listens.
//!
//! Each test has its own token directory; the embertls process gets it
//! through `SOFTHSM2_CONF`.

mod common;

use std::ffi::OsStr;

use common::{
    embertls_bin, embertls_server_env, payload, spawn_listening, testdata, transcripts, Proc, STEP,
};
use embertls_conformance::testkit::softhsm::{module, standard_token, SoftHsm, PIN, TOKEN};

/// A token directory with [`standard_token`] in it.
fn hsm() -> SoftHsm {
    module();
    let hsm = SoftHsm::new();
    standard_token(&hsm);
    hsm
}

fn module_arg() -> String {
    module().to_string_lossy().into_owned()
}

/// `--cert` and the `--pkcs11-*` options for the key `key_args` names.
fn pkcs11_args(cert: &str, key_args: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "--cert".into(),
        testdata(cert),
        "--pkcs11-module".into(),
        module_arg(),
        "--pkcs11-token".into(),
        TOKEN.into(),
    ];
    args.extend(key_args.iter().map(|s| s.to_string()));
    args
}

fn s_client(port: u16, ca: &str) -> Proc {
    let args: Vec<String> = [
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
    Proc::spawn("openssl s_client", "openssl", &args)
}

/// s_client verifies an embertls server whose key is in the token, and
/// data goes both ways.
fn s_client_case(seed: u32, key: &str, key_args: &[&str], peer_signature: &str) {
    let hsm = hsm();
    let mut args = vec!["--once".to_string(), "-v".into()];
    args.extend(pkcs11_args(&format!("server-{key}.pem"), key_args));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (mut server, port) = embertls_server_env(
        &args,
        &[
            ("SOFTHSM2_CONF", hsm.conf.as_os_str()),
            ("EMBERTLS_PKCS11_PIN", OsStr::new(PIN)),
        ],
    );
    let to_client = payload(seed, 400);
    let to_server = payload(seed + 1, 300);
    server.write(&to_client);
    let mut client = s_client(port, &format!("ca-{key}.pem"));
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
        client_status.is_ok_and(|s| s.success()),
        "s_client failed\n{ctx}"
    );
    assert!(
        server_status.is_ok_and(|s| s.success()),
        "server failed\n{ctx}"
    );
    assert_eq!(server.stdout_bytes(), to_server, "server received\n{ctx}");
    let said = client.stdout() + &client.stderr();
    for line in ["Verify return code: 0 (ok)", "New, TLSv1.3", peer_signature] {
        assert!(
            said.contains(line),
            "s_client did not print {line:?}\n{ctx}"
        );
    }
    let err = server.stderr();
    assert!(err.contains("version=TLSv1.3"), "no summary line\n{ctx}");
    assert!(
        err.contains("private key in PKCS#11 token embertls, signing on a worker thread"),
        "{ctx}"
    );
}

#[test]
fn s_client_verifies_p256_key_in_token() {
    s_client_case(
        line!(),
        "p256",
        &["--pkcs11-key", "server-p256"],
        "Peer signature type: ECDSA",
    );
}

#[test]
fn s_client_verifies_p384_key_in_token() {
    s_client_case(
        line!(),
        "p384",
        &["--pkcs11-key-id", "02"],
        "Peer signature type: ECDSA",
    );
}

#[test]
fn s_client_verifies_rsa_key_in_token() {
    s_client_case(
        line!(),
        "rsa",
        &["--pkcs11-key", "server-rsa"],
        "Peer signature type: RSA-PSS",
    );
}

#[test]
fn embertls_client_authenticates_with_key_in_token() {
    let hsm = hsm();
    let ca = testdata("ca-p256.pem");
    let (mut server, port) = spawn_listening("openssl s_server", "openssl", |port| {
        [
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-naccept",
            "1",
            "-tls1_3",
            "-brief",
            "-cert",
            &testdata("server-p256.pem"),
            "-key",
            &testdata("server-p256.key"),
            "-Verify",
            "1",
            "-CAfile",
            &ca,
            "-verify_return_error",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    });
    let mut args: Vec<String> = vec![
        "client".into(),
        format!("localhost:{port}"),
        "--ca".into(),
        ca.clone(),
        "-v".into(),
        "--pkcs11-pin".into(),
        PIN.into(),
    ];
    args.extend(pkcs11_args(
        "client-p256.pem",
        &["--pkcs11-key", "client-p256"],
    ));
    let mut client = Proc::spawn_env(
        "embertls client",
        embertls_bin(),
        &args,
        &[("SOFTHSM2_CONF", hsm.conf.as_os_str())],
    );
    let to_server = payload(7, 200);
    client.write(&to_server);
    let got = server.wait_stdout(&to_server, STEP);
    let to_client = payload(8, 200);
    server.write(&to_client);
    let got_back = client.wait_stdout(&to_client, STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got_back.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "client failed\n{ctx}");
    assert!(
        client.stderr().contains("client-auth=yes"),
        "client did not authenticate\n{ctx}"
    );
    let said = server.stdout() + &server.stderr();
    assert!(
        said.contains("CN=embertls test client") || said.contains("CN = embertls test client"),
        "s_server saw no client certificate\n{ctx}"
    );
}

/// The server refuses to start; returns its standard error.
fn server_start_fails(hsm: &SoftHsm, args: &[String], pin: &str) -> String {
    let mut full: Vec<String> = vec!["server".into(), "--accept".into(), "127.0.0.1:0".into()];
    full.extend(args.iter().cloned());
    let mut server = Proc::spawn_env(
        "embertls server",
        embertls_bin(),
        &full,
        &[
            ("SOFTHSM2_CONF", hsm.conf.as_os_str()),
            ("EMBERTLS_PKCS11_PIN", OsStr::new(pin)),
        ],
    );
    let status = server.wait(STEP).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.code(), Some(1), "{}", server.transcript());
    assert!(
        !server.stderr().contains("listening"),
        "{}",
        server.transcript()
    );
    server.stderr()
}

#[test]
fn wrong_pin_or_mismatched_key_stops_the_server() {
    let hsm = hsm();
    let err = server_start_fails(
        &hsm,
        &pkcs11_args("server-p256.pem", &["--pkcs11-key", "server-p256"]),
        "0000",
    );
    assert!(err.contains("the token refused the PIN"), "{err}");
    let err = server_start_fails(
        &hsm,
        &pkcs11_args("server-p256.pem", &["--pkcs11-key", "missing"]),
        PIN,
    );
    assert!(
        err.contains("no private key with label \"missing\""),
        "{err}"
    );
    // The P-256 certificate with the client's P-256 key.
    let err = server_start_fails(
        &hsm,
        &pkcs11_args("server-p256.pem", &["--pkcs11-key-id", "04"]),
        PIN,
    );
    assert!(err.contains("does not match the certificate"), "{err}");
}
