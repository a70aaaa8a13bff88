//! Extension bodies shared by several messages, and the typed extension
//! blocks of ClientHello, ServerHello and EncryptedExtensions.

use alloc::vec::Vec;

use crate::codec::{put_prefixed, put_vec_u16, put_vec_u8, LengthPrefix, Reader, Writer};
use crate::config::SrtpProfile;
use crate::error::InvalidMessage;
use crate::msgs::enums::{ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme};

/// One offered or selected key share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyShareEntry {
    pub group: NamedGroup,
    pub public: Vec<u8>,
}

impl KeyShareEntry {
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let group = NamedGroup(r.u16()?);
        let public = r.vec_u16()?;
        if public.is_empty() {
            return Err(InvalidMessage::EmptyVector);
        }
        Ok(Self {
            group,
            public: public.to_vec(),
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.put_u16(self.group.0);
        put_vec_u16(out, &self.public);
    }
}

/// Iterates `(type, body)` over an extensions block, rejecting duplicates.
/// Returns the block's types in order so callers can check placement rules.
pub(crate) fn for_each_extension<'a>(
    r: &mut Reader<'a>,
    mut visit: impl FnMut(ExtensionType, Reader<'a>) -> Result<(), InvalidMessage>,
) -> Result<Vec<ExtensionType>, InvalidMessage> {
    let mut seen: Vec<ExtensionType> = Vec::new();
    if r.is_empty() {
        // The whole block may be absent (TLS 1.2 hellos without extensions).
        return Ok(seen);
    }
    let mut block = r.sub_u16()?;
    while !block.is_empty() {
        let typ = ExtensionType(block.u16()?);
        let body = block.sub_u16()?;
        if seen.contains(&typ) {
            return Err(InvalidMessage::DuplicateExtension);
        }
        seen.push(typ);
        visit(typ, body)?;
    }
    Ok(seen)
}

/// Checks the framing of an extension list body (without its length prefix).
pub(crate) fn check_extension_list(mut list: Reader<'_>) -> Result<(), InvalidMessage> {
    let mut seen: Vec<ExtensionType> = Vec::new();
    while !list.is_empty() {
        let typ = ExtensionType(list.u16()?);
        list.vec_u16()?;
        if seen.contains(&typ) {
            return Err(InvalidMessage::DuplicateExtension);
        }
        seen.push(typ);
    }
    Ok(())
}

fn read_list<T>(
    mut body: Reader<'_>,
    prefix: LengthPrefix,
    wrap: impl Fn(u16) -> T,
) -> Result<Vec<T>, InvalidMessage> {
    let list = body.u16_list(prefix)?;
    body.expect_empty()?;
    if list.is_empty() {
        return Err(InvalidMessage::EmptyVector);
    }
    Ok(list.into_iter().map(wrap).collect())
}

fn read_empty(body: Reader<'_>) -> Result<(), InvalidMessage> {
    body.expect_empty()
}

fn read_server_name_list(mut body: Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
    let mut list = body.sub_u16()?;
    body.expect_empty()?;
    let mut host = None;
    while !list.is_empty() {
        let name_type = list.u8()?;
        let name = list.vec_u16()?;
        if name_type == 0 {
            if host.is_some() {
                return Err(InvalidMessage::IllegalValue(
                    "two host names in server_name",
                ));
            }
            if name.is_empty() {
                return Err(InvalidMessage::EmptyVector);
            }
            host = Some(name.to_vec());
        }
    }
    host.ok_or(InvalidMessage::IllegalValue(
        "server_name without host_name",
    ))
}

fn read_alpn_list(mut body: Reader<'_>) -> Result<Vec<Vec<u8>>, InvalidMessage> {
    let mut list = body.sub_u16()?;
    body.expect_empty()?;
    let mut out = Vec::new();
    while !list.is_empty() {
        let proto = list.vec_u8()?;
        if proto.is_empty() {
            return Err(InvalidMessage::EmptyVector);
        }
        out.push(proto.to_vec());
    }
    if out.is_empty() {
        return Err(InvalidMessage::EmptyVector);
    }
    Ok(out)
}

fn write_alpn_list(out: &mut Vec<u8>, protocols: &[Vec<u8>]) {
    put_prefixed(out, 2, |o| {
        for p in protocols {
            put_vec_u8(o, p);
        }
    });
}

fn write_ext(out: &mut Vec<u8>, typ: ExtensionType, body: impl FnOnce(&mut Vec<u8>)) {
    out.put_u16(typ.0);
    put_prefixed(out, 2, body);
}

fn write_u16_list(out: &mut Vec<u8>, prefix: usize, items: impl Iterator<Item = u16>) {
    put_prefixed(out, prefix, |o| {
        for i in items {
            o.put_u16(i);
        }
    });
}

/// The use_srtp extension (RFC 5764 4.1.1): the SRTP protection profiles
/// offered (client) or the one selected (server), and the MKI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseSrtp {
    pub profiles: Vec<SrtpProfile>,
    /// `srtp_mki<0..255>`.
    pub mki: Vec<u8>,
}

