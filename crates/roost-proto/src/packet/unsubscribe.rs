//! UNSUBSCRIBE (spec 3.1.1 §3.10, 5.0 §3.10): a packet identifier, properties (MQTT 5) and one or
//! more topic filters.

use crate::error::DecodeError;
use crate::property_codec::{self, PropertyView};
use crate::property_table::PropertyScope;
use crate::reader::Reader;
use crate::sink::{put_str, Sink};
use crate::topic::is_valid_topic_filter;
use crate::types::{ProtocolVersion, Unsubscribe};

/// Reads an UNSUBSCRIBE body.
pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<Unsubscribe, DecodeError> {
    let packet_id = r.packet_id()?;
    let properties = if version.is_v5() {
        property_codec::decode(r, PropertyScope::Unsubscribe)?
    } else {
        Default::default()
    };
    let mut filters = Vec::new();
    while !r.is_empty() {
        let filter = r.string("topic filter")?;
        if !is_valid_topic_filter(&filter) {
            return Err(DecodeError::InvalidTopicFilter(filter));
        }
        filters.push(filter);
    }
    if filters.is_empty() {
        return Err(DecodeError::ProtocolError(
            "UNSUBSCRIBE without a topic filter",
        ));
    }
    Ok(Unsubscribe {
        packet_id,
        filters,
        properties,
    })
}

/// Writes an UNSUBSCRIBE body.
pub(crate) fn write<S: Sink>(s: &mut S, p: &Unsubscribe, version: ProtocolVersion) {
    s.put_u16(p.packet_id);
    if version.is_v5() {
        property_codec::write(
            s,
            &PropertyView::of(&p.properties),
            PropertyScope::Unsubscribe,
        );
    }
    for filter in &p.filters {
        put_str(s, filter);
    }
}
