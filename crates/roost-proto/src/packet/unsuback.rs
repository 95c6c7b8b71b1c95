//! UNSUBACK (spec 3.1.1 §3.11, 5.0 §3.11): a packet identifier; in MQTT 5 also properties and one
//! reason per filter of the UNSUBSCRIBE. MQTT 3.x carries no reasons, so they are neither read nor
//! written there.

use crate::error::DecodeError;
use crate::header::PacketType;
use crate::property_codec::{self, PropertyView};
use crate::property_table::PropertyScope;
use crate::reader::Reader;
use crate::reason::ReasonCode;
use crate::sink::Sink;
use crate::types::{ProtocolVersion, UnsubAck};

/// Reads an UNSUBACK body.
pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<UnsubAck, DecodeError> {
    let packet_id = r.packet_id()?;
    let mut unsuback = UnsubAck {
        packet_id,
        reasons: Vec::new(),
        properties: Default::default(),
    };
    if !version.is_v5() {
        return Ok(unsuback);
    }
    unsuback.properties = property_codec::decode(r, PropertyScope::UnsubAck)?;
    unsuback.reasons.reserve(r.remaining());
    while !r.is_empty() {
        let code = ReasonCode(r.u8("reason code")?);
        if !code.allowed_in(PacketType::UnsubAck) {
            return Err(DecodeError::InvalidReasonCode {
                packet: PacketType::UnsubAck,
                code,
            });
        }
        unsuback.reasons.push(code);
    }
    if unsuback.reasons.is_empty() {
        return Err(DecodeError::ProtocolError("UNSUBACK without a reason code"));
    }
    Ok(unsuback)
}

/// Writes an UNSUBACK body.
pub(crate) fn write<S: Sink>(s: &mut S, p: &UnsubAck, version: ProtocolVersion) {
    s.put_u16(p.packet_id);
    if version.is_v5() {
        property_codec::write(s, &PropertyView::of(&p.properties), PropertyScope::UnsubAck);
        for reason in &p.reasons {
            s.put_u8(reason.0);
        }
    }
}
