//! Persistence options: known from Mosquitto, refused until Roost stores sessions and retained
//! messages on disk. `persistence false` asks for what Roost does today and is accepted.

use super::{not_yet, Directive};

pub(super) static TABLE: &[Directive] = &[
    not_yet! {
        name: "persistence",
        scope: Global,
        form: "true | false",
        default: "false",
        help: "Save sessions, subscriptions, queued and retained messages to disk and reload them at start.",
        feature: PERSISTENCE,
        accepts: "false",
    },
    not_yet! {
        name: "retained_persistence",
        scope: Global,
        form: "true | false",
        default: "false",
        help: "Older name of persistence.",
        feature: PERSISTENCE,
        accepts: "false",
    },
    not_yet! {
        name: "persistence_file",
        scope: Global,
        form: "FILENAME",
        default: "mosquitto.db",
        help: "Name of the persistence database file.",
        feature: PERSISTENCE,
    },
    not_yet! {
        name: "persistence_location",
        scope: Global,
        form: "DIRECTORY",
        default: "the current directory",
        help: "Directory of the persistence database.",
        feature: PERSISTENCE,
    },
    not_yet! {
        name: "autosave_interval",
        scope: Global,
        form: "SECONDS | CHANGES",
        default: "1800",
        help: "Save the database this often (0: only at exit).",
        feature: PERSISTENCE,
    },
    not_yet! {
        name: "autosave_on_changes",
        scope: Global,
        form: "true | false",
        default: "false",
        help: "Count autosave_interval in changes instead of seconds.",
        feature: PERSISTENCE,
    },
];
