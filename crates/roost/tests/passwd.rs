//! `roost passwd` as people use it: the built binary side by side with `mosquitto_passwd`
//! (same arguments, same messages and exit codes), and its files loaded by a real Mosquitto
//! broker that `mosquitto_pub` logs in to.
//!
//! Tests that need Mosquitto's tools skip with a message when they are not installed
//! (`apt-get install mosquitto mosquitto-clients`).

#[path = "../../roost-client/tests/common/mod.rs"]
mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::Mosquitto;
use roost_broker::auth::{HashKind, PasswordFile, PasswordHash};

const MOSQUITTO_PASSWD: &str = "/usr/bin/mosquitto_passwd";
const MOSQUITTO_PUB: &str = "/usr/bin/mosquitto_pub";

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("roost-passwd-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn have(tool: &str) -> bool {
    let found = Path::new(tool).exists();
    if !found {
        eprintln!("SKIPPED: {tool} is not installed (apt-get install mosquitto mosquitto-clients)");
    }
    found
}

/// Runs `program args`, feeding `stdin` (a pipe, so passwords are read as a script would
/// pipe them in).
fn run(program: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // A tool that exits before reading (bad arguments) closes the pipe: not a failure.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("wait")
}

fn roost_passwd(args: &[&str], stdin: &str) -> Output {
    let mut all = vec!["passwd"];
    all.extend_from_slice(args);
    run(env!("CARGO_BIN_EXE_roost"), &all, stdin)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn load(path: &Path) -> PasswordFile {
    PasswordFile::load(path).expect("roost reads the file")
}

/// Exit code, stdout and stderr of both tools for the same arguments, each run in its own
/// copy of `setup` (a password file's text, or `None` for no file).
#[test]
fn messages_and_exit_codes_match_mosquitto_passwd() {
    if !have(MOSQUITTO_PASSWD) {
        return;
    }
    let existing = "alice:$6$945O8siagZ0zQAud$OqWuYy7Tier5oGjPAo61jQnShrKJ8RM0KbobVOv83a6yPme0vOe/tn8ur0xZDRWJkQz9nZu1vywWVDja3fcvYg==\n";
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (&[], None, ""),
        (&["FILE"], Some(existing), ""),
        (&["FILE", "bob", "extra"], Some(existing), ""),
        (&["-b", "FILE", "bob"], Some(existing), ""),
        (&["-H"], None, ""),
        (&["-H", "md5", "FILE", "bob"], Some(existing), ""),
        (&["-I", "0", "FILE", "bob"], Some(existing), ""),
        (&["-c", "-D", "FILE", "bob"], Some(existing), ""),
        (&["-c", "-U", "FILE"], Some(existing), ""),
        (&["-D", "-U", "FILE"], Some(existing), ""),
        (&["-b", "-D", "FILE", "bob"], Some(existing), ""),
        (&["-c", "-b", "FILE", "bob"], None, ""),
        (&["-c", "FILE"], None, ""),
        (&["-D", "FILE"], Some(existing), ""),
        (&["-U"], None, ""),
        (&["-b", "FILE", "a:b", "pw"], Some(existing), ""),
        (&["-b", "FILE", "a\tb", "pw"], Some(existing), ""),
        (&["-D", "FILE", "nobody"], Some(existing), ""),
        (&["-b", "FILE", "bob", "pw"], None, ""),
        (&["-D", "FILE", "bob"], None, ""),
        (&["-b", "FILE", "bob", "pw"], Some(existing), ""),
        (&["-D", "FILE", "alice"], Some(existing), ""),
        (&["-c", "-b", "FILE", "bob", "pw"], None, ""),
        (&["FILE", "bob"], Some(existing), "one\none\n"),
        (&["FILE", "bob"], Some(existing), "one\ntwo\n"),
        (&["FILE", "bob"], Some(existing), "\n"),
        (&["FILE", "bob"], Some(existing), "one\n"),
        (&["FILE", "bob"], Some(existing), ""),
        (&["-c", "FILE", "bob"], None, "one\r\none\r\n"),
        (&["FILE", "bob"], None, "one\none\n"),
    ];
    for (args, setup, stdin) in cases {
        let mut results = Vec::new();
        for tool in ["mosquitto", "roost"] {
            let dir = TempDir::new("cmp");
            let file = dir.path("passwd");
            if let Some(text) = setup {
                fs::write(&file, text).expect("setup");
            }
            let args: Vec<&str> = args
                .iter()
                .map(|a| if *a == "FILE" { s(&file) } else { a })
                .collect();
            let output = if tool == "roost" {
                roost_passwd(&args, stdin)
            } else {
                run(MOSQUITTO_PASSWD, &args, stdin)
            };
            let stdout = text(&output.stdout).replace("mosquitto_passwd", "TOOL");
            let stdout = if stdout.contains("Usage:") {
                "USAGE".to_owned()
            } else {
                stdout
            };
            let users: Option<Vec<String>> = file
                .exists()
                .then(|| load(&file).users().map(str::to_owned).collect());
            results.push((code(&output), stdout, text(&output.stderr), users));
        }
        assert_eq!(
            results[1], results[0],
            "roost passwd {args:?} <<< {stdin:?}"
        );
    }
}

