//! TLS 1.2 server handshake (RFC 5246), entered when a ClientHello
//! negotiates TLS 1.2, or when a client renegotiates an established TLS 1.2
//! connection.
//!
//! This file reads the ClientHello: extensions (RFC 5746, 7627, 7366, 6066,
//! 5077, 8422, 7919, 7301), resumption by ticket or session id, the cipher
//! suite and what its key exchange needs, and sends the server's first
//! flight. `client_flight` handles what the client sends back.

mod client_flight;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use self::client_flight::send_ticket_and_finished;
use super::tls12::{self, MasterSecret, RenegotiationBinding, SessionState12, TranscriptHash12};
use super::traffic12::{Side12, Traffic12};
use super::{start_sign, Context, SignStep};
use crate::config::{
    CertifiedKey, ClientHelloInfo, CommonConfig, DhParams, LegacyRenegotiation, ServerConfig,
};
use crate::conn::{OperationRequest, OperationResult, State};
use crate::crypto::{ffdh, ActiveKeyExchange, KeyType, Pausable, UnixTime};
use crate::error::{ApiMisuse, Error, InvalidMessage, PeerIncompatible, PeerMisbehaved};
use crate::msgs::enums::{
    CipherSuite, ContentType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::extensions::ServerHelloExtensions;
use crate::msgs::handshake::{encode_handshake, CertificateVerify};
use crate::msgs::handshake12::{
    Certificate12, CertificateRequest12, KxParams, ServerKeyExchange, CERT_TYPE_ECDSA_SIGN,
    CERT_TYPE_RSA_SIGN,
};
use crate::msgs::hello::{ClientHello, ServerHello, SessionId, DOWNGRADE_TLS12};
use crate::record::Protection;
use crate::suites::{Bulk, KeyExchange, SuiteInfo};
use crate::transport::HandshakeMessage;
use crate::verify::VerifyMode;

/// The ec_point_formats value for uncompressed points (RFC 8422 5.1.2).
const UNCOMPRESSED: u8 = 0;
/// Length of the session ids we issue.
const SESSION_ID_LEN: usize = 32;

/// Everything valid from our ServerHello to the end of the handshake.
pub(crate) struct Handshake12 {
    pub(super) config: Arc<ServerConfig>,
    pub(super) suite: &'static SuiteInfo,
    /// Every handshake message so far, as sent on the wire: TLS 1.2
    /// CertificateVerify signs the messages themselves.
    pub(super) transcript: Vec<u8>,
    /// The PRF hash of `transcript`, kept up to date when asked for.
    pub(super) transcript_hash: TranscriptHash12,
    pub(super) client_random: [u8; 32],
    pub(super) server_random: [u8; 32],
    /// ClientHello.client_version, which the RSA premaster secret repeats.
    pub(super) client_version: ProtocolVersion,
    pub(super) extended_master_secret: bool,
    pub(super) encrypt_then_mac: bool,
    /// The client supports RFC 5746.
    pub(super) secure_renegotiation: bool,
    /// The session id of our ServerHello (empty: none issued).
    pub(super) session_id: SessionId,
    /// A full handshake issued `session_id` for the session cache.
    pub(super) cache_session: bool,
    pub(super) issue_ticket: bool,
    pub(super) resumed: bool,
    /// When the resumed session was first established: renewed tickets
    /// keep it, so renewal does not extend a session's life.
    pub(super) session_issued_at: Option<UnixTime>,
    pub(super) server_name: Option<String>,
    pub(super) alpn: Option<Vec<u8>>,
    /// Full handshakes: our certificate, if the suite uses one.
    pub(super) certified: Option<Arc<CertifiedKey>>,
    /// Full handshakes: our ephemeral (EC)DH key.
    pub(super) kx: Option<Box<dyn ActiveKeyExchange>>,
    /// Signature schemes our CertificateRequest offered (empty: no request).
    pub(super) requested_schemes: Vec<SignatureScheme>,
    pub(super) client_chain: Vec<rustls_pki_types::CertificateDer<'static>>,
    pub(super) master: Option<MasterSecret>,
    /// Record protection waiting for the ChangeCipherSpec of each side.
    pub(super) pending_read: Option<Protection>,
    pub(super) pending_write: Option<Protection>,
    pub(super) client_verify_data: Vec<u8>,
    pub(super) server_verify_data: Vec<u8>,
}

impl Handshake12 {
    pub(super) fn add(&mut self, encoded: &[u8]) {
        self.transcript.extend_from_slice(encoded);
    }

    /// Sends a handshake message and adds it to the transcript.
    pub(super) fn send(&mut self, cx: &mut Context<'_>, encoded: &[u8]) -> Result<(), Error> {
        cx.send_handshake_recorded(encoded, &mut self.transcript)
    }

    pub(super) fn common(&self) -> &CommonConfig {
        &self.config.common
    }

    /// The hash of the transcript so far, under the suite's PRF hash.
    pub(super) fn transcript_hash(&mut self) -> Result<crate::crypto::HashOutput, Error> {
        let hash = self
            .config
            .common
            .provider
            .hash(self.suite.hash)
            .ok_or(Error::Internal("suite hash missing"))?;
        Ok(self.transcript_hash.hash(&**hash, &self.transcript))
    }

    pub(super) fn master(&self) -> Result<&MasterSecret, Error> {
        self.master
            .as_ref()
            .ok_or(Error::Internal("master secret not derived"))
    }

    /// Derives record protection for both directions from the master secret.
    pub(super) fn derive_keys(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        let keys = tls12::derive_keys(
            &self.config.common,
            cx.negotiated,
            self.suite,
            self.master()?,
            &self.server_random,
            self.encrypt_then_mac,
        )?;
        self.pending_read = Some(keys.client_write);
        self.pending_write = Some(keys.server_write);
        Ok(())
    }

    /// What tickets and the session cache keep of this session.
    pub(super) fn session_state(&self) -> Result<SessionState12, Error> {
        Ok(SessionState12 {
            version: self.common().transport.tls12_version(),
            suite: self.suite.suite,
            master: self.master()?.clone(),
            extended_master_secret: self.extended_master_secret,
            issued_at: self
                .session_issued_at
                .or_else(|| now(self.common()))
                .unwrap_or(UnixTime(0)),
            server_name: self.server_name.clone(),
            alpn: self.alpn.clone(),
        })
    }
}

/// A ClientHello waiting for its ticket to be opened.
pub(crate) struct OpeningTicket {
    config: Arc<ServerConfig>,
    encoded: Vec<u8>,
    previous: Option<RenegotiationBinding>,
}

/// Our ServerKeyExchange waiting for its signature.
pub(crate) struct SigningKeyExchange {
    hs: Handshake12,
    ske: ServerKeyExchange,
    scheme: SignatureScheme,
}

pub(crate) enum Server12State {
    /// The ticket sealer opens the client's ticket elsewhere.
    OpeningTicket(Box<OpeningTicket>),
    /// Our key signs the ServerKeyExchange elsewhere.
    SigningKeyExchange(Box<SigningKeyExchange>),
    ExpectCertificate(Box<Handshake12>),
    /// The configured verifier checks the client's chain elsewhere.
    VerifyingCertificate(Box<Handshake12>),
    ExpectClientKeyExchange(Box<Handshake12>),
    /// Our key decrypts the RSA premaster secret elsewhere.
    Decrypting(Box<client_flight::Decrypting>),
    ExpectCertificateVerify(Box<Handshake12>),
    ExpectChangeCipherSpec(Box<Handshake12>),
    ExpectFinished(Box<Handshake12>),
    /// The ticket sealer seals our NewSessionTicket elsewhere.
    SealingTicket(Box<Handshake12>),
}

impl Server12State {
    pub fn name(&self) -> &'static str {
        match self {
            Self::OpeningTicket(_) => "server12:opening_ticket",
            Self::SigningKeyExchange(_) => "server12:signing_key_exchange",
            Self::ExpectCertificate(_) => "server12:expect_certificate",
            Self::VerifyingCertificate(_) => "server12:verifying_certificate",
            Self::ExpectClientKeyExchange(_) => "server12:expect_client_key_exchange",
            Self::Decrypting(_) => "server12:decrypting",
            Self::ExpectCertificateVerify(_) => "server12:expect_certificate_verify",
            Self::ExpectChangeCipherSpec(_) => "server12:expect_change_cipher_spec",
            Self::ExpectFinished(_) => "server12:expect_finished",
            Self::SealingTicket(_) => "server12:sealing_ticket",
        }
    }

    pub fn handle(self, cx: &mut Context<'_>, msg: HandshakeMessage<'_>) -> Result<State, Error> {
        let name = self.name();
        match (self, msg.typ) {
            (Self::ExpectCertificate(hs), HandshakeType::Certificate) => {
                client_flight::handle_certificate(cx, hs, msg)
            }
            (Self::ExpectClientKeyExchange(hs), HandshakeType::ClientKeyExchange) => {
                client_flight::handle_client_key_exchange(cx, hs, msg)
            }
            (Self::ExpectCertificateVerify(hs), HandshakeType::CertificateVerify) => {
                client_flight::handle_certificate_verify(cx, hs, msg)
            }
            (Self::ExpectFinished(hs), HandshakeType::Finished) => {
                client_flight::handle_finished(cx, hs, msg)
            }
            (_, typ) => Err(Error::UnexpectedMessage {
                state: name,
                content_type: ContentType::Handshake,
                handshake_type: Some(typ),
            }),
        }
    }

    pub fn handle_change_cipher_spec(self, cx: &mut Context<'_>) -> Result<State, Error> {
        match self {
            Self::ExpectChangeCipherSpec(mut hs) => {
                let read = hs
                    .pending_read
                    .take()
                    .ok_or(Error::Internal("client write keys missing"))?;
                cx.install_read12(read)?;
                Ok(State::Server12(Self::ExpectFinished(hs)))
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
            (Self::OpeningTicket(s), OperationResult::OpenedTicket(result)) => {
                let OpeningTicket {
                    config,
                    encoded,
                    previous,
                } = *s;
                let header = if cx.is_datagram() { 12 } else { 4 };
                let body = encoded.get(header..).ok_or(InvalidMessage::Truncated)?;
                let hello = ClientHello::read(body, cx.is_datagram())?;
                process_hello(config, cx, hello, &encoded, Some(result?), previous)
            }
            (Self::SigningKeyExchange(s), OperationResult::Signature(sig)) => {
                let SigningKeyExchange {
                    hs,
                    mut ske,
                    scheme,
                } = *s;
                ske.signature = Some(CertificateVerify {
                    scheme,
                    signature: sig?,
                });
                finish_server_flight(cx, hs, Some(ske))
            }
            (Self::VerifyingCertificate(hs), OperationResult::Verification(result)) => {
                super::apply_verify_result(cx, &hs.common().verify_policy(), result?)?;
                Ok(State::Server12(Self::ExpectClientKeyExchange(hs)))
            }
            (Self::Decrypting(s), OperationResult::Decrypted(result)) => {
                client_flight::finish_decrypt(cx, *s, result)
            }
            (Self::SealingTicket(hs), OperationResult::SealedTicket(ticket)) => {
                client_flight::finish_ticket(cx, hs, ticket?)
            }
            _ => Err(ApiMisuse::WrongOperationResult.into()),
        }
    }
}

/// A ClientHello that negotiates TLS 1.2 (the TLS 1.3 server hands it
/// over). `opened` is `None` on the first pass and the ticket sealer's
/// answer when a pending ticket open completed (the hello is then
/// processed again from the start).
pub(crate) fn handle_client_hello(
    config: Arc<ServerConfig>,
    cx: &mut Context<'_>,
    hello: ClientHello,
    encoded: &[u8],
    opened: Option<Option<Vec<u8>>>,
) -> Result<State, Error> {
    process_hello(config, cx, hello, encoded, opened, None)
}

/// A ClientHello on an established connection whose policy allows
/// renegotiation. The new handshake runs under the current record
/// protection; application data keeps flowing meanwhile.
pub(crate) fn handle_renegotiation_hello(
    cx: &mut Context<'_>,
    traffic: Traffic12,
    msg: HandshakeMessage<'_>,
) -> Result<State, Error> {
    let Side12::Server { config } = traffic.side else {
        return Err(Error::Internal("server renegotiation on a client"));
    };
    let hello = ClientHello::read(msg.body, cx.is_datagram())?;
    let speaks_12 = if cx.is_datagram() {
        hello.legacy_version == ProtocolVersion::DTLSv1_2
    } else {
        hello.legacy_version.0 >= ProtocolVersion::TLSv1_2.0
    } || hello
        .extensions
        .supported_versions
        .as_deref()
        .is_some_and(|v| v.contains(&ProtocolVersion::TLSv1_2));
    if !speaks_12 {
        return Err(PeerIncompatible::NoCommonVersion.into());
    }
    // RFC 7627 5.4: once the extended master secret was used, every
    // renegotiation must use it too.
    if traffic.established.extended_master_secret && !hello.extensions.extended_master_secret {
        return Err(PeerMisbehaved::ExtendedMasterSecretMismatch.into());
    }
    let previous = traffic.established.binding;
    process_hello(config, cx, hello, msg.encoded, None, Some(previous))
}

fn encode(typ: HandshakeType, body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    encode_handshake(&mut out, typ, body);
    out
}

fn now(common: &CommonConfig) -> Option<UnixTime> {
    common.provider.time.as_ref().and_then(|t| t.now())
}

/// RFC 5746 3.6 and 3.7: checks renegotiation_info and the SCSV, and says
/// whether the client supports secure renegotiation. `previous` is the
/// binding of the connection being renegotiated.
pub(crate) fn check_renegotiation_info(
    hello: &ClientHello,
    previous: Option<&RenegotiationBinding>,
    legacy: LegacyRenegotiation,
) -> Result<bool, Error> {
    let scsv = hello
        .cipher_suites
        .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    let info = hello.extensions.renegotiation_info.as_deref();
    match previous {
        None => {
            if info.is_some_and(|i| !i.is_empty()) {
                return Err(PeerMisbehaved::BadRenegotiationInfo.into());
            }
            let secure = info.is_some() || scsv;
            if !secure && legacy == LegacyRenegotiation::BreakHandshake {
                return Err(PeerMisbehaved::InsecureRenegotiation.into());
            }
            Ok(secure)
        }
        Some(binding) if binding.secure => {
            let expected = &binding.client_verify_data[..];
            let matches =
                info.is_some_and(|i| i.len() == expected.len() && bool::from(i.ct_eq(expected)));
            if scsv || !matches {
                return Err(PeerMisbehaved::BadRenegotiationInfo.into());
            }
            Ok(true)
        }
        Some(_) => {
            // Renegotiating with a legacy peer (the policy allowed it): it
            // must not claim RFC 5746 support now (RFC 5746 4.4).
            if info.is_some() || scsv {
                return Err(PeerMisbehaved::BadRenegotiationInfo.into());
            }
            Ok(false)
        }
    }
}

/// RFC 6066 4: the record size a max_fragment_length code asks for.
pub(crate) fn max_fragment_len(code: u8) -> Result<usize, Error> {
    match code {
        1..=4 => Ok(256 << code),
        _ => Err(InvalidMessage::IllegalValue("max_fragment_length code").into()),
    }
}

/// Whether the extended master secret is used, per RFC 7627 and our
/// configuration.
pub(crate) fn negotiate_ems(common: &CommonConfig, offered: bool) -> Result<bool, Error> {
    let ems = offered && common.tls12.extended_master_secret;
    if common.tls12.require_extended_master_secret && !ems {
        return Err(PeerIncompatible::ExtendedMasterSecretRequired.into());
    }
    Ok(ems)
}

/// Encrypt-then-MAC is used iff the client offered it, we enable it and the
/// suite is a CBC suite (RFC 7366 3).
fn negotiate_etm(common: &CommonConfig, hello: &ClientHello, suite: &SuiteInfo) -> bool {
    hello.extensions.encrypt_then_mac
        && common.tls12.encrypt_then_mac
        && matches!(suite.bulk, Bulk::Cbc { .. })
}

/// Our TLS 1.2 suites in the order that decides: ours when we prefer our
/// order, the client's otherwise. Only suites the client offers.
fn candidate_suites(config: &ServerConfig, hello: &ClientHello) -> Vec<&'static SuiteInfo> {
    let mut ours = config.common.usable_suites();
    ours.retain(|s| s.version == ProtocolVersion::TLSv1_2);
    if config.prefer_server_suite_order {
        ours.retain(|s| hello.cipher_suites.contains(&s.suite));
        ours
    } else {
        hello
            .cipher_suites
            .iter()
            .filter_map(|c| ours.iter().find(|s| s.suite == *c).copied())
            .collect()
    }
}

