//! The application-data path must not allocate per record, with the AWS-LC
//! backend on both sides. Two counters: a counting global allocator sees
//! Rust's heap, and AWS-LC's own `OPENSSL_malloc` family is routed through
//! counting hooks (`CRYPTO_set_mem_functions`), since C code does not go
//! through Rust's allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use embertls::config::{ClientConfig, ServerConfig, SingleCertAndKey};
use embertls::conn::{Event, Output};
use embertls::crypto::CryptoProvider;
use embertls::msgs::enums::CipherSuite;
use embertls_conformance::testkit::deterministic::FixedTime;
use embertls_conformance::testkit::pair::{all_test_roots, certified_key};
use embertls_conformance::testkit::Pair;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static C_ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// The C library's allocator, which AWS-LC's default OPENSSL_malloc uses.
extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
}

unsafe extern "C" fn counting_malloc(size: usize, _: *const c_char, _: c_int) -> *mut c_void {
    C_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    unsafe { malloc(size) }
}

unsafe extern "C" fn counting_realloc(
    ptr: *mut c_void,
    size: usize,
    _: *const c_char,
    _: c_int,
) -> *mut c_void {
    C_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    unsafe { realloc(ptr, size) }
}

unsafe extern "C" fn counting_free(ptr: *mut c_void, _: *const c_char, _: c_int) {
    unsafe { free(ptr) }
}

/// Routes AWS-LC's allocations through the counting hooks. Must run before
/// AWS-LC allocates anything (memory from its default allocator carries a
/// size prefix the hooks know nothing about), so this file holds a single
/// test that calls it first.
fn count_aws_lc_allocations() {
    // SAFETY: the hooks are plain wrappers of the C allocator, set once,
    // before any AWS-LC call in this process.
    let set = unsafe {
        aws_lc_sys::CRYPTO_set_mem_functions(
            Some(counting_malloc),
            Some(counting_realloc),
            Some(counting_free),
        )
    };
    assert_eq!(set, 1, "CRYPTO_set_mem_functions refused");
}

fn provider() -> Arc<CryptoProvider> {
    let mut provider = embertls_aws_lc::provider();
    provider.time = Some(Arc::new(FixedTime(1_798_761_600)));
    Arc::new(provider)
}

fn pair(suite: CipherSuite) -> Pair {
    let mut client = ClientConfig::new(provider());
    client.common.roots = all_test_roots();
    client.common.cipher_suites = vec![suite];
    let server_provider = provider();
    let key = certified_key(&server_provider, "server", "p256");
    let server = ServerConfig::new(server_provider, Arc::new(SingleCertAndKey(key)));
    Pair::new(client, server, Some("localhost")).unwrap()
}

#[test]
fn steady_state_data_path_does_not_allocate_per_record() {
    count_aws_lc_allocations();
    for suite in [
        CipherSuite::TLS_AES_128_GCM_SHA256,
        CipherSuite::TLS_AES_256_GCM_SHA384,
        CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
    ] {
        let c_before_handshake = C_ALLOCATIONS.load(Ordering::Relaxed);
        let mut pair = pair(suite);
        pair.handshake().unwrap();
        assert_eq!(pair.client.cipher_suite(), Some(suite));
        // The hooks are live: the handshake's key objects came through them.
        assert!(C_ALLOCATIONS.load(Ordering::Relaxed) > c_before_handshake);
        let payload = vec![0xabu8; 16 * 1024];
        let mut received = 0usize;
        let mut one_round = |pair: &mut Pair| {
            pair.client.send(&payload).unwrap();
            while let Some(out) = pair.client.poll_output() {
                if let Output::Transmit(bytes) = out {
                    pair.server.handle_input(&bytes, pair.now).unwrap();
                }
            }
            while let Some(out) = pair.server.poll_output() {
                if let Output::Event(Event::Data(data)) = out {
                    received += data.len();
                }
            }
        };
        // Warm up buffers, then measure.
        for _ in 0..10 {
            one_round(&mut pair);
        }
        let rounds = 1000;
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let c_before = C_ALLOCATIONS.load(Ordering::Relaxed);
        for _ in 0..rounds {
            one_round(&mut pair);
        }
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        let c_allocations = C_ALLOCATIONS.load(Ordering::Relaxed) - c_before;
        assert_eq!(received, payload.len() * (rounds + 10));
        eprintln!(
            "{suite:?}: {allocations} Rust and {c_allocations} AWS-LC allocations \
             for {rounds} records each way"
        );
        assert!(
            allocations <= rounds / 10,
            "{suite:?}: {allocations} allocations for {rounds} records"
        );
        assert_eq!(
            c_allocations, 0,
            "{suite:?}: AWS-LC allocated on the record path"
        );
    }
}
