//! Listeners and the life of the broker: bind every listener, accept connections (bounded by
//! `max_connections`), run `$SYS`, and on shutdown tell every connection to close and wait —
//! boundedly — until the last one has.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tracing::{info, warn};

use crate::broker::Broker;
use crate::config::{Config, Listener, ListenerProtocol};

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
}

/// A broker with its listeners bound, ready to run.
#[derive(Debug)]
pub struct Server {
    broker: Arc<Broker>,
    listeners: Vec<(Arc<Listener>, TcpListener)>,
}

impl Server {
    /// Binds every listener of `config`.
    pub async fn bind(config: Config) -> Result<Server, StartError> {
        let broker = Broker::new(config)?;
        let mut listeners = Vec::new();
        for listener in &broker.config().listeners {
            let bind_error = |source| StartError::Bind {
                addr: listener.addr,
                source,
            };
            let bound = match bind(listener).await {
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
            log_opened(&bound.0);
            listeners.push(bound);
        }
        Ok(Server { broker, listeners })
    }

    /// The broker this server runs.
    pub fn broker(&self) -> &Arc<Broker> {
        &self.broker
    }

    /// The addresses actually bound (port 0 resolved).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().map(|(l, _)| l.addr).collect()
    }

    /// Serves until `shutdown` resolves, then closes every connection and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
        let mut accept_tasks = Vec::new();
        for (index, (listener, socket)) in self.listeners.into_iter().enumerate() {
            let broker = self.broker.clone();
            let alive = alive_tx.clone();
            accept_tasks.push(tokio::spawn(accept_loop(
                broker, listener, index, socket, alive,
            )));
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

/// The start-up line of a listener, as Mosquitto words it, and the URL of a WebSocket one.
fn log_opened(listener: &Listener) {
    let port = listener.addr.port();
    match listener.protocol {
        ListenerProtocol::Mqtt => {
            let family = if listener.addr.is_ipv4() { 4 } else { 6 };
            info!("Opening ipv{family} listen socket on port {port}.");
        }
        ListenerProtocol::WebSockets => {
            info!("Opening websockets listen socket on port {port}.");
            let mut shown = listener.addr;
            if shown.ip().is_unspecified() {
                shown.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            info!(
                "MQTT over WebSocket: ws://{shown}{} (any path; subprotocol mqtt).",
                crate::config::DEFAULT_WEBSOCKET_PATH
            );
        }
    }
}

async fn accept_loop(
    broker: Arc<Broker>,
    listener: Arc<Listener>,
    index: usize,
    socket: TcpListener,
    alive: mpsc::Sender<()>,
) {
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
        spawn_connection(
            &broker,
            &listener,
            index,
            stream,
            peer,
            permit,
            alive.clone(),
        );
    }
}

fn spawn_connection(
    broker: &Arc<Broker>,
    listener: &Arc<Listener>,
    index: usize,
    stream: TcpStream,
    peer: SocketAddr,
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
    alive: mpsc::Sender<()>,
) {
    if broker.config().set_tcp_nodelay {
        let _ = stream.set_nodelay(true);
    }
    let broker = broker.clone();
    let listener = listener.clone();
    tokio::spawn(async move {
        crate::transport::serve(broker, listener, index, stream, peer).await;
        drop(permit);
        drop(alive);
    });
}
