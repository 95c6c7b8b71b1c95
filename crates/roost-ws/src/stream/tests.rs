//! The adapter over an in-memory duplex: a raw tungstenite client sends and receives whole
//! messages, the server side is the [`WsByteStream`] under test.

use super::*;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_tungstenite::tungstenite::protocol::Role;

/// CONNECT of MQTT 3.1.1, client id "a", clean session, keep-alive 60.
const CONNECT: [u8; 15] = [
    0x10, 0x0D, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, b'a',
];
/// PUBLISH QoS 0 of "hi" to "t".
const PUBLISH: [u8; 7] = [0x30, 0x05, 0x00, 0x01, b't', b'h', b'i'];

async fn pair() -> (WsByteStream<DuplexStream>, WebSocketStream<DuplexStream>) {
    let (a, b) = tokio::io::duplex(256 * 1024);
    let server = WebSocketStream::from_raw_socket(a, Role::Server, None).await;
    let client = WebSocketStream::from_raw_socket(b, Role::Client, None).await;
    (WsByteStream::new(server), client)
}

fn binary(bytes: &[u8]) -> Message {
    Message::Binary(Bytes::copy_from_slice(bytes))
}

#[tokio::test]
async fn a_packet_split_across_three_frames_reads_whole() {
    let (mut server, mut client) = pair().await;
    for piece in [&CONNECT[..1], &CONNECT[1..6], &CONNECT[6..]] {
        client.send(binary(piece)).await.unwrap();
    }
    let mut got = [0u8; CONNECT.len()];
    server.read_exact(&mut got).await.unwrap();
    assert_eq!(got, CONNECT);
}

#[tokio::test]
async fn two_packets_in_one_frame_read_one_after_the_other() {
    let (mut server, mut client) = pair().await;
    client
        .send(binary(&[&CONNECT[..], &PUBLISH[..]].concat()))
        .await
        .unwrap();
    let mut first = [0u8; CONNECT.len()];
    server.read_exact(&mut first).await.unwrap();
    assert_eq!(first, CONNECT);
    let mut second = [0u8; PUBLISH.len()];
    server.read_exact(&mut second).await.unwrap();
    assert_eq!(second, PUBLISH);
}

#[tokio::test]
async fn an_empty_binary_frame_is_not_end_of_file() {
    let (mut server, mut client) = pair().await;
    client.send(binary(&[])).await.unwrap();
    client.send(binary(&PUBLISH)).await.unwrap();
    let mut got = [0u8; PUBLISH.len()];
    server.read_exact(&mut got).await.unwrap();
    assert_eq!(got, PUBLISH);
}

#[tokio::test]
async fn a_text_frame_is_invalid_data() {
    let (mut server, mut client) = pair().await;
    client.send(Message::text("hello")).await.unwrap();
    let err = server.read(&mut [0u8; 16]).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<WsStreamError>());
    assert_eq!(inner, Some(&WsStreamError::TextFrame));
    assert!(err.to_string().contains("text frame"), "{err}");
}

#[tokio::test]
async fn bytes_before_a_text_frame_are_still_read() {
    let (mut server, mut client) = pair().await;
    client.send(binary(&PUBLISH)).await.unwrap();
    client.send(Message::text("x")).await.unwrap();
    let mut got = [0u8; PUBLISH.len()];
    server.read_exact(&mut got).await.unwrap();
    assert_eq!(got, PUBLISH);
    assert!(server.read(&mut [0u8; 1]).await.is_err());
}

#[tokio::test]
async fn close_is_end_of_file_and_is_answered() {
    let (mut server, mut client) = pair().await;
    client.send(binary(&PUBLISH)).await.unwrap();
    client.close(None).await.unwrap();
    let mut all = Vec::new();
    server.read_to_end(&mut all).await.unwrap();
    assert_eq!(all, PUBLISH);
    assert_eq!(
        server.read(&mut [0u8; 1]).await.unwrap(),
        0,
        "end of file stays"
    );
    // The server's read queued the Close reply; shutting down sends it.
    server.shutdown().await.unwrap();
    assert!(matches!(
        client.next().await,
        Some(Ok(Message::Close(_))) | None
    ));
}

#[tokio::test]
async fn the_stream_below_ending_is_end_of_file() {
    let (mut server, client) = pair().await;
    drop(client);
    assert_eq!(server.read(&mut [0u8; 4]).await.unwrap(), 0);
}

#[tokio::test]
async fn a_ping_is_answered_while_reading() {
    let (mut server, mut client) = pair().await;
    let reader = tokio::spawn(async move {
        let mut got = [0u8; PUBLISH.len()];
        server.read_exact(&mut got).await.map(|_| got)
    });
    client
        .send(Message::Ping(Bytes::from_static(b"are you there")))
        .await
        .unwrap();
    let reply = client.next().await.unwrap().unwrap();
    assert_eq!(reply, Message::Pong(Bytes::from_static(b"are you there")));
    client.send(binary(&PUBLISH)).await.unwrap();
    assert_eq!(reader.await.unwrap().unwrap(), PUBLISH);
}

#[tokio::test]
async fn a_pong_is_ignored() {
    let (mut server, mut client) = pair().await;
    client
        .send(Message::Pong(Bytes::from_static(b"x")))
        .await
        .unwrap();
    client.send(binary(&PUBLISH)).await.unwrap();
    let mut got = [0u8; PUBLISH.len()];
    server.read_exact(&mut got).await.unwrap();
    assert_eq!(got, PUBLISH);
}

#[tokio::test]
async fn writes_until_a_flush_go_out_as_one_binary_message() {
    let (mut server, mut client) = pair().await;
    server.write_all(&CONNECT).await.unwrap();
    server.write_all(&PUBLISH).await.unwrap();
    server.flush().await.unwrap();
    let got = client.next().await.unwrap().unwrap();
    assert_eq!(got, binary(&[&CONNECT[..], &PUBLISH[..]].concat()));
}

#[tokio::test]
async fn a_large_write_is_sent_in_bounded_messages() {
    let (mut server, mut client) = pair().await;
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let writer = tokio::spawn(async move {
        server.write_all(&big).await.unwrap();
        server.flush().await.unwrap();
        server
    });
    let mut got = Vec::new();
    while got.len() < 200_000 {
        match client.next().await.unwrap().unwrap() {
            Message::Binary(data) => {
                assert!(data.len() <= MAX_OUTGOING_MESSAGE, "{} bytes", data.len());
                got.extend_from_slice(&data);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    writer.await.unwrap();
    let want: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn shutdown_flushes_then_sends_close() {
    let (mut server, mut client) = pair().await;
    server.write_all(&PUBLISH).await.unwrap();
    server.shutdown().await.unwrap();
    assert_eq!(client.next().await.unwrap().unwrap(), binary(&PUBLISH));
    assert!(matches!(client.next().await, Some(Ok(Message::Close(_)))));
}

#[tokio::test]
async fn an_unmasked_client_frame_is_invalid_data() {
    let (a, mut b) = tokio::io::duplex(1024);
    let mut server =
        WsByteStream::new(WebSocketStream::from_raw_socket(a, Role::Server, None).await);
    // A binary frame without the mask a client must set (RFC 6455 §5.1).
    b.write_all(&[0x82, 0x02, 0xC0, 0x00]).await.unwrap();
    let err = server.read(&mut [0u8; 4]).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
}

#[tokio::test]
async fn writing_after_the_peer_went_away_fails() {
    let (mut server, client) = pair().await;
    drop(client);
    server.write_all(&PUBLISH).await.unwrap();
    assert!(server.flush().await.is_err());
}
