//! Published known-answer vectors, one check per primitive family.

use embertls::crypto::ffdh::named_ffdhe_params;
use embertls::crypto::{AeadAlgorithm, CbcAlgorithm, CryptoProvider, Pausable, SignatureAlgorithm};
use embertls::msgs::enums::{HashAlgorithm, NamedGroup, SignatureScheme};

use super::{hex, open, seal, vector_file, SHA2};
use crate::testkit::deterministic::ScriptedRandom;

/// FIPS 180-4 example messages and the "million a" test for SHA-256/384/512,
/// one-shot and fed in pieces.
pub fn sha2_known_answers(p: &CryptoProvider) -> usize {
    let million_a = vec![b'a'; 1_000_000];
    let messages: [&[u8]; 5] = [
        b"",
        b"abc",
        b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        &million_a,
    ];
    let expected: [[&str; 3]; 5] = [
        [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        ],
        [
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ],
        [
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            "3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6b0455a8520bc4e6f5fe95b1fe3c8452b",
            "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445",
        ],
        [
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
            "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039",
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
        ],
        [
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
            "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985",
            "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
        ],
    ];
    let mut count = 0;
    for (message, digests) in messages.iter().zip(expected) {
        for (alg, digest) in SHA2.into_iter().zip(digests) {
            let hash = p
                .hash(alg)
                .unwrap_or_else(|| panic!("[{}] no {alg:?}", p.name));
            let want = hex(digest);
            assert_eq!(hash.output_len(), want.len(), "[{}] {alg:?} length", p.name);
            assert_eq!(
                hash.hash(message).as_ref(),
                want,
                "[{}] {alg:?} of {} bytes",
                p.name,
                message.len()
            );
            // Fed in uneven pieces, including empty ones.
            let mut ctx = hash.start();
            for piece in message.chunks(997) {
                ctx.update(&[]);
                ctx.update(piece);
            }
            assert_eq!(ctx.finish().as_ref(), want, "[{}] {alg:?} streamed", p.name);
            count += 1;
        }
    }
    count
}

/// A fork equals a fresh hash of the prefix, `current` does not consume,
/// and the original keeps going unaffected.
pub fn hash_fork(p: &CryptoProvider) {
    for alg in SHA2 {
        let hash = p.hash(alg).unwrap();
        let mut ctx = hash.start();
        ctx.update(b"client hello");
        let fork = ctx.fork();
        let current = ctx.current();
        ctx.update(b" server hello");
        let mut fork2 = ctx.fork();
        fork2.update(b" certificate");
        ctx.update(b" finished");
        let name = p.name;
        assert_eq!(
            fork.finish().as_ref(),
            hash.hash(b"client hello").as_ref(),
            "[{name}] {alg:?} fork"
        );
        assert_eq!(
            current.as_ref(),
            hash.hash(b"client hello").as_ref(),
            "[{name}] {alg:?} current"
        );
        assert_eq!(
            fork2.finish().as_ref(),
            hash.hash(b"client hello server hello certificate").as_ref(),
            "[{name}] {alg:?} fork of a fork point"
        );
        assert_eq!(
            ctx.finish().as_ref(),
            hash.hash(b"client hello server hello finished").as_ref(),
            "[{name}] {alg:?} original after forks"
        );
    }
}

