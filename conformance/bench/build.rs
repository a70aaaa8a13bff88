//! Records, for the report, the compiler that builds the benchmark and the
//! versions of the contenders' libraries in Cargo.lock.

use std::path::Path;
use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(&rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown rustc".into());
    println!("cargo:rustc-env=BENCH_RUSTC_VERSION={version}");

    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let lock = std::fs::read_to_string(&lock).unwrap_or_default();
    for (krate, var) in [
        ("rustls", "BENCH_RUSTLS_VERSION"),
        ("aws-lc-rs", "BENCH_AWS_LC_RS_VERSION"),
        ("aws-lc-sys", "BENCH_AWS_LC_SYS_VERSION"),
        ("openssl", "BENCH_OPENSSL_CRATE_VERSION"),
    ] {
        println!("cargo:rustc-env={var}={}", locked_version(&lock, krate));
    }
}

/// The version of `krate` in Cargo.lock (the first, if several).
fn locked_version(lock: &str, krate: &str) -> String {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{krate}\"") {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = ")) {
                return v.trim_matches('"').to_string();
            }
        }
    }
    "?".into()
}
