//! Property tests of the record codec: every field of every record survives encode → decode, and
//! decoding arbitrary bytes gives an error or a record, never a panic.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use proptest::prelude::*;
use roost_broker::store::{SessionRecord, Stage, StoredDelivery, StoredSubscription};
use roost_broker::Message;
use roost_proto::{Properties, QoS, Will};
use roost_store::codec::{self, Clock};

fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

/// Properties with any subset of fields set: each entry sets the field its index names.
fn properties() -> impl Strategy<Value = Properties> {
    prop::collection::vec((0u8..29, any::<u32>(), ".{0,8}", ".{0,8}"), 0..12).prop_map(|sets| {
        let mut p = Properties::default();
        for (field, n, a, b) in sets {
            let byte = n as u8;
            let short = n as u16;
            let bin = Bytes::from(a.clone().into_bytes());
            match field {
                0 => p.payload_format_indicator = Some(byte),
                1 => p.message_expiry_interval = Some(n),
                2 => p.content_type = Some(a),
                3 => p.response_topic = Some(a),
                4 => p.correlation_data = Some(bin),
                5 => p.subscription_identifiers.push(n),
                6 => p.session_expiry_interval = Some(n),
                7 => p.assigned_client_identifier = Some(a),
                8 => p.server_keep_alive = Some(short),
                9 => p.authentication_method = Some(a),
                10 => p.authentication_data = Some(bin),
                11 => p.request_problem_information = Some(byte),
                12 => p.will_delay_interval = Some(n),
                13 => p.request_response_information = Some(byte),
                14 => p.response_information = Some(a),
                15 => p.server_reference = Some(a),
                16 => p.reason_string = Some(a),
                17 => p.receive_maximum = Some(short),
                18 => p.topic_alias_maximum = Some(short),
                19 => p.topic_alias = Some(short),
                20 => p.maximum_qos = Some(byte),
                21 => p.retain_available = Some(byte),
                22 => p.user_properties.push((a, b)),
                23 => p.maximum_packet_size = Some(n),
                24 => p.wildcard_subscription_available = Some(byte),
                25 => p.subscription_identifier_available = Some(byte),
                _ => p.shared_subscription_available = Some(byte),
            }
        }
        p
    })
}

fn message() -> impl Strategy<Value = Message> {
    (
        "[a-z/+#]{1,20}",
        prop::collection::vec(any::<u8>(), 0..64),
        qos(),
        any::<bool>(),
        properties(),
        prop::option::of(0u64..100_000_000),
        prop::option::of("[a-z0-9]{0,10}"),
        prop::option::of(".{0,10}"),
    )
        .prop_map(
            |(topic, payload, qos, retain, properties, expiry_ms, origin, user)| Message {
                topic: Arc::from(topic),
                payload: Bytes::from(payload),
                qos,
                retain,
                properties,
                expires_at: expiry_ms
                    .map(|ms| std::time::Instant::now() + Duration::from_millis(ms + 60_000)),
                origin: origin.map(Arc::from),
                origin_username: user.map(Arc::from),
            },
        )
}

fn time() -> impl Strategy<Value = SystemTime> {
    (0u64..4_000_000_000_000).prop_map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
}

fn subscription() -> impl Strategy<Value = StoredSubscription> {
    (
        ".{1,16}",
        qos(),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(1u32..268_435_455),
        0u8..3,
    )
        .prop_map(
            |(filter, qos, no_local, rap, sub_id, rh)| StoredSubscription {
                filter,
                qos,
                no_local,
                retain_as_published: rap,
                sub_id,
                retain_handling: rh,
            },
        )
}

fn will() -> impl Strategy<Value = Will> {
    (
        "[a-z/]{1,16}",
        prop::collection::vec(any::<u8>(), 0..32),
        qos(),
        any::<bool>(),
        properties(),
    )
        .prop_map(|(topic, payload, qos, retain, properties)| Will {
            topic,
            payload: Bytes::from(payload),
            qos,
            retain,
            properties,
        })
}

fn session() -> impl Strategy<Value = SessionRecord> {
    (
        any::<u32>(),
        prop::option::of(time()),
        prop::option::of(".{0,12}"),
        0usize..64,
        prop::collection::vec(subscription(), 0..5),
        prop::option::of(will().prop_map(Box::new)),
    )
        .prop_map(
            |(expiry_interval, disconnected_at, username, listener, subscriptions, will)| {
                SessionRecord {
                    expiry_interval,
                    disconnected_at,
                    username: username.map(Arc::from),
                    listener,
                    subscriptions,
                    will,
                }
            },
        )
}

