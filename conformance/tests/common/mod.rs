//! Shared helpers for tests that run real processes over loopback TCP: the
//! `embertls` binary, OpenSSL and GnuTLS command-line peers, and the Mbed TLS
//! peer program built by build.rs (see [`mbedtls`]).
//!
//! Every wait has a deadline, so a hang fails the test instead of blocking;
//! every child is killed when its [`Proc`] is dropped.

#![allow(dead_code)]

pub mod mbedtls;
pub mod tls12;

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The longest any single step may take.
pub const STEP: Duration = Duration::from_secs(15);

/// Path of a file in the test PKI, as a string for command lines.
pub fn testdata(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The `embertls` binary under test.
pub fn embertls_bin() -> &'static str {
    env!("CARGO_BIN_EXE_embertls")
}

/// A loopback port that was free a moment ago and that this test binary
/// has not handed out before.
pub fn free_port() -> u16 {
    static GIVEN: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    let given = GIVEN.get_or_init(Default::default);
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind a loopback port")
            .port();
        if given.lock().unwrap().insert(port) {
            return port;
        }
    }
}

/// Whether process `pid` has a socket listening on `port` (any address),
/// from /proc. Used to wait for servers without connecting to them (a probe
/// connection would use up `s_server -naccept 1`); checking the owner
/// matters because another test may listen on a port we picked earlier.
pub fn port_listening(pid: u32, port: u16) -> bool {
    // 0A: TCP_LISTEN.
    owns_socket(pid, port, &["/proc/net/tcp", "/proc/net/tcp6"], "0A")
}

/// Like [`port_listening`] for a UDP server (a DTLS peer): whether process
/// `pid` has an unconnected UDP socket bound to `port`.
pub fn udp_port_bound(pid: u32, port: u16) -> bool {
    // 07: TCP_CLOSE, how /proc shows an unconnected UDP socket.
    owns_socket(pid, port, &["/proc/net/udp", "/proc/net/udp6"], "07")
}

/// Whether process `pid` has a socket on local `port` in `state` (as in
/// the /proc/net `tables`).
fn owns_socket(pid: u32, port: u16, tables: &[&str], state: &str) -> bool {
    let wanted = format!(":{port:04X}");
    let mut inodes = Vec::new();
    for file in tables {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() > 9 && cols[1].ends_with(&wanted) && cols[3] == state {
                inodes.push(format!("socket:[{}]", cols[9]));
            }
        }
    }
    if inodes.is_empty() {
        return false;
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path())
            .map(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
            .unwrap_or(false)
    })
}

/// A child process with its output collected in the background.
pub struct Proc {
    pub name: String,
    pub command_line: String,
    child: Child,
    /// Feeds a writer thread, so a child that does not read its input yet
    /// cannot block the test.
    stdin: Option<Sender<Vec<u8>>>,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    status: Option<ExitStatus>,
}

fn collect(mut pipe: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => into.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    });
}

