//! Typed errors of the PKCS#11 backend.

use std::fmt;
use std::path::PathBuf;

use cryptoki::context::Function;
use cryptoki::error::{Error as CkError, RvError};
use embertls::error::CryptoError;

/// Everything that can go wrong opening a token, finding a key or signing.
#[derive(Debug)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The PKCS#11 module could not be loaded (no such file, not a shared
    /// library, no `C_GetFunctionList`).
    ModuleLoad { path: PathBuf, reason: String },
    /// No slot holds an initialized token with this label.
    TokenNotFound { label: String },
    /// More than one slot holds a token with this label.
    AmbiguousToken { label: String, slots: usize },
    /// The token refused the PIN (`CKR_PIN_INCORRECT`).
    PinIncorrect,
    /// The PIN is locked after too many wrong tries (`CKR_PIN_LOCKED`).
    PinLocked,
    /// The token does not accept a PIN of this length (`CKR_PIN_LEN_RANGE`).
    PinLength,
    /// No private key matched the lookup.
    KeyNotFound { lookup: String },
    /// More than one private key matched the lookup.
    AmbiguousKey { lookup: String, matches: usize },
    /// The key exists but cannot serve TLS: an unsupported key type or
    /// curve, an RSA modulus under 2048 bits, `CKA_SIGN` false.
    UnsupportedKey { lookup: String, reason: String },
    /// The key cannot make this signature scheme (wrong key type, or the
    /// token offers no mechanism for it).
    UnsupportedScheme(embertls::msgs::enums::SignatureScheme),
    /// The key cannot do this at all (for example RSA decryption with an
    /// EC key), or the token lacks the mechanism for it.
    UnsupportedOperation(&'static str),
    /// The input has the wrong shape for the key (for example an RSA
    /// ciphertext that is not as long as the modulus).
    BadInput(&'static str),
    /// The token's answer has the wrong shape (for example an ECDSA
    /// signature of the wrong length).
    BadOutput(&'static str),
    /// A PKCS#11 function returned an error code.
    Call { function: Function, rv: RvError },
    /// Any other failure of the PKCS#11 wrapper.
    Library(String),
}

impl Pkcs11Error {
    /// The `CKR_*` code, when a PKCS#11 call failed.
    pub fn rv(&self) -> Option<RvError> {
        match self {
            Pkcs11Error::Call { rv, .. } => Some(*rv),
            _ => None,
        }
    }

    /// The engine-level error this becomes when a handshake signature fails.
    pub fn to_crypto_error(&self) -> CryptoError {
        match self {
            Pkcs11Error::UnsupportedScheme(_) | Pkcs11Error::UnsupportedOperation(_) => {
                CryptoError::UnsupportedAlgorithm
            }
            Pkcs11Error::BadInput(_) => CryptoError::Other,
            Pkcs11Error::UnsupportedKey { .. } | Pkcs11Error::KeyNotFound { .. } => {
                CryptoError::InvalidKey
            }
            _ => CryptoError::SigningFailed,
        }
    }
}

impl From<CkError> for Pkcs11Error {
    fn from(e: CkError) -> Self {
        match e {
            CkError::Pkcs11(RvError::PinIncorrect, _) => Pkcs11Error::PinIncorrect,
            CkError::Pkcs11(RvError::PinLocked, _) => Pkcs11Error::PinLocked,
            CkError::Pkcs11(RvError::PinLenRange, _) => Pkcs11Error::PinLength,
            CkError::Pkcs11(rv, function) => Pkcs11Error::Call { function, rv },
            other => Pkcs11Error::Library(other.to_string()),
        }
    }
}

impl From<Pkcs11Error> for CryptoError {
    fn from(e: Pkcs11Error) -> Self {
        e.to_crypto_error()
    }
}

impl fmt::Display for Pkcs11Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkcs11Error::ModuleLoad { path, reason } => {
                write!(f, "cannot load PKCS#11 module {}: {reason}", path.display())
            }
            Pkcs11Error::TokenNotFound { label } => {
                write!(f, "no initialized token labelled {label:?}")
            }
            Pkcs11Error::AmbiguousToken { label, slots } => {
                write!(f, "{slots} slots hold a token labelled {label:?}")
            }
            Pkcs11Error::PinIncorrect => f.write_str("the token refused the PIN"),
            Pkcs11Error::PinLocked => f.write_str("the token's PIN is locked"),
            Pkcs11Error::PinLength => f.write_str("the PIN has a length the token refuses"),
            Pkcs11Error::KeyNotFound { lookup } => write!(f, "no private key with {lookup}"),
            Pkcs11Error::AmbiguousKey { lookup, matches } => {
                write!(f, "{matches} private keys match {lookup}")
            }
            Pkcs11Error::UnsupportedKey { lookup, reason } => {
                write!(f, "private key with {lookup} cannot be used: {reason}")
            }
            Pkcs11Error::UnsupportedScheme(s) => {
                write!(f, "the key cannot make {s:?} signatures on this token")
            }
            Pkcs11Error::UnsupportedOperation(what) => {
                write!(f, "the key cannot be used for {what} on this token")
            }
            Pkcs11Error::BadInput(what) => write!(f, "bad input: {what}"),
            Pkcs11Error::BadOutput(what) => write!(f, "unexpected output from the token: {what}"),
            Pkcs11Error::Call { function, rv } => write!(f, "{function} failed: {rv:?}"),
            Pkcs11Error::Library(e) => write!(f, "PKCS#11: {e}"),
        }
    }
}

impl std::error::Error for Pkcs11Error {}
