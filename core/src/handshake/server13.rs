//! TLS 1.3 server handshake (RFC 8446), one state per expected message.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use rustls_pki_types::CertificateDer;

use super::client13::{send_certificate, verify_peer_signature};
use super::key_schedule::{KeySchedule, LabelPrefix, Secret};
use super::traffic13::Traffic13;
use super::transcript::Transcript;
use super::{
    apply_verify_result, certificate_verify_message, check_finished, log_secret, start_sign,
    start_verify, tls13_record_keys, Context, SignStep, VerifyStep,
};
use crate::config::{CertifiedKey, ClientHelloInfo, ServerConfig};
use crate::conn::{OperationRequest, OperationResult, State};
use crate::crypto::Pausable;
use crate::error::{ApiMisuse, Error, InvalidMessage, PeerIncompatible, PeerMisbehaved};
use crate::msgs::enums::{
    ContentType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::extensions::{
    EncryptedExtensions, KeyShareEntry, OfferedPsks, ServerHelloExtensions,
};
use crate::msgs::handshake::{
    encode_handshake, Certificate13, CertificateRequest13, CertificateVerify,
};
use crate::msgs::hello::{ClientHello, ServerHello, SessionId, HELLO_RETRY_REQUEST_RANDOM};
use crate::session::{TicketContent, PSK_DHE_KE};
use crate::suites::{self, SuiteInfo};
use crate::transport::HandshakeMessage;
use crate::verify::{Purpose, VerifyMode, VerifyRequest, VerifyResult};

/// What a HelloRetryRequest committed us to.
pub(crate) struct RetryState {
    suite: &'static SuiteInfo,
    group: Option<NamedGroup>,
    cookie: Option<Vec<u8>>,
    session_id: SessionId,
    transcript: Transcript,
    sent_ccs: bool,
}

pub(crate) struct ExpectClientHello {
    config: Arc<ServerConfig>,
    retry: Option<RetryState>,
}

/// Data valid from our ServerHello until the client's Finished.
pub(crate) struct Handshake13 {
    config: Arc<ServerConfig>,
    suite: &'static SuiteInfo,
    schedule: KeySchedule,
    transcript: Transcript,
    client_secret: Secret,
}

pub(crate) struct SigningCertificateVerify {
    hs: Handshake13,
    server_secret: Secret,
    scheme: SignatureScheme,
    requested_client_cert: bool,
}

pub(crate) struct ExpectClientData {
    hs: Handshake13,
    traffic: Traffic13,
}

pub(crate) struct ExpectCertificateVerify {
    inner: ExpectClientData,
    chain: Vec<CertificateDer<'static>>,
}

pub(crate) enum ServerState {
    ExpectClientHello(Box<ExpectClientHello>),
    SigningCertificateVerify(Box<SigningCertificateVerify>),
    ExpectCertificate(Box<ExpectClientData>),
    ExpectCertificateVerify(Box<ExpectCertificateVerify>),
    ExpectFinished(Box<ExpectClientData>),
    /// The configured verifier checks the client's chain elsewhere.
    VerifyingCertificate(Box<ExpectCertificateVerify>),
    /// The ticket sealer opens the client's ticket elsewhere.
    OpeningTicket(Box<OpeningTicket>),
}

/// A ClientHello waiting for its ticket to be opened.
pub(crate) struct OpeningTicket {
    hello: Box<ExpectClientHello>,
    encoded: Vec<u8>,
}

/// What an accepted ticket resumes.
pub(crate) struct Resumption {
    secret: zeroize::Zeroizing<Vec<u8>>,
}

/// Checks an opened ticket and the client's binder; `None` means a full
/// handshake (a ticket we cannot use is not an error).
fn accept_ticket(
    common: &crate::config::CommonConfig,
    suite: &'static SuiteInfo,
    plaintext: Option<Vec<u8>>,
    retry_transcript: Option<&Transcript>,
    offered: &OfferedPsks,
    encoded_hello: &[u8],
) -> Result<Option<Resumption>, Error> {
    let Some(plaintext) = plaintext.map(zeroize::Zeroizing::new) else {
        return Ok(None);
    };
    let Ok(content) = TicketContent::decode(&plaintext) else {
        return Ok(None);
    };
    let Some(original) = suites::by_id(content.suite) else {
        return Ok(None);
    };
    if original.hash != suite.hash {
        return Ok(None);
    }
    if let Some(now) = common.provider.time.as_ref().and_then(|t| t.now()) {
        let age = now.0.saturating_sub(content.issued_at.0);
        if now.0 < content.issued_at.0 || age >= u64::from(content.lifetime_secs) {
            return Ok(None);
        }
    }
    // The binder proves the client holds the PSK, over the ClientHello up to
    // the binders (and the retry's transcript before it).
    let provider = &common.provider;
    let hash = provider
        .hash(suite.hash)
        .ok_or(Error::Internal("suite hash missing"))?;
    let hkdf = provider
        .hkdf(suite.hash)
        .ok_or(Error::Internal("suite hkdf missing"))?;
    let truncated = encoded_hello
        .len()
        .checked_sub(offered.binders_len())
        .map(|end| &encoded_hello[..end])
        .ok_or(InvalidMessage::BadLength)?;
    let binder_hash = match retry_transcript {
        Some(t) => t.hash_with(&**hash, truncated),
        None => hash.hash(truncated),
    };
    let schedule = KeySchedule::new(hkdf.clone(), LabelPrefix::Tls13, Some(&content.secret));
    let binder_key = schedule.derive(b"res binder", hash.hash(&[]).as_ref())?;
    let expected = schedule.finished_verify_data(&binder_key, binder_hash.as_ref())?;
    check_finished(&expected, &offered.binders[0]).map_err(|_| PeerMisbehaved::BadPskBinder)?;
    Ok(Some(Resumption {
        secret: content.secret,
    }))
}

pub(crate) fn start(config: Arc<ServerConfig>) -> Result<ServerState, Error> {
    config.common.validate()?;
    Ok(ServerState::ExpectClientHello(Box::new(
        ExpectClientHello {
            config,
            retry: None,
        },
    )))
}

fn encode(typ: HandshakeType, body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    encode_handshake(&mut out, typ, body);
    out
}

impl ServerState {
    pub fn name(&self) -> &'static str {
        match self {
            Self::ExpectClientHello(_) => "server:expect_client_hello",
            Self::SigningCertificateVerify(_) => "server:signing_certificate_verify",
            Self::ExpectCertificate(_) => "server:expect_certificate",
            Self::ExpectCertificateVerify(_) => "server:expect_certificate_verify",
            Self::ExpectFinished(_) => "server:expect_finished",
            Self::VerifyingCertificate(_) => "server:verifying_certificate",
            Self::OpeningTicket(_) => "server:opening_ticket",
        }
    }

    pub fn handle(self, cx: &mut Context<'_>, msg: HandshakeMessage<'_>) -> Result<State, Error> {
        let name = self.name();
        match (self, msg.typ) {
            (Self::ExpectClientHello(s), HandshakeType::ClientHello) => s.handle(cx, msg),
            (Self::ExpectCertificate(s), HandshakeType::Certificate) => {
                s.handle_certificate(cx, msg)
            }
            (Self::ExpectCertificateVerify(s), HandshakeType::CertificateVerify) => {
                s.handle(cx, msg)
            }
            (Self::ExpectFinished(s), HandshakeType::Finished) => s.handle_finished(cx, msg),
            (_, typ) => Err(Error::UnexpectedMessage {
                state: name,
                content_type: ContentType::Handshake,
                handshake_type: Some(typ),
            }),
        }
    }

    pub fn resume(self, cx: &mut Context<'_>, result: OperationResult) -> Result<State, Error> {
        match (self, result) {
            (Self::SigningCertificateVerify(s), OperationResult::Signature(sig)) => {
                let sig = sig?;
                finish_server_flight(
                    cx,
                    s.hs,
                    s.server_secret,
                    Some((s.scheme, sig)),
                    s.requested_client_cert,
                )
            }
            (Self::OpeningTicket(s), OperationResult::OpenedTicket(result)) => {
                let OpeningTicket { hello, encoded } = *s;
                hello.handle_hello(cx, &encoded, Some(result?))
            }
            (Self::VerifyingCertificate(s), OperationResult::Verification(result)) => {
                apply_verify_result(cx, &s.inner.hs.config.common.verify_policy(), result?)?;
                Ok(State::Server(ServerState::ExpectCertificateVerify(s)))
            }
            _ => Err(ApiMisuse::WrongOperationResult.into()),
        }
    }
}

