//! SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK.

mod common;

use common::*;
use roost_proto::{DecodeError, Packet, PacketType, ReasonCode, RetainHandling};

fn subscribe(rest: &[u8]) -> Vec<u8> {
    frame(0x82, &cat(&[&[0, 1], rest]))
}

fn subscribe5(entries: &[u8]) -> Vec<u8> {
    subscribe(&cat(&[&props(&[]), entries]))
}

#[test]
fn subscribe_needs_a_topic_filter_mqtt_3_8_3_2() {
    assert!(matches!(
        decode_err(&subscribe(&[]), V311),
        DecodeError::ProtocolError(_)
    ));
    assert!(matches!(
        decode_err(&subscribe5(&[]), V5),
        DecodeError::ProtocolError(_)
    ));
}

#[test]
fn subscribe_packet_identifier_0_is_refused_mqtt_2_2_1_3() {
    let bytes = frame(0x82, &cat(&[&[0, 0], &s(b"a"), &[0]]));
    assert!(matches!(
        decode_err(&bytes, V311),
        DecodeError::ProtocolError(_)
    ));
}

#[test]
fn subscription_qos_3_is_malformed() {
    for (v, bytes) in [
        (V311, subscribe(&cat(&[&s(b"a"), &[3]]))),
        (V5, subscribe5(&cat(&[&s(b"a"), &[3]]))),
    ] {
        assert!(matches!(
            decode_err(&bytes, v),
            DecodeError::MalformedPacket(_)
        ));
    }
}

#[test]
fn reserved_option_bits_are_malformed_mqtt_3_8_3_5() {
    for byte in [0x40u8, 0x80] {
        let err = decode_err(&subscribe5(&cat(&[&s(b"a"), &[byte]])), V5);
        assert!(matches!(err, DecodeError::MalformedPacket(_)));
    }
    // Before MQTT 5 everything but the QoS is reserved.
    for byte in [0x04u8, 0x08, 0x10, 0x40] {
        let err = decode_err(&subscribe(&cat(&[&s(b"a"), &[byte]])), V311);
        assert!(matches!(err, DecodeError::MalformedPacket(_)));
    }
}

#[test]
fn retain_handling_3_is_a_protocol_error() {
    let err = decode_err(&subscribe5(&cat(&[&s(b"a"), &[0x30]])), V5);
    assert!(matches!(err, DecodeError::ProtocolError(_)));
}

#[test]
fn options_decode_to_fields() {
    let Packet::Subscribe(p) = decode_ok(
        &subscribe5(&cat(&[&s(b"a"), &[0x1D], &s(b"b"), &[0x20]])),
        V5,
    ) else {
        panic!("not a SUBSCRIBE");
    };
    let o = p.filters[0].options;
    assert!(o.no_local && o.retain_as_published);
    assert_eq!(o.retain_handling, RetainHandling::SendAtNewSubscribe);
    assert_eq!(
        p.filters[1].options.retain_handling,
        RetainHandling::DoNotSend
    );
}

#[test]
fn no_local_on_shared_subscription_is_a_protocol_error_mqtt_3_8_3_4() {
    let err = decode_err(&subscribe5(&cat(&[&s(b"$share/g/a"), &[0x04]])), V5);
    assert!(matches!(err, DecodeError::ProtocolError(_)));
    assert!(try_decode(&subscribe5(&cat(&[&s(b"$share/g/a"), &[0x01]])), V5).is_ok());
}

#[test]
fn invalid_filters_are_refused() {
    for filter in [&b"a/#/b"[..], b"a+", b"", b"$share/g", b"$share/+/a"] {
        let err = decode_err(&subscribe(&cat(&[&s(filter), &[0]])), V311);
        assert!(
            matches!(err, DecodeError::InvalidTopicFilter(_)),
            "{filter:?}"
        );
        assert_eq!(err.reason_code(), ReasonCode::TOPIC_FILTER_INVALID);
        let err = decode_err(&frame(0xA2, &cat(&[&[0, 1], &s(filter)])), V311);
        assert!(
            matches!(err, DecodeError::InvalidTopicFilter(_)),
            "{filter:?}"
        );
    }
}

