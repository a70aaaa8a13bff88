//! The `embertls` command-line tool, run as a process: client against
//! server, the demo, help, and clear failures for bad command lines,
//! untrusted servers and unsupported versions.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::Duration;

use common::{
    assert_detail, assert_summary, embertls_bin, embertls_client, embertls_server, free_port,
    payload, testdata, transcripts, Proc, STEP,
};

/// Runs `embertls ARGS` to completion with empty standard input.
fn run(args: &[&str]) -> Output {
    let mut child = Command::new(embertls_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run embertls");
    let deadline = std::time::Instant::now() + STEP;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("embertls {args:?} did not exit");
        }
        thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn p256_server_args() -> Vec<String> {
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

/// An embertls client and server exchange data; returns both processes
/// after both exited successfully.
fn talk(server_args: &[&str], client_args: &[&str], seed: u32) -> (Proc, Proc) {
    let mut args = vec!["--once", "-v"];
    args.extend_from_slice(server_args);
    let (mut server, port) = embertls_server(&args);
    let echo = server_args.contains(&"--echo");
    let to_server = payload(seed, 2000);
    let to_client = if echo {
        to_server.clone()
    } else {
        payload(seed + 1, 1500)
    };
    if !echo {
        server.write(&to_client);
    }
    let mut client_full = vec!["--wait", "50", "-v"];
    client_full.extend_from_slice(client_args);
    let mut client = embertls_client(port, &client_full);
    client.write(&to_server);
    let got = client.wait_stdout(&to_client, STEP);
    client.close_stdin();
    let client_status = client.wait(STEP);
    let server_status = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(client_status.is_ok_and(|s| s.success()), "client\n{ctx}");
    assert!(server_status.is_ok_and(|s| s.success()), "server\n{ctx}");
    assert_eq!(client.stdout_bytes(), to_client, "client received\n{ctx}");
    if !echo {
        assert_eq!(server.stdout_bytes(), to_server, "server received\n{ctx}");
    }
    let summaries = client
        .stderr()
        .lines()
        .filter(|l| l.starts_with("embertls: version="))
        .count();
    assert_eq!(summaries, 1, "exactly one summary line\n{ctx}");
    (client, server)
}

#[test]
fn client_and_server_echo() {
    let server = p256_server_args();
    let mut args = strs(&server);
    args.push("--echo");
    let (client, server) = talk(&args, &["--ca", &testdata("ca-p256.pem")], line!());
    let ctx = transcripts(&[&client, &server]);
    let expected = "version=TLSv1.3 suite=TLS_AES_128_GCM_SHA256 group=x25519 alpn=-";
    assert_summary(&client.stderr(), &format!("{expected} verify=ok"), &ctx);
    assert_summary(&server.stderr(), &format!("{expected} verify=-"), &ctx);
    assert_detail(&server.stderr(), "sni=localhost hrr=no", &ctx);
}

#[test]
fn server_copies_between_connection_and_stdio() {
    let server = p256_server_args();
    talk(&strs(&server), &["--ca", &testdata("ca-p256.pem")], line!());
}

#[test]
fn every_key_encoding_loads() {
    for (cert, key, ca) in [
        ("server-p256.pem", "server-p256.key", "ca-p256.pem"),
        ("server-p256.pem", "server-p256.sec1.key", "ca-p256.pem"),
        ("server-rsa.pem", "server-rsa.key", "ca-rsa.pem"),
        ("server-rsa.pem", "server-rsa.pkcs1.key", "ca-rsa.pem"),
    ] {
        let (c, k) = (testdata(cert), testdata(key));
        talk(
            &["--echo", "--cert", &c, "--key", &k],
            &["--ca", &testdata(ca)],
            line!(),
        );
    }
}

#[test]
fn options_reach_the_handshake() {
    let server = p256_server_args();
    let client_ca = testdata("ca-rsa.pem");
    let mut args = strs(&server);
    args.extend([
        "--echo",
        "--groups",
        "secp384r1",
        "--suites",
        "TLS_CHACHA20_POLY1305_SHA256,TLS_AES_256_GCM_SHA384",
        "--alpn",
        "h2,http/1.1",
        "--ca",
        &client_ca,
    ]);
    let client_cert = testdata("client-rsa.pem");
    let client_key = testdata("client-rsa.key");
    let ca = testdata("ca-p256.pem");
    let (client, server) = talk(
        &args,
        &[
            "--ca",
            &ca,
            "--groups",
            "x25519:P-384",
            "--suites",
            "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
            "--alpn",
            "http/1.1,h2",
            "--cert",
            &client_cert,
            "--key",
            &client_key,
            "--servername",
            "example.com",
            "--min-version",
            "1.3",
            "--max-version",
            "tls1.3",
        ],
        line!(),
    );
    let ctx = transcripts(&[&client, &server]);
    // The server prefers its own suite order; ALPN by the server's order.
    let expected =
        "version=TLSv1.3 suite=TLS_CHACHA20_POLY1305_SHA256 group=secp384r1 alpn=h2 verify=ok";
    assert_summary(&client.stderr(), expected, &ctx);
    assert_summary(&server.stderr(), expected, &ctx);
    assert_detail(&client.stderr(), "hrr=yes client-auth=yes", &ctx);
    assert_detail(
        &server.stderr(),
        "hrr=yes client-auth=yes sni=example.com peer-certs=1",
        &ctx,
    );
}

#[test]
fn key_updates_and_small_records_between_embertls_peers() {
    let server = p256_server_args();
    let mut args = strs(&server);
    args.extend(["--key-update", "--max-record-size", "700"]);
    talk(
        &args,
        &[
            "--ca",
            &testdata("ca-p256.pem"),
            "--key-update",
            "--max-record-size",
            "512",
        ],
        line!(),
    );
}

#[test]
fn insecure_client_skips_verification() {
    let server = p256_server_args();
    let mut args = strs(&server);
    args.push("--echo");
    let (client, server) = talk(&args, &["--insecure"], line!());
    let ctx = transcripts(&[&client, &server]);
    assert_summary(&client.stderr(), "verify=skipped", &ctx);
}

#[test]
fn client_without_ca_fails_verification() {
    let server = p256_server_args();
    let mut args = strs(&server);
    args.extend(["--once", "--echo"]);
    let (mut server, port) = embertls_server(&args);
    let mut client = embertls_client(port, &[]);
    client.close_stdin();
    let status = client.wait(STEP);
    let _ = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    assert!(status.is_ok_and(|s| s.code() == Some(1)), "{ctx}");
    let err = client.stderr();
    assert!(
        err.contains("embertls: error: invalid peer certificate: UnknownIssuer")
            || err.contains("embertls: error: no trust anchors"),
        "{ctx}"
    );
    assert!(!err.contains("version="), "no summary\n{ctx}");
}

#[test]
fn required_client_auth_without_certificate_fails_both_sides() {
    let server = p256_server_args();
    let mut args = strs(&server);
    let ca = testdata("ca-p256.pem");
    args.extend(["--once", "--echo", "--ca", &ca]);
    let (mut server, port) = embertls_server(&args);
    let mut client = embertls_client(port, &["--ca", &ca, "--wait", "50"]);
    client.close_stdin();
    let client_status = client.wait(STEP);
    let server_status = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    assert!(client_status.is_ok_and(|s| s.code() == Some(1)), "{ctx}");
    assert!(server_status.is_ok_and(|s| s.code() == Some(1)), "{ctx}");
    assert!(
        client
            .stderr()
            .contains("received fatal alert: certificate_required"),
        "{ctx}"
    );
    assert!(server.stderr().contains("NoClientCertificate"), "{ctx}");
}

#[test]
fn no_common_alpn_fails() {
    let server = p256_server_args();
    let mut args = strs(&server);
    args.extend(["--once", "--echo", "--alpn", "h2"]);
    let (mut server, port) = embertls_server(&args);
    let mut client = embertls_client(port, &["--insecure", "--alpn", "http/1.1"]);
    client.close_stdin();
    let client_status = client.wait(STEP);
    let server_status = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    assert!(client_status.is_ok_and(|s| s.code() == Some(1)), "{ctx}");
    assert!(server_status.is_ok_and(|s| s.code() == Some(1)), "{ctx}");
    assert!(client.stderr().contains("no_application_protocol"), "{ctx}");
}

#[test]
fn demo_runs() {
    let out = run(&["demo"]);
    let stdout = text(&out.stdout);
    let ctx = format!("stdout:\n{stdout}\nstderr:\n{}", text(&out.stderr));
    assert!(out.status.success(), "{ctx}");
    assert!(
        stdout.contains(
            "client: version=TLSv1.3 suite=TLS_AES_128_GCM_SHA256 group=x25519 alpn=embertls-demo/1 verify=ok"
        ),
        "{ctx}"
    );
    assert!(stdout.contains("server: version=TLSv1.3"), "{ctx}");
    assert!(
        stdout.contains("client sent \"hello\", received \"hello\" back"),
        "{ctx}"
    );
    assert!(stdout.contains("embertls demo: ok"), "{ctx}");
}

#[test]
fn help_is_printed() {
    for (args, needle) in [
        (&["--help"][..], "embertls client HOST:PORT"),
        (&["help", "server"][..], "--echo"),
        (&["client", "--help"][..], "--servername NAME"),
        (&["server", "-h"][..], "--once"),
        (&["demo", "--help"][..], "self-signed"),
        (&["client", "--help"][..], "--srtp-mki HEX"),
        (&["server", "--help"][..], "--no-cookies"),
        (&["help", "client"][..], "--dtls"),
    ] {
        let out = run(args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            text(&out.stdout).contains(needle),
            "{args:?}: {}",
            text(&out.stdout)
        );
    }
}

#[test]
fn bad_command_lines_fail_with_a_message() {
    let cert = testdata("server-p256.pem");
    let key = testdata("server-p256.key");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "missing command"),
        (vec!["frobnicate"], "unknown command 'frobnicate'"),
        (vec!["client"], "missing HOST:PORT"),
        (vec!["client", "localhost"], "is not HOST:PORT"),
        (
            vec!["client", "localhost:1", "--bogus"],
            "unknown option '--bogus'",
        ),
        (
            vec!["client", "localhost:1", "--ca"],
            "option '--ca' needs a value",
        ),
        (
            vec!["client", "localhost:1", "--groups", "x448"],
            "unknown group 'x448'",
        ),
        (
            vec!["client", "localhost:1", "--suites", "RC4"],
            "unknown cipher suite 'RC4'",
        ),
        (
            vec!["client", "localhost:1", "--min-version", "1.1"],
            "'1.1' is not a TLS version",
        ),
        (
            vec!["client", "localhost:1", "--verify", "maybe"],
            "'maybe' is not one of",
        ),
        (
            vec!["client", "localhost:1", "--cert", "x.pem"],
            "--cert needs --key",
        ),
        (
            vec!["client", "localhost:1", "--alpn", ""],
            "empty protocol name",
        ),
        (vec!["client", "a:1", "b:2"], "unexpected argument 'b:2'"),
        (vec!["server"], "needs --cert PEM and --key PEM"),
        (
            vec![
                "server", "--cert", &cert, "--key", &key, "--accept", "nowhere",
            ],
            "is not ADDR:PORT",
        ),
        (
            vec![
                "server", "--cert", &cert, "--key", &key, "--verify", "required",
            ],
            "needs --ca",
        ),
        (vec!["demo", "extra"], "takes no arguments"),
        (
            vec!["client", "localhost:1", "--max-record-size", "10"],
            "between 64 and 16384",
        ),
    ];
    for (args, needle) in cases {
        let out = run(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("embertls: error: "), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected {needle:?} in {err}"
        );
    }
}

