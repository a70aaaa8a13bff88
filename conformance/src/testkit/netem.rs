//! A seeded network emulator for DTLS: a client and a server exchanging
//! datagrams in virtual time over two impaired one-way paths.
//!
//! Each direction has its own [`Impairments`]: loss, duplication,
//! reordering (a datagram is held back and released after the next one in
//! the same direction), delay with jitter, and a path MTU above which
//! datagrams vanish. All randomness comes from a small PRNG seeded by the
//! test, so a failing seed replays exactly. Time is [`embertls::Instant`]
//! and only moves when the driver jumps to the next delivery or timer: a
//! handshake that waits a minute of retransmission timeouts costs nothing.
//!
//! The driver loop ([`Netem::run_until`]): drain both sides' output
//! (datagrams onto the paths, operations performed and completed at once,
//! events recorded), deliver every datagram that is due, fire due
//! retransmission timers, and when nothing is left to do at this instant,
//! jump to the earliest next delivery, timer or reorder release. The loop is
//! bounded by a virtual time limit and a step limit, so no test can hang.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use embertls::conn::{Event, Output};
use embertls::{ClientConfig, Connection, Error, Instant, ServerConfig, Side};

/// splitmix64 for seeding, xorshift64* for the stream: tiny, deterministic
/// and good enough to pick fates for datagrams.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        // xorshift must not start at zero.
        Self(z | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// Uniform in [0, max].
    pub fn up_to(&mut self, max: Duration) -> Duration {
        let micros = max.as_micros() as u64;
        if micros == 0 {
            return Duration::ZERO;
        }
        Duration::from_micros(self.next_u64() % (micros + 1))
    }
}

/// What one direction of the path does to datagrams.
#[derive(Debug, Clone, PartialEq)]
pub struct Impairments {
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Probability that a datagram is delivered twice.
    pub duplicate: f64,
    /// Probability that a datagram is held back until the next one in the
    /// same direction has gone (or `reorder_hold` has passed).
    pub reorder: f64,
    pub reorder_hold: Duration,
    /// One-way delay: `delay` plus a uniform jitter in `[0, jitter]`.
    pub delay: Duration,
    pub jitter: Duration,
    /// Datagrams longer than this are dropped, as a path would.
    pub mtu: Option<usize>,
}

impl Default for Impairments {
    /// A perfect path with 10 ms of delay.
    fn default() -> Self {
        Self {
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_hold: Duration::from_millis(50),
            delay: Duration::from_millis(10),
            jitter: Duration::ZERO,
            mtu: None,
        }
    }
}

impl Impairments {
    /// Loses everything: a black hole.
    pub fn black_hole() -> Self {
        Self {
            loss: 1.0,
            ..Self::default()
        }
    }

    /// Random loss with reordering, duplication and jitter.
    pub fn lossy(loss: f64) -> Self {
        Self {
            loss,
            duplicate: 0.1,
            reorder: 0.2,
            jitter: Duration::from_millis(20),
            ..Self::default()
        }
    }
}

/// What the path did with a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Delivered,
    /// Delivered twice.
    Duplicated,
    /// Held back behind a later datagram.
    Reordered,
    Lost,
    /// Longer than the path MTU.
    TooBig,
    /// Dropped by the test's filter.
    Filtered,
}

/// One datagram a side sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub at: Instant,
    pub from: Side,
    /// Index among the datagrams this side sent (0-based).
    pub index: usize,
    pub bytes: Bytes,
    /// Sent while handling a retransmission timeout.
    pub on_timeout: bool,
    pub fate: Fate,
}

/// What one side did and saw.
#[derive(Debug, Default)]
pub struct SideStats {
    pub handshake_complete_at: Option<Instant>,
    pub datagrams_sent: usize,
    /// `handle_timeout` calls that produced datagrams.
    pub retransmissions: usize,
    /// Times at which `handle_timeout` produced datagrams.
    pub retransmit_times: Vec<Instant>,
    /// Each application `Data` event, in order.
    pub received: Vec<Vec<u8>>,
    pub client_reconnects: usize,
    /// Sessions the side was handed (`Event::NewSession`).
    pub sessions: Vec<embertls::session::Session>,
    /// `Event::Renegotiated` count.
    pub renegotiations: usize,
    pub operations_served: usize,
    pub error: Option<Error>,
    pub error_at: Option<Instant>,
}