impl UseSrtp {
    fn read(mut body: Reader<'_>) -> Result<Self, InvalidMessage> {
        let profiles = body.u16_list(LengthPrefix::U16)?;
        if profiles.is_empty() {
            return Err(InvalidMessage::EmptyVector);
        }
        let mki = body.vec_u8()?.to_vec();
        body.expect_empty()?;
        Ok(Self {
            profiles: profiles.into_iter().map(SrtpProfile).collect(),
            mki,
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        write_u16_list(out, 2, self.profiles.iter().map(|p| p.0));
        put_vec_u8(out, &self.mki[..self.mki.len().min(255)]);
    }
}

/// Reads the connection_id extension body (RFC 9146 3: `cid<0..2^8-1>`).
fn read_connection_id(mut body: Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
    let cid = body.vec_u8()?.to_vec();
    body.expect_empty()?;
    Ok(cid)
}

fn write_connection_id(out: &mut Vec<u8>, cid: &[u8]) {
    put_vec_u8(out, &cid[..cid.len().min(255)]);
}

/// One ticket the client offers for resumption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PskIdentity {
    pub identity: Vec<u8>,
    pub obfuscated_ticket_age: u32,
}

/// The pre_shared_key extension of a ClientHello (RFC 8446 4.2.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedPsks {
    pub identities: Vec<PskIdentity>,
    pub binders: Vec<Vec<u8>>,
}

impl OfferedPsks {
    fn read(mut body: Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut ids = body.sub_u16()?;
        let mut identities = Vec::new();
        while !ids.is_empty() {
            let identity = ids.vec_u16()?;
            if identity.is_empty() {
                return Err(InvalidMessage::EmptyVector);
            }
            identities.push(PskIdentity {
                identity: identity.to_vec(),
                obfuscated_ticket_age: ids.u32()?,
            });
        }
        let mut list = body.sub_u16()?;
        body.expect_empty()?;
        let mut binders = Vec::new();
        while !list.is_empty() {
            let binder = list.vec_u8()?;
            if binder.len() < 32 {
                return Err(InvalidMessage::IllegalValue(
                    "PSK binder shorter than 32 bytes",
                ));
            }
            binders.push(binder.to_vec());
        }
        if identities.is_empty() || identities.len() != binders.len() {
            return Err(InvalidMessage::IllegalValue(
                "PSK identities and binders do not pair up",
            ));
        }
        Ok(Self {
            identities,
            binders,
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        put_prefixed(out, 2, |o| {
            for id in &self.identities {
                put_vec_u16(o, &id.identity);
                o.put_u32(id.obfuscated_ticket_age);
            }
        });
        put_prefixed(out, 2, |o| {
            for b in &self.binders {
                put_vec_u8(o, b);
            }
        });
    }

    /// Encoded length of the binders list, which ends the ClientHello: the
    /// transcript for binder computation stops before it.
    pub fn binders_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.len()).sum::<usize>()
    }
}

