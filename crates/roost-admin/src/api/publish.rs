//! `POST /api/v5/publish` and `/api/v5/publish/bulk`: a message from no client, routed as any
//! PUBLISH is (retained included), with a text or base64 payload.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use roost_broker::PublishError;
use roost_proto::QoS;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::Shared;

/// Most messages one bulk request may carry.
const MAX_BULK: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishRequest {
    topic: String,
    #[serde(default)]
    payload: String,
    #[serde(default)]
    qos: u8,
    #[serde(default)]
    retain: bool,
    #[serde(default)]
    encoding: Option<String>,
    /// EMQX's optional fields, accepted and not used.
    #[serde(default)]
    clientid: Option<String>,
    #[serde(default)]
    properties: Option<Value>,
}

fn publish_one(state: &Shared, req: PublishRequest) -> ApiResult<Value> {
    let _ = (&req.clientid, &req.properties);
    let qos = match req.qos {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        2 => QoS::ExactlyOnce,
        n => {
            return Err(ApiError::bad_request(format!(
                "qos must be 0, 1 or 2, not {n}"
            )))
        }
    };
    let payload = match req.encoding.as_deref() {
        None | Some("plain") => Bytes::from(req.payload),
        Some("base64") => STANDARD
            .decode(req.payload.as_bytes())
            .map(Bytes::from)
            .map_err(|e| ApiError::bad_request(format!("payload is not base64: {e}")))?,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "encoding must be 'plain' or 'base64', not '{other}'"
            )))
        }
    };
    let delivered = state
        .broker
        .publish_as_broker(&req.topic, payload, qos, req.retain)
        .map_err(|e| match e {
            PublishError::BadTopic(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "BAD_TOPIC", e.to_string())
            }
            PublishError::RetainNotAvailable => ApiError::bad_request(e.to_string()),
        })?;
    Ok(json!({ "id": message_id()?, "delivered": delivered }))
}

/// A random message id, 32 hex digits, as EMQX gives one.
fn message_id() -> ApiResult<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02X}")).collect())
}

pub(crate) async fn publish(
    State(state): State<Shared>,
    JsonBody(req): JsonBody<PublishRequest>,
) -> ApiResult<Json<Value>> {
    publish_one(&state, req).map(Json)
}

pub(crate) async fn bulk(
    State(state): State<Shared>,
    JsonBody(reqs): JsonBody<Vec<PublishRequest>>,
) -> ApiResult<Json<Value>> {
    if reqs.len() > MAX_BULK {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_BULK} messages per request"
        )));
    }
    let answers = reqs
        .into_iter()
        .map(|req| publish_one(&state, req))
        .collect::<ApiResult<Vec<Value>>>()?;
    Ok(Json(Value::Array(answers)))
}
