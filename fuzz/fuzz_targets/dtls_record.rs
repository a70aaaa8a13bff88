//! The DTLS 1.2 record layer alone (`__testing::DtlsLayer`), keyed at
//! epoch 1 from a fixed key block: datagrams the fuzzer writes outright,
//! or built from records really sealed by the peer's layer (so they
//! authenticate), optionally bit-flipped, cut or shuffled. Opening and
//! check_record must never panic, every error must be one the record layer
//! may give, and records sealed and delivered intact must open to what was
//! sealed.
//!
//! The first byte picks the suite (GCM, CCM-8, ChaCha20-Poly1305, CBC with
//! and without encrypt-then-MAC), whether a connection ID is in use, the
//! anti-replay switch and the bad-MAC limit.
#![no_main]

use embertls::__testing::DtlsLayer;
use embertls::config::{DtlsOptions, UnexpectedCid};
use embertls::error::PeerMisbehaved;
use embertls::msgs::enums::{CipherSuite, ContentType};
use embertls::Error;
use embertls_fuzz::provider;
use libfuzzer_sys::fuzz_target;

const SUITES: [(CipherSuite, bool); 5] = [
    (CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true),
    (CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, true),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        true,
    ),
    (CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, true),
    (CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, false),
];

/// The largest key block of the suites above, cut to each suite's length.
fn key_block(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(13).wrapping_add(5))
        .collect()
}

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

    /// One byte, or two with the top bit set (up to 32 KiB).
    fn len(&mut self) -> usize {
        let b = self.byte().unwrap_or(0) as usize;
        if b & 0x80 == 0 {
            b
        } else {
            ((b & 0x7f) << 8) | self.byte().unwrap_or(0) as usize
        }
    }
}

fn allowed(e: &Error) -> bool {
    matches!(
        e,
        Error::DecryptFailed
            | Error::InvalidMessage(_)
            | Error::PeerMisbehaved(
                PeerMisbehaved::ReplayedRecord
                    | PeerMisbehaved::UnexpectedConnectionId
                    | PeerMisbehaved::TooManyBadRecords
            )
    )
}

fuzz_target!(|data: &[u8]| {
    let mut ops = Ops(data);
    let mode = ops.byte().unwrap_or(0);
    let (suite, etm) = SUITES[usize::from(mode % 5)];
    let use_cid = mode & 0x08 != 0;
    let options = DtlsOptions {
        anti_replay: mode & 0x10 == 0,
        badmac_limit: u32::from((mode >> 5) & 3) * 2,
        unexpected_cid: if mode & 0x80 != 0 {
            UnexpectedCid::Fail
        } else {
            UnexpectedCid::Ignore
        },
        ..DtlsOptions::default()
    };
    let provider = provider(0xd7);
    let Some(len) = embertls::__testing::Tls12Keys::key_block_len(suite) else {
        return;
    };
    let block = key_block(len);
    let Ok(mut tx) = DtlsLayer::from_key_block(&provider, suite, &block, etm, true, &options)
    else {
        return;
    };
    let mut rx = DtlsLayer::from_key_block(&provider, suite, &block, etm, false, &options)
        .expect("same suite");
    if use_cid {
        tx.set_peer_cid(Some(vec![0xc1, 0xd0]));
        rx.set_own_cid(Some(vec![0xc1, 0xd0]));
    }

    while let Some(op) = ops.byte() {
        let datagram = if op & 1 == 0 {
            // Raw bytes.
            let len = ops.len();
            ops.take(len).to_vec()
        } else {
            // Up to four sealed records, maybe mangled.
            let mut records = Vec::new();
            let mut expected = Vec::new();
            for _ in 0..=((op >> 1) & 3) {
                let typ = ContentType(20 + ops.byte().unwrap_or(3) % 4);
                let len = ops.len().min(16_000);
                let payload = ops.take(len);
                let record = tx.seal(1, typ, payload).expect("seal");
                expected.push((typ, payload.to_vec()));
                records.push(record);
            }
            let mangle = op & 0x70 != 0;
            let mut datagram = records.concat();
            if mangle {
                let at = ops.len();
                let xor = ops.byte().unwrap_or(0);
                if !datagram.is_empty() && xor != 0 {
                    let at = at % datagram.len();
                    datagram[at] ^= xor;
                }
                if op & 0x80 != 0 {
                    let keep = ops.len().min(datagram.len());
                    datagram.truncate(keep);
                }
            } else {
                // Intact: the first record checks, everything opens.
                rx.check_record(&datagram).expect("check a sealed record");
                let opened = rx.open(&datagram).expect("open sealed records");
                let got: Vec<_> = opened.into_iter().map(|r| (r.0, r.3)).collect();
                assert_eq!(got, expected);
                continue;
            }
            datagram
        };
        if let Err(e) = rx.check_record(&datagram) {
            assert!(allowed(&e), "{e:?}");
        }
        match rx.open(&datagram) {
            Ok(records) => {
                for r in records {
                    assert_eq!(r.1, 1);
                    assert!(r.3.len() <= 16_384);
                }
            }
            Err(e) => {
                assert!(allowed(&e), "{e:?}");
                return;
            }
        }
    }
});
