//! `-D command identifier value`: MQTT 5 properties for the packets `roost pub` and `roost sub`
//! send, named, checked and refused as `mosquitto_pub` and `mosquitto_sub` do (their sentences,
//! C's `atol` for numbers, the same duplicate and zero-value checks).
//!
//! Property names and where each may stand come from roost-proto's table; nothing here lists
//! identifiers twice.

use roost_client::Properties;
use roost_proto::{PropertyInfo, PropertyScope, PropertyType, PROPERTY_TABLE};

use crate::client_args::{usage, UsageError};

/// The properties given with `-D`, by the packet they go in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CommandProperties {
    pub(crate) connect: Properties,
    pub(crate) publish: Properties,
    pub(crate) subscribe: Properties,
    pub(crate) unsubscribe: Properties,
    pub(crate) disconnect: Properties,
    pub(crate) will: Properties,
}

/// Mosquitto's name for a property: the specification's, lower case, words joined by `-`.
fn mosquitto_name(info: &PropertyInfo) -> String {
    info.name.to_ascii_lowercase().replace(' ', "-")
}

/// The packets `-D` names, as `mosquitto_string_to_command` knows them.
fn scope(command: &str) -> Option<PropertyScope> {
    use PropertyScope as S;
    Some(match command {
        "connect" => S::Connect,
        "connack" => S::ConnAck,
        "publish" => S::Publish,
        "puback" => S::PubAck,
        "pubrec" => S::PubRec,
        "pubrel" => S::PubRel,
        "pubcomp" => S::PubComp,
        "subscribe" => S::Subscribe,
        "suback" => S::SubAck,
        "unsubscribe" => S::Unsubscribe,
        "unsuback" => S::UnsubAck,
        "disconnect" => S::Disconnect,
        "auth" => S::Auth,
        "will" => S::Will,
        _ => return None,
    })
}

/// C's `atol`: leading whitespace, a sign, digits; anything else ends the number (or makes 0).
fn atol(text: &str) -> i64 {
    let text = text.trim_start();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let value = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if negative {
        -value
    } else {
        value
    }
}

impl CommandProperties {
    /// Parses every `-D` occurrence (each 3 or 4 words) in order.
    pub(crate) fn parse(groups: &[Vec<String>]) -> Result<CommandProperties, UsageError> {
        let mut all = CommandProperties::default();
        for group in groups {
            all.add(group)?;
        }
        Ok(all)
    }

    fn add(&mut self, words: &[String]) -> Result<(), UsageError> {
        let not_enough = || usage("--property argument given but not enough arguments specified.");
        let [command, name, rest @ ..] = words else {
            return Err(not_enough());
        };
        let scope =
            scope(command).ok_or_else(|| usage("Invalid command given in --property argument."))?;
        let info = PROPERTY_TABLE
            .iter()
            .find(|info| mosquitto_name(info) == *name)
            .ok_or_else(|| usage("Invalid property name given in --property argument."))?;
        if !info.allowed_in(scope) {
            return Err(usage(format!(
                "{name} property not allowed for {command} in --property argument."
            )));
        }
        let is_user = info.data_type == PropertyType::Utf8StringPair;
        let value = match (is_user, rest) {
            (true, [key, value]) => Value::Pair(key.clone(), value.clone()),
            (false, [value]) => Value::Text(value.clone()),
            (true, [_]) => return Err(not_enough()),
            _ => return Err(usage(format!("Unknown option '{}'.", rest[rest.len() - 1]))),
        };
        let not_supported = || {
            usage(format!(
                "{name} property not supported for {command} in --property argument."
            ))
        };
        use PropertyScope as S;
        let target = match scope {
            S::Connect => &mut self.connect,
            S::Publish if info.id == 0x0B => return Err(not_supported()),
            S::Publish => &mut self.publish,
            S::Subscribe if info.id != 0x0B && !is_user => return Err(not_supported()),
            S::Subscribe => &mut self.subscribe,
            S::Unsubscribe => &mut self.unsubscribe,
            S::Disconnect => &mut self.disconnect,
            S::Will => &mut self.will,
            S::Auth | S::PubAck | S::PubRec | S::PubRel | S::PubComp | S::SubAck | S::UnsubAck => {
                return Err(not_supported())
            }
            // `mosquitto_pub` refuses this one without a word.
            S::ConnAck => return Err(usage("Invalid command given in --property argument.")),
        };
        set(target, packet_label(scope), info, name, value)
    }

