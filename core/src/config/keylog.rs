//! Key logging in the NSS `SSLKEYLOGFILE` format, so Wireshark and tshark
//! can decrypt captures of test traffic. Never enable it in production:
//! whoever reads the log reads the traffic.

/// Receives secrets as the handshake derives them (Mbed TLS
/// conf_export_keys_ext_cb for TLS 1.3).
pub trait KeyLog: Send + Sync {
    /// `label` is an NSS key-log label such as `CLIENT_TRAFFIC_SECRET_0`;
    /// `client_random` identifies the connection.
    fn log(&self, label: &str, client_random: &[u8; 32], secret: &[u8]);
}

/// Formats one key-log line (without the newline).
pub fn key_log_line(label: &str, client_random: &[u8; 32], secret: &[u8]) -> alloc::string::String {
    use core::fmt::Write;
    let mut line = alloc::string::String::with_capacity(label.len() + 2 + 2 * (32 + secret.len()));
    line.push_str(label);
    line.push(' ');
    for b in client_random {
        let _ = write!(line, "{b:02x}");
    }
    line.push(' ');
    for b in secret {
        let _ = write!(line, "{b:02x}");
    }
    line
}

/// Appends key-log lines to a file (the path `SSLKEYLOGFILE` usually names).
#[cfg(feature = "std")]
pub struct KeyLogFile {
    file: std::sync::Mutex<std::fs::File>,
}

#[cfg(feature = "std")]
impl KeyLogFile {
    pub fn create(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self {
            file: std::sync::Mutex::new(file),
        })
    }
}

#[cfg(feature = "std")]
impl KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8; 32], secret: &[u8]) {
        use std::io::Write;
        if let Ok(mut file) = self.file.lock() {
            // A failing key log must not break the connection.
            let _ = writeln!(file, "{}", key_log_line(label, client_random, secret));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format_matches_nss() {
        let line = key_log_line("CLIENT_TRAFFIC_SECRET_0", &[0xab; 32], &[1, 2, 255]);
        assert_eq!(
            line,
            alloc::format!("CLIENT_TRAFFIC_SECRET_0 {} 0102ff", "ab".repeat(32))
        );
    }
}
