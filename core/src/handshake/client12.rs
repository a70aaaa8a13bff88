//! TLS 1.2 client handshake (RFC 5246), entered from the ClientHello the
//! TLS 1.3 client sends when the server answers with TLS 1.2.

use super::traffic12::Traffic12;
use super::Context;
use crate::conn::{OperationResult, State};
use crate::error::{ApiMisuse, Error};
use crate::transport::HandshakeMessage;

pub(crate) enum Client12State {}

impl Client12State {
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

pub(crate) fn start_renegotiation(
    _cx: &mut Context<'_>,
    _traffic: Traffic12,
) -> Result<State, Error> {
    Err(ApiMisuse::RenegotiationNotAllowed.into())
}
