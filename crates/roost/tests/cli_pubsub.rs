//! `roost pub` and `roost sub` as people use them: the built binary against a real Mosquitto,
//! side by side with `mosquitto_pub` and `mosquitto_sub` where their output can be compared.
//!
//! Every child process runs under a time limit; the tests skip with a message when Mosquitto's
//! broker or clients are not installed.

#[path = "../../roost-client/tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::Mosquitto;

const LIMIT: Duration = Duration::from_secs(15);

fn have_mosquitto_clients() -> bool {
    let found = [
        "/usr/bin/mosquitto_sub",
        "/usr/bin/mosquitto_pub",
        "/usr/bin/stdbuf",
    ]
    .iter()
    .all(|path| std::path::Path::new(path).exists());
    if !found {
        eprintln!("SKIPPED: mosquitto_pub, mosquitto_sub or stdbuf is not installed (apt-get install mosquitto-clients)");
    }
    found
}

fn roost(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_roost"));
    command.args(args);
    command
}

/// A Mosquitto client, its stdout line-buffered (`stdbuf -oL`): into a pipe, libmosquitto's
/// `-d` lines would otherwise only appear at exit.
fn tool(program: &str, args: &[&str]) -> Command {
    let mut command = Command::new("stdbuf");
    command.arg("-oL").arg(program).args(args);
    command
}

