//! `roost cert` as people use it: the built binary writes into a fresh directory; the files'
//! modes, the refusal to overwrite and `--force` are checked on disk; `openssl` verifies the
//! chain, the purposes and the names; and Debian's real Mosquitto broker and `roost broker`,
//! each configured with the very lines `roost cert` prints, pass a message between
//! `mosquitto_pub` and `mosquitto_sub` run with the printed flags, while refusing clients
//! without a certificate or with one from another CA.
//!
//! Tests that need `openssl`, Mosquitto's broker or its clients skip with a message when they
//! are not installed (`./scripts/test` installs them).

mod support;

use std::fs;
use std::net::TcpStream;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use support::{free_port, have_mosquitto_clients, roost, run, text, tool, Mosquitto, Running};

const OPENSSL: &str = "/usr/bin/openssl";

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("roost-cert-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    /// The `certs` directory inside, as `--dir` gets it.
    fn certs(&self) -> PathBuf {
        self.0.join("certs")
    }

    fn certs_arg(&self) -> String {
        self.certs().display().to_string()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.certs().join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `roost cert args`.
fn cert(args: &[&str]) -> Output {
    run(roost(&[&["cert"], args].concat()), b"")
}

/// Runs `roost cert args` and asserts it succeeded.
fn cert_ok(args: &[&str]) -> String {
    let out = cert(args);
    assert!(
        out.status.success(),
        "roost cert {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Runs `roost cert args`, asserts it failed with nothing on stdout, returns stderr.
fn cert_err(args: &[&str]) -> String {
    let out = cert(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "roost cert {args:?} should fail"
    );
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    text(&out.stderr)
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

fn have_openssl() -> bool {
    let found = Path::new(OPENSSL).exists();
    if !found {
        eprintln!("SKIPPED: {OPENSSL} is not installed (apt-get install openssl)");
    }
    found
}

/// `openssl ARGS`: (success, stdout + stderr).
fn openssl(args: &[&str]) -> (bool, String) {
    let out = run(tool(OPENSSL, args), b"");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    (out.status.success(), all)
}

fn x509_text(path: &Path) -> String {
    let (ok, all) = openssl(&[
        "x509",
        "-in",
        &path.display().to_string(),
        "-noout",
        "-text",
    ]);
    assert!(ok, "{all}");
    all
}

#[test]
fn roost_cert_writes_a_ca_and_server_pair_with_keys_at_0600() {
    let tmp = TempDir::new("init");
    let stdout = cert_ok(&["--dir", &tmp.certs_arg()]);
    for (name, header, want) in [
        ("ca.crt", "-----BEGIN CERTIFICATE-----", 0o644),
        ("ca.key", "-----BEGIN PRIVATE KEY-----", 0o600),
        ("server.crt", "-----BEGIN CERTIFICATE-----", 0o644),
        ("server.key", "-----BEGIN PRIVATE KEY-----", 0o600),
    ] {
        let path = tmp.file(name);
        let body = fs::read_to_string(&path).expect(name);
        assert!(body.starts_with(header), "{name}: {body}");
        assert_eq!(mode(&path), want, "{name}");
        assert_eq!(
            fs::metadata(&path).expect("metadata").uid(),
            fs::metadata(&tmp.0).expect("metadata").uid()
        );
    }
    assert_eq!(fs::read_dir(tmp.certs()).expect("dir").count(), 4);
    let dir = fs::canonicalize(tmp.certs()).expect("canonical");
    for line in [
        "listener 8883".to_owned(),
        format!("certfile {}", dir.join("server.crt").display()),
        format!("keyfile {}", dir.join("server.key").display()),
        format!("cafile {}", dir.join("ca.crt").display()),
    ] {
        assert!(
            stdout.contains(&format!("\n  {line}\n")),
            "{line}:\n{stdout}"
        );
    }
    let sub = format!(
        "mosquitto_sub -h localhost -p 8883 --cafile {} -t test",
        dir.join("ca.crt").display()
    );
    assert!(stdout.contains(&sub), "{stdout}");
    assert!(stdout.contains("\n  roost sub -h localhost -p 8883 --cafile "));
    assert!(!stdout.contains("require_certificate true\n"), "{stdout}");
}

#[test]
fn init_with_a_relative_dir_prints_absolute_paths() {
    let tmp = TempDir::new("relative");
    let mut command = roost(&["cert", "init", "--client", "alice"]);
    command.current_dir(&tmp.0);
    let out = run(command, b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let dir = fs::canonicalize(tmp.certs()).expect("default dir ./certs");
    assert!(stdout.contains(&format!("\n  cafile {}/ca.crt\n", dir.display())));
    assert!(stdout.contains(&format!(
        "--cert {0}/alice.crt --key {0}/alice.key",
        dir.display()
    )));
    assert!(
        stdout.contains("\n  require_certificate true\n"),
        "{stdout}"
    );
    assert!(stdout.contains("\n  use_identity_as_username true\n"));
    assert_eq!(mode(&tmp.file("alice.key")), 0o600);
}

#[test]
fn existing_files_are_kept_without_force_and_replaced_with_it() {
    let tmp = TempDir::new("force");
    let dir = tmp.certs_arg();
    cert_ok(&["--dir", &dir]);
    let ca_before = fs::read(tmp.file("ca.crt")).expect("ca");
    let key_before = fs::read(tmp.file("server.key")).expect("key");

    let error = cert_err(&["--dir", &dir]);
    let ca_path = fs::canonicalize(tmp.file("ca.crt")).expect("ca path");
    assert!(
        error.starts_with(&format!(
            "Error: {} already exists; pass --force to replace it",
            ca_path.display()
        )),
        "{error}"
    );
    let error = cert_err(&["server", "--dir", &dir]);
    assert!(
        error.contains("server.crt already exists; pass --force"),
        "{error}"
    );
    let error = cert_err(&["ca", "--dir", &dir]);
    assert!(
        error.contains("ca.crt already exists; pass --force"),
        "{error}"
    );
    assert_eq!(fs::read(tmp.file("ca.crt")).expect("ca"), ca_before);
    assert_eq!(fs::read(tmp.file("server.key")).expect("key"), key_before);

    // A key someone made world-readable comes back at 0600 when replaced.
    fs::set_permissions(tmp.file("server.key"), fs::Permissions::from_mode(0o644)).expect("chmod");
    cert_ok(&["server", "--dir", &dir, "--force"]);
    assert_ne!(fs::read(tmp.file("server.key")).expect("key"), key_before);
    assert_eq!(mode(&tmp.file("server.key")), 0o600);
    assert_eq!(fs::read(tmp.file("ca.crt")).expect("ca"), ca_before);
    cert_ok(&["--dir", &dir, "--force"]);
    assert_ne!(fs::read(tmp.file("ca.crt")).expect("ca"), ca_before);
    assert_eq!(
        fs::read_dir(tmp.certs()).expect("dir").count(),
        4,
        "no temp files left"
    );
}

#[test]
fn a_refused_run_writes_nothing() {
    let tmp = TempDir::new("atomic");
    let dir = tmp.certs_arg();
    cert_ok(&["ca", "--dir", &dir]);
    fs::write(tmp.file("bob.key"), "mine").expect("bob.key");
    let error = cert_err(&["client", "bob", "--dir", &dir]);
    assert!(
        error.contains("bob.key already exists; pass --force"),
        "{error}"
    );
    assert!(!tmp.file("bob.crt").exists());
    assert_eq!(
        fs::read_to_string(tmp.file("bob.key")).expect("kept"),
        "mine"
    );
}

#[test]
fn openssl_verifies_the_chain_and_each_purpose() {
    if !have_openssl() {
        return;
    }
    let tmp = TempDir::new("verify");
    let dir = tmp.certs_arg();
    cert_ok(&["--dir", &dir, "--client", "alice"]);
    let ca = tmp.file("ca.crt").display().to_string();
    let server = tmp.file("server.crt").display().to_string();
    let alice = tmp.file("alice.crt").display().to_string();
    for (purpose, file) in [("sslserver", &server), ("sslclient", &alice)] {
        let (ok, all) = openssl(&["verify", "-purpose", purpose, "-CAfile", &ca, file]);
        assert!(ok && all.contains(": OK"), "{purpose} {file}: {all}");
    }
    let (ok, all) = openssl(&["verify", "-purpose", "sslclient", "-CAfile", &ca, &server]);
    assert!(
        !ok,
        "a server certificate must not pass as a client's: {all}"
    );
    let (ok, all) = openssl(&["verify", "-purpose", "sslserver", "-CAfile", &ca, &alice]);
    assert!(
        !ok,
        "a client certificate must not pass as a server's: {all}"
    );

    let named = TempDir::new("verify-cn");
    cert_ok(&["ca", "--dir", &named.certs_arg(), "--cn", "Acme MQTT CA"]);
    let named_text = x509_text(&named.file("ca.crt"));
    assert!(
        named_text.contains("Subject: CN = Acme MQTT CA"),
        "{named_text}"
    );
    assert!(
        named_text.contains("Issuer: CN = Acme MQTT CA"),
        "{named_text}"
    );

    let ca_text = x509_text(&tmp.file("ca.crt"));
    assert!(ca_text.contains("CA:TRUE, pathlen:0"), "{ca_text}");
    assert!(ca_text.contains("Certificate Sign, CRL Sign"), "{ca_text}");
    assert!(ca_text.contains("ASN1 OID: prime256v1"), "{ca_text}");
    assert!(ca_text.contains("Signature Algorithm: ecdsa-with-SHA256"));
    let alice_text = x509_text(&tmp.file("alice.crt"));
    assert!(alice_text.contains("Subject: CN = alice"), "{alice_text}");
    assert!(alice_text.contains("TLS Web Client Authentication"));
    assert!(alice_text.contains("CA:FALSE"));

    // Another CA's certificates do not verify against this one.
    let other = TempDir::new("verify-other");
    cert_ok(&["--dir", &other.certs_arg()]);
    let (ok, _) = openssl(&[
        "verify",
        "-CAfile",
        &ca,
        &other.file("server.crt").display().to_string(),
    ]);
    assert!(!ok);
}

#[test]
fn server_names_are_the_defaults_or_exactly_those_given() {
    if !have_openssl() {
        return;
    }
    let tmp = TempDir::new("sans");
    let dir = tmp.certs_arg();
    cert_ok(&["--dir", &dir]);
    let defaults = x509_text(&tmp.file("server.crt"));
    assert!(defaults.contains("DNS:localhost"), "{defaults}");
    assert!(defaults.contains("IP Address:127.0.0.1"), "{defaults}");
    assert!(
        defaults.contains("IP Address:0:0:0:0:0:0:0:1"),
        "{defaults}"
    );
    let host = fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    if !host.is_empty() && host != "localhost" && !host.contains('_') {
        assert!(
            defaults.contains(&format!("DNS:{host}")),
            "{host}: {defaults}"
        );
    }
    assert!(defaults.contains("TLS Web Server Authentication"));

    let stdout = cert_ok(&[
        "server",
        "--dir",
        &dir,
        "--force",
        "--name",
        "broker.example.com",
        "--name",
        "mqtt.internal",
        "--ip",
        "192.0.2.10",
        "--ip",
        "2001:db8::7",
    ]);
    let given = x509_text(&tmp.file("server.crt"));
    assert!(
        given.contains(
            "DNS:broker.example.com, DNS:mqtt.internal, IP Address:192.0.2.10, \
             IP Address:2001:DB8:0:0:0:0:0:7"
        ),
        "{given}"
    );
    assert!(!given.contains("localhost"), "{given}");
    assert!(
        given.contains("Subject: CN = broker.example.com"),
        "{given}"
    );
    assert!(
        stdout.contains("mosquitto_sub -h broker.example.com -p 8883"),
        "{stdout}"
    );
    let stdout = cert_ok(&["client", "carol", "--dir", &dir]);
    assert!(
        stdout.contains("mosquitto_pub -h broker.example.com -p 8883"),
        "{stdout}"
    );
}

#[test]
fn days_sets_the_validity_and_serials_are_random() {
    if !have_openssl() {
        return;
    }
    let tmp = TempDir::new("days");
    let dir = tmp.certs_arg();
    cert_ok(&["--dir", &dir, "--days", "30", "--ca-days", "400"]);
    let day = 86_400;
    let expires_within = |file: &str, days: u64| {
        let path = tmp.file(file).display().to_string();
        let seconds = (days * day).to_string();
        !openssl(&["x509", "-in", &path, "-noout", "-checkend", &seconds]).0
    };
    assert!(!expires_within("server.crt", 29) && expires_within("server.crt", 31));
    assert!(!expires_within("ca.crt", 399) && expires_within("ca.crt", 401));

    let other = TempDir::new("days-default");
    cert_ok(&["--dir", &other.certs_arg(), "--client", "dave"]);
    let expires_other = |file: &str, days: u64| {
        let path = other.file(file).display().to_string();
        let seconds = (days * day).to_string();
        !openssl(&["x509", "-in", &path, "-noout", "-checkend", &seconds]).0
    };
    assert!(!expires_other("ca.crt", 3649) && expires_other("ca.crt", 3651));
    assert!(!expires_other("server.crt", 824) && expires_other("server.crt", 826));
    assert!(!expires_other("dave.crt", 824) && expires_other("dave.crt", 826));

    let serial = |path: PathBuf| {
        let (ok, all) = openssl(&[
            "x509",
            "-in",
            &path.display().to_string(),
            "-noout",
            "-serial",
        ]);
        assert!(ok, "{all}");
        all.trim().to_owned()
    };
    let serials = [
        serial(tmp.file("ca.crt")),
        serial(tmp.file("server.crt")),
        serial(other.file("ca.crt")),
        serial(other.file("server.crt")),
        serial(other.file("dave.crt")),
    ];
    for (i, s) in serials.iter().enumerate() {
        assert_eq!(s.len(), "serial=".len() + 32, "{s}");
        assert!(!serials[..i].contains(s), "{serials:?}");
    }

    let error = cert_err(&["ca", "--dir", &dir, "--days", "0"]);
    assert!(error.contains("--days"), "{error}");
}

#[test]
fn errors_name_the_path_or_flag_and_the_fix() {
    let tmp = TempDir::new("errors");
    let dir = tmp.certs_arg();

    let error = cert_err(&["server", "--dir", &dir]);
    let ca = tmp.file("ca.crt");
    assert!(
        !tmp.certs().exists(),
        "a refused run made {}",
        tmp.certs().display()
    );
    assert!(
        error.contains(&format!("cannot read the CA from {}", ca.display()))
            && error.contains("roost cert ca --dir"),
        "{error}"
    );
    let error = cert_err(&["client", "alice", "--dir", &dir]);
    assert!(
        error.contains("make a CA first with `roost cert ca"),
        "{error}"
    );

    let error = cert_err(&["server", "--dir", &dir, "--ip", "localhost"]);
    assert!(
        error.contains("--ip") && error.contains("\"localhost\" is not an IP address"),
        "{error}"
    );
    assert!(error.contains("--name"), "{error}");
    let error = cert_err(&["--dir", &dir, "--name", "10.1.2.3"]);
    assert!(error.contains("give it with --ip 10.1.2.3"), "{error}");
    let error = cert_err(&["--dir", &dir, "--name", "bad_name"]);
    assert!(error.contains("is not a host name"), "{error}");
    let error = cert_err(&["client", "../escape", "--dir", &dir]);
    assert!(error.contains("is not a client name"), "{error}");
    let error = cert_err(&["client", "ca", "--dir", &dir]);
    assert!(error.contains("pick another client name"), "{error}");

    // A directory that cannot be made: its parent is a file (root can write anywhere, so a
    // permission test would not fail under root).
    let file = tmp.0.join("a-file");
    fs::write(&file, "").expect("file");
    let blocked = file.join("certs");
    let error = cert_err(&["--dir", &blocked.display().to_string()]);
    assert!(
        error.contains(&format!(
            "cannot create the directory {}",
            blocked.display()
        )) && error.contains("--dir"),
        "{error}"
    );

    // A CA key that does not belong to the CA certificate.
    cert_ok(&["ca", "--dir", &dir]);
    let other = TempDir::new("errors-other");
    cert_ok(&["ca", "--dir", &other.certs_arg()]);
    fs::copy(other.file("ca.key"), tmp.file("ca.key")).expect("swap key");
    let error = cert_err(&["server", "--dir", &dir]);
    assert!(error.contains("ca.key is not the key of"), "{error}");
    fs::write(tmp.file("ca.key"), "garbage").expect("garbage key");
    let error = cert_err(&["server", "--dir", &dir]);
    assert!(
        error.contains("ca.key is not a PKCS#8 private key"),
        "{error}"
    );
}

/// The `mosquitto.conf` lines `roost cert` printed, for a broker on a test port: the
/// `listener 8883` line is left to the caller (which listens on 127.0.0.1 and a free port)
/// and comments are dropped.
fn printed_conf(stdout: &str) -> String {
    let start = stdout
        .find("\nIn mosquitto.conf")
        .expect("printed mosquitto.conf lines");
    let block = stdout[start..]
        .lines()
        .skip(2)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty());
    let conf: Vec<&str> = block
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with("listener "))
        .collect();
    assert!(conf.iter().any(|l| l.starts_with("certfile ")), "{conf:?}");
    conf.join("\n")
}

/// `printed_conf` for Mosquitto: with `user root` when the tests run as root, because
/// Mosquitto started as root reads the key as user `mosquitto`, and the key is 0600.
fn mosquitto_conf(stdout: &str) -> String {
    let mut conf = printed_conf(stdout);
    if fs::metadata("/proc/self").map(|m| m.uid()).ok() == Some(0) {
        conf.push_str("\nuser root");
    }
    conf
}

/// The printed `program ...` command, with `-p 8883` moved to `port`.
fn printed_command(stdout: &str, program: &str, port: &str) -> Vec<String> {
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{program} ")))
        .unwrap_or_else(|| panic!("no {program} command printed:\n{stdout}"));
    let mut words: Vec<String> = line.split_whitespace().skip(1).map(str::to_owned).collect();
    let p = words.iter().position(|w| w == "-p").expect("-p") + 1;
    assert_eq!(words[p], "8883");
    words[p] = port.to_owned();
    words
}

/// Runs the printed `program` command with `change` applied to its words and `extra` added.
fn run_printed(
    stdout: &str,
    program: &str,
    port: &str,
    extra: &[&str],
    change: impl Fn(&mut Vec<String>),
) -> Output {
    let mut words = printed_command(stdout, program, port);
    change(&mut words);
    words.extend(extra.iter().map(|w| (*w).to_owned()));
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    run(tool(program, &args), b"")
}

/// The printed `mosquitto_pub` (retaining its message) and then the printed `mosquitto_sub`,
/// as printed: the subscriber gets the message whenever it subscribes. Returns its output.
fn round_trip(stdout: &str, port: &str) -> String {
    let sent = run_printed(stdout, "mosquitto_pub", port, &["-r"], |_| {});
    assert!(
        sent.status.success(),
        "mosquitto_pub: {}",
        text(&sent.stderr)
    );
    let got = run_printed(
        stdout,
        "mosquitto_sub",
        port,
        &["-C", "1", "-W", "10"],
        |_| {},
    );
    assert!(got.status.success(), "mosquitto_sub: {}", text(&got.stderr));
    text(&got.stdout)
}

/// True if the printed `mosquitto_pub`, changed by `change`, got in.
fn publish_with(stdout: &str, port: &str, change: impl Fn(&mut Vec<String>)) -> bool {
    run_printed(stdout, "mosquitto_pub", port, &[], change)
        .status
        .success()
}

/// Removes `flag` and the value after it.
fn drop_flag(words: &mut Vec<String>, flag: &str) {
    if let Some(i) = words.iter().position(|w| w == flag) {
        words.drain(i..=i + 1);
    }
}

/// Replaces the value of `flag`, or adds the flag.
fn set_flag(words: &mut Vec<String>, flag: &str, value: &str) {
    drop_flag(words, flag);
    words.extend([flag.to_owned(), value.to_owned()]);
}

/// A `roost broker -c` on 127.0.0.1 and a free port with `conf`; killed on drop.
struct RoostBroker {
    _process: Running,
    port: String,
    _dir: TempDir,
}

impl RoostBroker {
    fn start(conf: &str) -> RoostBroker {
        let port = free_port();
        let dir = TempDir::new(&format!("broker-{port}"));
        let file = dir.0.join("roost.conf");
        fs::write(&file, format!("listener {port} 127.0.0.1\n{conf}\n")).expect("conf");
        let mut process = Running::spawn(roost(&["broker", "-c", &file.display().to_string()]));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                process.is_running(),
                "roost broker exited: {}",
                text(&process.finish().stderr)
            );
            assert!(
                Instant::now() < deadline,
                "roost broker did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        RoostBroker {
            _process: process,
            port: port.to_string(),
            _dir: dir,
        }
    }
}

/// A broker with the printed server-only lines serves TLS to clients trusting ca.crt, by
/// name and by address, and not to clients trusting another CA.
fn check_server_only(port: &str, stdout: &str) {
    assert_eq!(round_trip(stdout, port), "test hello\n");
    let other = TempDir::new(&format!("other-ca-{port}"));
    cert_ok(&["--dir", &other.certs_arg()]);
    let other_ca = other.file("ca.crt").display().to_string();
    let trusting_other = publish_with(stdout, port, |w| set_flag(w, "--cafile", &other_ca));
    assert!(
        !trusting_other,
        "a client trusting another CA accepted this server"
    );
    let by_address = publish_with(stdout, port, |w| set_flag(w, "-h", "127.0.0.1"));
    assert!(by_address, "127.0.0.1 is in the server certificate");
}

/// A broker with the printed client-certificate lines (and `allow_anonymous false`) lets in
/// the printed client, refuses one without a certificate or with another CA's, and lets in
/// a client signed later from the CA read back from `dir`.
fn check_client_certificates(port: &str, stdout: &str, dir: &str) {
    assert_eq!(round_trip(stdout, port), "test hello\n");
    let without_cert = publish_with(stdout, port, |w| {
        drop_flag(w, "--cert");
        drop_flag(w, "--key");
    });
    assert!(!without_cert, "a client without a certificate got in");
    let other = TempDir::new(&format!("other-client-{port}"));
    cert_ok(&["--dir", &other.certs_arg(), "--client", "mallory"]);
    let (cert, key) = (other.file("mallory.crt"), other.file("mallory.key"));
    let foreign = publish_with(stdout, port, |w| {
        set_flag(w, "--cert", &cert.display().to_string());
        set_flag(w, "--key", &key.display().to_string());
    });
    assert!(!foreign, "a certificate from another CA got in");
    let bob = cert_ok(&["client", "bob", "--dir", dir]);
    assert!(
        publish_with(&bob, port, |_| {}),
        "bob, signed later, is refused"
    );
}

#[test]
fn mosquitto_serves_tls_with_the_printed_lines() {
    if !have_mosquitto_clients() {
        return;
    }
    let tmp = TempDir::new("mosquitto-tls");
    let stdout = cert_ok(&["--dir", &tmp.certs_arg()]);
    let Some(broker) = Mosquitto::start_with(&mosquitto_conf(&stdout)) else {
        return;
    };
    check_server_only(&broker.port.to_string(), &stdout);
}

#[test]
fn mosquitto_requires_the_client_certificate_as_printed() {
    if !have_mosquitto_clients() {
        return;
    }
    let tmp = TempDir::new("mosquitto-mtls");
    let stdout = cert_ok(&["--dir", &tmp.certs_arg(), "--client", "alice"]);
    let conf = mosquitto_conf(&stdout);
    assert!(conf.contains("require_certificate true"), "{conf}");
    // No anonymous clients: alice gets in only as the username her certificate names.
    let Some(broker) = Mosquitto::start_with(&format!("{conf}\nallow_anonymous false")) else {
        return;
    };
    check_client_certificates(&broker.port.to_string(), &stdout, &tmp.certs_arg());
}

#[test]
fn roost_broker_serves_tls_with_the_printed_lines() {
    if !have_mosquitto_clients() {
        return;
    }
    let tmp = TempDir::new("roost-tls");
    let stdout = cert_ok(&["--dir", &tmp.certs_arg()]);
    let broker = RoostBroker::start(&format!("{}\nallow_anonymous true", printed_conf(&stdout)));
    check_server_only(&broker.port, &stdout);
}

#[test]
fn roost_broker_requires_the_client_certificate_as_printed() {
    if !have_mosquitto_clients() {
        return;
    }
    let tmp = TempDir::new("roost-mtls");
    let stdout = cert_ok(&["--dir", &tmp.certs_arg(), "--client", "alice"]);
    let conf = printed_conf(&stdout);
    let broker = RoostBroker::start(&format!("{conf}\nallow_anonymous false"));
    check_client_certificates(&broker.port, &stdout, &tmp.certs_arg());
}
