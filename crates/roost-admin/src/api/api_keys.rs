//! `/api/v5/api_key`: API keys for scripts, used as HTTP Basic `api_key:api_secret`. The secret
//! is shown once, in the answer that makes the key, and kept only hashed.

use std::time::SystemTime;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::store::{hash, ApiKey};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::Shared;
use crate::time::{parse_rfc3339, rfc3339, unix_seconds};

fn key_json(k: &ApiKey) -> Value {
    let at = |secs: u64| rfc3339(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs));
    json!({
        "name": k.name,
        "api_key": k.api_key,
        "desc": k.desc,
        "enable": k.enable,
        "expired_at": k.expired_at.map(at),
        "created_at": at(k.created_at),
    })
}

fn random_hex(bytes: usize) -> ApiResult<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// `null`, absent or `"infinity"`: never; else an RFC 3339 time.
fn expiry(value: Option<&Value>) -> ApiResult<Option<u64>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s == "infinity" => Ok(None),
        Some(Value::String(s)) => parse_rfc3339(s)
            .map(|t| Some(unix_seconds(t)))
            .map_err(ApiError::bad_request),
        Some(other) => Err(ApiError::bad_request(format!(
            "expired_at must be an RFC 3339 time or null, not {other}"
        ))),
    }
}

fn no_key(name: &str) -> ApiError {
    ApiError::not_found("NOT_FOUND", format!("no API key named '{name}'"))
}

impl From<crate::auth::store::StoreError> for ApiError {
    fn from(e: crate::auth::store::StoreError) -> ApiError {
        ApiError::internal(e.to_string())
    }
}

pub(crate) async fn list(State(state): State<Shared>) -> Json<Value> {
    let store = state.store();
    Json(Value::Array(
        store.api_keys().iter().map(key_json).collect(),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct NewKey {
    name: String,
    #[serde(default)]
    desc: String,
    #[serde(default)]
    expired_at: Option<Value>,
    #[serde(default)]
    enable: Option<bool>,
}

pub(crate) async fn add(
    State(state): State<Shared>,
    JsonBody(body): JsonBody<NewKey>,
) -> ApiResult<Json<Value>> {
    let valid = !body.name.is_empty()
        && body.name.len() <= 64
        && body
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(ApiError::bad_request(
            "name must be 1 to 64 letters, digits, '_' or '-'",
        ));
    }
    let secret = random_hex(24)?;
    let key = ApiKey {
        name: body.name.clone(),
        api_key: random_hex(8)?,
        secret_hash: hash(&secret)?,
        desc: body.desc,
        enable: body.enable.unwrap_or(true),
        expired_at: expiry(body.expired_at.as_ref())?,
        created_at: unix_seconds(SystemTime::now()),
    };
    let mut answer = key_json(&key);
    if !state.store().add_api_key(key)? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "ALREADY_EXISTS",
            format!("an API key named '{}' exists", body.name),
        ));
    }
    answer["api_secret"] = json!(secret);
    Ok(Json(answer))
}

pub(crate) async fn one(
    State(state): State<Shared>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = state.store();
    let key = store
        .api_keys()
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| no_key(&name))?;
    Ok(Json(key_json(key)))
}

#[derive(Debug, Deserialize)]
pub(crate) struct KeyChange {
    #[serde(default)]
    desc: Option<String>,
    #[serde(default)]
    enable: Option<bool>,
    /// Absent: unchanged; `null` or `"infinity"`: never expires.
    #[serde(default, deserialize_with = "present")]
    expired_at: Option<Value>,
}

/// Tells a field given as `null` (Some(Null)) from one not given (None).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

pub(crate) async fn change(
    State(state): State<Shared>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<KeyChange>,
) -> ApiResult<Json<Value>> {
    let expired_at = match &body.expired_at {
        Some(v) => Some(expiry(Some(v))?),
        None => None,
    };
    let mut store = state.store();
    let found = store.edit_api_key(&name, |key| {
        if let Some(desc) = body.desc {
            key.desc = desc;
        }
        if let Some(enable) = body.enable {
            key.enable = enable;
        }
        if let Some(at) = expired_at {
            key.expired_at = at;
        }
    })?;
    if !found {
        return Err(no_key(&name));
    }
    let key = store
        .api_keys()
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| no_key(&name))?;
    Ok(Json(key_json(key)))
}

pub(crate) async fn delete(
    State(state): State<Shared>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    if !state.store().remove_api_key(&name)? {
        return Err(no_key(&name));
    }
    Ok(StatusCode::NO_CONTENT)
}
