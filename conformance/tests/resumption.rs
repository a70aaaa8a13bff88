//! TLS 1.3 session tickets and resumption (RFC 8446 2.2, 4.6.1), with ticket
//! sealing and opening directly and as pending operations.

use std::sync::Arc;

use embertls::error::{Error, PeerMisbehaved};
use embertls::msgs::enums::{AlertDescription, CipherSuite, NamedGroup};
use embertls::session::Session;
use embertls::ServerConfig;
use embertls_conformance::testkit::deterministic::FixedTime;
use embertls_conformance::testkit::pair::{client_config, server_config};
use embertls_conformance::testkit::{Mode, Pair};

fn ticketing_server(mode: Mode) -> ServerConfig {
    let mut server = server_config(mode, "p256");
    server.ticketer = Some(mode.ticketer(&server.common.provider));
    server
}

/// A full handshake that yields the server's tickets.
fn first_session(mode: Mode, server: &ServerConfig) -> Session {
    let mut pair = Pair::new(client_config(mode), server.clone(), Some("localhost")).unwrap();
    pair.handshake().unwrap();
    assert!(!pair.client.resumed());
    assert_eq!(pair.client_log.sessions.len(), 1);
    pair.client_log.sessions.pop().unwrap()
}

#[test]
fn resumes_with_a_ticket() {
    for mode in Mode::ALL {
        let server = ticketing_server(mode);
        let session = first_session(mode, &server);
        assert_eq!(session.server_name(), Some("localhost"));
        let mut pair = Pair::with_session(
            client_config(mode),
            server.clone(),
            Some("localhost"),
            Some(session),
        )
        .unwrap();
        pair.handshake().unwrap();
        assert!(pair.client.resumed() && pair.server.resumed(), "{mode:?}");
        assert!(
            pair.client.peer_certificates().is_empty(),
            "no certificate on resumption"
        );
        // Pending mode: the server opens one ticket and seals the next; no
        // signature and no chain check on resumption.
        let expected = if mode == Mode::AlwaysPending { 2 } else { 0 };
        assert_eq!(pair.server_log.operations_served, expected);
        assert_eq!(pair.client_log.operations_served, 0);
        // A fresh ticket arrives on the resumed connection too.
        assert_eq!(pair.client_log.sessions.len(), 1);
        pair.client.send(b"resumed data").unwrap();
        pair.drive();
        assert_eq!(pair.server_log.received, b"resumed data");
    }
}

#[test]
fn several_tickets_per_handshake() {
    let mut server = ticketing_server(Mode::Direct);
    server.tickets_per_handshake = 3;
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server.clone(),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert_eq!(pair.client_log.sessions.len(), 3);
    // Each ticket resumes on its own.
    for session in pair.client_log.sessions.drain(..) {
        let mut resumed = Pair::with_session(
            client_config(Mode::Direct),
            server.clone(),
            Some("localhost"),
            Some(session),
        )
        .unwrap();
        resumed.handshake().unwrap();
        assert!(resumed.client.resumed());
    }
}

#[test]
fn resumption_after_hello_retry_request() {
    for mode in Mode::ALL {
        let mut server = ticketing_server(mode);
        server.common.groups = vec![NamedGroup::secp256r1];
        let session = first_session(mode, &server);
        // The client leads with an X25519 share: the server asks again, and
        // the binder must be recomputed over the new transcript.
        let mut client = client_config(mode);
        client.common.groups = vec![NamedGroup::X25519, NamedGroup::secp256r1];
        let mut pair =
            Pair::with_session(client, server, Some("localhost"), Some(session)).unwrap();
        pair.handshake().unwrap();
        assert!(pair.client.hello_retry_happened());
        assert!(pair.client.resumed() && pair.server.resumed());
    }
}

