//! Reload (SIGHUP) support: the file read again, the reloadable changes listed, and changes
//! that need a restart refused with the running values kept.

use std::path::{Path, PathBuf};

use roost_broker::config::{
    parse_file, parse_str, reload, reloadable_changes, reread, restart_needed, Config, LogDest,
};

fn parse(text: &str) -> Config {
    parse_str(Path::new("test.conf"), text).unwrap_or_else(|e| panic!("{e}"))
}

fn scratch_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roost-reload-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("roost.conf");
    std::fs::write(&file, text).expect("write");
    file
}

#[test]
fn nothing_changed_means_no_lines() {
    let text = "listener 1883\npassword_file pw\nlog_dest stdout\n";
    assert!(reloadable_changes(&parse(text), &parse(text)).is_empty());
    assert!(restart_needed(&parse(text), &parse(text)).is_empty());
}

#[test]
fn security_limits_and_log_changes_are_listed() {
    let old = parse("listener 1883\nmax_queued_messages 100\n");
    let new = parse(
        "listener 1883\nmax_queued_messages 10\npassword_file /etc/roost/pw\nallow_anonymous \
         true\nlog_dest stdout\nlog_dest file /var/log/roost.log\nlog_type error\n\
         persistent_client_expiration 1d\n",
    );
    assert_eq!(
        reloadable_changes(&old, &new),
        [
            "allow_anonymous: false -> true",
            "password_file: none -> /etc/roost/pw",
            "max_queued_messages: 100 -> 10",
            "persistent_client_expiration: none -> 86400s",
            "log_dest: stderr -> stdout, file /var/log/roost.log",
            "log_type: error warning notice information -> error",
        ]
    );
    assert!(restart_needed(&old, &new).is_empty());
}

#[test]
fn per_listener_security_changes_name_the_listener() {
    let old = parse("per_listener_settings true\nlistener 1883\nacl_file a\n");
    let new = parse("per_listener_settings true\nlistener 1883\nacl_file b\n");
    assert_eq!(
        reloadable_changes(&old, &new),
        ["listener 0.0.0.0:1883: acl_file: a -> b"]
    );
}

#[test]
fn listener_changes_are_refused_with_the_reason() {
    let old = parse("listener 1883\nlistener 1884\nmax_qos 1\npid_file /run/a.pid\n");
    let new = parse("listener 1883\nmax_qos 0\nlistener 1885\npid_file /run/b.pid\nuser x\n");
    assert_eq!(
        restart_needed(&old, &new),
        [
            "listeners: 0.0.0.0:1883, 0.0.0.0:1884 -> 0.0.0.0:1883, 0.0.0.0:1885 (needs a \
             restart; the running ones are kept)",
            "listener 0.0.0.0:1883: max_qos 2 -> 0 (needs a restart; the running ones are kept)",
            "pid_file: /run/a.pid -> /run/b.pid (needs a restart; not reloaded)",
            "user: none -> x (needs a restart; not reloaded)",
        ]
    );
}

#[test]
fn store_changes_need_a_restart_and_keep_the_running_store() {
    let old = parse("persistence_location /var/lib/a\n");
    let new = parse("persistence false\npersistence_location /var/lib/b\n");
    assert_eq!(
        restart_needed(&old, &new),
        [
            "persistence, persistence_location, persistence_file: changed (needs a restart; not \
          reloaded)"
        ]
    );
    assert!(restart_needed(&old, &parse("persistence_location /var/lib/a\n")).is_empty());
    let file = scratch_file("store", "persistence_file a.db\n");
    let running = parse_file(&file).expect("valid");
    std::fs::write(&file, "persistence false\npersistence_file b.db\n").expect("rewrite");
    let reload = reload(&running).expect("valid");
    assert!(reload.config.persistence);
    assert_eq!(reload.config.persistence_file.as_deref(), Some("a.db"));
}

#[test]
fn reload_applies_the_reloadable_and_keeps_the_rest() {
    let file = scratch_file(
        "apply",
        "per_listener_settings true\nlistener 1883\npid_file /run/a.pid\nmax_inflight_messages 5\n",
    );
    let running = parse_file(&file).expect("valid");
    std::fs::write(
        &file,
        "per_listener_settings true\nlistener 1884\nlistener 1883\npassword_file pw\n\
         pid_file /run/b.pid\nmax_inflight_messages 7\nlog_dest none\n",
    )
    .expect("rewrite");
    let reload = reload(&running).expect("valid");
    let c = &reload.config;
    assert_eq!(c.max_inflight_messages, 7);
    assert!(c.log.dest.is_empty());
    assert_eq!(c.listeners.len(), 1, "the running listener only");
    assert_eq!(c.listeners[0].addr.port(), 1883);
    let own = c.listeners[0].security.clone().unwrap_or_default();
    assert_eq!(
        own.password_file,
        Some(PathBuf::from("pw")),
        "its new security settings"
    );
    assert_eq!(c.pid_file, Some(PathBuf::from("/run/a.pid")));
    assert_eq!(
        reload.changes,
        [
            "max_inflight_messages: 5 -> 7",
            "log_dest: stderr -> none",
            "listener 0.0.0.0:1883: password_file: none -> pw",
        ]
    );
    assert_eq!(reload.refused.len(), 2, "{:?}", reload.refused);
}

#[test]
fn a_broken_file_is_an_error_and_changes_nothing() {
    let file = scratch_file("broken", "listener 1883\n");
    let running = parse_file(&file).expect("valid");
    std::fs::write(&file, "listener 1883\nmax_qos nine\n").expect("rewrite");
    let e = reload(&running).expect_err("bad value");
    assert_eq!((e.file, e.line), (file, 2));
}

#[test]
fn reread_keeps_the_command_line_port() {
    let file = scratch_file("port", "listener 1883\nlog_dest stdout\n");
    let mut running = parse_file(&file).expect("valid");
    running.override_port(2883);
    let again = reread(&running).expect("valid");
    assert_eq!(again.listeners[0].addr.port(), 2883);
    assert_eq!(again.log.dest, [LogDest::Stdout]);
    assert!(restart_needed(&running, &again).is_empty());
}

#[test]
fn without_a_file_a_reload_changes_nothing() {
    let running = Config::default();
    let reload = reload(&running).expect("nothing to read");
    assert_eq!(reload.config, running);
    assert!(reload.changes.is_empty() && reload.refused.is_empty());
}

#[test]
fn changed_tls_settings_need_a_restart_but_moved_lines_do_not() {
    let old = parse("listener 8883\ncertfile a.crt\nkeyfile a.key\n");
    let moved = parse("\n# renewed by certbot\nlistener 8883\nkeyfile a.key\ncertfile a.crt\n");
    assert!(restart_needed(&old, &moved).is_empty());
    let new = parse("listener 8883\ncertfile b.crt\nkeyfile a.key\n");
    assert_eq!(
        restart_needed(&old, &new),
        [
            "listener 0.0.0.0:8883: TLS settings (certfile, keyfile, cafile, capath, crlfile, \
             require_certificate, use_*_as_username, tls_version, ciphers; their files are read \
             again) (needs a restart; the running ones are kept)"
        ]
    );
}
