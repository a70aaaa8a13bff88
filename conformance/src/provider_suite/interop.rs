//! Two backends' primitives against each other: what one produces, the
//! other must accept and reproduce.

use embertls::crypto::ffdh::named_ffdhe_params;
use embertls::crypto::{CryptoProvider, SignatureAlgorithm};
use embertls::msgs::enums::{HashAlgorithm, NamedGroup};

use super::kat::custom_dh_groups;
use super::vectors::private_key_files;
use super::{open, seal, vector_file, AEADS, CBCS, CCMS, GROUPS, SHA2};

/// Key shares from `a` complete on `b` (and back) to the same secret, for
/// every group both offer.
pub fn key_exchange_interop(a: &CryptoProvider, b: &CryptoProvider) -> usize {
    let mut count = 0;
    for group in GROUPS {
        let (Some(ga), Some(gb)) = (a.group(group), b.group(group)) else {
            panic!("[{} / {}] {group:?} missing", a.name, b.name);
        };
        for _ in 0..4 {
            let x = ga.start(&*a.random).unwrap();
            let y = gb.start(&*b.random).unwrap();
            let (x_pub, y_pub) = (x.public_key().to_vec(), y.public_key().to_vec());
            assert_eq!(
                x_pub.len(),
                y_pub.len(),
                "[{} / {}] {group:?} share length",
                a.name,
                b.name
            );
            let sx = x.complete(&y_pub).unwrap_or_else(|e| {
                panic!("[{}] {group:?} refused {}'s share: {e:?}", a.name, b.name)
            });
            let sy = y.complete(&x_pub).unwrap_or_else(|e| {
                panic!("[{}] {group:?} refused {}'s share: {e:?}", b.name, a.name)
            });
            assert_eq!(
                sx.as_ref(),
                sy.as_ref(),
                "[{} / {}] {group:?} secrets differ",
                a.name,
                b.name
            );
            count += 1;
        }
    }
    count
}

/// Every key of the vector set, loaded by `a`, signs every scheme its
/// type allows; `b` verifies each signature and refuses it over another
/// message.
pub fn signature_interop(a: &CryptoProvider, b: &CryptoProvider) -> usize {
    let message = b"signed on one backend, verified on another";
    let mut count = 0;
    for (file, public, key_type) in private_key_files() {
        if file.ends_with(".sec1.der") || file.ends_with(".pkcs1.der") {
            continue; // the same keys as the PKCS#8 files
        }
        let key = a.key_loader.load_private_key(&vector_file(&file)).unwrap();
        let public = vector_file(&format!("{public}.pub"));
        for &scheme in key_type.tls13_schemes().iter().chain(&[
            embertls::msgs::enums::SignatureScheme::RSA_PKCS1_SHA256,
            embertls::msgs::enums::SignatureScheme::RSA_PKCS1_SHA512,
        ]) {
            let alg = SignatureAlgorithm::from_scheme(scheme).unwrap();
            if alg.key_type() != key_type {
                continue;
            }
            let sig = key.sign(scheme, message).unwrap();
            assert_eq!(
                b.verifier.verify(alg, &public, message, &sig),
                Ok(()),
                "[{} -> {}] {file} {scheme:?}",
                a.name,
                b.name
            );
            assert!(b.verifier.verify(alg, &public, b"another", &sig).is_err());
            count += 1;
        }
    }
    count
}

