//! ClientHello and ServerHello (including HelloRetryRequest).

use alloc::vec::Vec;

use crate::codec::{put_prefixed, put_vec_u8, LengthPrefix, Reader, Writer};
use crate::error::InvalidMessage;
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::msgs::extensions::{ClientExtensions, ServerHelloExtensions};

/// The fixed ServerHello.random that marks a HelloRetryRequest (RFC 8446 4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Last eight bytes of ServerHello.random when a TLS 1.3 server negotiates
/// TLS 1.2 (RFC 8446 4.1.3 downgrade protection).
pub const DOWNGRADE_TLS12: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01];
/// Same, for TLS 1.1 and below.
pub const DOWNGRADE_TLS11: [u8; 8] = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00];

/// Session ids and TLS 1.3 legacy_session_id: at most 32 bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionId {
    len: usize,
    bytes: [u8; 32],
}

impl SessionId {
    pub fn new(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        if bytes.len() > 32 {
            return Err(InvalidMessage::IllegalValue(
                "session id longer than 32 bytes",
            ));
        }
        let mut s = Self {
            len: bytes.len(),
            bytes: [0; 32],
        };
        s.bytes[..bytes.len()].copy_from_slice(bytes);
        Ok(s)
    }

    pub fn empty() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Self::new(r.vec_u8()?)
    }
}

impl AsRef<[u8]> for SessionId {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// ClientHello (RFC 8446 4.1.2; RFC 5246 7.4.1.2; RFC 6347 4.2.1 adds the cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    pub legacy_version: ProtocolVersion,
    pub random: [u8; 32],
    pub session_id: SessionId,
    /// DTLS only: the HelloVerifyRequest cookie field.
    pub dtls_cookie: Option<Vec<u8>>,
    pub cipher_suites: Vec<CipherSuite>,
    pub compression_methods: Vec<u8>,
    pub extensions: ClientExtensions,
}

impl ClientHello {
    pub fn read(body: &[u8], datagram: bool) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let legacy_version = ProtocolVersion(r.u16()?);
        let random = r
            .take(32)?
            .try_into()
            .map_err(|_| InvalidMessage::Truncated)?;
        let session_id = SessionId::read(&mut r)?;
        let dtls_cookie = if datagram {
            Some(r.vec_u8()?.to_vec())
        } else {
            None
        };
        let suites = r.u16_list(LengthPrefix::U16)?;
        if suites.is_empty() {
            return Err(InvalidMessage::EmptyVector);
        }
        let compression_methods = r.vec_u8()?.to_vec();
        if compression_methods.is_empty() {
            return Err(InvalidMessage::EmptyVector);
        }
        let extensions = ClientExtensions::read(&mut r)?;
        r.expect_empty()?;
        Ok(Self {
            legacy_version,
            random,
            session_id,
            dtls_cookie,
            cipher_suites: suites.into_iter().map(CipherSuite).collect(),
            compression_methods,
            extensions,
        })
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        out.put_u16(self.legacy_version.0);
        out.put_slice(&self.random);
        put_vec_u8(out, self.session_id.as_ref());
        if let Some(cookie) = &self.dtls_cookie {
            put_vec_u8(out, cookie);
        }
        put_prefixed(out, 2, |o| {
            for s in &self.cipher_suites {
                o.put_u16(s.0);
            }
        });
        put_vec_u8(out, &self.compression_methods);
        self.extensions.write(out);
    }
}

/// ServerHello, or a HelloRetryRequest when `random` is
/// [`HELLO_RETRY_REQUEST_RANDOM`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    pub legacy_version: ProtocolVersion,
    pub random: [u8; 32],
    pub session_id: SessionId,
    pub cipher_suite: CipherSuite,
    pub compression_method: u8,
    pub extensions: ServerHelloExtensions,
}

impl ServerHello {
    pub fn read(body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let legacy_version = ProtocolVersion(r.u16()?);
        let random: [u8; 32] = r
            .take(32)?
            .try_into()
            .map_err(|_| InvalidMessage::Truncated)?;
        let session_id = SessionId::read(&mut r)?;
        let cipher_suite = CipherSuite(r.u16()?);
        let compression_method = r.u8()?;
        let is_retry = random == HELLO_RETRY_REQUEST_RANDOM;
        let extensions = ServerHelloExtensions::read(&mut r, is_retry)?;
        r.expect_empty()?;
        Ok(Self {
            legacy_version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions,
        })
    }

    pub fn is_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        out.put_u16(self.legacy_version.0);
        out.put_slice(&self.random);
        put_vec_u8(out, self.session_id.as_ref());
        out.put_u16(self.cipher_suite.0);
        out.put_u8(self.compression_method);
        self.extensions.write(out);
    }
}

/// HelloVerifyRequest (RFC 6347 4.2.1): a DTLS server's stateless answer
/// asking the client to repeat its ClientHello with `cookie`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloVerifyRequest {
    pub server_version: ProtocolVersion,
    /// `cookie<0..2^8-1>`.
    pub cookie: Vec<u8>,
}

impl HelloVerifyRequest {
    /// Refuses cookies longer than 255 bytes.
    pub fn new(server_version: ProtocolVersion, cookie: Vec<u8>) -> Result<Self, InvalidMessage> {
        if cookie.len() > 255 {
            return Err(InvalidMessage::BadLength);
        }
        Ok(Self {
            server_version,
            cookie,
        })
    }

    pub fn read(body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let server_version = ProtocolVersion(r.u16()?);
        let cookie = r.vec_u8()?.to_vec();
        r.expect_empty()?;
        Ok(Self {
            server_version,
            cookie,
        })
    }

