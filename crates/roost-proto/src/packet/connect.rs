//! CONNECT (spec 3.1.1 §3.1, 5.0 §3.1): the one packet whose version comes from its own bytes.
//!
//! The protocol name and level decide the version: `MQIsdp`/3 is 3.1, `MQTT`/4 is 3.1.1 and
//! `MQTT`/5 is 5.0; anything else is [`DecodeError::UnsupportedProtocolVersion`], carrying the name
//! and level so the broker can answer with CONNACK 0x01/0x84 or just close [MQTT-3.1.2-1,
//! MQTT-3.1.2-2]. The encoder likewise writes the version in [`Connect::protocol`], not the one it
//! is called with.

use crate::error::DecodeError;
use crate::property_codec::{self, PropertyView};
use crate::property_table::PropertyScope;
use crate::reader::Reader;
use crate::sink::{put_binary, put_str, Sink};
use crate::topic::is_valid_topic_name;
use crate::types::{Connect, ProtocolVersion, QoS, Will};

const RESERVED: u8 = 0x01;
const CLEAN_START: u8 = 0x02;
const WILL: u8 = 0x04;
const WILL_QOS_SHIFT: u8 = 3;
const WILL_RETAIN: u8 = 0x20;
const PASSWORD: u8 = 0x40;
const USERNAME: u8 = 0x80;

/// The protocol name CONNECT carries for `version`.
fn protocol_name(version: ProtocolVersion) -> &'static str {
    match version {
        ProtocolVersion::V3_1 => "MQIsdp",
        ProtocolVersion::V3_1_1 | ProtocolVersion::V5 => "MQTT",
    }
}

/// Reads a CONNECT body.
pub(crate) fn decode(r: &mut Reader) -> Result<Connect, DecodeError> {
    let name = r.string("protocol name")?;
    let level = r.u8("protocol level")?;
    let protocol = match (name.as_str(), level) {
        ("MQIsdp", 3) => ProtocolVersion::V3_1,
        ("MQTT", 4) => ProtocolVersion::V3_1_1,
        ("MQTT", 5) => ProtocolVersion::V5,
        _ => return Err(DecodeError::UnsupportedProtocolVersion { name, level }),
    };
    let flags = r.u8("connect flags")?;
    let will_qos = check_flags(flags, protocol)?;
    let keep_alive = r.u16("keep alive")?;
    let properties = if protocol.is_v5() {
        let props = property_codec::decode(r, PropertyScope::Connect)?;
        if props.authentication_data.is_some() && props.authentication_method.is_none() {
            return Err(DecodeError::ProtocolError(
                "authentication data without authentication method",
            ));
        }
        props
    } else {
        Default::default()
    };
    let client_id = r.string("client identifier")?;
    let will = match will_qos {
        Some(qos) => Some(decode_will(r, protocol, qos, flags & WILL_RETAIN != 0)?),
        None => None,
    };
    let username = if flags & USERNAME != 0 {
        Some(r.string("user name")?)
    } else {
        None
    };
    let password = if flags & PASSWORD != 0 {
        Some(r.binary("password")?)
    } else {
        None
    };
    Ok(Connect {
        protocol,
        clean_start: flags & CLEAN_START != 0,
        keep_alive,
        client_id,
        will,
        username,
        password,
        properties,
    })
}

/// Checks the connect flags; returns the will QoS when the Will Flag is set.
fn check_flags(flags: u8, protocol: ProtocolVersion) -> Result<Option<QoS>, DecodeError> {
    if flags & RESERVED != 0 {
        return Err(DecodeError::MalformedPacket("CONNECT reserved flag is set"));
    }
    let qos_bits = (flags >> WILL_QOS_SHIFT) & 0x03;
    let will_qos = QoS::from_u8(qos_bits).ok_or(DecodeError::MalformedPacket("will QoS 3"))?;
    if flags & WILL == 0 {
        if qos_bits != 0 {
            return Err(DecodeError::MalformedPacket(
                "will QoS set without the will flag",
            ));
        }
        if flags & WILL_RETAIN != 0 {
            return Err(DecodeError::MalformedPacket(
                "will retain set without the will flag",
            ));
        }
    }
    if protocol == ProtocolVersion::V3_1_1 && flags & PASSWORD != 0 && flags & USERNAME == 0 {
        return Err(DecodeError::ProtocolError(
            "password flag set without the user name flag",
        ));
    }
    Ok((flags & WILL != 0).then_some(will_qos))
}

fn decode_will(
    r: &mut Reader,
    protocol: ProtocolVersion,
    qos: QoS,
    retain: bool,
) -> Result<Will, DecodeError> {
    let properties = if protocol.is_v5() {
        property_codec::decode(r, PropertyScope::Will)?
    } else {
        Default::default()
    };
    let topic = r.string("will topic")?;
    if !is_valid_topic_name(&topic) {
        return Err(DecodeError::InvalidTopicName(topic));
    }
    let payload = r.binary("will payload")?;
    Ok(Will {
        topic,
        payload,
        qos,
        retain,
        properties,
    })
}

/// Writes a CONNECT body in the version of `c.protocol`.
pub(crate) fn write<S: Sink>(s: &mut S, c: &Connect) {
    let v5 = c.protocol.is_v5();
    put_str(s, protocol_name(c.protocol));
    s.put_u8(c.protocol.level());
    let mut flags = 0u8;
    if c.clean_start {
        flags |= CLEAN_START;
    }
    if let Some(will) = &c.will {
        flags |= WILL | ((will.qos as u8) << WILL_QOS_SHIFT);
        if will.retain {
            flags |= WILL_RETAIN;
        }
    }
    if c.username.is_some() {
        flags |= USERNAME;
    }
    if c.password.is_some() {
        flags |= PASSWORD;
    }
    s.put_u8(flags);
    s.put_u16(c.keep_alive);
    if v5 {
        property_codec::write(s, &PropertyView::of(&c.properties), PropertyScope::Connect);
    }
    put_str(s, &c.client_id);
    if let Some(will) = &c.will {
        if v5 {
            property_codec::write(s, &PropertyView::of(&will.properties), PropertyScope::Will);
        }
        put_str(s, &will.topic);
        put_binary(s, &will.payload);
    }
    if let Some(username) = &c.username {
        put_str(s, username);
    }
    if let Some(password) = &c.password {
        put_binary(s, password);
    }
}
