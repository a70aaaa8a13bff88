//! Every public handshake-message parser on the same bytes. A message that
//! parses is re-encoded; the encoding must parse to the same value.
#![no_main]

use embertls::msgs::extensions::EncryptedExtensions;
use embertls::msgs::handshake::{
    read_key_update, Certificate13, CertificateRequest13, CertificateVerify, NewSessionTicket13,
};
use embertls::msgs::hello::{ClientHello, ServerHello};
use libfuzzer_sys::fuzz_target;

fn encode(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out);
    out
}

fuzz_target!(|data: &[u8]| {
    for datagram in [false, true] {
        if let Ok(mut ch) = ClientHello::read(data, datagram) {
            let bytes = encode(|o| ch.write(o));
            let mut again = ClientHello::read(&bytes, datagram).expect("ClientHello re-encoding");
            // `order` records wire order; our writer has its own.
            ch.extensions.order.clear();
            again.extensions.order.clear();
            assert_eq!(ch, again, "ClientHello round trip (datagram={datagram})");
        }
    }
    if let Ok(mut sh) = ServerHello::read(data) {
        let bytes = encode(|o| sh.write(o));
        let mut again = ServerHello::read(&bytes).expect("ServerHello re-encoding");
        sh.extensions.order.clear();
        again.extensions.order.clear();
        assert_eq!(sh, again, "ServerHello round trip");
    }
    if let Ok(mut ee) = EncryptedExtensions::read(data) {
        let bytes = encode(|o| ee.write(o));
        let mut again = EncryptedExtensions::read(&bytes).expect("EncryptedExtensions re-encoding");
        ee.order.clear();
        again.order.clear();
        assert_eq!(ee, again, "EncryptedExtensions round trip");
    }
    if let Ok(cert) = Certificate13::read(data) {
        let bytes = encode(|o| cert.write(o));
        assert_eq!(bytes, data, "Certificate re-encodes to the same bytes");
        assert_eq!(Certificate13::read(&bytes).as_ref(), Ok(&cert));
    }
    if let Ok(req) = CertificateRequest13::read(data) {
        let bytes = encode(|o| req.write(o));
        let again = CertificateRequest13::read(&bytes).expect("CertificateRequest re-encoding");
        assert_eq!(req, again, "CertificateRequest round trip");
    }
    if let Ok(cv) = CertificateVerify::read(data) {
        let bytes = encode(|o| cv.write(o));
        assert_eq!(
            bytes, data,
            "CertificateVerify re-encodes to the same bytes"
        );
    }
    if let Ok(nst) = NewSessionTicket13::read(data) {
        let bytes = encode(|o| nst.write(o));
        let again = NewSessionTicket13::read(&bytes).expect("NewSessionTicket re-encoding");
        assert_eq!(nst, again, "NewSessionTicket round trip");
    }
    if let Ok(request) = read_key_update(data) {
        assert_eq!(data, [request.0], "KeyUpdate is one byte");
        assert_eq!(read_key_update(&[request.0]), Ok(request));
    }
});
