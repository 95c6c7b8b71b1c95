//! The steps between an accepted TCP connection and the MQTT connection loop:
//! TCP → [TLS] → [WebSocket] → [`crate::connection::serve`].
//!
//! Each step takes the stream the one before produced and hands on a byte stream; the MQTT code
//! never knows which steps ran. A step that fails closes only that connection, with one log line
//! naming the peer and the cause; every handshake is bounded by the connect timeout, so a peer that
//! stays silent is dropped.

mod websocket;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::broker::Broker;
use crate::config::{Listener, ListenerProtocol};

/// Serves one accepted TCP connection through the listener's steps.
pub(crate) async fn serve(
    broker: Arc<Broker>,
    listener: Arc<Listener>,
    index: usize,
    stream: TcpStream,
    peer: SocketAddr,
) {
    serve_protocol(broker, listener, index, stream, peer).await;
}

/// The listener's protocol over `stream` (TCP, or what TLS made of it): MQTT at once, or the
/// WebSocket upgrade first.
async fn serve_protocol<S>(
    broker: Arc<Broker>,
    listener: Arc<Listener>,
    index: usize,
    stream: S,
    peer: SocketAddr,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    match listener.protocol {
        ListenerProtocol::Mqtt => {
            crate::connection::serve(broker, listener, index, stream, peer).await;
        }
        ListenerProtocol::WebSockets => {
            if let Some(upgraded) = websocket::upgrade(&broker, stream, peer).await {
                crate::connection::serve(broker, listener, index, upgraded, peer).await;
            }
        }
    }
}
