//! Why a packet could not be decoded.
//!
//! Every [`DecodeError`] carries what was wrong with the input and maps to the MQTT 5 reason code a
//! server or client sends before closing the connection ([`DecodeError::reason_code`]). "Not enough
//! bytes yet" is not an error: [`crate::decode`] returns `Ok(None)` for it.

use thiserror::Error;

use crate::header::PacketType;
use crate::property_table::PropertyScope;
use crate::reason::ReasonCode;

/// A packet that breaks the MQTT specification, with what broke it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The bytes cannot be parsed as the packet they claim to be.
    #[error("malformed packet: {0}")]
    MalformedPacket(&'static str),
    /// The packet ends before the field it is reading.
    #[error("malformed packet: it ends inside its {0}")]
    Truncated(&'static str),
    /// The packet declares more content than it carries, or carries bytes after its content.
    #[error("malformed packet: {extra} byte(s) after the end of its content")]
    TrailingBytes {
        /// How many bytes were left over.
        extra: usize,
    },
    /// The first byte names packet type 0, or AUTH before MQTT 5.
    #[error("malformed packet: packet type {0} is reserved")]
    ReservedPacketType(u8),
    /// The flag bits of the fixed header are not the ones the packet type requires.
    #[error("malformed packet: {packet:?} with fixed header flags {flags:#06b}")]
    InvalidHeaderFlags {
        /// The packet type.
        packet: PacketType,
        /// The low four bits of the first byte.
        flags: u8,
    },
    /// A property identifier that MQTT 5 does not define.
    #[error("malformed packet: unknown property identifier {0:#04x}")]
    UnknownProperty(u32),
    /// A property the specification does not allow in this packet.
    #[error("malformed packet: property {name} ({id:#04x}) is not allowed in {scope:?}")]
    PropertyNotAllowed {
        /// The property identifier.
        id: u8,
        /// Its name in the specification.
        name: &'static str,
        /// Where it appeared.
        scope: PropertyScope,
    },
    /// The packet is well formed but the protocol forbids what it says.
    #[error("protocol error: {0}")]
    ProtocolError(&'static str),
    /// A property that may appear once appeared again.
    #[error("protocol error: property {name} ({id:#04x}) appears more than once")]
    DuplicateProperty {
        /// The property identifier.
        id: u8,
        /// Its name in the specification.
        name: &'static str,
    },
    /// A reason code the packet may not carry.
    #[error("protocol error: reason code {code} is not allowed in {packet:?}")]
    InvalidReasonCode {
        /// The packet type.
        packet: PacketType,
        /// The code received.
        code: ReasonCode,
    },
    /// The whole packet (fixed header included) is larger than the limit.
    #[error("packet of {size} bytes exceeds the maximum packet size of {max}")]
    PacketTooLarge {
        /// Size of the whole packet in bytes.
        size: usize,
        /// The limit in force.
        max: u32,
    },
    /// CONNECT names a protocol this crate does not speak.
    #[error("unsupported protocol {name:?} level {level}")]
    UnsupportedProtocolVersion {
        /// The protocol name of CONNECT.
        name: String,
        /// The protocol level of CONNECT.
        level: u8,
    },
    /// A topic name that is empty, holds a wildcard or U+0000.
    #[error("invalid topic name {0:?}")]
    InvalidTopicName(String),
    /// A topic filter with a misplaced wildcard, an empty share group, or empty.
    #[error("invalid topic filter {0:?}")]
    InvalidTopicFilter(String),
    /// A Topic Alias property of 0.
    #[error("topic alias 0 is not allowed")]
    InvalidTopicAlias,
}

impl DecodeError {
    /// The MQTT 5 reason code to report this error with (CONNACK or DISCONNECT).
    pub fn reason_code(&self) -> ReasonCode {
        match self {
            DecodeError::MalformedPacket(_)
            | DecodeError::Truncated(_)
            | DecodeError::TrailingBytes { .. }
            | DecodeError::ReservedPacketType(_)
            | DecodeError::InvalidHeaderFlags { .. }
            | DecodeError::UnknownProperty(_)
            | DecodeError::PropertyNotAllowed { .. } => ReasonCode::MALFORMED_PACKET,
            DecodeError::ProtocolError(_)
            | DecodeError::DuplicateProperty { .. }
            | DecodeError::InvalidReasonCode { .. } => ReasonCode::PROTOCOL_ERROR,
            DecodeError::PacketTooLarge { .. } => ReasonCode::PACKET_TOO_LARGE,
            DecodeError::UnsupportedProtocolVersion { .. } => {
                ReasonCode::UNSUPPORTED_PROTOCOL_VERSION
            }
            DecodeError::InvalidTopicName(_) => ReasonCode::TOPIC_NAME_INVALID,
            DecodeError::InvalidTopicFilter(_) => ReasonCode::TOPIC_FILTER_INVALID,
            DecodeError::InvalidTopicAlias => ReasonCode::TOPIC_ALIAS_INVALID,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_maps_to_its_wire_reason_code() {
        let cases = [
            (DecodeError::MalformedPacket("x"), 0x81),
            (DecodeError::Truncated("x"), 0x81),
            (DecodeError::TrailingBytes { extra: 1 }, 0x81),
            (DecodeError::ReservedPacketType(0), 0x81),
            (DecodeError::UnknownProperty(0x7F), 0x81),
            (DecodeError::ProtocolError("x"), 0x82),
            (DecodeError::DuplicateProperty { id: 1, name: "x" }, 0x82),
            (DecodeError::PacketTooLarge { size: 2, max: 1 }, 0x95),
            (
                DecodeError::UnsupportedProtocolVersion {
                    name: "MQTT".into(),
                    level: 9,
                },
                0x84,
            ),
            (DecodeError::InvalidTopicName("#".into()), 0x90),
            (DecodeError::InvalidTopicFilter("a#".into()), 0x8F),
            (DecodeError::InvalidTopicAlias, 0x94),
        ];
        for (error, code) in cases {
            assert_eq!(error.reason_code(), ReasonCode(code), "{error}");
        }
    }

    #[test]
    fn messages_carry_their_input() {
        let e = DecodeError::PacketTooLarge {
            size: 2048,
            max: 1024,
        };
        assert_eq!(
            e.to_string(),
            "packet of 2048 bytes exceeds the maximum packet size of 1024"
        );
        let e = DecodeError::UnsupportedProtocolVersion {
            name: "MQTT".into(),
            level: 9,
        };
        assert_eq!(e.to_string(), "unsupported protocol \"MQTT\" level 9");
    }
}
