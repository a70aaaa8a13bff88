//! Our own certificates and keys, and how the server picks one per
//! ClientHello (Mbed TLS conf_own_cert and conf_sni).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use rustls_pki_types::CertificateDer;

use crate::crypto::SigningKey;
use crate::msgs::enums::SignatureScheme;

/// A certificate chain (end entity first) and its private key.
pub struct CertifiedKey {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: Arc<dyn SigningKey>,
}

impl CertifiedKey {
    pub fn new(chain: Vec<CertificateDer<'static>>, key: Arc<dyn SigningKey>) -> Self {
        Self { chain, key }
    }
}

impl core::fmt::Debug for CertifiedKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CertifiedKey")
            .field("chain_len", &self.chain.len())
            .field("key", &self.key.key_type())
            .finish()
    }
}

/// What the server knows of the client when it picks a certificate.
#[derive(Debug)]
pub struct ClientHelloInfo<'a> {
    /// The server_name the client sent, if any (already checked to be ASCII).
    pub server_name: Option<&'a str>,
    /// Signature schemes the client accepts in CertificateVerify.
    pub signature_schemes: &'a [SignatureScheme],
    pub alpn: &'a [Vec<u8>],
}

/// Chooses the server's certificate and key per ClientHello. Returning
/// `None` ends the handshake with unrecognized_name.
pub trait ResolvesServerCert: Send + Sync {
    fn resolve(&self, hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>>;
}

/// Always the same certificate.
pub struct SingleCertAndKey(pub Arc<CertifiedKey>);

impl ResolvesServerCert for SingleCertAndKey {
    fn resolve(&self, _: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// A user function choosing a certificate from the ClientHello.
pub type SniCallback = dyn Fn(&ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> + Send + Sync;

/// Certificates by exact (case-insensitive) server name, with an optional
/// default for clients that send no or an unknown name.
#[derive(Default)]
pub struct SniResolver {
    by_name: Vec<(String, Arc<CertifiedKey>)>,
    default: Option<Arc<CertifiedKey>>,
    /// A user callback consulted first (Mbed TLS conf_sni).
    callback: Option<Box<SniCallback>>,
}

impl SniResolver {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, name: &str, key: Arc<CertifiedKey>) {
        self.by_name.push((name.to_ascii_lowercase(), key));
    }

    pub fn set_default(&mut self, key: Arc<CertifiedKey>) {
        self.default = Some(key);
    }

    pub fn set_callback(
        &mut self,
        callback: impl Fn(&ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> + Send + Sync + 'static,
    ) {
        self.callback = Some(Box::new(callback));
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: &ClientHelloInfo<'_>) -> Option<Arc<CertifiedKey>> {
        if let Some(cb) = &self.callback {
            if let Some(key) = cb(hello) {
                return Some(key);
            }
        }
        if let Some(name) = hello.server_name {
            if let Some((_, key)) = self
                .by_name
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                return Some(key.clone());
            }
        }
        self.default.clone()
    }
}
