//! Typed errors, and the single place that maps an error to the alert sent.

use core::fmt;

use crate::msgs::enums::{AlertDescription, ContentType, HandshakeType};

/// Everything that can end a connection or refuse a call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Received bytes do not decode.
    InvalidMessage(InvalidMessage),
    /// A message arrived that is not allowed in the current state.
    UnexpectedMessage {
        /// The state the handshake was in (see `Connection::handshake_state`).
        state: &'static str,
        content_type: ContentType,
        handshake_type: Option<HandshakeType>,
    },
    /// The peer broke a protocol rule.
    PeerMisbehaved(PeerMisbehaved),
    /// The peer supports nothing we accept.
    PeerIncompatible(PeerIncompatible),
    /// The peer's certificate chain failed verification.
    InvalidCertificate(CertificateError),
    /// A record failed authentication.
    DecryptFailed,
    /// A record exceeded the negotiated size limits.
    RecordOverflow,
    /// The peer sent a fatal alert (or a warning alert other than close_notify).
    AlertReceived(AlertDescription),
    /// A crypto provider failed.
    Crypto(CryptoError),
    /// The caller used the API in a way the contract forbids.
    ApiMisuse(ApiMisuse),
    /// A required configuration item is missing or inconsistent.
    Config(&'static str),
    /// The connection already failed with an earlier error, or was closed.
    Closed,
    /// An engine invariant failed; a bug, reported instead of panicking.
    Internal(&'static str),
    /// DTLS: the peer did not answer a flight within the longest
    /// retransmission timeout.
    HandshakeTimeout,
}

/// Decoding failures. Each maps to `decode_error` unless noted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidMessage {
    Truncated,
    TrailingData,
    BadLength,
    EmptyVector,
    /// A field value that is syntactically valid but forbidden (`illegal_parameter`).
    IllegalValue(&'static str),
    DuplicateExtension,
    UnknownContentType,
    /// A handshake message larger than we buffer.
    TooLarge,
    /// Bytes that cannot start a TLS record at all.
    NotTls,
    /// A record of zero length where that is forbidden (`unexpected_message`).
    EmptyRecord,
}

/// Protocol rule violations by the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    SelectedUnofferedCipherSuite,
    SelectedUnofferedGroup,
    SelectedUnofferedVersion,
    SelectedUnofferedAlpn,
    UnsolicitedExtension,
    IllegalHelloRetryRequest,
    SecondHelloRetryRequest,
    WrongGroupAfterHelloRetry,
    SessionIdMismatch,
    InvalidKeyShare,
    MissingKeyShare,
    BadFinished,
    BadSignature,
    SignatureSchemeNotOffered,
    CompressionOffered,
    KeyUpdateBeforeHandshake,
    MessageInterleavedWithKeyChange,
    TooManyKeyUpdates,
    TooManyWarningAlerts,
    TooManyEmptyRecords,
    PlaintextAfterEncryption,
    IllegalChangeCipherSpec,
    DowngradeDetected,
    EmptyCertificateChain,
    ClientHelloChangedAfterRetry,
    /// Far more input arrived than fits while an operation was pending.
    ExcessiveDataWhilePaused,
    BadPskBinder,
    SelectedUnofferedPsk,
    /// TLS_FALLBACK_SCSV from a client that could have used a higher version.
    InappropriateFallback,
    /// The peer kept sending data long after we asked it to renegotiate.
    RenegotiationIgnored,
    /// renegotiation_info does not match the previous handshake (RFC 5746).
    BadRenegotiationInfo,
    /// A peer without secure renegotiation, refused by policy.
    InsecureRenegotiation,
    /// The peer's RSA key-exchange or DH value is unusable.
    InvalidKeyExchange,
    /// The extended master secret changed between a session and its resumption.
    ExtendedMasterSecretMismatch,
    /// A DTLS server kept sending HelloVerifyRequests.
    TooManyHelloVerifyRequests,
    /// A renegotiation the policy forbids.
    UnexpectedRenegotiation,
    /// The client named a PSK identity we do not know.
    UnknownPskIdentity,
    /// More DTLS records failed authentication than the bad-MAC limit
    /// allows.
    TooManyBadRecords,
    /// A DTLS record seen before (or older than the replay window).
    ReplayedRecord,
    /// A DTLS record whose connection ID is not ours (RFC 9146).
    UnexpectedConnectionId,
}

/// The peer offered nothing we can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerIncompatible {
    NoCommonVersion,
    NoCommonCipherSuite,
    NoCommonGroup,
    NoCommonSignatureScheme,
    NoCommonAlpn,
    NoCertificateForName,
    /// A required client certificate was not sent.
    NoClientCertificate,
    MissingExtension(&'static str),
    /// The server's DH prime is shorter than `min_dh_bits`.
    WeakDhParameters,
    /// A TLS 1.2 ClientHello without the null compression method.
    NoCommonCompression,
    /// The configuration requires the extended master secret (RFC 7627)
    /// and the peer does not offer it.
    ExtendedMasterSecretRequired,
}

