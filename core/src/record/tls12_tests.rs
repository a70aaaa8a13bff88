//! Tests of TLS 1.2 record protection. Expected records are built here
//! with the `aes`, `hmac`, `aes-gcm` and `chacha20poly1305` crates directly,
//! not through the record code.

use super::*;
use crate::record::{RecordLayer, MAX_TLS12_CIPHERTEXT_LEN};
use crate::suites::TLS12_SUITES;
use crate::test_support::record_provider;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

const V12: ProtocolVersion = ProtocolVersion::TLSv1_2;

/// A "random" source that always gives the same IV, for known answers.
struct FixedRandom([u8; 16]);

impl SecureRandom for FixedRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
        dest.copy_from_slice(&self.0[..dest.len()]);
        Ok(())
    }
}

fn key_block(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Both directions of `suite` from one key block, twice: a sender's and a
/// receiver's copy.
fn pairs(suite: &SuiteInfo, etm: bool) -> (Tls12KeyPair, Tls12KeyPair) {
    let provider = record_provider();
    let block = key_block(tls12_key_block_len(suite), 0x42);
    (
        tls12_record_keys(suite, &provider, &block, etm, V12).unwrap(),
        tls12_record_keys(suite, &provider, &block, etm, V12).unwrap(),
    )
}

/// One representative suite per bulk kind (and MAC hash).
fn suites() -> Vec<&'static SuiteInfo> {
    let mut seen: Vec<Bulk> = Vec::new();
    TLS12_SUITES
        .iter()
        .filter(|s| {
            let new = !seen.contains(&s.bulk);
            seen.push(s.bulk);
            new
        })
        .collect()
}

fn modes(suite: &SuiteInfo) -> &'static [bool] {
    match suite.bulk {
        Bulk::Aead(_) => &[true],
        Bulk::Cbc { .. } => &[true, false],
    }
}

#[test]
fn every_bulk_kind_is_covered() {
    // GCM x2, ChaCha20, CCM x2, CCM-8 x2, CBC: AES-128/256 with SHA-1,
    // AES-128 and AES-256 with SHA-256, AES-256 with SHA-384.
    assert_eq!(suites().len(), 12);
}

#[test]
fn round_trips_for_every_suite_and_mode() {
    for suite in suites() {
        for &etm in modes(suite) {
            let (mut tx, mut rx) = pairs(suite, etm);
            for len in [
                0usize,
                1,
                15,
                16,
                17,
                31,
                32,
                33,
                100,
                1000,
                MAX_PLAINTEXT_LEN,
            ] {
                let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
                let mut out = BytesMut::new();
                out.put_slice(b"before");
                tx.client_write
                    .seal(&mut out, ContentType::ApplicationData, &payload)
                    .unwrap();
                let mut record = out[6..].to_vec();
                assert_eq!(&record[..3], &[23, 3, 3]);
                let (typ, range) = rx.client_write.open(&mut record).unwrap();
                assert_eq!(typ, ContentType::ApplicationData, "{}", suite.iana_name);
                assert_eq!(&record[range], &payload[..], "{} {etm}", suite.iana_name);
            }
            // The other direction has other keys.
            let mut out = BytesMut::new();
            tx.server_write
                .seal(&mut out, ContentType::Handshake, b"server")
                .unwrap();
            let mut record = out.to_vec();
            let mut wrong = pairs(suite, etm).0.client_write;
            assert_eq!(
                wrong.open(&mut record.clone()).unwrap_err(),
                Error::DecryptFailed
            );
            let (typ, range) = rx.server_write.open(&mut record).unwrap();
            assert_eq!(
                (typ, &record[range]),
                (ContentType::Handshake, &b"server"[..])
            );
            assert_eq!(tx.client_write.sequence(), 11);
            assert_eq!(rx.client_write.sequence(), 11);
        }
    }
}

