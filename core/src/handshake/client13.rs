//! TLS 1.3 client handshake (RFC 8446), one state per expected message.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use rustls_pki_types::CertificateDer;

use super::key_schedule::{KeySchedule, LabelPrefix, Secret};
use super::traffic13::Traffic13;
use super::transcript::Transcript;
use super::{
    apply_verify_result, certificate_verify_message, check_finished, log_secret, start_sign,
    start_verify, tls13_record_keys, Context, SignStep, VerifyStep,
};
use crate::config::{CertifiedKey, ClientConfig};
use crate::conn::OperationResult;
use crate::crypto::ActiveKeyExchange;
use crate::error::{ApiMisuse, Error, InvalidMessage, PeerIncompatible, PeerMisbehaved};
use crate::msgs::enums::{ExtensionType, HandshakeType, ProtocolVersion, SignatureScheme};
use crate::msgs::extensions::{
    ClientExtensions, EncryptedExtensions, KeyShareEntry, OfferedPsks, PskIdentity,
};
use crate::msgs::handshake::{
    encode_handshake, Certificate13, CertificateEntry, CertificateRequest13, CertificateVerify,
};
use crate::msgs::hello::{ClientHello, ServerHello, SessionId, DOWNGRADE_TLS11, DOWNGRADE_TLS12};
use crate::session::{Session, PSK_DHE_KE};
use crate::suites::{self, SuiteInfo};
use crate::transport::HandshakeMessage;
use crate::verify::{Purpose, VerifyMode, VerifyRequest, VerifyResult};

use crate::conn::State;

/// Waiting for ServerHello or HelloRetryRequest.
pub(crate) struct ExpectServerHello {
    config: Arc<ClientConfig>,
    server_name: Option<String>,
    session_id: SessionId,
    shares: Vec<Box<dyn ActiveKeyExchange>>,
    hello: ClientHello,
    transcript: Transcript,
    /// Set after a HelloRetryRequest: the suite it chose.
    retried_suite: Option<&'static SuiteInfo>,
    /// The session offered for resumption, if any.
    offered_session: Option<Session>,
    /// A TLS 1.2 session offered by id or ticket, if any.
    offered_session12: Option<Session>,
    sent_ccs: bool,
}

/// Data valid from ServerHello until the server's Finished.
pub(crate) struct Handshake13 {
    config: Arc<ClientConfig>,
    server_name: Option<String>,
    suite: &'static SuiteInfo,
    schedule: KeySchedule,
    transcript: Transcript,
    client_secret: Secret,
    server_secret: Secret,
    offered_alpn: bool,
    /// Resumed from a ticket: no certificates follow EncryptedExtensions.
    resumed: bool,
}

pub(crate) struct ExpectCertificate {
    hs: Handshake13,
    request: Option<CertificateRequest13>,
}

pub(crate) struct ExpectCertificateVerify {
    hs: Handshake13,
    request: Option<CertificateRequest13>,
    chain: Vec<CertificateDer<'static>>,
}

pub(crate) struct ExpectFinished {
    hs: Handshake13,
    request: Option<CertificateRequest13>,
}

/// Our CertificateVerify signature is being made elsewhere.
pub(crate) struct SigningCertificateVerify {
    hs: Handshake13,
    scheme: SignatureScheme,
    traffic: Traffic13,
}

pub(crate) enum ClientState {
    ExpectServerHello(Box<ExpectServerHello>),
    ExpectEncryptedExtensions(Box<Handshake13>),
    ExpectCertificateOrRequest(Box<Handshake13>),
    ExpectCertificate(Box<ExpectCertificate>),
    ExpectCertificateVerify(Box<ExpectCertificateVerify>),
    ExpectFinished(Box<ExpectFinished>),
    SigningCertificateVerify(Box<SigningCertificateVerify>),
    /// The configured verifier checks the server's chain elsewhere.
    VerifyingCertificate(Box<ExpectCertificateVerify>),
}

