//! The application-data path must not allocate per record. A counting
//! global allocator measures the steady state after the handshake.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use embertls::conn::{Event, Output};
use embertls_conformance::testkit::pair::{client_config, server_config};
use embertls_conformance::testkit::{Mode, Pair};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

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

/// The counter is global: tests measuring it take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn steady_state_data_path_does_not_allocate_per_record() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    steady_state(pair);
}

/// The same on the OpenSSL backend, each AEAD (Rust allocations only: what
/// OpenSSL allocates inside is not counted, though its record path reuses
/// one cipher context per key and direction).
#[test]
fn steady_state_on_openssl_does_not_allocate_per_record() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use embertls_conformance::provider_suite::handshake;
    let provider = embertls_openssl::provider();
    for suite in handshake::SUITES {
        let mut client = handshake::client_config(&provider);
        client.common.cipher_suites = vec![suite];
        let pair = Pair::new(
            client,
            handshake::server_config(&provider, "p256"),
            Some("localhost"),
        )
        .unwrap();
        steady_state(pair);
    }
}

/// TLS 1.2 on every backend, one suite per record protection (GCM, CCM-8,
/// ChaCha20, CBC with Encrypt-then-MAC and MAC-then-encrypt).
#[test]
fn tls12_steady_state_does_not_allocate_per_record() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use embertls_conformance::provider_suite::handshake;
    let suites = [
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    ];
    let providers = [
        embertls_rustcrypto::provider(),
        embertls_openssl::provider(),
        embertls_aws_lc::provider(),
    ];
    for provider in &providers {
        for name in suites {
            for encrypt_then_mac in [true, false] {
                let suite = embertls::suites::by_name(name).unwrap();
                if !encrypt_then_mac && suite.aead().is_some() {
                    continue;
                }
                let mut client = handshake::client_config(provider);
                let mut server = handshake::server_config(provider, "p256");
                for common in [&mut client.common, &mut server.common] {
                    common.versions = embertls::config::VersionRange::TLS12_ONLY;
                    common.cipher_suites = vec![suite.suite];
                    common.tls12.encrypt_then_mac = encrypt_then_mac;
                    common.tls12.allow_mac_then_encrypt = !encrypt_then_mac;
                }
                eprintln!("{}: {name} (EtM {encrypt_then_mac})", provider.name);
                steady_state(Pair::new(client, server, Some("localhost")).unwrap());
            }
        }
    }
}

/// DTLS 1.2 on every backend: datagrams sealed into a reused buffer, and
/// each received datagram decrypted in place in the receive buffer it came
/// in (`handle_datagram`), application data handed out as slices of it.
#[test]
fn dtls12_steady_state_does_not_allocate_per_record() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use embertls_conformance::provider_suite::handshake;
    let providers = [
        embertls_rustcrypto::provider(),
        embertls_openssl::provider(),
        embertls_aws_lc::provider(),
    ];
    for provider in &providers {
        let mut client = handshake::client_config(provider);
        let mut server = handshake::server_config(provider, "p256");
        for common in [&mut client.common, &mut server.common] {
            common.transport = embertls::config::Transport::Datagram;
            common.versions = embertls::config::VersionRange::TLS12_ONLY;
            // A 16 KiB record fits one datagram.
            common.dtls.mtu = 16 * 1024 + 64;
        }
        eprintln!("{}: DTLS 1.2", provider.name);
        steady_state(Pair::new(client, server, Some("localhost")).unwrap());
    }
}

/// Fails if records flowing both ways through `pair` allocate.
fn steady_state(mut pair: Pair) {
    pair.handshake().unwrap();
    let payload = vec![0xabu8; 16 * 1024];
    let mut received = 0usize;
    let datagrams =
        pair.client.protocol_version() == Some(embertls::msgs::enums::ProtocolVersion::DTLSv1_2);
    let mut receive_buffer = bytes::BytesMut::new();
    let mut one_round = |pair: &mut Pair| {
        pair.client.send(&payload).unwrap();
        while let Some(out) = pair.client.poll_output() {
            if let Output::Transmit(bytes) = out {
                if datagrams {
                    // As a UDP loop would: receive into a buffer that is
                    // reused once the data handed out of it is dropped.
                    receive_buffer.extend_from_slice(&bytes);
                    let datagram = receive_buffer.split();
                    pair.server.handle_datagram(datagram, pair.now).unwrap();
                } else {
                    pair.server.handle_input(&bytes, pair.now).unwrap();
                }
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
    for _ in 0..rounds {
        one_round(&mut pair);
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(received, payload.len() * (rounds + 10));
    eprintln!("{allocations} allocations for {rounds} records each way");
    assert!(
        allocations <= rounds / 10,
        "{allocations} allocations for {rounds} records"
    );
}

#[test]
fn data_flows_after_idle_buffers_are_released() {
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    pair.handshake().unwrap();
    let during = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert!(during > 0);
    // Draining an idle connection once more must not allocate, and data
    // still flows after the buffers were released.
    assert!(pair.client.poll_output().is_none());
    pair.client.send(b"after release").unwrap();
    pair.drive();
    assert_eq!(pair.server_log.received, b"after release");
}