/// ASCII DNS name from server_name, or an error for garbage.
pub(crate) fn parse_server_name(raw: &[u8]) -> Result<String, Error> {
    let name = core::str::from_utf8(raw)
        .map_err(|_| InvalidMessage::IllegalValue("server_name not UTF-8"))?;
    let valid = name.len() <= 253
        && !name.ends_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    if !valid {
        return Err(InvalidMessage::IllegalValue("server_name is not a DNS name").into());
    }
    Ok(name.to_ascii_lowercase())
}

impl ExpectClientHello {
    fn handle(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        self.handle_hello(cx, msg.encoded, None)
    }

    /// Processes a ClientHello. `opened` is `None` on the first pass, and the
    /// ticket sealer's answer when a pending ticket open completes: this
    /// handler has no side effects before that point, so it simply runs
    /// again with the answer.
    fn handle_hello(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        encoded: &[u8],
        opened: Option<Option<Vec<u8>>>,
    ) -> Result<State, Error> {
        let msg = HandshakeMessage {
            typ: HandshakeType::ClientHello,
            body: encoded.get(4..).ok_or(InvalidMessage::Truncated)?,
            encoded,
        };
        let hello = ClientHello::read(msg.body, false)?;
        let config = self.config.clone();
        let common = &config.common;
        let provider = common.provider.clone();

        let versions = hello
            .extensions
            .supported_versions
            .as_deref()
            .unwrap_or(&[]);
        let ours = common.versions;
        let we_speak_13 = ours.allows(ProtocolVersion::TLSv1_3)
            && common.usable_suites().iter().any(|s| s.is_tls13());
        if !versions.contains(&ProtocolVersion::TLSv1_3) || !we_speak_13 {
            let client_speaks_12 = versions.contains(&ProtocolVersion::TLSv1_2)
                || (versions.is_empty() && hello.legacy_version.0 >= ProtocolVersion::TLSv1_2.0);
            if self.retry.is_some() || !client_speaks_12 || !ours.allows(ProtocolVersion::TLSv1_2) {
                return Err(PeerIncompatible::NoCommonVersion.into());
            }
            // RFC 7507: a client retrying below its best version while we
            // support better is being downgraded.
            let fallback = hello
                .cipher_suites
                .contains(&crate::msgs::enums::CipherSuite::TLS_FALLBACK_SCSV);
            if fallback && we_speak_13 {
                return Err(PeerMisbehaved::InappropriateFallback.into());
            }
            return super::server12::handle_client_hello(config, cx, hello, encoded, opened);
        }
        if hello.compression_methods != [0] {
            return Err(
                InvalidMessage::IllegalValue("TLS 1.3 ClientHello offers compression").into(),
            );
        }
        if let Some(retry) = &self.retry {
            if hello.session_id != retry.session_id {
                return Err(PeerMisbehaved::ClientHelloChangedAfterRetry.into());
            }
        }

        // Cipher suite: a TLS 1.3 one (the client may list TLS 1.2 suites
        // first).
        let mut ours = common.usable_suites();
        ours.retain(|s| s.is_tls13());
        let suite = if config.prefer_server_suite_order {
            ours.iter()
                .find(|s| hello.cipher_suites.contains(&s.suite))
                .copied()
        } else {
            hello
                .cipher_suites
                .iter()
                .find_map(|c| ours.iter().find(|s| s.suite == *c).copied())
        }
        .ok_or(PeerIncompatible::NoCommonCipherSuite)?;
        if let Some(retry) = &self.retry {
            if retry.suite.suite != suite.suite {
                return Err(PeerMisbehaved::ClientHelloChangedAfterRetry.into());
            }
        }

        // Extensions TLS 1.3 requires for a certificate-based handshake.
        let client_schemes = hello
            .extensions
            .signature_algorithms
            .clone()
            .ok_or(PeerIncompatible::MissingExtension("signature_algorithms"))?;
        let client_groups = hello
            .extensions
            .supported_groups
            .clone()
            .ok_or(PeerIncompatible::MissingExtension("supported_groups"))?;
        let shares = hello
            .extensions
            .key_shares
            .as_deref()
            .ok_or(PeerIncompatible::MissingExtension("key_share"))?;
        for share in shares {
            if !client_groups.contains(&share.group) {
                return Err(InvalidMessage::IllegalValue(
                    "key share for a group not in supported_groups",
                )
                .into());
            }
        }

        if let Some(retry) = &self.retry {
            if hello.extensions.cookie != retry.cookie {
                return Err(PeerMisbehaved::ClientHelloChangedAfterRetry.into());
            }
            if let Some(group) = retry.group {
                if shares.len() != 1 || shares[0].group != group {
                    return Err(PeerMisbehaved::WrongGroupAfterHelloRetry.into());
                }
            }
        }

        // Group: a share we can use now, else a retry for our best common group.
        let our_groups = common.usable_groups();
        let usable_share = our_groups
            .iter()
            .find_map(|g| shares.iter().find(|s| s.group == *g));
        let need_cookie = config.require_cookie && self.retry.is_none();
        let retry_group = match usable_share {
            Some(_) => None,
            None => Some(
                our_groups
                    .iter()
                    .copied()
                    .find(|g| client_groups.contains(g))
                    .ok_or(PeerIncompatible::NoCommonGroup)?,
            ),
        };
        if retry_group.is_some() || need_cookie {
            if self.retry.is_some() {
                // The second ClientHello still has no usable share.
                return Err(PeerMisbehaved::WrongGroupAfterHelloRetry.into());
            }
            return self.send_retry(cx, &hello, suite, retry_group, need_cookie, msg);
        }
        let share = usable_share.ok_or(Error::Internal("no share after group selection"))?;

        // Resumption: the first offered ticket, if we issue tickets and the
        // client accepts (EC)DHE with it.
        let resumption = match (&config.ticketer, &hello.extensions.pre_shared_key) {
            (Some(ticketer), Some(offered))
                if hello
                    .extensions
                    .psk_key_exchange_modes
                    .as_deref()
                    .is_some_and(|m| m.contains(&PSK_DHE_KE)) =>
            {
                let plaintext = match opened {
                    Some(plaintext) => plaintext,
                    None => match ticketer.start_open(&offered.identities[0].identity) {
                        Pausable::Ready(result) => result?,
                        Pausable::Pending => {
                            cx.request_operation(OperationRequest::OpenTicket {
                                sealer: ticketer.clone(),
                                ticket: offered.identities[0].identity.clone(),
                            });
                            return Ok(State::Server(ServerState::OpeningTicket(Box::new(
                                OpeningTicket {
                                    hello: self,
                                    encoded: encoded.to_vec(),
                                },
                            ))));
                        }
                    },
                };
                let retry_transcript = self.retry.as_ref().map(|r| &r.transcript);
                accept_ticket(common, suite, plaintext, retry_transcript, offered, encoded)?
            }
            _ => None,
        };

        // ALPN (RFC 7301 3.2: no overlap is fatal).
        let alpn = super::select_alpn(&common.alpn_protocols, hello.extensions.alpn.as_ref())?;

        let server_name = hello
            .extensions
            .server_name
            .as_deref()
            .map(parse_server_name)
            .transpose()?;
        // Our certificate, unless the ticket authenticates us.
        let credentials = match &resumption {
            Some(_) => None,
            None => {
                let tls13_schemes: Vec<SignatureScheme> = client_schemes
                    .iter()
                    .copied()
                    .filter(|s| s.usable_in_tls13_handshake())
                    .collect();
                let empty_alpn = Vec::new();
                let certified = config
                    .cert_resolver
                    .resolve(&ClientHelloInfo {
                        server_name: server_name.as_deref(),
                        signature_schemes: &tls13_schemes,
                        alpn: hello.extensions.alpn.as_deref().unwrap_or(&empty_alpn),
                    })
                    .ok_or(PeerIncompatible::NoCertificateForName)?;
                let scheme = certified
                    .key
                    .choose_scheme(&tls13_schemes)
                    .ok_or(PeerIncompatible::NoCommonSignatureScheme)?;
                Some((certified, scheme))
            }
        };

        // Transcript: ClientHello1 rolled up by the retry, if any.
        let hash = provider
            .hash(suite.hash)
            .ok_or(Error::Internal("suite hash missing"))?;
        let hkdf = provider
            .hkdf(suite.hash)
            .ok_or(Error::Internal("suite hkdf missing"))?;
        let (mut transcript, sent_ccs) = match self.retry.take() {
            Some(retry) => (retry.transcript, retry.sent_ccs),
            None => {
                let mut t = Transcript::new();
                t.start_hash(&**hash);
                (t, false)
            }
        };
        transcript.add(msg.encoded);

        // Key exchange.
        let kx = provider
            .group(share.group)
            .ok_or(Error::Internal("group vanished"))?
            .start(&*provider.random)?;
        let our_share = KeyShareEntry {
            group: share.group,
            public: kx.public_key().to_vec(),
        };
        let shared = kx
            .complete(&share.public)
            .map_err(|_| PeerMisbehaved::InvalidKeyShare)?;

        let mut random = [0u8; 32];
        provider.random.fill(&mut random)?;
        let server_hello = ServerHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random,
            session_id: hello.session_id.clone(),
            cipher_suite: suite.suite,
            compression_method: 0,
            extensions: ServerHelloExtensions {
                key_share: Some(our_share),
                selected_psk: resumption.as_ref().map(|_| 0),
                supported_version: Some(ProtocolVersion::TLSv1_3),
                ..Default::default()
            },
        };
        let encoded = encode(HandshakeType::ServerHello, |o| server_hello.write(o));
        transcript.add(&encoded);
        cx.record.plaintext_version = ProtocolVersion::TLSv1_2;
        cx.send_handshake(&encoded)?;
        if !hello.session_id.is_empty() && !sent_ccs {
            cx.send_change_cipher_spec();
        }