/// Waits for `child` at most [`LIMIT`], killing it after.
fn wait(mut child: Child) -> ExitStatus {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("a child process ran past {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `command` to completion with `stdin`, within [`LIMIT`].
fn run(mut command: Command, stdin: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("write stdin");
    drop(input);
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let status = wait(child);
    Output {
        status,
        stdout: out_reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A subscriber process run with `-d`, whose output is read line by line.
struct Subscriber {
    child: Option<Child>,
    lines: mpsc::Receiver<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Subscriber {
    fn spawn(mut command: Command) -> Subscriber {
        let mut child = command
            .arg("-d")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn subscriber");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut buf = String::new();
            let _ = stderr.read_to_string(&mut buf);
            buf
        });
        Subscriber {
            child: Some(child),
            lines,
            stderr: Some(stderr),
        }
    }

    /// Waits for the SUBACK line `-d` prints.
    fn wait_subscribed(&self) {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .expect("a Subscribed line in time");
            if line.starts_with("Subscribed (mid:") {
                return;
            }
        }
    }

    /// Waits for the process to exit; returns the printed lines (trace lines left out), its
    /// status and its stderr.
    fn finish(mut self) -> (Vec<String>, ExitStatus, String) {
        let status = wait(self.child.take().expect("child"));
        let lines = self
            .lines
            .iter()
            .filter(|l| !l.starts_with("Client ") && !l.starts_with("Subscribed (mid:"))
            .collect();
        let stderr = self.stderr.take().map(|h| h.join().expect("stderr"));
        (lines, status, stderr.unwrap_or_default())
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn port(broker: &Mosquitto) -> String {
    broker.port.to_string()
}

#[test]
fn roost_sub_prints_what_mosquitto_sub_prints() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    if !have_mosquitto_clients() {
        return;
    }
    let p = port(&broker);
    let sub_args = [
        "-h",
        "127.0.0.1",
        "-p",
        &p,
        "-t",
        "cmp/#",
        "-v",
        "-q",
        "2",
        "-C",
        "4",
        "-W",
        "10",
    ];
    let ours = Subscriber::spawn(roost(&[&["sub"], &sub_args[..]].concat()));
    let theirs = Subscriber::spawn(tool("mosquitto_sub", &sub_args));
    ours.wait_subscribed();
    theirs.wait_subscribed();
    for (topic, message, qos) in [
        ("cmp/a", "zero", "0"),
        ("cmp/b", "one", "1"),
        ("cmp/c/d", "two", "2"),
    ] {
        let out = run(
            roost(&[
                "pub",
                "-h",
                "127.0.0.1",
                "-p",
                &p,
                "-t",
                topic,
                "-m",
                message,
                "-q",
                qos,
            ]),
            b"",
        );
        assert!(out.status.success(), "roost pub: {}", text(&out.stderr));
    }
    let out = run(
        roost(&["pub", "-h", "127.0.0.1", "-p", &p, "-t", "cmp/empty", "-n"]),
        b"",
    );
    assert!(out.status.success());

    let (our_lines, our_status, _) = ours.finish();
    let (their_lines, their_status, _) = theirs.finish();
    assert_eq!(
        our_lines,
        ["cmp/a zero", "cmp/b one", "cmp/c/d two", "cmp/empty (null)"]
    );
    // libmosquitto prints a QoS 2 message at PUBREL, roost-client delivers it at PUBLISH, so a
    // later message may overtake it in `mosquitto_sub`'s output: compare as sets.
    let (mut ours_sorted, mut theirs_sorted) = (our_lines, their_lines);
    ours_sorted.sort();
    theirs_sorted.sort();
    assert_eq!(ours_sorted, theirs_sorted);
    assert_eq!(our_status.code(), Some(0));
    assert_eq!(our_status.code(), their_status.code());
}

#[test]
fn roost_pub_message_sources_reach_mosquitto_sub() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    if !have_mosquitto_clients() {
        return;
    }
    let p = port(&broker);
    let file = broker.dir().join("payload.txt");
    std::fs::write(&file, "from a file").expect("write payload file");
    let file = file.to_str().expect("utf8 path");

    let sub = Subscriber::spawn(tool(
        "mosquitto_sub",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &p,
            "-t",
            "src/#",
            "-v",
            "-C",
            "7",
            "-W",
            "10",
            "-q",
            "1",
        ],
    ));
    sub.wait_subscribed();
    let base = ["pub", "-h", "127.0.0.1", "-p", &p, "-q", "1"];
    let cases: [(&[&str], &[u8]); 4] = [
        (&["-t", "src/m", "-m", "hello", "--repeat", "2"], b""),
        (&["-t", "src/f", "-f", file], b""),
        (&["-t", "src/s", "-s"], b"whole\nstdin"),
        (&["-t", "src/l", "-l"], b"one\n\nthree\n"),
    ];
    for (args, stdin) in cases {
        let out = run(roost(&[&base[..], args].concat()), stdin);
        assert!(
            out.status.success(),
            "roost pub {args:?}: {}",
            text(&out.stderr)
        );
    }
    let (lines, status, _) = sub.finish();
    assert!(status.success());
    assert_eq!(
        lines,
        [
            "src/m hello",
            "src/m hello",
            "src/f from a file",
            "src/s whole",
            "stdin",
            "src/l one",
            "src/l (null)",
            "src/l three",
        ]
    );
}

#[test]
fn retained_flags_of_roost_sub() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let p = port(&broker);
    let base = ["-h", "127.0.0.1", "-p", &p];
    for (topic, message) in [("ret/a", "A"), ("ret/b", "B")] {
        let out = run(
            roost(
                &[
                    &["pub"],
                    &base[..],
                    &["-t", topic, "-m", message, "-r", "-q", "1"],
                ]
                .concat(),
            ),
            b"",
        );
        assert!(out.status.success());
    }
    // -N: payloads without newlines; -T filters ret/b out.
    let out = run(
        roost(
            &[
                &["sub"],
                &base[..],
                &["-t", "ret/#", "-N", "-T", "ret/b", "-C", "1", "-W", "10"],
            ]
            .concat(),
        ),
        b"",
    );
    assert_eq!(
        (text(&out.stdout).as_str(), out.status.code()),
        ("A", Some(0))
    );
    // -R: stale (retained) messages are not printed, so nothing arrives before -W.
    let out = run(
        roost(&[&["sub"], &base[..], &["-t", "ret/#", "-R", "-W", "1"]].concat()),
        b"",
    );
    assert_eq!(
        (text(&out.stdout).as_str(), out.status.code()),
        ("", Some(27))
    );
    assert_eq!(text(&out.stderr), "Timed out\n");
    // --retained-only exits at the first live message; --remove-retained clears what it saw.
    let sub = Subscriber::spawn(roost(
        &[
            &["sub"],
            &base[..],
            &[
                "-t",
                "ret/#",
                "-v",
                "--retained-only",
                "--remove-retained",
                "-W",
                "10",
            ],
        ]
        .concat(),
    ));
    sub.wait_subscribed();
    let out = run(
        roost(&[&["pub"], &base[..], &["-t", "ret/live", "-m", "L"]].concat()),
        b"",
    );
    assert!(out.status.success());
    let (mut lines, status, _) = sub.finish();
    lines.sort();
    assert_eq!(lines, ["ret/a A", "ret/b B"]);
    assert!(status.success());
    let out = run(
        roost(&[&["sub"], &base[..], &["-t", "ret/#", "-W", "1"]].concat()),
        b"",
    );
    assert_eq!(
        (text(&out.stdout).as_str(), out.status.code()),
        ("", Some(27)),
        "retained messages were removed"
    );
}

