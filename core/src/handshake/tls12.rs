//! What the TLS 1.2 client and server share: the key derivation (RFC 5246
//! 8.1 and 6.3, RFC 7627 extended master secret, RFC 4279 PSK premaster
//! secrets), Finished, the signed ServerKeyExchange content, the session
//! state kept in tickets and the session cache, and the connection after
//! the handshake.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{Context, Negotiated};
use crate::codec::{put_vec_u16, put_vec_u8, Reader, Writer};
use crate::config::{CommonConfig, ExportedKeys};
use crate::crypto::{CryptoProvider, Hash, HashContext, HashOutput, Tls12Prf, UnixTime};
use crate::error::{ApiMisuse, Error, InvalidMessage, PeerMisbehaved};
use crate::msgs::enums::{CipherSuite, ProtocolVersion};
use crate::msgs::handshake12::VERIFY_DATA_LEN;
use crate::record::Protection;
use crate::suites::SuiteInfo;

/// The PRF hash of a TLS 1.2 transcript that is kept as raw bytes (for
/// CertificateVerify), fed incrementally: each hash of the transcript so far
/// absorbs only the bytes added since the previous one, instead of hashing
/// everything again (the EMS session hash and both Finished messages).
#[derive(Default)]
pub(crate) struct TranscriptHash12 {
    running: Option<Box<dyn HashContext>>,
    /// Transcript bytes already absorbed by `running`.
    absorbed: usize,
}

impl TranscriptHash12 {
    /// The hash of `transcript`, which must extend the transcript of every
    /// earlier call (the handshakes only ever append to it).
    pub(crate) fn hash(&mut self, hash: &dyn Hash, transcript: &[u8]) -> HashOutput {
        let running = match &mut self.running {
            Some(running) if self.absorbed <= transcript.len() => running,
            _ => {
                self.absorbed = 0;
                self.running.insert(hash.start())
            }
        };
        running.update(&transcript[self.absorbed..]);
        self.absorbed = transcript.len();
        running.current()
    }
}

pub(crate) const MASTER_SECRET_LEN: usize = 48;

pub(crate) type MasterSecret = Zeroizing<[u8; MASTER_SECRET_LEN]>;

/// The PRF of a suite.
pub(crate) fn prf_for(
    provider: &CryptoProvider,
    suite: &SuiteInfo,
) -> Result<Arc<dyn Tls12Prf>, Error> {
    provider
        .prf(suite.hash)
        .cloned()
        .ok_or(Error::Internal("suite PRF missing"))
}

