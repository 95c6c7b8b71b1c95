//! `roost sub -F`: `mosquitto_sub`'s output format language, parsed once into parts and
//! rendered per message into bytes.
//!
//! - `%` directives: `%t` topic, `%p` payload, `%x`/`%X` payload in hex, `%l` length, `%m` packet
//!   id, `%q` QoS, `%r` retain, `%I` ISO 8601 time, `%U` Unix time with nanoseconds, `%j`/`%J`
//!   JSON, and the MQTT 5 properties `%A` topic alias, `%C` content type, `%D` correlation data,
//!   `%E` message expiry, `%F` payload format, `%P` user properties, `%R` response topic, `%S`
//!   subscription identifier; `%%` is a percent sign.
//! - Each directive takes C-like flags: `-` (left align), `0` (zero padding), a field width and a
//!   `.precision`, with `mosquitto_sub`'s exact (sometimes odd) effects, kept for byte-for-byte
//!   output: a width truncates `%p`; `%-p` pads by the payload's own length; `%x` with a width
//!   shows half of what fits.
//! - `@` fields are `strftime` conversions of the time the message is printed (`@Y`, `@H`, ...),
//!   `@N` the nanoseconds, `@@` an at sign.
//! - `\` escapes: `\\ \0 \a \e \n \r \t \v`.
//!
//! The parser rejects what `mosquitto_sub` rejects, with its sentences. Rendering writes into a
//! buffer and takes the clock reading as an argument, so it is tested without I/O or time.

use roost_client::{Message, Properties};

use crate::sub_json::Json;
use crate::sub_time::{strftime_into, Now};

/// A parsed `-F` format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Format {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    /// Bytes printed as they are (text and escapes).
    Literal(Vec<u8>),
    /// A `%` directive.
    Field(Directive, Spec),
    /// `@c`: the `strftime` conversion `%c`.
    Time(u8),
    /// `@N`: nanoseconds, nine digits.
    Nanos,
}

/// Flags, width and precision of a `%` directive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Spec {
    left: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Directive {
    Percent,
    TopicAlias,
    ContentType,
    CorrelationData,
    MessageExpiry,
    PayloadFormat,
    Iso8601,
    Json,
    JsonPayload,
    Length,
    PacketId,
    UserProperties,
    Payload,
    Qos,
    ResponseTopic,
    Retain,
    SubscriptionId,
    Topic,
    UnixTime,
    Hex,
    HexUpper,
}

impl Directive {
    fn from_letter(letter: u8) -> Option<Directive> {
        use Directive as D;
        Some(match letter {
            b'%' => D::Percent,
            b'A' => D::TopicAlias,
            b'C' => D::ContentType,
            b'D' => D::CorrelationData,
            b'E' => D::MessageExpiry,
            b'F' => D::PayloadFormat,
            b'I' => D::Iso8601,
            b'j' => D::Json,
            b'J' => D::JsonPayload,
            b'l' => D::Length,
            b'm' => D::PacketId,
            b'P' => D::UserProperties,
            b'p' => D::Payload,
            b'q' => D::Qos,
            b'R' => D::ResponseTopic,
            b'r' => D::Retain,
            b'S' => D::SubscriptionId,
            b't' => D::Topic,
            b'U' => D::UnixTime,
            b'x' => D::Hex,
            b'X' => D::HexUpper,
            _ => return None,
        })
    }
}

/// A format `mosquitto_sub` would refuse, in its words.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FormatError(pub(crate) String);

fn incomplete() -> FormatError {
    FormatError("Incomplete format specifier.".to_owned())
}