/// Why a certificate chain was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    BadEncoding,
    Expired,
    NotValidYet,
    UnknownIssuer,
    BadSignature,
    NotValidForName,
    Revoked,
    UnsupportedSignatureAlgorithm,
    InvalidPurpose,
    Other,
}

/// A provider could not complete a primitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    RandomFailed,
    UnsupportedAlgorithm,
    InvalidKey,
    SigningFailed,
    OperationCanceled,
    Other,
}

/// Calls the contract forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiMisuse {
    UnknownOperation,
    WrongOperationResult,
    HandshakeNotComplete,
    AlreadyClosed,
    InvalidServerName,
    BufferFull,
    /// TLS 1.3 allows only close_notify and user_canceled as warnings.
    WarningAlertNotAllowed,
    /// An exporter label the protocol reserves, or an oversized context.
    ReservedExporterLabel,
    /// The operation needs another protocol version (KeyUpdate is TLS 1.3
    /// only, renegotiation TLS 1.2 only).
    WrongProtocolVersion,
    /// Renegotiation is disabled or the peer lacks secure renegotiation.
    RenegotiationNotAllowed,
    /// A DTLS-only call on a stream connection.
    NotDatagram,
    /// An MTU outside 64..=65535.
    InvalidMtu,
    /// A setting that must come before the handshake.
    HandshakeStarted,
    /// A connection ID longer than 255 bytes.
    InvalidCid,
    /// No DTLS-SRTP profile was negotiated.
    NoSrtpProfile,
    /// `Connection::save` needs an established DTLS 1.2 connection with an
    /// AEAD suite and nothing pending (no operation, output or events).
    NotSerializable,
    /// DTLS: more application data than one record in one datagram holds
    /// (see `Connection::max_out_record_payload`).
    DatagramTooLarge,
}

impl Error {
    /// The alert to send to the peer for this error, if any. This is the only
    /// place in the engine that chooses alerts for errors.
    pub fn alert(&self) -> Option<AlertDescription> {
        use AlertDescription as A;
        Some(match self {
            Error::InvalidMessage(m) => match m {
                InvalidMessage::IllegalValue(_) | InvalidMessage::DuplicateExtension => {
                    A::IllegalParameter
                }
                InvalidMessage::EmptyRecord | InvalidMessage::UnknownContentType => {
                    A::UnexpectedMessage
                }
                _ => A::DecodeError,
            },
            Error::UnexpectedMessage { .. } => A::UnexpectedMessage,
            Error::PeerMisbehaved(p) => match p {
                PeerMisbehaved::BadFinished
                | PeerMisbehaved::BadSignature
                | PeerMisbehaved::BadPskBinder => A::DecryptError,
                PeerMisbehaved::KeyUpdateBeforeHandshake
                | PeerMisbehaved::MessageInterleavedWithKeyChange
                | PeerMisbehaved::TooManyKeyUpdates
                | PeerMisbehaved::TooManyWarningAlerts
                | PeerMisbehaved::TooManyEmptyRecords
                | PeerMisbehaved::PlaintextAfterEncryption
                | PeerMisbehaved::IllegalChangeCipherSpec
                | PeerMisbehaved::SecondHelloRetryRequest
                | PeerMisbehaved::ExcessiveDataWhilePaused => A::UnexpectedMessage,
                PeerMisbehaved::UnsolicitedExtension => A::UnsupportedExtension,
                PeerMisbehaved::InappropriateFallback => A::InappropriateFallback,
                PeerMisbehaved::RenegotiationIgnored | PeerMisbehaved::UnexpectedRenegotiation => {
                    A::NoRenegotiation
                }
                PeerMisbehaved::BadRenegotiationInfo
                | PeerMisbehaved::InsecureRenegotiation
                | PeerMisbehaved::ExtendedMasterSecretMismatch => A::HandshakeFailure,
                PeerMisbehaved::UnknownPskIdentity => A::UnknownPskIdentity,
                PeerMisbehaved::InvalidKeyExchange => A::IllegalParameter,
                PeerMisbehaved::MissingKeyShare => A::MissingExtension,
                PeerMisbehaved::EmptyCertificateChain => A::DecodeError,
                PeerMisbehaved::TooManyBadRecords => A::BadRecordMac,
                _ => A::IllegalParameter,
            },
            Error::PeerIncompatible(p) => match p {
                PeerIncompatible::NoCommonVersion => A::ProtocolVersion,
                PeerIncompatible::NoCommonAlpn => A::NoApplicationProtocol,
                PeerIncompatible::NoCertificateForName => A::UnrecognizedName,
                PeerIncompatible::NoClientCertificate => A::CertificateRequired,
                PeerIncompatible::MissingExtension(_) => A::MissingExtension,
                PeerIncompatible::WeakDhParameters => A::InsufficientSecurity,
                _ => A::HandshakeFailure,
            },
            Error::InvalidCertificate(c) => match c {
                CertificateError::BadEncoding => A::BadCertificate,
                CertificateError::Expired | CertificateError::NotValidYet => A::CertificateExpired,
                CertificateError::UnknownIssuer => A::UnknownCa,
                CertificateError::BadSignature => A::DecryptError,
                CertificateError::Revoked => A::CertificateRevoked,
                CertificateError::UnsupportedSignatureAlgorithm => A::UnsupportedCertificate,
                CertificateError::NotValidForName
                | CertificateError::InvalidPurpose
                | CertificateError::Other => A::BadCertificate,
            },
            Error::DecryptFailed => A::BadRecordMac,
            Error::RecordOverflow => A::RecordOverflow,
            Error::Crypto(CryptoError::OperationCanceled) => A::UserCanceled,
            Error::Crypto(_) | Error::Config(_) | Error::Internal(_) => A::InternalError,
            // The peer already ended the connection, or the caller misused the
            // API: nothing to tell the peer.
            Error::AlertReceived(_)
            | Error::ApiMisuse(_)
            | Error::Closed
            | Error::HandshakeTimeout => return None,
        })
    }
}

