//! Minimal primitives for the core's own unit tests (the real backends live
//! in providers/ and cannot be used here without duplicating this crate).

use alloc::boxed::Box;

use aes_gcm::aead::AeadInPlace;
use aes_gcm::KeyInit;
use hmac::Mac;

use crate::crypto::{Aead, AeadAlgorithm, AeadKey, HashOutput, Hmac, HmacKey};
use crate::error::CryptoError;
use crate::msgs::enums::HashAlgorithm;

pub struct HmacSha256;

struct HmacSha256Key(hmac::Hmac<sha2::Sha256>);

impl Hmac for HmacSha256 {
    fn hash_algorithm(&self) -> HashAlgorithm {
        HashAlgorithm::SHA256
    }
    fn output_len(&self) -> usize {
        32
    }
    fn with_key(&self, key: &[u8]) -> Box<dyn HmacKey> {
        Box::new(HmacSha256Key(
            <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap(),
        ))
    }
}

impl HmacKey for HmacSha256Key {
    fn sign(&self, chunks: &[&[u8]]) -> HashOutput {
        let mut mac = self.0.clone();
        for c in chunks {
            mac.update(c);
        }
        HashOutput::new(&mac.finalize().into_bytes())
    }
}

pub struct Aes128Gcm;

struct Aes128GcmKey(aes_gcm::Aes128Gcm);

impl Aead for Aes128Gcm {
    fn algorithm(&self) -> AeadAlgorithm {
        AeadAlgorithm::Aes128Gcm
    }
    fn new_key(&self, key: &[u8]) -> Result<Box<dyn AeadKey>, CryptoError> {
        Ok(Box::new(Aes128GcmKey(
            aes_gcm::Aes128Gcm::new_from_slice(key).map_err(|_| CryptoError::InvalidKey)?,
        )))
    }
}

impl AeadKey for Aes128GcmKey {
    fn seal_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), CryptoError> {
        let t = self
            .0
            .encrypt_in_place_detached(nonce.into(), aad, in_out)
            .map_err(|_| CryptoError::Other)?;
        tag.copy_from_slice(&t);
        Ok(())
    }
    fn open_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), CryptoError> {
        self.0
            .decrypt_in_place_detached(nonce.into(), aad, in_out, tag.into())
            .map_err(|_| CryptoError::Other)
    }
}
