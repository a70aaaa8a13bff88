//! TLS 1.2 client handshake (RFC 5246 with RFC 4279/5489 PSK, RFC 7627
//! extended master secret, RFC 5746 secure renegotiation, RFC 5077
//! tickets). Entered from the ClientHello the TLS 1.3 client sends when the
//! server answers with TLS 1.2, or from an established connection that
//! renegotiates.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use rustls_pki_types::CertificateDer;
use zeroize::Zeroizing;

use super::tls12::{
    self, check_verify_data, derive_keys, master_secret, psk_premaster, signed_params,
    strip_leading_zeros, verify_data, Established12, MasterSecret, RenegotiationBinding,
    TranscriptHash12,
};
use super::traffic12::{Side12, Traffic12};
use super::{apply_verify_result, start_sign, start_verify, Context, SignStep, VerifyStep};
use crate::config::{CertifiedKey, ClientConfig, LegacyRenegotiation};
use crate::conn::{Event, OperationResult, State};
use crate::crypto::{ActiveKeyExchange, UnixTime};
use crate::error::{ApiMisuse, Error, InvalidMessage, PeerIncompatible, PeerMisbehaved};
use crate::msgs::enums::{
    CipherSuite, ContentType, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion,
    SignatureScheme,
};
use crate::msgs::extensions::ClientExtensions;
use crate::msgs::handshake::{encode_handshake, read_empty_message, CertificateVerify};
use crate::msgs::handshake12::{
    read_finished12, Certificate12, CertificateRequest12, ClientExchange, ClientKeyExchange,
    KxParams, NewSessionTicket12, ServerKeyExchange, CERT_TYPE_ECDSA_SIGN, CERT_TYPE_RSA_SIGN,
};
use crate::msgs::hello::{ClientHello, ServerHello, SessionId, DOWNGRADE_TLS11, DOWNGRADE_TLS12};
use crate::record::Protection;
use crate::session::Session;
use crate::suites::{self, KeyExchange, SuiteInfo};
use crate::transport::HandshakeMessage;
use crate::verify::{end_entity_public_key, Purpose, VerifyMode, VerifyRequest, VerifyResult};

/// Lifetime assumed for a session the server gave no ticket lifetime for.
const DEFAULT_SESSION_LIFETIME: u32 = 86_400;

/// max_fragment_length codes (RFC 6066 4) and the sizes they name.
const MAX_FRAGMENT_CODES: [(u8, u16); 4] = [(1, 512), (2, 1024), (3, 2048), (4, 4096)];

/// Everything the ClientHello committed us to, handed over when a TLS 1.2
/// ServerHello arrives.
pub(crate) struct ClientStart12 {
    pub config: Arc<ClientConfig>,
    pub server_name: Option<String>,
    pub hello: ClientHello,
    /// The encoded ClientHello (the transcript so far).
    pub transcript: Vec<u8>,
    /// A TLS 1.2 session offered by id or ticket.
    pub offered_session: Option<Session>,
    /// The previous handshake, when renegotiating.
    pub previous: Option<RenegotiationBinding>,
    /// The previous handshake used the extended master secret.
    pub previous_ems: bool,
}

/// What the client knows between ServerHello and the end.
pub(crate) struct Client12 {
    config: Arc<ClientConfig>,
    server_name: Option<String>,
    suite: &'static SuiteInfo,
    offered_groups: Vec<NamedGroup>,
    offered_schemes: Vec<SignatureScheme>,
    transcript: Vec<u8>,
    /// The PRF hash of `transcript`, kept up to date when asked for.
    transcript_hash: TranscriptHash12,
    server_random: [u8; 32],
    session_id: Vec<u8>,
    extended_master_secret: bool,
    encrypt_then_mac: bool,
    secure_renegotiation: bool,
    /// The server announced a NewSessionTicket.
    expect_ticket: bool,
    /// Ticket received in this handshake.
    ticket: Option<NewSessionTicket12>,
    resumed: Option<Session>,
    server_chain: Vec<CertificateDer<'static>>,
    server_kx: Option<ServerKeyExchange>,
    request: Option<CertificateRequest12>,
    master: Option<MasterSecret>,
    /// Server-write protection, installed when the server's CCS arrives.
    pending_read: Option<Protection>,
    /// Client-write protection, installed when we send our CCS.
    pending_write: Option<Protection>,
    client_verify_data: Zeroizing<Vec<u8>>,
    step: Step,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Certificate,
    ServerKeyExchange,
    CertificateRequestOrDone,
    ServerHelloDone,
    NewSessionTicketOrCcs,
    ChangeCipherSpec,
    Finished,
}

pub(crate) enum Client12State {
    /// Renegotiation: our new ClientHello is out.
    ExpectServerHello(Box<ClientStart12>),
    Expect(Box<Client12>),
    /// The configured verifier checks the server's chain elsewhere.
    VerifyingCertificate(Box<Client12>),
    /// Our CertificateVerify signature is being made elsewhere.
    SigningCertificateVerify(Box<Client12>, SignatureScheme),
}