    /// Mosquitto's `mosquitto_property_check_all` over every list: values that must not be 0
    /// or above 1, and a property given twice. `session_expiry` is what `-x` / `-c` add to
    /// CONNECT.
    pub(crate) fn check(&self, session_expiry: Option<u32>) -> Result<(), UsageError> {
        let lists = [
            ("CONNECT", &self.connect),
            ("PUBLISH", &self.publish),
            ("SUBSCRIBE", &self.subscribe),
            ("UNSUBSCRIBE", &self.unsubscribe),
            ("DISCONNECT", &self.disconnect),
            ("Will", &self.will),
        ];
        for (packet, props) in lists {
            let protocol_error = || {
                usage(format!(
                    "Error in {packet} properties: A network protocol error occurred when \
                     communicating with the broker."
                ))
            };
            let flags = [
                props.request_problem_information,
                props.request_response_information,
            ];
            if flags.iter().flatten().any(|v| *v > 1)
                || props.maximum_packet_size == Some(0)
                || props.receive_maximum == Some(0)
                || props.topic_alias == Some(0)
            {
                return Err(protocol_error());
            }
            let twice_expiry = packet == "CONNECT"
                && session_expiry.is_some_and(|e| e > 0)
                && props.session_expiry_interval.is_some();
            if twice_expiry || props.subscription_identifiers.len() > 1 {
                return Err(usage(format!(
                    "Error in {packet} properties: Duplicate property in property list"
                )));
            }
        }
        Ok(())
    }
}

/// How `mosquitto_property_check_all`'s callers name each list.
fn packet_label(scope: PropertyScope) -> &'static str {
    match scope {
        PropertyScope::Connect => "CONNECT",
        PropertyScope::Publish => "PUBLISH",
        PropertyScope::Subscribe => "SUBSCRIBE",
        PropertyScope::Unsubscribe => "UNSUBSCRIBE",
        PropertyScope::Disconnect => "DISCONNECT",
        _ => "Will",
    }
}

enum Value {
    Text(String),
    Pair(String, String),
}

