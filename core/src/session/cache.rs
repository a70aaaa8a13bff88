//! Server-side TLS 1.2 session-ID cache (RFC 5246 7.3 resumption).

use alloc::vec::Vec;

use zeroize::Zeroizing;

/// Stores sessions by session id for TLS 1.2 resumption (Mbed TLS
/// conf_session_cache). The engine stores an encoded, secret-bearing state;
/// implementations keep it confidential and bounded.
pub trait SessionCache: Send + Sync {
    /// Keeps `state` under `id`; `now_secs` is the server's clock (Unix
    /// seconds, or seconds of the caller's monotonic clock without one).
    fn store(&self, id: &[u8], state: Zeroizing<Vec<u8>>, now_secs: u64);
    /// The state stored under `id`, if present and not expired.
    fn load(&self, id: &[u8], now_secs: u64) -> Option<Zeroizing<Vec<u8>>>;
    /// Forgets `id` (a handshake using it failed).
    fn remove(&self, id: &[u8]);
}

#[cfg(feature = "std")]
pub use lru::LruSessionCache;

#[cfg(feature = "std")]
mod lru {
    use super::*;
    use alloc::collections::VecDeque;
    use std::sync::Mutex;

    struct Entry {
        id: Vec<u8>,
        state: Zeroizing<Vec<u8>>,
        stored_at: u64,
    }

    /// A bounded in-memory cache: at most `capacity` entries, each valid for
    /// `timeout_secs`; the least recently used entry goes first (Mbed TLS
    /// ssl_cache with max_entries and timeout).
    pub struct LruSessionCache {
        capacity: usize,
        timeout_secs: u64,
        /// Most recently used last.
        entries: Mutex<VecDeque<Entry>>,
    }

    impl LruSessionCache {
        /// Mbed TLS defaults are 50 entries and one day.
        pub fn new(capacity: usize, timeout_secs: u64) -> Self {
            Self {
                capacity: capacity.max(1),
                timeout_secs,
                entries: Mutex::new(VecDeque::new()),
            }
        }

        pub fn len(&self) -> usize {
            self.lock().len()
        }

        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Entry>> {
            // A panic elsewhere cannot leave the queue inconsistent.
            self.entries.lock().unwrap_or_else(|e| e.into_inner())
        }

        fn expired(&self, entry: &Entry, now: u64) -> bool {
            now.saturating_sub(entry.stored_at) >= self.timeout_secs
        }
    }

    impl SessionCache for LruSessionCache {
        fn store(&self, id: &[u8], state: Zeroizing<Vec<u8>>, now_secs: u64) {
            let mut entries = self.lock();
            entries.retain(|e| e.id != id && !self.expired(e, now_secs));
            while entries.len() >= self.capacity {
                entries.pop_front();
            }
            entries.push_back(Entry {
                id: id.to_vec(),
                state,
                stored_at: now_secs,
            });
        }

        fn load(&self, id: &[u8], now_secs: u64) -> Option<Zeroizing<Vec<u8>>> {
            let mut entries = self.lock();
            let at = entries.iter().position(|e| e.id == id)?;
            let entry = entries.remove(at)?;
            if self.expired(&entry, now_secs) {
                return None;
            }
            let state = entry.state.clone();
            entries.push_back(entry);
            Some(state)
        }

        fn remove(&self, id: &[u8]) {
            self.lock().retain(|e| e.id != id);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use alloc::vec;

        fn state(b: u8) -> Zeroizing<Vec<u8>> {
            Zeroizing::new(vec![b; 4])
        }

        #[test]
        fn evicts_least_recently_used_and_expires() {
            let cache = LruSessionCache::new(2, 100);
            cache.store(b"a", state(1), 0);
            cache.store(b"b", state(2), 0);
            // Touch "a" so "b" is the oldest.
            assert_eq!(cache.load(b"a", 1).as_deref(), Some(&vec![1; 4]));
            cache.store(b"c", state(3), 2);
            assert!(cache.load(b"b", 3).is_none());
            assert!(cache.load(b"a", 3).is_some());
            assert!(cache.load(b"c", 3).is_some());
            assert_eq!(cache.len(), 2);
            // Timeouts.
            assert!(cache.load(b"a", 100).is_none());
            assert!(cache.load(b"c", 101).is_some());
            assert!(cache.load(b"c", 102).is_none());
            cache.store(b"d", state(4), 200);
            cache.remove(b"d");
            assert!(cache.is_empty());
        }

        #[test]
        fn storing_an_id_again_replaces_it() {
            let cache = LruSessionCache::new(4, 100);
            cache.store(b"a", state(1), 0);
            cache.store(b"a", state(9), 0);
            assert_eq!(cache.len(), 1);
            assert_eq!(cache.load(b"a", 0).as_deref(), Some(&vec![9; 4]));
        }
    }
}
