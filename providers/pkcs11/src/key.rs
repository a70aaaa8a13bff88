//! A private key inside a token, as an embertls [`SigningKey`].

use std::fmt;
use std::sync::Mutex;

use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType as CkKeyType, ObjectClass, ObjectHandle};
use embertls::crypto::{KeyType, Pausable, SignatureAlgorithm, SigningKey};
use embertls::error::CryptoError;
use embertls::msgs::enums::{HashAlgorithm, SignatureScheme};

use crate::encoding::{
    bit_len, digest, digest_info, ecdsa_raw_to_der, EC_PARAMS_P256, EC_PARAMS_P384,
};
use crate::error::Pkcs11Error;
use crate::token::{lock, Pkcs11Token};

/// Smallest RSA modulus we sign with (as the other backends accept).
const MIN_RSA_BITS: usize = 2048;

/// How a key is found on its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLookup {
    /// By `CKA_LABEL`.
    Label(String),
    /// By `CKA_ID` (raw bytes; tools usually show them in hex).
    Id(Vec<u8>),
}

impl fmt::Display for KeyLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyLookup::Label(l) => write!(f, "label {l:?}"),
            KeyLookup::Id(id) => {
                f.write_str("id ")?;
                for b in id {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }
    }
}

/// Where the message is hashed before the private-key operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Hashing {
    /// Here, with `sha2`; the token gets only the digest (`CKM_ECDSA`,
    /// `CKM_RSA_PKCS_PSS`, `CKM_RSA_PKCS` over a DigestInfo). Little data
    /// crosses to the token, which matters for network HSMs.
    #[default]
    Host,
    /// On the token (`CKM_ECDSA_SHA256`, `CKM_SHA256_RSA_PKCS_PSS`,
    /// `CKM_SHA256_RSA_PKCS`, ...), for tokens that only offer those.
    Token,
}

/// What the token is asked to sign.
#[derive(Debug, Clone, Copy)]
enum Input {
    Digest(HashAlgorithm),
    DigestInfo(HashAlgorithm),
    Message,
}

/// The mechanism and input for one signature scheme.
struct Plan {
    mechanism: Mechanism<'static>,
    input: Input,
}

/// The key's algorithm, read from its attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ec {
        key_type: KeyType,
        scalar_len: usize,
    },
    Rsa {
        bits: usize,
    },
}

/// A private key that stays in its token.
///
/// [`SigningKey::start_sign`] always answers [`Pausable::Pending`]: the
/// connection hands the signature to the caller as an
/// `embertls::conn::Operation`, to be served off the connection's thread
/// (see [`crate::Pkcs11Worker`]). [`SigningKey::sign`] makes the `C_Sign`
/// call and blocks until the token answers.
pub struct Pkcs11Key {
    token: Pkcs11Token,
    lookup: KeyLookup,
    /// Refreshed when the token says the handle went stale.
    handle: Mutex<ObjectHandle>,
    kind: Kind,
    hashing: Hashing,
}

impl fmt::Debug for Pkcs11Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Key")
            .field("token", &self.token.label())
            .field("lookup", &self.lookup)
            .field("kind", &self.kind)
            .field("hashing", &self.hashing)
            .finish()
    }
}

impl Pkcs11Key {
    pub(crate) fn find(token: Pkcs11Token, lookup: KeyLookup) -> Result<Self, Pkcs11Error> {
        let handle = find_handle(&token, &lookup)?;
        let kind = read_kind(&token, &lookup, handle)?;
        Ok(Self {
            token,
            lookup,
            handle: Mutex::new(handle),
            kind,
            hashing: Hashing::default(),
        })
    }

    /// Chooses where messages are hashed (default [`Hashing::Host`]). When
    /// the token lacks the preferred mechanism the other kind is used.
    pub fn with_hashing(mut self, hashing: Hashing) -> Self {
        self.hashing = hashing;
        self
    }

    pub fn token(&self) -> &Pkcs11Token {
        &self.token
    }

    pub fn lookup(&self) -> &KeyLookup {
        &self.lookup
    }

