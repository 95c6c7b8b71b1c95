//! Logging: where lines go, which kinds are written, and how each line starts. The first
//! `log_dest` (and the first `log_type`) replaces the default; later ones add to it.

use super::values::{boolean, number, set_once};
use super::{directive, Directive};
use crate::config::log::check_timestamp_format;

pub(super) static TABLE: &[Directive] = &[
    directive! {
        name: "log_dest",
        scope: Global,
        form: "stdout | stderr | file PATH | syslog | topic | none",
        default: "stderr",
        help: "Where log lines go; repeat for several (topic: $SYS/broker/log/<type>; none: nowhere).",
        example: "stdout",
        apply: |s, v| s.add_log_dest(v)?,
    },
    directive! {
        name: "log_type",
        scope: Global,
        form: "debug | error | warning | notice | information | subscribe | unsubscribe | websockets | none | all",
        default: "error, warning, notice, information",
        help: "Which kinds of line are logged; repeat for several (-v logs all).",
        example: "subscribe",
        apply: |s, v| s.add_log_type(v)?,
    },
    directive! {
        name: "log_timestamp",
        scope: Global,
        form: "true | false",
        default: "true",
        help: "Start each log line with the time and ': '.",
        example: "false",
        apply: |s, v| s.config.log.timestamp = boolean(v)?,
    },
    directive! {
        name: "log_timestamp_format",
        scope: Global,
        form: "STRFTIME-FORMAT",
        default: "seconds since the Unix epoch",
        help: "strftime format of that time, in local time, e.g. %Y-%m-%dT%H:%M:%S.",
        example: "%Y-%m-%dT%H:%M:%S",
        apply: |s, v| {
            check_timestamp_format(v)?;
            set_once(&mut s.config.log.timestamp_format, v.to_string())?;
        },
    },
    directive! {
        name: "log_facility",
        scope: Global,
        form: "0..7",
        default: "daemon",
        help: "Send syslog lines to facility localN instead of daemon.",
        example: "5",
        apply: |s, v| s.config.log.facility = match number::<u8>(v) {
            Ok(n) if n <= 7 => Some(n),
            _ => return Err(format!("expected 0 to 7 (local0 to local7), found '{v}'")),
        },
    },
];
