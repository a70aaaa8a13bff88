//! Malformed, truncated, oversized, replayed and out-of-order input: every
//! case ends with a typed error and the right alert, never a panic.

use embertls::conn::Output;
use embertls::error::{ApiMisuse, CryptoError, Error, InvalidMessage, PeerMisbehaved};
use embertls::msgs::enums::{AlertDescription, AlertLevel};
use embertls::{Connection, Instant};
use embertls_conformance::testkit::pair::{client_config, server_config};
use embertls_conformance::testkit::{Mode, Pair};
use std::sync::Arc;

fn fresh_server() -> Connection {
    Connection::server(Arc::new(server_config(Mode::Direct, "p256")), Instant::ZERO).unwrap()
}

/// The alert description in a plaintext alert record at the start of `wire`.
fn plaintext_alert(wire: &[u8]) -> AlertDescription {
    assert_eq!(
        (wire[0], wire[1], &wire[3..5]),
        (21, 3, &[0u8, 2][..]),
        "not a plaintext alert: {wire:02x?}"
    );
    assert_eq!(wire[5], 2, "fatal level");
    AlertDescription(wire[6])
}

fn first_client_hello() -> Vec<u8> {
    let mut client = Connection::client(
        Arc::new(client_config(Mode::Direct)),
        Some("localhost"),
        Instant::ZERO,
    )
    .unwrap();
    client.poll_transmit().unwrap().to_vec()
}

#[test]
fn garbage_is_decode_error() {
    let mut server = fresh_server();
    let err = server
        .handle_input(&[22, 0x47, 0x45, 0x54, 0x20, 0x2f], Instant::ZERO)
        .unwrap_err();
    assert_eq!(err, Error::InvalidMessage(InvalidMessage::NotTls));
    assert_eq!(
        plaintext_alert(&server.poll_transmit().unwrap()),
        AlertDescription::DecodeError
    );
    // The connection stays failed.
    assert!(server
        .handle_input(&first_client_hello(), Instant::ZERO)
        .is_err());
    assert!(
        server.poll_transmit().is_none(),
        "only one alert is ever sent"
    );
}

#[test]
fn unknown_content_type_is_unexpected_message() {
    let mut server = fresh_server();
    let err = server
        .handle_input(&[99, 3, 3, 0, 1, 0], Instant::ZERO)
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidMessage(InvalidMessage::UnknownContentType)
    );
    assert_eq!(
        plaintext_alert(&server.poll_transmit().unwrap()),
        AlertDescription::UnexpectedMessage
    );
}

#[test]
fn truncated_client_hello_is_decode_error() {
    let hello = first_client_hello();
    // Shorten the handshake body by one byte but keep headers consistent.
    let mut body = hello[5..hello.len() - 1].to_vec();
    let hs_len = body.len() - 4;
    body[1..4].copy_from_slice(&(hs_len as u32).to_be_bytes()[1..]);
    let mut record = vec![22, 3, 1];
    record.extend_from_slice(&(body.len() as u16).to_be_bytes());
    record.extend_from_slice(&body);
    let mut server = fresh_server();
    let err = server.handle_input(&record, Instant::ZERO).unwrap_err();
    assert!(matches!(err, Error::InvalidMessage(_)), "{err:?}");
    assert_eq!(
        plaintext_alert(&server.poll_transmit().unwrap()),
        AlertDescription::DecodeError
    );
}

#[test]
fn byte_at_a_time_input_works() {
    let hello = first_client_hello();
    let mut server = fresh_server();
    for b in &hello {
        server
            .handle_input(std::slice::from_ref(b), Instant::ZERO)
            .unwrap();
    }
    assert!(server.poll_transmit().is_some(), "server answered");
}

#[test]
fn out_of_order_message_is_unexpected_message() {
    // A Finished where a ClientHello belongs.
    let mut server = fresh_server();
    let err = server
        .handle_input(&[22, 3, 3, 0, 8, 20, 0, 0, 4, 1, 2, 3, 4], Instant::ZERO)
        .unwrap_err();
    assert!(matches!(err, Error::UnexpectedMessage { .. }), "{err:?}");
    assert_eq!(
        plaintext_alert(&server.poll_transmit().unwrap()),
        AlertDescription::UnexpectedMessage
    );
}

#[test]
fn empty_handshake_record_is_unexpected_message() {
    let mut server = fresh_server();
    let err = server
        .handle_input(&[22, 3, 1, 0, 0], Instant::ZERO)
        .unwrap_err();
    assert_eq!(err, Error::InvalidMessage(InvalidMessage::EmptyRecord));
    assert_eq!(
        plaintext_alert(&server.poll_transmit().unwrap()),
        AlertDescription::UnexpectedMessage
    );
}

#[test]
fn oversized_handshake_message_is_refused_without_buffering() {
    let mut server = fresh_server();
    // A ClientHello header claiming 16 MiB.
    let err = server
        .handle_input(&[22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff], Instant::ZERO)
        .unwrap_err();
    assert_eq!(err, Error::InvalidMessage(InvalidMessage::TooLarge));
    assert_eq!(
        plaintext_alert(&server.poll_transmit().unwrap()),
        AlertDescription::DecodeError
    );
}

