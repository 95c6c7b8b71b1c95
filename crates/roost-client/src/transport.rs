//! [`Transport`]: how the bytes of an MQTT connection travel — plain TCP, TLS, WebSocket, or
//! WebSocket over TLS — and opening that stream before the MQTT handshake.
//!
//! Every transport starts with a TCP connection (with `TCP_NODELAY`, as small MQTT packets must
//! not wait for Nagle, and from `bind_address` when one is given); TLS then runs its handshake
//! over it, and WebSocket its upgrade over TCP or TLS ([`crate::websocket`]). Each step is bounded
//! by the connect timeout. The stream that results is handed to [`crate::run_session`], which
//! works over any byte stream. TLS failures, during the handshake or when the broker ends the session before
//! CONNACK, become [`ClientError::Tls`] naming the broker's address; the connection failing
//! otherwise during the handshake is [`ClientError::TlsIo`], and a failed upgrade
//! [`ClientError::WebSocket`] naming the URL.

use std::net::SocketAddr;

use roost_ws::tokio_tungstenite::tungstenite::Error as WsError;
use roost_ws::WsByteStream;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{lookup_host, TcpSocket, TcpStream};
use tokio::time::timeout;
use tokio_rustls::client::TlsStream;

use crate::client::Client;
use crate::connect::run_session;
use crate::error::ClientError;
use crate::incoming::Incoming;
use crate::options::ClientOptions;
use crate::session::Connected;
use crate::tls::TlsConfig;
use crate::websocket;

/// How the client reaches the broker.
#[derive(Clone, Debug, Default)]
pub enum Transport {
    /// MQTT over plain TCP (port 1883 by convention).
    #[default]
    Tcp,
    /// MQTT over TLS over TCP (port 8883 by convention).
    Tls(TlsConfig),
    /// MQTT over WebSocket (`ws://host:port/path`) over TCP.
    WebSocket {
        /// The URL path of the upgrade request, such as [`crate::DEFAULT_WEBSOCKET_PATH`].
        path: String,
    },
    /// MQTT over WebSocket over TLS (`wss://host:port/path`).
    SecureWebSocket {
        /// The TLS settings.
        tls: TlsConfig,
        /// The URL path of the upgrade request.
        path: String,
    },
}

impl Transport {
    /// True when the bytes are encrypted.
    pub fn is_tls(&self) -> bool {
        matches!(self, Transport::Tls(_) | Transport::SecureWebSocket { .. })
    }

    /// True when MQTT travels in WebSocket messages.
    pub fn is_websocket(&self) -> bool {
        matches!(
            self,
            Transport::WebSocket { .. } | Transport::SecureWebSocket { .. }
        )
    }
}

/// Opens the stream `options.transport` names and runs the MQTT session over it.
pub(crate) async fn connect(
    options: ClientOptions,
) -> Result<(Client, Connected, Incoming), ClientError> {
    let tcp = timeout(options.connect_timeout, open_tcp(&options))
        .await
        .map_err(|_| ClientError::ConnectTimeout)??;
    tcp.set_nodelay(true)?;
    let address = address(&options);
    match options.transport.clone() {
        Transport::Tcp => run_session(tcp, options).await,
        Transport::Tls(tls) => {
            let stream = tls_handshake(&tls, tcp, &options, &address).await?;
            run_session(stream, options)
                .await
                .map_err(|e| tls_error(e, &address))
        }
        Transport::WebSocket { path } => {
            let url = websocket::url(false, &options.host, options.port, &path);
            let stream = ws_handshake(tcp, &url, &options, &address).await?;
            run_session(stream, options).await
        }
        Transport::SecureWebSocket { tls, path } => {
            let url = websocket::url(true, &options.host, options.port, &path);
            let stream = tls_handshake(&tls, tcp, &options, &address).await?;
            let stream = ws_handshake(stream, &url, &options, &address).await?;
            run_session(stream, options)
                .await
                .map_err(|e| tls_error(e, &address))
        }
    }
}

/// The TLS handshake over `tcp`, within the connect timeout.
async fn tls_handshake(
    tls: &TlsConfig,
    tcp: TcpStream,
    options: &ClientOptions,
    address: &str,
) -> Result<TlsStream<TcpStream>, ClientError> {
    timeout(options.connect_timeout, tls.connect(&options.host, tcp))
        .await
        .map_err(|_| ClientError::ConnectTimeout)?
        .map_err(|e| match tls_error(ClientError::Io(e), address) {
            ClientError::Io(source) => ClientError::TlsIo {
                address: address.to_owned(),
                source,
            },
            other => other,
        })
}