#[test]
fn bad_dtls_command_lines_fail_with_a_message() {
    let cert = testdata("server-p256.pem");
    let key = testdata("server-p256.key");
    let server = |extra: &[&'static str]| {
        let mut args = vec!["server", "--cert", &cert, "--key", &key];
        args.extend_from_slice(extra);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let client = |extra: &[&str]| {
        let mut args = vec!["client", "localhost:1"];
        args.extend_from_slice(extra);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (client(&["--mtu", "500"]), "--mtu needs --dtls"),
        (client(&["--cid", "0102"]), "--cid needs --dtls"),
        (
            client(&["--srtp", "AES128_CM_HMAC_SHA1_80"]),
            "--srtp needs --dtls",
        ),
        (server(&["--no-cookies"]), "--no-cookies needs --dtls"),
        (
            client(&["--dtls", "--mtu", "50"]),
            "--mtu must be between 200 and 65535",
        ),
        (
            client(&["--dtls", "--mtu", "big"]),
            "'big' is not a non-negative",
        ),
        (
            client(&["--dtls", "--cid", "xyz"]),
            "--cid: 'xyz' is not hex",
        ),
        (client(&["--dtls", "--cid", ""]), "--cid: '' is not hex"),
        (
            client(&["--dtls", "--cid-len", "300"]),
            "--cid-len must be between 0 and 255",
        ),
        (
            client(&["--dtls", "--cid", "01", "--cid-len", "4"]),
            "not both",
        ),
        (
            client(&["--dtls", "--srtp", "SRTP_AEAD_AES_128_GCM"]),
            "unknown profile 'SRTP_AEAD_AES_128_GCM'",
        ),
        (
            client(&["--dtls", "--srtp-mki", "01"]),
            "--srtp-mki needs --srtp",
        ),
        (
            client(&[
                "--dtls",
                "--srtp",
                "AES128_CM_HMAC_SHA1_80",
                "--srtp-mki",
                "0",
            ]),
            "--srtp-mki: '0' is not hex",
        ),
        (client(&["--dtls", "--min-version", "1.3"]), "DTLS 1.2 only"),
        (
            client(&["--dtls", "--key-update"]),
            "--key-update is not available with --dtls",
        ),
        (
            server(&[
                "--dtls",
                "--srtp",
                "AES128_CM_HMAC_SHA1_80",
                "--srtp-mki",
                "01",
            ]),
            "--srtp-mki is a client option",
        ),
        (client(&["--dtls=yes"]), "option '--dtls' takes no value"),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("embertls: error: "), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected {needle:?} in {err}"
        );
    }
}

