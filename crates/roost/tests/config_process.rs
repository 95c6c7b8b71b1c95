//! `pid_file` and `user` on the real binary: the pid file lives as long as the broker, and a
//! broker started as root runs as `user` once its listeners are bound.

mod config_harness;

use std::process::Command;

use config_harness::{touch, Broker};

const LISTENER: &str = "listener {port} 127.0.0.1\nallow_anonymous true\n";

fn running_as_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// The real, effective, saved and file-system ids on a `Uid:` or `Gid:` line of every thread.
fn ids_of_every_thread(pid: u32, key: &str) -> Vec<String> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc/PID/task");
    tasks
        .map(|task| {
            let status =
                std::fs::read_to_string(task.expect("task").path().join("status")).expect("status");
            let line = status
                .lines()
                .find(|l| l.starts_with(key))
                .expect("an id line")
                .to_string();
            line[key.len()..]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn id_of(flag: &str, user: &str) -> String {
    let out = Command::new("id").args([flag, user]).output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn the_pid_file_holds_the_pid_until_exit() {
    let broker = Broker::start("pid", &format!("{LISTENER}pid_file roost.pid\n"), &[]);
    let pid_file = broker.dir.join("roost.pid");
    let written = std::fs::read_to_string(&pid_file).expect("pid file");
    assert_eq!(written, broker.pid().to_string());
    let out = broker.stop();
    assert!(out.status.success());
    assert!(!pid_file.exists(), "the pid file is removed at exit");
}

#[test]
fn an_unwritable_pid_file_stops_the_broker() {
    let conf = format!("{LISTENER}pid_file no-such-dir/roost.pid\n");
    let out = Broker::spawn("pid-unwritable", &conf, &[]).wait();
    assert!(!out.status.success());
    assert!(
        out.stderr
            .contains("Error: pid_file: cannot write no-such-dir/roost.pid"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_pid_file_is_removed_when_the_listener_cannot_be_bound() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let conf = format!("listener {port} 127.0.0.1\npid_file roost.pid\n");
    let broker = Broker::spawn("pid-bind-fails", &conf, &[]);
    let pid_file = broker.dir.join("roost.pid");
    let out = broker.wait();
    assert!(!out.status.success());
    assert!(!pid_file.exists());
}

#[test]
fn started_as_root_it_runs_as_user_once_listening() {
    if !running_as_root() {
        eprintln!("SKIPPED: not running as root, so there are no privileges to drop");
        return;
    }
    let broker = Broker::start("user", &format!("{LISTENER}user nobody\n"), &[]);
    let (uid, gid) = (id_of("-u", "nobody"), id_of("-g", "nobody"));
    for ids in ids_of_every_thread(broker.pid(), "Uid:") {
        assert_eq!(ids, [uid.as_str(); 4].join(" "));
    }
    for ids in ids_of_every_thread(broker.pid(), "Gid:") {
        assert_eq!(ids, [gid.as_str(); 4].join(" "));
    }
    touch(broker.port);
    let out = broker.stop();
    assert!(out.status.success());
    assert!(
        out.stderr.contains(&format!(
            "Dropped privileges to user 'nobody' (uid {uid}, gid {gid})."
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn a_user_that_does_not_exist_is_an_error() {
    if !running_as_root() {
        eprintln!("SKIPPED: not running as root; Mosquitto ignores 'user' then, and so does Roost");
        return;
    }
    let conf = format!("{LISTENER}user no-such-user-here\n");
    let out = Broker::spawn("user-missing", &conf, &[]).wait();
    assert!(!out.status.success());
    assert!(
        out.stderr.contains(
            "Error: user no-such-user-here: cannot drop privileges: there is no such user"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn without_user_a_root_broker_says_it_runs_as_root() {
    if !running_as_root() {
        eprintln!("SKIPPED: not running as root");
        return;
    }
    let out = Broker::start("user-none", LISTENER, &[]).stop();
    assert!(out.stderr.contains("Running as root: add 'user NAME'"));
}
