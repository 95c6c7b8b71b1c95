//! Log settings as Mosquitto reads them: the first `log_dest` or `log_type` replaces the
//! default, later ones add, `none` clears.

use std::path::{Path, PathBuf};

use roost_broker::config::{parse_str, LogDest, LogSettings, LogType, LogTypes};

fn log(text: &str) -> LogSettings {
    parse_str(Path::new("test.conf"), text)
        .unwrap_or_else(|e| panic!("{e}"))
        .log
}

#[test]
fn defaults_are_stderr_with_four_types_and_unix_seconds() {
    let l = log("");
    assert_eq!(l.dest, [LogDest::Stderr]);
    assert_eq!(l.types, LogTypes::mosquitto_default());
    assert!(l.timestamp);
    assert_eq!(l.timestamp_format, None);
    assert_eq!(l.syslog_facility(), 3, "daemon");
}

#[test]
fn the_first_log_dest_replaces_the_default_and_later_ones_add() {
    assert_eq!(log("log_dest stdout\n").dest, [LogDest::Stdout]);
    assert_eq!(
        log("log_dest stdout\nlog_dest file /var/log/roost.log\nlog_dest topic\nlog_dest syslog\n")
            .dest,
        [
            LogDest::Stdout,
            LogDest::File(PathBuf::from("/var/log/roost.log")),
            LogDest::Topic,
            LogDest::Syslog
        ]
    );
    assert_eq!(
        log("log_dest stderr\nlog_dest stderr\n").dest,
        [LogDest::Stderr]
    );
}

#[test]
fn a_log_file_path_may_contain_spaces() {
    assert_eq!(
        log("log_dest file /tmp/my logs/roost.log\n").dest,
        [LogDest::File(PathBuf::from("/tmp/my logs/roost.log"))]
    );
}

#[test]
fn none_clears_destinations_and_types() {
    assert!(log("log_dest none\n").dest.is_empty());
    assert_eq!(log("log_dest stdout\nlog_dest none\n").dest, []);
    assert_eq!(
        log("log_dest none\nlog_dest stdout\n").dest,
        [LogDest::Stdout]
    );
    assert_eq!(log("log_type none\n").types, LogTypes::NONE);
}

#[test]
fn log_types_add_up() {
    let types = log("log_type error\nlog_type subscribe\nlog_type unsubscribe\n").types;
    assert_eq!(types.to_string(), "error subscribe unsubscribe");
    assert!(!types.contains(LogType::Information));
    assert_eq!(log("log_type all\n").types, LogTypes::all());
    assert_eq!(
        log("log_type debug\nlog_type websockets\n")
            .types
            .to_string(),
        "debug websockets"
    );
}

#[test]
fn timestamp_settings() {
    let l = log("log_timestamp false\nlog_timestamp_format %Y-%m-%dT%H:%M:%S\nlog_facility 5\n");
    assert!(!l.timestamp);
    assert_eq!(l.timestamp_format.as_deref(), Some("%Y-%m-%dT%H:%M:%S"));
    assert_eq!(l.facility, Some(5));
    assert_eq!(l.syslog_facility(), 21, "local5");
}
