//! Helpers for the TLS 1.2 interop tests (tests/interop_tls12_*.rs):
//! payload exchange through our client or server, and the checks on what
//! the peer printed.

use super::{assert_summary, embertls_client, embertls_server, payload, transcripts, Proc, STEP};

pub const PSK: &str = "0102030405060708090a0b0c0d0e0f101112131415161718";
pub const PSK_ID: &str = "interop-psk";

/// Test-PKI certificate and key arguments of ours for `stem`.
pub fn our_cert(stem: &str) -> Vec<String> {
    vec![
        "--cert".into(),
        super::testdata(&format!("{stem}.pem")),
        "--key".into(),
        super::testdata(&format!("{stem}.key")),
    ]
}

pub fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Our client against an already started peer server that sends
/// `to_client` (already written to its input, or echoed): runs the client
/// with `args`, sends `to_server`, waits for `expect` on its stdout, closes.
/// Returns the finished client; asserts success and the exact bytes.
pub fn run_client(port: u16, args: &[&str], to_server: &[u8], expect: &[u8], peer: &Proc) -> Proc {
    let mut full = vec!["--wait", "50"];
    full.extend_from_slice(args);
    let mut client = embertls_client(port, &full);
    client.write(to_server);
    let got = client.wait_stdout(expect, STEP);
    client.close_stdin();
    let status = client.wait(STEP);
    let ctx = transcripts(&[&client, peer]);
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "embertls client failed\n{ctx}"
    );
    assert_eq!(client.stdout_bytes(), expect, "client received\n{ctx}");
    client
}

/// Our client against a peer that must refuse or be refused: the client
/// fails and its error line contains `error`.
pub fn client_fails(port: u16, args: &[&str], error: &str, peer: &Proc) -> Proc {
    let mut client = embertls_client(port, args);
    client.close_stdin();
    let status = client.wait(STEP);
    let ctx = transcripts(&[&client, peer]);
    assert!(
        status.as_ref().is_ok_and(|s| !s.success()),
        "embertls client should fail\n{ctx}"
    );
    assert!(
        client.stderr().contains(error),
        "client error should mention {error:?}\n{ctx}"
    );
    assert!(
        !client.stderr().contains("embertls: version="),
        "no handshake expected\n{ctx}"
    );
    client
}

/// Starts our server for one connection (`--once -v`) with `args`; it
/// sends `to_client` once a client is connected.
pub fn start_server(args: &[&str], to_client: Option<&[u8]>) -> (Proc, u16) {
    let mut full = vec!["--once", "-v"];
    full.extend_from_slice(args);
    let (mut server, port) = embertls_server(&full);
    if let Some(data) = to_client {
        server.write(data);
    }
    (server, port)
}

/// Waits for our server to finish successfully and checks its summary and
/// (unless echoing) what it received.
pub fn finish_server(server: &mut Proc, summary: &str, received: Option<&[u8]>, peer: &Proc) {
    let status = server.wait(STEP);
    let ctx = transcripts(&[server, peer]);
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "embertls server failed\n{ctx}"
    );
    assert_summary(&server.stderr(), summary, &ctx);
    if let Some(data) = received {
        assert_eq!(server.stdout_bytes(), data, "server received\n{ctx}");
    }
}

/// Two distinct payloads for a case.
pub fn payloads(seed: u32) -> (Vec<u8>, Vec<u8>) {
    (payload(seed, 400), payload(seed + 1, 300))
}
