//! Configurations for TLS 1.2 tests: a client and server pinned to one
//! suite, with the certificate or PSK its key exchange needs.

use std::sync::Arc;

use embertls::config::{ClientConfig, DhParams, PskCredential, ServerConfig, VersionRange};
use embertls::suites::{KeyExchange, SuiteInfo};

use super::pair::{client_config, server_config};
use super::pem::testdata;
use super::Mode;

/// The PSK and identity the TLS 1.2 tests share.
pub const TEST_PSK: &[u8] = b"embertls test pre-shared key 32b";
pub const TEST_PSK_IDENTITY: &[u8] = b"embertls-test";

/// The test PKI key a suite's server certificate uses.
pub fn server_key_for(suite: &SuiteInfo) -> &'static str {
    match suite.kx {
        KeyExchange::EcdheEcdsa => "p256",
        KeyExchange::EcdheRsa | KeyExchange::DheRsa | KeyExchange::Rsa | KeyExchange::RsaPsk => {
            "rsa"
        }
        _ => "p256",
    }
}

/// A TLS 1.2-only client and server that can only agree on `suite`.
pub fn configs_for_suite(mode: Mode, suite: &'static SuiteInfo) -> (ClientConfig, ServerConfig) {
    let mut client = client_config(mode);
    let mut server = server_config(mode, server_key_for(suite));
    for common in [&mut client.common, &mut server.common] {
        common.versions = VersionRange::TLS12_ONLY;
        common.cipher_suites = vec![suite.suite];
        // CBC suites without Encrypt-then-MAC are tested separately.
    }
    if suite.kx.uses_psk() {
        client.psk = Some(PskCredential::new(TEST_PSK_IDENTITY, TEST_PSK));
        server.psk_resolver = Some(Arc::new(PskCredential::new(TEST_PSK_IDENTITY, TEST_PSK)));
    }
    (client, server)
}

/// DH parameters from a PEM `DH PARAMETERS` file in testdata.
pub fn dh_params_from_testdata(name: &str) -> DhParams {
    let pem = std::fs::read_to_string(testdata(name)).expect("DH parameter file");
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64_decode(&b64);
    // DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER }
    let (seq, _) = der_element(&der, 0x30);
    let (p, rest) = der_element(seq, 0x02);
    let (g, _) = der_element(rest, 0x02);
    let strip = |v: &[u8]| {
        v.iter()
            .skip_while(|b| **b == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    DhParams::Custom {
        p: strip(p),
        g: strip(g),
    }
}

fn der_element(input: &[u8], tag: u8) -> (&[u8], &[u8]) {
    assert_eq!(input[0], tag, "unexpected DER tag");
    let (len, header) = match input[1] {
        n @ 0..=0x7f => (n as usize, 2),
        0x81 => (input[2] as usize, 3),
        0x82 => (u16::from_be_bytes([input[2], input[3]]) as usize, 4),
        _ => panic!("DER length too long"),
    };
    (&input[header..header + len], &input[header + len..])
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64 in a PEM file")
}
