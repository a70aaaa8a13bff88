//! Minimal primitives for the core's own unit tests (the real backends live
//! in providers/ and cannot be used here without duplicating this crate).

use alloc::boxed::Box;

use aes_gcm::aead::AeadInPlace;
use aes_gcm::KeyInit;
use hmac::Mac;

use aes_gcm::aead::generic_array::typenum::Unsigned;

use crate::crypto::{
    Aead, AeadAlgorithm, AeadKey, Cbc, CbcAlgorithm, CbcKey, HashOutput, Hmac, HmacKey, KeyLoader,
    SecureRandom, SignatureAlgorithm, SignatureVerifier,
};
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

/// HMAC over any RustCrypto digest, for the TLS 1.2 record tests.
macro_rules! test_hmac {
    ($name:ident, $key:ident, $digest:ty, $alg:ident, $len:expr) => {
        pub struct $name;

        struct $key(hmac::Hmac<$digest>);

        impl Hmac for $name {
            fn hash_algorithm(&self) -> HashAlgorithm {
                HashAlgorithm::$alg
            }
            fn output_len(&self) -> usize {
                $len
            }
            fn with_key(&self, key: &[u8]) -> Box<dyn HmacKey> {
                Box::new($key(
                    <hmac::Hmac<$digest> as Mac>::new_from_slice(key).unwrap(),
                ))
            }
        }

        impl HmacKey for $key {
            fn sign(&self, chunks: &[&[u8]]) -> HashOutput {
                let mut mac = self.0.clone();
                for c in chunks {
                    mac.update(c);
                }
                HashOutput::new(&mac.finalize().into_bytes())
            }
        }
    };
}

test_hmac!(HmacSha1, HmacSha1Key, sha1::Sha1, SHA1, 20);
test_hmac!(HmacSha384, HmacSha384Key, sha2::Sha384, SHA384, 48);

/// Any RustCrypto AEAD behind the provider traits.
pub struct TestAead<A> {
    algorithm: AeadAlgorithm,
    _aead: core::marker::PhantomData<fn() -> A>,
}

impl<A> TestAead<A> {
    pub const fn new(algorithm: AeadAlgorithm) -> Self {
        Self {
            algorithm,
            _aead: core::marker::PhantomData,
        }
    }
}

struct TestAeadKey<A>(A);

impl<A> Aead for TestAead<A>
where
    A: AeadInPlace + KeyInit + Send + Sync + 'static,
{
    fn algorithm(&self) -> AeadAlgorithm {
        self.algorithm
    }
    fn new_key(&self, key: &[u8]) -> Result<Box<dyn AeadKey>, CryptoError> {
        Ok(Box::new(TestAeadKey(
            A::new_from_slice(key).map_err(|_| CryptoError::InvalidKey)?,
        )))
    }
}

impl<A> AeadKey for TestAeadKey<A>
where
    A: AeadInPlace + Send + Sync,
{
    fn seal_in_place(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), CryptoError> {
        let nonce = aes_gcm::aead::generic_array::GenericArray::from_slice(nonce);
        let t = self
            .0
            .encrypt_in_place_detached(nonce, aad, in_out)
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
        if tag.len() != A::TagSize::USIZE {
            return Err(CryptoError::Other);
        }
        let nonce = aes_gcm::aead::generic_array::GenericArray::from_slice(nonce);
        let tag = aes_gcm::aead::generic_array::GenericArray::from_slice(tag);
        self.0
            .decrypt_in_place_detached(nonce, aad, in_out, tag)
            .map_err(|_| CryptoError::Other)
    }
}

type U12 = aes_gcm::aead::consts::U12;
pub type Aes128Ccm = ccm::Ccm<aes::Aes128, ccm::consts::U16, U12>;
pub type Aes256Ccm = ccm::Ccm<aes::Aes256, ccm::consts::U16, U12>;
pub type Aes128Ccm8 = ccm::Ccm<aes::Aes128, ccm::consts::U8, U12>;
pub type Aes256Ccm8 = ccm::Ccm<aes::Aes256, ccm::consts::U8, U12>;

/// AES-CBC without padding, through the `cbc` crate.
pub struct AesCbc(pub CbcAlgorithm);

struct AesCbcKey(alloc::vec::Vec<u8>);

impl Cbc for AesCbc {
    fn algorithm(&self) -> CbcAlgorithm {
        self.0
    }
    fn new_key(&self, key: &[u8]) -> Result<Box<dyn CbcKey>, CryptoError> {
        if key.len() != self.0.key_len() {
            return Err(CryptoError::InvalidKey);
        }
        Ok(Box::new(AesCbcKey(key.to_vec())))
    }
}

