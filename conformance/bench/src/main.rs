//! `cargo xtask bench`: embertls on each backend against rustls+aws-lc and
//! OpenSSL, in memory, client and server in one thread.
//!
//! Each measurement warms up, then runs for a fixed time budget and reports
//! operations or megabytes per second; a full run takes the median of three
//! runs, interleaving the contenders so a busy moment on the (shared)
//! machine does not fall on one contender only. Heap use comes from a
//! counting global allocator (Rust) and the C libraries' allocation hooks.
//!
//! Options: `--quick` (0.1 s per measurement, one run: a smoke run),
//! `--filter TERM` (only rows or contenders whose name contains TERM;
//! repeat to narrow further), `--runs N`, `--time SECONDS`, `--write`
//! (write the report even after a quick or filtered run), `--output PATH`.
//! A full unfiltered run rewrites docs/performance.md.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use embertls_bench::contenders::{DTLS_REFERENCE, REFERENCE};
use embertls_bench::heap::{self, CHooks, CountingAlloc};
use embertls_bench::{
    all_contenders, Bulk, Connected, Contender, Handshaker, Missing, RawAead, RawOp, Resumption12,
    ServerKey, Suite, Suite12, DTLS_BULK_MTU, DTLS_HANDSHAKE_MTU, RECORD, TAG_LEN,
};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Hand-written findings (profiles, reasons for missed targets), copied
/// into the report.
const ANALYSIS: &str = include_str!("../analysis.md");

struct Options {
    quick: bool,
    write: bool,
    filters: Vec<String>,
    runs: usize,
    budget: Duration,
    output: PathBuf,
}

fn usage() -> &'static str {
    "usage: embertls-bench [--quick] [--filter TERM]... [--runs N] [--time SECONDS] \
     [--write] [--output PATH]"
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        quick: false,
        write: false,
        filters: Vec::new(),
        runs: 0,
        budget: Duration::ZERO,
        output: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/performance.md"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--quick" => options.quick = true,
            "--write" => options.write = true,
            "--filter" => options.filters.push(value()?.to_lowercase()),
            "--runs" => options.runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--time" => {
                let secs: f64 = value()?.parse().map_err(|e| format!("--time: {e}"))?;
                options.budget = Duration::from_secs_f64(secs);
            }
            "--output" => options.output = PathBuf::from(value()?),
            // `cargo bench`-style harness flags are ignored.
            "--bench" => {}
            "-h" | "--help" => return Err(usage().into()),
            other => return Err(format!("unknown option {other}\n{}", usage())),
        }
    }
    if options.runs == 0 {
        options.runs = if options.quick { 1 } else { 3 };
    }
    if options.budget.is_zero() {
        options.budget = Duration::from_millis(if options.quick { 100 } else { 1000 });
    }
    Ok(options)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    PerSecond,
    MegabytesPerSecond,
}

#[derive(Clone, Copy)]
enum Kind {
    Full(ServerKey),
    Resumed,
    Bulk(Suite),
    RawAead(Suite),
    Sign(ServerKey),
    X25519,
    Tls12Full(ServerKey),
    Tls12Resumed(Resumption12),
    Tls12Bulk(Suite12),
    Dtls12Full,
    Dtls12Bulk(Suite12),
}

struct Row {
    id: String,
    label: String,
    unit: Unit,
    kind: Kind,
}

impl Row {
    /// The contender this row's ratios compare with: rustls, except on the
    /// DTLS rows, which rustls cannot do.
    fn reference(&self) -> &'static str {
        match self.kind {
            Kind::Dtls12Full | Kind::Dtls12Bulk(_) => DTLS_REFERENCE,
            _ => REFERENCE,
        }
    }
}

/// How a ratio names the contender it compares with.
fn short_name(reference: &str) -> &str {
    if reference == REFERENCE {
        "rustls"
    } else {
        reference
    }
}

fn suite_id(suite: Suite) -> &'static str {
    match suite {
        Suite::Aes128Gcm => "aes128gcm",
        Suite::Aes256Gcm => "aes256gcm",
        Suite::ChaCha20Poly1305 => "chacha20poly1305",
    }
}

fn suite12_id(suite: Suite12) -> &'static str {
    match suite {
        Suite12::Aes128Gcm => "aes128gcm",
        Suite12::ChaCha20Poly1305 => "chacha20poly1305",
        Suite12::Aes128CbcSha256 => "aes128cbcsha256",
    }
}

