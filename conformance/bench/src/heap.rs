//! Heap accounting: current and peak bytes of Rust's heap (through a
//! counting global allocator the binary installs) and of the C heaps of
//! AWS-LC and the system OpenSSL (through their `CRYPTO_set_mem_functions`
//! hooks), since C code does not allocate through Rust's allocator.
//!
//! Sizes are the sizes asked for, not what malloc rounds them up to.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A bytes counter with a high-water mark. Plain loads and stores rather
/// than read-modify-write atomics, so counting costs a few cycles per
/// allocation instead of a locked instruction: the benchmark program is
/// single-threaded, and nothing else needs exact counts.
struct Counter {
    current: AtomicUsize,
    peak: AtomicUsize,
}

impl Counter {
    const fn new() -> Self {
        Self {
            current: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    fn add(&self, bytes: usize) {
        let now = self.current.load(Ordering::Relaxed).wrapping_add(bytes);
        self.current.store(now, Ordering::Relaxed);
        if now > self.peak.load(Ordering::Relaxed) {
            self.peak.store(now, Ordering::Relaxed);
        }
    }

    fn sub(&self, bytes: usize) {
        let now = self.current.load(Ordering::Relaxed).wrapping_sub(bytes);
        self.current.store(now, Ordering::Relaxed);
    }
}

static RUST: Counter = Counter::new();
static C: Counter = Counter::new();

/// A global allocator that counts bytes in use. The binary installs it:
/// `#[global_allocator] static A: CountingAlloc = CountingAlloc;`.
pub struct CountingAlloc;

// SAFETY: every method forwards to the system allocator unchanged and only
// updates counters.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            RUST.add(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            RUST.add(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        RUST.sub(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            RUST.sub(layout.size());
            RUST.add(new_size);
        }
        new
    }
}

/// Bytes in use now and at the high-water mark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub rust: usize,
    pub c: usize,
}

/// Bytes in use now on each heap.
pub fn current() -> Usage {
    Usage {
        rust: RUST.current.load(Ordering::Relaxed),
        c: C.current.load(Ordering::Relaxed),
    }
}

/// High-water marks since the last [`reset_peak`].
pub fn peak() -> Usage {
    Usage {
        rust: RUST.peak.load(Ordering::Relaxed),
        c: C.peak.load(Ordering::Relaxed),
    }
}

/// Starts new high-water marks at the current usage.
pub fn reset_peak() {
    RUST.peak
        .store(RUST.current.load(Ordering::Relaxed), Ordering::Relaxed);
    C.peak
        .store(C.current.load(Ordering::Relaxed), Ordering::Relaxed);
}

// The C library's allocator, under both libraries' hooks.
extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
}

// The system OpenSSL's hook (libcrypto, linked through openssl-sys).
extern "C" {
    #[link_name = "CRYPTO_set_mem_functions"]
    fn openssl_set_mem_functions(
        malloc: Option<unsafe extern "C" fn(usize, *const c_char, c_int) -> *mut c_void>,
        realloc: Option<
            unsafe extern "C" fn(*mut c_void, usize, *const c_char, c_int) -> *mut c_void,
        >,
        free: Option<unsafe extern "C" fn(*mut c_void, *const c_char, c_int)>,
    ) -> c_int;
}

/// Each C block starts with its size; 16 bytes keep malloc's alignment.
const HEADER: usize = 16;

unsafe extern "C" fn c_malloc(size: usize, _: *const c_char, _: c_int) -> *mut c_void {
    let Some(total) = size.checked_add(HEADER) else {
        return std::ptr::null_mut();
    };
    let base = unsafe { malloc(total) };
    if base.is_null() {
        return base;
    }
    // SAFETY: `base` is a fresh block of at least HEADER bytes, aligned for
    // usize.
    unsafe { base.cast::<usize>().write(size) };
    C.add(size);
    unsafe { base.cast::<u8>().add(HEADER).cast() }
}

unsafe extern "C" fn c_realloc(
    ptr: *mut c_void,
    size: usize,
    file: *const c_char,
    line: c_int,
) -> *mut c_void {
    if ptr.is_null() {
        return unsafe { c_malloc(size, file, line) };
    }
    if size == 0 {
        unsafe { c_free(ptr, file, line) };
        return std::ptr::null_mut();
    }
    let Some(total) = size.checked_add(HEADER) else {
        return std::ptr::null_mut();
    };
    // SAFETY: `ptr` came from c_malloc/c_realloc, so its block starts
    // HEADER bytes earlier with the size.
    let base = unsafe { ptr.cast::<u8>().sub(HEADER) }.cast::<c_void>();
    let old = unsafe { base.cast::<usize>().read() };
    let new = unsafe { realloc(base, total) };
    if new.is_null() {
        return new;
    }
    unsafe { new.cast::<usize>().write(size) };
    C.sub(old);
    C.add(size);
    unsafe { new.cast::<u8>().add(HEADER).cast() }
}

unsafe extern "C" fn c_free(ptr: *mut c_void, _: *const c_char, _: c_int) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: as in c_realloc.
    let base = unsafe { ptr.cast::<u8>().sub(HEADER) }.cast::<c_void>();
    let old = unsafe { base.cast::<usize>().read() };
    C.sub(old);
    unsafe { free(base) }
}

/// Which C heaps are counted.
#[derive(Debug, Clone, Copy, Default)]
pub struct CHooks {
    pub aws_lc: bool,
    pub openssl: bool,
}

/// Routes AWS-LC's and OpenSSL's allocations through the counting hooks.
/// Must run first thing in `main`, before either library allocates (a
/// library refuses the hooks once it has allocated; blocks from its
/// default allocator would lack the size header).
pub fn count_c_allocations() -> CHooks {
    // SAFETY: the hooks are plain wrappers of the C allocator that keep a
    // size header; each library takes them only before its first
    // allocation and then uses them for every block.
    unsafe {
        CHooks {
            aws_lc: aws_lc_sys::CRYPTO_set_mem_functions(
                Some(c_malloc),
                Some(c_realloc),
                Some(c_free),
            ) == 1,
            openssl: openssl_set_mem_functions(Some(c_malloc), Some(c_realloc), Some(c_free)) == 1,
        }
    }
}