#[test]
fn broker_accepts_a_file_from_roost_passwd() {
    if !have(MOSQUITTO_PUB) || !have(common::MOSQUITTO) {
        return;
    }
    let dir = TempDir::new("broker");
    let file = dir.path("passwd");
    let f = s(&file);
    let ok = |output: Output| assert_eq!(code(&output), Some(0), "{}", text(&output.stderr));
    ok(roost_passwd(&["-c", "-b", f, "alice", "correct horse"], ""));
    ok(roost_passwd(
        &["-H", "sha512", "-b", f, "bob", "hunter2"],
        "",
    ));
    ok(roost_passwd(
        &["-I", "1000", "-b", f, "carol", "pässwörd"],
        "",
    ));
    ok(roost_passwd(&["-b", f, "dave", "gone"], ""));
    ok(roost_passwd(&["-D", f, "dave"], ""));
    ok(roost_passwd(&[f, "erin"], "typed\ntyped\n"));
    // As root Mosquitto would read the file as user `mosquitto`; `user root` keeps it root so
    // that the 0600 file is readable and what is tested is its content.
    let config = format!("allow_anonymous false\npassword_file {f}\nuser root\n");
    let Some(broker) = Mosquitto::start_with(&config) else {
        return;
    };
    let port = broker.port.to_string();
    let publish = |user: &str, password: &str| {
        let args = ["-h", "127.0.0.1", "-p", &port, "-u", user, "-P", password];
        let mut all = args.to_vec();
        all.extend_from_slice(&["-t", "t", "-m", "x"]);
        run(MOSQUITTO_PUB, &all, "")
    };
    for (user, password) in [
        ("alice", "correct horse"),
        ("bob", "hunter2"),
        ("carol", "pässwörd"),
        ("erin", "typed"),
    ] {
        let output = publish(user, password);
        assert_eq!(code(&output), Some(0), "{user}: {}", text(&output.stderr));
    }
    for (user, password) in [("alice", "wrong"), ("dave", "gone"), ("nobody", "x")] {
        let output = publish(user, password);
        assert_eq!(code(&output), Some(5), "{user} must be refused");
        assert!(
            text(&output.stderr).contains("not authorised"),
            "{user}: {}",
            text(&output.stderr)
        );
    }
}

#[test]
fn mosquitto_passwd_edits_a_file_from_roost_passwd() {
    if !have(MOSQUITTO_PASSWD) {
        return;
    }
    let dir = TempDir::new("cross");
    let file = dir.path("passwd");
    let f = s(&file);
    assert_eq!(
        code(&roost_passwd(&["-c", "-b", f, "alice", "a"], "")),
        Some(0)
    );
    assert_eq!(
        code(&roost_passwd(&["-H", "sha512", "-b", f, "bob", "b"], "")),
        Some(0)
    );
    assert_eq!(
        code(&run(MOSQUITTO_PASSWD, &["-b", f, "carol", "c"], "")),
        Some(0)
    );
    assert_eq!(
        code(&run(MOSQUITTO_PASSWD, &["-D", f, "alice"], "")),
        Some(0)
    );
    let loaded = load(&file);
    assert_eq!(loaded.users().collect::<Vec<_>>(), ["bob", "carol"]);
    assert!(loaded.verify("bob", b"b"));
    assert!(loaded.verify("carol", b"c"));
}

#[test]
fn create_makes_an_owner_only_file_and_overwrites() {
    let dir = TempDir::new("create");
    let file = dir.path("passwd");
    let f = s(&file);
    fs::write(&file, "old:$7$1$c2FsdA==$c2FsdA==\n").expect("write");
    let output = roost_passwd(&["-c", "-b", f, "alice", "pw"], "");
    assert_eq!(code(&output), Some(0), "{}", text(&output.stderr));
    let loaded = load(&file);
    assert_eq!(loaded.users().collect::<Vec<_>>(), ["alice"]);
    assert!(loaded.verify("alice", b"pw"));

    let fresh = dir.path("fresh");
    assert_eq!(
        code(&roost_passwd(&["-c", "-b", s(&fresh), "bob", "pw"], "")),
        Some(0)
    );
    let mode = fs::metadata(&fresh).expect("metadata").permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600);
    let text = fs::read_to_string(&fresh).expect("read");
    assert!(
        text.starts_with("bob:$7$101$") && text.ends_with("==\n"),
        "{text}"
    );
}

#[test]
fn without_create_the_file_must_exist() {
    let dir = TempDir::new("missing");
    let file = dir.path("passwd");
    let output = roost_passwd(&["-b", s(&file), "alice", "pw"], "");
    assert_eq!(code(&output), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!(
            "Error: Unable to open password file {}. No such file or directory.\n",
            file.display()
        )
    );
    assert!(!file.exists());
}