/// A DTLS client whose server port is closed fails at once (the ICMP
/// refusal), not after all its retransmissions.
#[test]
fn dtls_client_to_a_closed_port_fails() {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = format!("127.0.0.1:{}", sock.local_addr().unwrap().port());
    drop(sock);
    let started = std::time::Instant::now();
    let out = run(&["client", &target, "--dtls", "--insecure"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("nothing listens on the UDP port"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "{err}");
}

#[test]
fn runtime_failures_exit_one_with_a_message() {
    let cert = testdata("server-p256.pem");
    let closed = format!("127.0.0.1:{}", free_port());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "client",
                "localhost:4433",
                "--insecure",
                "--min-version",
                "1.3",
                "--max-version",
                "1.2",
            ],
            "--min-version TLS 1.3 is above --max-version TLS 1.2",
        ),
        (
            vec!["client", "localhost:4433", "--ca", "/nonexistent/ca.pem"],
            "/nonexistent/ca.pem",
        ),
        (
            vec!["server", "--cert", &cert, "--key", &cert],
            "server-p256.pem",
        ),
        (vec!["client", &closed, "--insecure"], "cannot connect"),
    ];
    for (args, needle) in cases {
        let out = run(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("embertls: error: "), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected {needle:?} in {err}"
        );
    }
}

