//! Negotiation edges with OpenSSL: signature-scheme choice, padded and
//! fragmented records, and handshakes both sides must refuse with the
//! right alert (no common suite, group, version or scheme; untrusted or
//! missing certificates).

use super::*;

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
    // Our server limited to TLS 1.3 (the default accepts TLS 1.2 too).
    let (client, server) = server_refuses(
        &[
            "--cert",
            &testdata("server-p256.pem"),
            "--key",
            &testdata("server-p256.key"),
            "--min-version",
            "1.3",
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
    let (client, server) = client_refused(
        "p256",
        &["-tls1_2"],
        &["--ca", &ca_arg("p256"), "--min-version", "1.3"],
    );
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
