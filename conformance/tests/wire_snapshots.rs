//! Snapshots of our wire encodings from a deterministic run: the
//! ClientHello record a fixed client sends, and the ServerHello record a
//! fixed server answers it with. Each snapshot is a decoded summary (so a
//! diff says what changed) followed by the bytes, 32 to a line.
//!
//! Everything is fixed: randomness comes from `ScriptedRandom` (the
//! client's is its counter pattern 01 02 03 ..., the server's is scripted),
//! the clock is stopped, the keys are the test PKI's.
//! If an encoding change is intended, review the diff and accept it with
//! `INSTA_UPDATE=always cargo test -p embertls-conformance --test wire_snapshots`
//! (or `cargo insta review`).

use std::fmt::Write;
use std::sync::Arc;

use embertls::codec::Reader;
use embertls::config::{ClientConfig, ServerConfig, SingleCertAndKey};
use embertls::msgs::enums::{ContentType, ExtensionType, HandshakeType, ProtocolVersion};
use embertls::msgs::hello::{ClientHello, ServerHello};
use embertls::{Connection, Instant};
use embertls_conformance::testkit::deterministic;
use embertls_conformance::testkit::pair::{all_test_roots, certified_key};
use embertls_conformance::testkit::scripted::split_records;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex, 32 bytes to a line, with offsets.
fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, line) in bytes.chunks(32).enumerate() {
        let _ = writeln!(out, "{:04x}: {}", i * 32, hex(line));
    }
    out
}

fn list<T: std::fmt::Debug>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| format!("{i:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fixed client: deterministic provider, test roots, SNI example.com.
fn client() -> Connection {
    let provider = Arc::new(deterministic::provider(&[]));
    let mut config = ClientConfig::new(provider);
    config.common.roots = all_test_roots();
    Connection::client(Arc::new(config), Some("example.com"), Instant::ZERO).unwrap()
}

/// The fixed server: the test PKI's P-256 certificate; its X25519 private
/// key is 5a 5a ... and its ServerHello.random a5 a5 ... (drawn in that
/// order), so neither can be mistaken for the client's counter bytes.
fn server() -> Connection {
    let provider = Arc::new(deterministic::provider(&[&[0x5a; 32], &[0xa5; 32]]));
    let certified = certified_key(&provider, "server", "p256");
    let config = ServerConfig::new(provider, Arc::new(SingleCertAndKey(certified)));
    Connection::server(Arc::new(config), Instant::ZERO).unwrap()
}

/// Record and handshake headers; returns the handshake body.
fn headers<'a>(out: &mut String, record: &'a [u8], expect: HandshakeType) -> &'a [u8] {
    let typ = ContentType(record[0]);
    let version = ProtocolVersion(u16::from_be_bytes([record[1], record[2]]));
    let len = u16::from_be_bytes([record[3], record[4]]);
    let _ = writeln!(
        out,
        "record: {typ:?}, legacy_record_version {version:?}, length {len}"
    );
    let msg = &record[5..];
    let htype = HandshakeType(msg[0]);
    let hlen = u32::from_be_bytes([0, msg[1], msg[2], msg[3]]);
    let _ = writeln!(out, "handshake: {htype:?}, length {hlen}");
    assert_eq!(htype, expect);
    &msg[4..]
}

/// Each extension in wire order: name, code point, length, and its body
/// decoded where we know how (raw hex otherwise).
fn extensions(out: &mut String, raw: &[u8], decode: impl Fn(ExtensionType, &[u8]) -> String) {
    let mut r = Reader::new(raw);
    let mut block = r.sub_u16().unwrap();
    let _ = writeln!(out, "extensions ({} bytes):", raw.len() - 2);
    while !block.is_empty() {
        let typ = ExtensionType(block.u16().unwrap());
        let body = block.vec_u16().unwrap();
        let _ = writeln!(
            out,
            "  {typ:?} (0x{:04x}, {} bytes): {}",
            typ.0,
            body.len(),
            decode(typ, body)
        );
    }
}

/// Where the extension block starts in a hello body.
fn extensions_offset(body: &[u8], client: bool) -> usize {
    let mut r = Reader::new(body);
    r.take(2 + 32).unwrap();
    r.vec_u8().unwrap();
    if client {
        r.vec_u16().unwrap();
        r.vec_u8().unwrap();
    } else {
        r.take(3).unwrap();
    }
    body.len() - r.remaining()
}