impl Format {
    /// Parses a `-F` argument.
    pub(crate) fn parse(text: &str) -> Result<Format, FormatError> {
        let bytes = text.as_bytes();
        let mut parts = Vec::new();
        let mut literal = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let next = bytes.get(i + 1).copied();
            match c {
                b'%' => {
                    let (directive, spec, used) = parse_directive(&bytes[i + 1..])?;
                    flush(&mut literal, &mut parts);
                    parts.push(Part::Field(directive, spec));
                    i += 1 + used;
                }
                b'@' => {
                    let field = next.ok_or_else(incomplete)?;
                    match field {
                        b'@' => literal.push(b'@'),
                        b'N' => {
                            flush(&mut literal, &mut parts);
                            parts.push(Part::Nanos);
                        }
                        other => {
                            flush(&mut literal, &mut parts);
                            parts.push(Part::Time(other));
                        }
                    }
                    i += 2;
                }
                b'\\' => {
                    let escape =
                        next.ok_or_else(|| FormatError("Incomplete escape specifier.".to_owned()))?;
                    literal.push(match escape {
                        b'\\' => b'\\',
                        b'0' => 0,
                        b'a' => 0x07,
                        b'e' => 0x1b,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'v' => 0x0b,
                        other => {
                            return Err(FormatError(format!(
                                "Invalid escape specifier '{}'.",
                                char::from(other)
                            )))
                        }
                    });
                    i += 2;
                }
                other => {
                    literal.push(other);
                    i += 1;
                }
            }
        }
        flush(&mut literal, &mut parts);
        Ok(Format { parts })
    }

    /// Appends `message` rendered; `pretty` is `--pretty`. Returns the error lines
    /// `mosquitto_sub` prints on stderr meanwhile (a `%J` payload that is not JSON).
    pub(crate) fn render(
        &self,
        message: &Message,
        now: &Now,
        pretty: bool,
        out: &mut Vec<u8>,
    ) -> Vec<String> {
        let mut errors = Vec::new();
        for part in &self.parts {
            match part {
                Part::Literal(bytes) => out.extend_from_slice(bytes),
                Part::Field(directive, spec) => {
                    if let Err(error) = field(*directive, *spec, message, now, pretty, out) {
                        errors.push(error);
                    }
                }
                Part::Time(conversion) => strftime_into(&[b'%', *conversion], now, out),
                Part::Nanos => out.extend_from_slice(format!("{:09}", now.nanos()).as_bytes()),
            }
        }
        errors
    }
}

fn flush(literal: &mut Vec<u8>, parts: &mut Vec<Part>) {
    if !literal.is_empty() {
        parts.push(Part::Literal(std::mem::take(literal)));
    }
}

/// Parses what follows a `%`: `[-][0][width][.[precision]]letter`. Returns the bytes used.
fn parse_directive(bytes: &[u8]) -> Result<(Directive, Spec, usize), FormatError> {
    let mut spec = Spec::default();
    let mut i = 0;
    if bytes.first() == Some(&b'-') {
        spec.left = true;
        i += 1;
    }
    if bytes.get(i) == Some(&b'0') {
        spec.zero = true;
        i += 1;
    }
    // A flag is only valid when something follows it.
    if i > 0 && i >= bytes.len() {
        return Err(incomplete());
    }
    while let Some(d) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
        spec.width = spec
            .width
            .saturating_mul(10)
            .saturating_add(usize::from(d - b'0'));
        i += 1;
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        let mut precision = 0usize;
        while let Some(d) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
            precision = precision
                .saturating_mul(10)
                .saturating_add(usize::from(d - b'0'));
            i += 1;
        }
        spec.precision = Some(precision);
    }
    let letter = *bytes.get(i).ok_or_else(incomplete)?;
    let directive = Directive::from_letter(letter).ok_or_else(|| {
        FormatError(format!(
            "Invalid format specifier '{}'.",
            char::from(letter)
        ))
    })?;
    Ok((directive, spec, i + 1))
}

