//! TLS 1.2 interop with Mbed TLS 2.28 (the peer program of
//! peers/mbedtls_peer.c) over loopback, both roles: `embertls client`
//! against the peer server (which echoes the first data it reads), and the
//! peer client (`--message`, which requires the echo) against `embertls
//! server --echo`. Every key exchange and cipher family, EtM and
//! MAC-then-encrypt, resumption, renegotiation from either side and client
//! authentication; the negotiated version and suite are checked in our
//! summary line and in the peer's.

mod common;

use common::mbedtls::{assert_fields, mbedtls_client, mbedtls_server, mbedtls_success, pki_args};
use common::tls12::{our_cert, refs, run_client, PSK, PSK_ID};
use common::{
    assert_summary, embertls_client, embertls_server, payload, testdata, transcripts, STEP,
};

const CURVES: [&str; 2] = ["--curves", "x25519,secp256r1"];
const MSG: &str = "0 hello from the mbedtls peer";

fn ca_for(stem: &str) -> String {
    testdata(&format!("ca-{}.pem", stem.trim_start_matches("server-")))
}

/// Our client against the peer server: `to_server` comes back (echo);
/// both summaries checked.
fn client_case(
    seed: u32,
    stem: &str,
    peer: &[&str],
    ours: &[&str],
    summary: &str,
    peer_says: &str,
) {
    let mut args = pki_args(None, Some(stem));
    args.extend(CURVES.iter().map(|s| s.to_string()));
    args.extend(peer.iter().map(|s| s.to_string()));
    let (mut srv, port) = mbedtls_server(&refs(&args));
    let data = payload(seed, 200);
    let ca = ca_for(stem);
    let mut client = vec!["--ca", ca.as_str()];
    client.extend_from_slice(ours);
    let cl = run_client(port, &client, &data, &data, &srv);
    let lines = mbedtls_success(&mut srv, 1, &[&cl]);
    let ctx = transcripts(&[&cl, &srv]);
    assert_summary(&cl.stderr(), &format!("version=TLSv1.2 {summary}"), &ctx);
    assert_fields(&lines[0], &format!("version=TLSv1.2 {peer_says}"), &ctx);
}

/// The peer client against our echo server: the peer checks the echo; both
/// summaries checked.
fn server_case(stem: &str, ours: &[&str], peer: &[&str], summary: &str, peer_says: &str) {
    let cert = our_cert(stem);
    let mut args = vec!["--once", "--echo"];
    args.extend(refs(&cert));
    args.extend_from_slice(ours);
    let (mut srv, port) = embertls_server(&args);
    let mut client = pki_args(Some(&ca_for(stem)), None);
    client.extend([
        "--server-name".to_string(),
        "localhost".to_string(),
        "--message".into(),
        MSG.into(),
    ]);
    client.extend(CURVES.iter().map(|s| s.to_string()));
    client.extend(peer.iter().map(|s| s.to_string()));
    let mut cl = mbedtls_client(port, &refs(&client));
    let lines = mbedtls_success(&mut cl, 1, &[&srv]);
    let _ = srv.wait(STEP);
    let ctx = transcripts(&[&cl, &srv]);
    assert_summary(&srv.stderr(), &format!("version=TLSv1.2 {summary}"), &ctx);
    assert_fields(&lines[0], &format!("version=TLSv1.2 {peer_says}"), &ctx);
}

fn client_suite(seed: u32, mbed: &str, iana: &str, stem: &str) {
    client_case(
        seed,
        stem,
        &["--ciphersuite", mbed],
        &["--suites", mbed],
        &format!("suite={iana} verify=ok"),
        &format!("suite={mbed}"),
    );
}

fn server_suite(_seed: u32, mbed: &str, iana: &str, stem: &str) {
    server_case(
        stem,
        &["--suites", mbed],
        &["--ciphersuite", mbed],
        &format!("suite={iana}"),
        &format!("suite={mbed} verify=ok"),
    );
}

