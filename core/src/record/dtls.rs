//! The DTLS 1.2 record layer (RFC 6347 4.1) with connection IDs (RFC 9146).
//!
//! Records carry a 13-byte header: type, version, epoch, 48-bit sequence
//! number, length. Protection reuses the TLS 1.2 cipher code
//! ([`Tls12RecordKeys::seal_with`] / [`Tls12RecordKeys::open_with`]) with
//! the 64-bit sequence value epoch << 48 | sequence_number, which is also
//! the AEAD explicit nonce (RFC 6347 4.1.2.1, 4.1.2.3).
//!
//! Reading follows RFC 6347 4.1.2.7: invalid records are dropped silently
//! and the next record of the datagram is tried; a header that cannot be
//! parsed ends the datagram (the next record's position is unknown). The
//! replay window (4.1.2.6) is checked before anything is decrypted and
//! updated only once a record has authenticated. Failures of
//! authentication are counted against the bad-MAC limit.
//!
//! Writing keeps the previous epoch's keys and sequence number, so that a
//! flight spanning a ChangeCipherSpec (Finished at the new epoch, the rest
//! at the old one) can be retransmitted whole. Reading keeps the previous
//! epoch too, for a peer retransmitting its last flight.

use alloc::vec::Vec;
use core::ops::Range;

use bytes::{BufMut, BytesMut};

use super::tls12::{RecordAad, Tls12RecordKeys, MAX_CID_LEN, TLS12_CID};
use super::tls13::last_nonzero_position;
use super::MAX_PLAINTEXT_LEN;
use super::MAX_TLS12_CIPHERTEXT_LEN;
use crate::codec::Reader;
use crate::config::{DtlsOptions, UnexpectedCid};
use crate::error::{Error, InvalidMessage, PeerMisbehaved};
use crate::msgs::enums::{ContentType, ProtocolVersion};

/// Type (1), version (2), epoch (2), sequence number (6), length (2).
pub(crate) const DTLS_HEADER_LEN: usize = 13;
/// The largest 48-bit sequence number.
const MAX_SEQUENCE: u64 = (1 << 48) - 1;
/// Records the replay window remembers (RFC 6347 4.1.2.6).
const WINDOW: u64 = 64;
/// Peers may send a first ClientHello with DTLS 1.0 in the record header.
const DTLS_1_0: ProtocolVersion = ProtocolVersion(0xfeff);
/// The header up to the length field, with the longest CID.
const MAX_HEADER_PREFIX: usize = DTLS_HEADER_LEN - 2 + MAX_CID_LEN;

/// What the record layer made of one record of a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DtlsRecord {
    /// The real content type (inside the envelope for `tls12_cid`).
    pub content_type: ContentType,
    pub epoch: u16,
    pub sequence: u64,
    /// The plaintext, within the datagram buffer.
    pub plaintext: Range<usize>,
}

/// The sliding anti-replay window of one read epoch: `top` is the highest
/// sequence number authenticated so far, bit `i` of `bits` stands for
/// `top - i`. `bits == 0` means no record yet (bit 0 is set with `top`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct ReplayWindow {
    top: u64,
    bits: u64,
}

impl ReplayWindow {
    /// Whether `seq` is new: above the window, or inside it and unseen.
    fn is_fresh(&self, seq: u64) -> bool {
        if self.bits == 0 || seq > self.top {
            return true;
        }
        let age = self.top - seq;
        age < WINDOW && self.bits & (1 << age) == 0
    }

    /// Marks `seq` as seen, sliding the window up if it is the newest.
    fn mark(&mut self, seq: u64) {
        if self.bits == 0 {
            self.top = seq;
            self.bits = 1;
        } else if seq > self.top {
            let shift = seq - self.top;
            self.bits = if shift >= WINDOW {
                0
            } else {
                self.bits << shift
            };
            self.bits |= 1;
            self.top = seq;
        } else {
            let age = self.top - seq;
            if age < WINDOW {
                self.bits |= 1 << age;
            }
        }
    }
}

/// One write epoch: keys (`None` for the plaintext epoch 0) and the next
/// sequence number.
struct WriteState {
    keys: Option<Tls12RecordKeys>,
    next_seq: u64,
}

/// One read epoch: keys and replay window.
struct ReadState {
    keys: Option<Tls12RecordKeys>,
    window: ReplayWindow,
}