/// A drop decision the test makes per datagram (after the path's own
/// impairments are decided): `true` drops it.
pub type Filter = Box<dyn FnMut(&Sent) -> bool>;

struct InFlight {
    due: Instant,
    /// Tie-break for equal `due`: scheduling order.
    order: u64,
    to: Side,
    bytes: Bytes,
}

/// Bounds of one run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub time: Duration,
    pub steps: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            time: Duration::from_secs(600),
            steps: 200_000,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The condition held.
    Done,
    /// Nothing in flight, no timers: nothing will ever happen again.
    Idle,
    /// The virtual time limit passed.
    TimeLimit,
    StepLimit,
}

/// A client and a server on an emulated network.
pub struct Netem {
    pub client: Connection,
    pub server: Connection,
    pub now: Instant,
    pub rng: Rng,
    /// Client to server.
    pub c2s: Impairments,
    /// Server to client.
    pub s2c: Impairments,
    pub client_stats: SideStats,
    pub server_stats: SideStats,
    /// Every datagram sent, in order.
    pub log: Vec<Sent>,
    pub filter: Option<Filter>,
    pub limits: Limits,
    in_flight: Vec<InFlight>,
    /// Per direction (index 0: to the server), a datagram held back for
    /// reordering and when it must go at the latest.
    held: [Option<(Instant, Bytes)>; 2],
    order: u64,
    steps: usize,
}

fn dir(to: Side) -> usize {
    match to {
        Side::Server => 0,
        Side::Client => 1,
    }
}

fn other(side: Side) -> Side {
    match side {
        Side::Client => Side::Server,
        Side::Server => Side::Client,
    }
}

impl Netem {
    /// A fresh client (for `server_name`) and server at time zero.
    pub fn new(
        client: ClientConfig,
        server: ServerConfig,
        server_name: Option<&str>,
        seed: u64,
    ) -> Result<Self, Error> {
        let client = Connection::client(Arc::new(client), server_name, Instant::ZERO)?;
        let server = Connection::server(Arc::new(server), Instant::ZERO)?;
        Ok(Self::with_connections(client, server, seed))
    }

    /// Existing connections (created at time zero).
    pub fn with_connections(client: Connection, server: Connection, seed: u64) -> Self {
        Self {
            client,
            server,
            now: Instant::ZERO,
            rng: Rng::new(seed),
            c2s: Impairments::default(),
            s2c: Impairments::default(),
            client_stats: SideStats::default(),
            server_stats: SideStats::default(),
            log: Vec::new(),
            filter: None,
            limits: Limits::default(),
            in_flight: Vec::new(),
            held: [None, None],
            order: 0,
            steps: 0,
        }
    }

    /// Both directions impaired alike.
    pub fn impair(&mut self, both: Impairments) {
        self.c2s = both.clone();
        self.s2c = both;
    }

