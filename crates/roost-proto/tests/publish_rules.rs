//! PUBLISH: flags, topic names, packet identifiers, topic aliases.

mod common;

use common::*;
use roost_proto::{DecodeError, Packet, QoS, ReasonCode};

fn publish(first: u8, topic: &[u8], rest: &[u8]) -> Vec<u8> {
    frame(first, &cat(&[&s(topic), rest]))
}

#[test]
fn qos_3_is_malformed_mqtt_3_3_1_4() {
    for v in ALL {
        let err = decode_err(&publish(0x36, b"t", &[0, 1]), v);
        assert!(matches!(err, DecodeError::MalformedPacket(_)));
    }
}

#[test]
fn dup_on_qos_0_is_malformed_mqtt_3_3_1_2() {
    let err = decode_err(&publish(0x38, b"t", b""), V311);
    assert!(matches!(err, DecodeError::MalformedPacket(_)));
    assert!(try_decode(&publish(0x3A, b"t", &[0, 1]), V311)
        .unwrap()
        .is_some());
}

#[test]
fn flags_decode_to_fields() {
    let Packet::Publish(p) = decode_ok(&publish(0x3D, b"t", &[0, 5, b'x']), V311) else {
        panic!("not a PUBLISH");
    };
    assert!(p.dup && p.retain);
    assert_eq!(
        (p.qos, p.packet_id, &p.payload[..]),
        (QoS::ExactlyOnce, Some(5), &b"x"[..])
    );
}

#[test]
fn packet_identifier_0_is_refused_mqtt_2_2_1_3() {
    let err = decode_err(&publish(0x32, b"t", &[0, 0]), V311);
    assert_eq!(err.reason_code(), ReasonCode::PROTOCOL_ERROR);
}

#[test]
fn qos_0_has_no_packet_identifier_mqtt_2_2_1_2() {
    let Packet::Publish(p) = decode_ok(&publish(0x30, b"t", &[0, 1]), V311) else {
        panic!("not a PUBLISH");
    };
    assert_eq!((p.packet_id, &p.payload[..]), (None, &[0u8, 1][..]));
}

#[test]
fn topic_name_must_not_hold_wildcards_mqtt_3_3_2_2() {
    for topic in [&b"a/+"[..], b"a/#", b"+", b"#"] {
        for v in ALL {
            let err = decode_err(&publish(0x30, topic, b""), v);
            assert_eq!(
                err,
                DecodeError::InvalidTopicName(String::from_utf8(topic.to_vec()).unwrap())
            );
            assert_eq!(err.reason_code(), ReasonCode::TOPIC_NAME_INVALID);
        }
    }
}

#[test]
fn topic_name_must_be_utf8_without_null_mqtt_1_5_4_1_mqtt_1_5_4_2() {
    for topic in [&[0xFFu8][..], b"a\0b"] {
        assert_eq!(
            decode_err(&publish(0x30, topic, b""), V311).reason_code(),
            ReasonCode::MALFORMED_PACKET
        );
    }
}

#[test]
fn empty_topic_is_invalid_in_3() {
    for v in [V31, V311] {
        assert!(matches!(
            decode_err(&publish(0x30, b"", b""), v),
            DecodeError::InvalidTopicName(_)
        ));
    }
}

#[test]
fn empty_topic_needs_a_topic_alias_in_5() {
    let err = decode_err(&publish(0x30, b"", &props(&[])), V5);
    assert!(matches!(err, DecodeError::ProtocolError(_)));
    let Packet::Publish(p) = decode_ok(&publish(0x30, b"", &props(&[0x23, 0, 4])), V5) else {
        panic!("not a PUBLISH");
    };
    assert_eq!(p.properties.topic_alias, Some(4));
}

#[test]
fn topic_alias_0_is_refused_mqtt_3_3_2_8() {
    let err = decode_err(&publish(0x30, b"t", &props(&[0x23, 0, 0])), V5);
    assert_eq!(err, DecodeError::InvalidTopicAlias);
    assert_eq!(err.reason_code(), ReasonCode::TOPIC_ALIAS_INVALID);
}

#[test]
fn payload_format_is_not_checked_by_decode() {
    let list = [0x01, 1];
    let Packet::Publish(p) = decode_ok(
        &publish(0x30, b"t", &cat(&[&props(&list), &[0xFF, 0xFE]])),
        V5,
    ) else {
        panic!("not a PUBLISH");
    };
    assert_eq!(&p.payload[..], &[0xFF, 0xFE]);
}

#[test]
fn v3_publish_has_no_properties() {
    // The byte that would be a property length in 5 is payload in 3.1.1.
    let Packet::Publish(p) = decode_ok(&publish(0x30, b"t", &[0x00, 0x07]), V311) else {
        panic!("not a PUBLISH");
    };
    assert_eq!(&p.payload[..], &[0x00, 0x07]);
}

#[test]
fn response_topic_must_not_hold_wildcards_mqtt_3_3_2_14() {
    let list = cat(&[&[0x08], &s(b"reply/#")]);
    let err = decode_err(&publish(0x30, b"t", &props(&list)), V5);
    assert!(matches!(err, DecodeError::InvalidTopicName(_)));
}