/// RFC 5246 8.1 and RFC 7627 4: the master secret, from the randoms or,
/// with the extended master secret, from the session hash.
pub(crate) fn master_secret(
    prf: &dyn Tls12Prf,
    premaster: &[u8],
    session_hash: Option<&[u8]>,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> MasterSecret {
    let mut master = Zeroizing::new([0u8; MASTER_SECRET_LEN]);
    match session_hash {
        Some(hash) => prf.prf(premaster, b"extended master secret", hash, &mut *master),
        None => {
            let mut seed = [0u8; 64];
            seed[..32].copy_from_slice(client_random);
            seed[32..].copy_from_slice(server_random);
            prf.prf(premaster, b"master secret", &seed, &mut *master);
        }
    }
    master
}

/// RFC 4279 2: the premaster secret of the PSK key exchanges, from the
/// other secret (zeros for plain PSK, the DH/ECDH/RSA secret otherwise).
pub(crate) fn psk_premaster(other_secret: Option<&[u8]>, psk: &[u8]) -> Zeroizing<Vec<u8>> {
    let zeros = Zeroizing::new(alloc::vec![0u8; psk.len()]);
    let other = other_secret.unwrap_or(&zeros);
    let mut out = Zeroizing::new(Vec::with_capacity(4 + other.len() + psk.len()));
    put_vec_u16(&mut out, other);
    put_vec_u16(&mut out, psk);
    out
}

/// A DH shared secret loses its leading zero bytes (RFC 5246 8.1.2).
pub(crate) use crate::crypto::ffdh::strip_leading_zeros;

/// Finished verify_data (RFC 5246 7.4.9).
pub(crate) fn verify_data(
    prf: &dyn Tls12Prf,
    master: &[u8],
    from_client: bool,
    handshake_hash: &[u8],
) -> [u8; VERIFY_DATA_LEN] {
    let label: &[u8] = if from_client {
        b"client finished"
    } else {
        b"server finished"
    };
    let mut out = [0u8; VERIFY_DATA_LEN];
    prf.prf(master, label, handshake_hash, &mut out);
    out
}

/// Constant-time check of a received TLS 1.2 Finished.
pub(crate) fn check_verify_data(expected: &[u8], received: &[u8]) -> Result<(), Error> {
    if expected.len() == received.len() && bool::from(expected.ct_eq(received)) {
        Ok(())
    } else {
        Err(PeerMisbehaved::BadFinished.into())
    }
}

/// What a ServerKeyExchange signature covers (RFC 5246 7.4.3).
pub(crate) fn signed_params(
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    params: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(64 + params.len());
    m.extend_from_slice(client_random);
    m.extend_from_slice(server_random);
    m.extend_from_slice(params);
    m
}

/// Record protection both ways, derived from the master secret.
pub(crate) struct Tls12Keys {
    pub client_write: Protection,
    pub server_write: Protection,
}

/// Derives the key block, hands it to the key-export hook and the key log,
/// and builds record protection for both directions.
pub(crate) fn derive_keys(
    common: &CommonConfig,
    negotiated: &Negotiated,
    suite: &'static SuiteInfo,
    master: &MasterSecret,
    server_random: &[u8; 32],
    encrypt_then_mac: bool,
) -> Result<Tls12Keys, Error> {
    let prf = prf_for(&common.provider, suite)?;
    let client_random = &negotiated.client_random;
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(server_random);
    seed[32..].copy_from_slice(client_random);
    let len = crate::record::tls12_key_block_len(suite);
    let mut key_block = Zeroizing::new(alloc::vec![0u8; len]);
    prf.prf(&master[..], b"key expansion", &seed, &mut key_block);
    if let Some(log) = &common.key_log {
        log.log("CLIENT_RANDOM", client_random, &master[..]);
    }
    if let Some(hook) = &common.tls12.key_export {
        hook.export(&ExportedKeys {
            master_secret: &master[..],
            key_block: &key_block,
            client_random,
            server_random,
            prf: suite.hash,
        });
    }
    let version = match common.transport {
        crate::config::Transport::Stream => ProtocolVersion::TLSv1_2,
        crate::config::Transport::Datagram => ProtocolVersion::DTLSv1_2,
    };
    let pair = crate::record::tls12_record_keys(
        suite,
        &common.provider,
        &key_block,
        encrypt_then_mac,
        version,
    )?;
    Ok(Tls12Keys {
        client_write: Protection::Tls12(pair.client_write),
        server_write: Protection::Tls12(pair.server_write),
    })
}

/// Whether a CBC suite may be used given whether Encrypt-then-MAC was
/// negotiated.
pub(crate) fn bulk_allowed(common: &CommonConfig, suite: &SuiteInfo, etm: bool) -> bool {
    match suite.bulk {
        crate::suites::Bulk::Aead(_) => true,
        crate::suites::Bulk::Cbc { .. } => etm || common.tls12.allow_mac_then_encrypt,
    }
}

/// RFC 5705 keying-material exporter over the TLS 1.2 PRF.
pub(crate) fn export_keying_material(
    prf: &dyn Tls12Prf,
    master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    out: &mut [u8],
    label: &[u8],
    context: Option<&[u8]>,
) -> Result<(), Error> {
    // Labels the protocol itself uses are reserved (RFC 5705 4).
    for reserved in [
        &b"client finished"[..],
        b"server finished",
        b"master secret",
        b"key expansion",
        b"extended master secret",
    ] {
        if label == reserved {
            return Err(ApiMisuse::ReservedExporterLabel.into());
        }
    }
    let mut seed = Vec::with_capacity(64 + context.map_or(0, |c| 2 + c.len()));
    seed.extend_from_slice(client_random);
    seed.extend_from_slice(server_random);
    if let Some(context) = context {
        if context.len() > 0xffff {
            return Err(ApiMisuse::ReservedExporterLabel.into());
        }
        put_vec_u16(&mut seed, context);
    }
    prf.prf(master, label, &seed, out);
    Ok(())
}

/// The TLS 1.2 PRF as a public function (Mbed TLS ssl_tls_prf).
pub fn tls12_prf(
    provider: &CryptoProvider,
    hash: crate::msgs::enums::HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    out: &mut [u8],
) -> Result<(), Error> {
    let prf = provider.prf(hash).ok_or(Error::Crypto(
        crate::error::CryptoError::UnsupportedAlgorithm,
    ))?;
    prf.prf(secret, label, seed, out);
    Ok(())
}

/// A TLS 1.2 session as tickets and the session cache keep it: the master
/// secret and what must match on resumption. Versioned so that a server
/// upgrade refuses old state cleanly.
pub(crate) struct SessionState12 {
    /// TLS 1.2 or DTLS 1.2: a session resumes only on its own transport.
    pub version: ProtocolVersion,
    pub suite: CipherSuite,
    pub master: MasterSecret,
    pub extended_master_secret: bool,
    pub issued_at: UnixTime,
    pub server_name: Option<String>,
    pub alpn: Option<Vec<u8>>,
}

const STATE_FORMAT: u8 = 3;

impl SessionState12 {
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(96));
        out.put_u8(STATE_FORMAT);
        out.put_u16(self.version.0);
        out.put_u16(self.suite.0);
        out.put_slice(&self.master[..]);
        out.put_u8(self.extended_master_secret as u8);
        out.extend_from_slice(&self.issued_at.0.to_be_bytes());
        put_vec_u16(
            &mut out,
            self.server_name.as_deref().unwrap_or("").as_bytes(),
        );
        put_vec_u8(&mut out, self.alpn.as_deref().unwrap_or(&[]));
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        if r.u8()? != STATE_FORMAT {
            return Err(InvalidMessage::IllegalValue("session state format"));
        }
        let version = ProtocolVersion(r.u16()?);
        if ![ProtocolVersion::TLSv1_2, ProtocolVersion::DTLSv1_2].contains(&version) {
            return Err(InvalidMessage::IllegalValue("session state version"));
        }
        let suite = CipherSuite(r.u16()?);
        let mut master = Zeroizing::new([0u8; MASTER_SECRET_LEN]);
        master.copy_from_slice(r.take(MASTER_SECRET_LEN)?);
        let extended_master_secret = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(InvalidMessage::IllegalValue("session state EMS flag")),
        };
        let issued_at = UnixTime(u64::from(r.u32()?) << 32 | u64::from(r.u32()?));
        let name = r.vec_u16()?;
        let alpn = r.vec_u8()?;
        r.expect_empty()?;
        let server_name = match name {
            [] => None,
            n => Some(
                String::from_utf8(n.to_vec())
                    .map_err(|_| InvalidMessage::IllegalValue("session state server name"))?,
            ),
        };
        Ok(Self {
            version,
            suite,
            master,
            extended_master_secret,
            issued_at,
            server_name,
            alpn: (!alpn.is_empty()).then(|| alpn.to_vec()),
        })
    }
}