#[test]
fn filter_without_options_byte_is_truncated() {
    assert!(matches!(
        decode_err(&subscribe(&s(b"a")), V311),
        DecodeError::Truncated(_)
    ));
}

#[test]
fn subscription_identifier_appears_once_in_subscribe() {
    let twice = subscribe(&cat(&[&props(&[0x0B, 1, 0x0B, 2]), &s(b"a"), &[0]]));
    assert!(matches!(
        decode_err(&twice, V5),
        DecodeError::DuplicateProperty { id: 0x0B, .. }
    ));
}

#[test]
fn unsubscribe_needs_a_topic_filter_mqtt_3_10_3_2() {
    assert!(matches!(
        decode_err(&frame(0xA2, &[0, 1]), V311),
        DecodeError::ProtocolError(_)
    ));
    assert!(matches!(
        decode_err(&frame(0xA2, &[0, 1, 0]), V5),
        DecodeError::ProtocolError(_)
    ));
}

#[test]
fn v3_suback_allows_only_granted_qos_and_0x80_mqtt_3_9_3_2() {
    for code in [0u8, 1, 2, 0x80] {
        assert!(try_decode(&frame(0x90, &[0, 1, code]), V311).is_ok());
    }
    for code in [3u8, 0x87, 0x11] {
        let err = decode_err(&frame(0x90, &[0, 1, code]), V311);
        assert!(matches!(
            err,
            DecodeError::InvalidReasonCode {
                packet: PacketType::SubAck,
                ..
            }
        ));
    }
}

#[test]
fn v5_suback_allows_only_subscribe_reason_codes_mqtt_3_9_3_2() {
    for code in [0u8, 2, 0x87, 0x8F, 0xA2] {
        assert!(
            try_decode(&frame(0x90, &[0, 1, 0, code]), V5).is_ok(),
            "{code:#x}"
        );
    }
    for code in [3u8, 0x04, 0x81, 0x92] {
        assert_eq!(
            decode_err(&frame(0x90, &[0, 1, 0, code]), V5).reason_code(),
            ReasonCode::PROTOCOL_ERROR
        );
    }
}

#[test]
fn suback_needs_a_reason_code() {
    assert!(matches!(
        decode_err(&frame(0x90, &[0, 1]), V311),
        DecodeError::ProtocolError(_)
    ));
    assert!(matches!(
        decode_err(&frame(0x90, &[0, 1, 0]), V5),
        DecodeError::ProtocolError(_)
    ));
}

#[test]
fn v3_unsuback_has_no_reasons() {
    let Packet::UnsubAck(u) = decode_ok(&frame(0xB0, &[0, 9]), V311) else {
        panic!("not an UNSUBACK");
    };
    assert!(u.reasons.is_empty());
    assert!(matches!(
        decode_err(&frame(0xB0, &[0, 9, 0]), V311),
        DecodeError::TrailingBytes { .. }
    ));
}

#[test]
fn v5_unsuback_allows_only_unsubscribe_reason_codes_mqtt_3_11_3_2() {
    for code in [0u8, 0x11, 0x8F] {
        assert!(try_decode(&frame(0xB0, &[0, 1, 0, code]), V5).is_ok());
    }
    for code in [1u8, 0x10, 0x9E] {
        assert!(matches!(
            decode_err(&frame(0xB0, &[0, 1, 0, code]), V5),
            DecodeError::InvalidReasonCode {
                packet: PacketType::UnsubAck,
                ..
            }
        ));
    }
    assert!(matches!(
        decode_err(&frame(0xB0, &[0, 1, 0]), V5),
        DecodeError::ProtocolError(_)
    ));
}
