//! Established TLS 1.3 connections fed byte streams, to exercise the
//! record layer after the handshake: decryption, the padding scan, inner
//! content types, alerts, KeyUpdate.
//!
//! The first byte picks the side:
//!
//! * even: our server, after a handshake with a scripted client (RFC 8448's
//!   ClientHello and key) whose application keys are known. The rest of the
//!   input is a list of operations, so records *authenticate* and carry any
//!   inner content type, padding and payload the fuzzer chooses, besides
//!   raw and bit-flipped records.
//! * odd: our client, after a handshake with our server over the `Pair`
//!   harness; the input mixes raw bytes with records our server really sent
//!   (data, KeyUpdate, close_notify), optionally bit-flipped or cut.
#![no_main]

use embertls::msgs::enums::ContentType;
use embertls::{Connection, Instant};
use embertls_conformance::testkit::rfc8448::{CLIENT_HELLO, CLIENT_PRIVATE};
use embertls_conformance::testkit::scripted::ScriptedClient;
use embertls_conformance::testkit::Pair;
use embertls_fuzz::{client_config, drain, provider, server, server_config, SERVER_NAME};
use libfuzzer_sys::fuzz_target;

/// Reads the operation list.
struct Ops<'a>(&'a [u8]);

impl<'a> Ops<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn take(&mut self, len: usize) -> &'a [u8] {
        let len = len.min(self.0.len());
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        head
    }

    /// A length: one byte, or with the top bit set two (up to 32 KiB).
    fn len(&mut self) -> usize {
        let b = self.byte().unwrap_or(0) as usize;
        if b & 0x80 == 0 {
            b
        } else {
            ((b & 0x7f) << 8) | self.byte().unwrap_or(0) as usize
        }
    }
}

fn mutate(record: &mut Vec<u8>, ops: &mut Ops<'_>) {
    let at = ops.len();
    let xor = ops.byte().unwrap_or(0);
    if !record.is_empty() && xor != 0 {
        let at = at % record.len();
        record[at] ^= xor;
    }
}

/// Feeds and drains; false once the connection failed.
fn feed(conn: &mut Connection, bytes: &[u8]) -> bool {
    let ok = conn.handle_input(bytes, Instant::ZERO).is_ok();
    drain(conn);
    ok
}

fn server_side(mut ops: Ops<'_>) {
    let mut server = server();
    let mut client = ScriptedClient::new(provider(0xc1), &CLIENT_HELLO, CLIENT_PRIVATE);
    server
        .handle_input(&client.client_hello_record(), Instant::ZERO)
        .expect("ClientHello");
    let flight = drain(&mut server);
    client.read_server_flight(&flight).expect("server flight");
    let finished = client.finished_record();
    server
        .handle_input(&finished, Instant::ZERO)
        .expect("Finished");
    drain(&mut server);
    assert!(!server.is_handshaking());

    while let Some(op) = ops.byte() {
        let alive = match op % 6 {
            // A well-protected record: any inner type, padding, payload.
            0 => {
                let typ = ContentType(ops.byte().unwrap_or(23));
                let padding = ops.len();
                let len = ops.len();
                let payload = ops.take(len);
                let record = client.seal(typ, payload, padding);
                feed(&mut server, &record)
            }
            // Raw bytes.
            1 => {
                let len = ops.len();
                let raw = ops.take(len);
                feed(&mut server, raw)
            }
            // A protected record with one byte flipped.
            2 => {
                let typ = ContentType(ops.byte().unwrap_or(23));
                let len = ops.len();
                let payload = ops.take(len);
                let mut record = client.seal(typ, payload, 0);
                mutate(&mut record, &mut ops);
                feed(&mut server, &record)
            }
            // A KeyUpdate from us (our write keys move on).
            3 => {
                let request = ops.byte().unwrap_or(0) & 1;
                let record = client.seal(ContentType::Handshake, &[24, 0, 0, 1, request], 0);
                client.update_write_keys();
                feed(&mut server, &record)
            }
            // Application data split across two calls.
            4 => {
                let len = ops.len();
                let payload = ops.take(len);
                let record = client.seal(ContentType::ApplicationData, payload, 0);
                let cut = ops.len().min(record.len());
                feed(&mut server, &record[..cut]) && feed(&mut server, &record[cut..])
            }
            // The server speaks; we drop what it says.
            _ => {
                let len = ops.len();
                let _ = server.send(ops.take(len));
                if ops.byte().unwrap_or(0) & 1 == 1 {
                    let _ = server.key_update(false);
                }
                drain(&mut server);
                true
            }
        };
        if !alive {
            assert!(server
                .handle_input(&[23, 3, 3, 0, 0], Instant::ZERO)
                .is_err());
            return;
        }
    }
}

fn client_side(mut ops: Ops<'_>) {
    let mut pair = Pair::new(client_config(), server_config(), Some(SERVER_NAME)).expect("pair");
    pair.handshake().expect("handshake");
    while let Some(op) = ops.byte() {
        let mut bytes = match op % 4 {
            0 => {
                let len = ops.len();
                ops.take(len).to_vec()
            }
            1 => {
                let len = ops.len();
                let _ = pair.server.send(ops.take(len));
                drain(&mut pair.server)
            }
            2 => {
                let request = ops.byte().unwrap_or(0) & 1 == 1;
                let _ = pair.server.key_update(request);
                drain(&mut pair.server)
            }
            _ => {
                pair.server.close();
                drain(&mut pair.server)
            }
        };
        if op & 0x10 != 0 {
            mutate(&mut bytes, &mut ops);
        }
        if op & 0x20 != 0 {
            let keep = ops.len().min(bytes.len());
            bytes.truncate(keep);
        }
        if !feed(&mut pair.client, &bytes) {
            return;
        }
        // What the client answers (a KeyUpdate, say) goes back to the server.
        let answer = drain(&mut pair.client);
        if !answer.is_empty() {
            let _ = pair.server.handle_input(&answer, Instant::ZERO);
            drain(&mut pair.server);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        server_side(Ops(rest));
    } else {
        client_side(Ops(rest));
    }
});
