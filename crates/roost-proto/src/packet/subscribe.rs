//! SUBSCRIBE (spec 3.1.1 §3.8, 5.0 §3.8): a packet identifier, properties (MQTT 5), and one or more
//! topic filters each with an options byte.
//!
//! MQTT 3.x uses only the QoS bits of the options byte; MQTT 5 adds No Local, Retain As Published
//! and Retain Handling and keeps bits 6–7 reserved.

use crate::error::DecodeError;
use crate::property_codec::{self, PropertyView};
use crate::property_table::PropertyScope;
use crate::reader::Reader;
use crate::sink::{put_str, Sink};
use crate::topic::{is_valid_topic_filter, split_shared};
use crate::types::{
    ProtocolVersion, QoS, RetainHandling, Subscribe, SubscribeFilter, SubscriptionOptions,
};

const NO_LOCAL: u8 = 0x04;
const RETAIN_AS_PUBLISHED: u8 = 0x08;
const RETAIN_HANDLING_SHIFT: u8 = 4;

impl SubscriptionOptions {
    /// The options byte for `version` (MQTT 3.x: the QoS alone).
    pub fn to_byte(self, version: ProtocolVersion) -> u8 {
        let mut byte = self.qos as u8;
        if version.is_v5() {
            if self.no_local {
                byte |= NO_LOCAL;
            }
            if self.retain_as_published {
                byte |= RETAIN_AS_PUBLISHED;
            }
            byte |= (self.retain_handling as u8) << RETAIN_HANDLING_SHIFT;
        }
        byte
    }

    /// Parses an options byte, refusing QoS 3, reserved bits and Retain Handling 3.
    pub fn from_byte(
        byte: u8,
        version: ProtocolVersion,
    ) -> Result<SubscriptionOptions, DecodeError> {
        let reserved = if version.is_v5() { 0xC0 } else { 0xFC };
        if byte & reserved != 0 {
            return Err(DecodeError::MalformedPacket(
                "subscription options reserved bits are set",
            ));
        }
        let qos = QoS::from_u8(byte & 0x03)
            .ok_or(DecodeError::MalformedPacket("subscription with QoS 3"))?;
        let retain_handling = match (byte >> RETAIN_HANDLING_SHIFT) & 0x03 {
            0 => RetainHandling::SendAtSubscribe,
            1 => RetainHandling::SendAtNewSubscribe,
            2 => RetainHandling::DoNotSend,
            _ => return Err(DecodeError::ProtocolError("retain handling 3")),
        };
        Ok(SubscriptionOptions {
            qos,
            no_local: byte & NO_LOCAL != 0,
            retain_as_published: byte & RETAIN_AS_PUBLISHED != 0,
            retain_handling,
        })
    }
}

/// Reads a SUBSCRIBE body.
pub(crate) fn decode(r: &mut Reader, version: ProtocolVersion) -> Result<Subscribe, DecodeError> {
    let packet_id = r.packet_id()?;
    let properties = if version.is_v5() {
        property_codec::decode(r, PropertyScope::Subscribe)?
    } else {
        Default::default()
    };
    let mut filters = Vec::new();
    while !r.is_empty() {
        let filter = r.string("topic filter")?;
        let options = SubscriptionOptions::from_byte(r.u8("subscription options")?, version)?;
        if !is_valid_topic_filter(&filter) {
            return Err(DecodeError::InvalidTopicFilter(filter));
        }
        if options.no_local && split_shared(&filter).is_some() {
            return Err(DecodeError::ProtocolError(
                "no local on a shared subscription",
            ));
        }
        filters.push(SubscribeFilter { filter, options });
    }
    if filters.is_empty() {
        return Err(DecodeError::ProtocolError(
            "SUBSCRIBE without a topic filter",
        ));
    }
    Ok(Subscribe {
        packet_id,
        filters,
        properties,
    })
}

/// Writes a SUBSCRIBE body.
pub(crate) fn write<S: Sink>(s: &mut S, p: &Subscribe, version: ProtocolVersion) {
    s.put_u16(p.packet_id);
    if version.is_v5() {
        property_codec::write(
            s,
            &PropertyView::of(&p.properties),
            PropertyScope::Subscribe,
        );
    }
    for f in &p.filters {
        put_str(s, &f.filter);
        s.put_u8(f.options.to_byte(version));
    }
}
