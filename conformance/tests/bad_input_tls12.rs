//! TLS 1.2 under hostile input: truncated, altered, replayed and
//! out-of-order handshake messages and records end with a typed error and
//! the right alert, never a panic.

use std::sync::Arc;

use embertls::error::{Error, InvalidMessage, PeerMisbehaved};
use embertls::msgs::enums::{AlertDescription, ContentType, HandshakeType};
use embertls::{Connection, Instant};
use embertls_conformance::testkit::scripted::split_records;
use embertls_conformance::testkit::tls12::configs_for_suite;
use embertls_conformance::testkit::Mode;

fn suite(name: &str) -> &'static embertls::suites::SuiteInfo {
    embertls::suites::by_name(name).unwrap()
}

/// A TLS 1.2 client and server for `suite_name`, and the server's first
/// flight (ServerHello .. ServerHelloDone) as records.
fn started(suite_name: &str) -> (Connection, Connection, Vec<Vec<u8>>) {
    let (client, server) = configs_for_suite(Mode::Direct, suite(suite_name));
    let mut client =
        Connection::client(Arc::new(client), Some("localhost"), Instant::ZERO).unwrap();
    let mut server = Connection::server(Arc::new(server), Instant::ZERO).unwrap();
    let hello = client.poll_transmit().unwrap();
    server.handle_input(&hello, Instant::ZERO).unwrap();
    let flight = server.poll_transmit().unwrap();
    let records = split_records(&flight)
        .unwrap()
        .into_iter()
        .map(|r| r.to_vec())
        .collect();
    (client, server, records)
}

/// The handshake messages in plaintext handshake records.
fn messages(records: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut payload = Vec::new();
    for r in records {
        assert_eq!(r[0], ContentType::Handshake.0);
        payload.extend_from_slice(&r[5..]);
    }
    let mut out = Vec::new();
    let mut p = &payload[..];
    while p.len() >= 4 {
        let len = u32::from_be_bytes([0, p[1], p[2], p[3]]) as usize;
        out.push(p[..4 + len].to_vec());
        p = &p[4 + len..];
    }
    out
}

