//! Opening a connection: TCP, then the CONNECT / CONNACK handshake, then the session task.
//!
//! [`Client::connect`] opens a TCP stream (with `TCP_NODELAY`, as small MQTT packets must not wait
//! for Nagle) and hands it to [`run_session`], which works over any byte stream, so TLS and
//! WebSocket transports can reuse it unchanged.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use bytes::BytesMut;
use roost_proto::{decode, encode, Packet, ReasonCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{lookup_host, TcpSocket, TcpStream};
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
    /// Connects to `options.host:options.port` over TCP and completes the MQTT handshake.
    ///
    /// Fails with [`ClientError::Io`] if the socket cannot be opened, [`ClientError::ConnectTimeout`]
    /// if the TCP connection or CONNACK takes longer than `options.connect_timeout`, and
    /// [`ClientError::Refused`] if the broker refuses the connection.
    pub async fn connect(
        options: ClientOptions,
    ) -> Result<(Client, Connected, Incoming), ClientError> {
        let stream = timeout(options.connect_timeout, open_tcp(&options))
            .await
            .map_err(|_| ClientError::ConnectTimeout)??;
        stream.set_nodelay(true)?;
        run_session(stream, options).await
    }
}

/// Opens the TCP connection, from `options.bind_address` when one is given: each address of the
/// host is tried in turn from a bound address of the same family, and the last error is kept.
async fn open_tcp(options: &ClientOptions) -> std::io::Result<TcpStream> {
    let address = (options.host.as_str(), options.port);
    let Some(bind) = &options.bind_address else {
        return TcpStream::connect(address).await;
    };
    let locals: Vec<SocketAddr> = lookup_host((bind.as_str(), 0)).await?.collect();
    let mut last_error = None;
    for remote in lookup_host(address).await? {
        let Some(local) = locals.iter().find(|l| l.is_ipv4() == remote.is_ipv4()) else {
            continue;
        };
        let socket = if remote.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        let attempt = match socket.bind(*local) {
            Ok(()) => socket.connect(remote).await,
            Err(error) => Err(error),
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            "no bind address of the broker's address family",
        )
    }))
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

    let mut rbuf = BytesMut::with_capacity(4096);
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
