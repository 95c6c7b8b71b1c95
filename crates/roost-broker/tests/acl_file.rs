//! `AclFile` from the outside: loading real files (errors naming the file and line, bytes that
//! are not UTF-8) and property tests of rule matching against a naive MQTT filter matcher.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use roost_broker::auth::AclFile;

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(contents: &[u8]) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "roost-acl-test-{}-{}.acl",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).expect("write a temporary ACL file");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn load_reads_rules_from_a_file() {
    let file = TempFile::new(b"topic read public/#\nuser bob\ntopic bob/#\n");
    let acl = AclFile::load(&file.0).expect("load");
    assert!(acl.can_receive(None, "c", "public/news"));
    assert!(!acl.can_publish(None, "c", "public/news"));
    assert!(acl.can_publish(Some("bob"), "c", "bob/x"));
}

#[test]
fn load_error_names_the_file_and_line() {
    let file = TempFile::new(b"# rules\ntopic read a\ntopic rw b\n");
    let err = AclFile::load(&file.0).expect_err("bad access word");
    assert_eq!(err.file, file.0);
    assert_eq!(err.line, 3);
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3: unknown access \"rw\" in topic line; expected read, write, readwrite or deny, \
             then the topic",
            file.0.display()
        )
    );
}

#[test]
fn load_of_a_missing_file_is_an_error_about_the_whole_file() {
    let path = Path::new("/nonexistent/roost/acl");
    let err = AclFile::load(path).expect_err("missing file");
    assert_eq!(err.line, 0);
    assert!(
        err.to_string()
            .starts_with("/nonexistent/roost/acl: cannot read the ACL file: "),
        "{err}"
    );
}

#[test]
fn load_accepts_any_bytes_in_a_comment() {
    let file = TempFile::new(b"# caf\xe9 (Latin-1)\ntopic read a\n");
    let acl = AclFile::load(&file.0).expect("load");
    assert!(acl.can_receive(None, "c", "a"));
}

#[test]
fn load_refuses_a_rule_that_is_not_utf8() {
    let file = TempFile::new(b"topic read a\ntopic read caf\xe9\n");
    let err = AclFile::load(&file.0).expect_err("not UTF-8");
    assert_eq!(err.line, 2);
    assert!(
        err.to_string().ends_with(":2: line is not valid UTF-8"),
        "{err}"
    );
}

/// MQTT filter matching, written from the specification (4.7) and nothing else.
fn naive_matches(filter: &str, topic: &str) -> bool {
    fn levels(filter: &[&str], topic: &[&str]) -> bool {
        match (filter.split_first(), topic.split_first()) {
            (Some((&"#", _)), _) => true,
            (Some((&"+", f)), Some((_, t))) => levels(f, t),
            (Some((f0, f)), Some((t0, t))) => f0 == t0 && levels(f, t),
            (None, None) => true,
            _ => false,
        }
    }
    // MQTT-4.7.2-1: a filter starting with a wildcard does not match a topic starting with `$`.
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let filter: Vec<&str> = filter.split('/').collect();
    let topic: Vec<&str> = topic.split('/').collect();
    levels(&filter, &topic)
}

fn topic_level() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just(String::new()),
        Just("$SYS".to_owned()),
        Just("a b".to_owned()),
    ]
}

fn topic_name() -> impl Strategy<Value = String> {
    prop::collection::vec(topic_level(), 1..5)
        .prop_map(|levels| levels.join("/"))
        .prop_filter("topic names are not empty", |topic| !topic.is_empty())
}

fn topic_filter() -> impl Strategy<Value = String> {
    let level = prop_oneof![topic_level(), Just("+".to_owned())];
    (prop::collection::vec(level, 0..5), any::<bool>())
        .prop_map(|(mut levels, hash)| {
            if hash || levels.is_empty() {
                levels.push("#".to_owned());
            }
            levels.join("/")
        })
        .prop_filter("filters are not empty", |filter| !filter.is_empty())
}

proptest! {
    #[test]
    fn can_receive_with_one_read_rule_is_filter_matching(
        filter in topic_filter(),
        topic in topic_name(),
    ) {
        let acl = AclFile::parse(Path::new("p.acl"), &format!("topic read {filter}\n"))
            .map_err(|err| TestCaseError::fail(err.to_string()))?;
        prop_assert_eq!(acl.can_receive(None, "c", &topic), naive_matches(&filter, &topic));
        prop_assert!(!acl.can_publish(None, "c", &topic));
    }

    #[test]
    fn pattern_with_client_id_is_filter_matching_of_the_substituted_text(
        filter in topic_filter(),
        client_id in "[a-c/$]{0,4}",
        topic in topic_name(),
    ) {
        // `%c` put in place of every `a` level of the filter, then compared with the same filter
        // with the client id written in.
        let pattern = filter
            .split('/')
            .map(|level| if level == "a" { "%c" } else { level })
            .collect::<Vec<_>>()
            .join("/");
        let substituted = pattern.replace("%c", &client_id);
        let acl = AclFile::parse(Path::new("p.acl"), &format!("pattern write {pattern}\n"))
            .map_err(|err| TestCaseError::fail(err.to_string()))?;
        // Mosquitto matches nothing against an empty filter.
        let expected = !substituted.is_empty() && naive_matches(&substituted, &topic);
        prop_assert_eq!(acl.can_publish(None, &client_id, &topic), expected);
    }
}