        let psk = resumption.as_ref().map(|r| r.secret.as_slice());
        let mut schedule = KeySchedule::new(hkdf.clone(), LabelPrefix::Tls13, psk);
        schedule.advance(hash.hash(&[]).as_ref(), Some(shared.as_ref()))?;
        let hello_hash = transcript.current_hash()?;
        let client_secret = schedule.derive(b"c hs traffic", hello_hash.as_ref())?;
        let server_secret = schedule.derive(b"s hs traffic", hello_hash.as_ref())?;
        cx.negotiated.client_random = hello.random;
        let key_log = common.key_log.as_ref();
        log_secret(
            key_log,
            cx.negotiated,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            &client_secret,
        );
        log_secret(
            key_log,
            cx.negotiated,
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            &server_secret,
        );
        cx.record.set_write(tls13_record_keys(
            &provider,
            &**hkdf,
            suite,
            &server_secret,
        )?);
        cx.record.set_read(tls13_record_keys(
            &provider,
            &**hkdf,
            suite,
            &client_secret,
        )?);

        cx.negotiated.version = Some(ProtocolVersion::TLSv1_3);
        cx.negotiated.suite = Some(suite);
        cx.negotiated.group = Some(share.group);
        cx.negotiated.alpn = alpn.clone();
        cx.negotiated.server_name = server_name.clone();
        cx.negotiated.resumed = resumption.is_some();

