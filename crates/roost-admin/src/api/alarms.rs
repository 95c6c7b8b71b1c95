//! `GET /api/v5/alarms` and `GET /api/v5/logs/recent`.
//!
//! Alarms are conditions checked when asked — a listener at its `max_connections`, clients whose
//! messages are being dropped for full queues — each with the
//! time it was first seen active; one that clears is forgotten (no history is kept, so
//! `?activated=false` lists nothing).

use std::time::SystemTime;

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::listeners::listener_ids;
use crate::error::ApiResult;
use crate::extract::QueryArgs;
use crate::paging::Paging;
use crate::state::{Shared, NODE};
use crate::time::rfc3339;

struct Alarm {
    name: &'static str,
    message: String,
    details: Value,
}

fn active_alarms(state: &Shared) -> Vec<Alarm> {
    let mut alarms = Vec::new();
    let config = state.broker.config();
    let counts = state.broker.connections_per_listener();
    let ids = listener_ids(&config);
    let full: Vec<String> = config
        .listeners
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            l.max_connections
                .is_some_and(|max| counts.get(*i).copied().unwrap_or(0) >= max)
        })
        .filter_map(|(i, _)| ids.get(i).cloned())
        .collect();
    if !full.is_empty() {
        alarms.push(Alarm {
            name: "listener_max_connections",
            message: format!("listeners at max_connections: {}", full.join(", ")),
            details: json!({ "listeners": full }),
        });
    }
    let dropping: Vec<String> = state
        .broker
        .clients()
        .into_iter()
        .filter(|c| c.dropping)
        .map(|c| c.client_id)
        .collect();
    if !dropping.is_empty() {
        alarms.push(Alarm {
            name: "messages_dropped",
            message: format!(
                "messages are being dropped for {} clients with full queues",
                dropping.len()
            ),
            details: json!({ "clientids": dropping }),
        });
    }
    alarms
}

#[derive(Debug, Deserialize)]
pub(crate) struct AlarmQuery {
    page: Option<u64>,
    limit: Option<u64>,
    activated: Option<bool>,
}

pub(crate) async fn alarms(
    State(state): State<Shared>,
    QueryArgs(q): QueryArgs<AlarmQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging::new(q.page, q.limit)?;
    let active = active_alarms(&state);
    let now = SystemTime::now();
    let mut seen = state.alarms();
    seen.retain(|name, _| active.iter().any(|a| a.name == *name));
    let listed: Vec<Value> = if q.activated == Some(false) {
        Vec::new()
    } else {
        active
            .into_iter()
            .map(|a| {
                let since = *seen.entry(a.name).or_insert(now);
                json!({
                    "node": NODE,
                    "name": a.name,
                    "message": a.message,
                    "details": a.details,
                    "activate_at": rfc3339(since),
                    "activated": true,
                })
            })
            .collect()
    };
    drop(seen);
    Ok(Json(paging.answer(&listed)))
}

#[derive(Debug, Deserialize)]
pub(crate) struct LogQuery {
    limit: Option<usize>,
}

pub(crate) async fn recent_logs(
    State(state): State<Shared>,
    QueryArgs(q): QueryArgs<LogQuery>,
) -> Json<Value> {
    let lines: Vec<Value> = state
        .log
        .newest(q.limit.unwrap_or(100))
        .into_iter()
        .map(|e| json!({ "time": rfc3339(e.time), "level": e.level, "message": e.message }))
        .collect();
    Json(Value::Array(lines))
}
