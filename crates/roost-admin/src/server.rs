//! The admin HTTP server: bind its listener, open the auth file, read the certificate when it
//! has one, and serve the API and the pages — over HTTP, or HTTPS only — until told to stop.

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use roost_broker::config::TlsSettings;
use roost_broker::{Broker, FileError, TlsListener};
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
    /// The certificate and key (`dashboard_certfile`, `dashboard_keyfile`); when enabled the
    /// server speaks HTTPS only.
    pub tls: TlsSettings,
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
    /// The certificate or key cannot be used (the error names the file and line).
    #[error(transparent)]
    Tls(#[from] FileError),
}

/// The server with its listener bound.
#[derive(Debug)]
pub struct AdminServer {
    listener: TcpListener,
    addr: SocketAddr,
    tls: Option<Arc<TlsListener>>,
    state: Shared,
}

impl AdminServer {
    /// Opens the auth file and binds the listener.
    pub async fn bind(
        broker: Arc<Broker>,
        settings: &AdminSettings,
        log: RecentLog,
    ) -> Result<AdminServer, AdminError> {
        let tls = settings
            .tls
            .enabled()
            .then(|| TlsListener::load(&settings.tls).map(Arc::new))
            .transpose()?;
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
            tls,
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

    /// True when the server speaks HTTPS.
    pub fn is_https(&self) -> bool {
        self.tls.is_some()
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
    /// Over HTTPS, the certificate is read again after every broker reload (SIGHUP).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let state = self.state.clone();
        let stop = async move {
            shutdown.await;
            state.stopping.store(true, Ordering::Relaxed);
        };
        let Some(tls) = self.tls else {
            return serve(self.listener, self.state, stop).await;
        };
        let incoming = crate::tls::TlsIncoming::new(self.listener, self.addr, tls.clone());
        let reloads = tokio::spawn(reload_on_change(self.state.broker.clone(), tls));
        // `tap_io` only so that axum gives handlers the peer address (ConnectInfo), as it does
        // for its own listeners; the tap itself does nothing.
        serve(
            axum::serve::ListenerExt::tap_io(incoming, |_| {}),
            self.state,
            stop,
        )
        .await;
        reloads.abort();
    }
}

/// Serves the API and pages on `listener` until `stop`, then gives requests 5 s to finish.
async fn serve<L>(listener: L, state: Shared, stop: impl Future<Output = ()> + Send + 'static)
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    for<'a> SocketAddr: axum::extract::connect_info::Connected<axum::serve::IncomingStream<'a, L>>,
{
    let app = crate::api::router(state);
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
    let serve = axum::serve(
        listener,
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

/// After every broker reload, reads the certificate and key again; a file that cannot be used
/// keeps the running ones, with one line saying why.
async fn reload_on_change(broker: Arc<Broker>, tls: Arc<TlsListener>) {
    let mut reloads = broker.reloaded();
    while reloads.changed().await.is_ok() {
        match tls.reload() {
            Ok(()) => tracing::info!("Reloaded the dashboard's TLS certificate and key."),
            Err(e) => tracing::warn!("Keeping the dashboard's running TLS certificate: {e}"),
        }
    }
}
