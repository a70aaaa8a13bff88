//! TLS 1.3 after the handshake: KeyUpdate both ways, NewSessionTicket
//! acceptance, the exporter.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::key_schedule::{expand_label, expand_label_secret, KeySchedule, LabelPrefix, Secret};
use super::{tls13_record_keys, Context};
use crate::crypto::{CryptoProvider, Hkdf};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::{ContentType, HandshakeType, KeyUpdateRequest};
use crate::msgs::handshake::{encode_handshake, read_key_update, NewSessionTicket13};
use crate::record::Protection;
use crate::suites::SuiteInfo;
use crate::transport::HandshakeMessage;

/// How many KeyUpdates the peer may send without application data between
/// them before we call it abuse.
const MAX_CONSECUTIVE_KEY_UPDATES: u32 = 32;

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
    /// Tickets the server sent us (stored for the resumption feature).
    pub tickets_received: u32,
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
            tickets_received: 0,
        }
    }

    pub fn set_resumption_secret(&mut self, secret: Secret) {
        self.resumption_secret = Some(secret);
    }

    fn schedule_for(&self) -> KeySchedule {
        KeySchedule::new(self.hkdf.clone(), LabelPrefix::Tls13, None)
    }

    fn protection(&self, secret: &Secret) -> Result<Protection, Error> {
        tls13_record_keys(&self.provider, &self.schedule_for(), self.suite, secret)
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

    fn next_secret(&self, secret: &Secret) -> Result<Secret, Error> {
        Ok(expand_label_secret(
            &*self.hkdf,
            LabelPrefix::Tls13,
            secret.as_ref(),
            b"traffic upd",
            &[],
        )?)
    }

    fn update_read(&mut self) -> Result<Protection, Error> {
        let secret = if self.is_client {
            &mut self.server_secret
        } else {
            &mut self.client_secret
        };
        let next = expand_label_secret(
            &*self.hkdf,
            LabelPrefix::Tls13,
            secret.as_ref(),
            b"traffic upd",
            &[],
        )?;
        *secret = next;
        self.read_protection()
    }

    fn update_write(&mut self) -> Result<Protection, Error> {
        let current = if self.is_client {
            &self.client_secret
        } else {
            &self.server_secret
        };
        let next = self.next_secret(current)?;
        if self.is_client {
            self.client_secret = next;
        } else {
            self.server_secret = next;
        }
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
                NewSessionTicket13::read(msg.body)?;
                self.tickets_received = self.tickets_received.saturating_add(1);
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