    pub fn conn(&mut self, side: Side) -> &mut Connection {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    pub fn stats(&self, side: Side) -> &SideStats {
        match side {
            Side::Client => &self.client_stats,
            Side::Server => &self.server_stats,
        }
    }

    fn stats_mut(&mut self, side: Side) -> &mut SideStats {
        match side {
            Side::Client => &mut self.client_stats,
            Side::Server => &mut self.server_stats,
        }
    }

    fn note_error(&mut self, side: Side, e: Error) {
        let now = self.now;
        let stats = self.stats_mut(side);
        if stats.error.is_none() {
            stats.error = Some(e);
            stats.error_at = Some(now);
        }
    }

    /// Datagrams `side` sent (from the log).
    pub fn sent_by(&self, side: Side) -> impl Iterator<Item = &Sent> {
        self.log.iter().filter(move |s| s.from == side)
    }

    /// Drains `side`'s output: datagrams go onto the path, operations are
    /// served at once. Returns how many datagrams were sent.
    fn drain(&mut self, side: Side, on_timeout: bool) -> usize {
        let mut sent = 0;
        loop {
            let Some(out) = self.conn(side).poll_output() else {
                return sent;
            };
            match out {
                Output::Transmit(bytes) => {
                    sent += 1;
                    self.transmit(side, bytes, on_timeout);
                }
                Output::Event(Event::Operation(op)) => {
                    self.stats_mut(side).operations_served += 1;
                    let result = op.perform();
                    if let Err(e) = self.conn(side).complete(op.id, result) {
                        self.note_error(side, e);
                    }
                }
                Output::Event(Event::HandshakeComplete) => {
                    let now = self.now;
                    self.stats_mut(side)
                        .handshake_complete_at
                        .get_or_insert(now);
                }
                Output::Event(Event::Data(d)) => self.stats_mut(side).received.push(d.to_vec()),
                Output::Event(Event::ClientReconnect) => {
                    self.stats_mut(side).client_reconnects += 1
                }
                Output::Event(Event::NewSession(session)) => {
                    self.stats_mut(side).sessions.push(session)
                }
                Output::Event(Event::Renegotiated) => self.stats_mut(side).renegotiations += 1,
                Output::Event(_) => {}
            }
        }
    }

    /// Decides a datagram's fate and schedules its deliveries.
    fn transmit(&mut self, from: Side, bytes: Bytes, on_timeout: bool) {
        let to = other(from);
        let path = match from {
            Side::Client => self.c2s.clone(),
            Side::Server => self.s2c.clone(),
        };
        let index = {
            let stats = self.stats_mut(from);
            stats.datagrams_sent += 1;
            stats.datagrams_sent - 1
        };
        let mut sent = Sent {
            at: self.now,
            from,
            index,
            bytes: bytes.clone(),
            on_timeout,
            fate: Fate::Delivered,
        };
        // Draw every random number whatever the outcome, so one
        // impairment's result does not shift the others' stream.
        let lost = self.rng.chance(path.loss);
        let duplicated = self.rng.chance(path.duplicate);
        let reordered = self.rng.chance(path.reorder);
        let delays = [self.rng.up_to(path.jitter), self.rng.up_to(path.jitter)];
        sent.fate = if path.mtu.is_some_and(|m| bytes.len() > m) {
            Fate::TooBig
        } else if lost {
            Fate::Lost
        } else if reordered && self.held[dir(to)].is_none() {
            Fate::Reordered
        } else if duplicated {
            Fate::Duplicated
        } else {
            Fate::Delivered
        };
        if let Some(filter) = self.filter.as_mut() {
            if filter(&sent) {
                sent.fate = Fate::Filtered;
            }
        }
        let fate = sent.fate;
        self.log.push(sent);
        let base = self.now + path.delay;
        match fate {
            Fate::Lost | Fate::TooBig | Fate::Filtered => {}
            Fate::Reordered => {
                self.held[dir(to)] = Some((base + path.reorder_hold, bytes));
            }
            Fate::Delivered | Fate::Duplicated => {
                let due = base + delays[0];
                self.schedule(to, due, bytes.clone());
                if fate == Fate::Duplicated {
                    self.schedule(to, base + delays[1], bytes);
                }
                // A held datagram goes right after this one.
                if let Some((_, held)) = self.held[dir(to)].take() {
                    self.schedule(to, due, held);
                }
            }
        }
    }

    fn schedule(&mut self, to: Side, due: Instant, bytes: Bytes) {
        self.order += 1;
        self.in_flight.push(InFlight {
            due,
            order: self.order,
            to,
            bytes,
        });
    }

    /// Feeds `bytes` to `to` now, as if it had arrived.
    pub fn deliver(&mut self, to: Side, bytes: &[u8]) {
        let now = self.now;
        if let Err(e) = self.conn(to).handle_input(bytes, now) {
            self.note_error(to, e);
        }
        self.drain(to, false);
    }

    /// Datagrams that are due now, earliest first.
    fn deliver_due(&mut self) -> bool {
        let mut any = false;
        loop {
            let next = self
                .in_flight
                .iter()
                .enumerate()
                .filter(|(_, f)| f.due <= self.now)
                .min_by_key(|(_, f)| (f.due, f.order))
                .map(|(i, _)| i);
            let Some(i) = next else { return any };
            let f = self.in_flight.remove(i);
            any = true;
            self.deliver(f.to, &f.bytes);
        }
    }

    /// Held datagrams whose hold ran out go out now.
    fn release_held(&mut self) -> bool {
        let mut any = false;
        for to in [Side::Server, Side::Client] {
            if let Some((until, _)) = &self.held[dir(to)] {
                if *until <= self.now {
                    let (until, bytes) = self.held[dir(to)].take().unwrap();
                    self.schedule(to, until, bytes);
                    any = true;
                }
            }
        }
        any
    }

    fn fire_timers(&mut self) -> bool {
        let mut any = false;
        for side in [Side::Client, Side::Server] {
            let now = self.now;
            if self.conn(side).poll_timeout().is_some_and(|t| t <= now) {
                any = true;
                let result = self.conn(side).handle_timeout(now);
                let sent = self.drain(side, true);
                if let Err(e) = result {
                    self.note_error(side, e);
                } else if sent > 0 {
                    let stats = self.stats_mut(side);
                    stats.retransmissions += 1;
                    stats.retransmit_times.push(now);
                }
            }
        }
        any
    }

    /// The earliest future instant at which something happens.
    fn next_instant(&self) -> Option<Instant> {
        let deliveries = self.in_flight.iter().map(|f| f.due);
        let held = self.held.iter().flatten().map(|(t, _)| *t);
        let timers = [self.client.poll_timeout(), self.server.poll_timeout()];
        deliveries
            .chain(held)
            .chain(timers.into_iter().flatten())
            .min()
    }

    /// Runs until `done` holds (checked whenever nothing more happens at
    /// the current instant), nothing can happen any more, or a limit is
    /// reached.
    pub fn run_until(&mut self, mut done: impl FnMut(&Netem) -> bool) -> Stop {
        let deadline = self.now + self.limits.time;
        loop {
            self.steps += 1;
            if self.steps > self.limits.steps {
                return Stop::StepLimit;
            }
            self.drain(Side::Client, false);
            self.drain(Side::Server, false);
            let mut busy = self.deliver_due();
            busy |= self.release_held();
            busy |= self.fire_timers();
            if busy {
                continue;
            }
            if done(self) {
                return Stop::Done;
            }
            let Some(next) = self.next_instant() else {
                return Stop::Idle;
            };
            if next > deadline {
                return Stop::TimeLimit;
            }
            self.now = self.now.max(next);
        }
    }

    /// Runs until both sides completed the handshake (or one failed).
    pub fn run_handshake(&mut self) -> Result<(), String> {
        let stop = self.run_until(|n| {
            let both = n.client_stats.handshake_complete_at.is_some()
                && n.server_stats.handshake_complete_at.is_some();
            both || n.client_stats.error.is_some() || n.server_stats.error.is_some()
        });
        if let Some(e) = &self.client_stats.error {
            return Err(format!("client failed at {:?}: {e}", self.now));
        }
        if let Some(e) = &self.server_stats.error {
            return Err(format!("server failed at {:?}: {e}", self.now));
        }
        if stop != Stop::Done {
            return Err(format!(
                "{stop:?} at {:?}: client {} / server {}",
                self.now,
                self.client.handshake_state(),
                self.server.handshake_state()
            ));
        }
        Ok(())
    }

    /// Fails the test if either side has failed.
    pub fn assert_no_errors(&self, what: &str) {
        for (side, stats) in [
            (Side::Client, &self.client_stats),
            (Side::Server, &self.server_stats),
        ] {
            assert!(
                stats.error.is_none(),
                "{what}: {side:?} failed at {:?}: {:?}",
                stats.error_at,
                stats.error
            );
        }
    }

    /// Sends `count` numbered messages each way and checks that each arrives
    /// exactly once and intact (the paths may still reorder and duplicate).
    /// Data received before is forgotten first.
    pub fn exchange_data(&mut self, count: usize, what: &str) {
        self.client_stats.received.clear();
        self.server_stats.received.clear();
        for i in 0..count {
            let c = format!("client message {i} {}", "c".repeat(i * 37));
            let s = format!("server message {i} {}", "s".repeat(i * 41));
            self.client.send(c.as_bytes()).unwrap();
            self.server.send(s.as_bytes()).unwrap();
        }
        let stop = self.run_until(|n| {
            n.client_stats.received.len() >= count && n.server_stats.received.len() >= count
        });
        assert_eq!(stop, Stop::Done, "{what}: data did not arrive");
        assert_eq!(self.settle(), Stop::Done, "{what}");
        for (side, prefix, fill) in [(Side::Server, "client", "c"), (Side::Client, "server", "s")] {
            let mut seen: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
            for m in &self.stats(side).received {
                *seen.entry(m.clone()).or_default() += 1;
            }
            for i in 0..count {
                let m = format!(
                    "{prefix} message {i} {}",
                    fill.repeat(i * if fill == "c" { 37 } else { 41 })
                );
                assert_eq!(
                    seen.remove(m.as_bytes()),
                    Some(1),
                    "{what}: {side:?} got message {i} not once"
                );
            }
            assert!(
                seen.is_empty(),
                "{what}: {side:?} got unexpected data {seen:?}"
            );
        }
    }

    /// Runs until `side` has received `count` application messages in
    /// all, then lets the paths drain (duplicates and stragglers arrive).
    pub fn run_until_received(&mut self, side: Side, count: usize) -> Stop {
        let stop = self.run_until(|n| n.stats(side).received.len() >= count);
        if stop != Stop::Done {
            return stop;
        }
        self.settle()
    }

    /// Runs until nothing is in flight or held (timers may stay armed).
    pub fn settle(&mut self) -> Stop {
        self.run_until(|n| n.in_flight.is_empty() && n.held.iter().all(Option::is_none))
    }
}

/// A DTLS 1.2 client and a server with the test PKI's `key` certificate
/// (p256, rsa, ...).
pub fn dtls_configs(mode: crate::testkit::Mode, key: &str) -> (ClientConfig, ServerConfig) {
    use embertls::config::{Transport, VersionRange};
    let mut client = crate::testkit::pair::client_config(mode);
    let mut server = crate::testkit::pair::server_config(mode, key);
    for common in [&mut client.common, &mut server.common] {
        common.transport = Transport::Datagram;
        common.versions = VersionRange::TLS12_ONLY;
    }
    (client, server)
}

/// One DTLS record of a datagram, as seen on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRecord {
    pub content_type: u8,
    pub epoch: u16,
    pub sequence: u64,
    /// The CID for `tls12_cid` (type 25) records.
    pub cid: Vec<u8>,
    pub body: Vec<u8>,
}

