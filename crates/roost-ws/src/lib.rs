//! `roost-ws`: MQTT over WebSocket, the part the broker and the client share.
//!
//! MQTT over WebSocket (MQTT 5.0 §6, 3.1.1 §6) sends the MQTT byte stream in binary WebSocket
//! messages under the `mqtt` subprotocol. This crate turns a tokio-tungstenite
//! [`WebSocketStream`](tokio_tungstenite::WebSocketStream) into a plain [`AsyncRead`] +
//! [`AsyncWrite`] byte stream ([`WsByteStream`]), so the MQTT code above it runs unchanged over TCP,
//! TLS or WebSocket, and it names the subprotocols and makes the server's choice among those a
//! client offers ([`choose_subprotocol`]); a client asks for it with [`client_request`], a server
//! answers with [`accept`], which also answers plain HTTP and bad requests with an HTTP error.
//!
//! It holds no socket, no TLS and no timer: the caller connects or accepts the stream below (and
//! bounds the handshake with a timeout). A client does the upgrade with the re-exported
//! [`tokio_tungstenite`] (same version as here) and hands the result to [`WsByteStream::new`].
//!
//! ```
//! # async fn demo() -> std::io::Result<()> {
//! use roost_ws::tokio_tungstenite::{tungstenite::protocol::Role, WebSocketStream};
//! use roost_ws::WsByteStream;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let (a, b) = tokio::io::duplex(1024);
//! let mut server = WsByteStream::new(WebSocketStream::from_raw_socket(a, Role::Server, None).await);
//! let mut client = WsByteStream::new(WebSocketStream::from_raw_socket(b, Role::Client, None).await);
//! client.write_all(&[0xC0, 0x00]).await?; // PINGREQ
//! client.flush().await?;
//! let mut packet = [0u8; 2];
//! server.read_exact(&mut packet).await?;
//! assert_eq!(packet, [0xC0, 0x00]);
//! # Ok(()) }
//! ```
//!
//! [`AsyncRead`]: tokio::io::AsyncRead
//! [`AsyncWrite`]: tokio::io::AsyncWrite

#![warn(missing_docs)]

mod client;
mod server;
mod stream;
mod subprotocol;

pub use client::client_request;
pub use server::{accept, server_config, Accepted, HandshakeError, MAX_REQUEST_HEAD};
pub use stream::{WsByteStream, WsStreamError, MAX_OUTGOING_MESSAGE};
pub use subprotocol::{choose_subprotocol, UnsupportedSubprotocol, MQTT, MQTT_V31, SUBPROTOCOLS};
pub use tokio_tungstenite;