/// The WebSocket upgrade for `url` over `stream`, within the connect timeout. A TLS error met
/// on the way (a broker that wants a client certificate says so at its first read) is a
/// [`ClientError::Tls`].
async fn ws_handshake<S>(
    stream: S,
    url: &str,
    options: &ClientOptions,
    address: &str,
) -> Result<WsByteStream<S>, ClientError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let upgraded = timeout(options.connect_timeout, websocket::upgrade(stream, url))
        .await
        .map_err(|_| ClientError::ConnectTimeout)?;
    upgraded.map_err(|error| match error {
        WsError::Io(io) => match tls_error(ClientError::Io(io), address) {
            ClientError::Io(io) => ClientError::WebSocket {
                url: url.to_owned(),
                source: Box::new(WsError::Io(io)),
            },
            tls => tls,
        },
        other => ClientError::WebSocket {
            url: url.to_owned(),
            source: Box::new(other),
        },
    })
}

/// `host:port` of the broker, as errors name it.
fn address(options: &ClientOptions) -> String {
    if options.host.contains(':') {
        format!("[{}]:{}", options.host, options.port)
    } else {
        format!("{}:{}", options.host, options.port)
    }
}

/// An I/O error that carries a rustls error becomes [`ClientError::Tls`]; others stay as they are.
fn tls_error(error: ClientError, address: &str) -> ClientError {
    let ClientError::Io(io) = error else {
        return error;
    };
    if !io
        .get_ref()
        .is_some_and(|inner| inner.is::<rustls::Error>())
    {
        return ClientError::Io(io);
    }
    match io
        .into_inner()
        .map(|inner| inner.downcast::<rustls::Error>())
    {
        Some(Ok(source)) => ClientError::Tls {
            address: address.to_owned(),
            source: *source,
        },
        // Checked above: the inner error is a rustls error.
        Some(Err(other)) => ClientError::Io(std::io::Error::other(other)),
        None => ClientError::Disconnected(None),
    }
}

/// Opens the TCP connection a client with `options` would, from `options.bind_address` when one
/// is given: each address of the host is tried in turn from a bound address of the same family,
/// and the last error is kept. Public for tools that speak MQTT on the socket themselves
/// (`roost bench conn --bare`).
pub async fn open_tcp(options: &ClientOptions) -> std::io::Result<TcpStream> {
    let address = (options.host.as_str(), options.port);
    let Some(bind) = &options.bind_address else {
        return TcpStream::connect(address).await;
    };
    let locals: Vec<SocketAddr> = lookup_host((bind.as_str(), 0)).await?.collect();
    let mut last_error = None;
    for remote in lookup_host(address).await? {
        let Some(local) = locals.iter().find(|l| l.is_ipv4() == remote.is_ipv4()) else {
            continue;
        };
        let socket = if remote.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        defer_port_choice(&socket);
        let attempt = match socket.bind(*local) {
            Ok(()) => socket.connect(remote).await,
            Err(error) => Err(error),
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            "no bind address of the broker's address family",
        )
    }))
}

/// Asks the kernel to pick the source port of a socket bound to an address at connect rather
/// than at bind. Picking it at bind searches for a port no socket on that address holds, TIME_WAIT
/// ones included, which grows slow with many connections: measured with perf on `roost bench conn
/// -c 10000` run back to back, `bind` was 63% of the load generator's CPU. At connect a port is
/// only needed to be free for this destination. Where the option is missing the bind goes on
/// as before.
fn defer_port_choice(socket: &TcpSocket) {
    #[cfg(target_os = "linux")]
    {
        use nix::sys::socket::{setsockopt, sockopt::IpBindAddressNoPort};
        if let Err(error) = setsockopt(socket, IpBindAddressNoPort, &true) {
            tracing::debug!("IP_BIND_ADDRESS_NO_PORT not set: {error}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = socket;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_errors_inside_io_errors_become_tls_errors() {
        let inner = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        let error = tls_error(ClientError::Io(io), "127.0.0.1:8883");
        assert_eq!(
            error.to_string(),
            "TLS handshake with 127.0.0.1:8883 failed: received fatal alert: HandshakeFailure"
        );
        let plain = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(matches!(
            tls_error(ClientError::Io(plain), "h:1"),
            ClientError::Io(_)
        ));
        assert!(matches!(
            tls_error(ClientError::ConnectTimeout, "h:1"),
            ClientError::ConnectTimeout
        ));
    }

    #[test]
    fn ipv6_addresses_are_bracketed() {
        assert_eq!(address(&ClientOptions::new("::1", 8883)), "[::1]:8883");
        assert_eq!(
            address(&ClientOptions::new("localhost", 8883)),
            "localhost:8883"
        );
    }
}
