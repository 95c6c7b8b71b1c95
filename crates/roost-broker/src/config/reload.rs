//! What a reload (SIGHUP) needs: the file read again, the reloadable settings that changed, and
//! a refusal for each change that needs a restart.
//!
//! As in Mosquitto, security settings (global and per listener), limits and log settings take
//! effect on reload; listeners (their TLS settings too), `pid_file`, `user`, the dashboard and
//! the store (`persistence`, `persistence_location`, `persistence_file`) only
//! at start, so a reload keeps the running ones and says so — though the certificate, key, CA and
//! CRL files a TLS listener names are read again. Nothing here touches the running broker: the
//! caller swaps the returned [`Config`] in, re-reads password and ACL files (their content may
//! have changed even when their paths did not), and applies the log settings.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use roost_proto::QoS;

use super::{parse_file, Config, ConfigError, ListenerProtocol, LogDest, LogTypes};

/// A configuration read again.
#[derive(Debug)]
pub struct Reload {
    /// What to run with now: the file's reloadable settings, with the running listeners (each
    /// with its own security settings from the file), `pid_file` and `user`.
    pub config: Config,
    /// The reloadable settings that changed, one line each (`max_queued_messages: 1000 -> 10`).
    pub changes: Vec<String>,
    /// Changes that need a restart, one line each; they were not applied.
    pub refused: Vec<String>,
}

/// Reads the running configuration's file again, with the same `-p` port; without a file
/// (embedded defaults) the running configuration is returned as it is.
pub fn reread(running: &Config) -> Result<Config, ConfigError> {
    let Some(path) = &running.source else {
        return Ok(running.clone());
    };
    let mut config = parse_file(path)?;
    if let Some(port) = running.port_override {
        config.override_port(port);
    }
    Ok(config)
}

/// Reads the file again and works out what to run with: see [`Reload`]. An error leaves the
/// running configuration in force, as Mosquitto does.
pub fn reload(running: &Config) -> Result<Reload, ConfigError> {
    let new = reread(running)?;
    let changes = reloadable_changes(running, &new);
    let refused = restart_needed(running, &new);
    let mut config = new;
    let mut listeners = running.listeners.clone();
    for listener in &mut listeners {
        listener.security = config
            .listeners
            .iter()
            .find(|l| l.addr == listener.addr)
            .and_then(|l| l.security.clone());
    }
    config.listeners = listeners;
    config.local_only = running.local_only;
    config.pid_file.clone_from(&running.pid_file);
    config.user.clone_from(&running.user);
    config.dashboard.clone_from(&running.dashboard);
    config.persistence = running.persistence;
    config
        .persistence_location
        .clone_from(&running.persistence_location);
    config
        .persistence_file
        .clone_from(&running.persistence_file);
    Ok(Reload {
        config,
        changes,
        refused,
    })
}

/// What changed among the settings a reload applies: security (global, and per listener for
/// listeners that exist in both), client-id rules, limits, `$SYS`, socket and log settings.
pub fn reloadable_changes(old: &Config, new: &Config) -> Vec<String> {
    let mut out = Vec::new();
    macro_rules! compare {
        ($($name:literal => $($field:ident).+;)*) => {$(
            if old.$($field).+ != new.$($field).+ {
                out.push(format!(
                    "{}: {} -> {}",
                    $name,
                    old.$($field).+.shown(),
                    new.$($field).+.shown()
                ));
            }
        )*};
    }
    compare! {
        "per_listener_settings" => per_listener_settings;
        "allow_anonymous" => security.allow_anonymous;
        "password_file" => security.password_file;
        "acl_file" => security.acl_file;
        "allow_zero_length_clientid" => allow_zero_length_clientid;
        "auto_id_prefix" => auto_id_prefix;
        "check_retain_source" => check_retain_source;
        "clientid_prefixes" => clientid_prefixes;
        "connection_messages" => connection_messages;
        "max_inflight_messages" => max_inflight_messages;
        "max_inflight_bytes" => max_inflight_bytes;
        "max_queued_messages" => max_queued_messages;
        "max_queued_bytes" => max_queued_bytes;
        "queue_qos0_messages" => queue_qos0_messages;
        "message_size_limit" => message_size_limit;
        "max_packet_size" => max_packet_size;
        "max_keepalive" => max_keepalive;
        "persistent_client_expiration" => persistent_client_expiration;
        "retain_available" => retain_available;
        "retain_expiry_interval" => retain_expiry_interval;
        "upgrade_outgoing_qos" => upgrade_outgoing_qos;
        "sys_interval" => sys_interval;
        "set_tcp_nodelay" => set_tcp_nodelay;
        "websockets_headers_size" => websockets_headers_size;
        "log_dest" => log.dest;
        "log_type" => log.types;
        "log_timestamp" => log.timestamp;
        "log_timestamp_format" => log.timestamp_format;
        "log_facility" => log.facility;
    }
    for before in &old.listeners {
        let Some(after) = new.listeners.iter().find(|l| l.addr == before.addr) else {
            continue;
        };
        if !old.per_listener_settings && !new.per_listener_settings {
            continue;
        }
        // What is in force on the listener: its own settings, or the global ones.
        let (a, b) = (old.security_for(before), new.security_for(after));
        let mut own = Vec::new();
        macro_rules! compare_own {
            ($($name:literal => $field:ident;)*) => {$(
                if a.$field != b.$field {
                    own.push(format!("{}: {} -> {}", $name, a.$field.shown(), b.$field.shown()));
                }
            )*};
        }
        compare_own! {
            "allow_anonymous" => allow_anonymous;
            "password_file" => password_file;
            "acl_file" => acl_file;
            "allow_zero_length_clientid" => allow_zero_length_clientid;
            "auto_id_prefix" => auto_id_prefix;
        }
        out.extend(
            own.into_iter()
                .map(|c| format!("listener {}: {c}", before.addr)),
        );
    }
    out
}