impl Client12State {
    pub fn name(&self) -> &'static str {
        match self {
            Self::ExpectServerHello(_) => "client12:expect_server_hello",
            Self::VerifyingCertificate(_) => "client12:verifying_certificate",
            Self::SigningCertificateVerify(..) => "client12:signing_certificate_verify",
            Self::Expect(c) => match c.step {
                Step::Certificate => "client12:expect_certificate",
                Step::ServerKeyExchange => "client12:expect_server_key_exchange",
                Step::CertificateRequestOrDone => "client12:expect_certificate_request_or_done",
                Step::ServerHelloDone => "client12:expect_server_hello_done",
                Step::NewSessionTicketOrCcs => "client12:expect_new_session_ticket",
                Step::ChangeCipherSpec => "client12:expect_change_cipher_spec",
                Step::Finished => "client12:expect_finished",
            },
        }
    }

    pub fn handle(self, cx: &mut Context<'_>, msg: HandshakeMessage<'_>) -> Result<State, Error> {
        let name = self.name();
        match self {
            Self::ExpectServerHello(start) if msg.typ == HandshakeType::ServerHello => {
                handle_server_hello(*start, cx, msg)
            }
            Self::ExpectServerHello(start)
                if msg.typ == HandshakeType::HelloVerifyRequest && cx.is_datagram() =>
            {
                handle_hello_verify_request(start, cx, msg)
            }
            // A HelloRequest mid-handshake is ignored (RFC 5246 7.4.1.1).
            Self::ExpectServerHello(_) | Self::Expect(_)
                if msg.typ == HandshakeType::HelloRequest =>
            {
                read_empty_message(msg.body)?;
                Ok(State::Client12(self))
            }
            Self::Expect(c) => c.handle(cx, msg),
            _ => Err(unexpected(name, msg.typ)),
        }
    }

    pub fn handle_change_cipher_spec(self, cx: &mut Context<'_>) -> Result<State, Error> {
        match self {
            Self::Expect(mut c)
                if matches!(c.step, Step::ChangeCipherSpec | Step::NewSessionTicketOrCcs) =>
            {
                let read = c
                    .pending_read
                    .take()
                    .ok_or(Error::Internal("no pending read keys"))?;
                cx.install_read12(read)?;
                c.step = Step::Finished;
                Ok(State::Client12(Self::Expect(c)))
            }
            other => Err(Error::UnexpectedMessage {
                state: other.name(),
                content_type: ContentType::ChangeCipherSpec,
                handshake_type: None,
            }),
        }
    }

    pub fn resume(self, cx: &mut Context<'_>, result: OperationResult) -> Result<State, Error> {
        match (self, result) {
            (Self::VerifyingCertificate(c), OperationResult::Verification(result)) => {
                apply_verify_result(cx, &c.config.common.verify_policy(), result?)?;
                Ok(State::Client12(Self::Expect(c)))
            }
            (Self::SigningCertificateVerify(c, scheme), OperationResult::Signature(sig)) => {
                c.finish_flight(cx, Some((scheme, sig?)))
            }
            _ => Err(ApiMisuse::WrongOperationResult.into()),
        }
    }
}

fn unexpected(state: &'static str, typ: HandshakeType) -> Error {
    Error::UnexpectedMessage {
        state,
        content_type: ContentType::Handshake,
        handshake_type: Some(typ),
    }
}

fn encode(typ: HandshakeType, body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    encode_handshake(&mut out, typ, body);
    out
}

/// Adds what a ClientHello needs to offer TLS 1.2: the extensions, the
/// session to resume and the cipher-suite signals. `previous` is set when
/// renegotiating.
pub(crate) fn offer_tls12(
    config: &ClientConfig,
    hello: &mut ClientHello,
    session: Option<&Session>,
    previous: Option<&RenegotiationBinding>,
) -> Result<(), Error> {
    let common = &config.common;
    let tls12 = &common.tls12;
    let ext = &mut hello.extensions;
    ext.renegotiation_info = Some(previous.map(|b| b.client_info()).unwrap_or_default());
    if tls12.extended_master_secret {
        ext.extended_master_secret = true;
    }
    let offered: Vec<&SuiteInfo> = hello
        .cipher_suites
        .iter()
        .filter_map(|s| suites::by_id(*s))
        .collect();
    if tls12.encrypt_then_mac
        && offered
            .iter()
            .any(|s| matches!(s.bulk, suites::Bulk::Cbc { .. }))
    {
        ext.encrypt_then_mac = true;
    }
    if offered.iter().any(|s| s.kx.uses_ecdhe()) {
        ext.ec_point_formats = Some(vec![0]);
    }
    if let Some(size) = config.request_max_fragment_length {
        let code = MAX_FRAGMENT_CODES
            .iter()
            .find(|(_, s)| *s == size)
            .map(|(c, _)| *c)
            .ok_or(Error::Config(
                "max fragment length must be 512, 1024, 2048 or 4096",
            ))?;
        ext.max_fragment_length = Some(code);
    }
    if previous.is_none() {
        match session.filter(|s| s.version == common.transport.tls12_version()) {
            Some(s) if s.has_ticket() => {
                ext.session_ticket = Some(s.ticket.clone());
                // A fresh id the server echoes when it accepts the ticket
                // (RFC 5077 3.4).
                if hello.session_id.is_empty() {
                    let mut id = [0u8; 32];
                    common.provider.random.fill(&mut id)?;
                    hello.session_id = SessionId::new(&id)?;
                }
            }
            Some(s) => {
                hello.session_id = SessionId::new(&s.session_id)?;
                if config.resumption {
                    ext.session_ticket = Some(Vec::new());
                }
            }
            None if config.resumption => ext.session_ticket = Some(Vec::new()),
            None => {}
        }
    }
    if config.fallback_scsv {
        hello.cipher_suites.push(CipherSuite::TLS_FALLBACK_SCSV);
    }
    Ok(())
}

