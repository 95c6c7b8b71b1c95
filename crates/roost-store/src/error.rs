//! Why a store cannot be opened, each case worded for the person starting the broker: the path,
//! the cause, and what to do about it.

use std::path::PathBuf;

/// The first bytes of a Mosquitto persistence file (`mosquitto.db`).
pub(crate) const MOSQUITTO_MAGIC: [u8; 15] = [
    0x00, 0xB5, 0x00, b'm', b'o', b's', b'q', b'u', b'i', b't', b't', b'o', b' ', b'd', b'b',
];

/// Why [`open`](crate::open) failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file or its directory may not be read or written by this user.
    #[error(
        "cannot open the message store {}: permission denied ({source}). Give the broker's user \
         read and write access to it, or set `persistence_location` to a directory it owns",
        path.display()
    )]
    PermissionDenied {
        /// The path refused.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// Another process (or another store in this one) holds the file.
    #[error(
        "cannot open the message store {}: another roost broker is using it. Stop that broker, \
         or give this one its own `persistence_location` or `persistence_file`",
        path.display()
    )]
    Locked {
        /// The store file.
        path: PathBuf,
    },
    /// The file is not a store, or its content is broken.
    #[error(
        "the message store {} is damaged ({cause}). To keep it and start with an empty store, \
         run `roost broker --move-damaged-store` (it is renamed to {}.damaged-…), or set \
         `persistence_location` elsewhere",
        path.display(), path.display()
    )]
    Damaged {
        /// The store file.
        path: PathBuf,
        /// What is wrong with it.
        cause: String,
    },
    /// The file is a Mosquitto database.
    #[error(
        "{} is a Mosquitto persistence file; Roost cannot read Mosquitto's format. Give Roost \
         another file name with `persistence_file` (for example roost.db), or another \
         `persistence_location`",
        path.display()
    )]
    Mosquitto {
        /// The file.
        path: PathBuf,
    },
    /// The file was written by a newer Roost.
    #[error(
        "the message store {} was written by a newer Roost (format {found}; this one reads up \
         to {supported}). Run that newer Roost, or set `persistence_location` elsewhere",
        path.display()
    )]
    Newer {
        /// The store file.
        path: PathBuf,
        /// Format version on disk.
        found: u64,
        /// Newest format this build reads.
        supported: u64,
    },
    /// The disk is full.
    #[error(
        "cannot open the message store {}: no space left on the device. Free some space, or set \
         `persistence_location` to another disk",
        path.display()
    )]
    NoSpace {
        /// The store file.
        path: PathBuf,
    },
    /// A parent of the store's directory is a file.
    #[error(
        "cannot open the message store {}: {} is not a directory. Set `persistence_location` to \
         a directory",
        path.display(), parent.display()
    )]
    NotADirectory {
        /// The store file.
        path: PathBuf,
        /// The part of its path that is not a directory.
        parent: PathBuf,
    },
    /// Any other failure of the system.
    #[error("cannot open the message store {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
}

impl OpenError {
    /// The error for a failed system call on `path`.
    pub(crate) fn from_io(path: PathBuf, source: std::io::Error) -> OpenError {
        use std::io::ErrorKind;
        match source.kind() {
            ErrorKind::PermissionDenied => OpenError::PermissionDenied { path, source },
            ErrorKind::StorageFull => OpenError::NoSpace { path },
            ErrorKind::NotADirectory => {
                let parent = first_non_directory(&path).unwrap_or_else(|| path.clone());
                OpenError::NotADirectory { path, parent }
            }
            ErrorKind::WouldBlock => OpenError::Locked { path },
            _ => OpenError::Io { path, source },
        }
    }
}

/// The first ancestor of `path` that exists and is not a directory.
pub(crate) fn first_non_directory(path: &std::path::Path) -> Option<PathBuf> {
    let mut ancestors: Vec<_> = path.ancestors().skip(1).collect();
    ancestors.reverse();
    ancestors
        .into_iter()
        .find(|a| !a.as_os_str().is_empty() && a.exists() && !a.is_dir())
        .map(PathBuf::from)
}
