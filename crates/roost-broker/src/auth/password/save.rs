//! Writing a password file so that a reader (the broker reloading on SIGHUP) sees either the
//! old file or the new one, never half of one: a temporary file in the same directory, synced,
//! then renamed over the old.
//!
//! A new file gets mode 0600. A file that is replaced keeps its owner, group and mode, as
//! `mosquitto_passwd` (which rewrites in place) keeps them: a `root:mosquitto 0640` file must
//! stay readable by the broker after an edit. The directory's mode is never touched. A symbolic
//! link is followed and its target replaced.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::file::PasswordFile;
use crate::auth::AuthFileError;

/// Mode of a password file that did not exist before.
#[cfg(unix)]
const NEW_FILE_MODE: u32 = 0o600;

impl PasswordFile {
    /// Writes the file to `path` atomically, in file order.
    pub fn save(&self, path: &Path) -> Result<(), AuthFileError> {
        let error = |what: &str, e: std::io::Error| AuthFileError {
            file: path.to_path_buf(),
            line: 0,
            message: format!("{what}: {e}"),
        };
        let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let old = fs::metadata(&target).ok();
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let (temp_path, mut temp) =
            create_temp(&dir, &target).map_err(|e| error("cannot create a temporary file", e))?;
        let written = (|| {
            set_access(&temp, old.as_ref())?;
            temp.write_all(self.to_string().as_bytes())?;
            temp.sync_all()?;
            fs::rename(&temp_path, &target)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp_path);
            return Err(error("cannot write the password file", e));
        }
        // The rename is durable once the directory is synced; a failure here loses nothing
        // that is not already on disk.
        if let Ok(dir) = File::open(&dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// Creates `.NAME.roost-XXXXXXXX.tmp` beside `target`, readable by its owner only.
fn create_temp(dir: &Path, target: &Path) -> std::io::Result<(PathBuf, File)> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(NEW_FILE_MODE);
    }
    let mut last_error = None;
    for _ in 0..16 {
        let mut tag = [0u8; 4];
        getrandom::fill(&mut tag).map_err(|e| std::io::Error::other(e.to_string()))?;
        let tag = u32::from_le_bytes(tag);
        let path = dir.join(format!(".{name}.roost-{tag:08x}.tmp"));
        match options.open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no free temporary file name")))
}

/// Gives the temporary file the replaced file's owner, group and mode, or 0600 if new.
#[cfg(unix)]
fn set_access(temp: &File, old: Option<&fs::Metadata>) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    match old {
        Some(old) => {
            // Only root may give a file away; for anyone else the new file stays theirs.
            let _ = std::os::unix::fs::fchown(temp, Some(old.uid()), Some(old.gid()));
            temp.set_permissions(fs::Permissions::from_mode(old.mode() & 0o7777))
        }
        // Set explicitly so that the umask cannot take bits away or leave others.
        None => temp.set_permissions(fs::Permissions::from_mode(NEW_FILE_MODE)),
    }
}

#[cfg(not(unix))]
fn set_access(_temp: &File, _old: Option<&fs::Metadata>) -> std::io::Result<()> {
    Ok(())
}
