//! One ACL rule's topic filter, split into levels once at load and matched against a topic name
//! without allocating.
//!
//! A `topic` rule's filter is literal text with `+`/`#` levels. A `pattern` rule's filter may also
//! hold `%c` (client id) and `%u` (username) anywhere in a level: Mosquitto 2.0 substitutes them
//! as text, wherever they appear, and then matches the result as an MQTT filter. This module does
//! the same without building the substituted string: a level is a list of pieces, and matching
//! strips each piece's text off the front of the topic in turn. A substituted value that holds a
//! `/` therefore spans topic levels, exactly as Mosquitto's string substitution does. Values
//! holding `+` or `#` are the caller's to refuse (see `AclFile`); this module never sees them
//! as wildcards.
//!
//! Validation follows Mosquitto's `mosquitto_sub_topic_check`: `+` and `#` fill whole levels, `#`
//! is the last level, the filter is at most 65,535 bytes and has at most 200 `/` (201 levels).

/// The longest filter Mosquitto accepts, in bytes (the MQTT string limit).
const MAX_FILTER_BYTES: usize = 65_535;

/// The most `/` a filter may hold: Mosquitto's `TOPIC_HIERARCHY_LIMIT`.
const MAX_SEPARATORS: usize = 200;

/// Who is asking: the values `%u` and `%c` stand for.
#[derive(Debug, Clone, Copy)]
pub(super) struct Identity<'a> {
    /// The client's username; `None` for a client that gave none.
    pub(super) username: Option<&'a str>,
    /// The client's id.
    pub(super) client_id: &'a str,
}

/// One part of a level's text.
#[derive(Debug)]
enum Piece {
    /// Text matched as is.
    Literal(Box<str>),
    /// `%c` in a pattern.
    ClientId,
    /// `%u` in a pattern.
    Username,
}

impl Piece {
    fn text<'a>(&'a self, who: &Identity<'a>) -> &'a str {
        match self {
            Piece::Literal(text) => text,
            Piece::ClientId => who.client_id,
            // A filter that uses `%u` is never matched for a client without a username
            // (`Filter::matches` checks first), so the empty fallback is never compared.
            Piece::Username => who.username.unwrap_or(""),
        }
    }
}

/// One level of a filter.
#[derive(Debug)]
enum Level {
    /// `+`: any one level.
    Single,
    /// `#`: this level's parent and everything below it; always the last level.
    Multi,
    /// Text, possibly with substitutions, that must equal the topic's level(s).
    Text(Box<[Piece]>),
}

/// A validated ACL filter, ready to match.
#[derive(Debug)]
pub(super) struct Filter {
    levels: Box<[Level]>,
    uses_username: bool,
    uses_substitution: bool,
}

impl Filter {
    /// A `topic` rule's filter: `%c` and `%u` are plain text here.
    pub(super) fn topic(text: &str) -> Result<Filter, String> {
        validate(text)?;
        let levels = text
            .split('/')
            .map(|level| match level {
                "+" => Level::Single,
                "#" => Level::Multi,
                literal => Level::Text(Box::new([Piece::Literal(literal.into())])),
            })
            .collect();
        Ok(Filter {
            levels,
            uses_username: false,
            uses_substitution: false,
        })
    }

    /// A `pattern` rule's filter: `%c` and `%u` anywhere are substituted when matching.
    pub(super) fn pattern(text: &str) -> Result<Filter, String> {
        validate(text)?;
        let levels: Box<[Level]> = text
            .split('/')
            .map(|level| match level {
                "+" => Level::Single,
                "#" => Level::Multi,
                text => Level::Text(pieces(text)),
            })
            .collect();
        let mut uses_username = false;
        let mut uses_substitution = false;
        for level in levels.iter() {
            if let Level::Text(pieces) = level {
                for piece in pieces.iter() {
                    uses_username |= matches!(piece, Piece::Username);
                    uses_substitution |= !matches!(piece, Piece::Literal(_));
                }
            }
        }
        Ok(Filter {
            levels,
            uses_username,
            uses_substitution,
        })
    }

