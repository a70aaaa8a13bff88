//! TLS 1.2 handshake messages (RFC 5246 7.4, RFC 4279, RFC 4492/8422,
//! RFC 5077). Key-exchange messages only parse with the negotiated key
//! exchange in hand, since their layout depends on it.

use alloc::vec::Vec;
use core::ops::Range;

use crate::codec::{put_prefixed, put_vec_u16, put_vec_u24, put_vec_u8, Reader, Writer};
use crate::error::InvalidMessage;
use crate::msgs::enums::{NamedGroup, SignatureScheme};
use crate::msgs::handshake::CertificateVerify;
use crate::suites::KeyExchange;

/// ECParameters curve_type for a named curve (RFC 8422 5.4).
const NAMED_CURVE: u8 = 3;
/// Largest PSK identity or hint we accept (RFC 4279 allows 2^16-1).
pub const MAX_PSK_IDENTITY_LEN: usize = 1024;
/// Largest DH prime we accept: 8192 bits.
const MAX_DH_PRIME_LEN: usize = 1024;

/// TLS 1.2 Certificate: a chain of DER certificates, end entity first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Certificate12 {
    pub chain: Vec<Vec<u8>>,
}

impl Certificate12 {
    pub fn read(body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let mut list = r.sub_u24()?;
        r.expect_empty()?;
        let mut chain = Vec::new();
        while !list.is_empty() {
            let cert = list.vec_u24()?;
            if cert.is_empty() {
                return Err(InvalidMessage::EmptyVector);
            }
            chain.push(cert.to_vec());
        }
        Ok(Self { chain })
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        put_prefixed(out, 3, |o| {
            for cert in &self.chain {
                put_vec_u24(o, cert);
            }
        });
    }
}

/// Diffie-Hellman parameters a server offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KxParams {
    /// No key agreement (PSK, RSA_PSK's ServerKeyExchange carries only a hint).
    None,
    Ecdhe {
        group: NamedGroup,
        public: Vec<u8>,
    },
    Dhe {
        p: Vec<u8>,
        g: Vec<u8>,
        public: Vec<u8>,
    },
}

impl KxParams {
    fn read(r: &mut Reader<'_>, kx: KeyExchange) -> Result<Self, InvalidMessage> {
        if kx.uses_ecdhe() {
            if r.u8()? != NAMED_CURVE {
                return Err(InvalidMessage::IllegalValue(
                    "ECParameters not a named curve",
                ));
            }
            let group = NamedGroup(r.u16()?);
            let public = r.vec_u8()?;
            if public.is_empty() {
                return Err(InvalidMessage::EmptyVector);
            }
            return Ok(Self::Ecdhe {
                group,
                public: public.to_vec(),
            });
        }
        if kx.uses_dhe() {
            let p = r.vec_u16()?;
            let g = r.vec_u16()?;
            let public = r.vec_u16()?;
            if p.is_empty() || g.is_empty() || public.is_empty() {
                return Err(InvalidMessage::EmptyVector);
            }
            if p.len() > MAX_DH_PRIME_LEN || g.len() > p.len() || public.len() > p.len() {
                return Err(InvalidMessage::IllegalValue("DH parameters out of range"));
            }
            return Ok(Self::Dhe {
                p: p.to_vec(),
                g: g.to_vec(),
                public: public.to_vec(),
            });
        }
        Ok(Self::None)
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::None => {}
            Self::Ecdhe { group, public } => {
                out.put_u8(NAMED_CURVE);
                out.put_u16(group.0);
                put_vec_u8(out, public);
            }
            Self::Dhe { p, g, public } => {
                put_vec_u16(out, p);
                put_vec_u16(out, g);
                put_vec_u16(out, public);
            }
        }
    }
}

/// ServerKeyExchange for any key exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerKeyExchange {
    /// PSK key exchanges: the server's identity hint (may be empty).
    pub psk_identity_hint: Option<Vec<u8>>,
    pub params: KxParams,
    /// Certificate-authenticated DH: the signature over the randoms and
    /// the parameters.
    pub signature: Option<CertificateVerify>,
    /// Where the signed parameters sit in the body (hint excluded).
    pub params_range: Range<usize>,
}