#[test]
fn record_sizes_match_the_rfcs() {
    let expect = |suite: &SuiteInfo, etm: bool, len: usize| -> usize {
        match suite.bulk {
            Bulk::Aead(AeadAlgorithm::ChaCha20Poly1305) => len + 16,
            Bulk::Aead(alg) => 8 + len + alg.tag_len(),
            Bulk::Cbc { mac, .. } => {
                let mac_len = MacShape::of(mac).unwrap().out_len;
                if etm {
                    16 + (len / 16 + 1) * 16 + mac_len
                } else {
                    16 + ((len + mac_len) / 16 + 1) * 16
                }
            }
        }
    };
    for suite in suites() {
        for &etm in modes(suite) {
            let (mut tx, _) = pairs(suite, etm);
            for len in [0usize, 5, 16, 300] {
                let mut out = BytesMut::new();
                tx.client_write
                    .seal(&mut out, ContentType::ApplicationData, &vec![1; len])
                    .unwrap();
                let body = expect(suite, etm, len);
                assert_eq!(out.len(), 5 + body, "{} {len}", suite.iana_name);
                assert_eq!(usize::from(u16::from_be_bytes([out[3], out[4]])), body);
            }
        }
    }
}

#[test]
fn key_block_lengths() {
    let len = |name: &str| tls12_key_block_len(crate::suites::by_name(name).unwrap());
    assert_eq!(len("ECDHE-RSA-AES128-GCM-SHA256"), 2 * (16 + 4));
    assert_eq!(len("ECDHE-ECDSA-AES256-GCM-SHA384"), 2 * (32 + 4));
    assert_eq!(len("ECDHE-RSA-CHACHA20-POLY1305"), 2 * (32 + 12));
    assert_eq!(len("ECDHE-ECDSA-AES128-CCM8"), 2 * (16 + 4));
    assert_eq!(len("ECDHE-RSA-AES128-SHA"), 2 * (20 + 16));
    assert_eq!(len("ECDHE-RSA-AES256-SHA384"), 2 * (48 + 32));
    assert_eq!(len("TLS_AES_128_GCM_SHA256"), 0);

    let provider = record_provider();
    let suite = crate::suites::by_name("ECDHE-RSA-AES128-SHA256").unwrap();
    let n = tls12_key_block_len(suite);
    for wrong in [0, n - 1, n + 1] {
        assert!(tls12_record_keys(suite, &provider, &vec![0; wrong], true, V12).is_err());
    }
    let tls13 = crate::suites::by_name("TLS_AES_128_GCM_SHA256").unwrap();
    assert!(tls12_record_keys(tls13, &provider, &[0; 40], true, V12).is_err());
}

// ---- Independent reference code ----------------------------------------

fn hmac_ref(alg: HashAlgorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    use hmac::Mac;
    macro_rules! run {
        ($d:ty) => {{
            let mut m = <hmac::Hmac<$d> as Mac>::new_from_slice(key).unwrap();
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }};
    }
    match alg {
        HashAlgorithm::SHA1 => run!(sha1::Sha1),
        HashAlgorithm::SHA256 => run!(sha2::Sha256),
        _ => run!(sha2::Sha384),
    }
}

/// CBC encryption block by block with the bare AES block cipher.
fn cbc_encrypt_ref(key: &[u8], iv: [u8; 16], data: &mut [u8]) {
    use aes::cipher::{BlockEncrypt, KeyInit};
    let mut prev = iv;
    for chunk in data.chunks_mut(16) {
        for (c, p) in chunk.iter_mut().zip(prev) {
            *c ^= p;
        }
        let block = aes::cipher::generic_array::GenericArray::from_mut_slice(chunk);
        match key.len() {
            16 => aes::Aes128::new_from_slice(key)
                .unwrap()
                .encrypt_block(block),
            _ => aes::Aes256::new_from_slice(key)
                .unwrap()
                .encrypt_block(block),
        }
        prev.copy_from_slice(chunk);
    }
}

struct CbcRef<'a> {
    key: &'a [u8],
    mac_key: &'a [u8],
    mac: HashAlgorithm,
    iv: [u8; 16],
}

