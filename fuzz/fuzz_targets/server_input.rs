//! A fresh server fed arbitrary client bytes (first byte = chunk size).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut server = embertls_fuzz::server();
    embertls_fuzz::feed_chunked(&mut server, data);
});