        // EncryptedExtensions.
        let max_in = common.max_incoming_plaintext;
        if let Some(limit) = hello.extensions.record_size_limit {
            cx.record.apply_peer_record_size_limit(limit);
        }
        let ee = EncryptedExtensions {
            server_name_ack: server_name.is_some(),
            alpn,
            record_size_limit: hello
                .extensions
                .record_size_limit
                .map(|_| (max_in.min(crate::record::MAX_PLAINTEXT_LEN) + 1) as u16),
            ..Default::default()
        };
        let encoded = encode(HandshakeType::EncryptedExtensions, |o| ee.write(o));
        transcript.add(&encoded);
        cx.send_handshake(&encoded)?;

        let hs = Handshake13 {
            config: config.clone(),
            suite,
            schedule,
            transcript,
            client_secret,
        };
        let Some((certified, scheme)) = credentials else {
            // Resumed: the PSK authenticates both sides; no certificates.
            return finish_server_flight(cx, hs, server_secret, None, false);
        };
        let mut hs = hs;

        // CertificateRequest.
        let requested_client_cert = common.verify_mode != VerifyMode::None;
        if requested_client_cert {
            let verifier = common.verifier();
            let request = CertificateRequest13 {
                context: Vec::new(),
                signature_algorithms: verifier.tls13_schemes(&common.signature_schemes),
                signature_algorithms_cert: None,
                certificate_authorities: if config.send_ca_list {
                    common.roots.subjects().to_vec()
                } else {
                    Vec::new()
                },
            };
            let encoded = encode(HandshakeType::CertificateRequest, |o| request.write(o));
            hs.transcript.add(&encoded);
            cx.send_handshake(&encoded)?;
        }

