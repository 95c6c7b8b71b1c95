//! JSON as `mosquitto_sub` writes it for `%j` and `%J`: it builds a tree with cJSON and prints
//! it compact, or with `--pretty` indented by tabs. This module parses and prints the way cJSON
//! 1.7 does, so the bytes match: what it accepts as a JSON payload (`%J`), how numbers come
//! back out (`1.50` prints `1.5`), which characters strings escape, and where strings end at a
//! NUL byte, as C strings do.
//!
//! It knows nothing of MQTT; [`crate::sub_format`] builds the message object.

/// A JSON value; objects keep their order and may repeat a key, as cJSON's lists do.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(f64),
    /// Bytes, not necessarily UTF-8: cJSON copies what it is given.
    String(Vec<u8>),
    Array(Vec<Json>),
    Object(Vec<(Vec<u8>, Json)>),
}

/// cJSON's limit on nested arrays and objects.
const NESTING_LIMIT: usize = 1000;

impl Json {
    /// A string value from bytes that C would see as a NUL-terminated string: it ends at the
    /// first NUL.
    pub(crate) fn c_string(bytes: &[u8]) -> Json {
        let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
        Json::String(bytes[..end].to_vec())
    }

    /// Parses `text` as `cJSON_ParseWithOpts(text, &end, true)` followed by mosquitto_sub's
    /// check that the parse ended at the payload's end: one value, surrounded by optional
    /// whitespace (any byte up to space), after an optional UTF-8 byte order mark.
    pub(crate) fn parse(text: &[u8]) -> Option<Json> {
        if text.contains(&0) {
            return None;
        }
        let mut parser = Parser { text, at: 0 };
        if text.starts_with(b"\xEF\xBB\xBF") {
            parser.at = 3;
        }
        parser.skip_whitespace();
        let value = parser.value(0)?;
        parser.skip_whitespace();
        (parser.at == text.len()).then_some(value)
    }

    /// Appends the value as `cJSON_PrintUnformatted` (`pretty` false) or `cJSON_Print` does.
    pub(crate) fn print(&self, pretty: bool, out: &mut Vec<u8>) {
        self.print_at(pretty, 0, out);
    }

    fn print_at(&self, pretty: bool, depth: usize, out: &mut Vec<u8>) {
        match self {
            Json::Null => out.extend_from_slice(b"null"),
            Json::Bool(true) => out.extend_from_slice(b"true"),
            Json::Bool(false) => out.extend_from_slice(b"false"),
            Json::Number(n) => out.extend_from_slice(number_text(*n).as_bytes()),
            Json::String(s) => print_string(s, out),
            Json::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(if pretty { b", " } else { b"," });
                    }
                    item.print_at(pretty, depth + 1, out);
                }
                out.push(b']');
            }
            Json::Object(members) => {
                out.push(b'{');
                if pretty {
                    out.push(b'\n');
                }
                for (i, (key, value)) in members.iter().enumerate() {
                    if pretty {
                        out.resize(out.len() + depth + 1, b'\t');
                    }
                    print_string(key, out);
                    out.push(b':');
                    if pretty {
                        out.push(b'\t');
                    }
                    value.print_at(pretty, depth + 1, out);
                    if i + 1 < members.len() {
                        out.push(b',');
                    }
                    if pretty {
                        out.push(b'\n');
                    }
                }
                if pretty {
                    out.resize(out.len() + depth, b'\t');
                }
                out.push(b'}');
            }
        }
    }
}

/// A string with cJSON's escapes: `"` `\` and the named control characters by letter, other
/// bytes below 32 as `\u00xx`, everything else (UTF-8 or not) as it is.
fn print_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=31 => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// A number as cJSON 1.7.15 prints it: `%1.15g`, or `%1.17g` when 15 digits do not give the
/// same double back; infinities and NaN as `null`. (Integers come out plainly; `-0.0` is `-0`.)
pub(crate) fn number_text(n: f64) -> String {
    if !n.is_finite() {
        return "null".to_owned();
    }
    let short = format_g(n, 15);
    let back: f64 = short.parse().unwrap_or(f64::NAN);
    let close = (back - n).abs() <= back.abs().max(n.abs()) * f64::EPSILON;
    if close {
        short
    } else {
        format_g(n, 17)
    }
}