impl ClientState {
    pub fn name(&self) -> &'static str {
        match self {
            Self::ExpectServerHello(_) => "client:expect_server_hello",
            Self::ExpectEncryptedExtensions(_) => "client:expect_encrypted_extensions",
            Self::ExpectCertificateOrRequest(_) => "client:expect_certificate_or_request",
            Self::ExpectCertificate(_) => "client:expect_certificate",
            Self::ExpectCertificateVerify(_) => "client:expect_certificate_verify",
            Self::ExpectFinished(_) => "client:expect_finished",
            Self::SigningCertificateVerify(_) => "client:signing_certificate_verify",
            Self::VerifyingCertificate(_) => "client:verifying_certificate",
        }
    }

    pub fn handle(self, cx: &mut Context<'_>, msg: HandshakeMessage<'_>) -> Result<State, Error> {
        let name = self.name();
        match (self, msg.typ) {
            (Self::ExpectServerHello(s), HandshakeType::ServerHello) => s.handle(cx, msg),
            (Self::ExpectEncryptedExtensions(hs), HandshakeType::EncryptedExtensions) => {
                hs.handle_encrypted_extensions(cx, msg)
            }
            (Self::ExpectCertificateOrRequest(hs), HandshakeType::CertificateRequest) => {
                hs.handle_certificate_request(msg)
            }
            (Self::ExpectCertificateOrRequest(hs), HandshakeType::Certificate) => {
                ExpectCertificate {
                    hs: *hs,
                    request: None,
                }
                .handle(cx, msg)
            }
            (Self::ExpectCertificate(s), HandshakeType::Certificate) => s.handle(cx, msg),
            (Self::ExpectCertificateVerify(s), HandshakeType::CertificateVerify) => {
                s.handle(cx, msg)
            }
            (Self::ExpectFinished(s), HandshakeType::Finished) => s.handle(cx, msg),
            (_, typ) => Err(unexpected(name, typ)),
        }
    }

    pub fn resume(self, cx: &mut Context<'_>, result: OperationResult) -> Result<State, Error> {
        match (self, result) {
            (Self::SigningCertificateVerify(s), OperationResult::Signature(sig)) => {
                let sig = sig?;
                finish_client_flight(cx, s.hs, Some((s.scheme, sig)), s.traffic)
            }
            (Self::VerifyingCertificate(s), OperationResult::Verification(result)) => {
                apply_verify_result(cx, &s.hs.config.common.verify_policy(), result?)?;
                Ok(State::Client(ClientState::ExpectCertificateVerify(s)))
            }
            _ => Err(ApiMisuse::WrongOperationResult.into()),
        }
    }
}

fn unexpected(state: &'static str, typ: HandshakeType) -> Error {
    Error::UnexpectedMessage {
        state,
        content_type: crate::msgs::enums::ContentType::Handshake,
        handshake_type: Some(typ),
    }
}

fn encode(typ: HandshakeType, body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    encode_handshake(&mut out, typ, body);
    out
}

