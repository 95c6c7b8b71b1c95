//! `roost sub -F` against the real `mosquitto_sub -F`: both subscribe to the same Mosquitto
//! broker with the same format, the same messages are published with `mosquitto_pub` (text,
//! binary, empty, JSON, control characters, MQTT 5 properties, retained, QoS 0, 1 and 2), and
//! their outputs must be equal byte for byte. Fields that show the time differ run to run;
//! those formats are compared by shape (every digit read as `0`, the JSON `tst` blanked).

mod support;

use std::process::Output;

use support::{have_mosquitto_clients, roost, text, tool, LoggingBroker, Running};

/// How to compare two outputs.
#[derive(Clone, Copy, PartialEq)]
enum Compare {
    Bytes,
    /// Time fields: digits are equal, and `"tst":"..."` is blanked (Mosquitto 2.0.11 writes
    /// `...123456Z+0000`, 2.0.13 and later `...123456+0000`, as Roost does).
    Shape,
}

/// Formats (with extra flags) compared; each runs as its own pair of subscribers.
const CASES: &[(&[&str], Compare)] = &[
    (&["-F", "%t %p"], Compare::Bytes),
    (&["-F", "%t|%l|%q|%r|%m|%%"], Compare::Bytes),
    (&["-F", "%x"], Compare::Bytes),
    (&["-F", "%X", "-N"], Compare::Bytes),
    (
        &["-F", "[%-20t][%20t][%.4t][%-8.3t][%8.3t]"],
        Compare::Bytes,
    ),
    (
        &["-F", "[%10p][%-10p][%010p][%.3p][%-p][%3p]"],
        Compare::Bytes,
    ),
    (&["-F", "[%08l][%-8l][%8m][%-05m][%05q]"], Compare::Bytes),
    (&["-F", "[%12x][%-12X][%3x][%012x]"], Compare::Bytes),
    (&["-F", "%C|%R|%D|%E|%F|%P|%A|%S"], Compare::Bytes),
    (
        &["-F", "[%15C][%-15R][%05E][%-5F][%5A][%05S][%.3C][%-05A]"],
        Compare::Bytes,
    ),
    (&["-F", "%j"], Compare::Shape),
    (&["-F", "%J"], Compare::Shape),
    (&["-F", "%j", "--pretty"], Compare::Shape),
    (
        &[
            "-F",
            "%j|%S",
            "-D",
            "subscribe",
            "subscription-identifier",
            "9",
        ],
        Compare::Shape,
    ),
    (&["-F", "%J", "--pretty"], Compare::Shape),
    (&["-F", r"%%|\t|\\|\e|\0|\a|\r|\v|@@|%t"], Compare::Bytes),
    (
        &[
            "-F",
            "%I|%U|@Y-@m-@dT@H:@M:@S.@N @s @z @Z @a @A @b @B @j @e @k @I @p @F @T @Q",
        ],
        Compare::Shape,
    ),
    (&["-F", "[%30I][%-30I][%.10I]"], Compare::Shape),
];

/// Messages sent to every pair, in order; the first is retained and published before anyone
/// subscribes. The QoS 2 message is last: libmosquitto prints it at PUBREL, so a later message
/// could overtake it in `mosquitto_sub`'s output.
fn messages(dir: &std::path::Path) -> Vec<Vec<String>> {
    let binary = dir.join("binary.bin");
    std::fs::write(&binary, (0..=255u8).collect::<Vec<u8>>()).expect("binary payload");
    let control = dir.join("control.bin");
    std::fs::write(
        &control,
        b"tab\there \"quote\" back\\slash \x01\x1f\x7f caf\xc3\xa9",
    )
    .expect("control payload");
    let owned = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    vec![
        owned(&["-t", "fmt/text", "-m", "hello world", "-q", "0"]),
        owned(&[
            "-t",
            "fmt/bin",
            "-f",
            binary.to_str().expect("utf8"),
            "-q",
            "1",
        ]),
        owned(&["-t", "fmt/empty", "-n", "-q", "1"]),
        owned(&[
            "-t",
            "fmt/json",
            "-m",
            r#" {"a": [1, 2.50, -0.0, 1e3, "x\u00e9\n"], "b": null, "c": true, "d": {}} "#,
            "-q",
            "1",
        ]),
        owned(&[
            "-t",
            "fmt/props",
            "-m",
            "[1,2]",
            "-q",
            "1",
            "-V",
            "5",
            "-D",
            "publish",
            "payload-format-indicator",
            "1",
            "-D",
            "publish",
            "content-type",
            "text/plain",
            "-D",
            "publish",
            "response-topic",
            "reply/to",
            "-D",
            "publish",
            "correlation-data",
            "corr-42",
            "-D",
            "publish",
            "user-property",
            "k1",
            "v1",
            "-D",
            "publish",
            "user-property",
            "k 2",
            "v \"2\"",
            "-D",
            "publish",
            "message-expiry-interval",
            "3600",
        ]),
        owned(&[
            "-t",
            "fmt/control",
            "-f",
            control.to_str().expect("utf8"),
            "-q",
            "1",
        ]),
        owned(&["-t", "fmt/last", "-m", "exactly once", "-q", "2"]),
    ]
}

