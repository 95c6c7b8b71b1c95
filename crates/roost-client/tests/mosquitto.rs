//! `roost-client` against a real Mosquitto broker: connect in 3.1.1 and 5, round trips at every
//! QoS, refusals, many outstanding publishes and the will on an abnormal drop.
//!
//! Each test starts its own broker on a free port and is bounded by [`LIMIT`].

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::Mosquitto;
use roost_client::{
    Client, ClientError, ClientOptions, CloseCause, Direction, Incoming, Message, Packet,
    Properties, ProtocolVersion, QoS, ReasonCode, SubscribeFilter, SubscriptionOptions, Will,
};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

fn options(broker: &Mosquitto, protocol: ProtocolVersion) -> ClientOptions {
    ClientOptions {
        host: "127.0.0.1".into(),
        protocol,
        ..ClientOptions::new("127.0.0.1", broker.port)
    }
}

fn filter(filter: &str, qos: QoS) -> SubscribeFilter {
    SubscribeFilter {
        filter: filter.into(),
        options: SubscriptionOptions {
            qos,
            ..SubscriptionOptions::default()
        },
    }
}

async fn next(incoming: &mut Incoming) -> Message {
    timeout(LIMIT, incoming.recv())
        .await
        .expect("a message in time")
        .expect("the session is open")
}

#[tokio::test]
async fn connects_with_mqtt_3_1_1_and_5() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    for protocol in [
        ProtocolVersion::V3_1,
        ProtocolVersion::V3_1_1,
        ProtocolVersion::V5,
    ] {
        let mut opts = options(&broker, protocol);
        if protocol == ProtocolVersion::V3_1 {
            opts.client_id = "roost-v31".into();
        }
        let (client, connected, _incoming) = timeout(LIMIT, Client::connect(opts))
            .await
            .expect("in time")
            .expect("connects");
        assert!(!connected.session_present);
        assert_eq!(connected.reason, ReasonCode::SUCCESS);
        if protocol.is_v5() {
            let assigned = connected
                .assigned_client_id
                .expect("an assigned id for an empty one");
            assert_eq!(client.client_id(), assigned);
        }
        client
            .disconnect(ReasonCode::NORMAL_DISCONNECTION, Properties::default())
            .await
            .expect("disconnects");
        assert!(client.is_closed());
    }
}

#[tokio::test]
async fn round_trip_at_every_qos_in_both_versions() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    for protocol in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let (sub, _, mut incoming) = Client::connect(options(&broker, protocol))
            .await
            .expect("sub");
        let (publisher, _, _) = Client::connect(options(&broker, protocol))
            .await
            .expect("pub");
        let ack = sub
            .subscribe(
                vec![filter("rt/#", QoS::ExactlyOnce)],
                Properties::default(),
            )
            .await
            .expect("suback");
        assert_eq!(ack.reasons, [ReasonCode::GRANTED_QOS_2]);

        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let topic = format!("rt/{qos:?}");
            let payload = Bytes::from(format!("{protocol:?} {qos:?}"));
            let outcome = timeout(
                LIMIT,
                publisher.publish(
                    topic.as_str(),
                    payload.clone(),
                    qos,
                    false,
                    Properties::default(),
                ),
            )
            .await
            .expect("in time")
            .expect("published");
            assert!(outcome.is_success());
            assert_eq!(outcome.packet_id.is_some(), qos != QoS::AtMostOnce);
            let message = next(&mut incoming).await;
            assert_eq!(
                (message.topic.as_str(), &message.payload, message.qos),
                (topic.as_str(), &payload, qos)
            );
            assert!(!message.retain);
        }
        let properties = Properties::from(roost_proto::PropertyValues {
            user_properties: vec![("why".into(), "done".into())],
            ..roost_proto::PropertyValues::NONE
        });
        let unsub = sub
            .unsubscribe_with_properties(vec!["rt/#".into()], properties)
            .await
            .expect("unsuback");
        assert_eq!(unsub.reasons.len(), usize::from(protocol.is_v5()));
    }
}

