//! Serving pending operations on threads of their own.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use embertls::conn::{Operation, OperationId, OperationRequest, OperationResult};
use embertls::error::CryptoError;

use crate::token::lock;

/// A finished operation: hand both halves to `Connection::complete`.
pub type Completion = (OperationId, OperationResult);

type Callback = Box<dyn FnOnce(OperationId, OperationResult) + Send>;

struct Job {
    op: Operation,
    deliver: Callback,
}

#[derive(Default)]
struct Counters {
    submitted: AtomicU64,
    performed: AtomicU64,
    skipped: AtomicU64,
}

/// What a worker has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkerStats {
    /// Operations handed to [`Pkcs11Worker::submit`] or `submit_with`.
    pub submitted: u64,
    /// Operations performed and delivered.
    pub performed: u64,
    /// Operations skipped because their connection had canceled them
    /// before a thread reached them (nothing is delivered for those).
    pub skipped: u64,
}

/// Threads that perform pending operations (`Event::Operation`) away from
/// the connection's thread: signatures with a [`crate::Pkcs11Key`], and
/// any other pausable operation (`Operation::perform` does the work).
///
/// Operations are served in submission order by `threads` threads. An
/// operation whose [`Cancellation`](embertls::conn::Cancellation) is set
/// when a thread picks it up (its connection was dropped or failed) is
/// skipped: no `C_Sign`, nothing delivered. Dropping the worker lets the
/// threads finish what is queued and joins them.
pub struct Pkcs11Worker {
    jobs: Option<Sender<Job>>,
    completions: Sender<Completion>,
    threads: Vec<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl fmt::Debug for Pkcs11Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Worker")
            .field("threads", &self.threads.len())
            .field("stats", &self.stats())
            .finish()
    }
}

impl Pkcs11Worker {
    /// Starts `threads` threads (at least one). Results of
    /// [`submit`](Self::submit) arrive on the returned receiver, which the
    /// event loop drains into `Connection::complete`.
    pub fn new(threads: usize) -> (Self, Receiver<Completion>) {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let counters = Arc::new(Counters::default());
        let handles = (0..threads.max(1))
            .map(|i| {
                let queue = queue.clone();
                let counters = counters.clone();
                thread::Builder::new()
                    .name(format!("embertls-pkcs11-{i}"))
                    .spawn(move || serve(&queue, &counters))
                    .expect("spawn a PKCS#11 worker thread")
            })
            .collect();
        let (completions, rx) = channel();
        (
            Self {
                jobs: Some(jobs),
                completions,
                threads: handles,
                counters,
            },
            rx,
        )
    }

    /// Queues `op`; its result arrives on the receiver from [`new`](Self::new).
    pub fn submit(&self, op: Operation) {
        let tx = self.completions.clone();
        self.submit_with(op, move |id, result| {
            let _ = tx.send((id, result));
        });
    }

    /// Queues `op`; `deliver` runs on the worker thread with its result
    /// (for example to send it, tagged with the connection, into the
    /// channel an event loop already waits on).
    pub fn submit_with(
        &self,
        op: Operation,
        deliver: impl FnOnce(OperationId, OperationResult) + Send + 'static,
    ) {
        self.counters.submitted.fetch_add(1, Ordering::Relaxed);
        let job = Job {
            op,
            deliver: Box::new(deliver),
        };
        if let Some(jobs) = &self.jobs {
            // The threads only stop when `jobs` is dropped, in `Drop`.
            let _ = jobs.send(job);
        }
    }

    pub fn stats(&self) -> WorkerStats {
        WorkerStats {
            submitted: self.counters.submitted.load(Ordering::Relaxed),
            performed: self.counters.performed.load(Ordering::Relaxed),
            skipped: self.counters.skipped.load(Ordering::Relaxed),
        }
    }

    /// Waits until every submitted operation has been performed or
    /// skipped, then stops the threads.
    pub fn shutdown(mut self) -> WorkerStats {
        self.stop();
        self.stats()
    }

    fn stop(&mut self) {
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Pkcs11Worker {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(queue: &Mutex<Receiver<Job>>, counters: &Counters) {
    loop {
        // Hold the lock only to take one job.
        let job = match lock(queue).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        if job.op.cancellation.is_canceled() {
            counters.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let result = catch_unwind(AssertUnwindSafe(|| job.op.perform()))
            .unwrap_or_else(|_| failed(&job.op.request, CryptoError::Other));
        counters.performed.fetch_add(1, Ordering::Relaxed);
        (job.deliver)(job.op.id, result);
    }
}

/// The result that reports `error` for an operation of `request`'s kind.
fn failed(request: &OperationRequest, error: CryptoError) -> OperationResult {
    match request {
        OperationRequest::Sign { .. } => OperationResult::Signature(Err(error)),
        OperationRequest::Decrypt { .. } => OperationResult::Decrypted(Err(error).into()),
        OperationRequest::VerifyCertificate { .. } => OperationResult::Verification(Err(error)),
        OperationRequest::SealTicket { .. } => OperationResult::SealedTicket(Err(error)),
        OperationRequest::OpenTicket { .. } => OperationResult::OpenedTicket(Err(error)),
    }
}