fn feed(mut stdin: ChildStdin) -> Sender<Vec<u8>> {
    let (tx, rx) = channel::<Vec<u8>>();
    thread::spawn(move || {
        for chunk in rx {
            if stdin
                .write_all(&chunk)
                .and_then(|()| stdin.flush())
                .is_err()
            {
                return;
            }
        }
    });
    tx
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

impl Proc {
    /// Starts `program args...` with all three standard streams piped.
    pub fn spawn(name: &str, program: &str, args: &[String]) -> Proc {
        Self::spawn_env(name, program, args, &[])
    }

    /// Like [`Proc::spawn`], with extra environment variables.
    pub fn spawn_env(name: &str, program: &str, args: &[String], env: &[(&str, &OsStr)]) -> Proc {
        let mut child = Command::new(program)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let out = Arc::new(Mutex::new(Vec::new()));
        let err = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().unwrap(), out.clone());
        collect(child.stderr.take().unwrap(), err.clone());
        Proc {
            name: name.to_string(),
            command_line: format!("{program} {}", args.join(" ")),
            stdin: child.stdin.take().map(feed),
            child,
            out,
            err,
            status: None,
        }
    }

    /// Writes to the child's standard input (ignoring a child that has
    /// already gone: the test's checks will say why).
    pub fn write(&mut self, data: &[u8]) {
        if let Some(stdin) = &self.stdin {
            let _ = stdin.send(data.to_vec());
        }
    }

    /// Ends the child's standard input (after what was written).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    pub fn stdout_bytes(&self) -> Vec<u8> {
        self.out.lock().unwrap().clone()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout_bytes()).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process printed, for failure messages.
    pub fn transcript(&self) -> String {
        format!(
            "--- {} ---\n$ {}\n[stdout]\n{}\n[stderr]\n{}\n[status] {:?}\n",
            self.name,
            self.command_line,
            self.stdout(),
            self.stderr(),
            self.status
        )
    }

    /// The exit status, if the child has exited.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    fn wait_output(
        &mut self,
        stderr: bool,
        needle: &[u8],
        timeout: Duration,
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = {
                let buf = if stderr { &self.err } else { &self.out };
                contains(&buf.lock().unwrap(), needle)
            };
            if found {
                return Ok(());
            }
            let exited = self.try_status().is_some();
            if exited || Instant::now() > deadline {
                // Output may still be in the pipe right after exit.
                thread::sleep(Duration::from_millis(50));
                let buf = if stderr { &self.err } else { &self.out };
                if contains(&buf.lock().unwrap(), needle) {
                    return Ok(());
                }
                return Err(format!(
                    "{} {} before printing {:?} on {}",
                    self.name,
                    if exited { "exited" } else { "timed out" },
                    String::from_utf8_lossy(needle),
                    if stderr { "stderr" } else { "stdout" }
                ));
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until standard output contains `needle`.
    pub fn wait_stdout(&mut self, needle: &[u8], timeout: Duration) -> Result<(), String> {
        self.wait_output(false, needle, timeout)
    }

    /// Waits until standard error contains `needle`.
    pub fn wait_stderr(&mut self, needle: &[u8], timeout: Duration) -> Result<(), String> {
        self.wait_output(true, needle, timeout)
    }

    /// Waits for the child to exit; kills it when `timeout` passes first.
    pub fn wait(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_status() {
                // Let the collector threads drain the pipes.
                thread::sleep(Duration::from_millis(20));
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                self.status = self.child.wait().ok();
                return Err(format!("{} did not exit within {timeout:?}", self.name));
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stdin = None;
        if self.try_status().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts a server that takes its port on the command line and waits
/// until it listens; retries with another port when it exits first (the
/// port was taken in between).
pub fn spawn_listening(
    name: &str,
    program: &str,
    args_for_port: impl Fn(u16) -> Vec<String>,
) -> (Proc, u16) {
    spawn_ready(name, program, args_for_port, port_listening)
}

/// Like [`spawn_listening`] for a UDP (DTLS) server: waits until it has
/// bound the port.
pub fn spawn_bound_udp(
    name: &str,
    program: &str,
    args_for_port: impl Fn(u16) -> Vec<String>,
) -> (Proc, u16) {
    spawn_ready(name, program, args_for_port, udp_port_bound)
}

fn spawn_ready(
    name: &str,
    program: &str,
    args_for_port: impl Fn(u16) -> Vec<String>,
    ready: fn(u32, u16) -> bool,
) -> (Proc, u16) {
    let mut failures = String::new();
    for _ in 0..3 {
        let port = free_port();
        let mut proc = Proc::spawn(name, program, &args_for_port(port));
        let deadline = Instant::now() + STEP;
        loop {
            if proc.try_status().is_some() {
                thread::sleep(Duration::from_millis(20));
                failures.push_str(&proc.transcript());
                break;
            }
            if ready(proc.pid(), port) {
                return (proc, port);
            }
            if Instant::now() > deadline {
                panic!(
                    "{name} did not listen on port {port}\n{}",
                    proc.transcript()
                );
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
    panic!("{name} could not be started:\n{failures}");
}

/// `embertls server --accept 127.0.0.1:0 ARGS`, once it listens; returns
/// the port it printed.
pub fn embertls_server(args: &[&str]) -> (Proc, u16) {
    embertls_server_env(args, &[])
}

/// Like [`embertls_server`], with extra environment variables.
pub fn embertls_server_env(args: &[&str], env: &[(&str, &OsStr)]) -> (Proc, u16) {
    let mut full: Vec<String> = vec!["server".into(), "--accept".into(), "127.0.0.1:0".into()];
    full.extend(args.iter().map(|s| s.to_string()));
    let mut proc = Proc::spawn_env("embertls server", embertls_bin(), &full, env);
    if let Err(e) = proc.wait_stderr(b"embertls: listening on 127.0.0.1:", STEP) {
        panic!("{e}\n{}", proc.transcript());
    }
    // The prefix may arrive before the rest of its line: wait for the
    // newline that ends the port number.
    let deadline = std::time::Instant::now() + STEP;
    loop {
        let err = proc.stderr();
        let port = err
            .split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .find_map(|l| l.strip_prefix("embertls: listening on 127.0.0.1:"))
            .and_then(|p| p.trim().parse().ok());
        if let Some(port) = port {
            return (proc, port);
        }
        if std::time::Instant::now() > deadline {
            panic!("no port in {err:?}");
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// `embertls client HOST:PORT ARGS` (HOST = localhost unless `args` says
/// otherwise through `--connect`).
pub fn embertls_client(port: u16, args: &[&str]) -> Proc {
    let mut full: Vec<String> = vec!["client".into(), format!("localhost:{port}")];
    full.extend(args.iter().map(|s| s.to_string()));
    Proc::spawn("embertls client", embertls_bin(), &full)
}

/// The `key=value` fields of the `embertls: version=...` summary line.
pub fn summary(stderr: &str) -> Option<HashMap<String, String>> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("embertls: version="))?;
    Some(fields(line.trim_start_matches("embertls: ")))
}

/// The fields of the `embertls: detail: hrr=...` line (from --verbose).
pub fn detail(stderr: &str) -> Option<HashMap<String, String>> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("embertls: detail: hrr="))?;
    Some(fields(line.trim_start_matches("embertls: detail: ")))
}

fn fields(text: &str) -> HashMap<String, String> {
    text.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Asserts that `summary`'s fields include every `key=value` of `expected`
/// (space-separated).
pub fn assert_summary(stderr: &str, expected: &str, context: &str) {
    let Some(got) = summary(stderr) else {
        panic!("no summary line\n{context}");
    };
    for kv in expected.split_whitespace() {
        let (k, v) = kv.split_once('=').unwrap();
        assert_eq!(
            got.get(k).map(String::as_str),
            Some(v),
            "summary field {k}\n{context}"
        );
    }
}

/// Like [`assert_summary`] for the verbose detail line.
pub fn assert_detail(stderr: &str, expected: &str, context: &str) {
    let Some(got) = detail(stderr) else {
        panic!("no detail line\n{context}");
    };
    for kv in expected.split_whitespace() {
        let (k, v) = kv.split_once('=').unwrap();
        assert_eq!(
            got.get(k).map(String::as_str),
            Some(v),
            "detail field {k}\n{context}"
        );
    }
}

/// Printable payload of `len` bytes in lines, distinct per `seed`, that
/// no peer reads as an interactive command (lines start with a digit).
pub fn payload(seed: u32, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    while out.len() < len {
        if out.len() % 64 == 0 {
            out.push(b'0' + (seed % 10) as u8);
            continue;
        }
        if out.len() % 64 == 63 {
            out.push(b'\n');
            continue;
        }
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push(b'a' + (x % 26) as u8);
    }
    out.truncate(len);
    if let Some(last) = out.last_mut() {
        *last = b'\n';
    }
    out
}

/// Polls `check` every few milliseconds until it holds or `timeout`
/// passes; returns whether it held (for output that a collector thread may
/// still be reading).
pub fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Joins transcripts for a failure message.
pub fn transcripts(procs: &[&Proc]) -> String {
    procs.iter().map(|p| p.transcript()).collect()
}
