//! `roost-client` against a scripted broker over an in-memory stream: the rules a real broker
//! rarely exercises (keep-alive timing, DISCONNECT reasons, Receive Maximum, duplicate QoS 2,
//! topic aliases), checked deterministically with paused time.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use roost_client::{
    run_session, ClientError, ClientOptions, CloseCause, Incoming, Properties, ProtocolVersion,
    QoS, ReasonCode,
};
use roost_proto::{decode, encode, ConnAck, Disconnect, Packet, PubResponse, Publish};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::{timeout, Instant};

/// The broker's end of the connection.
struct Broker {
    stream: DuplexStream,
    buf: BytesMut,
    version: ProtocolVersion,
}

impl Broker {
    /// The next packet from the client; `None` once it closed the stream.
    async fn recv(&mut self) -> Option<Packet> {
        loop {
            if let Some(packet) =
                decode(&mut self.buf, self.version, u32::MAX).expect("valid packet")
            {
                return Some(packet);
            }
            if self.stream.read_buf(&mut self.buf).await.expect("read") == 0 {
                return None;
            }
        }
    }

    async fn send(&mut self, packet: Packet) {
        let mut out = BytesMut::new();
        encode(&packet, self.version, &mut out);
        self.stream.write_all(&out).await.expect("write");
    }
}

/// Connects a client to a scripted broker that accepts with `connack_properties`.
async fn connect(
    options: ClientOptions,
    connack_properties: Properties,
) -> (roost_client::Client, Incoming, Broker) {
    let (client_end, broker_end) = tokio::io::duplex(64 * 1024);
    let mut broker = Broker {
        stream: broker_end,
        buf: BytesMut::new(),
        version: options.protocol,
    };
    let accept = async {
        assert!(matches!(broker.recv().await, Some(Packet::Connect(_))));
        broker
            .send(Packet::ConnAck(ConnAck {
                session_present: false,
                reason: ReasonCode::SUCCESS,
                properties: connack_properties,
            }))
            .await;
    };
    let (connected, ()) = tokio::join!(run_session(client_end, options), accept);
    let (client, _, incoming) = connected.expect("connects");
    (client, incoming, broker)
}

fn v5() -> ClientOptions {
    ClientOptions {
        protocol: ProtocolVersion::V5,
        ..ClientOptions::default()
    }
}

fn publish(qos: QoS, packet_id: Option<u16>, topic: &str, alias: Option<u16>) -> Packet {
    Packet::Publish(Publish {
        dup: false,
        qos,
        retain: false,
        topic: topic.into(),
        packet_id,
        payload: Bytes::from_static(b"m"),
        properties: Properties::from(roost_proto::PropertyValues {
            topic_alias: alias,
            ..roost_proto::PropertyValues::NONE
        }),
    })
}

fn ack(packet_id: u16) -> PubResponse {
    PubResponse {
        packet_id,
        reason: ReasonCode::SUCCESS,
        properties: Properties::default(),
    }
}

#[tokio::test(start_paused = true)]
async fn pings_after_keep_alive_and_gives_up_without_pingresp() {
    let options = ClientOptions {
        keep_alive: 5,
        ..ClientOptions::default()
    };
    let (_client, mut incoming, mut broker) = connect(options, Properties::default()).await;
    let start = Instant::now();
    assert_eq!(broker.recv().await, Some(Packet::PingReq));
    assert_eq!(start.elapsed().as_secs(), 5);
    broker.send(Packet::PingResp).await;
    assert_eq!(broker.recv().await, Some(Packet::PingReq));
    assert_eq!(start.elapsed().as_secs(), 10);
    // No answer this time: the client closes after another interval (3.1.1: no DISCONNECT).
    assert_eq!(broker.recv().await, None);
    assert_eq!(start.elapsed().as_secs(), 15);
    assert!(incoming.recv().await.is_none());
    assert!(matches!(
        incoming.close_cause(),
        Some(CloseCause::KeepAliveTimeout)
    ));
}

#[tokio::test(start_paused = true)]
async fn server_keep_alive_replaces_the_clients() {
    let props = Properties::from(roost_proto::PropertyValues {
        server_keep_alive: Some(2),
        ..roost_proto::PropertyValues::NONE
    });
    let (_client, _incoming, mut broker) = connect(v5(), props).await;
    let start = Instant::now();
    assert_eq!(broker.recv().await, Some(Packet::PingReq));
    assert_eq!(start.elapsed().as_secs(), 2);
}

#[tokio::test]
async fn broker_disconnect_ends_incoming_and_fails_pending_requests() {
    let (client, mut incoming, mut broker) = connect(v5(), Properties::default()).await;
    let pending = client
        .begin_publish("t", "x", QoS::AtLeastOnce, false, Properties::default())
        .await
        .expect("queued");
    assert!(matches!(broker.recv().await, Some(Packet::Publish(_))));
    broker
        .send(Packet::Disconnect(Disconnect {
            reason: ReasonCode::SERVER_SHUTTING_DOWN,
            properties: Properties::default(),
        }))
        .await;
    let error = pending.await.expect_err("fails");
    assert!(matches!(
        error,
        ClientError::Disconnected(Some(ReasonCode::SERVER_SHUTTING_DOWN))
    ));
    assert!(incoming.recv().await.is_none());
    let later = client
        .publish("t", "x", QoS::AtMostOnce, false, Properties::default())
        .await
        .expect_err("closed");
    assert!(matches!(
        later,
        ClientError::Disconnected(Some(ReasonCode::SERVER_SHUTTING_DOWN))
    ));
}