/// Why a record was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drop {
    /// The header does not parse: the rest of the datagram is lost.
    Malformed,
    /// Neither the current nor the previous read epoch.
    UnknownEpoch,
    /// Seen before, or older than the window.
    Replayed,
    /// Authenticated but unusable (no real content type, too long), or a
    /// version that does not fit the epoch.
    Invalid,
    /// Failed authentication.
    Unauthentic,
    /// A connection ID that is not ours, or none where ours is expected.
    UnexpectedCid,
}

impl From<Drop> for Error {
    fn from(d: Drop) -> Self {
        match d {
            Drop::Malformed => InvalidMessage::NotTls.into(),
            Drop::UnknownEpoch => InvalidMessage::IllegalValue("record epoch").into(),
            Drop::Replayed => PeerMisbehaved::ReplayedRecord.into(),
            Drop::Invalid => InvalidMessage::IllegalValue("record content").into(),
            Drop::Unauthentic => Error::DecryptFailed,
            Drop::UnexpectedCid => PeerMisbehaved::UnexpectedConnectionId.into(),
        }
    }
}

/// A parsed record header.
struct Header {
    outer_type: ContentType,
    version: ProtocolVersion,
    epoch: u16,
    seq: u64,
    /// Whether the record is in the `tls12_cid` form.
    has_cid: bool,
    /// 13, plus the CID.
    header_len: usize,
    body_len: usize,
}

impl Header {
    fn record_len(&self) -> usize {
        self.header_len + self.body_len
    }
}

/// The epochs' counters, for saving an established connection (Mbed TLS
/// context_save): epochs, the next write sequence number and the read
/// replay window. Keys are not part of it; the caller derives them again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct DtlsCounters {
    pub write_epoch: u16,
    pub write_sequence: u64,
    pub read_epoch: u16,
    /// Highest sequence number read, and the window bits below it (0: none
    /// read yet).
    pub read_top: u64,
    pub read_bits: u64,
}

impl DtlsCounters {
    /// Bytes of [`Self::encode`]'s output.
    pub const ENCODED_LEN: usize = 2 + 8 + 2 + 6 + 8;

    /// Appends the fixed-length encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.write_epoch.to_be_bytes());
        // Eight bytes: after the last record it is 2^48.
        out.extend_from_slice(&self.write_sequence.to_be_bytes());
        out.extend_from_slice(&self.read_epoch.to_be_bytes());
        out.extend_from_slice(&self.read_top.to_be_bytes()[2..]);
        out.extend_from_slice(&self.read_bits.to_be_bytes());
    }

    /// Reads what [`Self::encode`] wrote.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let write_epoch = r.u16()?;
        let write_sequence = u64_be(r)?;
        let read_epoch = r.u16()?;
        let read_top = r.u48()?;
        let read_bits = u64_be(r)?;
        // The next sequence number may be 2^48 (all used up), no more.
        if write_sequence > MAX_SEQUENCE + 1 {
            return Err(InvalidMessage::IllegalValue("DTLS sequence number"));
        }
        Ok(Self {
            write_epoch,
            write_sequence,
            read_epoch,
            read_top,
            read_bits,
        })
    }
}

fn u64_be(r: &mut Reader<'_>) -> Result<u64, InvalidMessage> {
    let mut b = [0u8; 8];
    b.copy_from_slice(r.take(8)?);
    Ok(u64::from_be_bytes(b))
}

/// The DTLS 1.2 record layer of one connection.
pub(crate) struct DtlsRecordLayer {
    version: ProtocolVersion,
    write_epoch: u16,
    write: WriteState,
    prev_write: Option<WriteState>,
    read_epoch: u16,
    read: ReadState,
    prev_read: Option<ReadState>,
    /// An epoch change would have gone past 2^16 - 1: nothing more is
    /// written (or read).
    write_exhausted: bool,
    read_exhausted: bool,
    own_cid: Option<Vec<u8>>,
    peer_cid: Option<Vec<u8>>,
    anti_replay: bool,
    badmac_limit: u32,
    unexpected_cid: UnexpectedCid,
    bad_records: u32,
    /// Server: epoch-0 ClientHello records are read past the handshake
    /// whatever the replay window says (see [`Self::is_new_client_hello`]).
    accept_new_client_hellos: bool,
}

