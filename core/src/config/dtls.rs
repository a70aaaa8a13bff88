//! DTLS settings (Mbed TLS conf_transport DATAGRAM and the conf_dtls_*
//! family). See docs/dtls.md.

use alloc::vec::Vec;
use core::time::Duration;

/// Stream (TLS) or datagram (DTLS) transport (Mbed TLS conf_transport).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    #[default]
    Stream,
    Datagram,
}

impl Transport {
    /// The wire version TLS 1.2 has on this transport (DTLS 1.2 over
    /// datagrams). Sessions carry it, so none resumes across transports.
    pub fn tls12_version(self) -> crate::msgs::enums::ProtocolVersion {
        match self {
            Self::Stream => crate::msgs::enums::ProtocolVersion::TLSv1_2,
            Self::Datagram => crate::msgs::enums::ProtocolVersion::DTLSv1_2,
        }
    }
}

/// What to do with a record whose connection ID is not ours (RFC 9146;
/// Mbed TLS conf_cid's ignore_other_cid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnexpectedCid {
    /// Drop the record silently.
    Ignore,
    /// End the connection.
    Fail,
}

/// DTLS-SRTP protection profiles (RFC 5764 4.1.2; the four of the Mbed TLS
/// API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SrtpProfile(pub u16);

impl SrtpProfile {
    pub const AES128_CM_HMAC_SHA1_80: Self = Self(0x0001);
    pub const AES128_CM_HMAC_SHA1_32: Self = Self(0x0002);
    pub const NULL_HMAC_SHA1_80: Self = Self(0x0005);
    pub const NULL_HMAC_SHA1_32: Self = Self(0x0006);

    /// The four profiles, in Mbed TLS's default preference.
    pub const ALL: [Self; 4] = [
        Self::AES128_CM_HMAC_SHA1_80,
        Self::AES128_CM_HMAC_SHA1_32,
        Self::NULL_HMAC_SHA1_80,
        Self::NULL_HMAC_SHA1_32,
    ];

    /// The RFC 5764 name (`SRTP_AES128_CM_HMAC_SHA1_80`, ...).
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::AES128_CM_HMAC_SHA1_80 => "SRTP_AES128_CM_HMAC_SHA1_80",
            Self::AES128_CM_HMAC_SHA1_32 => "SRTP_AES128_CM_HMAC_SHA1_32",
            Self::NULL_HMAC_SHA1_80 => "SRTP_NULL_HMAC_SHA1_80",
            Self::NULL_HMAC_SHA1_32 => "SRTP_NULL_HMAC_SHA1_32",
            _ => return None,
        })
    }

    /// Keying material per side: master key and master salt lengths
    /// (RFC 5764 4.2: AES-128 key and 112-bit salt for all four).
    pub fn key_and_salt_len(self) -> (usize, usize) {
        (16, 14)
    }
}

/// DTLS-SRTP settings (Mbed TLS conf_dtls_srtp_protection_profiles,
/// conf_srtp_mki_value_supported, set_mtu... ).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SrtpOptions {
    /// Profiles we offer (client) or accept (server), preferred first;
    /// empty disables use_srtp.
    pub profiles: Vec<SrtpProfile>,
    /// Our MKI (client); `None` sends none. Servers echo the client's MKI
    /// only when `mki_supported`.
    pub mki: Option<Vec<u8>>,
    pub mki_supported: bool,
}

/// DTLS options; ignored over streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtlsOptions {
    /// Largest datagram we send (Mbed TLS set_mtu); records and handshake
    /// fragments are sized to fit.
    pub mtu: usize,
    /// Initial and largest retransmission timeout (Mbed TLS
    /// conf_handshake_timeout, defaults 1 s and 60 s).
    pub handshake_timeout_min: Duration,
    pub handshake_timeout_max: Duration,
    /// Drop replayed records (conf_dtls_anti_replay; on by default).
    pub anti_replay: bool,
    /// Unauthentic records tolerated before the connection fails
    /// (conf_dtls_badmac_limit; 0 = unlimited, records are dropped).
    pub badmac_limit: u32,
    /// Bytes of out-of-order handshake messages buffered at most (Mbed TLS
    /// MBEDTLS_SSL_DTLS_MAX_BUFFERING).
    pub max_buffering: usize,
    /// Pack several records of a flight into one datagram
    /// (set_datagram_packing; on by default).
    pub datagram_packing: bool,
    /// Length of the connection ID we ask peers to use (conf_cid); `None`
    /// disables the extension. `Some(0)` accepts the peer's CID without
    /// asking for one.
    pub own_cid_len: Option<usize>,
    pub unexpected_cid: UnexpectedCid,
    pub srtp: SrtpOptions,
}

impl Default for DtlsOptions {
    fn default() -> Self {
        Self {
            mtu: 1400,
            handshake_timeout_min: Duration::from_secs(1),
            handshake_timeout_max: Duration::from_secs(60),
            anti_replay: true,
            badmac_limit: 0,
            max_buffering: 32_768,
            datagram_packing: true,
            own_cid_len: None,
            unexpected_cid: UnexpectedCid::Ignore,
            srtp: SrtpOptions::default(),
        }
    }
}
