//! Topic names and topic filters (spec §4.7): which strings are valid as each.
//!
//! A topic name is what a PUBLISH is sent to: no wildcards. A topic filter is what a SUBSCRIBE asks
//! for: `+` matches one whole level, `#` the rest of the topic and may only be the last level, and
//! `$share/{group}/{filter}` names a shared subscription. These functions only judge the text;
//! matching names against filters belongs to the broker.

/// The longest topic a UTF-8 Encoded String can carry.
const MAX_LEN: usize = u16::MAX as usize;

/// True for a valid topic name: non-empty [MQTT-4.7.3-1], at most 65,535 bytes, no `+` or `#`
/// [MQTT-3.3.2-2] and no U+0000 [MQTT-4.7.3-2].
pub fn is_valid_topic_name(topic: &str) -> bool {
    !topic.is_empty() && topic.len() <= MAX_LEN && !topic.contains(['+', '#', '\0'])
}

/// True for a valid topic filter: non-empty, at most 65,535 bytes, no U+0000, `#` only as the whole
/// last level [MQTT-4.7.1-1], `+` only as a whole level [MQTT-4.7.1-2]; for
/// `$share/{group}/{filter}` a non-empty group without wildcards [MQTT-4.8.2-1, MQTT-4.8.2-2]
/// followed by a non-empty valid filter.
pub fn is_valid_topic_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.len() > MAX_LEN || filter.contains('\0') {
        return false;
    }
    match filter.strip_prefix("$share/") {
        Some(rest) => match rest.split_once('/') {
            Some((group, inner)) => {
                !group.is_empty() && !group.contains(['+', '#']) && is_valid_plain_filter(inner)
            }
            None => false,
        },
        None => is_valid_plain_filter(filter),
    }
}

/// The share group of a `$share/{group}/{filter}` filter and the filter it shares, if it is one.
pub fn split_shared(filter: &str) -> Option<(&str, &str)> {
    filter.strip_prefix("$share/")?.split_once('/')
}

fn is_valid_plain_filter(filter: &str) -> bool {
    if filter.is_empty() {
        return false;
    }
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        match level {
            "#" => return levels.peek().is_none(),
            "+" => {}
            other if other.contains(['+', '#']) => return false,
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names() {
        for ok in [
            "a",
            "/",
            "a/b/c",
            "$SYS/broker",
            " ",
            "sport/tennis/player1",
            "é/ü",
        ] {
            assert!(is_valid_topic_name(ok), "{ok:?}");
        }
        for bad in ["", "a/+", "#", "a/#", "a+b", "a\0b"] {
            assert!(!is_valid_topic_name(bad), "{bad:?}");
        }
        assert!(is_valid_topic_name(&"x".repeat(65_535)));
        assert!(!is_valid_topic_name(&"x".repeat(65_536)));
    }

    #[test]
    fn multi_level_wildcard_only_as_whole_last_level_mqtt_4_7_1_1() {
        for ok in ["#", "a/#", "/#", "+/#", "a/b/#"] {
            assert!(is_valid_topic_filter(ok), "{ok:?}");
        }
        for bad in ["a#", "a/#/b", "#/a", "a/b#", "##"] {
            assert!(!is_valid_topic_filter(bad), "{bad:?}");
        }
    }

    #[test]
    fn single_level_wildcard_only_as_whole_level_mqtt_4_7_1_2() {
        for ok in ["+", "+/+", "a/+/b", "/+", "+/", "a//+"] {
            assert!(is_valid_topic_filter(ok), "{ok:?}");
        }
        for bad in ["a+", "a/+b", "++", "+a/b"] {
            assert!(!is_valid_topic_filter(bad), "{bad:?}");
        }
    }

    #[test]
    fn empty_or_null_filters_are_invalid() {
        assert!(!is_valid_topic_filter(""));
        assert!(!is_valid_topic_filter("a/\0"));
        assert!(is_valid_topic_filter("/"));
        assert!(is_valid_topic_filter("a//b"));
    }

    #[test]
    fn shared_subscriptions_need_a_plain_group_and_a_filter_mqtt_4_8_2_1() {
        for ok in [
            "$share/g/a",
            "$share/g/#",
            "$share/g/+/x",
            "$share/group1/a/b",
        ] {
            assert!(is_valid_topic_filter(ok), "{ok:?}");
        }
        for bad in [
            "$share/g",
            "$share//a",
            "$share/g/",
            "$share/+/a",
            "$share/#/a",
            "$share/g+/a",
        ] {
            assert!(!is_valid_topic_filter(bad), "{bad:?}");
        }
        assert_eq!(split_shared("$share/g/a/b"), Some(("g", "a/b")));
        assert_eq!(split_shared("a/b"), None);
    }
}
