//! Fixed header rules: packet types, reserved flags, remaining length, trailing bytes.

mod common;

use common::*;
use roost_proto::{DecodeError, PacketType, ReasonCode};

#[test]
fn packet_type_0_is_malformed() {
    for v in ALL {
        assert_eq!(
            decode_err(&[0x00, 0x00], v),
            DecodeError::ReservedPacketType(0)
        );
    }
}

#[test]
fn auth_is_reserved_before_mqtt_5() {
    for v in [V31, V311] {
        assert_eq!(
            decode_err(&[0xF0, 0x00], v),
            DecodeError::ReservedPacketType(15)
        );
    }
    assert!(try_decode(&[0xF0, 0x00], V5).unwrap().is_some());
}

#[test]
fn pubrel_subscribe_unsubscribe_flags_must_be_0010_mqtt_3_6_1_1_mqtt_3_8_1_1_mqtt_3_10_1_1() {
    let pubrel = cat(&[&[0, 1]]);
    let subscribe = cat(&[&[0, 1], &s(b"a"), &[0]]);
    let unsubscribe = cat(&[&[0, 1], &s(b"a")]);
    for v in [V311, V31] {
        for flags in [0x0u8, 0x1, 0x3, 0x4, 0x8, 0xA] {
            for (ty, body) in [(0x60u8, &pubrel), (0x80, &subscribe), (0xA0, &unsubscribe)] {
                let err = decode_err(&frame(ty | flags, body), v);
                assert!(
                    matches!(err, DecodeError::InvalidHeaderFlags { flags: f, .. } if f == flags),
                    "{ty:#04x}|{flags:#x}: {err:?}"
                );
                assert_eq!(err.reason_code(), ReasonCode::MALFORMED_PACKET);
            }
        }
        assert!(try_decode(&frame(0x62, &pubrel), v).unwrap().is_some());
        assert!(try_decode(&frame(0x82, &subscribe), v).unwrap().is_some());
        assert!(try_decode(&frame(0xA2, &unsubscribe), v).unwrap().is_some());
    }
}

#[test]
fn other_packets_need_zero_flags_mqtt_2_1_3_1() {
    let cases: [(u8, Vec<u8>); 6] = [
        (0x20, vec![0, 0]),
        (0x40, vec![0, 1]),
        (0x50, vec![0, 1]),
        (0x70, vec![0, 1]),
        (0xC0, vec![]),
        (0xE0, vec![]),
    ];
    for (ty, body) in &cases {
        assert!(try_decode(&frame(*ty, body), V311).unwrap().is_some());
        for flags in 1..16u8 {
            assert!(matches!(
                decode_err(&frame(ty | flags, body), V311),
                DecodeError::InvalidHeaderFlags { .. }
            ));
        }
    }
}

#[test]
fn remaining_length_longer_than_four_bytes_is_malformed_mqtt_1_5_5() {
    let err = decode_err(&[0x30, 0x80, 0x80, 0x80, 0x80, 0x01], V5);
    assert!(matches!(err, DecodeError::MalformedPacket(_)));
}

#[test]
fn non_minimal_remaining_length_is_still_read() {
    // Senders must use the minimal form [MQTT-1.5.5-1]; a receiver can still read the value.
    assert!(try_decode(&[0xC0, 0x80, 0x00], V311).unwrap().is_some());
}

#[test]
fn bytes_past_the_declared_content_are_malformed() {
    for (bytes, v) in [
        (vec![0xC0, 0x01, 0x00], V311),
        (vec![0xD0, 0x02, 0x00, 0x00], V5),
        (vec![0xE0, 0x01, 0x00], V311),
        (vec![0x40, 0x03, 0x00, 0x01, 0x00], V311),
        (frame(0xB0, &[0, 1, 0x00]), V311),
        (frame(0x20, &[0, 0, 0]), V311),
    ] {
        assert!(
            matches!(decode_err(&bytes, v), DecodeError::TrailingBytes { .. }),
            "{bytes:x?}"
        );
    }
}

#[test]
fn content_longer_than_the_remaining_length_is_truncated() {
    // PUBACK with a one-byte body: the packet identifier does not fit.
    assert!(matches!(
        decode_err(&[0x40, 0x01, 0x00], V311),
        DecodeError::Truncated(_)
    ));
    // PUBLISH whose topic length runs past the packet.
    assert!(matches!(
        decode_err(&frame(0x30, &[0, 9, b'a']), V311),
        DecodeError::Truncated(_)
    ));
}

#[test]
fn packet_type_is_reported() {
    let err = decode_err(&[0x63, 0x02, 0, 1], V311);
    assert_eq!(
        err,
        DecodeError::InvalidHeaderFlags {
            packet: PacketType::PubRel,
            flags: 3
        }
    );
}