/// A refusal for each change a reload does not apply: listeners added, removed or changed,
/// `pid_file` and `user`.
pub fn restart_needed(old: &Config, new: &Config) -> Vec<String> {
    const KEPT: &str = "needs a restart; the running ones are kept";
    let mut out = Vec::new();
    let addrs =
        |c: &Config| -> Vec<String> { c.listeners.iter().map(|l| l.addr.to_string()).collect() };
    let (before, after) = (addrs(old), addrs(new));
    if before != after {
        out.push(format!(
            "listeners: {} -> {} ({KEPT})",
            before.join(", "),
            after.join(", ")
        ));
    }
    for a in &old.listeners {
        let Some(b) = new.listeners.iter().find(|l| l.addr == a.addr) else {
            continue;
        };
        let mut changed = String::new();
        macro_rules! compare_listener {
            ($($name:literal => $field:ident;)*) => {$(
                if a.$field != b.$field {
                    let _ = write!(
                        changed,
                        "{}{} {} -> {}",
                        if changed.is_empty() { "" } else { ", " },
                        $name,
                        a.$field.shown(),
                        b.$field.shown()
                    );
                }
            )*};
        }
        compare_listener! {
            "max_connections" => max_connections;
            "max_qos" => max_qos;
            "max_topic_alias" => max_topic_alias;
            "mount_point" => mount_point;
            "use_username_as_clientid" => use_username_as_clientid;
            "bind_interface" => bind_interface;
            "protocol" => protocol;
        }
        if a.tls != b.tls {
            let _ = write!(
                changed,
                "{}TLS settings (certfile, keyfile, cafile, capath, crlfile, \
                 require_certificate, use_*_as_username, tls_version, ciphers; their files are \
                 read again)",
                if changed.is_empty() { "" } else { ", " },
            );
        }
        if !changed.is_empty() {
            out.push(format!("listener {}: {changed} ({KEPT})", a.addr));
        }
    }
    if old.pid_file != new.pid_file {
        out.push(format!(
            "pid_file: {} -> {} (needs a restart; not reloaded)",
            old.pid_file.shown(),
            new.pid_file.shown()
        ));
    }
    if old.user != new.user {
        out.push(format!(
            "user: {} -> {} (needs a restart; not reloaded)",
            old.user.shown(),
            new.user.shown()
        ));
    }
    if old.dashboard != new.dashboard {
        out.push(
            "dashboard_listener, dashboard_auth_file, dashboard_token_expiry, \
             dashboard_certfile, dashboard_keyfile: changed (needs a restart; not reloaded)"
                .to_string(),
        );
    }
    if (
        old.persistence,
        &old.persistence_location,
        &old.persistence_file,
    ) != (
        new.persistence,
        &new.persistence_location,
        &new.persistence_file,
    ) {
        out.push(
            "persistence, persistence_location, persistence_file: changed (needs a restart; \
             not reloaded)"
                .to_string(),
        );
    }
    out
}

/// A setting as the change lines show it.
trait Shown {
    fn shown(&self) -> String;
}

macro_rules! shown_by_display {
    ($($t:ty),*) => {$(
        impl Shown for $t {
            fn shown(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

shown_by_display!(
    bool,
    u8,
    u16,
    u32,
    u64,
    usize,
    String,
    LogTypes,
    ListenerProtocol
);

impl Shown for PathBuf {
    fn shown(&self) -> String {
        self.display().to_string()
    }
}

impl Shown for Duration {
    fn shown(&self) -> String {
        format!("{}s", self.as_secs())
    }
}

impl Shown for QoS {
    fn shown(&self) -> String {
        (*self as u8).to_string()
    }
}

impl<T: Shown> Shown for Option<T> {
    fn shown(&self) -> String {
        self.as_ref()
            .map_or_else(|| "none".to_string(), Shown::shown)
    }
}

impl Shown for Vec<LogDest> {
    fn shown(&self) -> String {
        if self.is_empty() {
            return "none".into();
        }
        let names: Vec<String> = self.iter().map(ToString::to_string).collect();
        names.join(", ")
    }
}
