//! embertls-pkcs11 against SoftHSM2: signatures made in the token verify
//! with the RustCrypto backend's verifier, for every key type and scheme;
//! lookups by label and id; typed errors. Each test runs in a process of
//! its own with a token directory of its own (`testkit::softhsm`).

use std::sync::Arc;

use embertls::crypto::{KeyType, Pausable, SigningKey};
use embertls::error::CryptoError;
use embertls::msgs::enums::SignatureScheme as S;
use embertls::verify::WebPkiVerifier;
use embertls_conformance::testkit::pem::{load_certs, testdata};
use embertls_conformance::testkit::softhsm::{
    isolated, module, standard_token, SoftHsm, PIN, TOKEN,
};
use embertls_pkcs11::cryptoki::error::RvError;
use embertls_pkcs11::cryptoki::mechanism::MechanismType;
use embertls_pkcs11::{Hashing, KeyLookup, Pkcs11Error, Pkcs11Key, Pkcs11Token};

fn token() -> Pkcs11Token {
    Pkcs11Token::open(module(), TOKEN, PIN).expect("open the test token")
}

/// Signs a few messages with `scheme` and checks each signature against
/// the certificate `cert` with the RustCrypto verifier; also checks that a
/// signature over another message does not verify.
fn sign_and_verify(key: &Pkcs11Key, cert: &str, scheme: S) {
    let chain = load_certs(&testdata(cert)).expect("certificate");
    let verifier = WebPkiVerifier::new(embertls_rustcrypto::provider().verifier);
    for (i, message) in [&b""[..], b"hello", &[0x5a; 3000]].into_iter().enumerate() {
        let sig = key.sign(scheme, message).unwrap_or_else(|e| {
            panic!(
                "{scheme:?} message {i}: {e:?} ({:?})",
                key.try_sign(scheme, message)
            )
        });
        verifier
            .verify_signature(&chain[0], scheme, message, &sig)
            .unwrap_or_else(|e| panic!("{scheme:?} message {i} does not verify: {e}"));
        assert!(
            verifier
                .verify_signature(&chain[0], scheme, b"other", &sig)
                .is_err(),
            "{scheme:?}: signature verifies over another message"
        );
    }
}

fn all_schemes(label: &str, cert: &str, schemes: &[S], expect: KeyType) {
    let token = token();
    for hashing in [Hashing::Host, Hashing::Token] {
        let key = token.key_by_label(label).unwrap().with_hashing(hashing);
        assert_eq!(key.key_type(), expect);
        for scheme in schemes {
            sign_and_verify(&key, cert, *scheme);
        }
    }
}

#[test]
fn ecdsa_p256_sha256() {
    isolated("ecdsa_p256_sha256", standard_token, || {
        all_schemes(
            "server-p256",
            "server-p256.pem",
            &[S::ECDSA_NISTP256_SHA256],
            KeyType::EcdsaP256,
        )
    });
}

#[test]
fn ecdsa_p384_sha384() {
    isolated("ecdsa_p384_sha384", standard_token, || {
        all_schemes(
            "server-p384",
            "server-p384.pem",
            &[S::ECDSA_NISTP384_SHA384],
            KeyType::EcdsaP384,
        )
    });
}

#[test]
fn rsa_pss_and_pkcs1() {
    isolated("rsa_pss_and_pkcs1", standard_token, || {
        all_schemes(
            "server-rsa",
            "server-rsa.pem",
            &[
                S::RSA_PSS_RSAE_SHA256,
                S::RSA_PSS_RSAE_SHA384,
                S::RSA_PSS_RSAE_SHA512,
                S::RSA_PKCS1_SHA256,
                S::RSA_PKCS1_SHA384,
                S::RSA_PKCS1_SHA512,
            ],
            KeyType::Rsa,
        );
        let key = token().key_by_label("server-rsa").unwrap();
        assert_eq!(key.rsa_bits(), Some(2048));
    });
}

