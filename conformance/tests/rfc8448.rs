//! RFC 8448 section 3 (Simple 1-RTT Handshake) replayed byte for byte.
//!
//! The trace's values are transcribed in `testkit::rfc8448`. Three checks:
//!
//! 1. the public key schedule (`KeySchedule`, `expand_label`) derives every
//!    secret, key, IV and Finished value the RFC lists, from the RFC's
//!    (EC)DHE secret and transcript hashes of the RFC's messages;
//! 2. a live `Connection::server` whose randomness is scripted to the RFC
//!    server's X25519 key and random answers the RFC's ClientHello record with
//!    the RFC's ServerHello record, and protects what follows with the RFC's
//!    handshake keys; a scripted client then completes the handshake with it;
//! 3. the engine's TLS 1.3 record protection, given the RFC's keys, seals
//!    the RFC's plaintexts into the RFC's records and opens them again.

use std::sync::Arc;

use embertls::config::{ServerConfig, SingleCertAndKey};
use embertls::crypto::{AeadAlgorithm, CryptoProvider};
use embertls::handshake::key_schedule::{expand_label, KeySchedule, LabelPrefix, Secret};
use embertls::msgs::enums::{
    CipherSuite, ContentType, HandshakeType, HashAlgorithm, NamedGroup, ProtocolVersion,
    SignatureScheme,
};
use embertls::msgs::extensions::EncryptedExtensions;
use embertls::msgs::handshake::{Certificate13, CertificateVerify, NewSessionTicket13};
use embertls::msgs::hello::{ClientHello, ServerHello};
use embertls::{Connection, Event, Instant, Output};
use embertls_conformance::testkit::deterministic::{self, ScriptedRandom};
use embertls_conformance::testkit::pair::certified_key;
use embertls_conformance::testkit::rfc8448::*;
use embertls_conformance::testkit::scripted::{
    open_record, seal_record, split_handshake_messages, split_records, ScriptedClient,
};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(deterministic::provider(&[]))
}

