//! DISCONNECT (spec 3.1.1 §3.14, 5.0 §3.14): empty in MQTT 3.x; in MQTT 5 a reason code and
//! properties, both of which may be left off when they say nothing.

use crate::error::DecodeError;
use crate::header::PacketType;
use crate::packet::pub_response::write_reason_and_properties;
use crate::property_codec::{self, PropertyView};
use crate::property_table::PropertyScope;
use crate::reader::Reader;
use crate::reason::ReasonCode;
use crate::sink::Sink;
use crate::types::{Disconnect, ProtocolVersion};

/// Reads a DISCONNECT body.
pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<Disconnect, DecodeError> {
    let mut disconnect = Disconnect::default();
    if !version.is_v5() || r.is_empty() {
        return Ok(disconnect);
    }
    disconnect.reason = ReasonCode(r.u8("reason code")?);
    if !disconnect.reason.allowed_in(PacketType::Disconnect) {
        return Err(DecodeError::InvalidReasonCode {
            packet: PacketType::Disconnect,
            code: disconnect.reason,
        });
    }
    if !r.is_empty() {
        disconnect.properties = property_codec::decode(r, PropertyScope::Disconnect)?;
    }
    Ok(disconnect)
}

/// Writes a DISCONNECT body in its shortest form.
pub(crate) fn write<S: Sink>(s: &mut S, d: &Disconnect, version: ProtocolVersion) {
    if version.is_v5() {
        let view = PropertyView::of(&d.properties);
        write_reason_and_properties(s, d.reason, &view, PropertyScope::Disconnect);
    }
}