#[test]
fn tampered_and_replayed_records_are_bad_record_mac() {
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    pair.client.send(b"secret").unwrap();
    let record = pair.client.poll_transmit().unwrap();
    // Replay: the second copy has a stale sequence number.
    pair.server.handle_input(&record, pair.now).unwrap();
    assert_eq!(
        pair.server.handle_input(&record, pair.now),
        Err(Error::DecryptFailed)
    );

    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    pair.client.send(b"secret").unwrap();
    let mut record = pair.client.poll_transmit().unwrap().to_vec();
    let last = record.len() - 1;
    record[last] ^= 1;
    assert_eq!(
        pair.server.handle_input(&record, pair.now),
        Err(Error::DecryptFailed)
    );
    pair.drive();
    assert_eq!(pair.client_log.alerts, vec![AlertDescription::BadRecordMac]);
}

#[test]
fn change_cipher_spec_rules() {
    // Garbage CCS payload during the handshake.
    let mut server = fresh_server();
    let err = server
        .handle_input(&[20, 3, 3, 0, 1, 2], Instant::ZERO)
        .unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::IllegalChangeCipherSpec)
    );
    // CCS after the handshake.
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    let err = pair
        .server
        .handle_input(&[20, 3, 3, 0, 1, 1], pair.now)
        .unwrap_err();
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::PlaintextAfterEncryption)
    );
    pair.drive();
    assert_eq!(
        pair.client_log.alerts,
        vec![AlertDescription::UnexpectedMessage]
    );
}

#[test]
fn corrupted_server_flights_never_panic() {
    // Flip one byte at a time through the server's whole first flight; the
    // client must fail with an error (and an alert where one applies).
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    let hello = pair.client.poll_transmit().unwrap();
    pair.server.handle_input(&hello, pair.now).unwrap();
    let flight = pair.server.poll_transmit().unwrap().to_vec();
    let mut failures = 0;
    for i in (0..flight.len()).step_by(7) {
        let mut client = Connection::client(
            Arc::new(client_config(Mode::Direct)),
            Some("localhost"),
            Instant::ZERO,
        )
        .unwrap();
        let _ = client.poll_transmit();
        let mut corrupted = flight.clone();
        corrupted[i] ^= 0x41;
        if client.handle_input(&corrupted, Instant::ZERO).is_err() {
            failures += 1;
            assert!(client.error().is_some());
        }
        // Output after failure is at most one alert record.
        while let Some(out) = client.poll_output() {
            if let Output::Transmit(bytes) = out {
                assert_eq!(bytes[0], if bytes.len() == 7 { 21 } else { 23 });
            }
        }
    }
    // Nearly every corruption must be detected (the rest hit fields such as
    // record version bytes that carry no meaning).
    assert!(
        failures * 10 >= (flight.len() / 7) * 9,
        "{failures} of {}",
        flight.len() / 7
    );
}

