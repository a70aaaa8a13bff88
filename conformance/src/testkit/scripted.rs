//! A hand-driven TLS 1.3 client whose every secret is visible.
//!
//! It sends a ClientHello given as bytes (RFC 8448's, for instance), works
//! out the key schedule itself from the public [`KeySchedule`] and the
//! provider's primitives, checks the server's flight, answers with its
//! Finished and then seals and opens records with the application keys. The
//! record protection here is written out independently of the engine's
//! record layer (provider AEAD plus the RFC 8446 5.2 framing), so it
//! cross-checks the engine rather than repeating it.
//!
//! Only TLS_AES_128_GCM_SHA256 with X25519 is supported: that is what the
//! RFC 8448 trace uses.

use std::sync::Arc;

use embertls::crypto::{AeadAlgorithm, CryptoProvider, Hash, Hkdf};
use embertls::handshake::key_schedule::{KeySchedule, LabelPrefix, Secret};
use embertls::msgs::enums::{CipherSuite, ContentType, HandshakeType, HashAlgorithm, NamedGroup};
use embertls::msgs::hello::ServerHello;

use super::deterministic::ScriptedRandom;

/// Record header length.
const HEADER: usize = 5;
const TAG: usize = 16;

/// One direction's AES-128-GCM key, IV and next sequence number.
#[derive(Clone, Debug)]
pub struct DirectionKeys {
    pub key: [u8; 16],
    pub iv: [u8; 12],
    pub seq: u64,
}

impl DirectionKeys {
    /// Key and IV for a traffic secret (RFC 8446 7.3), sequence 0.
    pub fn from_secret(schedule: &KeySchedule, secret: &[u8]) -> Self {
        let mut key = [0u8; 16];
        let mut iv = [0u8; 12];
        schedule
            .traffic_key_iv(&Secret::new(secret), &mut key, &mut iv)
            .expect("traffic key derivation");
        Self { key, iv, seq: 0 }
    }
}

/// The per-record nonce: IV xor the sequence number (RFC 8446 5.3).
pub fn nonce(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut n = *iv;
    for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
        *b ^= s;
    }
    n
}

/// Seals one TLS 1.3 record with AES-128-GCM: inner plaintext is
/// `fragment || content_type || zeros(padding)`, the header is the AAD.
pub fn seal_record(
    provider: &CryptoProvider,
    key: &[u8; 16],
    iv: &[u8; 12],
    seq: u64,
    content_type: ContentType,
    fragment: &[u8],
    padding: usize,
) -> Vec<u8> {
    let aead = provider
        .aead(AeadAlgorithm::Aes128Gcm)
        .expect("AES-128-GCM")
        .new_key(key)
        .expect("AES-128-GCM key");
    let inner_len = fragment.len() + 1 + padding;
    let body_len = inner_len + TAG;
    let mut record = vec![
        ContentType::ApplicationData.0,
        3,
        3,
        (body_len >> 8) as u8,
        body_len as u8,
    ];
    record.extend_from_slice(fragment);
    record.push(content_type.0);
    record.resize(HEADER + body_len, 0);
    let (header, body) = record.split_at_mut(HEADER);
    let (plain, tag) = body.split_at_mut(inner_len);
    aead.seal_in_place(&nonce(iv, seq), header, plain, tag)
        .expect("seal");
    record
}

/// Opens one whole AES-128-GCM TLS 1.3 record: the inner content type and
/// the plaintext without padding.
pub fn open_record(
    provider: &CryptoProvider,
    key: &[u8; 16],
    iv: &[u8; 12],
    seq: u64,
    record: &[u8],
) -> Result<(ContentType, Vec<u8>), String> {
    if record.len() < HEADER + TAG + 1 || record[0] != ContentType::ApplicationData.0 {
        return Err(format!(
            "not a protected record: {:02x?}",
            &record[..5.min(record.len())]
        ));
    }
    let aead = provider
        .aead(AeadAlgorithm::Aes128Gcm)
        .expect("AES-128-GCM")
        .new_key(key)
        .expect("AES-128-GCM key");
    let mut buf = record.to_vec();
    let (header, body) = buf.split_at_mut(HEADER);
    let inner_len = body.len() - TAG;
    let (plain, tag) = body.split_at_mut(inner_len);
    aead.open_in_place(&nonce(iv, seq), header, plain, tag)
        .map_err(|e| format!("record {seq} does not authenticate: {e:?}"))?;
    let type_at = plain
        .iter()
        .rposition(|b| *b != 0)
        .ok_or("inner plaintext is all zeros")?;
    Ok((ContentType(plain[type_at]), plain[..type_at].to_vec()))
}