/// Builds and sends the first ClientHello.
pub(crate) fn start(
    config: Arc<ClientConfig>,
    server_name: Option<String>,
    sni: Option<String>,
    session: Option<Session>,
    cx: &mut Context<'_>,
) -> Result<ClientState, Error> {
    config.common.validate()?;
    let provider = config.common.provider.clone();
    let versions = config.common.versions;
    // A version is offered only with a suite to use it with.
    let usable = config.common.usable_suites();
    let offer13 = versions.allows(ProtocolVersion::TLSv1_3) && usable.iter().any(|s| s.is_tls13());
    let offer12 = versions.allows(ProtocolVersion::TLSv1_2)
        && usable
            .iter()
            .any(|s| !s.is_tls13() && super::client12::offerable(&config, s));
    if !offer13 && !offer12 {
        return Err(Error::Config(
            "no usable cipher suite for the configured versions (a PSK suite needs a PSK)",
        ));
    }
    let mut random = [0u8; 32];
    provider.random.fill(&mut random)?;
    let session_id = if config.middlebox_compat && offer13 {
        let mut id = [0u8; 32];
        provider.random.fill(&mut id)?;
        SessionId::new(&id)?
    } else {
        SessionId::empty()
    };
    let groups = config.common.usable_groups();
    let mut shares = Vec::new();
    let share_count = if offer13 { config.key_shares.max(1) } else { 0 };
    for group in groups.iter().take(share_count) {
        let kx = provider
            .group(*group)
            .ok_or(Error::Config("group vanished from provider"))?;
        shares.push(kx.start(&*provider.random)?);
    }
    let verifier = config.common.verifier();
    let schemes: Vec<SignatureScheme> = config
        .common
        .signature_schemes
        .iter()
        .copied()
        .filter(|s| {
            crate::crypto::SignatureAlgorithm::from_scheme(*s)
                .is_some_and(|a| provider.verifier.supports(a))
        })
        .collect();
    if offer13 && verifier.tls13_schemes(&schemes).is_empty() {
        return Err(Error::Config("no usable TLS 1.3 signature scheme"));
    }
    let max_in = config.common.max_incoming_plaintext;
    let now = provider.time.as_ref().and_then(|t| t.now());
    let mut suites = config.common.usable_suites();
    suites.retain(|s| super::client12::offerable(&config, s));
    let usable_session = session.filter(|s| {
        suites.iter().any(|suite| suite.suite == s.suite)
            && !now.is_some_and(|now| s.is_expired(now))
    });
    let (offered_session, offered_session12) = match usable_session {
        Some(s) if s.version == ProtocolVersion::TLSv1_3 => (Some(s), None),
        Some(s) if s.version == ProtocolVersion::TLSv1_2 && offer12 => (None, Some(s)),
        _ => (None, None),
    };
    let pre_shared_key = offered_session.as_ref().and_then(|s| {
        let hash = suites::by_id(s.suite).and_then(|suite| provider.hash(suite.hash))?;
        Some(psk_offer(s, now, hash.output_len()))
    });
    let supported_groups = if offer12 {
        config.common.usable_groups_with_ffdhe()
    } else {
        groups
    };
    let mut hello = ClientHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random,
        session_id: session_id.clone(),
        dtls_cookie: None,
        cipher_suites: suites.iter().map(|s| s.suite).collect(),
        compression_methods: vec![0],
        extensions: ClientExtensions {
            server_name: sni.map(String::into_bytes),
            supported_groups: Some(supported_groups),
            signature_algorithms: Some(schemes),
            alpn: (!config.common.alpn_protocols.is_empty())
                .then(|| config.common.alpn_protocols.clone()),
            supported_versions: offer13.then(|| {
                let mut v = vec![ProtocolVersion::TLSv1_3];
                if offer12 {
                    v.push(ProtocolVersion::TLSv1_2);
                }
                v
            }),
            key_shares: offer13.then(|| share_entries(&shares)),
            // Sent whenever TLS 1.3 is offered (RFC 8449 4 SHOULD), so
            // servers can limit our records.
            record_size_limit: offer13
                .then(|| max_in.min(crate::record::MAX_PLAINTEXT_LEN) as u16 + 1),
            psk_key_exchange_modes: (offer13 && (config.resumption || pre_shared_key.is_some()))
                .then(|| vec![PSK_DHE_KE]),
            pre_shared_key,
            ..Default::default()
        },
    };
    if offer12 {
        super::client12::offer_tls12(&config, &mut hello, offered_session12.as_ref(), None)?;
    }
    cx.negotiated.client_random = random;
    let mut transcript = Transcript::new();
    send_client_hello(
        cx,
        &provider,
        &hello,
        &mut transcript,
        offered_session.as_ref(),
    )?;
    Ok(ClientState::ExpectServerHello(Box::new(
        ExpectServerHello {
            config,
            server_name,
            session_id,
            shares,
            hello,
            transcript,
            retried_suite: None,
            offered_session,
            offered_session12,
            sent_ccs: false,
        },
    )))
}

/// The pre_shared_key extension for `session`, with a placeholder binder
/// (of the session hash's length) that `send_client_hello` fills in.
fn psk_offer(
    session: &Session,
    now: Option<crate::crypto::UnixTime>,
    hash_len: usize,
) -> OfferedPsks {
    OfferedPsks {
        identities: vec![PskIdentity {
            identity: session.ticket.clone(),
            obfuscated_ticket_age: session.obfuscated_age(now),
        }],
        binders: vec![vec![0; hash_len]],
    }
}

fn share_entries(shares: &[Box<dyn ActiveKeyExchange>]) -> Vec<KeyShareEntry> {
    shares
        .iter()
        .map(|s| KeyShareEntry {
            group: s.group(),
            public: s.public_key().to_vec(),
        })
        .collect()
}

