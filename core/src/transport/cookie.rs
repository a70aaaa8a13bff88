//! Stateless DTLS cookies for HelloVerifyRequest (RFC 6347 4.2.1; the Mbed
//! TLS ssl_cookie module and conf_dtls_cookies).
//!
//! A server answers a ClientHello without a valid cookie with a
//! HelloVerifyRequest carrying a cookie and keeps no state; the client
//! repeats its ClientHello with the cookie, which proves it receives
//! datagrams at the address it claims.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::time::Duration;

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::codec::Reader;
use crate::crypto::{CryptoProvider, HmacKey};
use crate::error::{CryptoError, InvalidMessage};
use crate::msgs::enums::HashAlgorithm;
use crate::time::Instant;

/// Makes and checks stateless DTLS cookies (Mbed TLS ssl_cookie /
/// conf_dtls_cookies).
pub trait CookieGenerator: Send + Sync {
    /// A cookie (at most 255 bytes) for a client at `client_id` (its
    /// transport address as the caller gives it) whose ClientHello has
    /// `hello_fields` (the encoded ClientHello without the cookie: version,
    /// random, session id, suites, compression, extensions).
    fn generate(&self, client_id: &[u8], hello_fields: &[u8], now: Instant) -> Vec<u8>;

    /// Whether `cookie` was made by [`Self::generate`] for this client and
    /// ClientHello, recently enough.
    fn verify(&self, client_id: &[u8], hello_fields: &[u8], cookie: &[u8], now: Instant) -> bool;
}

const LABEL: &[u8] = b"embertls dtls cookie v1";
const MAC_LEN: usize = 32;
/// Bytes of the MAC a cookie carries: cookies are 32 bytes in all, the
/// DTLS 1.0 limit that some DTLS 1.2 implementations still enforce
/// (GnuTLS refuses a longer HelloVerifyRequest cookie with decode_error).
const TAG_LEN: usize = 31;
/// The whole cookie: window byte and tag.
const COOKIE_LEN: usize = 1 + TAG_LEN;

/// HMAC-SHA256 cookies (through the provider's `Hmac`) with a secret that
/// changes every `rotation`.
///
/// Time is cut into windows `w = now / rotation`. A cookie is the low byte
/// of `w` followed by the first 31 bytes of `HMAC-SHA256(master, label ||
/// w || client_id || hello_fields)` (32 bytes in all, the DTLS 1.0 cookie
/// limit that GnuTLS applies to DTLS 1.2 as well; both variable fields length-prefixed), where `master` is
/// 32 bytes from the provider's `SecureRandom`: keying the MAC with the
/// window is the same as a secret derived per window, and needs no state
/// that changes. A cookie made in window `w` is accepted in `w` and `w + 1`
/// and refused from `w + 2` on (and before `w`), so it stays valid for
/// between one and two rotation periods. Tags are compared in constant time.
pub struct HmacCookies {
    key: Box<dyn HmacKey>,
    rotation_micros: u64,
}

impl HmacCookies {
    /// `rotation` is the window length (60 s is a good default); anything
    /// below one microsecond counts as one microsecond.
    pub fn new(provider: &CryptoProvider, rotation: Duration) -> Result<Self, CryptoError> {
        let hmac = provider
            .hmac(HashAlgorithm::SHA256)
            .ok_or(CryptoError::UnsupportedAlgorithm)?;
        if hmac.output_len() != MAC_LEN {
            return Err(CryptoError::UnsupportedAlgorithm);
        }
        let mut master = [0u8; 32];
        provider.random.fill(&mut master)?;
        let key = hmac.with_key(&master);
        master.zeroize();
        Ok(Self {
            key,
            rotation_micros: rotation.as_micros().clamp(1, u64::MAX as u128) as u64,
        })
    }

    /// The default rotation period.
    pub const DEFAULT_ROTATION: Duration = Duration::from_secs(60);

    fn window(&self, now: Instant) -> u64 {
        now.as_micros() / self.rotation_micros
    }