impl DtlsRecordLayer {
    /// Epoch 0 both ways, plaintext, records of version DTLS 1.2.
    pub fn new(options: &DtlsOptions) -> Self {
        Self {
            version: ProtocolVersion::DTLSv1_2,
            write_epoch: 0,
            write: WriteState {
                keys: None,
                next_seq: 0,
            },
            prev_write: None,
            read_epoch: 0,
            read: ReadState {
                keys: None,
                window: ReplayWindow::default(),
            },
            prev_read: None,
            write_exhausted: false,
            read_exhausted: false,
            own_cid: None,
            peer_cid: None,
            anti_replay: options.anti_replay,
            badmac_limit: options.badmac_limit,
            unexpected_cid: options.unexpected_cid,
            bad_records: 0,
            accept_new_client_hellos: false,
        }
    }

    /// The version written in record headers and expected in (and
    /// authenticated with) protected records. Plaintext records are
    /// accepted with DTLS 1.0's 0xfeff as well.
    pub fn set_version(&mut self, v: ProtocolVersion) {
        self.version = v;
    }

    pub fn write_epoch(&self) -> u16 {
        self.write_epoch
    }

    /// After we send ChangeCipherSpec: epoch + 1 with these keys. The
    /// previous epoch's keys and next sequence number are kept for
    /// retransmissions.
    pub fn install_write(&mut self, keys: Tls12RecordKeys) {
        if self.write_epoch == u16::MAX {
            self.write_exhausted = true;
            return;
        }
        let next = WriteState {
            keys: Some(keys),
            next_seq: 0,
        };
        self.prev_write = Some(core::mem::replace(&mut self.write, next));
        self.write_epoch += 1;
    }

    fn write_state(&self, epoch: u16) -> Option<&WriteState> {
        if epoch == self.write_epoch {
            Some(&self.write)
        } else if self.write_epoch > 0 && epoch == self.write_epoch - 1 {
            self.prev_write.as_ref()
        } else {
            None
        }
    }

    /// Seals `fragment` as one record of `epoch` (the current or the
    /// previous write epoch) onto `out`, with that epoch's next sequence
    /// number. Protected records use the `tls12_cid` form when the peer
    /// gave us a CID.
    pub fn seal(
        &mut self,
        epoch: u16,
        content_type: ContentType,
        fragment: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), Error> {
        if self.write_exhausted {
            return Err(Error::Internal("DTLS epochs exhausted"));
        }
        let state = if epoch == self.write_epoch {
            &mut self.write
        } else if self.write_epoch > 0 && epoch == self.write_epoch - 1 {
            self.prev_write
                .as_mut()
                .ok_or(Error::Internal("no DTLS write state for that epoch"))?
        } else {
            return Err(Error::Internal("no DTLS write state for that epoch"));
        };
        let seq = state.next_seq;
        if seq > MAX_SEQUENCE {
            // Sequence numbers must not wrap (RFC 6347 4.1).
            return Err(Error::Internal("DTLS sequence numbers exhausted"));
        }
        let version = self.version;
        let mut header = [0u8; MAX_HEADER_PREFIX];
        header[0] = content_type.0;
        header[1..3].copy_from_slice(&version.0.to_be_bytes());
        header[3..5].copy_from_slice(&epoch.to_be_bytes());
        header[5..11].copy_from_slice(&seq.to_be_bytes()[2..]);
        match &state.keys {
            None => {
                if fragment.len() > MAX_PLAINTEXT_LEN {
                    return Err(Error::Internal("record fragment over 2^14 bytes"));
                }
                out.reserve(DTLS_HEADER_LEN + fragment.len());
                out.put_slice(&header[..DTLS_HEADER_LEN - 2]);
                out.put_u16(fragment.len() as u16);
                out.put_slice(fragment);
            }
            Some(keys) => {
                let full = (u64::from(epoch) << 48) | seq;
                match self.peer_cid.as_deref() {
                    Some(cid) => {
                        if cid.len() > MAX_CID_LEN {
                            return Err(Error::Internal("connection ID over 255 bytes"));
                        }
                        // RFC 9146 4: the real type goes inside, after the
                        // content; the outer type is tls12_cid.
                        header[0] = TLS12_CID.0;
                        let prefix = DTLS_HEADER_LEN - 2 + cid.len();
                        header[DTLS_HEADER_LEN - 2..prefix].copy_from_slice(cid);
                        let aad = RecordAad::ConnectionId {
                            seq: full,
                            version,
                            cid,
                        };
                        keys.seal_with(out, &header[..prefix], &aad, fragment, &[content_type.0])?;
                    }
                    None => {
                        let aad = RecordAad::Classic {
                            seq: full,
                            content_type,
                            version,
                        };
                        keys.seal_with(out, &header[..DTLS_HEADER_LEN - 2], &aad, fragment, &[])?;
                    }
                }
            }
        }
        state.next_seq = seq + 1;
        Ok(())
    }