        send_certificate(cx, &mut hs.transcript, Some(&certified))?;
        sign_and_finish(
            cx,
            hs,
            server_secret,
            &certified,
            scheme,
            requested_client_cert,
        )
    }

    fn send_retry(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        hello: &ClientHello,
        suite: &'static SuiteInfo,
        group: Option<NamedGroup>,
        with_cookie: bool,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let provider = self.config.common.provider.clone();
        let cookie = if with_cookie {
            let mut c = vec![0u8; 32];
            provider.random.fill(&mut c)?;
            Some(c)
        } else {
            None
        };
        let hash = provider
            .hash(suite.hash)
            .ok_or(Error::Internal("suite hash missing"))?;
        let mut transcript = Transcript::new();
        transcript.start_hash(&**hash);
        transcript.add(msg.encoded);
        transcript.roll_up_for_retry(&**hash);
        let hrr = ServerHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random: HELLO_RETRY_REQUEST_RANDOM,
            session_id: hello.session_id.clone(),
            cipher_suite: suite.suite,
            compression_method: 0,
            extensions: ServerHelloExtensions {
                supported_version: Some(ProtocolVersion::TLSv1_3),
                selected_group: group,
                cookie: cookie.clone(),
                ..Default::default()
            },
        };
        let encoded = encode(HandshakeType::ServerHello, |o| hrr.write(o));
        transcript.add(&encoded);
        cx.record.plaintext_version = ProtocolVersion::TLSv1_2;
        cx.send_handshake(&encoded)?;
        let sent_ccs = !hello.session_id.is_empty();
        if sent_ccs {
            cx.send_change_cipher_spec();
        }
        cx.negotiated.hello_retry_request = true;
        self.retry = Some(RetryState {
            suite,
            group,
            cookie,
            session_id: hello.session_id.clone(),
            transcript,
            sent_ccs,
        });
        Ok(State::Server(ServerState::ExpectClientHello(self)))
    }
}

