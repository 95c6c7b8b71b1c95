//! PUBLISH (spec 3.1.1 §3.3, 5.0 §3.3) and [`PublishRef`], the borrowing form the broker encodes
//! once per subscriber.
//!
//! Decoding hands the payload out as a slice of the received frame (no copy). Encoding goes through
//! [`PublishRef`] whether it starts from a [`Publish`] or from a shared message plus the fields that
//! differ per subscriber, and allocates nothing beyond growing the output buffer.

use bytes::BytesMut;

use crate::error::DecodeError;
use crate::properties::Properties;
use crate::property_codec::{self, PropertyView};
use crate::property_table::PropertyScope;
use crate::reader::Reader;
use crate::sink::{count, put_str, put_varint, Sink};
use crate::topic::is_valid_topic_name;
use crate::types::{ProtocolVersion, Publish, QoS};
use crate::varint;

const DUP: u8 = 0x08;
const RETAIN: u8 = 0x01;
const QOS_SHIFT: u8 = 1;

/// A PUBLISH to encode, borrowing everything: one shared message, per-subscriber fields beside it.
#[derive(Clone, Copy, Debug)]
pub struct PublishRef<'a> {
    /// DUP flag.
    pub dup: bool,
    /// QoS.
    pub qos: QoS,
    /// RETAIN flag.
    pub retain: bool,
    /// Topic name; may be `""` in MQTT 5 when `topic_alias` is set.
    pub topic: &'a str,
    /// Packet identifier, written only for QoS 1 and 2.
    pub packet_id: Option<u16>,
    /// Application message.
    pub payload: &'a [u8],
    /// The publisher's properties.
    pub properties: &'a Properties,
    /// Written instead of `properties.message_expiry_interval`.
    pub message_expiry_interval: Option<u32>,
    /// Written instead of `properties.topic_alias`.
    pub topic_alias: Option<u16>,
    /// Written instead of `properties.subscription_identifiers`.
    pub subscription_identifiers: &'a [u32],
}

impl Publish {
    /// This packet as a [`PublishRef`], every field its own.
    pub fn as_publish_ref(&self) -> PublishRef<'_> {
        PublishRef {
            dup: self.dup,
            qos: self.qos,
            retain: self.retain,
            topic: &self.topic,
            packet_id: self.packet_id,
            payload: &self.payload,
            properties: &self.properties,
            message_expiry_interval: self.properties.message_expiry_interval,
            topic_alias: self.properties.topic_alias,
            subscription_identifiers: &self.properties.subscription_identifiers,
        }
    }
}

impl<'a> PublishRef<'a> {
    fn view(&self) -> PropertyView<'a> {
        PropertyView {
            base: self.properties,
            message_expiry_interval: self.message_expiry_interval,
            topic_alias: self.topic_alias,
            subscription_identifiers: self.subscription_identifiers,
        }
    }

    fn first_byte(&self) -> u8 {
        let mut byte = 0x30 | ((self.qos as u8) << QOS_SHIFT);
        if self.dup {
            byte |= DUP;
        }
        if self.retain {
            byte |= RETAIN;
        }
        byte
    }

    fn write_body<S: Sink>(&self, s: &mut S, version: ProtocolVersion) {
        put_str(s, self.topic);
        if self.qos != QoS::AtMostOnce {
            s.put_u16(self.packet_id.unwrap_or_default());
        }
        if version.is_v5() {
            property_codec::write(s, &self.view(), PropertyScope::Publish);
        }
        s.put_slice(self.payload);
    }
}

/// Appends `p` as one PUBLISH packet to `out`.
pub fn encode_publish(p: &PublishRef<'_>, version: ProtocolVersion, out: &mut BytesMut) {
    let body = count(|c| p.write_body(c, version));
    out.reserve(1 + varint::len(body as u32) + body);
    out.put_u8(p.first_byte());
    put_varint(out, body as u32);
    p.write_body(out, version);
}

/// The exact number of bytes [`encode_publish`] appends.
pub fn publish_len(p: &PublishRef<'_>, version: ProtocolVersion) -> usize {
    let body = count(|c| p.write_body(c, version));
    1 + varint::len(body as u32) + body
}

/// Reads a PUBLISH body; `flags` are the low four bits of its first byte.
pub(crate) fn decode(
    r: &mut Reader,
    flags: u8,
    version: ProtocolVersion,
) -> Result<Publish, DecodeError> {
    let qos = QoS::from_u8((flags >> QOS_SHIFT) & 0x03)
        .ok_or(DecodeError::MalformedPacket("PUBLISH with QoS 3"))?;
    let dup = flags & DUP != 0;
    if dup && qos == QoS::AtMostOnce {
        return Err(DecodeError::MalformedPacket("DUP set on a QoS 0 PUBLISH"));
    }
    let topic = r.string("topic name")?;
    // An empty topic may stand for an alias (MQTT 5), checked once the properties are read.
    if !topic.is_empty() && !is_valid_topic_name(&topic) {
        return Err(DecodeError::InvalidTopicName(topic));
    }
    let packet_id = match qos {
        QoS::AtMostOnce => None,
        QoS::AtLeastOnce | QoS::ExactlyOnce => Some(r.packet_id()?),
    };
    let properties = if version.is_v5() {
        property_codec::decode(r, PropertyScope::Publish)?
    } else {
        Properties::default()
    };
    if topic.is_empty() {
        if !version.is_v5() {
            return Err(DecodeError::InvalidTopicName(topic));
        }
        if properties.topic_alias.is_none() {
            return Err(DecodeError::ProtocolError(
                "empty topic name without a topic alias",
            ));
        }
    }
    Ok(Publish {
        dup,
        qos,
        retain: flags & RETAIN != 0,
        topic,
        packet_id,
        payload: r.rest(),
        properties,
    })
}
