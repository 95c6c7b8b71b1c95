//! `PasswordFile` against the real thing: files written by `mosquitto_passwd` load and verify,
//! and files saved here land with the right mode, order and ownership.
//!
//! Tests that need `mosquitto_passwd` skip with a message when it is not installed
//! (`apt-get install mosquitto`).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use roost_broker::auth::{HashKind, PasswordFile, PasswordHash};

const MOSQUITTO_PASSWD: &str = "/usr/bin/mosquitto_passwd";

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("roost-pwfile-{name}-{}", std::process::id()));
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

fn have_mosquitto_passwd() -> bool {
    let found = Path::new(MOSQUITTO_PASSWD).exists();
    if !found {
        eprintln!("SKIPPED: {MOSQUITTO_PASSWD} is not installed (apt-get install mosquitto)");
    }
    found
}

fn mosquitto_passwd(args: &[&str]) {
    let status = Command::new(MOSQUITTO_PASSWD)
        .args(args)
        .status()
        .expect("run mosquitto_passwd");
    assert!(status.success(), "mosquitto_passwd {args:?}: {status}");
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o7777
}

#[test]
fn file_written_by_mosquitto_passwd_verifies() {
    if !have_mosquitto_passwd() {
        return;
    }
    let dir = TempDir::new("real");
    let file = dir.path("passwd");
    let file = file.to_str().expect("utf-8 path");
    mosquitto_passwd(&["-c", "-b", file, "alice", "correct horse"]);
    mosquitto_passwd(&["-H", "sha512", "-b", file, "bob", "hunter2"]);
    mosquitto_passwd(&[
        "-H",
        "sha512-pbkdf2",
        "-I",
        "1000",
        "-b",
        file,
        "carol",
        "pässwörd",
    ]);
    mosquitto_passwd(&["-b", file, "dave", ""]);
    mosquitto_passwd(&["-b", file, "erin smith", "with: colon and space "]);
    mosquitto_passwd(&["-b", file, "alice", "changed"]);

    let loaded = PasswordFile::load(Path::new(file)).expect("loads");
    assert_eq!(
        loaded.users().collect::<Vec<_>>(),
        ["alice", "bob", "carol", "dave", "erin smith"]
    );
    for (user, password) in [
        ("alice", "changed"),
        ("bob", "hunter2"),
        ("carol", "pässwörd"),
        ("dave", ""),
        ("erin smith", "with: colon and space "),
    ] {
        assert!(loaded.verify(user, password.as_bytes()), "{user}");
        assert!(!loaded.verify(user, b"wrong"), "{user}");
    }
    assert!(!loaded.verify("alice", b"correct horse"));
    assert_eq!(
        loaded.get("bob").map(PasswordHash::kind),
        Some(HashKind::Sha512)
    );
    assert_eq!(
        loaded.get("carol").map(PasswordHash::kind),
        Some(HashKind::Sha512Pbkdf2 { iterations: 1000 })
    );
    assert_eq!(
        loaded.to_string(),
        fs::read_to_string(file).expect("read"),
        "saving would write the same bytes"
    );
}

#[test]
fn plain_text_converted_by_mosquitto_passwd_verifies() {
    if !have_mosquitto_passwd() {
        return;
    }
    let dir = TempDir::new("plain");
    let file = dir.path("passwd");
    fs::write(&file, "alice:one\nbob: two \n").expect("write");
    mosquitto_passwd(&["-U", file.to_str().expect("utf-8 path")]);
    let loaded = PasswordFile::load(&file).expect("loads");
    assert!(loaded.verify("alice", b"one"));
    assert!(loaded.verify("bob", b"two"));
}

#[test]
fn save_creates_an_owner_only_file_in_user_order() {
    let dir = TempDir::new("save");
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o755)).expect("chmod dir");
    let path = dir.path("passwd");
    let mut file = PasswordFile::new();
    for user in ["zoe", "adam", "mia"] {
        let hash = PasswordHash::new(HashKind::Sha512, user.as_bytes()).expect("hash");
        file.set(user, hash).expect("set");
    }
    file.save(&path).expect("save");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.0), 0o755, "the directory is left alone");
    let loaded = PasswordFile::load(&path).expect("loads");
    assert_eq!(loaded.users().collect::<Vec<_>>(), ["zoe", "adam", "mia"]);
    assert!(loaded.verify("adam", b"adam"));
    let leftovers: Vec<_> = fs::read_dir(&dir.0)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers, ["passwd"], "no temporary file left behind");
}

#[test]
fn save_replaces_a_file_keeping_its_mode() {
    let dir = TempDir::new("replace");
    let path = dir.path("passwd");
    fs::write(&path, "# shared with the broker's group\n").expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
    let mut file = PasswordFile::load(&path).expect("loads");
    file.set(
        "alice",
        PasswordHash::new(HashKind::default(), b"pw").expect("hash"),
    )
    .expect("set");
    file.save(&path).expect("save");
    assert_eq!(mode(&path), 0o640);
    let text = fs::read_to_string(&path).expect("read");
    assert!(
        text.starts_with("# shared with the broker's group\nalice:$7$101$"),
        "{text}"
    );
}

#[test]
fn save_through_a_symlink_replaces_the_target() {
    let dir = TempDir::new("link");
    let target = dir.path("real");
    let link = dir.path("link");
    fs::write(&target, "").expect("write");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let mut file = PasswordFile::new();
    file.set(
        "alice",
        PasswordHash::new(HashKind::Sha512, b"pw").expect("hash"),
    )
    .expect("set");
    file.save(&link).expect("save");
    assert!(fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    assert!(PasswordFile::load(&target)
        .expect("loads")
        .verify("alice", b"pw"));
}

#[test]
fn save_into_a_missing_directory_names_the_file() {
    let dir = TempDir::new("missing");
    let path = dir.path("no/such/dir/passwd");
    let error = PasswordFile::new().save(&path).expect_err("no directory");
    assert_eq!(error.line, 0);
    assert!(
        error.to_string().starts_with(&format!(
            "{}: cannot create a temporary file",
            path.display()
        )),
        "{error}"
    );
}
