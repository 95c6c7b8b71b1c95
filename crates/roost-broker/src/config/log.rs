//! Log settings (`log_dest`, `log_type`, `log_timestamp`, `log_timestamp_format`,
//! `log_facility`) and the names that tie Mosquitto's log types to `tracing` events.
//!
//! Broker code logs with `tracing`: the level gives the type (error, warning, information,
//! debug) unless the event's target is one of the [`LogType`] targets below, which is how a line
//! becomes a notice, or a subscribe or unsubscribe line. The binary's log layer reads these
//! settings; nothing here writes anything.

use std::fmt;
use std::path::PathBuf;

/// Where log lines go (`log_dest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogDest {
    /// The standard output.
    Stdout,
    /// The standard error (Mosquitto's default).
    Stderr,
    /// A file, appended to.
    File(PathBuf),
    /// The local syslog daemon, through `/dev/log`.
    Syslog,
    /// `$SYS/broker/log/<type>` topics on the broker itself (never debug lines).
    Topic,
}

impl fmt::Display for LogDest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogDest::Stdout => f.write_str("stdout"),
            LogDest::Stderr => f.write_str("stderr"),
            LogDest::File(path) => write!(f, "file {}", path.display()),
            LogDest::Syslog => f.write_str("syslog"),
            LogDest::Topic => f.write_str("topic"),
        }
    }
}

/// One of Mosquitto's log types (`log_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogType {
    /// Packet-level detail (`-v`).
    Debug,
    /// Errors.
    Error,
    /// Warnings.
    Warning,
    /// Notices: starting, stopping, listeners opened, configuration.
    Notice,
    /// Information: clients connecting and disconnecting.
    Information,
    /// A client subscribed.
    Subscribe,
    /// A client unsubscribed.
    Unsubscribe,
    /// WebSocket transport detail.
    Websockets,
}

impl LogType {
    /// Every type, as `log_type all` enables them.
    pub const ALL: [LogType; 8] = [
        LogType::Debug,
        LogType::Error,
        LogType::Warning,
        LogType::Notice,
        LogType::Information,
        LogType::Subscribe,
        LogType::Unsubscribe,
        LogType::Websockets,
    ];

    /// `tracing` target of notice lines: `info!(target: LogType::NOTICE_TARGET, ...)`.
    pub const NOTICE_TARGET: &'static str = "roost::notice";
    /// `tracing` target of subscribe lines (`CLIENT QOS FILTER`, as Mosquitto writes them).
    pub const SUBSCRIBE_TARGET: &'static str = "roost::subscribe";
    /// `tracing` target of unsubscribe lines (`CLIENT FILTER`).
    pub const UNSUBSCRIBE_TARGET: &'static str = "roost::unsubscribe";
    /// `tracing` target of WebSocket transport lines.
    pub const WEBSOCKETS_TARGET: &'static str = "roost::websockets";

    /// The word `log_type` uses for this type.
    pub fn name(self) -> &'static str {
        match self {
            LogType::Debug => "debug",
            LogType::Error => "error",
            LogType::Warning => "warning",
            LogType::Notice => "notice",
            LogType::Information => "information",
            LogType::Subscribe => "subscribe",
            LogType::Unsubscribe => "unsubscribe",
            LogType::Websockets => "websockets",
        }
    }

    /// The type of a `tracing` event: its target when it is one of the targets above, else its
    /// level (trace counts as debug).
    pub fn of(level: tracing::Level, target: &str) -> LogType {
        match target {
            LogType::NOTICE_TARGET => LogType::Notice,
            LogType::SUBSCRIBE_TARGET => LogType::Subscribe,
            LogType::UNSUBSCRIBE_TARGET => LogType::Unsubscribe,
            LogType::WEBSOCKETS_TARGET => LogType::Websockets,
            _ => match level {
                tracing::Level::ERROR => LogType::Error,
                tracing::Level::WARN => LogType::Warning,
                tracing::Level::INFO => LogType::Information,
                _ => LogType::Debug,
            },
        }
    }

    /// The `$SYS` topic Mosquitto publishes this type's lines on with `log_dest topic`; `None`
    /// for debug, which never goes to a topic.
    pub fn topic(self) -> Option<&'static str> {
        match self {
            LogType::Debug => None,
            LogType::Error => Some("$SYS/broker/log/E"),
            LogType::Warning => Some("$SYS/broker/log/W"),
            LogType::Notice => Some("$SYS/broker/log/N"),
            LogType::Information => Some("$SYS/broker/log/I"),
            LogType::Subscribe => Some("$SYS/broker/log/M/subscribe"),
            LogType::Unsubscribe => Some("$SYS/broker/log/M/unsubscribe"),
            LogType::Websockets => Some("$SYS/broker/log/WS"),
        }
    }

    /// The syslog severity Mosquitto gives this type.
    pub fn syslog_severity(self) -> u8 {
        match self {
            LogType::Error => 3,
            LogType::Warning => 4,
            LogType::Notice | LogType::Subscribe | LogType::Unsubscribe => 5,
            LogType::Information => 6,
            LogType::Debug | LogType::Websockets => 7,
        }
    }

    fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// A set of log types; the default is the empty set.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct LogTypes(u16);

impl LogTypes {
    /// No type: nothing is logged.
    pub const NONE: LogTypes = LogTypes(0);

    /// Mosquitto's default: error, warning, notice and information.
    pub fn mosquitto_default() -> LogTypes {
        [
            LogType::Error,
            LogType::Warning,
            LogType::Notice,
            LogType::Information,
        ]
        .into_iter()
        .collect()
    }

