//! The dashboard's auth file: its logins (password hashes in Mosquitto's `$7$` format, made by
//! the same code as `roost passwd`) and API keys (the secret hashed the same way), as JSON.
//!
//! A file that does not exist yet stands for one login, `admin` with password `public`, that must
//! change its password before it may do anything else; the file is written (mode 0600, through
//! a temporary file renamed over the old) the first time something changes. An unreadable or
//! malformed file is an error at start, never silently replaced.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use roost_broker::auth::{HashKind, PasswordHash};
use serde::{Deserialize, Serialize};

/// The login a fresh install has.
pub(crate) const DEFAULT_USER: &str = "admin";
/// Its password, which must be changed at the first login.
pub(crate) const DEFAULT_PASSWORD: &str = "public";

/// Where the auth file is when `dashboard_auth_file` does not say:
/// `$XDG_DATA_HOME/roost/dashboard.json`, else `~/.local/share/roost/dashboard.json`.
pub fn default_auth_file() -> Option<PathBuf> {
    Some(roost_broker::config::data_dir()?.join("dashboard.json"))
}

/// Why the auth file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing failed.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not the JSON Roost writes.
    #[error("{path}: not a dashboard auth file: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No random source to salt a hash.
    #[error("cannot hash a password: {0}")]
    Hash(String),
}

/// One dashboard login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct User {
    pub(crate) username: String,
    /// `$7$...`, as in a Mosquitto password file.
    pub(crate) password_hash: String,
    pub(crate) must_change_password: bool,
}

/// One API key; the secret is shown once, when made, and kept only hashed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ApiKey {
    pub(crate) name: String,
    pub(crate) api_key: String,
    pub(crate) secret_hash: String,
    pub(crate) desc: String,
    pub(crate) enable: bool,
    /// Seconds since the Unix epoch; `None`: never expires.
    pub(crate) expired_at: Option<u64>,
    pub(crate) created_at: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct FileBody {
    users: Vec<User>,
    #[serde(default)]
    api_keys: Vec<ApiKey>,
}

/// The logins and keys, with the file they live in.
#[derive(Debug)]
pub(crate) struct Store {
    path: PathBuf,
    body: FileBody,
}

/// A new hash of `password`, in the format `roost passwd` writes.
pub(crate) fn hash(password: &str) -> Result<String, StoreError> {
    PasswordHash::new(HashKind::default(), password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Hash(e.to_string()))
}

/// Whether `password` matches `stored` (constant-time; a hash that does not parse never matches).
pub(crate) fn verify(stored: &str, password: &str) -> bool {
    stored
        .parse::<PasswordHash>()
        .is_ok_and(|h| h.verify(password.as_bytes()))
}

impl Store {
    /// Reads `path`, or starts with the default login when it does not exist.
    pub(crate) fn open(path: &Path) -> Result<Store, StoreError> {
        let body = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| StoreError::Malformed {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileBody {
                users: vec![User {
                    username: DEFAULT_USER.into(),
                    password_hash: hash(DEFAULT_PASSWORD)?,
                    must_change_password: true,
                }],
                api_keys: Vec::new(),
            },
            Err(source) => {
                return Err(StoreError::Io {
                    path: path.to_path_buf(),
                    what: "cannot read",
                    source,
                })
            }
        };
        Ok(Store {
            path: path.to_path_buf(),
            body,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn user(&self, username: &str) -> Option<&User> {
        self.body.users.iter().find(|u| u.username == username)
    }

    /// Sets a login's password and clears the must-change flag, then saves.
    pub(crate) fn set_password(
        &mut self,
        username: &str,
        password: &str,
    ) -> Result<(), StoreError> {
        let fresh = hash(password)?;
        if let Some(user) = self.body.users.iter_mut().find(|u| u.username == username) {
            user.password_hash = fresh;
            user.must_change_password = false;
        }
        self.save()
    }

    pub(crate) fn api_keys(&self) -> &[ApiKey] {
        &self.body.api_keys
    }

    pub(crate) fn api_key_by_key(&self, key: &str) -> Option<&ApiKey> {
        self.body.api_keys.iter().find(|k| k.api_key == key)
    }

    /// Adds a key and saves; false when the name is taken.
    pub(crate) fn add_api_key(&mut self, key: ApiKey) -> Result<bool, StoreError> {
        if self.body.api_keys.iter().any(|k| k.name == key.name) {
            return Ok(false);
        }
        self.body.api_keys.push(key);
        self.save().map(|()| true)
    }

    /// Changes a key with `edit` and saves; false when there is no such key.
    pub(crate) fn edit_api_key(
        &mut self,
        name: &str,
        edit: impl FnOnce(&mut ApiKey),
    ) -> Result<bool, StoreError> {
        let Some(key) = self.body.api_keys.iter_mut().find(|k| k.name == name) else {
            return Ok(false);
        };
        edit(key);
        self.save().map(|()| true)
    }

    /// Removes a key and saves; false when there was none.
    pub(crate) fn remove_api_key(&mut self, name: &str) -> Result<bool, StoreError> {
        let before = self.body.api_keys.len();
        self.body.api_keys.retain(|k| k.name != name);
        if self.body.api_keys.len() == before {
            return Ok(false);
        }
        self.save().map(|()| true)
    }

    /// Writes the file: parent directories made as needed, mode 0600, atomically.
    fn save(&self) -> Result<(), StoreError> {
        let io = |what, source| StoreError::Io {
            path: self.path.clone(),
            what,
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io("cannot create its directory", e))?;
        }
        let text = serde_json::to_string_pretty(&self.body).map_err(|e| StoreError::Malformed {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        let temp = self.path.with_extension(format!(
            "tmp{}",
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        write_private(&temp, text.as_bytes()).map_err(|e| io("cannot write", e))?;
        std::fs::rename(&temp, &self.path).map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            io("cannot replace", e)
        })
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("roost-admin-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("sub").join("dashboard.json")
    }

    #[test]
    fn a_missing_file_means_admin_public_to_change() {
        let path = scratch("fresh");
        let store = Store::open(&path).expect("open");
        let admin = store.user(DEFAULT_USER).expect("admin");
        assert!(admin.must_change_password);
        assert!(verify(&admin.password_hash, DEFAULT_PASSWORD));
        assert!(!verify(&admin.password_hash, "other"));
        assert!(!path.exists(), "nothing is written before a change");
    }

    #[test]
    fn a_changed_password_survives_a_reopen() {
        let path = scratch("change");
        let mut store = Store::open(&path).expect("open");
        store
            .set_password(DEFAULT_USER, "s3cret-pass")
            .expect("save");
        let again = Store::open(&path).expect("reopen");
        let admin = again.user(DEFAULT_USER).expect("admin");
        assert!(!admin.must_change_password);
        assert!(verify(&admin.password_hash, "s3cret-pass"));
        assert!(admin.password_hash.starts_with("$7$"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_malformed_file_is_an_error() {
        let path = scratch("bad");
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, "{not json").expect("write");
        let error = Store::open(&path).expect_err("malformed");
        assert!(
            error.to_string().contains("not a dashboard auth file"),
            "{error}"
        );
    }
}