fn client_hello_summary(record: &[u8]) -> String {
    let mut out = String::new();
    let body = headers(&mut out, record, HandshakeType::ClientHello);
    let ch = ClientHello::read(body, false).unwrap();
    let e = &ch.extensions;
    let _ = writeln!(out, "legacy_version: {:?}", ch.legacy_version);
    let _ = writeln!(out, "random: {}", hex(&ch.random));
    let _ = writeln!(out, "legacy_session_id: {}", hex(ch.session_id.as_ref()));
    let _ = writeln!(out, "cipher_suites: {}", list(&ch.cipher_suites));
    let _ = writeln!(out, "compression_methods: {:?}", ch.compression_methods);
    extensions(
        &mut out,
        &body[extensions_offset(body, true)..],
        |typ, raw| match typ {
            ExtensionType::ServerName => {
                format!(
                    "{:?}",
                    String::from_utf8_lossy(e.server_name.as_ref().unwrap())
                )
            }
            ExtensionType::SupportedGroups => list(e.supported_groups.as_ref().unwrap()),
            ExtensionType::SignatureAlgorithms => list(e.signature_algorithms.as_ref().unwrap()),
            ExtensionType::SupportedVersions => list(e.supported_versions.as_ref().unwrap()),
            ExtensionType::KeyShare => e
                .key_shares
                .as_ref()
                .unwrap()
                .iter()
                .map(|s| format!("{:?} {}", s.group, hex(&s.public)))
                .collect::<Vec<_>>()
                .join(", "),
            ExtensionType::RecordSizeLimit => format!("{}", e.record_size_limit.unwrap()),
            _ => hex(raw),
        },
    );
    out
}

fn server_hello_summary(record: &[u8]) -> String {
    let mut out = String::new();
    let body = headers(&mut out, record, HandshakeType::ServerHello);
    let sh = ServerHello::read(body).unwrap();
    let _ = writeln!(out, "legacy_version: {:?}", sh.legacy_version);
    let _ = writeln!(out, "random: {}", hex(&sh.random));
    let _ = writeln!(
        out,
        "legacy_session_id_echo: {}",
        hex(sh.session_id.as_ref())
    );
    let _ = writeln!(out, "cipher_suite: {:?}", sh.cipher_suite);
    let _ = writeln!(out, "compression_method: {}", sh.compression_method);
    let e = &sh.extensions;
    extensions(
        &mut out,
        &body[extensions_offset(body, false)..],
        |typ, raw| match typ {
            ExtensionType::SupportedVersions => format!("{:?}", e.supported_version.unwrap()),
            ExtensionType::KeyShare => {
                let s = e.key_share.as_ref().unwrap();
                format!("{:?} {}", s.group, hex(&s.public))
            }
            _ => hex(raw),
        },
    );
    out
}

/// The client's first output: exactly one ClientHello record.
fn client_hello_record() -> Vec<u8> {
    let mut client = client();
    let first = client.poll_transmit().expect("ClientHello");
    assert!(client.poll_transmit().is_none());
    let records = split_records(&first).unwrap();
    assert_eq!(records.len(), 1);
    first.to_vec()
}

#[test]
fn client_hello_encoding() {
    let record = client_hello_record();
    // Deterministic across runs and connections.
    assert_eq!(record, client_hello_record());
    let snapshot = format!(
        "{}\n{} bytes:\n{}",
        client_hello_summary(&record),
        record.len(),
        hex_dump(&record)
    );
    insta::assert_snapshot!("client_hello", snapshot);
}

#[test]
fn server_hello_encoding() {
    let mut server = server();
    server
        .handle_input(&client_hello_record(), Instant::ZERO)
        .unwrap();
    let flight = server.poll_transmit().expect("server flight");
    let records = split_records(&flight).unwrap();
    let sh = records[0];
    // What follows the ServerHello, by type and length (the protected
    // records' sizes are deterministic too: ECDSA nonces follow RFC 6979).
    let mut rest = String::new();
    for r in &records[1..] {
        let _ = writeln!(
            rest,
            "  {:?} record, length {}",
            ContentType(r[0]),
            r.len() - 5
        );
    }
    let snapshot = format!(
        "{}\nfollowed by:\n{}\n{} bytes:\n{}",
        server_hello_summary(sh),
        rest,
        sh.len(),
        hex_dump(sh)
    );
    insta::assert_snapshot!("server_hello", snapshot);
}
