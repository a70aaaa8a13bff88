//! TLS 1.3 resumption with OpenSSL in both roles: tickets OpenSSL issues
//! resume with `embertls client --reconnect`, and tickets `embertls server`
//! issues resume with `openssl s_client -sess_out/-sess_in`.

use super::*;

#[test]
fn embertls_client_resumes_with_an_openssl_ticket() {
    // Two connections: the first collects a ticket, the second resumes.
    let (server, port) = s_server("p256", &["-naccept", "2"]);
    let mut client = embertls_client(
        port,
        &[
            "--wait",
            "50",
            "--ca",
            &testdata(P256_CA),
            "--servername",
            "localhost",
            "--reconnect",
        ],
    );
    client.write(b"hello again");
    client.close_stdin();
    let status = client.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    assert!(status.is_ok_and(|s| s.success()), "client failed\n{ctx}");
    let err = client.stderr();
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("embertls: version="))
        .collect();
    assert_eq!(lines.len(), 2, "{ctx}");
    assert!(lines[0].ends_with("verify=ok resumed=no"), "{ctx}");
    assert!(lines[1].ends_with("resumed=yes"), "{ctx}");
}

#[test]
fn openssl_client_resumes_with_an_embertls_ticket() {
    let (server, port) = embertls_server(&[
        "--cert",
        &testdata("server-p256.pem"),
        "--key",
        &testdata("server-p256.key"),
        "--echo",
        "-v",
    ]);
    let sess = std::env::temp_dir().join(format!(
        "embertls-openssl-sess-{}-{port}",
        std::process::id()
    ));
    let sess = sess.display().to_string();
    let _ = std::fs::remove_file(&sess);
    // First connection: store the session OpenSSL received.
    let mut first = s_client(port, P256_CA, &["-sess_out", &sess]);
    first.write(b"one\n");
    let got = first.wait_stdout(b"one", STEP);
    first.close_stdin();
    let _ = first.wait(STEP);
    let ctx = transcripts(&[&first, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(
        std::path::Path::new(&sess).exists(),
        "no session saved\n{ctx}"
    );
    // Second connection: offer it; OpenSSL reports the session reused.
    let mut second = s_client(port, P256_CA, &["-sess_in", &sess]);
    second.write(b"two\n");
    let got = second.wait_stdout(b"two", STEP);
    second.close_stdin();
    let _ = second.wait(STEP);
    let ctx = transcripts(&[&second, &server]);
    let _ = std::fs::remove_file(&sess);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    let out = String::from_utf8_lossy(&second.stdout_bytes()).into_owned();
    assert!(out.contains("Reused, TLSv1.3"), "not resumed\n{ctx}");
}