/// Sends a ClientHello; with a session, computes its PSK binder over the
/// transcript so far and the ClientHello up to the binders.
fn send_client_hello(
    cx: &mut Context<'_>,
    provider: &crate::crypto::CryptoProvider,
    hello: &ClientHello,
    transcript: &mut Transcript,
    session: Option<&Session>,
) -> Result<(), Error> {
    let mut encoded = encode(HandshakeType::ClientHello, |o| hello.write(o));
    if let (Some(session), Some(offered)) = (session, &hello.extensions.pre_shared_key) {
        let suite = suites::by_id(session.suite).ok_or(Error::Internal("session suite unknown"))?;
        let hash = provider
            .hash(suite.hash)
            .ok_or(Error::Internal("suite hash missing"))?;
        let hkdf = provider
            .hkdf(suite.hash)
            .ok_or(Error::Internal("suite hkdf missing"))?;
        let truncated = encoded.len() - offered.binders_len();
        let binder_hash = transcript.hash_with(&**hash, &encoded[..truncated]);
        let schedule = KeySchedule::new(hkdf.clone(), LabelPrefix::Tls13, Some(&session.secret));
        let binder_key = schedule.derive(b"res binder", hash.hash(&[]).as_ref())?;
        let binder = schedule.finished_verify_data(&binder_key, binder_hash.as_ref())?;
        let at = encoded.len() - binder.as_ref().len();
        encoded[at..].copy_from_slice(binder.as_ref());
    }
    transcript.add(&encoded);
    cx.send_handshake(&encoded)?;
    cx.record.plaintext_version = ProtocolVersion::TLSv1_2;
    Ok(())
}

/// Extensions a server may answer with, per message (RFC 8446 4.2 table).
fn check_server_extensions(
    received: &[ExtensionType],
    allowed_here: &[ExtensionType],
    offered: &[ExtensionType],
) -> Result<(), Error> {
    for typ in received {
        if !offered.contains(typ) {
            return Err(PeerMisbehaved::UnsolicitedExtension.into());
        }
        if !allowed_here.contains(typ) {
            return Err(
                InvalidMessage::IllegalValue("extension not allowed in this message").into(),
            );
        }
    }
    Ok(())
}

impl ExpectServerHello {
    /// The server chose TLS 1.2: the TLS 1.2 client takes over with our
    /// ClientHello as its transcript.
    fn hand_over_to_tls12(
        self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let transcript = self
            .transcript
            .buffered()
            .ok_or(Error::Internal("ClientHello transcript already hashed"))?
            .to_vec();
        let start = super::client12::ClientStart12 {
            config: self.config,
            server_name: self.server_name,
            hello: self.hello,
            transcript,
            offered_session: self.offered_session12,
            previous: None,
            previous_ems: false,
        };
        super::client12::handle_server_hello(start, cx, msg)
    }

    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let sh = ServerHello::read(msg.body)?;
        if sh.legacy_version != ProtocolVersion::TLSv1_2 {
            return Err(PeerIncompatible::NoCommonVersion.into());
        }
        match sh.extensions.supported_version {
            Some(ProtocolVersion::TLSv1_3) => {}
            Some(_) => return Err(PeerMisbehaved::SelectedUnofferedVersion.into()),
            None => {
                let tls12_allowed = self.config.common.versions.allows(ProtocolVersion::TLSv1_2);
                if tls12_allowed && self.retried_suite.is_none() {
                    return self.hand_over_to_tls12(cx, msg);
                }
                // A TLS 1.3 server that was forced down marks its random;
                // that is an attack (RFC 8446 4.1.3).
                let tail = &sh.random[24..];
                if tail == DOWNGRADE_TLS12 || tail == DOWNGRADE_TLS11 {
                    return Err(PeerMisbehaved::DowngradeDetected.into());
                }
                return Err(PeerIncompatible::NoCommonVersion.into());
            }
        }
        if sh.session_id != self.session_id {
            return Err(PeerMisbehaved::SessionIdMismatch.into());
        }
        if sh.compression_method != 0 {
            return Err(PeerMisbehaved::CompressionOffered.into());
        }
        // supported_versions said TLS 1.3: the suite must be a TLS 1.3 one.
        let suite = suites::by_id(sh.cipher_suite)
            .filter(|s| s.is_tls13() && self.hello.cipher_suites.contains(&s.suite))
            .ok_or(PeerMisbehaved::SelectedUnofferedCipherSuite)?;
        if let Some(previous) = self.retried_suite {
            if previous.suite != suite.suite {
                return Err(PeerMisbehaved::SelectedUnofferedCipherSuite.into());
            }
        }
        let offered = self.hello.extensions.present_types();
        if sh.is_retry_request() {
            check_server_extensions(
                &sh.extensions.order,
                &[
                    ExtensionType::SupportedVersions,
                    ExtensionType::KeyShare,
                    ExtensionType::Cookie,
                ],
                &[&offered[..], &[ExtensionType::Cookie]].concat(),
            )?;
            return self.handle_retry(cx, sh, suite, msg);
        }
        check_server_extensions(
            &sh.extensions.order,
            &[
                ExtensionType::SupportedVersions,
                ExtensionType::KeyShare,
                ExtensionType::PreSharedKey,
            ],
            &offered,
        )?;
        let share = sh
            .extensions
            .key_share
            .as_ref()
            .ok_or(PeerMisbehaved::MissingKeyShare)?;
        let position = self
            .shares
            .iter()
            .position(|s| s.group() == share.group)
            .ok_or(PeerMisbehaved::SelectedUnofferedGroup)?;
        let kx = self.shares.swap_remove(position);
        let group = kx.group();
        let shared = kx
            .complete(&share.public)
            .map_err(|_| PeerMisbehaved::InvalidKeyShare)?;

