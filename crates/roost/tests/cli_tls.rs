//! `roost pub` / `roost sub` over TLS next to `mosquitto_pub` / `mosquitto_sub`, against a real
//! Mosquitto broker with a TLS listener: messages cross between the two tools both ways
//! (`--cafile`, `--capath`, `-L mqtts://`), mutual TLS with `--cert`/`--key` for each key form,
//! and the refusals — no client certificate, the wrong CA, a certificate for another name —
//! with Mosquitto's exit codes and a message that says what failed. `--insecure` forgives only
//! the name.
//!
//! Where Mosquitto's own exit code depends on a race (whether its non-blocking handshake fails
//! inside its connect call, exit 1, or in its loop, 7 or 8), Roost's is the one Mosquitto gives
//! most often and the test accepts either of Mosquitto's.

mod support;

#[path = "../../roost-client/tests/certs/mod.rs"]
mod certs;

use std::path::Path;

use certs::Certs;
use support::{have_mosquitto_clients, roost, run, text, tool, LoggingBroker, Running};

/// A Mosquitto logging to a file, with its listener TLS with `cert`/`key`.
fn tls_broker(certs: &Certs, cert: &Path, key: &Path, mutual: bool) -> Option<LoggingBroker> {
    LoggingBroker::start(&certs.mosquitto_listener(cert, key, mutual))
}

/// `args` with `-h 127.0.0.1 -p PORT` in front.
fn at(broker: &LoggingBroker, args: &[&str]) -> Vec<String> {
    ["-h", "127.0.0.1", "-p", &broker.port()]
        .iter()
        .chain(args)
        .map(|s| (*s).to_owned())
        .collect()
}

fn roost_cmd(command: &str, args: &[String]) -> std::process::Command {
    let mut all = vec![command];
    all.extend(args.iter().map(String::as_str));
    roost(&all)
}

fn mosquitto_cmd(command: &str, args: &[String]) -> std::process::Command {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tool(&format!("mosquitto_{command}"), &args)
}

#[test]
fn messages_cross_between_roost_and_mosquitto_tools_over_tls() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(certs) = Certs::make("cli-cross") else {
        return;
    };
    let Some(broker) = tls_broker(&certs, &certs.server_cert, &certs.server_key, false) else {
        return;
    };
    let ca = Certs::arg(&certs.ca);
    let capath = certs.dir.join("capath");
    std::fs::create_dir_all(&capath).expect("dir");
    std::fs::copy(&certs.ca, capath.join("ca.pem")).expect("copy");
    let sub = |id: &str| {
        at(
            &broker,
            &[
                "--cafile", ca, "-t", "tls/#", "-v", "-C", "4", "-W", "15", "-i", id,
            ],
        )
    };
    let ours = Running::spawn(roost_cmd("sub", &sub("roost-tls")));
    let theirs = Running::spawn(mosquitto_cmd("sub", &sub("mosq-tls")));
    broker.wait_subscribed(&["roost-tls".into(), "mosq-tls".into()]);
    let url = format!("mqtts://127.0.0.1:{}/tls/url", broker.port());
    let publishes = [
        roost_cmd(
            "pub",
            &at(
                &broker,
                &["--cafile", ca, "-t", "tls/roost", "-m", "one", "-q", "1"],
            ),
        ),
        mosquitto_cmd(
            "pub",
            &at(
                &broker,
                &["--cafile", ca, "-t", "tls/mosq", "-m", "two", "-q", "1"],
            ),
        ),
        roost_cmd(
            "pub",
            &at(
                &broker,
                &[
                    "--capath",
                    Certs::arg(&capath),
                    "-t",
                    "tls/capath",
                    "-m",
                    "three",
                ],
            ),
        ),
        roost_cmd(
            "pub",
            &[
                "-L".into(),
                url,
                "--cafile".into(),
                ca.into(),
                "-m".into(),
                "four".into(),
            ],
        ),
    ];
    for publish in publishes {
        let out = run(publish, b"");
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let expected = "tls/roost one\ntls/mosq two\ntls/capath three\ntls/url four\n";
    for (who, out) in [
        ("roost sub", ours.finish()),
        ("mosquitto_sub", theirs.finish()),
    ] {
        assert_eq!(text(&out.stdout), expected, "{who}: {}", text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{who}");
    }
}

#[test]
fn an_mqtts_url_subscribes_over_tls() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(certs) = Certs::make("cli-url") else {
        return;
    };
    let Some(broker) = tls_broker(&certs, &certs.server_cert, &certs.server_key, false) else {
        return;
    };
    let ca = Certs::arg(&certs.ca);
    let url = format!("mqtts://127.0.0.1:{}/url/topic", broker.port());
    let ours = Running::spawn(roost(&[
        "sub",
        "-L",
        &url,
        "--cafile",
        ca,
        "-C",
        "1",
        "-W",
        "15",
        "-v",
        "-i",
        "roost-url",
    ]));
    broker.wait_subscribed(&["roost-url".into()]);
    let out = run(
        tool(
            "mosquitto_pub",
            &["-L", &url, "--cafile", ca, "-m", "hello"],
        ),
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ours = ours.finish();
    assert_eq!(
        text(&ours.stdout),
        "url/topic hello\n",
        "{}",
        text(&ours.stderr)
    );
}

#[test]
fn mutual_tls_needs_cert_and_key_and_says_so_without_them() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(certs) = Certs::make("cli-mutual") else {
        return;
    };
    let Some(broker) = tls_broker(&certs, &certs.server_cert, &certs.server_key, true) else {
        return;
    };
    let ca = Certs::arg(&certs.ca);
    let (cert, key) = (
        Certs::arg(&certs.client_cert),
        Certs::arg(&certs.client_key),
    );
    let watcher = Running::spawn(mosquitto_cmd(
        "sub",
        &at(
            &broker,
            &[
                "--cafile", ca, "--cert", cert, "--key", key, "-t", "mtls/#", "-v", "-C", "3",
                "-W", "15", "-i", "watcher",
            ],
        ),
    ));
    broker.wait_subscribed(&["watcher".into()]);
    for (n, (cert, key)) in [
        (&certs.client_cert, &certs.client_key),
        (&certs.client_cert, &certs.client_key_sec1),
        (&certs.client_rsa_cert, &certs.client_rsa_key),
    ]
    .into_iter()
    .enumerate()
    {
        let topic = format!("mtls/{n}");
        let args = at(
            &broker,
            &[
                "--cafile",
                ca,
                "--cert",
                Certs::arg(cert),
                "--key",
                Certs::arg(key),
                "-t",
                &topic,
                "-m",
                "in",
            ],
        );
        let out = run(roost_cmd("pub", &args), b"");
        assert!(out.status.success(), "{key:?}: {}", text(&out.stderr));
    }
    let watched = watcher.finish();
    assert_eq!(text(&watched.stdout), "mtls/0 in\nmtls/1 in\nmtls/2 in\n");

    for command in ["pub", "sub"] {
        let extra: &[&str] = if command == "pub" {
            &["-m", "m"]
        } else {
            &["-W", "5"]
        };
        let args = at(
            &broker,
            &[&["--cafile", ca, "-t", "mtls/x"][..], extra].concat(),
        );
        let ours = run(roost_cmd(command, &args), b"");
        let theirs = run(mosquitto_cmd(command, &args), b"");
        let stderr = text(&ours.stderr);
        assert_eq!(ours.status.code(), Some(7), "roost {command}: {stderr}");
        assert!(
            matches!(theirs.status.code(), Some(1 | 7)),
            "mosquitto_{command}: {:?} {}",
            theirs.status.code(),
            text(&theirs.stderr)
        );
        assert_eq!(
            stderr.lines().next(),
            Some(
                format!(
                    "Error: TLS handshake with 127.0.0.1:{} failed: the broker requires a client \
                     certificate (received fatal alert: CertificateRequired)",
                    broker.port()
                )
                .as_str()
            ),
            "roost {command}"
        );
    }
}

