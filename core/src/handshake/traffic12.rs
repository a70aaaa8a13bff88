//! TLS 1.2 after the handshake: application data flows; a renegotiation
//! request from the peer is answered per the renegotiation policy; the
//! RFC 5705 exporter.

use alloc::sync::Arc;

use super::tls12::Established12;
use super::Context;
use crate::config::{ClientConfig, ServerConfig};
use crate::conn::{OperationResult, State};
use crate::error::{ApiMisuse, Error};
use crate::msgs::enums::{AlertDescription, AlertLevel, ContentType, HandshakeType};
use crate::transport::HandshakeMessage;

/// Which side we are, with its configuration (needed to renegotiate).
#[derive(Clone)]
pub(crate) enum Side12 {
    Client {
        config: Arc<ClientConfig>,
        server_name: Option<alloc::string::String>,
    },
    Server {
        config: Arc<ServerConfig>,
    },
}

impl Side12 {
    pub fn common(&self) -> &crate::config::CommonConfig {
        match self {
            Side12::Client { config, .. } => &config.common,
            Side12::Server { config } => &config.common,
        }
    }
}

pub(crate) struct Traffic12 {
    pub side: Side12,
    pub established: Established12,
    /// Application records received since we asked the peer to
    /// renegotiate (server HelloRequest), for the enforcement limit.
    pub records_since_request: Option<u32>,
}

impl Traffic12 {
    pub fn new(side: Side12, established: Established12) -> Self {
        Self {
            side,
            established,
            records_since_request: None,
        }
    }

    pub fn name(&self) -> &'static str {
        "traffic12"
    }

    /// Whether renegotiation may happen with this peer now.
    pub fn renegotiation_allowed(&self) -> bool {
        let policy = self.side.common().tls12.renegotiation;
        policy.enabled
            && (self.established.binding.secure
                || policy.legacy == crate::config::LegacyRenegotiation::AllowRenegotiation)
    }

    /// A handshake message on an established connection: a renegotiation
    /// request, or (client) a late NewSessionTicket.
    pub fn handle(
        self: alloc::boxed::Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<State, Error> {
        match (&self.side, msg.typ) {
            (Side12::Client { .. }, HandshakeType::HelloRequest) => {
                crate::msgs::handshake::read_empty_message(msg.body)?;
                if self.renegotiation_allowed() {
                    return super::client12::start_renegotiation(cx, *self);
                }
                refuse_renegotiation(cx)?;
                Ok(State::Traffic12(self))
            }
            (Side12::Server { .. }, HandshakeType::ClientHello) => {
                if self.renegotiation_allowed() {
                    return super::server12::handle_renegotiation_hello(cx, *self, msg);
                }
                refuse_renegotiation(cx)?;
                Ok(State::Traffic12(self))
            }
            (_, typ) => Err(Error::UnexpectedMessage {
                state: "traffic12",
                content_type: ContentType::Handshake,
                handshake_type: Some(typ),
            }),
        }
    }

    /// No operation is ever pending in this state.
    pub fn resume(&self, _cx: &mut Context<'_>, _result: OperationResult) -> Result<State, Error> {
        Err(ApiMisuse::WrongOperationResult.into())
    }

    /// Whether the periodic renegotiation (Mbed TLS
    /// conf_renegotiation_period) is due after `records_sent` records
    /// under the current keys.
    pub fn renegotiation_due(&self, records_sent: u64) -> bool {
        let policy = self.side.common().tls12.renegotiation;
        self.renegotiation_allowed()
            && self.records_since_request.is_none()
            && policy.period_records.is_some_and(|p| records_sent >= p)
    }

    /// Counts an application record; past the enforcement limit after our
    /// renegotiation request, the peer is ignoring us.
    pub fn note_application_data(&mut self) -> Result<(), Error> {
        let limit = self
            .side
            .common()
            .tls12
            .renegotiation
            .max_records_before_renegotiation;
        if let (Some(count), Some(limit)) = (&mut self.records_since_request, limit) {
            *count += 1;
            if *count > limit {
                return Err(crate::error::PeerMisbehaved::RenegotiationIgnored.into());
            }
        }
        Ok(())
    }
}

/// Declines a renegotiation with a warning no_renegotiation alert (RFC 5246
/// 7.2.2); the connection goes on.
fn refuse_renegotiation(cx: &mut Context<'_>) -> Result<(), Error> {
    let alert = [AlertLevel::Warning.0, AlertDescription::NoRenegotiation.0];
    match cx.datagram.as_deref_mut() {
        Some(dg) => dg.send_single(ContentType::Alert, &alert),
        None => cx.record.write(cx.tx, ContentType::Alert, &alert),
    }
}