    fn mac(&self, window: u64, client_id: &[u8], hello_fields: &[u8]) -> [u8; MAC_LEN] {
        let out = self.key.sign(&[
            LABEL,
            &window.to_be_bytes(),
            &(client_id.len() as u64).to_be_bytes(),
            client_id,
            &(hello_fields.len() as u64).to_be_bytes(),
            hello_fields,
        ]);
        let mut mac = [0u8; MAC_LEN];
        let bytes = out.as_ref();
        let n = bytes.len().min(MAC_LEN);
        mac[..n].copy_from_slice(&bytes[..n]);
        mac
    }
}

impl CookieGenerator for HmacCookies {
    fn generate(&self, client_id: &[u8], hello_fields: &[u8], now: Instant) -> Vec<u8> {
        let window = self.window(now);
        let mut cookie = Vec::with_capacity(COOKIE_LEN);
        cookie.push(window as u8);
        cookie.extend_from_slice(&self.mac(window, client_id, hello_fields)[..TAG_LEN]);
        cookie
    }

    fn verify(&self, client_id: &[u8], hello_fields: &[u8], cookie: &[u8], now: Instant) -> bool {
        if cookie.len() != COOKIE_LEN {
            return false;
        }
        let current = self.window(now);
        // The window byte picks the current or the previous window.
        let window = if cookie[0] == current as u8 {
            current
        } else if current > 0 && cookie[0] == (current - 1) as u8 {
            current - 1
        } else {
            return false;
        };
        let expected = self.mac(window, client_id, hello_fields);
        bool::from(expected[..TAG_LEN].ct_eq(&cookie[1..]))
    }
}

