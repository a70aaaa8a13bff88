//! Tests of the DTLS 1.2 record layer. The RFC 9146 record is checked
//! against the `aes-gcm` crate with an AAD built here from the RFC text.

use super::*;
use crate::msgs::enums::CipherSuite;
use crate::record::tls12::{tls12_key_block_len, tls12_record_keys};
use crate::test_support::record_provider;
use alloc::vec;
use alloc::vec::Vec;

const GCM: CipherSuite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
const CCM8: CipherSuite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8;
const CHACHA: CipherSuite = CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256;
const CBC256: CipherSuite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256;
const CBC1: CipherSuite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA;
const CBC384: CipherSuite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384;

type Opened = (ContentType, u16, u64, Vec<u8>);

fn key_block(suite: CipherSuite) -> Vec<u8> {
    let len = tls12_key_block_len(crate::suites::by_id(suite).unwrap());
    (0..len)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(7))
        .collect()
}

/// The client's write keys (what the client seals and the server opens).
fn client_keys(suite: CipherSuite, etm: bool) -> Tls12RecordKeys {
    let provider = record_provider();
    let info = crate::suites::by_id(suite).unwrap();
    tls12_record_keys(
        info,
        &provider,
        &key_block(suite),
        etm,
        ProtocolVersion::DTLSv1_2,
    )
    .unwrap()
    .client_write
}

/// A sender and a receiver at epoch 0.
fn plain_pair(options: &DtlsOptions) -> (DtlsRecordLayer, DtlsRecordLayer) {
    (DtlsRecordLayer::new(options), DtlsRecordLayer::new(options))
}

/// A sender and a receiver at epoch 1 (client to server).
fn pair_with(
    suite: CipherSuite,
    etm: bool,
    options: &DtlsOptions,
) -> (DtlsRecordLayer, DtlsRecordLayer) {
    let (mut tx, mut rx) = plain_pair(options);
    tx.install_write(client_keys(suite, etm));
    rx.install_read(client_keys(suite, etm));
    (tx, rx)
}

fn pair(suite: CipherSuite) -> (DtlsRecordLayer, DtlsRecordLayer) {
    pair_with(suite, true, &DtlsOptions::default())
}

fn seal(layer: &mut DtlsRecordLayer, epoch: u16, typ: ContentType, data: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    layer.seal(epoch, typ, data, &mut out).unwrap();
    out.to_vec()
}

fn app(layer: &mut DtlsRecordLayer, data: &[u8]) -> Vec<u8> {
    let epoch = layer.write_epoch();
    seal(layer, epoch, ContentType::ApplicationData, data)
}

fn open_all(layer: &mut DtlsRecordLayer, datagram: &[u8]) -> Result<Vec<Opened>, Error> {
    let mut buf = datagram.to_vec();
    let mut pos = 0;
    let mut out = Vec::new();
    while let Some(r) = layer.open_next(&mut buf, &mut pos)? {
        assert!(pos <= buf.len());
        out.push((
            r.content_type,
            r.epoch,
            r.sequence,
            buf[r.plaintext].to_vec(),
        ));
    }
    assert_eq!(pos, buf.len());
    Ok(out)
}

