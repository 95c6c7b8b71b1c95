//! One line of an ACL file, read with Mosquitto 2.0's tokenising rules (`aclfile__parse` in
//! `src/security_default.c`), which are stricter and odder than they look:
//!
//! - trailing white space (C `isspace`) is dropped first; a line whose *first* character is `#`
//!   is a comment, and an empty line is skipped;
//! - words are separated by spaces only — a tab does not separate words, and an indented `#` is
//!   not a comment;
//! - `topic`/`pattern`: the word after the keyword is the access, and the rest of the line,
//!   trimmed, is the topic (so a topic may hold spaces); when nothing follows that word, it is
//!   the topic itself with `readwrite` access (`topic read` grants read and write on `read`);
//! - `user`: the rest of the line, trimmed, is the username (it may hold spaces);
//! - keywords and access words are case-sensitive.

/// What a rule lets a client do with the topics its filter matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// `read`: receive messages.
    Read,
    /// `write`: publish.
    Write,
    /// `readwrite`, or no access word: both.
    ReadWrite,
    /// `deny`: neither, whatever another rule grants.
    Deny,
}

/// The words an access may be, for error messages.
const ACCESS_WORDS: &str = "read, write, readwrite or deny";

/// A line that means something.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Line<'a> {
    /// `topic [ACCESS] TOPIC`.
    Topic {
        /// The access granted or denied.
        access: Access,
        /// The filter, not yet validated.
        topic: &'a str,
    },
    /// `pattern [ACCESS] TOPIC`.
    Pattern {
        /// The access granted or denied.
        access: Access,
        /// The filter with `%c`/`%u`, not yet validated.
        topic: &'a str,
    },
    /// `user USERNAME`.
    User(&'a str),
}

/// Reads one line (without its `\n`); `Ok(None)` for a comment or a blank line. The error is the
/// message for `AuthFileError`.
pub(super) fn parse(line: &str) -> Result<Option<Line<'_>>, String> {
    let line = line.trim_end_matches(is_c_space);
    if line.starts_with('#') {
        return Ok(None);
    }
    let Some((keyword, rest)) = next_word(line) else {
        return Ok(None);
    };
    match keyword {
        "topic" => rule(keyword, rest).map(|(access, topic)| Some(Line::Topic { access, topic })),
        "pattern" => {
            rule(keyword, rest).map(|(access, topic)| Some(Line::Pattern { access, topic }))
        }
        "user" => match rest {
            Some(name) => Ok(Some(Line::User(name.trim_matches(is_c_space)))),
            None => Err("user line has no username; expected: user USERNAME".to_owned()),
        },
        other => Err(unknown_keyword(other)),
    }
}

/// The access and topic of a `topic` or `pattern` line, from what follows the keyword.
fn rule<'a>(keyword: &str, rest: Option<&'a str>) -> Result<(Access, &'a str), String> {
    let Some((word, rest)) = rest.and_then(next_word) else {
        return Err(format!(
            "{keyword} line has no topic; expected: {keyword} [read|write|readwrite|deny] TOPIC"
        ));
    };
    let Some(topic) = rest else {
        return Ok((Access::ReadWrite, word));
    };
    let access = match word {
        "read" => Access::Read,
        "write" => Access::Write,
        "readwrite" => Access::ReadWrite,
        "deny" => Access::Deny,
        other => {
            return Err(format!(
                "unknown access \"{other}\" in {keyword} line; expected {ACCESS_WORDS}, \
                 then the topic"
            ))
        }
    };
    Ok((access, topic.trim_matches(is_c_space)))
}

/// `strtok_r(s, " ")` followed by `strtok_r(NULL, "")`: the first space-separated word, and the
/// text after the single space that ends it (`None` when nothing follows).
fn next_word(text: &str) -> Option<(&str, Option<&str>)> {
    let text = text.trim_start_matches(' ');
    if text.is_empty() {
        return None;
    }
    Some(match text.split_once(' ') {
        Some((word, rest)) if !rest.is_empty() => (word, Some(rest)),
        Some((word, _)) => (word, None),
        None => (text, None),
    })
}

fn unknown_keyword(word: &str) -> String {
    let mut message = format!(
        "unknown keyword \"{}\"; expected topic, pattern or user",
        word.escape_debug()
    );
    if word.starts_with('#') {
        message.push_str(" (a comment's # must be the first character of the line)");
    } else if word.contains('\t') {
        message.push_str(" (words are separated by spaces; a tab does not separate them)");
    }
    message
}

/// C's `isspace` in the "C" locale.
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}