    /// Every type (`log_type all`, `-v`).
    pub fn all() -> LogTypes {
        LogType::ALL.into_iter().collect()
    }

    /// True when `kind` is in the set.
    pub fn contains(self, kind: LogType) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Adds `kind`.
    pub fn insert(&mut self, kind: LogType) {
        self.0 |= kind.bit();
    }

    /// The types in the set, in [`LogType::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = LogType> {
        LogType::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

impl FromIterator<LogType> for LogTypes {
    fn from_iter<I: IntoIterator<Item = LogType>>(iter: I) -> LogTypes {
        let mut set = LogTypes::NONE;
        for kind in iter {
            set.insert(kind);
        }
        set
    }
}

impl fmt::Debug for LogTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(LogType::name))
            .finish()
    }
}

impl fmt::Display for LogTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == LogTypes::NONE {
            return f.write_str("none");
        }
        let names: Vec<&str> = self.iter().map(LogType::name).collect();
        f.write_str(&names.join(" "))
    }
}

/// How and where the broker logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// Destinations; empty after `log_dest none`.
    pub dest: Vec<LogDest>,
    /// Types logged.
    pub types: LogTypes,
    /// Start each line with a timestamp and `: ` (`log_timestamp`).
    pub timestamp: bool,
    /// strftime format of the timestamp, in local time; `None` is seconds since the Unix epoch.
    pub timestamp_format: Option<String>,
    /// Syslog facility `local0`..`local7` (`log_facility N`); `None` is `daemon`.
    pub facility: Option<u8>,
}

impl Default for LogSettings {
    fn default() -> LogSettings {
        LogSettings {
            dest: vec![LogDest::Stderr],
            types: LogTypes::mosquitto_default(),
            timestamp: true,
            timestamp_format: None,
            facility: None,
        }
    }
}

impl LogSettings {
    /// The syslog facility number: `daemon` (3), or `local0` (16) to `local7` (23).
    pub fn syslog_facility(&self) -> u8 {
        self.facility.map_or(3, |n| 16 + n)
    }
}

/// Reads one `log_dest` value.
pub(crate) fn parse_dest(value: &str) -> Result<Option<LogDest>, String> {
    let (word, rest) = value
        .split_once(char::is_whitespace)
        .map_or((value, ""), |(w, r)| (w, r.trim()));
    let dest = match word {
        "none" => return Ok(None),
        "stdout" => LogDest::Stdout,
        "stderr" => LogDest::Stderr,
        "syslog" => LogDest::Syslog,
        "topic" => LogDest::Topic,
        "file" if rest.is_empty() => return Err("'file' needs a path: log_dest file PATH".into()),
        "file" => return Ok(Some(LogDest::File(PathBuf::from(rest)))),
        "dlt" => {
            return Err("'dlt' (Diagnostic Log and Trace) is not supported; use syslog".into())
        }
        other => {
            return Err(format!(
                "expected stdout, stderr, file PATH, syslog, topic or none, found '{other}'"
            ))
        }
    };
    if rest.is_empty() {
        Ok(Some(dest))
    } else {
        Err(format!("'{word}' takes no further words, found '{rest}'"))
    }
}

/// Reads one `log_type` value: `None` for `none`, every type for `all`.
pub(crate) fn parse_type(value: &str) -> Result<Option<LogTypes>, String> {
    if value == "none" {
        return Ok(None);
    }
    if value == "all" {
        return Ok(Some(LogTypes::all()));
    }
    LogType::ALL
        .into_iter()
        .find(|t| t.name() == value)
        .map(|t| Some(std::iter::once(t).collect()))
        .ok_or_else(|| {
            let names: Vec<&str> = LogType::ALL.iter().map(|t| t.name()).collect();
            format!(
                "expected {}, none or all, found '{value}'",
                names.join(", ")
            )
        })
}

/// Checks a `log_timestamp_format`: every `%` must start a strftime specifier.
pub(crate) fn check_timestamp_format(value: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(value).any(|item| matches!(item, Item::Error)) {
        return Err(format!(
            "'{value}' is not a strftime format (a '%' must start a specifier such as %Y, %m, %d, %H, %M, %S)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn targets_give_the_type_and_levels_the_rest() {
        assert_eq!(
            LogType::of(Level::INFO, LogType::NOTICE_TARGET),
            LogType::Notice
        );
        assert_eq!(
            LogType::of(Level::INFO, LogType::SUBSCRIBE_TARGET),
            LogType::Subscribe
        );
        assert_eq!(
            LogType::of(Level::INFO, "roost_broker::x"),
            LogType::Information
        );
        assert_eq!(LogType::of(Level::WARN, "x"), LogType::Warning);
        assert_eq!(LogType::of(Level::ERROR, "x"), LogType::Error);
        assert_eq!(LogType::of(Level::TRACE, "x"), LogType::Debug);
    }

    #[test]
    fn debug_never_has_a_topic() {
        assert_eq!(LogType::Debug.topic(), None);
        assert_eq!(LogType::Notice.topic(), Some("$SYS/broker/log/N"));
    }

    #[test]
    fn default_types_are_mosquittos() {
        assert_eq!(
            LogTypes::mosquitto_default().to_string(),
            "error warning notice information"
        );
    }

    #[test]
    fn timestamp_formats_are_checked() {
        assert!(check_timestamp_format("%Y-%m-%dT%H:%M:%S").is_ok());
        assert!(check_timestamp_format("%Q").is_err());
    }
}