/// Sequence numbers of the records delivered from `datagram`.
fn seqs(layer: &mut DtlsRecordLayer, datagram: &[u8]) -> Vec<u64> {
    open_all(layer, datagram)
        .unwrap()
        .into_iter()
        .map(|r| r.2)
        .collect()
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn round_trips_at_epoch_1_for_aead_and_cbc() {
    let cases = [
        (GCM, true),
        (CCM8, true),
        (CHACHA, true),
        (CBC256, true),
        (CBC256, false),
        (CBC1, false),
        (CBC384, false),
    ];
    for (suite, etm) in cases {
        let (mut tx, mut rx) = pair_with(suite, etm, &DtlsOptions::default());
        for (seq, len) in [0usize, 1, 15, 16, 17, 100, 1200, MAX_PLAINTEXT_LEN]
            .into_iter()
            .enumerate()
        {
            let data = payload(len);
            let record = app(&mut tx, &data);
            // Header: type, DTLS 1.2, epoch 1, sequence, length.
            assert_eq!(&record[..5], &[23, 0xfe, 0xfd, 0, 1], "{suite:?}");
            assert_eq!(&record[5..11], &(seq as u64).to_be_bytes()[2..]);
            let body = u16::from_be_bytes([record[11], record[12]]) as usize;
            assert_eq!(record.len(), DTLS_HEADER_LEN + body);
            assert!(record.len() - len <= tx.expansion(1), "{suite:?} {etm}");
            let opened = open_all(&mut rx, &record).unwrap();
            assert_eq!(
                opened,
                vec![(ContentType::ApplicationData, 1, seq as u64, data)],
                "{suite:?} {etm} {len}"
            );
        }
        assert_eq!(rx.bad_records(), 0);
    }
}

#[test]
fn aead_explicit_nonce_is_epoch_and_sequence() {
    let (mut tx, _) = pair(GCM);
    app(&mut tx, b"first");
    let record = app(&mut tx, b"second");
    // epoch 1, sequence 1.
    assert_eq!(&record[13..21], &[0, 1, 0, 0, 0, 0, 0, 1]);
}

#[test]
fn plaintext_epoch_round_trip_and_dtls10_version() {
    let (mut tx, mut rx) = plain_pair(&DtlsOptions::default());
    let record = seal(&mut tx, 0, ContentType::Handshake, b"hello");
    assert_eq!(
        &record[..],
        &[22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, b'h', b'e', b'l', b'l', b'o']
    );
    assert_eq!(tx.expansion(0), DTLS_HEADER_LEN);
    let mut v10 = seal(&mut tx, 0, ContentType::Handshake, b"again");
    v10[2] = 0xff;
    let mut datagram = record.clone();
    datagram.extend_from_slice(&v10);
    let opened = open_all(&mut rx, &datagram).unwrap();
    assert_eq!(
        opened,
        vec![
            (ContentType::Handshake, 0, 0, b"hello".to_vec()),
            (ContentType::Handshake, 0, 1, b"again".to_vec()),
        ]
    );
    // Other versions and epochs are dropped.
    let mut other = seal(&mut tx, 0, ContentType::Handshake, b"x");
    other[2] = 0xfc;
    let mut future = seal(&mut tx, 0, ContentType::Handshake, b"y");
    future[4] = 1;
    other.extend_from_slice(&future);
    assert!(open_all(&mut rx, &other).unwrap().is_empty());
}

#[test]
fn several_records_across_a_change_cipher_spec() {
    for suite in [GCM, CBC256] {
        let options = DtlsOptions::default();
        let (mut tx, mut rx) = plain_pair(&options);
        let mut datagram = seal(&mut tx, 0, ContentType::Handshake, b"key exchange");
        datagram.extend_from_slice(&seal(&mut tx, 0, ContentType::ChangeCipherSpec, &[1]));
        tx.install_write(client_keys(suite, true));
        datagram.extend_from_slice(&seal(&mut tx, 1, ContentType::Handshake, b"finished"));

        let mut buf = datagram.clone();
        let mut pos = 0;
        let r = rx.open_next(&mut buf, &mut pos).unwrap().unwrap();
        assert_eq!(
            (r.content_type, r.epoch, r.sequence),
            (ContentType::Handshake, 0, 0)
        );
        let r = rx.open_next(&mut buf, &mut pos).unwrap().unwrap();
        assert_eq!(
            (r.content_type, r.epoch, r.sequence),
            (ContentType::ChangeCipherSpec, 0, 1)
        );
        assert_eq!(&buf[r.plaintext], &[1]);
        // The caller installs the read keys between the two records.
        rx.install_read(client_keys(suite, true));
        let r = rx.open_next(&mut buf, &mut pos).unwrap().unwrap();
        assert_eq!(
            (r.content_type, r.epoch, r.sequence),
            (ContentType::Handshake, 1, 0)
        );
        assert_eq!(&buf[r.plaintext], b"finished");
        assert_eq!(rx.open_next(&mut buf, &mut pos).unwrap(), None);
        assert_eq!(pos, buf.len());

        // The peer retransmits its flight: epoch 0 is still readable, but
        // the records were seen, so they are replays now.
        assert!(open_all(&mut rx, &datagram).unwrap().is_empty());
        let again = seal(&mut tx, 0, ContentType::Handshake, b"key exchange");
        assert_eq!(open_all(&mut rx, &again).unwrap().len(), 1);
    }
}

#[test]
fn previous_epoch_is_kept_for_retransmission() {
    let (mut tx, mut rx) = plain_pair(&DtlsOptions::default());
    let a = seal(&mut tx, 0, ContentType::Handshake, b"a");
    let b = seal(&mut tx, 0, ContentType::ChangeCipherSpec, &[1]);
    tx.install_write(client_keys(GCM, true));
    assert_eq!(tx.write_epoch(), 1);
    let c = seal(&mut tx, 1, ContentType::Handshake, b"fin");
    // Retransmission: the sequence numbers continue per epoch.
    let a2 = seal(&mut tx, 0, ContentType::Handshake, b"a");
    let c2 = seal(&mut tx, 1, ContentType::Handshake, b"fin");
    assert_eq!(&a2[5..11], &[0, 0, 0, 0, 0, 2]);
    assert_eq!(&c2[5..11], &[0, 0, 0, 0, 0, 1]);
    let mut out = BytesMut::new();
    assert!(tx.seal(2, ContentType::Handshake, b"x", &mut out).is_err());
    assert!(out.is_empty());

    assert_eq!(seqs(&mut rx, &[a, b].concat()), [0, 1]);
    rx.install_read(client_keys(GCM, true));
    assert_eq!(seqs(&mut rx, &[c, a2, c2].concat()), [0, 2, 1]);

    // Two epochs on, epoch 0 is gone both ways.
    tx.install_write(client_keys(GCM, true));
    assert!(tx
        .seal(0, ContentType::Handshake, b"x", &mut BytesMut::new())
        .is_err());
    let e1 = seal(&mut tx, 1, ContentType::Handshake, b"still");
    let e2 = seal(&mut tx, 2, ContentType::ApplicationData, b"new");
    assert_eq!(&e2[3..11], &[0, 2, 0, 0, 0, 0, 0, 0]);
    rx.install_read(client_keys(GCM, true));
    let old = seal(
        &mut plain_pair(&DtlsOptions::default()).0,
        0,
        ContentType::Handshake,
        b"z",
    );
    assert_eq!(seqs(&mut rx, &[old, e1, e2].concat()), [2, 0]);
}

#[test]
fn replays_are_dropped_unless_anti_replay_is_off() {
    let (mut tx, mut rx) = pair(GCM);
    let record = app(&mut tx, b"once");
    assert_eq!(open_all(&mut rx, &record).unwrap().len(), 1);
    assert!(open_all(&mut rx, &record).unwrap().is_empty());
    assert_eq!(rx.bad_records(), 0);

    let options = DtlsOptions {
        anti_replay: false,
        ..DtlsOptions::default()
    };
    let (mut tx, mut rx) = pair_with(GCM, true, &options);
    let record = app(&mut tx, b"twice");
    assert_eq!(open_all(&mut rx, &record).unwrap().len(), 1);
    assert_eq!(open_all(&mut rx, &record).unwrap().len(), 1);
}

#[test]
fn replay_window_edges() {
    let (mut tx, mut rx) = pair(CHACHA);
    let records: Vec<Vec<u8>> = (0..200).map(|i| app(&mut tx, &[i as u8])).collect();
    assert_eq!(seqs(&mut rx, &records[100]), [100]);
    // 63 behind the newest: inside the window; 64 behind: too old.
    assert_eq!(seqs(&mut rx, &records[37]), [37]);
    assert!(seqs(&mut rx, &records[36]).is_empty());
    assert!(seqs(&mut rx, &records[37]).is_empty());
    // Reordering within the window, each record once.
    assert_eq!(
        seqs(
            &mut rx,
            &[&records[90][..], &records[60], &records[90]].concat()
        ),
        [90, 60]
    );
    assert_eq!(seqs(&mut rx, &records[101]), [101]);
    assert!(seqs(&mut rx, &records[60]).is_empty());
    assert_eq!(seqs(&mut rx, &records[99]), [99]);
    // A jump past the window forgets everything below it.
    assert_eq!(seqs(&mut rx, &records[190]), [190]);
    assert!(seqs(&mut rx, &records[101]).is_empty());
    assert_eq!(seqs(&mut rx, &records[127]), [127]);
    assert!(seqs(&mut rx, &records[126]).is_empty());
    assert!(seqs(&mut rx, &records[190]).is_empty());

    let mut w = ReplayWindow::default();
    for seq in [5u64, 3, 70, 7, 8] {
        assert!(w.is_fresh(seq), "{seq}");
        w.mark(seq);
        assert!(!w.is_fresh(seq));
    }
    // 70 - 64 = 6 is out of the window now, 9 and 71 are new.
    assert!(!w.is_fresh(5) && !w.is_fresh(6) && !w.is_fresh(70));
    assert!(w.is_fresh(9) && w.is_fresh(69) && w.is_fresh(71));
}

#[test]
fn tampered_record_is_skipped_and_the_rest_delivered() {
    for (suite, etm) in [(GCM, true), (CBC256, true), (CBC256, false), (CCM8, true)] {
        let (mut tx, mut rx) = pair_with(suite, etm, &DtlsOptions::default());
        let a = app(&mut tx, b"first");
        let mut b = app(&mut tx, b"second");
        let c = app(&mut tx, b"third");
        let last = b.len() - 1;
        b[last] ^= 0x40;
        let opened = open_all(&mut rx, &[a, b, c].concat()).unwrap();
        let got: Vec<_> = opened.iter().map(|r| r.3.as_slice()).collect();
        assert_eq!(got, [&b"first"[..], b"third"], "{suite:?} {etm}");
        assert_eq!(rx.bad_records(), 1);
    }
}

#[test]
fn tampered_header_fields_are_authenticated() {
    // Type, epoch-and-sequence value and version are in the AAD (a changed
    // epoch is simply unknown, so the sequence number is changed instead).
    for (at, value) in [(0usize, 22u8), (10, 1), (5, 1)] {
        let (mut tx, mut rx) = pair(GCM);
        let mut record = app(&mut tx, b"data");
        record[at] ^= if at == 0 { 23 ^ value } else { value };
        assert!(open_all(&mut rx, &record).unwrap().is_empty(), "{at}");
        assert_eq!(rx.bad_records(), 1, "{at}");
    }
}

#[test]
fn bad_mac_limit() {
    for limit in [1u32, 3] {
        let options = DtlsOptions {
            badmac_limit: limit,
            ..DtlsOptions::default()
        };
        let (mut tx, mut rx) = pair_with(GCM, true, &options);
        for i in 0..limit {
            let mut record = app(&mut tx, b"x");
            record[20] ^= 1;
            assert!(open_all(&mut rx, &record).unwrap().is_empty());
            assert_eq!(rx.bad_records(), i + 1);
            // Good records still go through.
            assert_eq!(open_all(&mut rx, &app(&mut tx, b"ok")).unwrap().len(), 1);
        }
        let mut record = app(&mut tx, b"x");
        record[20] ^= 1;
        let err = open_all(&mut rx, &record).unwrap_err();
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::TooManyBadRecords)
        );
        assert_eq!(
            err.alert(),
            Some(crate::msgs::enums::AlertDescription::BadRecordMac)
        );
    }
    // 0: no limit.
    let (mut tx, mut rx) = pair(GCM);
    for _ in 0..500 {
        let mut record = app(&mut tx, b"x");
        record[20] ^= 1;
        assert!(open_all(&mut rx, &record).unwrap().is_empty());
    }
    assert_eq!(rx.bad_records(), 500);
}

