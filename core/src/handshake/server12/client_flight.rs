//! The client's answer to our TLS 1.2 flight: Certificate,
//! ClientKeyExchange (with RFC 5246 7.4.7.1 handling of RSA key transport),
//! CertificateVerify, ChangeCipherSpec and Finished; then our
//! NewSessionTicket, ChangeCipherSpec and Finished, and the connection.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use rustls_pki_types::CertificateDer;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

use super::{encode, now, Handshake12, Server12State};
use crate::config::CertifiedKey;
use crate::conn::{DecryptResult, OperationRequest, State};
use crate::crypto::{ExternalKey, ExternalSign, ExternalSigner, Pausable};
use crate::error::{Error, PeerIncompatible, PeerMisbehaved};
use crate::handshake::tls12::{self, Established12, RenegotiationBinding};
use crate::handshake::traffic12::{Side12, Traffic12};
use crate::handshake::{apply_verify_result, start_verify, Context, VerifyStep};
use crate::msgs::enums::{HandshakeType, ProtocolVersion};
use crate::msgs::handshake::CertificateVerify;
use crate::msgs::handshake12::{
    read_finished12, Certificate12, ClientExchange, ClientKeyExchange, NewSessionTicket12,
};
use crate::transport::HandshakeMessage;
use crate::verify::{Purpose, VerifyMode, VerifyRequest, VerifyResult};

/// Length of the RSA premaster secret (RFC 5246 7.4.7.1).
pub(crate) const RSA_PREMASTER_LEN: usize = 48;

/// A ClientKeyExchange whose RSA premaster secret is being decrypted.
pub(crate) struct Decrypting {
    hs: Box<Handshake12>,
    /// Random premaster secret used if decryption fails in any way; drawn
    /// before decrypting.
    fallback: Zeroizing<[u8; RSA_PREMASTER_LEN]>,
    /// RSA_PSK: the client's pre-shared key.
    psk: Option<Zeroizing<Vec<u8>>>,
}

/// Client Certificate (RFC 5246 7.4.6): an empty chain is allowed unless
/// the verify mode requires one.
pub(super) fn handle_certificate(
    cx: &mut Context<'_>,
    mut hs: Box<Handshake12>,
    msg: HandshakeMessage<'_>,
) -> Result<State, Error> {
    let cert = Certificate12::read(msg.body)?;
    hs.add(msg.encoded);
    let common = &hs.config.common;
    let mode = common.verify_mode;
    let policy = common.verify_policy();
    if cert.chain.is_empty() {
        cx.negotiated.verify_result = Some(VerifyResult::MISSING);
        if mode == VerifyMode::Required {
            return Err(PeerIncompatible::NoClientCertificate.into());
        }
        return Ok(State::Server12(Server12State::ExpectClientKeyExchange(hs)));
    }
    let chain: Vec<CertificateDer<'static>> =
        cert.chain.into_iter().map(CertificateDer::from).collect();
    cx.negotiated.peer_certificates = chain.clone();
    let verifier = common.cert_verifier.clone();
    let request = VerifyRequest {
        chain: chain.clone(),
        roots: common.roots.clone(),
        server_name: None,
        purpose: Purpose::ClientAuth,
        now: now(common),
    };
    hs.client_chain = chain;
    match start_verify(cx, &verifier, request) {
        VerifyStep::Done(result) => {
            apply_verify_result(cx, &policy, result)?;
            Ok(State::Server12(Server12State::ExpectClientKeyExchange(hs)))
        }
        VerifyStep::Paused => Ok(State::Server12(Server12State::VerifyingCertificate(hs))),
    }
}

