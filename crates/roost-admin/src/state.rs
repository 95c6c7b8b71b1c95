//! What every handler shares: the broker, the auth file, the token key, the login limiter, the
//! recent log and the alarms seen. `std` locks, held only for short synchronous sections.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use roost_broker::Broker;

use crate::auth::limit::LoginLimiter;
use crate::auth::store::Store;
use crate::auth::token::Tokens;
use crate::recent::RecentLog;

/// The node name EMQX answers include.
pub(crate) const NODE: &str = "roost@127.0.0.1";

#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) broker: Arc<Broker>,
    pub(crate) store: Mutex<Store>,
    pub(crate) tokens: Tokens,
    pub(crate) limiter: Mutex<LoginLimiter>,
    pub(crate) log: RecentLog,
    /// Alarm name → when it was first seen active; cleared when it is no longer active.
    pub(crate) alarms: Mutex<HashMap<&'static str, SystemTime>>,
    /// Set once shutdown begins, for `/status`.
    pub(crate) stopping: AtomicBool,
    /// One writer of the broker's password file at a time.
    pub(crate) password_file: Mutex<()>,
}

pub(crate) type Shared = Arc<AppState>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub(crate) fn limiter(&self) -> MutexGuard<'_, LoginLimiter> {
        lock(&self.limiter)
    }

    pub(crate) fn password_file_lock(&self) -> MutexGuard<'_, ()> {
        lock(&self.password_file)
    }

    pub(crate) fn alarms(&self) -> MutexGuard<'_, HashMap<&'static str, SystemTime>> {
        lock(&self.alarms)
    }
}

#[cfg(test)]
pub(crate) fn test_state() -> Shared {
    use std::time::Duration;
    let broker = Broker::new(roost_broker::Config::default()).expect("broker");
    let path = std::env::temp_dir().join(format!(
        "roost-admin-state-{}-{:?}/dashboard.json",
        std::process::id(),
        std::thread::current().id()
    ));
    Arc::new(AppState {
        broker,
        store: Mutex::new(Store::open(&path).expect("store")),
        tokens: Tokens::new(Duration::from_secs(60)).expect("random"),
        limiter: Mutex::new(LoginLimiter::default()),
        log: RecentLog::new(),
        alarms: Mutex::new(HashMap::new()),
        stopping: AtomicBool::new(false),
        password_file: Mutex::new(()),
    })
}