/// Which TLS 1.2 suites a client may offer: PSK suites only with a PSK.
pub(crate) fn offerable(config: &ClientConfig, suite: &SuiteInfo) -> bool {
    suite.is_tls13() || !suite.kx.uses_psk() || config.psk.is_some()
}

/// Starts a DTLS 1.2 client: a ClientHello with an empty cookie, which a
/// server may answer with a HelloVerifyRequest.
pub(crate) fn start_datagram(
    config: Arc<ClientConfig>,
    server_name: Option<String>,
    sni: Option<String>,
    session: Option<Session>,
    cx: &mut Context<'_>,
) -> Result<State, Error> {
    config.common.validate()?;
    let common = &config.common;
    if !common.versions.allows(ProtocolVersion::TLSv1_2) {
        return Err(Error::Config("DTLS 1.2 needs TLS 1.2 in the version range"));
    }
    let mut random = [0u8; 32];
    common.provider.random.fill(&mut random)?;
    let suites: Vec<CipherSuite> = common
        .usable_suites()
        .iter()
        .filter(|s| !s.is_tls13() && offerable(&config, s))
        .map(|s| s.suite)
        .collect();
    if suites.is_empty() {
        return Err(Error::Config("no usable TLS 1.2 cipher suite for DTLS"));
    }
    let now = common.provider.time.as_ref().and_then(|t| t.now());
    let session = session.filter(|s| {
        s.version == common.transport.tls12_version()
            && suites.contains(&s.suite)
            && !now.is_some_and(|now| s.is_expired(now))
    });
    let mut hello = ClientHello {
        legacy_version: ProtocolVersion::DTLSv1_2,
        random,
        session_id: SessionId::empty(),
        dtls_cookie: Some(Vec::new()),
        cipher_suites: suites,
        compression_methods: vec![0],
        extensions: ClientExtensions {
            server_name: sni.map(String::into_bytes),
            supported_groups: Some(common.usable_groups_with_ffdhe()),
            signature_algorithms: Some(common.signature_schemes.clone()),
            alpn: (!common.alpn_protocols.is_empty()).then(|| common.alpn_protocols.clone()),
            ..Default::default()
        },
    };
    offer_tls12(&config, &mut hello, session.as_ref(), None)?;
    if let Some(dg) = cx.datagram.as_deref_mut() {
        crate::conn::datagram::offer_dtls_extensions(dg, common, &mut hello.extensions)?;
    }
    cx.negotiated.client_random = random;
    let encoded = encode(HandshakeType::ClientHello, |o| hello.write(o));
    let mut transcript = Vec::new();
    cx.send_handshake_recorded(&encoded, &mut transcript)?;
    Ok(State::Client12(Client12State::ExpectServerHello(Box::new(
        ClientStart12 {
            config,
            server_name,
            hello,
            transcript,
            offered_session: session,
            previous: None,
            previous_ems: false,
        },
    ))))
}

/// DTLS: the server wants our ClientHello again with its cookie (RFC 6347
/// 4.2.1). The first hello and the request stay out of the transcript.
fn handle_hello_verify_request(
    mut start: Box<ClientStart12>,
    cx: &mut Context<'_>,
    msg: HandshakeMessage<'_>,
) -> Result<State, Error> {
    let request = crate::msgs::hello::HelloVerifyRequest::read(msg.body)?;
    if request.server_version != ProtocolVersion::DTLSv1_2
        && request.server_version != ProtocolVersion(0xfeff)
    {
        return Err(PeerIncompatible::NoCommonVersion.into());
    }
    let dg = cx
        .datagram
        .as_deref_mut()
        .ok_or(Error::Internal("HelloVerifyRequest over a stream"))?;
    dg.hello_verify_requests += 1;
    if dg.hello_verify_requests > crate::conn::datagram::MAX_HELLO_VERIFY_REQUESTS {
        return Err(PeerMisbehaved::TooManyHelloVerifyRequests.into());
    }
    start.hello.dtls_cookie = Some(request.cookie);
    let encoded = encode(HandshakeType::ClientHello, |o| start.hello.write(o));
    start.transcript.clear();
    cx.send_handshake_recorded(&encoded, &mut start.transcript)?;
    Ok(State::Client12(Client12State::ExpectServerHello(start)))
}

