//! `/api/v5/mqtt/retainer/...`: the retained messages (filtered by `?topic=FILTER`, `#` by
//! default, so `$SYS` only when asked), one by topic (percent-encoded, or with its slashes as
//! they are), and deleting one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use roost_broker::RetainedSnapshot;
use serde::Deserialize;
use serde_json::{json, Value};

use super::subscriptions::filter_matches;
use crate::error::{ApiError, ApiResult};
use crate::extract::QueryArgs;
use crate::paging::Paging;
use crate::state::Shared;
use crate::time::rfc3339;

fn summary(r: &RetainedSnapshot) -> Value {
    let m = &r.message;
    json!({
        "topic": &*m.topic,
        "qos": m.qos as u8,
        "from_clientid": m.origin.as_deref(),
        "from_username": m.origin_username.as_deref(),
        "publish_at": rfc3339(r.stored_at),
        "payload_size": m.payload.len(),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct RetainedQuery {
    page: Option<u64>,
    limit: Option<u64>,
    /// A topic filter; `#` by default, which (as in MQTT) leaves out `$SYS/...` and other `$`
    /// topics: the broker's own retained `$SYS` figures are listed only when asked for.
    topic: Option<String>,
}

pub(crate) async fn list(
    State(state): State<Shared>,
    QueryArgs(q): QueryArgs<RetainedQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging::new(q.page, q.limit)?;
    let filter = q.topic.as_deref().unwrap_or("#");
    if !roost_proto::topic::is_valid_topic_filter(filter) {
        return Err(ApiError::bad_request(format!(
            "'{filter}' is not a valid topic filter"
        )));
    }
    let all: Vec<Value> = state
        .broker
        .retained_messages()
        .iter()
        .filter(|r| filter_matches(filter, &r.message.topic))
        .map(summary)
        .collect();
    Ok(Json(paging.answer(&all)))
}

fn no_retained(topic: &str) -> ApiError {
    ApiError::not_found("NOT_FOUND", format!("no retained message on '{topic}'"))
}

pub(crate) async fn one(
    State(state): State<Shared>,
    Path(topic): Path<String>,
) -> ApiResult<Json<Value>> {
    let found = state
        .broker
        .retained_message(&topic)
        .ok_or_else(|| no_retained(&topic))?;
    let mut body = summary(&found);
    body["payload"] = json!(STANDARD.encode(&found.message.payload));
    Ok(Json(body))
}

pub(crate) async fn delete(
    State(state): State<Shared>,
    Path(topic): Path<String>,
) -> ApiResult<StatusCode> {
    if !state.broker.delete_retained(&topic) {
        return Err(no_retained(&topic));
    }
    tracing::info!("Retained message on '{topic}' deleted through the HTTP API.");
    Ok(StatusCode::NO_CONTENT)
}