/// Renders one directive; `Err` is a line for stderr.
fn field(
    directive: Directive,
    spec: Spec,
    message: &Message,
    now: &Now,
    pretty: bool,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    use Directive as D;
    let props = &message.properties;
    match directive {
        D::Percent => out.push(b'%'),
        D::TopicAlias => int_or_blank(props.topic_alias.map(i64::from), spec, out),
        D::ContentType => match &props.content_type {
            Some(text) => string(text.as_bytes(), spec, out),
            None => blank(b' ', spec.width, out),
        },
        D::CorrelationData => {
            if let Some(data) = &props.correlation_data {
                out.extend_from_slice(data);
            }
        }
        // C prints the 32-bit value through an `int`.
        D::MessageExpiry => int_or_blank(
            props.message_expiry_interval.map(|v| i64::from(v as i32)),
            spec,
            out,
        ),
        D::PayloadFormat => int_or_blank(props.payload_format_indicator.map(i64::from), spec, out),
        D::Iso8601 => {
            let mut text = Vec::new();
            strftime_into(b"%FT%T%z", now, &mut text);
            string(&text, spec, out);
        }
        D::Json => json(message, now, None).print(pretty, out),
        D::JsonPayload => {
            let parsed = if message.payload.is_empty() {
                Json::Null
            } else {
                Json::parse(&message.payload).ok_or_else(|| {
                    format!(
                        "Error: Message payload is not valid JSON on topic {}.",
                        message.topic
                    )
                })?
            };
            json(message, now, Some(parsed)).print(pretty, out);
        }
        D::Length => int(message.payload.len() as i64, spec, out),
        D::PacketId => int(i64::from(message.packet_id.unwrap_or(0)), spec, out),
        D::UserProperties => {
            for (i, (key, value)) in props.user_properties.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(key.as_bytes());
                out.push(b':');
                out.extend_from_slice(value.as_bytes());
            }
        }
        D::Payload => payload(&message.payload, None, spec, out),
        D::Qos => out.push(b'0' + message.qos as u8),
        D::ResponseTopic => {
            if let Some(topic) = &props.response_topic {
                string(topic.as_bytes(), spec, out);
            }
        }
        D::Retain => out.push(if message.retain { b'1' } else { b'0' }),
        D::SubscriptionId => int_or_blank(
            props
                .subscription_identifiers
                .first()
                .map(|v| i64::from(*v as i32)),
            spec,
            out,
        ),
        D::Topic => string(message.topic.as_bytes(), spec, out),
        D::UnixTime => {
            let seconds = now.local.timestamp();
            out.extend_from_slice(format!("{seconds}.{:09}", now.nanos()).as_bytes());
        }
        D::Hex => payload(&message.payload, Some(false), spec, out),
        D::HexUpper => payload(&message.payload, Some(true), spec, out),
    }
    Ok(())
}

fn blank(pad: u8, width: usize, out: &mut Vec<u8>) {
    out.resize(out.len() + width, pad);
}

/// C's `%d`, `%-*d`, `%0*d` or `%*d`.
fn int(value: i64, spec: Spec, out: &mut Vec<u8>) {
    let width = spec.width;
    let text = if width == 0 {
        value.to_string()
    } else if spec.left {
        format!("{value:<width$}")
    } else if spec.zero {
        format!("{value:0width$}")
    } else {
        format!("{value:>width$}")
    };
    out.extend_from_slice(text.as_bytes());
}

/// An integer property, or `width` pad characters when the message does not carry it.
fn int_or_blank(value: Option<i64>, spec: Spec, out: &mut Vec<u8>) {
    match value {
        Some(value) => int(value, spec, out),
        None => blank(if spec.zero { b'0' } else { b' ' }, spec.width, out),
    }
}

/// C's `%s` with width and precision, counted in bytes; padding is always spaces.
fn string(value: &[u8], spec: Spec, out: &mut Vec<u8>) {
    let shown = match spec.precision {
        Some(precision) => &value[..value.len().min(precision)],
        None => value,
    };
    let pad = spec.width.saturating_sub(shown.len());
    if !spec.left {
        blank(b' ', pad, out);
    }
    out.extend_from_slice(shown);
    if spec.left {
        blank(b' ', pad, out);
    }
}