#[tokio::test]
async fn retained_message_arrives_with_retain_set() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let (publisher, _, _) = Client::connect(options(&broker, ProtocolVersion::V5))
        .await
        .expect("pub");
    publisher
        .publish(
            "keep/me",
            "kept",
            QoS::AtLeastOnce,
            true,
            Properties::default(),
        )
        .await
        .expect("retained publish");
    let (sub, _, mut incoming) = Client::connect(options(&broker, ProtocolVersion::V5))
        .await
        .expect("sub");
    sub.subscribe(
        vec![filter("keep/#", QoS::AtLeastOnce)],
        Properties::default(),
    )
    .await
    .expect("suback");
    let message = next(&mut incoming).await;
    assert!(message.retain);
    assert_eq!(message.payload, "kept");
}

#[tokio::test]
async fn refused_connection_reads_like_mosquitto() {
    let Some(broker) = Mosquitto::start_with("allow_anonymous false") else {
        return;
    };
    let error = Client::connect(options(&broker, ProtocolVersion::V3_1_1))
        .await
        .expect_err("anonymous clients are refused");
    assert!(
        matches!(error, ClientError::Refused(ReasonCode::NOT_AUTHORIZED)),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "Connection Refused: not authorised.");

    let error = Client::connect(options(&broker, ProtocolVersion::V5))
        .await
        .expect_err("refused in 5 too");
    assert!(
        matches!(error, ClientError::Refused(ReasonCode::NOT_AUTHORIZED)),
        "{error:?}"
    );
    assert_eq!(
        roost_client::connack_text(ReasonCode::NOT_AUTHORIZED, ProtocolVersion::V5),
        "Not authorized"
    );
}

#[tokio::test]
async fn nothing_listening_is_an_io_error() {
    let port = common::free_port();
    let error = Client::connect(ClientOptions::new("127.0.0.1", port))
        .await
        .expect_err("nobody listens");
    assert!(
        matches!(&error, ClientError::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused),
        "{error:?}"
    );
}

/// Every packet one client wrote or read, in the order its session task saw them.
type Wire = Arc<Mutex<Vec<(Direction, Packet)>>>;

/// `opts` with a packet hook that records into the returned [`Wire`].
fn recording(mut opts: ClientOptions) -> (ClientOptions, Wire) {
    let wire = Wire::default();
    let log = Arc::clone(&wire);
    opts.packet_hook = Some(Arc::new(move |direction, packet: &Packet| {
        log.lock()
            .expect("wire log")
            .push((direction, packet.clone()));
    }));
    (opts, wire)
}

/// What `pick` takes from the packets that went `direction`, in wire order.
fn picked<T>(wire: &Wire, direction: Direction, pick: impl Fn(&Packet) -> Option<T>) -> Vec<T> {
    let packets = wire.lock().expect("wire log");
    packets
        .iter()
        .filter(|(d, _)| *d == direction)
        .filter_map(|(_, packet)| pick(packet))
        .collect()
}

/// The message number a payload of [`many_outstanding_publishes_all_complete`] carries.
fn number(payload: &[u8]) -> usize {
    std::str::from_utf8(payload)
        .expect("utf8")
        .parse()
        .expect("number")
}

/// The QoS [`many_outstanding_publishes_all_complete`] publishes message `i` at.
fn qos_of(i: usize) -> QoS {
    [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce][i % 3]
}

/// Fails at the first place `got` and `want` differ, rather than printing both whole.
fn assert_same_order<T: PartialEq + std::fmt::Debug>(what: &str, got: &[T], want: &[T]) {
    if let Some(at) = (0..got.len().min(want.len())).find(|&k| got[k] != want[k]) {
        let near = at.saturating_sub(3);
        panic!(
            "{what}: at {at} got {:?}, wanted {:?}",
            &got[near..got.len().min(at + 4)],
            &want[near..want.len().min(at + 4)]
        );
    }
    assert_eq!(got.len(), want.len(), "{what}: how many");
}