    /// A cookie longer than 255 bytes (only possible by setting the field
    /// directly) is cut to 255.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.put_u16(self.server_version.0);
        put_vec_u8(out, &self.cookie[..self.cookie.len().min(255)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgs::enums::{NamedGroup, SignatureScheme};
    use crate::msgs::extensions::KeyShareEntry;
    use alloc::vec;

    fn sample_client_hello() -> ClientHello {
        ClientHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random: [7; 32],
            session_id: SessionId::new(&[1; 32]).unwrap(),
            dtls_cookie: None,
            cipher_suites: vec![CipherSuite::TLS_AES_128_GCM_SHA256],
            compression_methods: vec![0],
            extensions: ClientExtensions {
                server_name: Some(b"example.com".to_vec()),
                supported_groups: Some(vec![NamedGroup::X25519]),
                signature_algorithms: Some(vec![SignatureScheme::ED25519]),
                alpn: Some(vec![b"h2".to_vec()]),
                supported_versions: Some(vec![ProtocolVersion::TLSv1_3]),
                key_shares: Some(vec![KeyShareEntry {
                    group: NamedGroup::X25519,
                    public: vec![9; 32],
                }]),
                ..Default::default()
            },
        }
    }

    #[test]
    fn client_hello_round_trips() {
        let ch = sample_client_hello();
        let mut bytes = Vec::new();
        ch.write(&mut bytes);
        let mut parsed = ClientHello::read(&bytes, false).unwrap();
        parsed.extensions.order.clear();
        assert_eq!(parsed, ch);
        // Every strict prefix fails to parse, never panics — except the one
        // that drops the whole extension block, which TLS 1.2 allows.
        let mut ext = Vec::new();
        ch.extensions.write(&mut ext);
        let ext_start = bytes.len() - ext.len();
        for cut in 0..bytes.len() {
            let parsed = ClientHello::read(&bytes[..cut], false);
            assert_eq!(parsed.is_ok(), cut == ext_start, "cut at {cut}");
        }
    }

    #[test]
    fn present_types_match_the_encoding() {
        let ch = sample_client_hello();
        let mut bytes = Vec::new();
        ch.write(&mut bytes);
        let parsed = ClientHello::read(&bytes, false).unwrap();
        assert_eq!(ch.extensions.present_types(), parsed.extensions.order);
    }

    #[test]
    fn duplicate_extension_is_rejected() {
        let mut bytes = Vec::new();
        let mut ch = sample_client_hello();
        ch.extensions = Default::default();
        ch.write(&mut bytes);
        // Replace the empty extension block with the same unknown extension twice.
        bytes.truncate(bytes.len() - 2);
        let ext = [0x12u8, 0x34, 0, 0];
        bytes.extend_from_slice(&[0, 8]);
        bytes.extend_from_slice(&ext);
        bytes.extend_from_slice(&ext);
        assert_eq!(
            ClientHello::read(&bytes, false),
            Err(InvalidMessage::DuplicateExtension)
        );
    }
    #[test]
    fn hello_verify_request_round_trips() {
        let hvr = HelloVerifyRequest::new(ProtocolVersion(0xfefd), vec![5; 33]).unwrap();
        let mut bytes = Vec::new();
        hvr.write(&mut bytes);
        assert_eq!(&bytes[..3], &[0xfe, 0xfd, 33]);
        assert_eq!(HelloVerifyRequest::read(&bytes).unwrap(), hvr);
        for cut in 0..bytes.len() {
            assert_eq!(
                HelloVerifyRequest::read(&bytes[..cut]),
                Err(InvalidMessage::Truncated),
                "cut {cut}"
            );
        }
        bytes.push(0);
        assert_eq!(
            HelloVerifyRequest::read(&bytes),
            Err(InvalidMessage::TrailingData)
        );
        // Empty and maximal cookies.
        for len in [0, 255] {
            let hvr = HelloVerifyRequest::new(ProtocolVersion(0xfeff), vec![1; len]).unwrap();
            let mut bytes = Vec::new();
            hvr.write(&mut bytes);
            assert_eq!(bytes.len(), 3 + len);
            assert_eq!(HelloVerifyRequest::read(&bytes).unwrap(), hvr);
        }
        assert_eq!(
            HelloVerifyRequest::new(ProtocolVersion(0xfefd), vec![0; 256]),
            Err(InvalidMessage::BadLength)
        );
        let long = HelloVerifyRequest {
            server_version: ProtocolVersion(0xfefd),
            cookie: vec![2; 300],
        };
        let mut bytes = Vec::new();
        long.write(&mut bytes);
        assert_eq!(HelloVerifyRequest::read(&bytes).unwrap().cookie.len(), 255);
    }

    #[test]
    fn dtls_client_hello_with_srtp_and_cid_round_trips() {
        use crate::config::SrtpProfile;
        use crate::msgs::extensions::UseSrtp;
        let mut ch = sample_client_hello();
        ch.legacy_version = ProtocolVersion(0xfefd);
        ch.dtls_cookie = Some(vec![3; 32]);
        ch.extensions.use_srtp = Some(UseSrtp {
            profiles: SrtpProfile::ALL.to_vec(),
            mki: vec![9, 8],
        });
        ch.extensions.connection_id = Some(vec![]);
        let mut bytes = Vec::new();
        ch.write(&mut bytes);
        let mut parsed = ClientHello::read(&bytes, true).unwrap();
        assert_eq!(parsed.extensions.order, ch.extensions.present_types());
        parsed.extensions.order.clear();
        assert_eq!(parsed, ch);
    }
}
