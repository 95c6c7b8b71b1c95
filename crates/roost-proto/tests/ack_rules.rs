//! CONNACK, PUBACK/PUBREC/PUBREL/PUBCOMP, DISCONNECT and AUTH; reason code mappings.

mod common;

use common::*;
use roost_proto::{
    connack_return_code, ConnAck, DecodeError, Disconnect, Packet, PacketType, Properties,
    PubResponse, ReasonCode,
};

#[test]
fn connack_return_codes_for_reason_codes() {
    let cases = [
        (0x00, 0),
        (0x84, 1),
        (0x85, 2),
        (0x88, 3),
        (0x89, 3),
        (0x80, 3),
        (0x9F, 3),
        (0x86, 4),
        (0x87, 5),
        (0x8A, 5),
    ];
    for (reason, code) in cases {
        assert_eq!(connack_return_code(ReasonCode(reason)), code, "{reason:#x}");
    }
}

#[test]
fn v3_connack_return_codes_map_back_to_reasons() {
    let cases = [
        (0u8, 0x00u8),
        (1, 0x84),
        (2, 0x85),
        (3, 0x88),
        (4, 0x86),
        (5, 0x87),
    ];
    for (code, reason) in cases {
        for v in [V31, V311] {
            let Packet::ConnAck(c) = decode_ok(&[0x20, 2, 0, code], v) else {
                panic!("not a CONNACK");
            };
            assert_eq!(c.reason, ReasonCode(reason));
            assert_eq!(encode_vec(&Packet::ConnAck(c), v), [0x20, 2, 0, code]);
        }
    }
    assert!(matches!(
        decode_err(&[0x20, 2, 0, 6], V311),
        DecodeError::ProtocolError(_)
    ));
}

#[test]
fn v3_connack_encodes_any_refusal_as_a_return_code() {
    let refused = Packet::ConnAck(ConnAck {
        session_present: false,
        reason: ReasonCode::BANNED,
        properties: Properties::default(),
    });
    assert_eq!(encode_vec(&refused, V311), [0x20, 2, 0, 5]);
}

#[test]
fn connack_reserved_flag_bits_are_malformed_mqtt_3_2_2_1() {
    assert!(matches!(
        decode_err(&[0x20, 2, 0x02, 0], V311),
        DecodeError::MalformedPacket(_)
    ));
    assert!(matches!(
        decode_err(&[0x20, 3, 0x80, 0, 0], V5),
        DecodeError::MalformedPacket(_)
    ));
}

#[test]
fn session_present_with_a_refusal_is_a_protocol_error_mqtt_3_2_2_6() {
    assert!(matches!(
        decode_err(&[0x20, 2, 1, 5], V311),
        DecodeError::ProtocolError(_)
    ));
    assert!(matches!(
        decode_err(&[0x20, 3, 1, 0x87, 0], V5),
        DecodeError::ProtocolError(_)
    ));
}

#[test]
fn v5_connack_allows_only_connect_reason_codes_mqtt_3_2_2_8() {
    assert!(try_decode(&[0x20, 3, 0, 0x9F, 0], V5).is_ok());
    for code in [0x01u8, 0x04, 0x8B, 0xA0] {
        assert!(matches!(
            decode_err(&[0x20, 3, 0, code, 0], V5),
            DecodeError::InvalidReasonCode {
                packet: PacketType::ConnAck,
                ..
            }
        ));
    }
}

#[test]
fn v5_connack_needs_its_property_length() {
    assert!(matches!(
        decode_err(&[0x20, 2, 0, 0], V5),
        DecodeError::Truncated(_)
    ));
}

#[test]
fn pub_responses_check_their_reason_codes_mqtt_3_4_2_1_mqtt_3_5_2_1_mqtt_3_6_2_1_mqtt_3_7_2_1() {
    let cases = [
        (0x40u8, 0x10u8, 0x92u8),
        (0x50, 0x99, 0x92),
        (0x62, 0x92, 0x10),
        (0x70, 0x92, 0x87),
    ];
    for (first, ok, bad) in cases {
        assert!(
            try_decode(&[first, 3, 0, 1, ok], V5).unwrap().is_some(),
            "{first:#x} {ok:#x}"
        );
        let err = decode_err(&[first, 3, 0, 1, bad], V5);
        assert!(
            matches!(err, DecodeError::InvalidReasonCode { .. }),
            "{first:#x} {bad:#x}"
        );
        assert_eq!(err.reason_code(), ReasonCode::PROTOCOL_ERROR);
    }
}

