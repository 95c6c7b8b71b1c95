//! `GET /api/v5/listeners`: the broker's MQTT listeners as EMQX lists them.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::state::Shared;

/// The id of the listener at `index` in the configuration: `tcp:default` for the first.
pub(crate) fn listener_id(index: usize) -> String {
    match index {
        0 => "tcp:default".to_string(),
        n => format!("tcp:listener{n}"),
    }
}

pub(crate) async fn list(State(state): State<Shared>) -> Json<Value> {
    let config = state.broker.config();
    let counts = state.broker.connections_per_listener();
    let listeners: Vec<Value> = config
        .listeners
        .iter()
        .enumerate()
        .map(|(index, l)| {
            json!({
                "id": listener_id(index),
                "type": "tcp",
                "bind": l.addr.to_string(),
                "running": true,
                "current_connections": counts.get(index).copied().unwrap_or(0),
                "max_connections": l.max_connections.map_or(json!("infinity"), |n| json!(n)),
            })
        })
        .collect();
    Json(Value::Array(listeners))
}
