//! `GET /api-docs`: the OpenAPI 3 description of every route, built from one table
//! ([`ROUTES`]). A test holds the table to exactly the routes the router serves.

use axum::Json;
use serde_json::{json, Map, Value};

/// One documented route.
#[derive(Debug)]
pub(crate) struct Doc {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    pub(crate) tag: &'static str,
    pub(crate) summary: &'static str,
    /// Whether it needs a login token or an API key.
    pub(crate) auth: bool,
    /// Success status and what it returns.
    pub(crate) ok: (u16, &'static str),
}

macro_rules! doc {
    ($method:literal $path:literal, $tag:literal, $auth:expr, $status:literal, $summary:literal, $returns:literal) => {
        Doc {
            method: $method,
            path: $path,
            tag: $tag,
            summary: $summary,
            auth: $auth,
            ok: ($status, $returns),
        }
    };
}

/// Every route, in the order the description lists them.
pub(crate) static ROUTES: &[Doc] = &[
    doc!("GET" "/status", "Status", false, 200, "Whether the node runs (plain text; 503 while stopping).", "text"),
    doc!("GET" "/api/v5/status", "Status", false, 200, "Same as /status.", "text"),
    doc!("POST" "/api/v5/login", "Auth", false, 200, "Log in with {username, password}; returns a token (rate-limited per address).", "object"),
    doc!("GET" "/api-docs", "Docs", true, 200, "This OpenAPI description.", "object"),
    doc!("POST" "/api/v5/logout", "Auth", true, 204, "Log out: voids the caller's tokens.", "none"),
    doc!("POST" "/api/v5/users/{username}/change_pwd", "Auth", true, 204, "Change a dashboard password with {old_pwd, new_pwd}.", "none"),
    doc!("GET" "/api/v5/stats", "Metrics", true, 200, "Connection, session, subscription, topic and retained counts (?aggregate=true).", "array"),
    doc!("GET" "/api/v5/metrics", "Metrics", true, 200, "Message, byte, packet and client counters (?aggregate=true).", "array"),
    doc!("GET" "/api/v5/nodes", "Nodes", true, 200, "This node: version, uptime, connections, memory, load.", "array"),
    doc!("GET" "/api/v5/clients", "Clients", true, 200, "Sessions, paged; filters clientid, username, like_clientid, like_username, ip_address, conn_state, proto_ver.", "object"),
    doc!("GET" "/api/v5/clients/{clientid}", "Clients", true, 200, "One client (404 CLIENTID_NOT_FOUND).", "object"),
    doc!("DELETE" "/api/v5/clients/{clientid}", "Clients", true, 204, "Kick the client out (MQTT 5: DISCONNECT 0x98) and discard its session.", "none"),
    doc!("GET" "/api/v5/clients/{clientid}/subscriptions", "Clients", true, 200, "The client's subscriptions.", "array"),
    doc!("GET" "/api/v5/subscriptions", "Subscriptions", true, 200, "Every subscription, paged; filters clientid, topic, qos, match_topic.", "object"),
    doc!("GET" "/api/v5/topics", "Topics", true, 200, "The distinct subscribed filters, paged; filter topic.", "object"),
    doc!("GET" "/api/v5/mqtt/retainer/messages", "Retainer", true, 200, "Retained messages matching ?topic=FILTER (default #: no $SYS), paged.", "object"),
    doc!("GET" "/api/v5/mqtt/retainer/message/{topic}", "Retainer", true, 200, "One retained message, payload in base64 (topic percent-encoded).", "object"),
    doc!("DELETE" "/api/v5/mqtt/retainer/message/{topic}", "Retainer", true, 204, "Delete a retained message.", "none"),
    doc!("POST" "/api/v5/publish", "Publish", true, 200, "Publish {topic, payload, qos, retain, encoding} as the broker.", "object"),
    doc!("POST" "/api/v5/publish/bulk", "Publish", true, 200, "Publish a list of messages.", "array"),
    doc!("GET" "/api/v5/listeners", "Listeners", true, 200, "The MQTT listeners with their connections.", "array"),
    doc!("GET" "/api/v5/api_key", "API keys", true, 200, "Every API key (without secrets).", "array"),
    doc!("POST" "/api/v5/api_key", "API keys", true, 200, "Make a key from {name, desc, expired_at, enable}; the answer holds api_secret, once.", "object"),
    doc!("GET" "/api/v5/api_key/{name}", "API keys", true, 200, "One API key.", "object"),
    doc!("PUT" "/api/v5/api_key/{name}", "API keys", true, 200, "Change desc, enable or expired_at.", "object"),
    doc!("DELETE" "/api/v5/api_key/{name}", "API keys", true, 204, "Delete an API key.", "none"),
    doc!("GET" "/api/v5/authentication/password_based:built_in_database/users", "MQTT users", true, 200, "Users of the password file, paged; filter like_user_id.", "object"),
    doc!("POST" "/api/v5/authentication/password_based:built_in_database/users", "MQTT users", true, 201, "Add {user_id, password} to the password file and reload it.", "object"),
    doc!("PUT" "/api/v5/authentication/password_based:built_in_database/users/{user_id}", "MQTT users", true, 200, "Change a user's {password} and reload.", "object"),
    doc!("DELETE" "/api/v5/authentication/password_based:built_in_database/users/{user_id}", "MQTT users", true, 204, "Delete a user and reload.", "none"),
    doc!("GET" "/api/v5/alarms", "Alarms", true, 200, "Active alarms, paged.", "object"),
    doc!("GET" "/api/v5/logs/recent", "Logs", true, 200, "The newest warning and error lines (?limit=100), newest first.", "array"),
    doc!("GET" "/api/v5/prometheus/stats", "Metrics", true, 200, "Prometheus text format.", "text"),
    doc!("GET" "/metrics", "Metrics", true, 200, "Same as /api/v5/prometheus/stats.", "text"),
];

fn parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } })
        })
        .collect()
}