impl ServerKeyExchange {
    pub fn read(body: &[u8], kx: KeyExchange) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let psk_identity_hint = if kx.uses_psk() {
            let hint = r.vec_u16()?;
            if hint.len() > MAX_PSK_IDENTITY_LEN {
                return Err(InvalidMessage::IllegalValue("PSK identity hint too long"));
            }
            Some(hint.to_vec())
        } else {
            None
        };
        let start = body.len() - r.remaining();
        let params = KxParams::read(&mut r, kx)?;
        let params_range = start..body.len() - r.remaining();
        let signature = if kx.signs_key_exchange() {
            Some(CertificateVerify::read(r.rest())?)
        } else {
            r.expect_empty()?;
            None
        };
        Ok(Self {
            psk_identity_hint,
            params,
            signature,
            params_range,
        })
    }

    /// The ServerParams encoding, which the signature covers after the randoms.
    pub fn encode_params(params: &KxParams) -> Vec<u8> {
        let mut out = Vec::new();
        params.write(&mut out);
        out
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        if let Some(hint) = &self.psk_identity_hint {
            put_vec_u16(out, hint);
        }
        self.params.write(out);
        if let Some(sig) = &self.signature {
            sig.write(out);
        }
    }
}

/// What the client sends in ClientKeyExchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientExchange {
    None,
    /// ECDH public point (u8 length).
    Ecdh(Vec<u8>),
    /// DH public value Yc (u16 length).
    Dh(Vec<u8>),
    /// RSA-encrypted premaster secret (u16 length).
    Rsa(Vec<u8>),
}

/// ClientKeyExchange for any key exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKeyExchange {
    pub psk_identity: Option<Vec<u8>>,
    pub exchange: ClientExchange,
}

impl ClientKeyExchange {
    pub fn read(body: &[u8], kx: KeyExchange) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let psk_identity = if kx.uses_psk() {
            let id = r.vec_u16()?;
            if id.len() > MAX_PSK_IDENTITY_LEN {
                return Err(InvalidMessage::IllegalValue("PSK identity too long"));
            }
            Some(id.to_vec())
        } else {
            None
        };
        let exchange = match kx {
            KeyExchange::EcdheEcdsa | KeyExchange::EcdheRsa | KeyExchange::EcdhePsk => {
                ClientExchange::Ecdh(non_empty(r.vec_u8()?)?)
            }
            KeyExchange::DheRsa | KeyExchange::DhePsk => {
                ClientExchange::Dh(non_empty(r.vec_u16()?)?)
            }
            KeyExchange::Rsa | KeyExchange::RsaPsk => ClientExchange::Rsa(non_empty(r.vec_u16()?)?),
            KeyExchange::Psk | KeyExchange::Tls13 => ClientExchange::None,
        };
        r.expect_empty()?;
        Ok(Self {
            psk_identity,
            exchange,
        })
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        if let Some(id) = &self.psk_identity {
            put_vec_u16(out, id);
        }
        match &self.exchange {
            ClientExchange::None => {}
            ClientExchange::Ecdh(p) => put_vec_u8(out, p),
            ClientExchange::Dh(y) | ClientExchange::Rsa(y) => put_vec_u16(out, y),
        }
    }
}

fn non_empty(bytes: &[u8]) -> Result<Vec<u8>, InvalidMessage> {
    if bytes.is_empty() {
        return Err(InvalidMessage::EmptyVector);
    }
    Ok(bytes.to_vec())
}

/// ClientCertificateType values (RFC 5246 7.4.4, RFC 8422 5.5).
pub const CERT_TYPE_RSA_SIGN: u8 = 1;
pub const CERT_TYPE_ECDSA_SIGN: u8 = 64;

/// TLS 1.2 CertificateRequest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateRequest12 {
    pub certificate_types: Vec<u8>,
    pub signature_algorithms: Vec<SignatureScheme>,
    /// DER distinguished names of acceptable CAs (may be empty).
    pub certificate_authorities: Vec<Vec<u8>>,
}

