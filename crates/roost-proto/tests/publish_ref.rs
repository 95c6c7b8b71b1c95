//! `encode_publish` / `PublishRef`: per-subscriber fields replace the publisher's, and the output
//! is what `encode` writes for the equivalent `Publish`.

mod common;

use bytes::{Bytes, BytesMut};
use common::*;
use roost_proto::{encode_publish, publish_len, Packet, Properties, Publish, PublishRef, QoS};

fn publisher_properties() -> Properties {
    Properties::from(roost_proto::PropertyValues {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(3600),
        content_type: Some("text/plain".into()),
        topic_alias: Some(7),
        subscription_identifiers: vec![99],
        user_properties: vec![("k".into(), "v".into())],
        // Not a PUBLISH property: never written.
        session_expiry_interval: Some(1),
        ..roost_proto::PropertyValues::NONE
    })
}

#[test]
fn overrides_replace_the_publishers_fields() {
    let props = publisher_properties();
    let p = PublishRef {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: true,
        topic: "a/b",
        packet_id: Some(12),
        payload: b"hello",
        properties: &props,
        message_expiry_interval: Some(60),
        topic_alias: None,
        subscription_identifiers: &[1, 2],
    };
    for v in ALL {
        let mut out = BytesMut::new();
        encode_publish(&p, v, &mut out);
        assert_eq!(out.len(), publish_len(&p, v));
        let Packet::Publish(decoded) = decode_ok(&out, v) else {
            panic!("not a PUBLISH")
        };
        assert_eq!(
            (decoded.qos, decoded.retain, decoded.packet_id),
            (QoS::AtLeastOnce, true, Some(12))
        );
        assert_eq!(
            (decoded.topic.as_str(), &decoded.payload[..]),
            ("a/b", &b"hello"[..])
        );
        if v.is_v5() {
            let expected = Properties::from(roost_proto::PropertyValues {
                message_expiry_interval: Some(60),
                topic_alias: None,
                subscription_identifiers: vec![1, 2],
                session_expiry_interval: None,
                ..(*publisher_properties()).clone()
            });
            assert_eq!(decoded.properties, expected);
        } else {
            assert_eq!(decoded.properties, Properties::default());
        }
    }
}

#[test]
fn encode_of_a_publish_is_encode_publish_of_its_ref() {
    let publish = Publish {
        dup: true,
        qos: QoS::ExactlyOnce,
        retain: false,
        topic: "t".into(),
        packet_id: Some(1),
        payload: Bytes::from_static(b"p"),
        properties: publisher_properties(),
    };
    for v in ALL {
        let mut direct = BytesMut::new();
        encode_publish(&publish.as_publish_ref(), v, &mut direct);
        assert_eq!(
            encode_vec(&Packet::Publish(publish.clone()), v),
            direct.to_vec()
        );
    }
}

#[test]
fn qos_0_writes_no_packet_identifier() {
    let props = Properties::default();
    let p = PublishRef {
        dup: false,
        qos: QoS::AtMostOnce,
        retain: false,
        topic: "t",
        packet_id: Some(5),
        payload: b"",
        properties: &props,
        message_expiry_interval: None,
        topic_alias: None,
        subscription_identifiers: &[],
    };
    let mut out = BytesMut::new();
    encode_publish(&p, V311, &mut out);
    assert_eq!(&out[..], &[0x30, 0x03, 0x00, 0x01, b't']);
}

#[test]
fn encoding_into_reserved_space_does_not_reallocate() {
    let props = publisher_properties();
    let p = PublishRef {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: "sensors/1",
        packet_id: Some(3),
        payload: &[7; 300],
        properties: &props,
        message_expiry_interval: Some(5),
        topic_alias: Some(2),
        subscription_identifiers: &[4],
    };
    let len = publish_len(&p, V5);
    let mut out = BytesMut::with_capacity(len);
    let before = out.as_ptr();
    encode_publish(&p, V5, &mut out);
    assert_eq!(out.len(), len);
    assert_eq!(out.as_ptr(), before, "the buffer was reallocated");
}
