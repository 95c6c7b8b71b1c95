//! Group commit: the queue [`submit`](roost_broker::store::Store::submit) appends to, and the one
//! thread that writes it.
//!
//! Submitters lock the queue only to push an op and read the number of the batch being filled.
//! The writer takes that batch whole, folds it ([`coalesce`]: a delivery acknowledged within the
//! batch is never written), applies its ops in order in one write transaction, commits
//! with fsync, and publishes the batch number as [`Progress::finished`]. Ops that arrive during a
//! commit fill the next batch, so the more connections wait on the disk, the more each commit
//! carries; no linger is added (BENCHMARKS.md, "Store engines": one made every case slower).
//!
//! When a commit fails (disk full, I/O error) the writer keeps the failed ops and every newer one,
//! in order, and retries them every [`RETRY`] until a commit succeeds, so the file converges with
//! memory once the disk recovers. Past [`MAX_KEPT`] kept ops, new ones are dropped and counted.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use redb::{Database, Durability};
use roost_broker::store::{coalesce, Op, Progress, Unavailable};
use tokio::sync::watch;

use crate::codec::Clock;
use crate::tables;

/// How long the writer waits between two tries of a failed commit.
pub(crate) const RETRY: Duration = Duration::from_millis(500);

/// Most ops kept in memory while commits fail; newer ones are dropped (and counted) past it, so a
/// dead disk cannot take the broker's memory with it.
pub(crate) const MAX_KEPT: usize = 100_000;

#[derive(Debug)]
struct Queue {
    /// Ops of the batch being filled.
    filling: Vec<Op>,
    /// Number of the batch being filled.
    number: u64,
    /// The last commit failed.
    failing: bool,
    /// Ops the writer keeps from failed commits.
    kept: usize,
    /// Ops dropped since commits began to fail.
    dropped: u64,
    /// `close` was called: no more ops are taken.
    closed: bool,
}

/// What submitters and the writer thread share.
#[derive(Debug)]
pub(crate) struct Shared {
    queue: Mutex<Queue>,
    /// Held shared by [`Shared::together`] and exclusively while the writer takes a batch, so the
    /// ops submitted inside one `together` never straddle two batches. Order: gate, then queue.
    gate: RwLock<()>,
    wake: Condvar,
    progress: watch::Sender<Progress>,
    size: AtomicU64,
    path: PathBuf,
}

impl Shared {
    pub(crate) fn new(path: PathBuf) -> Shared {
        let size = file_size(&path);
        Shared {
            gate: RwLock::new(()),
            queue: Mutex::new(Queue {
                filling: Vec::new(),
                number: 1,
                failing: false,
                kept: 0,
                dropped: 0,
                closed: false,
            }),
            wake: Condvar::new(),
            progress: watch::channel(Progress::default()).0,
            size: AtomicU64::new(size),
            path,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn submit(&self, op: Op) -> Result<u64, Unavailable> {
        let mut q = self.lock();
        if q.closed {
            return Err(Unavailable);
        }
        if q.failing && q.filling.len() + q.kept >= MAX_KEPT {
            q.dropped += 1;
            if q.dropped == 1 {
                tracing::error!(
                    "message store {}: {MAX_KEPT} changes wait for the disk; dropping newer ones \
                     until a commit succeeds (the store will miss them)",
                    self.path.display()
                );
            }
            return Err(Unavailable);
        }
        // The writer sleeps only on an empty batch: waking it once per batch is enough (a wake
        // is a system call).
        let first = q.filling.is_empty();
        q.filling.push(op);
        let number = q.number;
        let failing = q.failing;
        drop(q);
        if first {
            self.wake.notify_one();
        }
        if failing {
            Err(Unavailable)
        } else {
            Ok(number)
        }
    }

    /// Runs `f` with the batch held open: what it submits goes into one commit.
    pub(crate) fn together(&self, f: &mut dyn FnMut()) {
        let _open = self.gate.read().unwrap_or_else(PoisonError::into_inner);
        f();
    }

    pub(crate) fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.subscribe()
    }

    pub(crate) fn size(&self) -> u64 {
        self.size.load(Ordering::Relaxed)
    }

    /// Stops taking ops and wakes the writer to commit what is queued.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_all();
    }