/// C's `%.{precision}g` for a finite number.
fn format_g(n: f64, precision: usize) -> String {
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // The exponent after rounding to `precision` significant digits decides the style.
    let scientific = format!("{:.*e}", precision - 1, n);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` always has an exponent");
    let exponent: i32 = exponent.parse().expect("a decimal exponent");
    if exponent < -4 || exponent >= precision as i32 {
        let mantissa = trim_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
    } else {
        let decimals = (precision as i32 - 1 - exponent).max(0) as usize;
        trim_zeros(&format!("{n:.decimals$}")).to_owned()
    }
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// cJSON counts every byte up to and including space as whitespace.
    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(|b| b <= b' ') {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        let rest = &self.text[self.at..];
        for (word, value) in [
            (&b"null"[..], Json::Null),
            (b"false", Json::Bool(false)),
            (b"true", Json::Bool(true)),
        ] {
            if rest.starts_with(word) {
                self.at += word.len();
                return Some(value);
            }
        }
        match self.peek()? {
            b'"' => self.string().map(Json::String),
            b'-' | b'0'..=b'9' => self.number(),
            b'[' => self.array(depth),
            b'{' => self.object(depth),
            _ => None,
        }
    }

    /// cJSON gathers up to 63 bytes from `0-9 + - e E .` and lets `strtod` take the longest
    /// number it can from them.
    fn number(&mut self) -> Option<Json> {
        let gathered = self.text[self.at..]
            .iter()
            .take(63)
            .take_while(|b| matches!(b, b'0'..=b'9' | b'+' | b'-' | b'e' | b'E' | b'.'))
            .count();
        let candidate = &self.text[self.at..self.at + gathered];
        let length = strtod_prefix(candidate);
        if length == 0 {
            return None;
        }
        let text = std::str::from_utf8(&candidate[..length]).ok()?;
        let value: f64 = text.parse().ok()?;
        self.at += length;
        Some(Json::Number(value))
    }

    /// A string literal; the result ends at a NUL that a `\u0000` produced, as in C.
    fn string(&mut self) -> Option<Vec<u8>> {
        self.at += 1;
        let start = self.at;
        // First find the closing quote, stepping over escaped characters.
        let mut end = start;
        loop {
            match self.text.get(end)? {
                b'"' => break,
                b'\\' => {
                    self.text.get(end + 1)?;
                    end += 2;
                }
                _ => end += 1,
            }
        }
        let raw = &self.text[start..end];
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] != b'\\' {
                out.push(raw[i]);
                i += 1;
                continue;
            }
            let escaped = match raw[i + 1] {
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'"' | b'\\' | b'/' => raw[i + 1],
                b'u' => {
                    let (codepoint, used) = utf16_escape(&raw[i..])?;
                    push_utf8(codepoint, &mut out);
                    i += used;
                    continue;
                }
                _ => return None,
            };
            out.push(escaped);
            i += 2;
        }
        self.at = end + 1;
        if let Some(nul) = out.iter().position(|b| *b == 0) {
            out.truncate(nul);
        }
        Some(out)
    }

    fn array(&mut self, depth: usize) -> Option<Json> {
        if depth >= NESTING_LIMIT {
            return None;
        }
        self.at += 1;
        self.skip_whitespace();
        let mut items = Vec::new();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(Json::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(Json::Array(items));
                }
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Json> {
        if depth >= NESTING_LIMIT {
            return None;
        }
        self.at += 1;
        self.skip_whitespace();
        let mut members = Vec::new();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(Json::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek()? != b':' {
                return None;
            }
            self.at += 1;
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(Json::Object(members));
                }
                _ => return None,
            }
        }
    }
}

/// How many bytes of `text` C's `strtod` reads as a decimal number (0 if none): a sign, digits
/// with an optional point (at least one digit), and an exponent only if digits follow it.
fn strtod_prefix(text: &[u8]) -> usize {
    let digits = |from: usize| {
        text[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut at = usize::from(matches!(text.first(), Some(b'+' | b'-')));
    let whole = digits(at);
    at += whole;
    let mut fraction = 0;
    if text.get(at) == Some(&b'.') {
        fraction = digits(at + 1);
        if whole + fraction > 0 {
            at += 1 + fraction;
        }
    }
    if whole + fraction == 0 {
        return 0;
    }
    if matches!(text.get(at), Some(b'e' | b'E')) {
        let mut exp = at + 1;
        if matches!(text.get(exp), Some(b'+' | b'-')) {
            exp += 1;
        }
        let exp_digits = digits(exp);
        if exp_digits > 0 {
            at = exp + exp_digits;
        }
    }
    at
}

/// A `\uXXXX` escape (or a surrogate pair of them) at the start of `text`: the code point and
/// the bytes used. Bad hex digits read as 0, as in cJSON; a lone low surrogate or an unpaired
/// high one fails.
fn utf16_escape(text: &[u8]) -> Option<(u32, usize)> {
    let hex4 = |from: usize| -> Option<u32> {
        let digits = text.get(from..from + 4)?;
        let mut value = 0;
        for d in digits {
            match char::from(*d).to_digit(16) {
                Some(v) => value = value * 16 + v,
                None => return Some(0),
            }
        }
        Some(value)
    };
    let first = hex4(2)?;
    if (0xDC00..=0xDFFF).contains(&first) {
        return None;
    }
    if !(0xD800..=0xDBFF).contains(&first) {
        return Some((first, 6));
    }
    if text.get(6..8)? != b"\\u" {
        return None;
    }
    let second = hex4(8)?;
    if !(0xDC00..=0xDFFF).contains(&second) {
        return None;
    }
    Some((0x10000 + (((first & 0x3FF) << 10) | (second & 0x3FF)), 12))
}

fn push_utf8(codepoint: u32, out: &mut Vec<u8>) {
    match char::from_u32(codepoint) {
        Some(c) => {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        // Unreachable for the code points `utf16_escape` returns; keep the bytes C would write.
        None => out.extend_from_slice(&codepoint.to_be_bytes()[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reprint(text: &str, pretty: bool) -> Option<String> {
        let value = Json::parse(text.as_bytes())?;
        let mut out = Vec::new();
        value.print(pretty, &mut out);
        Some(String::from_utf8(out).expect("utf8"))
    }

    #[test]
    fn numbers_print_like_cjson() {
        let cases = [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.5, "1.5"),
            (100.0, "100"),
            (2147483647.0, "2147483647"),
            (4294967295.0, "4294967295"),
            (0.1, "0.1"),
            (1e20, "1e+20"),
            (1.25e-7, "1.25e-07"),
            (0.0001, "0.0001"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (1.0 / 3.0, "0.33333333333333331"),
            (f64::INFINITY, "null"),
        ];
        for (n, expected) in cases {
            assert_eq!(number_text(n), expected, "{n}");
        }
    }

    #[test]
    fn accepts_what_cjson_accepts() {
        let cases = [
            (
                " {\"a\" : [1, 2.50, -0.0, 1E3]} \n",
                Some("{\"a\":[1,2.5,-0,1000]}"),
            ),
            ("\u{feff}true", Some("true")),
            ("007", Some("7")),
            ("-.5", Some("-0.5")),
            ("1.", Some("1")),
            ("\"\\u00e9\\ud83d\\ude00\\/\"", Some("\"é😀/\"")),
            ("\"a\\u0000b\"", Some("\"a\"")),
            ("\"\\uzzzzb\"", Some("\"\"")),
            ("\"tab\there\"", Some("\"tab\\there\"")),
            ("{\"k\":1,\"k\":2}", Some("{\"k\":1,\"k\":2}")),
            ("1e999", Some("null")),
            ("+1", None),
            (".5", None),
            ("1e", None),
            ("[1,]", None),
            ("{\"a\"}", None),
            ("nul", None),
            ("truex", None),
            ("\"\\ud800\"", None),
            ("\"\\udc00\"", None),
            ("\"\\x\"", None),
            ("\"open", None),
            ("", None),
            ("1 2", None),
        ];
        for (text, expected) in cases {
            assert_eq!(reprint(text, false).as_deref(), expected, "{text:?}");
        }
        assert_eq!(Json::parse(b"1\0"), None, "a NUL ends a C string early");
    }

    #[test]
    fn nesting_stops_at_cjsons_limit() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(Json::parse(deep(1000).as_bytes()).is_some());
        assert!(Json::parse(deep(1001).as_bytes()).is_none());
    }

    #[test]
    fn pretty_printing_indents_with_tabs() {
        assert_eq!(
            reprint("{\"a\":{\"b\":[1,{\"c\":{}}]},\"d\":[]}", true).as_deref(),
            Some("{\n\t\"a\":\t{\n\t\t\"b\":\t[1, {\n\t\t\t\t\"c\":\t{\n\t\t\t\t}\n\t\t\t}]\n\t},\n\t\"d\":\t[]\n}")
        );
    }

    #[test]
    fn strings_escape_control_bytes_only() {
        let mut out = Vec::new();
        Json::String(b"\"\\\x08\x0c\n\r\t\x01\x1f\x7f\xff/".to_vec()).print(false, &mut out);
        assert_eq!(out, b"\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xff/\"");
        assert_eq!(Json::c_string(b"ab\0cd"), Json::String(b"ab".to_vec()));
    }
}
