//! AUTH (spec 5.0 §3.15): MQTT 5 only; a reason code and properties, both of which may be left off
//! when the reason is Success and there are no properties.
//!
//! Before MQTT 5 packet type 15 is reserved: the decoder refuses it and the encoder writes nothing.

use crate::error::DecodeError;
use crate::header::PacketType;
use crate::packet::pub_response::write_reason_and_properties;
use crate::property_codec::{self, PropertyView};
use crate::property_table::PropertyScope;
use crate::reader::Reader;
use crate::reason::ReasonCode;
use crate::sink::Sink;
use crate::types::Auth;

/// Reads an AUTH body (MQTT 5).
pub(crate) fn decode(r: &mut Reader) -> Result<Auth, DecodeError> {
    let mut auth = Auth::default();
    if r.is_empty() {
        return Ok(auth);
    }
    auth.reason = ReasonCode(r.u8("reason code")?);
    if !auth.reason.allowed_in(PacketType::Auth) {
        return Err(DecodeError::InvalidReasonCode {
            packet: PacketType::Auth,
            code: auth.reason,
        });
    }
    if !r.is_empty() {
        auth.properties = property_codec::decode(r, PropertyScope::Auth)?;
    }
    Ok(auth)
}

/// Writes an AUTH body (MQTT 5) in its shortest form.
pub(crate) fn write<S: Sink>(s: &mut S, a: &Auth) {
    let view = PropertyView::of(&a.properties);
    write_reason_and_properties(s, a.reason, &view, PropertyScope::Auth);
}
