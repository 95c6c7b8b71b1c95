//! MQTT over WebSocket for the client: the upgrade request on an open TCP or TLS stream, then
//! [`roost_ws::WsByteStream`] makes the WebSocket connection the byte stream the session runs on.
//!
//! The request asks for the `mqtt` subprotocol (MQTT 5.0 §6.0.0-3, 3.1.1 §6) at the path of
//! [`crate::Transport`] (`/mqtt` by default, as paho and MQTT.js use; Mosquitto and Roost brokers
//! accept any path), with the host and port in `Host`. tungstenite checks that the broker's
//! answer upgrades and names the subprotocol.

use roost_ws::tokio_tungstenite::tungstenite::Error as WsError;
use roost_ws::tokio_tungstenite::{client_async_with_config, tungstenite};
use roost_ws::WsByteStream;
use tokio::io::{AsyncRead, AsyncWrite};

/// The path asked for when none is given: what paho and MQTT.js use, and EMQX serves.
pub const DEFAULT_WEBSOCKET_PATH: &str = "/mqtt";

/// The URL of the upgrade: `ws://host:port/path` (`wss://` over TLS), IPv6 hosts bracketed and
/// the path given a leading `/` if it lacks one.
pub(crate) fn url(secure: bool, host: &str, port: u16, path: &str) -> String {
    let scheme = if secure { "wss" } else { "ws" };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let slash = if path.starts_with('/') { "" } else { "/" };
    format!("{scheme}://{host}:{port}{slash}{path}")
}

/// Runs the WebSocket upgrade for `url` over `stream`.
pub(crate) async fn upgrade<S>(stream: S, url: &str) -> Result<WsByteStream<S>, WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let request = roost_ws::client_request(url)?;
    let config = tungstenite::protocol::WebSocketConfig::default();
    let (ws, _response) = client_async_with_config(request, stream, Some(config)).await?;
    Ok(WsByteStream::new(ws))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_bracket_ipv6_and_start_the_path_with_a_slash() {
        assert_eq!(
            url(false, "127.0.0.1", 8083, "/mqtt"),
            "ws://127.0.0.1:8083/mqtt"
        );
        assert_eq!(url(true, "::1", 8084, "mqtt"), "wss://[::1]:8084/mqtt");
        assert_eq!(url(false, "localhost", 80, "/"), "ws://localhost:80/");
    }
}