/// The finite-field group a DHE suite would use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DhGroup {
    /// The RFC 7919 group, or `NamedGroup(0)` for custom parameters.
    pub group: NamedGroup,
    pub p: Vec<u8>,
    pub g: Vec<u8>,
}

/// The key exchange a chosen suite runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KxPlan {
    /// PSK, RSA and RSA_PSK: no server ephemeral key.
    Static,
    Ecdhe(NamedGroup),
    Dhe(DhGroup),
}

/// A suite and everything needed to run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selection {
    pub suite: &'static SuiteInfo,
    pub kx: KxPlan,
    /// The scheme signing the ServerKeyExchange (signed key exchanges).
    pub scheme: Option<SignatureScheme>,
    pub encrypt_then_mac: bool,
}

/// ECDHE: our most preferred EC group the client supports (secp256r1 when
/// it names none, RFC 8422 4), if it accepts uncompressed points.
fn ecdhe_group(common: &CommonConfig, hello: &ClientHello) -> Option<NamedGroup> {
    if let Some(formats) = &hello.extensions.ec_point_formats {
        if !formats.contains(&UNCOMPRESSED) {
            return None;
        }
    }
    let default = [NamedGroup::secp256r1];
    let client = hello
        .extensions
        .supported_groups
        .as_deref()
        .unwrap_or(&default);
    common
        .usable_groups()
        .into_iter()
        .filter(|g| !ffdh::is_ffdhe(*g))
        .find(|g| client.contains(g))
}

