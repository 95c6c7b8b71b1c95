//! The flags of `roost bench`, named as emqtt-bench and Mosquitto's tools name them, and their
//! checks. Parsing only: nothing here opens a socket.
//!
//! Like Mosquitto's tools, `-h` is the host and `-V` the protocol version; help is `--help` only.

use std::time::Duration;

use anyhow::{bail, Result};
use clap::{ArgAction, Args, ValueEnum};
use roost_client::{ProtocolVersion, QoS};

use crate::transport_args::{Plan, TransportArgs};

/// What load to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Scenario {
    /// N publishers, one subscriber on a wildcard filter.
    Fanin,
    /// One publisher, N subscribers on its topic.
    Fanout,
    /// N publisher/subscriber pairs, each pair on its own topic.
    Pairs,
    /// N idle connections, opened and held.
    Conn,
}

impl Scenario {
    /// The name used in reports.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scenario::Fanin => "fanin",
            Scenario::Fanout => "fanout",
            Scenario::Pairs => "pairs",
            Scenario::Conn => "conn",
        }
    }
}

/// Options of `roost bench`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub(crate) struct BenchArgs {
    /// The load to generate.
    #[arg(value_enum)]
    pub(crate) scenario: Scenario,
    /// Broker host.
    #[arg(short = 'h', long = "host", default_value = "127.0.0.1")]
    pub(crate) host: String,
    /// Broker port (default: 1883; 8883 with TLS, 8083 with --ws, 8084 with both).
    #[arg(short = 'p', long = "port")]
    pub(crate) port: Option<u16>,
    /// Clients: publishers (fanin), subscribers (fanout), pairs (pairs) or connections (conn).
    #[arg(short = 'c', long = "clients", default_value_t = 10)]
    pub(crate) clients: u32,
    /// QoS of publishes and subscriptions.
    #[arg(short = 'q', long = "qos", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub(crate) qos: u8,
    /// Payload size in bytes; at least 16 (a send timestamp and a sequence number).
    #[arg(short = 's', long = "size", default_value_t = 64)]
    pub(crate) size: usize,
    /// Messages per publisher (the default when neither -n nor -d is given: 1000).
    #[arg(short = 'n', long = "count", conflicts_with = "duration")]
    pub(crate) count: Option<u64>,
    /// Publish for this many seconds instead of a count; for conn, how long to hold.
    #[arg(short = 'd', long = "duration")]
    pub(crate) duration: Option<f64>,
    /// Fixed rate in messages per second per publisher (default: as fast as the window allows).
    #[arg(short = 'r', long = "rate")]
    pub(crate) rate: Option<f64>,
    /// Each subscriber takes at most this many messages per second (default: as fast as they
    /// come): a slow subscriber, so that the broker's queue limits decide what happens to the rest.
    #[arg(long = "sub-rate")]
    pub(crate) sub_rate: Option<f64>,
    /// MQTT version: 3 (3.1), 4 (3.1.1) or 5.
    #[arg(short = 'V', long = "version", default_value_t = 4, value_parser = clap::value_parser!(u8).range(3..=5))]
    pub(crate) version: u8,
    /// Outstanding publishes per publisher: its window of unacknowledged QoS 1/2 messages,
    /// and of QoS 0 messages not yet written.
    #[arg(long = "inflight", default_value_t = 20)]
    pub(crate) inflight: u16,
    /// Sessions that outlive their connections (clean session 0; MQTT 5: session expiry
    /// 300 s), so that a broker that persists writes their QoS 1/2 messages to disk.
    #[arg(long = "persistent")]
    pub(crate) persistent: bool,
    /// Process id of the broker, to sample its CPU time and memory from /proc.
    #[arg(long = "pid")]
    pub(crate) pid: Option<u32>,
    /// Print one JSON object on one line instead of the text report.
    #[arg(long = "json")]
    pub(crate) json: bool,
    /// Seconds of publishing left out of rates, latency and CPU figures.
    #[arg(long = "warmup", default_value_t = 0.0)]
    pub(crate) warmup: f64,
    /// After publishing, stop waiting for deliveries once none arrived for this many seconds.
    #[arg(long = "drain", default_value_t = 3.0)]
    pub(crate) drain: f64,
    /// Connections opened at once (connection phase of every scenario).
    #[arg(long = "connect-concurrency", default_value_t = 100)]
    pub(crate) connect_concurrency: usize,
    /// conn: open the connections in this many equal waves, --wave-gap seconds apart, and
    /// report the broker's memory per connection of the last wave too (what connections cost
    /// on a broker that already holds idle ones).
    #[arg(long = "waves", default_value_t = 1)]
    pub(crate) waves: u32,
    /// conn: seconds between waves.
    #[arg(long = "wave-gap", default_value_t = 3.0)]
    pub(crate) wave_gap: f64,
    /// conn over TCP: open each connection bare, without the client library: a CONNECT
    /// (keep-alive off) written on the socket and its CONNACK read, then the socket only held.
    /// The load generator then spends least per connection, so connections/s says more of what
    /// the broker and the machine allow.
    #[arg(long = "bare")]
    pub(crate) bare: bool,
    /// TLS (--tls, --cafile, --cert/--key, --insecure ...) and WebSocket (--ws, --ws-path),
    /// as `roost pub` takes them.
    #[command(flatten)]
    pub(crate) transport: TransportArgs,
    /// Print help.
    #[arg(long = "help", action = ArgAction::Help)]
    pub(crate) help: Option<bool>,
}