/// Stores one value in its field of `props`, range-checked as Mosquitto does.
fn set(
    props: &mut Properties,
    packet: &str,
    info: &PropertyInfo,
    name: &str,
    value: Value,
) -> Result<(), UsageError> {
    let text = match value {
        Value::Pair(key, value) => {
            props.user_properties.push((key, value));
            return Ok(());
        }
        Value::Text(text) => text,
    };
    let number = |max: i64| -> Result<i64, UsageError> {
        let n = atol(&text);
        if (0..=max).contains(&n) {
            Ok(n)
        } else {
            Err(usage(format!(
                "Property value ({n}) out of range for property {name}."
            )))
        }
    };
    let duplicate = || {
        usage(format!(
            "Error in {packet} properties: Duplicate property in property list"
        ))
    };
    macro_rules! once {
        ($field:expr, $value:expr) => {{
            if $field.is_some() {
                return Err(duplicate());
            }
            $field = Some($value);
        }};
    }
    let byte = || number(255).map(|n| n as u8);
    let two = || number(65_535).map(|n| n as u16);
    let four = || number(i64::from(u32::MAX)).map(|n| n as u32);
    match info.id {
        0x01 => once!(props.payload_format_indicator, byte()?),
        0x02 => once!(props.message_expiry_interval, four()?),
        0x03 => once!(props.content_type, text),
        0x08 => once!(props.response_topic, text),
        0x09 => {
            if text.len() > usize::from(u16::MAX) {
                return Err(usage(format!(
                    "Property value too long for property {name}."
                )));
            }
            once!(props.correlation_data, bytes::Bytes::from(text))
        }
        0x0B => {
            let id = four()?;
            if id > 268_435_455 {
                return Err(usage(format!("Error adding property {name} 3")));
            }
            props.subscription_identifiers.push(id);
        }
        0x11 => once!(props.session_expiry_interval, four()?),
        0x15 => once!(props.authentication_method, text),
        0x16 => once!(props.authentication_data, bytes::Bytes::from(text)),
        0x17 => once!(props.request_problem_information, byte()?),
        0x18 => once!(props.will_delay_interval, four()?),
        0x19 => once!(props.request_response_information, byte()?),
        0x1F => once!(props.reason_string, text),
        0x21 => once!(props.receive_maximum, two()?),
        0x22 => once!(props.topic_alias_maximum, two()?),
        0x23 => once!(props.topic_alias, two()?),
        0x27 => once!(props.maximum_packet_size, four()?),
        // The rest stand only in packets a client does not send; `allowed_in` kept them out.
        _ => return Err(usage("Invalid property name given in --property argument.")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(groups: &[&[&str]]) -> Result<CommandProperties, String> {
        let groups: Vec<Vec<String>> = groups
            .iter()
            .map(|g| g.iter().map(|w| w.to_string()).collect())
            .collect();
        CommandProperties::parse(&groups).map_err(|e| e.0)
    }

    #[test]
    fn properties_land_in_their_packets() {
        let all = parse(&[
            &["publish", "content-type", "text/plain"],
            &["publish", "user-property", "k", "v"],
            &["publish", "message-expiry-interval", "60"],
            &["publish", "correlation-data", "abc"],
            &["publish", "payload-format-indicator", "1"],
            &["publish", "response-topic", "r/t"],
            &["publish", "topic-alias", "3"],
            &["connect", "session-expiry-interval", "60"],
            &["connect", "receive-maximum", "10"],
            &["connect", "maximum-packet-size", "1000"],
            &["connect", "request-problem-information", "0"],
            &["connect", "request-response-information", "1"],
            &["connect", "topic-alias-maximum", "5"],
            &["subscribe", "subscription-identifier", "42"],
            &["will", "will-delay-interval", "30"],
            &["disconnect", "reason-string", "bye"],
            &["unsubscribe", "user-property", "u", "1"],
        ])
        .expect("valid");
        assert_eq!(all.publish.content_type.as_deref(), Some("text/plain"));
        assert_eq!(all.publish.user_properties, [("k".into(), "v".into())]);
        assert_eq!(all.publish.message_expiry_interval, Some(60));
        assert_eq!(all.publish.correlation_data.as_deref(), Some(&b"abc"[..]));
        assert_eq!(all.publish.payload_format_indicator, Some(1));
        assert_eq!(all.publish.response_topic.as_deref(), Some("r/t"));
        assert_eq!(all.publish.topic_alias, Some(3));
        assert_eq!(all.connect.session_expiry_interval, Some(60));
        assert_eq!(all.connect.receive_maximum, Some(10));
        assert_eq!(all.connect.maximum_packet_size, Some(1000));
        assert_eq!(all.connect.request_problem_information, Some(0));
        assert_eq!(all.connect.request_response_information, Some(1));
        assert_eq!(all.connect.topic_alias_maximum, Some(5));
        assert_eq!(all.subscribe.subscription_identifiers, [42]);
        assert_eq!(all.will.will_delay_interval, Some(30));
        assert_eq!(all.disconnect.reason_string.as_deref(), Some("bye"));
        assert_eq!(all.unsubscribe.user_properties.len(), 1);
        assert!(all.check(None).is_ok());
    }

    #[test]
    fn refusals_read_like_mosquitto() {
        let cases: [(&[&str], &str); 8] = [
            (&["send", "content-type", "x"], "Invalid command given in --property argument."),
            (&["publish", "colour", "x"], "Invalid property name given in --property argument."),
            (
                &["publish", "session-expiry-interval", "1"],
                "session-expiry-interval property not allowed for publish in --property argument.",
            ),
            (
                &["publish", "subscription-identifier", "1"],
                "subscription-identifier property not supported for publish in --property argument.",
            ),
            (
                &["subscribe", "reason-string", "x"],
                "reason-string property not allowed for subscribe in --property argument.",
            ),
            (
                &["publish", "payload-format-indicator", "256"],
                "Property value (256) out of range for property payload-format-indicator.",
            ),
            (
                &["publish", "message-expiry-interval", "-1"],
                "Property value (-1) out of range for property message-expiry-interval.",
            ),
            (
                &["publish", "user-property", "k"],
                "--property argument given but not enough arguments specified.",
            ),
        ];
        for (group, message) in cases {
            assert_eq!(parse(&[group]), Err(message.to_owned()), "{group:?}");
        }
    }

    #[test]
    fn numbers_are_read_as_atol_reads_them() {
        assert_eq!(atol("42abc"), 42);
        assert_eq!(atol("  -7"), -7);
        assert_eq!(atol("abc"), 0);
        let all = parse(&[&["publish", "message-expiry-interval", "12s"]]).expect("valid");
        assert_eq!(all.publish.message_expiry_interval, Some(12));
    }

    #[test]
    fn check_refuses_zeroes_flags_above_one_and_repeats() {
        let zero = parse(&[&["connect", "receive-maximum", "0"]]).expect("parses");
        assert_eq!(
            zero.check(None).map_err(|e| e.0),
            Err("Error in CONNECT properties: A network protocol error occurred when communicating with the broker.".into())
        );
        assert_eq!(
            parse(&[
                &["publish", "content-type", "a"],
                &["publish", "content-type", "b"]
            ]),
            Err("Error in PUBLISH properties: Duplicate property in property list".into())
        );
        let twice = parse(&[&["connect", "session-expiry-interval", "5"]]).expect("parses");
        assert!(twice.check(None).is_ok());
        assert_eq!(
            twice.check(Some(60)).map_err(|e| e.0),
            Err("Error in CONNECT properties: Duplicate property in property list".into())
        );
    }
}