impl CbcRef<'_> {
    fn pseudo(seq: u64, typ: u8, len: usize) -> Vec<u8> {
        let mut v = seq.to_be_bytes().to_vec();
        v.extend_from_slice(&[typ, 3, 3]);
        v.extend_from_slice(&(len as u16).to_be_bytes());
        v
    }

    /// A record with `pad` as the padding length byte (pad + 1 padding
    /// bytes, each `pad_byte(i)`); `content` must make it block-aligned.
    fn record(
        &self,
        etm: bool,
        seq: u64,
        typ: u8,
        content: &[u8],
        pad: u8,
        pad_byte: impl Fn(usize) -> u8,
    ) -> Vec<u8> {
        let mut plain = content.to_vec();
        if !etm {
            let mac = hmac_ref(
                self.mac,
                self.mac_key,
                &[&Self::pseudo(seq, typ, content.len()), content],
            );
            plain.extend_from_slice(&mac);
        }
        plain.extend((0..usize::from(pad)).map(&pad_byte));
        plain.push(pad);
        assert_eq!(plain.len() % 16, 0, "test record not block aligned");
        cbc_encrypt_ref(self.key, self.iv, &mut plain);
        let mut body = self.iv.to_vec();
        body.extend_from_slice(&plain);
        if etm {
            let mac = hmac_ref(
                self.mac,
                self.mac_key,
                &[&Self::pseudo(seq, typ, body.len()), &body],
            );
            body.extend_from_slice(&mac);
        }
        let mut record = vec![typ, 3, 3];
        record.extend_from_slice(&(body.len() as u16).to_be_bytes());
        record.extend_from_slice(&body);
        record
    }
}

fn cbc_keys(
    cipher: CbcAlgorithm,
    key: &[u8],
    mac: HashAlgorithm,
    mac_key: &[u8],
    mode: CbcMode,
    iv: [u8; 16],
) -> Tls12RecordKeys {
    let provider = record_provider();
    Tls12RecordKeys::cbc(
        provider.cbc(cipher).unwrap().new_key(key).unwrap(),
        provider.hmac(mac).unwrap().with_key(mac_key),
        mac,
        mode,
        Arc::new(FixedRandom(iv)),
        V12,
    )
    .unwrap()
}

const CBC_CASES: &[(CbcAlgorithm, HashAlgorithm)] = &[
    (CbcAlgorithm::Aes128Cbc, HashAlgorithm::SHA1),
    (CbcAlgorithm::Aes256Cbc, HashAlgorithm::SHA1),
    (CbcAlgorithm::Aes128Cbc, HashAlgorithm::SHA256),
    (CbcAlgorithm::Aes256Cbc, HashAlgorithm::SHA384),
];

fn mac_len(mac: HashAlgorithm) -> usize {
    MacShape::of(mac).unwrap().out_len
}

#[test]
fn cbc_records_match_independent_code() {
    let key = [0x11u8; 32];
    let mac_key = [0x22u8; 48];
    let iv = [0x33u8; 16];
    for &(cipher, mac) in CBC_CASES {
        let key = &key[..cipher.key_len()];
        let mac_key = &mac_key[..mac_len(mac)];
        let reference = CbcRef {
            key,
            mac_key,
            mac,
            iv,
        };
        for (mode, etm) in [
            (CbcMode::EncryptThenMac, true),
            (CbcMode::MacThenEncrypt, false),
        ] {
            let mut keys = cbc_keys(cipher, key, mac, mac_key, mode, iv).with_sequence(5);
            for content_len in [0usize, 1, 16, 40, 77] {
                let content: Vec<u8> = (0..content_len as u8).collect();
                let mut out = BytesMut::new();
                let seq = keys.sequence();
                keys.seal(&mut out, ContentType::Handshake, &content)
                    .unwrap();
                let unpadded = content_len + if etm { 0 } else { mac_len(mac) };
                let pad = (15 - unpadded % 16) as u8;
                let expected = reference.record(etm, seq, 22, &content, pad, |_| pad);
                assert_eq!(&out[..], &expected[..], "{cipher:?} {mac:?} {mode:?}");
            }
        }
    }
}