/// ClientKeyExchange: the premaster secret for every key exchange.
pub(super) fn handle_client_key_exchange(
    cx: &mut Context<'_>,
    mut hs: Box<Handshake12>,
    msg: HandshakeMessage<'_>,
) -> Result<State, Error> {
    let cke = ClientKeyExchange::read(msg.body, hs.suite.kx)?;
    hs.add(msg.encoded);
    let psk = match &cke.psk_identity {
        Some(identity) => {
            let resolver = hs
                .config
                .psk_resolver
                .as_ref()
                .ok_or(Error::Internal("PSK suite without a resolver"))?;
            Some(
                resolver
                    .resolve(identity)
                    .ok_or(PeerMisbehaved::UnknownPskIdentity)?,
            )
        }
        None => None,
    };
    let premaster = match cke.exchange {
        ClientExchange::None => {
            let psk = psk.as_ref().ok_or(Error::Internal("PSK missing"))?;
            tls12::psk_premaster(None, psk)
        }
        ClientExchange::Ecdh(public) | ClientExchange::Dh(public) => {
            let kx = hs
                .kx
                .take()
                .ok_or(Error::Internal("ephemeral key missing"))?;
            let shared = kx
                .complete(&public)
                .map_err(|_| PeerMisbehaved::InvalidKeyExchange)?;
            // RFC 5246 8.1.2: DH secrets lose their leading zeros; ECDH
            // secrets keep their fixed length (RFC 8422 5.10).
            let secret = if hs.suite.kx.uses_dhe() {
                tls12::strip_leading_zeros(shared.as_ref())
            } else {
                shared.as_ref()
            };
            match &psk {
                Some(psk) => tls12::psk_premaster(Some(secret), psk),
                None => Zeroizing::new(secret.to_vec()),
            }
        }
        ClientExchange::Rsa(ciphertext) => {
            let certified = hs
                .certified
                .clone()
                .ok_or(Error::Internal("RSA key transport without certificate"))?;
            // Drawn before decrypting, so that nothing about the
            // decryption decides whether randomness is needed.
            let mut fallback = Zeroizing::new([0u8; RSA_PREMASTER_LEN]);
            hs.common().provider.random.fill(&mut fallback[..])?;
            let external = hs.common().external_signer.clone();
            return match start_decrypt(cx, external.as_ref(), &certified, ciphertext) {
                DecryptStep::Done(result) => {
                    finish_decrypt(cx, Decrypting { hs, fallback, psk }, result)
                }
                DecryptStep::Paused => Ok(State::Server12(Server12State::Decrypting(Box::new(
                    Decrypting { hs, fallback, psk },
                )))),
            };
        }
    };
    finish_key_exchange(cx, hs, &premaster)
}

enum DecryptStep {
    Done(DecryptResult),
    Paused,
}

/// RSA-decrypts with our certificate's key, asking the external signer
/// first if one is configured (as `start_sign` does for signatures).
fn start_decrypt(
    cx: &mut Context<'_>,
    external: Option<&Arc<dyn ExternalSigner>>,
    certified: &CertifiedKey,
    ciphertext: Vec<u8>,
) -> DecryptStep {
    let mut key = certified.key.clone();
    if let (Some(signer), Some(leaf)) = (external, certified.chain.first()) {
        match signer.start_decrypt(leaf, &ciphertext) {
            ExternalSign::Declined => {}
            ExternalSign::Ready(result) => return DecryptStep::Done(result.into()),
            ExternalSign::Pending => {
                key = Arc::new(ExternalKey {
                    signer: signer.clone(),
                    certificate: leaf.clone(),
                    key_type: certified.key.key_type(),
                });
            }
        }
    }
    match key.start_decrypt(&ciphertext) {
        Pausable::Ready(result) => DecryptStep::Done(result.into()),
        Pausable::Pending => {
            cx.request_operation(OperationRequest::Decrypt { key, ciphertext });
            DecryptStep::Paused
        }
    }
}

