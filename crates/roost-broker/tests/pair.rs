//! Broker and client connected by an in-memory pipe with the clock paused: the session and QoS
//! rules that depend on time (keep-alive, will delay, session expiry) and on acknowledgements (the
//! in-flight window), checked deterministically — no sockets, no real sleeps.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{expiry, publish, Peer};
use roost_broker::{Broker, Config};
use roost_proto::{Packet, Properties, ProtocolVersion, PubResponse, QoS, ReasonCode, Will};
use tokio::time::timeout;

#[tokio::test(start_paused = true)]
async fn keep_alive_is_enforced_at_one_and_a_half_times() {
    let broker = Broker::new(Config::default()).unwrap();
    let mut peer = Peer::open(&broker, ProtocolVersion::V5);
    peer.connect("ka", true, 10, Properties::default(), None)
        .await;
    assert!(
        timeout(Duration::from_millis(14_900), peer.recv())
            .await
            .is_err(),
        "closed before 1.5 × keep-alive"
    );
    match timeout(Duration::from_millis(200), peer.recv()).await {
        Ok(Some(Packet::Disconnect(d))) => assert_eq!(d.reason, ReasonCode::KEEP_ALIVE_TIMEOUT),
        other => panic!("expected DISCONNECT 0x8D at 15 s, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn will_waits_for_its_delay_and_is_cancelled_by_a_reconnect() {
    let broker = Broker::new(Config::default()).unwrap();
    let mut watcher = Peer::open(&broker, ProtocolVersion::V5);
    watcher
        .connect("watcher", true, 0, Properties::default(), None)
        .await;
    watcher.subscribe("wills/#", QoS::AtMostOnce).await;
    let will = Will {
        topic: "wills/a".into(),
        payload: Bytes::from_static(b"gone"),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: Properties::from(roost_proto::PropertyValues {
            will_delay_interval: Some(5),
            ..roost_proto::PropertyValues::NONE
        }),
    };
    for round in 0..2 {
        let mut a = Peer::open(&broker, ProtocolVersion::V5);
        a.connect("a", false, 0, expiry(100), Some(will.clone()))
            .await;
        drop(a); // the socket goes away without DISCONNECT
        if round == 0 {
            // Back within the delay: the session resumes and the will is not sent (MQTT-3.1.3-9).
            tokio::time::sleep(Duration::from_secs(3)).await;
            continue;
        }
        assert!(
            timeout(Duration::from_millis(4_900), watcher.recv())
                .await
                .is_err(),
            "will sent before its delay"
        );
        match timeout(Duration::from_millis(200), watcher.recv()).await {
            Ok(Some(Packet::Publish(p))) => assert_eq!(
                (p.topic.as_str(), &p.payload[..]),
                ("wills/a", &b"gone"[..])
            ),
            other => panic!("expected the will at 5 s, got {other:?}"),
        }
    }
    assert!(
        timeout(Duration::from_secs(10), watcher.recv())
            .await
            .is_err(),
        "the cancelled will came late"
    );
}

#[tokio::test(start_paused = true)]
async fn session_expires_after_its_interval() {
    let broker = Broker::new(Config::default()).unwrap();
    let mut a = Peer::open(&broker, ProtocolVersion::V5);
    assert!(!a.connect("exp", false, 0, expiry(10), None).await);
    drop(a);
    tokio::time::sleep(Duration::from_secs(9)).await;
    let mut a = Peer::open(&broker, ProtocolVersion::V5);
    assert!(
        a.connect("exp", false, 0, expiry(10), None).await,
        "session gone before its expiry"
    );
    drop(a);
    tokio::time::sleep(Duration::from_secs(11)).await;
    let mut a = Peer::open(&broker, ProtocolVersion::V5);
    assert!(
        !a.connect("exp", false, 0, expiry(10), None).await,
        "session kept past its expiry"
    );
}

#[tokio::test(start_paused = true)]
async fn inflight_window_holds_the_rest_until_acknowledged() {
    let config = Config {
        max_inflight_messages: 2,
        ..Config::default()
    };
    let broker = Broker::new(config).unwrap();
    let mut sub = Peer::open(&broker, ProtocolVersion::V3_1_1);
    sub.connect("sub", true, 0, Properties::default(), None)
        .await;
    sub.subscribe("w", QoS::AtLeastOnce).await;
    let mut publisher = Peer::open(&broker, ProtocolVersion::V3_1_1);
    publisher
        .connect("pub", true, 0, Properties::default(), None)
        .await;
    for id in 1..=5 {
        publisher
            .send(publish("w", "m", QoS::AtLeastOnce, Some(id)))
            .await;
        assert!(matches!(publisher.recv().await, Some(Packet::PubAck(_))));
    }
    let mut ids = Vec::new();
    for _ in 0..2 {
        match sub.recv().await {
            Some(Packet::Publish(p)) => ids.push(p.packet_id.unwrap()),
            other => panic!("expected PUBLISH, got {other:?}"),
        }
    }
    assert!(
        timeout(Duration::from_secs(5), sub.recv()).await.is_err(),
        "more than the window was sent"
    );
    // Each acknowledgement frees one slot, and the publisher is long done (MQTT-4.9.0-2 spirit).
    for _ in 0..3 {
        let id = ids.remove(0);
        sub.send(Packet::PubAck(PubResponse {
            packet_id: id,
            reason: ReasonCode::SUCCESS,
            properties: Properties::default(),
        }))
        .await;
        match sub.recv().await {
            Some(Packet::Publish(p)) => ids.push(p.packet_id.unwrap()),
            other => panic!("expected the next queued PUBLISH, got {other:?}"),
        }
    }
    assert_eq!(ids.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_slow_subscriber_holds_publishers_back_instead_of_dropping() {
    // Regression: fan-in QoS 1 lost acknowledged messages once the one subscriber's queue hit
    // max_queued_messages, because publishers on other connections outran it.
    let config = Config {
        max_queued_messages: 8,
        max_inflight_messages: 2,
        ..Config::default()
    };
    let broker = Broker::new(config).unwrap();
    let mut sub = Peer::open(&broker, ProtocolVersion::V3_1_1);
    sub.connect("slow", true, 0, Properties::default(), None)
        .await;
    sub.subscribe("t/#", QoS::AtLeastOnce).await;
    let mut publishers = Vec::new();
    for n in 0..4u16 {
        let mut p = Peer::open(&broker, ProtocolVersion::V3_1_1);
        p.connect(&format!("p{n}"), true, 0, Properties::default(), None)
            .await;
        publishers.push(p);
    }
    // Every publisher sends 25 messages at once, without waiting for PUBACKs.
    for (n, p) in publishers.iter_mut().enumerate() {
        for id in 1..=25u16 {
            p.send(publish(&format!("t/{n}"), "m", QoS::AtLeastOnce, Some(id)))
                .await;
        }
    }
    let mut received = 0;
    while received < 100 {
        match timeout(Duration::from_secs(5), sub.recv()).await {
            Ok(Some(Packet::Publish(p))) => {
                received += 1;
                // A slow reader: 5 ms per message.
                tokio::time::sleep(Duration::from_millis(5)).await;
                let ack = PubResponse {
                    packet_id: p.packet_id.unwrap(),
                    reason: ReasonCode::SUCCESS,
                    properties: Properties::default(),
                };
                sub.send(Packet::PubAck(ack)).await;
            }
            other => panic!("after {received} messages: {other:?}"),
        }
    }
    let dropped = broker
        .metrics
        .dropped_queue_full
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(dropped, 0);
}
