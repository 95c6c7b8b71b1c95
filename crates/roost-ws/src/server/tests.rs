//! The server handshake over an in-memory duplex: requests written by hand, answers read raw.

use super::*;
use futures_util::{SinkExt, StreamExt};
use tokio::io::DuplexStream;
use tokio_tungstenite::tungstenite::Message;

/// The sample key of RFC 6455 §1.3 and the accept value it must give.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn upgrade_request(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// Sends `request` to a server running [`accept`]; returns what it answered (up to the end of
/// the head, or everything until it closed) and the server's result.
async fn exchange(
    request: &[u8],
) -> (
    String,
    Result<Accepted<DuplexStream>, HandshakeError>,
    DuplexStream,
) {
    let (server_end, mut client) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(accept(server_end, server_config(1 << 20), MAX_REQUEST_HEAD));
    client.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte).await.unwrap() {
            0 => break,
            _ => answer.push(byte[0]),
        }
    }
    let result = server.await.unwrap();
    if result.is_err() {
        client.read_to_end(&mut answer).await.unwrap();
    }
    (String::from_utf8(answer).unwrap(), result, client)
}

#[tokio::test]
async fn an_upgrade_with_mqtt_is_answered_101_with_the_subprotocol() {
    let request = upgrade_request("/mqtt", "Sec-WebSocket-Protocol: mqtt\r\n");
    let (answer, result, _client) = exchange(request.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\n")),
        "{answer}"
    );
    assert!(
        answer.contains("Sec-WebSocket-Protocol: mqtt\r\n"),
        "{answer}"
    );
    let accepted = result.unwrap();
    assert_eq!(accepted.path, "/mqtt");
    assert_eq!(accepted.subprotocol, Some("mqtt"));
}