/// Extensions a ClientHello may carry, parsed. Unknown types are kept by
/// number only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientExtensions {
    pub server_name: Option<Vec<u8>>,
    pub supported_groups: Option<Vec<NamedGroup>>,
    pub signature_algorithms: Option<Vec<SignatureScheme>>,
    pub signature_algorithms_cert: Option<Vec<SignatureScheme>>,
    pub alpn: Option<Vec<Vec<u8>>>,
    pub supported_versions: Option<Vec<ProtocolVersion>>,
    pub key_shares: Option<Vec<KeyShareEntry>>,
    pub cookie: Option<Vec<u8>>,
    pub psk_key_exchange_modes: Option<Vec<u8>>,
    pub ec_point_formats: Option<Vec<u8>>,
    pub renegotiation_info: Option<Vec<u8>>,
    pub session_ticket: Option<Vec<u8>>,
    pub max_fragment_length: Option<u8>,
    pub record_size_limit: Option<u16>,
    /// DTLS-SRTP (RFC 5764): the profiles offered and the client's MKI.
    pub use_srtp: Option<UseSrtp>,
    /// DTLS connection ID (RFC 9146): the CID the client wants to receive.
    pub connection_id: Option<Vec<u8>>,
    pub extended_master_secret: bool,
    pub encrypt_then_mac: bool,
    pub early_data: bool,
    pub post_handshake_auth: bool,
    /// Must be the last extension when present.
    pub pre_shared_key: Option<OfferedPsks>,
    /// Every extension type present, in wire order.
    pub order: Vec<ExtensionType>,
}

