//! The routes: `/status` and `/api/v5/login` open to all; every other `/api/v5` route, the
//! OpenAPI description at `/api-docs` and `/metrics` behind the login check; and the pages of
//! `web/` for the rest (open: the login form is one of them, and they hold no data).
//!
//! Routes are added through [`Routes`], which records each method and path, so a test can hold
//! the OpenAPI table ([`docs::ROUTES`]) to exactly the routes served.

mod alarms;
mod api_keys;
mod clients;
mod docs;
mod listeners;
mod login;
mod page;
mod prometheus;
mod publish;
mod retained;
mod status;
mod subscriptions;
mod users;

use axum::body::Body;
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::Router;

use crate::error::ApiError;
use crate::state::Shared;

/// A router that remembers what was added to it.
pub(crate) struct Routes {
    router: Router<Shared>,
    pub(crate) added: Vec<(&'static str, &'static str)>,
}

impl Routes {
    fn new() -> Routes {
        Routes {
            router: Router::new(),
            added: Vec::new(),
        }
    }

    /// Adds `handler` for `method` (GET, POST, PUT or DELETE) on `path`.
    fn add<H, T>(mut self, method: &'static str, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, Shared>,
        T: 'static,
    {
        let filter = match method {
            "GET" => MethodFilter::GET,
            "POST" => MethodFilter::POST,
            "PUT" => MethodFilter::PUT,
            _ => MethodFilter::DELETE,
        };
        self.router = self.router.route(path, on(filter, handler));
        self.added.push((method, path));
        self
    }

    fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.added.extend(other.added);
        self
    }
}

/// Routes anyone may call.
fn open_routes() -> Routes {
    Routes::new()
        .add("GET", "/status", status::status)
        .add("GET", "/api/v5/status", status::status)
        .add("POST", "/api/v5/login", login::login)
}

/// The EMQX path of the password file's users.
const USERS: &str = "/api/v5/authentication/password_based:built_in_database/users";
const USER: &str = "/api/v5/authentication/password_based:built_in_database/users/{user_id}";

/// Routes behind the login check.
fn protected_routes() -> Routes {
    Routes::new()
        .add("GET", "/api-docs", docs::openapi)
        .add("POST", "/api/v5/logout", login::logout)
        .add(
            "POST",
            "/api/v5/users/{username}/change_pwd",
            login::change_password,
        )
        .add("GET", "/api/v5/stats", status::stats)
        .add("GET", "/api/v5/metrics", status::metrics)
        .add("GET", "/api/v5/nodes", status::nodes)
        .add("GET", "/api/v5/clients", clients::list)
        .add("GET", "/api/v5/clients/{clientid}", clients::one)
        .add("DELETE", "/api/v5/clients/{clientid}", clients::kick)
        .add(
            "GET",
            "/api/v5/clients/{clientid}/subscriptions",
            clients::subscriptions,
        )
        .add("GET", "/api/v5/subscriptions", subscriptions::list)
        .add("GET", "/api/v5/topics", subscriptions::topics)
        .add("GET", "/api/v5/mqtt/retainer/messages", retained::list)
        .add(
            "GET",
            "/api/v5/mqtt/retainer/message/{*topic}",
            retained::one,
        )
        .add(
            "DELETE",
            "/api/v5/mqtt/retainer/message/{*topic}",
            retained::delete,
        )
        .add("POST", "/api/v5/publish", publish::publish)
        .add("POST", "/api/v5/publish/bulk", publish::bulk)
        .add("GET", "/api/v5/listeners", listeners::list)
        .add("GET", "/api/v5/api_key", api_keys::list)
        .add("POST", "/api/v5/api_key", api_keys::add)
        .add("GET", "/api/v5/api_key/{name}", api_keys::one)
        .add("PUT", "/api/v5/api_key/{name}", api_keys::change)
        .add("DELETE", "/api/v5/api_key/{name}", api_keys::delete)
        .add("GET", USERS, users::list)
        .add("POST", USERS, users::add)
        .add("PUT", USER, users::change)
        .add("DELETE", USER, users::delete)
        .add("GET", "/api/v5/alarms", alarms::alarms)
        .add("GET", "/api/v5/logs/recent", alarms::recent_logs)
        .add("GET", "/api/v5/prometheus/stats", prometheus::stats)
        .add("GET", "/metrics", prometheus::stats)
}

/// Every API route, open and protected, with what was added.
pub(crate) fn routes(state: &Shared) -> Routes {
    let protected = protected_routes();
    let guarded = Routes {
        router: protected
            .router
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::auth::guard::require_login,
            )),
        added: protected.added,
    };
    open_routes().merge(guarded)
}

/// Largest request body accepted.
const MAX_BODY: usize = 1 << 20;

/// Reads the whole request body before anything answers: a response sent before the body was
/// read makes hyper close the connection, and a client reusing it (keep-alive) would see its next
/// request fail. Also the one bound on body size (413 beyond [`MAX_BODY`]).
async fn read_body(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("request bodies are limited to {MAX_BODY} bytes"),
        )
        .into_response(),
    }
}

/// The whole application.
pub(crate) fn router(state: Shared) -> Router {
    routes(&state)
        .router
        .fallback(page::page)
        .layer(axum::middleware::from_fn(read_body))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_route_is_documented_and_every_documented_route_served() {
        let state = crate::state::test_state();
        let served: BTreeSet<(&str, &str)> = routes(&state).added.into_iter().collect();
        let documented: BTreeSet<(&str, &str)> =
            docs::ROUTES.iter().map(|d| (d.method, d.path)).collect();
        // The router writes a catch-all segment `{*name}`, OpenAPI `{name}`.
        let served: BTreeSet<(&str, String)> = served
            .into_iter()
            .map(|(m, p)| (m, p.replace("{*", "{")))
            .collect();
        let documented: BTreeSet<(&str, String)> = documented
            .into_iter()
            .map(|(m, p)| (m, p.to_string()))
            .collect();
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty(),
            "not in /api-docs: {undocumented:?}"
        );
        assert!(unserved.is_empty(), "documented, not served: {unserved:?}");
        assert_eq!(served.len(), docs::ROUTES.len(), "a route documented twice");
    }

    #[test]
    fn the_description_has_every_path_and_its_parameters() {
        let doc = docs::description();
        for route in docs::ROUTES {
            let op = &doc["paths"][route.path][route.method.to_ascii_lowercase()];
            assert!(op.is_object(), "{} {}", route.method, route.path);
            let wanted = route.path.matches('{').count();
            assert_eq!(op["parameters"].as_array().map(Vec::len), Some(wanted));
        }
    }
}