/// DHE: an RFC 7919 group the client names (ours first if we configure
/// any), else our configured parameters. A client naming only FFDHE groups
/// we do not share gets no DHE suite (RFC 7919 4).
fn dhe_group(config: &ServerConfig, hello: &ClientHello) -> Option<DhGroup> {
    let provider = &config.common.provider;
    provider.ffdh.as_ref()?;
    let client: Vec<NamedGroup> = hello
        .extensions
        .supported_groups
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .copied()
        .filter(|g| ffdh::is_ffdhe(*g))
        .collect();
    let named = |group: NamedGroup| {
        ffdh::named_ffdhe_params(group).map(|params| DhGroup {
            group,
            p: params.p.to_vec(),
            g: params.g.to_vec(),
        })
    };
    if !client.is_empty() {
        let ours: Vec<NamedGroup> = config
            .common
            .usable_groups_with_ffdhe()
            .into_iter()
            .filter(|g| ffdh::is_ffdhe(*g))
            .collect();
        return if ours.is_empty() {
            client.iter().find_map(|g| named(*g))
        } else {
            ours.iter()
                .filter(|g| client.contains(g))
                .find_map(|g| named(*g))
        };
    }
    match &config.dh_params {
        DhParams::Named(group) => named(*group),
        DhParams::Custom { p, g } => Some(DhGroup {
            group: NamedGroup(0),
            p: tls12::strip_leading_zeros(p).to_vec(),
            g: tls12::strip_leading_zeros(g).to_vec(),
        }),
    }
}

