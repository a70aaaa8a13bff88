//! TLS 1.2 server handshake (RFC 5246), entered when a ClientHello
//! negotiates TLS 1.2.

use super::traffic12::Traffic12;
use super::Context;
use crate::conn::{OperationResult, State};
use crate::error::{ApiMisuse, Error};
use crate::transport::HandshakeMessage;

pub(crate) enum Server12State {}

impl Server12State {
    pub fn name(&self) -> &'static str {
        match *self {}
    }

    pub fn handle(self, _cx: &mut Context<'_>, _msg: HandshakeMessage<'_>) -> Result<State, Error> {
        match self {}
    }

    pub fn handle_change_cipher_spec(self, _cx: &mut Context<'_>) -> Result<State, Error> {
        match self {}
    }

    pub fn resume(self, _cx: &mut Context<'_>, _result: OperationResult) -> Result<State, Error> {
        Err(ApiMisuse::WrongOperationResult.into())
    }
}

/// A ClientHello that negotiates TLS 1.2 (the TLS 1.3 server hands it
/// over). `opened` is `None` on the first pass and the ticket sealer's
/// answer when a pending ticket open completed (the hello is then
/// processed again from the start).
pub(crate) fn handle_client_hello(
    _config: alloc::sync::Arc<crate::config::ServerConfig>,
    _cx: &mut Context<'_>,
    _hello: crate::msgs::hello::ClientHello,
    _encoded: &[u8],
    _opened: Option<Option<alloc::vec::Vec<u8>>>,
) -> Result<State, Error> {
    Err(crate::error::PeerIncompatible::NoCommonVersion.into())
}

/// A ClientHello on an established connection whose policy allows
/// renegotiation.
pub(crate) fn handle_renegotiation_hello(
    _cx: &mut Context<'_>,
    _traffic: Traffic12,
    _msg: HandshakeMessage<'_>,
) -> Result<State, Error> {
    Err(ApiMisuse::RenegotiationNotAllowed.into())
}