impl ClientExtensions {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut ext = Self::default();
        ext.order = for_each_extension(r, |typ, mut body| {
            match typ {
                ExtensionType::ServerName => ext.server_name = Some(read_server_name_list(body)?),
                ExtensionType::SupportedGroups => {
                    ext.supported_groups = Some(read_list(body, LengthPrefix::U16, NamedGroup)?)
                }
                ExtensionType::SignatureAlgorithms => {
                    ext.signature_algorithms =
                        Some(read_list(body, LengthPrefix::U16, SignatureScheme)?)
                }
                ExtensionType::SignatureAlgorithmsCert => {
                    ext.signature_algorithms_cert =
                        Some(read_list(body, LengthPrefix::U16, SignatureScheme)?)
                }
                ExtensionType::Alpn => ext.alpn = Some(read_alpn_list(body)?),
                ExtensionType::SupportedVersions => {
                    ext.supported_versions =
                        Some(read_list(body, LengthPrefix::U8, ProtocolVersion)?)
                }
                ExtensionType::KeyShare => {
                    let mut list = body.sub_u16()?;
                    body.expect_empty()?;
                    let mut shares: Vec<KeyShareEntry> = Vec::new();
                    while !list.is_empty() {
                        let share = KeyShareEntry::read(&mut list)?;
                        if shares.iter().any(|s| s.group == share.group) {
                            return Err(InvalidMessage::IllegalValue("duplicate key share group"));
                        }
                        shares.push(share);
                    }
                    ext.key_shares = Some(shares);
                }
                ExtensionType::Cookie => {
                    let cookie = body.vec_u16()?;
                    body.expect_empty()?;
                    if cookie.is_empty() {
                        return Err(InvalidMessage::EmptyVector);
                    }
                    ext.cookie = Some(cookie.to_vec());
                }
                ExtensionType::PskKeyExchangeModes => {
                    let modes = body.vec_u8()?;
                    body.expect_empty()?;
                    ext.psk_key_exchange_modes = Some(modes.to_vec());
                }
                ExtensionType::EcPointFormats => {
                    let formats = body.vec_u8()?;
                    body.expect_empty()?;
                    ext.ec_point_formats = Some(formats.to_vec());
                }
                ExtensionType::RenegotiationInfo => {
                    let info = body.vec_u8()?;
                    body.expect_empty()?;
                    ext.renegotiation_info = Some(info.to_vec());
                }
                ExtensionType::SessionTicket => ext.session_ticket = Some(body.rest().to_vec()),
                ExtensionType::MaxFragmentLength => {
                    let code = body.u8()?;
                    body.expect_empty()?;
                    ext.max_fragment_length = Some(code);
                }
                ExtensionType::RecordSizeLimit => {
                    let limit = body.u16()?;
                    body.expect_empty()?;
                    if limit < 64 {
                        return Err(InvalidMessage::IllegalValue("record_size_limit below 64"));
                    }
                    ext.record_size_limit = Some(limit);
                }
                ExtensionType::UseSrtp => ext.use_srtp = Some(UseSrtp::read(body)?),
                ExtensionType::ConnectionId => ext.connection_id = Some(read_connection_id(body)?),
                ExtensionType::ExtendedMasterSecret => {
                    read_empty(body)?;
                    ext.extended_master_secret = true
                }
                ExtensionType::EncryptThenMac => {
                    read_empty(body)?;
                    ext.encrypt_then_mac = true
                }
                ExtensionType::EarlyData => {
                    read_empty(body)?;
                    ext.early_data = true
                }
                ExtensionType::PostHandshakeAuth => {
                    read_empty(body)?;
                    ext.post_handshake_auth = true
                }
                ExtensionType::PreSharedKey => ext.pre_shared_key = Some(OfferedPsks::read(body)?),
                _ => {}
            }
            Ok(())
        })?;
        if ext.pre_shared_key.is_some() && ext.order.last() != Some(&ExtensionType::PreSharedKey) {
            return Err(InvalidMessage::IllegalValue(
                "pre_shared_key is not the last extension",
            ));
        }
        Ok(ext)
    }

    /// The types of the extensions present (what `write` sends), without
    /// encoding them.
    pub fn present_types(&self) -> Vec<ExtensionType> {
        use ExtensionType as T;
        [
            (self.server_name.is_some(), T::ServerName),
            (self.max_fragment_length.is_some(), T::MaxFragmentLength),
            (self.renegotiation_info.is_some(), T::RenegotiationInfo),
            (self.supported_groups.is_some(), T::SupportedGroups),
            (self.ec_point_formats.is_some(), T::EcPointFormats),
            (self.session_ticket.is_some(), T::SessionTicket),
            (self.alpn.is_some(), T::Alpn),
            (self.use_srtp.is_some(), T::UseSrtp),
            (self.encrypt_then_mac, T::EncryptThenMac),
            (self.extended_master_secret, T::ExtendedMasterSecret),
            (self.key_shares.is_some(), T::KeyShare),
            (self.supported_versions.is_some(), T::SupportedVersions),
            (self.signature_algorithms.is_some(), T::SignatureAlgorithms),
            (
                self.signature_algorithms_cert.is_some(),
                T::SignatureAlgorithmsCert,
            ),
            (self.cookie.is_some(), T::Cookie),
            (
                self.psk_key_exchange_modes.is_some(),
                T::PskKeyExchangeModes,
            ),
            (self.record_size_limit.is_some(), T::RecordSizeLimit),
            (self.connection_id.is_some(), T::ConnectionId),
            (self.post_handshake_auth, T::PostHandshakeAuth),
            (self.early_data, T::EarlyData),
            (self.pre_shared_key.is_some(), T::PreSharedKey),
        ]
        .into_iter()
        .filter_map(|(present, typ)| present.then_some(typ))
        .collect()
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        put_prefixed(out, 2, |out| {
            if let Some(name) = &self.server_name {
                write_ext(out, ExtensionType::ServerName, |o| {
                    put_prefixed(o, 2, |o| {
                        o.put_u8(0);
                        put_vec_u16(o, name);
                    })
                });
            }
            if let Some(code) = self.max_fragment_length {
                write_ext(out, ExtensionType::MaxFragmentLength, |o| o.put_u8(code));
            }
            if let Some(info) = &self.renegotiation_info {
                write_ext(out, ExtensionType::RenegotiationInfo, |o| {
                    put_vec_u8(o, info)
                });
            }
            if let Some(groups) = &self.supported_groups {
                write_ext(out, ExtensionType::SupportedGroups, |o| {
                    write_u16_list(o, 2, groups.iter().map(|g| g.0))
                });
            }
            if let Some(formats) = &self.ec_point_formats {
                write_ext(out, ExtensionType::EcPointFormats, |o| {
                    put_vec_u8(o, formats)
                });
            }
            if let Some(ticket) = &self.session_ticket {
                write_ext(out, ExtensionType::SessionTicket, |o| o.put_slice(ticket));
            }
            if let Some(protocols) = &self.alpn {
                write_ext(out, ExtensionType::Alpn, |o| write_alpn_list(o, protocols));
            }
            if let Some(srtp) = &self.use_srtp {
                write_ext(out, ExtensionType::UseSrtp, |o| srtp.write(o));
            }
            if self.encrypt_then_mac {
                write_ext(out, ExtensionType::EncryptThenMac, |_| {});
            }
            if self.extended_master_secret {
                write_ext(out, ExtensionType::ExtendedMasterSecret, |_| {});
            }
            if let Some(shares) = &self.key_shares {
                write_ext(out, ExtensionType::KeyShare, |o| {
                    put_prefixed(o, 2, |o| shares.iter().for_each(|s| s.write(o)))
                });
            }
            if let Some(versions) = &self.supported_versions {
                write_ext(out, ExtensionType::SupportedVersions, |o| {
                    write_u16_list(o, 1, versions.iter().map(|v| v.0))
                });
            }
            if let Some(schemes) = &self.signature_algorithms {
                write_ext(out, ExtensionType::SignatureAlgorithms, |o| {
                    write_u16_list(o, 2, schemes.iter().map(|s| s.0))
                });
            }
            if let Some(schemes) = &self.signature_algorithms_cert {
                write_ext(out, ExtensionType::SignatureAlgorithmsCert, |o| {
                    write_u16_list(o, 2, schemes.iter().map(|s| s.0))
                });
            }
            if let Some(cookie) = &self.cookie {
                write_ext(out, ExtensionType::Cookie, |o| put_vec_u16(o, cookie));
            }
            if let Some(modes) = &self.psk_key_exchange_modes {
                write_ext(out, ExtensionType::PskKeyExchangeModes, |o| {
                    put_vec_u8(o, modes)
                });
            }
            if let Some(limit) = self.record_size_limit {
                write_ext(out, ExtensionType::RecordSizeLimit, |o| o.put_u16(limit));
            }
            if let Some(cid) = &self.connection_id {
                write_ext(out, ExtensionType::ConnectionId, |o| {
                    write_connection_id(o, cid)
                });
            }
            if self.post_handshake_auth {
                write_ext(out, ExtensionType::PostHandshakeAuth, |_| {});
            }
            if self.early_data {
                write_ext(out, ExtensionType::EarlyData, |_| {});
            }
            if let Some(psks) = &self.pre_shared_key {
                write_ext(out, ExtensionType::PreSharedKey, |o| psks.write(o));
            }
        });
    }
}