#[test]
fn delete_removes_one_user_and_warns_about_a_missing_one() {
    let dir = TempDir::new("delete");
    let file = dir.path("passwd");
    let f = s(&file);
    for (create, user) in [(true, "alice"), (false, "bob"), (false, "carol")] {
        let mut args = vec!["-b", f, user, user];
        if create {
            args.insert(0, "-c");
        }
        assert_eq!(code(&roost_passwd(&args, "")), Some(0));
    }
    let output = roost_passwd(&["-D", f, "bob"], "");
    assert_eq!(code(&output), Some(0), "{}", text(&output.stderr));
    assert_eq!(load(&file).users().collect::<Vec<_>>(), ["alice", "carol"]);
    let before = fs::read(&file).expect("read");
    let output = roost_passwd(&["-D", f, "bob"], "");
    assert_eq!(code(&output), Some(1));
    assert_eq!(
        text(&output.stderr),
        "Warning: User bob not found in password file.\n"
    );
    assert_eq!(fs::read(&file).expect("read"), before, "file untouched");
}

#[test]
fn update_hashes_plain_text_and_keeps_hashes() {
    let dir = TempDir::new("update");
    let file = dir.path("passwd");
    let kept = PasswordHash::new(HashKind::Sha512, b"already").expect("hash");
    fs::write(
        &file,
        format!("# users\nalice:one\nbob: two \ncarol:{kept}\n"),
    )
    .expect("write");
    let output = roost_passwd(&["-U", s(&file)], "");
    assert_eq!(code(&output), Some(0), "{}", text(&output.stderr));
    let loaded = load(&file);
    assert!(loaded.verify("alice", b"one"));
    assert!(loaded.verify("bob", b"two"));
    assert!(loaded.verify("carol", b"already"));
    let text = fs::read_to_string(&file).expect("read");
    assert!(text.starts_with("# users\nalice:$7$101$"), "{text}");
    assert!(text.contains(&format!("carol:{kept}\n")), "{text}");

    let again = roost_passwd(&["-U", s(&file)], "");
    assert_eq!(code(&again), Some(0));
    assert_eq!(
        fs::read_to_string(&file).expect("read"),
        text,
        "-U twice is harmless"
    );
}

#[test]
fn usernames_with_a_colon_are_refused() {
    let dir = TempDir::new("colon");
    let file = dir.path("passwd");
    for args in [
        vec!["-c", "-b", s(&file), "a:b", "pw"],
        vec!["-c", s(&file), "a:b"],
    ] {
        let output = roost_passwd(&args, "pw\npw\n");
        assert_eq!(code(&output), Some(1));
        assert_eq!(
            text(&output.stderr),
            "Error: Username must not contain the ':' character.\n"
        );
        assert!(!file.exists(), "nothing written");
    }
}

#[test]
fn argon2id_and_corrupt_files() {
    let dir = TempDir::new("argon");
    let file = dir.path("passwd");
    let f = s(&file);
    let output = roost_passwd(&["-c", "-H", "argon2id", "-b", f, "alice", "pw"], "");
    assert_eq!(code(&output), Some(0), "{}", text(&output.stderr));
    assert!(load(&file).verify("alice", b"pw"));
    assert!(fs::read_to_string(&file)
        .expect("read")
        .starts_with("alice:$argon2id$v=19$m=47104,t=1,p=1$"));

    fs::write(&file, "alice:$7$101$c2FsdA==$short\n").expect("write");
    let output = roost_passwd(&["-b", f, "bob", "pw"], "");
    assert_eq!(code(&output), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!("Error: {f}:1: user `alice`: hash `short` is not base64 of 64 bytes\n")
    );
}

/// A tmux server of the test's own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux");
        text(&output.stdout)
    }

    /// The screen once it contains `wanted` (tmux drops trailing spaces), waiting at most
    /// five seconds.
    fn wait_for(&self, wanted: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let screen = self.run(&["capture-pane", "-p", "-t", "passwd"]);
            if screen.contains(wanted) {
                return screen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "waited for {wanted:?}, screen:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn prompts_on_a_terminal_without_echo() {
    if !have("/usr/bin/tmux") {
        return;
    }
    let dir = TempDir::new("tty");
    let file = dir.path("passwd");
    fs::write(&file, "").expect("write");
    let tmux = Tmux {
        socket: format!("roost-passwd-test-{}", std::process::id()),
    };
    let command = format!(
        "{} passwd {} alice; echo rc=$?; sleep 30",
        env!("CARGO_BIN_EXE_roost"),
        s(&file)
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "passwd",
        "-x",
        "120",
        "-y",
        "10",
        &command,
    ]);
    tmux.wait_for("Password:");
    tmux.run(&["send-keys", "-t", "passwd", "hidden-secret", "Enter"]);
    tmux.wait_for("Reenter password:");
    tmux.run(&["send-keys", "-t", "passwd", "hidden-secret", "Enter"]);
    let screen = tmux.wait_for("rc=");
    assert!(!screen.contains("hidden-secret"), "echoed:\n{screen}");
    assert!(
        screen.starts_with("Password:\nReenter password:\nrc=0\n"),
        "as mosquitto_passwd shows it:\n{screen}"
    );
    assert!(load(&file).verify("alice", b"hidden-secret"));
}