        let provider = self.config.common.provider.clone();
        let hash = provider
            .hash(suite.hash)
            .ok_or(Error::Internal("suite hash missing"))?;
        let hkdf = provider
            .hkdf(suite.hash)
            .ok_or(Error::Internal("suite hkdf missing"))?;
        self.transcript.start_hash(&**hash);
        self.transcript.add(msg.encoded);

        // Resumption: the server may accept our one offered ticket.
        let psk = match (sh.extensions.selected_psk, &self.offered_session) {
            (None, _) => None,
            (Some(0), Some(session)) => {
                let original =
                    suites::by_id(session.suite).ok_or(PeerMisbehaved::SelectedUnofferedPsk)?;
                if original.hash != suite.hash {
                    return Err(PeerMisbehaved::SelectedUnofferedPsk.into());
                }
                Some(session.secret.clone())
            }
            (Some(_), _) => return Err(PeerMisbehaved::SelectedUnofferedPsk.into()),
        };
        let resumed = psk.is_some();
        let mut schedule = KeySchedule::new(
            hkdf.clone(),
            LabelPrefix::Tls13,
            psk.as_deref().map(|p| p.as_slice()),
        );
        let empty_hash = hash.hash(&[]);
        schedule.advance(empty_hash.as_ref(), Some(shared.as_ref()))?;
        let hello_hash = self.transcript.current_hash()?;
        let client_secret = schedule.derive(b"c hs traffic", hello_hash.as_ref())?;
        let server_secret = schedule.derive(b"s hs traffic", hello_hash.as_ref())?;
        let key_log = self.config.common.key_log.as_ref();
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
        cx.record.set_read(tls13_record_keys(
            &provider,
            &**hkdf,
            suite,
            &server_secret,
        )?);
        if self.config.middlebox_compat && !self.sent_ccs {
            cx.send_change_cipher_spec();
            self.sent_ccs = true;
        }
        cx.record.set_write(tls13_record_keys(
            &provider,
            &**hkdf,
            suite,
            &client_secret,
        )?);