fn sha256(p: &CryptoProvider, data: &[u8]) -> Vec<u8> {
    p.hash(HashAlgorithm::SHA256)
        .unwrap()
        .hash(data)
        .as_ref()
        .to_vec()
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn secret(s: &Secret) -> &[u8] {
    s.as_ref()
}

/// Key and IV for a traffic secret, through the public key schedule.
fn key_iv(schedule: &KeySchedule, traffic_secret: &[u8]) -> ([u8; 16], [u8; 12]) {
    let mut key = [0u8; 16];
    let mut iv = [0u8; 12];
    schedule
        .traffic_key_iv(&Secret::new(traffic_secret), &mut key, &mut iv)
        .unwrap();
    (key, iv)
}

// ---------------------------------------------------------------------
// 1. Key schedule
// ---------------------------------------------------------------------

#[test]
fn transcribed_messages_are_consistent() {
    // The records are the messages plus a header.
    assert_eq!(CLIENT_HELLO_RECORD[..5], [0x16, 0x03, 0x01, 0x00, 0xc4]);
    assert_eq!(CLIENT_HELLO_RECORD[5..], CLIENT_HELLO);
    assert_eq!(SERVER_HELLO_RECORD[..5], [0x16, 0x03, 0x03, 0x00, 0x5a]);
    assert_eq!(SERVER_HELLO_RECORD[5..], SERVER_HELLO);
    // Our parsers read every message of the trace.
    let ch = ClientHello::read(&CLIENT_HELLO[4..], false).unwrap();
    assert_eq!(ch.extensions.server_name.as_deref(), Some(&b"server"[..]));
    let share = &ch.extensions.key_shares.as_ref().unwrap()[0];
    assert_eq!(
        (share.group, &share.public[..]),
        (NamedGroup::X25519, &CLIENT_PUBLIC[..])
    );
    let sh = ServerHello::read(&SERVER_HELLO[4..]).unwrap();
    assert_eq!(sh.random, SERVER_RANDOM);
    assert_eq!(sh.cipher_suite, CipherSuite::TLS_AES_128_GCM_SHA256);
    assert_eq!(
        sh.extensions.key_share.as_ref().unwrap().public,
        SERVER_PUBLIC
    );
    let ee = EncryptedExtensions::read(&ENCRYPTED_EXTENSIONS[4..]).unwrap();
    assert!(ee.server_name_ack);
    assert_eq!(ee.record_size_limit, Some(0x4001));
    let cert = Certificate13::read(&CERTIFICATE[4..]).unwrap();
    assert_eq!(cert.entries.len(), 1);
    let cv = CertificateVerify::read(&CERTIFICATE_VERIFY[4..]).unwrap();
    assert_eq!(cv.scheme, SignatureScheme::RSA_PSS_RSAE_SHA256);
    let nst = NewSessionTicket13::read(&NEW_SESSION_TICKET[4..]).unwrap();
    assert_eq!(nst.nonce, [0, 0]);
    assert_eq!(nst.max_early_data, Some(1024));
    // Re-encoding what we parsed gives the RFC's bytes back.
    let mut out = Vec::new();
    sh.write(&mut out);
    assert_eq!(out, SERVER_HELLO[4..]);
    let mut out = Vec::new();
    cert.write(&mut out);
    assert_eq!(out, CERTIFICATE[4..]);
    let mut out = Vec::new();
    cv.write(&mut out);
    assert_eq!(out, CERTIFICATE_VERIFY[4..]);
    let mut out = Vec::new();
    nst.write(&mut out);
    assert_eq!(out, NEW_SESSION_TICKET[4..]);
}

#[test]
fn x25519_shared_secret_matches_rfc() {
    let p = provider();
    let x25519 = p.group(NamedGroup::X25519).unwrap();
    let server = x25519
        .start(&ScriptedRandom::new(&[&SERVER_PRIVATE]))
        .unwrap();
    assert_eq!(server.public_key(), SERVER_PUBLIC);
    assert_eq!(
        server.complete(&CLIENT_PUBLIC).unwrap().as_ref(),
        ECDHE_SHARED
    );
    let client = x25519
        .start(&ScriptedRandom::new(&[&CLIENT_PRIVATE]))
        .unwrap();
    assert_eq!(client.public_key(), CLIENT_PUBLIC);
    assert_eq!(
        client.complete(&SERVER_PUBLIC).unwrap().as_ref(),
        ECDHE_SHARED
    );
}

#[test]
fn key_schedule_matches_rfc() {
    let p = provider();
    let hkdf = p.hkdf(HashAlgorithm::SHA256).unwrap().clone();

    // Transcript hashes of the RFC's own messages.
    let empty = sha256(&p, b"");
    assert_eq!(empty, EMPTY_HASH);
    let hash_ch_sh = sha256(&p, &concat(&[&CLIENT_HELLO, &SERVER_HELLO]));
    assert_eq!(hash_ch_sh, HASH_CH_SH);
    let hash_ch_cv = sha256(
        &p,
        &concat(&[
            &CLIENT_HELLO,
            &SERVER_HELLO,
            &ENCRYPTED_EXTENSIONS,
            &CERTIFICATE,
            &CERTIFICATE_VERIFY,
        ]),
    );
    let hash_ch_sf = sha256(
        &p,
        &concat(&[
            &CLIENT_HELLO,
            &SERVER_HELLO,
            &ENCRYPTED_EXTENSIONS,
            &CERTIFICATE,
            &CERTIFICATE_VERIFY,
            &SERVER_FINISHED,
        ]),
    );
    assert_eq!(hash_ch_sf, HASH_CH_SF);
    let hash_ch_cf = sha256(
        &p,
        &concat(&[
            &CLIENT_HELLO,
            &SERVER_HELLO,
            &ENCRYPTED_EXTENSIONS,
            &CERTIFICATE,
            &CERTIFICATE_VERIFY,
            &SERVER_FINISHED,
            &CLIENT_FINISHED,
        ]),
    );
    assert_eq!(hash_ch_cf, HASH_CH_CF);

    // Early secret, then the handshake secret.
    let mut ks = KeySchedule::new(hkdf.clone(), LabelPrefix::Tls13, None);
    assert_eq!(secret(ks.current()), EARLY_SECRET);
    assert_eq!(
        secret(&ks.derive(b"derived", &empty).unwrap()),
        DERIVED_FOR_HANDSHAKE
    );
    ks.advance(&empty, Some(&ECDHE_SHARED)).unwrap();
    assert_eq!(secret(ks.current()), HANDSHAKE_SECRET);

    let c_hs = ks.derive(b"c hs traffic", &hash_ch_sh).unwrap();
    let s_hs = ks.derive(b"s hs traffic", &hash_ch_sh).unwrap();
    assert_eq!(secret(&c_hs), C_HS_TRAFFIC);
    assert_eq!(secret(&s_hs), S_HS_TRAFFIC);
    assert_eq!(key_iv(&ks, &S_HS_TRAFFIC), (SERVER_HS_KEY, SERVER_HS_IV));
    assert_eq!(key_iv(&ks, &C_HS_TRAFFIC), (CLIENT_HS_KEY, CLIENT_HS_IV));

    // Server Finished: finished_key, then the HMAC over CH..CertificateVerify.
    let mut finished_key = [0u8; 32];
    expand_label(
        &*hkdf,
        LabelPrefix::Tls13,
        &S_HS_TRAFFIC,
        b"finished",
        &[],
        &mut finished_key,
    )
    .unwrap();
    assert_eq!(finished_key, SERVER_FINISHED_KEY);
    let server_vd = ks.finished_verify_data(&s_hs, &hash_ch_cv).unwrap();
    assert_eq!(secret(&server_vd), SERVER_VERIFY_DATA);
    assert_eq!(SERVER_FINISHED[..4], [0x14, 0, 0, 0x20]);
    assert_eq!(SERVER_FINISHED[4..], SERVER_VERIFY_DATA);

    // Master secret and the application secrets.
    assert_eq!(
        secret(&ks.derive(b"derived", &empty).unwrap()),
        DERIVED_FOR_MASTER
    );
    ks.advance(&empty, None).unwrap();
    assert_eq!(secret(ks.current()), MASTER_SECRET);
    let c_ap = ks.derive(b"c ap traffic", &hash_ch_sf).unwrap();
    let s_ap = ks.derive(b"s ap traffic", &hash_ch_sf).unwrap();
    assert_eq!(secret(&c_ap), C_AP_TRAFFIC);
    assert_eq!(secret(&s_ap), S_AP_TRAFFIC);
    assert_eq!(
        secret(&ks.derive(b"exp master", &hash_ch_sf).unwrap()),
        EXPORTER_MASTER
    );
    assert_eq!(key_iv(&ks, &S_AP_TRAFFIC), (SERVER_AP_KEY, SERVER_AP_IV));
    assert_eq!(key_iv(&ks, &C_AP_TRAFFIC), (CLIENT_AP_KEY, CLIENT_AP_IV));

    // Client Finished over CH..server Finished.
    let mut finished_key = [0u8; 32];
    expand_label(
        &*hkdf,
        LabelPrefix::Tls13,
        &C_HS_TRAFFIC,
        b"finished",
        &[],
        &mut finished_key,
    )
    .unwrap();
    assert_eq!(finished_key, CLIENT_FINISHED_KEY);
    let client_vd = ks.finished_verify_data(&c_hs, &hash_ch_sf).unwrap();
    assert_eq!(secret(&client_vd), CLIENT_VERIFY_DATA);
    assert_eq!(CLIENT_FINISHED[4..], CLIENT_VERIFY_DATA);

    // Resumption master secret and the ticket's PSK (nonce 00 00).
    let res = ks.derive(b"res master", &hash_ch_cf).unwrap();
    assert_eq!(secret(&res), RESUMPTION_MASTER);
    let mut psk = [0u8; 32];
    expand_label(
        &*hkdf,
        LabelPrefix::Tls13,
        &RESUMPTION_MASTER,
        b"resumption",
        &[0, 0],
        &mut psk,
    )
    .unwrap();
    assert_eq!(psk, TICKET_PSK);
}

// ---------------------------------------------------------------------
// 2. Live server replay
// ---------------------------------------------------------------------

/// A server whose randomness is the RFC server's: the X25519 private key is
/// drawn first (32 bytes), then ServerHello.random (server13.rs order). The
/// certificate is the test PKI's P-256 one: the RFC's ClientHello offers
/// ecdsa_secp256r1_sha256, and ECDSA signing here is deterministic.
fn rfc_server() -> Connection {
    let provider = Arc::new(deterministic::provider(&[&SERVER_PRIVATE, &SERVER_RANDOM]));
    let certified = certified_key(&provider, "server", "p256");
    let config = ServerConfig::new(provider, Arc::new(SingleCertAndKey(certified)));
    Connection::server(Arc::new(config), Instant::ZERO).unwrap()
}

fn drain(conn: &mut Connection) -> (Vec<Vec<u8>>, Vec<Event>) {
    let mut transmits = Vec::new();
    let mut events = Vec::new();
    while let Some(out) = conn.poll_output() {
        match out {
            Output::Transmit(b) => transmits.push(b.to_vec()),
            Output::Event(e) => events.push(e),
        }
    }
    (transmits, events)
}

#[test]
fn server_answers_rfc_client_hello_with_rfc_server_hello() {
    let mut server = rfc_server();
    server
        .handle_input(&CLIENT_HELLO_RECORD, Instant::ZERO)
        .unwrap();
    let (transmits, events) = drain(&mut server);
    assert!(events.is_empty(), "{events:?}");
    let first = transmits.first().expect("the server answered");
    assert!(
        first.starts_with(&SERVER_HELLO_RECORD),
        "ServerHello record differs:\nours {:02x?}\nrfc  {:02x?}",
        &first[..SERVER_HELLO_RECORD.len().min(first.len())],
        SERVER_HELLO_RECORD
    );
    assert_eq!(
        server.cipher_suite(),
        Some(CipherSuite::TLS_AES_128_GCM_SHA256)
    );
    assert_eq!(server.key_exchange_group(), Some(NamedGroup::X25519));
    assert_eq!(server.server_name(), Some("server"));

    // The first protected record: the RFC's ClientHello has an empty session
    // id, so no ChangeCipherSpec comes between.
    let stream = transmits.concat();
    let records = split_records(&stream).unwrap();
    assert_eq!(records[0], SERVER_HELLO_RECORD);
    assert_eq!(
        records[1][0],
        ContentType::ApplicationData.0,
        "no CCS expected"
    );

    // Decrypt it with the RFC's server handshake key and IV (sequence 0),
    // using the provider's AES-128-GCM directly: the engine's key schedule
    // produced exactly the RFC's keys.
    let p = provider();
    let (typ, plain) = open_record(&p, &SERVER_HS_KEY, &SERVER_HS_IV, 0, records[1]).unwrap();
    assert_eq!(typ, ContentType::Handshake);
    let msgs = split_handshake_messages(&plain).unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0][0], HandshakeType::EncryptedExtensions.0);
    let ee = EncryptedExtensions::read(&msgs[0][4..]).unwrap();
    // We answer the RFC client's server_name and record_size_limit as the
    // RFC server did (we send no supported_groups).
    assert!(ee.server_name_ack);
    assert_eq!(ee.record_size_limit, Some(0x4001));
    assert_eq!(ee.alpn, None);

    // The rest of our flight also opens under the RFC's keys, in sequence.
    let mut kinds = Vec::new();
    for (seq, record) in records[2..].iter().enumerate() {
        let (typ, plain) =
            open_record(&p, &SERVER_HS_KEY, &SERVER_HS_IV, seq as u64 + 1, record).unwrap();
        assert_eq!(typ, ContentType::Handshake);
        for msg in split_handshake_messages(&plain).unwrap() {
            kinds.push(HandshakeType(msg[0]));
        }
    }
    assert_eq!(
        kinds,
        [
            HandshakeType::Certificate,
            HandshakeType::CertificateVerify,
            HandshakeType::Finished
        ]
    );
}