#[tokio::test]
async fn many_outstanding_publishes_all_complete() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    const N: usize = 2000;
    for protocol in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let (sub_opts, sub_wire) = recording(options(&broker, protocol));
        let (sub, _, mut incoming) = Client::connect(sub_opts).await.expect("sub");
        sub.subscribe(
            vec![filter("many", QoS::ExactlyOnce)],
            Properties::default(),
        )
        .await
        .expect("suback");
        let (pub_opts, pub_wire) = recording(options(&broker, protocol));
        let (publisher, connected, pub_incoming) = Client::connect(pub_opts).await.expect("pub");
        if protocol.is_v5() {
            assert!(
                connected.properties.receive_maximum.is_some(),
                "mosquitto sends one"
            );
        }
        let mut pending = Vec::with_capacity(N);
        for i in 0..N {
            let started = publisher
                .begin_publish(
                    "many",
                    i.to_string(),
                    qos_of(i),
                    false,
                    Properties::default(),
                )
                .await
                .unwrap_or_else(|e| panic!("queued {i}: {e:?} {:?}", pub_incoming.close_cause()));
            pending.push(started);
        }
        for started in pending {
            let outcome = timeout(LIMIT, started)
                .await
                .expect("in time")
                .expect("completes");
            assert!(outcome.is_success());
        }

        // The publisher wrote its messages in the order they were begun: QoS 0 at once, QoS 1
        // and 2 through one in-flight window that releases them first come first served.
        let sent = |keep: fn(QoS) -> bool| {
            picked(&pub_wire, Direction::Sent, |packet| match packet {
                Packet::Publish(p) if keep(p.qos) => Some(number(&p.payload)),
                _ => None,
            })
        };
        let begun =
            |keep: fn(QoS) -> bool| -> Vec<usize> { (0..N).filter(|&i| keep(qos_of(i))).collect() };
        let qos0 = |q: QoS| q == QoS::AtMostOnce;
        let qos12 = |q: QoS| q != QoS::AtMostOnce;
        assert_same_order("QoS 0 PUBLISH sent", &sent(qos0), &begun(qos0));
        assert_same_order("QoS 1/2 PUBLISH sent", &sent(qos12), &begun(qos12));
        // PUBREL goes in the order of PUBREC [MQTT-4.6.0-4].
        let recs = picked(&pub_wire, Direction::Received, |packet| match packet {
            Packet::PubRec(r) => Some(r.packet_id),
            _ => None,
        });
        let rels = picked(&pub_wire, Direction::Sent, |packet| match packet {
            Packet::PubRel(r) => Some(r.packet_id),
            _ => None,
        });
        assert_same_order("PUBREL after PUBREC", &rels, &recs);

        // Every message arrives exactly once, and the subscriber hands them to the application
        // in the order the broker wrote them.
        let mut seen = vec![false; N];
        let mut delivered = Vec::with_capacity(N);
        for n in 0..N {
            let Ok(Some(message)) = timeout(LIMIT, incoming.recv()).await else {
                let missing: Vec<usize> = (0..N).filter(|i| !seen[*i]).collect();
                panic!(
                    "{protocol:?}: got {n}, missing {} e.g. {:?}",
                    missing.len(),
                    &missing[..missing.len().min(20)]
                );
            };
            let i = number(&message.payload);
            assert!(
                !std::mem::replace(&mut seen[i], true),
                "message {i} arrived twice"
            );
            delivered.push(i);
        }
        let arrived = picked(&sub_wire, Direction::Received, |packet| match packet {
            Packet::Publish(p) => Some(number(&p.payload)),
            _ => None,
        });
        assert_same_order("delivered as received", &delivered, &arrived);
        // The order the broker wrote them in is not checked. MQTT-4.6.0-6 asks the broker for
        // the publisher's order per topic and QoS, and Mosquitto 2.0.11 breaks it once its queue
        // to a subscriber is in use (a 3.1.1 subscriber may have 20 messages in flight). In a
        // failing run of this test recorded with packet hooks, the publisher sent QoS 2 messages
        // 218, 221, 224 and their PUBRELs in order; Mosquitto numbered them 153, 155, 157 for
        // the subscriber, in order, and wrote 157 first. Two raw-socket clients with no roost
        // code between them see the same for QoS 1 and 2, in 7 runs of 12. In 2.0.11 a PUBACK or
        // PUBCOMP frees quota, but db__message_delete_outgoing releases queued messages by the
        // acknowledged one's place in the in-flight list, not by quota, so it may release none;
        // db__message_insert looks only at the quota and sends the next message past them.
    }
}

