//! Roost's message store: the broker's durable state (sessions, their queued and in-flight QoS 1
//! and 2 deliveries, inbound QoS 2 identifiers, retained messages) in one [redb] file, written by
//! group commit so that every acknowledgement the broker holds back waits for one fsync shared
//! with every other connection's.
//!
//! [`open`] reads the file back into a [`Snapshot`](roost_broker::store::Snapshot) and starts the writer thread; the returned
//! [`RedbStore`] implements the broker's [`Store`]. Opening never panics on what the file holds:
//! a damaged file, a Mosquitto database, a file of a newer Roost, a file held by another broker
//! each give an [`OpenError`] that names the path and says what to do (redb asserts on some
//! inconsistent pages; open catches that and reports the file damaged). Records are encoded by
//! this crate ([`codec`]), each with a version byte.

#![warn(missing_docs)]

pub mod codec;
mod error;
mod keys;
mod open;
mod properties;
mod tables;
mod wire;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use roost_broker::store::{Op, Progress, Store, Unavailable};
use tokio::sync::watch;

pub use error::OpenError;
pub use open::open;
pub use wire::CodecError;

/// The store's file name when the configuration gives none (`persistence_file`): the one
/// [`Config::store_path`](roost_broker::Config::store_path) uses.
pub const DEFAULT_FILE: &str = roost_broker::config::DEFAULT_PERSISTENCE_FILE;

/// Where the store lives when the configuration gives no `persistence_location`: Roost's data
/// directory ([`roost_broker::config::data_dir`]), beside the dashboard's logins.
pub fn default_dir() -> Option<PathBuf> {
    roost_broker::config::data_dir()
}

/// Renames a damaged store out of the way, to `PATH.damaged-UNIXSECS` (with `-N` added when that
/// name is taken), and returns the new path.
pub fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let secs = codec::unix_ms(std::time::SystemTime::now()) / 1000;
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".damaged-{secs}"));
    let mut target = PathBuf::from(&name);
    let mut n = 1;
    while target.exists() {
        let mut numbered = name.clone();
        numbered.push(format!("-{n}"));
        target = PathBuf::from(numbered);
        n += 1;
    }
    std::fs::rename(path, &target)?;
    Ok(target)
}

/// The store on a redb file, with its writer thread.
pub struct RedbStore {
    shared: Arc<writer::Shared>,
    /// The writer thread, taken by the first `close`.
    thread: Mutex<Option<JoinHandle<()>>>,
    path: PathBuf,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl RedbStore {
    /// The file this store writes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Store for RedbStore {
    fn submit(&self, op: Op) -> Result<u64, Unavailable> {
        self.shared.submit(op)
    }

    fn together(&self, f: &mut dyn FnMut()) {
        self.shared.together(f);
    }

    fn progress(&self) -> watch::Receiver<Progress> {
        self.shared.progress()
    }

    fn size(&self) -> u64 {
        self.shared.size()
    }

    fn close(&self) {
        self.shared.close();
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            if thread.join().is_err() {
                tracing::error!(
                    "message store {}: the writer thread panicked",
                    self.path.display()
                );
            }
        }
    }
}

impl Drop for RedbStore {
    fn drop(&mut self) {
        self.close();
    }
}
