//! SoftHSM2 tokens for tests, each in a directory of its own.
//!
//! SoftHSM reads its configuration (`SOFTHSM2_CONF`, whose
//! `directories.tokendir` says where tokens live) once per process, when
//! the module is initialized. So a test that needs a token of its own runs
//! its body in a fresh process: [`isolated`] prepares a token directory,
//! initializes tokens and imports keys with `softhsm2-util`, then runs the
//! same test binary again, filtered to that one test, with
//! `SOFTHSM2_CONF` pointing at the directory. Tests stay hermetic and
//! parallel-safe, and a missing SoftHSM2 fails them (it never skips them).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::pem::testdata;

/// Debian's `softhsm2` package puts the module here; the environment
/// variable `EMBERTLS_SOFTHSM2_MODULE` overrides it.
pub const DEFAULT_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// User PIN of the tokens tests create.
pub const PIN: &str = "1234";
/// Security officer PIN of the tokens tests create.
pub const SO_PIN: &str = "8765";
/// The token [`standard_token`] creates.
pub const TOKEN: &str = "embertls";

/// Keys [`standard_token`] imports: (file in conformance/testdata,
/// label, hex id).
pub const STANDARD_KEYS: &[(&str, &str, &str)] = &[
    ("server-p256.key", "server-p256", "01"),
    ("server-p384.key", "server-p384", "02"),
    ("server-rsa.key", "server-rsa", "03"),
    ("client-p256.key", "client-p256", "04"),
];

/// Set in the child process [`isolated`] starts: the name of the test.
const CHILD_VAR: &str = "EMBERTLS_SOFTHSM_CHILD";
/// How long one isolated test may run.
const CHILD_TIMEOUT: Duration = Duration::from_secs(120);

/// The SoftHSM2 module path. Panics (failing the test) when it is missing.
pub fn module() -> PathBuf {
    let path = std::env::var_os("EMBERTLS_SOFTHSM2_MODULE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_MODULE));
    assert!(
        path.exists(),
        "SoftHSM2 module {} not found: install Debian's softhsm2 package \
         (cargo xtask setup does)",
        path.display()
    );
    path
}

/// A SoftHSM2 token directory and its configuration file, removed on drop.
pub struct SoftHsm {
    pub dir: PathBuf,
    pub conf: PathBuf,
}

impl SoftHsm {
    /// An empty token directory under the system temporary directory.
    pub fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "embertls-softhsm-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens).expect("create a token directory");
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n\
                 slots.removable = false\n",
                tokens.display()
            ),
        )
        .expect("write softhsm2.conf");
        Self { dir, conf }
    }

    /// Runs `softhsm2-util` against this directory.
    pub fn util(&self, args: &[&str]) {
        let out = Command::new("softhsm2-util")
            .args(args)
            .env("SOFTHSM2_CONF", &self.conf)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run softhsm2-util ({e}): install Debian's softhsm2 package")
            });
        assert!(
            out.status.success(),
            "softhsm2-util {} failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Initializes a token in a free slot, with [`PIN`] and [`SO_PIN`].
    pub fn init_token(&self, label: &str) {
        self.util(&[
            "--init-token",
            "--free",
            "--label",
            label,
            "--pin",
            PIN,
            "--so-pin",
            SO_PIN,
        ]);
    }

    /// Imports a PKCS#8 PEM private key from conformance/testdata.
    pub fn import(&self, token: &str, key_file: &str, label: &str, id_hex: &str) {
        let path = testdata(key_file);
        self.util(&[
            "--import",
            &path.to_string_lossy(),
            "--token",
            token,
            "--label",
            label,
            "--id",
            id_hex,
            "--pin",
            PIN,
        ]);
    }
}

impl Default for SoftHsm {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for SoftHsm {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Token [`TOKEN`] holding every key of [`STANDARD_KEYS`].
pub fn standard_token(hsm: &SoftHsm) {
    hsm.init_token(TOKEN);
    for (file, label, id) in STANDARD_KEYS {
        hsm.import(TOKEN, file, label, id);
    }
}

/// Whether this process is the child [`isolated`] started for `test`.
pub fn in_child(test: &str) -> bool {
    std::env::var(CHILD_VAR).is_ok_and(|t| t == test)
}

/// Runs `body` in a fresh process of this test binary whose SoftHSM2
/// sees only the tokens `setup` made. Call it as the whole body of the
/// `#[test]` function named `test` (a top-level function of the test
/// crate). Fails when the child fails, times out or ran no test.
pub fn isolated(test: &str, setup: impl FnOnce(&SoftHsm), body: impl FnOnce()) {
    if in_child(test) {
        body();
        return;
    }
    module();
    let hsm = SoftHsm::new();
    setup(&hsm);
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD_VAR, test)
        .env("SOFTHSM2_CONF", &hsm.conf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the test binary again");
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let out = thread::spawn(move || read_all(stdout));
    let err = thread::spawn(move || read_all(stderr));
    let deadline = Instant::now() + CHILD_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(10));
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    let report = format!("--- {test} (isolated) ---\n[stdout]\n{out}\n[stderr]\n{err}");
    match status {
        None => panic!("{test} timed out after {CHILD_TIMEOUT:?}\n{report}"),
        Some(s) if !s.success() => panic!("{test} failed ({s})\n{report}"),
        Some(_) => {}
    }
    assert!(
        out.contains("1 passed"),
        "{test}: the child ran no test\n{report}"
    );
    // Keep the child's output visible under --nocapture.
    print!("{out}");
}

fn read_all(mut r: impl std::io::Read) -> String {
    let mut buf = Vec::new();
    let _ = r.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The SoftHSM2 configuration file of the current process, if set (for
/// tests that start other processes on the same tokens).
pub fn current_conf() -> Option<PathBuf> {
    std::env::var_os("SOFTHSM2_CONF").map(PathBuf::from)
}
