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
    /// Starts accepting on `listener` (bound to `addr`) with the certificate `tls` holds at
    /// each handshake.
    pub(crate) fn new(listener: TcpListener, addr: SocketAddr, tls: Arc<TlsListener>) -> Self {
        let (ready_tx, ready) = mpsc::channel(READY_QUEUE);
        tokio::spawn(accept_loop(listener, tls, ready_tx));
        TlsIncoming { ready, addr }
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use axum::serve::Listener;
    use roost_broker::config::{Sourced, TlsSettings};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

    use super::*;

    /// The broker's TLS test files (a CA and a server certificate for 127.0.0.1).
    fn fixture(name: &str) -> Sourced<PathBuf> {
        Sourced {
            value: Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../roost-broker/tests/data/tls")
                .join(name),
            file: PathBuf::from("t.conf"),
            line: 1,
        }
    }

    async fn incoming() -> TlsIncoming {
        let settings = TlsSettings {
            certfile: Some(fixture("server.crt")),
            keyfile: Some(fixture("server.key")),
            directive_prefix: "dashboard_",
            ..TlsSettings::default()
        };
        let tls = Arc::new(TlsListener::load(&settings).expect("fixtures load"));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        TlsIncoming::new(listener, addr, tls)
    }

    fn connector() -> tokio_rustls::TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        let ca = CertificateDer::from_pem_file(&fixture("ca.crt").value).expect("ca");
        roots.add(ca).expect("a CA");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }

    /// Reads until the server closes the connection; true when it did.
    async fn closed_by_server(stream: &mut TcpStream) -> bool {
        let mut buf = [0u8; 512];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => continue,
            }
        }
    }

    #[tokio::test]
    async fn plain_and_stalled_clients_hold_up_no_one() {
        let mut incoming = incoming().await;
        let addr = incoming.local_addr().expect("addr");
        let _stalled = TcpStream::connect(addr).await.expect("connect");
        let mut plain = TcpStream::connect(addr).await.expect("connect");
        plain
            .write_all(b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        assert!(closed_by_server(&mut plain).await);
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let client_addr = tcp.local_addr().expect("client addr");
        let name = ServerName::try_from("127.0.0.1").expect("name");
        let client = tokio::spawn(async move { connector().connect(name, tcp).await });
        let (_stream, peer) = incoming.accept().await;
        assert_eq!(peer, client_addr);
        assert!(client.await.expect("task").is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_handshake_that_never_comes_is_closed_after_the_timeout() {
        let incoming = incoming().await;
        let addr = incoming.local_addr().expect("addr");
        let started = tokio::time::Instant::now();
        let mut stalled = TcpStream::connect(addr).await.expect("connect");
        let closed = tokio::time::timeout(2 * HANDSHAKE_TIMEOUT, closed_by_server(&mut stalled));
        assert!(closed.await.expect("closed within the timeout"));
        assert!(
            started.elapsed() >= HANDSHAKE_TIMEOUT,
            "{:?}",
            started.elapsed()
        );
    }
}
