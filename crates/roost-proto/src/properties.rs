//! The MQTT 5 property set (spec §2.2.2.2): one optional field per property.
//!
//! Every packet carries the same [`Properties`] type; which identifiers a packet may hold is the
//! table [`PROPERTY_TABLE`], consulted by the decoder (a property in the wrong packet is a
//! malformed packet) and by the encoder (only the allowed ones are written).
//!
//! The fields are [`PropertyValues`], several hundred bytes; [`Properties`] holds them boxed,
//! and only once one is set. Most packets carry no property (none at all before MQTT 5), so a
//! packet is small to move, and decoding one allocates nothing for properties it does not have.
//! A [`Properties`] reads and writes as its values: reading one that holds none reads empty
//! values, and writing a field makes them.

use bytes::Bytes;

/// A packet's MQTT 5 properties: [`PropertyValues`], made on the first write.
#[derive(Clone, Default)]
pub struct Properties(Option<Box<PropertyValues>>);

/// All MQTT 5 properties. `None` / empty means absent.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PropertyValues {
    /// 0x01 Payload Format Indicator (byte, 0 or 1).
    pub payload_format_indicator: Option<u8>,
    /// 0x02 Message Expiry Interval (seconds).
    pub message_expiry_interval: Option<u32>,
    /// 0x03 Content Type.
    pub content_type: Option<String>,
    /// 0x08 Response Topic (a topic name).
    pub response_topic: Option<String>,
    /// 0x09 Correlation Data.
    pub correlation_data: Option<Bytes>,
    /// 0x0B Subscription Identifier (1..=268,435,455); several may stand in one PUBLISH.
    pub subscription_identifiers: Vec<u32>,
    /// 0x11 Session Expiry Interval (seconds).
    pub session_expiry_interval: Option<u32>,
    /// 0x12 Assigned Client Identifier.
    pub assigned_client_identifier: Option<String>,
    /// 0x13 Server Keep Alive (seconds).
    pub server_keep_alive: Option<u16>,
    /// 0x15 Authentication Method.
    pub authentication_method: Option<String>,
    /// 0x16 Authentication Data.
    pub authentication_data: Option<Bytes>,
    /// 0x17 Request Problem Information (0 or 1).
    pub request_problem_information: Option<u8>,
    /// 0x18 Will Delay Interval (seconds).
    pub will_delay_interval: Option<u32>,
    /// 0x19 Request Response Information (0 or 1).
    pub request_response_information: Option<u8>,
    /// 0x1A Response Information.
    pub response_information: Option<String>,
    /// 0x1C Server Reference.
    pub server_reference: Option<String>,
    /// 0x1F Reason String.
    pub reason_string: Option<String>,
    /// 0x21 Receive Maximum (non-zero).
    pub receive_maximum: Option<u16>,
    /// 0x22 Topic Alias Maximum.
    pub topic_alias_maximum: Option<u16>,
    /// 0x23 Topic Alias (non-zero).
    pub topic_alias: Option<u16>,
    /// 0x24 Maximum QoS (0 or 1).
    pub maximum_qos: Option<u8>,
    /// 0x25 Retain Available (0 or 1).
    pub retain_available: Option<u8>,
    /// 0x26 User Property: name/value pairs, order kept, repeats allowed.
    pub user_properties: Vec<(String, String)>,
    /// 0x27 Maximum Packet Size (non-zero).
    pub maximum_packet_size: Option<u32>,
    /// 0x28 Wildcard Subscription Available (0 or 1).
    pub wildcard_subscription_available: Option<u8>,
    /// 0x29 Subscription Identifier Available (0 or 1).
    pub subscription_identifier_available: Option<u8>,
    /// 0x2A Shared Subscription Available (0 or 1).
    pub shared_subscription_available: Option<u8>,
}

impl PropertyValues {
    /// No property set (what a [`Properties`] without values reads as).
    pub const NONE: PropertyValues = PropertyValues {
        payload_format_indicator: None,
        message_expiry_interval: None,
        content_type: None,
        response_topic: None,
        correlation_data: None,
        subscription_identifiers: Vec::new(),
        session_expiry_interval: None,
        assigned_client_identifier: None,
        server_keep_alive: None,
        authentication_method: None,
        authentication_data: None,
        request_problem_information: None,
        will_delay_interval: None,
        request_response_information: None,
        response_information: None,
        server_reference: None,
        reason_string: None,
        receive_maximum: None,
        topic_alias_maximum: None,
        topic_alias: None,
        maximum_qos: None,
        retain_available: None,
        user_properties: Vec::new(),
        maximum_packet_size: None,
        wildcard_subscription_available: None,
        subscription_identifier_available: None,
        shared_subscription_available: None,
    };
}

/// What every [`Properties`] without values reads.
static NO_VALUES: PropertyValues = PropertyValues::NONE;

impl Properties {
    /// True when no property is set.
    pub fn is_empty(&self) -> bool {
        self.0.as_deref().is_none_or(|v| *v == PropertyValues::NONE)
    }

    /// The values to change, when there are any. A write through the `Properties` itself makes
    /// them (344 bytes) even to clear a field; a path taken by every message clears through
    /// this instead.
    pub fn values_mut(&mut self) -> Option<&mut PropertyValues> {
        self.0.as_deref_mut()
    }
}

impl std::ops::Deref for Properties {
    type Target = PropertyValues;

    fn deref(&self) -> &PropertyValues {
        self.0.as_deref().unwrap_or(&NO_VALUES)
    }
}

impl std::ops::DerefMut for Properties {
    fn deref_mut(&mut self) -> &mut PropertyValues {
        self.0.get_or_insert_with(Box::default)
    }
}

impl From<PropertyValues> for Properties {
    fn from(values: PropertyValues) -> Properties {
        if values == PropertyValues::NONE {
            Properties(None)
        } else {
            Properties(Some(Box::new(values)))
        }
    }
}

/// Equal when they hold the same properties, made or not.
impl PartialEq for Properties {
    fn eq(&self, other: &Properties) -> bool {
        **self == **other
    }
}

impl Eq for Properties {}

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_made_on_the_first_write_and_compare_by_value() {
        let mut props = Properties::default();
        assert!(props.is_empty());
        assert_eq!(props.topic_alias, None);
        assert!(props.0.is_none(), "reading makes nothing");
        props.topic_alias = Some(4);
        assert_eq!(props.topic_alias, Some(4));
        assert!(!props.is_empty());
        props.topic_alias = None;
        assert!(props.is_empty(), "made but empty is empty");
        assert_eq!(props, Properties::default());
        let from = Properties::from(PropertyValues {
            receive_maximum: Some(7),
            ..PropertyValues::NONE
        });
        assert_eq!(from.receive_maximum, Some(7));
        assert!(Properties::from(PropertyValues::NONE).0.is_none());
        let mut none = Properties::default();
        assert!(none.values_mut().is_none(), "values_mut makes nothing");
        let mut some = from;
        some.values_mut().expect("made").receive_maximum = None;
        assert!(some.is_empty());
    }

    #[test]
    fn a_packet_without_properties_is_one_pointer() {
        assert_eq!(std::mem::size_of::<Properties>(), 8);
    }
}
