//! `roost bench` over TLS and WebSocket: tiny runs that must deliver every message — pairs over
//! TLS against Mosquitto's TLS listener, connections over mutual TLS, pairs and connections
//! over WebSocket against `roost broker`'s WebSocket listener — and report their transport.
//! No timing is asserted, as in `bench_cmd.rs`.

mod support;
mod ws_support;

#[path = "../../roost-client/tests/certs/mod.rs"]
mod certs;

use std::process::Output;

use certs::Certs;
use support::{run, text, Mosquitto};
use ws_support::RoostWsBroker;

/// Runs `roost bench ARGS --json` (within the support module's time limit) and returns its one
/// line of JSON, failing on a non-zero exit.
fn bench(args: &[&str]) -> String {
    let command = support::roost(&[&["bench"][..], args, &["--json"]].concat());
    let output: Output = run(command, b"");
    assert!(
        output.status.success(),
        "roost bench {args:?}: {}",
        text(&output.stderr)
    );
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON line: {stdout}");
    lines[0].to_owned()
}

/// The raw text of `name` in the flat JSON object.
fn field<'a>(json: &'a str, name: &str) -> &'a str {
    let key = format!("\"{name}\":");
    let start = json
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {json}"))
        + key.len();
    let rest = &json[start..];
    &rest[..rest.find([',', '}']).unwrap_or(rest.len())]
}

/// Every expected delivery arrived, none failed.
fn assert_lossless(json: &str, expected: &str, transport: &str) {
    assert_eq!(
        field(json, "transport"),
        format!("\"{transport}\""),
        "{json}"
    );
    assert_eq!(field(json, "expected"), expected, "{json}");
    assert_eq!(field(json, "received"), expected, "{json}");
    assert_eq!(field(json, "loss"), "0", "{json}");
    assert_eq!(field(json, "failed"), "0", "{json}");
}

#[test]
fn pairs_over_tls_against_mosquitto_lose_nothing() {
    let Some(certs) = Certs::make("bench-tls") else {
        return;
    };
    let listener = certs.mosquitto_listener(&certs.server_cert, &certs.server_key, false);
    let Some(broker) = Mosquitto::start_with(&listener) else {
        return;
    };
    let port = broker.port.to_string();
    let ca = Certs::arg(&certs.ca);
    for qos in ["0", "1"] {
        let json = bench(&[
            "pairs", "-c", "2", "-n", "100", "-q", qos, "-p", &port, "--cafile", ca,
        ]);
        assert_lossless(&json, "200", "tls");
    }
}

#[test]
fn connections_over_mutual_tls_are_all_held() {
    let Some(certs) = Certs::make("bench-mtls") else {
        return;
    };
    let listener = certs.mosquitto_listener(&certs.server_cert, &certs.server_key, true);
    let Some(broker) = Mosquitto::start_with(&listener) else {
        return;
    };
    let port = broker.port.to_string();
    let json = bench(&[
        "conn",
        "-c",
        "20",
        "-d",
        "0.2",
        "-p",
        &port,
        "--cafile",
        Certs::arg(&certs.ca),
        "--cert",
        Certs::arg(&certs.client_cert),
        "--key",
        Certs::arg(&certs.client_key),
    ]);
    assert_eq!(field(&json, "transport"), "\"tls\"", "{json}");
    assert_eq!(field(&json, "connections"), "20", "{json}");
    assert_eq!(field(&json, "held"), "20", "{json}");
}

#[test]
fn pairs_and_connections_over_websocket_against_roost_broker() {
    let broker = RoostWsBroker::start();
    let port = broker.ws_port.to_string();
    let json = bench(&[
        "pairs", "-c", "2", "-n", "100", "-q", "1", "-p", &port, "--ws",
    ]);
    assert_lossless(&json, "200", "ws");
    let json = bench(&["conn", "-c", "20", "-d", "0.2", "-p", &port, "--ws"]);
    assert_eq!(field(&json, "held"), "20", "{json}");
}