    /// Whether the filter holds `%c` or `%u` (Mosquitto warns about a pattern that does not).
    /// The rule as text with `%c`/`%u` filled in, for comparing it with a subscription filter;
    /// `None` when it needs a user name the client does not have.
    pub(super) fn render(&self, who: &Identity<'_>) -> Option<String> {
        if self.uses_username && who.username.is_none() {
            return None;
        }
        let mut out = String::new();
        for (i, level) in self.levels.iter().enumerate() {
            if i > 0 {
                out.push('/');
            }
            match level {
                Level::Single => out.push('+'),
                Level::Multi => out.push('#'),
                Level::Text(pieces) => pieces.iter().for_each(|p| out.push_str(p.text(who))),
            }
        }
        Some(out)
    }

    pub(super) fn uses_substitution(&self) -> bool {
        self.uses_substitution
    }

    /// Whether the filter, with `who`'s values substituted, matches `topic` as an MQTT filter.
    ///
    /// `topic` must be a non-empty topic name without wildcards (the caller checks). A filter
    /// using `%u` never matches a client without a username, as in Mosquitto. A topic starting
    /// with `$` matches only a filter whose (substituted) text starts with `$`, and the reverse.
    pub(super) fn matches(&self, topic: &str, who: &Identity<'_>) -> bool {
        if self.uses_username && who.username.is_none() {
            return false;
        }
        if self.starts_with_dollar(who) != topic.starts_with('$') {
            return false;
        }
        // `rest` is what is left of the topic: `Some(text)` while at least one level remains
        // (`text` may be empty: an empty level), `None` once every level has been consumed.
        let mut rest = Some(topic);
        for level in self.levels.iter() {
            match level {
                // `a/#` also matches `a` itself, so it matches whether or not levels remain.
                Level::Multi => return true,
                Level::Single => {
                    let Some(remaining) = rest else {
                        return false;
                    };
                    rest = remaining.split_once('/').map(|(_, tail)| tail);
                }
                Level::Text(pieces) => {
                    let Some(mut remaining) = rest else {
                        return false;
                    };
                    for piece in pieces.iter() {
                        match remaining.strip_prefix(piece.text(who)) {
                            Some(tail) => remaining = tail,
                            None => return false,
                        }
                    }
                    if remaining.is_empty() {
                        rest = None;
                    } else if let Some(tail) = remaining.strip_prefix('/') {
                        rest = Some(tail);
                    } else {
                        return false;
                    }
                }
            }
        }
        rest.is_none()
    }

    /// Whether the substituted filter's first character is `$`.
    fn starts_with_dollar(&self, who: &Identity<'_>) -> bool {
        let Some(Level::Text(pieces)) = self.levels.first() else {
            return false;
        };
        pieces
            .iter()
            .find_map(|piece| piece.text(who).chars().next())
            .is_some_and(|first| first == '$')
    }
}

/// Mosquitto's `mosquitto_sub_topic_check`, with messages that say what would be valid.
fn validate(text: &str) -> Result<(), String> {
    if text.len() > MAX_FILTER_BYTES {
        return Err(format!(
            "ACL topic is {} bytes long; at most {MAX_FILTER_BYTES} are allowed",
            text.len()
        ));
    }
    let separators = text.matches('/').count();
    if separators > MAX_SEPARATORS {
        return Err(format!(
            "ACL topic has {} levels; at most {} are allowed",
            separators + 1,
            MAX_SEPARATORS + 1
        ));
    }
    let mut levels = text.split('/').peekable();
    while let Some(level) = levels.next() {
        let is_last = levels.peek().is_none();
        if level.contains('+') && level != "+" {
            return Err(format!(
                "invalid ACL topic \"{text}\": + must fill a whole level, as in a/+/c"
            ));
        }
        if level.contains('#') && (level != "#" || !is_last) {
            return Err(format!(
                "invalid ACL topic \"{text}\": # must fill the last level, as in a/b/#"
            ));
        }
    }
    Ok(())
}

/// Splits a pattern level into literal text, `%c` and `%u`, reading left to right as Mosquitto's
/// substitution loop does (so `%%c` is a literal `%` followed by the client id).
fn pieces(level: &str) -> Box<[Piece]> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = level.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            let substitution = match chars.peek() {
                Some('c') => Some(Piece::ClientId),
                Some('u') => Some(Piece::Username),
                _ => None,
            };
            if let Some(piece) = substitution {
                chars.next();
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal).into()));
                }
                pieces.push(piece);
                continue;
            }
        }
        literal.push(c);
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal.into()));
    }
    pieces.into_boxed_slice()
}