    /// Writes `fragment` as a plaintext epoch-0 record with sequence number
    /// `seq` onto `out`, using and changing no write state: the stateless
    /// HelloVerifyRequest (RFC 6347 4.2.1), which an established
    /// connection sends too (4.2.8).
    pub fn write_stateless_plaintext(
        &self,
        content_type: ContentType,
        seq: u64,
        fragment: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), Error> {
        if fragment.len() > MAX_PLAINTEXT_LEN || seq > MAX_SEQUENCE {
            return Err(Error::Internal("stateless DTLS record out of range"));
        }
        out.reserve(DTLS_HEADER_LEN + fragment.len());
        out.put_u8(content_type.0);
        out.put_u16(self.version.0);
        out.put_u16(0);
        out.put_slice(&seq.to_be_bytes()[2..]);
        out.put_u16(fragment.len() as u16);
        out.put_slice(fragment);
        Ok(())
    }

    /// Bytes a record of `epoch` adds to its plaintext at most: header,
    /// CID and inner type byte, explicit nonce or IV, tag or MAC, CBC
    /// padding. For an epoch we cannot write, that of the current one.
    pub fn expansion(&self, epoch: u16) -> usize {
        let state = self.write_state(epoch).unwrap_or(&self.write);
        match &state.keys {
            None => DTLS_HEADER_LEN,
            Some(keys) => {
                let cid = self.peer_cid.as_ref().map_or(0, |c| c.len() + 1);
                DTLS_HEADER_LEN + cid + keys.max_expansion()
            }
        }
    }

    pub fn read_epoch(&self) -> u16 {
        self.read_epoch
    }

    /// After the peer's ChangeCipherSpec: epoch + 1 with these keys and a
    /// fresh replay window. The previous epoch stays readable.
    pub fn install_read(&mut self, keys: Tls12RecordKeys) {
        if self.read_epoch == u16::MAX {
            self.read_exhausted = true;
            return;
        }
        let next = ReadState {
            keys: Some(keys),
            window: ReplayWindow::default(),
        };
        self.prev_read = Some(core::mem::replace(&mut self.read, next));
        self.read_epoch += 1;
    }

    fn read_state(&self, epoch: u16) -> Option<&ReadState> {
        if self.read_exhausted {
            None
        } else if epoch == self.read_epoch {
            Some(&self.read)
        } else if self.read_epoch > 0 && epoch == self.read_epoch - 1 {
            self.prev_read.as_ref()
        } else {
            None
        }
    }

    fn read_state_mut(&mut self, epoch: u16) -> Option<&mut ReadState> {
        if epoch == self.read_epoch {
            Some(&mut self.read)
        } else if self.read_epoch > 0 && epoch == self.read_epoch - 1 {
            self.prev_read.as_mut()
        } else {
            None
        }
    }

    /// Our CID, or `None` when the peer sends records without one (an
    /// empty CID counts as none, RFC 9146 3).
    pub fn own_cid(&self) -> Option<&[u8]> {
        self.own_cid.as_deref().filter(|c| !c.is_empty())
    }