    /// The modulus size of an RSA key.
    pub fn rsa_bits(&self) -> Option<usize> {
        match self.kind {
            Kind::Rsa { bits } => Some(bits),
            Kind::Ec { .. } => None,
        }
    }

    /// The PKCS#11 mechanism a `scheme` signature would use, or `None`
    /// when this key cannot make it on this token.
    pub fn mechanism_for(&self, scheme: SignatureScheme) -> Option<MechanismType> {
        self.plan(scheme).map(|p| p.mechanism.mechanism_type())
    }

    /// Signs like [`SigningKey::sign`], with the full error.
    pub fn try_sign(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
    ) -> Result<Vec<u8>, Pkcs11Error> {
        let plan = self
            .plan(scheme)
            .ok_or(Pkcs11Error::UnsupportedScheme(scheme))?;
        let unsupported = || Pkcs11Error::UnsupportedScheme(scheme);
        let data = match plan.input {
            Input::Digest(h) => digest(h, message).ok_or_else(unsupported)?,
            Input::DigestInfo(h) => {
                let d = digest(h, message).ok_or_else(unsupported)?;
                digest_info(h, &d).ok_or_else(unsupported)?
            }
            Input::Message => message.to_vec(),
        };
        let raw = self.sign_raw(&plan.mechanism, &data)?;
        match self.kind {
            Kind::Ec { scalar_len, .. } => ecdsa_raw_to_der(&raw, scalar_len)
                .ok_or(Pkcs11Error::BadOutput("ECDSA signature is not r || s")),
            Kind::Rsa { bits } if raw.len() != bits.div_ceil(8) => Err(Pkcs11Error::BadOutput(
                "RSA signature is not as long as the modulus",
            )),
            Kind::Rsa { .. } => Ok(raw),
        }
    }

    /// `C_Sign` on a session of our own (see [`Self::with_handle`]).
    fn sign_raw(&self, mechanism: &Mechanism<'_>, data: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        self.with_handle(|session, handle| session.sign(mechanism, handle, data))
    }

