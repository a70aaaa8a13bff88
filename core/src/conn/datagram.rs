//! The connection's datagram side (DTLS 1.2): records with epochs, flights
//! and their retransmission, the stateless cookie exchange, connection IDs
//! and DTLS-SRTP. See docs/dtls.md.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;

use bytes::{Bytes, BytesMut};

use super::{Connection, Event, State};
use crate::config::{CommonConfig, DtlsOptions, SrtpProfile};
use crate::error::{ApiMisuse, Error, InvalidMessage, PeerMisbehaved};
use crate::handshake::server13::ServerState;
use crate::handshake::Context;
use crate::msgs::enums::{ContentType, HandshakeType, ProtocolVersion};
use crate::msgs::extensions::{ClientExtensions, ServerHelloExtensions, UseSrtp};
use crate::msgs::hello::{ClientHello, HelloVerifyRequest};
use crate::record::{DtlsRecordLayer, Protection, Tls12RecordKeys};
use crate::time::Instant;
use crate::transport::cookie::hello_fields_for_cookie;
use crate::transport::datagram::{
    pack_datagrams, DatagramHandshake, FlightItem, Received, TimerAction, DTLS_HANDSHAKE_HEADER_LEN,
};
use crate::transport::HandshakeMessage;

/// Label of the DTLS-SRTP keying material exporter (RFC 5764 4.2).
const SRTP_EXPORTER_LABEL: &[u8] = b"EXTRACTOR-dtls_srtp";

/// How many HelloVerifyRequests a client follows before giving up.
pub(crate) const MAX_HELLO_VERIFY_REQUESTS: u8 = 4;

/// Everything DTLS adds to a connection.
pub(crate) struct Datagram {
    pub records: DtlsRecordLayer,
    pub handshake: DatagramHandshake,
    /// Datagrams ready to send, in order.
    pub out: VecDeque<Bytes>,
    /// Where single-record datagrams are sealed: its storage comes back for
    /// reuse once the caller drops the datagrams, so application data
    /// does not allocate per record.
    tx: BytesMut,
    pub options: DtlsOptions,
    /// Server: the client's transport address, bound into cookies.
    pub client_transport_id: Option<Vec<u8>>,
    /// Flight items queued since the last flush.
    unsent: bool,
    /// The last handshake activity was receiving: what we send next starts
    /// a new flight.
    receiving: bool,
    /// Our connection ID (what the peer puts in records to us), once chosen.
    own_cid: Option<Vec<u8>>,
    pub srtp_profile: Option<SrtpProfile>,
    pub srtp_mki: Option<Vec<u8>>,
    /// Client: HelloVerifyRequests followed so far.
    pub hello_verify_requests: u8,
    /// Datagrams (and where to go on in each) waiting while an operation
    /// pauses the handshake, oldest first; at most `max_buffering` bytes
    /// besides the one the pause interrupted.
    paused_input: VecDeque<(BytesMut, usize)>,
    paused_bytes: usize,
}

impl Datagram {
    pub fn new(common: &CommonConfig) -> Self {
        let options = common.dtls.clone();
        Self {
            records: DtlsRecordLayer::new(&options),
            handshake: DatagramHandshake::new(&options),
            out: VecDeque::new(),
            tx: BytesMut::new(),
            client_transport_id: None,
            unsent: false,
            receiving: false,
            own_cid: None,
            srtp_profile: None,
            srtp_mki: None,
            hello_verify_requests: 0,
            paused_input: VecDeque::new(),
            paused_bytes: 0,
            options,
        }
    }

    fn start_flight_if_answering(&mut self) {
        if self.receiving {
            self.receiving = false;
            self.handshake.begin_flight();
            self.handshake.disarm();
        }
    }

    /// We start a renegotiation: a new handshake numbered from 0, whose
    /// first flight is ours.
    pub fn begin_renegotiation(&mut self) {
        self.handshake.restart_sequences();
        self.handshake.begin_flight();
        self.handshake.disarm();
        self.receiving = false;
    }

    /// Forgets our flight and stops its timer.
    pub fn stop_resending(&mut self) {
        self.handshake.begin_flight();
        self.handshake.disarm();
    }

    /// The write sequence number of the current epoch (periodic
    /// renegotiation counts records under the current keys).
    pub fn write_sequence(&self) -> u64 {
        self.records.counters().write_sequence
    }

