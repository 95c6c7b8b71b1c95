//! `GET /api/v5/prometheus/stats` and `GET /metrics`: the broker's counters in the Prometheus
//! text format (0.0.4): `# HELP` and `# TYPE` before each family, counters named `_total`. The
//! figures are the same `Metrics` `$SYS` and `/api/v5/metrics` read, plus gauges taken from the
//! sessions now and the process's own CPU and memory.

use std::fmt::Write as _;
use std::sync::atomic::AtomicU64;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use roost_broker::Metrics;

use crate::state::Shared;

/// The text exposition, built family by family.
#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str, samples: &[(&str, f64)]) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            if labels.is_empty() {
                let _ = writeln!(self.text, "{name} {value}");
            } else {
                let _ = writeln!(self.text, "{name}{{{labels}}} {value}");
            }
        }
    }

    fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, "gauge", help, &[("", value)]);
    }
}

/// Counters read straight from `Metrics`: name, help, the counter.
type Read = fn(&Metrics) -> &AtomicU64;
const COUNTERS: &[(&str, &str, Read)] = &[
    (
        "roost_connections_total",
        "Connections accepted (CONNACK success) since start.",
        |m| &m.connections_total,
    ),
    (
        "roost_bytes_received_total",
        "Bytes read from client sockets.",
        |m| &m.bytes_received,
    ),
    (
        "roost_bytes_sent_total",
        "Bytes written to client sockets.",
        |m| &m.bytes_sent,
    ),
    (
        "roost_packets_received_total",
        "MQTT packets received, every type.",
        |m| &m.packets_received,
    ),
    (
        "roost_packets_sent_total",
        "MQTT packets sent, every type.",
        |m| &m.packets_sent,
    ),
    (
        "roost_auth_failures_total",
        "Connections refused for bad credentials or authorisation.",
        |m| &m.auth_failures,
    ),
    (
        "roost_protocol_errors_total",
        "Connections closed for protocol errors.",
        |m| &m.protocol_errors,
    ),
];

/// Counters by QoS: name, help, the three counters.
type ReadQos = fn(&Metrics) -> &[AtomicU64; 3];
const BY_QOS: &[(&str, &str, ReadQos)] = &[
    (
        "roost_messages_received_total",
        "PUBLISH packets received from clients, by QoS.",
        |m| &m.publish_received_qos,
    ),
    (
        "roost_messages_sent_total",
        "PUBLISH packets sent to clients, by QoS.",
        |m| &m.publish_sent_qos,
    ),
    (
        "roost_payload_bytes_received_total",
        "Payload bytes of the PUBLISH packets received, by QoS.",
        |m| &m.publish_received_bytes_qos,
    ),
    (
        "roost_payload_bytes_sent_total",
        "Payload bytes of the PUBLISH packets sent, by QoS.",
        |m| &m.publish_sent_bytes_qos,
    ),
];

/// Drops by reason: label, the counter.
const DROPS: &[(&str, Read)] = &[
    ("reason=\"queue_full\"", |m| &m.dropped_queue_full),
    ("reason=\"expired\"", |m| &m.dropped_expired),
    ("reason=\"too_large\"", |m| &m.dropped_too_large),
    ("reason=\"offline_qos0\"", |m| &m.dropped_offline_qos0),
];

fn counters(out: &mut Exposition, m: &Metrics) {
    let get = |c: &AtomicU64| Metrics::get(c) as f64;
    for (name, help, read) in COUNTERS {
        out.family(name, "counter", help, &[("", get(read(m)))]);
    }
    for (name, help, read) in BY_QOS {
        let [q0, q1, q2] = read(m);
        let samples = [
            ("qos=\"0\"", get(q0)),
            ("qos=\"1\"", get(q1)),
            ("qos=\"2\"", get(q2)),
        ];
        out.family(name, "counter", help, &samples);
    }
    let drops: Vec<(&str, f64)> = DROPS
        .iter()
        .map(|(label, read)| (*label, get(read(m))))
        .collect();
    out.family(
        "roost_messages_dropped_total",
        "counter",
        "Messages dropped, by reason.",
        &drops,
    );
}

