//! A `roost broker` with listeners on free 127.0.0.1 ports — MQTT over TCP and MQTT over
//! WebSocket (`protocol websockets`), and with [`RoostWsBroker::start_with_tls`] also MQTT over TLS
//! and over secure WebSocket — for the tests of the client's WebSocket and TLS transports against
//! Roost's own broker (Debian's Mosquitto has no WebSocket support). Killed when dropped.

#![allow(dead_code, unreachable_pub)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
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
    /// The MQTT over TLS and the secure WebSocket listeners, when started with TLS.
    pub tls_ports: Option<(u16, u16)>,
}

/// `N` distinct ports that were free a moment ago (held open together while picked).
fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    std::array::from_fn(|i| listeners[i].local_addr().expect("addr").port())
}

impl RoostWsBroker {
    /// Starts the broker built for these tests and waits until both listeners accept.
    pub fn start() -> RoostWsBroker {
        let [tcp_port, ws_port] = free_ports();
        RoostWsBroker::spawn(tcp_port, ws_port, None, "")
    }

    /// Also listens for MQTT over TLS and over secure WebSocket with `cert` and `key`, trusting
    /// client certificates signed by `ca`.
    pub fn start_with_tls(ca: &Path, cert: &Path, key: &Path) -> RoostWsBroker {
        let [tcp_port, ws_port, tls_port, wss_port] = free_ports();
        let files = format!(
            "cafile {}\ncertfile {}\nkeyfile {}\n",
            ca.display(),
            cert.display(),
            key.display()
        );
        let extra = format!(
            "listener {tls_port} 127.0.0.1\n{files}\
             listener {wss_port} 127.0.0.1\nprotocol websockets\n{files}"
        );
        RoostWsBroker::spawn(tcp_port, ws_port, Some((tls_port, wss_port)), &extra)
    }

    fn spawn(
        tcp_port: u16,
        ws_port: u16,
        tls_ports: Option<(u16, u16)>,
        extra: &str,
    ) -> RoostWsBroker {
        let conf = std::env::temp_dir().join(format!(
            "roost-ws-broker-{}-{ws_port}.conf",
            std::process::id()
        ));
        std::fs::write(
            &conf,
            format!(
                "listener {tcp_port} 127.0.0.1\n\
                 listener {ws_port} 127.0.0.1\nprotocol websockets\n\
                 {extra}allow_anonymous true\n"
            ),
        )
        .expect("write config");
        let child = Command::new(env!("CARGO_BIN_EXE_roost"))
            .arg("broker")
            .arg("-c")
            .arg(&conf)
            // Its own store, beside its configuration.
            .env("XDG_DATA_HOME", conf.with_extension("data"))
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
            tls_ports,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let tls = tls_ports.map_or(Vec::new(), |(a, b)| vec![a, b]);
        for port in [tcp_port, ws_port].into_iter().chain(tls) {
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