#[test]
fn scripted_rfc_client_completes_handshake_with_our_server() {
    let mut server = rfc_server();
    let mut client = ScriptedClient::new(provider(), &CLIENT_HELLO, CLIENT_PRIVATE);
    assert_eq!(client.client_hello_record(), CLIENT_HELLO_RECORD);
    server
        .handle_input(&client.client_hello_record(), Instant::ZERO)
        .unwrap();
    let (transmits, _) = drain(&mut server);
    let flight = client.read_server_flight(&transmits.concat()).unwrap();

    // Everything up to the handshake traffic secrets is the RFC's.
    assert_eq!(flight.server_hello_record, SERVER_HELLO_RECORD);
    assert!(!flight.change_cipher_spec);
    assert_eq!(client.secrets.shared, ECDHE_SHARED);
    assert_eq!(client.secrets.handshake, HANDSHAKE_SECRET);
    assert_eq!(client.secrets.client_handshake_traffic, C_HS_TRAFFIC);
    assert_eq!(client.secrets.server_handshake_traffic, S_HS_TRAFFIC);
    // The master secret does not depend on the transcript either.
    assert_eq!(client.secrets.master, MASTER_SECRET);
    // So our Finished goes out under the RFC's client handshake key and IV,
    // and our server's four records opened under the RFC's server ones.
    let write = client.write.as_ref().unwrap();
    assert_eq!(
        (write.key, write.iv, write.seq),
        (CLIENT_HS_KEY, CLIENT_HS_IV, 0)
    );
    let read = client.read.as_ref().unwrap();
    assert_eq!(
        (read.key, read.iv, read.seq),
        (SERVER_HS_KEY, SERVER_HS_IV, 4)
    );

    // Our server's own flight: EE, our P-256 certificate, an ECDSA
    // CertificateVerify and a Finished the scripted client verified.
    let types: Vec<u8> = flight.messages.iter().map(|m| m[0]).collect();
    assert_eq!(types, [8, 11, 15, 20]);
    let cert = Certificate13::read(&flight.messages[1][4..]).unwrap();
    let p = provider();
    let ours = certified_key(&p, "server", "p256");
    assert_eq!(cert.entries[0].cert_der, ours.chain[0].as_ref());
    let cv = CertificateVerify::read(&flight.messages[2][4..]).unwrap();
    assert_eq!(cv.scheme, SignatureScheme::ECDSA_NISTP256_SHA256);

    // Our Finished under the RFC's client handshake key completes it.
    let finished = client.finished_record();
    server.handle_input(&finished, Instant::ZERO).unwrap();
    let (transmits, events) = drain(&mut server);
    assert!(
        matches!(events.as_slice(), [Event::HandshakeComplete]),
        "{events:?}"
    );
    assert!(transmits.is_empty(), "the server sent no tickets yet");
    assert_eq!(server.protocol_version(), Some(ProtocolVersion::TLSv1_3));

    // Application data both ways, under keys derived from the RFC's master
    // secret and our transcript: the RFC's 50-byte payload.
    let record = client.seal(ContentType::ApplicationData, &APPLICATION_DATA, 0);
    server.handle_input(&record, Instant::ZERO).unwrap();
    let (_, events) = drain(&mut server);
    match events.as_slice() {
        [Event::Data(d)] => assert_eq!(d[..], APPLICATION_DATA),
        other => panic!("{other:?}"),
    }
    server.send(&APPLICATION_DATA).unwrap();
    let (transmits, _) = drain(&mut server);
    let stream = transmits.concat();
    let records = split_records(&stream).unwrap();
    assert_eq!(records.len(), 1);
    let (typ, plain) = client.open(records[0]).unwrap();
    assert_eq!(
        (typ, &plain[..]),
        (ContentType::ApplicationData, &APPLICATION_DATA[..])
    );

    // The exporter agrees with one computed from our exporter master secret.
    let mut ours = [0u8; 32];
    server
        .export_keying_material(&mut ours, b"EXPORTER-test", Some(b"ctx"))
        .unwrap();
    let hkdf = client.hkdf().clone();
    let empty = client.sha256(&[]);
    let mut derived = [0u8; 32];
    expand_label(
        &*hkdf,
        LabelPrefix::Tls13,
        &client.secrets.exporter_master,
        b"EXPORTER-test",
        &empty,
        &mut derived,
    )
    .unwrap();
    let mut expected = [0u8; 32];
    expand_label(
        &*hkdf,
        LabelPrefix::Tls13,
        &derived,
        b"exporter",
        &client.sha256(b"ctx"),
        &mut expected,
    )
    .unwrap();
    assert_eq!(ours, expected);

    // The RFC client's close_notify payload closes our server.
    let record = client.seal(ContentType::Alert, &[1, 0], 0);
    server.handle_input(&record, Instant::ZERO).unwrap();
    assert!(server.peer_closed());
}

