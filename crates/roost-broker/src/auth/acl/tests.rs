//! Unit tests of the ACL file: one per rule of Mosquitto 2.0's semantics, named after the rule.

use std::path::Path;

use super::AclFile;

fn load(text: &str) -> AclFile {
    match AclFile::parse(Path::new("test.acl"), text) {
        Ok(acl) => acl,
        Err(err) => panic!("{err}"),
    }
}

fn parse_error(text: &str) -> String {
    match AclFile::parse(Path::new("test.acl"), text) {
        Ok(acl) => panic!("expected an error, got {acl:?}"),
        Err(err) => err.to_string(),
    }
}

const ANON: Option<&str> = None;

/// The rules of Mosquitto's `aclfile.example`.
const EXAMPLE: &str = "\
# Clients without a username may read the broker's $SYS tree.
topic read $SYS/#

# roger may read and write foo/bar.
user roger
topic foo/bar

# Every client may write its own bridge state.
pattern write $SYS/broker/connection/%c/state
";

// --- The examples of Mosquitto's aclfile.example and mosquitto.conf(5) ---

#[test]
fn aclfile_example_anonymous_reads_sys() {
    let acl = load(EXAMPLE);
    assert!(acl.can_receive(ANON, "c1", "$SYS/broker/uptime"));
    assert!(!acl.can_publish(ANON, "c1", "$SYS/broker/uptime"));
    assert!(!acl.can_receive(ANON, "c1", "foo/bar"));
}

#[test]
fn aclfile_example_roger_reads_and_writes_foo_bar_only() {
    let acl = load(EXAMPLE);
    assert!(acl.can_publish(Some("roger"), "c1", "foo/bar"));
    assert!(acl.can_receive(Some("roger"), "c1", "foo/bar"));
    assert!(!acl.can_receive(Some("roger"), "c1", "foo/baz"));
    assert!(!acl.can_receive(Some("roger"), "c1", "$SYS/broker/uptime"));
    assert!(!acl.can_publish(Some("alice"), "c1", "foo/bar"));
}

#[test]
fn aclfile_example_bridge_state_pattern_applies_to_every_client() {
    let acl = load(EXAMPLE);
    for user in [ANON, Some("roger"), Some("alice")] {
        assert!(acl.can_publish(user, "bridge1", "$SYS/broker/connection/bridge1/state"));
        assert!(!acl.can_publish(user, "bridge1", "$SYS/broker/connection/bridge2/state"));
        let topic = "$SYS/broker/connection/bridge1/state";
        assert_eq!(acl.can_receive(user, "bridge1", topic), user.is_none());
    }
}

#[test]
fn man_page_pattern_sensor_username_data() {
    let acl = load("pattern write sensor/%u/data\n");
    assert!(acl.can_publish(Some("s1"), "any", "sensor/s1/data"));
    assert!(!acl.can_publish(Some("s1"), "any", "sensor/s2/data"));
    assert!(!acl.can_receive(Some("s1"), "any", "sensor/s1/data"));
    assert!(!acl.can_publish(ANON, "s1", "sensor/s1/data"));
}

// --- Sections ---

#[test]
fn topic_lines_before_first_user_apply_only_to_anonymous_clients() {
    let acl = load("topic public/#\nuser bob\ntopic bob/#\n");
    assert!(acl.can_publish(ANON, "c", "public/x"));
    assert!(!acl.can_publish(Some("bob"), "c", "public/x"));
    assert!(acl.can_publish(Some("bob"), "c", "bob/x"));
    assert!(!acl.can_publish(ANON, "c", "bob/x"));
}

#[test]
fn username_without_section_gets_only_patterns() {
    let acl = load("topic public/#\nuser bob\ntopic bob/#\npattern read own/%u\n");
    assert!(!acl.can_receive(Some("carol"), "c", "public/x"));
    assert!(!acl.can_receive(Some("carol"), "c", "bob/x"));
    assert!(acl.can_receive(Some("carol"), "c", "own/carol"));
}

#[test]
fn sections_with_the_same_username_merge() {
    let acl = load("user bob\ntopic a\nuser carol\ntopic c\nuser bob\ntopic b\n");
    assert!(acl.can_publish(Some("bob"), "x", "a"));
    assert!(acl.can_publish(Some("bob"), "x", "b"));
    assert!(!acl.can_publish(Some("bob"), "x", "c"));
}

#[test]
fn username_is_rest_of_user_line_with_spaces() {
    let acl = load("user  Roger Light  \ntopic x\n");
    assert!(acl.can_publish(Some("Roger Light"), "c", "x"));
    assert!(!acl.can_publish(Some("Roger"), "c", "x"));
}

