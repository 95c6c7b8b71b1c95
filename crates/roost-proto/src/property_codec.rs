//! Reading and writing an MQTT 5 property list (spec §2.2.2): a Variable Byte Integer length, then
//! identifier/value pairs.
//!
//! Decoding refuses unknown identifiers and identifiers outside the packet ([`PROPERTY_TABLE`]) as
//! malformed, repeats of a property that may appear once as a protocol error (only User Property,
//! and Subscription Identifier in PUBLISH, may repeat), and the values the specification forbids
//! (0 for Subscription Identifier, Receive Maximum, Maximum Packet Size and Topic Alias; anything
//! but 0 or 1 for the one-byte flags). Encoding writes, in identifier order, only the properties the
//! packet may carry; PUBLISH writes through [`PropertyView`] so per-subscriber fields replace the
//! publisher's without copying its properties.
//!
//! [`PROPERTY_TABLE`]: crate::PROPERTY_TABLE

use bytes::Bytes;

use crate::error::DecodeError;
use crate::properties::Properties;
use crate::property_table::{property_info, PropertyInfo, PropertyScope, PropertyType};
use crate::reader::Reader;
use crate::sink::{count, put_binary, put_str, put_varint, Sink};
use crate::topic::is_valid_topic_name;
use crate::varint;

const SUBSCRIPTION_IDENTIFIER: u8 = 0x0B;
const USER_PROPERTY: u8 = 0x26;

/// Reads a property list (its length first) for a packet or will of kind `scope`.
pub(crate) fn decode(r: &mut Reader, scope: PropertyScope) -> Result<Properties, DecodeError> {
    let len = r.varint("property length")? as usize;
    if len > r.remaining() {
        return Err(DecodeError::MalformedPacket(
            "property length overruns the packet",
        ));
    }
    let mut list = Reader::new(r.take(len, "properties")?);
    let mut props = Properties::default();
    let mut seen = 0u64;
    while !list.is_empty() {
        let raw = list.varint("property identifier")?;
        let info = u8::try_from(raw)
            .ok()
            .and_then(property_info)
            .ok_or(DecodeError::UnknownProperty(raw))?;
        if !info.allowed_in(scope) {
            return Err(DecodeError::PropertyNotAllowed {
                id: info.id,
                name: info.name,
                scope,
            });
        }
        let repeatable = info.id == USER_PROPERTY
            || (info.id == SUBSCRIPTION_IDENTIFIER && scope == PropertyScope::Publish);
        let bit = 1u64 << info.id;
        if seen & bit != 0 && !repeatable {
            return Err(DecodeError::DuplicateProperty {
                id: info.id,
                name: info.name,
            });
        }
        seen |= bit;
        let value = read_value(&mut list, info)?;
        assign(&mut props, info, value)?;
    }
    Ok(props)
}

/// A property value as read from the wire, before it is checked and stored.
enum Value {
    Byte(u8),
    U16(u16),
    U32(u32),
    Str(String),
    Pair(String, String),
    Bin(Bytes),
}

fn read_value(r: &mut Reader, info: &PropertyInfo) -> Result<Value, DecodeError> {
    let what = info.name;
    Ok(match info.data_type {
        PropertyType::Byte => Value::Byte(r.u8(what)?),
        PropertyType::TwoByteInteger => Value::U16(r.u16(what)?),
        PropertyType::FourByteInteger => Value::U32(r.u32(what)?),
        PropertyType::VariableByteInteger => Value::U32(r.varint(what)?),
        PropertyType::Utf8String => Value::Str(r.string(what)?),
        PropertyType::Utf8StringPair => Value::Pair(r.string(what)?, r.string(what)?),
        PropertyType::BinaryData => Value::Bin(r.binary(what)?),
    })
}

/// A one-byte property that may only be 0 or 1.
fn flag(value: u8, error: &'static str) -> Result<Option<u8>, DecodeError> {
    match value {
        0 | 1 => Ok(Some(value)),
        _ => Err(DecodeError::ProtocolError(error)),
    }
}

/// A numeric property that may not be 0.
fn non_zero<N: Default + PartialEq>(
    value: N,
    error: DecodeError,
) -> Result<Option<N>, DecodeError> {
    if value == N::default() {
        Err(error)
    } else {
        Ok(Some(value))
    }
}

