//! Test harness: a real Mosquitto broker on a free 127.0.0.1 port, stopped when the guard drops.
//!
//! Tests call [`Mosquitto::start`] and skip (returning early with a message) when
//! `/usr/sbin/mosquitto` is not installed. Set `ROOST_MQ_LOG=1` to see the broker's log.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian and Ubuntu install the broker.
pub const MOSQUITTO: &str = "/usr/sbin/mosquitto";

/// A running Mosquitto; killed on drop.
pub struct Mosquitto {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl Mosquitto {
    /// Starts Mosquitto with `extra` configuration lines, or `None` if it is not installed.
    pub fn start_with(extra: &str) -> Option<Mosquitto> {
        if !std::path::Path::new(MOSQUITTO).exists() {
            eprintln!("SKIPPED: {MOSQUITTO} is not installed (apt-get install mosquitto)");
            return None;
        }
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("roost-client-mq-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let conf = dir.join("mosquitto.conf");
        let mut file = std::fs::File::create(&conf).expect("config file");
        writeln!(file, "listener {port} 127.0.0.1\n{extra}").expect("write config");
        if !extra.contains("allow_anonymous") {
            writeln!(file, "allow_anonymous true").expect("write config");
        }
        drop(file);
        let child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("ROOST_MQ_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("start mosquitto");
        let broker = Mosquitto { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(broker)
    }

    /// Starts Mosquitto allowing anonymous clients.
    pub fn start() -> Option<Mosquitto> {
        Mosquitto::start_with("")
    }

    /// A directory for files the test needs next to the broker's (password files ...).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