    /// Queues a handshake message (TLS form) for the current flight;
    /// returns its transcript (DTLS) form.
    pub fn queue_handshake(&mut self, encoded_tls: &[u8]) -> Vec<u8> {
        self.start_flight_if_answering();
        let message = self.handshake.prepare(encoded_tls);
        self.handshake.push(FlightItem::Handshake {
            epoch: self.records.write_epoch(),
            message: message.clone(),
        });
        self.unsent = true;
        message
    }

    /// Queues ChangeCipherSpec at the current epoch and moves writing to the
    /// next epoch with `next`.
    pub fn queue_change_cipher_spec(&mut self, next: Protection) -> Result<(), Error> {
        self.start_flight_if_answering();
        self.handshake.push(FlightItem::ChangeCipherSpec {
            epoch: self.records.write_epoch(),
        });
        self.unsent = true;
        self.records.install_write(tls12_keys(next)?);
        Ok(())
    }

    /// Write keys without a ChangeCipherSpec (a loaded connection).
    pub fn install_written(&mut self, next: Protection) -> Result<(), Error> {
        self.records.install_write(tls12_keys(next)?);
        Ok(())
    }

    pub fn install_read(&mut self, next: Protection) -> Result<(), Error> {
        self.records.install_read(tls12_keys(next)?);
        Ok(())
    }

    /// The largest application record payload that fits one datagram now.
    pub fn max_payload(&self) -> usize {
        let epoch = self.records.write_epoch();
        self.options
            .mtu
            .saturating_sub(self.records.expansion(epoch))
            .min(crate::record::MAX_PLAINTEXT_LEN)
    }

    /// Seals the stored flight (fresh sequence numbers) into datagrams.
    fn send_flight(&mut self) -> Result<(), Error> {
        let mtu = self.options.mtu;
        let records = &self.records;
        let payloads = self.handshake.flight_payloads(|epoch| {
            mtu.saturating_sub(records.expansion(epoch))
                .min(crate::record::MAX_PLAINTEXT_LEN)
        });
        let mut sealed = Vec::with_capacity(payloads.len());
        for (epoch, content_type, payload) in payloads {
            let mut out = BytesMut::new();
            self.records.seal(epoch, content_type, &payload, &mut out)?;
            sealed.push(out.freeze());
        }
        self.out
            .extend(pack_datagrams(sealed, mtu, self.options.datagram_packing));
        self.unsent = false;
        Ok(())
    }

    /// One record in a datagram of its own (application data, alerts).
    pub fn send_single(&mut self, content_type: ContentType, payload: &[u8]) -> Result<(), Error> {
        let epoch = self.records.write_epoch();
        self.records
            .seal(epoch, content_type, payload, &mut self.tx)?;
        self.out.push_back(self.tx.split().freeze());
        Ok(())
    }

    /// Our CID for this connection: set by the caller, or drawn when
    /// `own_cid_len` asks for one.
    pub fn own_cid(&mut self, common: &CommonConfig) -> Result<Option<Vec<u8>>, Error> {
        if self.own_cid.is_none() {
            if let Some(len) = self.options.own_cid_len {
                let mut cid = alloc::vec![0u8; len.min(255)];
                common.provider.random.fill(&mut cid)?;
                self.own_cid = Some(cid);
            }
        }
        Ok(self.own_cid.clone())
    }

    pub fn set_own_cid(&mut self, cid: Option<Vec<u8>>) {
        self.own_cid = cid;
    }

    /// Client: what the ServerHello said about CIDs and SRTP.
    pub fn negotiated(
        &mut self,
        server: &ServerHelloExtensions,
        offered: &ClientExtensions,
    ) -> Result<(), Error> {
        if let (Some(peer), Some(ours)) = (&server.connection_id, &offered.connection_id) {
            self.records
                .set_own_cid((!ours.is_empty()).then(|| ours.clone()));
            self.records
                .set_peer_cid((!peer.is_empty()).then(|| peer.clone()));
        }
        if let Some(chosen) = &server.use_srtp {
            let ours = offered
                .use_srtp
                .as_ref()
                .ok_or(PeerMisbehaved::UnsolicitedExtension)?;
            let profile = *chosen.profiles.first().ok_or(InvalidMessage::EmptyVector)?;
            if !ours.profiles.contains(&profile) {
                return Err(PeerMisbehaved::UnsolicitedExtension.into());
            }
            if !chosen.mki.is_empty() && chosen.mki != ours.mki {
                return Err(InvalidMessage::IllegalValue("server changed the SRTP MKI").into());
            }
            self.srtp_profile = Some(profile);
            self.srtp_mki = (!chosen.mki.is_empty()).then(|| chosen.mki.clone());
        }
        Ok(())
    }

