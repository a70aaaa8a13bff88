//! NSS key logs: the logged secrets are the ones that protect the traffic,
//! so a capture decrypts with them (as Wireshark would).

use std::sync::{Arc, Mutex};

use embertls::config::{KeyLog, KeyLogFile};
use embertls::crypto::AeadAlgorithm;
use embertls::handshake::key_schedule::{expand_label, LabelPrefix};
use embertls::msgs::enums::HashAlgorithm;
use embertls_conformance::testkit::pair::{client_config, server_config};
use embertls_conformance::testkit::{Mode, Pair};

/// One key-log entry: label, client random, secret.
type Entry = (String, [u8; 32], Vec<u8>);

#[derive(Default)]
struct Collect(Mutex<Vec<Entry>>);

impl KeyLog for Collect {
    fn log(&self, label: &str, client_random: &[u8; 32], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), *client_random, secret.to_vec()));
    }
}

#[test]
fn both_sides_log_the_same_secrets_and_they_decrypt_the_traffic() {
    let client_log = Arc::new(Collect::default());
    let server_log = Arc::new(Collect::default());
    let mut client = client_config(Mode::Direct);
    client.common.key_log = Some(client_log.clone());
    let mut server = server_config(Mode::Direct, "p256");
    server.common.key_log = Some(server_log.clone());
    let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
    pair.handshake().unwrap();

    let client_lines = client_log.0.lock().unwrap().clone();
    let server_lines = server_log.0.lock().unwrap().clone();
    let labels: Vec<&str> = client_lines.iter().map(|(l, _, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
            "SERVER_TRAFFIC_SECRET_0",
            "EXPORTER_SECRET"
        ]
    );
    assert_eq!(
        client_lines, server_lines,
        "both ends derive the same secrets"
    );

    // Decrypt the server's first application record with keys derived from
    // the logged SERVER_TRAFFIC_SECRET_0, as a capture tool would.
    let (_, _, secret) = client_lines
        .iter()
        .find(|(l, _, _)| l == "SERVER_TRAFFIC_SECRET_0")
        .unwrap();
    let provider = embertls_rustcrypto::provider();
    let hkdf = provider.hkdf(HashAlgorithm::SHA256).unwrap();
    let mut key = [0u8; 16];
    let mut iv = [0u8; 12];
    expand_label(&**hkdf, LabelPrefix::Tls13, secret, b"key", &[], &mut key).unwrap();
    expand_label(&**hkdf, LabelPrefix::Tls13, secret, b"iv", &[], &mut iv).unwrap();
    pair.server.send(b"seen by wireshark").unwrap();
    let record = pair.server.poll_transmit().unwrap().to_vec();
    let aead = provider
        .aead(AeadAlgorithm::Aes128Gcm)
        .unwrap()
        .new_key(&key)
        .unwrap();
    let (header, body) = record.split_at(5);
    let mut body = body.to_vec();
    let tag = body.split_off(body.len() - 16);
    aead.open_in_place(&iv, header, &mut body, &tag).unwrap();
    assert_eq!(&body[..body.len() - 1], b"seen by wireshark");
    assert_eq!(
        body[body.len() - 1],
        23,
        "inner content type application_data"
    );
}

#[test]
fn key_log_file_writes_nss_lines() {
    let path = std::env::temp_dir().join(format!("embertls-keylog-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut client = client_config(Mode::Direct);
    client.common.key_log = Some(Arc::new(KeyLogFile::create(&path).unwrap()));
    let mut pair = Pair::new(
        client,
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    for line in lines {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 3, "{line}");
        assert_eq!(fields[1].len(), 64, "client random in hex");
        assert_eq!(fields[2].len(), 64, "SHA-256 secret in hex");
        assert!(fields[1]
            .chars()
            .chain(fields[2].chars())
            .all(|c| c.is_ascii_hexdigit()));
    }
}