/// Whether a certificate key suits a suite's key exchange.
fn key_fits(kx: KeyExchange, key: KeyType) -> bool {
    match kx {
        KeyExchange::EcdheEcdsa => matches!(
            key,
            KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::Ed25519
        ),
        KeyExchange::EcdheRsa | KeyExchange::DheRsa | KeyExchange::Rsa | KeyExchange::RsaPsk => {
            key == KeyType::Rsa
        }
        _ => false,
    }
}

/// The TLS 1.2 signature scheme for our key among those the client accepts.
/// Without signature_algorithms RFC 5246 7.4.1.4.1 implies SHA-1, which we
/// refuse: no scheme.
pub(crate) fn tls12_scheme(
    key: KeyType,
    client: Option<&[SignatureScheme]>,
) -> Option<SignatureScheme> {
    use SignatureScheme as S;
    let candidates: &[SignatureScheme] = match key {
        KeyType::EcdsaP256 => &[S::ECDSA_NISTP256_SHA256],
        KeyType::EcdsaP384 => &[S::ECDSA_NISTP384_SHA384],
        KeyType::Ed25519 => &[S::ED25519],
        KeyType::Rsa => &[
            S::RSA_PSS_RSAE_SHA256,
            S::RSA_PSS_RSAE_SHA384,
            S::RSA_PSS_RSAE_SHA512,
            S::RSA_PKCS1_SHA256,
            S::RSA_PKCS1_SHA384,
            S::RSA_PKCS1_SHA512,
        ],
    };
    let client = client?;
    candidates.iter().copied().find(|s| client.contains(s))
}

