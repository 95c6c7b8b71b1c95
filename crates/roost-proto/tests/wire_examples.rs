//! Known byte sequences decode to the expected packets and encode back to the same bytes.

use bytes::{Bytes, BytesMut};
use roost_proto::*;

const V3: ProtocolVersion = ProtocolVersion::V3_1_1;
const V5: ProtocolVersion = ProtocolVersion::V5;

fn decode_all(bytes: &[u8], version: ProtocolVersion) -> Packet {
    let mut buf = BytesMut::from(bytes);
    let packet = decode(&mut buf, version, u32::MAX).unwrap().unwrap();
    assert!(buf.is_empty(), "decode left {} bytes", buf.len());
    packet
}

fn encode_to_vec(packet: &Packet, version: ProtocolVersion) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(packet, version, &mut out);
    assert_eq!(out.len(), encoded_len(packet, version));
    out.to_vec()
}

fn assert_wire(bytes: &[u8], version: ProtocolVersion, expected: &Packet) {
    assert_eq!(encode_to_vec(expected, version), bytes);
    assert_eq!(&decode_all(bytes, version), expected);
}

#[test]
fn connect_3_1_1_with_credentials() {
    let bytes = [
        0x10, 0x1A, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0xC2, 0x00, 0x3C, 0x00, 0x02, b'c',
        b'1', 0x00, 0x04, b'u', b's', b'e', b'r', 0x00, 0x04, b'p', b'a', b's', b's',
    ];
    let expected = Packet::Connect(Box::new(Connect {
        protocol: V3,
        clean_start: true,
        keep_alive: 60,
        client_id: "c1".into(),
        will: None,
        username: Some("user".into()),
        password: Some(Bytes::from_static(b"pass")),
        properties: Properties::default(),
    }));
    assert_wire(&bytes, ProtocolVersion::V5, &expected);
}

#[test]
fn connect_3_1_uses_mqisdp() {
    let bytes = [
        0x10, 0x0F, 0x00, 0x06, b'M', b'Q', b'I', b's', b'd', b'p', 0x03, 0x02, 0x00, 0x0A, 0x00,
        0x01, b'x',
    ];
    let Packet::Connect(c) = decode_all(&bytes, V3) else {
        panic!("not a CONNECT")
    };
    assert_eq!(c.protocol, ProtocolVersion::V3_1);
    assert_eq!(encode_to_vec(&Packet::Connect(c), V3), bytes);
}

#[test]
fn connect_5_with_will_and_properties() {
    let bytes = [
        0x10, 0x22, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x2E, 0x00,
        0x0A, // flags: will qos1 retain, clean
        0x05, 0x11, 0x00, 0x00, 0x00, 0x78, // session expiry 120
        0x00, 0x01, b'c', // client id
        0x05, 0x18, 0x00, 0x00, 0x00, 0x05, // will delay 5
        0x00, 0x03, b'a', b'/', b'b', // will topic
        0x00, 0x02, b'h', b'i', // will payload
    ];
    let expected = Packet::Connect(Box::new(Connect {
        protocol: V5,
        clean_start: true,
        keep_alive: 10,
        client_id: "c".into(),
        will: Some(Will {
            topic: "a/b".into(),
            payload: Bytes::from_static(b"hi"),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: Properties::from(roost_proto::PropertyValues {
                will_delay_interval: Some(5),
                ..roost_proto::PropertyValues::NONE
            }),
        }),
        username: None,
        password: None,
        properties: Properties::from(roost_proto::PropertyValues {
            session_expiry_interval: Some(120),
            ..roost_proto::PropertyValues::NONE
        }),
    }));
    assert_wire(&bytes, V3, &expected);
}

#[test]
fn connack_3_1_1_maps_return_codes_to_reasons() {
    assert_wire(
        &[0x20, 0x02, 0x00, 0x05],
        V3,
        &Packet::ConnAck(ConnAck {
            session_present: false,
            reason: ReasonCode::NOT_AUTHORIZED,
            properties: Properties::default(),
        }),
    );
}

#[test]
fn connack_5_with_properties() {
    assert_wire(
        &[0x20, 0x06, 0x01, 0x00, 0x03, 0x21, 0x00, 0x0A],
        V5,
        &Packet::ConnAck(ConnAck {
            session_present: true,
            reason: ReasonCode::SUCCESS,
            properties: Properties::from(roost_proto::PropertyValues {
                receive_maximum: Some(10),
                ..roost_proto::PropertyValues::NONE
            }),
        }),
    );
}

#[test]
fn publish_qos1_3_1_1() {
    assert_wire(
        &[0x32, 0x08, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x07, b'x'],
        V3,
        &Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: "a/b".into(),
            packet_id: Some(7),
            payload: Bytes::from_static(b"x"),
            properties: Properties::default(),
        }),
    );
}

#[test]
fn publish_5_with_alias_and_empty_topic() {
    assert_wire(
        &[0x3B, 0x08, 0x00, 0x00, 0x00, 0x09, 0x03, 0x23, 0x00, 0x02],
        V5,
        &Packet::Publish(Publish {
            dup: true,
            qos: QoS::AtLeastOnce,
            retain: true,
            topic: String::new(),
            packet_id: Some(9),
            payload: Bytes::new(),
            properties: Properties::from(roost_proto::PropertyValues {
                topic_alias: Some(2),
                ..roost_proto::PropertyValues::NONE
            }),
        }),
    );
}

