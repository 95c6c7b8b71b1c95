//! `roost pub` / `roost sub` over MQTT over WebSocket (`--ws`, `--ws-path`, `-L ws://`) against
//! `roost broker`'s WebSocket listener, with `mosquitto_pub` / `mosquitto_sub` on its TCP
//! listener at the other end (Debian's Mosquitto has no WebSocket support, so Roost's broker is
//! the one that speaks it here).
//!
//! Retained messages make the order safe without watching the broker's log: whatever was
//! retained before a subscriber subscribes arrives at once. One case also waits for a live
//! message, publishing until the subscriber has it.

mod support;
mod ws_support;

use std::time::{Duration, Instant};

use support::{have_mosquitto_clients, roost, run, text, tool, Running};
use ws_support::RoostWsBroker;

/// Publishes `payload` retained on `topic` with mosquitto_pub over TCP.
fn retain(broker: &RoostWsBroker, topic: &str, payload: &str) {
    let port = broker.tcp_port.to_string();
    let out = run(
        tool(
            "mosquitto_pub",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-t",
                topic,
                "-m",
                payload,
                "-r",
                "-q",
                "1",
            ],
        ),
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn roost_sub_over_websocket_gets_what_mosquitto_pub_sends_over_tcp() {
    if !have_mosquitto_clients() {
        return;
    }
    let broker = RoostWsBroker::start();
    let ws = broker.ws_port.to_string();
    let url = format!("ws://127.0.0.1:{ws}/mqtt");
    let ways: [Vec<&str>; 3] = [
        vec!["-h", "127.0.0.1", "-p", &ws, "--ws"],
        vec!["-L", &url],
        vec!["-h", "127.0.0.1", "-p", &ws, "--ws-path", "/any/path"],
    ];
    for (i, way) in ways.iter().enumerate() {
        let topic = format!("ws/retained/{i}");
        retain(&broker, &topic, &format!("kept {i}"));
        let args = [
            &["sub"][..],
            way,
            &["-t", &topic, "-C", "1", "-W", "10", "-v"],
        ]
        .concat();
        let out = run(roost(&args), b"");
        assert_eq!(out.status.code(), Some(0), "{way:?}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), format!("{topic} kept {i}\n"), "{way:?}");
    }
    // A live message: publish over TCP until the WebSocket subscriber has printed it.
    let sub = Running::spawn(roost(&[
        "sub",
        "-h",
        "127.0.0.1",
        "-p",
        &ws,
        "--ws",
        "-t",
        "ws/live",
        "-C",
        "1",
        "-W",
        "15",
        "-v",
    ]));
    let tcp = broker.tcp_port.to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sub = Some(sub);
    while let Some(running) = sub.as_mut() {
        assert!(
            Instant::now() < deadline,
            "the WebSocket subscriber got nothing"
        );
        let out = run(
            tool(
                "mosquitto_pub",
                &["-h", "127.0.0.1", "-p", &tcp, "-t", "ws/live", "-m", "now"],
            ),
            b"",
        );
        assert!(out.status.success());
        std::thread::sleep(Duration::from_millis(100));
        if !running.is_running() {
            let out = sub.take().expect("present").finish();
            assert_eq!(text(&out.stdout), "ws/live now\n", "{}", text(&out.stderr));
            assert_eq!(out.status.code(), Some(0));
        }
    }
}

#[test]
fn roost_pub_over_websocket_reaches_mosquitto_sub_over_tcp() {
    if !have_mosquitto_clients() {
        return;
    }
    let broker = RoostWsBroker::start();
    let ws = broker.ws_port.to_string();
    let tcp = broker.tcp_port.to_string();
    let url = format!("ws://someone@127.0.0.1:{ws}/mqtt");
    for (topic, way) in [
        ("ws/from/flag", vec!["-h", "127.0.0.1", "-p", &ws, "--ws"]),
        ("ws/from/url", vec!["-L", &url]),
    ] {
        let args = [
            &["pub"][..],
            &way,
            &["-t", topic, "-m", "over ws", "-r", "-q", "1"],
        ]
        .concat();
        let out = run(roost(&args), b"");
        assert!(out.status.success(), "{way:?}: {}", text(&out.stderr));
        let out = run(
            tool(
                "mosquitto_sub",
                &[
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &tcp,
                    "-t",
                    topic,
                    "-C",
                    "1",
                    "-W",
                    "10",
                    "-v",
                ],
            ),
            b"",
        );
        assert_eq!(text(&out.stdout), format!("{topic} over ws\n"), "{way:?}");
    }
}

#[test]
fn websocket_to_a_plain_mqtt_listener_fails_naming_the_url() {
    let broker = RoostWsBroker::start();
    let tcp = broker.tcp_port.to_string();
    let out = run(
        roost(&[
            "pub",
            "-h",
            "127.0.0.1",
            "-p",
            &tcp,
            "--ws",
            "-t",
            "x",
            "-m",
            "m",
        ]),
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "Error: WebSocket handshake with ws://127.0.0.1:{tcp}/mqtt failed: "
        )),
        "{stderr}"
    );
}
