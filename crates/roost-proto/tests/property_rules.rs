//! MQTT 5 properties: the table of §2.2.2.2, repeats, forbidden values, lengths.

mod common;

use common::*;
use roost_proto::{
    decode, encode, DecodeError, Packet, Properties, PropertyScope, PropertyType, PubResponse,
    ReasonCode, PROPERTY_TABLE,
};

/// A PUBLISH (QoS 0, topic "t") carrying the given property list bytes.
fn publish_with(list: &[u8]) -> Vec<u8> {
    frame(0x30, &cat(&[&s(b"t"), &props(list)]))
}

/// A well-formed value for a property of type `ty`.
fn sample_value(ty: PropertyType) -> Vec<u8> {
    match ty {
        PropertyType::Byte => vec![1],
        PropertyType::TwoByteInteger => vec![0, 1],
        PropertyType::FourByteInteger => vec![0, 0, 0, 1],
        PropertyType::VariableByteInteger => vec![1],
        PropertyType::Utf8String => s(b"x"),
        PropertyType::Utf8StringPair => cat(&[&s(b"k"), &s(b"v")]),
        PropertyType::BinaryData => s(b"x"),
    }
}

/// What must stand beside property `id` for it to be accepted: CONNECT refuses Authentication Data
/// without an Authentication Method.
fn companions(id: u8) -> Vec<u8> {
    if id == 0x16 {
        cat(&[&[0x15], &s(b"m")])
    } else {
        Vec::new()
    }
}

/// A v5 packet of `scope` whose property list is `list`; for `Will`, a CONNECT with a will.
fn packet_with(scope: PropertyScope, list: &[u8]) -> Vec<u8> {
    let p = props(list);
    let id = [0u8, 1];
    match scope {
        PropertyScope::Connect => frame(0x10, &cat(&[&s(b"MQTT"), &[5, 0x02, 0, 0], &p, &s(b"c")])),
        PropertyScope::Will => frame(
            0x10,
            &cat(&[
                &s(b"MQTT"),
                &[5, 0x06, 0, 0],
                &props(&[]),
                &s(b"c"),
                &p,
                &s(b"w"),
                &s(b"x"),
            ]),
        ),
        PropertyScope::ConnAck => frame(0x20, &cat(&[&[0, 0], &p])),
        PropertyScope::Publish => frame(0x30, &cat(&[&s(b"t"), &p])),
        PropertyScope::PubAck => frame(0x40, &cat(&[&id, &[0], &p])),
        PropertyScope::PubRec => frame(0x50, &cat(&[&id, &[0], &p])),
        PropertyScope::PubRel => frame(0x62, &cat(&[&id, &[0], &p])),
        PropertyScope::PubComp => frame(0x70, &cat(&[&id, &[0], &p])),
        PropertyScope::Subscribe => frame(0x82, &cat(&[&id, &p, &s(b"a"), &[0]])),
        PropertyScope::SubAck => frame(0x90, &cat(&[&id, &p, &[0]])),
        PropertyScope::Unsubscribe => frame(0xA2, &cat(&[&id, &p, &s(b"a")])),
        PropertyScope::UnsubAck => frame(0xB0, &cat(&[&id, &p, &[0]])),
        PropertyScope::Disconnect => frame(0xE0, &cat(&[&[0], &p])),
        PropertyScope::Auth => frame(0xF0, &cat(&[&[0], &p])),
    }
}

const SCOPES: [PropertyScope; 14] = [
    PropertyScope::Connect,
    PropertyScope::Will,
    PropertyScope::ConnAck,
    PropertyScope::Publish,
    PropertyScope::PubAck,
    PropertyScope::PubRec,
    PropertyScope::PubRel,
    PropertyScope::PubComp,
    PropertyScope::Subscribe,
    PropertyScope::SubAck,
    PropertyScope::Unsubscribe,
    PropertyScope::UnsubAck,
    PropertyScope::Disconnect,
    PropertyScope::Auth,
];