#[test]
fn client_fails_cleanly_against_a_non_tls_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut buf = [0u8; 512];
        let _ = sock.read(&mut buf);
        let _ = sock.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n");
    });
    let out = run(&["client", &format!("127.0.0.1:{port}"), "--insecure"]);
    peer.join().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("embertls: error: "), "{err}");
}

#[test]
fn server_handshake_timeout() {
    let server = p256_server_args();
    let mut args = strs(&server);
    args.extend(["--once", "--timeout", "1"]);
    let (mut server, port) = embertls_server(&args);
    // A client that connects and says nothing.
    let silent = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let status = server.wait(STEP);
    drop(silent);
    let ctx = server.transcript();
    assert!(status.is_ok_and(|s| s.code() == Some(1)), "{ctx}");
    assert!(
        server.stderr().contains("handshake timed out after 1 s"),
        "{ctx}"
    );
}

#[test]
fn keylog_file_gets_the_secrets_of_both_ends() {
    let dir = std::env::temp_dir();
    let client_log = dir.join(format!("embertls-cli-keylog-client-{}", std::process::id()));
    let server_log = dir.join(format!("embertls-cli-keylog-server-{}", std::process::id()));
    let _ = std::fs::remove_file(&client_log);
    let _ = std::fs::remove_file(&server_log);
    let server = p256_server_args();
    let mut args = strs(&server);
    let server_log_arg = server_log.display().to_string();
    args.extend(["--echo", "--keylog", &server_log_arg]);
    let client_log_arg = client_log.display().to_string();
    let (client, server) = talk(&args, &["--insecure", "--keylog", &client_log_arg], line!());
    let ctx = transcripts(&[&client, &server]);
    assert_summary(&client.stderr(), "verify=skipped", &ctx);
    let client_text = std::fs::read_to_string(&client_log).unwrap();
    let server_text = std::fs::read_to_string(&server_log).unwrap();
    let _ = std::fs::remove_file(&client_log);
    let _ = std::fs::remove_file(&server_log);
    assert_eq!(client_text.lines().count(), 5, "{client_text}");
    assert_eq!(client_text, server_text, "both ends log the same secrets");
    assert!(client_text.starts_with("CLIENT_HANDSHAKE_TRAFFIC_SECRET "));
}

