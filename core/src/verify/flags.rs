//! Verification failure flags with Mbed TLS's `MBEDTLS_X509_BADCERT_*` values,
//! so `Connection::verify_result` reads like `mbedtls_ssl_get_verify_result`.

use core::ops::{BitOr, BitOrAssign};

/// A set of verification failures; empty means the chain verified.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct VerifyResult(pub u32);

impl VerifyResult {
    pub const EXPIRED: Self = Self(0x01);
    pub const REVOKED: Self = Self(0x02);
    pub const CN_MISMATCH: Self = Self(0x04);
    pub const NOT_TRUSTED: Self = Self(0x08);
    pub const MISSING: Self = Self(0x40);
    pub const SKIP_VERIFY: Self = Self(0x80);
    pub const OTHER: Self = Self(0x0100);
    pub const FUTURE: Self = Self(0x0200);
    pub const KEY_USAGE: Self = Self(0x0800);
    pub const EXT_KEY_USAGE: Self = Self(0x1000);
    pub const BAD_MD: Self = Self(0x4000);
    pub const BAD_PK: Self = Self(0x8000);
    pub const BAD_KEY: Self = Self(0x01_0000);

    pub const fn empty() -> Self {
        Self(0)
    }

    pub fn is_ok(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Clears `other`'s flags (a verify callback accepting a failure).
    pub fn remove(&mut self, other: Self) {
        self.0 &= !other.0;
    }

    /// Adds `other`'s flags.
    pub fn insert(&mut self, other: Self) {
        self.0 |= other.0;
    }

    /// The Mbed TLS-compatible bit mask.
    pub fn bits(self) -> u32 {
        self.0
    }
}

impl BitOr for VerifyResult {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitOrAssign for VerifyResult {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl core::fmt::Debug for VerifyResult {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

impl core::fmt::Display for VerifyResult {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.is_ok() {
            return f.write_str("ok");
        }
        let names = [
            (Self::EXPIRED, "expired"),
            (Self::REVOKED, "revoked"),
            (Self::CN_MISMATCH, "name-mismatch"),
            (Self::NOT_TRUSTED, "not-trusted"),
            (Self::MISSING, "missing"),
            (Self::SKIP_VERIFY, "skipped"),
            (Self::OTHER, "other"),
            (Self::FUTURE, "not-yet-valid"),
            (Self::KEY_USAGE, "key-usage"),
            (Self::EXT_KEY_USAGE, "ext-key-usage"),
            (Self::BAD_MD, "bad-hash"),
            (Self::BAD_PK, "bad-key-type"),
            (Self::BAD_KEY, "bad-key"),
        ];
        let mut first = true;
        for (flag, name) in names {
            if self.contains(flag) {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// Maps a webpki failure to flags.
pub(super) fn from_webpki(e: &webpki::Error) -> VerifyResult {
    use webpki::Error as E;
    match e {
        E::CertExpired { .. } => VerifyResult::EXPIRED,
        E::CertNotValidYet { .. } => VerifyResult::FUTURE,
        E::UnknownIssuer | E::CaUsedAsEndEntity | E::EndEntityUsedAsCa => VerifyResult::NOT_TRUSTED,
        E::CertRevoked => VerifyResult::REVOKED,
        E::RequiredEkuNotFoundContext(_) => VerifyResult::EXT_KEY_USAGE,
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => VerifyResult::BAD_MD,
        E::InvalidSignatureForPublicKey => VerifyResult::NOT_TRUSTED,
        _ => VerifyResult::OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::string::ToString;

    #[test]
    fn flags_match_mbedtls_values_and_print() {
        assert_eq!(VerifyResult::NOT_TRUSTED.bits(), 0x08);
        let r = VerifyResult::EXPIRED | VerifyResult::CN_MISMATCH;
        assert_eq!(r.bits(), 0x05);
        assert_eq!(r.to_string(), "expired,name-mismatch");
        assert_eq!(VerifyResult::empty().to_string(), "ok");
    }
}