#[test]
fn usernames_are_case_sensitive() {
    let acl = load("user bob\ntopic x\n");
    assert!(!acl.can_publish(Some("Bob"), "c", "x"));
}

#[test]
fn empty_username_is_a_username_not_anonymous() {
    let acl = load("topic anon\npattern p/%u/x\n");
    assert!(!acl.can_publish(Some(""), "c", "anon"));
    assert!(acl.can_publish(Some(""), "c", "p//x"));
}

#[test]
fn empty_file_denies_everything() {
    let acl = load("");
    assert!(!acl.can_publish(ANON, "c", "a"));
    assert!(!acl.can_receive(Some("u"), "c", "a"));
}

// --- Access words ---

#[test]
fn missing_access_is_readwrite() {
    let acl = load("topic a/b\n");
    assert!(acl.can_publish(ANON, "c", "a/b"));
    assert!(acl.can_receive(ANON, "c", "a/b"));
}

#[test]
fn read_grants_receive_not_publish() {
    let acl = load("topic read a\n");
    assert!(acl.can_receive(ANON, "c", "a"));
    assert!(!acl.can_publish(ANON, "c", "a"));
}

#[test]
fn write_grants_publish_not_receive() {
    let acl = load("topic write a\n");
    assert!(acl.can_publish(ANON, "c", "a"));
    assert!(!acl.can_receive(ANON, "c", "a"));
}

#[test]
fn readwrite_grants_both() {
    let acl = load("topic readwrite a\n");
    assert!(acl.can_publish(ANON, "c", "a"));
    assert!(acl.can_receive(ANON, "c", "a"));
}

#[test]
fn read_and_write_rules_combine() {
    let acl = load("topic read a/#\ntopic write a/b\n");
    assert!(acl.can_publish(ANON, "c", "a/b"));
    assert!(acl.can_receive(ANON, "c", "a/b"));
    assert!(!acl.can_publish(ANON, "c", "a/c"));
}

#[test]
fn lone_access_word_is_the_topic_with_readwrite() {
    let acl = load("topic read\n");
    assert!(acl.can_publish(ANON, "c", "read"));
    assert!(acl.can_receive(ANON, "c", "read"));
}

#[test]
fn topic_is_rest_of_line_with_spaces() {
    let acl = load("topic  read   a b/c d  \n");
    assert!(acl.can_receive(ANON, "c", "a b/c d"));
    assert!(!acl.can_receive(ANON, "c", "a"));
}

// --- Deny precedence ---

#[test]
fn deny_wins_over_a_grant_earlier_in_the_file() {
    let acl = load("topic readwrite a/#\ntopic deny a/secret\n");
    assert!(acl.can_publish(ANON, "c", "a/open"));
    assert!(!acl.can_publish(ANON, "c", "a/secret"));
    assert!(!acl.can_receive(ANON, "c", "a/secret"));
}

#[test]
fn deny_wins_over_a_grant_later_in_the_file() {
    let acl = load("user u\ntopic deny a/+\ntopic a/#\n");
    assert!(!acl.can_receive(Some("u"), "c", "a/x"));
    assert!(acl.can_receive(Some("u"), "c", "a/x/y"));
}

#[test]
fn topic_deny_wins_over_pattern_grant() {
    let acl = load("user u\ntopic deny p/u\npattern p/%u\n");
    assert!(!acl.can_publish(Some("u"), "c", "p/u"));
}

#[test]
fn pattern_deny_does_not_take_back_a_topic_grant() {
    let acl = load("user u\ntopic p/#\npattern deny p/%u\n");
    assert!(acl.can_publish(Some("u"), "c", "p/u"));
    let acl = load("user u\ntopic q/#\npattern deny p/%u\npattern p/#\n");
    assert!(!acl.can_publish(Some("u"), "c", "p/u"));
    assert!(acl.can_publish(Some("u"), "c", "p/v"));
}

#[test]
fn deny_also_refuses_read_and_write_together() {
    let acl = load("topic read a\ntopic write a\ntopic deny a\n");
    assert!(!acl.can_publish(ANON, "c", "a"));
    assert!(!acl.can_receive(ANON, "c", "a"));
}