    /// Server: the ServerHello's answers to the client's CID and SRTP offers.
    pub fn answer_extensions(
        &mut self,
        client: &ClientExtensions,
        answer: &mut ServerHelloExtensions,
    ) -> Result<(), Error> {
        if let (Some(peer), Some(ours)) = (&client.connection_id, self.own_cid.clone()) {
            answer.connection_id = Some(ours.clone());
            self.records.set_own_cid((!ours.is_empty()).then_some(ours));
            self.records
                .set_peer_cid((!peer.is_empty()).then(|| peer.clone()));
        }
        if let Some(offer) = &client.use_srtp {
            let srtp = &self.options.srtp;
            if let Some(profile) = srtp
                .profiles
                .iter()
                .copied()
                .find(|p| offer.profiles.contains(p))
            {
                let mki = if srtp.mki_supported {
                    offer.mki.clone()
                } else {
                    Vec::new()
                };
                answer.use_srtp = Some(UseSrtp {
                    profiles: alloc::vec![profile],
                    mki: mki.clone(),
                });
                self.srtp_profile = Some(profile);
                self.srtp_mki = (!mki.is_empty()).then_some(mki);
            }
        }
        Ok(())
    }
}

fn tls12_keys(protection: Protection) -> Result<Tls12RecordKeys, Error> {
    match protection {
        Protection::Tls12(keys) => Ok(keys),
        _ => Err(Error::Internal("DTLS keys must be TLS 1.2 record keys")),
    }
}

/// The client's ClientHello extensions for DTLS: its CID and SRTP offers.
pub(crate) fn offer_dtls_extensions(
    dg: &mut Datagram,
    common: &CommonConfig,
    extensions: &mut ClientExtensions,
) -> Result<(), Error> {
    extensions.connection_id = dg.own_cid(common)?;
    let srtp = &common.dtls.srtp;
    if !srtp.profiles.is_empty() {
        extensions.use_srtp = Some(UseSrtp {
            profiles: srtp.profiles.clone(),
            mki: srtp.mki.clone().unwrap_or_default(),
        });
    }
    Ok(())
}

impl Connection {
    pub(super) fn dg(&mut self) -> Result<&mut Datagram, Error> {
        self.datagram
            .as_deref_mut()
            .ok_or(Error::ApiMisuse(ApiMisuse::NotDatagram))
    }

    /// Processes one datagram, decrypting in place in `datagram`. While an
    /// operation is pending it waits its turn (or is dropped, as the
    /// network might have, when the waiting datagrams fill the budget).
    pub(super) fn process_datagram(&mut self, datagram: BytesMut) -> Result<(), Error> {
        if self.ops.pending.is_some() {
            let dg = self.dg()?;
            if dg.paused_bytes + datagram.len() <= dg.options.max_buffering {
                dg.paused_bytes += datagram.len();
                dg.paused_input.push_back((datagram, 0));
            }
            return Ok(());
        }
        self.process_datagram_from(datagram, 0)
    }

    /// Keeps the rest of the datagram being processed for after the
    /// pending operation, ahead of those that arrived during it.
    fn pause_datagram(&mut self, buf: BytesMut, pos: usize) -> Result<(), Error> {
        let dg = self.dg()?;
        dg.paused_bytes += buf.len();
        dg.paused_input.push_front((buf, pos));
        Ok(())
    }

