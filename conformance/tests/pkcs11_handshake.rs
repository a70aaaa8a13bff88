//! TLS 1.3 handshakes in memory where private keys live in a SoftHSM2
//! token (embertls-pkcs11) and every signature goes through the
//! `Pkcs11Worker` thread; and cancellation of a queued signature when its
//! connection is dropped. Each test runs in a process of its own with a
//! token directory of its own (`testkit::softhsm`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use embertls::config::{CertifiedKey, ServerConfig, SingleCertAndKey};
use embertls::conn::{Cancellation, Operation, OperationId, OperationRequest, OperationResult};
use embertls::crypto::{KeyType, Pausable, SigningKey};
use embertls::error::CryptoError;
use embertls::msgs::enums::SignatureScheme;
use embertls::verify::{VerifyMode, VerifyResult};
use embertls_conformance::testkit::pair::{all_test_roots, client_config, test_provider};
use embertls_conformance::testkit::pem::{load_certs, testdata};
use embertls_conformance::testkit::softhsm::{isolated, module, standard_token, PIN, TOKEN};
use embertls_conformance::testkit::{Mode, Pair};
use embertls_pkcs11::{Completion, Pkcs11Key, Pkcs11Token, Pkcs11Worker};

const WAIT: Duration = Duration::from_secs(20);

fn token_key(label: &str) -> Pkcs11Key {
    Pkcs11Token::open(module(), TOKEN, PIN)
        .expect("open the test token")
        .key_by_label(label)
        .expect("key in the token")
}

/// Counts blocking signatures, so a test can tell whether `C_Sign` ran.
struct Counting {
    inner: Pkcs11Key,
    signs: AtomicUsize,
}

impl SigningKey for Counting {
    fn key_type(&self) -> KeyType {
        self.inner.key_type()
    }
    fn start_sign(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
    ) -> Pausable<Result<Vec<u8>, CryptoError>> {
        self.inner.start_sign(scheme, message)
    }
    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.signs.fetch_add(1, Ordering::SeqCst);
        self.inner.sign(scheme, message)
    }
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        self.inner.choose_scheme(offered)
    }
}

fn server_config(key: Arc<dyn SigningKey>, cert: &str) -> ServerConfig {
    let chain = load_certs(&testdata(cert)).expect("server certificate");
    ServerConfig::new(
        test_provider(Mode::Direct),
        Arc::new(SingleCertAndKey(Arc::new(CertifiedKey::new(chain, key)))),
    )
}

/// Drives `pair` to the end of the handshake, sending every operation
/// through `worker` and completing it with the result the worker thread
/// delivers. Returns what was signed.
fn handshake_through_worker(pair: &mut Pair, worker: &Pkcs11Worker) -> Vec<Signed> {
    let (tx, rx) = channel::<(Completion, String)>();
    let mut signed = Vec::new();
    pair.hold_operations = true;
    for _ in 0..100 {
        pair.drive();
        let held = std::mem::take(&mut pair.held);
        if held.is_empty() {
            break;
        }
        for (from_client, op) in held {
            let OperationRequest::Sign { scheme, .. } = op.request else {
                panic!("only signatures are pending here: {op:?}");
            };
            let id = op.id;
            let tx = tx.clone();
            worker.submit_with(op, move |id, result| {
                let name = std::thread::current().name().unwrap_or("?").to_string();
                let _ = tx.send(((id, result), name));
            });
            let ((got, result), name) = rx.recv_timeout(WAIT).expect("the worker answers");
            assert_eq!(got, id);
            assert!(
                matches!(&result, OperationResult::Signature(Ok(_))),
                "{result:?}"
            );
            signed.push(Signed {
                by_client: from_client,
                scheme,
                thread: name,
            });
            let conn = if from_client {
                &mut pair.client
            } else {
                &mut pair.server
            };
            conn.complete(got, result).expect("complete");
        }
    }
    pair.hold_operations = false;
    pair.handshake().expect("handshake completes");
    signed
}

/// One signature made through the worker.
#[derive(Debug, PartialEq)]
struct Signed {
    by_client: bool,
    scheme: SignatureScheme,
    /// The thread that called `C_Sign`.
    thread: String,
}

fn exchange_data(pair: &mut Pair) {
    pair.client.send(b"ping from the client").unwrap();
    pair.server.send(b"pong from the server").unwrap();
    pair.drive();
    assert_eq!(pair.server_log.received, b"ping from the client");
    assert_eq!(pair.client_log.received, b"pong from the server");
}

