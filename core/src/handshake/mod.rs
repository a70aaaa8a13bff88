//! Handshake state machines and what they share: the context they act
//! through, the transcript and the key schedule.

pub(crate) mod client12;
pub(crate) mod client13;
pub mod key_schedule;
pub(crate) mod server12;
pub(crate) mod server13;
pub(crate) mod tls12;
pub(crate) mod traffic12;
pub(crate) mod traffic13;
pub mod transcript;

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use bytes::BytesMut;
use rustls_pki_types::CertificateDer;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::config::{CertifiedKey, KeyLog};
use crate::conn::{Cancellation, Event, Operation, OperationId, OperationRequest};
use crate::crypto::{CryptoProvider, ExternalKey, ExternalSign, ExternalSigner, Hkdf};
use crate::error::{CryptoError, Error, PeerMisbehaved};
use crate::msgs::enums::{ContentType, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::record::{Protection, RecordLayer, Tls13RecordKeys};
use crate::suites::SuiteInfo;
use crate::verify::{
    result_to_error, run_verify_callback, CertificateVerifier, VerifyMode, VerifyPolicy,
    VerifyRequest, VerifyResult,
};

use self::key_schedule::Secret;

/// What the handshake negotiated; read through `Connection` accessors.
#[derive(Debug, Clone, Default)]
pub struct Negotiated {
    pub version: Option<ProtocolVersion>,
    pub suite: Option<&'static SuiteInfo>,
    pub group: Option<NamedGroup>,
    pub alpn: Option<Vec<u8>>,
    pub server_name: Option<String>,
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// `None` until the peer's certificate was processed (or never, when no
    /// certificate was requested).
    pub verify_result: Option<VerifyResult>,
    /// The scheme the peer signed its CertificateVerify with.
    pub peer_signature_scheme: Option<SignatureScheme>,
    pub hello_retry_request: bool,
    /// The handshake resumed a session from a ticket.
    pub resumed: bool,
    /// ClientHello.random: names the connection in key logs.
    pub client_random: [u8; 32],
    pub client_authenticated: bool,
}

/// Tracks the one operation a connection may wait for.
#[derive(Debug, Default)]
pub(crate) struct OperationSlot {
    next_id: u64,
    pub pending: Option<(OperationId, Cancellation)>,
}

impl OperationSlot {
    pub fn cancel_pending(&mut self) {
        if let Some((_, c)) = self.pending.take() {
            c.cancel();
        }
    }
}

/// Everything a handshake handler may act on besides its own state.
pub(crate) struct Context<'a> {
    pub record: &'a mut RecordLayer,
    pub tx: &'a mut BytesMut,
    pub events: &'a mut VecDeque<Event>,
    pub negotiated: &'a mut Negotiated,
    pub ops: &'a mut OperationSlot,
    /// Set by a handler that installed application read keys.
    pub application_keys_ready: &'a mut bool,
    /// DTLS: the datagram side (records with epochs, flights); `None` over
    /// streams.
    pub datagram: Option<&'a mut crate::conn::datagram::Datagram>,
}