    /// Processes the records of `buf` from `pos`; stops (keeping the rest)
    /// when an operation pauses the handshake.
    pub(super) fn process_datagram_from(
        &mut self,
        mut buf: BytesMut,
        mut pos: usize,
    ) -> Result<(), Error> {
        loop {
            if self.ops.pending.is_some() {
                return self.pause_datagram(buf, pos);
            }
            self.drain_handshake_messages()?;
            if self.ops.pending.is_some() {
                return self.pause_datagram(buf, pos);
            }
            let Some(record) = self.dg()?.records.open_next(&mut buf, &mut pos)? else {
                break;
            };
            let payload = &buf[record.plaintext.clone()];
            match record.content_type {
                ContentType::Handshake => {
                    let payload = payload.to_vec();
                    self.datagram_handshake_record(record.epoch, record.sequence, &payload)?;
                }
                // A ChangeCipherSpec from before the current read epoch is
                // a copy in a retransmitted flight: already acted on.
                ContentType::ChangeCipherSpec if record.epoch < self.dg()?.records.read_epoch() => {
                }
                ContentType::ChangeCipherSpec => {
                    if payload != [1] {
                        return Err(PeerMisbehaved::IllegalChangeCipherSpec.into());
                    }
                    self.datagram_change_cipher_spec()?;
                }
                ContentType::Alert => {
                    let payload = payload.to_vec();
                    self.handle_alert(&payload)?;
                    if self.received_close {
                        break;
                    }
                }
                // Application data before the handshake ends cannot be
                // under keys we have; it is dropped (RFC 6347 4.1.2.7).
                ContentType::ApplicationData
                    if self.application_keys_ready && record.epoch > 0 && !payload.is_empty() =>
                {
                    // Hand out the decrypted bytes without copying: split
                    // off the datagram up to this record's end.
                    let head = buf.split_to(pos);
                    pos = 0;
                    let data = head.freeze().slice(record.plaintext.clone());
                    if let Some(State::Traffic12(t)) = &mut self.state {
                        t.note_application_data()?;
                    }
                    self.events.push_back(Event::Data(data));
                }
                _ => {}
            }
        }
        self.drain_handshake_messages()?;
        self.flush_flight()
    }

    /// After an operation completed: the datagrams that waited for it, in
    /// order, until one pauses the handshake again.
    pub(super) fn resume_datagram(&mut self) -> Result<(), Error> {
        loop {
            if self.ops.pending.is_some() {
                return Ok(());
            }
            let dg = self.dg()?;
            let Some((buf, pos)) = dg.paused_input.pop_front() else {
                self.drain_handshake_messages()?;
                return self.flush_flight();
            };
            dg.paused_bytes -= buf.len();
            self.process_datagram_from(buf, pos)?;
        }
    }

    fn datagram_change_cipher_spec(&mut self) -> Result<(), Error> {
        if self.dg()?.handshake.has_partial() {
            return Err(PeerMisbehaved::IllegalChangeCipherSpec.into());
        }
        let state = self.state.take().ok_or(Error::Closed)?;
        let next = {
            let mut cx = context!(self);
            match state {
                State::Client12(s) => s.handle_change_cipher_spec(&mut cx)?,
                State::Server12(s) => s.handle_change_cipher_spec(&mut cx)?,
                other => {
                    // A retransmitted CCS after the handshake: harmless.
                    other
                }
            }
        };
        self.enter(next)
    }

    fn datagram_handshake_record(
        &mut self,
        epoch: u16,
        sequence: u64,
        payload: &[u8],
    ) -> Result<(), Error> {
        let is_server = matches!(self.role, super::Role::Server { .. });
        let awaiting_hello = matches!(
            self.state,
            Some(State::Server(ServerState::ExpectClientHello(_)))
        );
        if is_server && epoch == 0 && (awaiting_hello || self.handshake_complete) {
            return self.server_hello_record(sequence, payload, awaiting_hello);
        }
        if self.starts_peer_renegotiation(epoch, payload)? {
            self.dg()?.handshake.restart_sequences();
        }
        match self.dg()?.handshake.receive(epoch, payload)? {
            Received::Retransmission => {
                // The peer did not get our last flight: send it again.
                let dg = self.dg()?;
                if dg.handshake.has_flight() {
                    dg.send_flight()?;
                }
            }
            Received::Progress | Received::Ignored => {}
        }
        Ok(())
    }

    /// Feeds complete in-order handshake messages to the state machine.
    fn drain_handshake_messages(&mut self) -> Result<(), Error> {
        loop {
            if self.ops.pending.is_some() {
                return Ok(());
            }
            let Some((typ, message)) = self.dg()?.handshake.next_message() else {
                return Ok(());
            };
            // The timer keeps running until the peer's flight is complete
            // (we answer it, or the handshake ends): if the rest of a
            // final flight is lost, only our resend can fetch it again.
            self.dg()?.receiving = true;
            self.handle_datagram_message(typ, &message)?;
            if self.ops.pending.is_some() {
                // Preparing our answer (RFC 6347 4.2.4): no resends while a
                // slow operation runs.
                self.dg()?.handshake.disarm();
            }
        }
    }

