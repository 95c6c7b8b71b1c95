//! MQTT 5 properties in a stored record: every field of [`Properties`], each present one written
//! as its MQTT identifier and its value, so a record keeps whatever the publisher sent (and a will
//! its Will Delay Interval) without the per-packet rules of the wire codec getting in the way.

use roost_proto::Properties;

use crate::wire::{CodecError, Reader, Writer};

/// Runs `$m!(field, id)` for each one-valued property, by value type.
macro_rules! each_field {
    ($u8:ident, $u16:ident, $u32:ident, $string:ident, $bin:ident) => {
        $u8!(payload_format_indicator, 0x01);
        $u32!(message_expiry_interval, 0x02);
        $string!(content_type, 0x03);
        $string!(response_topic, 0x08);
        $bin!(correlation_data, 0x09);
        $u32!(session_expiry_interval, 0x11);
        $string!(assigned_client_identifier, 0x12);
        $u16!(server_keep_alive, 0x13);
        $string!(authentication_method, 0x15);
        $bin!(authentication_data, 0x16);
        $u8!(request_problem_information, 0x17);
        $u32!(will_delay_interval, 0x18);
        $u8!(request_response_information, 0x19);
        $string!(response_information, 0x1A);
        $string!(server_reference, 0x1C);
        $string!(reason_string, 0x1F);
        $u16!(receive_maximum, 0x21);
        $u16!(topic_alias_maximum, 0x22);
        $u16!(topic_alias, 0x23);
        $u8!(maximum_qos, 0x24);
        $u8!(retain_available, 0x25);
        $u32!(maximum_packet_size, 0x27);
        $u8!(wildcard_subscription_available, 0x28);
        $u8!(subscription_identifier_available, 0x29);
        $u8!(shared_subscription_available, 0x2A);
    };
}

const SUBSCRIPTION_IDENTIFIER: u8 = 0x0B;
const USER_PROPERTY: u8 = 0x26;

/// Writes `p`: a u32 count of entries, then each entry.
pub(crate) fn write(w: &mut Writer, p: &Properties) {
    let mut body = Writer::default();
    let mut count = 0u32;
    macro_rules! put {
        ($field:ident, $id:literal, $put:ident) => {
            if let Some(v) = &p.$field {
                body.u8($id);
                body.$put(*v);
                count += 1;
            }
        };
    }
    macro_rules! put_u8 {
        ($field:ident, $id:literal) => {
            put!($field, $id, u8)
        };
    }
    macro_rules! put_u16 {
        ($field:ident, $id:literal) => {
            put!($field, $id, u16)
        };
    }
    macro_rules! put_u32 {
        ($field:ident, $id:literal) => {
            put!($field, $id, u32)
        };
    }
    macro_rules! put_str {
        ($field:ident, $id:literal) => {
            if let Some(v) = &p.$field {
                body.u8($id);
                body.str(v);
                count += 1;
            }
        };
    }
    macro_rules! put_bin {
        ($field:ident, $id:literal) => {
            if let Some(v) = &p.$field {
                body.u8($id);
                body.bytes(v);
                count += 1;
            }
        };
    }
    each_field!(put_u8, put_u16, put_u32, put_str, put_bin);
    for id in &p.subscription_identifiers {
        body.u8(SUBSCRIPTION_IDENTIFIER);
        body.u32(*id);
        count += 1;
    }
    for (name, value) in &p.user_properties {
        body.u8(USER_PROPERTY);
        body.str(name);
        body.str(value);
        count += 1;
    }
    w.u32(count);
    w.buf.extend_from_slice(&body.buf);
}

/// Reads properties written by [`write`].
pub(crate) fn read(r: &mut Reader<'_>) -> Result<Properties, CodecError> {
    let mut p = Properties::default();
    let count = r.u32()?;
    for _ in 0..count {
        let id = r.u8()?;
        macro_rules! get {
            ($field:ident, $want:literal, $get:ident) => {
                if id == $want {
                    p.$field = Some(r.$get()?);
                    continue;
                }
            };
        }
        macro_rules! get_u8 {
            ($field:ident, $id:literal) => {
                get!($field, $id, u8)
            };
        }
        macro_rules! get_u16 {
            ($field:ident, $id:literal) => {
                get!($field, $id, u16)
            };
        }
        macro_rules! get_u32 {
            ($field:ident, $id:literal) => {
                get!($field, $id, u32)
            };
        }
        macro_rules! get_str {
            ($field:ident, $id:literal) => {
                get!($field, $id, string)
            };
        }
        macro_rules! get_bin {
            ($field:ident, $id:literal) => {
                get!($field, $id, owned_bytes)
            };
        }
        each_field!(get_u8, get_u16, get_u32, get_str, get_bin);
        match id {
            SUBSCRIPTION_IDENTIFIER => p.subscription_identifiers.push(r.u32()?),
            USER_PROPERTY => {
                let name = r.string()?;
                let value = r.string()?;
                p.user_properties.push((name, value));
            }
            _ => return Err(CodecError::Bad("property identifier")),
        }
    }
    Ok(p)
}
