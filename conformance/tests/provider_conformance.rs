//! The provider conformance suite (`embertls_conformance::provider_suite`)
//! against every backend, and every pair of backends against each other.
//!
//! To add a backend, add one line to the `backends!` list at the bottom:
//! `module_name => path::to::provider_fn,`.

use embertls::crypto::CryptoProvider;
use embertls_conformance::provider_suite as suite;

/// Runs a check that returns a vector count and reports it (visible with
/// `--nocapture`).
fn report(backend: &str, check: &str, count: usize) {
    assert!(count > 0, "[{backend}] {check} ran no vectors");
    println!("[{backend}] {check}: {count}");
}

/// One test per check that returns a vector count.
macro_rules! counted {
    ($backend:ident; $($check:ident),* $(,)?) => {$(
        #[test]
        fn $check() {
            report(stringify!($backend), stringify!($check), suite::$check(&provider()));
        }
    )*};
}

/// One test per check that returns nothing.
macro_rules! plain {
    ($($check:ident),* $(,)?) => {$(
        #[test]
        fn $check() {
            suite::$check(&provider());
        }
    )*};
}

macro_rules! backends {
    ($($name:ident => $provider:path),* $(,)?) => {
        /// Every backend, for the pairwise checks.
        const BACKENDS: &[(&str, fn() -> CryptoProvider)] = &[$((stringify!($name), $provider)),*];

        $(
        mod $name {
            use super::*;

            fn provider() -> CryptoProvider {
                let p = $provider();
                assert_eq!(p.name.replace('-', "_"), stringify!($name), "backend name");
                p
            }

            counted!($name;
                sha2_known_answers,
                hmac_rfc4231,
                hkdf_rfc5869,
                tls12_prf_vectors,
                aead_known_answers,
                ed25519_rfc8032,
                signature_vectors,
                key_loader_formats,
                invalid_key_shares_rejected,
                aead_rejects_forgeries,
                wycheproof_aead,
                wycheproof_x25519,
                wycheproof_ecdh,
                wycheproof_ecdsa,
                wycheproof_ed25519,
                wycheproof_rsa_pkcs1,
                wycheproof_rsa_pss,
                wycheproof_hkdf,
                wycheproof_hmac,
                // TLS 1.2 primitives.
                sha1_known_answers,
                ccm_known_answers,
                cbc_known_answers,
                ffdh_known_groups,
                rsa_decrypt_known_answer,
                ccm_rejects_forgeries,
                ffdh_invalid_values_rejected,
                rsa_decrypt_garbage_rejected,
                wycheproof_aes_ccm,
                wycheproof_aes_cbc,
                wycheproof_hmac_sha1,
                wycheproof_rsa_pkcs1_decrypt,
            );

            plain!(
                hash_fork,
                x25519_rfc7748,
                nist_key_shares_from_drawn_bytes,
                key_loader_refusals,
                invalid_signatures_rejected,
                rsa_keys_under_2048_rejected,
                unsupported_algorithms_reported,
                random_failure_propagates,
                wrong_key_sizes_rejected,
                hkdf_output_limit,
                cbc_partial_blocks_refused,
            );

            /// This backend's primitives against every backend's (itself
            /// included), in both roles.
            #[test]
            fn primitives_interoperate() {
                let ours = provider();
                for (peer, make) in BACKENDS {
                    let count = suite::primitives_interoperate(&ours, &make());
                    report(stringify!($name), &format!("interop with {peer}"), count);
                }
            }

            /// This backend's TLS 1.2 primitives (CCM, CBC, finite-field
            /// DH, RSA key transport, SHA-1) against every backend's.
            #[test]
            fn tls12_primitives_interoperate() {
                let ours = provider();
                for (peer, make) in BACKENDS {
                    let count = suite::tls12_primitives_interoperate(&ours, &make());
                    report(stringify!($name), &format!("TLS 1.2 interop with {peer}"), count);
                }
            }

            /// Handshakes with the client on this backend and the server on
            /// every backend.
            #[test]
            fn handshakes_as_client() {
                let ours = provider();
                for (peer, make) in BACKENDS {
                    let count = suite::handshakes(&ours, &make());
                    report(stringify!($name), &format!("handshakes against a {peer} server"), count);
                }
            }

            /// TLS 1.2 handshakes for every TLS 1.2 suite with the client
            /// on this backend and the server on every backend.
            #[test]
            fn tls12_handshakes_as_client() {
                let ours = provider();
                for (peer, make) in BACKENDS {
                    let count = suite::tls12_handshakes(&ours, &make());
                    report(stringify!($name), &format!("TLS 1.2 handshakes against a {peer} server"), count);
                }
            }

            /// The same with client authentication.
            #[test]
            fn handshakes_with_client_auth_as_client() {
                let ours = provider();
                for (peer, make) in BACKENDS {
                    let count = suite::handshakes_with_client_auth(&ours, &make());
                    report(stringify!($name), &format!("client-auth handshakes against a {peer} server"), count);
                }
            }
        }
        )*
    };
}

backends! {
    rustcrypto => embertls_rustcrypto::provider,
    openssl => embertls_openssl::provider,
    aws_lc => embertls_aws_lc::provider,
}
