//! `openssl s_client` against `embertls server`: each suite, group and
//! certificate type, HelloRetryRequest from our side, client
//! authentication, ALPN, a large echo.

use super::*;

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
