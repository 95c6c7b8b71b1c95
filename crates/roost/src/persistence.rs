//! Opening the message store for `roost broker`: where it lives (`persistence_location` and
//! `persistence_file`, else the data directory), the start-up lines that say so, and what to do
//! with a store that cannot be opened — a clear error and a non-zero exit, or, when asked with
//! `--move-damaged-store`, a damaged file renamed aside and an empty store in its place.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use roost_broker::config::LogType;
use roost_broker::store::Snapshot;
use roost_broker::Config;
use roost_store::{OpenError, RedbStore};
use tracing::{info, warn};

/// An open store and what it held.
pub(crate) struct Opened {
    pub(crate) store: Arc<RedbStore>,
    pub(crate) snapshot: Snapshot,
    pub(crate) path: PathBuf,
}

/// Opens the store the configuration asks for; `None` with `persistence false`.
pub(crate) fn open(config: &Config, move_damaged: bool) -> anyhow::Result<Option<Opened>> {
    if let Some(line) = &config.autosave_ignored {
        info!(target: LogType::NOTICE_TARGET, "{line}");
    }
    if !config.persistence {
        info!(target: LogType::NOTICE_TARGET, "Persistence is off (persistence false): sessions, queued and retained messages are kept in memory only, and a restart loses them.");
        return Ok(None);
    }
    let default_dir = roost_store::default_dir();
    let path = config.store_path(default_dir.as_deref()).context(
        "persistence: no place for the message store: neither XDG_DATA_HOME nor HOME is set; add 'persistence_location DIR' (or 'persistence false')",
    )?;
    let (store, snapshot) = match roost_store::open(&path) {
        Ok(opened) => opened,
        Err(OpenError::Damaged { .. }) if move_damaged => {
            let aside = roost_store::move_aside(&path)
                .with_context(|| format!("cannot move the damaged store {}", path.display()))?;
            warn!(
                "Moved the damaged message store to {}; starting with an empty store at {}.",
                aside.display(),
                path.display()
            );
            roost_store::open(&path)?
        }
        Err(e) => return Err(e.into()),
    };
    info!(target: LogType::NOTICE_TARGET, "Storing sessions, queued and retained messages in {} (every acknowledged QoS 1/2 message is on disk first).", path.display());
    Ok(Some(Opened {
        store,
        snapshot,
        path,
    }))
}