/// RFC 5246 7.4.7.1: the premaster secret is the decrypted value if
/// decryption succeeded, gave 48 bytes and starts with the version the
/// client offered; otherwise the random `fallback`. Decided in constant
/// time, without an error: a bad ClientKeyExchange only makes the
/// Finished check fail later, like any other wrong key.
pub(crate) fn rsa_premaster(
    fallback: &[u8; RSA_PREMASTER_LEN],
    decrypted: &DecryptResult,
    client_version: ProtocolVersion,
) -> Zeroizing<[u8; RSA_PREMASTER_LEN]> {
    let (plain, decrypted_ok): (&[u8], u8) = match &decrypted.0 {
        Ok(plain) => (plain.as_slice(), 1),
        Err(_) => (&[], 0),
    };
    let len_ok = (plain.len() as u64).ct_eq(&(RSA_PREMASTER_LEN as u64));
    // Read 48 bytes whatever the length (repeating the last byte of a short
    // value): what was read only matters when the length is right.
    let last = plain.len().saturating_sub(1);
    let mut candidate = Zeroizing::new([0u8; RSA_PREMASTER_LEN]);
    for (i, byte) in candidate.iter_mut().enumerate() {
        *byte = plain.get(i.min(last)).copied().unwrap_or(0);
    }
    let [major, minor] = client_version.0.to_be_bytes();
    let version_ok = candidate[0].ct_eq(&major) & candidate[1].ct_eq(&minor);
    let good = Choice::from(decrypted_ok) & len_ok & version_ok;
    let mut premaster = Zeroizing::new([0u8; RSA_PREMASTER_LEN]);
    for ((out, random), real) in premaster
        .iter_mut()
        .zip(fallback.iter())
        .zip(candidate.iter())
    {
        *out = u8::conditional_select(random, real, good);
    }
    premaster
}

/// The RSA decryption finished (at once or as an operation).
pub(super) fn finish_decrypt(
    cx: &mut Context<'_>,
    decrypting: Decrypting,
    result: DecryptResult,
) -> Result<State, Error> {
    let Decrypting { hs, fallback, psk } = decrypting;
    let rsa = rsa_premaster(&fallback, &result, hs.client_version);
    drop(result);
    let premaster = match &psk {
        // RFC 4279 4: RSA_PSK's other secret is the 48-byte RSA premaster.
        Some(psk) => tls12::psk_premaster(Some(&rsa[..]), psk),
        None => Zeroizing::new(rsa.to_vec()),
    };
    finish_key_exchange(cx, hs, &premaster)
}

/// Master secret (with the session hash under EMS) and record keys; then
/// the client's CertificateVerify, if it sent a certificate, or its
/// ChangeCipherSpec.
fn finish_key_exchange(
    cx: &mut Context<'_>,
    mut hs: Box<Handshake12>,
    premaster: &[u8],
) -> Result<State, Error> {
    let prf = tls12::prf_for(&hs.common().provider, hs.suite)?;
    let session_hash = if hs.extended_master_secret {
        Some(hs.transcript_hash()?)
    } else {
        None
    };
    hs.master = Some(tls12::master_secret(
        &*prf,
        premaster,
        session_hash.as_ref().map(|h| h.as_ref()),
        &hs.client_random,
        &hs.server_random,
    ));
    hs.derive_keys(cx)?;
    Ok(State::Server12(if hs.client_chain.is_empty() {
        Server12State::ExpectChangeCipherSpec(hs)
    } else {
        Server12State::ExpectCertificateVerify(hs)
    }))
}

/// CertificateVerify (RFC 5246 7.4.8): a signature over every handshake
/// message so far, with a scheme our CertificateRequest offered.
pub(super) fn handle_certificate_verify(
    cx: &mut Context<'_>,
    mut hs: Box<Handshake12>,
    msg: HandshakeMessage<'_>,
) -> Result<State, Error> {
    let cv = CertificateVerify::read(msg.body)?;
    if !hs.requested_schemes.contains(&cv.scheme) {
        return Err(PeerMisbehaved::SignatureSchemeNotOffered.into());
    }
    let leaf = hs
        .client_chain
        .first()
        .ok_or(Error::Internal("client chain missing"))?;
    hs.common().verifier().verify_signature_tls12(
        leaf,
        cv.scheme,
        &hs.transcript,
        &cv.signature,
    )?;
    cx.negotiated.peer_signature_scheme = Some(cv.scheme);
    cx.negotiated.client_authenticated = true;
    hs.add(msg.encoded);
    Ok(State::Server12(Server12State::ExpectChangeCipherSpec(hs)))
}

/// Finished of the given side over the transcript so far.
fn verify_data(hs: &mut Handshake12, from_client: bool) -> Result<[u8; 12], Error> {
    let prf = tls12::prf_for(&hs.common().provider, hs.suite)?;
    let hash = hs.transcript_hash()?;
    Ok(tls12::verify_data(
        &*prf,
        &hs.master()?[..],
        from_client,
        hash.as_ref(),
    ))
}

