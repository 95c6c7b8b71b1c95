//! The table of configuration directives: every directive of Mosquitto 2.0's mosquitto.conf(5),
//! each defined once — name, scope, value form, default, help, and either how it sets the
//! [`Config`](super::Config) or the feature it waits for — so the parser, `--help-config` and
//! every error message come from the same row.
//!
//! The table is split by theme, one file per group; [`GROUPS`] lists them in reference order.
//! A directive Roost does not implement yet is still a row: it is refused with the feature it
//! needs, never ignored.

mod bridges;
mod dashboard;
mod general;
mod limits;
mod listeners;
mod logging;
mod persistence;
mod plugins;
mod security;
mod tls;
mod values;
mod websockets;

use std::fmt;

use super::parse::ParseState;

pub(crate) use dashboard::check as check_dashboard;

/// Where a directive may stand and what it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Applies to the whole broker, wherever it stands.
    Global,
    /// Applies to the most recent `listener` (before any, to the default listener).
    Listener,
    /// Global, or the current listener's with `per_listener_settings true`.
    Security,
    /// Applies to the most recent bridge `connection`.
    Bridge,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::Global => "global",
            Scope::Listener => "listener",
            Scope::Security => "global, or listener with per_listener_settings true",
            Scope::Bridge => "bridge",
        })
    }
}

/// Sets the configuration from a value, or says why the value is wrong.
pub(crate) type Apply = fn(&mut ParseState, &str) -> Result<(), String>;

/// Whether Roost implements a directive.
#[derive(Debug)]
pub(crate) enum Support {
    /// Read and obeyed; `example` is a valid value, used by the reference and the tests.
    Implemented { apply: Apply, example: &'static str },
    /// Known from Mosquitto, refused until `feature` lands.
    NotYet { feature: &'static str },
    /// Known from Mosquitto and refused for good: what it asks for does not exist in Roost's
    /// libraries (OpenSSL engines with rustls). `why` says so and what to do instead.
    Unavailable { why: &'static str },
}

/// One configuration directive.
#[derive(Debug)]
pub struct Directive {
    /// The word that starts the line; a name ending in `*` stands for every word with that prefix.
    pub name: &'static str,
    /// Where it applies.
    pub scope: Scope,
    /// The form of its value, as shown in errors and in the reference.
    pub form: &'static str,
    /// Its default, as text.
    pub default: &'static str,
    /// One line of help.
    pub help: &'static str,
    pub(crate) support: Support,
}

impl Directive {
    /// The feature this directive waits for, or `None` when Roost implements it.
    pub fn not_supported_yet(&self) -> Option<&'static str> {
        match self.support {
            Support::Implemented { .. } | Support::Unavailable { .. } => None,
            Support::NotYet { feature, .. } => Some(feature),
        }
    }

    /// Why Roost refuses this directive for good, or `None` when it is or will be supported.
    pub fn unavailable(&self) -> Option<&'static str> {
        match self.support {
            Support::Unavailable { why } => Some(why),
            _ => None,
        }
    }

    /// A valid value of an implemented directive.
    pub fn example(&self) -> Option<&'static str> {
        match self.support {
            Support::Implemented { example, .. } => Some(example),
            Support::NotYet { .. } | Support::Unavailable { .. } => None,
        }
    }

    /// True when `word` is this directive (or one of its family, for `plugin_opt_*`).
    pub fn matches(&self, word: &str) -> bool {
        match self.name.strip_suffix('*') {
            Some(prefix) => word.len() > prefix.len() && word.starts_with(prefix),
            None => word == self.name,
        }
    }
}

/// A themed part of the table.
#[derive(Debug)]
pub struct Group {
    /// Heading in the reference.
    pub title: &'static str,
    /// The group's directives, in reference order.
    pub directives: &'static [Directive],
}

/// Every directive, by theme, in the order the reference shows them.
pub static GROUPS: &[Group] = &[
    Group {
        title: "General",
        directives: general::TABLE,
    },
    Group {
        title: "Limits and queues",
        directives: limits::TABLE,
    },
    Group {
        title: "Listeners",
        directives: listeners::TABLE,
    },
    Group {
        title: "Authentication and access control",
        directives: security::TABLE,
    },
    Group {
        title: "Logging",
        directives: logging::TABLE,
    },
    Group {
        title: "Persistence",
        directives: persistence::TABLE,
    },
    Group {
        title: "TLS and pre-shared keys (per listener)",
        directives: tls::TABLE,
    },
    Group {
        title: "WebSocket listeners",
        directives: websockets::TABLE,
    },
    Group {
        title: "Dashboard and HTTP API (Roost's own)",
        directives: dashboard::TABLE,
    },
    Group {
        title: "Plugins",
        directives: plugins::TABLE,
    },
    Group {
        title: "Bridges",
        directives: bridges::TABLE,
    },
];

/// Every directive, in reference order.
pub fn directives() -> impl Iterator<Item = &'static Directive> {
    GROUPS.iter().flat_map(|group| group.directives.iter())
}

/// The directive `word` names, if Mosquitto has one.
pub fn lookup(word: &str) -> Option<&'static Directive> {
    directives()
        .find(|d| d.name == word)
        .or_else(|| directives().find(|d| d.matches(word)))
}

/// Feature names the refusals give, one per piece of work still to do.
pub(crate) mod feature {
    pub(crate) const PSK: &str = "PSK";
    pub(crate) const HTTP_FILES: &str = "serving files over HTTP";
    pub(crate) const LIBWEBSOCKETS: &str = "libwebsockets settings";
    pub(crate) const BRIDGES: &str = "bridges";
    pub(crate) const PLUGINS: &str = "plugins";
    pub(crate) const MEMORY_LIMIT: &str = "memory limits";
}

/// A row Roost implements.
macro_rules! directive {
    (
        name: $name:literal,
        scope: $scope:ident,
        form: $form:literal,
        default: $default:literal,
        help: $help:literal,
        example: $example:literal,
        apply: |$s:ident, $v:ident| $body:expr $(,)?
    ) => {
        $crate::config::directives::Directive {
            name: $name,
            scope: $crate::config::directives::Scope::$scope,
            form: $form,
            default: $default,
            help: $help,
            support: $crate::config::directives::Support::Implemented {
                apply: |$s: &mut $crate::config::parse::ParseState,
                        $v: &str|
                 -> Result<(), String> {
                    $body;
                    Ok(())
                },
                example: $example,
            },
        }
    };
}

/// A row Mosquitto has and Roost refuses until `feature` lands.
macro_rules! not_yet {
    (
        name: $name:literal,
        scope: $scope:ident,
        form: $form:literal,
        default: $default:literal,
        help: $help:literal,
        feature: $feature:ident $(,)?
    ) => {
        $crate::config::directives::Directive {
            name: $name,
            scope: $crate::config::directives::Scope::$scope,
            form: $form,
            default: $default,
            help: $help,
            support: $crate::config::directives::Support::NotYet {
                feature: $crate::config::directives::feature::$feature,
            },
        }
    };
}

/// A row Mosquitto has and Roost refuses for good, saying `why`.
macro_rules! unavailable {
    (
        name: $name:literal,
        scope: $scope:ident,
        form: $form:literal,
        default: $default:literal,
        help: $help:literal,
        why: $why:literal $(,)?
    ) => {
        $crate::config::directives::Directive {
            name: $name,
            scope: $crate::config::directives::Scope::$scope,
            form: $form,
            default: $default,
            help: $help,
            support: $crate::config::directives::Support::Unavailable { why: $why },
        }
    };
}

use {directive, not_yet, unavailable};
