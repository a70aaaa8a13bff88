//! Saved client sessions (Session::from_bytes): never panic, and whatever
//! loads saves back to the same bytes.
#![no_main]

use embertls::session::Session;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(session) = Session::from_bytes(data) {
        assert_eq!(session.to_bytes().as_slice(), data, "session round trip");
    }
});
