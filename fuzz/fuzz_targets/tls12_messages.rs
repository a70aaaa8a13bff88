//! The TLS 1.2 handshake-message parsers. The first byte picks the key
//! exchange the key-exchange messages are read for; a message that parses
//! re-encodes to bytes that parse to the same value.
#![no_main]

use embertls::msgs::handshake12::{
    read_finished12, Certificate12, CertificateRequest12, ClientKeyExchange, NewSessionTicket12,
    ServerKeyExchange,
};
use embertls::suites::KeyExchange;
use libfuzzer_sys::fuzz_target;

const KEY_EXCHANGES: [KeyExchange; 8] = [
    KeyExchange::EcdheEcdsa,
    KeyExchange::EcdheRsa,
    KeyExchange::DheRsa,
    KeyExchange::Rsa,
    KeyExchange::Psk,
    KeyExchange::DhePsk,
    KeyExchange::EcdhePsk,
    KeyExchange::RsaPsk,
];

fn encode(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out);
    out
}

fuzz_target!(|input: &[u8]| {
    let Some((&selector, data)) = input.split_first() else {
        return;
    };
    let kx = KEY_EXCHANGES[selector as usize % KEY_EXCHANGES.len()];
    if let Ok(ske) = ServerKeyExchange::read(data, kx) {
        let bytes = encode(|o| ske.write(o));
        assert_eq!(
            bytes, data,
            "ServerKeyExchange re-encodes to the same bytes"
        );
        assert!(ske.params_range.end <= data.len());
    }
    if let Ok(cke) = ClientKeyExchange::read(data, kx) {
        let bytes = encode(|o| cke.write(o));
        assert_eq!(
            bytes, data,
            "ClientKeyExchange re-encodes to the same bytes"
        );
    }
    if let Ok(cert) = Certificate12::read(data) {
        let bytes = encode(|o| cert.write(o));
        assert_eq!(bytes, data, "Certificate re-encodes to the same bytes");
    }
    if let Ok(req) = CertificateRequest12::read(data) {
        let bytes = encode(|o| req.write(o));
        assert_eq!(CertificateRequest12::read(&bytes).as_ref(), Ok(&req));
    }
    if let Ok(nst) = NewSessionTicket12::read(data) {
        let bytes = encode(|o| nst.write(o));
        assert_eq!(bytes, data, "NewSessionTicket re-encodes to the same bytes");
    }
    if let Ok(finished) = read_finished12(data) {
        assert_eq!(&finished[..], data);
    }
});