        cx.negotiated.version = Some(ProtocolVersion::TLSv1_3);
        cx.negotiated.suite = Some(suite);
        cx.negotiated.group = Some(group);
        cx.negotiated.resumed = resumed;
        Ok(State::Client(ClientState::ExpectEncryptedExtensions(
            Box::new(Handshake13 {
                offered_alpn: self.hello.extensions.alpn.is_some(),
                config: self.config,
                server_name: self.server_name,
                suite,
                schedule,
                transcript: self.transcript,
                client_secret,
                server_secret,
                resumed,
            }),
        )))
    }

    fn handle_retry(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        hrr: ServerHello,
        suite: &'static SuiteInfo,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        if self.retried_suite.is_some() {
            return Err(PeerMisbehaved::SecondHelloRetryRequest.into());
        }
        let ext = &hrr.extensions;
        if ext.selected_group.is_none() && ext.cookie.is_none() {
            // A retry that changes nothing (RFC 8446 4.1.4).
            return Err(PeerMisbehaved::IllegalHelloRetryRequest.into());
        }
        let provider = self.config.common.provider.clone();
        if let Some(group) = ext.selected_group {
            let offered = self
                .hello
                .extensions
                .supported_groups
                .as_deref()
                .unwrap_or(&[]);
            if !offered.contains(&group) || self.shares.iter().any(|s| s.group() == group) {
                return Err(PeerMisbehaved::IllegalHelloRetryRequest.into());
            }
            let kx = provider
                .group(group)
                .ok_or(PeerMisbehaved::SelectedUnofferedGroup)?;
            self.shares = vec![kx.start(&*provider.random)?];
        }
        let hash = provider
            .hash(suite.hash)
            .ok_or(Error::Internal("suite hash missing"))?;
        self.transcript.roll_up_for_retry(&**hash);
        self.transcript.add(msg.encoded);
        self.retried_suite = Some(suite);
        cx.negotiated.hello_retry_request = true;

        self.hello.extensions.key_shares = Some(share_entries(&self.shares));
        self.hello.extensions.cookie = ext.cookie.clone();
        // A session whose hash differs from the retry's suite cannot resume.
        if self
            .offered_session
            .as_ref()
            .and_then(|s| suites::by_id(s.suite))
            .is_some_and(|s| s.hash != suite.hash)
        {
            self.offered_session = None;
            self.hello.extensions.pre_shared_key = None;
        }
        if self.config.middlebox_compat && !self.sent_ccs {
            cx.send_change_cipher_spec();
            self.sent_ccs = true;
        }
        let hello = self.hello.clone();
        send_client_hello(
            cx,
            &provider,
            &hello,
            &mut self.transcript,
            self.offered_session.as_ref(),
        )?;
        Ok(State::Client(ClientState::ExpectServerHello(self)))
    }
}

impl Handshake13 {
    fn handle_encrypted_extensions(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let ee = EncryptedExtensions::read(msg.body)?;
        let common = &self.config.common;
        let mut offered = vec![ExtensionType::SupportedGroups];
        if self.server_name.is_some() && self.config.send_sni {
            offered.push(ExtensionType::ServerName);
        }
        if self.offered_alpn {
            offered.push(ExtensionType::Alpn);
        }
        offered.push(ExtensionType::RecordSizeLimit);
        let allowed = [
            ExtensionType::ServerName,
            ExtensionType::Alpn,
            ExtensionType::SupportedGroups,
            ExtensionType::MaxFragmentLength,
            ExtensionType::RecordSizeLimit,
            ExtensionType::EarlyData,
            ExtensionType::UseSrtp,
        ];
        for typ in &ee.order {
            if !allowed.contains(typ) && typ.name().is_some() {
                return Err(InvalidMessage::IllegalValue(
                    "extension not allowed in EncryptedExtensions",
                )
                .into());
            }
            if !offered.contains(typ) {
                return Err(PeerMisbehaved::UnsolicitedExtension.into());
            }
        }
        if let Some(proto) = &ee.alpn {
            if !common.alpn_protocols.contains(proto) {
                return Err(PeerMisbehaved::SelectedUnofferedAlpn.into());
            }
            cx.negotiated.alpn = Some(proto.clone());
        }
        if let Some(limit) = ee.record_size_limit {
            cx.record.apply_peer_record_size_limit(limit);
        }
        self.transcript.add(msg.encoded);
        if self.resumed {
            return Ok(State::Client(ClientState::ExpectFinished(Box::new(
                ExpectFinished {
                    hs: *self,
                    request: None,
                },
            ))));
        }
        Ok(State::Client(ClientState::ExpectCertificateOrRequest(self)))
    }