/// The smallest payload: 8 bytes of send time, 8 of sequence number.
pub(crate) const MIN_SIZE: usize = 16;

impl BenchArgs {
    /// Rejects combinations that cannot run, with the flag that is wrong.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.size < MIN_SIZE {
            bail!("-s {}: the payload needs at least {MIN_SIZE} bytes (send time and sequence number)", self.size);
        }
        if self.clients == 0 {
            bail!("-c 0: at least one client is needed");
        }
        if self.inflight == 0 {
            bail!("--inflight 0: the window must be at least 1");
        }
        for (flag, rate) in [("-r", self.rate), ("--sub-rate", self.sub_rate)] {
            if let Some(rate) = rate {
                if !(rate.is_finite() && rate > 0.0) {
                    bail!(
                        "{flag} {rate}: the rate must be a positive number of messages per second"
                    );
                }
            }
        }
        for (flag, value) in [
            ("-d", self.duration.unwrap_or(1.0)),
            ("--warmup", self.warmup),
            ("--drain", self.drain),
            ("--wave-gap", self.wave_gap),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                bail!("{flag} {value}: seconds must be a non-negative number");
            }
        }
        if self.connect_concurrency == 0 {
            bail!("--connect-concurrency 0: at least one connection must be opened at a time");
        }
        if self.bare && self.scenario != Scenario::Conn {
            bail!("--bare: only the conn scenario opens bare connections");
        }
        if self.waves == 0 || self.waves > self.clients {
            bail!(
                "--waves {}: between 1 and the number of connections (-c {})",
                self.waves,
                self.clients
            );
        }
        Ok(())
    }

    /// The transport the flags ask for (no file read yet).
    pub(crate) fn transport_plan(&self) -> Result<Plan> {
        self.transport
            .plan(false, false, None)
            .map_err(|e| anyhow::anyhow!("{}", e.0))
    }

    /// The port: `-p`, or the default of the transport.
    pub(crate) fn port(&self, plan: &Plan) -> u16 {
        self.port.unwrap_or_else(|| plan.default_port())
    }

    /// The QoS as the client's type.
    pub(crate) fn qos(&self) -> QoS {
        match self.qos {
            0 => QoS::AtMostOnce,
            1 => QoS::AtLeastOnce,
            _ => QoS::ExactlyOnce,
        }
    }

    /// The protocol as the client's type.
    pub(crate) fn protocol(&self) -> ProtocolVersion {
        match self.version {
            3 => ProtocolVersion::V3_1,
            5 => ProtocolVersion::V5,
            _ => ProtocolVersion::V3_1_1,
        }
    }

    /// When publishers stop: after a count of messages each, or after a time.
    pub(crate) fn stop(&self) -> Stop {
        match (self.count, self.duration) {
            (Some(count), _) => Stop::Count(count),
            (None, Some(secs)) => Stop::After(Duration::from_secs_f64(secs)),
            (None, None) => Stop::Count(1000),
        }
    }

    /// The warm-up as a duration.
    pub(crate) fn warmup(&self) -> Duration {
        Duration::from_secs_f64(self.warmup)
    }

    /// The drain timeout as a duration.
    pub(crate) fn drain(&self) -> Duration {
        Duration::from_secs_f64(self.drain)
    }
}