/// What a ServerHello or HelloRetryRequest says in its extensions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHelloExtensions {
    pub supported_version: Option<ProtocolVersion>,
    /// ServerHello: the server's share.
    pub key_share: Option<KeyShareEntry>,
    /// HelloRetryRequest: the group the client must use.
    pub selected_group: Option<NamedGroup>,
    pub cookie: Option<Vec<u8>>,
    pub selected_psk: Option<u16>,
    pub renegotiation_info: Option<Vec<u8>>,
    pub ec_point_formats: Option<Vec<u8>>,
    pub alpn: Option<Vec<u8>>,
    pub max_fragment_length: Option<u8>,
    /// TLS 1.2 servers may answer record_size_limit in ServerHello.
    pub record_size_limit: Option<u16>,
    /// DTLS-SRTP (RFC 5764): exactly one selected profile and the MKI.
    pub use_srtp: Option<UseSrtp>,
    /// DTLS connection ID (RFC 9146): the CID the server wants to receive.
    pub connection_id: Option<Vec<u8>>,
    pub extended_master_secret: bool,
    pub encrypt_then_mac: bool,
    pub session_ticket: bool,
    pub order: Vec<ExtensionType>,
}

impl ServerHelloExtensions {
    pub(crate) fn read(r: &mut Reader<'_>, is_retry: bool) -> Result<Self, InvalidMessage> {
        let mut ext = Self::default();
        ext.order = for_each_extension(r, |typ, mut body| {
            match typ {
                ExtensionType::SupportedVersions => {
                    ext.supported_version = Some(ProtocolVersion(body.u16()?));
                    body.expect_empty()?;
                }
                ExtensionType::KeyShare if is_retry => {
                    ext.selected_group = Some(NamedGroup(body.u16()?));
                    body.expect_empty()?;
                }
                ExtensionType::KeyShare => {
                    ext.key_share = Some(KeyShareEntry::read(&mut body)?);
                    body.expect_empty()?;
                }
                ExtensionType::Cookie => {
                    let cookie = body.vec_u16()?;
                    body.expect_empty()?;
                    if cookie.is_empty() {
                        return Err(InvalidMessage::EmptyVector);
                    }
                    ext.cookie = Some(cookie.to_vec());
                }
                ExtensionType::PreSharedKey => {
                    ext.selected_psk = Some(body.u16()?);
                    body.expect_empty()?;
                }
                ExtensionType::RenegotiationInfo => {
                    ext.renegotiation_info = Some(body.vec_u8()?.to_vec());
                    body.expect_empty()?;
                }
                ExtensionType::EcPointFormats => {
                    ext.ec_point_formats = Some(body.vec_u8()?.to_vec());
                    body.expect_empty()?;
                }
                ExtensionType::Alpn => ext.alpn = Some(read_single_alpn(body)?),
                ExtensionType::MaxFragmentLength => {
                    ext.max_fragment_length = Some(body.u8()?);
                    body.expect_empty()?;
                }
                ExtensionType::RecordSizeLimit => {
                    let limit = body.u16()?;
                    body.expect_empty()?;
                    if limit < 64 {
                        return Err(InvalidMessage::IllegalValue("record_size_limit below 64"));
                    }
                    ext.record_size_limit = Some(limit);
                }
                ExtensionType::ExtendedMasterSecret => {
                    read_empty(body)?;
                    ext.extended_master_secret = true
                }
                ExtensionType::EncryptThenMac => {
                    read_empty(body)?;
                    ext.encrypt_then_mac = true
                }
                ExtensionType::SessionTicket => {
                    read_empty(body)?;
                    ext.session_ticket = true
                }
                ExtensionType::UseSrtp => {
                    let srtp = UseSrtp::read(body)?;
                    if srtp.profiles.len() != 1 {
                        return Err(InvalidMessage::IllegalValue(
                            "use_srtp answer without exactly one profile",
                        ));
                    }
                    ext.use_srtp = Some(srtp);
                }
                ExtensionType::ConnectionId => ext.connection_id = Some(read_connection_id(body)?),
                _ => {}
            }
            Ok(())
        })?;
        Ok(ext)
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        put_prefixed(out, 2, |out| {
            if let Some(share) = &self.key_share {
                write_ext(out, ExtensionType::KeyShare, |o| share.write(o));
            }
            if let Some(group) = self.selected_group {
                write_ext(out, ExtensionType::KeyShare, |o| o.put_u16(group.0));
            }
            if let Some(psk) = self.selected_psk {
                write_ext(out, ExtensionType::PreSharedKey, |o| o.put_u16(psk));
            }
            if let Some(version) = self.supported_version {
                write_ext(out, ExtensionType::SupportedVersions, |o| {
                    o.put_u16(version.0)
                });
            }
            if let Some(cookie) = &self.cookie {
                write_ext(out, ExtensionType::Cookie, |o| put_vec_u16(o, cookie));
            }
            if let Some(info) = &self.renegotiation_info {
                write_ext(out, ExtensionType::RenegotiationInfo, |o| {
                    put_vec_u8(o, info)
                });
            }
            if let Some(code) = self.max_fragment_length {
                write_ext(out, ExtensionType::MaxFragmentLength, |o| o.put_u8(code));
            }
            if let Some(formats) = &self.ec_point_formats {
                write_ext(out, ExtensionType::EcPointFormats, |o| {
                    put_vec_u8(o, formats)
                });
            }
            if self.session_ticket {
                write_ext(out, ExtensionType::SessionTicket, |_| {});
            }
            if let Some(limit) = self.record_size_limit {
                write_ext(out, ExtensionType::RecordSizeLimit, |o| o.put_u16(limit));
            }
            if let Some(proto) = &self.alpn {
                write_ext(out, ExtensionType::Alpn, |o| {
                    write_alpn_list(o, core::slice::from_ref(proto))
                });
            }
            if self.encrypt_then_mac {
                write_ext(out, ExtensionType::EncryptThenMac, |_| {});
            }
            if self.extended_master_secret {
                write_ext(out, ExtensionType::ExtendedMasterSecret, |_| {});
            }
            if let Some(srtp) = &self.use_srtp {
                write_ext(out, ExtensionType::UseSrtp, |o| srtp.write(o));
            }
            if let Some(cid) = &self.connection_id {
                write_ext(out, ExtensionType::ConnectionId, |o| {
                    write_connection_id(o, cid)
                });
            }
        });
    }
}

