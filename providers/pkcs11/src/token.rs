//! A logged-in PKCS#11 token and its pool of sessions.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::MechanismType;
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

use crate::error::Pkcs11Error;
use crate::key::{KeyLookup, Pkcs11Key};

/// Idle sessions kept per token beyond the one that holds the login.
const DEFAULT_MAX_IDLE_SESSIONS: usize = 4;

/// One initialized context per module path, for the whole process:
/// `C_Initialize` may run only once per process and module, and two
/// tokens of the same module share it.
fn module(path: &Path) -> Result<Pkcs11, Pkcs11Error> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut modules = lock(MODULES.get_or_init(Default::default));
    if let Some(ctx) = modules.get(&key) {
        return Ok(ctx.clone());
    }
    let ctx = Pkcs11::new(&key).map_err(|e| Pkcs11Error::ModuleLoad {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    // The library may use its own threads and the OS's locks: sessions are
    // used from several worker threads (never one session from two at once).
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(e.into()),
    }
    modules.insert(key, ctx.clone());
    Ok(ctx)
}

/// Locks a mutex, ignoring poisoning: the data behind our locks (session
/// lists, a key handle) stays consistent whatever panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A token found by label in a PKCS#11 module, logged in as the user.
///
/// Cheap to clone (the clones share sessions). PKCS#11 sessions are not
/// thread-safe, so each signature takes a session of its own from a small
/// pool, opening one when none is idle; one more session stays open for
/// the token's lifetime and holds the login (PKCS#11 logs an application
/// out when its last session to a token closes).
///
/// Login state is per process and token: while one `Pkcs11Token` of this
/// process is logged in to a token, opening another on the same token
/// succeeds without checking its PIN (`CKR_USER_ALREADY_LOGGED_IN`).
///
/// The PIN is kept (in a zeroizing `secrecy` string) to log in again when
/// the token logs the application out or loses its sessions.
#[derive(Clone)]
pub struct Pkcs11Token {
    pub(crate) inner: Arc<TokenInner>,
}

pub(crate) struct TokenInner {
    ctx: Pkcs11,
    slot: Slot,
    label: String,
    pin: AuthPin,
    mechanisms: Vec<MechanismType>,
    /// Holds the login; also used for object searches.
    login: Mutex<Session>,
    idle: Mutex<Vec<Session>>,
    max_idle: usize,
}

impl fmt::Debug for Pkcs11Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Token")
            .field("label", &self.inner.label)
            .field("slot", &self.inner.slot)
            .finish_non_exhaustive()
    }
}

impl Pkcs11Token {
    /// Loads the module at `module_path` (once per process), finds the
    /// slot whose token is labelled `token_label` and logs in as the user
    /// with `pin`.
    pub fn open(
        module_path: impl AsRef<Path>,
        token_label: &str,
        pin: &str,
    ) -> Result<Self, Pkcs11Error> {
        let ctx = module(module_path.as_ref())?;
        let mut found = Vec::new();
        for slot in ctx.get_slots_with_initialized_token()? {
            let info = ctx.get_token_info(slot)?;
            if info.label().trim_end() == token_label {
                found.push(slot);
            }
        }
        let slot = match found.as_slice() {
            [] => {
                return Err(Pkcs11Error::TokenNotFound {
                    label: token_label.to_string(),
                })
            }
            [slot] => *slot,
            more => {
                return Err(Pkcs11Error::AmbiguousToken {
                    label: token_label.to_string(),
                    slots: more.len(),
                })
            }
        };
        let mechanisms = ctx.get_mechanism_list(slot)?;
        let pin = AuthPin::from(pin.to_string());
        let session = ctx.open_ro_session(slot)?;
        login(&session, &pin)?;
        Ok(Self {
            inner: Arc::new(TokenInner {
                ctx,
                slot,
                label: token_label.to_string(),
                pin,
                mechanisms,
                login: Mutex::new(session),
                idle: Mutex::new(Vec::new()),
                max_idle: DEFAULT_MAX_IDLE_SESSIONS,
            }),
        })
    }