/// The fields of a DTLS ClientHello body that the cookie MAC covers: all
/// but the session id and the cookie. The session id is left out because a
/// client presenting a ticket may draw a fresh one for the hello that
/// repeats the first with the cookie (Mbed TLS does); the random, suites
/// and extensions still tie the cookie to the first hello. Only the fields
/// up to the cookie are parsed; the rest is kept as it is.
pub(crate) fn hello_fields_for_cookie(client_hello_body: &[u8]) -> Result<Vec<u8>, InvalidMessage> {
    const VERSION_AND_RANDOM: usize = 2 + 32;
    let mut r = Reader::new(client_hello_body);
    r.take(VERSION_AND_RANDOM)?;
    let session_id = r.vec_u8()?;
    if session_id.len() > 32 {
        return Err(InvalidMessage::IllegalValue(
            "session id longer than 32 bytes",
        ));
    }
    r.vec_u8()?;
    let rest = r.rest();
    let mut out = Vec::with_capacity(VERSION_AND_RANDOM + rest.len());
    out.extend_from_slice(&client_hello_body[..VERSION_AND_RANDOM]);
    out.extend_from_slice(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgs::enums::{CipherSuite, ProtocolVersion};
    use crate::msgs::hello::{ClientHello, SessionId};
    use alloc::sync::Arc;
    use alloc::vec;

    fn provider() -> CryptoProvider {
        let mut p = crate::test_support::record_provider();
        p.random = Arc::new(crate::test_support::CountingRandom::default());
        p
    }

    fn secs(s: u64) -> Instant {
        Instant::from_millis(s * 1000)
    }

    #[test]
    fn generate_and_verify() {
        let p = provider();
        let cookies = HmacCookies::new(&p, Duration::from_secs(60)).unwrap();
        let c = cookies.generate(b"10.0.0.1:5684", b"hello", secs(5));
        assert_eq!(c.len(), COOKIE_LEN);
        assert!(c.len() <= 255);
        assert!(cookies.verify(b"10.0.0.1:5684", b"hello", &c, secs(5)));
        assert!(!cookies.verify(b"10.0.0.2:5684", b"hello", &c, secs(5)));
        assert!(!cookies.verify(b"10.0.0.1:5684", b"hellO", &c, secs(5)));
        let mut bad = c.clone();
        bad[10] ^= 1;
        assert!(!cookies.verify(b"10.0.0.1:5684", b"hello", &bad, secs(5)));
        assert!(!cookies.verify(b"10.0.0.1:5684", b"hello", &c[..31], secs(5)));
        assert_eq!(
            COOKIE_LEN, 32,
            "the DTLS 1.0 cookie limit, which GnuTLS enforces"
        );
        assert!(!cookies.verify(b"10.0.0.1:5684", b"hello", &[], secs(5)));
        // Length prefixes keep the split between id and fields unambiguous.
        assert!(!cookies.verify(b"10.0.0.1:5684h", b"ello", &c, secs(5)));
        // Another generator (another secret from the same source) refuses it.
        let other = HmacCookies::new(&p, Duration::from_secs(60)).unwrap();
        assert!(!other.verify(b"10.0.0.1:5684", b"hello", &c, secs(5)));
    }

    #[test]
    fn rotation_windows() {
        let cookies = HmacCookies::new(&provider(), Duration::from_secs(60)).unwrap();
        // Made at 130 s: window 2 (120..180 s).
        let c = cookies.generate(b"id", b"f", secs(130));
        assert!(cookies.verify(b"id", b"f", &c, secs(120)));
        assert!(cookies.verify(b"id", b"f", &c, secs(179)));
        assert!(cookies.verify(b"id", b"f", &c, secs(180)));
        assert!(cookies.verify(b"id", b"f", &c, secs(239)));
        assert!(!cookies.verify(b"id", b"f", &c, secs(240)));
        assert!(!cookies.verify(b"id", b"f", &c, secs(119)));
        // 256 windows later the window byte repeats, but the MAC does not.
        assert!(!cookies.verify(b"id", b"f", &c, secs(130 + 256 * 60)));
        // Window 0 has no previous window.
        let c0 = cookies.generate(b"id", b"f", Instant::ZERO);
        assert!(cookies.verify(b"id", b"f", &c0, secs(59)));
        assert!(cookies.verify(b"id", b"f", &c0, secs(60)));
        assert!(!cookies.verify(b"id", b"f", &c0, secs(120)));
    }

    #[test]
    fn zero_rotation_and_missing_hmac() {
        let cookies = HmacCookies::new(&provider(), Duration::ZERO).unwrap();
        let c = cookies.generate(b"id", b"f", Instant::from_micros(7));
        assert!(cookies.verify(b"id", b"f", &c, Instant::from_micros(8)));
        assert!(!cookies.verify(b"id", b"f", &c, Instant::from_micros(9)));
        let mut p = provider();
        p.hmacs.clear();
        assert_eq!(
            HmacCookies::new(&p, Duration::from_secs(1)).err(),
            Some(CryptoError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn hello_fields_drop_the_session_id_and_cookie() {
        let mut hello = ClientHello {
            legacy_version: ProtocolVersion(0xfefd),
            random: [3; 32],
            session_id: SessionId::new(&[4; 8]).unwrap(),
            dtls_cookie: Some(Vec::new()),
            cipher_suites: vec![CipherSuite(0xc02b)],
            compression_methods: vec![0],
            extensions: Default::default(),
        };
        let mut first = Vec::new();
        hello.write(&mut first);
        // The repeat carries the cookie and, as from a client presenting a
        // ticket, a fresh session id.
        hello.dtls_cookie = Some(vec![9; 33]);
        hello.session_id = SessionId::new(&[5; 32]).unwrap();
        let mut second = Vec::new();
        hello.write(&mut second);
        let fields = hello_fields_for_cookie(&first).unwrap();
        assert_eq!(fields, hello_fields_for_cookie(&second).unwrap());
        assert_eq!(fields.len(), first.len() - 1 - 8 - 1);
        assert_eq!(&fields[..2 + 32], &first[..2 + 32]);
        assert_eq!(&fields[2 + 32..], &first[2 + 32 + 1 + 8 + 1..]);
        // Another random is another hello.
        hello.random = [6; 32];
        let mut other = Vec::new();
        hello.write(&mut other);
        assert_ne!(fields, hello_fields_for_cookie(&other).unwrap());
        // Truncations fail or give fewer fields, never panic.
        for cut in 0..second.len() {
            let r = hello_fields_for_cookie(&second[..cut]);
            assert_eq!(r.is_ok(), cut >= 2 + 32 + 1 + 32 + 1 + 33, "cut {cut}");
        }
        // An over-long session id is refused.
        let mut bad = first.clone();
        bad[34] = 33;
        bad.splice(35..35, [0u8; 25]);
        assert!(hello_fields_for_cookie(&bad).is_err());
    }
}
