//! Who may connect and what they may do: Mosquitto's password file and ACL file, and the
//! security settings of a listener put together from them.

mod error;
mod password;

pub use error::AuthFileError;
pub use password::{
    check_username, HashError, HashKind, PasswordFile, PasswordHash, UsernameError,
    DEFAULT_ITERATIONS,
};