/// RFC 4231 section 4, cases 1-7, HMAC-SHA-256/384/512 (case 5 is
/// truncated to 128 bits by the RFC), plus the empty key. Each key signs
/// twice, and the message is also fed in pieces.
pub fn hmac_rfc4231(p: &CryptoProvider) -> usize {
    let block_key = vec![0xaau8; 131];
    let cases: [(Vec<u8>, Vec<u8>, [&str; 3]); 7] = [
        (vec![0x0b; 20], b"Hi There".to_vec(), [
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
        ]),
        (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec(), [
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
        ]),
        (vec![0xaa; 20], vec![0xdd; 50], [
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27",
            "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
        ]),
        ((1u8..=25).collect(), vec![0xcd; 50], [
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
            "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
        ]),
        (vec![0x0c; 20], b"Test With Truncation".to_vec(), [
            "a3b6167473100ee06e0c796c2955552b",
            "3abf34c3503b2a23a46efc619baef897",
            "415fad6271580a531d4179bc891d87a6",
        ]),
        (block_key.clone(), b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(), [
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
        ]),
        (block_key, b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(), [
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e",
            "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
        ]),
    ];
    let mut count = 0;
    for (i, (key, message, tags)) in cases.iter().enumerate() {
        for (alg, tag) in SHA2.into_iter().zip(tags) {
            let hmac = p
                .hmac(alg)
                .unwrap_or_else(|| panic!("[{}] no HMAC {alg:?}", p.name));
            let want = hex(tag);
            let keyed = hmac.with_key(key);
            let (head, tail) = message.split_at(message.len() / 3);
            for (round, mac) in [keyed.sign(&[message]), keyed.sign(&[head, &[], tail])]
                .iter()
                .enumerate()
            {
                assert_eq!(mac.as_ref().len(), hmac.output_len());
                assert_eq!(
                    &mac.as_ref()[..want.len()],
                    want,
                    "[{}] RFC 4231 case {} HMAC-{alg:?} (use {round} of the key)",
                    p.name,
                    i + 1
                );
            }
            let hkdf = p.hkdf(alg).unwrap();
            assert_eq!(
                &hkdf.hmac(key, message).as_ref()[..want.len()],
                want,
                "[{}] RFC 4231 case {} Hkdf::hmac {alg:?}",
                p.name,
                i + 1
            );
            count += 1;
        }
    }
    // Not in the RFC: the empty key (and empty message), which some
    // libraries refuse to build; HMAC defines it (the key is padded).
    for (alg, tag) in SHA2.into_iter().zip([
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
        "6c1f2ee938fad2e24bd91298474382ca218c75db3d83e114b3d4367776d14d3551289e75e8209cd4b792302840234adc",
        "b936cee86c9f87aa5d3c6f2e84cb5a4239a5fe50480a6ec66b70ab5b1f4ac6730c6c515421b327ec1d69402e53dfb49ad7381eb067b338fd7b0cb22247225d47",
    ]) {
        let mac = p.hmac(alg).unwrap().with_key(&[]).sign(&[]);
        assert_eq!(mac.as_ref(), hex(tag), "[{}] HMAC-{alg:?} with an empty key", p.name);
        count += 1;
    }
    count
}