#[test]
fn aead_records_match_independent_code() {
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    fn seal_ref(aead: impl AeadInPlace, nonce: &[u8], aad: &[u8], msg: &[u8]) -> Vec<u8> {
        let mut buf = msg.to_vec();
        let tag = aead
            .encrypt_in_place_detached(nonce.into(), aad, &mut buf)
            .unwrap();
        buf.extend_from_slice(&tag);
        buf
    }
    let provider = record_provider();
    let key = [0x5au8; 32];
    let iv: Vec<u8> = (1..=12).collect();
    let content = b"known answer";
    let seq = 0x0102_0304_0506_0708u64;
    let mut aad = seq.to_be_bytes().to_vec();
    aad.extend_from_slice(&[23, 3, 3, 0, content.len() as u8]);

    // AES-128-GCM: salt || explicit nonce (the sequence number).
    let mut nonce = iv[..4].to_vec();
    nonce.extend_from_slice(&seq.to_be_bytes());
    let ct = seal_ref(
        aes_gcm::Aes128Gcm::new_from_slice(&key[..16]).unwrap(),
        &nonce,
        &aad,
        content,
    );
    let mut expected = vec![23, 3, 3, 0, (8 + ct.len()) as u8];
    expected.extend_from_slice(&seq.to_be_bytes());
    expected.extend_from_slice(&ct);
    let alg = AeadAlgorithm::Aes128Gcm;
    let aead_key = provider.aead(alg).unwrap().new_key(&key[..16]).unwrap();
    let mut keys = Tls12RecordKeys::aead(alg, aead_key, &iv[..4], V12)
        .unwrap()
        .with_sequence(seq);
    let mut out = BytesMut::new();
    keys.seal(&mut out, ContentType::ApplicationData, content)
        .unwrap();
    assert_eq!(&out[..], &expected[..]);

    // ChaCha20-Poly1305: IV XOR sequence number, no explicit nonce.
    let mut nonce = iv.clone();
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    let ct = seal_ref(
        chacha20poly1305::ChaCha20Poly1305::new_from_slice(&key).unwrap(),
        &nonce,
        &aad,
        content,
    );
    let mut expected = vec![23, 3, 3, 0, ct.len() as u8];
    expected.extend_from_slice(&ct);
    let alg = AeadAlgorithm::ChaCha20Poly1305;
    let aead_key = provider.aead(alg).unwrap().new_key(&key).unwrap();
    let mut keys = Tls12RecordKeys::aead(alg, aead_key, &iv, V12)
        .unwrap()
        .with_sequence(seq);
    let mut out = BytesMut::new();
    keys.seal(&mut out, ContentType::ApplicationData, content)
        .unwrap();
    assert_eq!(&out[..], &expected[..]);

    // Opening takes the explicit nonce from the record, not the sequence.
    let alg = AeadAlgorithm::Aes128Ccm8;
    let mk = || {
        let k = provider.aead(alg).unwrap().new_key(&key[..16]).unwrap();
        Tls12RecordKeys::aead(alg, k, &iv[..4], V12).unwrap()
    };
    let mut out = BytesMut::new();
    mk().with_sequence(9)
        .seal(&mut out, ContentType::ApplicationData, content)
        .unwrap();
    assert_eq!(out.len(), 5 + 8 + content.len() + 8);
    // Same explicit nonce, but the AAD's sequence number differs.
    assert_eq!(
        mk().with_sequence(8).open(&mut out.to_vec()).unwrap_err(),
        Error::DecryptFailed
    );
    let mut record = out.to_vec();
    let (_, range) = mk().with_sequence(9).open(&mut record).unwrap();
    assert_eq!(&record[range], content);
}

/// Every padding length, for both CBC modes, from independently built
/// records; then the same records with one padding byte wrong.
#[test]
fn every_padding_length_is_accepted_and_checked() {
    let key = [0x44u8; 32];
    let mac_key = [0x55u8; 48];
    let iv = [0x66u8; 16];
    for &(cipher, mac) in CBC_CASES {
        let key = &key[..cipher.key_len()];
        let mac_key = &mac_key[..mac_len(mac)];
        let reference = CbcRef {
            key,
            mac_key,
            mac,
            iv,
        };
        for (mode, etm) in [
            (CbcMode::EncryptThenMac, true),
            (CbcMode::MacThenEncrypt, false),
        ] {
            let mut rx = cbc_keys(cipher, key, mac, mac_key, mode, iv);
            for pad in 0..=255u8 {
                let fixed = if etm { 0 } else { mac_len(mac) } + usize::from(pad) + 1;
                let content_len = (16 - fixed % 16) % 16 + 16;
                let content = vec![0xabu8; content_len];
                let seq = rx.sequence();
                let mut record = reference.record(etm, seq, 23, &content, pad, |_| pad);
                let (_, range) = rx.open(&mut record).unwrap();
                assert_eq!(&record[range], &content[..], "{mode:?} {mac:?} pad {pad}");

                if pad > 0 {
                    for wrong_at in [0, usize::from(pad) - 1] {
                        let mut bad = cbc_keys(cipher, key, mac, mac_key, mode, iv);
                        let mut record = reference.record(etm, 0, 23, &content, pad, |i| {
                            if i == wrong_at {
                                pad ^ 0x80
                            } else {
                                pad
                            }
                        });
                        assert_eq!(
                            bad.open(&mut record).unwrap_err(),
                            Error::DecryptFailed,
                            "{mode:?} pad {pad} wrong at {wrong_at}"
                        );
                    }
                }
            }
        }
    }
}