/// The client's Finished: full handshakes answer with our flight,
/// abbreviated ones are done.
pub(super) fn handle_finished(
    cx: &mut Context<'_>,
    mut hs: Box<Handshake12>,
    msg: HandshakeMessage<'_>,
) -> Result<State, Error> {
    let received = read_finished12(msg.body)?;
    let expected = verify_data(&mut hs, true)?;
    tls12::check_verify_data(&expected, &received)?;
    hs.add(msg.encoded);
    hs.client_verify_data = expected.to_vec();
    if hs.resumed {
        return complete(cx, hs);
    }
    send_ticket_and_finished(cx, hs)
}

/// [NewSessionTicket] ChangeCipherSpec Finished.
pub(super) fn send_ticket_and_finished(
    cx: &mut Context<'_>,
    hs: Box<Handshake12>,
) -> Result<State, Error> {
    if !hs.issue_ticket {
        return send_server_finished(cx, hs);
    }
    let ticketer = hs
        .config
        .ticketer
        .clone()
        .ok_or(Error::Internal("ticket promised without a ticketer"))?;
    let plaintext = hs.session_state()?.encode();
    match ticketer.start_seal(&plaintext) {
        Pausable::Ready(ticket) => finish_ticket(cx, hs, ticket?),
        Pausable::Pending => {
            cx.request_operation(OperationRequest::SealTicket {
                sealer: ticketer,
                plaintext,
            });
            Ok(State::Server12(Server12State::SealingTicket(hs)))
        }
    }
}

/// Sends the sealed ticket (RFC 5077 3.3), then our Finished.
pub(super) fn finish_ticket(
    cx: &mut Context<'_>,
    mut hs: Box<Handshake12>,
    ticket: Vec<u8>,
) -> Result<State, Error> {
    let lifetime_hint_secs = hs.config.ticketer.as_ref().map_or(0, |t| t.lifetime_secs());
    let nst = NewSessionTicket12 {
        lifetime_hint_secs,
        ticket,
    };
    let encoded = encode(HandshakeType::NewSessionTicket, |o| nst.write(o));
    hs.send(cx, &encoded)?;
    send_server_finished(cx, hs)
}

/// Our ChangeCipherSpec (switching to the server write keys) and Finished.
fn send_server_finished(cx: &mut Context<'_>, mut hs: Box<Handshake12>) -> Result<State, Error> {
    let write = hs
        .pending_write
        .take()
        .ok_or(Error::Internal("server write keys missing"))?;
    tls12::send_change_cipher_spec(cx, write)?;
    let verify_data = verify_data(&mut hs, false)?;
    let encoded = encode(HandshakeType::Finished, |o| {
        o.extend_from_slice(&verify_data)
    });
    hs.send(cx, &encoded)?;
    hs.server_verify_data = verify_data.to_vec();
    if hs.resumed {
        return Ok(State::Server12(Server12State::ExpectChangeCipherSpec(hs)));
    }
    complete(cx, hs)
}

/// Both Finished are through: remember the session, bind a later
/// renegotiation to this handshake and carry application data.
fn complete(cx: &mut Context<'_>, mut hs: Box<Handshake12>) -> Result<State, Error> {
    if hs.cache_session {
        if let Some(cache) = &hs.config.session_cache {
            let state = hs.session_state()?;
            let now_secs = now(hs.common()).map_or(0, |t| t.0);
            cache.store(hs.session_id.as_ref(), state.encode(), now_secs);
        }
    }
    let master = hs
        .master
        .take()
        .ok_or(Error::Internal("master secret not derived"))?;
    *cx.application_keys_ready = true;
    let established = Established12 {
        suite: hs.suite,
        master,
        server_random: hs.server_random,
        extended_master_secret: hs.extended_master_secret,
        binding: RenegotiationBinding {
            secure: hs.secure_renegotiation,
            client_verify_data: Zeroizing::new(core::mem::take(&mut hs.client_verify_data)),
            server_verify_data: Zeroizing::new(core::mem::take(&mut hs.server_verify_data)),
        },
    };
    Ok(State::Traffic12(Box::new(Traffic12::new(
        Side12::Server {
            config: hs.config.clone(),
        },
        established,
    ))))
}