impl Context<'_> {
    pub fn send_handshake(&mut self, encoded: &[u8]) -> Result<(), Error> {
        self.record.write(self.tx, ContentType::Handshake, encoded)
    }

    /// Sends a TLS 1.2 handshake message (TLS form, 4-byte header) and
    /// appends to `transcript` the bytes the transcript hashes: the same
    /// bytes over TLS, the 12-byte-header form over DTLS (RFC 6347 4.2.6).
    pub fn send_handshake_recorded(
        &mut self,
        encoded: &[u8],
        transcript: &mut Vec<u8>,
    ) -> Result<(), Error> {
        match self.datagram.as_deref_mut() {
            Some(dg) => {
                let message = dg.queue_handshake(encoded);
                transcript.extend_from_slice(&message);
                Ok(())
            }
            None => {
                transcript.extend_from_slice(encoded);
                self.send_handshake(encoded)
            }
        }
    }

    /// Whether this is DTLS.
    pub fn is_datagram(&self) -> bool {
        self.datagram.is_some()
    }

    /// The TLS 1.2 family's version on this transport: TLS 1.2 or DTLS 1.2.
    pub fn tls12_version(&self) -> ProtocolVersion {
        if self.is_datagram() {
            ProtocolVersion::DTLSv1_2
        } else {
            ProtocolVersion::TLSv1_2
        }
    }

    /// TLS 1.2: sends ChangeCipherSpec under the current write protection,
    /// then writes with `next` (over DTLS: a new write epoch).
    pub fn send_change_cipher_spec12(&mut self, next: Protection) -> Result<(), Error> {
        match self.datagram.as_deref_mut() {
            Some(dg) => dg.queue_change_cipher_spec(next),
            None => {
                self.record
                    .write(self.tx, ContentType::ChangeCipherSpec, &[1])?;
                self.record.set_write(next);
                Ok(())
            }
        }
    }

    /// TLS 1.2: the peer's ChangeCipherSpec arrived; read with `next`
    /// (over DTLS: a new read epoch).
    pub fn install_read12(&mut self, next: Protection) -> Result<(), Error> {
        match self.datagram.as_deref_mut() {
            Some(dg) => dg.install_read(next),
            None => {
                self.record.set_read(next);
                Ok(())
            }
        }
    }

    /// A plaintext ChangeCipherSpec (middlebox compatibility), whatever the
    /// current write protection.
    pub fn send_change_cipher_spec(&mut self) {
        crate::record::put_header(
            self.tx,
            ContentType::ChangeCipherSpec,
            ProtocolVersion::TLSv1_2,
            1,
        );
        self.tx.extend_from_slice(&[1]);
    }

    /// Starts a pausable operation; the caller sees it as an event.
    pub fn request_operation(&mut self, request: OperationRequest) -> OperationId {
        let id = OperationId(self.ops.next_id);
        self.ops.next_id += 1;
        let cancellation = Cancellation::default();
        self.ops.pending = Some((id, cancellation.clone()));
        self.events.push_back(Event::Operation(Operation {
            id,
            request,
            cancellation,
        }));
        id
    }
}

/// Builds record keys for `secret` under `suite`.
pub(crate) fn tls13_record_keys(
    provider: &CryptoProvider,
    hkdf: &dyn Hkdf,
    suite: &SuiteInfo,
    secret: &Secret,
) -> Result<Protection, Error> {
    let algorithm = suite
        .aead()
        .ok_or(Error::Internal("TLS 1.3 suite without AEAD"))?;
    let aead = provider
        .aead(algorithm)
        .ok_or(Error::Crypto(CryptoError::UnsupportedAlgorithm))?;
    let mut key = [0u8; 32];
    let key_len = algorithm.key_len();
    let mut iv = [0u8; 12];
    key_schedule::traffic_key_iv(
        hkdf,
        key_schedule::LabelPrefix::Tls13,
        secret,
        &mut key[..key_len],
        &mut iv,
    )?;
    let aead_key = aead.new_key(&key[..key_len]);
    key.zeroize();
    let keys = Tls13RecordKeys::new(aead_key?, iv, algorithm.tag_len());
    iv.zeroize();
    Ok(Protection::Tls13(keys))
}

/// The content a TLS 1.3 CertificateVerify signs (RFC 8446 4.4.3).
pub(crate) fn certificate_verify_message(server: bool, transcript_hash: &[u8]) -> Vec<u8> {
    let context: &[u8] = if server {
        b"TLS 1.3, server CertificateVerify"
    } else {
        b"TLS 1.3, client CertificateVerify"
    };
    let mut m = Vec::with_capacity(64 + context.len() + 1 + transcript_hash.len());
    m.extend_from_slice(&[0x20; 64]);
    m.extend_from_slice(context);
    m.push(0);
    m.extend_from_slice(transcript_hash);
    m
}