const RETAINED: &[&str] = &["-t", "fmt/retained", "-m", "kept", "-r", "-q", "1"];

fn normalise(bytes: &[u8], compare: Compare) -> Vec<u8> {
    if compare == Compare::Bytes {
        return bytes.to_vec();
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let tst: &[&[u8]] = &[b"\"tst\":\"", b"\"tst\":\t\""];
    while i < bytes.len() {
        if let Some(prefix) = tst.iter().find(|p| bytes[i..].starts_with(p)) {
            out.extend_from_slice(prefix);
            i += prefix.len();
            while i < bytes.len() && bytes[i] != b'"' {
                i += 1;
            }
            out.extend_from_slice(b"TIME");
            continue;
        }
        out.push(if bytes[i].is_ascii_digit() {
            b'0'
        } else {
            bytes[i]
        });
        i += 1;
    }
    out
}

#[test]
fn formats_print_what_mosquitto_sub_prints() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(broker) = LoggingBroker::start("") else {
        return;
    };
    let p = broker.port();
    let common = ["-h", "127.0.0.1", "-p", &p];
    let out = support::run(
        tool("mosquitto_pub", &[&common[..], RETAINED].concat()),
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let messages = messages(broker.broker.dir());
    let count = (messages.len() + 1).to_string();

    let mut pairs = Vec::new();
    let mut ids = Vec::new();
    for (n, (flags, compare)) in CASES.iter().enumerate() {
        let ours_id = format!("roost-fmt-{n}");
        let theirs_id = format!("mosq-fmt-{n}");
        let sub = |id: &str| -> Vec<String> {
            let fixed = [
                "-t", "fmt/#", "-q", "2", "-V", "5", "-C", &count, "-W", "15", "-i", id,
            ];
            [&common[..], &fixed[..], flags]
                .concat()
                .iter()
                .map(|a| a.to_string())
                .collect()
        };
        let ours_args = sub(&ours_id);
        let theirs_args = sub(&theirs_id);
        let ours_refs: Vec<&str> = ours_args.iter().map(String::as_str).collect();
        let theirs_refs: Vec<&str> = theirs_args.iter().map(String::as_str).collect();
        let ours = Running::spawn(roost(&[&["sub"], &ours_refs[..]].concat()));
        let theirs = Running::spawn(tool("mosquitto_sub", &theirs_refs));
        pairs.push((flags, *compare, ours, theirs));
        ids.push(ours_id);
        ids.push(theirs_id);
    }
    broker.wait_subscribed(&ids);
    for args in &messages {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = support::run(
            tool("mosquitto_pub", &[&common[..], &args[..]].concat()),
            b"",
        );
        assert!(
            out.status.success(),
            "mosquitto_pub {args:?}: {}",
            text(&out.stderr)
        );
    }
    let mut failures = Vec::new();
    for (flags, compare, ours, theirs) in pairs {
        let (ours, theirs): (Output, Output) = (ours.finish(), theirs.finish());
        assert_eq!(theirs.status.code(), Some(0), "mosquitto_sub {flags:?}");
        if ours.status.code() != Some(0)
            || normalise(&ours.stdout, compare) != normalise(&theirs.stdout, compare)
            || ours.stderr != theirs.stderr
        {
            failures.push(format!(
                "{flags:?}: exit {:?}\n--- roost stdout\n{}\n--- mosquitto_sub stdout\n{}\n--- roost stderr\n{}\n--- mosquitto_sub stderr\n{}",
                ours.status.code(),
                text(&ours.stdout).escape_debug(),
                text(&theirs.stdout).escape_debug(),
                text(&ours.stderr),
                text(&theirs.stderr),
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