fn operation(doc: &Doc) -> Value {
    let (status, returns) = doc.ok;
    let content = match returns {
        "none" => json!({}),
        "text" => json!({ "text/plain": { "schema": { "type": "string" } } }),
        kind => json!({ "application/json": { "schema": { "type": kind } } }),
    };
    let mut responses = Map::new();
    responses.insert(
        status.to_string(),
        json!({ "description": "success", "content": content }),
    );
    responses.insert(
        "400".into(),
        json!({ "$ref": "#/components/responses/Error" }),
    );
    if doc.auth {
        responses.insert(
            "401".into(),
            json!({ "$ref": "#/components/responses/Error" }),
        );
    }
    let mut op = json!({
        "tags": [doc.tag],
        "summary": doc.summary,
        "parameters": parameters(doc.path),
        "responses": responses,
    });
    if doc.auth {
        op["security"] = json!([{ "bearerAuth": [] }, { "basicAuth": [] }]);
    } else {
        op["security"] = json!([]);
    }
    op
}

/// The description as JSON.
pub(crate) fn description() -> Value {
    let mut paths = Map::new();
    for doc in ROUTES {
        let entry = paths
            .entry(doc.path)
            .or_insert_with(|| Value::Object(Map::new()));
        entry[doc.method.to_ascii_lowercase()] = operation(doc);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Roost HTTP API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "EMQX 5 compatible paths and shapes for what Roost has.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": { "type": "http", "scheme": "bearer" },
                "basicAuth": { "type": "http", "scheme": "basic", "description": "API key and secret" },
            },
            "responses": {
                "Error": {
                    "description": "an error",
                    "content": { "application/json": { "schema": {
                        "type": "object",
                        "properties": { "code": { "type": "string" }, "message": { "type": "string" } },
                    } } },
                },
            },
        },
    })
}

pub(crate) async fn openapi() -> Json<Value> {
    Json(description())
}
