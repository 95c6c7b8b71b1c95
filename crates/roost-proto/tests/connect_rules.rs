//! CONNECT: protocol name and level, connect flags, will, credentials.

mod common;

use common::*;
use roost_proto::{DecodeError, Packet, ProtocolVersion, QoS, ReasonCode};

/// A CONNECT body: name, level, flags, keep alive 60, then the payload fields given.
fn connect(name: &[u8], level: u8, flags: u8, rest: &[u8]) -> Vec<u8> {
    frame(0x10, &cat(&[&s(name), &[level, flags, 0, 60], rest]))
}

#[test]
fn protocol_names_and_levels_pick_the_version() {
    let cases = [
        (&b"MQIsdp"[..], 3, ProtocolVersion::V3_1, s(b"c")),
        (b"MQTT", 4, ProtocolVersion::V3_1_1, s(b"c")),
        (b"MQTT", 5, ProtocolVersion::V5, cat(&[&[0], &s(b"c")])),
    ];
    for (name, level, expected, rest) in cases {
        // Whatever the connection's version, CONNECT speaks for itself.
        for v in ALL {
            let Packet::Connect(c) = decode_ok(&connect(name, level, 0x02, &rest), v) else {
                panic!("not a CONNECT");
            };
            assert_eq!(c.protocol, expected);
        }
    }
}

#[test]
fn unsupported_level_is_reported_with_name_and_level_mqtt_3_1_2_2() {
    for (name, level) in [
        (&b"MQTT"[..], 3u8),
        (b"MQTT", 6),
        (b"MQTT", 0),
        (b"MQIsdp", 4),
    ] {
        let err = decode_err(&connect(name, level, 0x02, &s(b"c")), V311);
        assert_eq!(
            err,
            DecodeError::UnsupportedProtocolVersion {
                name: String::from_utf8(name.to_vec()).unwrap(),
                level
            }
        );
        assert_eq!(err.reason_code(), ReasonCode::UNSUPPORTED_PROTOCOL_VERSION);
    }
}

#[test]
fn wrong_protocol_name_is_refused_mqtt_3_1_2_1() {
    let err = decode_err(&connect(b"MQTX", 4, 0x02, &s(b"c")), V311);
    assert!(
        matches!(err, DecodeError::UnsupportedProtocolVersion { ref name, .. } if name == "MQTX")
    );
    // A name that is not even UTF-8 is malformed.
    let err = decode_err(&connect(&[0xFF, 0xFE], 4, 0x02, &s(b"c")), V311);
    assert_eq!(err.reason_code(), ReasonCode::MALFORMED_PACKET);
}

#[test]
fn reserved_connect_flag_must_be_zero_mqtt_3_1_2_3() {
    let err = decode_err(&connect(b"MQTT", 4, 0x03, &s(b"c")), V311);
    assert!(matches!(err, DecodeError::MalformedPacket(_)));
}

#[test]
fn will_qos_without_will_flag_is_malformed_mqtt_3_1_2_11() {
    for flags in [0x0A, 0x12] {
        let err = decode_err(&connect(b"MQTT", 4, flags, &s(b"c")), V311);
        assert!(matches!(err, DecodeError::MalformedPacket(_)), "{flags:#x}");
    }
}

#[test]
fn will_qos_3_is_malformed_mqtt_3_1_2_12() {
    let will = cat(&[&s(b"c"), &s(b"w"), &s(b"x")]);
    let err = decode_err(&connect(b"MQTT", 4, 0x1E, &will), V311);
    assert!(matches!(err, DecodeError::MalformedPacket(_)));
}

#[test]
fn will_retain_without_will_flag_is_malformed_mqtt_3_1_2_13() {
    let err = decode_err(&connect(b"MQTT", 4, 0x22, &s(b"c")), V311);
    assert!(matches!(err, DecodeError::MalformedPacket(_)));
}

