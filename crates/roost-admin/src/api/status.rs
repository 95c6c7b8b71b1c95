//! `/status`, `/api/v5/stats`, `/api/v5/metrics` and `/api/v5/nodes`: the broker's counters
//! (the same `Metrics` `$SYS` publishes) in EMQX's names.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use roost_broker::Metrics;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::extract::QueryArgs;
use crate::state::{Shared, NODE};

pub(crate) async fn status(State(state): State<Shared>) -> Response {
    let (code, running) = if state.stopping.load(Ordering::Relaxed) {
        (StatusCode::SERVICE_UNAVAILABLE, "roost is stopping")
    } else {
        (StatusCode::OK, "roost is running")
    };
    let body = format!("Node {NODE} is started\n{running}");
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct Aggregate {
    #[serde(default)]
    aggregate: bool,
}

/// One node's object, alone with `?aggregate=true`, else in a one-element list with its node.
fn per_node(mut fields: Map<String, Value>, aggregate: bool) -> Json<Value> {
    if aggregate {
        Json(Value::Object(fields))
    } else {
        fields.insert("node".into(), NODE.into());
        Json(Value::Array(vec![Value::Object(fields)]))
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

pub(crate) async fn stats(
    State(state): State<Shared>,
    QueryArgs(q): QueryArgs<Aggregate>,
) -> Json<Value> {
    let broker = &state.broker;
    let m = &broker.metrics;
    let sessions = broker.session_count();
    let fields = json!({
        "connections.count": sessions,
        "live_connections.count": Metrics::get(&m.clients_connected),
        "parked_connections.count": broker.parked_count(),
        "connections.max": Metrics::get(&m.clients_maximum),
        "sessions.count": sessions,
        "subscriptions.count": broker.subscription_count(),
        "topics.count": broker.subscribed_filters().len(),
        "retained.count": broker.retained_count(),
        "store.bytes": broker.store().map(|s| s.size()),
    });
    per_node(object(fields), q.aggregate)
}

/// Messages dropped, every reason together.
pub(crate) fn dropped(m: &Metrics) -> u64 {
    Metrics::get(&m.dropped_queue_full)
        + Metrics::get(&m.dropped_expired)
        + Metrics::get(&m.dropped_too_large)
        + Metrics::get(&m.dropped_offline_qos0)
}

pub(crate) async fn metrics(
    State(state): State<Shared>,
    QueryArgs(q): QueryArgs<Aggregate>,
) -> Json<Value> {
    let m = &state.broker.metrics;
    let total = Metrics::get(&m.connections_total);
    let connected = Metrics::get(&m.clients_connected);
    let fields = json!({
        "messages.received": Metrics::get(&m.messages_received),
        "messages.sent": Metrics::get(&m.messages_sent),
        "messages.dropped": dropped(m),
        "messages.qos0.received": Metrics::get(&m.publish_received_qos[0]),
        "messages.qos1.received": Metrics::get(&m.publish_received_qos[1]),
        "messages.qos2.received": Metrics::get(&m.publish_received_qos[2]),
        "messages.qos0.sent": Metrics::get(&m.publish_sent_qos[0]),
        "messages.qos1.sent": Metrics::get(&m.publish_sent_qos[1]),
        "messages.qos2.sent": Metrics::get(&m.publish_sent_qos[2]),
        "bytes.received": Metrics::get(&m.bytes_received),
        "bytes.sent": Metrics::get(&m.bytes_sent),
        "packets.received": Metrics::get(&m.packets_received),
        "packets.sent": Metrics::get(&m.packets_sent),
        "client.connected": total,
        "client.disconnected": total.saturating_sub(connected),
        "client.auth.failure": Metrics::get(&m.auth_failures),
    });
    per_node(object(fields), q.aggregate)
}

pub(crate) async fn nodes(State(state): State<Shared>) -> Json<Value> {
    let broker = &state.broker;
    let load = crate::process::load_averages();
    Json(json!([{
        "node": NODE,
        "node_status": "running",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime": broker.uptime().as_millis() as u64,
        "connections": broker.session_count(),
        "live_connections": Metrics::get(&broker.metrics.clients_connected),
        "process_used_memory": crate::process::resident_memory(),
        "load1": load.map(|l| l[0]),
        "load5": load.map(|l| l[1]),
        "load15": load.map(|l| l[2]),
        "otp_release": null,
    }]))
}