#[test]
fn replays_and_unknown_epochs_do_not_count_as_bad_macs() {
    let options = DtlsOptions {
        badmac_limit: 1,
        ..DtlsOptions::default()
    };
    let (mut tx, mut rx) = pair_with(GCM, true, &options);
    let record = app(&mut tx, b"x");
    for _ in 0..5 {
        open_all(&mut rx, &record).unwrap();
    }
    let mut future = app(&mut tx, b"y");
    future[4] = 7;
    for _ in 0..5 {
        assert!(open_all(&mut rx, &future).unwrap().is_empty());
    }
    assert_eq!(rx.bad_records(), 0);
}

/// A small deterministic generator for junk.
fn lcg(state: &mut u64) -> u8 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 33) as u8
}

#[test]
fn truncated_and_garbage_datagrams_never_panic() {
    for cid in [None, Some(vec![1, 2, 3, 4])] {
        let (mut tx, mut rx) = pair_with(CBC256, false, &DtlsOptions::default());
        tx.set_peer_cid(cid.clone());
        rx.set_own_cid(cid.clone());
        let datagram = [app(&mut tx, b"one"), app(&mut tx, &payload(40))].concat();
        for cut in 0..datagram.len() {
            let _ = rx.check_record(&datagram[..cut]);
            let _ = open_all(&mut rx, &datagram[..cut]).unwrap();
        }
        let mut state = 0x1234_5678u64;
        for round in 0..3000 {
            let len = (lcg(&mut state) as usize) % 80;
            let mut junk: Vec<u8> = (0..len).map(|_| lcg(&mut state)).collect();
            // Often a plausible header, so the record code is reached.
            if round % 2 == 0 && junk.len() >= 13 {
                junk[0] = [20, 21, 22, 23, 25][round % 5];
                junk[1] = 0xfe;
                junk[2] = 0xfd;
                junk[3] = 0;
                junk[4] = (round % 3) as u8;
                let body = junk.len() as u16 - 13 + (round % 4) as u16;
                junk[11..13].copy_from_slice(&body.to_be_bytes());
            }
            let _ = rx.check_record(&junk);
            let _ = open_all(&mut rx, &junk).unwrap();
        }
        // The first record opened from a cut datagram; the second, never
        // whole before, opens now.
        assert_eq!(seqs(&mut rx, &datagram), [1]);
    }
}

