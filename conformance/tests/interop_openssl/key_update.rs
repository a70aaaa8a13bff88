//! KeyUpdate both ways with OpenSSL, seen in its `-msg` trace: we update
//! and OpenSSL follows, and OpenSSL asks (`K` command) and we follow.

use super::*;

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
