//! Which usernames a password file can hold: the checks `mosquitto_passwd` makes, with its
//! messages, plus the ones that keep a written line from reading back differently.

/// Why a username cannot go into a password file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// The empty username.
    #[error("Username must not be empty.")]
    Empty,
    /// Longer than an MQTT string can be.
    #[error("Username must be less than 65536 characters long.")]
    TooLong,
    /// A control character (newline, tab, ...) would break or hide the line.
    #[error("Username must not contain control characters.")]
    Control,
    /// `:` separates the username from the hash.
    #[error("Username must not contain the ':' character.")]
    Colon,
    /// Mosquitto reads a line starting with `#` as a comment.
    #[error("Username must not start with '#': the line would be read as a comment.")]
    Hash,
    /// Mosquitto trims spaces around the username, so the user could not log in as written.
    #[error("Username must not start or end with a space.")]
    Space,
}

/// Checks that `name` can be written to a password file and read back as the same name.
///
/// The first three checks and their messages are `mosquitto_passwd`'s, made in its order.
pub fn check_username(name: &str) -> Result<(), UsernameError> {
    if name.len() > 65535 {
        return Err(UsernameError::TooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(UsernameError::Control);
    }
    if name.contains(':') {
        return Err(UsernameError::Colon);
    }
    if name.is_empty() {
        return Err(UsernameError::Empty);
    }
    if name.starts_with('#') {
        return Err(UsernameError::Hash);
    }
    if name.starts_with(' ') || name.ends_with(' ') {
        return Err(UsernameError::Space);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_mosquitto_passwd_accepts() {
        for name in ["alice", "erin smith", "ü-ser", "a#b", "x@example.com"] {
            assert_eq!(check_username(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn refuses_names_that_would_not_read_back() {
        assert_eq!(check_username("a:b"), Err(UsernameError::Colon));
        assert_eq!(check_username("a\tb"), Err(UsernameError::Control));
        assert_eq!(check_username("a\nb"), Err(UsernameError::Control));
        assert_eq!(check_username(""), Err(UsernameError::Empty));
        assert_eq!(check_username("#root"), Err(UsernameError::Hash));
        assert_eq!(check_username(" bob"), Err(UsernameError::Space));
        assert_eq!(check_username("bob "), Err(UsernameError::Space));
        assert_eq!(
            check_username(&"x".repeat(65536)),
            Err(UsernameError::TooLong)
        );
        assert_eq!(
            UsernameError::Colon.to_string(),
            "Username must not contain the ':' character."
        );
    }
}
