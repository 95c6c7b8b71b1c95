//! The admin HTTP server: bind its listener, open the auth file, and serve the API and the pages
//! until told to stop.

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use roost_broker::Broker;
use tokio::net::TcpListener;

use crate::auth::limit::LoginLimiter;
use crate::auth::store::{Store, StoreError, DEFAULT_PASSWORD, DEFAULT_USER};
use crate::auth::token::Tokens;
use crate::recent::RecentLog;
use crate::state::{AppState, Shared};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// The auth file (logins and API keys).
    pub auth_file: PathBuf,
    /// How long a login's token lasts.
    pub token_lifetime: Duration,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The listener could not be opened.
    #[error("cannot listen on {addr} for the dashboard")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The auth file cannot be used.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No random source for the token key.
    #[error("no random source for the dashboard's token key")]
    Random,
}

/// The server with its listener bound.
#[derive(Debug)]
pub struct AdminServer {
    listener: TcpListener,
    addr: SocketAddr,
    state: Shared,
}

impl AdminServer {
    /// Opens the auth file and binds the listener.
    pub async fn bind(
        broker: Arc<Broker>,
        settings: &AdminSettings,
        log: RecentLog,
    ) -> Result<AdminServer, AdminError> {
        let store = Store::open(&settings.auth_file)?;
        let tokens = Tokens::new(settings.token_lifetime).ok_or(AdminError::Random)?;
        let bind_error = |source| AdminError::Bind {
            addr: settings.addr,
            source,
        };
        let listener = TcpListener::bind(settings.addr).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let state = Arc::new(AppState {
            broker,
            store: Mutex::new(store),
            tokens,
            limiter: Mutex::new(LoginLimiter::default()),
            log,
            alarms: Mutex::new(HashMap::new()),
            stopping: AtomicBool::new(false),
            password_file: Mutex::new(()),
        });
        Ok(AdminServer {
            listener,
            addr,
            state,
        })
    }

    /// The auth file in use.
    pub fn auth_file(&self) -> std::path::PathBuf {
        self.state.store().path().to_path_buf()
    }

    /// The address bound (port 0 resolved).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The login to give in the start-up lines while the default password is unchanged.
    pub fn default_login(&self) -> Option<(&'static str, &'static str)> {
        let store = self.state.store();
        store
            .user(DEFAULT_USER)
            .is_some_and(|u| u.must_change_password)
            .then_some((DEFAULT_USER, DEFAULT_PASSWORD))
    }

    /// Serves until `shutdown` resolves, then lets requests in progress finish (at most 5 s).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let state = self.state.clone();
        let app = crate::api::router(self.state);
        let stop = async move {
            shutdown.await;
            state.stopping.store(true, Ordering::Relaxed);
        };
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        let serve = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            stop.await;
            let _ = stopped_tx.send(());
        });
        let mut serve = std::pin::pin!(serve.into_future());
        tokio::select! {
            result = &mut serve => {
                if let Err(e) = result {
                    tracing::warn!("The dashboard server stopped: {e}");
                }
            }
            _ = async {
                let _ = stopped_rx.await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            } => {}
        }
    }
}
