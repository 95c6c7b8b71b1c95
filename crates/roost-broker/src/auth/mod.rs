//! Who may connect and what they may do: Mosquitto's password file and ACL file, and the
//! security settings of a listener put together from them.

mod acl;
mod error;

pub use acl::AclFile;
pub use error::AuthFileError;