/// `mosquitto_sub`'s payload writer, `hex` `None` for raw bytes, `Some(upper)` for hex. Its
/// arithmetic is kept as is: a width cuts the payload to `width` bytes (to `width / 2` bytes
/// shown in hex), and with `-` and no width it pads by the payload's length.
fn payload(bytes: &[u8], hex: Option<bool>, spec: Spec, out: &mut Vec<u8>) {
    let width = spec.width as i64;
    let mut len = bytes.len() as i64;
    let padlen = if width > 0 {
        len = len.min(width);
        if hex.is_some() {
            len /= 2;
            width - len * 2
        } else {
            width - len
        }
    } else {
        -len
    };
    let pad = if spec.zero { b'0' } else { b' ' };
    if !spec.left && padlen > 0 {
        blank(pad, padlen as usize, out);
    }
    let shown = &bytes[..len as usize];
    match hex {
        None => out.extend_from_slice(shown),
        Some(upper) => {
            for b in shown {
                let text = if upper {
                    format!("{b:02X}")
                } else {
                    format!("{b:02x}")
                };
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    if spec.left {
        // `printf("%*s", padlen, "")`: a negative width left-aligns in its absolute value.
        blank(b' ', padlen.unsigned_abs() as usize, out);
    }
}

/// The object `%j` (`payload` `None`: the payload as a string) and `%J` (`payload` the parsed
/// JSON payload) print, members in `mosquitto_sub`'s order.
fn json(message: &Message, now: &Now, payload: Option<Json>) -> Json {
    let number = |n: f64| Json::Number(n);
    let mut members = vec![
        (
            b"tst".to_vec(),
            Json::String(now.iso8601_micros().into_bytes()),
        ),
        (b"topic".to_vec(), Json::c_string(message.topic.as_bytes())),
        (b"qos".to_vec(), number(f64::from(message.qos as u8))),
        (
            b"retain".to_vec(),
            number(f64::from(u8::from(message.retain))),
        ),
        (b"payloadlen".to_vec(), number(message.payload.len() as f64)),
    ];
    if message.qos as u8 > 0 {
        let mid = message.packet_id.unwrap_or(0);
        members.push((b"mid".to_vec(), number(f64::from(mid))));
    }
    if let Some(properties) = json_properties(&message.properties) {
        members.push((b"properties".to_vec(), properties));
    }
    let payload = payload.unwrap_or_else(|| {
        if message.payload.is_empty() {
            Json::Null
        } else {
            Json::c_string(&message.payload)
        }
    });
    members.push((b"payload".to_vec(), payload));
    Json::Object(members)
}

/// The `properties` member: present when the PUBLISH carried any property. Members follow the
/// order a Mosquitto broker writes them in: subscription identifiers, the publisher's
/// properties, then the message expiry interval.
fn json_properties(props: &Properties) -> Option<Json> {
    let mut members = Vec::new();
    let mut add = |name: &str, value: Json| members.push((name.as_bytes().to_vec(), value));
    for id in &props.subscription_identifiers {
        add("subscription-identifier", Json::Number(f64::from(*id)));
    }
    if let Some(v) = props.payload_format_indicator {
        add("payload-format-indicator", Json::Number(f64::from(v)));
    }
    if let Some(v) = &props.content_type {
        add("content-type", Json::c_string(v.as_bytes()));
    }
    if let Some(v) = &props.response_topic {
        add("response-topic", Json::c_string(v.as_bytes()));
    }
    if let Some(v) = &props.correlation_data {
        add("correlation-data", Json::c_string(v));
    }
    if let Some(v) = props.topic_alias {
        add("topic-alias", Json::Number(f64::from(v)));
    }
    if !props.user_properties.is_empty() {
        let pairs = props
            .user_properties
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), Json::c_string(v.as_bytes())))
            .collect();
        add("user-properties", Json::Object(pairs));
    }
    if let Some(v) = props.message_expiry_interval {
        add("message-expiry-interval", Json::Number(f64::from(v)));
    }
    let any = !members.is_empty();
    any.then_some(Json::Object(members))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use roost_client::QoS;

    /// 2024-02-29 13:04:05.123456789 UTC.
    fn now() -> Now {
        Now::at(1_709_211_845, 123_456_789, 0)
    }

    fn message(topic: &str, payload: &[u8]) -> Message {
        Message {
            topic: topic.to_owned(),
            payload: Bytes::copy_from_slice(payload),
            qos: QoS::AtMostOnce,
            retain: false,
            dup: false,
            packet_id: None,
            properties: Properties::default(),
        }
    }

    fn v5_message() -> Message {
        Message {
            qos: QoS::AtLeastOnce,
            retain: true,
            packet_id: Some(42),
            properties: Properties::from(roost_proto::PropertyValues {
                payload_format_indicator: Some(1),
                message_expiry_interval: Some(3600),
                content_type: Some("text/plain".into()),
                response_topic: Some("reply/here".into()),
                correlation_data: Some(Bytes::from_static(b"corr\0id")),
                subscription_identifiers: vec![7, 9],
                user_properties: vec![("k".into(), "v".into()), ("k2".into(), "v 2".into())],
                ..roost_proto::PropertyValues::NONE
            }),
            ..message("a/b", b"hello")
        }
    }

    fn render(format: &str, message: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        let errors =
            Format::parse(format)
                .expect("valid format")
                .render(message, &now(), false, &mut out);
        assert!(errors.is_empty(), "{errors:?}");
        out
    }

    fn text(format: &str, message: &Message) -> String {
        String::from_utf8(render(format, message)).expect("utf8")
    }

    #[test]
    fn topic_payload_and_flags() {
        let m = message("a/b", b"hello");
        assert_eq!(text("%t %p %l %q %r %m %%", &m), "a/b hello 5 0 0 0 %");
        let m = v5_message();
        assert_eq!(text("%q %r %m", &m), "1 1 42");
    }

    #[test]
    fn hex_payloads() {
        let m = message("t", b"\x00\xffAz");
        assert_eq!(text("%x|%X", &m), "00ff417a|00FF417A");
    }

    #[test]
    fn widths_and_precision_on_strings() {
        let m = message("topic", b"x");
        assert_eq!(
            text("[%10t][%-10t][%.3t][%8.2t][%-8.2t]", &m),
            "[     topic][topic     ][top][      to][to      ]"
        );
        assert_eq!(text("[%2t]", &m), "[topic]");
    }

    #[test]
    fn widths_on_integers() {
        let m = message("t", b"abc");
        assert_eq!(
            text("[%5l][%-5l][%05l][%-05l][%0l]", &m),
            "[    3][3    ][00003][3    ][3]"
        );
    }

    #[test]
    fn payload_widths_keep_mosquittos_arithmetic() {
        let m = message("t", b"hello");
        assert_eq!(text("[%-p]", &m), "[hello     ]");
        assert_eq!(
            text("[%-10p][%010p][%.2p][%3p]", &m),
            "[hello     ][00000hello][hello][hel]"
        );
        let m = message("t", b"abc");
        assert_eq!(text("[%10x]", &m), "[        61]");
        let m = message("t", b"abcdef");
        assert_eq!(text("[%3x][%-4X]", &m), "[ 61][6162]");
    }

    #[test]
    fn mqtt5_properties() {
        let m = v5_message();
        assert_eq!(
            text("%A|%C|%E|%F|%P|%R|%S", &m),
            "|text/plain|3600|1|k:v k2:v 2|reply/here|7"
        );
        assert_eq!(render("%D", &m), b"corr\0id");
        assert_eq!(
            text("[%12C][%-12R][%6E][%06S][%.4C]", &m),
            "[  text/plain][reply/here  ][  3600][000007][text]"
        );
    }

    #[test]
    fn absent_properties_print_padding_or_nothing() {
        let m = message("t", b"x");
        assert_eq!(
            text("[%A][%5A][%05E][%-03F][%4S][%4C][%4R][%P][%D]", &m),
            "[][     ][00000][000][    ][    ][][][]"
        );
    }

    #[test]
    fn expiry_above_i32_prints_through_an_int() {
        let m = Message {
            properties: Properties::from(roost_proto::PropertyValues {
                message_expiry_interval: Some(u32::MAX),
                ..roost_proto::PropertyValues::NONE
            }),
            ..message("t", b"x")
        };
        assert_eq!(text("%E", &m), "-1");
    }

    #[test]
    fn time_fields() {
        let m = message("t", b"x");
        assert_eq!(text("%I", &m), "2024-02-29T13:04:05+0000");
        assert_eq!(
            text("[%26I][%.10I]", &m),
            "[  2024-02-29T13:04:05+0000][2024-02-29]"
        );
        assert_eq!(text("%U", &m), "1709211845.123456789");
        assert_eq!(
            text("@Y-@m-@d @H:@M:@S @s @N @@ @z", &m),
            "2024-02-29 13:04:05 1709211845 123456789 @ +0000"
        );
    }

    #[test]
    fn escapes() {
        let m = message("t", b"x");
        assert_eq!(
            render(r"a\tb\nc\\d\0e\ef\ag\rh\vi", &m),
            b"a\tb\nc\\d\0e\x1bf\x07g\rh\x0bi"
        );
    }

    #[test]
    fn json_escapes_like_mosquitto_sub() {
        let m = message("a/\"b\"", b"x\"y\\z\n\x01\xff");
        assert_eq!(
            render("%j", &m),
            &b"{\"tst\":\"2024-02-29T13:04:05.123456+0000\",\"topic\":\"a/\\\"b\\\"\",\"qos\":0,\"retain\":0,\"payloadlen\":8,\"payload\":\"x\\\"y\\\\z\\n\\u0001\xff\"}"[..]
        );
        let empty = message("t", b"");
        assert!(text("%j", &empty).ends_with("\"payloadlen\":0,\"payload\":null}"));
        let nul = message("t", b"ab\0cd");
        assert!(text("%j", &nul).ends_with("\"payloadlen\":5,\"payload\":\"ab\"}"));
    }

    #[test]
    fn json_with_properties_and_mid() {
        let m = v5_message();
        assert_eq!(
            text("%j", &m),
            "{\"tst\":\"2024-02-29T13:04:05.123456+0000\",\"topic\":\"a/b\",\"qos\":1,\"retain\":1,\
             \"payloadlen\":5,\"mid\":42,\"properties\":{\"subscription-identifier\":7,\
             \"subscription-identifier\":9,\"payload-format-indicator\":1,\"content-type\":\"text/plain\",\
             \"response-topic\":\"reply/here\",\"correlation-data\":\"corr\",\
             \"user-properties\":{\"k\":\"v\",\"k2\":\"v 2\"},\"message-expiry-interval\":3600},\
             \"payload\":\"hello\"}"
        );
    }

    #[test]
    fn json_payload_is_reprinted_or_refused() {
        let m = message("t", b" {\"a\": [1, 2.50]} ");
        assert!(text("%J", &m).ends_with("\"payload\":{\"a\":[1,2.5]}}"));
        let bad = message("t/x", b"{nope");
        let mut out = Vec::new();
        let errors = Format::parse("<%J>")
            .expect("valid")
            .render(&bad, &now(), false, &mut out);
        assert_eq!(out, b"<>");
        assert_eq!(
            errors,
            ["Error: Message payload is not valid JSON on topic t/x."]
        );
    }

    #[test]
    fn pretty_json_uses_tabs() {
        let m = message("t", b"[1,{\"b\":2}]");
        let mut out = Vec::new();
        Format::parse("%J")
            .expect("valid")
            .render(&m, &now(), true, &mut out);
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "{\n\t\"tst\":\t\"2024-02-29T13:04:05.123456+0000\",\n\t\"topic\":\t\"t\",\n\t\"qos\":\t0,\n\
             \t\"retain\":\t0,\n\t\"payloadlen\":\t11,\n\t\"payload\":\t[1, {\n\t\t\t\"b\":\t2\n\t\t}]\n}"
        );
    }

    #[test]
    fn invalid_formats_are_refused_in_mosquittos_words() {
        let cases = [
            ("%", "Incomplete format specifier."),
            ("abc%-", "Incomplete format specifier."),
            ("%10", "Incomplete format specifier."),
            ("%5.", "Incomplete format specifier."),
            ("%y", "Invalid format specifier 'y'."),
            ("%0-5p", "Invalid format specifier '-'."),
            ("@", "Incomplete format specifier."),
            ("\\", "Incomplete escape specifier."),
            ("\\q", "Invalid escape specifier 'q'."),
        ];
        for (format, message) in cases {
            assert_eq!(
                Format::parse(format),
                Err(FormatError(message.into())),
                "{format}"
            );
        }
        assert!(Format::parse("%-05p %.p @Q \\0").is_ok());
    }
}
