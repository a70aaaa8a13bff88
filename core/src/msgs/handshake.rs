//! Handshake message framing and the TLS 1.3 messages other than the hellos.

use alloc::vec::Vec;

use crate::codec::{
    put_prefixed, put_vec_u16, put_vec_u24, put_vec_u8, LengthPrefix, Reader, Writer,
};
use crate::error::InvalidMessage;
use crate::msgs::enums::ExtensionType;
use crate::msgs::enums::{HandshakeType, KeyUpdateRequest, SignatureScheme};
use crate::msgs::extensions::{check_extension_list, for_each_extension};

/// Size of the TLS handshake header: type (1) and length (3).
pub const HANDSHAKE_HEADER_LEN: usize = 4;

/// Appends a handshake message: header, then the body `body` writes.
pub fn encode_handshake(out: &mut Vec<u8>, typ: HandshakeType, body: impl FnOnce(&mut Vec<u8>)) {
    out.put_u8(typ.0);
    put_prefixed(out, 3, body);
}

/// One entry of a TLS 1.3 Certificate message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateEntry {
    pub cert_der: Vec<u8>,
    /// Raw per-entry extensions (OCSP, SCT); kept, not interpreted.
    pub extensions: Vec<u8>,
}

/// TLS 1.3 Certificate (RFC 8446 4.4.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Certificate13 {
    pub context: Vec<u8>,
    pub entries: Vec<CertificateEntry>,
}

impl Certificate13 {
    pub fn read(body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let context = r.vec_u8()?.to_vec();
        let mut list = r.sub_u24()?;
        r.expect_empty()?;
        let mut entries = Vec::new();
        while !list.is_empty() {
            let cert = list.vec_u24()?;
            if cert.is_empty() {
                return Err(InvalidMessage::EmptyVector);
            }
            let extensions = list.vec_u16()?;
            // Validate the extension framing even though the entries are not used.
            check_extension_list(Reader::new(extensions))?;
            entries.push(CertificateEntry {
                cert_der: cert.to_vec(),
                extensions: extensions.to_vec(),
            });
        }
        Ok(Self { context, entries })
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        put_vec_u8(out, &self.context);
        put_prefixed(out, 3, |o| {
            for e in &self.entries {
                put_vec_u24(o, &e.cert_der);
                put_vec_u16(o, &e.extensions);
            }
        });
    }
}

/// TLS 1.3 CertificateRequest (RFC 8446 4.3.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateRequest13 {
    pub context: Vec<u8>,
    pub signature_algorithms: Vec<SignatureScheme>,
    pub signature_algorithms_cert: Option<Vec<SignatureScheme>>,
    /// DER distinguished names of acceptable CAs.
    pub certificate_authorities: Vec<Vec<u8>>,
}

