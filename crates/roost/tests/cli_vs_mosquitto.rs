//! `roost pub` / `roost sub` against `mosquitto_pub` / `mosquitto_sub` on the same Mosquitto
//! broker: exit codes and messages (success, refused, `-W` timeout, unknown option, nothing
//! listening, argument mistakes, TLS flag mistakes), MQTT 5 properties set with `-D`, `-L` URLs,
//! and reconnecting after the broker restarts. TLS connections themselves are in `cli_tls.rs`.

mod support;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{
    free_port, have_mosquitto_clients, roost, run, text, tool, LoggingBroker, Mosquitto, Running,
};

fn first_line(out: &Output) -> String {
    text(&out.stderr)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Runs `roost COMMAND args` and `mosquitto_COMMAND args`; asserts equal exit codes and equal
/// stderr (its first line with `first_only`: the usage hint names the program).
fn same_exit(command: &str, args: &[&str], first_only: bool) -> Option<i32> {
    let ours = run(roost(&[&[command], args].concat()), b"");
    let theirs = run(tool(&format!("mosquitto_{command}"), args), b"");
    assert_eq!(
        ours.status.code(),
        theirs.status.code(),
        "{command} {args:?}: {} / {}",
        text(&ours.stderr),
        text(&theirs.stderr)
    );
    if first_only {
        assert_eq!(first_line(&ours), first_line(&theirs), "{command} {args:?}");
    } else {
        assert_eq!(
            text(&ours.stderr),
            text(&theirs.stderr),
            "{command} {args:?}"
        );
    }
    ours.status.code()
}

#[test]
fn exit_codes_match_mosquittos() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(open) = Mosquitto::start() else {
        return;
    };
    let Some(locked) = Mosquitto::start_with("allow_anonymous false") else {
        return;
    };
    let p = open.port.to_string();
    let lp = locked.port.to_string();
    let nothing = free_port().to_string();
    let h = "127.0.0.1";
    let cases: [(&str, Vec<&str>, bool, i32); 8] = [
        ("sub", vec!["-h", h, "-p", &p, "-t", "x", "-E"], false, 0),
        (
            "pub",
            vec!["-h", h, "-p", &p, "-t", "x", "-m", "m"],
            false,
            0,
        ),
        ("sub", vec!["-h", h, "-p", &lp, "-t", "x"], false, 5),
        (
            "sub",
            vec!["-h", h, "-p", &lp, "-t", "x", "-V", "5"],
            false,
            135,
        ),
        (
            "pub",
            vec!["-h", h, "-p", &lp, "-t", "x", "-m", "m"],
            false,
            5,
        ),
        (
            "sub",
            vec!["-h", h, "-p", &p, "-t", "x", "-W", "1"],
            false,
            27,
        ),
        ("sub", vec!["-h", h, "-p", &nothing, "-t", "x"], false, 1),
        (
            "pub",
            vec!["-h", h, "-p", &nothing, "-t", "x", "-m", "m"],
            false,
            1,
        ),
    ];
    for (command, args, first_only, expected) in cases {
        let code = same_exit(command, &args, first_only);
        assert_eq!(code, Some(expected), "{command} {args:?}");
    }
}

#[test]
fn argument_mistakes_exit_1_with_mosquittos_first_line() {
    if !have_mosquitto_clients() {
        return;
    }
    let cases: [(&str, &[&str]); 27] = [
        ("sub", &["--bogus", "-t", "x"]),
        ("pub", &["-t", "x", "-m", "m", "--nonsense"]),
        ("sub", &["-t", "x", "-v", "-l"]),
        ("sub", &["-t", "x", "-x", "abc"]),
        ("sub", &["-t", "x", "-x", "4294967296"]),
        ("sub", &["-t", "x", "-V", "5", "-x", "-1"]),
        ("sub", &["-t", "x", "-i", "a", "-I", "b"]),
        ("sub", &["-t", "x", "-R", "--retained-only"]),
        ("sub", &["-t", "x", "--random-filter", "0"]),
        ("sub", &["-t", "x", "-F", "%y"]),
        ("sub", &["-t", "x", "-F", "abc%"]),
        ("sub", &["-t", "x", "-F", "\\q"]),
        ("sub", &["-t", "x", "-D", "sub", "user-property", "a", "b"]),
        ("sub", &["-t", "x", "-D", "subscribe", "colour", "red"]),
        ("sub", &["-t", "x", "-D", "subscribe", "content-type", "t"]),
        (
            "pub",
            &[
                "-t",
                "x",
                "-m",
                "m",
                "-D",
                "publish",
                "subscription-identifier",
                "1",
            ],
        ),
        (
            "pub",
            &[
                "-t",
                "x",
                "-m",
                "m",
                "-D",
                "publish",
                "payload-format-indicator",
                "300",
            ],
        ),
        (
            "pub",
            &[
                "-t",
                "x",
                "-m",
                "m",
                "-D",
                "connect",
                "receive-maximum",
                "0",
            ],
        ),
        ("pub", &["-L", "http://localhost/x", "-m", "m"]),
        ("pub", &["-L", "mqtt://localhost", "-m", "m"]),
        ("sub", &["-L", "mqtt://localhost/a/#/b"]),
        ("pub", &["-t", "x", "-m", "m", "-M", "0"]),
        // TLS: a certificate needs its key and a key its certificate; a missing CA file; an
        // unknown TLS version (mosquitto_pub checks the pairing before it looks at any file).
        (
            "pub",
            &["-t", "x", "-m", "m", "--cert", "/nonexistent/c.crt"],
        ),
        ("sub", &["-t", "x", "--key", "/nonexistent/c.key"]),
        (
            "pub",
            &[
                "-t",
                "x",
                "-m",
                "m",
                "--cafile",
                "/nonexistent/ca.crt",
                "--key",
                "k",
            ],
        ),
        ("sub", &["-t", "x", "--cafile", "/nonexistent/ca.crt"]),
        ("pub", &["-t", "x", "-m", "m", "--tls-version", "tlsv1.0"]),
    ];
    for (command, args) in cases {
        let code = same_exit(command, args, true);
        assert_eq!(code, Some(1), "{command} {args:?}");
    }
}