    /// The token's label.
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    /// The slot the token sits in.
    pub fn slot(&self) -> Slot {
        self.inner.slot
    }

    /// Whether the token offers `mechanism`.
    pub fn supports(&self, mechanism: MechanismType) -> bool {
        self.inner.supports(mechanism)
    }

    /// The private key labelled `label` (`CKA_LABEL`).
    pub fn key_by_label(&self, label: &str) -> Result<Pkcs11Key, Pkcs11Error> {
        Pkcs11Key::find(self.clone(), KeyLookup::Label(label.to_string()))
    }

    /// The private key with identifier `id` (`CKA_ID`, raw bytes).
    pub fn key_by_id(&self, id: &[u8]) -> Result<Pkcs11Key, Pkcs11Error> {
        Pkcs11Key::find(self.clone(), KeyLookup::Id(id.to_vec()))
    }

    /// The private key `lookup` names.
    pub fn key(&self, lookup: KeyLookup) -> Result<Pkcs11Key, Pkcs11Error> {
        Pkcs11Key::find(self.clone(), lookup)
    }
}

fn login(session: &Session, pin: &AuthPin) -> Result<(), Pkcs11Error> {
    match session.login(UserType::User, Some(pin)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Errors after which a session is unusable but a fresh one may work.
fn session_lost(e: &CkError) -> bool {
    matches!(
        e,
        CkError::Pkcs11(
            RvError::SessionHandleInvalid | RvError::SessionClosed | RvError::UserNotLoggedIn,
            _
        )
    )
}

impl TokenInner {
    pub(crate) fn supports(&self, mechanism: MechanismType) -> bool {
        self.mechanisms.contains(&mechanism)
    }

    /// Runs `f` on the session that holds the login (object searches and
    /// attribute reads: rare, and fine to serialize).
    pub(crate) fn with_login_session<T>(
        &self,
        f: impl FnOnce(&Session) -> cryptoki::error::Result<T>,
    ) -> Result<T, Pkcs11Error> {
        Ok(f(&lock(&self.login))?)
    }

    /// Runs `f` on a session used by nobody else meanwhile. A session that
    /// turns out closed, invalid or logged out is thrown away and `f` runs
    /// once more on a fresh one, after logging in again.
    pub(crate) fn with_session<T>(
        &self,
        f: impl Fn(&Session) -> cryptoki::error::Result<T>,
    ) -> Result<T, Pkcs11Error> {
        let session = self.take_session()?;
        match f(&session) {
            Ok(v) => {
                self.put_back(session);
                Ok(v)
            }
            Err(e) if session_lost(&e) => {
                drop(session);
                self.relogin()?;
                let session = self.take_session()?;
                let v = f(&session)?;
                self.put_back(session);
                Ok(v)
            }
            // A failed C_Sign ends the operation; the session stays usable
            // but we do not bet on every module getting that right.
            Err(e) => Err(e.into()),
        }
    }

    fn take_session(&self) -> Result<Session, Pkcs11Error> {
        if let Some(s) = lock(&self.idle).pop() {
            return Ok(s);
        }
        Ok(self.ctx.open_ro_session(self.slot)?)
    }

    fn put_back(&self, session: Session) {
        let mut idle = lock(&self.idle);
        if idle.len() < self.max_idle {
            idle.push(session);
        }
    }

    /// Logs in again on a fresh login session (after the token logged us
    /// out, or lost our sessions); idle sessions are dropped.
    pub(crate) fn relogin(&self) -> Result<(), Pkcs11Error> {
        lock(&self.idle).clear();
        let mut login_session = lock(&self.login);
        match login(&login_session, &self.pin) {
            Ok(()) => Ok(()),
            Err(Pkcs11Error::Call {
                rv: RvError::SessionHandleInvalid | RvError::SessionClosed,
                ..
            }) => {
                let fresh = self.ctx.open_ro_session(self.slot)?;
                login(&fresh, &self.pin)?;
                *login_session = fresh;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}
