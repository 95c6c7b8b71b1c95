//! PUBACK, PUBREC, PUBREL and PUBCOMP (spec 5.0 §3.4–3.7): a packet identifier and, in MQTT 5, a
//! reason code and properties that may be left off.
//!
//! MQTT 5 lets the sender omit the reason code when it is Success and there are no properties, and
//! the property length when there are no properties (§3.4.2.1); the encoder always uses the
//! shortest form, the decoder accepts all three. MQTT 3.x carries the identifier only.

use crate::error::DecodeError;
use crate::header::PacketType;
use crate::property_codec::{self, PropertyView};
use crate::property_table::PropertyScope;
use crate::reader::Reader;
use crate::reason::ReasonCode;
use crate::sink::Sink;
use crate::types::{ProtocolVersion, PubResponse};

/// The property scope of one of the four acknowledgement types.
fn scope(packet: PacketType) -> PropertyScope {
    match packet {
        PacketType::PubRec => PropertyScope::PubRec,
        PacketType::PubRel => PropertyScope::PubRel,
        PacketType::PubComp => PropertyScope::PubComp,
        _ => PropertyScope::PubAck,
    }
}

/// Reads the body of a PUBACK, PUBREC, PUBREL or PUBCOMP (`packet` says which).
pub(crate) fn decode(
    r: &mut Reader,
    packet: PacketType,
    version: ProtocolVersion,
) -> Result<PubResponse, DecodeError> {
    let packet_id = r.packet_id()?;
    let mut response = PubResponse {
        packet_id,
        reason: ReasonCode::SUCCESS,
        properties: Default::default(),
    };
    if !version.is_v5() || r.is_empty() {
        return Ok(response);
    }
    response.reason = ReasonCode(r.u8("reason code")?);
    if !response.reason.allowed_in(packet) {
        return Err(DecodeError::InvalidReasonCode {
            packet,
            code: response.reason,
        });
    }
    if !r.is_empty() {
        response.properties = property_codec::decode(r, scope(packet))?;
    }
    Ok(response)
}

/// Writes the body of a PUBACK, PUBREC, PUBREL or PUBCOMP in its shortest form.
pub(crate) fn write<S: Sink>(
    s: &mut S,
    p: &PubResponse,
    packet: PacketType,
    version: ProtocolVersion,
) {
    s.put_u16(p.packet_id);
    if version.is_v5() {
        write_reason_and_properties(s, p.reason, &PropertyView::of(&p.properties), scope(packet));
    }
}

/// Writes an MQTT 5 reason code and property list, leaving off what the reader can assume: the
/// property length when no property would be written, and the reason too when it is 0x00.
///
/// Shared with DISCONNECT and AUTH, which end the same way.
pub(crate) fn write_reason_and_properties<S: Sink>(
    s: &mut S,
    reason: ReasonCode,
    view: &PropertyView<'_>,
    scope: PropertyScope,
) {
    // An empty list is its one length byte.
    let has_properties = property_codec::encoded_len(view, scope) > 1;
    if has_properties {
        s.put_u8(reason.0);
        property_codec::write(s, view, scope);
    } else if reason != ReasonCode::SUCCESS {
        s.put_u8(reason.0);
    }
}