fn server_key_case(label: &str, cert: &str, scheme: SignatureScheme) {
    let key = Arc::new(token_key(label));
    let (worker, _unused) = Pkcs11Worker::new(1);
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(key, cert),
        Some("localhost"),
    )
    .unwrap();
    let signed = handshake_through_worker(&mut pair, &worker);
    assert_eq!(
        signed,
        [Signed {
            by_client: false,
            scheme,
            thread: "embertls-pkcs11-0".into()
        }]
    );
    assert_eq!(pair.client.verify_result(), Some(VerifyResult::empty()));
    exchange_data(&mut pair);
    let stats = worker.shutdown();
    assert_eq!((stats.submitted, stats.performed, stats.skipped), (1, 1, 0));
}

#[test]
fn server_key_p256_in_token() {
    isolated("server_key_p256_in_token", standard_token, || {
        server_key_case(
            "server-p256",
            "server-p256.pem",
            SignatureScheme::ECDSA_NISTP256_SHA256,
        )
    });
}

#[test]
fn server_key_p384_in_token() {
    isolated("server_key_p384_in_token", standard_token, || {
        server_key_case(
            "server-p384",
            "server-p384.pem",
            SignatureScheme::ECDSA_NISTP384_SHA384,
        )
    });
}

#[test]
fn server_key_rsa_in_token() {
    isolated("server_key_rsa_in_token", standard_token, || {
        server_key_case(
            "server-rsa",
            "server-rsa.pem",
            SignatureScheme::RSA_PSS_RSAE_SHA256,
        )
    });
}

#[test]
fn client_authentication_with_keys_in_token() {
    isolated(
        "client_authentication_with_keys_in_token",
        standard_token,
        || {
            let (worker, _unused) = Pkcs11Worker::new(2);
            let mut client = client_config(Mode::Direct);
            let client_chain = load_certs(&testdata("client-p256.pem")).unwrap();
            client.client_cert = Some(Arc::new(CertifiedKey::new(
                client_chain,
                Arc::new(token_key("client-p256")),
            )));
            let mut server = server_config(Arc::new(token_key("server-rsa")), "server-rsa.pem");
            server.common.verify_mode = VerifyMode::Required;
            server.common.roots = all_test_roots();
            let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
            let signed = handshake_through_worker(&mut pair, &worker);
            let mut who: Vec<(bool, SignatureScheme)> =
                signed.iter().map(|s| (s.by_client, s.scheme)).collect();
            who.sort_by_key(|(c, _)| *c);
            assert_eq!(
                who,
                [
                    (false, SignatureScheme::RSA_PSS_RSAE_SHA256),
                    (true, SignatureScheme::ECDSA_NISTP256_SHA256)
                ]
            );
            assert!(signed
                .iter()
                .all(|s| s.thread.starts_with("embertls-pkcs11-")));
            assert!(pair.server.client_authenticated());
            assert_eq!(pair.server.verify_result(), Some(VerifyResult::empty()));
            assert_eq!(pair.server.peer_certificates().len(), 1);
            exchange_data(&mut pair);
        },
    );
}

/// Blocks the worker's only thread until the test opens the gate.
struct Gate(Mutex<Receiver<()>>);

impl SigningKey for Gate {
    fn key_type(&self) -> KeyType {
        KeyType::EcdsaP256
    }
    fn sign(&self, _: SignatureScheme, _: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let _ = self.0.lock().unwrap().recv_timeout(WAIT);
        Ok(b"gate".to_vec())
    }
}

#[test]
fn dropped_connection_cancels_its_queued_signature() {
    isolated(
        "dropped_connection_cancels_its_queued_signature",
        standard_token,
        || {
            let (worker, completions) = Pkcs11Worker::new(1);
            // Keep the worker busy so the handshake's signature waits in
            // the queue.
            let (open_gate, gate) = channel();
            worker.submit(Operation {
                id: OperationId(9999),
                request: OperationRequest::Sign {
                    key: Arc::new(Gate(Mutex::new(gate))),
                    scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
                    message: Vec::new(),
                },
                cancellation: Cancellation::default(),
            });

            let key = Arc::new(Counting {
                inner: token_key("server-p256"),
                signs: AtomicUsize::new(0),
            });
            let config = server_config(key.clone(), "server-p256.pem");
            let mut pair =
                Pair::new(client_config(Mode::Direct), config, Some("localhost")).expect("pair");
            pair.hold_operations = true;
            pair.drive();
            assert_eq!(pair.held.len(), 1, "the server's signature is pending");
            let (from_client, op) = pair.held.pop().unwrap();
            assert!(!from_client);
            let cancellation = op.cancellation.clone();
            worker.submit(op);
            assert!(!cancellation.is_canceled());

            // The server goes away with its signature in flight.
            drop(pair);
            assert!(cancellation.is_canceled());

            open_gate.send(()).unwrap();
            let stats = worker.shutdown();
            assert_eq!((stats.submitted, stats.performed, stats.skipped), (2, 1, 1));
            assert_eq!(key.signs.load(Ordering::SeqCst), 0, "C_Sign did not run");
            // Only the gate's result was delivered.
            let delivered: Vec<OperationId> = completions.try_iter().map(|(id, _)| id).collect();
            assert_eq!(delivered, [OperationId(9999)]);
        },
    );
}

