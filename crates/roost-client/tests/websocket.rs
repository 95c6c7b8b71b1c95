//! `roost-client` over WebSocket against a tokio-tungstenite server written for the test: the
//! upgrade asks for the path and the `mqtt` subprotocol with the right `Host`, MQTT packets
//! cross in binary messages both ways, over plain TCP and over TLS (`wss://`), and a broker that
//! answers HTTP without upgrading is a [`ClientError::WebSocket`] naming the URL and the status.

mod certs;

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use certs::Certs;
use roost_client::{
    Client, ClientError, ClientOptions, Properties, QoS, TlsConfig, TlsOptions, Transport,
};
use roost_proto::{decode, encode, ConnAck, Packet, ProtocolVersion, ReasonCode};
use roost_ws::tokio_tungstenite::accept_hdr_async;
use roost_ws::tokio_tungstenite::tungstenite::handshake::server::{
    ErrorResponse, Request, Response,
};
use roost_ws::tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use roost_ws::WsByteStream;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

/// What the server saw of the upgrade request, and the packets that followed.
#[derive(Debug, Default)]
struct Seen {
    path: String,
    host: String,
    subprotocol: String,
    packets: Vec<Packet>,
}

/// Reads packets from `stream` until `count` have come (or the stream ends).
async fn read_packets<S: AsyncRead + Unpin>(stream: &mut S, count: usize) -> Vec<Packet> {
    let mut buf = BytesMut::new();
    let mut packets = Vec::new();
    while packets.len() < count {
        if let Some(packet) = decode(&mut buf, ProtocolVersion::V3_1_1, u32::MAX).expect("valid") {
            packets.push(packet);
            continue;
        }
        if stream.read_buf(&mut buf).await.expect("read") == 0 {
            break;
        }
    }
    packets
}

/// Upgrades `stream` (answering with the `mqtt` subprotocol, or with HTTP 404 when `refuse`),
/// accepts CONNECT with CONNACK and collects the packets up to the client's DISCONNECT.
// The callback's error type is tungstenite's HTTP response, large by its design.
#[allow(clippy::result_large_err)]
async fn serve<S>(stream: S, refuse: bool) -> Seen
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut seen = Seen::default();
    let record = |request: &Request, mut response: Response| {
        seen.path = request.uri().path().to_owned();
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        seen.host = header("Host");
        seen.subprotocol = header("Sec-WebSocket-Protocol");
        if refuse {
            let mut refusal = ErrorResponse::new(Some("no MQTT here".into()));
            *refusal.status_mut() = StatusCode::NOT_FOUND;
            return Err(refusal);
        }
        response
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
        Ok(response)
    };
    let Ok(ws) = accept_hdr_async(stream, record).await else {
        return seen;
    };
    let mut stream = WsByteStream::new(ws);
    seen.packets = read_packets(&mut stream, 1).await;
    let mut out = BytesMut::new();
    let connack = ConnAck {
        session_present: false,
        reason: ReasonCode::SUCCESS,
        properties: Properties::default(),
    };
    encode(&Packet::ConnAck(connack), ProtocolVersion::V3_1_1, &mut out);
    stream.write_all(&out).await.expect("write");
    stream.flush().await.expect("flush");
    seen.packets.extend(read_packets(&mut stream, 2).await);
    seen
}

/// A listener on a free port whose first connection is served by `serve`, through TLS with the
/// server certificate of `certs` when given.
async fn server(certs: Option<&Certs>, refuse: bool) -> (u16, tokio::task::JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let acceptor = certs.map(|certs| {
        let chain = CertificateDer::pem_file_iter(&certs.server_cert)
            .expect("cert")
            .collect::<Result<Vec<_>, _>>()
            .expect("certs");
        let key = PrivateKeyDer::from_pem_file(&certs.server_key).expect("key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server config");
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        match acceptor {
            Some(acceptor) => serve(acceptor.accept(tcp).await.expect("TLS"), refuse).await,
            None => serve(tcp, refuse).await,
        }
    });
    (port, task)
}

/// Connects with `transport`, publishes one QoS 0 message and disconnects.
async fn publish_once(port: u16, transport: Transport) -> Result<(), ClientError> {
    let options = ClientOptions {
        transport,
        client_id: "ws-client".into(),
        ..ClientOptions::new("localhost", port)
    };
    let (client, _connected, _incoming) = timeout(LIMIT, Client::connect(options))
        .await
        .expect("in time")?;
    client
        .publish(
            "ws/t",
            "over websocket",
            QoS::AtMostOnce,
            false,
            Properties::default(),
        )
        .await?;
    client
        .disconnect(ReasonCode::NORMAL_DISCONNECTION, Properties::default())
        .await
}

fn check_session(seen: &Seen, port: u16, path: &str) {
    assert_eq!(seen.path, path);
    assert_eq!(seen.host, format!("localhost:{port}"));
    assert_eq!(seen.subprotocol, "mqtt");
    assert!(
        matches!(&seen.packets[..], [Packet::Connect(c), Packet::Publish(p), Packet::Disconnect(_)]
            if c.client_id == "ws-client" && p.topic == "ws/t" && &p.payload[..] == b"over websocket"),
        "{:?}",
        seen.packets
    );
}

#[tokio::test]
async fn mqtt_travels_in_websocket_messages_at_the_path_asked_for() {
    for path in ["/mqtt", "/elsewhere/ws"] {
        let (port, seen) = server(None, false).await;
        let transport = Transport::WebSocket { path: path.into() };
        publish_once(port, transport).await.expect("publishes");
        check_session(&seen.await.expect("server"), port, path);
    }
}

#[tokio::test]
async fn secure_websocket_is_websocket_over_tls() {
    let Some(certs) = Certs::make("wss") else {
        return;
    };
    let (port, seen) = server(Some(&certs), false).await;
    let tls = TlsConfig::new(TlsOptions {
        cafile: Some(certs.ca.clone()),
        ..TlsOptions::default()
    })
    .expect("loads");
    let transport = Transport::SecureWebSocket {
        tls,
        path: roost_client::DEFAULT_WEBSOCKET_PATH.into(),
    };
    publish_once(port, transport).await.expect("publishes");
    check_session(&seen.await.expect("server"), port, "/mqtt");
}

#[tokio::test]
async fn an_http_answer_without_upgrade_names_the_url_and_the_status() {
    let (port, seen) = server(None, true).await;
    let transport = Transport::WebSocket {
        path: "/mqtt".into(),
    };
    let error = publish_once(port, transport).await.expect_err("refused");
    assert!(matches!(error, ClientError::WebSocket { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "WebSocket handshake with ws://localhost:{port}/mqtt failed: "
        )),
        "{text}"
    );
    assert!(text.contains("404"), "{text}");
    assert_eq!(seen.await.expect("server").subprotocol, "mqtt");
}
