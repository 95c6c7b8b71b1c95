//! CONNACK (spec 3.1.1 §3.2, 5.0 §3.2) and the mapping between MQTT 5 reason codes and the MQTT 3.x
//! return codes.
//!
//! [`ConnAck::reason`] is always an MQTT 5 reason code: the 3.x encoder
//! turns it into a return code with [`connack_return_code`] and the 3.x decoder maps the return code
//! back, so the broker decides once, in MQTT 5 terms, whatever version the client speaks.

use crate::error::DecodeError;
use crate::header::PacketType;
use crate::property_codec::{self, PropertyView};
use crate::property_table::PropertyScope;
use crate::reader::Reader;
use crate::reason::ReasonCode;
use crate::sink::Sink;
use crate::types::{ConnAck, ProtocolVersion};

const SESSION_PRESENT: u8 = 0x01;

/// The MQTT 3.x CONNACK return code that stands for an MQTT 5 reason code.
///
/// 0x00 → 0 (accepted), 0x84 → 1 (unacceptable protocol version), 0x85 → 2 (identifier rejected),
/// 0x86 → 4 (bad user name or password), 0x87 and 0x8A → 5 (not authorized), anything else → 3
/// (server unavailable).
pub fn connack_return_code(reason: ReasonCode) -> u8 {
    match reason {
        ReasonCode::SUCCESS => 0,
        ReasonCode::UNSUPPORTED_PROTOCOL_VERSION => 1,
        ReasonCode::CLIENT_IDENTIFIER_NOT_VALID => 2,
        ReasonCode::BAD_USER_NAME_OR_PASSWORD => 4,
        ReasonCode::NOT_AUTHORIZED | ReasonCode::BANNED => 5,
        _ => 3,
    }
}

/// The MQTT 5 reason code for an MQTT 3.x CONNACK return code; `None` for the reserved 6..=255.
fn reason_for_return_code(code: u8) -> Option<ReasonCode> {
    Some(match code {
        0 => ReasonCode::SUCCESS,
        1 => ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
        2 => ReasonCode::CLIENT_IDENTIFIER_NOT_VALID,
        3 => ReasonCode::SERVER_UNAVAILABLE,
        4 => ReasonCode::BAD_USER_NAME_OR_PASSWORD,
        5 => ReasonCode::NOT_AUTHORIZED,
        _ => return None,
    })
}

/// Reads a CONNACK body.
pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<ConnAck, DecodeError> {
    let flags = r.u8("connect acknowledge flags")?;
    if flags & !SESSION_PRESENT != 0 {
        return Err(DecodeError::MalformedPacket(
            "CONNACK reserved flag bits are set",
        ));
    }
    let session_present = flags & SESSION_PRESENT != 0;
    let code = r.u8("connect reason code")?;
    let (reason, properties) = if version.is_v5() {
        let reason = ReasonCode(code);
        if !reason.allowed_in(PacketType::ConnAck) {
            return Err(DecodeError::InvalidReasonCode {
                packet: PacketType::ConnAck,
                code: reason,
            });
        }
        (reason, property_codec::decode(r, PropertyScope::ConnAck)?)
    } else {
        let reason = reason_for_return_code(code)
            .ok_or(DecodeError::ProtocolError("reserved CONNACK return code"))?;
        (reason, Default::default())
    };
    if session_present && reason != ReasonCode::SUCCESS {
        return Err(DecodeError::ProtocolError(
            "session present with a refused connection",
        ));
    }
    Ok(ConnAck {
        session_present,
        reason,
        properties,
    })
}

/// Writes a CONNACK body.
///
/// MQTT 3.1 reserved the flags byte; the bit is written as given, so a server leaves
/// `session_present` false for 3.1 clients.
pub(crate) fn write<S: Sink>(s: &mut S, c: &ConnAck, version: ProtocolVersion) {
    s.put_u8(if c.session_present {
        SESSION_PRESENT
    } else {
        0
    });
    if version.is_v5() {
        s.put_u8(c.reason.0);
        property_codec::write(s, &PropertyView::of(&c.properties), PropertyScope::ConnAck);
    } else {
        s.put_u8(connack_return_code(c.reason));
    }
}
