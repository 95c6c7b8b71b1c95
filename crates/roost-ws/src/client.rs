//! The client's side of the upgrade: the HTTP request that asks for MQTT over WebSocket.
//!
//! It only builds the request; the caller opens the TCP (or TLS) stream and passes both to
//! `tokio_tungstenite::client_async_with_config`, which checks that the server's answer names the
//! subprotocol asked for.

use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::subprotocol::MQTT;

/// The upgrade request for `url` (`ws://host:port/path` or `wss://…`), offering the `mqtt`
/// subprotocol.
pub fn client_request(url: &str) -> Result<Request, WsError> {
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(MQTT));
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_offers_mqtt_and_keeps_the_path() {
        let request = client_request("ws://127.0.0.1:8083/mqtt").unwrap();
        assert_eq!(request.uri().path(), "/mqtt");
        assert_eq!(request.headers()["Sec-WebSocket-Protocol"], "mqtt");
        assert_eq!(request.headers()["Host"], "127.0.0.1:8083");
    }

    #[test]
    fn a_url_that_is_not_one_is_an_error() {
        assert!(client_request("not a url").is_err());
    }

    // The callback's error type is tungstenite's HTTP response, large by its design.
    #[allow(clippy::result_large_err)]
    #[tokio::test]
    async fn a_client_and_server_pair_talk_mqtt_bytes() {
        use crate::WsByteStream;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio_tungstenite::tungstenite::handshake::server::Request as ServerRequest;
        use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Response};

        let (a, b) = tokio::io::duplex(4096);
        let server = tokio::spawn(async move {
            let answer = |request: &ServerRequest, mut response: Response| {
                let offered = request.headers().get_all("Sec-WebSocket-Protocol");
                let chosen =
                    crate::choose_subprotocol(offered.iter().filter_map(|v| v.to_str().ok()));
                match chosen {
                    Ok(Some(name)) => {
                        response
                            .headers_mut()
                            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(name));
                        Ok(response)
                    }
                    _ => Err(ErrorResponse::new(Some("no mqtt".into()))),
                }
            };
            let ws = tokio_tungstenite::accept_hdr_async(a, answer)
                .await
                .unwrap();
            let mut stream = WsByteStream::new(ws);
            let mut packet = [0u8; 2];
            stream.read_exact(&mut packet).await.unwrap();
            stream.write_all(&[0xD0, 0x00]).await.unwrap(); // PINGRESP
            stream.flush().await.unwrap();
            packet
        });
        let request = client_request("ws://localhost/mqtt").unwrap();
        let (ws, response) = tokio_tungstenite::client_async(request, b).await.unwrap();
        assert_eq!(response.headers()["Sec-WebSocket-Protocol"], "mqtt");
        let mut client = WsByteStream::new(ws);
        client.write_all(&[0xC0, 0x00]).await.unwrap(); // PINGREQ
        client.flush().await.unwrap();
        let mut answer = [0u8; 2];
        client.read_exact(&mut answer).await.unwrap();
        assert_eq!(answer, [0xD0, 0x00]);
        assert_eq!(server.await.unwrap(), [0xC0, 0x00]);
    }
}
