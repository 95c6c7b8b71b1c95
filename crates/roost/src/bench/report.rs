//! The end-of-run report: one struct of figures, printed for people (text) or for scripts (one
//! JSON object on one line, `--json`). Absent figures are `null` in JSON and left out of text.
//!
//! The JSON is written by hand: the object is flat (numbers, a few plain strings), so a
//! serializer would add a dependency for a dozen lines.

use std::fmt::Write as _;

use super::stats::LatencySummary;

/// Every figure a run can report.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) scenario: &'static str,
    /// tcp, tls, ws or wss.
    pub(crate) transport: &'static str,
    pub(crate) qos: u8,
    pub(crate) version: u8,
    pub(crate) size: usize,
    pub(crate) publishers: u64,
    pub(crate) subscribers: u64,
    /// Publishes whose exchange completed.
    pub(crate) sent: u64,
    /// Publishes that failed or were refused.
    pub(crate) failed: u64,
    /// Deliveries expected: completed publishes times the subscribers of each.
    pub(crate) expected: u64,
    pub(crate) received: u64,
    /// Expected minus received (never negative; duplicates are counted apart).
    pub(crate) loss: u64,
    /// Received beyond the expected (QoS 1 redeliveries, or publishes whose ack was lost).
    pub(crate) extra: u64,
    pub(crate) sent_per_sec: Option<f64>,
    pub(crate) delivered_per_sec: Option<f64>,
    pub(crate) latency: Option<LatencySummary>,
    pub(crate) connections: u64,
    pub(crate) connections_per_sec: Option<f64>,
    /// Connections still open at the end (conn).
    pub(crate) held: Option<u64>,
    pub(crate) broker_cpu_secs: Option<f64>,
    pub(crate) broker_cpu_secs_per_million: Option<f64>,
    pub(crate) broker_rss_kb: Option<u64>,
    pub(crate) broker_rss_bytes_per_conn: Option<f64>,
    /// conn with --waves: RSS growth from just before the last wave to the end, per connection
    /// of that wave.
    pub(crate) broker_rss_bytes_per_conn_last_wave: Option<f64>,
    /// CPU time of `roost bench` itself over the whole run (the clients' side: TLS handshakes
    /// and encryption show there too).
    pub(crate) client_cpu_secs: Option<f64>,
    pub(crate) seconds: f64,
}

/// A JSON value of the flat report.
enum Value {
    Str(String),
    Int(u64),
    Num(f64),
    Null,
}

impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Self {
        v.filter(|v| v.is_finite()).map_or(Value::Null, Value::Num)
    }
}

impl From<Option<u64>> for Value {
    fn from(v: Option<u64>) -> Self {
        v.map_or(Value::Null, Value::Int)
    }
}

impl Report {
    fn fields(&self) -> Vec<(&'static str, Value)> {
        let lat = |f: fn(&LatencySummary) -> u64| Value::from(self.latency.as_ref().map(f));
        vec![
            ("scenario", Value::Str(self.scenario.to_owned())),
            ("transport", Value::Str(self.transport.to_owned())),
            ("qos", Value::Int(self.qos.into())),
            ("version", Value::Int(self.version.into())),
            ("size", Value::Int(self.size as u64)),
            ("publishers", Value::Int(self.publishers)),
            ("subscribers", Value::Int(self.subscribers)),
            ("sent", Value::Int(self.sent)),
            ("failed", Value::Int(self.failed)),
            ("expected", Value::Int(self.expected)),
            ("received", Value::Int(self.received)),
            ("loss", Value::Int(self.loss)),
            ("extra", Value::Int(self.extra)),
            ("sent_per_sec", self.sent_per_sec.into()),
            ("delivered_per_sec", self.delivered_per_sec.into()),
            ("latency_p50_us", lat(|l| l.p50)),
            ("latency_p99_us", lat(|l| l.p99)),
            ("latency_p999_us", lat(|l| l.p999)),
            ("latency_max_us", lat(|l| l.max)),
            ("connections", Value::Int(self.connections)),
            ("connections_per_sec", self.connections_per_sec.into()),
            ("held", self.held.into()),
            ("broker_cpu_secs", self.broker_cpu_secs.into()),
            ("client_cpu_secs", self.client_cpu_secs.into()),
            (
                "broker_cpu_secs_per_million",
                self.broker_cpu_secs_per_million.into(),
            ),
            ("broker_rss_kb", self.broker_rss_kb.into()),
            (
                "broker_rss_bytes_per_conn",
                self.broker_rss_bytes_per_conn.into(),
            ),
            (
                "broker_rss_bytes_per_conn_last_wave",
                self.broker_rss_bytes_per_conn_last_wave.into(),
            ),
            ("seconds", Value::Num(self.seconds)),
        ]
    }

