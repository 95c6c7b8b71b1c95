//! HTTPS for the dashboard: an [`axum::serve::Listener`] that accepts TCP connections and hands
//! axum only those whose TLS handshake has finished. The certificate and key are read, and
//! re-read on SIGHUP, by `roost-broker`'s [`TlsListener`] — the broker's own loader — so a file
//! problem reads as it does for a broker listener, at the line that named the file.
//!
//! Each handshake runs in a task of its own, bounded by [`HANDSHAKE_TIMEOUT`], at most
//! [`MAX_HANDSHAKES`] at once: a client that stalls or speaks plain HTTP holds up no one, and its
//! failure is one log line. Nothing here stops the server; it ends when axum drops the listener.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use roost_broker::TlsListener;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::server::TlsStream;

/// How long a client has to finish its TLS handshake.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshakes under way at once; past it, accepting waits for one to end.
const MAX_HANDSHAKES: usize = 64;

/// Finished handshakes waiting for axum to take them (axum takes them as fast as they come).
const READY_QUEUE: usize = 16;

/// How long to wait after a failed `accept` (out of file descriptors) before the next.
const ACCEPT_RETRY: Duration = Duration::from_millis(200);

/// A connection whose handshake is done, with its peer.
type Ready = (TlsStream<TcpStream>, SocketAddr);

/// The dashboard's HTTPS listener, as axum serves it.
#[derive(Debug)]
pub(crate) struct TlsIncoming {
    ready: mpsc::Receiver<Ready>,
    addr: SocketAddr,
}

impl TlsIncoming {
    /// Starts accepting on `listener` with the certificate `tls` holds at each handshake.
    pub(crate) fn new(listener: TcpListener, tls: Arc<TlsListener>) -> io::Result<TlsIncoming> {
        let addr = listener.local_addr()?;
        let (ready_tx, ready) = mpsc::channel(READY_QUEUE);
        tokio::spawn(accept_loop(listener, tls, ready_tx));
        Ok(TlsIncoming { ready, addr })
    }
}

impl axum::serve::Listener for TlsIncoming {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> Ready {
        match self.ready.recv().await {
            Some(ready) => ready,
            // The accept loop ends only once this listener is gone; never reached while it lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// Accepts until the [`TlsIncoming`] is dropped, spawning one handshake task per connection.
async fn accept_loop(listener: TcpListener, tls: Arc<TlsListener>, ready: mpsc::Sender<Ready>) {
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let permit = tokio::select! {
            permit = handshakes.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
            () = ready.closed() => return,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!("Dashboard: cannot accept a connection: {e}");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = ready.closed() => return,
        };
        let acceptor = tls.acceptor();
        let ready = ready.clone();
        tokio::spawn(async move {
            let outcome = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
            drop(permit);
            match outcome {
                Ok(Ok(stream)) => {
                    // An error here means the server has stopped: the connection just closes.
                    let _ = ready.send((stream, peer)).await;
                }
                Ok(Err(e)) => {
                    tracing::info!("Dashboard connection from {peer} failed: TLS handshake: {e}.")
                }
                Err(_) => tracing::info!(
                    "Dashboard connection from {peer} failed: no TLS handshake within {} s.",
                    HANDSHAKE_TIMEOUT.as_secs()
                ),
            }
        });
    }
}
