//! Serialization of an established DTLS 1.2 connection (Mbed TLS
//! context_save / context_load): another process or host continues it.
//!
//! Layout: magic `ETC`, format, side, version, suite, master secret, both
//! randoms, the extended-master-secret flag, both CIDs, the record
//! counters (epochs, next sequence number, replay window), MTU, ALPN,
//! SRTP profile and MKI, server name, then a CRC-32 of all of it. Keys are
//! not stored: they are derived again from the master secret. The bytes
//! hold the master secret: store them like a private key.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use super::{datagram::Datagram, Connection, Role, State};
use crate::codec::{put_vec_u16, put_vec_u8, Reader, Writer};
use crate::config::{ClientConfig, CommonConfig, ServerConfig, SrtpProfile, Transport};
use crate::error::{ApiMisuse, Error, InvalidMessage};
use crate::handshake::tls12::{derive_keys, Established12, RenegotiationBinding};
use crate::handshake::traffic12::{Side12, Traffic12};
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::record::DtlsCounters;
use crate::session::crc32;
use crate::suites;
use crate::time::Instant;

const MAGIC: &[u8; 3] = b"ETC";
const FORMAT: u8 = 1;
const CLIENT: u8 = 1;
const SERVER: u8 = 2;

fn optional(v: Option<&[u8]>) -> &[u8] {
    v.unwrap_or(&[])
}

impl Connection {
    /// Serializes an established DTLS 1.2 connection with an AEAD suite
    /// (Mbed TLS context_save). Refused while a handshake, an operation,
    /// unsent datagrams, undelivered events or our renegotiation request
    /// (a HelloRequest not yet answered) are pending. The connection
    /// must not be used afterwards (its sequence numbers now live in the
    /// bytes); it is closed without an alert.
    pub fn save(&mut self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let bytes = self.serialize()?;
        self.state = None;
        self.error = Some(Error::Closed);
        Ok(bytes)
    }

    fn serialize(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let dg = self.datagram.as_deref().ok_or(ApiMisuse::NotDatagram)?;
        let Some(State::Traffic12(traffic)) = &self.state else {
            return Err(ApiMisuse::NotSerializable.into());
        };
        let suite = traffic.established.suite;
        if suite.aead().is_none()
            || self.ops.pending.is_some()
            || !dg.out.is_empty()
            || !self.events.is_empty()
            || dg.handshake.has_partial()
            || traffic.records_since_request.is_some()
        {
            return Err(ApiMisuse::NotSerializable.into());
        }
        let side = match self.role {
            Role::Client { .. } => CLIENT,
            Role::Server { .. } => SERVER,
        };
        let established = &traffic.established;
        let mut out = Zeroizing::new(Vec::with_capacity(256));
        out.put_slice(MAGIC);
        out.put_u8(FORMAT);
        out.put_u8(side);
        out.put_u16(ProtocolVersion::DTLSv1_2.0);
        out.put_u16(suite.suite.0);
        out.put_slice(&established.master[..]);
        out.put_slice(&self.negotiated.client_random);
        out.put_slice(&established.server_random);
        out.put_u8(established.extended_master_secret as u8);
        put_vec_u8(&mut out, optional(dg.records.own_cid()));
        put_vec_u8(&mut out, optional(dg.records.peer_cid()));
        dg.records.counters().encode(&mut out);
        out.put_u16(dg.options.mtu.min(u16::MAX as usize) as u16);
        put_vec_u8(&mut out, optional(self.negotiated.alpn.as_deref()));
        out.put_u16(dg.srtp_profile.map_or(0, |p| p.0));
        put_vec_u8(&mut out, optional(dg.srtp_mki.as_deref()));
        put_vec_u16(
            &mut out,
            self.negotiated
                .server_name
                .as_deref()
                .unwrap_or("")
                .as_bytes(),
        );
        let crc = crc32(&out);
        out.put_u32(crc);
        Ok(out)
    }

    /// A client connection continued from [`Connection::save`]'s bytes
    /// (Mbed TLS context_load) under `config`, which must be a DTLS
    /// configuration offering the saved suite.
    pub fn load_client(
        config: Arc<ClientConfig>,
        bytes: &[u8],
        now: Instant,
    ) -> Result<Self, Error> {
        let role = Role::Client {
            config: config.clone(),
            server_name: None,
            session: None,
        };
        Self::load(role, &config.common, CLIENT, bytes, now)
    }

    /// A server connection continued from [`Connection::save`]'s bytes.
    pub fn load_server(
        config: Arc<ServerConfig>,
        bytes: &[u8],
        now: Instant,
    ) -> Result<Self, Error> {
        let role = Role::Server {
            config: config.clone(),
        };
        Self::load(role, &config.common, SERVER, bytes, now)
    }

