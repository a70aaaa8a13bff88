//! TLS 1.3 after the handshake: KeyUpdate both ways, NewSessionTicket
//! acceptance, the exporter.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::key_schedule::{
    expand_label, expand_label_secret, next_traffic_secret, LabelPrefix, Secret,
};
use super::{log_secret, tls13_record_keys, Context, Negotiated};
use crate::config::KeyLog;
use alloc::string::String;

use zeroize::Zeroizing;

use crate::conn::{Event, OperationRequest, OperationResult};
use crate::crypto::{CryptoProvider, Hkdf, Pausable, TicketSealer, UnixTime};
use crate::error::{ApiMisuse, Error, PeerMisbehaved};
use crate::msgs::enums::{ContentType, HandshakeType, KeyUpdateRequest, ProtocolVersion};
use crate::msgs::handshake::{encode_handshake, read_key_update, NewSessionTicket13};
use crate::record::Protection;
use crate::session::{Session, TicketContent};
use crate::suites::SuiteInfo;
use crate::transport::HandshakeMessage;

/// How many KeyUpdates the peer may send without application data between
/// them before we call it abuse.
const MAX_CONSECUTIVE_KEY_UPDATES: u32 = 32;

/// RFC 8446 4.6.1: tickets live at most seven days.
const MAX_TICKET_LIFETIME: u32 = 604_800;

/// Application traffic secrets and what derives from them.
pub(crate) struct Traffic13 {
    hkdf: Arc<dyn Hkdf>,
    suite: &'static SuiteInfo,
    provider: Arc<CryptoProvider>,
    is_client: bool,
    client_secret: Secret,
    server_secret: Secret,
    exporter_secret: Secret,
    resumption_secret: Option<Secret>,
    consecutive_key_updates: u32,
    /// What tickets carry besides the secret.
    server_name: Option<String>,
    alpn: Option<Vec<u8>>,
    /// Server: tickets still to issue, and the one being sealed elsewhere.
    ticketer: Option<Arc<dyn TicketSealer>>,
    tickets_to_issue: u8,
    tickets_issued: u8,
    sealing: Option<TicketInFlight>,
}

/// A ticket whose sealing was deferred to the caller.
struct TicketInFlight {
    nonce: [u8; 1],
    age_add: u32,
    lifetime_secs: u32,
}

impl Traffic13 {
    pub fn new(
        hkdf: Arc<dyn Hkdf>,
        suite: &'static SuiteInfo,
        provider: Arc<CryptoProvider>,
        is_client: bool,
        client_secret: Secret,
        server_secret: Secret,
        exporter_secret: Secret,
    ) -> Self {
        Self {
            hkdf,
            suite,
            provider,
            is_client,
            client_secret,
            server_secret,
            exporter_secret,
            resumption_secret: None,
            consecutive_key_updates: 0,
            server_name: None,
            alpn: None,
            ticketer: None,
            tickets_to_issue: 0,
            tickets_issued: 0,
            sealing: None,
        }
    }

    /// Hands the application traffic and exporter secrets to the key log.
    pub fn log_secrets(&self, key_log: Option<&Arc<dyn KeyLog>>, negotiated: &Negotiated) {
        log_secret(
            key_log,
            negotiated,
            "CLIENT_TRAFFIC_SECRET_0",
            &self.client_secret,
        );
        log_secret(
            key_log,
            negotiated,
            "SERVER_TRAFFIC_SECRET_0",
            &self.server_secret,
        );
        log_secret(
            key_log,
            negotiated,
            "EXPORTER_SECRET",
            &self.exporter_secret,
        );
    }

    /// Records what sessions resumed from this connection carry.
    pub fn set_session_parameters(&mut self, server_name: Option<String>, alpn: Option<Vec<u8>>) {
        self.server_name = server_name;
        self.alpn = alpn;
    }

    /// Server: arranges for `count` tickets sealed by `ticketer`.
    pub fn set_ticketer(&mut self, ticketer: Option<Arc<dyn TicketSealer>>, count: u8) {
        self.tickets_to_issue = if ticketer.is_some() { count } else { 0 };
        self.ticketer = ticketer;
    }