/// Starts a renegotiation from an established connection: a new
/// ClientHello under the current keys, bound to the previous handshake.
pub(crate) fn start_renegotiation(
    cx: &mut Context<'_>,
    traffic: Traffic12,
) -> Result<State, Error> {
    let Side12::Client {
        config,
        server_name,
    } = traffic.side
    else {
        return Err(Error::Internal("client renegotiation on a server"));
    };
    let common = &config.common;
    let mut random = [0u8; 32];
    common.provider.random.fill(&mut random)?;
    let suites: Vec<CipherSuite> = common
        .usable_suites()
        .iter()
        .filter(|s| !s.is_tls13() && offerable(&config, s))
        .map(|s| s.suite)
        .collect();
    let mut hello = ClientHello {
        legacy_version: cx.tls12_version(),
        random,
        session_id: SessionId::empty(),
        // DTLS ClientHellos always carry the (here empty) cookie.
        dtls_cookie: cx.is_datagram().then(Vec::new),
        cipher_suites: suites,
        compression_methods: vec![0],
        extensions: ClientExtensions {
            server_name: server_name
                .as_deref()
                .filter(|_| config.send_sni)
                .filter(|n| rustls_pki_types::DnsName::try_from(*n).is_ok())
                .map(|n| n.as_bytes().to_vec()),
            supported_groups: Some(common.usable_groups_with_ffdhe()),
            signature_algorithms: Some(common.signature_schemes.clone()),
            alpn: (!common.alpn_protocols.is_empty()).then(|| common.alpn_protocols.clone()),
            ..Default::default()
        },
    };
    offer_tls12(
        &config,
        &mut hello,
        None,
        Some(&traffic.established.binding),
    )?;
    // The same CID and SRTP offer as the first handshake, so the new
    // epoch keeps what the connection negotiated.
    if let Some(dg) = cx.datagram.as_deref_mut() {
        crate::conn::datagram::offer_dtls_extensions(dg, common, &mut hello.extensions)?;
    }
    let encoded = encode(HandshakeType::ClientHello, |o| hello.write(o));
    let mut transcript = Vec::new();
    cx.send_handshake_recorded(&encoded, &mut transcript)?;
    cx.negotiated.client_random = random;
    Ok(State::Client12(Client12State::ExpectServerHello(Box::new(
        ClientStart12 {
            config,
            server_name,
            hello,
            transcript,
            offered_session: None,
            previous: Some(traffic.established.binding),
            previous_ems: traffic.established.extended_master_secret,
        },
    ))))
}