    fn handle_certificate_request(
        mut self: Box<Self>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let request = CertificateRequest13::read(msg.body)?;
        if !request.context.is_empty() {
            return Err(
                InvalidMessage::IllegalValue("handshake CertificateRequest with context").into(),
            );
        }
        self.transcript.add(msg.encoded);
        Ok(State::Client(ClientState::ExpectCertificate(Box::new(
            ExpectCertificate {
                hs: *self,
                request: Some(request),
            },
        ))))
    }
}

impl ExpectCertificate {
    fn handle(mut self, cx: &mut Context<'_>, msg: HandshakeMessage<'_>) -> Result<State, Error> {
        let cert = Certificate13::read(msg.body)?;
        if !cert.context.is_empty() {
            return Err(InvalidMessage::IllegalValue("server Certificate with context").into());
        }
        if cert.entries.is_empty() {
            return Err(PeerMisbehaved::EmptyCertificateChain.into());
        }
        let chain: Vec<CertificateDer<'static>> = cert
            .entries
            .into_iter()
            .map(|e| CertificateDer::from(e.cert_der))
            .collect();
        self.hs.transcript.add(msg.encoded);
        cx.negotiated.peer_certificates = chain.clone();
        let common = &self.hs.config.common;
        let mode = common.verify_mode;
        let policy = common.verify_policy();
        let verifier = common.cert_verifier.clone();
        let request = VerifyRequest {
            chain: chain.clone(),
            roots: common.roots.clone(),
            server_name: self.hs.server_name.clone(),
            purpose: Purpose::ServerAuth,
            now: common.provider.time.as_ref().and_then(|t| t.now()),
        };
        let next = Box::new(ExpectCertificateVerify {
            hs: self.hs,
            request: self.request,
            chain,
        });
        if mode == VerifyMode::None {
            cx.negotiated.verify_result = Some(VerifyResult::SKIP_VERIFY);
            return Ok(State::Client(ClientState::ExpectCertificateVerify(next)));
        }
        match start_verify(cx, &verifier, request) {
            VerifyStep::Done(result) => {
                apply_verify_result(cx, &policy, result)?;
                Ok(State::Client(ClientState::ExpectCertificateVerify(next)))
            }
            VerifyStep::Paused => Ok(State::Client(ClientState::VerifyingCertificate(next))),
        }
    }
}

/// Checks a peer's CertificateVerify against our accepted schemes.
pub(crate) fn verify_peer_signature(
    common: &crate::config::CommonConfig,
    end_entity: &CertificateDer<'_>,
    transcript_hash: &[u8],
    peer_is_server: bool,
    body: &[u8],
) -> Result<SignatureScheme, Error> {
    let cv = CertificateVerify::read(body)?;
    if !cv.scheme.usable_in_tls13_handshake() || !common.signature_schemes.contains(&cv.scheme) {
        return Err(PeerMisbehaved::SignatureSchemeNotOffered.into());
    }
    let message = certificate_verify_message(peer_is_server, transcript_hash);
    common
        .verifier()
        .verify_signature(end_entity, cv.scheme, &message, &cv.signature)?;
    Ok(cv.scheme)
}

impl ExpectCertificateVerify {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let hash = self.hs.transcript.current_hash()?;
        let scheme = verify_peer_signature(
            &self.hs.config.common,
            &self.chain[0],
            hash.as_ref(),
            true,
            msg.body,
        )?;
        cx.negotiated.peer_signature_scheme = Some(scheme);
        self.hs.transcript.add(msg.encoded);
        Ok(State::Client(ClientState::ExpectFinished(Box::new(
            ExpectFinished {
                hs: self.hs,
                request: self.request,
            },
        ))))
    }
}

impl ExpectFinished {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let hs = &mut self.hs;
        let hash = hs.transcript.current_hash()?;
        let expected = hs
            .schedule
            .finished_verify_data(&hs.server_secret, hash.as_ref())?;
        check_finished(&expected, msg.body)?;
        hs.transcript.add(msg.encoded);