/// Every row, in table order. TLS 1.3 rows keep their ids without a
/// version prefix (`handshake-full-p256`); TLS 1.2 rows start with
/// `tls12-`, DTLS 1.2 rows with `dtls12-` (`--filter dtls12`).
fn rows() -> Vec<Row> {
    let mut rows = vec![
        Row {
            id: "handshake-full-p256".into(),
            label: "TLS 1.3 full handshake, ECDSA P-256 cert (handshakes/s)".into(),
            unit: Unit::PerSecond,
            kind: Kind::Full(ServerKey::P256),
        },
        Row {
            id: "handshake-full-rsa2048".into(),
            label: "TLS 1.3 full handshake, RSA-2048 cert (handshakes/s)".into(),
            unit: Unit::PerSecond,
            kind: Kind::Full(ServerKey::Rsa2048),
        },
        Row {
            id: "handshake-resumed".into(),
            label: "TLS 1.3 resumed handshake, ticket + X25519 (handshakes/s)".into(),
            unit: Unit::PerSecond,
            kind: Kind::Resumed,
        },
    ];
    for suite in Suite::ALL {
        rows.push(Row {
            id: format!("bulk-{}", suite_id(suite)),
            label: format!("TLS 1.3 bulk {}, 16 KiB writes (MB/s)", suite.label()),
            unit: Unit::MegabytesPerSecond,
            kind: Kind::Bulk(suite),
        });
    }
    rows.extend([
        Row {
            id: "tls12-handshake-full-p256".into(),
            label: "TLS 1.2 full handshake, ECDHE-ECDSA P-256 cert (handshakes/s)".into(),
            unit: Unit::PerSecond,
            kind: Kind::Tls12Full(ServerKey::P256),
        },
        Row {
            id: "tls12-handshake-full-rsa2048".into(),
            label: "TLS 1.2 full handshake, ECDHE-RSA 2048 cert (handshakes/s)".into(),
            unit: Unit::PerSecond,
            kind: Kind::Tls12Full(ServerKey::Rsa2048),
        },
        Row {
            id: "tls12-handshake-resumed-ticket".into(),
            label: "TLS 1.2 resumed handshake, ticket (handshakes/s)".into(),
            unit: Unit::PerSecond,
            kind: Kind::Tls12Resumed(Resumption12::Ticket),
        },
        Row {
            id: "tls12-handshake-resumed-session-id".into(),
            label: "TLS 1.2 resumed handshake, session id (handshakes/s)".into(),
            unit: Unit::PerSecond,
            kind: Kind::Tls12Resumed(Resumption12::SessionId),
        },
    ]);
    for suite in Suite12::ALL {
        rows.push(Row {
            id: format!("tls12-bulk-{}", suite12_id(suite)),
            label: format!("TLS 1.2 bulk {}, 16 KiB writes (MB/s)", suite.label()),
            unit: Unit::MegabytesPerSecond,
            kind: Kind::Tls12Bulk(suite),
        });
    }
    rows.push(Row {
        id: "dtls12-handshake-full-p256".into(),
        label: format!(
            "DTLS 1.2 full handshake, ECDHE-ECDSA P-256 cert, cookie exchange, \
             MTU {} (handshakes/s)",
            bytes(DTLS_HANDSHAKE_MTU)
        ),
        unit: Unit::PerSecond,
        kind: Kind::Dtls12Full,
    });
    for suite in Suite12::DTLS {
        rows.push(Row {
            id: format!("dtls12-bulk-{}", suite12_id(suite)),
            label: format!(
                "DTLS 1.2 bulk {}, 16 KiB records, MTU {} (MB/s)",
                suite.label(),
                bytes(DTLS_BULK_MTU)
            ),
            unit: Unit::MegabytesPerSecond,
            kind: Kind::Dtls12Bulk(suite),
        });
    }
    for suite in Suite::ALL {
        rows.push(Row {
            id: format!("raw-aead-{}", suite_id(suite)),
            label: format!("raw {} seal+open, 16 KiB (MB/s)", suite.label()),
            unit: Unit::MegabytesPerSecond,
            kind: Kind::RawAead(suite),
        });
    }
    rows.extend([
        Row {
            id: "raw-sign-ecdsa-p256".into(),
            label: "raw ECDSA P-256 sign (ops/s)".into(),
            unit: Unit::PerSecond,
            kind: Kind::Sign(ServerKey::P256),
        },
        Row {
            id: "raw-sign-rsa2048-pss".into(),
            label: "raw RSA-2048 PSS sign (ops/s)".into(),
            unit: Unit::PerSecond,
            kind: Kind::Sign(ServerKey::Rsa2048),
        },
        Row {
            id: "raw-kx-x25519".into(),
            label: "raw X25519 key exchange (ops/s)".into(),
            unit: Unit::PerSecond,
            kind: Kind::X25519,
        },
    ]);
    rows
}

/// Whether `row` (by id) for `contender` passes every filter term.
fn selected(filters: &[String], row: &str, contender: &str) -> bool {
    let contender = contender.to_lowercase();
    filters
        .iter()
        .all(|f| row.contains(f.as_str()) || contender.contains(f.as_str()))
}

/// A contender's measurement of a row, ready or not.
enum Prepared {
    Ready(Runner),
    Failed(String),
    /// The contender cannot do it (a missing suite, say): not a failure.
    Unsupported(String),
}

impl From<Result<Runner, String>> for Prepared {
    fn from(r: Result<Runner, String>) -> Self {
        match r {
            Ok(runner) => Prepared::Ready(runner),
            Err(e) => Prepared::Failed(e),
        }
    }
}

