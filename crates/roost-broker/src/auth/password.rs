//! Mosquitto's password file (`password_file`): reading it, checking a username and password
//! against it, and editing it for `roost passwd` and the dashboard.
//!
//! Reads every hash Mosquitto 2.0 and 2.1 write (`$6$`, `$7$` with any iteration count and salt
//! length, `$argon2id$`) and writes by default what Debian's Mosquitto 2.0 reads: `$7$` with 101
//! iterations and a 12-byte salt. Checking a password never reveals, by its timing, which bytes
//! matched or whether the user exists. Nothing here decides who may connect; the broker does.

mod argon2id;
mod base64;
mod file;
mod hash;
mod save;
mod username;

pub use file::PasswordFile;
pub use hash::{HashError, HashKind, PasswordHash, DEFAULT_ITERATIONS};
pub use username::{check_username, UsernameError};
