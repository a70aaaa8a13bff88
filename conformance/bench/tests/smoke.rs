//! Keeps the benchmark honest without timing anything: every contender
//! does each benchmarked operation once, and the data must arrive intact.

use embertls_bench::{
    all_contenders, Missing, Resumption12, ServerKey, Suite, Suite12, RECORD, TAG_LEN,
};

/// A recognisable 16 KiB record.
fn pattern(seed: u8) -> Vec<u8> {
    (0..RECORD)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn every_contender_has_a_distinct_name() {
    let names: Vec<String> = all_contenders()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    for (i, name) in names.iter().enumerate() {
        assert!(!names[..i].contains(name), "{name} twice");
    }
    assert!(names
        .iter()
        .any(|n| n == embertls_bench::contenders::REFERENCE));
}

#[test]
fn full_handshakes() {
    for contender in all_contenders() {
        for key in [ServerKey::P256, ServerKey::Rsa2048] {
            let mut handshaker = contender
                .full(key)
                .unwrap_or_else(|e| panic!("{} {key:?}: {e}", contender.name()));
            for _ in 0..2 {
                handshaker
                    .connect()
                    .unwrap_or_else(|e| panic!("{} {key:?}: {e}", contender.name()));
            }
        }
    }
}

#[test]
fn resumed_handshakes() {
    for contender in all_contenders() {
        // Each resumed handshake checks it was resumed and takes the next
        // ticket, so three in a row use three different tickets.
        let mut handshaker = contender
            .resumed()
            .unwrap_or_else(|e| panic!("{}: {e}", contender.name()));
        for _ in 0..3 {
            handshaker
                .connect()
                .unwrap_or_else(|e| panic!("{}: {e}", contender.name()));
        }
    }
}

#[test]
fn bulk_data_arrives_intact() {
    for contender in all_contenders() {
        for suite in Suite::ALL {
            let mut bulk = contender
                .bulk(suite)
                .unwrap_or_else(|e| panic!("{} {suite:?}: {e}", contender.name()));
            for seed in 0..3 {
                let sent = pattern(seed);
                let mut received = Vec::new();
                bulk.transfer(&sent, &mut |d| received.extend_from_slice(d))
                    .unwrap_or_else(|e| panic!("{} {suite:?}: {e}", contender.name()));
                assert!(
                    received == sent,
                    "{} {suite:?}: {} bytes arrived, not the {} sent",
                    contender.name(),
                    received.len(),
                    sent.len()
                );
            }
        }
    }
}

#[test]
fn raw_primitives_work() {
    for contender in all_contenders() {
        let name = contender.name().to_string();
        for suite in Suite::ALL {
            if let Some(aead) = contender.raw_aead(suite) {
                let mut aead = aead.unwrap_or_else(|e| panic!("{name} {suite:?}: {e}"));
                let plaintext = pattern(7);
                let mut buf = plaintext.clone();
                buf.resize(RECORD + TAG_LEN, 0);
                for _ in 0..2 {
                    aead(&mut buf).unwrap_or_else(|e| panic!("{name} {suite:?}: {e}"));
                    assert_eq!(&buf[..RECORD], &plaintext[..], "{name} {suite:?}");
                }
            }
        }
        for key in [ServerKey::P256, ServerKey::Rsa2048] {
            if let Some(op) = contender.raw_sign(key) {
                let mut op = op.unwrap_or_else(|e| panic!("{name} {key:?}: {e}"));
                op().unwrap_or_else(|e| panic!("{name} {key:?}: {e}"));
            }
        }
        if let Some(op) = contender.raw_x25519() {
            let mut op = op.unwrap_or_else(|e| panic!("{name} X25519: {e}"));
            op().unwrap_or_else(|e| panic!("{name} X25519: {e}"));
        }
    }
}

/// Only the CBC suite may be missing, and only where the contender or its
/// backend has no CBC (rustls; embertls on a backend without it).
fn allowed_missing(name: &str, what: &str, missing: Missing) {
    match missing {
        Missing::Unsupported(why) => assert!(
            what.contains("Cbc"),
            "{name} {what}: unsupported ({why}); only CBC may be"
        ),
        Missing::Error(e) => panic!("{name} {what}: {e}"),
    }
}

#[test]
fn tls12_full_handshakes() {
    for contender in all_contenders() {
        for key in [ServerKey::P256, ServerKey::Rsa2048] {
            let name = contender.name();
            let mut handshaker = contender
                .tls12_full(key)
                .unwrap_or_else(|e| panic!("{name} TLS 1.2 {key:?}: {e}"));
            for _ in 0..2 {
                handshaker
                    .connect()
                    .unwrap_or_else(|e| panic!("{name} TLS 1.2 {key:?}: {e}"));
            }
        }
    }
}

#[test]
fn tls12_resumed_handshakes() {
    for contender in all_contenders() {
        for how in Resumption12::ALL {
            let name = contender.name();
            // Each connect checks the handshake was resumed.
            let mut handshaker = contender
                .tls12_resumed(how)
                .unwrap_or_else(|e| panic!("{name} TLS 1.2 {how:?}: {e}"));
            for _ in 0..3 {
                handshaker
                    .connect()
                    .unwrap_or_else(|e| panic!("{name} TLS 1.2 {how:?}: {e}"));
            }
        }
    }
}

#[test]
fn tls12_bulk_data_arrives_intact() {
    let mut cbc = 0;
    for contender in all_contenders() {
        let name = contender.name().to_string();
        for suite in Suite12::ALL {
            let mut bulk = match contender.tls12_bulk(suite) {
                Ok(bulk) => bulk,
                Err(missing) => {
                    allowed_missing(&name, &format!("{suite:?}"), missing);
                    continue;
                }
            };
            if suite == Suite12::Aes128CbcSha256 {
                cbc += 1;
            }
            for seed in 0..3 {
                let sent = pattern(seed);
                let mut received = Vec::new();
                bulk.transfer(&sent, &mut |d| received.extend_from_slice(d))
                    .unwrap_or_else(|e| panic!("{name} TLS 1.2 {suite:?}: {e}"));
                assert!(
                    received == sent,
                    "{name} TLS 1.2 {suite:?}: {} bytes arrived, not the {} sent",
                    received.len(),
                    sent.len()
                );
            }
        }
    }
    // embertls on RustCrypto and on OpenSSL, and OpenSSL itself.
    assert!(cbc >= 3, "the CBC row has {cbc} contenders");
}

/// Only rustls may lack DTLS, and only as "not supported".
fn dtls_missing_allowed(name: &str, what: &str, missing: Missing) {
    match missing {
        Missing::Unsupported(why) => assert!(
            name == embertls_bench::contenders::REFERENCE,
            "{name} {what}: unsupported ({why}); only rustls may be"
        ),
        Missing::Error(e) => panic!("{name} {what}: {e}"),
    }
}

#[test]
fn dtls12_full_handshakes() {
    let mut measured = 0;
    for contender in all_contenders() {
        let name = contender.name();
        // Setup runs one handshake and checks it had a HelloVerifyRequest.
        let mut handshaker = match contender.dtls12_full() {
            Ok(h) => h,
            Err(missing) => {
                dtls_missing_allowed(name, "DTLS handshake", missing);
                continue;
            }
        };
        measured += 1;
        for _ in 0..2 {
            handshaker
                .connect()
                .unwrap_or_else(|e| panic!("{name} DTLS 1.2: {e}"));
        }
    }
    // Three embertls backends and OpenSSL.
    assert!(
        measured >= 4,
        "the DTLS handshake row has {measured} contenders"
    );
}

#[test]
fn dtls12_bulk_data_arrives_intact() {
    let mut measured = 0;
    for contender in all_contenders() {
        let name = contender.name().to_string();
        for suite in Suite12::DTLS {
            let mut bulk = match contender.dtls12_bulk(suite) {
                Ok(bulk) => bulk,
                Err(missing) => {
                    dtls_missing_allowed(&name, &format!("DTLS {suite:?}"), missing);
                    continue;
                }
            };
            measured += 1;
            for seed in 0..3 {
                let sent = pattern(seed);
                let mut received = Vec::new();
                bulk.transfer(&sent, &mut |d| received.extend_from_slice(d))
                    .unwrap_or_else(|e| panic!("{name} DTLS 1.2 {suite:?}: {e}"));
                assert!(
                    received == sent,
                    "{name} DTLS 1.2 {suite:?}: {} bytes arrived, not the {} sent",
                    received.len(),
                    sent.len()
                );
            }
        }
    }
    assert!(measured >= 8, "the DTLS bulk rows have {measured} cells");
}