    /// Waits for the next batch to write: the ops queued, its number, and whether `close` was
    /// called. With `retrying`, waits out [`RETRY`] (or a close) instead of waiting for ops.
    fn next_batch(&self, retrying: bool) -> (Vec<Op>, u64, bool) {
        let mut q = self.lock();
        if retrying {
            let until = Instant::now() + RETRY;
            while !q.closed {
                let now = Instant::now();
                if now >= until {
                    break;
                }
                q = self
                    .wake
                    .wait_timeout(q, until - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        } else {
            while q.filling.is_empty() && !q.closed {
                q = self.wake.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
        }
        drop(q);
        // No `together` is half-way through the batch taken here.
        let _closed = self.gate.write().unwrap_or_else(PoisonError::into_inner);
        let mut q = self.lock();
        let ops = std::mem::take(&mut q.filling);
        let number = q.number;
        if !ops.is_empty() || retrying {
            q.number += 1;
        }
        (ops, number, q.closed)
    }
}

fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// The writer thread's state.
pub(crate) struct Writer {
    pub(crate) shared: std::sync::Arc<Shared>,
    /// The open file; `None` after a failed commit, until it is opened again (redb refuses every
    /// write after an I/O error until the file is reopened).
    pub(crate) db: Option<Database>,
}

impl Writer {
    /// Writes batches until the store is closed and its queue is empty.
    pub(crate) fn run(mut self) {
        let mut kept: Vec<Op> = Vec::new();
        let mut progress = Progress::default();
        loop {
            let retrying = !kept.is_empty();
            let (mut ops, number, closing) = self.shared.next_batch(retrying);
            if ops.is_empty() && kept.is_empty() {
                if closing {
                    return;
                }
                continue;
            }
            let mut batch = std::mem::take(&mut kept);
            batch.append(&mut ops);
            // What a later op of the batch undoes or replaces is not written (same end state).
            coalesce(&mut batch);
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.commit(&batch)))
                    .unwrap_or_else(|panic| {
                        Err(CommitFailure::Panic(
                            crate::open::panic_text(&*panic).to_owned(),
                        ))
                    });
            match outcome {
                Ok(()) => {
                    self.shared
                        .size
                        .store(file_size(&self.shared.path), Ordering::Relaxed);
                    let mut q = self.shared.lock();
                    if q.failing {
                        q.failing = false;
                        q.kept = 0;
                        let dropped = std::mem::take(&mut q.dropped);
                        drop(q);
                        tracing::info!(
                            "message store {} recovered: wrote {} changes kept while it failed{}",
                            self.shared.path.display(),
                            batch.len(),
                            if dropped > 0 {
                                format!(" ({dropped} newer ones were dropped)")
                            } else {
                                String::new()
                            }
                        );
                    }
                }
                Err(error) => {
                    self.db = None;
                    if !retrying {
                        tracing::error!(
                            "message store {}: cannot write ({error}); acknowledgements of \
                             durable messages wait, retrying every {} ms",
                            self.shared.path.display(),
                            RETRY.as_millis()
                        );
                    }
                    let mut q = self.shared.lock();
                    q.failing = true;
                    q.kept = batch.len();
                    drop(q);
                    kept = batch;
                    progress.failures += 1;
                    progress.last_failed = number;
                }
            }
            progress.finished = number;
            self.shared.progress.send_replace(progress);
            if closing && !kept.is_empty() {
                tracing::error!(
                    "message store {} closed with {} changes it could not write",
                    self.shared.path.display(),
                    kept.len()
                );
                return;
            }
        }
    }

    fn commit(&mut self, ops: &[Op]) -> Result<(), CommitFailure> {
        let db = match self.db.take() {
            Some(db) => db,
            None => Database::create(&self.shared.path).map_err(redb::Error::from)?,
        };
        let db = self.db.insert(db);
        let mut tx = db.begin_write().map_err(redb::Error::from)?;
        tx.set_durability(Durability::Immediate)
            .map_err(redb::Error::from)?;
        tables::apply(&tx, ops, Clock::now())?;
        tx.commit().map_err(redb::Error::from)?;
        Ok(())
    }
}

/// Why a commit failed.
#[derive(Debug, thiserror::Error)]
enum CommitFailure {
    /// The engine returned an error (disk full, I/O error).
    #[error("{0}")]
    Engine(#[from] redb::Error),
    /// The engine panicked on what it read (an inconsistent page); caught so the writer goes on.
    #[error("the storage engine failed: {0}")]
    Panic(String),
}
