//! The client's TLS and secure WebSocket transports against `roost broker`'s own TLS listeners
//! (`cafile`/`certfile`/`keyfile` on a listener, with and without `protocol websockets`), with
//! `mosquitto_pub` / `mosquitto_sub` on its plain TCP listener at the other end: `roost sub
//! --cafile`, `-L wss://`, `roost pub --ws --cafile`, and `roost bench` over both.

mod support;
mod ws_support;

#[path = "../../roost-client/tests/certs/mod.rs"]
mod certs;

use certs::Certs;
use support::{have_mosquitto_clients, roost, run, text, tool};
use ws_support::RoostWsBroker;

fn broker(certs: &Certs) -> (RoostWsBroker, String, String) {
    let broker = RoostWsBroker::start_with_tls(&certs.ca, &certs.server_cert, &certs.server_key);
    let (tls, wss) = broker.tls_ports.expect("TLS listeners");
    (broker, tls.to_string(), wss.to_string())
}

/// Publishes `payload` retained on `topic` with mosquitto_pub over TCP.
fn retain(broker: &RoostWsBroker, topic: &str, payload: &str) {
    let port = broker.tcp_port.to_string();
    let args = [
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
    ];
    let out = run(tool("mosquitto_pub", &args), b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn roost_sub_over_tls_and_secure_websocket_gets_what_mosquitto_pub_sends() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(certs) = Certs::make("roost-tls") else {
        return;
    };
    let (broker, tls, wss) = broker(&certs);
    let ca = Certs::arg(&certs.ca);
    let url = format!("wss://localhost:{wss}/mqtt");
    let ways: [Vec<&str>; 3] = [
        vec!["-h", "127.0.0.1", "-p", &tls, "--cafile", ca],
        vec!["-L", &url, "--cafile", ca],
        vec!["-h", "localhost", "-p", &wss, "--ws", "--cafile", ca],
    ];
    for (i, way) in ways.iter().enumerate() {
        let topic = format!("secure/{i}");
        retain(&broker, &topic, "sealed");
        let args = [
            &["sub"][..],
            way,
            &["-t", &topic, "-C", "1", "-W", "10", "-v"],
        ]
        .concat();
        let out = run(roost(&args), b"");
        assert_eq!(out.status.code(), Some(0), "{way:?}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), format!("{topic} sealed\n"), "{way:?}");
    }
}

#[test]
fn roost_pub_over_secure_websocket_reaches_mosquitto_sub_and_the_wrong_ca_is_refused() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(certs) = Certs::make("roost-wss") else {
        return;
    };
    let (broker, _tls, wss) = broker(&certs);
    let tcp = broker.tcp_port.to_string();
    let ca = Certs::arg(&certs.ca);
    let args = ["pub", "-h", "127.0.0.1", "-p", &wss, "--ws", "--cafile", ca];
    let out = run(
        roost(&[&args[..], &["-t", "wss/x", "-m", "m", "-r", "-q", "1"]].concat()),
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        tool(
            "mosquitto_sub",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &tcp,
                "-t",
                "wss/x",
                "-C",
                "1",
                "-W",
                "10",
                "-v",
            ],
        ),
        b"",
    );
    assert_eq!(text(&out.stdout), "wss/x m\n");
    let other = Certs::arg(&certs.other_ca);
    let wrong = [
        "pub",
        "-h",
        "127.0.0.1",
        "-p",
        &wss,
        "--ws",
        "--cafile",
        other,
        "-t",
        "x",
        "-m",
        "m",
    ];
    let out = run(roost(&wrong), b"");
    assert_eq!(out.status.code(), Some(8));
    assert_eq!(
        text(&out.stderr),
        format!(
            "Error: TLS handshake with 127.0.0.1:{wss} failed: invalid peer certificate: \
             UnknownIssuer\n"
        )
    );
}

#[test]
fn roost_bench_over_tls_and_secure_websocket_loses_nothing() {
    let Some(certs) = Certs::make("roost-bench") else {
        return;
    };
    let (_broker, tls, wss) = broker(&certs);
    let ca = Certs::arg(&certs.ca);
    for (port, extra, transport) in [(&tls, None, "tls"), (&wss, Some("--ws"), "wss")] {
        let mut args = vec![
            "bench", "pairs", "-c", "2", "-n", "100", "-q", "1", "-p", port,
        ];
        args.extend(["--cafile", ca, "--json"]);
        args.extend(extra);
        let out = run(roost(&args), b"");
        assert!(out.status.success(), "{transport}: {}", text(&out.stderr));
        let json = text(&out.stdout);
        for expected in [
            format!("\"transport\":\"{transport}\""),
            "\"expected\":200,".into(),
            "\"received\":200,".into(),
            "\"loss\":0,".into(),
        ] {
            assert!(
                json.contains(&expected),
                "{transport}: {expected} in {json}"
            );
        }
    }
}
