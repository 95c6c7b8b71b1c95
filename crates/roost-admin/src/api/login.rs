//! `POST /api/v5/login`, `/api/v5/logout` and `/api/v5/users/{username}/change_pwd`.

use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

use crate::auth::guard::Caller;
use crate::auth::store::{verify, DEFAULT_PASSWORD};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::Shared;

/// Shortest new password accepted.
const MIN_PASSWORD: usize = 8;

#[derive(Debug, Deserialize)]
pub(crate) struct Login {
    username: String,
    password: String,
}

fn bad_login() -> ApiError {
    ApiError::unauthorized("BAD_USERNAME_OR_PWD", "Auth failed")
}

pub(crate) async fn login(
    State(state): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<Login>,
) -> ApiResult<Response> {
    let ip = peer.ip();
    let now = Instant::now();
    if let Some(wait) = state.limiter().blocked(ip, now) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            format!("too many failed logins from {ip}; try again in {wait} s"),
        ));
    }
    let must_change = state
        .store()
        .user(&body.username)
        .filter(|u| verify(&u.password_hash, &body.password))
        .map(|u| u.must_change_password);
    let Some(must_change) = must_change else {
        state.limiter().failed(ip, now);
        tracing::warn!("Dashboard login as '{}' from {ip} refused.", body.username);
        return Err(bad_login());
    };
    state.limiter().succeeded(ip);
    let token = state.tokens.issue(&body.username, SystemTime::now());
    Ok(Json(json!({
        "token": token,
        "version": env!("CARGO_PKG_VERSION"),
        "role": "administrator",
        "must_change_password": must_change,
        "license": { "edition": "opensource" },
    }))
    .into_response())
}

pub(crate) async fn logout(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
) -> StatusCode {
    if let Caller::User(user) = caller {
        state.tokens.revoke(&user);
    }
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChangePassword {
    old_pwd: String,
    new_pwd: String,
}

pub(crate) async fn change_password(
    State(state): State<Shared>,
    Path(username): Path<String>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<ChangePassword>,
) -> ApiResult<StatusCode> {
    if let Caller::User(me) = &caller {
        if *me != username {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "a login may change only its own password",
            ));
        }
    }
    if body.new_pwd.chars().count() < MIN_PASSWORD || body.new_pwd == DEFAULT_PASSWORD {
        return Err(ApiError::bad_request(format!(
            "the new password must have at least {MIN_PASSWORD} characters and not be '{DEFAULT_PASSWORD}'"
        )));
    }
    let mut store = state.store();
    let hash = store
        .user(&username)
        .map(|u| u.password_hash.clone())
        .ok_or_else(|| ApiError::not_found("NOT_FOUND", format!("no login '{username}'")))?;
    if !verify(&hash, &body.old_pwd) {
        return Err(ApiError::unauthorized(
            "BAD_USERNAME_OR_PWD",
            "the old password is wrong",
        ));
    }
    store
        .set_password(&username, &body.new_pwd)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    drop(store);
    tracing::info!("Dashboard password of '{username}' changed.");
    Ok(StatusCode::NO_CONTENT)
}