#[tokio::test]
async fn will_is_published_on_abnormal_drop_not_on_disconnect() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    for protocol in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let (watcher, _, mut incoming) = Client::connect(options(&broker, protocol))
            .await
            .expect("watcher");
        watcher
            .subscribe(
                vec![filter("will/#", QoS::AtLeastOnce)],
                Properties::default(),
            )
            .await
            .expect("suback");
        let will = Will {
            topic: "will/gone".into(),
            payload: Bytes::from_static(b"dropped"),
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: Properties::default(),
        };

        let polite = ClientOptions {
            will: Some(will.clone()),
            ..options(&broker, protocol)
        };
        let (client, _, _) = Client::connect(polite).await.expect("connects");
        client
            .disconnect(ReasonCode::NORMAL_DISCONNECTION, Properties::default())
            .await
            .expect("disconnects");

        let rude = ClientOptions {
            will: Some(will),
            ..options(&broker, protocol)
        };
        let (client, _, _) = Client::connect(rude).await.expect("connects");
        client.abort().await;

        let message = next(&mut incoming).await;
        assert_eq!(
            (message.topic.as_str(), &message.payload[..]),
            ("will/gone", &b"dropped"[..])
        );
        let nothing_more = timeout(Duration::from_millis(300), incoming.recv()).await;
        assert!(
            nothing_more.is_err(),
            "the polite client's will was not sent"
        );
    }
}

#[tokio::test]
async fn taken_over_session_ends_incoming_and_fails_requests() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let opts = ClientOptions {
        client_id: "same-id".into(),
        ..options(&broker, ProtocolVersion::V5)
    };
    let (first, _, mut incoming) = Client::connect(opts.clone()).await.expect("first");
    let (_second, _, _) = Client::connect(opts).await.expect("second");
    let end = timeout(LIMIT, incoming.recv()).await.expect("in time");
    assert!(end.is_none(), "Incoming ends");
    // Mosquitto 2.0.11 closes the socket without DISCONNECT; later versions send 0x8E.
    assert!(
        matches!(incoming.close_cause(), Some(CloseCause::ConnectionClosed))
            || matches!(
                incoming.close_cause(),
                Some(CloseCause::BrokerDisconnect(d)) if d.reason == ReasonCode::SESSION_TAKEN_OVER
            ),
        "{:?}",
        incoming.close_cause()
    );
    let error = first
        .publish("t", "x", QoS::AtLeastOnce, false, Properties::default())
        .await
        .expect_err("closed");
    assert!(matches!(error, ClientError::Disconnected(_)), "{error:?}");
}

#[tokio::test]
async fn invalid_topics_and_filters_are_refused_locally() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let (client, _, _) = Client::connect(options(&broker, ProtocolVersion::V3_1_1))
        .await
        .expect("connects");
    let error = client
        .publish("a/#", "x", QoS::AtMostOnce, false, Properties::default())
        .await
        .expect_err("wildcard topic");
    assert!(matches!(error, ClientError::InvalidTopic(_)));
    let error = client
        .subscribe(
            vec![filter("a/#/b", QoS::AtMostOnce)],
            Properties::default(),
        )
        .await
        .expect_err("bad filter");
    assert!(matches!(error, ClientError::InvalidFilter(_)));
    // The connection is still usable.
    client
        .publish("a/b", "x", QoS::AtLeastOnce, false, Properties::default())
        .await
        .expect("still connected");
}

#[tokio::test]
async fn binds_to_the_local_address_it_is_given() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let mut opts = options(&broker, ProtocolVersion::V3_1_1);
    opts.bind_address = Some("127.0.0.1".into());
    let (client, _connected, _incoming) = timeout(LIMIT, Client::connect(opts.clone()))
        .await
        .expect("in time")
        .expect("connects from 127.0.0.1");
    let _ = client
        .disconnect(ReasonCode::NORMAL_DISCONNECTION, Properties::default())
        .await;
    // An address this machine does not have (TEST-NET-1): bind fails before any packet is sent.
    opts.bind_address = Some("192.0.2.1".into());
    let error = timeout(LIMIT, Client::connect(opts))
        .await
        .expect("in time")
        .expect_err("cannot bind");
    assert!(matches!(error, ClientError::Io(_)), "{error:?}");
}