#[test]
fn operations_complete_only_by_id_and_cancel_on_drop_and_reset() {
    let mut pair = Pair::new(
        client_config(Mode::AlwaysPending),
        server_config(Mode::AlwaysPending, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.hold_operations = true;
    pair.drive();
    // The server waits for its signature; the client, having seen the
    // server's Certificate, for its chain check.
    assert_eq!(pair.held.len(), 2);
    assert_eq!(
        pair.client.handshake_state(),
        "client:verifying_certificate"
    );
    let op = server_operation(&mut pair);
    assert_eq!(pair.server.pending_operation(), Some(op.id));
    assert_eq!(
        pair.server.handshake_state(),
        "server:signing_certificate_verify"
    );

    // A wrong id is refused and changes nothing.
    let wrong = embertls::conn::OperationId(op.id.0 + 7);
    assert_eq!(
        pair.server.complete(wrong, op.perform()),
        Err(Error::ApiMisuse(ApiMisuse::UnknownOperation))
    );
    assert_eq!(pair.server.pending_operation(), Some(op.id));

    // Completing resumes the handshake where it stopped.
    pair.server.complete(op.id, op.perform()).unwrap();
    pair.release_held();
    pair.handshake().unwrap();

    // Drop with an operation in flight cancels it.
    let mut pair = Pair::new(
        client_config(Mode::AlwaysPending),
        server_config(Mode::AlwaysPending, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.hold_operations = true;
    pair.drive();
    let op = server_operation(&mut pair);
    assert!(!op.cancellation.is_canceled());
    drop(pair);
    assert!(op.cancellation.is_canceled());
    assert_eq!(
        op.perform(),
        embertls::conn::OperationResult::Signature(Err(CryptoError::OperationCanceled))
    );

    // Reset cancels too, and the connection starts over cleanly.
    let mut pair = Pair::new(
        client_config(Mode::AlwaysPending),
        server_config(Mode::AlwaysPending, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.hold_operations = true;
    pair.drive();
    let op = server_operation(&mut pair);
    pair.server.reset(pair.now).unwrap();
    assert!(op.cancellation.is_canceled());
    assert_eq!(
        pair.server.complete(op.id, op.perform()),
        Err(Error::ApiMisuse(ApiMisuse::UnknownOperation))
    );
    pair.client.reset(pair.now).unwrap();
    pair.hold_operations = false;
    pair.handshake().unwrap();
}

#[test]
fn failed_signature_ends_with_internal_error() {
    let mut pair = Pair::new(
        client_config(Mode::AlwaysPending),
        server_config(Mode::AlwaysPending, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.hold_operations = true;
    pair.drive();
    let op = server_operation(&mut pair);
    let result = embertls::conn::OperationResult::Signature(Err(CryptoError::SigningFailed));
    assert_eq!(
        pair.server.complete(op.id, result),
        Err(Error::Crypto(CryptoError::SigningFailed))
    );
    // The client still waits for its own chain check; once done, it reads
    // the server's alert.
    pair.drive();
    assert!(pair.client_log.alerts.is_empty());
    pair.release_held();
    pair.drive();
    assert_eq!(
        pair.client_log.alerts,
        vec![AlertDescription::InternalError]
    );
}

#[test]
fn input_while_paused_waits_for_resume() {
    let mut pair = Pair::new(
        client_config(Mode::AlwaysPending),
        server_config(Mode::AlwaysPending, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.hold_operations = true;
    pair.drive();
    let op = server_operation(&mut pair);
    // A bogus record arrives while the server waits for its signature: it is
    // kept, not processed...
    pair.server
        .handle_input(&[23, 3, 3, 0, 1, 0], pair.now)
        .unwrap();
    assert!(pair.server.error().is_none());
    // ...and fails the connection once the handshake moves on.
    let err = pair.server.complete(op.id, op.perform()).unwrap_err();
    assert_eq!(err, Error::DecryptFailed);
}

#[test]
fn input_while_paused_is_bounded() {
    let mut pair = Pair::new(
        client_config(Mode::AlwaysPending),
        server_config(Mode::AlwaysPending, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.hold_operations = true;
    pair.drive();
    let chunk = vec![23u8; 64 * 1024];
    let mut result = Ok(());
    for _ in 0..8 {
        result = pair.server.handle_input(&chunk, pair.now);
        if result.is_err() {
            break;
        }
    }
    assert_eq!(
        result,
        Err(Error::PeerMisbehaved(
            PeerMisbehaved::ExcessiveDataWhilePaused
        ))
    );
}

#[test]
fn every_alert_both_ways() {
    // A warning user_canceled is reported and the connection goes on.
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.handshake().unwrap();
    pair.server
        .send_alert(AlertLevel::Warning, AlertDescription::UserCanceled)
        .unwrap();
    pair.client.send(b"still here").unwrap();
    pair.drive();
    assert_eq!(pair.client_log.alerts, vec![AlertDescription::UserCanceled]);
    assert!(pair.client_log.error.is_none());
    assert_eq!(pair.server_log.received, b"still here");

    // Every fatal alert, sent by either side, ends the other side with it.
    let descriptions: Vec<AlertDescription> = (0..=255u8)
        .map(AlertDescription)
        .filter(|d| {
            d.name().is_some()
                && *d != AlertDescription::CloseNotify
                && *d != AlertDescription::UserCanceled
        })
        .collect();
    assert!(descriptions.len() >= 25);
    for description in descriptions {
        for server_sends in [true, false] {
            let mut pair = Pair::new(
                client_config(Mode::Direct),
                server_config(Mode::Direct, "p256"),
                Some("localhost"),
            )
            .unwrap();
            pair.handshake().unwrap();
            let (sender, receiver_log) = if server_sends {
                (&mut pair.server, &pair.client_log)
            } else {
                (&mut pair.client, &pair.server_log)
            };
            let _ = receiver_log;
            sender.send_alert(AlertLevel::Fatal, description).unwrap();
            assert!(
                sender.send(b"no").is_err(),
                "a fatal alert closes the sender"
            );
            pair.drive();
            let log = if server_sends {
                &pair.client_log
            } else {
                &pair.server_log
            };
            assert_eq!(log.alerts, vec![description]);
            assert_eq!(log.error, Some(Error::AlertReceived(description)));
        }
    }

    // During the handshake too (plaintext before keys, protected after).
    let mut pair = Pair::new(
        client_config(Mode::Direct),
        server_config(Mode::Direct, "p256"),
        Some("localhost"),
    )
    .unwrap();
    pair.client
        .send_alert(AlertLevel::Fatal, AlertDescription::InsufficientSecurity)
        .unwrap();
    pair.drive();
    assert_eq!(
        pair.server_log.error,
        Some(Error::AlertReceived(AlertDescription::InsufficientSecurity))
    );
}

/// Takes the server's held operation (its CertificateVerify signature).
fn server_operation(pair: &mut Pair) -> embertls::conn::Operation {
    let at = pair
        .held
        .iter()
        .position(|(from_client, _)| !from_client)
        .expect("server operation held");
    pair.held.remove(at).1
}
