//! Who may connect and what they may do: Mosquitto's password file and ACL file, and the
//! security settings of a listener put together from them.

mod acl;
mod error;
mod password;
mod security;

pub use acl::AclFile;
pub use error::AuthFileError;
pub use password::{
    check_username, HashError, HashKind, PasswordFile, PasswordHash, UsernameError,
    DEFAULT_ITERATIONS,
};
pub use security::{Security, Verdict};
