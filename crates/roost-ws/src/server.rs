//! The server's side of the upgrade: read the HTTP request, answer `101 Switching Protocols` with
//! the MQTT subprotocol, or answer an HTTP error and say why.
//!
//! The request head is read and checked here (RFC 6455 §4.2.1) rather than by tungstenite, so that
//! every refusal gets an HTTP answer a person can read — a plain `GET` without `Upgrade` gets
//! `400 Bad Request` with a short text body — and a typed [`HandshakeError`] for the log. Any path
//! is accepted (clients use `/`, `/mqtt`, `/ws`), as Mosquitto does; the path is returned.
//!
//! It reads at most the request head limit it is given (by default [`MAX_REQUEST_HEAD`]). The
//! caller bounds the whole handshake with a timeout; the only timer here is a short linger
//! (0.5 s) after a refusal, so that closing with unread input does not reset the connection and
//! destroy the answer.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use crate::subprotocol::{choose_subprotocol, UnsupportedSubprotocol};
use crate::WsByteStream;

/// The default limit on the HTTP request head (request line and headers): room for the cookies
/// a browser may send.
pub const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// How long a refused connection keeps reading (and discarding) before it is dropped.
const LINGER: std::time::Duration = std::time::Duration::from_millis(500);

/// Most headers a request may have.
const MAX_HEADERS: usize = 32;

/// Why an upgrade failed. Every variant but `Io` and `Closed` has been answered with an HTTP error.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The peer closed the connection before the request head was complete.
    #[error("connection closed during the WebSocket handshake")]
    Closed,
    /// The bytes received are not an HTTP request.
    #[error("not an HTTP request ({why}){hint}")]
    NotHttp {
        /// What the HTTP parser found.
        why: String,
        /// A hint for a known mistake, such as plain MQTT sent to a WebSocket port.
        hint: &'static str,
    },
    /// The request head is longer than the limit or has too many headers.
    #[error("HTTP request head too large")]
    TooLarge,
    /// An HTTP request that does not ask for a WebSocket.
    #[error("HTTP {method} {path} without a WebSocket upgrade ({why})")]
    NotUpgrade {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
        /// What is missing or wrong.
        why: &'static str,
    },
    /// A WebSocket version other than 13.
    #[error("unsupported WebSocket version {0:?} (13 is supported)")]
    Version(String),
    /// Subprotocols were offered, none of them MQTT's.
    #[error(transparent)]
    Subprotocol(#[from] UnsupportedSubprotocol),
}

/// An accepted WebSocket connection, ready to carry MQTT.
#[derive(Debug)]
pub struct Accepted<S> {
    /// The connection as a byte stream.
    pub stream: WsByteStream<S>,
    /// The request's path (with its query, if any).
    pub path: String,
    /// The subprotocol answered, if the client offered one.
    pub subprotocol: Option<&'static str>,
}

/// A WebSocket configuration for MQTT servers: a small read buffer (tungstenite allocates it per
/// connection) and messages of at most `max_message` bytes.
pub fn server_config(max_message: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
}

/// Performs the server's side of the handshake on `stream`, reading at most `max_head` bytes of
/// request head.
pub async fn accept<S>(
    mut stream: S,
    config: WebSocketConfig,
    max_head: usize,
) -> Result<Accepted<S>, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut head = Vec::with_capacity(1024);
    let (upgrade, consumed) = loop {
        match parse_request(&head) {
            Ok(Some(parsed)) => break parsed,
            Ok(None) if head.len() >= max_head => {
                return refuse(stream, HandshakeError::TooLarge).await
            }
            Ok(None) => {}
            Err(e) => return refuse(stream, e).await,
        }
        let room = max_head - head.len();
        let n = (&mut stream).take(room as u64).read_buf(&mut head).await?;
        if n == 0 {
            return Err(HandshakeError::Closed);
        }
    };
    let mut response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        derive_accept_key(upgrade.key.as_bytes())
    );
    if let Some(name) = upgrade.subprotocol {
        response.push_str(&format!("Sec-WebSocket-Protocol: {name}\r\n"));
    }
    response.push_str("\r\n");
    stream.write_all(response.as_bytes()).await?;
    stream.flush().await?;
    // A client may send its first frames right behind the request: they are kept.
    let early = head.split_off(consumed);
    let ws = WebSocketStream::from_partially_read(stream, early, Role::Server, Some(config)).await;
    Ok(Accepted {
        stream: WsByteStream::new(ws),
        path: upgrade.path,
        subprotocol: upgrade.subprotocol,
    })
}