#[test]
fn reconnect_resumes_with_the_ticket_from_the_first_connection() {
    let server_args = p256_server_args();
    let mut args = strs(&server_args);
    args.push("--echo");
    let (server, port) = embertls_server(&args);
    let mut client = embertls_client(
        port,
        &[
            "--wait",
            "50",
            "--ca",
            &testdata("ca-p256.pem"),
            "--reconnect",
        ],
    );
    client.write(b"resume me");
    let got = client.wait_stdout(b"resume me", STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "client\n{ctx}");
    let summaries: Vec<String> = client
        .stderr()
        .lines()
        .filter(|l| l.starts_with("embertls: version="))
        .map(String::from)
        .collect();
    assert_eq!(summaries.len(), 2, "{ctx}");
    assert!(summaries[0].ends_with("verify=ok resumed=no"), "{ctx}");
    // A resumed handshake presents no certificate: nothing to verify.
    assert!(summaries[1].ends_with("resumed=yes"), "{ctx}");
}

#[test]
fn reconnect_without_tickets_is_a_full_handshake() {
    let server_args = p256_server_args();
    let mut args = strs(&server_args);
    args.extend(["--echo", "--no-tickets"]);
    let (server, port) = embertls_server(&args);
    let mut client = embertls_client(
        port,
        &[
            "--wait",
            "50",
            "--ca",
            &testdata("ca-p256.pem"),
            "--reconnect",
        ],
    );
    client.write(b"x");
    let got = client.wait_stdout(b"x", STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "client\n{ctx}");
    let err = client.stderr();
    assert_eq!(err.matches("resumed=no").count(), 2, "{ctx}");
    assert!(!err.contains("resumed=yes"), "{ctx}");
}

/// Connection IDs over UDP between our own client and server (no
/// interop peer here supports RFC 9146): each side reports the CID the
/// other asked for, and data flows in records that carry it.
#[test]
fn dtls_connection_ids_between_embertls_peers() {
    let (mut server, port) = embertls_server(&[
        "--dtls",
        "--once",
        "--echo",
        "--cid",
        "0a0b0c",
        "--cert",
        &testdata("server-p256.pem"),
        "--key",
        &testdata("server-p256.key"),
    ]);
    let data = payload(7, 3000);
    let mut client = Proc::spawn(
        "embertls client",
        embertls_bin(),
        &[
            "client".to_string(),
            format!("127.0.0.1:{port}"),
            "--dtls".into(),
            "--insecure".into(),
            "--cid-len".into(),
            "4".into(),
            "--mtu".into(),
            "600".into(),
        ],
    );
    client.write(&data);
    let got = client.wait_stdout(&data, STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let server_status = server.wait(STEP);
    let ctx = transcripts(&[&client, &server]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(status.is_ok_and(|s| s.success()), "{ctx}");
    assert!(server_status.is_ok_and(|s| s.success()), "{ctx}");
    assert_eq!(client.stdout_bytes(), data, "{ctx}");
    assert_summary(&client.stderr(), "version=DTLSv1.2 cid=0a0b0c srtp=-", &ctx);
    let server_cid = common::summary(&server.stderr()).unwrap()["cid"].clone();
    assert_eq!(server_cid.len(), 8, "a 4-byte CID from the client\n{ctx}");
}
