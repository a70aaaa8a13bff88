//! The core's rotating ticket sealer on every backend.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use embertls::crypto::{CryptoProvider, TicketSealer, TimeSource, UnixTime};
use embertls::session::RotatingTicketer;

/// A clock the test moves.
struct ManualClock(AtomicU64);

impl TimeSource for ManualClock {
    fn now(&self) -> Option<UnixTime> {
        Some(UnixTime(self.0.load(Ordering::SeqCst)))
    }
}

fn backends() -> Vec<CryptoProvider> {
    vec![
        embertls_rustcrypto::provider(),
        embertls_openssl::provider(),
        embertls_aws_lc::provider(),
    ]
}

#[test]
fn seals_opens_and_refuses_damage() {
    for provider in backends() {
        let ticketer = RotatingTicketer::new(&provider, 3600).unwrap();
        let a = ticketer.seal(b"state one").unwrap();
        let b = ticketer.seal(b"state one").unwrap();
        assert_ne!(a, b, "{}: fresh nonce per ticket", provider.name);
        assert_eq!(
            ticketer.open(&a).unwrap().as_deref(),
            Some(&b"state one"[..])
        );
        for i in [0, 16, 28, a.len() - 1] {
            let mut bad = a.clone();
            bad[i] ^= 1;
            assert_eq!(
                ticketer.open(&bad).unwrap(),
                None,
                "{}: byte {i}",
                provider.name
            );
        }
        assert_eq!(ticketer.open(&a[..20]).unwrap(), None);
        // Another ticketer (other keys) cannot open it.
        let other = RotatingTicketer::new(&provider, 3600).unwrap();
        assert_eq!(other.open(&a).unwrap(), None);
    }
}

#[test]
fn rotation_keeps_one_previous_key() {
    for mut provider in backends() {
        let clock = Arc::new(ManualClock(AtomicU64::new(1_000_000)));
        provider.time = Some(clock.clone());
        let ticketer = RotatingTicketer::new(&provider, 100).unwrap();
        let old = ticketer.seal(b"old").unwrap();
        // One lifetime later the next seal rotates; the old ticket still opens.
        clock.0.fetch_add(100, Ordering::SeqCst);
        let newer = ticketer.seal(b"newer").unwrap();
        assert_ne!(old[..16], newer[..16], "{}: a new key name", provider.name);
        assert_eq!(ticketer.open(&old).unwrap().as_deref(), Some(&b"old"[..]));
        // Another rotation retires the first key.
        clock.0.fetch_add(100, Ordering::SeqCst);
        ticketer.seal(b"newest").unwrap();
        assert_eq!(ticketer.open(&old).unwrap(), None, "{}", provider.name);
        assert_eq!(
            ticketer.open(&newer).unwrap().as_deref(),
            Some(&b"newer"[..])
        );
        // Explicit rotation works the same way.
        ticketer.rotate().unwrap();
        ticketer.rotate().unwrap();
        assert_eq!(ticketer.open(&newer).unwrap(), None);
    }
}