// ---------------------------------------------------------------------
// 3. Record protection
// ---------------------------------------------------------------------

/// (what, key, iv, sequence number, inner content type, plaintext, record)
type RecordCase<'a> = (
    &'a str,
    [u8; 16],
    [u8; 12],
    u64,
    ContentType,
    Vec<u8>,
    &'a [u8],
);

fn rfc_records() -> Vec<RecordCase<'static>> {
    let server_flight = concat(&[
        &ENCRYPTED_EXTENSIONS,
        &CERTIFICATE,
        &CERTIFICATE_VERIFY,
        &SERVER_FINISHED,
    ]);
    vec![
        (
            "server handshake flight",
            SERVER_HS_KEY,
            SERVER_HS_IV,
            0,
            ContentType::Handshake,
            server_flight,
            &SERVER_FLIGHT_RECORD,
        ),
        (
            "client Finished",
            CLIENT_HS_KEY,
            CLIENT_HS_IV,
            0,
            ContentType::Handshake,
            CLIENT_FINISHED.to_vec(),
            &CLIENT_FINISHED_RECORD,
        ),
        (
            "NewSessionTicket",
            SERVER_AP_KEY,
            SERVER_AP_IV,
            0,
            ContentType::Handshake,
            NEW_SESSION_TICKET.to_vec(),
            &NEW_SESSION_TICKET_RECORD,
        ),
        (
            "client application data",
            CLIENT_AP_KEY,
            CLIENT_AP_IV,
            0,
            ContentType::ApplicationData,
            APPLICATION_DATA.to_vec(),
            &CLIENT_APPLICATION_RECORD,
        ),
        (
            "server application data",
            SERVER_AP_KEY,
            SERVER_AP_IV,
            1,
            ContentType::ApplicationData,
            APPLICATION_DATA.to_vec(),
            &SERVER_APPLICATION_RECORD,
        ),
        (
            "client close_notify",
            CLIENT_AP_KEY,
            CLIENT_AP_IV,
            1,
            ContentType::Alert,
            vec![1, 0],
            &CLIENT_ALERT_RECORD,
        ),
        (
            "server close_notify",
            SERVER_AP_KEY,
            SERVER_AP_IV,
            2,
            ContentType::Alert,
            vec![1, 0],
            &SERVER_ALERT_RECORD,
        ),
    ]
}

