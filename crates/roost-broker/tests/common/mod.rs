//! The test side of an in-memory pipe to the broker: a peer that sends and receives packets,
//! shared by the tests that run without sockets.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use roost_broker::config::Listener;
use roost_broker::Broker;
use roost_proto::{
    decode, encode, Connect, Packet, Properties, ProtocolVersion, Publish, QoS, ReasonCode,
    Subscribe, SubscribeFilter, SubscriptionOptions, Will,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

pub struct Peer {
    io: DuplexStream,
    buf: BytesMut,
    version: ProtocolVersion,
}

impl Peer {
    pub fn open(broker: &Arc<Broker>, version: ProtocolVersion) -> Peer {
        let (client, server) = tokio::io::duplex(1 << 16);
        let broker = broker.clone();
        let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let listener = Arc::new(Listener::new("127.0.0.1:1883".parse().unwrap()));
        tokio::spawn(async move { broker.serve(listener, server, peer).await });
        Peer {
            io: client,
            buf: BytesMut::new(),
            version,
        }
    }

    pub async fn send(&mut self, packet: Packet) {
        let mut out = BytesMut::new();
        encode(&packet, self.version, &mut out);
        self.io.write_all(&out).await.unwrap();
    }

    /// The next packet, or `None` once the broker closed the pipe.
    pub async fn recv(&mut self) -> Option<Packet> {
        loop {
            if let Some(p) = decode(&mut self.buf, self.version, u32::MAX).unwrap() {
                return Some(p);
            }
            if self.io.read_buf(&mut self.buf).await.unwrap() == 0 {
                return None;
            }
        }
    }

    pub async fn connect(
        &mut self,
        id: &str,
        clean: bool,
        keep_alive: u16,
        properties: Properties,
        will: Option<Will>,
    ) -> bool {
        let connect = Connect {
            protocol: self.version,
            clean_start: clean,
            keep_alive,
            client_id: id.to_string(),
            will,
            username: None,
            password: None,
            properties,
        };
        self.send(Packet::Connect(Box::new(connect))).await;
        match self.recv().await {
            Some(Packet::ConnAck(ack)) if ack.reason == ReasonCode::SUCCESS => ack.session_present,
            other => panic!("expected a successful CONNACK, got {other:?}"),
        }
    }

    pub async fn subscribe(&mut self, filter: &str, qos: QoS) {
        let options = SubscriptionOptions {
            qos,
            ..SubscriptionOptions::default()
        };
        let filters = vec![SubscribeFilter {
            filter: filter.to_string(),
            options,
        }];
        self.send(Packet::Subscribe(Subscribe {
            packet_id: 1,
            filters,
            properties: Properties::default(),
        }))
        .await;
        assert!(matches!(self.recv().await, Some(Packet::SubAck(_))));
    }
}

pub fn expiry(secs: u32) -> Properties {
    Properties::from(roost_proto::PropertyValues {
        session_expiry_interval: Some(secs),
        ..roost_proto::PropertyValues::NONE
    })
}

pub fn publish(topic: &str, payload: &'static str, qos: QoS, packet_id: Option<u16>) -> Packet {
    Packet::Publish(Publish {
        dup: false,
        qos,
        retain: false,
        topic: topic.to_string(),
        packet_id,
        payload: Bytes::from_static(payload.as_bytes()),
        properties: Properties::default(),
    })
}
