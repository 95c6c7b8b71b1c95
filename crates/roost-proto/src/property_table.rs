//! Which MQTT 5 property may stand in which packet: the table of spec §2.2.2.2, once.
//!
//! The decoder refuses a property outside its packets (a Malformed Packet) and the encoder writes
//! only the properties a packet may carry, both by consulting [`PROPERTY_TABLE`]. Nothing else in
//! the crate lists property identifiers or their packets.

/// Where a property list stands: a packet, or the will properties inside CONNECT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PropertyScope {
    /// CONNECT's own properties.
    Connect,
    /// The will properties in CONNECT's payload.
    Will,
    /// CONNACK.
    ConnAck,
    /// PUBLISH.
    Publish,
    /// PUBACK.
    PubAck,
    /// PUBREC.
    PubRec,
    /// PUBREL.
    PubRel,
    /// PUBCOMP.
    PubComp,
    /// SUBSCRIBE.
    Subscribe,
    /// SUBACK.
    SubAck,
    /// UNSUBSCRIBE.
    Unsubscribe,
    /// UNSUBACK.
    UnsubAck,
    /// DISCONNECT.
    Disconnect,
    /// AUTH.
    Auth,
}

/// The wire type of a property's value (spec §1.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyType {
    /// One byte.
    Byte,
    /// Two Byte Integer.
    TwoByteInteger,
    /// Four Byte Integer.
    FourByteInteger,
    /// Variable Byte Integer.
    VariableByteInteger,
    /// UTF-8 Encoded String.
    Utf8String,
    /// UTF-8 String Pair.
    Utf8StringPair,
    /// Binary Data.
    BinaryData,
}

/// One row of [`PROPERTY_TABLE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PropertyInfo {
    /// The identifier byte.
    pub id: u8,
    /// The name the specification gives it.
    pub name: &'static str,
    /// The type of its value.
    pub data_type: PropertyType,
    /// Where it may stand.
    pub scopes: &'static [PropertyScope],
}

impl PropertyInfo {
    /// True if this property may stand in `scope`.
    pub fn allowed_in(&self, scope: PropertyScope) -> bool {
        self.scopes.contains(&scope)
    }
}

use PropertyScope as S;
use PropertyType as T;

const ACKS: &[PropertyScope] = &[
    S::ConnAck,
    S::PubAck,
    S::PubRec,
    S::PubRel,
    S::PubComp,
    S::SubAck,
    S::UnsubAck,
    S::Disconnect,
    S::Auth,
];

const EVERYWHERE: &[PropertyScope] = &[
    S::Connect,
    S::ConnAck,
    S::Publish,
    S::Will,
    S::PubAck,
    S::PubRec,
    S::PubRel,
    S::PubComp,
    S::Subscribe,
    S::SubAck,
    S::Unsubscribe,
    S::UnsubAck,
    S::Disconnect,
    S::Auth,
];

macro_rules! property_table {
    ($( $id:literal $name:literal $ty:ident $scopes:expr; )*) => {
        /// Every MQTT 5 property, in identifier order: identifier, name, value type and the packets
        /// it may stand in (spec §2.2.2.2).
        pub const PROPERTY_TABLE: &[PropertyInfo] = &[
            $( PropertyInfo { id: $id, name: $name, data_type: T::$ty, scopes: $scopes }, )*
        ];
    };
}

property_table! {
    0x01 "Payload Format Indicator" Byte &[S::Publish, S::Will];
    0x02 "Message Expiry Interval" FourByteInteger &[S::Publish, S::Will];
    0x03 "Content Type" Utf8String &[S::Publish, S::Will];
    0x08 "Response Topic" Utf8String &[S::Publish, S::Will];
    0x09 "Correlation Data" BinaryData &[S::Publish, S::Will];
    0x0B "Subscription Identifier" VariableByteInteger &[S::Publish, S::Subscribe];
    0x11 "Session Expiry Interval" FourByteInteger &[S::Connect, S::ConnAck, S::Disconnect];
    0x12 "Assigned Client Identifier" Utf8String &[S::ConnAck];
    0x13 "Server Keep Alive" TwoByteInteger &[S::ConnAck];
    0x15 "Authentication Method" Utf8String &[S::Connect, S::ConnAck, S::Auth];
    0x16 "Authentication Data" BinaryData &[S::Connect, S::ConnAck, S::Auth];
    0x17 "Request Problem Information" Byte &[S::Connect];
    0x18 "Will Delay Interval" FourByteInteger &[S::Will];
    0x19 "Request Response Information" Byte &[S::Connect];
    0x1A "Response Information" Utf8String &[S::ConnAck];
    0x1C "Server Reference" Utf8String &[S::ConnAck, S::Disconnect];
    0x1F "Reason String" Utf8String ACKS;
    0x21 "Receive Maximum" TwoByteInteger &[S::Connect, S::ConnAck];
    0x22 "Topic Alias Maximum" TwoByteInteger &[S::Connect, S::ConnAck];
    0x23 "Topic Alias" TwoByteInteger &[S::Publish];
    0x24 "Maximum QoS" Byte &[S::ConnAck];
    0x25 "Retain Available" Byte &[S::ConnAck];
    0x26 "User Property" Utf8StringPair EVERYWHERE;
    0x27 "Maximum Packet Size" FourByteInteger &[S::Connect, S::ConnAck];
    0x28 "Wildcard Subscription Available" Byte &[S::ConnAck];
    0x29 "Subscription Identifier Available" Byte &[S::ConnAck];
    0x2A "Shared Subscription Available" Byte &[S::ConnAck];
}

/// The row for identifier `id`, if MQTT 5 defines one.
pub fn property_info(id: u8) -> Option<&'static PropertyInfo> {
    PROPERTY_TABLE
        .binary_search_by_key(&id, |info| info.id)
        .ok()
        .and_then(|i| PROPERTY_TABLE.get(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_by_identifier_without_repeats() {
        assert!(PROPERTY_TABLE.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(PROPERTY_TABLE.len(), 27);
    }

    #[test]
    fn lookup_finds_every_row_and_nothing_else() {
        for info in PROPERTY_TABLE {
            assert_eq!(property_info(info.id), Some(info));
        }
        for id in [0x00, 0x04, 0x0A, 0x14, 0x1B, 0x20, 0x2B, 0xFF] {
            assert_eq!(property_info(id), None);
        }
    }

    #[test]
    fn spot_checks_against_the_specification() {
        let rs = property_info(0x1F).unwrap();
        assert!(
            rs.allowed_in(S::PubAck) && !rs.allowed_in(S::Publish) && !rs.allowed_in(S::Connect)
        );
        let delay = property_info(0x18).unwrap();
        assert!(delay.allowed_in(S::Will) && !delay.allowed_in(S::Connect));
        let sub_id = property_info(0x0B).unwrap();
        assert_eq!(sub_id.data_type, T::VariableByteInteger);
        assert!(sub_id.allowed_in(S::Subscribe) && !sub_id.allowed_in(S::Unsubscribe));
        assert_eq!(property_info(0x26).unwrap().scopes.len(), 14);
    }
}
