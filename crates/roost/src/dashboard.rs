//! Starting the dashboard (crate `roost-admin`) beside the broker: where it listens, keeps its
//! logins and finds its certificate, and the start-up lines that say so (`https://` with one). The embedded default (no configuration file,
//! 127.0.0.1:18083) is an extra: if it cannot start, one warning and the broker goes on. A
//! `dashboard_listener` the file asks for that cannot start is fatal, like any listener.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use roost_admin::{AdminServer, AdminSettings, RecentLog};
use roost_broker::config::{DashboardSettings, LogType};
use roost_broker::Broker;
use tracing::{info, warn};

/// How long a login lasts when `dashboard_token_expiry` does not say.
const DEFAULT_TOKEN_EXPIRY: Duration = Duration::from_secs(3600);

/// Binds the dashboard if the configuration has one; `None` when it has none (or, for the
/// embedded default, when it could not start).
pub(crate) async fn start(
    broker: &Arc<Broker>,
    settings: &DashboardSettings,
    recent: RecentLog,
) -> anyhow::Result<Option<AdminServer>> {
    let Some(addr) = settings.listener else {
        return Ok(None);
    };
    let result = bind(broker, settings, addr, recent).await;
    match result {
        Ok(admin) => {
            announce(&admin, settings);
            Ok(Some(admin))
        }
        Err(e) if settings.embedded => {
            warn!("Dashboard not started: {e:#}. The broker runs without it.");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

async fn bind(
    broker: &Arc<Broker>,
    settings: &DashboardSettings,
    addr: std::net::SocketAddr,
    recent: RecentLog,
) -> anyhow::Result<AdminServer> {
    let auth_file = match &settings.auth_file {
        Some(path) => path.clone(),
        None => roost_admin::default_auth_file().context(
            "no place for its logins: neither XDG_DATA_HOME nor HOME is set; add 'dashboard_auth_file PATH'",
        )?,
    };
    let admin_settings = AdminSettings {
        addr,
        auth_file,
        token_lifetime: settings.token_expiry.unwrap_or(DEFAULT_TOKEN_EXPIRY),
        tls: settings.tls.clone(),
    };
    Ok(AdminServer::bind(broker.clone(), &admin_settings, recent).await?)
}

fn announce(admin: &AdminServer, settings: &DashboardSettings) {
    let addr = admin.local_addr();
    let scheme = if admin.is_https() { "https" } else { "http" };
    info!(target: LogType::NOTICE_TARGET, "Dashboard and HTTP API on {scheme}://{addr}/ (API under /api/v5).");
    info!(target: LogType::NOTICE_TARGET, "Dashboard logins and API keys are kept in {}.", admin.auth_file().display());
    if let Some((user, password)) = admin.default_login() {
        info!(target: LogType::NOTICE_TARGET, "Log in to the dashboard as '{user}' with password '{password}'; the first login must set a new password.");
    }
    if settings.embedded {
        info!(target: LogType::NOTICE_TARGET, "To serve the dashboard to the network, put 'dashboard_listener 18083' in the configuration file.");
    }
}
