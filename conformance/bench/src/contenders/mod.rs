//! Every contender: embertls on each backend, rustls with aws-lc-rs, and
//! OpenSSL through the `openssl` crate.

mod embertls;
mod openssl;
mod rustls;

use std::sync::Arc;

use ::embertls::crypto::CryptoProvider;
use ::embertls::error::CryptoError;

use self::embertls::Sealer;
use crate::Contender;

pub use self::embertls::Embertls;
pub use self::openssl::OpenSsl;
pub use self::rustls::Rustls;

/// An embertls backend: its provider and its ticket sealer.
#[derive(Clone, Copy)]
pub struct Backend {
    /// Short name for the table ("aws-lc" gives the column "embertls+aws-lc").
    pub name: &'static str,
    pub provider: fn() -> CryptoProvider,
    pub ticketer: fn(&CryptoProvider) -> Result<Sealer, CryptoError>,
}

/// Lifetime of the tickets the servers issue.
const TICKET_LIFETIME_SECS: u32 = 7200;

/// A backend from its crate: `provider()`, with the core's rotating ticketer
/// on that provider.
macro_rules! backend {
    ($name:literal, $krate:ident) => {
        Backend {
            name: $name,
            provider: $krate::provider,
            ticketer: |p| {
                let sealer = ::embertls::session::RotatingTicketer::new(p, TICKET_LIFETIME_SECS);
                Ok(Arc::new(sealer?))
            },
        }
    };
}

/// The embertls backends: adding one is one line.
pub fn backends() -> Vec<Backend> {
    vec![
        backend!("rustcrypto", embertls_rustcrypto),
        backend!("openssl", embertls_openssl),
        backend!("aws-lc", embertls_aws_lc),
    ]
}

/// Every contender, in table order: the embertls backends, then rustls
/// (the reference of the ratios), then OpenSSL.
pub fn all_contenders() -> Vec<Box<dyn Contender>> {
    let mut all: Vec<Box<dyn Contender>> = backends()
        .into_iter()
        .map(|b| Box::new(Embertls::new(b)) as Box<dyn Contender>)
        .collect();
    all.push(Box::new(Rustls::new()));
    all.push(Box::new(OpenSsl));
    all
}

/// The name of the contender every ratio compares with, except on the
/// DTLS rows.
pub const REFERENCE: &str = "rustls+aws-lc";

/// The contender the DTLS rows compare with (rustls has no DTLS).
pub const DTLS_REFERENCE: &str = "OpenSSL";
