//! The log directives on the real binary: destinations, types, timestamps, `-v`, and
//! `$SYS/broker/log/...` topics.

mod config_harness;

use std::process::Stdio;
use std::time::{Duration, Instant};

use config_harness::{roost, touch, wait, Broker};

const LISTENER: &str = "listener {port} 127.0.0.1\nallow_anonymous true\n";

/// True when `line` starts with seconds since the epoch and `: `.
fn unix_stamped(line: &str) -> bool {
    line.split_once(": ")
        .is_some_and(|(secs, _)| secs.len() >= 10 && secs.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn by_default_lines_go_to_stderr_stamped_with_unix_seconds() {
    let broker = Broker::start("log-default", LISTENER, &[]);
    touch(broker.port);
    let out = broker.stop();
    assert!(out.status.success());
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(lines.iter().all(|l| unix_stamped(l)), "{lines:?}");
    assert!(
        lines[0].ends_with(": roost version 0.1.0 starting"),
        "{lines:?}"
    );
    assert!(out.stderr.contains("New client connected from 127.0.0.1"));
    assert!(lines[lines.len() - 1].ends_with(": roost version 0.1.0 terminating"));
}

#[test]
fn stdout_and_a_file_with_a_strftime_timestamp() {
    let conf = format!(
        "{LISTENER}log_dest stdout\nlog_dest file roost.log\n\
         log_timestamp_format %Y-%m-%dT%H:%M:%S\n"
    );
    let before = [("roost.log", "kept from before\n")];
    let broker = Broker::start_with_files("log-file", &conf, &[], &before);
    let log_file = broker.dir.join("roost.log");
    touch(broker.port);
    let out = broker.stop();
    assert_eq!(out.stderr, "");
    let file = std::fs::read_to_string(&log_file).expect("log file");
    assert!(
        file.starts_with("kept from before\n"),
        "the file is appended to"
    );
    let is_stamped = |line: &str| {
        let (stamp, _) = line.split_once(": ").unwrap_or_default();
        stamp.len() == 19 && stamp.as_bytes()[4] == b'-' && stamp.as_bytes()[10] == b'T'
    };
    let stdout: Vec<&str> = out.stdout.lines().collect();
    assert!(stdout.iter().all(|l| is_stamped(l)), "{stdout:?}");
    assert!(out.stdout.contains(": New client connected from"));
    assert!(file.contains(": New client connected from"));
}

#[test]
fn log_timestamp_false_leaves_the_message_alone() {
    let conf = format!("{LISTENER}log_timestamp false\n");
    let out = Broker::start("log-nostamp", &conf, &[]).stop();
    assert!(
        out.stderr.starts_with("roost version 0.1.0 starting\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn log_type_chooses_the_lines() {
    // Errors only: the notices and connection lines are left out.
    let conf = format!("{LISTENER}log_type error\n");
    let broker = Broker::start("log-errors", &conf, &[]);
    touch(broker.port);
    assert_eq!(broker.stop().stderr, "");
    // Notices without information: starting, but no client lines.
    let conf = format!("{LISTENER}log_type notice\n");
    let broker = Broker::start("log-notice", &conf, &[]);
    touch(broker.port);
    let out = broker.stop();
    assert!(out.stderr.contains("starting") && !out.stderr.contains("New client"));
}

#[test]
fn verbose_logs_every_type_whatever_the_file_says() {
    let conf = format!("{LISTENER}log_type none\n");
    let broker = Broker::start("log-verbose", &conf, &["-v"]);
    touch(broker.port);
    let out = broker.stop();
    assert!(out.stderr.contains("starting") && out.stderr.contains("New client"));
}

#[test]
fn log_dest_none_logs_nothing() {
    let conf = format!("{LISTENER}log_dest none\n");
    let broker = Broker::start("log-none", &conf, &[]);
    touch(broker.port);
    let out = broker.stop();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
}

#[test]
fn log_dest_topic_publishes_lines_on_sys_broker_log() {
    let conf = format!("{LISTENER}log_dest topic\nlog_dest stderr\n");
    let broker = Broker::start("log-topic", &conf, &[]);
    let port = broker.port.to_string();
    let sub_out = broker.dir.join("sub.out");
    let mut sub = roost(&[
        "sub",
        "-p",
        &port,
        "-t",
        "$SYS/broker/log/#",
        "-v",
        "-C",
        "1",
        "-W",
        "10",
    ])
    .stdout(std::fs::File::create(&sub_out).expect("sub output"))
    .stderr(Stdio::null())
    .spawn()
    .expect("roost sub");
    // Each client that connects makes information lines; keep connecting until one arrives.
    let deadline = Instant::now() + Duration::from_secs(10);
    while matches!(sub.try_wait(), Ok(None)) && Instant::now() < deadline {
        touch(broker.port);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(wait(&mut sub).success(), "no log line arrived");
    let got = std::fs::read_to_string(&sub_out).expect("sub output");
    let (topic, line) = got.trim_end().split_once(' ').expect("topic and payload");
    assert_eq!(topic, "$SYS/broker/log/I");
    assert!(unix_stamped(line), "{line}");
    broker.stop();
}

#[test]
fn log_dest_syslog_without_a_daemon_is_a_clear_error() {
    if std::path::Path::new("/dev/log").exists() {
        eprintln!("SKIPPED: /dev/log exists here; the refusal is for machines without one");
        return;
    }
    let conf = format!("{LISTENER}log_dest syslog\n");
    let out = Broker::spawn("log-syslog", &conf, &[]).wait();
    assert!(!out.status.success());
    assert!(
        out.stderr.contains(
            "log_dest syslog: cannot reach the local syslog daemon at /dev/log (is one running? \
             else use log_dest file)"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unwritable_log_file_is_a_clear_error() {
    let conf = format!("{LISTENER}log_dest file no-such-dir/roost.log\n");
    let out = Broker::spawn("log-unwritable", &conf, &[]).wait();
    assert!(!out.status.success());
    assert!(
        out.stderr
            .contains("log_dest file: cannot open no-such-dir/roost.log for writing"),
        "{}",
        out.stderr
    );
}
