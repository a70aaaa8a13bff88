//! Trust anchors from DER or PEM.

use alloc::sync::Arc;
use alloc::vec::Vec;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, TrustAnchor};

use crate::error::{CertificateError, Error};

/// The CA certificates a peer's chain must lead to (Mbed TLS conf_ca_chain).
/// Cloning is cheap (shared until modified), so every handshake can carry
/// the store into a verification request.
#[derive(Debug, Clone, Default)]
pub struct RootStore {
    inner: Arc<Anchors>,
}

#[derive(Debug, Clone, Default)]
struct Anchors {
    anchors: Vec<TrustAnchor<'static>>,
    /// Subject DNs of the anchors, for CertificateRequest CA lists.
    subjects: Vec<Vec<u8>>,
}

impl RootStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn anchors(&self) -> &[TrustAnchor<'static>] {
        &self.inner.anchors
    }

    /// DER-encoded subject names of the anchors (the DistinguishedName
    /// contents, wrapped in a SEQUENCE as TLS sends them).
    pub fn subjects(&self) -> &[Vec<u8>] {
        &self.inner.subjects
    }

    pub fn is_empty(&self) -> bool {
        self.inner.anchors.is_empty()
    }

    pub fn add_der(&mut self, der: &[u8]) -> Result<(), Error> {
        let cert = CertificateDer::from(der);
        let anchor = webpki::anchor_from_trusted_cert(&cert)
            .map_err(|_| CertificateError::BadEncoding)?
            .to_owned();
        let mut subject = Vec::with_capacity(anchor.subject.len() + 4);
        crate::verify::roots::der_sequence(&mut subject, anchor.subject.as_ref());
        let inner = Arc::make_mut(&mut self.inner);
        inner.subjects.push(subject);
        inner.anchors.push(anchor);
        Ok(())
    }

    /// Adds every CERTIFICATE block in PEM text; returns how many were added.
    pub fn add_pem(&mut self, pem: &[u8]) -> Result<usize, Error> {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|_| CertificateError::BadEncoding)?;
            self.add_der(cert.as_ref())?;
            added += 1;
        }
        if added == 0 {
            return Err(CertificateError::BadEncoding.into());
        }
        Ok(added)
    }
}

/// Wraps `contents` in a DER SEQUENCE header.
pub(crate) fn der_sequence(out: &mut Vec<u8>, contents: &[u8]) {
    out.push(0x30);
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(contents);
}

/// Parses every CERTIFICATE block in PEM text into DER.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| CertificateError::BadEncoding)?;
    if certs.is_empty() {
        return Err(CertificateError::BadEncoding.into());
    }
    Ok(certs)
}
