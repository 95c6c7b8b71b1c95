//! Times as the API writes them: RFC 3339 in UTC with milliseconds.

use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};

/// `t` as RFC 3339 (`2026-12-02T10:00:00.000Z`).
pub(crate) fn rfc3339(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An RFC 3339 text as a time, or why not.
pub(crate) fn parse_rfc3339(text: &str) -> Result<SystemTime, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| SystemTime::from(t.with_timezone(&Utc)))
        .map_err(|e| format!("'{text}' is not an RFC 3339 time: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        let text = rfc3339(t);
        assert_eq!(text, "2023-11-14T22:13:20.123Z");
        assert_eq!(parse_rfc3339(&text), Ok(t));
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