/// When a publisher stops.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stop {
    /// After this many messages.
    Count(u64),
    /// After this long.
    After(Duration),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    #[command(disable_help_flag = true)]
    struct Harness {
        #[command(flatten)]
        args: BenchArgs,
    }

    fn parse(argv: &[&str]) -> Result<BenchArgs, clap::Error> {
        let argv = std::iter::once("bench").chain(argv.iter().copied());
        Harness::try_parse_from(argv).map(|h| h.args)
    }

    #[test]
    fn defaults() {
        let args = parse(&["pairs"]).expect("parses");
        let plan = args.transport_plan().expect("valid");
        assert_eq!((args.host.as_str(), args.port(&plan)), ("127.0.0.1", 1883));
        assert_eq!(
            (args.clients, args.qos, args.size, args.inflight),
            (10, 0, 64, 20)
        );
        assert_eq!(args.protocol(), ProtocolVersion::V3_1_1);
        assert!(matches!(args.stop(), Stop::Count(1000)));
        args.validate().expect("defaults are valid");
    }

    #[test]
    fn mosquitto_style_short_flags() {
        let args = parse(&[
            "fanin", "-h", "10.0.0.1", "-p", "1884", "-c", "16", "-q", "2", "-s", "128", "-d",
            "2.5", "-r", "100", "-V", "5",
        ])
        .expect("parses");
        assert_eq!(args.scenario, Scenario::Fanin);
        assert_eq!(args.host, "10.0.0.1");
        assert_eq!(args.qos(), QoS::ExactlyOnce);
        assert_eq!(args.protocol(), ProtocolVersion::V5);
        assert!(matches!(args.stop(), Stop::After(d) if d == Duration::from_millis(2500)));
        assert_eq!(args.rate, Some(100.0));
    }

    #[test]
    fn transport_flags_are_pub_and_subs() {
        let args = parse(&["pairs", "--tls", "--cafile", "ca.crt", "--insecure"]).expect("parses");
        let plan = args.transport_plan().expect("valid");
        assert!(matches!(&plan, Plan::Tls(o) if o.insecure && o.cafile.is_some()));
        assert_eq!(args.port(&plan), 8883);
        let args = parse(&["conn", "--ws", "-p", "9001"]).expect("parses");
        let plan = args.transport_plan().expect("valid");
        assert_eq!(plan, Plan::Ws("/mqtt".into()));
        assert_eq!(args.port(&plan), 9001);
        let args = parse(&["conn", "--cert", "c.crt"]).expect("parses");
        assert!(
            args.transport_plan().is_err(),
            "a certificate needs its key"
        );
    }

    #[test]
    fn count_and_duration_conflict() {
        assert!(parse(&["pairs", "-n", "5", "-d", "1"]).is_err());
    }

    #[test]
    fn out_of_range_values_are_refused() {
        assert!(parse(&["pairs", "-q", "3"]).is_err());
        assert!(parse(&["pairs", "-V", "6"]).is_err());
        assert!(parse(&["nonsense"]).is_err());
        let small = parse(&["pairs", "-s", "15"]).expect("parses");
        assert!(small.validate().is_err());
        let no_rate = parse(&["pairs", "-r", "0"]).expect("parses");
        assert!(no_rate.validate().is_err());
        let no_window = parse(&["pairs", "--inflight", "0"]).expect("parses");
        assert!(no_window.validate().is_err());
    }
}