impl CertificateRequest13 {
    pub fn read(body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let context = r.vec_u8()?.to_vec();
        let mut req = Self {
            context,
            ..Default::default()
        };
        let mut have_sigalgs = false;
        for_each_extension(&mut r, |typ, mut body| {
            match typ {
                ExtensionType::SignatureAlgorithms => {
                    let list = body.u16_list(LengthPrefix::U16)?;
                    body.expect_empty()?;
                    if list.is_empty() {
                        return Err(InvalidMessage::EmptyVector);
                    }
                    req.signature_algorithms = list.into_iter().map(SignatureScheme).collect();
                    have_sigalgs = true;
                }
                ExtensionType::SignatureAlgorithmsCert => {
                    let list = body.u16_list(LengthPrefix::U16)?;
                    body.expect_empty()?;
                    req.signature_algorithms_cert =
                        Some(list.into_iter().map(SignatureScheme).collect());
                }
                ExtensionType::CertificateAuthorities => {
                    let mut list = body.sub_u16()?;
                    body.expect_empty()?;
                    while !list.is_empty() {
                        let name = list.vec_u16()?;
                        if name.is_empty() {
                            return Err(InvalidMessage::EmptyVector);
                        }
                        req.certificate_authorities.push(name.to_vec());
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        r.expect_empty()?;
        if !have_sigalgs {
            return Err(InvalidMessage::IllegalValue(
                "CertificateRequest without signature_algorithms",
            ));
        }
        Ok(req)
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        put_vec_u8(out, &self.context);
        put_prefixed(out, 2, |o| {
            o.put_u16(ExtensionType::SignatureAlgorithms.0);
            put_prefixed(o, 2, |o| {
                put_prefixed(o, 2, |o| {
                    for s in &self.signature_algorithms {
                        o.put_u16(s.0);
                    }
                })
            });
            if let Some(schemes) = &self.signature_algorithms_cert {
                o.put_u16(ExtensionType::SignatureAlgorithmsCert.0);
                put_prefixed(o, 2, |o| {
                    put_prefixed(o, 2, |o| {
                        for s in schemes {
                            o.put_u16(s.0);
                        }
                    })
                });
            }
            if !self.certificate_authorities.is_empty() {
                o.put_u16(ExtensionType::CertificateAuthorities.0);
                put_prefixed(o, 2, |o| {
                    put_prefixed(o, 2, |o| {
                        for name in &self.certificate_authorities {
                            put_vec_u16(o, name);
                        }
                    })
                });
            }
        });
    }
}

/// CertificateVerify (RFC 8446 4.4.3; same layout in TLS 1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateVerify {
    pub scheme: SignatureScheme,
    pub signature: Vec<u8>,
}

impl CertificateVerify {
    pub fn read(body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let scheme = SignatureScheme(r.u16()?);
        let signature = r.vec_u16()?;
        r.expect_empty()?;
        if signature.is_empty() {
            return Err(InvalidMessage::EmptyVector);
        }
        Ok(Self {
            scheme,
            signature: signature.to_vec(),
        })
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        out.put_u16(self.scheme.0);
        put_vec_u16(out, &self.signature);
    }
}

/// TLS 1.3 NewSessionTicket (RFC 8446 4.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSessionTicket13 {
    pub lifetime_secs: u32,
    pub age_add: u32,
    pub nonce: Vec<u8>,
    pub ticket: Vec<u8>,
    pub max_early_data: Option<u32>,
}

impl NewSessionTicket13 {
    pub fn read(body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let lifetime_secs = r.u32()?;
        let age_add = r.u32()?;
        let nonce = r.vec_u8()?.to_vec();
        let ticket = r.vec_u16()?.to_vec();
        if ticket.is_empty() {
            return Err(InvalidMessage::EmptyVector);
        }
        let mut max_early_data = None;
        for_each_extension(&mut r, |typ, mut body| {
            if typ == ExtensionType::EarlyData {
                max_early_data = Some(body.u32()?);
                body.expect_empty()?;
            }
            Ok(())
        })?;
        r.expect_empty()?;
        if lifetime_secs > 604_800 {
            return Err(InvalidMessage::IllegalValue(
                "ticket lifetime over seven days",
            ));
        }
        Ok(Self {
            lifetime_secs,
            age_add,
            nonce,
            ticket,
            max_early_data,
        })
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        out.put_u32(self.lifetime_secs);
        out.put_u32(self.age_add);
        put_vec_u8(out, &self.nonce);
        put_vec_u16(out, &self.ticket);
        put_prefixed(out, 2, |o| {
            if let Some(max) = self.max_early_data {
                o.put_u16(ExtensionType::EarlyData.0);
                put_prefixed(o, 2, |o| o.put_u32(max));
            }
        });
    }
}

/// Reads a KeyUpdate body.
pub fn read_key_update(body: &[u8]) -> Result<KeyUpdateRequest, InvalidMessage> {
    let mut r = Reader::new(body);
    let v = KeyUpdateRequest(r.u8()?);
    r.expect_empty()?;
    if v.name().is_none() {
        return Err(InvalidMessage::IllegalValue("KeyUpdate request value"));
    }
    Ok(v)
}

/// Checks that a message that must be empty (EndOfEarlyData, ServerHelloDone) is.
pub fn read_empty_message(body: &[u8]) -> Result<(), InvalidMessage> {
    Reader::new(body).expect_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn certificate_round_trip_and_truncation() {
        let msg = Certificate13 {
            context: vec![],
            entries: vec![
                CertificateEntry {
                    cert_der: vec![1, 2, 3],
                    extensions: vec![],
                },
                CertificateEntry {
                    cert_der: vec![4; 40],
                    extensions: vec![0, 5, 0, 0],
                },
            ],
        };
        let mut bytes = Vec::new();
        msg.write(&mut bytes);
        assert_eq!(Certificate13::read(&bytes).unwrap(), msg);
        for cut in 0..bytes.len() {
            assert!(Certificate13::read(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn certificate_request_requires_signature_algorithms() {
        let req = CertificateRequest13 {
            signature_algorithms: vec![SignatureScheme::ED25519],
            signature_algorithms_cert: Some(vec![SignatureScheme::RSA_PKCS1_SHA256]),
            certificate_authorities: vec![vec![0x30, 0]],
            ..Default::default()
        };
        let mut bytes = Vec::new();
        req.write(&mut bytes);
        assert_eq!(CertificateRequest13::read(&bytes).unwrap(), req);
        assert!(CertificateRequest13::read(&[0, 0, 0]).is_err());
    }

    #[test]
    fn key_update_values() {
        assert_eq!(read_key_update(&[1]), Ok(KeyUpdateRequest::UpdateRequested));
        assert!(read_key_update(&[2]).is_err());
        assert!(read_key_update(&[0, 0]).is_err());
    }

    #[test]
    fn ticket_round_trip() {
        let t = NewSessionTicket13 {
            lifetime_secs: 7200,
            age_add: 5,
            nonce: vec![0],
            ticket: vec![1; 20],
            max_early_data: Some(1024),
        };
        let mut bytes = Vec::new();
        t.write(&mut bytes);
        assert_eq!(NewSessionTicket13::read(&bytes).unwrap(), t);
    }
}
