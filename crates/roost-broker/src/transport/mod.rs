//! What stands between an accepted TCP connection and MQTT: TCP → [TLS] → [WebSocket] →
//! [`crate::connection::serve`]. Nothing on a plain listener, a TLS handshake on a TLS one, then
//! the HTTP upgrade on a `protocol websockets` one (see [`websocket`]). Each handshake runs in the
//! connection's own task, bounded by the broker's connect timeout, so a client that never finishes
//! it holds up no one else; a failure closes that connection with one log line naming the peer.
//!
//! A listener's [`Transport`] is built once at start (its files read, errors at their lines)
//! and re-reads its files when the broker reloads; [`spawn`] starts a connection's task, which
//! hands the stream that comes out of the handshakes, with what the client certificate says, to
//! the connection loop, generic over the stream type.

pub(crate) mod ciphers;
pub(crate) mod subject;
pub(crate) mod tls;
mod websocket;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tracing::{info, warn};

use crate::broker::Broker;
use crate::config::{CertUsername, Listener, ListenerProtocol};
use crate::file_error::FileError;
use tls::TlsListener;

/// Who the client is before its CONNECT is read, as far as the transport can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PeerIdentity {
    /// The user name comes from CONNECT, checked as usual.
    FromConnect,
    /// The listener takes user names from certificates, and this is the client's.
    Certificate(Arc<str>),
    /// The listener takes user names from certificates and this client's gives none: why.
    NoCertificateName(String),
}

/// How a listener's connections begin.
#[derive(Debug)]
pub(crate) enum Transport {
    /// Plain MQTT over TCP.
    Tcp,
    /// MQTT inside TLS (boxed: the rustls state is large and plain listeners need none).
    Tls(Box<TlsListener>),
}

impl Transport {
    /// The transport `listener` asks for, with its files read.
    pub(crate) fn for_listener(listener: &Listener) -> Result<Transport, FileError> {
        if listener.tls.enabled() {
            Ok(Transport::Tls(Box::new(TlsListener::load(&listener.tls)?)))
        } else {
            Ok(Transport::Tcp)
        }
    }

    /// How the start-up line names it: ` (TLS)` or nothing.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Transport::Tcp => "",
            Transport::Tls(_) => " (TLS)",
        }
    }

    /// True when the transport reads files that a reload should read again.
    pub(crate) fn has_files(&self) -> bool {
        matches!(self, Transport::Tls(_))
    }

    /// After a reload: reads the certificate, key, CA and revocation files again. A file that
    /// cannot be used keeps the running ones and says why in one line.
    pub(crate) fn reload(&self, port: u16) {
        let Transport::Tls(tls) = self else { return };
        match tls.reload() {
            Ok(()) => info!(
                "Reloaded the TLS certificate, key, CA and CRL files of the listener on port {port}."
            ),
            Err(e) => warn!(
                "Keeping the running TLS certificate of the listener on port {port}: {e}"
            ),
        }
    }
}

/// Checks every listener's TLS files, and the dashboard's, as the broker would at start
/// (`--test-config`).
pub fn check(config: &crate::Config) -> Result<(), FileError> {
    for listener in &config.listeners {
        Transport::for_listener(listener)?;
    }
    if config.dashboard.tls.enabled() {
        TlsListener::load(&config.dashboard.tls)?;
    }
    Ok(())
}

/// Spawns the task that serves one accepted connection: the transport's handshakes, then MQTT.
/// `guard` (the connection's place under `max_connections`, and what shutdown waits for) is
/// dropped when the task ends. Plain MQTT, plain WebSocket and TLS each have a task of their own
/// type, so a plain connection's future holds no room for a handshake or a wrapped stream.
pub(crate) fn spawn(
    broker: Arc<Broker>,
    listener: Arc<Listener>,
    index: usize,
    transport: &Arc<Transport>,
    stream: TcpStream,
    peer: SocketAddr,
    guard: crate::server::Guard,
) {
    match (transport.as_ref(), listener.protocol) {
        (Transport::Tcp, ListenerProtocol::Mqtt) => {
            let serving =
                crate::connection::serve_tcp(broker, listener, index, stream, peer, guard);
            tokio::spawn(serving);
        }
        (Transport::Tcp, ListenerProtocol::WebSockets) => {
            tokio::spawn(async move {
                let identity = PeerIdentity::FromConnect;
                serve_websocket(broker, listener, index, stream, peer, identity).await;
                drop(guard);
            });
        }
        (Transport::Tls(_), protocol) => {
            let transport = transport.clone();
            tokio::spawn(async move {
                let Transport::Tls(tls) = transport.as_ref() else {
                    return;
                };
                // One task type per protocol here too: an MQTT-over-TLS connection's future
                // then holds no room for the WebSocket state, which is larger.
                match protocol {
                    ListenerProtocol::Mqtt => {
                        serve_tls_mqtt(broker, listener, index, tls, stream, peer).await
                    }
                    ListenerProtocol::WebSockets => {
                        Box::pin(serve_tls_websocket(
                            broker, listener, index, tls, stream, peer,
                        ))
                        .await
                    }
                }
                drop(guard);
            });
        }
    }
}