    /// One JSON object on one line.
    pub(crate) fn json(&self) -> String {
        let mut out = String::from("{");
        for (i, (name, value)) in self.fields().into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "\"{name}\":");
            match value {
                Value::Str(s) => write_json_string(&mut out, &s),
                Value::Int(n) => {
                    let _ = write!(out, "{n}");
                }
                Value::Num(n) if n.is_finite() => {
                    let _ = write!(out, "{}", (n * 1000.0).round() / 1000.0);
                }
                Value::Num(_) | Value::Null => out.push_str("null"),
            }
        }
        out.push('}');
        out
    }

    /// The report for people.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} over {}: {} publisher(s), {} subscriber(s), QoS {}, MQTT v{}, {} B payload, {:.2} s",
            self.scenario,
            self.transport,
            self.publishers,
            self.subscribers,
            self.qos,
            self.version,
            self.size,
            self.seconds
        );
        if self.scenario != "conn" {
            let _ = writeln!(
                out,
                "  sent {} (failed {}), expected {}, received {}, loss {}, extra {}",
                self.sent, self.failed, self.expected, self.received, self.loss, self.extra
            );
            let _ = writeln!(
                out,
                "  throughput: {} msg/s sent, {} msg/s delivered",
                rate(self.sent_per_sec),
                rate(self.delivered_per_sec)
            );
            if let Some(l) = &self.latency {
                let _ = writeln!(
                    out,
                    "  latency (us): p50 {}  p99 {}  p99.9 {}  max {}",
                    l.p50, l.p99, l.p999, l.max
                );
            }
        }
        let _ = writeln!(
            out,
            "  connections: {} at {} conn/s{}",
            self.connections,
            rate(self.connections_per_sec),
            self.held
                .map(|h| format!(", {h} still open at the end"))
                .unwrap_or_default()
        );
        if let Some(cpu) = self.broker_cpu_secs {
            let _ = write!(out, "  broker: {cpu:.2} CPU s");
            if let Some(per) = self.broker_cpu_secs_per_million {
                let _ = write!(out, ", {per:.2} CPU s per million delivered");
            }
            if let Some(rss) = self.broker_rss_kb {
                let _ = write!(out, ", RSS {rss} kB");
            }
            if let Some(per) = self.broker_rss_bytes_per_conn {
                let _ = write!(out, ", {per:.0} B RSS per connection");
            }
            if let Some(per) = self.broker_rss_bytes_per_conn_last_wave {
                let _ = write!(out, " ({per:.0} B per connection of the last wave)");
            }
            out.push('\n');
        }
        if let Some(cpu) = self.client_cpu_secs {
            let _ = writeln!(out, "  load generator: {cpu:.2} CPU s");
        }
        out
    }
}

fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"))
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_one_flat_line_with_nulls() {
        let report = Report {
            scenario: "pairs",
            sent: 10,
            received: 10,
            sent_per_sec: Some(1234.56789),
            ..Report::default()
        };
        let json = report.json();
        assert!(!json.contains('\n'));
        assert!(json.starts_with("{\"scenario\":\"pairs\","), "{json}");
        assert!(json.contains("\"sent_per_sec\":1234.568"), "{json}");
        assert!(json.contains("\"latency_p99_us\":null"), "{json}");
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        write_json_string(&mut out, "a\"b\\c\n");
        assert_eq!(out, "\"a\\\"b\\\\c\\u000a\"");
    }
}
