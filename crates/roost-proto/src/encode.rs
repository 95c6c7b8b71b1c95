//! [`encode`] and [`encoded_len`]: any packet, in a given protocol version.
//!
//! Each body is written by one generic function, run once into a counter and once into the output,
//! so the length prefix and [`encoded_len`] are exact. PUBLISH goes through
//! [`crate::encode_publish`], the same path the broker uses per subscriber. What a version cannot
//! carry is left out: properties and reason codes before MQTT 5, and AUTH, which is not written at
//! all before MQTT 5.

use bytes::BytesMut;

use crate::header::PacketType;
use crate::packet::publish::{encode_publish, publish_len};
use crate::packet::{
    auth, connack, connect, disconnect, pub_response, suback, subscribe, unsuback, unsubscribe,
};
use crate::sink::{count, put_varint, Sink};
use crate::types::{Packet, ProtocolVersion};
use crate::varint;

impl Packet {
    /// The type of this packet.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Connect(_) => PacketType::Connect,
            Packet::ConnAck(_) => PacketType::ConnAck,
            Packet::Publish(_) => PacketType::Publish,
            Packet::PubAck(_) => PacketType::PubAck,
            Packet::PubRec(_) => PacketType::PubRec,
            Packet::PubRel(_) => PacketType::PubRel,
            Packet::PubComp(_) => PacketType::PubComp,
            Packet::Subscribe(_) => PacketType::Subscribe,
            Packet::SubAck(_) => PacketType::SubAck,
            Packet::Unsubscribe(_) => PacketType::Unsubscribe,
            Packet::UnsubAck(_) => PacketType::UnsubAck,
            Packet::PingReq => PacketType::PingReq,
            Packet::PingResp => PacketType::PingResp,
            Packet::Disconnect(_) => PacketType::Disconnect,
            Packet::Auth(_) => PacketType::Auth,
        }
    }
}

/// Appends `packet`, encoded for `version`, to `out`.
///
/// CONNECT is written in the version of its own [`crate::Connect::protocol`]. AUTH before MQTT 5
/// writes nothing. The packet is expected to hold what its type promises (see [`crate::Packet`]);
/// a string or binary field longer than 65,535 bytes is cut to that length and a body longer than
/// the protocol's 268,435,455 bytes cannot be written correctly.
pub fn encode(packet: &Packet, version: ProtocolVersion, out: &mut BytesMut) {
    match packet {
        Packet::Publish(p) => encode_publish(&p.as_publish_ref(), version, out),
        Packet::Auth(_) if !version.is_v5() => {}
        _ => {
            let body = count(|c| write_body(c, packet, version));
            out.reserve(1 + varint::len(body as u32) + body);
            out.put_u8(first_byte(packet.packet_type()));
            put_varint(out, body as u32);
            write_body(out, packet, version);
        }
    }
}

/// The exact number of bytes [`encode`] appends for `packet` in `version`.
pub fn encoded_len(packet: &Packet, version: ProtocolVersion) -> usize {
    match packet {
        Packet::Publish(p) => publish_len(&p.as_publish_ref(), version),
        Packet::Auth(_) if !version.is_v5() => 0,
        _ => {
            let body = count(|c| write_body(c, packet, version));
            1 + varint::len(body as u32) + body
        }
    }
}

/// The first byte of every packet type but PUBLISH: the type and its fixed flags.
fn first_byte(packet_type: PacketType) -> u8 {
    ((packet_type as u8) << 4) | packet_type.required_flags().unwrap_or_default()
}

fn write_body<S: Sink>(s: &mut S, packet: &Packet, version: ProtocolVersion) {
    match packet {
        Packet::Connect(c) => connect::write(s, c),
        Packet::ConnAck(c) => connack::write(s, c, version),
        Packet::PubAck(p) => pub_response::write(s, p, PacketType::PubAck, version),
        Packet::PubRec(p) => pub_response::write(s, p, PacketType::PubRec, version),
        Packet::PubRel(p) => pub_response::write(s, p, PacketType::PubRel, version),
        Packet::PubComp(p) => pub_response::write(s, p, PacketType::PubComp, version),
        Packet::Subscribe(p) => subscribe::write(s, p, version),
        Packet::SubAck(p) => suback::write(s, p, version),
        Packet::Unsubscribe(p) => unsubscribe::write(s, p, version),
        Packet::UnsubAck(p) => unsuback::write(s, p, version),
        Packet::Disconnect(d) => disconnect::write(s, d, version),
        Packet::Auth(a) => auth::write(s, a),
        // PUBLISH is written by `encode_publish`; PINGREQ and PINGRESP have no body.
        Packet::Publish(_) | Packet::PingReq | Packet::PingResp => {}
    }
}