    /// RSA PKCS#1 v1.5 decryption (`CKM_RSA_PKCS` `C_Decrypt`) of a TLS 1.2
    /// ClientKeyExchange, like [`SigningKey::decrypt`] but with the full
    /// error. The ciphertext must be exactly as long as the modulus; a bad
    /// padding is the token's error (`CKR_ENCRYPTED_DATA_INVALID` and the
    /// like), which the engine treats like any other failure (RFC 5246
    /// 7.4.7.1). A key with `CKA_DECRYPT` false is refused by the token
    /// (`CKR_KEY_FUNCTION_NOT_PERMITTED`).
    pub fn try_decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        let Kind::Rsa { bits } = self.kind else {
            return Err(Pkcs11Error::UnsupportedOperation("RSA decryption"));
        };
        if !self.token.supports(MechanismType::RSA_PKCS) {
            return Err(Pkcs11Error::UnsupportedOperation("RSA decryption"));
        }
        if ciphertext.len() != bits.div_ceil(8) {
            return Err(Pkcs11Error::BadInput(
                "RSA ciphertext is not as long as the modulus",
            ));
        }
        self.with_handle(|session, handle| session.decrypt(&Mechanism::RsaPkcs, handle, ciphertext))
    }

    /// Runs `op` with the key's handle on a session of our own. If the
    /// token says the handle is no longer valid (some tokens say so for
    /// private keys once the application was logged out), logs in again,
    /// finds the key again and retries once.
    fn with_handle<T>(
        &self,
        op: impl Fn(&cryptoki::session::Session, ObjectHandle) -> cryptoki::error::Result<T>,
    ) -> Result<T, Pkcs11Error> {
        let handle = *lock(&self.handle);
        let run = |handle| self.token.inner.with_session(|session| op(session, handle));
        match run(handle) {
            Err(Pkcs11Error::Call {
                rv:
                    cryptoki::error::RvError::ObjectHandleInvalid
                    | cryptoki::error::RvError::KeyHandleInvalid,
                ..
            }) => {
                self.token.inner.relogin()?;
                let fresh = find_handle(&self.token, &self.lookup)?;
                if read_kind(&self.token, &self.lookup, fresh)? != self.kind {
                    return Err(Pkcs11Error::UnsupportedKey {
                        lookup: self.lookup.to_string(),
                        reason: "the key was replaced by one of another type".into(),
                    });
                }
                *lock(&self.handle) = fresh;
                run(fresh)
            }
            other => other,
        }
    }

    fn plan(&self, scheme: SignatureScheme) -> Option<Plan> {
        let alg = SignatureAlgorithm::from_scheme(scheme)?;
        if alg.key_type() != self.key_type() {
            return None;
        }
        let (host, token) = match alg {
            SignatureAlgorithm::Ecdsa { hash, .. } => {
                let on_token = match hash {
                    HashAlgorithm::SHA256 => Mechanism::EcdsaSha256,
                    HashAlgorithm::SHA384 => Mechanism::EcdsaSha384,
                    HashAlgorithm::SHA512 => Mechanism::EcdsaSha512,
                    _ => return None,
                };
                (
                    Plan {
                        mechanism: Mechanism::Ecdsa,
                        input: Input::Digest(hash),
                    },
                    Plan {
                        mechanism: on_token,
                        input: Input::Message,
                    },
                )
            }
            SignatureAlgorithm::RsaPss { hash } => {
                let (hash_alg, mgf, s_len) = match hash {
                    HashAlgorithm::SHA256 => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256, 32),
                    HashAlgorithm::SHA384 => (MechanismType::SHA384, PkcsMgfType::MGF1_SHA384, 48),
                    HashAlgorithm::SHA512 => (MechanismType::SHA512, PkcsMgfType::MGF1_SHA512, 64),
                    _ => return None,
                };
                // RFC 8446 4.2.3: MGF1 with the same hash, salt as long as
                // the digest.
                let params = PkcsPssParams {
                    hash_alg,
                    mgf,
                    s_len: (s_len as u64).into(),
                };
                let on_token = match hash {
                    HashAlgorithm::SHA256 => Mechanism::Sha256RsaPkcsPss(params),
                    HashAlgorithm::SHA384 => Mechanism::Sha384RsaPkcsPss(params),
                    _ => Mechanism::Sha512RsaPkcsPss(params),
                };
                (
                    Plan {
                        mechanism: Mechanism::RsaPkcsPss(params),
                        input: Input::Digest(hash),
                    },
                    Plan {
                        mechanism: on_token,
                        input: Input::Message,
                    },
                )
            }
            SignatureAlgorithm::RsaPkcs1 { hash } => {
                let on_token = match hash {
                    HashAlgorithm::SHA256 => Mechanism::Sha256RsaPkcs,
                    HashAlgorithm::SHA384 => Mechanism::Sha384RsaPkcs,
                    HashAlgorithm::SHA512 => Mechanism::Sha512RsaPkcs,
                    _ => return None,
                };
                (
                    Plan {
                        mechanism: Mechanism::RsaPkcs,
                        input: Input::DigestInfo(hash),
                    },
                    Plan {
                        mechanism: on_token,
                        input: Input::Message,
                    },
                )
            }
            SignatureAlgorithm::Ed25519 => return None,
        };
        let (first, second) = match self.hashing {
            Hashing::Host => (host, token),
            Hashing::Token => (token, host),
        };
        [first, second]
            .into_iter()
            .find(|p| self.token.supports(p.mechanism.mechanism_type()))
    }
}

impl SigningKey for Pkcs11Key {
    fn key_type(&self) -> KeyType {
        match self.kind {
            Kind::Ec { key_type, .. } => key_type,
            Kind::Rsa { .. } => KeyType::Rsa,
        }
    }

    /// Always pending: the token is slow, may be remote, and must not be
    /// called on the connection's thread.
    fn start_sign(&self, _: SignatureScheme, _: &[u8]) -> Pausable<Result<Vec<u8>, CryptoError>> {
        Pausable::Pending
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.try_sign(scheme, message).map_err(CryptoError::from)
    }

