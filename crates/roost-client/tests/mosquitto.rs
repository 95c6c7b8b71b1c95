//! `roost-client` against a real Mosquitto broker: connect in 3.1.1 and 5, round trips at every
//! QoS, refusals, many outstanding publishes and the will on an abnormal drop.
//!
//! Each test starts its own broker on a free port and is bounded by [`LIMIT`].

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::Mosquitto;
use roost_client::{
    Client, ClientError, ClientOptions, CloseCause, Incoming, Message, Properties, ProtocolVersion,
    QoS, ReasonCode, SubscribeFilter, SubscriptionOptions, Will,
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
        let properties = Properties {
            user_properties: vec![("why".into(), "done".into())],
            ..Properties::default()
        };
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

#[tokio::test]
async fn many_outstanding_publishes_all_complete() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    const N: usize = 2000;
    for protocol in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let (sub, _, mut incoming) = Client::connect(options(&broker, protocol))
            .await
            .expect("sub");
        sub.subscribe(
            vec![filter("many", QoS::ExactlyOnce)],
            Properties::default(),
        )
        .await
        .expect("suback");
        let (publisher, connected, pub_incoming) = Client::connect(options(&broker, protocol))
            .await
            .expect("pub");
        if protocol.is_v5() {
            assert!(
                connected.properties.receive_maximum.is_some(),
                "mosquitto sends one"
            );
        }
        let mut pending = Vec::with_capacity(N);
        for i in 0..N {
            let qos = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce][i % 3];
            let started = publisher
                .begin_publish("many", i.to_string(), qos, false, Properties::default())
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
        // Every message arrives exactly once, in order within its QoS [MQTT-4.6.0-6].
        let mut seen = vec![false; N];
        let mut last = [None::<usize>; 3];
        for n in 0..N {
            let Ok(Some(message)) = timeout(LIMIT, incoming.recv()).await else {
                let missing: Vec<usize> = (0..N).filter(|i| !seen[*i]).collect();
                panic!(
                    "{protocol:?}: got {n}, missing {} e.g. {:?}",
                    missing.len(),
                    &missing[..missing.len().min(20)]
                );
            };
            let i: usize = std::str::from_utf8(&message.payload)
                .expect("utf8")
                .parse()
                .expect("number");
            assert!(
                !std::mem::replace(&mut seen[i], true),
                "message {i} arrived twice"
            );
            let level = message.qos as usize;
            assert!(
                last[level] < Some(i),
                "{i} after {:?} at QoS {level}",
                last[level]
            );
            last[level] = Some(i);
        }
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