macro_rules! suites {
    ($case:ident: $($name:ident: $mbed:literal, $iana:literal, $stem:literal;)*) => {
        $( #[test] fn $name() { $case(line!(), $mbed, $iana, $stem); } )*
    };
}

suites! { client_suite:
    client_ecdhe_ecdsa_aes128_gcm: "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "server-p256";
    client_ecdhe_ecdsa_aes256_gcm: "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "server-p256";
    client_ecdhe_ecdsa_chacha20: "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "server-p256";
    client_ecdhe_ecdsa_ccm: "TLS-ECDHE-ECDSA-WITH-AES-256-CCM", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", "server-p256";
    client_ecdhe_ecdsa_ccm8: "TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "server-p256";
    client_ecdhe_ecdsa_cbc_sha384: "TLS-ECDHE-ECDSA-WITH-AES-256-CBC-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "server-p256";
    client_ecdhe_rsa_cbc_sha256: "TLS-ECDHE-RSA-WITH-AES-128-CBC-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "server-rsa";
    client_ecdhe_rsa_cbc_sha: "TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "server-rsa";
    client_ecdhe_rsa_gcm: "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "server-rsa";
    client_dhe_rsa_gcm: "TLS-DHE-RSA-WITH-AES-256-GCM-SHA384", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "server-rsa";
    client_dhe_rsa_ccm8: "TLS-DHE-RSA-WITH-AES-128-CCM-8", "TLS_DHE_RSA_WITH_AES_128_CCM_8", "server-rsa";
    client_rsa_gcm: "TLS-RSA-WITH-AES-128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256", "server-rsa";
    client_rsa_cbc_sha256: "TLS-RSA-WITH-AES-256-CBC-SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256", "server-rsa";
}

suites! { server_suite:
    server_ecdhe_ecdsa_aes128_gcm: "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "server-p256";
    server_ecdhe_ecdsa_aes256_gcm: "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "server-p256";
    server_ecdhe_ecdsa_chacha20: "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "server-p256";
    server_ecdhe_ecdsa_ccm: "TLS-ECDHE-ECDSA-WITH-AES-128-CCM", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "server-p256";
    server_ecdhe_ecdsa_ccm8: "TLS-ECDHE-ECDSA-WITH-AES-256-CCM-8", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", "server-p256";
    server_ecdhe_ecdsa_cbc_sha256: "TLS-ECDHE-ECDSA-WITH-AES-128-CBC-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "server-p256";
    server_ecdhe_rsa_cbc_sha384: "TLS-ECDHE-RSA-WITH-AES-256-CBC-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "server-rsa";
    server_ecdhe_rsa_chacha20: "TLS-ECDHE-RSA-WITH-CHACHA20-POLY1305-SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "server-rsa";
    server_dhe_rsa_gcm: "TLS-DHE-RSA-WITH-AES-128-GCM-SHA256", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "server-rsa";
    server_dhe_rsa_cbc_sha: "TLS-DHE-RSA-WITH-AES-128-CBC-SHA", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "server-rsa";
    server_rsa_gcm: "TLS-RSA-WITH-AES-256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384", "server-rsa";
    server_rsa_ccm: "TLS-RSA-WITH-AES-128-CCM", "TLS_RSA_WITH_AES_128_CCM", "server-rsa";
}

#[test]
fn client_mac_then_encrypt() {
    let mbed = "TLS-ECDHE-ECDSA-WITH-AES-128-CBC-SHA256";
    client_case(
        line!(),
        "server-p256",
        &["--ciphersuite", mbed, "--etm", "off"],
        &["--suites", mbed, "--allow-mac-then-encrypt"],
        "suite=TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        &format!("suite={mbed} etm=no"),
    );
}

#[test]
fn server_mac_then_encrypt() {
    let mbed = "TLS-ECDHE-RSA-WITH-AES-128-CBC-SHA";
    server_case(
        "server-rsa",
        &["--suites", mbed, "--allow-mac-then-encrypt"],
        &["--ciphersuite", mbed, "--etm", "off"],
        "suite=TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        &format!("suite={mbed} etm=no"),
    );
}

#[test]
fn server_encrypt_then_mac_reported_by_the_peer() {
    let mbed = "TLS-ECDHE-RSA-WITH-AES-128-CBC-SHA256";
    server_case(
        "server-rsa",
        &["--suites", mbed],
        &["--ciphersuite", mbed],
        "suite=TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        &format!("suite={mbed} etm=yes ems=yes"),
    );
}

fn psk_cases(seed: u32, mbed: &str, iana: &str, stem: &str) {
    client_case(
        seed,
        stem,
        &[
            "--psk",
            PSK,
            "--psk-identity",
            PSK_ID,
            "--ciphersuite",
            mbed,
        ],
        &["--psk", PSK, "--psk-identity", PSK_ID, "--suites", mbed],
        &format!("suite={iana}"),
        &format!("suite={mbed}"),
    );
    server_case(
        stem,
        &["--psk", PSK, "--psk-identity", PSK_ID, "--suites", mbed],
        &[
            "--psk",
            PSK,
            "--psk-identity",
            PSK_ID,
            "--ciphersuite",
            mbed,
        ],
        &format!("suite={iana}"),
        &format!("suite={mbed}"),
    );
}

#[test]
fn psk_plain_both_roles() {
    psk_cases(
        line!(),
        "TLS-PSK-WITH-AES-128-CCM",
        "TLS_PSK_WITH_AES_128_CCM",
        "server-p256",
    );
}

#[test]
fn psk_dhe_both_roles() {
    psk_cases(
        line!(),
        "TLS-DHE-PSK-WITH-AES-256-GCM-SHA384",
        "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384",
        "server-p256",
    );
}

#[test]
fn psk_ecdhe_both_roles() {
    psk_cases(
        line!(),
        "TLS-ECDHE-PSK-WITH-AES-128-CBC-SHA256",
        "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
        "server-p256",
    );
}

#[test]
fn psk_rsa_both_roles() {
    psk_cases(
        line!(),
        "TLS-RSA-PSK-WITH-AES-128-GCM-SHA256",
        "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256",
        "server-rsa",
    );
}

#[test]
fn client_auth_both_roles() {
    for key in ["p256", "rsa"] {
        let cert = our_cert(&format!("client-{key}"));
        let ca = testdata(&format!("ca-{key}.pem"));
        let mut ours = refs(&cert);
        ours.extend(["--suites", "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"]);
        client_case(
            line!(),
            "server-p256",
            &["--ca", &ca, "--auth", "required"],
            &ours,
            "verify=ok",
            "verify=ok",
        );
        let client_cert = pki_args(None, Some(&format!("client-{key}")));
        server_case(
            "server-p256",
            &["--ca", &ca, "--verify", "required"],
            &refs(&client_cert),
            "verify=ok",
            "verify=ok",
        );
    }
}

/// Our client --reconnect against the peer server (tickets or its session
/// cache).
fn client_resumes(peer: &[&str]) {
    let mut args = pki_args(None, Some("server-p256"));
    args.extend(CURVES.iter().map(|s| s.to_string()));
    args.extend(["--accept".to_string(), "2".to_string()]);
    args.extend(peer.iter().map(|s| s.to_string()));
    let (mut srv, port) = mbedtls_server(&refs(&args));
    let data = payload(line!(), 200);
    let ca = testdata("ca-p256.pem");
    let cl = run_client(
        port,
        &["--ca", &ca, "--max-version", "1.2", "--reconnect"],
        &data,
        &data,
        &srv,
    );
    let lines = mbedtls_success(&mut srv, 2, &[&cl]);
    let ctx = transcripts(&[&cl, &srv]);
    assert!(
        cl.stderr().contains("resumed=no") && cl.stderr().contains("resumed=yes"),
        "{ctx}"
    );
    assert_fields(&lines[1], "version=TLSv1.2 resumed=yes", &ctx);
}

#[test]
fn client_resumes_by_ticket() {
    client_resumes(&["--tickets"]);
}

/// The peer client --reconnect against our server (tickets, or our
/// session-ID cache).
fn server_resumes(ours: &[&str], peer: &[&str]) {
    let cert = our_cert("server-p256");
    let mut args = vec!["--echo"];
    args.extend(refs(&cert));
    args.extend_from_slice(ours);
    let (srv, port) = embertls_server(&args);
    let mut client = pki_args(Some("ca-p256.pem"), None);
    client.extend(
        [
            "--server-name",
            "localhost",
            "--message",
            MSG,
            "--reconnect",
        ]
        .map(String::from),
    );
    client.extend(CURVES.iter().map(|s| s.to_string()));
    client.extend(peer.iter().map(|s| s.to_string()));
    let mut cl = mbedtls_client(port, &refs(&client));
    let lines = mbedtls_success(&mut cl, 2, &[&srv]);
    let ctx = transcripts(&[&cl, &srv]);
    assert_fields(&lines[0], "version=TLSv1.2 resumed=no", &ctx);
    assert_fields(&lines[1], "version=TLSv1.2 resumed=yes", &ctx);
}

#[test]
fn server_resumes_by_ticket() {
    server_resumes(&[], &[]);
}

#[test]
fn server_resumes_by_session_id() {
    server_resumes(&["--no-tickets", "--session-cache"], &[]);
}

#[test]
fn client_renegotiates_with_the_peer() {
    client_case(
        line!(),
        "server-p256",
        &["--allow-renegotiation"],
        &["--max-version", "1.2", "--renegotiate"],
        "verify=ok",
        "renegotiated=yes",
    );
}

#[test]
fn peer_server_renegotiates_with_our_client() {
    let mut args = pki_args(None, Some("server-p256"));
    args.extend(CURVES.iter().map(|s| s.to_string()));
    args.push("--renegotiate".into());
    let (mut srv, port) = mbedtls_server(&refs(&args));
    let data = payload(line!(), 200);
    let ca = testdata("ca-p256.pem");
    let mut cl = embertls_client(
        port,
        &[
            "--wait",
            "300",
            "--ca",
            &ca,
            "--max-version",
            "1.2",
            "--allow-renegotiation",
        ],
    );
    let renegotiated = cl.wait_stderr(b"embertls: renegotiated version=TLSv1.2", STEP);
    cl.write(&data);
    let got = cl.wait_stdout(&data, STEP);
    cl.close_stdin();
    let _ = cl.wait(STEP);
    let lines = mbedtls_success(&mut srv, 1, &[&cl]);
    let ctx = transcripts(&[&cl, &srv]);
    renegotiated.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    got.unwrap_or_else(|e| panic!("{e}\n{ctx}"));
    assert_fields(&lines[0], "version=TLSv1.2 renegotiated=yes", &ctx);
}

#[test]
fn peer_client_renegotiates_with_our_server() {
    server_case(
        "server-p256",
        &["--allow-renegotiation"],
        &["--renegotiate"],
        "version=TLSv1.2",
        "renegotiated=yes",
    );
}