/// Both Finished values of the last handshake: secure renegotiation
/// (RFC 5746) binds the next handshake to them.
#[derive(Clone, Default)]
pub(crate) struct RenegotiationBinding {
    /// The peer supports RFC 5746.
    pub secure: bool,
    pub client_verify_data: Zeroizing<Vec<u8>>,
    pub server_verify_data: Zeroizing<Vec<u8>>,
}

impl RenegotiationBinding {
    /// renegotiation_info a client sends in a renegotiating ClientHello.
    pub fn client_info(&self) -> Vec<u8> {
        self.client_verify_data.to_vec()
    }

    /// renegotiation_info a server sends in a renegotiating ServerHello.
    pub fn server_info(&self) -> Vec<u8> {
        let mut v = self.client_verify_data.to_vec();
        v.extend_from_slice(&self.server_verify_data);
        v
    }
}

/// Parameters established by a finished TLS 1.2 handshake.
pub(crate) struct Established12 {
    pub suite: &'static SuiteInfo,
    pub master: MasterSecret,
    pub server_random: [u8; 32],
    pub extended_master_secret: bool,
    pub binding: RenegotiationBinding,
}

impl Established12 {
    pub fn export_keying_material(
        &self,
        provider: &CryptoProvider,
        client_random: &[u8; 32],
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        let prf = prf_for(provider, self.suite)?;
        export_keying_material(
            &*prf,
            &self.master[..],
            client_random,
            &self.server_random,
            out,
            label,
            context,
        )
    }
}