/// A TLS 1.2 ServerHello: checks it against what we offered, then either
/// resumes (keys at once) or expects the server's certificate and key
/// exchange.
pub(crate) fn handle_server_hello(
    start: ClientStart12,
    cx: &mut Context<'_>,
    msg: HandshakeMessage<'_>,
) -> Result<State, Error> {
    let sh = ServerHello::read(msg.body)?;
    let ClientStart12 {
        config,
        server_name,
        hello,
        mut transcript,
        offered_session,
        previous,
        previous_ems,
    } = start;
    let common = &config.common;
    if sh.legacy_version != cx.tls12_version()
        || sh.extensions.supported_version.is_some()
        || !common.versions.allows(ProtocolVersion::TLSv1_2)
    {
        return Err(PeerIncompatible::NoCommonVersion.into());
    }
    // A TLS 1.3 server pushed down to TLS 1.2 marks its random (RFC 8446
    // 4.1.3); with TLS 1.3 offered, that is an attack.
    let tail = &sh.random[24..];
    let offered_13 = hello
        .extensions
        .supported_versions
        .as_ref()
        .is_some_and(|v| v.contains(&ProtocolVersion::TLSv1_3));
    if offered_13 && previous.is_none() && (tail == DOWNGRADE_TLS12 || tail == DOWNGRADE_TLS11) {
        return Err(PeerMisbehaved::DowngradeDetected.into());
    }
    if sh.compression_method != 0 {
        return Err(PeerMisbehaved::CompressionOffered.into());
    }
    let suite = suites::by_id(sh.cipher_suite)
        .filter(|s| !s.is_tls13() && hello.cipher_suites.contains(&s.suite))
        .ok_or(PeerMisbehaved::SelectedUnofferedCipherSuite)?;

    // Every extension must answer one we sent.
    let offered = hello.extensions.present_types();
    for typ in &sh.extensions.order {
        if !offered.contains(typ) {
            return Err(PeerMisbehaved::UnsolicitedExtension.into());
        }
        if matches!(
            *typ,
            ExtensionType::KeyShare | ExtensionType::PreSharedKey | ExtensionType::Cookie
        ) {
            return Err(
                InvalidMessage::IllegalValue("TLS 1.3 extension in a TLS 1.2 hello").into(),
            );
        }
    }

    // Secure renegotiation (RFC 5746 3.4, 3.5).
    let secure_renegotiation = match (&previous, &sh.extensions.renegotiation_info) {
        (None, Some(info)) if info.is_empty() => true,
        (None, Some(_)) => return Err(PeerMisbehaved::BadRenegotiationInfo.into()),
        (None, None) => {
            if common.tls12.renegotiation.legacy == LegacyRenegotiation::BreakHandshake {
                return Err(PeerMisbehaved::InsecureRenegotiation.into());
            }
            false
        }
        (Some(binding), Some(info)) => {
            use subtle::ConstantTimeEq;
            if !binding.secure || !bool::from(info.as_slice().ct_eq(&binding.server_info())) {
                return Err(PeerMisbehaved::BadRenegotiationInfo.into());
            }
            true
        }
        (Some(binding), None) => {
            if binding.secure {
                return Err(PeerMisbehaved::BadRenegotiationInfo.into());
            }
            false
        }
    };

    let ems = sh.extensions.extended_master_secret;
    if previous_ems && !ems {
        // RFC 7627 5.4: renegotiation keeps the extended master secret.
        return Err(PeerMisbehaved::ExtendedMasterSecretMismatch.into());
    }
    if !ems && common.tls12.require_extended_master_secret {
        return Err(PeerIncompatible::MissingExtension("extended_master_secret").into());
    }
    let etm = sh.extensions.encrypt_then_mac;
    if etm && !matches!(suite.bulk, suites::Bulk::Cbc { .. }) {
        return Err(InvalidMessage::IllegalValue("encrypt_then_mac with an AEAD suite").into());
    }
    if !tls12::bulk_allowed(common, suite, etm) {
        return Err(PeerIncompatible::NoCommonCipherSuite.into());
    }
    if let Some(code) = sh.extensions.max_fragment_length {
        if Some(code) != hello.extensions.max_fragment_length {
            return Err(InvalidMessage::IllegalValue("max_fragment_length changed").into());
        }
        let size = MAX_FRAGMENT_CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, s)| *s as usize)
            .unwrap_or(crate::record::MAX_PLAINTEXT_LEN);
        cx.record.max_fragment_out = cx.record.max_fragment_out.min(size);
        cx.record.max_plaintext_in = cx.record.max_plaintext_in.min(size);
    }
    if let Some(limit) = sh.extensions.record_size_limit {
        // RFC 8449 4: in TLS 1.2 the limit counts plaintext only.
        let limit = (limit as usize).clamp(64, crate::record::MAX_PLAINTEXT_LEN);
        cx.record.max_fragment_out = cx.record.max_fragment_out.min(limit);
    }
    if let Some(proto) = &sh.extensions.alpn {
        if !common.alpn_protocols.contains(proto) {
            return Err(PeerMisbehaved::SelectedUnofferedAlpn.into());
        }
        cx.negotiated.alpn = Some(proto.clone());
    }

    // Resumption: the server echoes the id we offered.
    let resumed = offered_session.filter(|_| {
        !sh.session_id.is_empty() && sh.session_id.as_ref() == hello.session_id.as_ref()
    });
    if resumed.is_none()
        && !sh.session_id.is_empty()
        && sh.session_id.as_ref() == hello.session_id.as_ref()
        && previous.is_none()
    {
        // An id we made up (middlebox compatibility, or a ticket's
        // companion id) cannot start an abbreviated handshake unless it was
        // offered with a session.
        return Err(PeerMisbehaved::SessionIdMismatch.into());
    }
    if let Some(session) = &resumed {
        if session.suite != suite.suite {
            return Err(PeerMisbehaved::SelectedUnofferedCipherSuite.into());
        }
        if session.extended_master_secret != ems {
            return Err(PeerMisbehaved::ExtendedMasterSecretMismatch.into());
        }
    }

    cx.negotiated.version = Some(cx.tls12_version());
    cx.negotiated.suite = Some(suite);
    cx.negotiated.resumed = resumed.is_some();
    cx.negotiated.server_name = server_name.clone();
    cx.record.plaintext_version = ProtocolVersion::TLSv1_2;
    if let Some(dg) = cx.datagram.as_deref_mut() {
        dg.negotiated(&sh.extensions, &hello.extensions)?;
    }
    transcript.extend_from_slice(msg.encoded);

    let mut client = Box::new(Client12 {
        offered_groups: hello
            .extensions
            .supported_groups
            .clone()
            .unwrap_or_default(),
        offered_schemes: hello
            .extensions
            .signature_algorithms
            .clone()
            .unwrap_or_default(),
        config,
        server_name,
        suite,
        transcript,
        transcript_hash: TranscriptHash12::default(),
        server_random: sh.random,
        session_id: sh.session_id.as_ref().to_vec(),
        extended_master_secret: ems,
        encrypt_then_mac: etm,
        secure_renegotiation,
        expect_ticket: sh.extensions.session_ticket,
        ticket: None,
        resumed: None,
        server_chain: Vec::new(),
        server_kx: None,
        request: None,
        master: None,
        pending_read: None,
        pending_write: None,
        client_verify_data: Zeroizing::new(Vec::new()),
        step: Step::Certificate,
    });
    if let Some(session) = resumed {
        let mut master = Zeroizing::new([0u8; tls12::MASTER_SECRET_LEN]);
        if session.secret.len() != master.len() {
            return Err(Error::Internal("TLS 1.2 session without a master secret"));
        }
        master.copy_from_slice(&session.secret);
        let keys = client.derive(cx, &master)?;
        client.pending_read = Some(keys.server_write);
        // Our write keys wait for our own CCS, after the server's Finished.
        client.pending_write = Some(keys.client_write);
        client.master = Some(master);
        client.resumed = Some(session);
        client.step = if client.expect_ticket {
            Step::NewSessionTicketOrCcs
        } else {
            Step::ChangeCipherSpec
        };
        return Ok(State::Client12(Client12State::Expect(client)));
    }
    client.step = if suite.kx.uses_certificate() {
        Step::Certificate
    } else {
        Step::ServerKeyExchange
    };
    Ok(State::Client12(Client12State::Expect(client)))
}

