//! Loading certificates and keys from PEM files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use embertls::crypto::{CryptoProvider, SigningKey};
use embertls::verify::{certificates_from_pem, RootStore};
use embertls::Error;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The repository's test PKI (conformance/testdata).
pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// All certificates in a PEM file, in order.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    certificates_from_pem(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// A private key in PKCS#8, SEC1 or PKCS#1 PEM, loaded by `provider`.
pub fn load_key(provider: &CryptoProvider, path: &Path) -> Result<Arc<dyn SigningKey>, String> {
    let pem = read(path)?;
    let der =
        PrivateKeyDer::from_pem_slice(&pem).map_err(|e| format!("{}: {e:?}", path.display()))?;
    provider
        .key_loader
        .load_private_key(der.secret_der())
        .map_err(|e| format!("{}: {}", path.display(), Error::from(e)))
}

/// A root store from a PEM file of CA certificates.
pub fn load_roots(path: &Path) -> Result<RootStore, String> {
    let mut roots = RootStore::new();
    roots
        .add_pem(&read(path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(roots)
}