/// Sends a plaintext-framed ChangeCipherSpec under the current write
/// protection, then switches to `next` for our writes.
pub(crate) fn send_change_cipher_spec(cx: &mut Context<'_>, next: Protection) -> Result<(), Error> {
    cx.send_change_cipher_spec12(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::PrfUsingHmac;
    use alloc::vec;

    /// SHA-256 through the provider traits (RustCrypto's sha2).
    struct Sha256;

    #[derive(Clone)]
    struct Sha256Context(sha2::Sha256);

    impl Hash for Sha256 {
        fn algorithm(&self) -> crate::msgs::enums::HashAlgorithm {
            crate::msgs::enums::HashAlgorithm::SHA256
        }
        fn output_len(&self) -> usize {
            32
        }
        fn start(&self) -> Box<dyn HashContext> {
            Box::new(Sha256Context(<sha2::Sha256 as sha2::Digest>::new()))
        }
    }

    impl HashContext for Sha256Context {
        fn update(&mut self, data: &[u8]) {
            sha2::Digest::update(&mut self.0, data);
        }
        fn fork(&self) -> Box<dyn HashContext> {
            Box::new(self.clone())
        }
        fn finish(self: Box<Self>) -> HashOutput {
            HashOutput::new(&sha2::Digest::finalize(self.0))
        }
    }

    /// The incremental transcript hash equals hashing the whole transcript
    /// at every point it is asked for, however the messages were split.
    #[test]
    fn transcript_hash_matches_hashing_everything() {
        let mut transcript = Vec::new();
        let mut running = TranscriptHash12::default();
        for (i, len) in [0usize, 1, 63, 64, 65, 200, 1000, 3]
            .into_iter()
            .enumerate()
        {
            transcript.extend((0..len).map(|j| (i * 31 + j) as u8));
            let expected = Sha256.hash(&transcript);
            assert_eq!(
                running.hash(&Sha256, &transcript).as_ref(),
                expected.as_ref(),
                "after {} bytes",
                transcript.len()
            );
            // Asking twice without new bytes changes nothing.
            assert_eq!(
                running.hash(&Sha256, &transcript).as_ref(),
                expected.as_ref()
            );
        }
    }

    #[test]
    fn psk_premaster_layout() {
        let p = psk_premaster(None, &[7, 7]);
        assert_eq!(&p[..], &[0, 2, 0, 0, 0, 2, 7, 7]);
        let p = psk_premaster(Some(&[1, 2, 3]), &[9]);
        assert_eq!(&p[..], &[0, 3, 1, 2, 3, 0, 1, 9]);
    }

    #[test]
    fn leading_zeros_are_stripped() {
        assert_eq!(strip_leading_zeros(&[0, 0, 5, 0]), &[5, 0]);
        assert_eq!(strip_leading_zeros(&[0, 0]), &[] as &[u8]);
    }

    #[test]
    fn exporter_refuses_reserved_labels_and_depends_on_context() {
        let prf = PrfUsingHmac(Arc::new(crate::test_support::HmacSha256));
        let mut a = [0u8; 16];
        let mut b = [0u8; 16];
        let mut c = [0u8; 16];
        let r = [1u8; 32];
        export_keying_material(&prf, &[3; 48], &r, &r, &mut a, b"EXPORTER-x", None).unwrap();
        export_keying_material(&prf, &[3; 48], &r, &r, &mut b, b"EXPORTER-x", Some(&[])).unwrap();
        export_keying_material(&prf, &[3; 48], &r, &r, &mut c, b"EXPORTER-x", Some(b"c")).unwrap();
        assert_ne!(a, b, "no context differs from an empty context");
        assert_ne!(b, c);
        assert!(
            export_keying_material(&prf, &[3; 48], &r, &r, &mut a, b"key expansion", None).is_err()
        );
    }

    #[test]
    fn session_state_round_trips_and_rejects_damage() {
        let state = SessionState12 {
            version: ProtocolVersion::DTLSv1_2,
            suite: CipherSuite(0xc02b),
            master: Zeroizing::new([5; 48]),
            extended_master_secret: true,
            issued_at: UnixTime(1_800_000_000),
            server_name: Some("example.com".into()),
            alpn: Some(b"h2".to_vec()),
        };
        let bytes = state.encode();
        let back = SessionState12::decode(&bytes).unwrap();
        assert_eq!(back.version, ProtocolVersion::DTLSv1_2);
        assert_eq!(back.suite, state.suite);
        assert_eq!(back.master[..], state.master[..]);
        assert!(back.extended_master_secret);
        assert_eq!(back.server_name.as_deref(), Some("example.com"));
        for cut in 0..bytes.len() {
            assert!(SessionState12::decode(&bytes[..cut]).is_err());
        }
        let mut bad = bytes.to_vec();
        bad[0] = 1;
        assert!(SessionState12::decode(&bad).is_err());
        let _ = vec![0u8; 0];
    }
}
