//! Every kind of configuration error, word for word: each names the file, the line, the
//! directive and what would be valid.

use std::path::{Path, PathBuf};

use roost_broker::config::{parse_file, parse_str};

fn error(text: &str) -> String {
    parse_str(Path::new("test.conf"), text)
        .expect_err(text)
        .to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roost-errors-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn unknown_word_suggests_the_nearest() {
    assert_eq!(
        error("\nalow_anonymous true\n"),
        "test.conf:2: unknown option 'alow_anonymous' (did you mean 'allow_anonymous'?)"
    );
    assert_eq!(
        error("log_dset stdout\n"),
        "test.conf:1: unknown option 'log_dset' (did you mean 'log_dest'?)"
    );
}

#[test]
fn unknown_word_far_from_any_points_at_the_reference() {
    assert_eq!(
        error("frobnicate_everything 1\n"),
        "test.conf:1: unknown option 'frobnicate_everything' (see 'roost broker --help-config')"
    );
}

#[test]
fn bad_value_names_the_expected_form() {
    assert_eq!(
        error("allow_anonymous yes\n"),
        "test.conf:1: 'allow_anonymous yes': expected 'true' or 'false', found 'yes' \
         (expected: allow_anonymous true | false)"
    );
    assert_eq!(
        error("socket_domain ipv5\n"),
        "test.conf:1: 'socket_domain ipv5': expected one of ipv4, ipv6, found 'ipv5' \
         (expected: socket_domain ipv4 | ipv6)"
    );
    assert_eq!(
        error("log_type loud\n"),
        "test.conf:1: 'log_type loud': expected debug, error, warning, notice, information, \
         subscribe, unsubscribe, websockets, none or all, found 'loud' (expected: log_type \
         debug | error | warning | notice | information | subscribe | unsubscribe | websockets \
         | none | all)"
    );
    assert_eq!(
        error("persistent_client_expiration 3600\n"),
        "test.conf:1: 'persistent_client_expiration 3600': '3600' needs a unit: h (hours), \
         d (days), w (weeks), m (months) or y (years) (expected: persistent_client_expiration \
         COUNT{h|d|w|m|y})"
    );
    assert!(error("listener http\n").contains("PORT must be a number from 0 to 65535"));
    assert!(error("max_qos 3\n").contains("expected 0, 1 or 2"));
    assert_eq!(
        error("listener 8080\nprotocol ws\n"),
        "test.conf:2: 'protocol ws': expected one of mqtt, websockets, found 'ws' \
         (expected: protocol mqtt | websockets)"
    );
    assert!(error("log_facility 8\n").contains("expected 0 to 7"));
    assert!(error("log_timestamp_format %Q\n").contains("is not a strftime format"));
}

#[test]
fn not_supported_yet_names_the_feature() {
    assert_eq!(
        error("connection bridge-01\n"),
        "test.conf:1: 'connection' (bridges) is not supported yet"
    );
    assert_eq!(
        error("plugin_opt_db_host localhost\n"),
        "test.conf:1: 'plugin_opt_db_host' (plugins) is not supported yet"
    );
    assert_eq!(
        error("psk_file psk\n"),
        "test.conf:1: 'psk_file' (PSK) is not supported yet"
    );
    assert_eq!(
        error("memory_limit 1000000\n"),
        "test.conf:1: 'memory_limit' (memory limits) is not supported yet"
    );
    assert_eq!(
        error("listener 8080\nprotocol websockets\nhttp_dir /var/www\n"),
        "test.conf:3: 'http_dir' (serving files over HTTP) is not supported yet"
    );
    assert!(error("listener 0 /run/mqtt.sock\n")
        .contains("Unix socket listeners are not supported yet"));
    assert!(error("log_dest dlt\n").contains("'dlt' (Diagnostic Log and Trace) is not supported"));
}

#[test]
fn value_missing_shows_the_form() {
    assert_eq!(
        error("max_queued_messages\n"),
        "test.conf:1: 'max_queued_messages' needs a value: max_queued_messages COUNT"
    );
    assert_eq!(
        error("log_dest   \n"),
        "test.conf:1: 'log_dest' needs a value: log_dest stdout | stderr | file PATH | syslog \
         | topic | none"
    );
    assert!(error("log_dest file\n").contains("'file' needs a path: log_dest file PATH"));
}

#[test]
fn a_setting_read_once_refuses_a_second_line() {
    assert_eq!(
        error("pid_file /a\npid_file /b\n"),
        "test.conf:2: 'pid_file /b': given twice; this setting may be given once \
         (expected: pid_file PATH)"
    );
    assert!(error("log_dest file /a\nlog_dest file /b\n")
        .contains("only one 'log_dest file' may be given"));
    assert!(error("password_file a\npassword_file b\n").contains("given twice"));
}

#[test]
fn missing_file() {
    let path = scratch("missing").join("nowhere.conf");
    let e = parse_file(&path).expect_err("missing file");
    assert_eq!(e.line, 0);
    assert_eq!(
        e.to_string(),
        format!(
            "{}: cannot read the file: No such file or directory (os error 2)",
            path.display()
        )
    );
}

#[test]
fn unreadable_include_dir() {
    let dir = scratch("include");
    let main = dir.join("main.conf");
    std::fs::write(&main, "listener 1883\ninclude_dir missing.d\n").expect("write");
    assert_eq!(
        parse_file(&main).expect_err("no such dir").to_string(),
        format!(
            "{}:2: include_dir '{}': cannot read the directory: No such file or directory \
             (os error 2)",
            main.display(),
            dir.join("missing.d").display()
        )
    );
    std::fs::write(dir.join("plain"), "").expect("write");
    std::fs::write(&main, "include_dir plain\n").expect("write");
    assert!(parse_file(&main)
        .expect_err("not a dir")
        .to_string()
        .contains("cannot read the directory: Not a directory"));
}

#[test]
fn an_error_in_an_included_file_names_that_file() {
    let dir = scratch("included-error");
    std::fs::create_dir_all(dir.join("conf.d")).expect("mkdir");
    let main = dir.join("main.conf");
    std::fs::write(&main, "include_dir conf.d\n").expect("write");
    let inner = dir.join("conf.d").join("10-bad.conf");
    std::fs::write(&inner, "# comment\nmax_qos seven\n").expect("write");
    let e = parse_file(&main).expect_err("bad inner line");
    assert_eq!((e.file, e.line), (inner, 2));
}

#[test]
fn include_dir_reads_conf_files_in_mosquittos_order() {
    let dir = scratch("included");
    let conf_d = dir.join("conf.d");
    std::fs::create_dir_all(&conf_d).expect("mkdir");
    std::fs::write(conf_d.join("b.conf"), "auto_id_prefix b-\n").expect("write");
    std::fs::write(conf_d.join("B.conf"), "auto_id_prefix B-\n").expect("write");
    std::fs::write(
        conf_d.join("a.conf"),
        "include_dir elsewhere\nlistener 1884\n",
    )
    .expect("w");
    std::fs::write(conf_d.join("notes.txt"), "not a directive\n").expect("write");
    let main = dir.join("main.conf");
    std::fs::write(&main, "listener 1883\ninclude_dir conf.d\nmax_qos 1\n").expect("write");
    let c = parse_file(&main).expect("valid");
    assert_eq!(c.auto_id_prefix, "b-", "b.conf comes after B.conf");
    assert_eq!(c.listeners.len(), 2);
    // max_qos after include_dir applies to the last listener, the included one.
    assert_eq!(c.listeners[1].max_qos, roost_proto::QoS::AtLeastOnce);
    assert_eq!(
        c.notices.len(),
        1,
        "nested include_dir is ignored with a notice"
    );
    assert!(c.notices[0].contains("a.conf:1: 'include_dir' is only read in the main"));
}