impl WireRecord {
    /// For a plaintext handshake record: the first message's type.
    pub fn handshake_type(&self) -> Option<u8> {
        (self.content_type == 22 && self.epoch == 0)
            .then(|| self.body.first().copied())
            .flatten()
    }
}

/// Splits a datagram into records; `cid_len` is the length of the CID in
/// `tls12_cid` records (the receiver's own CID). Stops at the first header
/// that does not parse.
pub fn wire_records(datagram: &[u8], cid_len: usize) -> Vec<WireRecord> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while rest.len() >= 13 {
        let content_type = rest[0];
        let cid = if content_type == 25 { cid_len } else { 0 };
        let header = 13 + cid;
        if rest.len() < header {
            break;
        }
        let len = usize::from(u16::from_be_bytes([rest[header - 2], rest[header - 1]]));
        if rest.len() < header + len {
            break;
        }
        let mut seq = [0u8; 8];
        seq[2..].copy_from_slice(&rest[5..11]);
        out.push(WireRecord {
            content_type,
            epoch: u16::from_be_bytes([rest[3], rest[4]]),
            sequence: u64::from_be_bytes(seq),
            cid: rest[11..11 + cid].to_vec(),
            body: rest[header..header + len].to_vec(),
        });
        rest = &rest[header + len..];
    }
    out
}