#[tokio::test]
async fn receive_maximum_bounds_publishes_in_flight() {
    let props = Properties::from(roost_proto::PropertyValues {
        receive_maximum: Some(2),
        ..roost_proto::PropertyValues::NONE
    });
    let (client, _incoming, mut broker) = connect(v5(), props).await;
    let mut pending = Vec::new();
    for _ in 0..5 {
        let started = client
            .begin_publish("t", "x", QoS::AtLeastOnce, false, Properties::default())
            .await
            .expect("queued");
        pending.push(started);
    }
    let mut ids = Vec::new();
    for _ in 0..2 {
        match broker.recv().await {
            Some(Packet::Publish(p)) => ids.extend(p.packet_id),
            other => panic!("expected PUBLISH, got {other:?}"),
        }
    }
    let third = timeout(Duration::from_millis(100), broker.recv()).await;
    assert!(
        third.is_err(),
        "a third PUBLISH waits for an acknowledgement"
    );
    broker.send(Packet::PubAck(ack(ids[0]))).await;
    assert!(matches!(broker.recv().await, Some(Packet::Publish(_))));
    let first = pending.remove(0).await.expect("acknowledged");
    assert_eq!(first.packet_id, Some(ids[0]));
}

#[tokio::test]
async fn qos2_retransmission_is_delivered_once() {
    let (_client, mut incoming, mut broker) = connect(v5(), Properties::default()).await;
    broker
        .send(publish(QoS::ExactlyOnce, Some(9), "q2", None))
        .await;
    assert!(matches!(broker.recv().await, Some(Packet::PubRec(r)) if r.packet_id == 9));
    broker
        .send(publish(QoS::ExactlyOnce, Some(9), "q2", None))
        .await;
    assert!(matches!(broker.recv().await, Some(Packet::PubRec(r)) if r.packet_id == 9));
    broker.send(Packet::PubRel(ack(9))).await;
    assert!(matches!(broker.recv().await, Some(Packet::PubComp(r)) if r.packet_id == 9));
    broker
        .send(publish(QoS::AtMostOnce, None, "after", None))
        .await;

    assert_eq!(incoming.recv().await.map(|m| m.topic), Some("q2".into()));
    assert_eq!(incoming.recv().await.map(|m| m.topic), Some("after".into()));
}

#[tokio::test]
async fn broker_topic_aliases_are_resolved() {
    let options = ClientOptions {
        topic_alias_maximum: Some(10),
        ..v5()
    };
    let (_client, mut incoming, mut broker) = connect(options, Properties::default()).await;
    broker
        .send(publish(QoS::AtMostOnce, None, "a/long/topic", Some(3)))
        .await;
    broker
        .send(publish(QoS::AtMostOnce, None, "", Some(3)))
        .await;
    for _ in 0..2 {
        assert_eq!(
            incoming.recv().await.map(|m| m.topic),
            Some("a/long/topic".into())
        );
    }
    // An alias the client never allowed is a protocol error: DISCONNECT 0x94, then close.
    broker
        .send(publish(QoS::AtMostOnce, None, "x", Some(11)))
        .await;
    assert!(matches!(
        broker.recv().await,
        Some(Packet::Disconnect(d)) if d.reason == ReasonCode::TOPIC_ALIAS_INVALID
    ));
    assert_eq!(broker.recv().await, None);
    assert!(incoming.recv().await.is_none());
}

#[tokio::test]
async fn a_slow_reader_stops_the_client_reading_but_loses_nothing() {
    let options = ClientOptions {
        incoming_capacity: 4,
        ..v5()
    };
    let (client, mut incoming, mut broker) = connect(options, Properties::default()).await;
    const N: u16 = 500;
    let send_all = async {
        for id in 1..=N {
            broker
                .send(publish(QoS::AtLeastOnce, Some(id), "slow", None))
                .await;
        }
        let mut acked = 0;
        while acked < N {
            match broker.recv().await {
                Some(Packet::PubAck(_)) => acked += 1,
                other => panic!("expected PUBACK, got {other:?}"),
            }
        }
        broker
    };
    let read_all = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        for _ in 0..N {
            incoming.recv().await.expect("message");
        }
    };
    let (mut broker, ()) = timeout(Duration::from_secs(10), async {
        tokio::join!(send_all, read_all)
    })
    .await
    .expect("in time");
    client
        .disconnect(ReasonCode::NORMAL_DISCONNECTION, Properties::default())
        .await
        .expect("disconnects");
    assert!(matches!(broker.recv().await, Some(Packet::Disconnect(_))));
    assert!(incoming.recv().await.is_none());
}

#[tokio::test]
async fn dropping_every_handle_sends_disconnect() {
    let (client, incoming, mut broker) = connect(v5(), Properties::default()).await;
    drop(client);
    let still_open = timeout(Duration::from_millis(100), broker.recv()).await;
    assert!(still_open.is_err(), "Incoming alone keeps the session open");
    drop(incoming);
    assert!(matches!(broker.recv().await, Some(Packet::Disconnect(_))));
    assert_eq!(broker.recv().await, None);
}