#[test]
fn malformed_header_ends_the_datagram() {
    let (mut tx, mut rx) = pair(GCM);
    let a = app(&mut tx, b"a");
    let b = app(&mut tx, b"b");
    // Unknown content type in the middle: what follows is lost.
    let mut junk = app(&mut tx, b"junk");
    junk[0] = 99;
    assert_eq!(seqs(&mut rx, &[a.clone(), junk, b.clone()].concat()), [0]);
    // A length past the end of the datagram.
    let mut long = b.clone();
    long[12] += 1;
    assert!(seqs(&mut rx, &long).is_empty());
    assert_eq!(seqs(&mut rx, &b), [1]);
    // tls12_cid without a CID of ours.
    let mut cid_type = app(&mut tx, b"c");
    cid_type[0] = 25;
    assert!(seqs(&mut rx, &cid_type).is_empty());
}

#[test]
fn sequence_numbers_do_not_wrap() {
    let (mut tx, mut rx) = pair(GCM);
    let mut counters = tx.counters();
    counters.write_sequence = MAX_SEQUENCE;
    tx.restore_counters(&counters);
    let last = app(&mut tx, b"last");
    assert_eq!(&last[3..11], &[0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    let mut out = BytesMut::new();
    assert!(tx
        .seal(1, ContentType::ApplicationData, b"one more", &mut out)
        .is_err());
    assert!(out.is_empty());
    assert_eq!(seqs(&mut rx, &last), [MAX_SEQUENCE]);
    // The saved state of an exhausted writer keeps it exhausted.
    let mut bytes = Vec::new();
    tx.counters().encode(&mut bytes);
    let decoded = DtlsCounters::decode(&mut Reader::new(&bytes)).unwrap();
    assert_eq!(decoded.write_sequence, MAX_SEQUENCE + 1);
}

#[test]
fn oversized_fragments_are_refused() {
    let (mut tx, _) = pair(GCM);
    let mut out = BytesMut::new();
    let big = payload(MAX_PLAINTEXT_LEN + 1);
    assert!(tx
        .seal(1, ContentType::ApplicationData, &big, &mut out)
        .is_err());
    assert!(tx
        .seal(0, ContentType::ApplicationData, &big, &mut out)
        .is_err());
    // With a CID the inner type byte counts too.
    tx.set_peer_cid(Some(vec![9]));
    assert!(tx
        .seal(
            1,
            ContentType::ApplicationData,
            &big[..MAX_PLAINTEXT_LEN],
            &mut out
        )
        .is_err());
    assert!(out.is_empty());
}

#[test]
fn cid_records_use_the_rfc9146_form() {
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    let cid = vec![0xc1, 0xd0, 0x05];
    let (mut tx, mut rx) = pair(GCM);
    tx.set_peer_cid(Some(cid.clone()));
    rx.set_own_cid(Some(cid.clone()));
    assert_eq!(tx.peer_cid(), Some(&cid[..]));
    app(&mut tx, b"skip one sequence number");
    let content = b"with a connection id";
    let record = app(&mut tx, content);

    // tls12_cid, version, epoch 1, sequence 1, cid, length.
    assert_eq!(&record[..11], &[25, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1]);
    assert_eq!(&record[11..14], &cid[..]);
    let body_len = u16::from_be_bytes([record[14], record[15]]) as usize;
    assert_eq!(record.len(), 16 + body_len);
    assert!(record.len() - content.len() <= tx.expansion(1));

    // Independently: AAD of RFC 9146 5.3 and AES-128-GCM with salt ||
    // explicit nonce from the client key and IV of the key block.
    let block = key_block(GCM);
    let (key, salt) = (&block[..16], &block[32..36]);
    let inner_len = content.len() + 1;
    let mut aad = vec![0xff; 8];
    aad.extend_from_slice(&[25, cid.len() as u8, 25, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1]);
    aad.extend_from_slice(&cid);
    aad.extend_from_slice(&(inner_len as u16).to_be_bytes());
    let body = &record[16..];
    let mut nonce = salt.to_vec();
    nonce.extend_from_slice(&body[..8]);
    assert_eq!(&body[..8], &[0, 1, 0, 0, 0, 0, 0, 1]);
    let mut plain = body[8..8 + inner_len].to_vec();
    let tag = &body[8 + inner_len..];
    aes_gcm::Aes128Gcm::new_from_slice(key)
        .unwrap()
        .decrypt_in_place_detached(nonce[..].into(), &aad, &mut plain, tag.into())
        .expect("the record authenticates with the RFC 9146 AAD");
    assert_eq!(&plain[..content.len()], content);
    assert_eq!(plain[content.len()], 23);

    // And the other way: a record sealed here with padding zeros opens.
    let mut inner = b"padded".to_vec();
    inner.extend_from_slice(&[22, 0, 0, 0]);
    let mut aad = vec![0xff; 8];
    aad.extend_from_slice(&[25, 3, 25, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9]);
    aad.extend_from_slice(&cid);
    aad.extend_from_slice(&(inner.len() as u16).to_be_bytes());
    let explicit = [0, 1, 0, 0, 0, 0, 0, 9];
    let mut nonce = salt.to_vec();
    nonce.extend_from_slice(&explicit);
    let tag = aes_gcm::Aes128Gcm::new_from_slice(key)
        .unwrap()
        .encrypt_in_place_detached(nonce[..].into(), &aad, &mut inner)
        .unwrap();
    let mut theirs = vec![25, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9];
    theirs.extend_from_slice(&cid);
    theirs.extend_from_slice(&((8 + inner.len() + 16) as u16).to_be_bytes());
    theirs.extend_from_slice(&explicit);
    theirs.extend_from_slice(&inner);
    theirs.extend_from_slice(&tag);

    let opened = open_all(&mut rx, &[record, theirs].concat()).unwrap();
    assert_eq!(
        opened,
        vec![
            (ContentType::ApplicationData, 1, 1, content.to_vec()),
            (ContentType::Handshake, 1, 9, b"padded".to_vec()),
        ]
    );
}

#[test]
fn cid_round_trips_for_cbc_and_chacha() {
    for (suite, etm) in [
        (CBC256, true),
        (CBC256, false),
        (CBC384, false),
        (CHACHA, true),
        (CCM8, true),
    ] {
        let (mut tx, mut rx) = pair_with(suite, etm, &DtlsOptions::default());
        let cid = vec![0x5a; 16];
        tx.set_peer_cid(Some(cid.clone()));
        rx.set_own_cid(Some(cid));
        for len in [0usize, 1, 15, 16, 200] {
            let data = payload(len);
            let record = seal(&mut tx, 1, ContentType::Alert, &data);
            assert_eq!(record[0], 25);
            assert!(record.len() - len <= tx.expansion(1));
            let opened = open_all(&mut rx, &record).unwrap();
            assert_eq!(opened.len(), 1, "{suite:?} {etm} {len}");
            assert_eq!((opened[0].0, &opened[0].3), (ContentType::Alert, &data));
        }
        // Epoch 0 records stay in the plain form.
        let (mut tx0, _) = plain_pair(&DtlsOptions::default());
        tx0.set_peer_cid(Some(vec![1]));
        assert_eq!(seal(&mut tx0, 0, ContentType::Handshake, b"hi")[0], 22);
    }
}

#[test]
fn unexpected_cids_are_ignored_or_fail_per_policy() {
    for policy in [UnexpectedCid::Ignore, UnexpectedCid::Fail] {
        let options = DtlsOptions {
            unexpected_cid: policy,
            ..DtlsOptions::default()
        };
        let (mut tx, mut rx) = pair_with(GCM, true, &options);
        tx.set_peer_cid(Some(vec![1, 2, 3]));
        rx.set_own_cid(Some(vec![1, 2, 4]));
        let wrong = app(&mut tx, b"not for us");
        tx.set_peer_cid(None);
        let without = app(&mut tx, b"no cid");
        for record in [wrong, without] {
            let got = open_all(&mut rx, &record);
            match policy {
                UnexpectedCid::Ignore => assert_eq!(got.unwrap(), vec![]),
                UnexpectedCid::Fail => assert_eq!(
                    got.unwrap_err(),
                    Error::PeerMisbehaved(PeerMisbehaved::UnexpectedConnectionId)
                ),
            }
            assert!(rx.check_record(&record).is_err());
        }
        assert_eq!(rx.bad_records(), 0);
        // The right CID goes through.
        tx.set_peer_cid(Some(vec![1, 2, 4]));
        assert_eq!(seqs(&mut rx, &app(&mut tx, b"ours")), [2]);
    }
}

#[test]
fn check_record_changes_nothing() {
    let (mut tx, mut rx) = pair(GCM);
    let good = app(&mut tx, b"good");
    let mut tampered = app(&mut tx, b"bad");
    tampered[15] ^= 1;
    assert_eq!(rx.check_record(&good), Ok(()));
    assert_eq!(rx.check_record(&good), Ok(()));
    assert_eq!(rx.check_record(&tampered), Err(Error::DecryptFailed));
    assert_eq!(rx.bad_records(), 0);
    // Only the first record counts.
    assert_eq!(
        rx.check_record(&[good.clone(), tampered.clone()].concat()),
        Ok(())
    );
    assert!(rx
        .check_record(&[tampered.clone(), good.clone()].concat())
        .is_err());
    assert!(rx.check_record(&good[..good.len() - 1]).is_err());
    assert!(rx.check_record(&[]).is_err());

    assert_eq!(seqs(&mut rx, &good), [0]);
    assert_eq!(
        rx.check_record(&good),
        Err(Error::PeerMisbehaved(PeerMisbehaved::ReplayedRecord))
    );
    let mut future = app(&mut tx, b"later");
    future[4] = 2;
    assert!(rx.check_record(&future).is_err());
}

#[test]
fn counters_encode_decode_and_restore() {
    let c = DtlsCounters {
        write_epoch: 3,
        write_sequence: 0x0000_1234_5678_9abc,
        read_epoch: 2,
        read_top: 0x0000_ffff_0000_0001,
        read_bits: 0x8000_0000_0000_0003,
    };
    let mut bytes = vec![0xaa];
    c.encode(&mut bytes);
    assert_eq!(bytes.len(), 1 + DtlsCounters::ENCODED_LEN);
    let mut r = Reader::new(&bytes[1..]);
    assert_eq!(DtlsCounters::decode(&mut r), Ok(c));
    assert!(r.is_empty());
    for cut in 0..DtlsCounters::ENCODED_LEN {
        assert!(DtlsCounters::decode(&mut Reader::new(&bytes[1..1 + cut])).is_err());
    }
    let mut too_far = Vec::new();
    DtlsCounters {
        write_sequence: MAX_SEQUENCE + 2,
        ..c
    }
    .encode(&mut too_far);
    assert!(DtlsCounters::decode(&mut Reader::new(&too_far)).is_err());

    // A connection at epoch 1 saves after five records each way...
    let (mut tx, mut rx) = pair(GCM);
    let sent: Vec<Vec<u8>> = (0..5).map(|i| app(&mut tx, &[i])).collect();
    for (i, r) in sent.iter().enumerate() {
        if i != 2 {
            assert_eq!(seqs(&mut rx, r), [i as u64]);
        }
    }
    let mut saved = Vec::new();
    tx.counters().encode(&mut saved);
    rx.counters().encode(&mut saved);
    let mut r = Reader::new(&saved);
    let tx_counters = DtlsCounters::decode(&mut r).unwrap();
    let rx_counters = DtlsCounters::decode(&mut r).unwrap();

    // ...and is loaded with keys derived again.
    let (mut tx2, mut rx2) = pair(GCM);
    tx2.restore_counters(&tx_counters);
    rx2.restore_counters(&rx_counters);
    assert_eq!((tx2.write_epoch(), rx2.read_epoch()), (1, 1));
    let next = app(&mut tx2, b"after");
    assert_eq!(&next[5..11], &[0, 0, 0, 0, 0, 5]);
    for (i, r) in sent.iter().enumerate() {
        // Record 2 was never read: still welcome.
        let expected: &[u64] = if i == 2 { &[2] } else { &[] };
        assert_eq!(seqs(&mut rx2, r), expected);
    }
    assert_eq!(seqs(&mut rx2, &next), [5]);
}

#[test]
fn epochs_do_not_wrap() {
    let (mut tx, mut rx) = pair(GCM);
    let c = DtlsCounters {
        write_epoch: u16::MAX,
        read_epoch: u16::MAX,
        ..tx.counters()
    };
    tx.restore_counters(&c);
    rx.restore_counters(&c);
    let record = app(&mut tx, b"last epoch");
    assert_eq!(&record[3..5], &[0xff, 0xff]);
    assert_eq!(seqs(&mut rx, &record), [0]);
    tx.install_write(client_keys(GCM, true));
    rx.install_read(client_keys(GCM, true));
    assert_eq!(tx.write_epoch(), u16::MAX);
    assert!(tx
        .seal(
            u16::MAX,
            ContentType::ApplicationData,
            b"x",
            &mut BytesMut::new()
        )
        .is_err());
    assert!(seqs(&mut rx, &record).is_empty());
}