fn record(content_type: ContentType, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![content_type.0, 3, 3];
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// The last alert `conn` sent, if it sent one in plaintext.
fn sent_alert(conn: &mut Connection) -> Option<AlertDescription> {
    let wire = conn.poll_transmit()?;
    let records = split_records(&wire).unwrap();
    let last = records.last()?;
    (last[0] == ContentType::Alert.0 && last.len() == 7).then(|| AlertDescription(last[6]))
}

#[test]
fn truncated_server_key_exchange_is_decode_error() {
    let (mut client, _, records) = started("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    let msgs = messages(&records);
    let ske = msgs
        .iter()
        .position(|m| m[0] == HandshakeType::ServerKeyExchange.0)
        .unwrap();
    let mut input = Vec::new();
    for m in &msgs[..ske] {
        input.extend_from_slice(&record(ContentType::Handshake, m));
    }
    // Cut the ServerKeyExchange body and fix up its length.
    let mut cut = msgs[ske][..msgs[ske].len() - 10].to_vec();
    let len = (cut.len() - 4) as u32;
    cut[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
    input.extend_from_slice(&record(ContentType::Handshake, &cut));
    let err = client.handle_input(&input, Instant::ZERO).unwrap_err();
    assert!(matches!(err, Error::InvalidMessage(_)), "{err:?}");
    assert_eq!(sent_alert(&mut client), Some(AlertDescription::DecodeError));
}

#[test]
fn altered_server_key_exchange_signature_is_decrypt_error() {
    let (mut client, _, records) = started("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    let mut msgs = messages(&records);
    let ske = msgs
        .iter()
        .position(|m| m[0] == HandshakeType::ServerKeyExchange.0)
        .unwrap();
    // Flip a byte of the signed ECDH public value.
    msgs[ske][10] ^= 1;
    let input: Vec<u8> = msgs
        .iter()
        .flat_map(|m| record(ContentType::Handshake, m))
        .collect();
    let err = client.handle_input(&input, Instant::ZERO).unwrap_err();
    assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::BadSignature));
    assert_eq!(
        sent_alert(&mut client),
        Some(AlertDescription::DecryptError)
    );
}

#[test]
fn out_of_order_messages_are_unexpected() {
    // ServerHelloDone before ServerKeyExchange.
    let (mut client, _, records) = started("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    let msgs = messages(&records);
    let order = [0usize, 1, 3, 2];
    let input: Vec<u8> = order
        .iter()
        .flat_map(|i| record(ContentType::Handshake, &msgs[*i]))
        .collect();
    let err = client.handle_input(&input, Instant::ZERO).unwrap_err();
    assert!(matches!(err, Error::UnexpectedMessage { .. }), "{err:?}");
    assert_eq!(
        sent_alert(&mut client),
        Some(AlertDescription::UnexpectedMessage)
    );

    // A ChangeCipherSpec before any key exchange.
    let (mut client, _, records) = started("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    let mut input = records[0].clone();
    input.extend_from_slice(&record(ContentType::ChangeCipherSpec, &[1]));
    let err = client.handle_input(&input, Instant::ZERO).unwrap_err();
    assert!(matches!(err, Error::UnexpectedMessage { .. }), "{err:?}");

    // Application data before the handshake finished.
    let (_, mut server, _) = started("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    let err = server
        .handle_input(
            &record(ContentType::ApplicationData, b"early"),
            Instant::ZERO,
        )
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedMessage { .. }), "{err:?}");
}

/// Runs a TLS 1.2 handshake and returns both sides plus one protected
/// application record from the client.
fn established(suite_name: &str) -> (Connection, Connection, Vec<u8>) {
    let (mut client, mut server, records) = started(suite_name);
    client
        .handle_input(&records.concat(), Instant::ZERO)
        .unwrap();
    let flight = client.poll_transmit().unwrap();
    server.handle_input(&flight, Instant::ZERO).unwrap();
    let answer = server.poll_transmit().unwrap();
    client.handle_input(&answer, Instant::ZERO).unwrap();
    while client.poll_output().is_some() {}
    while server.poll_output().is_some() {}
    client.send(b"one record").unwrap();
    let data = client.poll_transmit().unwrap().to_vec();
    (client, server, data)
}

#[test]
fn replayed_and_altered_records_are_bad_record_mac() {
    for name in [
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    ] {
        let (_, mut server, data) = established(name);
        server.handle_input(&data, Instant::ZERO).unwrap();
        // The same record again: its sequence number is spent.
        let err = server.handle_input(&data, Instant::ZERO).unwrap_err();
        assert_eq!(err, Error::DecryptFailed, "{name}");
        // The (protected) alert goes out as an alert record.
        let wire = server.poll_transmit().expect("an alert");
        assert_eq!(wire[0], ContentType::Alert.0, "{name}");
        assert_eq!(err.alert(), Some(AlertDescription::BadRecordMac));

        let (_, mut server, mut data) = established(name);
        let last = data.len() - 1;
        data[last] ^= 0x80;
        assert_eq!(
            server.handle_input(&data, Instant::ZERO).unwrap_err(),
            Error::DecryptFailed,
            "{name}"
        );
    }
}

#[test]
fn oversized_records_are_record_overflow() {
    let (_, mut server, _) = established("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    // Longer than any TLS 1.2 ciphertext may be (2^14 + 2048).
    let mut header = vec![ContentType::ApplicationData.0, 3, 3];
    header.extend_from_slice(&((16_384 + 2049) as u16).to_be_bytes());
    assert_eq!(
        server.handle_input(&header, Instant::ZERO).unwrap_err(),
        Error::RecordOverflow
    );
    let _ = InvalidMessage::Truncated;
}
