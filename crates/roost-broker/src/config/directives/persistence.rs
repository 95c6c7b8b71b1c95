//! Persistence: whether the broker keeps its durable state (sessions, their QoS 1/2 messages,
//! retained messages) on disk, and where. Roost departs from Mosquitto here: it is durable by
//! default, and it writes each change as it happens, so Mosquitto's autosave settings are read,
//! checked and ignored with a notice.

use std::path::PathBuf;

use super::values::{boolean, number, set_once};
use super::{directive, Directive};
use crate::config::parse::ParseState;

pub(super) static TABLE: &[Directive] = &[
    directive! {
        name: "persistence",
        scope: Global,
        form: "true | false",
        default: "true (Mosquitto: false)",
        help: "Keep sessions, queued QoS 1/2 and retained messages on disk, each change before its ack; false: memory only.",
        example: "false",
        apply: |s, v| s.config.persistence = boolean(v)?,
    },
    directive! {
        name: "retained_persistence",
        scope: Global,
        form: "true | false",
        default: "true (Mosquitto: false)",
        help: "Older name of persistence.",
        example: "false",
        apply: |s, v| s.config.persistence = boolean(v)?,
    },
    directive! {
        name: "persistence_file",
        scope: Global,
        form: "FILENAME",
        default: "roost.db (Mosquitto: mosquitto.db, a format Roost does not read)",
        help: "Name of the store file inside persistence_location.",
        example: "broker.db",
        apply: |s, v| {
            if v.contains('/') {
                return Err(format!(
                    "'{v}' is a path; give a file name here and the directory in persistence_location"
                ));
            }
            set_once(&mut s.config.persistence_file, v.to_string())?
        },
    },
    directive! {
        name: "persistence_location",
        scope: Global,
        form: "DIRECTORY",
        default: "$XDG_DATA_HOME/roost, else ~/.local/share/roost (Mosquitto: the current directory)",
        help: "Directory of the store file; made (mode 0700) if missing.",
        example: "/var/lib/roost",
        apply: |s, v| set_once(&mut s.config.persistence_location, PathBuf::from(v))?,
    },
    directive! {
        name: "autosave_interval",
        scope: Global,
        form: "SECONDS | CHANGES",
        default: "1800",
        help: "Ignored with a notice: Roost writes every change to disk as it happens.",
        example: "1800",
        apply: |s, v| {
            number::<u32>(v)?;
            ignore_autosave(s, "autosave_interval");
        },
    },
    directive! {
        name: "autosave_on_changes",
        scope: Global,
        form: "true | false",
        default: "false",
        help: "Ignored with a notice, like autosave_interval.",
        example: "true",
        apply: |s, v| {
            boolean(v)?;
            ignore_autosave(s, "autosave_on_changes");
        },
    },
];

/// Records the start-up line saying that `name` has no effect (the first such directive names it).
fn ignore_autosave(s: &mut ParseState, name: &str) {
    if s.config.autosave_ignored.is_none() {
        s.config.autosave_ignored = Some(format!(
            "{name} is ignored: Roost writes every change to disk as it happens."
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use crate::config::{parse_str, Config};

    fn parse(text: &str) -> Result<Config, String> {
        parse_str(Path::new("t.conf"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn durable_by_default_and_off_with_either_name() {
        assert!(Config::default().persistence);
        assert!(parse("listener 1883\n").expect("valid").persistence);
        assert!(!parse("persistence false\n").expect("valid").persistence);
        assert!(
            !parse("retained_persistence false\n")
                .expect("valid")
                .persistence
        );
        assert!(
            parse("persistence false\npersistence true\n")
                .expect("valid")
                .persistence
        );
        let error = parse("persistence maybe\n").expect_err("refused");
        assert!(
            error.starts_with("t.conf:1: 'persistence maybe'"),
            "{error}"
        );
    }

    #[test]
    fn store_path_joins_location_and_file() {
        let default = Path::new("/home/u/.local/share/roost");
        let c = Config::default();
        assert_eq!(c.store_path(Some(default)), Some(default.join("roost.db")));
        assert_eq!(c.store_path(None), None);
        let c =
            parse("persistence_location /var/lib/roost\npersistence_file b.db\n").expect("valid");
        assert_eq!(
            c.store_path(Some(default)),
            Some(PathBuf::from("/var/lib/roost/b.db"))
        );
        let c = parse("persistence_file b.db\n").expect("valid");
        assert_eq!(c.store_path(Some(default)), Some(default.join("b.db")));
        let c = parse("persistence false\npersistence_location /x\n").expect("valid");
        assert_eq!(c.store_path(Some(default)), None);
    }

    #[test]
    fn file_is_a_name_and_each_is_given_once() {
        let error = parse("persistence_file /var/lib/a.db\n").expect_err("a path");
        assert!(error.contains("give a file name here"), "{error}");
        assert!(parse("persistence_file a\npersistence_file b\n").is_err());
        assert!(parse("persistence_location /a\npersistence_location /b\n").is_err());
    }

    #[test]
    fn autosave_is_checked_then_ignored_with_a_notice() {
        assert_eq!(Config::default().autosave_ignored, None);
        let c = parse("autosave_interval 60\n").expect("valid");
        assert_eq!(
            c.autosave_ignored.as_deref(),
            Some("autosave_interval is ignored: Roost writes every change to disk as it happens.")
        );
        let c = parse("autosave_on_changes true\nautosave_interval 100\n").expect("valid");
        assert!(c
            .autosave_ignored
            .as_deref()
            .is_some_and(|l| l.starts_with("autosave_on_changes is ignored")));
        assert!(parse("autosave_interval soon\n")
            .expect_err("not a number")
            .contains("'autosave_interval soon'"));
        assert!(parse("autosave_on_changes sometimes\n").is_err());
    }
}