/// What a valid upgrade request asked for.
#[derive(Debug)]
struct Upgrade {
    path: String,
    key: String,
    subprotocol: Option<&'static str>,
}

/// Parses and checks the request head in `buf`: `None` while it is incomplete, else the request
/// and how many bytes it took.
fn parse_request(buf: &[u8]) -> Result<Option<(Upgrade, usize)>, HandshakeError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let consumed = match request.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HandshakeError::TooLarge),
        Err(e) => {
            let hint = if buf.first() == Some(&0x10) {
                ": plain MQTT sent to a WebSocket listener"
            } else {
                ""
            };
            return Err(HandshakeError::NotHttp {
                why: e.to_string(),
                hint,
            });
        }
    };
    let method = request.method.unwrap_or_default();
    let path = request.path.unwrap_or_default().to_string();
    let refused = |why| HandshakeError::NotUpgrade {
        method: method.to_string(),
        path: path.clone(),
        why,
    };
    let header = |name: &'static str| {
        request
            .headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .filter_map(|h| std::str::from_utf8(h.value).ok())
    };
    let has_token = |name: &'static str, token: &str| {
        header(name).any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    if method != "GET" {
        return Err(refused("a WebSocket upgrade is a GET"));
    }
    if request.version != Some(1) {
        return Err(refused("a WebSocket upgrade needs HTTP/1.1"));
    }
    if !has_token("Upgrade", "websocket") {
        return Err(refused("no 'Upgrade: websocket' header"));
    }
    if !has_token("Connection", "upgrade") {
        return Err(refused("no 'Connection: Upgrade' header"));
    }
    let version: Vec<&str> = header("Sec-WebSocket-Version").collect();
    if version != ["13"] {
        return Err(HandshakeError::Version(version.join(", ")));
    }
    let key = header("Sec-WebSocket-Key")
        .next()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| refused("no Sec-WebSocket-Key header"))?
        .to_string();
    let subprotocol = choose_subprotocol(header("Sec-WebSocket-Protocol"))?;
    Ok(Some((
        Upgrade {
            path,
            key,
            subprotocol,
        },
        consumed,
    )))
}

impl HandshakeError {
    /// The HTTP status a refusal is answered with.
    fn status(&self) -> u16 {
        match self {
            HandshakeError::TooLarge => 431,
            HandshakeError::Version(_) => 426,
            _ => 400,
        }
    }

    fn reason(&self) -> &'static str {
        match self.status() {
            431 => "Request Header Fields Too Large",
            426 => "Upgrade Required",
            _ => "Bad Request",
        }
    }
}

/// Answers an HTTP error whose body says why, closes the stream (after the linger) and
/// returns `error`.
async fn refuse<S, T>(mut stream: S, error: HandshakeError) -> Result<T, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (status, reason) = (error.status(), error.reason());
    let body = format!("{error}\nThis is an MQTT over WebSocket endpoint (subprotocol mqtt).\n");
    let version = if matches!(error, HandshakeError::Version(_)) {
        "Sec-WebSocket-Version: 13\r\n"
    } else {
        ""
    };
    let answer = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n{version}Connection: close\r\n\r\n{body}",
        body.len()
    );
    // The refusal is what matters; a peer that stopped reading does not change it.
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
    let drain = async {
        let mut discard = [0u8; 512];
        while matches!(stream.read(&mut discard).await, Ok(n) if n > 0) {}
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
    Err(error)
}

#[cfg(test)]
mod tests;