#[test]
fn will_topic_must_be_a_valid_topic_name() {
    for topic in [&b"a/+"[..], b"#", b""] {
        let will = cat(&[&s(b"c"), &s(topic), &s(b"x")]);
        let err = decode_err(&connect(b"MQTT", 4, 0x06, &will), V311);
        assert!(matches!(err, DecodeError::InvalidTopicName(_)), "{topic:?}");
        assert_eq!(err.reason_code(), ReasonCode::TOPIC_NAME_INVALID);
    }
}

#[test]
fn will_fields_are_read_in_order() {
    let will = cat(&[&s(b"c"), &s(b"w/t"), &s(b"bye"), &s(b"u"), &s(b"p")]);
    let Packet::Connect(c) = decode_ok(&connect(b"MQTT", 4, 0xF6, &will), V311) else {
        panic!("not a CONNECT");
    };
    let w = c.will.expect("will");
    assert_eq!(
        (w.topic.as_str(), &w.payload[..], w.qos, w.retain),
        ("w/t", &b"bye"[..], QoS::ExactlyOnce, true)
    );
    assert_eq!(c.username.as_deref(), Some("u"));
    assert_eq!(c.password.as_deref(), Some(&b"p"[..]));
}

#[test]
fn password_without_user_name_is_refused_in_3_1_1_mqtt_3_1_2_22() {
    let rest = cat(&[&s(b"c"), &s(b"p")]);
    let err = decode_err(&connect(b"MQTT", 4, 0x42, &rest), V311);
    assert!(matches!(err, DecodeError::ProtocolError(_)));
}

#[test]
fn password_without_user_name_is_allowed_in_5() {
    let rest = cat(&[&[0], &s(b"c"), &s(b"p")]);
    let Packet::Connect(c) = decode_ok(&connect(b"MQTT", 5, 0x42, &rest), V5) else {
        panic!("not a CONNECT");
    };
    assert_eq!((c.username, c.password.as_deref()), (None, Some(&b"p"[..])));
}

#[test]
fn missing_payload_fields_are_truncated() {
    // User name flag set but no user name follows.
    let err = decode_err(&connect(b"MQTT", 4, 0x82, &s(b"c")), V311);
    assert_eq!(err, DecodeError::Truncated("user name"));
}

#[test]
fn client_identifier_must_be_utf8_without_null_mqtt_1_5_4() {
    for id in [&[0xC0u8, 0x80][..], b"a\0"] {
        let err = decode_err(&connect(b"MQTT", 4, 0x02, &s(id)), V311);
        assert_eq!(err.reason_code(), ReasonCode::MALFORMED_PACKET);
    }
}

#[test]
fn authentication_data_without_method_is_a_protocol_error() {
    let rest = cat(&[&props(&cat(&[&[0x16], &s(b"data")])), &s(b"c")]);
    let err = decode_err(&connect(b"MQTT", 5, 0x02, &rest), V5);
    assert!(matches!(err, DecodeError::ProtocolError(_)));
}

#[test]
fn will_properties_are_read_in_5() {
    let will_props = props(&[0x18, 0, 0, 0, 9, 0x01, 1]);
    let rest = cat(&[&[0], &s(b"c"), &will_props, &s(b"w"), &s(b"x")]);
    let Packet::Connect(c) = decode_ok(&connect(b"MQTT", 5, 0x06, &rest), V5) else {
        panic!("not a CONNECT");
    };
    let w = c.will.expect("will");
    assert_eq!(w.properties.will_delay_interval, Some(9));
    assert_eq!(w.properties.payload_format_indicator, Some(1));
}

#[test]
fn will_delay_is_refused_in_connect_properties() {
    let rest = cat(&[&props(&[0x18, 0, 0, 0, 9]), &s(b"c")]);
    let err = decode_err(&connect(b"MQTT", 5, 0x02, &rest), V5);
    assert!(matches!(
        err,
        DecodeError::PropertyNotAllowed { id: 0x18, .. }
    ));
}
