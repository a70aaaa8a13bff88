//! Placeholder until TLS 1.2 record protection lands.
use super::Protection;
use crate::crypto::CryptoProvider;
use crate::error::Error;
use crate::msgs::enums::ProtocolVersion;
use crate::suites::SuiteInfo;

pub(crate) fn tls12_key_block_len(_suite: &SuiteInfo) -> usize {
    0
}

pub(crate) fn tls12_protections(
    _provider: &CryptoProvider,
    _suite: &SuiteInfo,
    _key_block: &[u8],
    _etm: bool,
    _version: ProtocolVersion,
) -> Result<(Protection, Protection), Error> {
    Err(Error::Internal("TLS 1.2 record protection missing"))
}