/// Splits a byte stream into whole records (header included).
pub fn split_records(mut bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < HEADER {
            return Err(format!("{} stray bytes after the last record", bytes.len()));
        }
        let len = HEADER + u16::from_be_bytes([bytes[3], bytes[4]]) as usize;
        if bytes.len() < len {
            return Err(format!("record of {len} bytes cut at {}", bytes.len()));
        }
        let (record, rest) = bytes.split_at(len);
        out.push(record);
        bytes = rest;
    }
    Ok(out)
}

/// Splits concatenated handshake messages (each with its 4-byte header).
pub fn split_handshake_messages(mut bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 4 {
            return Err("handshake header cut".into());
        }
        let len = 4 + u32::from_be_bytes([0, bytes[1], bytes[2], bytes[3]]) as usize;
        if bytes.len() < len {
            return Err("handshake message spans records (not supported here)".into());
        }
        let (msg, rest) = bytes.split_at(len);
        out.push(msg);
        bytes = rest;
    }
    Ok(out)
}

/// Every secret of a full handshake, as bytes.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    pub shared: Vec<u8>,
    pub handshake: Vec<u8>,
    pub client_handshake_traffic: Vec<u8>,
    pub server_handshake_traffic: Vec<u8>,
    pub master: Vec<u8>,
    pub client_application_traffic: Vec<u8>,
    pub server_application_traffic: Vec<u8>,
    pub exporter_master: Vec<u8>,
    pub resumption_master: Vec<u8>,
}

/// What the server's first flight held.
#[derive(Debug)]
pub struct ServerFlight {
    /// The ServerHello record, as sent.
    pub server_hello_record: Vec<u8>,
    pub server_hello: ServerHello,
    /// Whether a ChangeCipherSpec record followed the ServerHello.
    pub change_cipher_spec: bool,
    /// The protected records, as sent.
    pub protected_records: Vec<Vec<u8>>,
    /// The handshake messages inside them (headers included), in order.
    pub messages: Vec<Vec<u8>>,
}

/// The client. See the module documentation.
pub struct ScriptedClient {
    provider: Arc<CryptoProvider>,
    hash: Arc<dyn Hash>,
    hkdf: Arc<dyn Hkdf>,
    private_key: [u8; 32],
    client_hello: Vec<u8>,
    /// Every handshake message so far, concatenated.
    pub transcript: Vec<u8>,
    schedule: KeySchedule,
    pub secrets: Secrets,
    /// Our write keys (handshake, then application).
    pub write: Option<DirectionKeys>,
    /// Our read keys (handshake, then application).
    pub read: Option<DirectionKeys>,
}

impl ScriptedClient {
    /// `client_hello` is the encoded ClientHello handshake message; its
    /// X25519 key share must belong to `private_key`.
    pub fn new(provider: Arc<CryptoProvider>, client_hello: &[u8], private_key: [u8; 32]) -> Self {
        let hash = provider
            .hash(HashAlgorithm::SHA256)
            .expect("SHA-256")
            .clone();
        let hkdf = provider.hkdf(HashAlgorithm::SHA256).expect("HKDF").clone();
        let schedule = KeySchedule::new(hkdf.clone(), LabelPrefix::Tls13, None);
        Self {
            provider,
            hash,
            hkdf,
            private_key,
            client_hello: client_hello.to_vec(),
            transcript: client_hello.to_vec(),
            schedule,
            secrets: Secrets::default(),
            write: None,
            read: None,
        }
    }

    pub fn provider(&self) -> &Arc<CryptoProvider> {
        &self.provider
    }

    pub fn hkdf(&self) -> &Arc<dyn Hkdf> {
        &self.hkdf
    }

