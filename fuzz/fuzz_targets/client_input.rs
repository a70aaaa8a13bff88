//! A client that has sent its ClientHello, fed arbitrary "server" bytes
//! (first byte = chunk size). The client is deterministic, so a recorded
//! server answer (see `examples/gen_seeds.rs`) drives it through the whole
//! handshake and the fuzzer mutates from there.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (mut client, _hello) = embertls_fuzz::client();
    embertls_fuzz::feed_chunked(&mut client, data);
});