#[test]
fn record_protection_through_provider_aead_matches_rfc() {
    let p = provider();
    for (what, key, iv, seq, typ, plain, record) in rfc_records() {
        let sealed = seal_record(&p, &key, &iv, seq, typ, &plain, 0);
        assert_eq!(sealed, record, "{what}");
        let (t, opened) = open_record(&p, &key, &iv, seq, record).unwrap();
        assert_eq!((t, opened), (typ, plain), "{what}");
    }
}

#[test]
fn engine_record_protection_matches_rfc() {
    use embertls::__testing::{open_tls13_record, seal_tls13_record};
    let p = provider();
    let aead = p.aead(AeadAlgorithm::Aes128Gcm).unwrap();
    let tag = AeadAlgorithm::Aes128Gcm.tag_len();
    for (what, key, iv, seq, typ, plain, record) in rfc_records() {
        let sealed =
            seal_tls13_record(aead.new_key(&key).unwrap(), iv, tag, seq, typ, &plain, 0).unwrap();
        assert_eq!(sealed, record, "{what}");
        let (t, opened) =
            open_tls13_record(aead.new_key(&key).unwrap(), iv, tag, seq, record).unwrap();
        assert_eq!((t, opened), (typ, plain.clone()), "{what}");
        // Wrong sequence number or a flipped bit: no plaintext.
        assert!(
            open_tls13_record(aead.new_key(&key).unwrap(), iv, tag, seq + 1, record).is_err(),
            "{what}"
        );
        let mut bad = record.to_vec();
        *bad.last_mut().unwrap() ^= 1;
        assert!(
            open_tls13_record(aead.new_key(&key).unwrap(), iv, tag, seq, &bad).is_err(),
            "{what}"
        );
        // With padding the engine still recovers type and plaintext.
        let padded =
            seal_tls13_record(aead.new_key(&key).unwrap(), iv, tag, seq, typ, &plain, 17).unwrap();
        assert_eq!(padded.len(), record.len() + 17);
        let (t, opened) =
            open_tls13_record(aead.new_key(&key).unwrap(), iv, tag, seq, &padded).unwrap();
        assert_eq!((t, opened), (typ, plain), "{what} padded");
    }
}
