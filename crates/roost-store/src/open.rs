//! Opening a store: the directory made if missing, the file checked for what it is before the
//! engine reads it (a Mosquitto database, something else entirely), the engine's errors turned
//! into [`OpenError`]s, everything read back, and the writer thread started.

use std::io::Read;
use std::os::unix::fs::DirBuilderExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use redb::Database;
use roost_broker::store::Snapshot;

use crate::codec::Clock;
use crate::error::{first_non_directory, OpenError, MOSQUITTO_MAGIC};
use crate::tables::{self, LoadError};
use crate::writer::{Shared, Writer};
use crate::RedbStore;

/// The cause given when the engine panicked on what it read. redb asserts on some inconsistent
/// pages instead of returning an error; the panic is caught so the broker reports it and goes on.
pub(crate) const ENGINE_PANIC: &str = "the storage engine failed reading it";

/// The first bytes of every redb file.
const REDB_MAGIC: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

/// Opens the store at `path` (creating it, and its directory with mode 0700, if missing), reads
/// it back, and starts its writer thread. Expired deliveries and retained messages are left out
/// of the snapshot and removed from the file.
pub fn open(path: &Path) -> Result<(Arc<RedbStore>, Snapshot), OpenError> {
    let path = path.to_path_buf();
    make_dir(&path)?;
    check_header(&path)?;
    let (db, snapshot) = match catch_unwind(AssertUnwindSafe(|| read_back(&path))) {
        Ok(result) => result?,
        Err(panic) => {
            return Err(OpenError::Damaged {
                cause: format!("{ENGINE_PANIC}: {}", panic_text(&*panic)),
                path,
            })
        }
    };
    let shared = Arc::new(Shared::new(path.clone()));
    let writer = Writer {
        shared: shared.clone(),
        db: Some(db),
    };
    let thread = std::thread::Builder::new()
        .name("roost-store".into())
        .spawn(move || writer.run())
        .map_err(|source| OpenError::Io {
            path: path.clone(),
            source,
        })?;
    let store = RedbStore {
        shared,
        thread: Mutex::new(Some(thread)),
        path,
    };
    Ok((Arc::new(store), snapshot))
}

/// The message of a caught panic.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}

fn make_dir(path: &Path) -> Result<(), OpenError> {
    if let Some(parent) = first_non_directory(path) {
        return Err(OpenError::NotADirectory {
            path: path.to_path_buf(),
            parent,
        });
    }
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| OpenError::from_io(path.to_path_buf(), e)),
        _ => Ok(()),
    }
}

/// Refuses, before the engine reads it, a file that is not a redb file.
fn check_header(path: &Path) -> Result<(), OpenError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(OpenError::from_io(path.to_path_buf(), e)),
    };
    let mut head = Vec::with_capacity(MOSQUITTO_MAGIC.len());
    file.take(MOSQUITTO_MAGIC.len() as u64)
        .read_to_end(&mut head)
        .map_err(|e| OpenError::from_io(path.to_path_buf(), e))?;
    if head.is_empty() {
        return Ok(());
    }
    if head.starts_with(&MOSQUITTO_MAGIC) {
        return Err(OpenError::Mosquitto {
            path: path.to_path_buf(),
        });
    }
    if !head.starts_with(&REDB_MAGIC) {
        return Err(OpenError::Damaged {
            path: path.to_path_buf(),
            cause: "it is not a Roost message store: its first bytes are not a redb header".into(),
        });
    }
    Ok(())
}

/// Opens the engine, checks the layout version and reads every row.
fn read_back(path: &Path) -> Result<(Database, Snapshot), OpenError> {
    let db = Database::create(path).map_err(|e| classify(path, e.into()))?;
    if let Some(found) = tables::prepare(&db).map_err(|e| classify(path, e))? {
        return Err(OpenError::Newer {
            path: path.to_path_buf(),
            found,
            supported: tables::FORMAT,
        });
    }
    let loaded = tables::load(&db, Clock::now()).map_err(|e| match e {
        LoadError::Engine(e) => classify(path, e),
        LoadError::Record(cause) => OpenError::Damaged {
            path: path.to_path_buf(),
            cause,
        },
    })?;
    tables::purge_expired(&db, &loaded).map_err(|e| classify(path, e))?;
    Ok((db, loaded.snapshot))
}

/// The [`OpenError`] for an engine error while opening `path`.
fn classify(path: &Path, error: redb::Error) -> OpenError {
    let path: PathBuf = path.to_path_buf();
    match error {
        redb::Error::DatabaseAlreadyOpen => OpenError::Locked { path },
        redb::Error::Io(source) if source.kind() == std::io::ErrorKind::UnexpectedEof => {
            OpenError::Damaged {
                path,
                cause: "it ends before its last page: it was cut short".into(),
            }
        }
        redb::Error::Io(source) => OpenError::from_io(path, source),
        redb::Error::Corrupted(cause) => OpenError::Damaged { path, cause },
        redb::Error::UpgradeRequired(version) => OpenError::Damaged {
            path,
            cause: format!("it is in redb file format {version}, which this Roost cannot read"),
        },
        other => OpenError::Damaged {
            path,
            cause: other.to_string(),
        },
    }
}