    /// The resumption PSK for a ticket nonce (RFC 8446 4.6.1).
    fn ticket_psk(&self, nonce: &[u8]) -> Result<Secret, Error> {
        let secret = self
            .resumption_secret
            .as_ref()
            .ok_or(Error::Internal("resumption secret before Finished"))?;
        Ok(expand_label_secret(
            &*self.hkdf,
            LabelPrefix::Tls13,
            secret.as_ref(),
            b"resumption",
            nonce,
        )?)
    }

    /// Server: issues the configured tickets; stops when sealing is
    /// deferred (`resume` continues).
    pub fn issue_tickets(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        let Some(ticketer) = self.ticketer.clone() else {
            return Ok(());
        };
        while self.tickets_to_issue > 0 && self.sealing.is_none() {
            self.tickets_to_issue -= 1;
            let nonce = [self.tickets_issued];
            self.tickets_issued = self.tickets_issued.wrapping_add(1);
            let mut age_add = [0u8; 4];
            self.provider.random.fill(&mut age_add)?;
            let age_add = u32::from_be_bytes(age_add);
            let lifetime_secs = ticketer.lifetime_secs().min(MAX_TICKET_LIFETIME);
            let psk = self.ticket_psk(&nonce)?;
            let content = TicketContent {
                suite: self.suite.suite,
                secret: Zeroizing::new(psk.as_ref().to_vec()),
                issued_at: self
                    .provider
                    .time
                    .as_ref()
                    .and_then(|t| t.now())
                    .unwrap_or(UnixTime(0)),
                lifetime_secs,
                age_add,
                server_name: self.server_name.clone(),
                alpn: self.alpn.clone(),
            };
            let plaintext = content.encode();
            match ticketer.start_seal(&plaintext) {
                Pausable::Ready(sealed) => {
                    self.send_ticket(cx, nonce, age_add, lifetime_secs, sealed?)?
                }
                Pausable::Pending => {
                    self.sealing = Some(TicketInFlight {
                        nonce,
                        age_add,
                        lifetime_secs,
                    });
                    cx.request_operation(OperationRequest::SealTicket {
                        sealer: ticketer.clone(),
                        plaintext,
                    });
                }
            }
        }
        Ok(())
    }

    fn send_ticket(
        &self,
        cx: &mut Context<'_>,
        nonce: [u8; 1],
        age_add: u32,
        lifetime_secs: u32,
        ticket: Vec<u8>,
    ) -> Result<(), Error> {
        let message = NewSessionTicket13 {
            lifetime_secs,
            age_add,
            nonce: nonce.to_vec(),
            ticket,
            max_early_data: None,
        };
        let mut encoded = Vec::new();
        encode_handshake(&mut encoded, HandshakeType::NewSessionTicket, |o| {
            message.write(o)
        });
        cx.record.write(cx.tx, ContentType::Handshake, &encoded)
    }

    /// Continues after a deferred operation (ticket sealing).
    pub fn resume(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        result: OperationResult,
    ) -> Result<Box<Self>, Error> {
        match (self.sealing.take(), result) {
            (Some(t), OperationResult::SealedTicket(sealed)) => {
                self.send_ticket(cx, t.nonce, t.age_add, t.lifetime_secs, sealed?)?;
                self.issue_tickets(cx)?;
                Ok(self)
            }
            _ => Err(ApiMisuse::WrongOperationResult.into()),
        }
    }

    pub fn set_resumption_secret(&mut self, secret: Secret) {
        self.resumption_secret = Some(secret);
    }

    fn protection(&self, secret: &Secret) -> Result<Protection, Error> {
        tls13_record_keys(&self.provider, &*self.hkdf, self.suite, secret)
    }

    /// The secret the peer writes with (which we read with), and ours.
    fn secrets_mut(&mut self) -> (&mut Secret, &mut Secret) {
        if self.is_client {
            (&mut self.server_secret, &mut self.client_secret)
        } else {
            (&mut self.client_secret, &mut self.server_secret)
        }
    }

    pub fn read_protection(&self) -> Result<Protection, Error> {
        self.protection(if self.is_client {
            &self.server_secret
        } else {
            &self.client_secret
        })
    }

