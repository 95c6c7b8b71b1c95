//! The security in force on a listener: whether anonymous clients may connect, the password file
//! and the ACL file, loaded and ready to answer "may this client connect / publish / subscribe /
//! receive?". Reloading builds a new one and swaps it in whole.

use roost_proto::ReasonCode;

use super::{AclFile, AuthFileError, PasswordFile};
use crate::config::SecuritySettings;

/// The answer to a CONNECT's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Let the client in.
    Allowed,
    /// No user name where anonymous clients are refused.
    AnonymousRefused,
    /// A user name the password file does not know, or the wrong password.
    BadCredentials,
}

impl Verdict {
    /// The CONNACK reason. Mosquitto 2.0 answers "not authorised" to every refusal — return code 5
    /// in 3.x and 0x87 in MQTT 5, even for a wrong password — and scripts test those exit codes.
    pub fn reason(self) -> ReasonCode {
        match self {
            Verdict::Allowed => ReasonCode::SUCCESS,
            Verdict::AnonymousRefused | Verdict::BadCredentials => ReasonCode::NOT_AUTHORIZED,
        }
    }
}

/// Loaded security settings.
#[derive(Debug)]
pub struct Security {
    allow_anonymous: bool,
    passwords: Option<PasswordFile>,
    acl: Option<AclFile>,
}

impl Security {
    /// Reads the files `settings` names.
    pub fn load(settings: &SecuritySettings) -> Result<Security, AuthFileError> {
        Ok(Security {
            allow_anonymous: settings.allow_anonymous.unwrap_or(false),
            passwords: settings
                .password_file
                .as_deref()
                .map(PasswordFile::load)
                .transpose()?,
            acl: settings
                .acl_file
                .as_deref()
                .map(AclFile::load)
                .transpose()?,
        })
    }

    /// No password file, no ACL, anonymous clients allowed: the embedded defaults.
    pub fn open() -> Security {
        Security {
            allow_anonymous: true,
            passwords: None,
            acl: None,
        }
    }

    /// Checks a CONNECT's user name and password.
    pub fn authenticate(&self, username: Option<&str>, password: Option<&[u8]>) -> Verdict {
        match (username, &self.passwords) {
            (None, _) if self.allow_anonymous => Verdict::Allowed,
            (None, _) => Verdict::AnonymousRefused,
            // With no password file a user name proves nothing: Mosquitto 2 lets it in only
            // where anonymous clients may connect.
            (Some(_), None) if self.allow_anonymous => Verdict::Allowed,
            (Some(_), None) => Verdict::BadCredentials,
            (Some(user), Some(file)) => match file.verify(user, password.unwrap_or_default()) {
                true => Verdict::Allowed,
                false => Verdict::BadCredentials,
            },
        }
    }

    /// True when an ACL file is in force (every check below allows everything otherwise).
    pub fn has_acl(&self) -> bool {
        self.acl.is_some()
    }

    /// May this client publish to `topic`?
    pub fn can_publish(&self, username: Option<&str>, client_id: &str, topic: &str) -> bool {
        self.acl
            .as_ref()
            .is_none_or(|acl| acl.can_publish(username, client_id, topic))
    }

    /// May this client subscribe to `filter`?
    pub fn can_subscribe(&self, username: Option<&str>, client_id: &str, filter: &str) -> bool {
        self.acl
            .as_ref()
            .is_none_or(|acl| acl.can_subscribe(username, client_id, filter))
    }

    /// May this client receive a message on `topic`?
    pub fn can_receive(&self, username: Option<&str>, client_id: &str, topic: &str) -> bool {
        self.acl
            .as_ref()
            .is_none_or(|acl| acl.can_receive(username, client_id, topic))
    }

    /// How many users the password file holds, for the log line of a reload.
    pub fn user_count(&self) -> Option<usize> {
        self.passwords.as_ref().map(|p| p.users().count())
    }
}
