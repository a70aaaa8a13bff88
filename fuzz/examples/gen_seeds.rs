//! Writes the seed corpus under fuzz/seeds/: a real deterministic exchange
//! between the fuzz targets' own client and server (so the seeds drive the
//! targets through a whole handshake), plus a few operation lists for
//! `record_layer` and messages for `handshake_messages`.
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds

use std::fs;
use std::path::Path;

use std::sync::Arc;

use embertls::config::VersionRange;
use embertls::{Connection, Instant};
use embertls_conformance::testkit::rfc8448;
use embertls_fuzz::{
    client, drain, drain_datagrams, dtls_client, dtls_server, encode_datagrams, feed_datagrams,
    server, TICK,
};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

/// First byte = chunk size (0 = all at once), as the targets read it.
fn chunked(size: u8, stream: &[u8]) -> Vec<u8> {
    [&[size][..], stream].concat()
}

fn main() {
    // The exchange: ClientHello, server flight, client Finished + data.
    let (mut c, hello) = client();
    let mut s = server();
    s.handle_input(&hello, Instant::ZERO).unwrap();
    let server_flight = drain(&mut s);
    c.handle_input(&server_flight, Instant::ZERO).unwrap();
    let client_finished = drain(&mut c);
    assert!(!c.is_handshaking(), "client finished the handshake");
    c.send(b"hello").unwrap();
    let client_data = drain(&mut c);
    s.handle_input(&client_finished, Instant::ZERO).unwrap();
    s.handle_input(&client_data, Instant::ZERO).unwrap();
    s.send(b"world").unwrap();
    s.key_update(true).unwrap();
    s.close();
    let server_after = drain(&mut s);
    assert!(!s.is_handshaking(), "server finished the handshake");

    let client_stream = [hello.as_slice(), &client_finished, &client_data].concat();
    write(
        "server_input",
        "handshake_whole",
        &chunked(0, &client_stream),
    );
    write(
        "server_input",
        "handshake_by_7",
        &chunked(7, &client_stream),
    );
    write(
        "server_input",
        "rfc8448_client_hello",
        &chunked(0, &rfc8448::CLIENT_HELLO_RECORD),
    );

    let server_stream = [server_flight.as_slice(), &server_after].concat();
    write(
        "client_input",
        "handshake_whole",
        &chunked(0, &server_stream),
    );
    write(
        "client_input",
        "handshake_by_13",
        &chunked(13, &server_stream),
    );

    // TLS 1.2: the same client against a server limited to TLS 1.2 (for
    // client_input), and a TLS 1.2-only client against the same server
    // (for server_input).
    let (mut c, hello) = client();
    let mut config = embertls_fuzz::server_config();
    config.common.versions = VersionRange::TLS12_ONLY;
    let mut s12 = Connection::server(Arc::new(config), Instant::ZERO).unwrap();
    s12.handle_input(&hello, Instant::ZERO).unwrap();
    let flight12 = drain(&mut s12);
    c.handle_input(&flight12, Instant::ZERO).unwrap();
    let client12 = drain(&mut c);
    s12.handle_input(&client12, Instant::ZERO).unwrap();
    s12.send(b"world").unwrap();
    let server12_after = drain(&mut s12);
    assert!(
        !s12.is_handshaking(),
        "TLS 1.2 server finished the handshake"
    );
    write(
        "client_input",
        "tls12_handshake_whole",
        &chunked(0, &[flight12.as_slice(), &server12_after].concat()),
    );
    let mut config = embertls_fuzz::client_config();
    config.common.versions = VersionRange::TLS12_ONLY;
    let mut c12 = Connection::client(
        Arc::new(config),
        Some(embertls_fuzz::SERVER_NAME),
        Instant::ZERO,
    )
    .unwrap();
    let hello12 = drain(&mut c12);
    let mut s = server();
    s.handle_input(&hello12, Instant::ZERO).unwrap();
    let flight = drain(&mut s);
    c12.handle_input(&flight, Instant::ZERO).unwrap();
    let finished12 = drain(&mut c12);
    c12.send(b"hello").unwrap();
    let data12 = drain(&mut c12);
    write(
        "server_input",
        "tls12_handshake_by_11",
        &chunked(11, &[hello12.as_slice(), &finished12, &data12].concat()),
    );

    // record_layer: server side (even first byte) and client side (odd).
    write(
        "record_layer",
        "server_data_alert_keyupdate",
        &[
            0, // server side
            0, 23, 0, 5, b'h', b'e', b'l', b'l', b'o', // data record
            0, 21, 3, 2, 1, 0, // close_notify, 3 bytes of padding
            3, 1, // KeyUpdate, update_requested
            4, 4, b'd', b'a', b't', b'a', 9, // split data
            2, 22, 1, 24, 2, 7, // flipped handshake record
            1, 5, 23, 3, 3, 0, 0, // raw empty record
        ],
    );
    write(
        "record_layer",
        "client_data_keyupdate_close",
        &[
            1, // client side
            1, 3, b'a', b'b', b'c', // server data
            2, 1, // server KeyUpdate, requested
            0x11, 2, b'h', b'i', 3, 0x40, // flipped data
            3,    // close_notify
        ],
    );

    // handshake_messages: bodies of real messages.
    write(
        "handshake_messages",
        "client_hello",
        &rfc8448::CLIENT_HELLO[4..],
    );
    write(
        "handshake_messages",
        "server_hello",
        &rfc8448::SERVER_HELLO[4..],
    );
    write(
        "handshake_messages",
        "encrypted_extensions",
        &rfc8448::ENCRYPTED_EXTENSIONS[4..],
    );
    write(
        "handshake_messages",
        "certificate_verify",
        &rfc8448::CERTIFICATE_VERIFY[4..],
    );
    write(
        "handshake_messages",
        "new_session_ticket",
        &rfc8448::NEW_SESSION_TICKET[4..],
    );
    write(
        "handshake_messages",
        "certificate_request",
        &[0, 0, 0x0a, 0, 0x0d, 0, 6, 0, 4, 4, 3, 8, 4],
    );
    write(
        "handshake_messages",
        "certificate",
        &rfc8448::CERTIFICATE[4..],
    );
    write("handshake_messages", "key_update", &[1]);

    // dtls_input: a real DTLS exchange with cookies; each side's seed is
    // what the other sent it.
    let (mut c, first) = dtls_client();
    let mut s = dtls_server(true);
    let (mut to_server, mut to_client) = (first, Vec::new());
    let mut delivered = (0, 0);
    for _ in 0..20 {
        for d in &to_server[delivered.0..] {
            s.handle_input(d, Instant::ZERO).unwrap();
        }
        delivered.0 = to_server.len();
        to_client.extend(drain_datagrams(&mut s));
        for d in &to_client[delivered.1..] {
            c.handle_input(d, Instant::ZERO).unwrap();
        }
        delivered.1 = to_client.len();
        to_server.extend(drain_datagrams(&mut c));
        if !c.is_handshaking() && !s.is_handshaking() && delivered.0 == to_server.len() {
            break;
        }
    }
    assert!(!c.is_handshaking() && !s.is_handshaking(), "DTLS handshake");
    c.send(b"hello").unwrap();
    to_server.extend(drain_datagrams(&mut c));
    // The seeds replay: fresh connections fed them finish the handshake.
    let mut replay = dtls_server(true);
    feed_datagrams(&mut replay, &encode_datagrams(&to_server));
    assert!(!replay.is_handshaking(), "server seed replays");
    let mut replay = dtls_client().0;
    feed_datagrams(&mut replay, &encode_datagrams(&to_client));
    assert!(!replay.is_handshaking(), "client seed replays");
    let tick = TICK.to_be_bytes().to_vec();
    write(
        "dtls_input",
        "server_handshake",
        &[&[0u8][..], &encode_datagrams(&to_server)].concat(),
    );
    write(
        "dtls_input",
        "client_handshake",
        &[&[1u8][..], &encode_datagrams(&to_client)].concat(),
    );
    write(
        "dtls_input",
        "client_retransmits",
        &[&[1u8][..], &tick, &tick, &encode_datagrams(&to_client)].concat(),
    );
    println!("seeds written under fuzz/seeds/");
}
