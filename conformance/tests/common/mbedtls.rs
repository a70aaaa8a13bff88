//! The Mbed TLS 2.28 peer program (conformance/peers/mbedtls_peer.c, built
//! by conformance/build.rs) as a test peer: start it as a server or a
//! client, read its per-connection summary lines and its error line.
//!
//! The program prints `listening on PORT` on stdout once a server is bound
//! (it picks the port itself: `--port 0`, so no race with other tests),
//! then one `ok key=value ...` line per completed connection; on failure
//! `error: <context>: <Mbed TLS error text> (-0xNNNN)` on stderr and exit
//! status 1 (2 for a bad command line). Every child is a [`Proc`]: killed
//! when dropped, and the program itself gives up after its `--timeout`
//! (60 s by default), each read after 10 s.

use std::collections::HashMap;
use std::thread;
use std::time::{Duration, Instant};

use super::{eventually, testdata, Proc, STEP};

/// Path of the peer executable.
pub fn mbedtls_peer_bin() -> &'static str {
    env!("EMBERTLS_MBEDTLS_PEER")
}

/// `mbedtls_peer --role server --port 0 ARGS` (add `--dtls` for UDP), once
/// it listens; returns the process and the port it printed.
pub fn mbedtls_server(args: &[&str]) -> (Proc, u16) {
    let mut full: Vec<String> = ["--role", "server", "--port", "0"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    full.extend(args.iter().map(|s| s.to_string()));
    let mut proc = Proc::spawn("mbedtls server", mbedtls_peer_bin(), &full);
    let deadline = Instant::now() + STEP;
    loop {
        let out = proc.stdout();
        // Only a complete line: the number may still be on its way.
        let port = out
            .split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .find_map(|l| l.strip_prefix("listening on "))
            .and_then(|p| p.trim().parse().ok());
        if let Some(port) = port {
            return (proc, port);
        }
        if proc.try_status().is_some() || Instant::now() > deadline {
            thread::sleep(Duration::from_millis(20));
            panic!("mbedtls server did not listen\n{}", proc.transcript());
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// `mbedtls_peer --role client --port PORT ARGS` (host 127.0.0.1 unless
/// `args` has `--host`).
pub fn mbedtls_client(port: u16, args: &[&str]) -> Proc {
    let mut full: Vec<String> = vec![
        "--role".into(),
        "client".into(),
        "--port".into(),
        port.to_string(),
    ];
    full.extend(args.iter().map(|s| s.to_string()));
    Proc::spawn("mbedtls client", mbedtls_peer_bin(), &full)
}

/// `--ca`, `--cert` and `--key` arguments for files of the test PKI:
/// `pki_args(Some("ca-p256.pem"), Some("server-p256"))` gives
/// `--ca .../ca-p256.pem --cert .../server-p256.pem --key .../server-p256.key`.
pub fn pki_args(ca: Option<&str>, cert_stem: Option<&str>) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(ca) = ca {
        args.extend(["--ca".to_string(), testdata(ca)]);
    }
    if let Some(stem) = cert_stem {
        args.extend([
            "--cert".to_string(),
            testdata(&format!("{stem}.pem")),
            "--key".to_string(),
            testdata(&format!("{stem}.key")),
        ]);
    }
    args
}

/// The fields of every `ok ...` summary line on the peer's stdout, in
/// order (one per connection).
pub fn mbedtls_summaries(stdout: &str) -> Vec<HashMap<String, String>> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ok "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Asserts that `summary` has every `key=value` of `expected`
/// (space-separated).
pub fn assert_fields(summary: &HashMap<String, String>, expected: &str, context: &str) {
    for kv in expected.split_whitespace() {
        let (k, v) = kv.split_once('=').expect("key=value");
        assert_eq!(
            summary.get(k).map(String::as_str),
            Some(v),
            "mbedtls summary field {k} (line {summary:?})\n{context}"
        );
    }
}

/// Waits for the peer to exit and requires success with exactly
/// `connections` summary lines; returns them. `others` are the other
/// processes of the test, for the failure message.
pub fn mbedtls_success(
    peer: &mut Proc,
    connections: usize,
    others: &[&Proc],
) -> Vec<HashMap<String, String>> {
    let status = peer.wait(STEP);
    // The collector thread may still be reading the last lines.
    eventually(Duration::from_secs(2), || {
        mbedtls_summaries(&peer.stdout()).len() >= connections
    });
    let context = context(peer, others);
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "{} failed\n{context}",
        peer.name
    );
    let lines = mbedtls_summaries(&peer.stdout());
    assert_eq!(
        lines.len(),
        connections,
        "{} summary lines\n{context}",
        peer.name
    );
    lines
}

/// Waits for the peer to exit and requires failure (status 1) with an
/// `error: ... (-0xNNNN)` line; returns the Mbed TLS error code (negative,
/// as the library returns it) and the whole line.
pub fn mbedtls_failure(peer: &mut Proc, others: &[&Proc]) -> (i32, String) {
    let status = peer.wait(STEP);
    eventually(Duration::from_secs(2), || {
        mbedtls_error(&peer.stderr()).is_some()
    });
    let context = context(peer, others);
    assert_eq!(
        status.as_ref().ok().and_then(|s| s.code()),
        Some(1),
        "{} should have failed\n{context}",
        peer.name
    );
    mbedtls_error(&peer.stderr()).unwrap_or_else(|| panic!("no Mbed TLS error line\n{context}"))
}

/// The code and text of the first `error: ... (-0xNNNN)` line in `stderr`.
pub fn mbedtls_error(stderr: &str) -> Option<(i32, String)> {
    stderr.lines().find_map(|line| {
        let rest = line.strip_prefix("error: ")?;
        let code = rest.rsplit_once("(-0x")?.1.strip_suffix(')')?;
        let code = i32::from_str_radix(code, 16).ok()?;
        Some((-code, line.to_string()))
    })
}

fn context(peer: &Proc, others: &[&Proc]) -> String {
    let mut text = peer.transcript();
    for other in others {
        text.push_str(&other.transcript());
    }
    text
}