    /// SHA-256 of `data`.
    pub fn sha256(&self, data: &[u8]) -> Vec<u8> {
        self.hash.hash(data).as_ref().to_vec()
    }

    /// The ClientHello in a plaintext record (legacy version 0x0301).
    pub fn client_hello_record(&self) -> Vec<u8> {
        let len = self.client_hello.len();
        let mut r = vec![22, 3, 1, (len >> 8) as u8, len as u8];
        r.extend_from_slice(&self.client_hello);
        r
    }

    /// Reads everything the server sent in answer to the ClientHello, up to
    /// and including its Finished (which is checked). Leaves the handshake
    /// keys in place for `finished_record`.
    pub fn read_server_flight(&mut self, bytes: &[u8]) -> Result<ServerFlight, String> {
        let records = split_records(bytes)?;
        let (first, rest) = records.split_first().ok_or("no records")?;
        if first[0] != ContentType::Handshake.0 {
            return Err(format!("first record has type {}", first[0]));
        }
        let sh_msg = &first[HEADER..];
        let msgs = split_handshake_messages(sh_msg)?;
        if msgs.len() != 1 || msgs[0][0] != HandshakeType::ServerHello.0 {
            return Err("first record is not exactly one ServerHello".into());
        }
        let server_hello = ServerHello::read(&sh_msg[4..]).map_err(|e| format!("{e:?}"))?;
        if server_hello.is_retry_request() {
            return Err("HelloRetryRequest (not supported here)".into());
        }
        if server_hello.cipher_suite != CipherSuite::TLS_AES_128_GCM_SHA256 {
            return Err(format!("suite {:?}", server_hello.cipher_suite));
        }
        let share = server_hello
            .extensions
            .key_share
            .as_ref()
            .filter(|s| s.group == NamedGroup::X25519)
            .ok_or("no X25519 key share")?;
        let kx = self
            .provider
            .group(NamedGroup::X25519)
            .ok_or("X25519")?
            .start(&ScriptedRandom::new(&[&self.private_key]))
            .map_err(|e| format!("{e:?}"))?;
        let shared = kx.complete(&share.public).map_err(|e| format!("{e:?}"))?;
        self.secrets.shared = shared.as_ref().to_vec();
        self.transcript.extend_from_slice(sh_msg);

        let empty = self.sha256(&[]);
        self.schedule
            .advance(&empty, Some(shared.as_ref()))
            .map_err(|e| e.to_string())?;
        self.secrets.handshake = self.schedule.current().as_ref().to_vec();
        let th = self.sha256(&self.transcript);
        let c_hs = self.derive(b"c hs traffic", &th)?;
        let s_hs = self.derive(b"s hs traffic", &th)?;
        self.write = Some(DirectionKeys::from_secret(&self.schedule, &c_hs));
        let mut read = DirectionKeys::from_secret(&self.schedule, &s_hs);
        self.secrets.client_handshake_traffic = c_hs;
        self.secrets.server_handshake_traffic = s_hs.clone();

        let mut flight = ServerFlight {
            server_hello_record: first.to_vec(),
            server_hello,
            change_cipher_spec: false,
            protected_records: Vec::new(),
            messages: Vec::new(),
        };
        let mut pending = Vec::new();
        let mut finished = false;
        for record in rest {
            if finished {
                return Err("records after the server Finished".into());
            }
            match ContentType(record[0]) {
                ContentType::ChangeCipherSpec if flight.protected_records.is_empty() => {
                    if record[HEADER..] != [1] {
                        return Err("bad ChangeCipherSpec".into());
                    }
                    flight.change_cipher_spec = true;
                    continue;
                }
                ContentType::ApplicationData => {}
                other => return Err(format!("unexpected {other:?} record")),
            }
            let (typ, plain) = open_record(&self.provider, &read.key, &read.iv, read.seq, record)?;
            read.seq += 1;
            flight.protected_records.push(record.to_vec());
            if typ != ContentType::Handshake {
                return Err(format!("protected {typ:?} during the handshake"));
            }
            pending.extend_from_slice(&plain);
            let msgs = split_handshake_messages(&pending)?;
            for msg in msgs {
                if msg[0] == HandshakeType::Finished.0 {
                    let th = self.sha256(&self.transcript);
                    let expected = self
                        .schedule
                        .finished_verify_data(&Secret::new(&s_hs), &th)
                        .map_err(|e| e.to_string())?;
                    if expected.as_ref() != &msg[4..] {
                        return Err("server Finished does not verify".into());
                    }
                    finished = true;
                }
                self.transcript.extend_from_slice(msg);
                flight.messages.push(msg.to_vec());
            }
            pending.clear();
        }
        if !finished {
            return Err("no server Finished".into());
        }
        self.read = Some(read);

        self.schedule
            .advance(&empty, None)
            .map_err(|e| e.to_string())?;
        self.secrets.master = self.schedule.current().as_ref().to_vec();
        let th = self.sha256(&self.transcript);
        self.secrets.client_application_traffic = self.derive(b"c ap traffic", &th)?;
        self.secrets.server_application_traffic = self.derive(b"s ap traffic", &th)?;
        self.secrets.exporter_master = self.derive(b"exp master", &th)?;
        Ok(flight)
    }

