//! `roost-admin`: the HTTP dashboard and REST API that EMQX users expect on port 18083 — login
//! and API keys, the `/api/v5` endpoints (EMQX 5 paths and JSON shapes for what Roost has),
//! Prometheus metrics, an OpenAPI description, and the pages of `web/` embedded in the binary.
//!
//! It runs beside the broker in the same process and reaches the broker only through
//! `roost-broker`'s public inspection interface (snapshots, kick, publish, reload), so the core
//! stays free of HTTP. With a certificate it serves HTTPS only, loaded by the broker's own TLS
//! code. Start it with [`AdminServer::bind`] and [`AdminServer::run`].

#![warn(missing_docs)]

mod api;
mod auth;
mod error;
mod extract;
mod paging;
mod process;
mod recent;
mod server;
mod state;
mod static_files;
mod time;
mod tls;

pub use auth::store::default_auth_file;
pub use recent::{LogEntry, RecentLog, RECENT_LOG_CAPACITY};
pub use server::{AdminError, AdminServer, AdminSettings};
