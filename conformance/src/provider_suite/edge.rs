//! What every backend must refuse.

use embertls::crypto::{AeadAlgorithm, CryptoProvider, SignatureAlgorithm};
use embertls::error::CryptoError;
use embertls::msgs::enums::{HashAlgorithm, NamedGroup};

use super::{ecdsa, hex, seal, vector_file, AEADS, CBCS, CCMS, GROUPS, SHA2};
use crate::testkit::deterministic::ScriptedRandom;

/// Signatures that must not verify: wrong hash, wrong padding, wrong key,
/// truncated, extended, empty, and malformed public keys.
pub fn invalid_signatures_rejected(p: &CryptoProvider) {
    let v = &p.verifier;
    let msg = vector_file("msg.bin");
    let name = p.name;
    let rsa = vector_file("rsa2048.pub");
    let rsa4096 = vector_file("rsa4096.pub");
    let pss256 = vector_file("rsa2048-pss-sha256.sig");
    let pkcs256 = vector_file("rsa2048-pkcs1-sha256.sig");
    let sha = |hash| SignatureAlgorithm::RsaPss { hash };
    let pkcs = |hash| SignatureAlgorithm::RsaPkcs1 { hash };
    let refused = [
        (
            sha(HashAlgorithm::SHA384),
            &rsa,
            &pss256,
            "PSS-SHA256 as PSS-SHA384",
        ),
        (pkcs(HashAlgorithm::SHA256), &rsa, &pss256, "PSS as PKCS#1"),
        (sha(HashAlgorithm::SHA256), &rsa, &pkcs256, "PKCS#1 as PSS"),
        (
            pkcs(HashAlgorithm::SHA512),
            &rsa,
            &pkcs256,
            "PKCS#1 SHA-256 as SHA-512",
        ),
        (
            sha(HashAlgorithm::SHA256),
            &rsa4096,
            &pss256,
            "another RSA key",
        ),
    ];
    for (alg, key, sig, what) in refused {
        assert!(
            v.verify(alg, key, &msg, sig).is_err(),
            "[{name}] {what} verified"
        );
    }
    let mut long = pss256.clone();
    long.push(0);
    let mut prefixed = vec![0u8];
    prefixed.extend_from_slice(&pss256);
    for (sig, what) in [
        (&pss256[..255], "truncated"),
        (&long[..], "with a trailing byte"),
        (&prefixed[..], "with a leading zero byte"),
        (&[][..], "empty"),
    ] {
        assert!(
            v.verify(sha(HashAlgorithm::SHA256), &rsa, &msg, sig)
                .is_err(),
            "[{name}] RSA signature {what} verified"
        );
    }

    let p256 = vector_file("p256.pub");
    let p384 = vector_file("p384.pub");
    let ec_sig = vector_file("p256-sha256.sig");
    let alg = ecdsa(NamedGroup::secp256r1, HashAlgorithm::SHA256);
    assert!(
        v.verify(
            ecdsa(NamedGroup::secp256r1, HashAlgorithm::SHA384),
            &p256,
            &msg,
            &ec_sig
        )
        .is_err(),
        "[{name}] ECDSA with the wrong hash verified"
    );
    assert!(
        v.verify(
            ecdsa(NamedGroup::secp384r1, HashAlgorithm::SHA256),
            &p384,
            &msg,
            &ec_sig
        )
        .is_err(),
        "[{name}] ECDSA under a P-384 key verified"
    );
    // Not DER: trailing garbage, and the raw r || s form.
    let mut trailing = ec_sig.clone();
    trailing.push(0);
    assert!(
        v.verify(alg, &p256, &msg, &trailing).is_err(),
        "[{name}] DER + trailing byte"
    );
    assert!(
        v.verify(alg, &p256, &msg, &[0u8; 64]).is_err(),
        "[{name}] raw r||s of zeros"
    );
    assert!(
        v.verify(alg, &p256, &msg, &[]).is_err(),
        "[{name}] empty ECDSA signature"
    );
    // Public keys that are no points: InvalidKey.
    let mut off_curve = p256.clone();
    off_curve[64] ^= 1;
    for (key, what) in [
        (&off_curve[..], "off the curve"),
        (&[4u8][..], "a lone 0x04"),
        (&p384[..], "a P-384 point"),
    ] {
        assert_eq!(
            v.verify(alg, key, &msg, &ec_sig),
            Err(CryptoError::InvalidKey),
            "[{name}] ECDSA key {what}"
        );
    }

    let ed = vector_file("ed25519.pub");
    let ed_sig = vector_file("ed25519.sig");
    let ed_alg = SignatureAlgorithm::Ed25519;
    assert_eq!(
        v.verify(ed_alg, &ed[..31], &msg, &ed_sig),
        Err(CryptoError::InvalidKey),
        "[{name}] 31-byte Ed25519 key"
    );
    assert!(
        v.verify(ed_alg, &ed, &msg, &ed_sig[..63]).is_err(),
        "[{name}] short Ed25519 sig"
    );
    let mut s_too_big = ed_sig.clone();
    // S + L is the same point arithmetic but non-canonical: must fail.
    let l = hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(s_too_big[32 + i]) + u16::from(l[i]) + carry;
        s_too_big[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    assert!(
        v.verify(ed_alg, &ed, &msg, &s_too_big).is_err(),
        "[{name}] Ed25519 S >= L"
    );
}

/// RSA public keys under 2048 bits are `InvalidKey`, even under a valid
/// signature.
pub fn rsa_keys_under_2048_rejected(p: &CryptoProvider) {
    let msg = vector_file("msg.bin");
    let key = vector_file("rsa1024.pub");
    for (file, alg) in [
        (
            "rsa1024-pkcs1-sha256.sig",
            SignatureAlgorithm::RsaPkcs1 {
                hash: HashAlgorithm::SHA256,
            },
        ),
        (
            "rsa1024-pss-sha256.sig",
            SignatureAlgorithm::RsaPss {
                hash: HashAlgorithm::SHA256,
            },
        ),
    ] {
        assert_eq!(
            p.verifier.verify(alg, &key, &msg, &vector_file(file)),
            Err(CryptoError::InvalidKey),
            "[{}] {file}: a 1024-bit RSA key must be refused",
            p.name
        );
    }
    // A good key followed by a stray byte is not DER.
    let mut trailing = vector_file("rsa2048.pub");
    trailing.push(0);
    let alg = SignatureAlgorithm::RsaPkcs1 {
        hash: HashAlgorithm::SHA256,
    };
    let sig = vector_file("rsa2048-pkcs1-sha256.sig");
    assert_eq!(
        p.verifier.verify(alg, &trailing, &msg, &sig),
        Err(CryptoError::InvalidKey),
        "[{}] an RSAPublicKey with a trailing byte",
        p.name
    );
    assert_eq!(
        p.verifier.verify(
            SignatureAlgorithm::RsaPkcs1 {
                hash: HashAlgorithm::SHA256
            },
            b"\x30\x03\x02\x01\x01",
            &msg,
            &[0u8; 256]
        ),
        Err(CryptoError::InvalidKey),
        "[{}] a malformed RSAPublicKey",
        p.name
    );
}

/// Algorithms outside the supported set are reported, not guessed at.
pub fn unsupported_algorithms_reported(p: &CryptoProvider) {
    for alg in [
        ecdsa(NamedGroup::secp521r1, HashAlgorithm::SHA512),
        ecdsa(NamedGroup::secp256r1, HashAlgorithm::SHA1),
        SignatureAlgorithm::RsaPkcs1 {
            hash: HashAlgorithm::SHA1,
        },
        SignatureAlgorithm::RsaPss {
            hash: HashAlgorithm(1),
        },
    ] {
        assert!(!p.verifier.supports(alg), "[{}] claims {alg:?}", p.name);
        assert_eq!(
            p.verifier.verify(alg, &[4], b"m", &[0]),
            Err(CryptoError::UnsupportedAlgorithm),
            "[{}] {alg:?}",
            p.name
        );
    }
    for scheme in embertls::config::default_signature_schemes() {
        let alg = SignatureAlgorithm::from_scheme(scheme).unwrap();
        assert!(p.verifier.supports(alg), "[{}] lacks {scheme:?}", p.name);
    }
    for hash in SHA2 {
        for curve in [NamedGroup::secp256r1, NamedGroup::secp384r1] {
            assert!(
                p.verifier.supports(ecdsa(curve, hash)),
                "[{}] ECDSA {curve:?} {hash:?}",
                p.name
            );
        }
    }
}

/// Key shares that must be `InvalidKey`: off-curve, compressed, infinity,
/// wrong lengths and prefixes for the NIST curves; wrong lengths and every
/// small-order point (all-zero result) for X25519.
pub fn invalid_key_shares_rejected(p: &CryptoProvider) -> usize {
    let rng = ScriptedRandom::new(&[]);
    let mut count = 0;
    let mut reject = |group: NamedGroup, share: &[u8], what: &str| {
        let kx = p.group(group).unwrap().start(&rng).unwrap();
        assert_eq!(
            kx.complete(share).err(),
            Some(CryptoError::InvalidKey),
            "[{}] {group:?} share {what} ({} bytes) accepted",
            p.name,
            share.len()
        );
        count += 1;
    };
    for group in [NamedGroup::secp256r1, NamedGroup::secp384r1] {
        let good = p
            .group(group)
            .unwrap()
            .start(&rng)
            .unwrap()
            .public_key()
            .to_vec();
        let len = (good.len() - 1) / 2;
        let mut off = good.clone();
        off[good.len() - 1] ^= 1;
        reject(group, &off, "off the curve");
        let mut compressed = vec![0x02 | (good[good.len() - 1] & 1)];
        compressed.extend_from_slice(&good[1..=len]);
        reject(group, &compressed, "compressed");
        let mut hybrid = good.clone();
        hybrid[0] = 0x06 | (good[good.len() - 1] & 1);
        reject(group, &hybrid, "hybrid form");
        let mut no_prefix = good.clone();
        no_prefix[0] = 0x05;
        reject(group, &no_prefix, "bad prefix");
        reject(group, &[0x00], "point at infinity");
        reject(group, &[], "empty");
        reject(group, &good[..good.len() - 1], "one byte short");
        reject(group, &[&good[..], &[0]].concat(), "one byte long");
        let mut zeros = vec![0u8; good.len()];
        zeros[0] = 4;
        reject(group, &zeros, "(0, 0)");
        let mut x_only = good.clone();
        x_only[1 + len..].fill(0);
        reject(group, &x_only, "y = 0");
        // (x, y) with x, y = p: outside the field.
        let mut p_coords = vec![4u8];
        p_coords.extend_from_slice(&vec![0xff; 2 * len]);
        reject(group, &p_coords, "coordinates above p");
    }
    // RFC 7748 / RFC 8446 7.4.2: the small-order points (and their
    // non-canonical encodings) give an all-zero secret.
    for point in [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ] {
        reject(NamedGroup::X25519, &hex(point), "of small order");
    }
    reject(NamedGroup::X25519, &[9u8; 31], "31 bytes");
    reject(NamedGroup::X25519, &[9u8; 33], "33 bytes");
    reject(NamedGroup::X25519, &[], "empty");
    count
}

/// Key exchange surfaces a failing random source as `RandomFailed`.
pub fn random_failure_propagates(p: &CryptoProvider) {
    struct Broken;
    impl embertls::crypto::SecureRandom for Broken {
        fn fill(&self, _: &mut [u8]) -> Result<(), CryptoError> {
            Err(CryptoError::RandomFailed)
        }
    }
    for group in GROUPS {
        assert_eq!(
            p.group(group).unwrap().start(&Broken).err(),
            Some(CryptoError::RandomFailed),
            "[{}] {group:?}",
            p.name
        );
    }
    let mut a = [0u8; 64];
    let mut b = [0u8; 64];
    p.random.fill(&mut a).unwrap();
    p.random.fill(&mut b).unwrap();
    assert_ne!(a, b, "[{}] the random source repeats", p.name);
    p.random.fill(&mut []).unwrap();
}

/// Forged records fail with the buffer holding no plaintext (left as the
/// ciphertext or wiped); wrong tag buffers fail.
pub fn aead_rejects_forgeries(p: &CryptoProvider) -> usize {
    let mut count = 0;
    let plaintext: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
    for alg in AEADS {
        let key = vec![0x42u8; alg.key_len()];
        let nonce = [7u8; 12];
        let sealed = seal(p, alg, &key, &nonce, b"header", &plaintext);
        let (ct, tag) = sealed.split_at(plaintext.len());
        let aead = p.aead(alg).unwrap().new_key(&key).unwrap();
        let mut check = |nonce: &[u8; 12], aad: &[u8], ct: &[u8], tag: &[u8], what: &str| {
            let mut buf = ct.to_vec();
            assert!(
                aead.open_in_place(nonce, aad, &mut buf, tag).is_err(),
                "[{}] {alg:?}: {what} opened",
                p.name
            );
            for (i, (got, pt)) in buf.chunks(16).zip(plaintext.chunks(16)).enumerate() {
                assert_ne!(
                    got, pt,
                    "[{}] {alg:?}: {what}: block {i} released as plaintext",
                    p.name
                );
            }
            assert!(
                buf == ct || buf.iter().all(|&b| b == 0),
                "[{}] {alg:?}: {what}: buffer neither ciphertext nor wiped",
                p.name
            );
            count += 1;
        };
        for i in [0, tag.len() - 1] {
            let mut bad = tag.to_vec();
            bad[i] ^= 0x80;
            check(&nonce, b"header", ct, &bad, "altered tag");
        }
        for i in [0, ct.len() / 2, ct.len() - 1] {
            let mut bad = ct.to_vec();
            bad[i] ^= 1;
            check(&nonce, b"header", &bad, tag, "altered ciphertext");
        }
        check(&nonce, b"headeR", ct, tag, "altered AAD");
        check(&nonce, b"", ct, tag, "missing AAD");
        check(&[8u8; 12], b"header", ct, tag, "another nonce");
        check(&nonce, b"header", ct, &[0u8; 16], "zero tag");
        check(
            &nonce,
            b"header",
            &ct[..ct.len() - 1],
            tag,
            "truncated ciphertext",
        );
        // The right record still opens with the same key afterwards.
        let mut buf = ct.to_vec();
        aead.open_in_place(&nonce, b"header", &mut buf, tag)
            .unwrap();
        assert_eq!(buf, plaintext, "[{}] {alg:?} after forgeries", p.name);
        // A tag buffer of the wrong length is an error, both ways.
        let mut short = [0u8; 8];
        let mut scratch = plaintext.clone();
        assert!(
            aead.seal_in_place(&nonce, b"", &mut scratch, &mut short)
                .is_err(),
            "[{}] {alg:?} 8-byte tag out",
            p.name
        );
        assert!(
            aead.open_in_place(&nonce, b"", &mut scratch, &tag[..8])
                .is_err(),
            "[{}] {alg:?} 8-byte tag in",
            p.name
        );
    }
    count
}

/// Wrong AEAD key sizes are `InvalidKey`.
pub fn wrong_key_sizes_rejected(p: &CryptoProvider) {
    for alg in AEADS {
        for len in [0, 1, 15, 16, 24, 31, 32, 33, 64] {
            if len == alg.key_len() {
                continue;
            }
            assert_eq!(
                p.aead(alg).unwrap().new_key(&vec![1u8; len]).err(),
                Some(CryptoError::InvalidKey),
                "[{}] {alg:?} accepted a {len}-byte key",
                p.name
            );
        }
    }
    assert!(p
        .aead(AeadAlgorithm::Aes128Gcm)
        .unwrap()
        .new_key(&[0u8; 16])
        .is_ok());
}

/// HKDF-Expand gives at most 255 * HashLen bytes.
pub fn hkdf_output_limit(p: &CryptoProvider) {
    for alg in SHA2 {
        let hkdf = p.hkdf(alg).unwrap();
        let len = hkdf.hash_len();
        let prk = hkdf.extract(b"salt", b"input keying material");
        let mut max = vec![0u8; 255 * len];
        hkdf.expand(prk.as_ref(), &[b"info"], &mut max)
            .unwrap_or_else(|e| panic!("[{}] {alg:?} 255*HashLen: {e:?}", p.name));
        let mut short = vec![0u8; len + 1];
        hkdf.expand(prk.as_ref(), &[b"info"], &mut short).unwrap();
        assert_eq!(short, max[..len + 1], "[{}] {alg:?} prefix", p.name);
        let mut over = vec![0u8; 255 * len + 1];
        assert!(
            hkdf.expand(prk.as_ref(), &[b"info"], &mut over).is_err(),
            "[{}] {alg:?} gave more than 255*HashLen bytes",
            p.name
        );
        let mut empty = [0u8; 0];
        hkdf.expand(prk.as_ref(), &[], &mut empty).unwrap();
    }
}

/// AES-CCM (16- and 8-byte tags) refuses forgeries, and what it leaves in
/// the buffer is ciphertext or zeros, never plaintext: CCM authenticates
/// the plaintext, so backends decrypt before they can check.
pub fn ccm_rejects_forgeries(p: &CryptoProvider) -> usize {
    let mut count = 0;
    let plaintext: Vec<u8> = (0..100u32).map(|i| (i * 11 + 1) as u8).collect();
    for alg in CCMS {
        let name = p.name;
        let key = vec![0x24u8; alg.key_len()];
        let nonce = [9u8; 12];
        let sealed = seal(p, alg, &key, &nonce, b"header", &plaintext);
        assert_eq!(sealed.len(), plaintext.len() + alg.tag_len());
        let (ct, tag) = sealed.split_at(plaintext.len());
        let aead = p.aead(alg).unwrap().new_key(&key).unwrap();
        let mut check = |nonce: &[u8; 12], aad: &[u8], ct: &[u8], tag: &[u8], what: &str| {
            let mut buf = ct.to_vec();
            assert!(
                aead.open_in_place(nonce, aad, &mut buf, tag).is_err(),
                "[{name}] {alg:?}: {what} opened"
            );
            assert!(
                buf == ct || buf.iter().all(|&b| b == 0),
                "[{name}] {alg:?}: {what}: buffer neither ciphertext nor wiped"
            );
            count += 1;
        };
        for i in 0..tag.len() {
            let mut bad = tag.to_vec();
            bad[i] ^= 1 << (i % 8);
            check(&nonce, b"header", ct, &bad, "altered tag");
        }
        for i in [0, ct.len() / 2, ct.len() - 1] {
            let mut bad = ct.to_vec();
            bad[i] ^= 0x10;
            check(&nonce, b"header", &bad, tag, "altered ciphertext");
        }
        check(&nonce, b"headeR", ct, tag, "altered AAD");
        check(&[1u8; 12], b"header", ct, tag, "another nonce");
        check(&nonce, b"header", ct, &vec![0u8; tag.len()], "zero tag");
        check(&nonce, b"header", &ct[1..], tag, "truncated ciphertext");
        // A tag of the other CCM length is refused, not truncated.
        let other_len = if alg.tag_len() == 8 { 16 } else { 8 };
        check(
            &nonce,
            b"header",
            ct,
            &sealed[..other_len],
            "wrong tag length",
        );
        let mut scratch = plaintext.clone();
        assert!(
            aead.seal_in_place(&nonce, b"", &mut scratch, &mut vec![0u8; other_len])
                .is_err(),
            "[{name}] {alg:?} sealed with a {other_len}-byte tag"
        );
        // The key still opens the genuine record afterwards.
        let mut buf = ct.to_vec();
        aead.open_in_place(&nonce, b"header", &mut buf, tag)
            .unwrap();
        assert_eq!(buf, plaintext, "[{name}] {alg:?} after forgeries");
        for len in [0, 15, 24, 33] {
            if len != alg.key_len() {
                assert_eq!(
                    p.aead(alg).unwrap().new_key(&vec![1u8; len]).err(),
                    Some(CryptoError::InvalidKey),
                    "[{name}] {alg:?} accepted a {len}-byte key"
                );
            }
        }
    }
    count
}

/// CBC works on whole blocks only: other lengths are an error (never a
/// panic) and leave the buffer alone; wrong key sizes are `InvalidKey`.
pub fn cbc_partial_blocks_refused(p: &CryptoProvider) {
    let name = p.name;
    for alg in CBCS {
        let cbc = p.cbc(alg).unwrap_or_else(|| panic!("[{name}] no {alg:?}"));
        let key = cbc.new_key(&vec![5u8; alg.key_len()]).unwrap();
        let iv = [6u8; 16];
        for len in [1, 8, 15, 17, 31, 33, 100, 16_383] {
            let mut buf = vec![0x3cu8; len];
            assert!(
                key.encrypt_in_place(&iv, &mut buf).is_err(),
                "[{name}] {alg:?} encrypted {len} bytes"
            );
            assert!(
                key.decrypt_in_place(&iv, &mut buf).is_err(),
                "[{name}] {alg:?} decrypted {len} bytes"
            );
            assert!(
                buf.iter().all(|&b| b == 0x3c),
                "[{name}] {alg:?} touched a refused {len}-byte buffer"
            );
        }
        for len in [0, 1, 15, 24, 31, 33, 64] {
            if len != alg.key_len() {
                assert_eq!(
                    cbc.new_key(&vec![1u8; len]).err(),
                    Some(CryptoError::InvalidKey),
                    "[{name}] {alg:?} accepted a {len}-byte key"
                );
            }
        }
    }
}

/// Finite-field DH peer values outside 2..=p-2 (0, 1, p-1, p, p+1, longer
/// than p, empty) are `InvalidKey` in every RFC 7919 group, and parameters
/// that are no group are refused.
pub fn ffdh_invalid_values_rejected(p: &CryptoProvider) -> usize {
    let name = p.name;
    let dh = p
        .ffdh
        .as_ref()
        .unwrap_or_else(|| panic!("[{name}] no finite-field DH"));
    let mut count = 0;
    for group in [
        NamedGroup::FFDHE2048,
        NamedGroup::FFDHE3072,
        NamedGroup::FFDHE4096,
    ] {
        let params = embertls::crypto::ffdh::named_ffdhe_params(group).unwrap();
        let prime = params.p.to_vec();
        let len = prime.len();
        let padded = |n: u8| {
            let mut v = vec![0u8; len];
            v[len - 1] = n;
            v
        };
        let mut p_minus_1 = prime.clone();
        p_minus_1[len - 1] -= 1;
        let mut p_plus_1 = prime.clone();
        p_plus_1[len - 1] = 0; // p ends in 0xff..ff: p + 1 = ...00 with a carry
        for b in p_plus_1.iter_mut().rev().skip(1) {
            if *b == 0xff {
                *b = 0;
            } else {
                *b += 1;
                break;
            }
        }
        let mut longer = vec![1u8];
        longer.extend_from_slice(&prime);
        let bad: [(&str, Vec<u8>); 10] = [
            ("0", padded(0)),
            ("0 (one byte)", vec![0]),
            ("1", padded(1)),
            ("1 (one byte)", vec![1]),
            ("p-1", p_minus_1),
            ("p", prime.clone()),
            ("p+1", p_plus_1),
            ("longer than p", longer),
            ("all ones", vec![0xff; len]),
            ("empty", vec![]),
        ];
        for (what, value) in bad {
            let kx = p.start_key_exchange(group).unwrap();
            assert_eq!(
                kx.complete(&value).err(),
                Some(CryptoError::InvalidKey),
                "[{name}] {group:?}: peer value {what} accepted"
            );
            count += 1;
        }
        // 2 and p-2 are in range.
        for good in [padded(2), {
            let mut v = prime.clone();
            v[len - 1] -= 2;
            v
        }] {
            let kx = p.start_key_exchange(group).unwrap();
            assert!(
                kx.complete(&good).is_ok(),
                "[{name}] {group:?}: 2 or p-2 refused"
            );
        }
    }
    let rng = &*p.random;
    let ffdhe2048 = embertls::crypto::ffdh::named_ffdhe_params(NamedGroup::FFDHE2048).unwrap();
    let mut even = ffdhe2048.p.to_vec();
    *even.last_mut().unwrap() = 0xfe;
    for (what, prime, g) in [
        ("an even modulus", &even[..], &[2u8][..]),
        ("g = 1", ffdhe2048.p, &[1u8][..]),
        ("g = 0", ffdhe2048.p, &[][..]),
        ("g = p", ffdhe2048.p, ffdhe2048.p),
        ("an empty modulus", &[][..], &[2u8][..]),
    ] {
        assert!(
            dh.start(NamedGroup(0), prime, g, rng).is_err(),
            "[{name}] FFDH accepted {what}"
        );
        count += 1;
    }
    count
}

/// RSA decryption of anything but a well-padded ciphertext is an error:
/// garbage, zeros, a value above the modulus, wrong lengths, a tampered
/// ciphertext; keys that are not RSA do not decrypt; key transport refuses
/// small or malformed keys and over-long messages.
pub fn rsa_decrypt_garbage_rejected(p: &CryptoProvider) -> usize {
    let name = p.name;
    let key = p
        .key_loader
        .load_private_key(&vector_file("rsa2048.pk8.der"))
        .unwrap();
    let good = vector_file("rsa2048-pkcs1v15-enc.bin");
    let garbage: Vec<u8> = (0..256u32).map(|i| (i * 97 + 13) as u8 | 1).collect();
    let mut tampered = good.clone();
    tampered[128] ^= 0x01;
    let mut count = 0;
    for (what, ct) in [
        ("garbage", garbage.clone()),
        ("zeros", vec![0u8; 256]),
        ("above the modulus", vec![0xffu8; 256]),
        ("empty", vec![]),
        ("one byte short", good[1..].to_vec()),
        ("one byte long", [&[0u8][..], &good].concat()),
        ("tampered", tampered),
        ("a plaintext-sized buffer", vec![0x02; 48]),
    ] {
        assert!(
            key.decrypt(&ct).is_err(),
            "[{name}] RSA decryption of {what} succeeded"
        );
        count += 1;
    }
    for file in ["p256.pk8.der", "ed25519.pk8.der"] {
        let key = p.key_loader.load_private_key(&vector_file(file)).unwrap();
        assert!(
            key.decrypt(&good).is_err(),
            "[{name}] {file} decrypted an RSA ciphertext"
        );
        count += 1;
    }
    let kt = p
        .rsa_key_transport
        .as_ref()
        .unwrap_or_else(|| panic!("[{name}] no RSA key transport"));
    let premaster = vector_file("premaster.bin");
    for (what, public) in [
        ("a 1024-bit key", vector_file("rsa1024.pub")),
        ("junk", b"junk".to_vec()),
        ("an EC point", vector_file("p256.pub")),
        (
            "a key with a trailing byte",
            [vector_file("rsa2048.pub"), vec![0]].concat(),
        ),
    ] {
        assert_eq!(
            kt.encrypt_pkcs1(&public, &premaster, &*p.random).err(),
            Some(CryptoError::InvalidKey),
            "[{name}] RSA key transport to {what}"
        );
        count += 1;
    }
    // PKCS#1 v1.5 needs 11 bytes of overhead.
    let rsa2048 = vector_file("rsa2048.pub");
    assert!(kt.encrypt_pkcs1(&rsa2048, &[1u8; 246], &*p.random).is_err());
    assert!(kt.encrypt_pkcs1(&rsa2048, &[1u8; 245], &*p.random).is_ok());
    count
}