/// Records sealed by `a` open on `b` and the other way round, for every
/// AEAD and a range of lengths across block and chunk boundaries; hashes,
/// HMAC, HKDF and the PRF give the same bytes.
pub fn symmetric_interop(a: &CryptoProvider, b: &CryptoProvider) -> usize {
    let mut count = 0;
    let mut key_bytes = [0u8; 32];
    a.random.fill(&mut key_bytes).unwrap();
    for alg in AEADS {
        let key = &key_bytes[..alg.key_len()];
        for len in [
            0usize,
            1,
            15,
            16,
            17,
            63,
            64,
            65,
            255,
            1000,
            4095,
            4096,
            4097,
            16_384 + 256,
        ] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 31 + len) as u8).collect();
            let nonce = [(len % 251) as u8; 12];
            let aad = [0x17, 0x03, 0x03, (len >> 8) as u8, len as u8];
            for (x, y) in [(a, b), (b, a)] {
                let sealed = seal(x, alg, key, &nonce, &aad, &plaintext);
                assert_eq!(
                    sealed,
                    seal(y, alg, key, &nonce, &aad, &plaintext),
                    "[{} / {}] {alg:?} {len} bytes",
                    x.name,
                    y.name
                );
                let opened = open(y, alg, key, &nonce, &aad, &sealed).unwrap_or_else(|e| {
                    panic!("[{} -> {}] {alg:?} {len} bytes: {e:?}", x.name, y.name)
                });
                assert_eq!(opened, plaintext);
                count += 1;
            }
        }
    }
    let data: Vec<u8> = (0..3000u32).map(|i| (i % 253) as u8).collect();
    for alg in SHA2 {
        let (ha, hb) = (a.hash(alg).unwrap(), b.hash(alg).unwrap());
        for len in [0, 55, 56, 64, 111, 112, 128, 3000] {
            assert_eq!(
                ha.hash(&data[..len]).as_ref(),
                hb.hash(&data[..len]).as_ref(),
                "{alg:?} hash {len}"
            );
        }
        let (ma, mb) = (a.hmac(alg).unwrap(), b.hmac(alg).unwrap());
        for key_len in [0, 1, 32, 64, 128, 129, 200] {
            assert_eq!(
                ma.with_key(&data[..key_len])
                    .sign(&[&data[..100], &data[100..]])
                    .as_ref(),
                mb.with_key(&data[..key_len]).sign(&[&data]).as_ref(),
                "[{} / {}] HMAC {alg:?} key {key_len}",
                a.name,
                b.name
            );
        }
        let (ka, kb) = (a.hkdf(alg).unwrap(), b.hkdf(alg).unwrap());
        for (salt, ikm) in [
            (&[][..], &[][..]),
            (&data[..13], &data[..80]),
            (&data[..200], &data[..1]),
        ] {
            let (pa, pb) = (ka.extract(salt, ikm), kb.extract(salt, ikm));
            assert_eq!(
                pa.as_ref(),
                pb.as_ref(),
                "[{} / {}] HKDF-Extract {alg:?}",
                a.name,
                b.name
            );
            let mut oa = vec![0u8; 300];
            let mut ob = vec![0u8; 300];
            ka.expand(
                pa.as_ref(),
                &[b"tls13 ", b"c hs traffic", &data[..32]],
                &mut oa,
            )
            .unwrap();
            kb.expand(pb.as_ref(), &[b"tls13 c hs traffic", &data[..32]], &mut ob)
                .unwrap();
            assert_eq!(oa, ob, "[{} / {}] HKDF-Expand {alg:?}", a.name, b.name);
        }
        if let (Some(pa), Some(pb)) = (a.prf(alg), b.prf(alg)) {
            let mut oa = vec![0u8; 104];
            let mut ob = vec![0u8; 104];
            pa.prf(&data[..48], b"key expansion", &data[48..112], &mut oa);
            pb.prf(&data[..48], b"key expansion", &data[48..112], &mut ob);
            assert_eq!(oa, ob, "[{} / {}] PRF {alg:?}", a.name, b.name);
        }
        count += 1;
    }
    count
}

/// Every primitive interop check between `a` and `b`.
pub fn primitives_interoperate(a: &CryptoProvider, b: &CryptoProvider) -> usize {
    key_exchange_interop(a, b) + signature_interop(a, b) + symmetric_interop(a, b)
}