/// Mosquitto's `test/broker/09-acl-access-variants.py`, as a table.
#[test]
fn mosquitto_access_variants() {
    let acl = load(
        "topic readwrite topic/global/#\n\
                   topic deny      topic/global/except\n\
                   user username\n\
                   topic readwrite topic/username/#\n\
                   topic deny      topic/username/except\n\
                   pattern readwrite pattern/%u/#\n\
                   pattern deny      pattern/%u/except\n",
    );
    let cases = [
        (ANON, "topic/global", true),
        (Some("username"), "topic/global", false),
        (ANON, "topic/global/except", false),
        (ANON, "topic/username", false),
        (Some("username"), "topic/username", true),
        (Some("username"), "topic/username/except", false),
        (ANON, "pattern/username", false),
        (Some("username"), "pattern/username", true),
        (Some("username"), "pattern/username/except", false),
    ];
    for (user, topic, allowed) in cases {
        assert_eq!(
            acl.can_publish(user, "acl-check", topic),
            allowed,
            "{user:?} {topic}"
        );
        assert_eq!(
            acl.can_receive(user, "acl-check", topic),
            allowed,
            "{user:?} {topic}"
        );
    }
}

// --- Patterns ---

#[test]
fn pattern_substitutes_client_id() {
    let acl = load("pattern readwrite devices/%c/#\n");
    assert!(acl.can_publish(ANON, "dev1", "devices/dev1/temp"));
    assert!(acl.can_publish(Some("u"), "dev1", "devices/dev1"));
    assert!(!acl.can_publish(ANON, "dev1", "devices/dev2/temp"));
}

#[test]
fn pattern_substitutes_client_id_and_username_together() {
    let acl = load("pattern write %u/%c/out\n");
    assert!(acl.can_publish(Some("u"), "c", "u/c/out"));
    assert!(!acl.can_publish(Some("u"), "c", "c/u/out"));
}

#[test]
fn pattern_with_username_is_skipped_for_anonymous_clients() {
    let acl = load("pattern deny %u/#\npattern x/#\n");
    assert!(acl.can_publish(ANON, "c", "x/y"));
    assert!(!acl.can_publish(Some("x"), "c", "x/y"));
}

#[test]
fn pattern_substitution_inside_a_level_is_textual() {
    let acl = load("pattern read home/dev-%c-in\n");
    assert!(acl.can_receive(ANON, "7", "home/dev-7-in"));
    assert!(!acl.can_receive(ANON, "7", "home/dev-8-in"));
    assert!(!acl.can_receive(ANON, "7", "home/dev-7-inx"));
}

#[test]
fn pattern_double_percent_is_literal_percent_then_substitution() {
    let acl = load("pattern read a/%%c\n");
    assert!(acl.can_receive(ANON, "id", "a/%id"));
}

#[test]
fn pattern_percent_with_other_letter_is_literal() {
    let acl = load("pattern read a/%x%c\n");
    assert!(acl.can_receive(ANON, "id", "a/%xid"));
}

#[test]
fn client_id_with_slash_spans_levels_as_in_mosquitto() {
    let acl = load("pattern read d/%c/state\n");
    assert!(acl.can_receive(ANON, "site/7", "d/site/7/state"));
    assert!(!acl.can_receive(ANON, "site/7", "d/site/state"));
}

#[test]
fn empty_client_id_substitutes_empty_text() {
    let acl = load("pattern read d/%c/x\n");
    assert!(acl.can_receive(ANON, "", "d//x"));
}

#[test]
fn topic_rules_do_not_substitute() {
    let acl = load("topic read a/%c\n");
    assert!(acl.can_receive(ANON, "id", "a/%c"));
    assert!(!acl.can_receive(ANON, "id", "a/id"));
}

#[test]
fn patterns_apply_after_a_user_line_too() {
    let acl = load("user bob\npattern read p/%c\n");
    assert!(acl.can_receive(ANON, "c", "p/c"));
    assert!(acl.can_receive(Some("zed"), "c", "p/c"));
}

// --- + and # in usernames and client ids ---

#[test]
fn wildcard_client_id_gets_no_pattern_access() {
    let acl = load("pattern readwrite %c/#\n");
    assert!(!acl.can_publish(ANON, "#", "anything"));
    assert!(!acl.can_receive(ANON, "a+", "a+/x"));
    assert!(!acl.can_receive(ANON, "+", "x/y"));
}

#[test]
fn wildcard_username_gets_no_pattern_access() {
    let acl = load("pattern readwrite %u/#\npattern readwrite open/%c\n");
    assert!(!acl.can_publish(Some("#"), "c", "anything"));
    assert!(!acl.can_publish(Some("a#b"), "c", "open/c"));
}

#[test]
fn wildcard_identity_keeps_its_topic_rules() {
    let acl = load("user a+b\ntopic own/#\npattern readwrite %u/#\n");
    assert!(acl.can_publish(Some("a+b"), "c", "own/x"));
    assert!(!acl.can_publish(Some("a+b"), "c", "a+b/x"));
    let acl = load("topic open\n");
    assert!(acl.can_publish(ANON, "#", "open"));
}