impl Client12 {
    fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let kx = self.suite.kx;
        match (self.step, msg.typ) {
            (Step::Certificate, HandshakeType::Certificate) => self.handle_certificate(cx, msg),
            (Step::ServerKeyExchange, HandshakeType::ServerKeyExchange) => {
                self.handle_server_key_exchange(cx, msg)
            }
            // The server may skip ServerKeyExchange when it has nothing to
            // say: RSA key transport, and PSK without a hint.
            (
                Step::ServerKeyExchange,
                HandshakeType::CertificateRequest | HandshakeType::ServerHelloDone,
            ) if matches!(
                kx,
                KeyExchange::Rsa | KeyExchange::Psk | KeyExchange::RsaPsk
            ) =>
            {
                self.step = Step::CertificateRequestOrDone;
                self.handle(cx, msg)
            }
            (Step::CertificateRequestOrDone, HandshakeType::CertificateRequest)
                if kx.uses_certificate() =>
            {
                let request = CertificateRequest12::read(msg.body)?;
                self.transcript.extend_from_slice(msg.encoded);
                self.request = Some(request);
                self.step = Step::ServerHelloDone;
                Ok(State::Client12(Client12State::Expect(self)))
            }
            (
                Step::CertificateRequestOrDone | Step::ServerHelloDone,
                HandshakeType::ServerHelloDone,
            ) => {
                read_empty_message(msg.body)?;
                self.transcript.extend_from_slice(msg.encoded);
                self.send_flight(cx)
            }
            (Step::NewSessionTicketOrCcs, HandshakeType::NewSessionTicket) => {
                let ticket = NewSessionTicket12::read(msg.body)?;
                self.transcript.extend_from_slice(msg.encoded);
                self.ticket = Some(ticket);
                self.step = Step::ChangeCipherSpec;
                Ok(State::Client12(Client12State::Expect(self)))
            }
            (Step::Finished, HandshakeType::Finished) => self.handle_finished(cx, msg),
            (_, typ) => Err(unexpected(Client12State::Expect(self).name(), typ)),
        }
    }

    fn hash_transcript(&mut self) -> Result<crate::crypto::HashOutput, Error> {
        let hash = self
            .config
            .common
            .provider
            .hash(self.suite.hash)
            .ok_or(Error::Internal("suite hash missing"))?;
        Ok(self.transcript_hash.hash(&**hash, &self.transcript))
    }

    fn derive(
        &self,
        cx: &mut Context<'_>,
        master: &MasterSecret,
    ) -> Result<tls12::Tls12Keys, Error> {
        derive_keys(
            &self.config.common,
            cx.negotiated,
            self.suite,
            master,
            &self.server_random,
            self.encrypt_then_mac,
        )
    }

    fn handle_certificate(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let cert = Certificate12::read(msg.body)?;
        if cert.chain.is_empty() {
            return Err(PeerMisbehaved::EmptyCertificateChain.into());
        }
        let chain: Vec<CertificateDer<'static>> =
            cert.chain.into_iter().map(CertificateDer::from).collect();
        self.transcript.extend_from_slice(msg.encoded);
        cx.negotiated.peer_certificates = chain.clone();
        self.server_chain = chain.clone();
        self.step = if self.suite.kx == KeyExchange::Rsa {
            Step::CertificateRequestOrDone
        } else {
            Step::ServerKeyExchange
        };
        let common = &self.config.common;
        let mode = common.verify_mode;
        let policy = common.verify_policy();
        if mode == VerifyMode::None {
            cx.negotiated.verify_result = Some(VerifyResult::SKIP_VERIFY);
            return Ok(State::Client12(Client12State::Expect(self)));
        }
        let verifier = common.cert_verifier.clone();
        let request = VerifyRequest {
            chain,
            roots: common.roots.clone(),
            server_name: self.server_name.clone(),
            purpose: Purpose::ServerAuth,
            now: common.provider.time.as_ref().and_then(|t| t.now()),
        };
        match start_verify(cx, &verifier, request) {
            VerifyStep::Done(result) => {
                apply_verify_result(cx, &policy, result)?;
                Ok(State::Client12(Client12State::Expect(self)))
            }
            VerifyStep::Paused => Ok(State::Client12(Client12State::VerifyingCertificate(self))),
        }
    }

    fn handle_server_key_exchange(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let ske = ServerKeyExchange::read(msg.body, self.suite.kx)?;
        match &ske.params {
            KxParams::Ecdhe { group, .. } => {
                if !self.offered_groups.contains(group) {
                    return Err(PeerMisbehaved::SelectedUnofferedGroup.into());
                }
            }
            KxParams::Dhe { p, .. } => {
                if crate::crypto::ffdh::bit_length(p) < self.config.min_dh_bits {
                    return Err(PeerIncompatible::WeakDhParameters.into());
                }
            }
            KxParams::None => {}
        }
        if let Some(sig) = &ske.signature {
            if !self.offered_schemes.contains(&sig.scheme) {
                return Err(PeerMisbehaved::SignatureSchemeNotOffered.into());
            }
            let leaf = self
                .server_chain
                .first()
                .ok_or(Error::Internal("no server certificate"))?;
            let message = signed_params(
                &cx.negotiated.client_random,
                &self.server_random,
                &msg.body[ske.params_range.clone()],
            );
            self.config.common.verifier().verify_signature_tls12(
                leaf,
                sig.scheme,
                &message,
                &sig.signature,
            )?;
            cx.negotiated.peer_signature_scheme = Some(sig.scheme);
        }
        self.transcript.extend_from_slice(msg.encoded);
        self.server_kx = Some(ske);
        self.step = Step::CertificateRequestOrDone;
        Ok(State::Client12(Client12State::Expect(self)))
    }

    /// Our reply to ServerHelloDone: [Certificate], ClientKeyExchange,
    /// [CertificateVerify], ChangeCipherSpec, Finished.
    fn send_flight(mut self: Box<Self>, cx: &mut Context<'_>) -> Result<State, Error> {
        let config = self.config.clone();
        let common = &config.common;
        let kx = self.suite.kx;
        if kx.signs_key_exchange() && self.server_kx.is_none() {
            return Err(unexpected(
                "client12:expect_server_key_exchange",
                HandshakeType::ServerHelloDone,
            ));
        }

        // Client certificate, if asked for and we have a fitting one.
        let mut signer: Option<(Arc<CertifiedKey>, SignatureScheme)> = None;
        if let Some(request) = &self.request {
            let chosen = config.client_cert.as_ref().and_then(|certified| {
                let key_type = certified.key.key_type();
                let cert_type = match key_type {
                    crate::crypto::KeyType::Rsa => CERT_TYPE_RSA_SIGN,
                    _ => CERT_TYPE_ECDSA_SIGN,
                };
                if !request.certificate_types.contains(&cert_type) {
                    return None;
                }
                key_type
                    .tls12_schemes()
                    .iter()
                    .copied()
                    .find(|s| request.signature_algorithms.contains(s))
                    .map(|scheme| (certified.clone(), scheme))
            });
            let chain = chosen
                .as_ref()
                .map(|(c, _)| c.chain.iter().map(|d| d.as_ref().to_vec()).collect())
                .unwrap_or_default();
            let encoded = encode(HandshakeType::Certificate, |o| {
                Certificate12 { chain }.write(o)
            });
            cx.send_handshake_recorded(&encoded, &mut self.transcript)?;
            signer = chosen;
        }

        // Key exchange.
        let psk = if kx.uses_psk() {
            Some(
                config
                    .psk
                    .as_ref()
                    .ok_or(Error::Config("PSK suite negotiated without a PSK"))?,
            )
        } else {
            None
        };
        let provider = &common.provider;
        let (exchange, other_secret): (ClientExchange, Option<Zeroizing<Vec<u8>>>) = match self
            .server_kx
            .as_ref()
            .map(|k| &k.params)
        {
            Some(KxParams::Ecdhe { group, public }) => {
                let ours = provider.start_key_exchange(*group)?;
                let our_public = ours.public_key().to_vec();
                let shared = ours
                    .complete(public)
                    .map_err(|_| PeerMisbehaved::InvalidKeyShare)?;
                cx.negotiated.group = Some(*group);
                (
                    ClientExchange::Ecdh(our_public),
                    Some(Zeroizing::new(shared.as_ref().to_vec())),
                )
            }
            Some(KxParams::Dhe { p, g, public }) => {
                let dh = provider
                    .ffdh
                    .as_ref()
                    .ok_or(Error::Internal("DHE negotiated without finite-field DH"))?;
                let group = ffdhe_group_of(p, g);
                let ours: Box<dyn ActiveKeyExchange> =
                    dh.start(group, p, g, provider.random.as_ref())?;
                let our_public = ours.public_key().to_vec();
                let shared = ours
                    .complete(public)
                    .map_err(|_| PeerMisbehaved::InvalidKeyExchange)?;
                if group.0 != 0 {
                    cx.negotiated.group = Some(group);
                }
                (
                    ClientExchange::Dh(our_public),
                    Some(Zeroizing::new(
                        strip_leading_zeros(shared.as_ref()).to_vec(),
                    )),
                )
            }
            _ if matches!(kx, KeyExchange::Rsa | KeyExchange::RsaPsk) => {
                let mut premaster = Zeroizing::new(vec![0u8; 48]);
                provider.random.fill(&mut premaster[2..])?;
                premaster[..2].copy_from_slice(&cx.tls12_version().0.to_be_bytes());
                let leaf = self
                    .server_chain
                    .first()
                    .ok_or(Error::Internal("no server certificate"))?;
                let public_key = end_entity_public_key(leaf)?;
                let transport = provider.rsa_key_transport.as_ref().ok_or(Error::Crypto(
                    crate::error::CryptoError::UnsupportedAlgorithm,
                ))?;
                let encrypted =
                    transport.encrypt_pkcs1(&public_key, &premaster, provider.random.as_ref())?;
                (ClientExchange::Rsa(encrypted), Some(premaster))
            }
            _ => (ClientExchange::None, None),
        };
        let premaster = match psk {
            Some(psk) => psk_premaster(other_secret.as_deref().map(|v| v.as_slice()), &psk.key),
            None => other_secret.ok_or(Error::Internal("no premaster secret"))?,
        };
        let cke = ClientKeyExchange {
            psk_identity: psk.map(|p| p.identity.clone()),
            exchange,
        };
        let encoded = encode(HandshakeType::ClientKeyExchange, |o| cke.write(o));
        cx.send_handshake_recorded(&encoded, &mut self.transcript)?;

        // Master secret and keys.
        let session_hash = self.hash_transcript()?;
        let prf = tls12::prf_for(provider, self.suite)?;
        let master = master_secret(
            &*prf,
            &premaster,
            self.extended_master_secret.then_some(session_hash.as_ref()),
            &cx.negotiated.client_random,
            &self.server_random,
        );
        let keys = self.derive(cx, &master)?;
        self.pending_read = Some(keys.server_write);
        self.pending_write = Some(keys.client_write);
        self.master = Some(master);

        // CertificateVerify over every handshake message so far.
        if let Some((certified, scheme)) = signer {
            let message = self.transcript.clone();
            return match start_sign(
                cx,
                common.external_signer.as_ref(),
                &certified,
                scheme,
                message,
            )? {
                SignStep::Done(sig) => self.finish_flight(cx, Some((scheme, sig))),
                SignStep::Paused => Ok(State::Client12(Client12State::SigningCertificateVerify(
                    self, scheme,
                ))),
            };
        }
        self.finish_flight(cx, None)
    }

    /// CertificateVerify (when signed), ChangeCipherSpec and Finished.
    fn finish_flight(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        signature: Option<(SignatureScheme, Vec<u8>)>,
    ) -> Result<State, Error> {
        if let Some((scheme, signature)) = signature {
            let cv = CertificateVerify { scheme, signature };
            let encoded = encode(HandshakeType::CertificateVerify, |o| cv.write(o));
            cx.send_handshake_recorded(&encoded, &mut self.transcript)?;
            cx.negotiated.client_authenticated = true;
        }
        self.send_finished(cx)?;
        self.step = if self.expect_ticket {
            Step::NewSessionTicketOrCcs
        } else {
            Step::ChangeCipherSpec
        };
        Ok(State::Client12(Client12State::Expect(self)))
    }

    /// verify_data over the transcript so far, for `from_client`'s Finished.
    fn verify_data_now(&mut self, from_client: bool) -> Result<[u8; 12], Error> {
        let hash = self.hash_transcript()?;
        let prf = tls12::prf_for(&self.config.common.provider, self.suite)?;
        let master = self
            .master
            .as_ref()
            .ok_or(Error::Internal("no master secret"))?;
        Ok(verify_data(&*prf, &master[..], from_client, hash.as_ref()))
    }

    fn send_finished(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        let write = self
            .pending_write
            .take()
            .ok_or(Error::Internal("no pending write keys"))?;
        tls12::send_change_cipher_spec(cx, write)?;
        let data = self.verify_data_now(true)?;
        let encoded = encode(HandshakeType::Finished, |o| o.extend_from_slice(&data));
        cx.send_handshake_recorded(&encoded, &mut self.transcript)?;
        self.client_verify_data = Zeroizing::new(data.to_vec());
        Ok(())
    }

    fn handle_finished(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        let received = read_finished12(msg.body)?;
        let expected = self.verify_data_now(false)?;
        check_verify_data(&expected, &received)?;
        self.transcript.extend_from_slice(msg.encoded);
        if self.resumed.is_some() {
            // Abbreviated handshake: the server spoke first.
            self.send_finished(cx)?;
        }
        *cx.application_keys_ready = true;
        let master = self
            .master
            .take()
            .ok_or(Error::Internal("no master secret"))?;
        self.report_session(cx, &master);
        let binding = RenegotiationBinding {
            secure: self.secure_renegotiation,
            client_verify_data: self.client_verify_data.clone(),
            server_verify_data: Zeroizing::new(expected.to_vec()),
        };
        let established = Established12 {
            suite: self.suite,
            master,
            server_random: self.server_random,
            extended_master_secret: self.extended_master_secret,
            binding,
        };
        let side = Side12::Client {
            config: self.config.clone(),
            server_name: self.server_name.clone(),
        };
        Ok(State::Traffic12(Box::new(Traffic12::new(
            side,
            established,
        ))))
    }

    /// Hands the session to the caller when it can be resumed: by a ticket
    /// from this handshake, or by the id the server gave.
    fn report_session(&mut self, cx: &mut Context<'_>, master: &MasterSecret) {
        let previous_ticket = self.resumed.as_ref().map(|s| s.ticket.clone());
        let (ticket, lifetime) = match self.ticket.take() {
            Some(t) if !t.ticket.is_empty() => (t.ticket, t.lifetime_hint_secs),
            Some(_) => (Vec::new(), DEFAULT_SESSION_LIFETIME),
            None => (
                previous_ticket.unwrap_or_default(),
                DEFAULT_SESSION_LIFETIME,
            ),
        };
        if ticket.is_empty() && self.session_id.is_empty() {
            return;
        }
        let provider = &self.config.common.provider;
        let now = provider
            .time
            .as_ref()
            .and_then(|t| t.now())
            .unwrap_or(UnixTime(0));
        cx.events.push_back(Event::NewSession(Session {
            version: cx.tls12_version(),
            suite: self.suite.suite,
            secret: Zeroizing::new(master.to_vec()),
            ticket,
            session_id: self.session_id.clone(),
            extended_master_secret: self.extended_master_secret,
            ticket_age_add: 0,
            lifetime_secs: if lifetime == 0 {
                DEFAULT_SESSION_LIFETIME
            } else {
                lifetime
            },
            received_at: now,
            server_name: self.server_name.clone(),
            alpn: cx.negotiated.alpn.clone(),
        }));
    }
}

/// The RFC 7919 group whose parameters these are, or `NamedGroup(0)`.
fn ffdhe_group_of(p: &[u8], g: &[u8]) -> NamedGroup {
    [
        NamedGroup::FFDHE2048,
        NamedGroup::FFDHE3072,
        NamedGroup::FFDHE4096,
    ]
    .into_iter()
    .find(|group| {
        crate::crypto::ffdh::named_ffdhe_params(*group).is_some_and(|params| {
            params.p == strip_leading_zeros(p) && params.g == strip_leading_zeros(g)
        })
    })
    .unwrap_or(NamedGroup(0))
}