/// Fields equal, and the expiry instant within the millisecond the record keeps (plus the
/// drift of two clock readings).
fn assert_same_message(a: &Message, b: &Message) {
    assert_eq!(a.topic, b.topic);
    assert_eq!(a.payload, b.payload);
    assert_eq!(a.qos, b.qos);
    assert_eq!(a.retain, b.retain);
    assert_eq!(a.properties, b.properties);
    assert_eq!(a.origin, b.origin);
    assert_eq!(a.origin_username, b.origin_username);
    match (a.expires_at, b.expires_at) {
        (None, None) => {}
        (Some(x), Some(y)) => {
            let gap = if x > y { x - y } else { y - x };
            assert!(gap < Duration::from_millis(50), "expiry moved by {gap:?}");
        }
        other => panic!("expiry differs: {other:?}"),
    }
}

fn ms(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis())
}

proptest! {
    #[test]
    fn deliveries_round_trip(
        msg in message(),
        qos in qos(),
        retain in any::<bool>(),
        sub_ids in prop::collection::vec(any::<u32>(), 0..4),
    ) {
        let d = StoredDelivery { msg: Arc::new(msg), qos, retain, sub_ids };
        let bytes = codec::encode_delivery(&d, Clock::now());
        let back = codec::decode_delivery(&bytes, Clock::now()).expect("decodes");
        assert_same_message(&d.msg, &back.msg);
        prop_assert_eq!(d.qos, back.qos);
        prop_assert_eq!(d.retain, back.retain);
        prop_assert_eq!(d.sub_ids, back.sub_ids);
    }

    #[test]
    fn retained_messages_round_trip(msg in message(), at in time()) {
        let bytes = codec::encode_retained(&msg, at, Clock::now());
        let (back, back_at) = codec::decode_retained(&bytes, Clock::now()).expect("decodes");
        assert_same_message(&msg, &back);
        prop_assert_eq!(ms(at), ms(back_at));
    }

    #[test]
    fn sessions_round_trip(s in session()) {
        let back = codec::decode_session(&codec::encode_session(&s)).expect("decodes");
        prop_assert_eq!(s.expiry_interval, back.expiry_interval);
        prop_assert_eq!(s.disconnected_at.map(ms), back.disconnected_at.map(ms));
        prop_assert_eq!(s.username, back.username);
        prop_assert_eq!(s.listener, back.listener);
        prop_assert_eq!(s.subscriptions, back.subscriptions);
        prop_assert_eq!(s.will, back.will);
    }

    #[test]
    fn inflight_states_round_trip(id in any::<u16>(), released in any::<bool>()) {
        let stage = if released { Stage::Released } else { Stage::Published };
        prop_assert_eq!(
            codec::decode_inflight(&codec::encode_inflight(id, stage)),
            Ok((id, stage))
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..256)) {
        let clock = Clock::now();
        // As they come, and behind a valid version byte so the fields themselves are read.
        let mut versioned = vec![codec::VERSION];
        versioned.extend_from_slice(&tail);
        for bytes in [&tail, &versioned] {
            let _ = codec::decode_delivery(bytes, clock);
            let _ = codec::decode_retained(bytes, clock);
            let _ = codec::decode_session(bytes);
            let _ = codec::decode_inflight(bytes);
        }
    }

    #[test]
    fn mutated_records_never_panic(s in session(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = codec::encode_session(&s);
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = codec::decode_session(&bytes);
    }

    #[test]
    fn every_cut_of_a_record_is_an_error(s in session(), cut in any::<prop::sample::Index>()) {
        let bytes = codec::encode_session(&s);
        let at = cut.index(bytes.len());
        prop_assert!(codec::decode_session(&bytes[..at]).is_err());
    }
}

#[test]
fn a_newer_record_version_is_named() {
    let mut bytes = codec::encode_inflight(7, Stage::Published);
    bytes[0] = codec::VERSION + 1;
    assert_eq!(
        codec::decode_inflight(&bytes),
        Err(roost_store::CodecError::Version(codec::VERSION + 1))
    );
}

#[test]
fn an_expired_message_decodes_as_expired() {
    let clock = Clock::now();
    let msg = Message {
        expires_at: Some(clock.instant() - Duration::from_secs(5)),
        ..Message::internal("t", "x", QoS::AtLeastOnce, false)
    };
    let bytes = codec::encode_retained(&msg, SystemTime::now(), clock);
    let (back, _) = codec::decode_retained(&bytes, Clock::now()).expect("decodes");
    assert!(back.is_expired(std::time::Instant::now()));
}
