//! The directive table against Mosquitto 2.0's mosquitto.conf(5): every directive Mosquitto
//! reads is a row, every implemented row accepts its example, every other row is refused with
//! the feature it waits for.

use std::path::{Path, PathBuf};

use roost_broker::config::directives::{directives, lookup, GROUPS};
use roost_broker::config::{parse_file, parse_str};

/// Every directive Mosquitto 2.0 reads: the man page's, its older spellings that conf.c still
/// takes, and the undocumented `retain_expiry_interval`.
const MOSQUITTO_2_0: &[&str] = &[
    // General
    "acl_file",
    "allow_anonymous",
    "allow_duplicate_messages",
    "allow_zero_length_clientid",
    "auth_plugin_deny_special_chars",
    "auto_id_prefix",
    "autosave_interval",
    "autosave_on_changes",
    "check_retain_source",
    "clientid_prefixes",
    "connection_messages",
    "include_dir",
    "log_dest",
    "log_facility",
    "log_timestamp",
    "log_timestamp_format",
    "log_type",
    "max_inflight_bytes",
    "max_inflight_messages",
    "max_keepalive",
    "max_packet_size",
    "max_queued_bytes",
    "max_queued_messages",
    "memory_limit",
    "message_size_limit",
    "password_file",
    "per_listener_settings",
    "persistence",
    "persistence_file",
    "persistence_location",
    "persistent_client_expiration",
    "pid_file",
    "plugin_opt_anything",
    "plugin",
    "psk_file",
    "queue_qos0_messages",
    "retain_available",
    "set_tcp_nodelay",
    "sys_interval",
    "upgrade_outgoing_qos",
    "user",
    "auth_plugin",
    "auth_opt_anything",
    "retained_persistence",
    "retry_interval",
    "retain_expiry_interval",
    // Listeners
    "bind_address",
    "bind_interface",
    "http_dir",
    "listener",
    "max_connections",
    "max_qos",
    "maximum_qos",
    "max_topic_alias",
    "mount_point",
    "port",
    "protocol",
    "socket_domain",
    "use_username_as_clientid",
    "websockets_log_level",
    "websockets_headers_size",
    // TLS and PSK
    "cafile",
    "capath",
    "certfile",
    "ciphers",
    "ciphers_tls1.3",
    "crlfile",
    "dhparamfile",
    "keyfile",
    "require_certificate",
    "tls_engine",
    "tls_engine_kpass_sha1",
    "tls_keyform",
    "tls_version",
    "use_identity_as_username",
    "use_subject_as_username",
    "psk_hint",
    // Bridges
    "address",
    "addresses",
    "bridge_attempt_unsubscribe",
    "bridge_bind_address",
    "bridge_max_packet_size",
    "bridge_outgoing_retain",
    "bridge_protocol_version",
    "cleansession",
    "local_cleansession",
    "connection",
    "keepalive_interval",
    "idle_timeout",
    "local_clientid",
    "local_password",
    "local_username",
    "notifications",
    "notifications_local_only",
    "notification_topic",
    "remote_clientid",
    "clientid",
    "remote_password",
    "password",
    "remote_username",
    "username",
    "restart_timeout",
    "round_robin",
    "start_type",
    "threshold",
    "topic",
    "try_private",
    "bridge_alpn",
    "bridge_cafile",
    "bridge_capath",
    "bridge_certfile",
    "bridge_identity",
    "bridge_insecure",
    "bridge_keyfile",
    "bridge_psk",
    "bridge_require_ocsp",
    "bridge_tls_version",
];

/// Roost's own directives, which Mosquitto does not have.
const ROOST_ONLY: &[&str] = &[
    "dashboard_listener",
    "dashboard_auth_file",
    "dashboard_token_expiry",
    "dashboard_certfile",
    "dashboard_keyfile",
];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roost-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("conf.d")).expect("scratch dir");
    dir
}

#[test]
fn the_table_knows_every_mosquitto_directive() {
    let missing: Vec<&str> = MOSQUITTO_2_0
        .iter()
        .copied()
        .filter(|name| lookup(name).is_none())
        .collect();
    assert!(missing.is_empty(), "not in the table: {missing:?}");
}

#[test]
fn the_table_has_nothing_mosquitto_lacks() {
    for d in directives() {
        let word = d.name.replace('*', "anything");
        assert!(
            MOSQUITTO_2_0.contains(&word.as_str()) || ROOST_ONLY.contains(&word.as_str()),
            "'{}' is not a Mosquitto 2.0 directive",
            d.name
        );
    }
}

#[test]
fn each_name_is_defined_once_with_one_line_of_help() {
    let mut names: Vec<&str> = directives().map(|d| d.name).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "a name is defined twice");
    for d in directives() {
        assert!(!d.form.is_empty() && !d.default.is_empty(), "{}", d.name);
        assert!(
            !d.help.contains('\n') && d.help.ends_with('.') && d.help.len() <= 110,
            "help of '{}' should be one sentence: {:?}",
            d.name,
            d.help
        );
    }
    assert!(GROUPS.iter().all(|g| !g.directives.is_empty()));
}

#[test]
fn every_implemented_directive_accepts_its_example() {
    let dir = scratch("examples");
    let tls_group = GROUPS
        .iter()
        .find(|g| g.title.starts_with("TLS"))
        .expect("a TLS group");
    for d in directives() {
        let Some(example) = d.example() else { continue };
        let file = dir.join("roost.conf");
        // A TLS option stands on a TLS listener: one with a certificate, key and CA file.
        let mut text = String::new();
        if tls_group.directives.iter().any(|t| t.name == d.name) {
            text.push_str("listener 8883\n");
            for (name, value) in [
                ("certfile", "s.crt"),
                ("keyfile", "s.key"),
                ("cafile", "ca"),
            ] {
                if name != d.name {
                    text.push_str(&format!("{name} {value}\n"));
                }
            }
        }
        // The dashboard's certificate and key come together, on a dashboard.
        if let Some(other) = match d.name {
            "dashboard_certfile" => Some("dashboard_keyfile d.key"),
            "dashboard_keyfile" => Some("dashboard_certfile d.crt"),
            _ => None,
        } {
            text.push_str(&format!("dashboard_listener 18083\n{other}\n"));
        }
        text.push_str(&format!("{} {example}\n", d.name));
        std::fs::write(&file, text).expect("write");
        if let Err(e) = parse_file(&file) {
            // bind_interface needs a listener the interface's address can match.
            assert!(
                d.name == "bind_interface" && e.message.contains("interface"),
                "'{} {example}' refused: {e}",
                d.name
            );
        }
    }
}

#[test]
fn every_directive_not_supported_yet_is_refused_with_its_feature() {
    for d in directives() {
        let Some(feature) = d.not_supported_yet() else {
            continue;
        };
        let word = d.name.replace('*', "x");
        let line = format!("{word} some-value\n");
        let error = parse_str(Path::new("t.conf"), &line).expect_err(&word);
        assert!(
            error.to_string().starts_with(&format!(
                "t.conf:1: '{word}' ({feature}) is not supported yet"
            )),
            "{error}"
        );
    }
}