#[test]
fn the_wrong_ca_is_refused_with_exit_code_8_even_when_insecure() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(certs) = Certs::make("cli-wrongca") else {
        return;
    };
    let Some(broker) = tls_broker(&certs, &certs.server_cert, &certs.server_key, false) else {
        return;
    };
    let other = Certs::arg(&certs.other_ca);
    for insecure in [&[][..], &["--insecure"]] {
        for command in ["pub", "sub"] {
            let extra: &[&str] = if command == "pub" {
                &["-m", "m"]
            } else {
                &["-W", "5"]
            };
            let args = at(
                &broker,
                &[&["--cafile", other, "-t", "x"][..], extra, insecure].concat(),
            );
            let ours = run(roost_cmd(command, &args), b"");
            let theirs = run(mosquitto_cmd(command, &args), b"");
            assert_eq!(ours.status.code(), Some(8), "roost {command} {insecure:?}");
            assert!(
                matches!(theirs.status.code(), Some(1 | 8)),
                "mosquitto_{command}"
            );
            assert_eq!(
                text(&ours.stderr),
                format!(
                    "Error: TLS handshake with 127.0.0.1:{} failed: invalid peer certificate: \
                     UnknownIssuer\n",
                    broker.port()
                )
            );
        }
    }
}

#[test]
fn insecure_accepts_a_certificate_for_another_name() {
    if !have_mosquitto_clients() {
        return;
    }
    let Some(certs) = Certs::make("cli-name") else {
        return;
    };
    let Some(broker) = tls_broker(&certs, &certs.wrong_name_cert, &certs.wrong_name_key, false)
    else {
        return;
    };
    let ca = Certs::arg(&certs.ca);
    let args = at(&broker, &["--cafile", ca, "-t", "name/x", "-m", "m"]);
    let ours = run(roost_cmd("pub", &args), b"");
    let theirs = run(mosquitto_cmd("pub", &args), b"");
    assert_eq!(ours.status.code(), Some(8));
    assert!(matches!(theirs.status.code(), Some(1 | 8)));
    assert!(
        text(&ours.stderr).contains(
            "certificate not valid for name \"127.0.0.1\"; certificate is only valid for \
             DnsName(\"elsewhere.example\")"
        ),
        "{}",
        text(&ours.stderr)
    );
    let sub = |id: &str| {
        at(
            &broker,
            &[
                "--cafile",
                ca,
                "--insecure",
                "-t",
                "name/#",
                "-v",
                "-C",
                "2",
                "-W",
                "15",
                "-i",
                id,
            ],
        )
    };
    let ours = Running::spawn(roost_cmd("sub", &sub("roost-name")));
    broker.wait_subscribed(&["roost-name".into()]);
    for (program, payload) in [("roost", "ours"), ("mosquitto", "theirs")] {
        let args = at(
            &broker,
            &["--cafile", ca, "--insecure", "-t", "name/x", "-m", payload],
        );
        let out = if program == "roost" {
            run(roost_cmd("pub", &args), b"")
        } else {
            run(mosquitto_cmd("pub", &args), b"")
        };
        assert!(out.status.success(), "{program}: {}", text(&out.stderr));
    }
    let ours = ours.finish();
    assert_eq!(
        text(&ours.stdout),
        "name/x ours\nname/x theirs\n",
        "{}",
        text(&ours.stderr)
    );
}
