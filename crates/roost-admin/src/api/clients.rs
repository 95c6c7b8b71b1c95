//! `/api/v5/clients`: every session with EMQX's filters and paging, one client, kicking a
//! client out, and a client's subscriptions.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use roost_broker::ClientSnapshot;
use serde::Deserialize;
use serde_json::{json, Value};

use super::listeners::listener_ids;
use super::subscriptions::subscription_json;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryArgs;
use crate::paging::Paging;
use crate::state::{Shared, NODE};
use crate::time::rfc3339;

/// The filters of `GET /api/v5/clients`.
#[derive(Debug, Deserialize)]
pub(crate) struct ClientQuery {
    page: Option<u64>,
    limit: Option<u64>,
    clientid: Option<String>,
    username: Option<String>,
    like_clientid: Option<String>,
    like_username: Option<String>,
    ip_address: Option<String>,
    conn_state: Option<String>,
    proto_ver: Option<u8>,
}

impl ClientQuery {
    fn matches(&self, c: &ClientSnapshot) -> bool {
        let user = c.username.as_deref();
        let ip = c.peer.map(|p| p.ip().to_string());
        self.clientid.as_ref().is_none_or(|id| *id == c.client_id)
            && self.username.as_deref().is_none_or(|u| user == Some(u))
            && self
                .like_clientid
                .as_ref()
                .is_none_or(|part| c.client_id.contains(part.as_str()))
            && self
                .like_username
                .as_deref()
                .is_none_or(|part| user.is_some_and(|u| u.contains(part)))
            && self
                .ip_address
                .as_ref()
                .is_none_or(|want| ip.as_ref() == Some(want))
            && self.conn_state.as_deref().is_none_or(|state| match state {
                "connected" => c.connected,
                _ => !c.connected,
            })
            && self.proto_ver.is_none_or(|v| c.protocol_level == Some(v))
    }

    fn check(&self) -> ApiResult<()> {
        match self.conn_state.as_deref() {
            None | Some("connected" | "disconnected") => Ok(()),
            Some(other) => Err(ApiError::bad_request(format!(
                "conn_state must be 'connected' or 'disconnected', not '{other}'"
            ))),
        }
    }
}

/// A client as EMQX describes one.
pub(crate) fn client_json(c: &ClientSnapshot, ids: &[String]) -> Value {
    json!({
        "clientid": c.client_id,
        "username": c.username,
        "ip_address": c.peer.map(|p| p.ip().to_string()),
        "port": c.peer.map(|p| p.port()),
        "connected": c.connected,
        "connected_at": c.connected_at.map(rfc3339),
        "disconnected_at": c.disconnected_at.filter(|_| !c.connected).map(rfc3339),
        "created_at": rfc3339(c.created_at),
        "proto_name": "MQTT",
        "proto_ver": c.protocol_level,
        "keepalive": c.keep_alive,
        "clean_start": c.clean_start,
        "expiry_interval": c.expiry_interval,
        "subscriptions_cnt": c.subscriptions,
        "mqueue_len": c.queued,
        "inflight_cnt": c.inflight,
        "recv_msg": c.received,
        "send_msg": c.sent,
        "node": NODE,
        "listener": c.listener.and_then(|i| ids.get(i)),
    })
}

pub(crate) async fn list(
    State(state): State<Shared>,
    QueryArgs(q): QueryArgs<ClientQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging::new(q.page, q.limit)?;
    q.check()?;
    let ids = listener_ids(&state.broker.config());
    let found: Vec<Value> = state
        .broker
        .clients()
        .iter()
        .filter(|c| q.matches(c))
        .map(|c| client_json(c, &ids))
        .collect();
    Ok(Json(paging.answer(&found)))
}

pub(crate) async fn one(
    State(state): State<Shared>,
    Path(client_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let client = state
        .broker
        .client(&client_id)
        .ok_or_else(ApiError::client_not_found)?;
    let ids = listener_ids(&state.broker.config());
    Ok(Json(client_json(&client, &ids)))
}

pub(crate) async fn kick(
    State(state): State<Shared>,
    Path(client_id): Path<String>,
) -> ApiResult<StatusCode> {
    if !state.broker.discard_client(&client_id) {
        return Err(ApiError::client_not_found());
    }
    tracing::info!("Client {client_id} kicked out through the HTTP API.");
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn subscriptions(
    State(state): State<Shared>,
    Path(client_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let subs = state
        .broker
        .subscriptions_of(&client_id)
        .ok_or_else(ApiError::client_not_found)?;
    Ok(Json(Value::Array(
        subs.iter().map(subscription_json).collect(),
    )))
}