#[test]
fn exit_after_subscribe_and_timeout_codes() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let p = port(&broker);
    let out = run(
        roost(&["sub", "-h", "127.0.0.1", "-p", &p, "-t", "x", "-E"]),
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let started = Instant::now();
    let out = run(
        roost(&["sub", "-h", "127.0.0.1", "-p", &p, "-t", "x", "-W", "1"]),
        b"",
    );
    assert_eq!(out.status.code(), Some(27));
    assert_eq!(text(&out.stderr), "Timed out\n");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn refused_connections_exit_like_mosquitto_clients() {
    let Some(broker) = Mosquitto::start_with("allow_anonymous false") else {
        return;
    };
    if !have_mosquitto_clients() {
        return;
    }
    let p = port(&broker);
    let cases: [(&str, &[&str]); 4] = [
        ("pub", &["-t", "x", "-m", "1"]),
        ("pub", &["-t", "x", "-m", "1", "-V", "5"]),
        ("sub", &["-t", "x"]),
        ("sub", &["-t", "x", "-V", "mqttv5"]),
    ];
    for (command, args) in cases {
        let common = ["-h", "127.0.0.1", "-p", &p];
        let ours = run(roost(&[&[command], &common[..], args].concat()), b"");
        let program = format!("mosquitto_{command}");
        let theirs = run(tool(&program, &[&common[..], args].concat()), b"");
        assert_eq!(
            text(&ours.stderr),
            text(&theirs.stderr),
            "{command} {args:?}"
        );
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "{command} {args:?}"
        );
    }
    let ours = run(
        roost(&["pub", "-h", "127.0.0.1", "-p", &p, "-t", "x", "-m", "1"]),
        b"",
    );
    assert_eq!(
        text(&ours.stderr),
        "Connection error: Connection Refused: not authorised.\nError: The connection was refused.\n"
    );
    assert_eq!(ours.status.code(), Some(5));
}

#[test]
fn nothing_listening_reads_like_mosquitto() {
    let p = common::free_port().to_string();
    for command in ["pub", "sub"] {
        let out = run(
            roost(
                &[command, "-h", "127.0.0.1", "-p", &p, "-t", "x", "-m", "1"]
                    [..if command == "pub" { 9 } else { 7 }],
            ),
            b"",
        );
        assert_eq!(
            text(&out.stderr),
            "Error: Connection refused\n",
            "{command}"
        );
        assert_eq!(out.status.code(), Some(1));
    }
}

#[test]
fn usage_errors_read_like_mosquitto() {
    if !have_mosquitto_clients() {
        return;
    }
    let cases: [(&str, &[&str]); 7] = [
        ("pub", &["-t", "a", "-m", "x", "-q", "3"]),
        ("pub", &["-t", "a/+", "-m", "x"]),
        ("pub", &["-t", "a", "-m", "x", "--will-payload", "p"]),
        ("pub", &["-t", "a", "-m", "x", "-c"]),
        ("sub", &["-t", "a/#/b"]),
        ("sub", &["-t", "a", "-C", "0"]),
        ("sub", &["-t", "a", "-T", "a/#x"]),
    ];
    for (command, args) in cases {
        let ours = run(roost(&[&[command], args].concat()), b"");
        let theirs = run(tool(&format!("mosquitto_{command}"), args), b"");
        let first = |out: &Output| {
            text(&out.stderr)
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(first(&ours), first(&theirs), "{command} {args:?}");
        assert_eq!(ours.status.code(), Some(1));
        assert_eq!(ours.status.code(), theirs.status.code());
    }
}

#[test]
fn will_is_published_when_roost_sub_is_killed_not_when_it_times_out() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let p = port(&broker);
    let watcher = Subscriber::spawn(roost(&[
        "sub",
        "-h",
        "127.0.0.1",
        "-p",
        &p,
        "-t",
        "will/#",
        "-v",
        "-C",
        "1",
        "-W",
        "10",
    ]));
    watcher.wait_subscribed();
    // Running out of -W in MQTT 3.1.1 is a clean exit: DISCONNECT, so no will.
    let polite = run(
        roost(&[
            "sub",
            "-h",
            "127.0.0.1",
            "-p",
            &p,
            "-t",
            "nothing",
            "-W",
            "1",
            "--will-topic",
            "will/polite",
            "--will-payload",
            "not sent",
        ]),
        b"",
    );
    assert_eq!(polite.status.code(), Some(27));
    let doomed = Subscriber::spawn(roost(&[
        "sub",
        "-h",
        "127.0.0.1",
        "-p",
        &p,
        "-t",
        "nothing",
        "-V",
        "5",
        "--will-topic",
        "will/roost",
        "--will-payload",
        "gone",
        "--will-qos",
        "1",
    ]));
    doomed.wait_subscribed();
    drop(doomed); // SIGKILL: no DISCONNECT
    let (lines, status, _) = watcher.finish();
    assert_eq!(lines, ["will/roost gone"]);
    assert!(status.success());
}

#[test]
fn dash_h_is_the_host_and_help_is_long_only() {
    let out = run(roost(&["pub", "--help"]), b"");
    assert!(out.status.success());
    let help = text(&out.stdout);
    assert!(help.contains("-h, --host <HOST>"), "{help}");
    assert!(help.contains("-V, --protocol-version"), "{help}");
    let out = run(roost(&["sub", "--help"]), b"");
    assert!(text(&out.stdout).contains("-W, --timeout"));
    // `-h` takes a value: a bare `-h` is a usage error, not help.
    let out = run(roost(&["sub", "-h"]), b"");
    assert!(!out.status.success());
}