/// The server's ALPN choice: the first of our protocols the client offers;
/// no overlap is fatal (RFC 7301 3.2). `None` when either side has none.
pub(crate) fn select_alpn(
    ours: &[Vec<u8>],
    offered: Option<&Vec<Vec<u8>>>,
) -> Result<Option<Vec<u8>>, Error> {
    match offered {
        Some(offered) if !ours.is_empty() => ours
            .iter()
            .find(|p| offered.contains(p))
            .cloned()
            .map(Some)
            .ok_or(crate::error::PeerIncompatible::NoCommonAlpn.into()),
        _ => Ok(None),
    }
}

/// Constant-time check of a received Finished.
pub(crate) fn check_finished(expected: &Secret, received: &[u8]) -> Result<(), Error> {
    if bool::from(expected.as_ref().ct_eq(received)) {
        Ok(())
    } else {
        Err(PeerMisbehaved::BadFinished.into())
    }
}

/// Hands a secret to the configured key log, if any.
pub(crate) fn log_secret(
    key_log: Option<&Arc<dyn KeyLog>>,
    negotiated: &Negotiated,
    label: &str,
    secret: &Secret,
) {
    if let Some(log) = key_log {
        log.log(label, &negotiated.client_random, secret.as_ref());
    }
}

/// Outcome of asking the configured verifier about a chain.
pub(crate) enum VerifyStep {
    Done(VerifyResult),
    Paused,
}

pub(crate) fn start_verify(
    cx: &mut Context<'_>,
    verifier: &Arc<dyn CertificateVerifier>,
    request: VerifyRequest,
) -> VerifyStep {
    match verifier.start_verify(&request) {
        crate::crypto::Pausable::Ready(result) => VerifyStep::Done(result),
        crate::crypto::Pausable::Pending => {
            cx.request_operation(OperationRequest::VerifyCertificate {
                verifier: verifier.clone(),
                request,
            });
            VerifyStep::Paused
        }
    }
}

/// Records a chain's verification result, after the verify callback (if
/// any) has seen every certificate, and enforces the verify mode.
pub(crate) fn apply_verify_result(
    cx: &mut Context<'_>,
    policy: &VerifyPolicy,
    result: VerifyResult,
) -> Result<(), Error> {
    let result = match &policy.callback {
        Some(callback) => {
            run_verify_callback(&**callback, &cx.negotiated.peer_certificates, result)
        }
        None => result,
    };
    cx.negotiated.verify_result = Some(result);
    if policy.mode == VerifyMode::Required && !result.is_ok() {
        return Err(result_to_error(result).into());
    }
    Ok(())
}

/// Outcome of asking a key to sign.
pub(crate) enum SignStep {
    Done(Vec<u8>),
    Paused,
}

/// Signs with `certified`'s key, asking the external signer first if one is
/// configured.
pub(crate) fn start_sign(
    cx: &mut Context<'_>,
    external: Option<&Arc<dyn ExternalSigner>>,
    certified: &CertifiedKey,
    scheme: SignatureScheme,
    message: Vec<u8>,
) -> Result<SignStep, Error> {
    let mut key = certified.key.clone();
    if let (Some(signer), Some(leaf)) = (external, certified.chain.first()) {
        match signer.start_sign(leaf, scheme, &message) {
            ExternalSign::Declined => {}
            ExternalSign::Ready(result) => return Ok(SignStep::Done(result?)),
            ExternalSign::Pending => {
                key = Arc::new(ExternalKey {
                    signer: signer.clone(),
                    certificate: leaf.clone(),
                    key_type: certified.key.key_type(),
                });
            }
        }
    }
    match key.start_sign(scheme, &message) {
        crate::crypto::Pausable::Ready(result) => Ok(SignStep::Done(result?)),
        crate::crypto::Pausable::Pending => {
            cx.request_operation(OperationRequest::Sign {
                key,
                scheme,
                message,
            });
            Ok(SignStep::Paused)
        }
    }
}