#[test]
fn dash_d_properties_arrive_as_mosquitto_pubs_do() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(broker) = LoggingBroker::start("") else {
        return;
    };
    let p = broker.port();
    let common = ["-h", "127.0.0.1", "-p", &p];
    let format = "%t|%C|%R|%D|%E|%F|%P|%S|%p";
    let sub_args = |id: &'static str| {
        vec![
            "-t",
            "props/#",
            "-C",
            "2",
            "-W",
            "10",
            "-V",
            "5",
            "-i",
            id,
            "-F",
            format,
            "-D",
            "subscribe",
            "subscription-identifier",
            "77",
        ]
    };
    let ours = Running::spawn(roost(
        &[&["sub"], &common[..], &sub_args("roost-props")].concat(),
    ));
    let theirs = Running::spawn(tool(
        "mosquitto_sub",
        &[&common[..], &sub_args("mosq-props")].concat(),
    ));
    broker.wait_subscribed(&["roost-props".into(), "mosq-props".into()]);
    let publish = |topic: &'static str| {
        vec![
            "-t",
            topic,
            "-m",
            "body",
            "-q",
            "1",
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
            "re/ply",
            "-D",
            "publish",
            "correlation-data",
            "c-9",
            "-D",
            "publish",
            "user-property",
            "k",
            "v",
            "-D",
            "publish",
            "message-expiry-interval",
            "600",
        ]
    };
    let out = run(
        roost(&[&["pub"], &common[..], &publish("props/roost")].concat()),
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        tool(
            "mosquitto_pub",
            &[&common[..], &publish("props/mosq")].concat(),
        ),
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (ours, theirs) = (ours.finish(), theirs.finish());
    let expected = "props/roost|text/plain|re/ply|c-9|600|1|k:v|77|body\n\
                    props/mosq|text/plain|re/ply|c-9|600|1|k:v|77|body\n";
    assert_eq!(text(&theirs.stdout), expected, "mosquitto_sub");
    assert_eq!(text(&ours.stdout), expected, "roost sub");
    assert_eq!(ours.status.code(), Some(0));
}

#[test]
fn urls_name_broker_credentials_and_topic() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(broker) = LoggingBroker::start("") else {
        return;
    };
    let p = broker.port();
    let url = format!("mqtt://someone:secret@127.0.0.1:{p}/url/topic");
    let ours = Running::spawn(roost(&[
        "sub",
        "-L",
        &url,
        "-C",
        "2",
        "-W",
        "10",
        "-v",
        "-i",
        "roost-url",
    ]));
    broker.wait_subscribed(&["roost-url".into()]);
    let out = run(roost(&["pub", "-L", &url, "-m", "from roost"]), b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        tool("mosquitto_pub", &["-L", &url, "-m", "from mosquitto"]),
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ours = ours.finish();
    assert_eq!(
        text(&ours.stdout),
        "url/topic from roost\nurl/topic from mosquitto\n"
    );
}

/// A Mosquitto broker on a given port (so it can come back on the same one), killed on drop.
struct BrokerOnPort {
    child: std::process::Child,
    conf: std::path::PathBuf,
}

impl BrokerOnPort {
    fn start(port: u16) -> BrokerOnPort {
        let conf = std::env::temp_dir().join(format!(
            "roost-reconnect-{}-{port}.conf",
            std::process::id()
        ));
        std::fs::write(
            &conf,
            format!("listener {port} 127.0.0.1\nallow_anonymous true\n"),
        )
        .expect("conf");
        let child = Command::new(support::MOSQUITTO)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto");
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "mosquitto did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        BrokerOnPort { child, conf }
    }
}

impl Drop for BrokerOnPort {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.conf);
    }
}