impl CertificateRequest12 {
    pub fn read(body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let certificate_types = r.vec_u8()?.to_vec();
        if certificate_types.is_empty() {
            return Err(InvalidMessage::EmptyVector);
        }
        let mut schemes = r.sub_u16()?;
        if schemes.remaining() % 2 != 0 {
            return Err(InvalidMessage::BadLength);
        }
        let mut signature_algorithms = Vec::new();
        while !schemes.is_empty() {
            signature_algorithms.push(SignatureScheme(schemes.u16()?));
        }
        if signature_algorithms.is_empty() {
            return Err(InvalidMessage::EmptyVector);
        }
        let mut names = r.sub_u16()?;
        r.expect_empty()?;
        let mut certificate_authorities = Vec::new();
        while !names.is_empty() {
            let name = names.vec_u16()?;
            if name.is_empty() {
                return Err(InvalidMessage::EmptyVector);
            }
            certificate_authorities.push(name.to_vec());
        }
        Ok(Self {
            certificate_types,
            signature_algorithms,
            certificate_authorities,
        })
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        put_vec_u8(out, &self.certificate_types);
        put_prefixed(out, 2, |o| {
            for s in &self.signature_algorithms {
                o.put_u16(s.0);
            }
        });
        put_prefixed(out, 2, |o| {
            for name in &self.certificate_authorities {
                put_vec_u16(o, name);
            }
        });
    }
}

/// RFC 5077 NewSessionTicket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSessionTicket12 {
    pub lifetime_hint_secs: u32,
    /// Empty: the server changed its mind and issues no ticket.
    pub ticket: Vec<u8>,
}

impl NewSessionTicket12 {
    pub fn read(body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let lifetime_hint_secs = r.u32()?;
        let ticket = r.vec_u16()?.to_vec();
        r.expect_empty()?;
        Ok(Self {
            lifetime_hint_secs,
            ticket,
        })
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        out.put_u32(self.lifetime_hint_secs);
        put_vec_u16(out, &self.ticket);
    }
}

/// TLS 1.2 Finished: 12 bytes of verify_data.
pub const VERIFY_DATA_LEN: usize = 12;