#[test]
fn mechanisms_follow_the_hashing_choice() {
    isolated(
        "mechanisms_follow_the_hashing_choice",
        standard_token,
        || {
            let token = token();
            let ec = token.key_by_label("server-p256").unwrap();
            assert_eq!(
                ec.mechanism_for(S::ECDSA_NISTP256_SHA256),
                Some(MechanismType::ECDSA)
            );
            let rsa = token.key_by_label("server-rsa").unwrap();
            assert_eq!(
                rsa.mechanism_for(S::RSA_PSS_RSAE_SHA384),
                Some(MechanismType::RSA_PKCS_PSS)
            );
            assert_eq!(
                rsa.mechanism_for(S::RSA_PKCS1_SHA256),
                Some(MechanismType::RSA_PKCS)
            );
            let rsa = rsa.with_hashing(Hashing::Token);
            assert_eq!(
                rsa.mechanism_for(S::RSA_PSS_RSAE_SHA512),
                Some(MechanismType::SHA512_RSA_PKCS_PSS)
            );
            assert_eq!(
                rsa.mechanism_for(S::RSA_PKCS1_SHA384),
                Some(MechanismType::SHA384_RSA_PKCS)
            );
            // SoftHSM 2.6 has no CKM_ECDSA_SHA256: the key falls back to
            // hashing here.
            let ec = ec.with_hashing(Hashing::Token);
            let expected = if token.supports(MechanismType::ECDSA_SHA256) {
                MechanismType::ECDSA_SHA256
            } else {
                MechanismType::ECDSA
            };
            assert_eq!(ec.mechanism_for(S::ECDSA_NISTP256_SHA256), Some(expected));
        },
    );
}

#[test]
fn schemes_the_key_cannot_make() {
    isolated("schemes_the_key_cannot_make", standard_token, || {
        let token = token();
        let p256 = token.key_by_label("server-p256").unwrap();
        for scheme in [S::ECDSA_NISTP384_SHA384, S::RSA_PSS_RSAE_SHA256, S::ED25519] {
            assert_eq!(p256.mechanism_for(scheme), None);
            assert_eq!(
                p256.sign(scheme, b"x"),
                Err(CryptoError::UnsupportedAlgorithm)
            );
            assert!(matches!(
                p256.try_sign(scheme, b"x"),
                Err(Pkcs11Error::UnsupportedScheme(s)) if s == scheme
            ));
        }
        let rsa = token.key_by_label("server-rsa").unwrap();
        // TLS 1.3 handshakes sign with PSS only.
        assert_eq!(
            rsa.choose_scheme(&[S::RSA_PKCS1_SHA256, S::RSA_PSS_RSAE_SHA384]),
            Some(S::RSA_PSS_RSAE_SHA384)
        );
        assert_eq!(rsa.choose_scheme(&[S::RSA_PKCS1_SHA256]), None);
        assert_eq!(
            p256.choose_scheme(&[S::ECDSA_NISTP384_SHA384, S::ECDSA_NISTP256_SHA256]),
            Some(S::ECDSA_NISTP256_SHA256)
        );
    });
}

#[test]
fn start_sign_is_always_pending() {
    isolated("start_sign_is_always_pending", standard_token, || {
        let token = token();
        for label in ["server-p256", "server-p384", "server-rsa"] {
            let key = token.key_by_label(label).unwrap();
            let scheme = key.key_type().tls13_schemes()[0];
            assert_eq!(key.start_sign(scheme, b"m"), Pausable::Pending, "{label}");
        }
    });
}