    pub fn write_protection(&self) -> Result<Protection, Error> {
        self.protection(if self.is_client {
            &self.client_secret
        } else {
            &self.server_secret
        })
    }

    fn update_read(&mut self) -> Result<Protection, Error> {
        let hkdf = self.hkdf.clone();
        let (read, _) = self.secrets_mut();
        *read = next_traffic_secret(&*hkdf, LabelPrefix::Tls13, read)?;
        self.read_protection()
    }

    fn update_write(&mut self) -> Result<Protection, Error> {
        let hkdf = self.hkdf.clone();
        let (_, write) = self.secrets_mut();
        *write = next_traffic_secret(&*hkdf, LabelPrefix::Tls13, write)?;
        self.write_protection()
    }

    /// Application data arrived: KeyUpdate abuse counting restarts.
    pub fn note_application_data(&mut self) {
        self.consecutive_key_updates = 0;
    }

    /// Sends a KeyUpdate and switches our write keys.
    pub fn send_key_update(
        &mut self,
        cx: &mut Context<'_>,
        request_peer: bool,
    ) -> Result<(), Error> {
        let request = if request_peer {
            KeyUpdateRequest::UpdateRequested
        } else {
            KeyUpdateRequest::UpdateNotRequested
        };
        let mut encoded = Vec::with_capacity(5);
        encode_handshake(&mut encoded, HandshakeType::KeyUpdate, |o| {
            o.push(request.0)
        });
        cx.record.write(cx.tx, ContentType::Handshake, &encoded)?;
        cx.record.set_write(self.update_write()?);
        Ok(())
    }

    pub fn handle(
        mut self: Box<Self>,
        cx: &mut Context<'_>,
        msg: HandshakeMessage<'_>,
    ) -> Result<Box<Self>, Error> {
        match msg.typ {
            HandshakeType::KeyUpdate => {
                let request = read_key_update(msg.body)?;
                self.consecutive_key_updates += 1;
                if self.consecutive_key_updates > MAX_CONSECUTIVE_KEY_UPDATES {
                    return Err(PeerMisbehaved::TooManyKeyUpdates.into());
                }
                cx.record.set_read(self.update_read()?);
                if request == KeyUpdateRequest::UpdateRequested {
                    self.send_key_update(cx, false)?;
                }
                Ok(self)
            }
            HandshakeType::NewSessionTicket if self.is_client => {
                let ticket = NewSessionTicket13::read(msg.body)?;
                let psk = self.ticket_psk(&ticket.nonce)?;
                cx.events.push_back(Event::NewSession(Session {
                    version: ProtocolVersion::TLSv1_3,
                    suite: self.suite.suite,
                    secret: Zeroizing::new(psk.as_ref().to_vec()),
                    ticket: ticket.ticket,
                    session_id: Vec::new(),
                    extended_master_secret: false,
                    ticket_age_add: ticket.age_add,
                    lifetime_secs: ticket.lifetime_secs,
                    received_at: self
                        .provider
                        .time
                        .as_ref()
                        .and_then(|t| t.now())
                        .unwrap_or(UnixTime(0)),
                    server_name: self.server_name.clone(),
                    alpn: self.alpn.clone(),
                }));
                Ok(self)
            }
            typ => Err(Error::UnexpectedMessage {
                state: "traffic",
                content_type: ContentType::Handshake,
                handshake_type: Some(typ),
            }),
        }
    }

    /// RFC 8446 7.5 exporter.
    pub fn export_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        let hash = self
            .provider
            .hash(self.suite.hash)
            .ok_or(Error::Internal("suite hash missing"))?;
        let empty = hash.hash(&[]);
        let secret = expand_label_secret(
            &*self.hkdf,
            LabelPrefix::Tls13,
            self.exporter_secret.as_ref(),
            label,
            empty.as_ref(),
        )?;
        let context_hash = hash.hash(context.unwrap_or(&[]));
        expand_label(
            &*self.hkdf,
            LabelPrefix::Tls13,
            secret.as_ref(),
            b"exporter",
            context_hash.as_ref(),
            out,
        )?;
        Ok(())
    }
}
