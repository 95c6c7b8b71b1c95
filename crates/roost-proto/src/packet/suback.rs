//! SUBACK (spec 3.1.1 §3.9, 5.0 §3.9): a packet identifier, properties (MQTT 5) and one reason per
//! filter of the SUBSCRIBE.
//!
//! MQTT 3.x knows only granted QoS 0, 1, 2 and failure 0x80: the encoder writes any failure as 0x80,
//! the decoder refuses the other values [MQTT-3.9.3-2].

use crate::error::DecodeError;
use crate::header::PacketType;
use crate::property_codec::{self, PropertyView};
use crate::property_table::PropertyScope;
use crate::reader::Reader;
use crate::reason::ReasonCode;
use crate::sink::Sink;
use crate::types::{ProtocolVersion, SubAck};

/// Reads a SUBACK body.
pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<SubAck, DecodeError> {
    let packet_id = r.packet_id()?;
    let properties = if version.is_v5() {
        property_codec::decode(r, PropertyScope::SubAck)?
    } else {
        Default::default()
    };
    let mut reasons = Vec::with_capacity(r.remaining());
    while !r.is_empty() {
        let code = ReasonCode(r.u8("reason code")?);
        let allowed = if version.is_v5() {
            code.allowed_in(PacketType::SubAck)
        } else {
            matches!(code.0, 0x00 | 0x01 | 0x02 | 0x80)
        };
        if !allowed {
            return Err(DecodeError::InvalidReasonCode {
                packet: PacketType::SubAck,
                code,
            });
        }
        reasons.push(code);
    }
    if reasons.is_empty() {
        return Err(DecodeError::ProtocolError("SUBACK without a reason code"));
    }
    Ok(SubAck {
        packet_id,
        reasons,
        properties,
    })
}

/// The MQTT 3.x SUBACK return code for a reason: granted QoS as is, any other code 0x80.
fn return_code(reason: ReasonCode) -> u8 {
    match reason.0 {
        code @ 0x00..=0x02 => code,
        _ => 0x80,
    }
}

/// Writes a SUBACK body.
pub(crate) fn write<S: Sink>(s: &mut S, p: &SubAck, version: ProtocolVersion) {
    s.put_u16(p.packet_id);
    if version.is_v5() {
        property_codec::write(s, &PropertyView::of(&p.properties), PropertyScope::SubAck);
        for reason in &p.reasons {
            s.put_u8(reason.0);
        }
    } else {
        for reason in &p.reasons {
            s.put_u8(return_code(*reason));
        }
    }
}