/// Chooses the suite: the first candidate whose key exchange we can serve
/// with this client, our certificate (if any) and our configuration.
pub(crate) fn select_suite(
    config: &ServerConfig,
    hello: &ClientHello,
    certified: Option<&CertifiedKey>,
) -> Result<Selection, Error> {
    let common = &config.common;
    let client_schemes = hello.extensions.signature_algorithms.as_deref();
    let plan = |suite: &'static SuiteInfo| -> Option<Selection> {
        let encrypt_then_mac = negotiate_etm(common, hello, suite);
        if !tls12::bulk_allowed(common, suite, encrypt_then_mac) {
            return None;
        }
        if suite.kx.uses_psk() && config.psk_resolver.is_none() {
            return None;
        }
        let mut scheme = None;
        if suite.kx.uses_certificate() {
            let key = certified?.key.key_type();
            if !key_fits(suite.kx, key) {
                return None;
            }
            if suite.kx.signs_key_exchange() {
                scheme = Some(tls12_scheme(key, client_schemes)?);
            }
        }
        let kx = if suite.kx.uses_ecdhe() {
            KxPlan::Ecdhe(ecdhe_group(common, hello)?)
        } else if suite.kx.uses_dhe() {
            KxPlan::Dhe(dhe_group(config, hello)?)
        } else {
            KxPlan::Static
        };
        Some(Selection {
            suite,
            kx,
            scheme,
            encrypt_then_mac,
        })
    };
    let candidates = candidate_suites(config, hello);
    if let Some(selection) = candidates.iter().find_map(|s| plan(s)) {
        return Ok(selection);
    }
    if certified.is_none() && candidates.iter().any(|s| s.kx.uses_certificate()) {
        return Err(PeerIncompatible::NoCertificateForName.into());
    }
    Err(PeerIncompatible::NoCommonCipherSuite.into())
}

/// How a session may be resumed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ResumeDecision {
    /// Resume with this suite.
    Resume(&'static SuiteInfo),
    /// Run a full handshake instead.
    Full,
}

/// Whether a stored session may be resumed by this ClientHello: same suite,
/// still offered and usable, not expired, same server name, and the
/// extended master secret rules of RFC 7627 5.3 (a session that used EMS
/// resumed without it aborts the handshake; one that did not use it is not
/// resumed with it). `lifetime_secs` is `None` when the store expires
/// sessions itself.
pub(crate) fn resume_decision(
    config: &ServerConfig,
    hello: &ClientHello,
    state: &SessionState12,
    server_name: Option<&str>,
    now: Option<UnixTime>,
    lifetime_secs: Option<u32>,
) -> Result<ResumeDecision, Error> {
    let common = &config.common;
    if state.version != common.transport.tls12_version() {
        return Ok(ResumeDecision::Full);
    }
    let Some(suite) = candidate_suites(config, hello)
        .into_iter()
        .find(|s| s.suite == state.suite)
    else {
        return Ok(ResumeDecision::Full);
    };
    if !tls12::bulk_allowed(common, suite, negotiate_etm(common, hello, suite)) {
        return Ok(ResumeDecision::Full);
    }
    if suite.kx.uses_psk() && config.psk_resolver.is_none() {
        return Ok(ResumeDecision::Full);
    }
    if let (Some(now), Some(lifetime)) = (now, lifetime_secs) {
        let issued = state.issued_at.0;
        if now.0 < issued || now.0 - issued >= u64::from(lifetime) {
            return Ok(ResumeDecision::Full);
        }
    }
    if state.server_name.as_deref() != server_name {
        return Ok(ResumeDecision::Full);
    }
    let offered = hello.extensions.extended_master_secret;
    match (state.extended_master_secret, offered) {
        (true, false) => Err(PeerMisbehaved::ExtendedMasterSecretMismatch.into()),
        (true, true) if !common.tls12.extended_master_secret => Ok(ResumeDecision::Full),
        (false, true) if common.tls12.extended_master_secret => Ok(ResumeDecision::Full),
        _ => Ok(ResumeDecision::Resume(suite)),
    }
}