fn read_single_alpn(body: Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
    let mut list = read_alpn_list(body)?;
    if list.len() != 1 {
        return Err(InvalidMessage::IllegalValue(
            "server selected several ALPN protocols",
        ));
    }
    Ok(list.remove(0))
}

/// TLS 1.3 EncryptedExtensions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncryptedExtensions {
    /// The server acknowledged our server_name.
    pub server_name_ack: bool,
    pub alpn: Option<Vec<u8>>,
    pub supported_groups: Option<Vec<NamedGroup>>,
    pub max_fragment_length: Option<u8>,
    pub record_size_limit: Option<u16>,
    pub early_data: bool,
    pub order: Vec<ExtensionType>,
}

impl EncryptedExtensions {
    pub fn read(body: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        if r.is_empty() {
            return Err(InvalidMessage::Truncated);
        }
        let mut ext = Self::default();
        ext.order = for_each_extension(&mut r, |typ, mut body| {
            match typ {
                ExtensionType::ServerName => {
                    read_empty(body)?;
                    ext.server_name_ack = true
                }
                ExtensionType::Alpn => ext.alpn = Some(read_single_alpn(body)?),
                ExtensionType::SupportedGroups => {
                    ext.supported_groups = Some(read_list(body, LengthPrefix::U16, NamedGroup)?)
                }
                ExtensionType::MaxFragmentLength => {
                    ext.max_fragment_length = Some(body.u8()?);
                    body.expect_empty()?;
                }
                ExtensionType::RecordSizeLimit => {
                    let limit = body.u16()?;
                    body.expect_empty()?;
                    if limit < 64 {
                        return Err(InvalidMessage::IllegalValue("record_size_limit below 64"));
                    }
                    ext.record_size_limit = Some(limit);
                }
                ExtensionType::EarlyData => {
                    read_empty(body)?;
                    ext.early_data = true
                }
                _ => {}
            }
            Ok(())
        })?;
        r.expect_empty()?;
        Ok(ext)
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        put_prefixed(out, 2, |out| {
            if self.server_name_ack {
                write_ext(out, ExtensionType::ServerName, |_| {});
            }
            if let Some(proto) = &self.alpn {
                write_ext(out, ExtensionType::Alpn, |o| {
                    write_alpn_list(o, core::slice::from_ref(proto))
                });
            }
            if let Some(groups) = &self.supported_groups {
                write_ext(out, ExtensionType::SupportedGroups, |o| {
                    write_u16_list(o, 2, groups.iter().map(|g| g.0))
                });
            }
            if let Some(code) = self.max_fragment_length {
                write_ext(out, ExtensionType::MaxFragmentLength, |o| o.put_u8(code));
            }
            if let Some(limit) = self.record_size_limit {
                write_ext(out, ExtensionType::RecordSizeLimit, |o| o.put_u16(limit));
            }
            if self.early_data {
                write_ext(out, ExtensionType::EarlyData, |_| {});
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// An extension block holding one extension with `body`.
    fn block(typ: ExtensionType, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        put_prefixed(&mut out, 2, |o| write_ext(o, typ, |o| o.put_slice(body)));
        out
    }

    fn client(bytes: &[u8]) -> Result<ClientExtensions, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let ext = ClientExtensions::read(&mut r)?;
        r.expect_empty()?;
        Ok(ext)
    }

    fn server(bytes: &[u8]) -> Result<ServerHelloExtensions, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let ext = ServerHelloExtensions::read(&mut r, false)?;
        r.expect_empty()?;
        Ok(ext)
    }

    #[test]
    fn use_srtp_client_round_trip_and_wire_form() {
        let ext = ClientExtensions {
            use_srtp: Some(UseSrtp {
                profiles: vec![SrtpProfile::AES128_CM_HMAC_SHA1_80, SrtpProfile(0x0007)],
                mki: vec![0xaa],
            }),
            ..Default::default()
        };
        let mut bytes = Vec::new();
        ext.write(&mut bytes);
        assert_eq!(
            bytes,
            [0, 12, 0, 14, 0, 8, 0, 4, 0, 1, 0, 7, 1, 0xaa],
            "RFC 5764 4.1.1 layout"
        );
        let mut parsed = client(&bytes).unwrap();
        assert_eq!(parsed.order, [ExtensionType::UseSrtp]);
        assert_eq!(parsed.order, ext.present_types());
        parsed.order.clear();
        assert_eq!(parsed, ext);
        for cut in 0..bytes.len() {
            assert!(client(&bytes[..cut]).is_err() || cut == 0, "cut {cut}");
        }
    }

    #[test]
    fn use_srtp_bad_lengths() {
        let t = ExtensionType::UseSrtp;
        // Empty profile list, odd profile list, MKI longer than the body,
        // trailing bytes, no MKI length at all.
        assert_eq!(
            client(&block(t, &[0, 0, 0])),
            Err(InvalidMessage::EmptyVector)
        );
        assert_eq!(
            client(&block(t, &[0, 3, 0, 1, 0, 0])),
            Err(InvalidMessage::BadLength)
        );
        assert_eq!(
            client(&block(t, &[0, 2, 0, 1, 2, 9])),
            Err(InvalidMessage::Truncated)
        );
        assert_eq!(
            client(&block(t, &[0, 2, 0, 1, 0, 0])),
            Err(InvalidMessage::TrailingData)
        );
        assert_eq!(
            client(&block(t, &[0, 2, 0, 1])),
            Err(InvalidMessage::Truncated)
        );
        assert_eq!(
            client(&block(t, &[0, 4, 0, 1])),
            Err(InvalidMessage::Truncated)
        );
    }

    #[test]
    fn use_srtp_server_selects_exactly_one() {
        let one = UseSrtp {
            profiles: vec![SrtpProfile::NULL_HMAC_SHA1_32],
            mki: vec![],
        };
        let ext = ServerHelloExtensions {
            use_srtp: Some(one.clone()),
            connection_id: Some(vec![1, 2, 3, 4]),
            extended_master_secret: true,
            ..Default::default()
        };
        let mut bytes = Vec::new();
        ext.write(&mut bytes);
        let mut parsed = server(&bytes).unwrap();
        assert_eq!(
            parsed.order,
            [
                ExtensionType::ExtendedMasterSecret,
                ExtensionType::UseSrtp,
                ExtensionType::ConnectionId
            ]
        );
        parsed.order.clear();
        assert_eq!(parsed, ext);
        for cut in 1..bytes.len() {
            assert!(server(&bytes[..cut]).is_err(), "cut {cut}");
        }
        let two = [0, 4, 0, 1, 0, 2, 0];
        assert!(matches!(
            server(&block(ExtensionType::UseSrtp, &two)),
            Err(InvalidMessage::IllegalValue(_))
        ));
        assert_eq!(
            server(&block(ExtensionType::UseSrtp, &[0, 0, 0])),
            Err(InvalidMessage::EmptyVector)
        );
    }

    #[test]
    fn connection_id_codec() {
        let t = ExtensionType::ConnectionId;
        // Empty CID: "send me none" (RFC 9146 3).
        assert_eq!(client(&block(t, &[0])).unwrap().connection_id, Some(vec![]));
        assert_eq!(
            server(&block(t, &[2, 7, 8])).unwrap().connection_id,
            Some(vec![7, 8])
        );
        assert_eq!(client(&block(t, &[])), Err(InvalidMessage::Truncated));
        assert_eq!(
            client(&block(t, &[3, 1, 2])),
            Err(InvalidMessage::Truncated)
        );
        assert_eq!(
            server(&block(t, &[1, 1, 2])),
            Err(InvalidMessage::TrailingData)
        );
        // Maximal CID round trips; an over-long one is cut to 255 bytes.
        for (len, sent) in [(255usize, 255usize), (300, 255)] {
            let ext = ClientExtensions {
                connection_id: Some(vec![5; len]),
                ..Default::default()
            };
            let mut bytes = Vec::new();
            ext.write(&mut bytes);
            assert_eq!(client(&bytes).unwrap().connection_id.unwrap().len(), sent);
        }
    }

    #[test]
    fn dtls_extensions_keep_pre_shared_key_last() {
        let ext = ClientExtensions {
            use_srtp: Some(UseSrtp {
                profiles: SrtpProfile::ALL.to_vec(),
                mki: vec![],
            }),
            connection_id: Some(vec![1]),
            record_size_limit: Some(1000),
            pre_shared_key: Some(OfferedPsks {
                identities: vec![PskIdentity {
                    identity: vec![1],
                    obfuscated_ticket_age: 0,
                }],
                binders: vec![vec![0; 32]],
            }),
            ..Default::default()
        };
        let mut bytes = Vec::new();
        ext.write(&mut bytes);
        let parsed = client(&bytes).unwrap();
        assert_eq!(parsed.order, ext.present_types());
        assert_eq!(parsed.order.last(), Some(&ExtensionType::PreSharedKey));
        assert_eq!(parsed.use_srtp, ext.use_srtp);
        assert_eq!(parsed.connection_id, Some(vec![1]));
    }
}