/// A padding length byte claiming more than the record holds (with the
/// MAC) is refused, whatever the bytes before it.
#[test]
fn padding_longer_than_the_record_is_refused() {
    let key = [1u8; 16];
    let mac_key = [2u8; 20];
    let iv = [3u8; 16];
    for (mode, etm) in [
        (CbcMode::EncryptThenMac, true),
        (CbcMode::MacThenEncrypt, false),
    ] {
        let content: &[u8] = if etm { &[] } else { &[9u8; 12] };
        // All 16 bytes 0xff (so the padding byte itself says 255).
        let mut plain = content.to_vec();
        if !etm {
            plain.extend(hmac_ref(
                HashAlgorithm::SHA1,
                &mac_key,
                &[&CbcRef::pseudo(0, 23, content.len()), content],
            ));
        }
        plain.resize(plain.len() + 16 - plain.len() % 16, 0xff);
        if etm {
            plain.extend_from_slice(&[0xff; 16]);
        }
        cbc_encrypt_ref(&key, iv, &mut plain);
        let mut body = iv.to_vec();
        body.extend_from_slice(&plain);
        if etm {
            let mac = hmac_ref(
                HashAlgorithm::SHA1,
                &mac_key,
                &[&CbcRef::pseudo(0, 23, body.len()), &body],
            );
            body.extend_from_slice(&mac);
        }
        let mut record = vec![23, 3, 3];
        record.extend_from_slice(&(body.len() as u16).to_be_bytes());
        record.extend_from_slice(&body);
        let mut keys = cbc_keys(
            CbcAlgorithm::Aes128Cbc,
            &key,
            HashAlgorithm::SHA1,
            &mac_key,
            mode,
            iv,
        );
        assert_eq!(keys.open(&mut record).unwrap_err(), Error::DecryptFailed);
    }
}

fn sealed(suite: &SuiteInfo, etm: bool, len: usize) -> Vec<u8> {
    let (mut tx, _) = pairs(suite, etm);
    let mut out = BytesMut::new();
    tx.client_write
        .seal(&mut out, ContentType::ApplicationData, &vec![0x61; len])
        .unwrap();
    out.to_vec()
}

#[test]
fn any_flipped_byte_fails() {
    for suite in suites() {
        for &etm in modes(suite) {
            let record = sealed(suite, etm, 40);
            for at in 0..record.len() {
                for xor in [0x01u8, 0x80] {
                    let mut bad = record.clone();
                    bad[at] ^= xor;
                    let (_, mut rx) = pairs(suite, etm);
                    assert_eq!(
                        rx.client_write.open(&mut bad).unwrap_err(),
                        Error::DecryptFailed,
                        "{} etm={etm} byte {at}",
                        suite.iana_name
                    );
                }
            }
        }
    }
}

#[test]
fn records_out_of_order_fail() {
    for suite in suites() {
        for &etm in modes(suite) {
            let (mut tx, mut rx) = pairs(suite, etm);
            let mut first = BytesMut::new();
            tx.client_write
                .seal(&mut first, ContentType::ApplicationData, b"one")
                .unwrap();
            let mut second = BytesMut::new();
            tx.client_write
                .seal(&mut second, ContentType::ApplicationData, b"two")
                .unwrap();
            assert_eq!(
                rx.client_write.open(&mut second.to_vec()).unwrap_err(),
                Error::DecryptFailed
            );
            let (_, fresh) = pairs(suite, etm);
            let mut rx = fresh.client_write.with_sequence(1);
            let mut record = second.to_vec();
            let (_, range) = rx.open(&mut record).unwrap();
            assert_eq!(&record[range], b"two");
        }
    }
}

