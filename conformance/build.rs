//! Compiles the Mbed TLS 2.28 interop peer (peers/mbedtls_peer.c) into an
//! executable in OUT_DIR, linked against the system Mbed TLS
//! (Debian: libmbedtls-dev), and exports its path to the crate's code and
//! tests as `EMBERTLS_MBEDTLS_PEER`.

use std::path::{Path, PathBuf};

const SOURCE: &str = "peers/mbedtls_peer.c";
const LIBS: [&str; 3] = ["-lmbedtls", "-lmbedx509", "-lmbedcrypto"];
const INSTALL_HINT: &str = "the Mbed TLS 2.28 headers and libraries are needed to build the \
     Mbed TLS interop peer: install them with `sudo apt-get install libmbedtls-dev` \
     (`cargo xtask setup` and .ci/run do this)";

/// A small program that compiles and links only against Mbed TLS 2.28.
const PROBE: &str = r#"
#include <mbedtls/version.h>
#include <mbedtls/ssl.h>
#if MBEDTLS_VERSION_MAJOR != 2 || MBEDTLS_VERSION_MINOR < 28
#error "Mbed TLS 2.28 is needed"
#endif
int main(void) { return mbedtls_version_get_number() == 0; }
"#;

fn compile(compiler: &cc::Tool, source: &Path, exe: &Path, strict: bool) -> Result<(), String> {
    let mut cmd = compiler.to_command();
    cmd.args(["-std=c99", "-D_POSIX_C_SOURCE=200809L", "-O1", "-g"]);
    if strict {
        cmd.args(["-Wall", "-Wextra", "-Werror"]);
    }
    cmd.arg(source).arg("-o").arg(exe).args(LIBS);
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run the C compiler ({cmd:?}): {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn main() {
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-changed=build.rs");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let compiler = cc::Build::new().cargo_metadata(false).get_compiler();

    let probe = out_dir.join("mbedtls_probe.c");
    std::fs::write(&probe, PROBE).expect("write the Mbed TLS probe");
    if let Err(e) = compile(&compiler, &probe, &out_dir.join("mbedtls_probe"), false) {
        panic!("\n\n{INSTALL_HINT}\n\n{e}\n");
    }

    let exe = out_dir.join("mbedtls_peer");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(SOURCE);
    if let Err(e) = compile(&compiler, &source, &exe, true) {
        panic!("\n\ncannot build the Mbed TLS interop peer:\n{e}\n");
    }
    println!("cargo:rustc-env=EMBERTLS_MBEDTLS_PEER={}", exe.display());
}
