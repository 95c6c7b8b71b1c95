//! Who may connect and what they may do: Mosquitto's password file and ACL file, and the
//! security settings of a listener put together from them.

mod acl;
mod password;
mod security;

pub use acl::AclFile;
/// A password or ACL file that cannot be read or has a bad line.
pub type AuthFileError = crate::file_error::FileError;
pub use password::{
    check_username, HashError, HashKind, PasswordFile, PasswordHash, UsernameError,
    DEFAULT_ITERATIONS,
};
pub use security::{Security, Verdict};