#[test]
fn unusable_tickets_fall_back_to_a_full_handshake() {
    let server = ticketing_server(Mode::Direct);
    let session = first_session(Mode::Direct, &server);

    // Another server (another ticket key) cannot open it.
    let other = ticketing_server(Mode::Direct);
    let mut pair = Pair::with_session(
        client_config(Mode::Direct),
        other,
        Some("localhost"),
        Some(session.clone()),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert!(!pair.client.resumed() && !pair.server.resumed());
    assert_eq!(pair.client.peer_certificates().len(), 1);

    // A server without tickets ignores the offer.
    let mut pair = Pair::with_session(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
        Some(session.clone()),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert!(!pair.client.resumed());

    // The server's clock says the ticket has expired.
    let mut late_server = server.clone();
    let mut provider = (*late_server.common.provider).clone();
    provider.time = Some(Arc::new(FixedTime(1_798_761_600 + 7200)));
    late_server.common.provider = Arc::new(provider);
    let mut pair = Pair::with_session(
        client_config(Mode::Direct),
        late_server,
        Some("localhost"),
        Some(session.clone()),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert!(!pair.server.resumed());

    // The client's clock says so: it does not even offer it.
    let mut late_client = client_config(Mode::Direct);
    let mut provider = (*late_client.common.provider).clone();
    provider.time = Some(Arc::new(FixedTime(1_798_761_600 + 7200)));
    late_client.common.provider = Arc::new(provider);
    let mut pair = Pair::with_session(
        late_client,
        server.clone(),
        Some("localhost"),
        Some(session.clone()),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert!(!pair.client.resumed());

    // A session whose hash the client no longer offers is not offered.
    let mut sha384_only = client_config(Mode::Direct);
    sha384_only.common.cipher_suites = vec![CipherSuite::TLS_AES_256_GCM_SHA384];
    let mut pair =
        Pair::with_session(sha384_only, server, Some("localhost"), Some(session)).unwrap();
    pair.handshake().unwrap();
    assert!(!pair.client.resumed());
}

#[test]
fn forged_binder_is_decrypt_error() {
    let server = ticketing_server(Mode::Direct);
    let session = first_session(Mode::Direct, &server);
    let mut pair = Pair::with_session(
        client_config(Mode::Direct),
        server,
        Some("localhost"),
        Some(session),
    )
    .unwrap();
    let mut hello = pair.client.poll_transmit().unwrap().to_vec();
    // The binder is the last bytes of the ClientHello.
    let last = hello.len() - 1;
    hello[last] ^= 0x01;
    let err = pair.server.handle_input(&hello, pair.now).unwrap_err();
    assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::BadPskBinder));
    let alert = pair.server.poll_transmit().unwrap();
    assert_eq!(AlertDescription(alert[6]), AlertDescription::DecryptError);
}

#[test]
fn ticket_operations_cancel_on_drop() {
    let server = ticketing_server(Mode::AlwaysPending);
    let session = first_session(Mode::AlwaysPending, &server);
    let mut pair = Pair::with_session(
        client_config(Mode::AlwaysPending),
        server,
        Some("localhost"),
        Some(session),
    )
    .unwrap();
    pair.hold_operations = true;
    pair.drive();
    assert_eq!(pair.server.handshake_state(), "server:opening_ticket");
    let (_, op) = pair.held.pop().unwrap();
    drop(pair);
    assert!(op.cancellation.is_canceled());
    assert!(matches!(
        op.perform(),
        embertls::conn::OperationResult::OpenedTicket(Err(_))
    ));
}

#[test]
fn saved_session_resumes_after_reload() {
    let server = ticketing_server(Mode::Direct);
    let session = first_session(Mode::Direct, &server);
    let saved = session.to_bytes();
    drop(session);
    let loaded = Session::from_bytes(&saved).unwrap();
    let mut pair = Pair::with_session(
        client_config(Mode::Direct),
        server.clone(),
        Some("localhost"),
        Some(loaded),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert!(pair.client.resumed());
    // A damaged copy does not load at all.
    let mut damaged = saved.to_vec();
    damaged[20] ^= 1;
    assert!(Session::from_bytes(&damaged).is_err());
}

#[test]
fn resumes_with_a_sha384_suite() {
    // 48-byte PSK and binder.
    let mut server = ticketing_server(Mode::Direct);
    server.common.cipher_suites = vec![CipherSuite::TLS_AES_256_GCM_SHA384];
    let session = first_session(Mode::Direct, &server);
    assert_eq!(session.cipher_suite(), CipherSuite::TLS_AES_256_GCM_SHA384);
    let mut pair = Pair::with_session(
        client_config(Mode::Direct),
        server,
        Some("localhost"),
        Some(session),
    )
    .unwrap();
    pair.handshake().unwrap();
    assert!(pair.client.resumed() && pair.server.resumed());
    assert_eq!(
        pair.client.cipher_suite(),
        Some(CipherSuite::TLS_AES_256_GCM_SHA384)
    );
}
