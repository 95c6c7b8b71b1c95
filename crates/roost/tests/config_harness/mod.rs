//! Harness for the configuration tests: the real `roost broker` with a file written for the
//! test on a free 127.0.0.1 port, its stdout and stderr captured in files, stopped with SIGTERM
//! (or killed when the guard drops).

#![allow(dead_code, unreachable_pub)]

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Longest any child process may run.
pub const LIMIT: Duration = Duration::from_secs(15);

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roost-conf-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The `roost` binary with `args`.
pub fn roost(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_roost"));
    command.args(args);
    command
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let socket = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    socket.local_addr().expect("local addr").port()
}

/// Waits for `child` at most [`LIMIT`], killing it after.
pub fn wait(child: &mut Child) -> ExitStatus {
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

/// A running broker; killed on drop unless stopped.
pub struct Broker {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
    pub conf: PathBuf,
}

/// What a stopped broker left.
pub struct Stopped {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Broker {
    /// Writes `lines` (with `{port}` replaced by a free port) to `DIR/roost.conf`, starts the
    /// broker with `extra` arguments and waits until it accepts connections.
    pub fn start(name: &str, lines: &str, extra: &[&str]) -> Broker {
        Broker::start_with_files(name, lines, extra, &[])
    }

    /// Like [`Broker::start`], with `files` (name, content) written to the directory first.
    pub fn start_with_files(
        name: &str,
        lines: &str,
        extra: &[&str],
        files: &[(&str, &str)],
    ) -> Broker {
        let mut broker = Broker::spawn_with_files(name, lines, extra, files);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", broker.port)).is_err() {
            if let Some(status) = broker.child.try_wait().expect("try_wait") {
                panic!(
                    "the broker exited ({status}) before listening: {}",
                    broker.read("stderr")
                );
            }
            assert!(
                Instant::now() < deadline,
                "the broker did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        broker
    }

    /// Like [`Broker::start`] without waiting: for brokers expected to fail.
    pub fn spawn(name: &str, lines: &str, extra: &[&str]) -> Broker {
        Broker::spawn_with_files(name, lines, extra, &[])
    }

    fn spawn_with_files(name: &str, lines: &str, extra: &[&str], files: &[(&str, &str)]) -> Broker {
        let dir = scratch(name);
        for (file, content) in files {
            std::fs::write(dir.join(file), content).expect("write a test file");
        }
        let port = free_port();
        let conf = dir.join("roost.conf");
        std::fs::write(&conf, lines.replace("{port}", &port.to_string())).expect("write conf");
        let conf_arg = conf.to_string_lossy().into_owned();
        let mut args = vec!["broker", "-c", conf_arg.as_str()];
        args.extend_from_slice(extra);
        let child = roost(&args)
            .current_dir(&dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .stdin(Stdio::null())
            .stdout(File::create(dir.join("stdout")).expect("stdout file"))
            .stderr(File::create(dir.join("stderr")).expect("stderr file"))
            .spawn()
            .expect("start roost broker");
        Broker {
            child,
            port,
            dir,
            conf,
        }
    }

    /// The broker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the broker wrote so far to `stdout` or `stderr`.
    pub fn read(&self, which: &str) -> String {
        std::fs::read_to_string(self.dir.join(which)).unwrap_or_default()
    }

    /// Waits for the broker to exit on its own.
    pub fn wait(mut self) -> Stopped {
        let status = wait(&mut self.child);
        self.stopped(status)
    }

    /// Sends SIGTERM and waits for the broker to exit.
    pub fn stop(mut self) -> Stopped {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(sent.success());
        let status = wait(&mut self.child);
        self.stopped(status)
    }

    fn stopped(&self, status: ExitStatus) -> Stopped {
        Stopped {
            status,
            stdout: self.read("stdout"),
            stderr: self.read("stderr"),
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Connects and disconnects one client with `roost pub`, so the broker logs a few lines.
pub fn touch(port: u16) {
    let mut child = roost(&["pub", "-p", &port.to_string(), "-t", "touch", "-m", "x"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("roost pub");
    assert!(wait(&mut child).success(), "roost pub failed");
}
