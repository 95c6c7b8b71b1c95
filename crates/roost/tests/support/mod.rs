//! What the CLI comparison tests share: running `roost` and Mosquitto's tools as child processes
//! under a time limit, and a Mosquitto broker whose log shows when a client has subscribed.
//!
//! Every child is killed when it runs past [`LIMIT`]; tests skip with a message when Mosquitto's
//! broker or clients are not installed.

#![allow(dead_code, unreachable_pub, unused_imports)]

#[path = "../../../roost-client/tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

pub use common::{free_port, Mosquitto, MOSQUITTO};

/// The longest any child process may run.
pub const LIMIT: Duration = Duration::from_secs(20);

/// True if `mosquitto_pub` and `mosquitto_sub` are installed; says so when they are not.
pub fn have_mosquitto_clients() -> bool {
    let found = ["/usr/bin/mosquitto_sub", "/usr/bin/mosquitto_pub"]
        .iter()
        .all(|path| std::path::Path::new(path).exists());
    if !found {
        eprintln!("SKIPPED: mosquitto_pub or mosquitto_sub is not installed (apt-get install mosquitto-clients)");
    }
    found
}

/// The `roost` binary under test with `args`, its data directory (the message store, the
/// dashboard's logins) its own, so that brokers of parallel tests do not share a store.
pub fn roost(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_roost"));
    command.args(args).env("XDG_DATA_HOME", own_data_dir());
    command
}

/// A fresh directory for one process's data, under the system's temporary directory.
pub fn own_data_dir() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("roost-test-data-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// One of Mosquitto's tools with `args`.
pub fn tool(program: &str, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command.args(args);
    command
}

/// Waits for `child` at most [`LIMIT`], killing it after.
pub fn wait(mut child: Child) -> ExitStatus {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("a child process ran past {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A child whose stdout and stderr are collected in the background.
pub struct Running {
    child: Option<Child>,
    stdout: Option<std::thread::JoinHandle<Vec<u8>>>,
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
}

impl Running {
    /// Starts `command` with stdin closed.
    pub fn spawn(mut command: Command) -> Running {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        Running {
            stdout: child.stdout.take().map(collect),
            stderr: child.stderr.take().map(collect),
            child: Some(child),
        }
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// True while the child has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// Waits for the child (within [`LIMIT`]) and returns what it printed.
    pub fn finish(mut self) -> Output {
        let status = wait(self.child.take().expect("child"));
        let join = |h: Option<std::thread::JoinHandle<Vec<u8>>>| {
            h.map(|h| h.join().expect("reader")).unwrap_or_default()
        };
        Output {
            status,
            stdout: join(self.stdout.take()),
            stderr: join(self.stderr.take()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `command` to completion with `stdin`, within [`LIMIT`].
pub fn run(mut command: Command, stdin: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("write stdin");
    drop(input);
    let running = Running {
        stdout: child.stdout.take().map(collect),
        stderr: child.stderr.take().map(collect),
        child: Some(child),
    };
    running.finish()
}

/// Reads a pipe to its end on a thread of its own.
fn collect<R: Read + Send + 'static>(mut pipe: R) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// Text of captured output, invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A Mosquitto broker that logs to a file, so a test can wait until a client id has subscribed.
pub struct LoggingBroker {
    pub broker: Mosquitto,
    log: PathBuf,
}

impl LoggingBroker {
    /// Starts Mosquitto with `extra` configuration; `None` (after a message) if not installed.
    pub fn start(extra: &str) -> Option<LoggingBroker> {
        let log = std::env::temp_dir().join(format!(
            "roost-cli-log-{}-{}.log",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_file(&log);
        let config = format!(
            "log_dest file {}\nlog_type all\n{extra}",
            log.to_str().expect("utf8 temp path")
        );
        let broker = Mosquitto::start_with(&config)?;
        Some(LoggingBroker { broker, log })
    }

    /// The broker's port as text.
    pub fn port(&self) -> String {
        self.broker.port.to_string()
    }

    /// Waits until the broker has sent SUBACK to every one of `client_ids`.
    pub fn wait_subscribed(&self, client_ids: &[String]) {
        let deadline = Instant::now() + LIMIT;
        loop {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let missing: Vec<&String> = client_ids
                .iter()
                .filter(|id| !log.contains(&format!("Sending SUBACK to {id}\n")))
                .collect();
            if missing.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no SUBACK to {missing:?} within {LIMIT:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for LoggingBroker {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.log);
    }
}
