//! Project tasks: `cargo xtask <task>`.
//!
//! - `test`: everything CI checks — formatting, clippy, the library docs
//!   (broken links are errors), the whole test suite
//!   (unit, handshake, RFC replays, interop with the system OpenSSL and
//!   GnuTLS, PKCS#11 keys in SoftHSM2), the embedded no_std build and the
//!   fuzz-target build. Installs missing tools first where it can (`setup`).
//! - `setup`: installs the peers and toolchain parts the tests need.
//! - `fuzz TARGET [SECONDS]`: runs one fuzz target (default 60 s).
//! - `bench [OPTIONS]`: builds and runs the benchmark program
//!   (`conformance/bench`) in release mode, passing the options through:
//!   `--quick` for a short smoke run, `--filter TERM`, `--write`, `--runs N`,
//!   `--time SECONDS`. A full run rewrites docs/performance.md.

use std::path::{Path, PathBuf};
use std::process::{exit, Command};

const EMBEDDED_TARGET: &str = "thumbv7em-none-eabihf";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => setup().and_then(|()| test()),
        Some("setup") => setup(),
        Some("fuzz") => fuzz(
            args.get(1).map(String::as_str),
            args.get(2).map(String::as_str),
        ),
        Some("bench") => bench(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask test | setup | fuzz TARGET [SECONDS] | bench [--quick] \
                 [--filter TERM]... [--write]"
            );
            exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("xtask: {e}");
        exit(1);
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn run(program: &str, args: &[&str], dir: &Path) -> Result<(), String> {
    eprintln!("xtask: $ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn has_command(name: &str) -> bool {
    succeeds("sh", &["-c", &format!("command -v {name} >/dev/null")])
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Installs what the tests need, when it is missing.
fn setup() -> Result<(), String> {
    let dir = root();
    // Debian packages, each with whether it is already there. Keep the list
    // in step with the apt-get line of .ci/run.
    let wanted = [
        ("openssl", has_command("openssl")),
        ("gnutls-bin", has_command("gnutls-cli")),
        ("pkg-config", has_command("pkg-config")),
        // A C compiler and libc headers for aws-lc-sys (the `cc` crate; no
        // cmake or libclang needed on x86_64 Linux).
        ("gcc", has_command("cc")),
        ("libc6-dev", has_command("cc")),
        // Headers and library for embertls-openssl (the `openssl` crate).
        (
            "libssl-dev",
            succeeds("pkg-config", &["--exists", "openssl"]),
        ),
        // The PKCS#11 token (module and softhsm2-util) for embertls-pkcs11's
        // tests, which fail without it.
        (
            "softhsm2",
            has_command("softhsm2-util") && Path::new("/usr/lib/softhsm/libsofthsm2.so").exists(),
        ),
        // Mbed TLS 2.28 headers and libraries: embertls-conformance's build
        // script compiles the Mbed TLS interop peer against them.
        (
            "libmbedtls-dev",
            Path::new("/usr/include/mbedtls/ssl.h").exists(),
        ),
    ];
    let missing: Vec<&str> = wanted
        .into_iter()
        .filter(|(_, present)| !present)
        .map(|(pkg, _)| pkg)
        .collect();
    if !missing.is_empty() {
        let sudo: Vec<&str> = if is_root() { vec![] } else { vec!["sudo"] };
        let mut update: Vec<&str> = sudo.clone();
        update.extend(["apt-get", "update", "-qq"]);
        run(update[0], &update[1..], &dir)?;
        let mut install: Vec<&str> = sudo;
        install.extend(["apt-get", "install", "-y", "-qq"]);
        install.extend(missing.iter());
        run(install[0], &install[1..], &dir)?;
    }
    let targets = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| e.to_string())?;
    if !String::from_utf8_lossy(&targets.stdout).contains(EMBEDDED_TARGET) {
        run("rustup", &["target", "add", EMBEDDED_TARGET], &dir)?;
    }
    if !succeeds("cargo", &["fmt", "--version"]) {
        run("rustup", &["component", "add", "rustfmt"], &dir)?;
    }
    if !succeeds("cargo", &["clippy", "--version"]) {
        run("rustup", &["component", "add", "clippy"], &dir)?;
    }
    if !succeeds("cargo", &["fuzz", "--version"]) {
        run("cargo", &["install", "cargo-fuzz", "--locked"], &dir)?;
    }
    Ok(())
}

fn test() -> Result<(), String> {
    let dir = root();
    run("cargo", &["fmt", "--all", "--check"], &dir)?;
    run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &dir,
    )?;
    run(
        "cargo",
        &[
            "build",
            "-p",
            "embertls",
            "-p",
            "embertls-rustcrypto",
            "--no-default-features",
            "--target",
            EMBEDDED_TARGET,
        ],
        &dir,
    )?;
    run(
        "cargo",
        &["+nightly", "fuzz", "build", "--dev"],
        &dir.join("fuzz"),
    )?;
    // The libraries' documentation, with broken links as errors.
    eprintln!("xtask: $ RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps (libraries)");
    let status = Command::new("cargo")
        .args([
            "doc",
            "--no-deps",
            "-p",
            "embertls",
            "-p",
            "embertls-rustcrypto",
            "-p",
            "embertls-openssl",
            "-p",
            "embertls-aws-lc",
            "-p",
            "embertls-pkcs11",
        ])
        .env("RUSTDOCFLAGS", "-D warnings")
        .current_dir(&dir)
        .status()
        .map_err(|e| format!("cannot run cargo doc: {e}"))?;
    if !status.success() {
        return Err(format!("cargo doc failed ({status})"));
    }
    run("cargo", &["test", "--workspace"], &dir)
}

fn fuzz(target: Option<&str>, seconds: Option<&str>) -> Result<(), String> {
    let target = target.ok_or("which fuzz target? see fuzz/README.md")?;
    let max_time = format!("-max_total_time={}", seconds.unwrap_or("60"));
    run(
        "cargo",
        &["+nightly", "fuzz", "run", target, "--", &max_time],
        &root().join("fuzz"),
    )
}

fn bench(options: &[String]) -> Result<(), String> {
    let mut args = vec!["run", "--release", "-p", "embertls-bench", "--"];
    args.extend(options.iter().map(String::as_str));
    run("cargo", &args, &root())
}
