//! The WebSocket step: the HTTP upgrade of a `protocol websockets` listener, bounded by the
//! connect timeout, after which MQTT runs over binary WebSocket messages as over TCP.
//!
//! The upgrade itself (any path; subprotocol `mqtt`, `mqttv3.1` or none; an HTTP error answered
//! for anything else) is `roost_ws::accept`. This step owns the limits and the log line.

use std::net::SocketAddr;
use std::sync::Arc;

use roost_ws::{HandshakeError, WsByteStream};
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::info;

use crate::broker::Broker;
use crate::config::LogType;

/// Room for several packets in one WebSocket message beyond the largest packet allowed.
const MESSAGE_SLACK: usize = 1 << 20;

/// Upgrades `stream` to MQTT over WebSocket; `None` (after one log line) when the peer did not
/// complete a valid upgrade in time.
pub(super) async fn upgrade<S>(
    broker: &Arc<Broker>,
    stream: S,
    peer: SocketAddr,
) -> Option<WsByteStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Read the settings now: the configuration guard is not to be held across the handshake.
    let (max_message, timeout, max_head) = {
        let config = broker.config();
        let max_head = match config.websockets_headers_size {
            0 => roost_ws::MAX_REQUEST_HEAD,
            n => n,
        };
        let max_message = (config.max_packet_size as usize).saturating_add(MESSAGE_SLACK);
        (max_message, config.connect_timeout, max_head)
    };
    let handshake = roost_ws::accept(stream, roost_ws::server_config(max_message), max_head);
    match tokio::time::timeout(timeout, handshake).await {
        Ok(Ok(accepted)) => {
            // Shown with `log_type websockets`, as Mosquitto shows its WebSocket library's lines.
            info!(
                target: LogType::WEBSOCKETS_TARGET,
                "WebSocket upgrade from {peer}: path {}, subprotocol {}.",
                accepted.path,
                accepted.subprotocol.unwrap_or("none")
            );
            Some(accepted.stream)
        }
        Ok(Err(HandshakeError::Closed)) => {
            info!("WebSocket client {peer} closed the connection during the handshake.");
            None
        }
        Ok(Err(e)) => {
            info!("WebSocket handshake with {peer} failed, closing: {e}.");
            None
        }
        Err(_) => {
            info!("WebSocket client {peer} did not complete the handshake within {timeout:?}, closing.");
            None
        }
    }
}