#[test]
fn v3_pub_responses_are_the_identifier_only() {
    for first in [0x40u8, 0x50, 0x62, 0x70] {
        assert!(try_decode(&[first, 2, 0, 1], V311).unwrap().is_some());
        assert!(matches!(
            decode_err(&[first, 3, 0, 1, 0], V311),
            DecodeError::TrailingBytes { .. }
        ));
        assert!(matches!(
            decode_err(&[first, 2, 0, 0], V311),
            DecodeError::ProtocolError(_)
        ));
    }
}

#[test]
fn v3_pub_response_drops_reason_and_properties() {
    let ack = Packet::PubRec(PubResponse {
        packet_id: 4,
        reason: ReasonCode::QUOTA_EXCEEDED,
        properties: Properties::from(roost_proto::PropertyValues {
            reason_string: Some("x".into()),
            ..roost_proto::PropertyValues::NONE
        }),
    });
    assert_eq!(encode_vec(&ack, V311), [0x50, 2, 0, 4]);
}

#[test]
fn v3_disconnect_is_empty() {
    let d = Packet::Disconnect(Disconnect {
        reason: ReasonCode::SERVER_SHUTTING_DOWN,
        properties: Properties::default(),
    });
    assert_eq!(encode_vec(&d, V311), [0xE0, 0]);
    assert!(matches!(
        decode_err(&[0xE0, 1, 0x8B], V311),
        DecodeError::TrailingBytes { .. }
    ));
}

#[test]
fn v5_disconnect_checks_its_reason_code() {
    assert!(try_decode(&[0xE0, 1, 0x8E], V5).unwrap().is_some());
    for code in [0x01u8, 0x10, 0x84, 0x91] {
        assert!(matches!(
            decode_err(&[0xE0, 1, code], V5),
            DecodeError::InvalidReasonCode {
                packet: PacketType::Disconnect,
                ..
            }
        ));
    }
}

#[test]
fn v5_disconnect_with_properties() {
    let bytes = frame(0xE0, &cat(&[&[0x8B], &props(&cat(&[&[0x1F], &s(b"bye")]))]));
    let Packet::Disconnect(d) = decode_ok(&bytes, V5) else {
        panic!("not a DISCONNECT")
    };
    assert_eq!(d.reason, ReasonCode::SERVER_SHUTTING_DOWN);
    assert_eq!(d.properties.reason_string.as_deref(), Some("bye"));
    assert_eq!(encode_vec(&Packet::Disconnect(d), V5), bytes);
}

#[test]
fn auth_checks_its_reason_code() {
    for code in [0x00u8, 0x18, 0x19] {
        assert!(try_decode(&[0xF0, 2, code, 0], V5).unwrap().is_some());
    }
    assert!(matches!(
        decode_err(&[0xF0, 2, 0x87, 0], V5),
        DecodeError::InvalidReasonCode {
            packet: PacketType::Auth,
            ..
        }
    ));
}

#[test]
fn ping_with_a_body_is_malformed() {
    for v in ALL {
        assert!(matches!(
            decode_err(&[0xC0, 1, 0], v),
            DecodeError::TrailingBytes { .. }
        ));
        assert!(matches!(
            decode_err(&[0xD0, 1, 0], v),
            DecodeError::TrailingBytes { .. }
        ));
    }
}

#[test]
fn reason_code_allowed_in_matches_the_tables() {
    assert!(ReasonCode::SUCCESS.allowed_in(PacketType::PubRel));
    assert!(!ReasonCode::NO_MATCHING_SUBSCRIBERS.allowed_in(PacketType::PubRel));
    assert!(ReasonCode::GRANTED_QOS_2.allowed_in(PacketType::SubAck));
    assert!(!ReasonCode::GRANTED_QOS_2.allowed_in(PacketType::UnsubAck));
    assert!(ReasonCode::RE_AUTHENTICATE.allowed_in(PacketType::Auth));
    assert!(!ReasonCode::SUCCESS.allowed_in(PacketType::Publish));
}