/// Every prefix of a record, with the header length fixed up to match,
/// and bodies of every length up to 100 bytes: errors, never panics.
#[test]
fn short_and_misaligned_records_fail_cleanly() {
    for suite in suites() {
        for &etm in modes(suite) {
            let record = sealed(suite, etm, 50);
            for cut in 0..record.len() {
                let mut short = record[..cut].to_vec();
                if short.len() >= 5 {
                    let body = (short.len() - 5) as u16;
                    short[3..5].copy_from_slice(&body.to_be_bytes());
                }
                let (_, mut rx) = pairs(suite, etm);
                assert_eq!(
                    rx.client_write.open(&mut short).unwrap_err(),
                    Error::DecryptFailed,
                    "{} cut {cut}",
                    suite.iana_name
                );
            }
            for len in 0..100usize {
                let mut junk = vec![23, 3, 3, 0, len as u8];
                junk.extend((0..len).map(|i| i as u8));
                let (_, mut rx) = pairs(suite, etm);
                assert_eq!(
                    rx.client_write.open(&mut junk).unwrap_err(),
                    Error::DecryptFailed
                );
            }
            // A header length that disagrees with the bytes handed over.
            let mut wrong = record.clone();
            wrong[4] ^= 1;
            let (_, mut rx) = pairs(suite, etm);
            assert_eq!(
                rx.client_write.open(&mut wrong).unwrap_err(),
                Error::DecryptFailed
            );
        }
    }
}

#[test]
fn oversized_records_overflow() {
    for suite in suites() {
        let (_, mut rx) = pairs(suite, true);
        let len = MAX_TLS12_CIPHERTEXT_LEN + 16;
        let mut record = vec![23, 3, 3];
        record.extend_from_slice(&(len as u16).to_be_bytes());
        record.resize(5 + len, 0);
        assert_eq!(
            rx.client_write.open(&mut record).unwrap_err(),
            Error::RecordOverflow
        );
    }
    let (mut tx, _) = pairs(&TLS12_SUITES[0], true);
    let mut out = BytesMut::new();
    assert!(tx
        .client_write
        .seal(
            &mut out,
            ContentType::ApplicationData,
            &[0; MAX_PLAINTEXT_LEN + 1]
        )
        .is_err());
    assert!(out.is_empty());
}

#[test]
fn sequence_numbers_do_not_wrap() {
    for suite in suites() {
        let (tx, rx) = pairs(suite, false);
        let mut tx = tx.client_write.with_sequence(u64::MAX - 1);
        let mut out = BytesMut::new();
        tx.seal(&mut out, ContentType::ApplicationData, b"last")
            .unwrap();
        let mut rx = rx.client_write.with_sequence(u64::MAX - 1);
        let mut record = out.to_vec();
        rx.open(&mut record).unwrap();
        let mut more = BytesMut::new();
        assert!(matches!(
            tx.seal(&mut more, ContentType::ApplicationData, b"wrap"),
            Err(Error::Internal(_))
        ));
        assert!(more.is_empty());
        assert!(matches!(
            rx.open(&mut out.to_vec()),
            Err(Error::Internal(_))
        ));
    }
}

#[test]
fn record_layer_dispatches_tls12() {
    let suite = crate::suites::by_name("ECDHE-RSA-AES256-SHA384").unwrap();
    let (tx, rx) = pairs(suite, true);
    let mut sender = RecordLayer::new(1000, MAX_PLAINTEXT_LEN, 1);
    sender.set_write(crate::record::Protection::Tls12(tx.client_write));
    let mut receiver = RecordLayer::new(MAX_PLAINTEXT_LEN, MAX_PLAINTEXT_LEN, 1);
    receiver.set_read(crate::record::Protection::Tls12(rx.client_write));
    let payload: Vec<u8> = (0..2500u32).map(|i| i as u8).collect();
    let mut out = BytesMut::new();
    sender
        .write(&mut out, ContentType::ApplicationData, &payload)
        .unwrap();
    assert_eq!(sender.write_sequence(), 3);
    let mut got = Vec::new();
    while !out.is_empty() {
        let header = crate::record::RecordHeader::parse(&out).unwrap().unwrap();
        let mut record = out.split_to(5 + header.length);
        let (typ, range) = receiver.open(&header, &mut record).unwrap();
        assert_eq!(typ, ContentType::ApplicationData);
        got.extend_from_slice(&record[range]);
    }
    assert_eq!(got, payload);
}

/// An HMAC key that counts the compression-function calls a SHA-1/SHA-256
/// HMAC would make, to check the MAC-then-encrypt work does not depend on
/// the padding length.
struct CountingMac {
    inner: Box<dyn HmacKey>,
    compressions: Arc<AtomicUsize>,
}