/// Processes a TLS 1.2 ClientHello, initial (`previous` = `None`) or
/// renegotiating. Free of side effects until the ticket, if any, is open:
/// after a pending open it simply runs again with `opened`.
fn process_hello(
    config: Arc<ServerConfig>,
    cx: &mut Context<'_>,
    hello: ClientHello,
    encoded: &[u8],
    opened: Option<Option<Vec<u8>>>,
    previous: Option<RenegotiationBinding>,
) -> Result<State, Error> {
    let common = &config.common;
    if !hello.compression_methods.contains(&0) {
        return Err(PeerIncompatible::NoCommonCompression.into());
    }
    let secure_renegotiation =
        check_renegotiation_info(&hello, previous.as_ref(), common.tls12.renegotiation.legacy)?;
    let extended_master_secret = negotiate_ems(common, hello.extensions.extended_master_secret)?;
    let server_name = hello
        .extensions
        .server_name
        .as_deref()
        .map(super::server13::parse_server_name)
        .transpose()?;
    // ALPN (RFC 7301 3.2: no overlap is fatal).
    let alpn = super::select_alpn(&common.alpn_protocols, hello.extensions.alpn.as_ref())?;
    let max_fragment = hello
        .extensions
        .max_fragment_length
        .map(|code| max_fragment_len(code).map(|len| (code, len)))
        .transpose()?;

    // A ticket (RFC 5077 3.4), then the session cache.
    let mut offered = None;
    if let (Some(ticketer), Some(ticket)) =
        (&config.ticketer, hello.extensions.session_ticket.as_deref())
    {
        if !ticket.is_empty() {
            let plaintext = match opened {
                Some(plaintext) => plaintext,
                None => match ticketer.start_open(ticket) {
                    Pausable::Ready(result) => result?,
                    Pausable::Pending => {
                        cx.request_operation(OperationRequest::OpenTicket {
                            sealer: ticketer.clone(),
                            ticket: ticket.to_vec(),
                        });
                        return Ok(State::Server12(Server12State::OpeningTicket(Box::new(
                            OpeningTicket {
                                config: config.clone(),
                                encoded: encoded.to_vec(),
                                previous,
                            },
                        ))));
                    }
                },
            };
            let plaintext = plaintext.map(Zeroizing::new);
            if let Some(state) = plaintext.and_then(|p| SessionState12::decode(&p).ok()) {
                let lifetime = ticketer.lifetime_secs();
                match resume_decision(
                    &config,
                    &hello,
                    &state,
                    server_name.as_deref(),
                    now(common),
                    Some(lifetime),
                )? {
                    ResumeDecision::Resume(_) => offered = Some(state),
                    ResumeDecision::Full => {}
                }
            }
        }
    }
    if offered.is_none() && !hello.session_id.is_empty() {
        if let Some(cache) = &config.session_cache {
            let now_secs = now(common).map_or(0, |t| t.0);
            let stored = cache.load(hello.session_id.as_ref(), now_secs);
            if let Some(state) = stored.and_then(|s| SessionState12::decode(&s).ok()) {
                match resume_decision(&config, &hello, &state, server_name.as_deref(), None, None)?
                {
                    ResumeDecision::Resume(_) => offered = Some(state),
                    ResumeDecision::Full => {}
                }
            }
        }
    }

    // The suite: the session's when resuming, else chosen now.
    let (selection, certified) = match &offered {
        Some(o) => {
            let suite =
                crate::suites::by_id(o.suite).ok_or(Error::Internal("resumed suite vanished"))?;
            let selection = Selection {
                suite,
                kx: KxPlan::Static,
                scheme: None,
                encrypt_then_mac: negotiate_etm(common, &hello, suite),
            };
            (selection, None)
        }
        None => {
            let certified = resolve_certificate(&config, &hello, server_name.as_deref());
            let selection = select_suite(&config, &hello, certified.as_deref())?;
            let certified = certified.filter(|_| selection.suite.kx.uses_certificate());
            (selection, certified)
        }
    };
    let suite = selection.suite;
    let resumed = offered.is_some();

    // ServerHello.
    let provider = common.provider.clone();
    let mut server_random = [0u8; 32];
    provider.random.fill(&mut server_random)?;
    // The sentinel says "I would have spoken TLS 1.3" (RFC 8446 4.1.3).
    let speaks_13 = common.versions.allows(ProtocolVersion::TLSv1_3)
        && common.usable_suites().iter().any(|s| s.is_tls13());
    if speaks_13 {
        server_random[24..].copy_from_slice(&DOWNGRADE_TLS12);
    }
    let session_id = if resumed {
        hello.session_id.clone()
    } else if config.session_cache.is_some() {
        let mut id = [0u8; SESSION_ID_LEN];
        provider.random.fill(&mut id)?;
        SessionId::new(&id)?
    } else {
        SessionId::empty()
    };
    let issue_ticket = config.ticketer.is_some() && hello.extensions.session_ticket.is_some();
    let group = match &selection.kx {
        KxPlan::Ecdhe(g) => Some(*g),
        KxPlan::Dhe(dh) if dh.group != NamedGroup(0) => Some(dh.group),
        _ => None,
    };
    let mut server_hello = ServerHello {
        legacy_version: cx.tls12_version(),
        random: server_random,
        session_id: session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: 0,
        extensions: ServerHelloExtensions {
            renegotiation_info: secure_renegotiation.then(|| {
                previous
                    .as_ref()
                    .map(RenegotiationBinding::server_info)
                    .unwrap_or_default()
            }),
            extended_master_secret,
            encrypt_then_mac: selection.encrypt_then_mac,
            ec_point_formats: (!resumed
                && suite.kx.uses_ecdhe()
                && hello.extensions.ec_point_formats.is_some())
            .then(|| vec![UNCOMPRESSED]),
            alpn: alpn.clone(),
            max_fragment_length: max_fragment.map(|(code, _)| code),
            session_ticket: issue_ticket,
            ..Default::default()
        },
    };
    if let Some(dg) = cx.datagram.as_deref_mut() {
        // DTLS-only answers: connection ID and DTLS-SRTP.
        dg.answer_extensions(&hello.extensions, &mut server_hello.extensions)?;
    }

    cx.negotiated.version = Some(cx.tls12_version());
    cx.negotiated.suite = Some(suite);
    cx.negotiated.group = group;
    cx.negotiated.alpn = alpn.clone();
    cx.negotiated.server_name = server_name.clone();
    cx.negotiated.client_random = hello.random;
    cx.negotiated.resumed = resumed;
    cx.negotiated.hello_retry_request = false;
    if !resumed {
        cx.negotiated.peer_certificates = Vec::new();
        cx.negotiated.verify_result = None;
        cx.negotiated.peer_signature_scheme = None;
        cx.negotiated.client_authenticated = false;
    }
    cx.record.plaintext_version = ProtocolVersion::TLSv1_2;
    if let Some((_, len)) = max_fragment {
        cx.record.max_fragment_out = cx.record.max_fragment_out.min(len);
        cx.record.max_plaintext_in = cx.record.max_plaintext_in.min(len);
    }

    let mut hs = Handshake12 {
        config: config.clone(),
        suite,
        transcript: encoded.to_vec(),
        transcript_hash: TranscriptHash12::default(),
        client_random: hello.random,
        server_random,
        client_version: hello.legacy_version,
        extended_master_secret,
        encrypt_then_mac: selection.encrypt_then_mac,
        secure_renegotiation,
        cache_session: !resumed && !session_id.is_empty(),
        session_id,
        issue_ticket,
        resumed,
        session_issued_at: offered.as_ref().map(|state| state.issued_at),
        server_name,
        alpn,
        certified,
        kx: None,
        requested_schemes: Vec::new(),
        client_chain: Vec::new(),
        master: None,
        pending_read: None,
        pending_write: None,
        client_verify_data: Vec::new(),
        server_verify_data: Vec::new(),
    };
    let encoded_sh = encode(HandshakeType::ServerHello, |o| server_hello.write(o));
    hs.send(cx, &encoded_sh)?;

    if let Some(state) = offered {
        // Abbreviated handshake (RFC 5246 7.3): keys from the session.
        hs.master = Some(state.master);
        hs.derive_keys(cx)?;
        return send_ticket_and_finished(cx, Box::new(hs));
    }
    send_server_flight(cx, hs, &selection)
}

