//! Pausable operations as values: what the connection asks the caller to do
//! when a provider answers [`Pausable::Pending`](crate::crypto::Pausable).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use zeroize::Zeroizing;

use crate::crypto::{SigningKey, TicketSealer};
use crate::error::CryptoError;
use crate::msgs::enums::SignatureScheme;
use crate::verify::{CertificateVerifier, VerifyRequest, VerifyResult};

/// Identifies an operation within one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OperationId(pub u64);

/// Set when the connection that asked for an operation was dropped or
/// reset: a worker may skip the work (Mbed TLS async_cancel).
#[derive(Debug, Clone, Default)]
pub struct Cancellation(Arc<AtomicBool>);

impl Cancellation {
    pub fn is_canceled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    pub(crate) fn cancel(&self) {
        self.0.store(true, Ordering::Release)
    }
}

/// A slow operation the connection waits for. Serve it anywhere (a worker
/// thread, an HSM queue, a remote signer), then pass the result to
/// `Connection::complete` with the same id.
#[derive(Debug)]
pub struct Operation {
    pub id: OperationId,
    pub request: OperationRequest,
    pub cancellation: Cancellation,
}

/// What is asked.
pub enum OperationRequest {
    /// Sign `message` with `key` using `scheme` (TLS 1.3 CertificateVerify).
    Sign {
        key: Arc<dyn SigningKey>,
        scheme: SignatureScheme,
        message: Vec<u8>,
    },
    /// RSA-decrypt a TLS 1.2 ClientKeyExchange with `key`. The engine
    /// treats any failure like a wrong-length result (RFC 5246 7.4.7.1).
    Decrypt {
        key: Arc<dyn SigningKey>,
        ciphertext: Vec<u8>,
    },
    /// Check the peer's certificate chain.
    VerifyCertificate {
        verifier: Arc<dyn CertificateVerifier>,
        request: VerifyRequest,
    },
    /// Seal a session ticket.
    SealTicket {
        sealer: Arc<dyn TicketSealer>,
        plaintext: Zeroizing<Vec<u8>>,
    },
    /// Open a ticket a client offered.
    OpenTicket {
        sealer: Arc<dyn TicketSealer>,
        ticket: Vec<u8>,
    },
}

impl core::fmt::Debug for OperationRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            OperationRequest::Sign {
                key,
                scheme,
                message,
            } => f
                .debug_struct("Sign")
                .field("key", &key.key_type())
                .field("scheme", scheme)
                .field("message_len", &message.len())
                .finish(),
            OperationRequest::Decrypt { key, ciphertext } => f
                .debug_struct("Decrypt")
                .field("key", &key.key_type())
                .field("ciphertext_len", &ciphertext.len())
                .finish(),
            OperationRequest::VerifyCertificate { request, .. } => f
                .debug_struct("VerifyCertificate")
                .field("chain_len", &request.chain.len())
                .field("purpose", &request.purpose)
                .finish(),
            OperationRequest::SealTicket { plaintext, .. } => f
                .debug_struct("SealTicket")
                .field("plaintext_len", &plaintext.len())
                .finish(),
            OperationRequest::OpenTicket { ticket, .. } => f
                .debug_struct("OpenTicket")
                .field("ticket_len", &ticket.len())
                .finish(),
        }
    }
}

impl Operation {
    /// Performs the operation synchronously with the provider's blocking
    /// entry point; what a worker thread typically does.
    pub fn perform(&self) -> OperationResult {
        let canceled = self.cancellation.is_canceled();
        match &self.request {
            OperationRequest::Sign { .. } if canceled => {
                OperationResult::Signature(Err(CryptoError::OperationCanceled))
            }
            OperationRequest::Sign {
                key,
                scheme,
                message,
            } => OperationResult::Signature(key.sign(*scheme, message)),
            OperationRequest::Decrypt { .. } if canceled => {
                OperationResult::Decrypted(Err(CryptoError::OperationCanceled).into())
            }
            OperationRequest::Decrypt { key, ciphertext } => {
                OperationResult::Decrypted(key.decrypt(ciphertext).into())
            }
            OperationRequest::VerifyCertificate { .. } if canceled => {
                OperationResult::Verification(Err(CryptoError::OperationCanceled))
            }
            OperationRequest::VerifyCertificate { verifier, request } => {
                OperationResult::Verification(Ok(verifier.verify(request)))
            }
            OperationRequest::SealTicket { .. } if canceled => {
                OperationResult::SealedTicket(Err(CryptoError::OperationCanceled))
            }
            OperationRequest::SealTicket { sealer, plaintext } => {
                OperationResult::SealedTicket(sealer.seal(plaintext))
            }
            OperationRequest::OpenTicket { .. } if canceled => {
                OperationResult::OpenedTicket(Err(CryptoError::OperationCanceled))
            }
            OperationRequest::OpenTicket { sealer, ticket } => {
                OperationResult::OpenedTicket(sealer.open(ticket))
            }
        }
    }
}

/// The outcome of an operation, handed to `Connection::complete`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationResult {
    Signature(Result<Vec<u8>, CryptoError>),
    /// The chain's verification flags (empty when good), or a failure to
    /// verify at all.
    Verification(Result<VerifyResult, CryptoError>),
    SealedTicket(Result<Vec<u8>, CryptoError>),
    /// A decrypted premaster secret (or the failure, which the engine hides
    /// from the peer).
    Decrypted(DecryptResult),
    /// `Ok(None)`: the ticket could not be opened (resume by full handshake).
    OpenedTicket(Result<Option<Vec<u8>>, CryptoError>),
}

/// The outcome of an RSA decryption; the plaintext is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct DecryptResult(pub Result<Zeroizing<Vec<u8>>, CryptoError>);

impl From<Result<Vec<u8>, CryptoError>> for DecryptResult {
    fn from(r: Result<Vec<u8>, CryptoError>) -> Self {
        Self(r.map(Zeroizing::new))
    }
}

impl core::fmt::Debug for DecryptResult {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match &self.0 {
            Ok(p) => write!(f, "Decrypted({} bytes)", p.len()),
            Err(e) => write!(f, "DecryptFailed({e:?})"),
        }
    }
}
