//! Interop peers, RFC replays and the test kit shared by embertls's tests
//! and its command-line tool.

pub mod cli;
pub mod provider_suite;
pub mod testkit;
