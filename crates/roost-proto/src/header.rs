//! The fixed header: packet type, flag bits and remaining length (spec §2.1).
//!
//! [`parse_fixed_header`] reads it from the front of a buffer without consuming or allocating, so
//! the decoder can refuse an oversized packet before its body arrives. It checks the flag bits of
//! every packet type except PUBLISH, whose flags carry DUP, QoS and RETAIN and are checked there.

use crate::error::DecodeError;
use crate::varint::{self, VarintRead};

/// The type of an MQTT control packet: the high four bits of its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// 1: CONNECT.
    Connect = 1,
    /// 2: CONNACK.
    ConnAck = 2,
    /// 3: PUBLISH.
    Publish = 3,
    /// 4: PUBACK.
    PubAck = 4,
    /// 5: PUBREC.
    PubRec = 5,
    /// 6: PUBREL.
    PubRel = 6,
    /// 7: PUBCOMP.
    PubComp = 7,
    /// 8: SUBSCRIBE.
    Subscribe = 8,
    /// 9: SUBACK.
    SubAck = 9,
    /// 10: UNSUBSCRIBE.
    Unsubscribe = 10,
    /// 11: UNSUBACK.
    UnsubAck = 11,
    /// 12: PINGREQ.
    PingReq = 12,
    /// 13: PINGRESP.
    PingResp = 13,
    /// 14: DISCONNECT.
    Disconnect = 14,
    /// 15: AUTH (MQTT 5 only).
    Auth = 15,
}

impl PacketType {
    /// The packet type for the high nibble of a first byte; `None` for the reserved 0.
    pub fn from_u8(value: u8) -> Option<PacketType> {
        Some(match value {
            1 => PacketType::Connect,
            2 => PacketType::ConnAck,
            3 => PacketType::Publish,
            4 => PacketType::PubAck,
            5 => PacketType::PubRec,
            6 => PacketType::PubRel,
            7 => PacketType::PubComp,
            8 => PacketType::Subscribe,
            9 => PacketType::SubAck,
            10 => PacketType::Unsubscribe,
            11 => PacketType::UnsubAck,
            12 => PacketType::PingReq,
            13 => PacketType::PingResp,
            14 => PacketType::Disconnect,
            15 => PacketType::Auth,
            _ => return None,
        })
    }

    /// The flag bits this type must carry (spec §2.1.3); `None` for PUBLISH, whose flags vary.
    pub fn required_flags(self) -> Option<u8> {
        match self {
            PacketType::Publish => None,
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => Some(0b0010),
            _ => Some(0),
        }
    }
}

/// What the fixed header says, once all of it is in the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FixedHeader {
    /// Packet type.
    pub(crate) packet_type: PacketType,
    /// The low four bits of the first byte.
    pub(crate) flags: u8,
    /// Length of the fixed header itself: 2 to 5 bytes.
    pub(crate) header_len: usize,
    /// The remaining length: everything after the fixed header.
    pub(crate) remaining_len: usize,
}

impl FixedHeader {
    /// The size of the whole packet.
    pub(crate) fn packet_len(&self) -> usize {
        self.header_len + self.remaining_len
    }
}

/// Reads the fixed header at the front of `buf`: `Ok(None)` while it is incomplete.
///
/// Refuses packet type 0, wrong flag bits and a remaining length longer than four bytes.
pub(crate) fn parse_fixed_header(buf: &[u8]) -> Result<Option<FixedHeader>, DecodeError> {
    let Some((&first, rest)) = buf.split_first() else {
        return Ok(None);
    };
    let packet_type =
        PacketType::from_u8(first >> 4).ok_or(DecodeError::ReservedPacketType(first >> 4))?;
    let flags = first & 0x0F;
    if let Some(required) = packet_type.required_flags() {
        if flags != required {
            return Err(DecodeError::InvalidHeaderFlags {
                packet: packet_type,
                flags,
            });
        }
    }
    match varint::read_prefix(rest) {
        VarintRead::Incomplete => Ok(None),
        VarintRead::TooLong => Err(DecodeError::MalformedPacket(
            "remaining length is longer than four bytes",
        )),
        VarintRead::Value { value, len } => Ok(Some(FixedHeader {
            packet_type,
            flags,
            header_len: 1 + len,
            remaining_len: value as usize,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_partial_headers_need_more_bytes() {
        assert_eq!(parse_fixed_header(&[]), Ok(None));
        assert_eq!(parse_fixed_header(&[0x30]), Ok(None));
        assert_eq!(parse_fixed_header(&[0x30, 0x80, 0x80]), Ok(None));
    }

    #[test]
    fn packet_type_zero_is_reserved() {
        assert_eq!(
            parse_fixed_header(&[0x00, 0x00]),
            Err(DecodeError::ReservedPacketType(0))
        );
    }

    #[test]
    fn reserved_flags_must_match_mqtt_2_1_3_1() {
        // PUBREL, SUBSCRIBE and UNSUBSCRIBE carry 0b0010; the rest 0.
        for first in [0x60u8, 0x80, 0xA0, 0x21, 0x42, 0xC1, 0xE8, 0x1F] {
            assert!(
                matches!(
                    parse_fixed_header(&[first, 0]),
                    Err(DecodeError::InvalidHeaderFlags { .. })
                ),
                "first byte {first:#04x}"
            );
        }
        for first in [0x62u8, 0x82, 0xA2, 0x20, 0x40, 0xC0, 0xE0, 0x10, 0xF0, 0x3F] {
            assert!(
                parse_fixed_header(&[first, 0]).is_ok(),
                "first byte {first:#04x}"
            );
        }
    }

    #[test]
    fn remaining_length_of_five_bytes_is_malformed() {
        assert!(matches!(
            parse_fixed_header(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            Err(DecodeError::MalformedPacket(_))
        ));
    }

    #[test]
    fn header_length_counts_the_varint() {
        let h = parse_fixed_header(&[0x30, 0xC1, 0x02]).unwrap().unwrap();
        assert_eq!(h.header_len, 3);
        assert_eq!(h.remaining_len, 321);
        assert_eq!(h.packet_len(), 324);
    }
}