/// The TLS handshake, then MQTT inside it.
async fn serve_tls_mqtt(
    broker: Arc<Broker>,
    listener: Arc<Listener>,
    index: usize,
    tls: &TlsListener,
    stream: TcpStream,
    peer: SocketAddr,
) {
    if let Some((stream, identity)) = tls_or_log(&broker, tls, stream, peer).await {
        crate::connection::serve(broker, listener, index, stream, peer, identity).await
    }
}

/// The TLS handshake, then WebSocket inside it (a `protocol websockets` listener with TLS).
async fn serve_tls_websocket(
    broker: Arc<Broker>,
    listener: Arc<Listener>,
    index: usize,
    tls: &TlsListener,
    stream: TcpStream,
    peer: SocketAddr,
) {
    if let Some((stream, identity)) = tls_or_log(&broker, tls, stream, peer).await {
        serve_websocket(broker, listener, index, stream, peer, identity).await
    }
}

/// The TLS handshake, boxed so that its state is given back once it is done; a failure is one
/// log line and `None`.
async fn tls_or_log(
    broker: &Broker,
    tls: &TlsListener,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<(tokio_rustls::server::TlsStream<TcpStream>, PeerIdentity)> {
    let timeout = broker.config().connect_timeout;
    match Box::pin(handshake(tls, stream, timeout)).await {
        Ok(done) => Some(done),
        Err(why) => {
            info!("Client connection from {peer} failed: TLS handshake: {why}.");
            None
        }
    }
}

/// The WebSocket upgrade on `stream` (TCP, or what TLS made of it), then MQTT inside it.
async fn serve_websocket<S>(
    broker: Arc<Broker>,
    listener: Arc<Listener>,
    index: usize,
    stream: S,
    peer: SocketAddr,
    identity: PeerIdentity,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if let Some(upgraded) = websocket::upgrade(&broker, stream, peer).await {
        crate::connection::serve(broker, listener, index, upgraded, peer, identity).await;
    }
}

/// The TLS handshake, bounded by `timeout`, and the user name the client certificate gives
/// when the listener asks for one. `Err` says why it failed.
pub(crate) async fn handshake<S>(
    tls: &TlsListener,
    stream: S,
    timeout: Duration,
) -> Result<(tokio_rustls::server::TlsStream<S>, PeerIdentity), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let accepted = tokio::time::timeout(timeout, tls.acceptor().accept(stream))
        .await
        .map_err(|_| format!("no handshake within {}s", timeout.as_secs_f32()))?
        .map_err(|e| handshake_error(&e))?;
    let identity = identity(tls.settings().cert_username(), &accepted);
    Ok((accepted, identity))
}

fn identity<S>(wanted: CertUsername, stream: &tokio_rustls::server::TlsStream<S>) -> PeerIdentity {
    let read = match wanted {
        CertUsername::Connect => return PeerIdentity::FromConnect,
        CertUsername::CommonName => subject::common_name,
        CertUsername::Subject => subject::subject_rfc2253,
    };
    let first = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first());
    match first.map(|cert| read(cert)) {
        None => PeerIdentity::NoCertificateName("the client sent no certificate".into()),
        Some(Ok(name)) => PeerIdentity::Certificate(Arc::from(name)),
        Some(Err(e)) => PeerIdentity::NoCertificateName(e.to_string()),
    }
}