#[tokio::test]
async fn any_path_is_accepted() {
    for path in ["/", "/ws", "/mqtt?x=1"] {
        let (answer, result, _client) = exchange(upgrade_request(path, "").as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 101 "), "{path}: {answer}");
        assert_eq!(result.unwrap().path, path);
    }
}

#[tokio::test]
async fn no_subprotocol_offered_is_accepted_without_the_header() {
    let (answer, result, _client) = exchange(upgrade_request("/", "").as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 101 "), "{answer}");
    assert!(!answer.contains("Sec-WebSocket-Protocol"), "{answer}");
    assert_eq!(result.unwrap().subprotocol, None);
}

#[tokio::test]
async fn mqttv31_is_answered_as_offered() {
    let request = upgrade_request("/", "Sec-WebSocket-Protocol: mqttv3.1\r\n");
    let (answer, result, _client) = exchange(request.as_bytes()).await;
    assert!(
        answer.contains("Sec-WebSocket-Protocol: mqttv3.1\r\n"),
        "{answer}"
    );
    assert_eq!(result.unwrap().subprotocol, Some("mqttv3.1"));
}

#[tokio::test]
async fn only_other_subprotocols_get_400_naming_them() {
    let request = upgrade_request("/", "Sec-WebSocket-Protocol: chat\r\n");
    let (answer, result, _client) = exchange(request.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
    assert!(answer.contains("\"chat\""), "{answer}");
    assert!(matches!(result, Err(HandshakeError::Subprotocol(_))));
}

#[tokio::test]
async fn a_get_without_upgrade_gets_400_with_a_text_body() {
    let request = "GET /mqtt HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let (answer, result, _client) = exchange(request.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
    assert!(answer.contains("Content-Type: text/plain"), "{answer}");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(body.len(), length);
    assert!(body.contains("without a WebSocket upgrade"), "{body}");
    let err = result.unwrap_err();
    assert_eq!(
        err.to_string(),
        "HTTP GET /mqtt without a WebSocket upgrade (no 'Upgrade: websocket' header)"
    );
}

#[tokio::test]
async fn a_post_is_refused() {
    let request = "POST / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    let (answer, result, _client) = exchange(request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(matches!(result, Err(HandshakeError::NotUpgrade { .. })));
}

#[tokio::test]
async fn a_missing_key_is_refused() {
    let request = "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let (answer, result, _client) = exchange(request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(result
        .unwrap_err()
        .to_string()
        .contains("Sec-WebSocket-Key"));
}

#[tokio::test]
async fn another_websocket_version_gets_426_naming_13() {
    let request = upgrade_request("/", "").replace("Version: 13", "Version: 8");
    let (answer, result, _client) = exchange(request.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
        "{answer}"
    );
    assert!(answer.contains("Sec-WebSocket-Version: 13\r\n"), "{answer}");
    assert!(matches!(result, Err(HandshakeError::Version(v)) if v == "8"));
}

#[tokio::test]
async fn mqtt_bytes_instead_of_http_are_refused_with_a_hint() {
    let connect = [
        0x10, 0x0D, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3C,
    ];
    let (answer, result, _client) = exchange(&connect).await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    let err = result.unwrap_err();
    assert!(matches!(err, HandshakeError::NotHttp { .. }));
    assert!(
        err.to_string()
            .contains("plain MQTT sent to a WebSocket listener"),
        "{err}"
    );
}

#[tokio::test]
async fn garbage_is_refused() {
    let (answer, result, _client) = exchange(b"\xff\xfe garbage \x00\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    let err = result.unwrap_err();
    assert!(
        err.to_string().starts_with("not an HTTP request ("),
        "{err}"
    );
    assert!(!err.to_string().contains("MQTT"), "{err}");
}

#[tokio::test]
async fn a_head_that_never_ends_is_refused_at_the_limit() {
    let mut request = b"GET / HTTP/1.1\r\n".to_vec();
    while request.len() < MAX_REQUEST_HEAD + 100 {
        request.extend_from_slice(b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    let (answer, result, _client) = exchange(&request).await;
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    assert!(matches!(result, Err(HandshakeError::TooLarge)));
}

#[tokio::test]
async fn a_smaller_head_limit_is_obeyed() {
    let (server_end, mut client) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(accept(server_end, server_config(1024), 64));
    let request = upgrade_request("/mqtt", "");
    assert!(request.len() > 64);
    client.write_all(request.as_bytes()).await.unwrap();
    assert!(matches!(
        server.await.unwrap(),
        Err(HandshakeError::TooLarge)
    ));
}

#[tokio::test]
async fn closing_mid_request_is_closed() {
    let (server_end, mut client) = tokio::io::duplex(1024);
    let server = tokio::spawn(accept(server_end, server_config(1024), MAX_REQUEST_HEAD));
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    drop(client);
    assert!(matches!(server.await.unwrap(), Err(HandshakeError::Closed)));
}

#[tokio::test]
async fn frames_sent_right_behind_the_request_are_kept() {
    let (server_end, mut client) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(accept(server_end, server_config(1024), MAX_REQUEST_HEAD));
    let mut request = upgrade_request("/", "Sec-WebSocket-Protocol: mqtt\r\n").into_bytes();
    // A masked binary frame holding PINGREQ (mask 0: the payload goes as is).
    request.extend_from_slice(&[0x82, 0x82, 0, 0, 0, 0, 0xC0, 0x00]);
    client.write_all(&request).await.unwrap();
    let mut accepted = server.await.unwrap().unwrap();
    let mut packet = [0u8; 2];
    accepted.stream.read_exact(&mut packet).await.unwrap();
    assert_eq!(packet, [0xC0, 0x00]);
}

#[tokio::test]
async fn tungstenites_client_talks_to_this_server() {
    let (server_end, client_end) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(accept(server_end, server_config(1024), MAX_REQUEST_HEAD));
    let request = crate::client_request("ws://localhost/mqtt").unwrap();
    let (mut ws, response) = tokio_tungstenite::client_async(request, client_end)
        .await
        .unwrap();
    assert_eq!(response.headers()["Sec-WebSocket-Protocol"], "mqtt");
    let mut accepted = server.await.unwrap().unwrap();
    ws.send(Message::Binary(vec![0xC0, 0x00].into()))
        .await
        .unwrap();
    let mut packet = [0u8; 2];
    accepted.stream.read_exact(&mut packet).await.unwrap();
    accepted.stream.write_all(&[0xD0, 0x00]).await.unwrap();
    accepted.stream.flush().await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Binary(vec![0xD0, 0x00].into())
    );
}

#[tokio::test]
async fn a_message_over_the_limit_is_invalid_data() {
    let (server_end, client_end) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(accept(server_end, server_config(16), MAX_REQUEST_HEAD));
    let request = crate::client_request("ws://localhost/").unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(request, client_end)
        .await
        .unwrap();
    let mut accepted = server.await.unwrap().unwrap();
    ws.send(Message::Binary(vec![0u8; 100].into()))
        .await
        .unwrap();
    let err = accepted.stream.read(&mut [0u8; 128]).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
}