// --- $ topics ---

#[test]
fn hash_rule_does_not_grant_dollar_topics() {
    let acl = load("topic #\n");
    assert!(acl.can_receive(ANON, "c", "a/b"));
    assert!(!acl.can_receive(ANON, "c", "$SYS/broker/uptime"));
    assert!(!acl.can_publish(ANON, "c", "$share"));
}

#[test]
fn plus_first_level_does_not_grant_dollar_topics() {
    let acl = load("topic +/broker/#\n");
    assert!(acl.can_receive(ANON, "c", "x/broker/uptime"));
    assert!(!acl.can_receive(ANON, "c", "$SYS/broker/uptime"));
}

#[test]
fn dollar_rule_grants_dollar_topics() {
    let acl = load("topic read $SYS/#\n");
    assert!(acl.can_receive(ANON, "c", "$SYS"));
    assert!(acl.can_receive(ANON, "c", "$SYS/broker/clients/total"));
    assert!(!acl.can_receive(ANON, "c", "$SYSX/a"));
}

#[test]
fn dollar_in_a_later_level_is_ordinary() {
    let acl = load("topic read a/#\n");
    assert!(acl.can_receive(ANON, "c", "a/$b"));
}

#[test]
fn pattern_hash_does_not_grant_dollar_topics() {
    let acl = load("pattern read #\npattern read +/%c\n");
    assert!(acl.can_receive(ANON, "c", "x"));
    assert!(!acl.can_receive(ANON, "c", "$SYS/x"));
    assert!(!acl.can_receive(ANON, "c", "$SYS/c"));
}

#[test]
fn pattern_substituted_dollar_client_id_matches_dollar_topics() {
    let acl = load("pattern read %c/#\n");
    assert!(acl.can_receive(ANON, "$dev", "$dev/x"));
    assert!(!acl.can_receive(ANON, "dev", "$dev/x"));
}

// --- MQTT filter matching ---

#[test]
fn hash_matches_its_parent_level() {
    let acl = load("topic read a/#\n");
    assert!(acl.can_receive(ANON, "c", "a"));
    assert!(acl.can_receive(ANON, "c", "a/"));
    assert!(!acl.can_receive(ANON, "c", "ab"));
}

#[test]
fn plus_matches_exactly_one_level_including_empty() {
    let acl = load("topic read a/+/c\n");
    assert!(acl.can_receive(ANON, "c", "a/b/c"));
    assert!(acl.can_receive(ANON, "c", "a//c"));
    assert!(!acl.can_receive(ANON, "c", "a/c"));
    assert!(!acl.can_receive(ANON, "c", "a/b/b/c"));
}

#[test]
fn empty_levels_are_levels() {
    let acl = load("topic read /a\n");
    assert!(acl.can_receive(ANON, "c", "/a"));
    assert!(!acl.can_receive(ANON, "c", "a"));
}

#[test]
fn topic_names_with_wildcards_or_empty_are_refused() {
    let acl = load("topic #\n");
    assert!(!acl.can_publish(ANON, "c", "a/+"));
    assert!(!acl.can_publish(ANON, "c", "#"));
    assert!(!acl.can_publish(ANON, "c", ""));
}

// --- Subscriptions ---

#[test]
fn subscribe_allowed_when_a_read_grant_overlaps_the_filter() {
    let acl = load("user u\ntopic read a/#\ntopic write w/#\npattern read p/%u/+\n");
    assert!(
        acl.can_subscribe(Some("u"), "c", "#"),
        "# overlaps a/#, as Mosquitto grants"
    );
    assert!(acl.can_subscribe(Some("u"), "c", "a/+/x"));
    assert!(acl.can_subscribe(Some("u"), "c", "+/b"));
    assert!(
        !acl.can_subscribe(Some("u"), "c", "b/#"),
        "no read grant overlaps b/#"
    );
    assert!(
        !acl.can_subscribe(Some("u"), "c", "w/#"),
        "write access is not read access"
    );
    assert!(
        !acl.can_subscribe(Some("u"), "c", "$SYS/#"),
        "# rules do not reach $ topics"
    );
    assert!(
        acl.can_subscribe(Some("v"), "c", "p/v/x"),
        "patterns fill in %u"
    );
    assert!(!acl.can_subscribe(Some("v"), "c", "p/u/x"));
}

