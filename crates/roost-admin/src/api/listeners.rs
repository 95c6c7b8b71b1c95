//! `GET /api/v5/listeners`: the broker's MQTT listeners as EMQX lists them.

use axum::extract::State;
use axum::Json;
use roost_broker::config::{Config, ListenerProtocol, DEFAULT_WEBSOCKET_PATH};
use serde_json::{json, Value};

use crate::state::Shared;

fn kind(protocol: ListenerProtocol) -> &'static str {
    match protocol {
        ListenerProtocol::Mqtt => "tcp",
        ListenerProtocol::WebSockets => "ws",
    }
}

/// The id of each listener in the configuration, as EMQX names them: the first of each type is
/// `TYPE:default`, later ones `TYPE:listenerN` (N its position among all listeners, from 1).
pub(crate) fn listener_ids(config: &Config) -> Vec<String> {
    let mut seen = Vec::new();
    config
        .listeners
        .iter()
        .enumerate()
        .map(|(index, l)| {
            let kind = kind(l.protocol);
            if seen.contains(&kind) {
                format!("{kind}:listener{}", index + 1)
            } else {
                seen.push(kind);
                format!("{kind}:default")
            }
        })
        .collect()
}

pub(crate) async fn list(State(state): State<Shared>) -> Json<Value> {
    let config = state.broker.config();
    let ids = listener_ids(&config);
    let counts = state.broker.connections_per_listener();
    let listeners: Vec<Value> = config
        .listeners
        .iter()
        .zip(ids)
        .enumerate()
        .map(|(index, (l, id))| {
            let mut one = json!({
                "id": id,
                "type": kind(l.protocol),
                "bind": l.addr.to_string(),
                "running": state.broker.is_listening(index),
                "current_connections": counts.get(index).copied().unwrap_or(0),
                "max_connections": l.max_connections.map_or(json!("infinity"), |n| json!(n)),
            });
            if l.protocol == ListenerProtocol::WebSockets {
                one["path"] = json!(DEFAULT_WEBSOCKET_PATH);
            }
            one
        })
        .collect();
    Json(Value::Array(listeners))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_the_first_of_each_type_default() {
        let config = Config::default();
        assert_eq!(listener_ids(&config), ["tcp:default", "ws:default"]);
    }
}