#[test]
fn every_property_is_accepted_exactly_where_the_table_allows_it() {
    for info in PROPERTY_TABLE {
        let list = cat(&[
            &[info.id],
            &sample_value(info.data_type),
            &companions(info.id),
        ]);
        for scope in SCOPES {
            let result = try_decode(&packet_with(scope, &list), V5);
            if info.allowed_in(scope) {
                assert!(
                    matches!(result, Ok(Some(_))),
                    "{} in {scope:?}: {result:?}",
                    info.name
                );
            } else {
                assert_eq!(
                    result,
                    Err(DecodeError::PropertyNotAllowed {
                        id: info.id,
                        name: info.name,
                        scope
                    }),
                    "{} in {scope:?}",
                    info.name
                );
            }
        }
    }
}

#[test]
fn property_in_the_wrong_packet_is_malformed() {
    let err = decode_err(&publish_with(&[0x11, 0, 0, 0, 1]), V5);
    assert_eq!(err.reason_code(), ReasonCode::MALFORMED_PACKET);
}

#[test]
fn unknown_property_identifier_is_malformed() {
    for id in [0x00u8, 0x04, 0x2B, 0x7F] {
        let err = decode_err(&publish_with(&[id, 0]), V5);
        assert_eq!(err, DecodeError::UnknownProperty(u32::from(id)));
        assert_eq!(err.reason_code(), ReasonCode::MALFORMED_PACKET);
    }
}

#[test]
fn repeated_property_is_a_protocol_error() {
    for info in PROPERTY_TABLE {
        let one = cat(&[&[info.id], &sample_value(info.data_type)]);
        let twice = cat(&[&one, &one, &companions(info.id)]);
        for scope in SCOPES.into_iter().filter(|s| info.allowed_in(*s)) {
            let result = try_decode(&packet_with(scope, &twice), V5);
            let repeatable =
                info.id == 0x26 || (info.id == 0x0B && scope == PropertyScope::Publish);
            if repeatable {
                assert!(matches!(result, Ok(Some(_))), "{} in {scope:?}", info.name);
            } else {
                let err = result.expect_err(info.name);
                assert_eq!(
                    err,
                    DecodeError::DuplicateProperty {
                        id: info.id,
                        name: info.name
                    }
                );
                assert_eq!(err.reason_code(), ReasonCode::PROTOCOL_ERROR);
            }
        }
    }
}

#[test]
fn user_properties_keep_their_order_and_repeats() {
    let list = cat(&[
        &[0x26],
        &s(b"k"),
        &s(b"1"),
        &[0x26],
        &s(b"k"),
        &s(b"2"),
        &[0x26],
        &s(b"a"),
        &s(b""),
    ]);
    let Packet::Publish(p) = decode_ok(&publish_with(&list), V5) else {
        panic!("not a PUBLISH")
    };
    let pairs: Vec<(&str, &str)> = p
        .properties
        .user_properties
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(pairs, [("k", "1"), ("k", "2"), ("a", "")]);
}

#[test]
fn several_subscription_identifiers_in_publish() {
    let Packet::Publish(p) = decode_ok(&publish_with(&[0x0B, 0x05, 0x0B, 0x80, 0x01]), V5) else {
        panic!("not a PUBLISH");
    };
    assert_eq!(p.properties.subscription_identifiers, [5, 128]);
}

#[test]
fn subscription_identifier_0_is_a_protocol_error() {
    let err = decode_err(&publish_with(&[0x0B, 0x00]), V5);
    assert!(matches!(err, DecodeError::ProtocolError(_)));
    let sub = packet_with(PropertyScope::Subscribe, &[0x0B, 0x00]);
    assert!(matches!(
        decode_err(&sub, V5),
        DecodeError::ProtocolError(_)
    ));
}

#[test]
fn receive_maximum_0_is_a_protocol_error() {
    for scope in [PropertyScope::Connect, PropertyScope::ConnAck] {
        let err = decode_err(&packet_with(scope, &[0x21, 0, 0]), V5);
        assert!(matches!(err, DecodeError::ProtocolError(_)), "{scope:?}");
    }
}

