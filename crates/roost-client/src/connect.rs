//! Opening a connection: the transport's stream ([`crate::transport`]), then the CONNECT /
//! CONNACK handshake, then the session task.
//!
//! [`run_session`] works over any byte stream, so every transport reuses it unchanged.

use std::sync::{Arc, OnceLock};

use bytes::BytesMut;
use roost_proto::{decode, encode, Packet, ReasonCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

use crate::client::{Client, Shared};
use crate::error::ClientError;
use crate::event_loop::EventLoop;
use crate::incoming::Incoming;
use crate::options::{ClientOptions, Direction};
use crate::session::{Connected, Session};

/// Commands that may wait for the session task before `Client` calls wait in turn.
const COMMAND_CAPACITY: usize = 128;

impl Client {
    /// Connects to `options.host:options.port` over `options.transport` and completes the MQTT
    /// handshake.
    ///
    /// Fails with [`ClientError::Io`] if the socket cannot be opened, [`ClientError::Tls`] if the
    /// TLS handshake fails, [`ClientError::ConnectTimeout`] if the TCP connection, the TLS
    /// handshake or CONNACK takes longer than `options.connect_timeout` (each), and
    /// [`ClientError::Refused`] if the broker refuses the connection.
    pub async fn connect(
        options: ClientOptions,
    ) -> Result<(Client, Connected, Incoming), ClientError> {
        crate::transport::connect(options).await
    }
}

/// Runs the MQTT handshake over an already open `stream` and, once the broker accepts, spawns
/// the session task that owns the stream from then on.
///
/// Must be called within a tokio runtime.
pub async fn run_session<S>(
    mut stream: S,
    options: ClientOptions,
) -> Result<(Client, Connected, Incoming), ClientError>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (connected, rbuf) = timeout(options.connect_timeout, handshake(&mut stream, &options))
        .await
        .map_err(|_| ClientError::ConnectTimeout)??;

    let client_id = connected
        .assigned_client_id
        .clone()
        .unwrap_or_else(|| options.client_id.clone());
    let cause = Arc::new(OnceLock::new());
    let shared = Arc::new(Shared {
        client_id,
        protocol: options.protocol,
        cause: Arc::clone(&cause),
    });
    let (command_tx, command_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (message_tx, message_rx) = mpsc::channel(options.incoming_capacity.max(1));
    let (reader, writer) = tokio::io::split(stream);
    let event_loop = EventLoop {
        reader,
        writer,
        rbuf,
        session: Session::new(&options, &connected, Instant::now()),
        version: options.protocol,
        max_packet_size: options.max_incoming_packet(),
        commands: command_rx,
        incoming: message_tx,
        hook: options.packet_hook.clone(),
        cause: Arc::clone(&cause),
        spare: Vec::new(),
    };
    tokio::spawn(event_loop.run());
    Ok((
        Client::new(command_tx, shared),
        connected,
        Incoming::new(message_rx, cause),
    ))
}

/// Sends CONNECT and reads CONNACK. Returns the bytes read after CONNACK with it.
async fn handshake<S>(
    stream: &mut S,
    options: &ClientOptions,
) -> Result<(Connected, BytesMut), ClientError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let connect = Packet::Connect(Box::new(options.connect_packet()));
    if let Some(hook) = &options.packet_hook {
        hook(Direction::Sent, &connect);
    }
    let mut out = BytesMut::new();
    encode(&connect, options.protocol, &mut out);
    stream.write_all(&out).await?;
    stream.flush().await?;

    let mut rbuf = BytesMut::with_capacity(crate::event_loop::READ_MIN);
    let packet = loop {
        if let Some(packet) = decode(&mut rbuf, options.protocol, options.max_incoming_packet())? {
            break packet;
        }
        if stream.read_buf(&mut rbuf).await? == 0 {
            return Err(ClientError::Disconnected(None));
        }
    };
    if let Some(hook) = &options.packet_hook {
        hook(Direction::Received, &packet);
    }
    match packet {
        Packet::ConnAck(connack) if connack.reason == ReasonCode::SUCCESS => {
            Ok((Connected::new(connack, options.keep_alive), rbuf))
        }
        Packet::ConnAck(connack) => Err(ClientError::Refused(connack.reason)),
        Packet::Disconnect(disconnect) => Err(ClientError::Disconnected(Some(disconnect.reason))),
        other => Err(ClientError::UnexpectedPacket(other.packet_type())),
    }
}