/// RFC 5869 appendix A, cases 1 and 3 (HKDF-SHA-256), with the info in
/// one piece and in several.
pub fn hkdf_rfc5869(p: &CryptoProvider) -> usize {
    let hkdf = p
        .hkdf(HashAlgorithm::SHA256)
        .unwrap_or_else(|| panic!("[{}] no HKDF-SHA256", p.name));
    assert_eq!(hkdf.hash_len(), 32);
    let cases = [
        (
            "000102030405060708090a0b0c",
            "f0f1f2f3f4f5f6f7f8f9",
            "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        ),
        (
            "",
            "",
            "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
        ),
    ];
    for (n, (salt, info, prk, okm)) in cases.iter().enumerate() {
        let case = [1, 3][n];
        let got_prk = hkdf.extract(&hex(salt), &[0x0b; 22]);
        assert_eq!(
            got_prk.as_ref(),
            hex(prk),
            "[{}] RFC 5869 case {case} PRK",
            p.name
        );
        let info = hex(info);
        let mut out = vec![0u8; 42];
        hkdf.expand(got_prk.as_ref(), &[&info], &mut out)
            .unwrap_or_else(|e| panic!("[{}] case {case} expand: {e:?}", p.name));
        assert_eq!(out, hex(okm), "[{}] RFC 5869 case {case} OKM", p.name);
        let pieces: Vec<&[u8]> = info.chunks(3).collect();
        let mut split = vec![0u8; 42];
        hkdf.expand(got_prk.as_ref(), &pieces, &mut split).unwrap();
        assert_eq!(split, out, "[{}] case {case} info in pieces", p.name);
        // A shorter output is a prefix of the longer one.
        let mut short = vec![0u8; 7];
        hkdf.expand(got_prk.as_ref(), &[&info], &mut short).unwrap();
        assert_eq!(short, out[..7], "[{}] case {case} short output", p.name);
    }
    cases.len()
}

/// The TLS 1.2 PRF vectors posted to the IETF TLS list (P_SHA256, 100
/// bytes; P_SHA384, 148 bytes), label "test label".
pub fn tls12_prf_vectors(p: &CryptoProvider) -> usize {
    let cases = [
        (
            HashAlgorithm::SHA256,
            "9bbe436ba940f017b17652849a71db35",
            "a0ba9f936cda311827a6f796ffd5198c",
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a\
             6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab\
             4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701\
             87347b66",
        ),
        (
            HashAlgorithm::SHA384,
            "b80b733d6ceefcdc71566ea48e5567df",
            "cd665cf6a8447dd6ff8b27555edb7465",
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd\
             e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd\
             8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425\
             9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6\
             91c8f3a26854308d5eaa3be85e0990703d73e56f",
        ),
    ];
    for (alg, secret, seed, output) in cases {
        let prf = p
            .prf(alg)
            .unwrap_or_else(|| panic!("[{}] no TLS 1.2 PRF {alg:?}", p.name));
        assert_eq!(prf.hash_algorithm(), alg);
        let want = hex(output);
        let mut out = vec![0u8; want.len()];
        prf.prf(&hex(secret), b"test label", &hex(seed), &mut out);
        assert_eq!(out, want, "[{}] TLS 1.2 PRF {alg:?}", p.name);
        let mut short = [0u8; 12];
        prf.prf(&hex(secret), b"test label", &hex(seed), &mut short);
        assert_eq!(short, want[..12], "[{}] PRF {alg:?} prefix", p.name);
    }
    cases.len()
}

/// McGrew-Viega GCM test cases 1-4 (AES-128) and 13-16 (AES-256), and RFC
/// 8439 section 2.8.2 (ChaCha20-Poly1305): seal gives the published bytes
/// and open gives the plaintext back.
pub fn aead_known_answers(p: &CryptoProvider) -> usize {
    let gcm_key = "feffe9928665731c6d6a8f9467308308";
    let gcm_iv = "cafebabefacedbaddecaf888";
    let gcm_pt = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                  1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    let gcm_aad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    let zero12 = "000000000000000000000000";
    let zeros16 = "00000000000000000000000000000000";
    let cc_pt: String = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    let aes256_key = format!("{gcm_key}{gcm_key}");
    let cases: Vec<(&str, AeadAlgorithm, &str, &str, &str, &str, &str)> = vec![
        (
            "GCM 1",
            AeadAlgorithm::Aes128Gcm,
            zeros16,
            zero12,
            "",
            "",
            "58e2fccefa7e3061367f1d57a4e7455a",
        ),
        (
            "GCM 2",
            AeadAlgorithm::Aes128Gcm,
            zeros16,
            zero12,
            "",
            zeros16,
            "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf",
        ),
        (
            "GCM 3",
            AeadAlgorithm::Aes128Gcm,
            gcm_key,
            gcm_iv,
            "",
            gcm_pt,
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
             21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985\
             4d5c2af327cd64a62cf35abd2ba6fab4",
        ),
        (
            "GCM 4",
            AeadAlgorithm::Aes128Gcm,
            gcm_key,
            gcm_iv,
            gcm_aad,
            &gcm_pt[..120],
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
             21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091\
             5bc94fbc3221a5db94fae95ae7121a47",
        ),
        (
            "GCM 13",
            AeadAlgorithm::Aes256Gcm,
            "0000000000000000000000000000000000000000000000000000000000000000",
            zero12,
            "",
            "",
            "530f8afbc74536b9a963b4f1c4cb738b",
        ),
        (
            "GCM 14",
            AeadAlgorithm::Aes256Gcm,
            "0000000000000000000000000000000000000000000000000000000000000000",
            zero12,
            "",
            zeros16,
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919",
        ),
        (
            "GCM 15",
            AeadAlgorithm::Aes256Gcm,
            &aes256_key,
            gcm_iv,
            "",
            gcm_pt,
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad\
             b094dac5d93471bdec1a502270e3cc6c",
        ),
        (
            "GCM 16",
            AeadAlgorithm::Aes256Gcm,
            &aes256_key,
            gcm_iv,
            gcm_aad,
            &gcm_pt[..120],
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662\
             76fc6ece0f4e1768cddf8853bb2d551b",
        ),
        (
            "RFC 8439 2.8.2",
            AeadAlgorithm::ChaCha20Poly1305,
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
            "070000004041424344454647",
            "50515253c0c1c2c3c4c5c6c7",
            &cc_pt,
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6\
             3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36\
             92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc\
             3ff4def08e4b7a9de576d26586cec64b6116\
             1ae10b594f09e26a7e902ecbd0600691",
        ),
    ];
    for (name, alg, key, nonce, aad, pt, sealed) in &cases {
        let (key, aad, pt, want) = (hex(key), hex(aad), hex(pt), hex(sealed));
        let nonce: [u8; 12] = hex(nonce).try_into().unwrap();
        let got = seal(p, *alg, &key, &nonce, &aad, &pt);
        assert_eq!(got, want, "[{}] {name} ({alg:?}) seal", p.name);
        let opened = open(p, *alg, &key, &nonce, &aad, &want)
            .unwrap_or_else(|e| panic!("[{}] {name} open: {e:?}", p.name));
        assert_eq!(opened, pt, "[{}] {name} open", p.name);
        // The same key seals again with the same result (keys are reusable).
        let key_obj = p.aead(*alg).unwrap().new_key(&key).unwrap();
        for _ in 0..2 {
            let mut buf = pt.clone();
            let mut tag = [0u8; 16];
            key_obj
                .seal_in_place(&nonce, &aad, &mut buf, &mut tag)
                .unwrap();
            assert_eq!(
                [buf, tag.to_vec()].concat(),
                want,
                "[{}] {name} reseal",
                p.name
            );
        }
    }
    cases.len()
}

/// RFC 7748 section 6.1 through `KeyExchangeGroup::start`: the 32 bytes
/// drawn from the random source are the private key, so the published
/// public keys and shared secret come out.
pub fn x25519_rfc7748(p: &CryptoProvider) {
    let group = p
        .group(NamedGroup::X25519)
        .unwrap_or_else(|| panic!("[{}] no X25519", p.name));
    let alice_sk = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    let bob_sk = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    let rng = ScriptedRandom::new(&[&alice_sk, &bob_sk, &[0xee]]);
    let alice = group.start(&rng).unwrap();
    let bob = group.start(&rng).unwrap();
    let mut next = [0u8];
    embertls::crypto::SecureRandom::fill(&rng, &mut next).unwrap();
    assert_eq!(
        next,
        [0xee],
        "[{}] X25519 must draw exactly 32 bytes per key",
        p.name
    );
    assert_eq!(alice.group(), NamedGroup::X25519);
    let alice_pk = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    let bob_pk = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    assert_eq!(
        alice.public_key(),
        alice_pk,
        "[{}] Alice's public key",
        p.name
    );
    assert_eq!(bob.public_key(), bob_pk, "[{}] Bob's public key", p.name);
    let shared = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    assert_eq!(
        alice.complete(&bob_pk).unwrap().as_ref(),
        shared,
        "[{}] K (Alice)",
        p.name
    );
    assert_eq!(
        bob.complete(&alice_pk).unwrap().as_ref(),
        shared,
        "[{}] K (Bob)",
        p.name
    );
}

/// P-256 and P-384 key shares: the drawn bytes are the private scalar
/// (scalar 1 gives the generator), invalid scalars (zero, >= order) are
/// drawn again, and two shares agree.
pub fn nist_key_shares_from_drawn_bytes(p: &CryptoProvider) {
    let generators = [
        (
            NamedGroup::secp256r1,
            32,
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296\
             4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
        ),
        (
            NamedGroup::secp384r1,
            48,
            "04aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a38\
             5502f25dbf55296c3a545e3872760ab73617de4a96262c6f5d9e98bf9292dc29\
             f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f",
        ),
    ];
    for (named, len, generator) in generators {
        let group = p
            .group(named)
            .unwrap_or_else(|| panic!("[{}] no {named:?}", p.name));
        let mut one = vec![0u8; len];
        one[len - 1] = 1;
        // Zero and all-ones (above the order) are skipped; then scalar 1.
        let zero = vec![0u8; len];
        let ones = vec![0xffu8; len];
        let rng = ScriptedRandom::new(&[&zero, &ones, &one, &[0xee]]);
        let kx = group.start(&rng).unwrap();
        assert_eq!(kx.group(), named);
        assert_eq!(
            kx.public_key(),
            hex(generator),
            "[{}] {named:?}: scalar 1 must give the generator",
            p.name
        );
        let mut next = [0u8];
        embertls::crypto::SecureRandom::fill(&rng, &mut next).unwrap();
        assert_eq!(
            next,
            [0xee],
            "[{}] {named:?} drew more than it needed",
            p.name
        );

        let a_sk = vec![0x11u8; len];
        let b_sk = vec![0x22u8; len];
        let rng = ScriptedRandom::new(&[&a_sk, &b_sk]);
        let a = group.start(&rng).unwrap();
        let b = group.start(&rng).unwrap();
        assert_eq!(a.public_key().len(), 1 + 2 * len);
        let (a_pub, b_pub) = (a.public_key().to_vec(), b.public_key().to_vec());
        let s1 = a.complete(&b_pub).unwrap();
        let s2 = b.complete(&a_pub).unwrap();
        assert_eq!(s1.as_ref(), s2.as_ref(), "[{}] {named:?} agreement", p.name);
        assert_eq!(
            s1.as_ref().len(),
            len,
            "[{}] {named:?} secret is the x-coordinate",
            p.name
        );
    }
}

/// RFC 8032 section 7.1 tests 1 and 2: verification of the published
/// signatures, and signing through the key loader (Ed25519 is
/// deterministic, so the bytes must match).
pub fn ed25519_rfc8032(p: &CryptoProvider) -> usize {
    let cases = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
             085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
    ];
    for (i, (seed, public, message, signature)) in cases.iter().enumerate() {
        let (public, message, signature) = (hex(public), hex(message), hex(signature));
        assert_eq!(
            p.verifier
                .verify(SignatureAlgorithm::Ed25519, &public, &message, &signature),
            Ok(()),
            "[{}] RFC 8032 test {} verify",
            p.name,
            i + 1
        );
        // PKCS#8 v1 wrapping of the seed (RFC 8410).
        let mut der = hex("302e020100300506032b657004220420");
        der.extend_from_slice(&hex(seed));
        let key = p
            .key_loader
            .load_private_key(&der)
            .unwrap_or_else(|e| panic!("[{}] RFC 8032 test {} key: {e:?}", p.name, i + 1));
        assert_eq!(
            key.sign(SignatureScheme::ED25519, &message).unwrap(),
            signature,
            "[{}] RFC 8032 test {} sign",
            p.name,
            i + 1
        );
    }
    cases.len()
}