#[test]
fn maximum_packet_size_0_is_a_protocol_error() {
    for scope in [PropertyScope::Connect, PropertyScope::ConnAck] {
        let err = decode_err(&packet_with(scope, &[0x27, 0, 0, 0, 0]), V5);
        assert!(matches!(err, DecodeError::ProtocolError(_)), "{scope:?}");
    }
}

#[test]
fn one_byte_flags_other_than_0_or_1_are_protocol_errors() {
    for (id, scope) in [
        (0x01u8, PropertyScope::Publish),
        (0x01, PropertyScope::Will),
        (0x17, PropertyScope::Connect),
        (0x19, PropertyScope::Connect),
        (0x24, PropertyScope::ConnAck),
        (0x25, PropertyScope::ConnAck),
        (0x28, PropertyScope::ConnAck),
        (0x29, PropertyScope::ConnAck),
        (0x2A, PropertyScope::ConnAck),
    ] {
        assert!(try_decode(&packet_with(scope, &[id, 1]), V5).is_ok());
        let err = decode_err(&packet_with(scope, &[id, 2]), V5);
        assert!(matches!(err, DecodeError::ProtocolError(_)), "{id:#x}");
    }
}

#[test]
fn property_length_past_the_packet_is_malformed() {
    // Property length 10, but only 2 bytes follow.
    let bytes = frame(0x30, &cat(&[&s(b"t"), &[10, 0x23, 0]]));
    let err = decode_err(&bytes, V5);
    assert!(matches!(err, DecodeError::MalformedPacket(_)));
}

#[test]
fn property_value_past_the_property_length_is_truncated() {
    // Property length 2 holds only the identifier and half a Two Byte Integer.
    let bytes = frame(0x30, &cat(&[&s(b"t"), &[2, 0x23, 0], b"payload"]));
    assert!(matches!(decode_err(&bytes, V5), DecodeError::Truncated(_)));
}

#[test]
fn property_strings_must_be_utf8_without_null() {
    for bad in [&[0xFFu8][..], b"a\0"] {
        let list = cat(&[&[0x03], &s(bad)]);
        assert_eq!(
            decode_err(&publish_with(&list), V5).reason_code(),
            ReasonCode::MALFORMED_PACKET
        );
    }
}

#[test]
fn encoder_writes_only_properties_the_packet_allows() {
    let properties = Properties::from(roost_proto::PropertyValues {
        reason_string: Some("why".into()),
        content_type: Some("not in PUBACK".into()),
        session_expiry_interval: Some(5),
        ..roost_proto::PropertyValues::NONE
    });
    let ack = Packet::PubAck(PubResponse {
        packet_id: 1,
        reason: ReasonCode::SUCCESS,
        properties,
    });
    let bytes = encode_vec(&ack, V5);
    assert_eq!(
        bytes,
        frame(
            0x40,
            &cat(&[&[0, 1, 0], &props(&cat(&[&[0x1F], &s(b"why")]))])
        )
    );
}

#[test]
fn encoder_writes_no_properties_before_5() {
    let properties = Properties::from(roost_proto::PropertyValues {
        reason_string: Some("why".into()),
        ..roost_proto::PropertyValues::NONE
    });
    let ack = Packet::PubAck(PubResponse {
        packet_id: 1,
        reason: ReasonCode::SUCCESS,
        properties,
    });
    assert_eq!(encode_vec(&ack, V311), [0x40, 0x02, 0x00, 0x01]);
}

#[test]
fn every_property_round_trips_in_a_packet_that_allows_it() {
    for info in PROPERTY_TABLE {
        let list = cat(&[
            &[info.id],
            &sample_value(info.data_type),
            &companions(info.id),
        ]);
        let scope = SCOPES
            .into_iter()
            .find(|s| info.allowed_in(*s))
            .expect("some scope");
        let bytes = packet_with(scope, &list);
        let packet = decode_ok(&bytes, V5);
        let mut out = bytes::BytesMut::new();
        encode(&packet, V5, &mut out);
        assert_eq!(
            decode(&mut out, V5, u32::MAX).unwrap(),
            Some(packet),
            "{}",
            info.name
        );
    }
}
