//! Plugin options: known from Mosquitto, refused until Roost loads authentication plugins.

use super::{not_yet, Directive};

pub(super) static TABLE: &[Directive] = &[
    not_yet! {
        name: "plugin",
        scope: Security,
        form: "PATH",
        default: "none",
        help: "Load an authentication and access-control plugin; repeat for several.",
        feature: PLUGINS,
    },
    not_yet! {
        name: "auth_plugin",
        scope: Security,
        form: "PATH",
        default: "none",
        help: "Older name of plugin.",
        feature: PLUGINS,
    },
    not_yet! {
        name: "plugin_opt_*",
        scope: Security,
        form: "VALUE",
        default: "none",
        help: "An option for the most recent plugin (plugin_opt_NAME VALUE).",
        feature: PLUGINS,
    },
    not_yet! {
        name: "auth_opt_*",
        scope: Security,
        form: "VALUE",
        default: "none",
        help: "Older name of plugin_opt_*.",
        feature: PLUGINS,
    },
    not_yet! {
        name: "auth_plugin_deny_special_chars",
        scope: Security,
        form: "true | false",
        default: "true",
        help: "Deny ACL checks for user names or client ids with + or # before asking the plugin.",
        feature: PLUGINS,
    },
];
