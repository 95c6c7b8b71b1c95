//! A `roost broker` with two listeners on free 127.0.0.1 ports, MQTT over TCP and MQTT over
//! WebSocket (`protocol websockets`), for the tests of the client's WebSocket transport (Debian's
//! Mosquitto has no WebSocket support). Killed when dropped.

#![allow(dead_code, unreachable_pub)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `roost broker`.
pub struct RoostWsBroker {
    child: Child,
    conf: PathBuf,
    /// The MQTT over TCP listener.
    pub tcp_port: u16,
    /// The MQTT over WebSocket listener.
    pub ws_port: u16,
}

/// Two distinct ports that were free a moment ago.
fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").expect("bind");
    let b = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = |l: &TcpListener| l.local_addr().expect("addr").port();
    (port(&a), port(&b))
}

impl RoostWsBroker {
    /// Starts the broker built for these tests and waits until both listeners accept.
    pub fn start() -> RoostWsBroker {
        let (tcp_port, ws_port) = free_ports();
        let conf = std::env::temp_dir().join(format!(
            "roost-ws-broker-{}-{ws_port}.conf",
            std::process::id()
        ));
        std::fs::write(
            &conf,
            format!(
                "listener {tcp_port} 127.0.0.1\n\
                 listener {ws_port} 127.0.0.1\nprotocol websockets\n\
                 allow_anonymous true\n"
            ),
        )
        .expect("write config");
        let child = Command::new(env!("CARGO_BIN_EXE_roost"))
            .arg("broker")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("ROOST_TEST_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("spawn roost broker");
        let broker = RoostWsBroker {
            child,
            conf,
            tcp_port,
            ws_port,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        for port in [tcp_port, ws_port] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "roost broker did not listen on {port}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        broker
    }

    /// The broker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RoostWsBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.conf);
    }
}