    /// Always pending, like signing: `C_Decrypt` runs on the worker.
    fn start_decrypt(&self, _: &[u8]) -> Pausable<Result<Vec<u8>, CryptoError>> {
        Pausable::Pending
    }

    /// `CKM_RSA_PKCS` decryption on the token; see [`Pkcs11Key::try_decrypt`].
    /// A token failure is `CryptoError::Other` (not `SigningFailed`).
    fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.try_decrypt(ciphertext)
            .map_err(|e| match e.to_crypto_error() {
                CryptoError::SigningFailed => CryptoError::Other,
                other => other,
            })
    }

    /// The key type's TLS 1.3 schemes that the token has a mechanism for.
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        self.key_type()
            .tls13_schemes()
            .iter()
            .copied()
            .find(|s| offered.contains(s) && self.plan(*s).is_some())
    }
}

fn find_handle(token: &Pkcs11Token, lookup: &KeyLookup) -> Result<ObjectHandle, Pkcs11Error> {
    let selector = match lookup {
        KeyLookup::Label(l) => Attribute::Label(l.as_bytes().to_vec()),
        KeyLookup::Id(id) => Attribute::Id(id.clone()),
    };
    let template = [Attribute::Class(ObjectClass::PRIVATE_KEY), selector];
    let found = token
        .inner
        .with_login_session(|s| s.find_objects(&template))?;
    match found.as_slice() {
        [] => Err(Pkcs11Error::KeyNotFound {
            lookup: lookup.to_string(),
        }),
        [one] => Ok(*one),
        more => Err(Pkcs11Error::AmbiguousKey {
            lookup: lookup.to_string(),
            matches: more.len(),
        }),
    }
}

/// The key type from `CKA_KEY_TYPE`, with the curve from `CKA_EC_PARAMS`
/// or the size from `CKA_MODULUS`.
fn read_kind(
    token: &Pkcs11Token,
    lookup: &KeyLookup,
    handle: ObjectHandle,
) -> Result<Kind, Pkcs11Error> {
    let attrs = token.inner.with_login_session(|s| {
        s.get_attributes(
            handle,
            &[
                AttributeType::KeyType,
                AttributeType::EcParams,
                AttributeType::Modulus,
                AttributeType::Sign,
                AttributeType::AlwaysAuthenticate,
            ],
        )
    })?;
    let unsupported = |reason: String| Pkcs11Error::UnsupportedKey {
        lookup: lookup.to_string(),
        reason,
    };
    let (mut key_type, mut ec_params, mut modulus) = (None, None, None);
    for attr in attrs {
        match attr {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::EcParams(p) => ec_params = Some(p),
            Attribute::Modulus(m) => modulus = Some(m),
            Attribute::Sign(false) => return Err(unsupported("CKA_SIGN is false".into())),
            Attribute::AlwaysAuthenticate(true) => {
                return Err(unsupported(
                    "CKA_ALWAYS_AUTHENTICATE keys (a PIN per signature) are not supported".into(),
                ))
            }
            _ => {}
        }
    }
    match key_type {
        Some(t) if t == CkKeyType::EC => match ec_params.as_deref() {
            Some(EC_PARAMS_P256) => Ok(Kind::Ec {
                key_type: KeyType::EcdsaP256,
                scalar_len: 32,
            }),
            Some(EC_PARAMS_P384) => Ok(Kind::Ec {
                key_type: KeyType::EcdsaP384,
                scalar_len: 48,
            }),
            Some(_) => Err(unsupported(
                "EC key on a curve other than P-256 or P-384".into(),
            )),
            None => Err(unsupported("EC key without CKA_EC_PARAMS".into())),
        },
        Some(t) if t == CkKeyType::RSA => {
            let bits = modulus.as_deref().map(bit_len).unwrap_or(0);
            if bits < MIN_RSA_BITS {
                return Err(unsupported(format!(
                    "RSA modulus of {bits} bits (at least {MIN_RSA_BITS} needed)"
                )));
            }
            Ok(Kind::Rsa { bits })
        }
        Some(t) => Err(unsupported(format!("key type {t}"))),
        None => Err(unsupported("no CKA_KEY_TYPE".into())),
    }
}