    /// Parses the header of the record at the start of `rec`.
    fn parse_header(&self, rec: &[u8]) -> Result<Header, Drop> {
        if rec.len() < DTLS_HEADER_LEN || rec[1] != 0xfe {
            return Err(Drop::Malformed);
        }
        let outer_type = ContentType(rec[0]);
        let has_cid = outer_type == TLS12_CID;
        let cid_len = if has_cid {
            // Without a CID of our own its length is unknown.
            self.own_cid().ok_or(Drop::Malformed)?.len()
        } else if (20..=23).contains(&outer_type.0) {
            0
        } else {
            return Err(Drop::Malformed);
        };
        let header_len = DTLS_HEADER_LEN + cid_len;
        if rec.len() < header_len {
            return Err(Drop::Malformed);
        }
        let mut seq = [0u8; 8];
        seq[2..].copy_from_slice(&rec[5..11]);
        let body_len = usize::from(u16::from_be_bytes([
            rec[header_len - 2],
            rec[header_len - 1],
        ]));
        if body_len > MAX_TLS12_CIPHERTEXT_LEN || rec.len() - header_len < body_len {
            return Err(Drop::Malformed);
        }
        Ok(Header {
            outer_type,
            version: ProtocolVersion(u16::from_be_bytes([rec[1], rec[2]])),
            epoch: u16::from_be_bytes([rec[3], rec[4]]),
            seq: u64::from_be_bytes(seq),
            has_cid,
            header_len,
            body_len,
        })
    }

    /// Server, once the handshake is complete: read epoch-0 ClientHello
    /// records even
    /// when epoch 0 is no longer readable or the record number was seen
    /// before.
    pub fn set_accept_new_client_hellos(&mut self, on: bool) {
        self.accept_new_client_hellos = on;
    }

    /// A plaintext epoch-0 ClientHello record arriving after we moved past
    /// epoch 0: it belongs to a new association of a client that restarted
    /// (RFC 6347 4.2.8), so it starts its record numbers again from 0 and
    /// the old epoch-0 replay window (if still kept) does not apply. The
    /// connection answers it statelessly (cookie exchange) and only
    /// reports it once its cookie is valid.
    fn is_new_client_hello(&self, record: &[u8], h: &Header) -> bool {
        self.accept_new_client_hellos
            && h.epoch == 0
            && self.read_epoch > 0
            && !h.has_cid
            && h.outer_type == ContentType::Handshake
            && (h.version == self.version || h.version == DTLS_1_0)
            && h.body_len <= MAX_PLAINTEXT_LEN
            && record.get(h.header_len) == Some(&1)
    }

    /// Checks and opens one record (`record` is exactly header and body)
    /// in place, changing no state: the real content type and the
    /// plaintext range within `record`.
    fn open_record(
        &self,
        record: &mut [u8],
        h: &Header,
    ) -> Result<(ContentType, Range<usize>), Drop> {
        if self.is_new_client_hello(record, h) {
            return Ok((h.outer_type, h.header_len..h.record_len()));
        }
        let state = self.read_state(h.epoch).ok_or(Drop::UnknownEpoch)?;
        let Some(keys) = &state.keys else {
            // The plaintext epoch: no CID, either DTLS version.
            if h.has_cid || (h.version != self.version && h.version != DTLS_1_0) {
                return Err(Drop::Invalid);
            }
            if self.anti_replay && !state.window.is_fresh(h.seq) {
                return Err(Drop::Replayed);
            }
            if h.body_len > MAX_PLAINTEXT_LEN {
                return Err(Drop::Invalid);
            }
            return Ok((h.outer_type, h.header_len..h.record_len()));
        };
        let own_cid = self.own_cid();
        match (own_cid, h.has_cid) {
            (Some(own), true) if record[DTLS_HEADER_LEN - 2..h.header_len - 2] == *own => {}
            (None, false) => {}
            _ => return Err(Drop::UnexpectedCid),
        }
        if h.version != self.version {
            return Err(Drop::Invalid);
        }
        if self.anti_replay && !state.window.is_fresh(h.seq) {
            return Err(Drop::Replayed);
        }
        let seq = (u64::from(h.epoch) << 48) | h.seq;
        let aad = match own_cid.filter(|_| h.has_cid) {
            Some(cid) => RecordAad::ConnectionId {
                seq,
                version: h.version,
                cid,
            },
            None => RecordAad::Classic {
                seq,
                content_type: h.outer_type,
                version: h.version,
            },
        };
        let body = &mut record[h.header_len..h.record_len()];
        let range = keys.open_with(body, &aad).map_err(|_| Drop::Unauthentic)?;
        let mut content_type = h.outer_type;
        let mut end = range.end;
        if h.has_cid {
            // DTLSInnerPlaintext: content, real type, zeros.
            let inner = &body[range.clone()];
            let at = last_nonzero_position(inner).ok_or(Drop::Invalid)?;
            content_type = ContentType(inner[at]);
            if !(20..=23).contains(&content_type.0) {
                return Err(Drop::Invalid);
            }
            end = range.start + at;
        }
        if end - range.start > MAX_PLAINTEXT_LEN {
            return Err(Drop::Invalid);
        }
        Ok((content_type, h.header_len + range.start..h.header_len + end))
    }