/// A failed handshake in words: rustls' reason, with what it means for the client where that
/// is clear, or what happened to the socket.
fn handshake_error(e: &std::io::Error) -> String {
    use rustls::{CertificateError, Error};
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        return "the client closed the connection".into();
    }
    let Some(error) = e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) else {
        return e.to_string();
    };
    match error {
        Error::InvalidMessage(_) => {
            format!("the client does not speak TLS (plain MQTT on a TLS port?): {error}")
        }
        Error::NoCertificatesPresented => {
            "the client sent no certificate and this listener requires one".into()
        }
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the client certificate is not signed by a CA of cafile/capath".into()
        }
        Error::InvalidCertificate(CertificateError::Revoked) => {
            "the client certificate is revoked (crlfile)".into()
        }
        Error::InvalidCertificate(CertificateError::UnknownRevocationStatus) => {
            "no revocation list of crlfile covers the client certificate's CA".into()
        }
        Error::InvalidCertificate(cert) => format!("bad client certificate: {cert}"),
        Error::AlertReceived(alert) => format!("the client ended it with alert {alert:?}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Sourced, TlsSettings};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use std::path::{Path, PathBuf};

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/tls")
            .join(name)
    }

    fn at<T>(value: T) -> Option<Sourced<T>> {
        Some(Sourced {
            value,
            file: PathBuf::from("t.conf"),
            line: 1,
        })
    }

    fn listener(username: CertUsername) -> TlsListener {
        let settings = TlsSettings {
            certfile: at(fixture("server.crt")),
            keyfile: at(fixture("server.key")),
            cafile: at(fixture("ca.crt")),
            username: at(username),
            ..TlsSettings::default()
        };
        TlsListener::load(&settings).expect("fixtures load")
    }

    /// A rustls client trusting the fixture CA, with `simple.crt` as its certificate or none.
    fn connector(with_cert: bool) -> tokio_rustls::TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        let ca = CertificateDer::from_pem_file(fixture("ca.crt")).expect("ca");
        roots.add(ca).expect("ca is a CA");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots);
        let config = if with_cert {
            let cert = CertificateDer::from_pem_file(fixture("simple.crt")).expect("cert");
            let key = PrivateKeyDer::from_pem_file(fixture("simple.key")).expect("key");
            builder
                .with_client_auth_cert(vec![cert], key)
                .expect("client cert")
        } else {
            builder.with_no_client_auth()
        };
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }

    async fn exchange(tls: &TlsListener, with_cert: bool) -> Result<PeerIdentity, String> {
        let (client_side, server_side) = tokio::io::duplex(64 * 1024);
        let name = ServerName::try_from("127.0.0.1").expect("name");
        let client = tokio::spawn(async move {
            let stream = connector(with_cert).connect(name, client_side).await;
            // Hold the stream open until the server side is done with it.
            tokio::time::sleep(Duration::from_secs(1)).await;
            stream.map(|_| ())
        });
        let result = handshake(tls, server_side, Duration::from_secs(5)).await;
        let _ = client.await;
        result.map(|(_, identity)| identity)
    }

    #[tokio::test]
    async fn a_client_that_sends_nothing_is_given_up_after_the_timeout() {
        tokio::time::pause();
        let tls = listener(CertUsername::Connect);
        let (_silent_client, server_side) = tokio::io::duplex(1024);
        let started = tokio::time::Instant::now();
        let result = handshake(&tls, server_side, Duration::from_secs(10)).await;
        assert_eq!(result.err().as_deref(), Some("no handshake within 10s"));
        // The timer wheel rounds up to the next millisecond.
        let waited = started.elapsed();
        assert!(waited >= Duration::from_secs(10) && waited < Duration::from_millis(10_010));
    }

    #[tokio::test]
    async fn the_certificate_cn_is_the_user_name() {
        let tls = listener(CertUsername::CommonName);
        assert_eq!(
            exchange(&tls, true).await,
            Ok(PeerIdentity::Certificate(Arc::from("sensor-01")))
        );
        let tls = listener(CertUsername::Subject);
        assert_eq!(
            exchange(&tls, true).await,
            Ok(PeerIdentity::Certificate(Arc::from(
                "emailAddress=ops@example.com,CN=sensor-01,OU=Devices,O=Roost Tests,ST=Kent,C=GB"
            )))
        );
    }

    #[tokio::test]
    async fn without_a_certificate_there_is_no_user_name() {
        // require_certificate is false: the handshake succeeds, CONNECT will be refused.
        let tls = listener(CertUsername::CommonName);
        assert_eq!(
            exchange(&tls, false).await,
            Ok(PeerIdentity::NoCertificateName(
                "the client sent no certificate".into()
            ))
        );
        let tls = listener(CertUsername::Connect);
        assert_eq!(exchange(&tls, true).await, Ok(PeerIdentity::FromConnect));
    }

    #[tokio::test]
    async fn plain_mqtt_is_not_a_handshake() {
        use tokio::io::AsyncWriteExt;
        let tls = listener(CertUsername::Connect);
        let (mut client_side, server_side) = tokio::io::duplex(1024);
        // An MQTT 3.1.1 CONNECT.
        let connect = [
            0x10, 0x0d, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x01,
            b'x',
        ];
        client_side.write_all(&connect).await.expect("write");
        let result = handshake(&tls, server_side, Duration::from_secs(5)).await;
        let why = result.err().unwrap_or_default();
        assert!(
            why.starts_with("the client does not speak TLS (plain MQTT on a TLS port?)"),
            "{why}"
        );
    }
}
