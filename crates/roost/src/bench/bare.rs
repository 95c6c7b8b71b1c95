//! `roost bench conn --bare`: connections opened without the client library. Each one is a TCP
//! socket (from the same source addresses as the client's) on which one CONNECT is written,
//! with keep-alive off, and its CONNACK read; the socket is then only held. Nothing runs for a
//! held connection in the load generator, and opening one costs it a few system calls, so the
//! connection rate measured is as near as this machine allows to what the broker itself takes.

use std::time::Duration;

use anyhow::{bail, Result};
use bytes::BytesMut;
use roost_client::{open_tcp, ClientOptions};
use roost_proto::{Connect, Packet, Properties, ReasonCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::args::BenchArgs;
use super::clients::{open_each, Target};

/// Connections opened by [`open_bare`] and how long it took.
pub(crate) struct BareOpened {
    pub(crate) streams: Vec<TcpStream>,
    pub(crate) elapsed: Duration,
}

/// Opens one bare connection per id in `ids`, `args.connect_concurrency` at a time, and fails on
/// the first the broker does not accept.
pub(crate) async fn open_bare(
    args: &BenchArgs,
    target: &Target,
    ids: Vec<String>,
) -> Result<BareOpened> {
    let (streams, elapsed) = open_each(args, target, ids, |options| async move {
        let opened = tokio::time::timeout(options.connect_timeout, connect(&options)).await;
        opened.unwrap_or_else(|_| bail!("no CONNACK in time"))
    })
    .await?;
    Ok(BareOpened { streams, elapsed })
}

/// True while the broker has not closed `stream`: a held connection gets nothing to read.
pub(crate) fn still_open(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.try_read(&mut byte) {
        Ok(0) => false,
        Ok(_) => true,
        Err(error) => error.kind() == std::io::ErrorKind::WouldBlock,
    }
}

/// Opens the socket, writes CONNECT and reads CONNACK, which must accept the connection.
async fn connect(options: &ClientOptions) -> Result<TcpStream> {
    let mut stream = open_tcp(options).await?;
    stream.set_nodelay(true)?;
    let mut out = BytesMut::new();
    roost_proto::encode(
        &Packet::Connect(Box::new(connect_packet(options))),
        options.protocol,
        &mut out,
    );
    stream.write_all(&out).await?;
    let mut input = BytesMut::with_capacity(64);
    loop {
        match roost_proto::decode(&mut input, options.protocol, u32::MAX)? {
            Some(Packet::ConnAck(ack)) if ack.reason == ReasonCode::SUCCESS => return Ok(stream),
            Some(Packet::ConnAck(ack)) => bail!("refused: {:?}", ack.reason),
            Some(other) => bail!("sent {other:?} before CONNACK"),
            None => {}
        }
        if stream.read_buf(&mut input).await? == 0 {
            bail!("the broker closed the connection before CONNACK");
        }
    }
}

/// The CONNECT of a bare connection: the client's identity, session and protocol, no will, no
/// credentials, and keep-alive off so that the broker never expects a PINGREQ.
fn connect_packet(options: &ClientOptions) -> Connect {
    Connect {
        protocol: options.protocol,
        clean_start: options.clean_start,
        keep_alive: 0,
        client_id: options.client_id.clone(),
        will: None,
        username: None,
        password: None,
        properties: Properties::from(roost_proto::PropertyValues {
            session_expiry_interval: options.session_expiry.filter(|_| options.protocol.is_v5()),
            ..roost_proto::PropertyValues::NONE
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roost_proto::ProtocolVersion;

    #[test]
    fn bare_connect_turns_keep_alive_off_and_keeps_the_session_choice() {
        let mut options = ClientOptions::new("127.0.0.1", 1883);
        options.client_id = "bench-1".into();
        options.protocol = ProtocolVersion::V5;
        options.clean_start = false;
        options.session_expiry = Some(300);
        let connect = connect_packet(&options);
        assert_eq!(connect.keep_alive, 0);
        assert_eq!(connect.client_id, "bench-1");
        assert!(!connect.clean_start);
        assert_eq!(connect.properties.session_expiry_interval, Some(300));
        options.protocol = ProtocolVersion::V3_1_1;
        assert_eq!(
            connect_packet(&options).properties.session_expiry_interval,
            None
        );
    }

    #[tokio::test]
    async fn a_socket_the_peer_closed_is_no_longer_open() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let stream = TcpStream::connect(address).await.expect("connect");
        let (accepted, _) = listener.accept().await.expect("accept");
        assert!(still_open(&stream), "nothing to read yet: open");
        drop(accepted);
        stream.readable().await.expect("readable");
        assert!(!still_open(&stream), "the peer closed it");
    }
}