    /// Opens the next record of `datagram` from `*pos` on, in place, and
    /// moves `*pos` past it. `Ok(None)` at the end of the datagram. Invalid
    /// records are skipped silently; a header that does not parse ends the
    /// datagram. Fails only when the bad-MAC limit is exceeded or a record
    /// carries an unexpected CID under [`UnexpectedCid::Fail`].
    pub fn open_next(
        &mut self,
        datagram: &mut [u8],
        pos: &mut usize,
    ) -> Result<Option<DtlsRecord>, Error> {
        loop {
            let start = *pos;
            let Some(rest) = datagram.get(start..).filter(|r| !r.is_empty()) else {
                *pos = datagram.len();
                return Ok(None);
            };
            let Ok(h) = self.parse_header(rest) else {
                *pos = datagram.len();
                return Ok(None);
            };
            let end = start + h.record_len();
            *pos = end;
            match self.open_record(&mut datagram[start..end], &h) {
                Ok((content_type, range)) => {
                    if let Some(state) = self.read_state_mut(h.epoch) {
                        state.window.mark(h.seq);
                    }
                    return Ok(Some(DtlsRecord {
                        content_type,
                        epoch: h.epoch,
                        sequence: h.seq,
                        plaintext: start + range.start..start + range.end,
                    }));
                }
                Err(Drop::Unauthentic) => {
                    self.bad_records = self.bad_records.saturating_add(1);
                    if self.badmac_limit != 0 && self.bad_records > self.badmac_limit {
                        return Err(PeerMisbehaved::TooManyBadRecords.into());
                    }
                }
                Err(Drop::UnexpectedCid) if self.unexpected_cid == UnexpectedCid::Fail => {
                    return Err(PeerMisbehaved::UnexpectedConnectionId.into());
                }
                Err(_) => {}
            }
        }
    }

    /// Whether the first record of `datagram` is well formed, of a known
    /// epoch, authentic and not a replay, without changing any state (Mbed
    /// TLS check_record). The record is opened in a scratch copy.
    pub fn check_record(&self, datagram: &[u8]) -> Result<(), Error> {
        let h = self.parse_header(datagram)?;
        let mut scratch = datagram[..h.record_len()].to_vec();
        self.open_record(&mut scratch, &h)?;
        Ok(())
    }

    /// The CID the peer puts in the records it sends us (`None` or empty:
    /// records come without one).
    pub fn set_own_cid(&mut self, cid: Option<Vec<u8>>) {
        self.own_cid = cid;
    }

    /// The CID we put in protected records we send (`None` or empty:
    /// plain DTLS records).
    pub fn set_peer_cid(&mut self, cid: Option<Vec<u8>>) {
        self.peer_cid = cid.filter(|c| !c.is_empty());
    }

    pub fn peer_cid(&self) -> Option<&[u8]> {
        self.peer_cid.as_deref()
    }

    /// Epochs, the next write sequence number and the current read window.
    pub fn counters(&self) -> DtlsCounters {
        DtlsCounters {
            write_epoch: self.write_epoch,
            write_sequence: self.write.next_seq,
            read_epoch: self.read_epoch,
            read_top: self.read.window.top,
            read_bits: self.read.window.bits,
        }
    }

    /// Continues from saved counters: call after installing the keys
    /// derived again for the saved epochs. The previous epochs are dropped
    /// (their keys are not part of a saved state).
    pub fn restore_counters(&mut self, c: &DtlsCounters) {
        self.write_epoch = c.write_epoch;
        self.write.next_seq = c.write_sequence;
        self.prev_write = None;
        self.read_epoch = c.read_epoch;
        self.read.window = ReplayWindow {
            top: c.read_top,
            bits: c.read_bits,
        };
        self.prev_read = None;
    }

    /// Records that failed authentication so far.
    pub fn bad_records(&self) -> u32 {
        self.bad_records
    }
}

#[cfg(test)]
#[path = "dtls_tests.rs"]
mod tests;