/// FIPS 180 SHA-1 examples and RFC 2202 HMAC-SHA1 cases 1-7. SHA-1 is
/// there only for the record MAC of TLS 1.2 `*_CBC_SHA` suites: it must
/// not be offered for signatures.
pub fn sha1_known_answers(p: &CryptoProvider) -> usize {
    let name = p.name;
    let hash = p
        .hash(HashAlgorithm::SHA1)
        .unwrap_or_else(|| panic!("[{name}] no SHA-1"));
    assert_eq!(hash.output_len(), 20, "[{name}] SHA-1 length");
    let million_a = vec![b'a'; 1_000_000];
    let digests: [(&[u8], &str); 4] = [
        (b"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        (b"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
        ),
        (&million_a, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"),
    ];
    let mut count = 0;
    for (message, digest) in digests {
        let want = hex(digest);
        assert_eq!(
            hash.hash(message).as_ref(),
            want,
            "[{name}] SHA-1 of {} bytes",
            message.len()
        );
        let mut ctx = hash.start();
        for piece in message.chunks(997) {
            ctx.update(piece);
        }
        let fork = ctx.fork();
        assert_eq!(ctx.finish().as_ref(), want, "[{name}] SHA-1 streamed");
        assert_eq!(fork.finish().as_ref(), want, "[{name}] SHA-1 fork");
        count += 1;
    }
    let hmac = p
        .hmac(HashAlgorithm::SHA1)
        .unwrap_or_else(|| panic!("[{name}] no HMAC-SHA1"));
    assert_eq!(hmac.output_len(), 20, "[{name}] HMAC-SHA1 length");
    let big_key = vec![0xaau8; 80];
    let cases: [(Vec<u8>, &[u8], &str); 7] = [
        (
            vec![0x0b; 20],
            b"Hi There",
            "b617318655057264e28bc0b6fb378c8ef146be00",
        ),
        (
            b"Jefe".to_vec(),
            b"what do ya want for nothing?",
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
        ),
        (
            vec![0xaa; 20],
            &[0xdd; 50],
            "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
        ),
        (
            (1u8..=25).collect(),
            &[0xcd; 50],
            "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
        ),
        (
            vec![0x0c; 20],
            b"Test With Truncation",
            "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
        ),
        (
            big_key.clone(),
            b"Test Using Larger Than Block-Size Key - Hash Key First",
            "aa4ae5e15272d00e95705637ce8a3b55ed402112",
        ),
        (
            big_key,
            b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
            "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
        ),
    ];
    for (i, (key, message, tag)) in cases.iter().enumerate() {
        let keyed = hmac.with_key(key);
        let (head, tail) = message.split_at(message.len() / 2);
        for mac in [keyed.sign(&[message]), keyed.sign(&[head, &[], tail])] {
            assert_eq!(
                mac.as_ref(),
                hex(tag),
                "[{name}] RFC 2202 HMAC-SHA1 case {}",
                i + 1
            );
        }
        count += 1;
    }
    // SHA-1 stays out of signatures, HKDF and the PRF.
    for alg in [
        SignatureAlgorithm::RsaPkcs1 {
            hash: HashAlgorithm::SHA1,
        },
        SignatureAlgorithm::RsaPss {
            hash: HashAlgorithm::SHA1,
        },
        SignatureAlgorithm::Ecdsa {
            curve: NamedGroup::secp256r1,
            hash: HashAlgorithm::SHA1,
        },
    ] {
        assert!(!p.verifier.supports(alg), "[{name}] verifies {alg:?}");
    }
    assert!(p.hkdf(HashAlgorithm::SHA1).is_none(), "[{name}] HKDF-SHA1");
    assert!(p.prf(HashAlgorithm::SHA1).is_none(), "[{name}] PRF-SHA1");
    count
}

/// AES-CCM with TLS's 12-byte nonce: NIST SP 800-38C appendix C example 3
/// (AES-128, 8-byte tag), and Wycheproof `aes_ccm_test` tcIds 12 (AES-128,
/// 16-byte tag), 168 (AES-256, 16-byte tag) and 458 (AES-256, 8-byte tag).
pub fn ccm_known_answers(p: &CryptoProvider) -> usize {
    let cases: [(&str, AeadAlgorithm, &str, &str, &str, &str, &str); 4] = [
        (
            "SP 800-38C example 3",
            AeadAlgorithm::Aes128Ccm8,
            "404142434445464748494a4b4c4d4e4f",
            "101112131415161718191a1b",
            "000102030405060708090a0b0c0d0e0f10111213",
            "202122232425262728292a2b2c2d2e2f3031323334353637",
            "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951",
        ),
        (
            "Wycheproof 12",
            AeadAlgorithm::Aes128Ccm,
            "9415f925bcb41dc25e86c826dbc8bf68",
            "bdffaa763b916ff0ee3f3ce4",
            "705d676cd8a94451",
            "feb36167eafc02c8e2bd6e13817686ba",
            "08db327a88be7b48f430fd7bfccdf502b7c249f810adacf99abded1f3b9130f2",
        ),
        (
            "Wycheproof 168",
            AeadAlgorithm::Aes256Ccm,
            "b907a45075513fe8a8019edee3f2591487b2a030b03c6e1d771c862571d2ea1e",
            "118a6964c2d3e380071f5266",
            "034585621af8d7ff",
            "55a465644f5b650928cbee7c063214d6",
            "ab01f92db4f210bdb5edaf0a1bd19eba621630c505d24e3b29294977d8ffa4b4",
        ),
        (
            "Wycheproof 458",
            AeadAlgorithm::Aes256Ccm8,
            "7160434720504dce28845625a3423166d9b5025d975c6ee47299bb5bd677dbeb",
            "0296c95b44c17463434c7e19",
            "19082bf57b6c4130eac58c0526a044ee",
            "c66a48615b62d2d85ea82ee4d528a03a",
            "8934ea7afb44fdca4027ed9bbb247358b333f0e1383cf3e8",
        ),
    ];
    for (what, alg, key, nonce, aad, pt, sealed) in cases {
        let (key, aad, pt, want) = (hex(key), hex(aad), hex(pt), hex(sealed));
        let nonce: [u8; 12] = hex(nonce).try_into().unwrap();
        assert_eq!(
            seal(p, alg, &key, &nonce, &aad, &pt),
            want,
            "[{}] {what} ({alg:?}) seal",
            p.name
        );
        assert_eq!(
            open(p, alg, &key, &nonce, &aad, &want).as_deref(),
            Ok(&pt[..]),
            "[{}] {what} ({alg:?}) open",
            p.name
        );
    }
    cases.len()
}

/// NIST SP 800-38A F.2.1, F.2.2, F.2.5 and F.2.6: AES-128/256-CBC, four
/// blocks, encrypted and decrypted in place, whole and one block at a time
/// (chaining the IV by hand, as TLS 1.2 records do not).
pub fn cbc_known_answers(p: &CryptoProvider) -> usize {
    let pt = hex(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
         30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
    );
    let iv: [u8; 16] = hex("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
    let cases = [
        (
            CbcAlgorithm::Aes128Cbc,
            "2b7e151628aed2a6abf7158809cf4f3c",
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2\
             73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
        ),
        (
            CbcAlgorithm::Aes256Cbc,
            "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
            "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d\
             39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b",
        ),
    ];
    let mut count = 0;
    for (alg, key, ct) in cases {
        let name = p.name;
        let cbc = p.cbc(alg).unwrap_or_else(|| panic!("[{name}] no {alg:?}"));
        assert_eq!(cbc.algorithm(), alg);
        let key = cbc
            .new_key(&hex(key))
            .unwrap_or_else(|e| panic!("[{name}] {alg:?} key: {e:?}"));
        let want = hex(ct);
        let mut buf = pt.clone();
        key.encrypt_in_place(&iv, &mut buf).unwrap();
        assert_eq!(buf, want, "[{name}] {alg:?} SP 800-38A encrypt");
        key.decrypt_in_place(&iv, &mut buf).unwrap();
        assert_eq!(buf, pt, "[{name}] {alg:?} SP 800-38A decrypt");
        let mut chained = pt.clone();
        let mut next_iv = iv;
        for block in chained.chunks_mut(16) {
            key.encrypt_in_place(&next_iv, block).unwrap();
            next_iv.copy_from_slice(block);
        }
        assert_eq!(chained, want, "[{name}] {alg:?} block by block");
        let mut next_iv = iv;
        for block in chained.chunks_mut(16) {
            let this_ct: [u8; 16] = block.try_into().unwrap();
            key.decrypt_in_place(&next_iv, block).unwrap();
            next_iv = this_ct;
        }
        assert_eq!(chained, pt, "[{name}] {alg:?} block by block decrypt");
        key.encrypt_in_place(&iv, &mut []).unwrap();
        count += 1;
    }
    count
}

/// The big-endian `(p, g)` of a DER DHParameter (`SEQUENCE { INTEGER p,
/// INTEGER g }`, as `openssl dhparam -outform DER` writes it), without the
/// integers' sign bytes.
pub fn dh_params(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    fn tlv(der: &[u8]) -> (u8, &[u8], &[u8]) {
        let (tag, first) = (der[0], der[1]);
        let (len, start) = match first {
            0..=0x7f => (first as usize, 2),
            0x81 => (der[2] as usize, 3),
            0x82 => ((der[2] as usize) << 8 | der[3] as usize, 4),
            _ => panic!("DHParameter: length form"),
        };
        (tag, &der[start..start + len], &der[start + len..])
    }
    let (0x30, body, _) = tlv(der) else {
        panic!("DHParameter: not a SEQUENCE")
    };
    let (0x02, p, rest) = tlv(body) else {
        panic!("DHParameter: p")
    };
    let (0x02, g, _) = tlv(rest) else {
        panic!("DHParameter: g")
    };
    let strip = |n: &[u8]| n.iter().copied().skip_while(|&b| b == 0).collect();
    (strip(p), strip(g))
}

/// Caller-supplied DH parameters from `testdata/vectors`: 1024- and
/// 2048-bit safe primes made by `openssl dhparam`.
pub fn custom_dh_groups() -> Vec<(&'static str, Vec<u8>, Vec<u8>)> {
    ["dh1024.der", "dh2048.der"]
        .into_iter()
        .map(|file| {
            let (p, g) = dh_params(&vector_file(file));
            (file, p, g)
        })
        .collect()
}

/// One exchange between two fresh key pairs of `dh` in (p, g): both sides
/// agree, public values and the secret are as long as p.
fn ffdh_agree(p: &CryptoProvider, group: NamedGroup, prime: &[u8], g: &[u8], what: &str) {
    let name = p.name;
    let dh = p
        .ffdh
        .as_ref()
        .unwrap_or_else(|| panic!("[{name}] no finite-field DH"));
    let a = dh
        .start(group, prime, g, &*p.random)
        .unwrap_or_else(|e| panic!("[{name}] {what}: start: {e:?}"));
    let b = dh.start(group, prime, g, &*p.random).unwrap();
    assert_eq!(a.group(), group, "[{name}] {what}: group");
    assert_eq!(
        a.public_key().len(),
        prime.len(),
        "[{name}] {what}: public length"
    );
    assert_ne!(
        a.public_key(),
        b.public_key(),
        "[{name}] {what}: same public"
    );
    let (a_pub, b_pub) = (a.public_key().to_vec(), b.public_key().to_vec());
    let sa = a
        .complete(&b_pub)
        .unwrap_or_else(|e| panic!("[{name}] {what}: complete: {e:?}"));
    let sb = b.complete(&a_pub).unwrap();
    assert_eq!(sa.as_ref(), sb.as_ref(), "[{name}] {what}: secrets differ");
    assert_eq!(
        sa.as_ref().len(),
        prime.len(),
        "[{name}] {what}: secret length"
    );
}

/// Finite-field DH: in each RFC 7919 group (through `start_key_exchange`
/// and through `FiniteFieldDh` directly) and with caller-supplied 1024- and
/// 2048-bit parameters, two exchanges agree and values are as long as p;
/// the private exponent comes from the random source passed in (the same
/// scripted bytes give the same public value).
pub fn ffdh_known_groups(p: &CryptoProvider) -> usize {
    let name = p.name;
    let mut count = 0;
    for group in [
        NamedGroup::FFDHE2048,
        NamedGroup::FFDHE3072,
        NamedGroup::FFDHE4096,
    ] {
        assert!(p.supports_group(group), "[{name}] {group:?} unsupported");
        let params = named_ffdhe_params(group).unwrap();
        ffdh_agree(p, group, params.p, params.g, &format!("{group:?}"));
        // Through the provider's key-exchange entry point.
        let a = p.start_key_exchange(group).unwrap();
        let b = p.start_key_exchange(group).unwrap();
        assert_eq!(a.group(), group);
        assert_eq!(a.public_key().len(), params.p.len());
        let (a_pub, b_pub) = (a.public_key().to_vec(), b.public_key().to_vec());
        assert_eq!(
            a.complete(&b_pub).unwrap().as_ref(),
            b.complete(&a_pub).unwrap().as_ref(),
            "[{name}] {group:?} through start_key_exchange"
        );
        count += 1;
    }
    for (file, prime, g) in custom_dh_groups() {
        ffdh_agree(p, NamedGroup(0), &prime, &g, file);
        count += 1;
    }
    // The same random bytes, the same key pair.
    let dh = p.ffdh.as_ref().unwrap();
    let params = named_ffdhe_params(NamedGroup::FFDHE2048).unwrap();
    let seed: Vec<u8> = (0..256u32).map(|i| (i * 13 + 5) as u8).collect();
    let public = |seed: &[u8]| {
        dh.start(
            NamedGroup::FFDHE2048,
            params.p,
            params.g,
            &ScriptedRandom::new(&[seed]),
        )
        .unwrap()
        .public_key()
        .to_vec()
    };
    assert_eq!(
        public(&seed),
        public(&seed),
        "[{name}] FFDH key pairs do not come from the random source"
    );
    let mut other = seed.clone();
    other[0] ^= 0x55;
    other[31] ^= 0x55;
    assert_ne!(
        public(&seed),
        public(&other),
        "[{name}] FFDH ignores its random bytes"
    );
    count
}

/// RSA PKCS#1 v1.5 decryption of a ciphertext made once by `openssl
/// pkeyutl -encrypt` (`testdata/vectors/rsa2048-pkcs1v15-enc.bin`), with
/// the key in each of its encodings.
pub fn rsa_decrypt_known_answer(p: &CryptoProvider) -> usize {
    let ct = vector_file("rsa2048-pkcs1v15-enc.bin");
    let want = vector_file("premaster.bin");
    let mut count = 0;
    for file in ["rsa2048.pk8.der", "rsa2048.pkcs1.der"] {
        let key = p
            .key_loader
            .load_private_key(&vector_file(file))
            .unwrap_or_else(|e| panic!("[{}] {file}: {e:?}", p.name));
        assert_eq!(
            key.decrypt(&ct).as_deref(),
            Ok(&want[..]),
            "[{}] {file}: PKCS#1 v1.5 decryption",
            p.name
        );
        assert_eq!(
            key.start_decrypt(&ct),
            Pausable::Ready(Ok(want.clone())),
            "[{}] {file}: start_decrypt",
            p.name
        );
        count += 1;
    }
    count
}