#[test]
fn subscribe_refused_when_a_deny_covers_the_whole_filter() {
    let acl = load("user u\ntopic read a/#\ntopic deny a/secret/#\n");
    assert!(!acl.can_subscribe(Some("u"), "c", "a/secret/#"));
    assert!(!acl.can_subscribe(Some("u"), "c", "a/secret/x"));
    assert!(
        acl.can_subscribe(Some("u"), "c", "a/+/x"),
        "partly denied: delivery filters the rest"
    );
    assert!(!acl.can_receive(Some("u"), "c", "a/secret/x"));
    assert!(
        !acl.can_subscribe(ANON, "c", "a/#"),
        "anonymous has no rules here"
    );
}

// --- Lines ---

#[test]
fn comments_blank_lines_and_crlf_are_skipped() {
    let acl = load("# comment\r\n\r\n   \n\t\ntopic read a\r\n#topic b\n");
    assert!(acl.can_receive(ANON, "c", "a"));
    assert!(!acl.can_receive(ANON, "c", "b"));
}

#[test]
fn leading_spaces_before_a_keyword_are_allowed() {
    let acl = load("   topic read a\n");
    assert!(acl.can_receive(ANON, "c", "a"));
}

#[test]
fn unknown_keyword_is_an_error() {
    assert_eq!(
        parse_error("topic a\nsubscribe a\n"),
        "test.acl:2: unknown keyword \"subscribe\"; expected topic, pattern or user"
    );
}

#[test]
fn keywords_are_case_sensitive() {
    assert_eq!(
        parse_error("Topic a\n"),
        "test.acl:1: unknown keyword \"Topic\"; expected topic, pattern or user"
    );
}

#[test]
fn unknown_access_is_an_error_naming_the_valid_words() {
    assert_eq!(
        parse_error("\ntopic reed a/b\n"),
        "test.acl:2: unknown access \"reed\" in topic line; expected read, write, readwrite or \
         deny, then the topic"
    );
    assert_eq!(
        parse_error("pattern Read a/%c\n"),
        "test.acl:1: unknown access \"Read\" in pattern line; expected read, write, readwrite or \
         deny, then the topic"
    );
}

#[test]
fn topic_without_topic_is_an_error() {
    assert_eq!(
        parse_error("topic\n"),
        "test.acl:1: topic line has no topic; expected: topic [read|write|readwrite|deny] TOPIC"
    );
    assert_eq!(
        parse_error("pattern   \n"),
        "test.acl:1: pattern line has no topic; expected: pattern [read|write|readwrite|deny] \
         TOPIC"
    );
}

#[test]
fn user_without_username_is_an_error() {
    assert_eq!(
        parse_error("user\n"),
        "test.acl:1: user line has no username; expected: user USERNAME"
    );
}

#[test]
fn tab_separated_words_are_an_error_with_a_hint() {
    assert_eq!(
        parse_error("topic\tread\ta\n"),
        "test.acl:1: unknown keyword \"topic\\tread\\ta\"; expected topic, pattern or user \
         (words are separated by spaces; a tab does not separate them)"
    );
}

#[test]
fn indented_comment_is_an_error_with_a_hint() {
    assert_eq!(
        parse_error("  # note\n"),
        "test.acl:1: unknown keyword \"#\"; expected topic, pattern or user (a comment's # must \
         be the first character of the line)"
    );
}

#[test]
fn plus_inside_a_level_is_an_error() {
    assert_eq!(
        parse_error("topic read a/b+\n"),
        "test.acl:1: invalid ACL topic \"a/b+\": + must fill a whole level, as in a/+/c"
    );
}

#[test]
fn hash_not_last_or_inside_a_level_is_an_error() {
    assert_eq!(
        parse_error("topic read a/#/b\n"),
        "test.acl:1: invalid ACL topic \"a/#/b\": # must fill the last level, as in a/b/#"
    );
    assert_eq!(
        parse_error("pattern read %c#\n"),
        "test.acl:1: invalid ACL topic \"%c#\": # must fill the last level, as in a/b/#"
    );
}

#[test]
fn more_than_201_levels_is_an_error() {
    let ok = format!("topic {}\n", ["a"; 201].join("/"));
    assert!(AclFile::parse(Path::new("test.acl"), &ok).is_ok());
    let bad = format!("topic {}\n", ["a"; 202].join("/"));
    assert_eq!(
        parse_error(&bad),
        "test.acl:1: ACL topic has 202 levels; at most 201 are allowed"
    );
}

#[test]
fn topic_longer_than_65535_bytes_is_an_error() {
    let bad = format!("topic {}\n", "a".repeat(65_536));
    assert_eq!(
        parse_error(&bad),
        "test.acl:1: ACL topic is 65536 bytes long; at most 65535 are allowed"
    );
}