#[test]
fn sub_reconnects_when_the_broker_comes_back_as_mosquitto_sub_does() {
    if !have_mosquitto_clients() || !std::path::Path::new(support::MOSQUITTO).exists() {
        eprintln!("SKIPPED: Mosquitto is not installed");
        return;
    }
    let port = free_port();
    let p = port.to_string();
    let first = BrokerOnPort::start(port);
    let args = |id: &'static str| {
        vec![
            "-h",
            "127.0.0.1",
            "-p",
            &p,
            "-t",
            "again/#",
            "-v",
            "-C",
            "1",
            "-W",
            "15",
            "-i",
            id,
        ]
    };
    let ours = Running::spawn(roost(&[&["sub"][..], &args("roost-again")].concat()));
    let theirs = Running::spawn(tool("mosquitto_sub", &args("mosq-again")));
    std::thread::sleep(Duration::from_millis(500));
    drop(first);
    // Both keep trying once a second; bring the broker back and publish until both print.
    std::thread::sleep(Duration::from_millis(1500));
    let _second = BrokerOnPort::start(port);
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut ours, mut theirs) = (Some(ours), Some(theirs));
    let mut outputs = Vec::new();
    while ours.is_some() || theirs.is_some() {
        assert!(Instant::now() < deadline, "a subscriber did not come back");
        let out = run(
            tool(
                "mosquitto_pub",
                &["-h", "127.0.0.1", "-p", &p, "-t", "again/x", "-m", "back"],
            ),
            b"",
        );
        assert!(out.status.success());
        std::thread::sleep(Duration::from_millis(200));
        for slot in [&mut ours, &mut theirs] {
            if slot.as_mut().is_some_and(|r| !r.is_running()) {
                outputs.push(slot.take().expect("present").finish());
            }
        }
    }
    for out in outputs {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "again/x back\n");
        assert_eq!(text(&out.stderr), "");
    }
}

#[test]
fn retain_as_published_and_unsubscribe_behave_as_in_mosquitto_sub() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(broker) = LoggingBroker::start("") else {
        return;
    };
    let p = broker.port();
    let common = [
        "-h",
        "127.0.0.1",
        "-p",
        &p,
        "-V",
        "5",
        "-W",
        "10",
        "-F",
        "%t %r",
    ];
    let spawn = |program: &str, id: &'static str, extra: &[&'static str]| {
        let args = [&common[..], &["-t", "rap/#", "-C", "1", "-i", id], extra].concat();
        if program == "roost" {
            Running::spawn(roost(&[&["sub"], &args[..]].concat()))
        } else {
            Running::spawn(tool(program, &args))
        }
    };
    let subs = [
        spawn("roost", "roost-rap", &["--retain-as-published"]),
        spawn("mosquitto_sub", "mosq-rap", &["--retain-as-published"]),
        spawn("roost", "roost-plain", &[]),
        spawn("mosquitto_sub", "mosq-plain", &[]),
    ];
    broker.wait_subscribed(&[
        "roost-rap".into(),
        "mosq-rap".into(),
        "roost-plain".into(),
        "mosq-plain".into(),
    ]);
    let out = run(
        tool(
            "mosquitto_pub",
            &["-h", "127.0.0.1", "-p", &p, "-t", "rap/x", "-m", "r", "-r"],
        ),
        b"",
    );
    assert!(out.status.success());
    let printed: Vec<String> = subs.into_iter().map(|s| text(&s.finish().stdout)).collect();
    assert_eq!(
        printed,
        ["rap/x 1\n", "rap/x 1\n", "rap/x 0\n", "rap/x 0\n"]
    );
    // Subscribing and then unsubscribing (-U) the same filter leaves nothing to print.
    let args = [
        "-h",
        "127.0.0.1",
        "-p",
        &p,
        "-t",
        "gone/#",
        "-U",
        "gone/#",
        "-W",
        "1",
    ];
    assert_eq!(same_exit("sub", &args, false), Some(27));
}

#[test]
fn timing_out_in_mqtt_5_publishes_the_will_as_mosquitto_sub_does() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(broker) = LoggingBroker::start("") else {
        return;
    };
    let p = broker.port();
    let watcher = Running::spawn(tool(
        "mosquitto_sub",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &p,
            "-t",
            "will/#",
            "-v",
            "-W",
            "5",
            "-i",
            "watcher",
        ],
    ));
    broker.wait_subscribed(&["watcher".into()]);
    for version in ["5", "311"] {
        for (program, name) in [("roost", "roost"), ("mosquitto_sub", "mosq")] {
            let topic = format!("will/{name}/{version}");
            let args = [
                "-h",
                "127.0.0.1",
                "-p",
                &p,
                "-t",
                "nothing",
                "-W",
                "1",
                "-V",
                version,
                "--will-topic",
                &topic,
                "--will-payload",
                "gone",
            ];
            let out = if program == "roost" {
                run(roost(&[&["sub"][..], &args].concat()), b"")
            } else {
                run(tool(program, &args), b"")
            };
            assert_eq!(out.status.code(), Some(27), "{program} -V {version}");
        }
    }
    let mut lines: Vec<String> = text(&watcher.finish().stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    assert_eq!(lines, ["will/mosq/5 gone", "will/roost/5 gone"]);
}
