//! The MQTT users of the broker's password file, under EMQX's
//! `/api/v5/authentication/password_based:built_in_database/users`: list, add, change a
//! password, delete. The file is written in Mosquitto's format by the code `roost passwd` uses,
//! then the broker reloads it as on SIGHUP, so the change applies to the next CONNECT (and
//! connected clients whose credentials no longer pass are disconnected).

use std::path::PathBuf;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use roost_broker::auth::{check_username, HashKind, PasswordFile, PasswordHash};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryArgs};
use crate::paging::Paging;
use crate::state::Shared;

/// The password file in force: the global `password_file`, else the first listener's.
fn password_file(state: &Shared) -> ApiResult<PathBuf> {
    let config = state.broker.config();
    config
        .security
        .password_file
        .clone()
        .or_else(|| {
            config
                .listeners
                .iter()
                .find_map(|l| l.security.as_ref()?.password_file.clone())
        })
        .ok_or_else(|| {
            ApiError::bad_request("no password_file is configured: add 'password_file PATH'")
                .with_code("NO_PASSWORD_FILE")
        })
}

fn load(path: &std::path::Path) -> ApiResult<PasswordFile> {
    match PasswordFile::load(path) {
        Ok(file) => Ok(file),
        Err(_) if !path.exists() => Ok(PasswordFile::new()),
        Err(e) => Err(ApiError::internal(e.to_string())),
    }
}

/// Edits the file under the lock, saves it, and has the broker reload it.
fn edit(state: &Shared, change: impl FnOnce(&mut PasswordFile) -> ApiResult<()>) -> ApiResult<()> {
    let path = password_file(state)?;
    let _one_writer = state.password_file_lock();
    let mut file = load(&path)?;
    change(&mut file)?;
    file.save(&path)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let config = (**state.broker.config()).clone();
    let summary = state
        .broker
        .reload(config)
        .map_err(|e| ApiError::internal(format!("saved, but the reload failed: {e}")))?;
    tracing::info!("Password file changed through the HTTP API; reloaded ({summary}).");
    Ok(())
}

fn hash(password: &str) -> ApiResult<PasswordHash> {
    if password.is_empty() {
        return Err(ApiError::bad_request("the password must not be empty"));
    }
    PasswordHash::new(HashKind::default(), password.as_bytes())
        .map_err(|e| ApiError::internal(e.to_string()))
}

fn no_user(user: &str) -> ApiError {
    ApiError::not_found(
        "NOT_FOUND",
        format!("no user '{user}' in the password file"),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct UserQuery {
    page: Option<u64>,
    limit: Option<u64>,
    like_user_id: Option<String>,
}

pub(crate) async fn list(
    State(state): State<Shared>,
    QueryArgs(q): QueryArgs<UserQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging::new(q.page, q.limit)?;
    let path = password_file(&state)?;
    let file = load(&path)?;
    let mut users: Vec<&str> = file
        .users()
        .filter(|u| {
            q.like_user_id
                .as_deref()
                .is_none_or(|part| u.contains(part))
        })
        .collect();
    users.sort_unstable();
    let found: Vec<Value> = users
        .into_iter()
        .map(|u| json!({ "user_id": u, "is_superuser": false }))
        .collect();
    Ok(Json(paging.answer(&found)))
}

#[derive(Debug, Deserialize)]
pub(crate) struct NewUser {
    user_id: String,
    password: String,
}

pub(crate) async fn add(
    State(state): State<Shared>,
    JsonBody(body): JsonBody<NewUser>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    check_username(&body.user_id).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let hashed = hash(&body.password)?;
    edit(&state, |file| {
        if file.get(&body.user_id).is_some() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "ALREADY_EXISTS",
                format!("user '{}' already exists", body.user_id),
            ));
        }
        file.set(&body.user_id, hashed)
            .map_err(|e| ApiError::bad_request(e.to_string()))
    })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user_id": body.user_id, "is_superuser": false })),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct NewPassword {
    password: String,
}

pub(crate) async fn change(
    State(state): State<Shared>,
    Path(user): Path<String>,
    JsonBody(body): JsonBody<NewPassword>,
) -> ApiResult<Json<Value>> {
    let hashed = hash(&body.password)?;
    edit(&state, |file| {
        if file.get(&user).is_none() {
            return Err(no_user(&user));
        }
        file.set(&user, hashed)
            .map_err(|e| ApiError::bad_request(e.to_string()))
    })?;
    Ok(Json(json!({ "user_id": user, "is_superuser": false })))
}

pub(crate) async fn delete(
    State(state): State<Shared>,
    Path(user): Path<String>,
) -> ApiResult<StatusCode> {
    edit(&state, |file| {
        if file.remove(&user) {
            Ok(())
        } else {
            Err(no_user(&user))
        }
    })?;
    Ok(StatusCode::NO_CONTENT)
}
