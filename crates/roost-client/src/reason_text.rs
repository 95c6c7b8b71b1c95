//! Reason codes as people read them, in Mosquitto's words.
//!
//! [`reason_name`] is libmosquitto's `mosquitto_reason_string` (the MQTT 5 names) and
//! [`connack_text`] its `mosquitto_connack_string` (the MQTT 3.x CONNACK sentences), so the CLI
//! prints exactly what `mosquitto_pub` and `mosquitto_sub` print.

use roost_proto::{ProtocolVersion, ReasonCode};

/// The MQTT 5 name of a reason code, as `mosquitto_reason_string` spells it.
pub fn reason_name(code: ReasonCode) -> &'static str {
    match code.0 {
        0x00 => "Success",
        0x01 => "Granted QoS 1",
        0x02 => "Granted QoS 2",
        0x04 => "Disconnect with Will Message",
        0x10 => "No matching subscribers",
        0x11 => "No subscription existed",
        0x18 => "Continue authentication",
        0x19 => "Re-authenticate",
        0x80 => "Unspecified error",
        0x81 => "Malformed Packet",
        0x82 => "Protocol Error",
        0x83 => "Implementation specific error",
        0x84 => "Unsupported Protocol Version",
        0x85 => "Client Identifier not valid",
        0x86 => "Bad User Name or Password",
        0x87 => "Not authorized",
        0x88 => "Server unavailable",
        0x89 => "Server busy",
        0x8A => "Banned",
        0x8B => "Server shutting down",
        0x8C => "Bad authentication method",
        0x8D => "Keep Alive timeout",
        0x8E => "Session taken over",
        0x8F => "Topic Filter invalid",
        0x90 => "Topic Name invalid",
        0x91 => "Packet Identifier in use",
        0x92 => "Packet Identifier not found",
        0x93 => "Receive Maximum exceeded",
        0x94 => "Topic Alias invalid",
        0x95 => "Packet too large",
        0x96 => "Message rate too high",
        0x97 => "Quota exceeded",
        0x98 => "Administrative action",
        0x99 => "Payload format invalid",
        0x9A => "Retain not supported",
        0x9B => "QoS not supported",
        0x9C => "Use another server",
        0x9D => "Server moved",
        0x9E => "Shared Subscriptions not supported",
        0x9F => "Connection rate exceeded",
        0xA0 => "Maximum connect time",
        0xA1 => "Subscription identifiers not supported",
        0xA2 => "Wildcard Subscriptions not supported",
        _ => "Unknown reason",
    }
}

/// The MQTT 3.x CONNACK sentence for a refusal that 3.x can express, `None` for any other code.
///
/// `roost-proto` maps 3.x return codes 1..=5 to the reason codes 0x84, 0x85, 0x88, 0x86 and 0x87.
pub fn v3_connack_text(code: ReasonCode) -> Option<&'static str> {
    Some(match code {
        ReasonCode::SUCCESS => "Connection Accepted.",
        ReasonCode::UNSUPPORTED_PROTOCOL_VERSION => {
            "Connection Refused: unacceptable protocol version."
        }
        ReasonCode::CLIENT_IDENTIFIER_NOT_VALID => "Connection Refused: identifier rejected.",
        ReasonCode::SERVER_UNAVAILABLE => "Connection Refused: broker unavailable.",
        ReasonCode::BAD_USER_NAME_OR_PASSWORD => "Connection Refused: bad user name or password.",
        ReasonCode::NOT_AUTHORIZED => "Connection Refused: not authorised.",
        _ => return None,
    })
}

/// What Mosquitto's clients print after `Connection error: ` for a CONNACK `code` received on a
/// `protocol` connection: the 3.x sentence before MQTT 5, the reason name in MQTT 5.
pub fn connack_text(code: ReasonCode, protocol: ProtocolVersion) -> &'static str {
    if protocol.is_v5() {
        reason_name(code)
    } else {
        v3_connack_text(code).unwrap_or("Connection Refused: unknown reason.")
    }
}

/// The MQTT 3.x CONNACK return code Mosquitto's clients exit with, or the MQTT 5 reason code.
pub fn connack_exit_code(code: ReasonCode, protocol: ProtocolVersion) -> u8 {
    if protocol.is_v5() {
        code.0
    } else {
        roost_proto::connack_return_code(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_refusals_read_like_mosquitto() {
        let v3 = ProtocolVersion::V3_1_1;
        assert_eq!(
            connack_text(ReasonCode::NOT_AUTHORIZED, v3),
            "Connection Refused: not authorised."
        );
        assert_eq!(
            connack_text(ReasonCode::BAD_USER_NAME_OR_PASSWORD, v3),
            "Connection Refused: bad user name or password."
        );
        assert_eq!(connack_exit_code(ReasonCode::NOT_AUTHORIZED, v3), 5);
        assert_eq!(connack_exit_code(ReasonCode::SERVER_UNAVAILABLE, v3), 3);
    }

    #[test]
    fn v5_refusals_use_the_reason_name() {
        let v5 = ProtocolVersion::V5;
        assert_eq!(
            connack_text(ReasonCode::NOT_AUTHORIZED, v5),
            "Not authorized"
        );
        assert_eq!(connack_exit_code(ReasonCode::NOT_AUTHORIZED, v5), 135);
        assert_eq!(reason_name(ReasonCode(0x03)), "Unknown reason");
    }
}