/// Our certificate for this hello, if the resolver has one.
fn resolve_certificate(
    config: &ServerConfig,
    hello: &ClientHello,
    server_name: Option<&str>,
) -> Option<Arc<CertifiedKey>> {
    let wants_certificate = candidate_suites(config, hello)
        .iter()
        .any(|s| s.kx.uses_certificate());
    if !wants_certificate {
        return None;
    }
    let empty_alpn = Vec::new();
    config.cert_resolver.resolve(&ClientHelloInfo {
        server_name,
        signature_schemes: hello
            .extensions
            .signature_algorithms
            .as_deref()
            .unwrap_or(&[]),
        alpn: hello.extensions.alpn.as_deref().unwrap_or(&empty_alpn),
    })
}

/// Certificate and ServerKeyExchange (signed when the suite says so); the
/// rest of the flight follows in `finish_server_flight`.
fn send_server_flight(
    cx: &mut Context<'_>,
    mut hs: Handshake12,
    selection: &Selection,
) -> Result<State, Error> {
    if let Some(certified) = hs.certified.clone() {
        let cert = Certificate12 {
            chain: certified.chain.iter().map(|c| c.to_vec()).collect(),
        };
        let encoded = encode(HandshakeType::Certificate, |o| cert.write(o));
        hs.send(cx, &encoded)?;
    }

    let provider = hs.common().provider.clone();
    let params = match &selection.kx {
        KxPlan::Static => KxParams::None,
        KxPlan::Ecdhe(group) => {
            let kx = provider.start_key_exchange(*group)?;
            let params = KxParams::Ecdhe {
                group: *group,
                public: kx.public_key().to_vec(),
            };
            hs.kx = Some(kx);
            params
        }
        KxPlan::Dhe(dh) => {
            let ffdh = provider
                .ffdh
                .as_ref()
                .ok_or(Error::Internal("finite-field DH missing"))?;
            let kx = ffdh.start(dh.group, &dh.p, &dh.g, &*provider.random)?;
            let params = KxParams::Dhe {
                p: dh.p.clone(),
                g: dh.g.clone(),
                public: kx.public_key().to_vec(),
            };
            hs.kx = Some(kx);
            params
        }
    };
    let kx = hs.suite.kx;
    let hint = &hs.config.psk_identity_hint;
    // RFC 4279 2: plain PSK and RSA_PSK send a ServerKeyExchange only to
    // carry a hint.
    let send_ske = match kx {
        KeyExchange::Rsa => false,
        KeyExchange::Psk | KeyExchange::RsaPsk => hint.is_some(),
        _ => true,
    };
    if !send_ske {
        return finish_server_flight(cx, hs, None);
    }
    let ske = ServerKeyExchange {
        psk_identity_hint: kx.uses_psk().then(|| hint.clone().unwrap_or_default()),
        params,
        signature: None,
        params_range: 0..0,
    };
    let (Some(scheme), true) = (selection.scheme, kx.signs_key_exchange()) else {
        return finish_server_flight(cx, hs, Some(ske));
    };
    let certified = hs
        .certified
        .clone()
        .ok_or(Error::Internal("signing suite without certificate"))?;
    let message = tls12::signed_params(
        &hs.client_random,
        &hs.server_random,
        &ServerKeyExchange::encode_params(&ske.params),
    );
    let external = hs.common().external_signer.clone();
    match start_sign(cx, external.as_ref(), &certified, scheme, message)? {
        SignStep::Done(signature) => {
            let mut ske = ske;
            ske.signature = Some(CertificateVerify { scheme, signature });
            finish_server_flight(cx, hs, Some(ske))
        }
        SignStep::Paused => Ok(State::Server12(Server12State::SigningKeyExchange(
            Box::new(SigningKeyExchange { hs, ske, scheme }),
        ))),
    }
}