fn sign_and_finish(
    cx: &mut Context<'_>,
    hs: Handshake13,
    server_secret: Secret,
    certified: &Arc<CertifiedKey>,
    scheme: SignatureScheme,
    requested_client_cert: bool,
) -> Result<State, Error> {
    let hash = hs.transcript.current_hash()?;
    let message = certificate_verify_message(true, hash.as_ref());
    match start_sign(
        cx,
        hs.config.common.external_signer.as_ref(),
        certified,
        scheme,
        message,
    )? {
        SignStep::Done(sig) => finish_server_flight(
            cx,
            hs,
            server_secret,
            Some((scheme, sig)),
            requested_client_cert,
        ),
        SignStep::Paused => Ok(State::Server(ServerState::SigningCertificateVerify(
            Box::new(SigningCertificateVerify {
                hs,
                server_secret,
                scheme,
                requested_client_cert,
            }),
        ))),
    }
}

/// CertificateVerify (unless resumed) and Finished, then application write keys.
fn finish_server_flight(
    cx: &mut Context<'_>,
    mut hs: Handshake13,
    server_secret: Secret,
    signature: Option<(SignatureScheme, Vec<u8>)>,
    requested_client_cert: bool,
) -> Result<State, Error> {
    if let Some((scheme, signature)) = signature {
        let cv = CertificateVerify { scheme, signature };
        let encoded = encode(HandshakeType::CertificateVerify, |o| cv.write(o));
        hs.transcript.add(&encoded);
        cx.send_handshake(&encoded)?;
    }

    let hash = hs.transcript.current_hash()?;
    let verify_data = hs
        .schedule
        .finished_verify_data(&server_secret, hash.as_ref())?;
    let encoded = encode(HandshakeType::Finished, |o| {
        o.extend_from_slice(verify_data.as_ref())
    });
    hs.transcript.add(&encoded);
    cx.send_handshake(&encoded)?;

    let provider = hs.config.common.provider.clone();
    let sha = provider
        .hash(hs.suite.hash)
        .ok_or(Error::Internal("suite hash missing"))?;
    hs.schedule.advance(sha.hash(&[]).as_ref(), None)?;
    let finished_hash = hs.transcript.current_hash()?;
    let traffic = Traffic13::new(
        hs.schedule.hkdf().clone(),
        hs.suite,
        provider,
        false,
        hs.schedule
            .derive(b"c ap traffic", finished_hash.as_ref())?,
        hs.schedule
            .derive(b"s ap traffic", finished_hash.as_ref())?,
        hs.schedule.derive(b"exp master", finished_hash.as_ref())?,
    );
    traffic.log_secrets(hs.config.common.key_log.as_ref(), cx.negotiated);
    cx.record.set_write(traffic.write_protection()?);
    let next = Box::new(ExpectClientData { hs, traffic });
    Ok(State::Server(if requested_client_cert {
        ServerState::ExpectCertificate(next)
    } else {
        ServerState::ExpectFinished(next)
    }))
}