#[test]
fn worker_reports_failures_as_results() {
    // No token needed: a key that fails, and one that panics.
    struct Failing(bool);
    impl SigningKey for Failing {
        fn key_type(&self) -> KeyType {
            KeyType::Rsa
        }
        fn sign(&self, _: SignatureScheme, _: &[u8]) -> Result<Vec<u8>, CryptoError> {
            if self.0 {
                panic!("module crashed");
            }
            Err(CryptoError::SigningFailed)
        }
    }
    let (worker, completions) = Pkcs11Worker::new(1);
    for (i, panics) in [false, true].into_iter().enumerate() {
        worker.submit(Operation {
            id: OperationId(i as u64),
            request: OperationRequest::Sign {
                key: Arc::new(Failing(panics)),
                scheme: SignatureScheme::RSA_PSS_RSAE_SHA256,
                message: b"m".to_vec(),
            },
            cancellation: Cancellation::default(),
        });
    }
    for i in 0..2u64 {
        let (id, result) = completions.recv_timeout(WAIT).unwrap();
        assert_eq!(id, OperationId(i));
        let expected = if i == 0 {
            CryptoError::SigningFailed
        } else {
            CryptoError::Other
        };
        assert_eq!(result, OperationResult::Signature(Err(expected)));
    }
    assert_eq!(worker.shutdown().performed, 2);
}

/// A TLS 1.2 RSA key-transport handshake (TLS_RSA_WITH_AES_128_GCM_SHA256)
/// whose server key is in the token: the ClientKeyExchange is decrypted by
/// `CKM_RSA_PKCS` on the worker thread, as an `OperationRequest::Decrypt`
/// the connection emits because `Pkcs11Key::start_decrypt` is pending.
/// AWS-LC provides the client's RSA encryption and the rest of both sides.
#[test]
fn tls12_rsa_key_transport_with_key_in_token() {
    use embertls::config::{ClientConfig, VersionRange};
    use embertls::msgs::enums::CipherSuite;
    use embertls_conformance::testkit::deterministic::FixedTime;

    isolated(
        "tls12_rsa_key_transport_with_key_in_token",
        standard_token,
        || {
            let mut provider = embertls_aws_lc::provider();
            provider.time = Some(Arc::new(FixedTime(1_798_761_600)));
            let provider = Arc::new(provider);
            assert!(provider.rsa_key_transport.is_some());
            let suite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;
            let mut client = ClientConfig::new(provider.clone());
            client.common.roots = all_test_roots();
            let chain = load_certs(&testdata("server-rsa.pem")).expect("server certificate");
            let key = Arc::new(token_key("server-rsa"));
            let mut server = ServerConfig::new(
                provider,
                Arc::new(SingleCertAndKey(Arc::new(CertifiedKey::new(chain, key)))),
            );
            for common in [&mut client.common, &mut server.common] {
                common.versions = VersionRange::TLS12_ONLY;
                common.cipher_suites = vec![suite];
            }
            let mut pair = Pair::new(client, server, Some("localhost")).unwrap();
            let (worker, completions) = Pkcs11Worker::new(1);
            pair.hold_operations = true;
            let mut decrypted = 0;
            for _ in 0..100 {
                pair.drive();
                let held = std::mem::take(&mut pair.held);
                if held.is_empty() {
                    break;
                }
                for (from_client, op) in held {
                    assert!(!from_client, "the client has no pending operations");
                    let OperationRequest::Decrypt { ciphertext, .. } = &op.request else {
                        panic!("only the ClientKeyExchange is pending here: {op:?}");
                    };
                    assert_eq!(ciphertext.len(), 256);
                    let id = op.id;
                    worker.submit(op);
                    let (got, result) = completions.recv_timeout(WAIT).expect("the worker answers");
                    assert_eq!(got, id);
                    let OperationResult::Decrypted(plain) = &result else {
                        panic!("{result:?}");
                    };
                    assert_eq!(plain.0.as_ref().map(|p| p.len()), Ok(48));
                    pair.server.complete(got, result).expect("complete");
                    decrypted += 1;
                }
            }
            pair.hold_operations = false;
            pair.handshake().expect("handshake completes");
            assert_eq!(decrypted, 1);
            assert_eq!(pair.client.cipher_suite(), Some(suite));
            assert_eq!(pair.server.cipher_suite(), Some(suite));
            exchange_data(&mut pair);
            let stats = worker.shutdown();
            assert_eq!((stats.submitted, stats.performed, stats.skipped), (1, 1, 0));
        },
    );
}
