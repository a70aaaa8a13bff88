//! A fresh DTLS 1.2 server or client fed arbitrary datagrams and timer
//! ticks: the stateless cookie exchange, ClientHello and HelloVerifyRequest
//! parsing, reassembly, epochs, retransmission and, with a seed's real
//! exchange, the rest of the handshake.
//!
//! First byte: bit 0 picks the client (a client that has sent its
//! ClientHello) or the server; bit 1 turns the server's cookies off. The
//! rest is `embertls_fuzz::feed_datagrams`'s list: big-endian u16 length and
//! datagram, or 0xffff for two seconds passing.
#![no_main]

use embertls_fuzz::{dtls_client, dtls_server, feed_datagrams};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut conn = if mode & 1 == 1 {
        dtls_client().0
    } else {
        dtls_server(mode & 2 == 0)
    };
    feed_datagrams(&mut conn, rest);
});