/// Signature schemes we accept in a client's TLS 1.2 CertificateVerify.
fn client_signature_schemes(common: &CommonConfig) -> Vec<SignatureScheme> {
    common
        .signature_schemes
        .iter()
        .copied()
        .filter(|s| {
            crate::crypto::SignatureAlgorithm::from_scheme(*s)
                .is_some_and(|alg| common.provider.verifier.supports(alg))
        })
        .collect()
}

/// [ServerKeyExchange] [CertificateRequest] ServerHelloDone.
fn finish_server_flight(
    cx: &mut Context<'_>,
    mut hs: Handshake12,
    ske: Option<ServerKeyExchange>,
) -> Result<State, Error> {
    if let Some(ske) = ske {
        let encoded = encode(HandshakeType::ServerKeyExchange, |o| ske.write(o));
        hs.send(cx, &encoded)?;
    }
    let common = hs.common();
    let request_certificate = common.verify_mode != VerifyMode::None && hs.certified.is_some();
    if request_certificate {
        let schemes = client_signature_schemes(common);
        if schemes.is_empty() {
            return Err(Error::Config(
                "no signature scheme to request a client certificate with",
            ));
        }
        let request = CertificateRequest12 {
            certificate_types: vec![CERT_TYPE_ECDSA_SIGN, CERT_TYPE_RSA_SIGN],
            signature_algorithms: schemes.clone(),
            certificate_authorities: if hs.config.send_ca_list {
                common.roots.subjects().to_vec()
            } else {
                Vec::new()
            },
        };
        hs.requested_schemes = schemes;
        let encoded = encode(HandshakeType::CertificateRequest, |o| request.write(o));
        hs.send(cx, &encoded)?;
    }
    let done = encode(HandshakeType::ServerHelloDone, |_| {});
    hs.send(cx, &done)?;
    let hs = Box::new(hs);
    Ok(State::Server12(if request_certificate {
        Server12State::ExpectCertificate(hs)
    } else {
        Server12State::ExpectClientKeyExchange(hs)
    }))
}

#[cfg(test)]
mod tests;