    /// Whether a handshake record on an established connection opens a
    /// renegotiation the peer starts: message_seq 0 of a HelloRequest (to
    /// a client) or ClientHello (to a server) under the current keys. A
    /// late copy from an earlier handshake is under older keys, or has a
    /// higher message_seq, and is not one.
    fn starts_peer_renegotiation(&mut self, epoch: u16, payload: &[u8]) -> Result<bool, Error> {
        let Some(State::Traffic12(_)) = &self.state else {
            return Ok(false);
        };
        let opening = match self.role {
            super::Role::Client { .. } => HandshakeType::HelloRequest,
            super::Role::Server { .. } => HandshakeType::ClientHello,
        };
        let dg = self.dg()?;
        Ok(epoch > 0
            && epoch == dg.records.read_epoch()
            && dg.handshake.next_receive_seq() != 0
            && payload.len() >= DTLS_HANDSHAKE_HEADER_LEN
            && HandshakeType(payload[0]) == opening
            && payload[4..6] == [0, 0])
    }

    fn handle_datagram_message(&mut self, typ: HandshakeType, message: &[u8]) -> Result<(), Error> {
        let msg = HandshakeMessage {
            typ,
            body: message
                .get(DTLS_HANDSHAKE_HEADER_LEN..)
                .ok_or(InvalidMessage::Truncated)?,
            encoded: message,
        };
        let state = self.state.take().ok_or(Error::Closed)?;
        let mut cx = context!(self);
        let next = match state {
            State::Client12(s) => s.handle(&mut cx, msg)?,
            State::Server12(s) => s.handle(&mut cx, msg)?,
            State::Traffic12(t) => t.handle(&mut cx, msg)?,
            other => {
                return Err(Error::UnexpectedMessage {
                    state: other.name(),
                    content_type: ContentType::Handshake,
                    handshake_type: Some(typ),
                })
            }
        };
        self.enter(next)
    }

    /// A server's epoch-0 ClientHello: the stateless cookie exchange
    /// (RFC 6347 4.2.1), then the handshake proper; on an established
    /// connection, a client that reconnected from the same address
    /// (RFC 6347 4.2.8).
    fn server_hello_record(
        &mut self,
        sequence: u64,
        payload: &[u8],
        awaiting_hello: bool,
    ) -> Result<(), Error> {
        let super::Role::Server { config } = self.role.clone() else {
            return Ok(());
        };
        // Only a whole ClientHello in one record takes part in the
        // stateless exchange; anything else is dropped.
        if payload.len() < DTLS_HANDSHAKE_HEADER_LEN
            || HandshakeType(payload[0]) != HandshakeType::ClientHello
        {
            return Ok(());
        }
        let length = u32::from_be_bytes([0, payload[1], payload[2], payload[3]]) as usize;
        let message_seq = u16::from_be_bytes([payload[4], payload[5]]);
        let offset = u32::from_be_bytes([0, payload[6], payload[7], payload[8]]) as usize;
        let fragment = u32::from_be_bytes([0, payload[9], payload[10], payload[11]]) as usize;
        if offset != 0 || fragment != length || payload.len() != DTLS_HANDSHAKE_HEADER_LEN + length
        {
            return Ok(());
        }
        let body = &payload[DTLS_HANDSHAKE_HEADER_LEN..];
        let Ok(hello) = ClientHello::read(body, true) else {
            return if awaiting_hello {
                Err(InvalidMessage::BadLength.into())
            } else {
                Ok(())
            };
        };
        let now = self.now;
        if let Some(cookies) = config.dtls_cookies.clone() {
            let fields = hello_fields_for_cookie(body)?;
            let client_id = self.dg()?.client_transport_id.clone().unwrap_or_default();
            let cookie = hello.dtls_cookie.as_deref().unwrap_or(&[]);
            let valid = !cookie.is_empty() && cookies.verify(&client_id, &fields, cookie, now);
            if !valid {
                let cookie = cookies.generate(&client_id, &fields, now);
                return self.send_hello_verify_request(sequence, message_seq, cookie);
            }
        }
        if !awaiting_hello {
            // A verified new ClientHello on an established connection: the
            // client restarted; the caller opens a fresh connection for it.
            self.events.push_back(Event::ClientReconnect);
            return Ok(());
        }
        let dg = self.dg()?;
        dg.handshake
            .set_sequences(message_seq, message_seq.wrapping_add(1));
        dg.receiving = true;
        // Continue the record numbering from the client's hello, as a
        // server that kept no state since its HelloVerifyRequest (which
        // repeated an earlier number) must (RFC 6347 4.2.1).
        let mut counters = dg.records.counters();
        if counters.write_epoch == 0 && counters.write_sequence < sequence {
            counters.write_sequence = sequence;
            dg.records.restore_counters(&counters);
        }
        // Our CID is chosen now so the ServerHello can carry it.
        dg.own_cid(&config.common)?;
        self.state = None;
        let next = {
            let mut cx = context!(self);
            crate::handshake::server12::handle_client_hello(config, &mut cx, hello, payload, None)?
        };
        self.enter(next)
    }

