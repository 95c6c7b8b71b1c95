//! Listeners and the life of the broker: bind every listener, accept connections (bounded by
//! `max_connections`) and hand each to its listener's transport (plain or TLS, see
//! [`crate::transport`]) in a task of its own, run `$SYS`, and on shutdown tell every connection
//! to close and wait — boundedly — until the last one has.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};
use tracing::{info, warn};

use crate::broker::Broker;
use crate::config::{Config, Listener, ListenerProtocol};
use crate::transport::Transport;

/// Why the broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A listener that could not be opened.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A password or ACL file that cannot be used.
    #[error(transparent)]
    Security(#[from] crate::auth::AuthFileError),
    /// A TLS certificate, key, CA or CRL file that cannot be used.
    #[error(transparent)]
    Tls(crate::FileError),
}

/// A broker with its listeners bound, ready to run.
#[derive(Debug)]
pub struct Server {
    broker: Arc<Broker>,
    listeners: Vec<Bound>,
}

/// A listener with its socket and its transport.
#[derive(Debug)]
struct Bound {
    /// Position of the listener in the configuration (security settings, connection counts);
    /// not its position among the bound ones, which skip an optional listener that failed.
    index: usize,
    listener: Arc<Listener>,
    socket: TcpListener,
    transport: Arc<Transport>,
}

impl Server {
    /// Binds every listener of `config`, for a broker that keeps everything in memory.
    pub async fn bind(config: Config) -> Result<Server, StartError> {
        Server::bind_with_store(config, None).await
    }

    /// Binds every listener of `config`, for a broker that writes its durable state to `store`.
    /// Nothing is accepted before [`Server::run`], so a [`Broker::restore`] in between comes
    /// first.
    pub async fn bind_with_store(
        config: Config,
        store: Option<Arc<dyn crate::store::Store>>,
    ) -> Result<Server, StartError> {
        let broker = Broker::with_store(config, store)?;
        let mut listeners = Vec::new();
        for (index, listener) in broker.config().listeners.iter().enumerate() {
            let transport = Transport::for_listener(listener).map_err(StartError::Tls)?;
            let bind_error = |source| StartError::Bind {
                addr: listener.addr,
                source,
            };
            let (bound, socket) = match bind(listener).await {
                Ok(bound) => bound,
                Err(e) if listener.optional => {
                    warn!(
                        "Cannot open the default {} listener on {}, going on without it: {e}.",
                        listener.protocol, listener.addr
                    );
                    continue;
                }
                Err(e) => return Err(bind_error(e)),
            };
            log_opened(&bound, transport.label());
            broker.set_listening(index);
            listeners.push(Bound {
                index,
                listener: bound,
                socket,
                transport: Arc::new(transport),
            });
        }
        Ok(Server { broker, listeners })
    }

    /// The broker this server runs.
    pub fn broker(&self) -> &Arc<Broker> {
        &self.broker
    }

    /// The addresses actually bound (port 0 resolved).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().map(|b| b.listener.addr).collect()
    }

    /// Serves until `shutdown` resolves, then closes every connection and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
        let mut accept_tasks = Vec::new();
        for bound in self.listeners {
            let broker = self.broker.clone();
            let alive = alive_tx.clone();
            let port = bound.listener.addr.port();
            if bound.transport.has_files() {
                accept_tasks.push(tokio::spawn(reload_transport(
                    broker.clone(),
                    bound.transport.clone(),
                    port,
                )));
            }
            accept_tasks.push(tokio::spawn(accept_loop(broker, bound, alive)));
        }
        if let Some(every) = self.broker.config().retain_expiry_interval {
            let broker = self.broker.clone();
            tokio::spawn(async move {
                let mut ticker = tokio::time::interval(every.max(Duration::from_secs(1)));
                loop {
                    ticker.tick().await;
                    broker.purge_expired_retained();
                }
            });
        }
        if self.broker.config().sys_interval > 0 {
            tokio::spawn(crate::sys::run(self.broker.clone()));
        }
        drop(alive_tx);
        shutdown.await;
        for task in &accept_tasks {
            task.abort();
        }
        self.broker.shut_down();
        // Every connection task holds a sender; when the last one ends, recv returns None.
        let _ = tokio::time::timeout(Duration::from_secs(10), alive_rx.recv()).await;
    }
}

/// Binds one listener; the returned copy has the port actually bound.
async fn bind(listener: &Listener) -> std::io::Result<(Arc<Listener>, TcpListener)> {
    let socket = TcpListener::bind(listener.addr).await?;
    let mut bound = listener.clone();
    bound.addr = socket.local_addr()?;
    Ok((Arc::new(bound), socket))
}

/// The start-up line of a listener, as Mosquitto words it (`label`: the transport's, such as
/// ` (TLS)`), and the URL of a WebSocket one.
fn log_opened(listener: &Listener, label: &str) {
    let port = listener.addr.port();
    match listener.protocol {
        ListenerProtocol::Mqtt => {
            let family = if listener.addr.is_ipv4() { 4 } else { 6 };
            info!("Opening ipv{family} listen socket on port {port}{label}.");
        }
        ListenerProtocol::WebSockets => {
            info!("Opening websockets listen socket on port {port}{label}.");
            let mut shown = listener.addr;
            if shown.ip().is_unspecified() {
                shown.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            let scheme = if listener.tls.enabled() { "wss" } else { "ws" };
            info!(
                "MQTT over WebSocket: {scheme}://{shown}{} (any path; subprotocol mqtt).",
                crate::config::DEFAULT_WEBSOCKET_PATH
            );
        }
    }
}

/// Re-reads the transport's files (TLS certificates and keys) after every reload.
async fn reload_transport(broker: Arc<Broker>, transport: Arc<Transport>, port: u16) {
    let mut reloads = broker.reloaded();
    while reloads.changed().await.is_ok() {
        transport.reload(port);
    }
}

/// What a connection holds until it ends: its place under `max_connections`, and what shutdown
/// waits for.
pub(crate) struct Guard {
    /// Boxed: most listeners have no limit, and every connection's state carries the field.
    _permit: Option<Box<tokio::sync::OwnedSemaphorePermit>>,
    _alive: mpsc::Sender<()>,
}

impl Guard {
    /// A guard with no place under a limit, for tests.
    #[cfg(test)]
    pub(crate) fn for_tests(alive: mpsc::Sender<()>) -> Guard {
        Guard {
            _permit: None,
            _alive: alive,
        }
    }
}

async fn accept_loop(broker: Arc<Broker>, bound: Bound, alive: mpsc::Sender<()>) {
    let Bound {
        index,
        listener,
        socket,
        transport,
    } = bound;
    let limit = listener
        .max_connections
        .map(|n| Arc::new(Semaphore::new(n)));
    loop {
        let (stream, peer) = match socket.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait rather than spin.
                warn!(
                    "Error accepting a connection on port {}: {e}",
                    listener.addr.port()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let permit = match &limit {
            None => None,
            Some(semaphore) => match semaphore.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    info!("Client connection from {peer} denied: max_connections reached.");
                    continue;
                }
            },
        };
        if broker.config().set_tcp_nodelay {
            let _ = stream.set_nodelay(true);
        }
        let guard = Guard {
            _permit: permit.map(Box::new),
            _alive: alive.clone(),
        };
        let (broker, listener) = (broker.clone(), listener.clone());
        crate::transport::spawn(broker, listener, index, &transport, stream, peer, guard);
    }
}