fn assign(p: &mut Properties, info: &PropertyInfo, value: Value) -> Result<(), DecodeError> {
    use DecodeError::ProtocolError as Proto;
    match (info.id, value) {
        (0x01, Value::Byte(v)) => {
            p.payload_format_indicator = flag(v, "payload format indicator other than 0 or 1")?;
        }
        (0x02, Value::U32(v)) => p.message_expiry_interval = Some(v),
        (0x03, Value::Str(v)) => p.content_type = Some(v),
        (0x08, Value::Str(v)) => {
            if !is_valid_topic_name(&v) {
                return Err(DecodeError::InvalidTopicName(v));
            }
            p.response_topic = Some(v);
        }
        (0x09, Value::Bin(v)) => p.correlation_data = Some(v),
        (0x0B, Value::U32(v)) => {
            let id = non_zero(v, Proto("subscription identifier 0"))?;
            p.subscription_identifiers.extend(id);
        }
        (0x11, Value::U32(v)) => p.session_expiry_interval = Some(v),
        (0x12, Value::Str(v)) => p.assigned_client_identifier = Some(v),
        (0x13, Value::U16(v)) => p.server_keep_alive = Some(v),
        (0x15, Value::Str(v)) => p.authentication_method = Some(v),
        (0x16, Value::Bin(v)) => p.authentication_data = Some(v),
        (0x17, Value::Byte(v)) => {
            p.request_problem_information =
                flag(v, "request problem information other than 0 or 1")?;
        }
        (0x18, Value::U32(v)) => p.will_delay_interval = Some(v),
        (0x19, Value::Byte(v)) => {
            p.request_response_information =
                flag(v, "request response information other than 0 or 1")?;
        }
        (0x1A, Value::Str(v)) => p.response_information = Some(v),
        (0x1C, Value::Str(v)) => p.server_reference = Some(v),
        (0x1F, Value::Str(v)) => p.reason_string = Some(v),
        (0x21, Value::U16(v)) => p.receive_maximum = non_zero(v, Proto("receive maximum 0"))?,
        (0x22, Value::U16(v)) => p.topic_alias_maximum = Some(v),
        (0x23, Value::U16(v)) => p.topic_alias = non_zero(v, DecodeError::InvalidTopicAlias)?,
        (0x24, Value::Byte(v)) => p.maximum_qos = flag(v, "maximum QoS other than 0 or 1")?,
        (0x25, Value::Byte(v)) => {
            p.retain_available = flag(v, "retain available other than 0 or 1")?
        }
        (0x26, Value::Pair(k, v)) => p.user_properties.push((k, v)),
        (0x27, Value::U32(v)) => {
            p.maximum_packet_size = non_zero(v, Proto("maximum packet size 0"))?;
        }
        (0x28, Value::Byte(v)) => {
            p.wildcard_subscription_available =
                flag(v, "wildcard subscription available other than 0 or 1")?;
        }
        (0x29, Value::Byte(v)) => {
            p.subscription_identifier_available =
                flag(v, "subscription identifier available other than 0 or 1")?;
        }
        (0x2A, Value::Byte(v)) => {
            p.shared_subscription_available =
                flag(v, "shared subscription available other than 0 or 1")?;
        }
        _ => {
            return Err(DecodeError::MalformedPacket(
                "property table and decoder disagree",
            ))
        }
    }
    Ok(())
}

/// A packet's properties as the encoder sees them: the stored set, with the three fields a broker
/// sets per subscriber taken from elsewhere.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PropertyView<'a> {
    /// Every other property.
    pub(crate) base: &'a Properties,
    /// Written instead of `base.message_expiry_interval`.
    pub(crate) message_expiry_interval: Option<u32>,
    /// Written instead of `base.topic_alias`.
    pub(crate) topic_alias: Option<u16>,
    /// Written instead of `base.subscription_identifiers`.
    pub(crate) subscription_identifiers: &'a [u32],
}