/// TLS 1.2 primitives between `a` and `b`: AES-CCM/CCM-8 and AES-CBC
/// records produced on one open on the other (and both produce the same
/// bytes), finite-field DH key pairs of one complete with the other's in
/// every RFC 7919 group and with caller-supplied parameters, RSA key
/// transport encrypted by one opens with the other's private key, and
/// SHA-1/HMAC-SHA1 agree.
pub fn tls12_primitives_interoperate(a: &CryptoProvider, b: &CryptoProvider) -> usize {
    let names = format!("{} / {}", a.name, b.name);
    let mut count = 0;
    let mut key_bytes = [0u8; 32];
    a.random.fill(&mut key_bytes).unwrap();
    let lengths = [0usize, 1, 15, 16, 17, 64, 255, 1000, 4096, 16_384 + 256];
    for alg in CCMS {
        let key = &key_bytes[..alg.key_len()];
        for len in lengths {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 29 + len) as u8).collect();
            let nonce = [(len % 249) as u8; 12];
            let aad = [0x17, 0x03, 0x03, (len >> 8) as u8, len as u8];
            for (x, y) in [(a, b), (b, a)] {
                let sealed = seal(x, alg, key, &nonce, &aad, &plaintext);
                assert_eq!(
                    sealed,
                    seal(y, alg, key, &nonce, &aad, &plaintext),
                    "[{names}] {alg:?} {len} bytes"
                );
                let opened = open(y, alg, key, &nonce, &aad, &sealed).unwrap_or_else(|e| {
                    panic!("[{} -> {}] {alg:?} {len} bytes: {e:?}", x.name, y.name)
                });
                assert_eq!(opened, plaintext);
                count += 1;
            }
        }
    }
    for alg in CBCS {
        let key = &key_bytes[..alg.key_len()];
        let (ka, kb) = (
            a.cbc(alg).unwrap().new_key(key).unwrap(),
            b.cbc(alg).unwrap().new_key(key).unwrap(),
        );
        for blocks in [0usize, 1, 2, 3, 64, 1025] {
            let plaintext: Vec<u8> = (0..blocks * 16).map(|i| (i * 7 + blocks) as u8).collect();
            let iv = [(blocks % 251) as u8; 16];
            let (mut ca, mut cb) = (plaintext.clone(), plaintext.clone());
            ka.encrypt_in_place(&iv, &mut ca).unwrap();
            kb.encrypt_in_place(&iv, &mut cb).unwrap();
            assert_eq!(ca, cb, "[{names}] {alg:?} {blocks} blocks");
            ka.decrypt_in_place(&iv, &mut cb).unwrap();
            kb.decrypt_in_place(&iv, &mut ca).unwrap();
            assert_eq!(ca, plaintext, "[{} -> {}] {alg:?}", a.name, b.name);
            assert_eq!(cb, plaintext, "[{} -> {}] {alg:?}", b.name, a.name);
            count += 1;
        }
    }
    let (da, db) = match (&a.ffdh, &b.ffdh) {
        (Some(da), Some(db)) => (da, db),
        _ => panic!("[{names}] finite-field DH missing"),
    };
    let mut dh_groups: Vec<(NamedGroup, Vec<u8>, Vec<u8>)> = [
        NamedGroup::FFDHE2048,
        NamedGroup::FFDHE3072,
        NamedGroup::FFDHE4096,
    ]
    .into_iter()
    .map(|g| {
        let params = named_ffdhe_params(g).unwrap();
        (g, params.p.to_vec(), params.g.to_vec())
    })
    .collect();
    for (_, prime, g) in custom_dh_groups() {
        dh_groups.push((NamedGroup(0), prime, g));
    }
    for (group, prime, g) in &dh_groups {
        let x = da.start(*group, prime, g, &*a.random).unwrap();
        let y = db.start(*group, prime, g, &*b.random).unwrap();
        let (x_pub, y_pub) = (x.public_key().to_vec(), y.public_key().to_vec());
        let sx = x
            .complete(&y_pub)
            .unwrap_or_else(|e| panic!("[{}] {group:?} refused {}'s value: {e:?}", a.name, b.name));
        let sy = y
            .complete(&x_pub)
            .unwrap_or_else(|e| panic!("[{}] {group:?} refused {}'s value: {e:?}", b.name, a.name));
        assert_eq!(
            sx.as_ref(),
            sy.as_ref(),
            "[{names}] {group:?} ({} bits) secrets differ",
            prime.len() * 8
        );
        count += 1;
    }
    // RSA key transport: the premaster secret encrypted by one backend,
    // decrypted by the other's private key, in both directions.
    let public = vector_file("rsa2048.pub");
    let private = vector_file("rsa2048.pk8.der");
    for (x, y) in [(a, b), (b, a)] {
        let transport = x
            .rsa_key_transport
            .as_ref()
            .unwrap_or_else(|| panic!("[{}] no RSA key transport", x.name));
        let key = y.key_loader.load_private_key(&private).unwrap();
        for i in 0..4u8 {
            let mut premaster = vec![3u8, 3];
            premaster.extend((0..46u8).map(|j| j.wrapping_mul(i + 1)));
            let ct = transport
                .encrypt_pkcs1(&public, &premaster, &*x.random)
                .unwrap_or_else(|e| panic!("[{}] RSA encryption: {e:?}", x.name));
            assert_eq!(ct.len(), 256, "[{}] RSA ciphertext length", x.name);
            assert_eq!(
                key.decrypt(&ct).as_deref(),
                Ok(&premaster[..]),
                "[{} -> {}] RSA key transport",
                x.name,
                y.name
            );
            count += 1;
        }
    }
    let data: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let (ha, hb) = (
        a.hash(HashAlgorithm::SHA1).unwrap(),
        b.hash(HashAlgorithm::SHA1).unwrap(),
    );
    let (ma, mb) = (
        a.hmac(HashAlgorithm::SHA1).unwrap(),
        b.hmac(HashAlgorithm::SHA1).unwrap(),
    );
    for len in [0, 55, 56, 64, 65, 3000] {
        assert_eq!(
            ha.hash(&data[..len]).as_ref(),
            hb.hash(&data[..len]).as_ref(),
            "[{names}] SHA-1 of {len} bytes"
        );
        assert_eq!(
            ma.with_key(&data[..len])
                .sign(&[&data[..100], &data[100..]])
                .as_ref(),
            mb.with_key(&data[..len]).sign(&[&data]).as_ref(),
            "[{names}] HMAC-SHA1 key {len}"
        );
        count += 1;
    }
    count
}