    fn send_hello_verify_request(
        &mut self,
        record_sequence: u64,
        message_seq: u16,
        cookie: Vec<u8>,
    ) -> Result<(), Error> {
        let hvr = HelloVerifyRequest::new(ProtocolVersion::DTLSv1_2, cookie)?;
        let mut body = Vec::new();
        hvr.write(&mut body);
        let mut message = Vec::with_capacity(DTLS_HANDSHAKE_HEADER_LEN + body.len());
        message.push(HandshakeType::HelloVerifyRequest.0);
        message.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        message.extend_from_slice(&message_seq.to_be_bytes());
        message.extend_from_slice(&[0, 0, 0]);
        message.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        message.extend_from_slice(&body);
        let dg = self.dg()?;
        // RFC 6347 4.2.1: the HelloVerifyRequest repeats the ClientHello's
        // record sequence number, so the server keeps no state; at epoch 0
        // whatever epoch an established connection writes (4.2.8).
        let mut out = BytesMut::new();
        dg.records.write_stateless_plaintext(
            ContentType::Handshake,
            record_sequence,
            &message,
            &mut out,
        )?;
        dg.out.push_back(out.freeze());
        Ok(())
    }

    /// Sends what the handshake queued and arms the retransmission timer
    /// while an answer is expected.
    pub(super) fn flush_flight(&mut self) -> Result<(), Error> {
        let now = self.now;
        // Established and expecting nothing: not waiting for a ClientHello
        // after our HelloRequest.
        let in_traffic = matches!(
            &self.state,
            Some(State::Traffic12(t)) if t.records_since_request.is_none()
        );
        let dg = self.dg()?;
        if !dg.unsent {
            if in_traffic && dg.receiving {
                // The handshake ended with the peer's flight: ours was
                // answered and must not be resent. Only the side that sent
                // the last flight answers retransmissions (RFC 6347
                // 4.2.4); if both did, every stray copy would start an
                // endless exchange of resends.
                dg.handshake.begin_flight();
                dg.handshake.disarm();
            }
            return Ok(());
        }
        dg.send_flight()?;
        if in_traffic {
            // Our flight ended the handshake (or renegotiation): nothing
            // to wait for; the peer's resend would tell us it was lost.
            dg.handshake.disarm();
        } else {
            dg.handshake.arm(now);
        }
        Ok(())
    }

    /// Timer expiry for DTLS: resend the flight, or give up.
    pub(super) fn datagram_timeout(&mut self, now: Instant) -> Result<(), Error> {
        let dg = self.dg()?;
        match dg.handshake.on_timeout(now) {
            TimerAction::None => Ok(()),
            TimerAction::Resend => dg.send_flight(),
            TimerAction::GiveUp => Err(Error::HandshakeTimeout),
        }
    }

    // ---- DTLS API ----

    /// Changes the path MTU (Mbed TLS set_mtu): records and handshake
    /// fragments sent from now on fit `mtu` bytes.
    pub fn set_mtu(&mut self, mtu: usize) -> Result<(), Error> {
        if !(64..=65_535).contains(&mtu) {
            return Err(ApiMisuse::InvalidMtu.into());
        }
        self.dg()?.options.mtu = mtu;
        Ok(())
    }

    /// Server: the client's transport address (IP and port as bytes),
    /// bound into HelloVerifyRequest cookies (Mbed TLS
    /// set_client_transport_id). Call before feeding its first datagram.
    pub fn set_client_transport_id(&mut self, id: &[u8]) -> Result<(), Error> {
        self.dg()?.client_transport_id = Some(id.to_vec());
        Ok(())
    }