/// Gauges of the broker now: connections, sessions, subscriptions, retained, queues.
fn gauges(out: &mut Exposition, state: &Shared) {
    let broker = &state.broker;
    let m = &broker.metrics;
    let clients = broker.clients();
    let queued: usize = clients.iter().map(|c| c.queued).sum();
    let inflight: usize = clients.iter().map(|c| c.inflight).sum();
    let deepest = clients.iter().map(|c| c.queued).max().unwrap_or(0);
    let now: [(&str, &str, f64); 12] = [
        (
            "roost_connections",
            "Clients connected now.",
            Metrics::get(&m.clients_connected) as f64,
        ),
        (
            "roost_connections_max",
            "Most clients connected at once since start.",
            Metrics::get(&m.clients_maximum) as f64,
        ),
        (
            "roost_sessions",
            "Sessions, connected or not.",
            broker.session_count() as f64,
        ),
        (
            "roost_subscriptions",
            "Subscriptions of every session.",
            broker.subscription_count() as f64,
        ),
        (
            "roost_topics",
            "Distinct subscribed filters.",
            broker.subscribed_filters().len() as f64,
        ),
        (
            "roost_retained_messages",
            "Retained messages stored.",
            broker.retained_count() as f64,
        ),
        (
            "roost_clients_parked",
            "Idle connections parked: waiting without a task of their own.",
            broker.parked_count() as f64,
        ),
        (
            "roost_store_bytes",
            "Bytes the message store takes on disk (0 with persistence false).",
            broker.store().map_or(0, |s| s.size()) as f64,
        ),
        (
            "roost_inflight_messages",
            "QoS 1/2 messages sent and not yet acknowledged, every session.",
            inflight as f64,
        ),
        (
            "roost_queued_messages",
            "Messages queued for sessions and not yet sent.",
            queued as f64,
        ),
        (
            "roost_queue_depth_max",
            "The longest session queue now.",
            deepest as f64,
        ),
        (
            "roost_uptime_seconds",
            "Seconds since the broker started.",
            broker.uptime().as_secs_f64(),
        ),
    ];
    for (name, help, value) in now {
        out.gauge(name, help, value);
    }
}

/// The process's CPU, memory and file descriptors, where the system tells them.
fn process(out: &mut Exposition) {
    if let Some(cpu) = crate::process::cpu_seconds() {
        out.family(
            "process_cpu_seconds_total",
            "counter",
            "User and system CPU time of the process.",
            &[("", cpu)],
        );
    }
    if let Some(rss) = crate::process::resident_memory() {
        out.gauge(
            "process_resident_memory_bytes",
            "Resident memory of the process.",
            rss as f64,
        );
    }
    if let Some(fds) = crate::process::open_fds() {
        out.gauge(
            "process_open_fds",
            "Open file descriptors of the process.",
            fds as f64,
        );
    }
}

/// Every family, as text.
pub(crate) fn exposition(state: &Shared) -> String {
    let mut out = Exposition::default();
    gauges(&mut out, state);
    counters(&mut out, &state.broker.metrics);
    process(&mut out);
    out.text
}

pub(crate) async fn stats(State(state): State<Shared>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        exposition(&state),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn every_sample_has_help_and_type_and_counters_end_in_total() {
        let text = exposition(&crate::state::test_state());
        let mut kinds: HashMap<&str, &str> = HashMap::new();
        let mut helped = Vec::new();
        let mut samples = 0;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                helped.push(rest.split(' ').next().unwrap_or_default());
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let mut words = rest.split(' ');
                let name = words.next().unwrap_or_default();
                let kind = words.next().unwrap_or_default();
                assert!(helped.contains(&name), "TYPE before HELP: {line}");
                assert!(kind == "counter" || kind == "gauge", "{line}");
                if kind == "counter" {
                    assert!(name.ends_with("_total"), "counter without _total: {name}");
                }
                kinds.insert(name, kind);
            } else {
                let name = line.split(['{', ' ']).next().unwrap_or_default();
                assert!(kinds.contains_key(name), "sample before its TYPE: {line}");
                let value = line.rsplit(' ').next().unwrap_or_default();
                assert!(value.parse::<f64>().is_ok(), "{line}");
                samples += 1;
            }
        }
        assert!(samples > 20, "{text}");
        assert!(text.contains("roost_messages_received_total{qos=\"1\"} 0"));
    }
}
