//! [`decode`]: one packet from the front of a receive buffer.
//!
//! The fixed header is read first, without consuming anything, so an oversized packet is refused
//! as soon as its length is known and before its body is buffered. Only a complete packet is taken
//! out of the buffer; its bytes become a shared [`bytes::Bytes`] that the PUBLISH payload and other
//! binary fields point into.

use bytes::{Buf, BytesMut};

use crate::error::DecodeError;
use crate::header::{parse_fixed_header, FixedHeader, PacketType};
use crate::packet::{
    auth, connack, connect, disconnect, pub_response, publish, suback, subscribe, unsuback,
    unsubscribe,
};
use crate::reader::Reader;
use crate::types::{Packet, ProtocolVersion};

/// Decodes one packet from the front of `buf`.
///
/// - `version` is the connection's negotiated version; CONNECT is read in the version its own
///   protocol name and level announce, whatever `version` says.
/// - `max_packet_size` bounds the whole packet, fixed header included; a larger one is
///   [`DecodeError::PacketTooLarge`] as soon as its fixed header is in the buffer. Pass `u32::MAX`
///   for no limit beyond the protocol's own.
///
/// Returns `Ok(None)`, leaving `buf` untouched and allocating nothing, while the packet is
/// incomplete. On `Ok(Some(_))` exactly that packet's bytes have been removed from `buf`. After an
/// error the connection must be closed; the failing packet's bytes may already have been removed.
pub fn decode(
    buf: &mut BytesMut,
    version: ProtocolVersion,
    max_packet_size: u32,
) -> Result<Option<Packet>, DecodeError> {
    let Some(header) = parse_fixed_header(buf)? else {
        return Ok(None);
    };
    if header.packet_type == PacketType::Auth && !version.is_v5() {
        return Err(DecodeError::ReservedPacketType(PacketType::Auth as u8));
    }
    let size = header.packet_len();
    if size > max_packet_size as usize {
        return Err(DecodeError::PacketTooLarge {
            size,
            max: max_packet_size,
        });
    }
    if buf.len() < size {
        return Ok(None);
    }
    let mut frame = buf.split_to(size).freeze();
    frame.advance(header.header_len);
    let mut body = Reader::new(frame);
    let packet = decode_body(&mut body, header, version)?;
    body.finish()?;
    Ok(Some(packet))
}

fn decode_body(
    r: &mut Reader,
    header: FixedHeader,
    version: ProtocolVersion,
) -> Result<Packet, DecodeError> {
    Ok(match header.packet_type {
        PacketType::Connect => Packet::Connect(Box::new(connect::decode(r)?)),
        PacketType::ConnAck => Packet::ConnAck(connack::decode(r, version)?),
        PacketType::Publish => Packet::Publish(publish::decode(r, header.flags, version)?),
        PacketType::PubAck => Packet::PubAck(pub_response::decode(r, PacketType::PubAck, version)?),
        PacketType::PubRec => Packet::PubRec(pub_response::decode(r, PacketType::PubRec, version)?),
        PacketType::PubRel => Packet::PubRel(pub_response::decode(r, PacketType::PubRel, version)?),
        PacketType::PubComp => {
            Packet::PubComp(pub_response::decode(r, PacketType::PubComp, version)?)
        }
        PacketType::Subscribe => Packet::Subscribe(subscribe::decode(r, version)?),
        PacketType::SubAck => Packet::SubAck(suback::decode(r, version)?),
        PacketType::Unsubscribe => Packet::Unsubscribe(unsubscribe::decode(r, version)?),
        PacketType::UnsubAck => Packet::UnsubAck(unsuback::decode(r, version)?),
        PacketType::PingReq => Packet::PingReq,
        PacketType::PingResp => Packet::PingResp,
        PacketType::Disconnect => Packet::Disconnect(disconnect::decode(r, version)?),
        PacketType::Auth => Packet::Auth(auth::decode(r)?),
    })
}