    /// Our Finished in a record under the client handshake keys; afterwards
    /// both directions use the application keys.
    pub fn finished_record(&mut self) -> Vec<u8> {
        let th = self.sha256(&self.transcript);
        let verify_data = self
            .schedule
            .finished_verify_data(&Secret::new(&self.secrets.client_handshake_traffic), &th)
            .expect("finished");
        let mut msg = vec![
            HandshakeType::Finished.0,
            0,
            0,
            verify_data.as_ref().len() as u8,
        ];
        msg.extend_from_slice(verify_data.as_ref());
        self.transcript.extend_from_slice(&msg);
        let record = self.seal(ContentType::Handshake, &msg, 0);
        let th = self.sha256(&self.transcript);
        self.secrets.resumption_master = self.derive(b"res master", &th).expect("res master");
        self.write = Some(DirectionKeys::from_secret(
            &self.schedule,
            &self.secrets.client_application_traffic,
        ));
        self.read = Some(DirectionKeys::from_secret(
            &self.schedule,
            &self.secrets.server_application_traffic,
        ));
        record
    }

    /// Seals a record under our current write keys.
    pub fn seal(&mut self, content_type: ContentType, fragment: &[u8], padding: usize) -> Vec<u8> {
        let keys = self.write.as_mut().expect("no write keys yet");
        let record = seal_record(
            &self.provider,
            &keys.key,
            &keys.iv,
            keys.seq,
            content_type,
            fragment,
            padding,
        );
        keys.seq += 1;
        record
    }

    /// Opens a record from the server under our current read keys.
    pub fn open(&mut self, record: &[u8]) -> Result<(ContentType, Vec<u8>), String> {
        let keys = self.read.as_mut().ok_or("no read keys yet")?;
        let out = open_record(&self.provider, &keys.key, &keys.iv, keys.seq, record)?;
        keys.seq += 1;
        Ok(out)
    }

    /// Moves our write keys to the next application secret (after we send
    /// a KeyUpdate).
    pub fn update_write_keys(&mut self) {
        let next = self.next_secret(&self.secrets.client_application_traffic);
        self.write = Some(DirectionKeys::from_secret(&self.schedule, &next));
        self.secrets.client_application_traffic = next;
    }

    /// Moves our read keys to the next application secret (after the server
    /// sent a KeyUpdate).
    pub fn update_read_keys(&mut self) {
        let next = self.next_secret(&self.secrets.server_application_traffic);
        self.read = Some(DirectionKeys::from_secret(&self.schedule, &next));
        self.secrets.server_application_traffic = next;
    }

    fn next_secret(&self, secret: &[u8]) -> Vec<u8> {
        self.schedule
            .next_traffic_secret(&Secret::new(secret))
            .expect("traffic upd")
            .as_ref()
            .to_vec()
    }

    fn derive(&self, label: &[u8], hash: &[u8]) -> Result<Vec<u8>, String> {
        self.schedule
            .derive(label, hash)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| e.to_string())
    }
}