impl From<Result<Runner, Missing>> for Prepared {
    fn from(r: Result<Runner, Missing>) -> Self {
        match r {
            Ok(runner) => Prepared::Ready(runner),
            Err(Missing::Error(e)) => Prepared::Failed(e),
            Err(Missing::Unsupported(why)) => Prepared::Unsupported(why),
        }
    }
}

/// One prepared measurement.
enum Runner {
    Handshake(Box<dyn Handshaker>),
    Bulk(Box<dyn Bulk>, Vec<u8>),
    Aead(RawAead, Vec<u8>),
    Op(RawOp),
}

impl Runner {
    /// Runs once; returns units done (handshakes, operations or bytes).
    fn once(&mut self) -> Result<u64, String> {
        match self {
            Runner::Handshake(h) => {
                let Connected { client, server } = h.connect()?;
                drop((client, server));
                Ok(1)
            }
            Runner::Bulk(bulk, data) => {
                let mut received = 0;
                bulk.transfer(data, &mut |d| received += d.len())?;
                if received != data.len() {
                    return Err(format!("{received} of {} bytes arrived", data.len()));
                }
                Ok(data.len() as u64)
            }
            Runner::Aead(aead, buf) => {
                aead(buf)?;
                Ok(RECORD as u64)
            }
            Runner::Op(op) => {
                op()?;
                Ok(1)
            }
        }
    }
}

fn prepare(contender: &dyn Contender, kind: Kind) -> Option<Prepared> {
    let bulk = |b| Runner::Bulk(b, vec![0x5a; RECORD]);
    Some(match kind {
        Kind::Full(key) => contender.full(key).map(Runner::Handshake).into(),
        Kind::Resumed => contender.resumed().map(Runner::Handshake).into(),
        Kind::Bulk(suite) => contender.bulk(suite).map(bulk).into(),
        Kind::RawAead(suite) => contender
            .raw_aead(suite)?
            .map(|a| Runner::Aead(a, vec![0x5a; RECORD + TAG_LEN]))
            .into(),
        Kind::Sign(key) => contender.raw_sign(key)?.map(Runner::Op).into(),
        Kind::X25519 => contender.raw_x25519()?.map(Runner::Op).into(),
        Kind::Tls12Full(key) => contender.tls12_full(key).map(Runner::Handshake).into(),
        Kind::Tls12Resumed(how) => contender.tls12_resumed(how).map(Runner::Handshake).into(),
        Kind::Tls12Bulk(suite) => contender.tls12_bulk(suite).map(bulk).into(),
        Kind::Dtls12Full => contender.dtls12_full().map(Runner::Handshake).into(),
        Kind::Dtls12Bulk(suite) => contender.dtls12_bulk(suite).map(bulk).into(),
    })
}

/// Warms up for a fifth of the budget, then runs for the budget; units per
/// second.
fn measure(runner: &mut Runner, budget: Duration) -> Result<f64, String> {
    let start = Instant::now();
    loop {
        runner.once()?;
        if start.elapsed() >= budget / 5 {
            break;
        }
    }
    let start = Instant::now();
    let mut units = 0u64;
    loop {
        units += runner.once()?;
        let elapsed = start.elapsed();
        if elapsed >= budget {
            return Ok(units as f64 / elapsed.as_secs_f64());
        }
    }
}

