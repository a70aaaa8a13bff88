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
//! * top bit set: TLS 1.2 record protection alone (`__testing::Tls12Keys`):
//!   AES-GCM, ChaCha20-Poly1305, or CBC with HMAC-SHA256/384 in
//!   encrypt-then-MAC or MAC-then-encrypt mode. The CBC "cipher" is a keyed
//!   XOR chain, so raw records the fuzzer writes decrypt to plaintext it
//!   can steer (padding bytes, MAC position); opening must never panic and
//!   sealed records must open to what was sealed.
#![no_main]

use std::sync::Arc;

use embertls::__testing::Tls12Keys;
use embertls::crypto::{AeadAlgorithm, CbcKey, CryptoProvider};
use embertls::error::CryptoError;
use embertls::msgs::enums::{ContentType, HashAlgorithm};
use embertls::{Connection, Error, Instant};
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

/// A cheap invertible stand-in for AES-CBC: each block is XORed with the
/// previous ciphertext block (the IV first) and the key. The record layer's
/// padding and MAC handling do not care what the cipher is.
struct XorChain([u8; 16]);

impl CbcKey for XorChain {
    fn encrypt_in_place(&self, iv: &[u8; 16], in_out: &mut [u8]) -> Result<(), CryptoError> {
        if in_out.len() % 16 != 0 {
            return Err(CryptoError::Other);
        }
        let mut prev = *iv;
        for block in in_out.chunks_mut(16) {
            for ((b, p), k) in block.iter_mut().zip(prev).zip(self.0) {
                *b ^= p ^ k;
            }
            prev.copy_from_slice(block);
        }
        Ok(())
    }

    fn decrypt_in_place(&self, iv: &[u8; 16], in_out: &mut [u8]) -> Result<(), CryptoError> {
        if in_out.len() % 16 != 0 {
            return Err(CryptoError::Other);
        }
        let mut prev = *iv;
        for block in in_out.chunks_mut(16) {
            let this: [u8; 16] = block.try_into().expect("16-byte block");
            for ((b, p), k) in block.iter_mut().zip(prev).zip(self.0) {
                *b ^= p ^ k;
            }
            prev = this;
        }
        Ok(())
    }
}

/// One direction's TLS 1.2 keys of kind `kind`, fresh at record `seq`.
fn tls12_keys(provider: &Arc<CryptoProvider>, kind: u8, seq: u64) -> Tls12Keys {
    let aead = |alg: AeadAlgorithm, iv: &[u8]| {
        let key = provider
            .aead(alg)
            .expect("AEAD in the provider")
            .new_key(&[0x3c; 32][..alg.key_len()])
            .expect("AEAD key");
        Tls12Keys::aead(alg, key, iv).expect("AEAD keys")
    };
    let cbc = |mac: HashAlgorithm, etm: bool| {
        let hmac = provider.hmac(mac).expect("HMAC in the provider");
        Tls12Keys::cbc(
            Box::new(XorChain([0xa5; 16])),
            hmac.with_key(&[0x17; 48][..hmac.output_len()]),
            mac,
            etm,
            provider.random.clone(),
        )
        .expect("CBC keys")
    };
    let keys = match kind % 6 {
        0 => aead(AeadAlgorithm::Aes128Gcm, &[1, 2, 3, 4]),
        1 => aead(AeadAlgorithm::Aes256Gcm, &[5, 6, 7, 8]),
        2 => aead(AeadAlgorithm::ChaCha20Poly1305, &[9; 12]),
        3 => cbc(HashAlgorithm::SHA256, true),
        4 => cbc(HashAlgorithm::SHA256, false),
        _ => cbc(HashAlgorithm::SHA384, false),
    };
    keys.with_sequence(seq)
}

fn tls12(mut ops: Ops<'_>) {
    let provider = provider(0x12);
    let kind = ops.byte().unwrap_or(0);
    let mut tx = tls12_keys(&provider, kind, 0);
    let mut rx = tls12_keys(&provider, kind, 0);
    while let Some(op) = ops.byte() {
        // Change cipher spec, alert, handshake or application data: what a
        // record header may carry (raw records take any byte below).
        let type_byte = ops.byte().unwrap_or(23);
        let typ = ContentType(20 + type_byte % 4);
        let len = ops.len().min(16_384);
        let payload = ops.take(len);
        let opened = match op % 4 {
            // A sealed record opens to what was sealed.
            0 => {
                let record = tx.seal(typ, payload).expect("seal");
                let (got_type, got) = rx.open(&record).expect("open what was sealed");
                assert_eq!((got_type, &got[..]), (typ, payload));
                continue;
            }
            // Raw bytes as a record body, under a header that matches.
            1 => {
                let mut record = vec![type_byte, 3, 3];
                record.extend_from_slice(&(payload.len() as u16).to_be_bytes());
                record.extend_from_slice(payload);
                rx.open(&record)
            }
            // A sealed record with one byte flipped.
            2 => {
                let mut record = tx.seal(typ, payload).expect("seal");
                mutate(&mut record, &mut ops);
                rx.open(&record)
            }
            // A sealed record cut short (header length fixed up).
            _ => {
                let mut record = tx.seal(typ, payload).expect("seal");
                let keep = ops.len().min(record.len());
                record.truncate(keep.max(5));
                let body = (record.len() - 5) as u16;
                record[3..5].copy_from_slice(&body.to_be_bytes());
                rx.open(&record)
            }
        };
        match opened {
            // The peer could have sent exactly these bytes.
            Ok(_) => {}
            Err(e) => {
                // Every failure is one of these, never anything else.
                assert!(
                    matches!(
                        e,
                        Error::DecryptFailed | Error::RecordOverflow | Error::InvalidMessage(_)
                    ),
                    "{e:?}"
                );
                // A connection would be dead; carry on with fresh keys.
                rx = tls12_keys(&provider, kind, tx.sequence());
            }
        }
        if rx.sequence() != tx.sequence() {
            rx = tls12_keys(&provider, kind, tx.sequence());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 0x80 != 0 {
        tls12(Ops(rest));
    } else if mode & 1 == 0 {
        server_side(Ops(rest));
    } else {
        client_side(Ops(rest));
    }
});
