//! `roost bench` against the real `roost broker`: tiny runs of each scenario finish on their own
//! and deliver every message they expect. No timing is asserted: the figures depend on the
//! machine, only their sanity (present, positive, consistent) is checked.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The longest a bench run may take before the test fails.
const LIMIT: Duration = Duration::from_secs(25);

/// A `roost broker` on a free 127.0.0.1 port, killed when dropped.
struct Broker {
    child: Child,
    port: u16,
}

impl Broker {
    fn start() -> Broker {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let data = std::env::temp_dir().join(format!("roost-bench-test-data-{port}"));
        let _ = std::fs::remove_dir_all(&data);
        let child = Command::new(env!("CARGO_BIN_EXE_roost"))
            .args(["broker", "-p", &port.to_string()])
            .env("XDG_DATA_HOME", data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn roost broker");
        let broker = Broker { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the broker did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        broker
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `roost bench ARGS -p PORT --json --pid BROKER` within [`LIMIT`].
fn bench(broker: &Broker, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_roost"))
        .arg("bench")
        .args(args)
        .args(["-p", &broker.port.to_string(), "--json"])
        .args(["--pid", &broker.child.id().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn roost bench");
    let deadline = Instant::now() + LIMIT;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("roost bench {args:?} ran past {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    assert!(
        output.status.success(),
        "roost bench {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The raw text of `field` in a flat JSON object (a number, `null` or a quoted string).
fn field<'a>(json: &'a str, name: &str) -> &'a str {
    let key = format!("\"{name}\":");
    let start = json
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {json}"))
        + key.len();
    let rest = &json[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    &rest[..end]
}

fn number(json: &str, name: &str) -> f64 {
    field(json, name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number in {json}"))
}

/// The one JSON line of a run, checked for zero loss and sane figures.
fn check_lossless(output: &Output, expected: f64) -> String {
    let stdout = String::from_utf8(output.stdout.clone()).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON line: {stdout}");
    let json = lines[0].to_owned();
    assert!(json.starts_with('{') && json.ends_with('}'), "{json}");
    assert_eq!(number(&json, "expected"), expected, "{json}");
    assert_eq!(number(&json, "received"), expected, "{json}");
    assert_eq!(number(&json, "loss"), 0.0, "{json}");
    assert_eq!(number(&json, "failed"), 0.0, "{json}");
    assert!(number(&json, "delivered_per_sec") > 0.0, "{json}");
    assert!(number(&json, "connections_per_sec") > 0.0, "{json}");
    let (p50, p99, max) = (
        number(&json, "latency_p50_us"),
        number(&json, "latency_p99_us"),
        number(&json, "latency_max_us"),
    );
    assert!(p50 <= p99 && p99 <= max, "{json}");
    assert!(number(&json, "broker_rss_kb") > 0.0, "{json}");
    json
}

#[test]
fn persistent_fanin_qos1_on_the_store_delivers_every_message() {
    // The broker persists by default: --persistent sessions make it write every delivery.
    let broker = Broker::start();
    let output = bench(
        &broker,
        &[
            "fanin",
            "-c",
            "3",
            "-n",
            "200",
            "-q",
            "1",
            "-V",
            "5",
            "--persistent",
        ],
    );
    check_lossless(&output, 600.0);
}

#[test]
fn pairs_qos1_delivers_every_message() {
    let broker = Broker::start();
    let output = bench(&broker, &["pairs", "-c", "2", "-n", "200", "-q", "1"]);
    let json = check_lossless(&output, 400.0);
    assert_eq!(field(&json, "scenario"), "\"pairs\"");
    assert_eq!(number(&json, "sent"), 400.0);
}

#[test]
fn fanin_qos0_and_qos2_deliver_every_message() {
    let broker = Broker::start();
    let output = bench(&broker, &["fanin", "-c", "3", "-n", "100", "-q", "0"]);
    check_lossless(&output, 300.0);
    let output = bench(
        &broker,
        &["fanin", "-c", "3", "-n", "100", "-q", "2", "-V", "5"],
    );
    check_lossless(&output, 300.0);
}

#[test]
fn fanout_multiplies_deliveries() {
    let broker = Broker::start();
    let output = bench(
        &broker,
        &["fanout", "-c", "4", "-n", "50", "-q", "1", "-s", "100"],
    );
    check_lossless(&output, 200.0);
}

#[test]
fn a_slow_subscriber_takes_at_most_its_rate_and_loses_nothing_here() {
    let broker = Broker::start();
    let started = Instant::now();
    // 2 x 60 QoS 1 messages, taken at 200 a second: at least 0.6 s.
    let output = bench(
        &broker,
        &[
            "fanin",
            "-c",
            "2",
            "-n",
            "60",
            "-q",
            "1",
            "--sub-rate",
            "200",
            "--drain",
            "1",
        ],
    );
    let took = started.elapsed();
    check_lossless(&output, 120.0);
    assert!(
        took >= Duration::from_millis(550),
        "paced at 200/s, took {took:?}"
    );
}

#[test]
fn conn_holds_its_connections() {
    let broker = Broker::start();
    let output = bench(&broker, &["conn", "-c", "50", "-d", "0.2"]);
    let json = String::from_utf8(output.stdout).expect("utf-8");
    assert_eq!(number(&json, "connections"), 50.0, "{json}");
    assert_eq!(number(&json, "held"), 50.0, "{json}");
    assert!(number(&json, "connections_per_sec") > 0.0, "{json}");
}

#[test]
fn conn_bare_holds_its_connections_in_each_version() {
    let broker = Broker::start();
    for version in ["3", "4", "5"] {
        let output = bench(
            &broker,
            &["conn", "--bare", "-c", "40", "-d", "0.2", "-V", version],
        );
        let json = String::from_utf8(output.stdout).expect("utf-8");
        assert_eq!(number(&json, "connections"), 40.0, "MQTT {version}: {json}");
        assert_eq!(number(&json, "held"), 40.0, "MQTT {version}: {json}");
        assert!(number(&json, "connections_per_sec") > 0.0, "{json}");
    }
}

#[test]
fn bare_is_only_for_conn_over_tcp() {
    for (args, says) in [
        (&["pairs", "--bare"][..], "only the conn scenario"),
        (&["conn", "--bare", "--ws"][..], "plain TCP"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_roost"))
            .arg("bench")
            .args(args)
            .args(["-p", "1"])
            .output()
            .expect("run roost bench");
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn payload_smaller_than_its_header_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_roost"))
        .args(["bench", "pairs", "-s", "8", "-p", "1"])
        .output()
        .expect("run roost bench");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at least 16 bytes"), "{stderr}");
}