pub fn read_finished12(body: &[u8]) -> Result<[u8; VERIFY_DATA_LEN], InvalidMessage> {
    body.try_into().map_err(|_| InvalidMessage::BadLength)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn round_trip_and_truncate<T: PartialEq + core::fmt::Debug>(
        value: &T,
        write: impl Fn(&T, &mut Vec<u8>),
        read: impl Fn(&[u8]) -> Result<T, InvalidMessage>,
    ) {
        let mut bytes = Vec::new();
        write(value, &mut bytes);
        assert_eq!(&read(&bytes).unwrap(), value);
        for cut in 0..bytes.len() {
            assert!(read(&bytes[..cut]).is_err(), "prefix of {cut} bytes parsed");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(read(&longer).is_err(), "trailing byte accepted");
    }

    #[test]
    fn server_key_exchange_round_trips_for_every_kind() {
        let sig = Some(CertificateVerify {
            scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
            signature: vec![5; 70],
        });
        let ecdhe = KxParams::Ecdhe {
            group: NamedGroup::X25519,
            public: vec![9; 32],
        };
        let dhe = KxParams::Dhe {
            p: vec![0xff; 256],
            g: vec![2],
            public: vec![7; 256],
        };
        let cases = [
            (KeyExchange::EcdheEcdsa, None, ecdhe.clone(), sig.clone()),
            (KeyExchange::EcdheRsa, None, ecdhe.clone(), sig.clone()),
            (KeyExchange::DheRsa, None, dhe.clone(), sig.clone()),
            (
                KeyExchange::Psk,
                Some(b"hint".to_vec()),
                KxParams::None,
                None,
            ),
            (KeyExchange::RsaPsk, Some(vec![]), KxParams::None, None),
            (KeyExchange::DhePsk, Some(b"h".to_vec()), dhe, None),
            (KeyExchange::EcdhePsk, Some(vec![]), ecdhe, None),
        ];
        for (kx, hint, params, signature) in cases {
            let mut ske = ServerKeyExchange {
                psk_identity_hint: hint.clone(),
                params: params.clone(),
                signature,
                params_range: 0..0,
            };
            let mut bytes = Vec::new();
            ske.write(&mut bytes);
            let start = hint.map_or(0, |h| 2 + h.len());
            ske.params_range = start..start + ServerKeyExchange::encode_params(&params).len();
            round_trip_and_truncate(&ske, ServerKeyExchange::write, |b| {
                ServerKeyExchange::read(b, kx)
            });
        }
    }

    #[test]
    fn client_key_exchange_round_trips_for_every_kind() {
        let cases = [
            (
                KeyExchange::EcdheRsa,
                None,
                ClientExchange::Ecdh(vec![4; 65]),
            ),
            (KeyExchange::DheRsa, None, ClientExchange::Dh(vec![3; 256])),
            (KeyExchange::Rsa, None, ClientExchange::Rsa(vec![1; 256])),
            (KeyExchange::Psk, Some(b"id".to_vec()), ClientExchange::None),
            (
                KeyExchange::RsaPsk,
                Some(b"id".to_vec()),
                ClientExchange::Rsa(vec![1; 128]),
            ),
            (
                KeyExchange::DhePsk,
                Some(b"id".to_vec()),
                ClientExchange::Dh(vec![3; 256]),
            ),
            (
                KeyExchange::EcdhePsk,
                Some(vec![]),
                ClientExchange::Ecdh(vec![4; 32]),
            ),
        ];
        for (kx, psk_identity, exchange) in cases {
            let cke = ClientKeyExchange {
                psk_identity,
                exchange,
            };
            let mut bytes = Vec::new();
            cke.write(&mut bytes);
            assert_eq!(ClientKeyExchange::read(&bytes, kx).unwrap(), cke);
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(ClientKeyExchange::read(&longer, kx).is_err());
        }
    }

    #[test]
    fn other_messages_round_trip() {
        round_trip_and_truncate(
            &Certificate12 {
                chain: vec![vec![1; 300], vec![2; 10]],
            },
            Certificate12::write,
            Certificate12::read,
        );
        round_trip_and_truncate(
            &CertificateRequest12 {
                certificate_types: vec![CERT_TYPE_ECDSA_SIGN, CERT_TYPE_RSA_SIGN],
                signature_algorithms: vec![SignatureScheme::RSA_PKCS1_SHA256],
                certificate_authorities: vec![vec![0x30, 0]],
            },
            CertificateRequest12::write,
            CertificateRequest12::read,
        );
        round_trip_and_truncate(
            &NewSessionTicket12 {
                lifetime_hint_secs: 7200,
                ticket: vec![1; 100],
            },
            NewSessionTicket12::write,
            NewSessionTicket12::read,
        );
        assert!(read_finished12(&[0; 12]).is_ok());
        assert!(read_finished12(&[0; 11]).is_err());
        assert!(read_finished12(&[0; 13]).is_err());
    }

    #[test]
    fn hostile_values_are_refused() {
        // ECParameters other than named_curve.
        assert!(ServerKeyExchange::read(&[1, 0, 23, 1, 4], KeyExchange::EcdhePsk).is_err());
        // A DH generator longer than the prime.
        let mut b = Vec::new();
        put_vec_u16(&mut b, &[0xff; 4]);
        put_vec_u16(&mut b, &[2; 5]);
        put_vec_u16(&mut b, &[1; 4]);
        assert!(ServerKeyExchange::read(&b, KeyExchange::DhePsk).is_err());
        // An oversized PSK identity.
        let mut b = Vec::new();
        put_vec_u16(&mut b, &[b'a'; MAX_PSK_IDENTITY_LEN + 1]);
        assert!(ClientKeyExchange::read(&b, KeyExchange::Psk).is_err());
        // Empty certificate in a chain.
        assert!(Certificate12::read(&[0, 0, 3, 0, 0, 0]).is_err());
    }
}