impl<'a> PropertyView<'a> {
    /// The stored properties, unchanged.
    pub(crate) fn of(base: &'a Properties) -> PropertyView<'a> {
        PropertyView {
            base,
            message_expiry_interval: base.message_expiry_interval,
            topic_alias: base.topic_alias,
            subscription_identifiers: &base.subscription_identifiers,
        }
    }
}

/// Writes the property list (its length first) of a packet or will of kind `scope`.
pub(crate) fn write<S: Sink>(s: &mut S, view: &PropertyView<'_>, scope: PropertyScope) {
    let len = count(|c| write_list(c, view, scope));
    varint::write(s, len as u32);
    write_list(s, view, scope);
}

/// The number of bytes [`write`] writes.
pub(crate) fn encoded_len(view: &PropertyView<'_>, scope: PropertyScope) -> usize {
    let len = count(|c| write_list(c, view, scope));
    varint::len(len as u32) + len
}

/// Writes one property at a time, skipping those the scope may not carry.
struct ListWriter<'s, S> {
    s: &'s mut S,
    scope: PropertyScope,
}

impl<S: Sink> ListWriter<'_, S> {
    fn start(&mut self, id: u8) -> bool {
        let allowed = property_info(id).is_some_and(|info| info.allowed_in(self.scope));
        if allowed {
            self.s.put_u8(id);
        }
        allowed
    }

    fn byte(&mut self, id: u8, value: Option<u8>) {
        if let Some(v) = value {
            if self.start(id) {
                self.s.put_u8(v);
            }
        }
    }

    fn u16(&mut self, id: u8, value: Option<u16>) {
        if let Some(v) = value {
            if self.start(id) {
                self.s.put_u16(v);
            }
        }
    }

    fn u32(&mut self, id: u8, value: Option<u32>) {
        if let Some(v) = value {
            if self.start(id) {
                self.s.put_u32(v);
            }
        }
    }

    fn varint(&mut self, id: u8, value: u32) {
        if self.start(id) {
            put_varint(self.s, value);
        }
    }

    fn str(&mut self, id: u8, value: Option<&str>) {
        if let Some(v) = value {
            if self.start(id) {
                put_str(self.s, v);
            }
        }
    }

    fn bin(&mut self, id: u8, value: Option<&[u8]>) {
        if let Some(v) = value {
            if self.start(id) {
                put_binary(self.s, v);
            }
        }
    }
}

fn write_list<S: Sink>(s: &mut S, view: &PropertyView<'_>, scope: PropertyScope) {
    let p = view.base;
    let mut w = ListWriter { s, scope };
    w.byte(0x01, p.payload_format_indicator);
    w.u32(0x02, view.message_expiry_interval);
    w.str(0x03, p.content_type.as_deref());
    w.str(0x08, p.response_topic.as_deref());
    w.bin(0x09, p.correlation_data.as_deref());
    // Only PUBLISH may carry several subscription identifiers; SUBSCRIBE carries one.
    let sub_ids = match scope {
        PropertyScope::Publish => view.subscription_identifiers,
        _ => view.subscription_identifiers.get(..1).unwrap_or_default(),
    };
    for &id in sub_ids {
        w.varint(0x0B, id);
    }
    w.u32(0x11, p.session_expiry_interval);
    w.str(0x12, p.assigned_client_identifier.as_deref());
    w.u16(0x13, p.server_keep_alive);
    w.str(0x15, p.authentication_method.as_deref());
    w.bin(0x16, p.authentication_data.as_deref());
    w.byte(0x17, p.request_problem_information);
    w.u32(0x18, p.will_delay_interval);
    w.byte(0x19, p.request_response_information);
    w.str(0x1A, p.response_information.as_deref());
    w.str(0x1C, p.server_reference.as_deref());
    w.str(0x1F, p.reason_string.as_deref());
    w.u16(0x21, p.receive_maximum);
    w.u16(0x22, p.topic_alias_maximum);
    w.u16(0x23, view.topic_alias);
    w.byte(0x24, p.maximum_qos);
    w.byte(0x25, p.retain_available);
    for (name, value) in &p.user_properties {
        if w.start(USER_PROPERTY) {
            put_str(w.s, name);
            put_str(w.s, value);
        }
    }
    w.u32(0x27, p.maximum_packet_size);
    w.byte(0x28, p.wildcard_subscription_available);
    w.byte(0x29, p.subscription_identifier_available);
    w.byte(0x2A, p.shared_subscription_available);
}