impl HmacKey for CountingMac {
    fn sign(&self, chunks: &[&[u8]]) -> crate::crypto::HashOutput {
        let len: usize = chunks.iter().map(|c| c.len()).sum();
        // Inner hash over key block + message, outer over key block + digest.
        let blocks = |n: usize| (n + 8) / 64 + 1;
        self.compressions
            .fetch_add(blocks(64 + len) + blocks(64 + 32), Ordering::Relaxed);
        self.inner.sign(chunks)
    }
}

#[test]
fn mac_then_encrypt_work_does_not_depend_on_padding() {
    let key = [7u8; 16];
    let mac_key = [8u8; 32];
    let iv = [9u8; 16];
    let reference = CbcRef {
        key: &key,
        mac_key: &mac_key,
        mac: HashAlgorithm::SHA256,
        iv,
    };
    let provider = record_provider();
    // One record length (and so one amount of work) for every padding.
    let total = 512usize;
    let mut counts = Vec::new();
    for pad in 0..=255u8 {
        for valid in [true, false] {
            let content = vec![1u8; total - 32 - usize::from(pad) - 1];
            let mut record = reference.record(false, 0, 23, &content, pad, |_| {
                if valid {
                    pad
                } else {
                    pad.wrapping_add(1)
                }
            });
            let compressions = Arc::new(AtomicUsize::new(0));
            let mac = CountingMac {
                inner: provider
                    .hmac(HashAlgorithm::SHA256)
                    .unwrap()
                    .with_key(&mac_key),
                compressions: compressions.clone(),
            };
            let mut keys = Tls12RecordKeys::cbc(
                provider
                    .cbc(CbcAlgorithm::Aes128Cbc)
                    .unwrap()
                    .new_key(&key)
                    .unwrap(),
                Box::new(mac),
                HashAlgorithm::SHA256,
                CbcMode::MacThenEncrypt,
                Arc::new(FixedRandom(iv)),
                V12,
            )
            .unwrap();
            let result = keys.open(&mut record);
            assert_eq!(result.is_ok(), valid || pad == 0, "pad {pad}");
            counts.push(compressions.load(Ordering::Relaxed));
        }
    }
    assert!(counts.iter().all(|&c| c == counts[0]), "{counts:?}");
}

#[test]
fn dummy_data_covers_every_padding() {
    for alg in [
        HashAlgorithm::SHA1,
        HashAlgorithm::SHA256,
        HashAlgorithm::SHA384,
    ] {
        let shape = MacShape::of(alg).unwrap();
        // The TLS pseudo-header and the RFC 9146 one with the shortest and
        // the longest CID.
        for pseudo in [
            PSEUDO_HEADER_LEN,
            CID_PSEUDO_HEADER_LEN + 1,
            MAX_PSEUDO_HEADER_LEN,
        ] {
            for n_max in 0..2000usize {
                for n in n_max.saturating_sub(255)..=n_max {
                    let d = shape.variable_blocks(pseudo, n_max) - shape.variable_blocks(pseudo, n);
                    assert!(d << shape.block_shift <= DUMMY_DATA.len());
                    // Dummy MAC over d blocks adds exactly d variable blocks.
                    let dummy =
                        ((d << shape.block_shift) + shape.length_field) >> shape.block_shift;
                    assert_eq!(dummy, d);
                }
            }
        }
    }
}

#[test]
fn padding_check_matches_a_plain_check() {
    let mut state = 0x9e37_79b9u32;
    for len in 1..300usize {
        for reserved in [0usize, 20, 48] {
            for _ in 0..8 {
                let mut data = vec![0u8; len];
                for b in data.iter_mut() {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    *b = (state >> 24) as u8 & 0x0f;
                }
                let p = usize::from(data[len - 1]);
                let plain_ok = p + 1 + reserved <= len
                    && data[len - 1 - p..].iter().all(|&b| usize::from(b) == p);
                let (good, padding) = check_padding(&data, reserved);
                assert_eq!(good != 0, plain_ok);
                assert_eq!(padding, if plain_ok { p + 1 } else { 1 });
            }
        }
    }
    assert_eq!(le_mask(3, 3), u64::MAX);
    assert_eq!(le_mask(4, 3), 0);
    assert_eq!(le_mask(0, 1 << 40), u64::MAX);
}