#[test]
fn puback_5_short_forms() {
    let success = PubResponse {
        packet_id: 1,
        reason: ReasonCode::SUCCESS,
        properties: Properties::default(),
    };
    assert_wire(
        &[0x40, 0x02, 0x00, 0x01],
        V5,
        &Packet::PubAck(success.clone()),
    );
    // Success written out with an empty property list still decodes.
    assert_eq!(
        decode_all(&[0x40, 0x04, 0x00, 0x01, 0x00, 0x00], V5),
        Packet::PubAck(success)
    );
    let no_subs = PubResponse {
        packet_id: 1,
        reason: ReasonCode::NO_MATCHING_SUBSCRIBERS,
        properties: Properties::default(),
    };
    assert_wire(
        &[0x40, 0x03, 0x00, 0x01, 0x10],
        V5,
        &Packet::PubAck(no_subs),
    );
}

#[test]
fn pubrel_carries_its_fixed_flags() {
    let p = PubResponse {
        packet_id: 3,
        reason: ReasonCode::SUCCESS,
        properties: Properties::default(),
    };
    assert_wire(&[0x62, 0x02, 0x00, 0x03], V3, &Packet::PubRel(p));
}

#[test]
fn subscribe_and_suback_5() {
    assert_wire(
        &[
            0x82, 0x09, 0x00, 0x01, 0x02, 0x0B, 0x05, 0x00, 0x01, b'#', 0x2E,
        ],
        V5,
        &Packet::Subscribe(Subscribe {
            packet_id: 1,
            filters: vec![SubscribeFilter {
                filter: "#".into(),
                options: SubscriptionOptions {
                    qos: QoS::ExactlyOnce,
                    no_local: true,
                    retain_as_published: true,
                    retain_handling: RetainHandling::DoNotSend,
                },
            }],
            properties: Properties::from(roost_proto::PropertyValues {
                subscription_identifiers: vec![5],
                ..roost_proto::PropertyValues::NONE
            }),
        }),
    );
    assert_wire(
        &[0x90, 0x05, 0x00, 0x01, 0x00, 0x02, 0x87],
        V5,
        &Packet::SubAck(SubAck {
            packet_id: 1,
            reasons: vec![ReasonCode::GRANTED_QOS_2, ReasonCode::NOT_AUTHORIZED],
            properties: Properties::default(),
        }),
    );
}

#[test]
fn suback_3_writes_failures_as_0x80() {
    let suback = Packet::SubAck(SubAck {
        packet_id: 1,
        reasons: vec![ReasonCode::GRANTED_QOS_1, ReasonCode::NOT_AUTHORIZED],
        properties: Properties::default(),
    });
    assert_eq!(
        encode_to_vec(&suback, V3),
        [0x90, 0x04, 0x00, 0x01, 0x01, 0x80]
    );
}

#[test]
fn unsubscribe_and_unsuback() {
    assert_wire(
        &[0xA2, 0x07, 0x00, 0x02, 0x00, 0x03, b'a', b'/', b'+'],
        V3,
        &Packet::Unsubscribe(Unsubscribe {
            packet_id: 2,
            filters: vec!["a/+".into()],
            properties: Properties::default(),
        }),
    );
    assert_wire(
        &[0xB0, 0x02, 0x00, 0x02],
        V3,
        &Packet::UnsubAck(UnsubAck {
            packet_id: 2,
            reasons: vec![],
            properties: Properties::default(),
        }),
    );
    assert_wire(
        &[0xB0, 0x04, 0x00, 0x02, 0x00, 0x11],
        V5,
        &Packet::UnsubAck(UnsubAck {
            packet_id: 2,
            reasons: vec![ReasonCode::NO_SUBSCRIPTION_EXISTED],
            properties: Properties::default(),
        }),
    );
}

#[test]
fn ping_disconnect_auth() {
    assert_wire(&[0xC0, 0x00], V3, &Packet::PingReq);
    assert_wire(&[0xD0, 0x00], V5, &Packet::PingResp);
    assert_wire(
        &[0xE0, 0x00],
        V3,
        &Packet::Disconnect(Disconnect::default()),
    );
    assert_wire(
        &[0xE0, 0x00],
        V5,
        &Packet::Disconnect(Disconnect::default()),
    );
    assert_wire(
        &[0xE0, 0x01, 0x04],
        V5,
        &Packet::Disconnect(Disconnect {
            reason: ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
            properties: Properties::default(),
        }),
    );
    assert_wire(
        &[0xF0, 0x08, 0x18, 0x06, 0x15, 0x00, 0x03, b'S', b'C', b'R'],
        V5,
        &Packet::Auth(Auth {
            reason: ReasonCode::CONTINUE_AUTHENTICATION,
            properties: Properties::from(roost_proto::PropertyValues {
                authentication_method: Some("SCR".into()),
                ..roost_proto::PropertyValues::NONE
            }),
        }),
    );
}

#[test]
fn auth_is_not_written_before_5() {
    assert_eq!(
        encode_to_vec(&Packet::Auth(Auth::default()), V3),
        Vec::<u8>::new()
    );
}