/// What one contender's row came to.
enum Cell {
    /// Per-run values (ops/s or MB/s).
    Values(Vec<f64>),
    Error(String),
    /// The contender cannot do this row (why).
    Unsupported(String),
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// Heap of one contender's connections.
#[derive(Clone, Copy, Default)]
struct HeapReport {
    client: heap::Usage,
    server: heap::Usage,
    peak: heap::Usage,
    client_object: usize,
    server_object: usize,
    /// Bytes not returned after both ends were dropped (caches, leaks).
    left_over: heap::Usage,
}

fn sub(a: heap::Usage, b: heap::Usage) -> heap::Usage {
    heap::Usage {
        rust: a.rust.saturating_sub(b.rust),
        c: a.c.saturating_sub(b.c),
    }
}

/// Heap per idle connection (what dropping each end gives back) and the
/// high-water mark of a full handshake (P-256 certificate, AES-128-GCM).
fn measure_heap(contender: &dyn Contender) -> Result<HeapReport, String> {
    let mut handshaker = contender.full(ServerKey::P256)?;
    // Warm up: lazy initialisation, reusable buffers.
    for _ in 0..3 {
        drop(handshaker.connect()?);
    }
    let base = heap::current();
    heap::reset_peak();
    let Connected { client, server } = handshaker.connect()?;
    let peak = sub(heap::peak(), base);
    let client_object = std::mem::size_of_val(&*client);
    let server_object = std::mem::size_of_val(&*server);
    let before = heap::current();
    drop(server);
    let after_server = heap::current();
    drop(client);
    let after_client = heap::current();
    Ok(HeapReport {
        client: sub(after_server, after_client),
        server: sub(before, after_server),
        peak,
        client_object,
        server_object,
        left_over: sub(after_client, base),
    })
}

/// Everything a run found.
struct Results {
    rows: Vec<Row>,
    contenders: Vec<String>,
    cells: HashMap<(String, String), Cell>,
    heap: Vec<(String, Result<HeapReport, String>)>,
    hooks: CHooks,
    errors: usize,
}

fn run(options: &Options, hooks: CHooks) -> Results {
    let contenders = all_contenders();
    let names: Vec<String> = contenders.iter().map(|c| c.name().to_string()).collect();
    let rows: Vec<Row> = rows()
        .into_iter()
        .filter(|row| names.iter().any(|n| selected(&options.filters, &row.id, n)))
        .collect();
    let mut cells = HashMap::new();
    let mut errors = 0;
    let total = rows.len();
    for (i, row) in rows.iter().enumerate() {
        let mut runners: Vec<(String, Prepared)> = Vec::new();
        for contender in &contenders {
            if !selected(&options.filters, &row.id, contender.name()) {
                continue;
            }
            if let Some(prepared) = prepare(contender.as_ref(), row.kind) {
                runners.push((contender.name().to_string(), prepared));
            }
        }
        let mut values: HashMap<String, Vec<f64>> = HashMap::new();
        for rep in 0..options.runs {
            for (name, runner) in &mut runners {
                let key = (row.id.clone(), name.clone());
                if cells.contains_key(&key) {
                    continue; // failed earlier
                }
                let result = match runner {
                    Prepared::Ready(runner) => measure(runner, options.budget),
                    Prepared::Failed(e) => Err(e.clone()),
                    Prepared::Unsupported(why) => {
                        eprintln!(
                            "[{}/{total}] {} | {name}: not supported: {why}",
                            i + 1,
                            row.id
                        );
                        cells.insert(key, Cell::Unsupported(why.clone()));
                        continue;
                    }
                };
                match result {
                    Ok(rate) => {
                        let value = match row.unit {
                            Unit::PerSecond => rate,
                            Unit::MegabytesPerSecond => rate / 1e6,
                        };
                        eprintln!(
                            "[{}/{total}] {} | {name} | run {}/{}: {}",
                            i + 1,
                            row.id,
                            rep + 1,
                            options.runs,
                            number(value)
                        );
                        values.entry(name.clone()).or_default().push(value);
                    }
                    Err(e) => {
                        eprintln!("[{}/{total}] {} | {name}: FAILED: {e}", i + 1, row.id);
                        errors += 1;
                        cells.insert(key, Cell::Error(e));
                    }
                }
            }
        }
        for (name, v) in values {
            cells
                .entry((row.id.clone(), name))
                .or_insert(Cell::Values(v));
        }
    }
    let mut heap = Vec::new();
    for contender in &contenders {
        if !selected(&options.filters, "heap", contender.name()) {
            continue;
        }
        let report = measure_heap(contender.as_ref());
        match &report {
            Ok(r) => eprintln!(
                "[heap] {}: client {} + {} C, server {} + {} C, handshake peak {} + {} C",
                contender.name(),
                r.client.rust,
                r.client.c,
                r.server.rust,
                r.server.c,
                r.peak.rust,
                r.peak.c
            ),
            Err(e) => {
                eprintln!("[heap] {}: FAILED: {e}", contender.name());
                errors += 1;
            }
        }
        heap.push((contender.name().to_string(), report));
    }
    Results {
        rows,
        contenders: names,
        cells,
        heap,
        hooks,
        errors,
    }
}

/// A number with thousands separators; one decimal below 100.
fn number(value: f64) -> String {
    if value < 100.0 {
        return format!("{value:.1}");
    }
    grouped(&format!("{value:.0}"))
}

fn bytes(value: usize) -> String {
    grouped(&value.to_string())
}

fn grouped(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Results {
    fn value(&self, row: &str, contender: &str) -> Option<f64> {
        match self.cells.get(&(row.to_string(), contender.to_string())) {
            Some(Cell::Values(v)) => Some(median(v)),
            _ => None,
        }
    }

    fn heap_of(&self, contender: &str) -> Option<&HeapReport> {
        self.heap
            .iter()
            .find(|(n, _)| n == contender)
            .and_then(|(_, r)| r.as_ref().ok())
    }

    /// " (1.23x rustls)": `value` over the `reference` contender's.
    fn ratio_text(
        &self,
        value: f64,
        reference: Option<f64>,
        contender: &str,
        reference_name: &str,
    ) -> String {
        match reference {
            Some(r) if contender != reference_name && r > 0.0 => {
                format!(" ({:.2}x {})", value / r, short_name(reference_name))
            }
            _ => String::new(),
        }
    }

    fn table(&self) -> String {
        let mut out = String::new();
        let _ = write!(out, "| |");
        for name in &self.contenders {
            let _ = write!(out, " {name} |");
        }
        let _ = write!(out, "\n|---|");
        for _ in &self.contenders {
            let _ = write!(out, "---:|");
        }
        out.push('\n');
        for row in &self.rows {
            let _ = write!(out, "| {} |", row.label);
            let reference = self.value(&row.id, row.reference());
            for name in &self.contenders {
                let cell = match self.cells.get(&(row.id.clone(), name.clone())) {
                    Some(Cell::Values(v)) => {
                        let m = median(v);
                        let ratio = self.ratio_text(m, reference, name, row.reference());
                        format!("{}{ratio}", number(m))
                    }
                    Some(Cell::Error(_)) => "error".into(),
                    Some(Cell::Unsupported(_)) => "n/s".into(),
                    None => "—".into(),
                };
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
        // Engine overhead: bulk over raw AEAD of the same backend, for TLS
        // 1.3, the TLS 1.2 AEAD suites and DTLS 1.2.
        let mut overhead: Vec<(String, String, String)> = Suite::ALL
            .iter()
            .map(|&suite| {
                (
                    format!("TLS 1.3 bulk / raw {}", suite.label()),
                    format!("bulk-{}", suite_id(suite)),
                    format!("raw-aead-{}", suite_id(suite)),
                )
            })
            .collect();
        overhead.extend(Suite12::ALL.iter().filter_map(|&suite| {
            let aead = suite.aead()?;
            Some((
                format!("TLS 1.2 bulk / raw {}", suite.label()),
                format!("tls12-bulk-{}", suite12_id(suite)),
                format!("raw-aead-{}", suite_id(aead)),
            ))
        }));
        overhead.extend(Suite12::DTLS.iter().filter_map(|&suite| {
            let aead = suite.aead()?;
            Some((
                format!("DTLS 1.2 bulk / raw {}", suite.label()),
                format!("dtls12-bulk-{}", suite12_id(suite)),
                format!("raw-aead-{}", suite_id(aead)),
            ))
        }));
        for (label, bulk, raw) in overhead {
            if !self.rows.iter().any(|r| r.id == bulk) || !self.rows.iter().any(|r| r.id == raw) {
                continue;
            }
            let _ = write!(out, "| {label} |");
            for name in &self.contenders {
                let cell = match (self.value(&bulk, name), self.value(&raw, name)) {
                    (Some(b), Some(r)) if r > 0.0 => format!("{:.0} %", 100.0 * b / r),
                    _ => "—".into(),
                };
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
        if !self.heap.is_empty() {
            let reference = self.heap_of(REFERENCE).copied();
            type Pick = fn(&HeapReport) -> heap::Usage;
            let heap_rows: [(&str, Pick); 3] = [
                ("idle client connection heap, bytes: Rust + C", |r| r.client),
                ("idle server connection heap, bytes: Rust + C", |r| r.server),
                (
                    "peak heap during a full handshake (both ends), bytes: Rust + C",
                    |r| r.peak,
                ),
            ];
            for (label, pick) in heap_rows {
                let _ = write!(out, "| {label} |");
                for name in &self.contenders {
                    let cell = match self.heap.iter().find(|(n, _)| n == name) {
                        Some((_, Ok(r))) => {
                            let u = pick(r);
                            let total = (u.rust + u.c) as f64;
                            let ratio = self.ratio_text(
                                total,
                                reference.as_ref().map(|r| {
                                    let u = pick(r);
                                    (u.rust + u.c) as f64
                                }),
                                name,
                                REFERENCE,
                            );
                            format!("{} + {}{ratio}", bytes(u.rust), bytes(u.c))
                        }
                        Some((_, Err(_))) => "error".into(),
                        None => "—".into(),
                    };
                    let _ = write!(out, " {cell} |");
                }
                out.push('\n');
            }
        }
        out
    }

    /// The targets, each met or missed and by how much.
    fn targets(&self) -> String {
        let mut out = String::new();
        let ours = "embertls+aws-lc";
        let _ = writeln!(
            out,
            "1. **{ours} at or above rustls+aws-lc on every row** (throughput at least \
             rustls's, heap at most rustls's):\n"
        );
        let mut all_met = true;
        let mut compared = 0;
        for row in &self.rows {
            let (Some(a), Some(b)) = (self.value(&row.id, ours), self.value(&row.id, REFERENCE))
            else {
                continue;
            };
            compared += 1;
            let spread = self
                .spread(&row.id, ours)
                .max(self.spread(&row.id, REFERENCE));
            let ratio = a / b;
            let verdict = if ratio >= 1.0 {
                format!("met ({ratio:.2}x)")
            } else if 1.0 - ratio < spread {
                all_met = false;
                format!(
                    "missed by {:.1} % ({ratio:.2}x), less than the run-to-run spread \
                     of {:.1} %: not a measurable difference",
                    100.0 * (1.0 - ratio),
                    100.0 * spread
                )
            } else {
                all_met = false;
                let spread = if spread > 0.0 {
                    format!("; run-to-run spread {:.1} %", 100.0 * spread)
                } else {
                    String::new()
                };
                format!(
                    "**missed** by {:.1} % ({ratio:.2}x{spread})",
                    100.0 * (1.0 - ratio),
                )
            };
            let _ = writeln!(out, "   - {}: {verdict}", row.label);
        }
        if let (Some(a), Some(b)) = (self.heap_of(ours), self.heap_of(REFERENCE)) {
            type Pick = fn(&HeapReport) -> heap::Usage;
            let picks: [(&str, Pick); 3] = [
                ("idle client heap", |r| r.client),
                ("idle server heap", |r| r.server),
                ("handshake peak heap", |r| r.peak),
            ];
            for (label, pick) in picks {
                compared += 1;
                let (x, y) = (pick(a), pick(b));
                let (x, y) = (x.rust + x.c, y.rust + y.c);
                let verdict = if x <= y {
                    format!("met ({} vs {} bytes)", bytes(x), bytes(y))
                } else {
                    all_met = false;
                    format!(
                        "**missed**: {} vs {} bytes ({:.2}x)",
                        bytes(x),
                        bytes(y),
                        x as f64 / y.max(1) as f64
                    )
                };
                let _ = writeln!(out, "   - {label} (Rust + C): {verdict}");
            }
        }
        if compared == 0 {
            let _ = writeln!(out, "   - not measured in this run");
        } else if all_met {
            let _ = writeln!(out, "\n   All met.");
        }

        let _ = writeln!(
            out,
            "\n2. **Bulk at least 90 % of the same backend's raw AEAD speed** \
             (engine overhead):\n"
        );
        let mut any = false;
        for name in self.contenders.iter().filter(|n| n.starts_with("embertls")) {
            for suite in Suite::ALL {
                let (Some(b), Some(r)) = (
                    self.value(&format!("bulk-{}", suite_id(suite)), name),
                    self.value(&format!("raw-aead-{}", suite_id(suite)), name),
                ) else {
                    continue;
                };
                any = true;
                let share = b / r;
                let verdict = if share >= 0.9 {
                    format!("met ({:.0} %)", 100.0 * share)
                } else {
                    format!(
                        "**missed**: {:.0} %, {:.0} points short",
                        100.0 * share,
                        100.0 * (0.9 - share)
                    )
                };
                let _ = writeln!(out, "   - {name}, {}: {verdict}", suite.label());
            }
        }
        if !any {
            let _ = writeln!(out, "   - not measured in this run");
        }

        let _ = writeln!(
            out,
            "\n3. **Idle connection at most 4 KiB of heap** (Rust + counted C heap, \
             the connection object included):\n"
        );
        let mut any = false;
        for name in self.contenders.iter().filter(|n| n.starts_with("embertls")) {
            let Some(r) = self.heap_of(name) else {
                continue;
            };
            any = true;
            for (side, u) in [("client", r.client), ("server", r.server)] {
                let total = u.rust + u.c;
                let verdict = if total <= 4096 {
                    format!("met ({} bytes)", bytes(total))
                } else {
                    format!(
                        "**missed**: {} bytes, {} over",
                        bytes(total),
                        bytes(total - 4096)
                    )
                };
                let _ = writeln!(out, "   - {name}, {side}: {verdict}");
            }
        }
        if !any {
            let _ = writeln!(out, "   - not measured in this run");
        }
        out
    }

    /// (max - min) / median of a cell's runs.
    fn spread(&self, row: &str, contender: &str) -> f64 {
        match self.cells.get(&(row.to_string(), contender.to_string())) {
            Some(Cell::Values(v)) if v.len() > 1 => {
                let max = v.iter().copied().fold(f64::MIN, f64::max);
                let min = v.iter().copied().fold(f64::MAX, f64::min);
                (max - min) / median(v)
            }
            _ => 0.0,
        }
    }

    /// The failures of this run, one line each.
    fn failures(&self) -> String {
        let mut out = String::new();
        let mut failed: Vec<_> = self
            .cells
            .iter()
            .filter_map(|((row, name), cell)| match cell {
                Cell::Error(e) => Some(format!("- {row}, {name}: {e}")),
                Cell::Values(_) | Cell::Unsupported(_) => None,
            })
            .collect();
        failed.extend(
            self.heap
                .iter()
                .filter_map(|(name, r)| r.as_ref().err().map(|e| format!("- heap, {name}: {e}"))),
        );
        failed.sort();
        for line in failed {
            let _ = writeln!(out, "{line}");
        }
        out
    }

    /// The rows a contender cannot do, one line each.
    fn unsupported(&self) -> String {
        let mut out = String::new();
        let mut lines: Vec<_> = self
            .cells
            .iter()
            .filter_map(|((row, name), cell)| match cell {
                Cell::Unsupported(why) => Some(format!("- {row}, {name}: {why}")),
                _ => None,
            })
            .collect();
        lines.sort();
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        out
    }

    fn heap_notes(&self) -> String {
        let mut out = String::new();
        for (name, report) in &self.heap {
            if let Ok(r) = report {
                let _ = writeln!(
                    out,
                    "- {name}: connection objects {} (client) and {} (server) bytes, \
                     included above; {} + {} bytes stayed allocated after both ends \
                     were dropped (session caches and the like).",
                    bytes(r.client_object),
                    bytes(r.server_object),
                    bytes(r.left_over.rust),
                    bytes(r.left_over.c),
                );
            }
        }
        let _ = writeln!(
            out,
            "- C heap counted: AWS-LC {}, OpenSSL {}.",
            if self.hooks.aws_lc { "yes" } else { "no" },
            if self.hooks.openssl { "yes" } else { "no" }
        );
        out
    }
}

/// The CPU features the crypto libraries pick their code by, as present.
fn cpu_flags() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags: Vec<&str> = info
        .lines()
        .find_map(|l| l.strip_prefix("flags"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, f)| f.split_whitespace().collect())
        .unwrap_or_default();
    let wanted = [
        "aes",
        "pclmulqdq",
        "avx2",
        "bmi2",
        "adx",
        "sha_ni",
        "avx512f",
        "vaes",
        "vpclmulqdq",
    ];
    let present: Vec<&str> = wanted.into_iter().filter(|w| flags.contains(w)).collect();
    if present.is_empty() {
        "unknown".into()
    } else {
        present.join(" ")
    }
}

fn cpu_model() -> (String, usize) {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = info.lines().filter(|l| l.starts_with("processor")).count();
    let cores = if cores == 0 {
        std::thread::available_parallelism().map_or(0, |n| n.get())
    } else {
        cores
    };
    (model, cores)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| {
            let parts: Vec<&str> = l.split_whitespace().take(3).collect();
            (parts.len() == 3).then(|| parts.join(" "))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Today's date (UTC) as YYYY-MM-DD.
fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn report(results: &Results, options: &Options, load_before: &str, elapsed: Duration) -> String {
    let (model, cores) = cpu_model();
    let mut out = String::new();
    let _ = writeln!(out, "# Performance\n");
    let _ = writeln!(
        out,
        "Written by `cargo xtask bench` (the program in `conformance/bench`); \
         a full run rewrites this file. Do not edit it by hand: the analysis \
         at the end comes from `conformance/bench/analysis.md`.\n"
    );
    let _ = writeln!(out, "## Machine and run\n");
    let _ = writeln!(out, "- Date: {}", today());
    let _ = writeln!(
        out,
        "- CPU: {model}, {cores} cores; features used by the crypto code: {}",
        cpu_flags()
    );
    let _ = writeln!(
        out,
        "- The machine is shared with other developers' builds and tests \
         (load average {load_before} at the start of the run, {} at the end): \
         the numbers are indicative, compare ratios rather than absolute values.",
        load_average()
    );
    let _ = writeln!(out, "- Compiler: {}", env!("BENCH_RUSTC_VERSION"));
    let _ = writeln!(
        out,
        "- Libraries: rustls {} with aws-lc-rs {} (aws-lc-sys {}, the same build \
         of AWS-LC as embertls-aws-lc); {} through the openssl crate {}",
        env!("BENCH_RUSTLS_VERSION"),
        env!("BENCH_AWS_LC_RS_VERSION"),
        env!("BENCH_AWS_LC_SYS_VERSION"),
        openssl::version::version(),
        env!("BENCH_OPENSSL_CRATE_VERSION"),
    );
    let _ = writeln!(
        out,
        "- Each measurement: warm-up for a fifth of the budget, then {:.1} s; \
         median of {} runs, the contenders interleaved; {:.0} s in all",
        options.budget.as_secs_f64(),
        options.runs,
        elapsed.as_secs_f64()
    );
    let _ = writeln!(out, "\n## What is measured\n");
    let _ = writeln!(out, "{METHOD}");
    let _ = writeln!(out, "## Results\n");
    let _ = writeln!(
        out,
        "Ratios are to rustls+aws-lc (above 1 is faster, or for heap rows, larger), \
         except on the DTLS 1.2 rows: rustls has no DTLS, so those compare with \
         OpenSSL. MB = 10^6 bytes of plaintext. \"—\": not measured for that \
         contender.\n"
    );
    out.push_str(&results.table());
    let unsupported = results.unsupported();
    if !unsupported.is_empty() {
        let _ = writeln!(
            out,
            "\n\"n/s\": not supported by that contender (not a failure):\n\n{unsupported}"
        );
    }
    let failures = results.failures();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nFailed measurements:\n\n{failures}");
    }
    let _ = writeln!(out, "\nHeap details:\n");
    out.push_str(&results.heap_notes());
    let _ = writeln!(out, "\n## Targets\n");
    out.push_str(&results.targets());
    let _ = writeln!(out, "\n## Analysis\n");
    out.push_str(ANALYSIS);
    out
}

const METHOD: &str = "\
Client and server run in one thread and talk through memory; nothing is \
sent over a socket. Every contender does the same work:

- **Handshakes**: TLS 1.3, X25519, TLS_AES_128_GCM_SHA256, server name \
  `localhost`, the server certificate from `conformance/testdata` \
  (`server-p256` or `server-rsa`, RSA-PSS signatures) and a client that \
  verifies it against only its CA (`ca-p256` / `ca-rsa`) with the real \
  clock. Fresh client and server connections per handshake, configurations \
  built once. Full handshakes issue no tickets. Resumed handshakes offer the \
  newest ticket (PSK with X25519, stateless tickets sealed by the server: \
  embertls's `RotatingTicketer` on the same backend, rustls's aws-lc-rs \
  `Ticketer`, OpenSSL's built-in tickets); the server issues one new ticket \
  per handshake and the client takes it, and a handshake that is not \
  resumed fails the run.
- **TLS 1.2 handshakes** (rows starting \"TLS 1.2\"): both ends limited to \
  TLS 1.2, X25519, the extended master secret (all three stacks use it by \
  default), the same certificates and verification; \
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 with the P-256 certificate, \
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 with the RSA one. Full handshakes \
  issue no ticket and keep no session. Resumed handshakes (P-256, \
  ECDHE-ECDSA) offer the newest session the client holds: by RFC 5077 \
  ticket (stateless, no server cache; embertls and rustls issue a fresh \
  ticket on every resumption, OpenSSL keeps the old one), or by session id \
  (the server's in-memory cache of 256 entries, no tickets). An abbreviated \
  TLS 1.2 handshake has no key exchange, unlike TLS 1.3's PSK with X25519.
- **DTLS 1.2** (rows starting \"DTLS 1.2\"; embertls and OpenSSL only, \
  rustls has no DTLS, so these rows compare with OpenSSL): the TLS 1.2 \
  setup (X25519, extended master secret, the P-256 certificate and its \
  verification, no tickets, no session cache) over datagrams. Each \
  datagram a side sends is handed to the other whole (embertls: one \
  `handle_datagram` per `Output::Transmit` (copied into a reused receive buffer, as from a UDP socket); OpenSSL: an `SslStream` over a \
  Rust datagram queue whose reads return exactly one datagram, as a UDP \
  socket does). The handshake row uses \
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 with a 1,400-byte MTU and \
  includes the cookie exchange: the server answers the first ClientHello \
  with a HelloVerifyRequest (embertls: its default HMAC-SHA256 cookies \
  over the client's address and ClientHello; OpenSSL: \
  `SSL_OP_COOKIE_EXCHANGE` with a cookie callback pair computing \
  HMAC-SHA256 over the client's address), so a handshake takes six \
  flights, one round trip more than over TLS. The bulk rows raise the MTU \
  to 16,448 bytes so that each 16 KiB write is one full-size record in \
  one datagram (checked at setup); otherwise as **Bulk** below.
- **Bulk**: an established connection; the client writes 16 KiB of \
  application data (one record), the server decrypts it and hands it over \
  (embertls: `Event::Data`; rustls: `reader().read`; OpenSSL: `SSL_read` \
  into a buffer). Encryption and decryption both count: this is directly \
  comparable with the raw seal+open row. TLS 1.2 bulk rows use \
  ECDHE-ECDSA suites; the CBC row is AES-128-CBC with HMAC-SHA256 and \
  Encrypt-then-MAC (RFC 7366), which rustls does not implement.
- **Raw**: the backend's primitives as the TLS stack calls them. AEAD: seal \
  then open 16 KiB in place (embertls: the provider's `AeadKey`; rustls \
  column: aws-lc-rs `LessSafeKey` the way rustls uses it; not measured \
  separately for OpenSSL, whose EVP calls are those of embertls+openssl). \
  Signatures over a 130-byte CertificateVerify-sized message with the \
  server keys (embertls: `SigningKey::sign`; rustls: its aws-lc-rs \
  `Signer`; OpenSSL: `EVP_DigestSign`). X25519: a new key pair with its \
  public key, then the shared secret with a fixed peer key.
- **Heap**: a counting global allocator sees Rust's heap; AWS-LC's and \
  OpenSSL's own allocations (`OPENSSL_malloc`, in C) are counted through \
  their `CRYPTO_set_mem_functions` hooks and shown as the second number \
  (\"Rust + C\"). Idle connection: what dropping that end of an established \
  connection (P-256 certificate, AES-128-GCM, all output delivered) gives \
  back, the boxed connection object included. Peak: the highest heap use \
  during one full handshake above what was in use before it, both ends and \
  the in-memory transport together. Sizes are those requested, before \
  malloc's rounding.
";

fn main() -> ExitCode {
    // First, before AWS-LC or OpenSSL allocate anything.
    let hooks = heap::count_c_allocations();
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let load_before = load_average();
    let start = Instant::now();
    let results = run(&options, hooks);
    let elapsed = start.elapsed();
    println!("{}", results.table());
    println!("{}", results.targets());
    print!("{}", results.unsupported());
    print!("{}", results.failures());
    let full = !options.quick && options.filters.is_empty();
    if full || options.write {
        let text = report(&results, &options, &load_before, elapsed);
        match std::fs::write(&options.output, text) {
            Ok(()) => eprintln!("wrote {}", options.output.display()),
            Err(e) => {
                eprintln!("cannot write {}: {e}", options.output.display());
                return ExitCode::FAILURE;
            }
        }
    }
    if results.errors > 0 {
        eprintln!("{} measurement(s) failed", results.errors);
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