    fn load(
        role: Role,
        common: &CommonConfig,
        side: u8,
        bytes: &[u8],
        now: Instant,
    ) -> Result<Self, Error> {
        if common.transport != Transport::Datagram {
            return Err(Error::Config(
                "loading a DTLS connection needs a DTLS configuration",
            ));
        }
        let body_len = bytes
            .len()
            .checked_sub(4)
            .ok_or(InvalidMessage::Truncated)?;
        let (body, crc) = bytes.split_at(body_len);
        if crc32(body).to_be_bytes() != crc {
            return Err(InvalidMessage::IllegalValue("connection checksum").into());
        }
        let mut r = Reader::new(body);
        if r.take(3)? != MAGIC || r.u8()? != FORMAT {
            return Err(InvalidMessage::IllegalValue("not an embertls connection").into());
        }
        if r.u8()? != side {
            return Err(InvalidMessage::IllegalValue("saved by the other side").into());
        }
        if ProtocolVersion(r.u16()?) != ProtocolVersion::DTLSv1_2 {
            return Err(InvalidMessage::IllegalValue("connection version").into());
        }
        let suite = suites::by_id(CipherSuite(r.u16()?))
            .filter(|s| !s.is_tls13() && s.aead().is_some())
            .filter(|s| common.usable_suites().iter().any(|u| u.suite == s.suite))
            .ok_or(InvalidMessage::IllegalValue(
                "connection suite not usable here",
            ))?;
        let mut master = Zeroizing::new([0u8; 48]);
        master.copy_from_slice(r.take(48)?);
        let client_random: [u8; 32] = r
            .take(32)?
            .try_into()
            .map_err(|_| InvalidMessage::Truncated)?;
        let server_random: [u8; 32] = r
            .take(32)?
            .try_into()
            .map_err(|_| InvalidMessage::Truncated)?;
        let extended_master_secret = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(InvalidMessage::IllegalValue("EMS flag").into()),
        };
        let own_cid = r.vec_u8()?.to_vec();
        let peer_cid = r.vec_u8()?.to_vec();
        let counters = DtlsCounters::decode(&mut r)?;
        let mtu = r.u16()? as usize;
        let alpn = r.vec_u8()?.to_vec();
        let srtp = r.u16()?;
        let mki = r.vec_u8()?.to_vec();
        let name = r.vec_u16()?.to_vec();
        r.expect_empty()?;
        if counters.write_epoch == 0 || counters.read_epoch == 0 || !(64..=65_535).contains(&mtu) {
            return Err(InvalidMessage::IllegalValue("connection counters").into());
        }
        let server_name = match name.as_slice() {
            [] => None,
            n => Some(
                String::from_utf8(n.to_vec())
                    .map_err(|_| InvalidMessage::IllegalValue("server name"))?,
            ),
        };

        let mut conn = Self::new(role.clone(), common, now);
        conn.negotiated.version = Some(ProtocolVersion::DTLSv1_2);
        conn.negotiated.suite = Some(suite);
        conn.negotiated.client_random = client_random;
        conn.negotiated.alpn = (!alpn.is_empty()).then_some(alpn);
        conn.negotiated.server_name = server_name.clone();
        let keys = derive_keys(
            common,
            &conn.negotiated,
            suite,
            &master,
            &server_random,
            false,
        )?;
        let (write, read) = if side == CLIENT {
            (keys.client_write, keys.server_write)
        } else {
            (keys.server_write, keys.client_write)
        };
        let dg: &mut Datagram = conn.datagram.as_deref_mut().ok_or(Error::Internal(
            "DTLS configuration without a datagram side",
        ))?;
        dg.options.mtu = mtu;
        dg.install_written(write)?;
        dg.install_read(read)?;
        dg.records.restore_counters(&counters);
        dg.records
            .set_own_cid((!own_cid.is_empty()).then_some(own_cid));
        dg.records
            .set_peer_cid((!peer_cid.is_empty()).then_some(peer_cid));
        dg.srtp_profile = (srtp != 0).then_some(SrtpProfile(srtp));
        dg.srtp_mki = (!mki.is_empty()).then_some(mki);
        let side12 = match role {
            Role::Client { config, .. } => Side12::Client {
                config,
                server_name,
            },
            Role::Server { config } => Side12::Server { config },
        };
        conn.state = Some(State::Traffic12(alloc::boxed::Box::new(Traffic12::new(
            side12,
            Established12 {
                suite,
                master,
                server_random,
                extended_master_secret,
                binding: RenegotiationBinding::default(),
            },
        ))));
        conn.handshake_complete = true;
        conn.application_keys_ready = true;
        Ok(conn)
    }
}