#[test]
fn lookup_by_id_finds_the_same_key() {
    isolated("lookup_by_id_finds_the_same_key", standard_token, || {
        let token = token();
        let by_id = token.key_by_id(&[0x02]).unwrap();
        assert_eq!(by_id.key_type(), KeyType::EcdsaP384);
        assert_eq!(by_id.lookup(), &KeyLookup::Id(vec![2]));
        sign_and_verify(&by_id, "server-p384.pem", S::ECDSA_NISTP384_SHA384);
        let by_id = token.key(KeyLookup::Id(vec![0x03])).unwrap();
        sign_and_verify(&by_id, "server-rsa.pem", S::RSA_PSS_RSAE_SHA256);
        let client = token.key_by_id(&[0x04]).unwrap();
        sign_and_verify(&client, "client-p256.pem", S::ECDSA_NISTP256_SHA256);
    });
}

#[test]
fn missing_keys_tokens_and_modules_are_typed_errors() {
    isolated(
        "missing_keys_tokens_and_modules_are_typed_errors",
        standard_token,
        || {
            let token = token();
            match token.key_by_label("no-such-key") {
                Err(Pkcs11Error::KeyNotFound { lookup }) => {
                    assert_eq!(lookup, "label \"no-such-key\"")
                }
                other => panic!("{other:?}"),
            }
            assert!(matches!(
                token.key_by_id(&[0x7f, 0x01]),
                Err(Pkcs11Error::KeyNotFound { lookup }) if lookup == "id 7f01"
            ));
            assert!(matches!(
                Pkcs11Token::open(module(), "no-such-token", PIN),
                Err(Pkcs11Error::TokenNotFound { label }) if label == "no-such-token"
            ));
            let err = Pkcs11Token::open("/nonexistent/libpkcs11.so", TOKEN, PIN).unwrap_err();
            assert!(matches!(err, Pkcs11Error::ModuleLoad { .. }), "{err:?}");
            assert!(err.to_string().contains("/nonexistent/libpkcs11.so"));
        },
    );
}

#[test]
fn wrong_pin_is_refused() {
    // A process of its own: login state is per process and token, so a
    // wrong PIN is only checked while nobody here is logged in.
    isolated("wrong_pin_is_refused", standard_token, || {
        match Pkcs11Token::open(module(), TOKEN, "0000") {
            Err(Pkcs11Error::PinIncorrect) => {}
            other => panic!("{other:?}"),
        }
        // The right PIN still works afterwards.
        token().key_by_label("server-p256").unwrap();
    });
}

#[test]
fn duplicate_labels_are_ambiguous() {
    isolated(
        "duplicate_labels_are_ambiguous",
        |hsm: &SoftHsm| {
            hsm.init_token(TOKEN);
            hsm.import(TOKEN, "server-p256.key", "twin", "01");
            hsm.import(TOKEN, "server-p384.key", "twin", "02");
        },
        || {
            let token = token();
            assert!(matches!(
                token.key_by_label("twin"),
                Err(Pkcs11Error::AmbiguousKey { matches: 2, .. })
            ));
            assert_eq!(
                token.key_by_id(&[2]).unwrap().key_type(),
                KeyType::EcdsaP384
            );
        },
    );
}

#[test]
fn two_tokens_in_one_process() {
    isolated(
        "two_tokens_in_one_process",
        |hsm: &SoftHsm| {
            hsm.init_token("first");
            hsm.import("first", "server-p256.key", "k", "01");
            hsm.init_token("second");
            hsm.import("second", "server-rsa.key", "k", "01");
        },
        || {
            let first = Pkcs11Token::open(module(), "first", PIN).unwrap();
            let second = Pkcs11Token::open(module(), "second", PIN).unwrap();
            assert_eq!(
                first.key_by_label("k").unwrap().key_type(),
                KeyType::EcdsaP256
            );
            let rsa = second.key_by_label("k").unwrap();
            sign_and_verify(&rsa, "server-rsa.pem", S::RSA_PSS_RSAE_SHA256);
        },
    );
}