    /// Our connection ID for this connection (Mbed TLS set_cid), before the
    /// handshake; `None` asks for none. Needs `dtls.own_cid_len` set in the
    /// configuration for the extension to be sent.
    pub fn set_cid(&mut self, cid: Option<&[u8]>) -> Result<(), Error> {
        if self.negotiated.version.is_some() {
            return Err(ApiMisuse::HandshakeStarted.into());
        }
        let dg = self.dg()?;
        if cid.is_some_and(|c| c.len() > 255) {
            return Err(ApiMisuse::InvalidCid.into());
        }
        dg.set_own_cid(cid.map(|c| c.to_vec()));
        Ok(())
    }

    /// The CID the peer asked us to put in records (Mbed TLS get_peer_cid).
    pub fn peer_cid(&self) -> Option<&[u8]> {
        self.datagram.as_ref().and_then(|d| d.records.peer_cid())
    }

    /// Mbed TLS check_record: whether `datagram`'s first record is valid,
    /// authentic and new, without changing any state.
    pub fn check_record(&self, datagram: &[u8]) -> Result<(), Error> {
        match &self.datagram {
            Some(dg) => dg.records.check_record(datagram),
            None => Err(ApiMisuse::NotDatagram.into()),
        }
    }

    /// The largest application data `send` takes in one call now (one
    /// record in one datagram; Mbed TLS get_max_out_record_payload).
    pub fn max_out_record_payload(&self) -> usize {
        match &self.datagram {
            Some(dg) => dg.max_payload(),
            None => self.record.max_fragment_out,
        }
    }

    /// Bytes a record adds to its payload at most (Mbed TLS
    /// get_record_expansion).
    pub fn record_expansion(&self) -> usize {
        match &self.datagram {
            Some(dg) => dg.records.expansion(dg.records.write_epoch()),
            None => crate::record::RECORD_HEADER_LEN + 256,
        }
    }

    /// The negotiated DTLS-SRTP profile (Mbed TLS get_dtls_srtp_negotiation_result).
    pub fn srtp_profile(&self) -> Option<SrtpProfile> {
        self.datagram.as_ref().and_then(|d| d.srtp_profile)
    }

    /// The negotiated SRTP MKI, if any.
    pub fn srtp_mki(&self) -> Option<&[u8]> {
        self.datagram.as_ref().and_then(|d| d.srtp_mki.as_deref())
    }

    /// DTLS-SRTP keying material (RFC 5764 4.2): client key, server key,
    /// client salt, server salt for the negotiated profile.
    pub fn srtp_keying_material(&self) -> Result<Vec<u8>, Error> {
        let profile = self.srtp_profile().ok_or(ApiMisuse::NoSrtpProfile)?;
        let (key, salt) = profile.key_and_salt_len();
        let mut out = alloc::vec![0u8; 2 * (key + salt)];
        self.export_keying_material(&mut out, SRTP_EXPORTER_LABEL, None)?;
        Ok(out)
    }
}

/// The cookie generator servers use unless configured otherwise:
/// `HmacCookies` keyed on first use, so that building a configuration
/// (TLS ones too) draws no randomness.
pub(crate) fn default_cookies(
    provider: &Arc<crate::crypto::CryptoProvider>,
) -> Option<Arc<dyn crate::transport::CookieGenerator>> {
    Some(Arc::new(LazyCookies {
        provider: provider.clone(),
        inner: spin::Once::new(),
    }))
}

struct LazyCookies {
    provider: Arc<crate::crypto::CryptoProvider>,
    inner: spin::Once<Option<crate::transport::HmacCookies>>,
}

impl LazyCookies {
    fn get(&self) -> Option<&crate::transport::HmacCookies> {
        self.inner
            .call_once(|| {
                crate::transport::HmacCookies::new(
                    &self.provider,
                    crate::transport::HmacCookies::DEFAULT_ROTATION,
                )
                .ok()
            })
            .as_ref()
    }
}

impl crate::transport::CookieGenerator for LazyCookies {
    fn generate(&self, client_id: &[u8], hello_fields: &[u8], now: Instant) -> Vec<u8> {
        // Without a key no cookie verifies; an empty one makes the client
        // fail visibly rather than loop.
        self.get()
            .map(|c| c.generate(client_id, hello_fields, now))
            .unwrap_or_default()
    }

    fn verify(&self, client_id: &[u8], hello_fields: &[u8], cookie: &[u8], now: Instant) -> bool {
        self.get()
            .is_some_and(|c| c.verify(client_id, hello_fields, cookie, now))
    }
}
