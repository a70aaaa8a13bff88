use crate::error::CryptoError;

/// A cryptographically secure random source.
pub trait SecureRandom: Send + Sync {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError>;
}

/// Seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnixTime(pub u64);

/// Wall-clock time, for certificate validity and ticket ages.
pub trait TimeSource: Send + Sync {
    fn now(&self) -> Option<UnixTime>;
}

/// Lets RustCrypto-style APIs (`rand_core::RngCore + CryptoRng`) draw from a
/// [`SecureRandom`]. A failing source panics here, as `RngCore::fill_bytes`
/// demands; providers use [`rand_core::RngCore::try_fill_bytes`] instead.
pub struct RandomAdapter<'a>(pub &'a dyn SecureRandom);

impl rand_core::RngCore for RandomAdapter<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill(dest).expect("secure random source failed")
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.fill(dest).map_err(|_| {
            rand_core::Error::from(
                core::num::NonZeroU32::new(rand_core::Error::CUSTOM_START).unwrap(),
            )
        })
    }
}

impl rand_core::CryptoRng for RandomAdapter<'_> {}