impl From<InvalidMessage> for Error {
    fn from(e: InvalidMessage) -> Self {
        Error::InvalidMessage(e)
    }
}

impl From<PeerMisbehaved> for Error {
    fn from(e: PeerMisbehaved) -> Self {
        Error::PeerMisbehaved(e)
    }
}

impl From<PeerIncompatible> for Error {
    fn from(e: PeerIncompatible) -> Self {
        Error::PeerIncompatible(e)
    }
}

impl From<CertificateError> for Error {
    fn from(e: CertificateError) -> Self {
        Error::InvalidCertificate(e)
    }
}

impl From<CryptoError> for Error {
    fn from(e: CryptoError) -> Self {
        Error::Crypto(e)
    }
}

impl From<ApiMisuse> for Error {
    fn from(e: ApiMisuse) -> Self {
        Error::ApiMisuse(e)
    }
}

impl From<&Error> for AlertDescription {
    /// The alert for an error; errors that send no alert map to internal_error.
    fn from(e: &Error) -> Self {
        e.alert().unwrap_or(AlertDescription::InternalError)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidMessage(m) => write!(f, "invalid message: {m:?}"),
            Error::UnexpectedMessage {
                state,
                content_type,
                handshake_type,
            } => match handshake_type {
                Some(h) => write!(f, "unexpected {h} message in state {state}"),
                None => write!(f, "unexpected {content_type} record in state {state}"),
            },
            Error::PeerMisbehaved(p) => write!(f, "peer misbehaved: {p:?}"),
            Error::PeerIncompatible(p) => write!(f, "peer incompatible: {p:?}"),
            Error::InvalidCertificate(c) => write!(f, "invalid peer certificate: {c:?}"),
            Error::DecryptFailed => f.write_str("record authentication failed"),
            Error::RecordOverflow => f.write_str("record too large"),
            Error::AlertReceived(a) => write!(f, "received fatal alert: {a}"),
            Error::Crypto(c) => write!(f, "crypto provider error: {c:?}"),
            Error::ApiMisuse(m) => write!(f, "API misuse: {m:?}"),
            Error::Config(m) => write!(f, "configuration error: {m}"),
            Error::Closed => f.write_str("connection closed"),
            Error::Internal(m) => write!(f, "internal error: {m}"),
            Error::HandshakeTimeout => f.write_str("DTLS handshake timed out"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_expected_alerts() {
        let cases = [
            (
                Error::from(InvalidMessage::Truncated),
                AlertDescription::DecodeError,
            ),
            (
                Error::from(InvalidMessage::IllegalValue("x")),
                AlertDescription::IllegalParameter,
            ),
            (
                Error::from(PeerMisbehaved::BadFinished),
                AlertDescription::DecryptError,
            ),
            (
                Error::from(PeerIncompatible::NoCommonVersion),
                AlertDescription::ProtocolVersion,
            ),
            (
                Error::from(CertificateError::UnknownIssuer),
                AlertDescription::UnknownCa,
            ),
            (Error::DecryptFailed, AlertDescription::BadRecordMac),
            (Error::RecordOverflow, AlertDescription::RecordOverflow),
        ];
        for (err, alert) in cases {
            assert_eq!(err.alert(), Some(alert), "{err}");
        }
        assert_eq!(
            Error::AlertReceived(AlertDescription::HandshakeFailure).alert(),
            None
        );
    }
}
