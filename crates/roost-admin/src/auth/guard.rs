//! The check in front of every protected route: a `Bearer` token from `/api/v5/login`, or HTTP
//! Basic with an API key and its secret. A login that must still change its default password may
//! only change it (403 `PASSWORD_CHANGE_REQUIRED` elsewhere).

use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::auth::store::verify;
use crate::auth::token::TokenError;
use crate::error::ApiError;
use crate::state::Shared;
use crate::time::unix_seconds;

/// Who made a request, put in the request's extensions for handlers that care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// A dashboard login.
    User(String),
    /// An API key, by name.
    ApiKey(String),
}

fn must_change(state: &Shared, user: &str) -> bool {
    state
        .store()
        .user(user)
        .is_none_or(|u| u.must_change_password)
}

/// The only calls a login with the default password may make besides login and status.
fn allowed_before_change(req: &Request, user: &str) -> bool {
    req.method() == Method::POST
        && (req.uri().path() == format!("/api/v5/users/{user}/change_pwd")
            || req.uri().path() == "/api/v5/logout")
}

fn bearer(state: &Shared, token: &str) -> Result<Caller, ApiError> {
    match state.tokens.check(token, SystemTime::now()) {
        Ok(user) if state.store().user(&user).is_some() => Ok(Caller::User(user)),
        Ok(_) | Err(TokenError::Bad) => Err(ApiError::unauthorized(
            "BAD_TOKEN",
            "the token is not valid; log in again",
        )),
        Err(TokenError::Expired) => Err(ApiError::unauthorized(
            "TOKEN_TIME_OUT",
            "the token has expired; log in again",
        )),
    }
}

fn basic(state: &Shared, credentials: &str) -> Result<Caller, ApiError> {
    let refused = || ApiError::unauthorized("BAD_API_KEY_OR_SECRET", "bad API key or secret");
    let decoded = STANDARD.decode(credentials.trim()).map_err(|_| refused())?;
    let text = String::from_utf8(decoded).map_err(|_| refused())?;
    let (key, secret) = text.split_once(':').ok_or_else(refused)?;
    let store = state.store();
    let found = store.api_key_by_key(key).ok_or_else(refused)?;
    let now = unix_seconds(SystemTime::now());
    let live = found.enable && found.expired_at.is_none_or(|at| now < at);
    if !live || !verify(&found.secret_hash, secret) {
        return Err(refused());
    }
    Ok(Caller::ApiKey(found.name.clone()))
}

/// Lets the request through with its [`Caller`], or answers 401/403.
pub(crate) async fn require_login(
    State(state): State<Shared>,
    mut req: Request,
    next: Next,
) -> Response {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (scheme, rest) = header.split_once(' ').unwrap_or((&header, ""));
    let caller = match scheme {
        _ if scheme.eq_ignore_ascii_case("bearer") => bearer(&state, rest.trim()),
        _ if scheme.eq_ignore_ascii_case("basic") => basic(&state, rest),
        _ => Err(ApiError::unauthorized(
            "BAD_TOKEN",
            "log in first: send 'Authorization: Bearer TOKEN' or an API key with HTTP Basic",
        )),
    };
    let caller = match caller {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    if let Caller::User(user) = &caller {
        if must_change(&state, user) && !allowed_before_change(&req, user) {
            let e = ApiError::new(
                StatusCode::FORBIDDEN,
                "PASSWORD_CHANGE_REQUIRED",
                format!("change the default password first: POST /api/v5/users/{user}/change_pwd"),
            );
            return e.into_response();
        }
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}