impl ExpectClientData {
    fn handle_certificate(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let cert = Certificate13::read(msg.body)?;
        if !cert.context.is_empty() {
            return Err(InvalidMessage::IllegalValue("client Certificate with context").into());
        }
        self.hs.transcript.add(msg.encoded);
        let common = &self.hs.config.common;
        if cert.entries.is_empty() {
            cx.negotiated.verify_result = Some(VerifyResult::MISSING);
            if common.verify_mode == VerifyMode::Required {
                return Err(PeerIncompatible::NoClientCertificate.into());
            }
            return Ok(State::Server(ServerState::ExpectFinished(self)));
        }
        let chain: Vec<CertificateDer<'static>> = cert
            .entries
            .into_iter()
            .map(|e| CertificateDer::from(e.cert_der))
            .collect();
        cx.negotiated.peer_certificates = chain.clone();
        let policy = common.verify_policy();
        let verifier = common.cert_verifier.clone();
        let request = VerifyRequest {
            chain: chain.clone(),
            roots: common.roots.clone(),
            server_name: None,
            purpose: Purpose::ClientAuth,
            now: common.provider.time.as_ref().and_then(|t| t.now()),
        };
        let next = Box::new(ExpectCertificateVerify {
            inner: *self,
            chain,
        });
        match start_verify(cx, &verifier, request) {
            VerifyStep::Done(result) => {
                apply_verify_result(cx, &policy, result)?;
                Ok(State::Server(ServerState::ExpectCertificateVerify(next)))
            }
            VerifyStep::Paused => Ok(State::Server(ServerState::VerifyingCertificate(next))),
        }
    }

    fn handle_finished(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let hash = self.hs.transcript.current_hash()?;
        let expected = self
            .hs
            .schedule
            .finished_verify_data(&self.hs.client_secret, hash.as_ref())?;
        check_finished(&expected, msg.body)?;
        self.hs.transcript.add(msg.encoded);
        let resumption_hash = self.hs.transcript.current_hash()?;
        let mut traffic = self.traffic;
        traffic.set_resumption_secret(
            self.hs
                .schedule
                .derive(b"res master", resumption_hash.as_ref())?,
        );
        cx.record.set_read(traffic.read_protection()?);
        *cx.application_keys_ready = true;
        traffic.set_session_parameters(
            cx.negotiated.server_name.clone(),
            cx.negotiated.alpn.clone(),
        );
        let config = &self.hs.config;
        traffic.set_ticketer(config.ticketer.clone(), config.tickets_per_handshake);
        traffic.issue_tickets(cx)?;
        Ok(State::Traffic(Box::new(traffic)))
    }
}

impl ExpectCertificateVerify {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let hs = &mut self.inner.hs;
        let hash = hs.transcript.current_hash()?;
        let scheme = verify_peer_signature(
            &hs.config.common,
            &self.chain[0],
            hash.as_ref(),
            false,
            msg.body,
        )?;
        cx.negotiated.peer_signature_scheme = Some(scheme);
        cx.negotiated.client_authenticated = true;
        hs.transcript.add(msg.encoded);
        Ok(State::Server(ServerState::ExpectFinished(Box::new(
            self.inner,
        ))))
    }
}