impl CbcKey for AesCbcKey {
    fn encrypt_in_place(&self, iv: &[u8; 16], in_out: &mut [u8]) -> Result<(), CryptoError> {
        use cbc::cipher::block_padding::NoPadding;
        use cbc::cipher::{BlockEncryptMut, KeyIvInit};
        let len = in_out.len();
        let done = match self.0.len() {
            16 => cbc::Encryptor::<aes::Aes128>::new_from_slices(&self.0, iv)
                .map_err(|_| CryptoError::InvalidKey)?
                .encrypt_padded_mut::<NoPadding>(in_out, len)
                .map(|_| ()),
            _ => cbc::Encryptor::<aes::Aes256>::new_from_slices(&self.0, iv)
                .map_err(|_| CryptoError::InvalidKey)?
                .encrypt_padded_mut::<NoPadding>(in_out, len)
                .map(|_| ()),
        };
        done.map_err(|_| CryptoError::Other)
    }
    fn decrypt_in_place(&self, iv: &[u8; 16], in_out: &mut [u8]) -> Result<(), CryptoError> {
        use cbc::cipher::block_padding::NoPadding;
        use cbc::cipher::{BlockDecryptMut, KeyIvInit};
        let done = match self.0.len() {
            16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(&self.0, iv)
                .map_err(|_| CryptoError::InvalidKey)?
                .decrypt_padded_mut::<NoPadding>(in_out)
                .map(|_| ()),
            _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(&self.0, iv)
                .map_err(|_| CryptoError::InvalidKey)?
                .decrypt_padded_mut::<NoPadding>(in_out)
                .map(|_| ()),
        };
        done.map_err(|_| CryptoError::Other)
    }
}

/// A deterministic "random" source: a counter run through SHA-256.
#[derive(Default)]
pub struct CountingRandom(core::sync::atomic::AtomicU64);

impl SecureRandom for CountingRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
        use sha2::Digest;
        for chunk in dest.chunks_mut(32) {
            let n = self.0.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            let block = sha2::Sha256::digest(n.to_be_bytes());
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

struct NoVerifier;

impl SignatureVerifier for NoVerifier {
    fn supports(&self, _: SignatureAlgorithm) -> bool {
        false
    }
    fn verify(
        &self,
        _: SignatureAlgorithm,
        _: &[u8],
        _: &[u8],
        _: &[u8],
    ) -> Result<(), CryptoError> {
        Err(CryptoError::UnsupportedAlgorithm)
    }
}

struct NoKeys;

impl KeyLoader for NoKeys {
    fn load_private_key(
        &self,
        _: &[u8],
    ) -> Result<alloc::sync::Arc<dyn crate::crypto::SigningKey>, CryptoError> {
        Err(CryptoError::UnsupportedAlgorithm)
    }
}

/// A provider with every record-protection primitive above (no signatures,
/// no key exchange).
pub fn record_provider() -> crate::crypto::CryptoProvider {
    use alloc::sync::Arc;
    use alloc::vec;
    crate::crypto::CryptoProvider {
        name: "test",
        hashes: vec![],
        hmacs: vec![
            Arc::new(HmacSha1),
            Arc::new(HmacSha256),
            Arc::new(HmacSha384),
        ],
        hkdfs: vec![],
        prfs: vec![],
        aeads: vec![
            Arc::new(Aes128Gcm),
            Arc::new(TestAead::<aes_gcm::Aes256Gcm>::new(
                AeadAlgorithm::Aes256Gcm,
            )),
            Arc::new(TestAead::<chacha20poly1305::ChaCha20Poly1305>::new(
                AeadAlgorithm::ChaCha20Poly1305,
            )),
            Arc::new(TestAead::<Aes128Ccm>::new(AeadAlgorithm::Aes128Ccm)),
            Arc::new(TestAead::<Aes256Ccm>::new(AeadAlgorithm::Aes256Ccm)),
            Arc::new(TestAead::<Aes128Ccm8>::new(AeadAlgorithm::Aes128Ccm8)),
            Arc::new(TestAead::<Aes256Ccm8>::new(AeadAlgorithm::Aes256Ccm8)),
        ],
        cbcs: vec![
            Arc::new(AesCbc(CbcAlgorithm::Aes128Cbc)),
            Arc::new(AesCbc(CbcAlgorithm::Aes256Cbc)),
        ],
        groups: vec![],
        ffdh: None,
        rsa_key_transport: None,
        verifier: Arc::new(NoVerifier),
        key_loader: Arc::new(NoKeys),
        random: Arc::new(CountingRandom::default()),
        time: None,
    }
}