#[test]
fn many_threads_sign_at_once() {
    isolated("many_threads_sign_at_once", standard_token, || {
        let token = token();
        let keys: Vec<Arc<Pkcs11Key>> = ["server-p256", "server-rsa"]
            .iter()
            .map(|l| Arc::new(token.key_by_label(l).unwrap()))
            .collect();
        let chains = [
            load_certs(&testdata("server-p256.pem")).unwrap(),
            load_certs(&testdata("server-rsa.pem")).unwrap(),
        ];
        let verifier = Arc::new(WebPkiVerifier::new(
            embertls_rustcrypto::provider().verifier,
        ));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let key = keys[t % 2].clone();
                let cert = chains[t % 2][0].clone();
                let verifier = verifier.clone();
                std::thread::spawn(move || {
                    let scheme = key.key_type().tls13_schemes()[0];
                    for i in 0..10 {
                        let msg = format!("thread {t} message {i}");
                        let sig = key.sign(scheme, msg.as_bytes()).expect("sign");
                        verifier
                            .verify_signature(&cert, scheme, msg.as_bytes(), &sig)
                            .expect("verify");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("signing thread");
        }
    });
}

#[test]
fn errors_map_to_crypto_errors() {
    let e = Pkcs11Error::Call {
        function: embertls_pkcs11::cryptoki::context::Function::Sign,
        rv: RvError::DeviceError,
    };
    assert_eq!(e.rv(), Some(RvError::DeviceError));
    assert_eq!(CryptoError::from(e), CryptoError::SigningFailed);
    assert_eq!(
        CryptoError::from(Pkcs11Error::KeyNotFound {
            lookup: "label \"x\"".into()
        }),
        CryptoError::InvalidKey
    );
}

#[test]
fn signing_recovers_after_a_logout() {
    isolated("signing_recovers_after_a_logout", standard_token, || {
        use embertls_pkcs11::cryptoki::context::Pkcs11;
        let token = token();
        let key = token.key_by_label("server-p256").unwrap();
        sign_and_verify(&key, "server-p256.pem", S::ECDSA_NISTP256_SHA256);
        // Someone else in this process logs the application out of the
        // token (login state is shared by all sessions).
        let ctx = Pkcs11::new(module()).unwrap();
        let session = ctx.open_ro_session(token.slot()).unwrap();
        session.logout().unwrap();
        drop(session);
        sign_and_verify(&key, "server-p256.pem", S::ECDSA_NISTP256_SHA256);
        let rsa = token.key_by_label("server-rsa").unwrap();
        sign_and_verify(&rsa, "server-rsa.pem", S::RSA_PSS_RSAE_SHA256);
    });
}

/// The 2048-bit key of `testdata/vectors` (whose DER RSAPublicKey is
/// `rsa2048.pub`), imported as "rsa2048": softhsm2-util takes PEM PKCS#8,
/// so the DER is wrapped into a PEM file in the token directory first.
fn token_with_rsa2048(hsm: &SoftHsm) {
    use base64::Engine as _;
    standard_token(hsm);
    let der = std::fs::read(testdata("vectors/rsa2048.pk8.der")).expect("rsa2048.pk8.der");
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    let path = hsm.dir.join("rsa2048.pem");
    std::fs::write(&path, pem).expect("write the PEM key");
    hsm.util(&[
        "--import",
        &path.to_string_lossy(),
        "--token",
        TOKEN,
        "--label",
        "rsa2048",
        "--id",
        "10",
        "--pin",
        PIN,
    ]);
}

/// TLS 1.2 RSA key transport with the key in the token: a 48-byte
/// premaster secret encrypted by a software `RsaKeyTransport` (AWS-LC's)
/// decrypts to the same bytes through `CKM_RSA_PKCS`; `start_decrypt` is
/// pending like signing; garbage, tampered and wrong-length ciphertexts
/// and EC keys are errors. The token's PKCS#1 v1.5 signatures verify with
/// AWS-LC's verifier under the same public key.
#[test]
fn rsa_decryption_in_token() {
    use embertls::crypto::{RsaKeyTransport, SignatureAlgorithm, SignatureVerifier};
    use embertls::msgs::enums::HashAlgorithm;
    use embertls_aws_lc::{AwsLcRandom, AwsLcRsaKeyTransport, AwsLcVerifier};

    isolated("rsa_decryption_in_token", token_with_rsa2048, || {
        let token = token();
        let key = token.key_by_label("rsa2048").unwrap();
        assert_eq!(key.rsa_bits(), Some(2048));
        let public = std::fs::read(testdata("vectors/rsa2048.pub")).expect("rsa2048.pub");
        let premaster: Vec<u8> = [&[0x03, 0x03][..], &[0xa5; 46]].concat();
        let ct = AwsLcRsaKeyTransport
            .encrypt_pkcs1(&public, &premaster, &AwsLcRandom)
            .unwrap();
        assert_eq!(key.start_decrypt(&ct), Pausable::Pending);
        assert_eq!(key.decrypt(&ct).unwrap(), premaster);
        assert_eq!(key.try_decrypt(&ct).unwrap(), premaster);
        // A second encryption (fresh padding) decrypts too.
        let ct2 = AwsLcRsaKeyTransport
            .encrypt_pkcs1(&public, &premaster, &AwsLcRandom)
            .unwrap();
        assert_ne!(ct, ct2);
        assert_eq!(key.decrypt(&ct2).unwrap(), premaster);

        let garbage: Vec<u8> = (0..256u32).map(|i| (i * 97 + 13) as u8 | 1).collect();
        let mut tampered = ct.clone();
        tampered[128] ^= 0x01;
        for (what, bad) in [
            ("garbage", garbage),
            ("zeros", vec![0u8; 256]),
            ("above the modulus", vec![0xff; 256]),
            ("tampered", tampered),
        ] {
            let err = key.decrypt(&bad);
            assert!(err.is_err(), "{what} decrypted: {err:?}");
            assert_ne!(err, Err(CryptoError::SigningFailed), "{what}");
        }
        for (what, bad) in [
            ("empty", vec![]),
            ("short", ct[1..].to_vec()),
            ("long", [&[0u8][..], &ct].concat()),
        ] {
            assert!(
                matches!(key.try_decrypt(&bad), Err(Pkcs11Error::BadInput(_))),
                "{what}"
            );
            assert_eq!(key.decrypt(&bad), Err(CryptoError::Other), "{what}");
        }
        // The session pool survives failed decryptions.
        assert_eq!(key.decrypt(&ct).unwrap(), premaster);
        let ec = token.key_by_label("server-p256").unwrap();
        assert!(matches!(
            ec.try_decrypt(&ct),
            Err(Pkcs11Error::UnsupportedOperation(_))
        ));
        assert_eq!(ec.decrypt(&ct), Err(CryptoError::UnsupportedAlgorithm));

        // PKCS#1 v1.5 signatures (TLS 1.2 peers may ask for them) from the
        // same key, host- and token-hashed, checked in software.
        let verifier = AwsLcVerifier;
        for hashing in [Hashing::Host, Hashing::Token] {
            let key = token.key_by_label("rsa2048").unwrap().with_hashing(hashing);
            for (scheme, hash) in [
                (S::RSA_PKCS1_SHA256, HashAlgorithm::SHA256),
                (S::RSA_PKCS1_SHA384, HashAlgorithm::SHA384),
                (S::RSA_PKCS1_SHA512, HashAlgorithm::SHA512),
            ] {
                let alg = SignatureAlgorithm::RsaPkcs1 { hash };
                let message = b"TLS 1.2 ServerKeyExchange params";
                let sig = key.sign(scheme, message).unwrap();
                assert_eq!(sig.len(), 256);
                verifier
                    .verify(alg, &public, message, &sig)
                    .unwrap_or_else(|e| panic!("{hashing:?} {scheme:?}: {e:?}"));
                assert!(verifier.verify(alg, &public, b"other", &sig).is_err());
            }
        }
    });
}