        let provider = hs.config.common.provider.clone();
        let sha = provider
            .hash(hs.suite.hash)
            .ok_or(Error::Internal("suite hash missing"))?;
        hs.schedule.advance(sha.hash(&[]).as_ref(), None)?;
        let server_finished_hash = hs.transcript.current_hash()?;
        let traffic = Traffic13::new(
            hs.schedule.hkdf().clone(),
            hs.suite,
            provider.clone(),
            true,
            hs.schedule
                .derive(b"c ap traffic", server_finished_hash.as_ref())?,
            hs.schedule
                .derive(b"s ap traffic", server_finished_hash.as_ref())?,
            hs.schedule
                .derive(b"exp master", server_finished_hash.as_ref())?,
        );
        traffic.log_secrets(hs.config.common.key_log.as_ref(), cx.negotiated);
        cx.record.set_read(traffic.read_protection()?);
        *cx.application_keys_ready = true;

        let Some(request) = self.request else {
            return finish_client_flight(cx, self.hs, None, traffic);
        };
        // Client authentication: our certificate (or an empty one), then a
        // signature if we have a key the server accepts.
        let chosen = self.hs.config.client_cert.clone().and_then(|ck| {
            ck.key
                .choose_scheme(&request.signature_algorithms)
                .filter(|s| s.usable_in_tls13_handshake())
                .map(|scheme| (ck, scheme))
        });
        send_certificate(
            cx,
            &mut self.hs.transcript,
            chosen.as_ref().map(|(ck, _)| &**ck),
        )?;
        let Some((certified, scheme)) = chosen else {
            return finish_client_flight(cx, self.hs, None, traffic);
        };
        let hash = self.hs.transcript.current_hash()?;
        let message = certificate_verify_message(false, hash.as_ref());
        match start_sign(
            cx,
            self.hs.config.common.external_signer.as_ref(),
            &certified,
            scheme,
            message,
        )? {
            SignStep::Done(sig) => finish_client_flight(cx, self.hs, Some((scheme, sig)), traffic),
            SignStep::Paused => Ok(State::Client(ClientState::SigningCertificateVerify(
                Box::new(SigningCertificateVerify {
                    hs: self.hs,
                    scheme,
                    traffic,
                }),
            ))),
        }
    }
}

/// Sends a TLS 1.3 Certificate with `certified`'s chain, or an empty one.
pub(crate) fn send_certificate(
    cx: &mut Context<'_>,
    transcript: &mut Transcript,
    certified: Option<&CertifiedKey>,
) -> Result<(), Error> {
    let msg = Certificate13 {
        context: Vec::new(),
        entries: certified
            .map(|c| {
                c.chain
                    .iter()
                    .map(|d| CertificateEntry {
                        cert_der: d.as_ref().to_vec(),
                        extensions: Vec::new(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    let encoded = encode(HandshakeType::Certificate, |o| msg.write(o));
    transcript.add(&encoded);
    cx.send_handshake(&encoded)
}

/// Sends CertificateVerify (when signed) and Finished, then switches to
/// application traffic.
fn finish_client_flight(
    cx: &mut Context<'_>,
    mut hs: Handshake13,
    signature: Option<(SignatureScheme, Vec<u8>)>,
    traffic: Traffic13,
) -> Result<State, Error> {
    if let Some((scheme, signature)) = signature {
        let cv = CertificateVerify { scheme, signature };
        let encoded = encode(HandshakeType::CertificateVerify, |o| cv.write(o));
        hs.transcript.add(&encoded);
        cx.send_handshake(&encoded)?;
        cx.negotiated.client_authenticated = true;
    }
    let hash = hs.transcript.current_hash()?;
    let verify_data = hs
        .schedule
        .finished_verify_data(&hs.client_secret, hash.as_ref())?;
    let encoded = encode(HandshakeType::Finished, |o| {
        o.extend_from_slice(verify_data.as_ref())
    });
    hs.transcript.add(&encoded);
    cx.send_handshake(&encoded)?;
    let resumption_hash = hs.transcript.current_hash()?;
    let mut traffic = traffic;
    traffic.set_resumption_secret(
        hs.schedule
            .derive(b"res master", resumption_hash.as_ref())?,
    );
    cx.record.set_write(traffic.write_protection()?);
    traffic.set_session_parameters(hs.server_name.clone(), cx.negotiated.alpn.clone());
    Ok(State::Traffic(Box::new(traffic)))
}
