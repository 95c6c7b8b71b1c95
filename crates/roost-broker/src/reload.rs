//! SIGHUP: re-read the configuration file and apply what can change while clients stay
//! connected — the password file, the ACL file and anonymous access. A file that cannot be read
//! or has a bad line changes nothing: the old settings stay, and one log line says why.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::signal::unix::{signal, SignalKind};
use tracing::{error, info};

use crate::broker::Broker;
use crate::config;

/// Reloads on every SIGHUP until the process ends.
pub(crate) async fn on_sighup(broker: Arc<Broker>, source: Option<PathBuf>) {
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        error!("Cannot listen for SIGHUP: reloading the configuration is not available.");
        return;
    };
    while hangups.recv().await.is_some() {
        info!("Reloading config.");
        reload(&broker, source.as_ref());
    }
}

fn reload(broker: &Broker, source: Option<&PathBuf>) {
    let Some(path) = source else {
        info!("No configuration file: nothing to reload.");
        return;
    };
    let fresh = match config::parse_file(path) {
        Ok(fresh) => fresh,
        Err(e) => return error!("Reload failed, keeping the current settings: {e}"),
    };
    match broker.reload_security(&fresh) {
        Ok(users) => info!("Reloaded password and ACL files ({users})."),
        Err(e) => error!("Reload failed, keeping the current settings: {e}"),
    }
}
