//! Mosquitto 2.0's ACL file (`acl_file`): who may publish to and receive from which topics.
//!
//! This module owns reading the file and answering "may this client do this?" It promises the
//! answers Mosquitto 2.0's default ACL check (`mosquitto_acl_check_default` in
//! `src/security_default.c`) gives for the same file and the same client. It does not apply the
//! broker-wide rules Mosquitto checks before any ACL (no client publishes to `$SYS/...` except
//! `$SYS/broker/connection/+/state`; nothing publishes to `$share/...`; bridges bypass ACLs); nor
//! mount points: the broker applies those and passes the mounted topic here.
//!
//! The rules and the check are documented on [`AclFile`].

mod filter;
mod line;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use self::filter::{Filter, Identity};
use self::line::{Access, Line};
use super::AuthFileError;

/// A loaded ACL file, answering Mosquitto 2.0's access checks.
///
/// # The file
///
/// ```text
/// # Comment: the first character of the line is #.
/// topic read $SYS/#                 # before any `user` line: clients without a username
/// user roger                        # starts roger's section (sections with one name merge)
/// topic foo/bar                     # no access word: readwrite
/// topic deny foo/bar/secret
/// pattern write sensor/%u/data      # every client, %u = username, %c = client id
/// ```
///
/// Lines are read as Mosquitto reads them (`line.rs` has the details): spaces separate words but
/// tabs do not; the topic is the rest of the line and may hold spaces.
/// Topics are checked as subscription filters (`+` and `#` fill whole levels, `#` last, at most
/// 65,535 bytes and 201 levels). Any bad line makes the whole file fail to load,
/// as it makes Mosquitto fail to start.
///
/// # The check
///
/// For a topic and a wanted access (read or write):
///
/// 1. The client's `topic` rules — its username's section, or the anonymous section when it has
///    no username; a username without a section has none — are tried: if a `deny` rule matches,
///    access is refused; else if a rule granting the access matches, it is granted.
/// 2. Otherwise, if there are `pattern` rules and the client's username or client id holds `+` or
///    `#`, access is refused: such a client could otherwise widen a pattern (`%c/#` with client id
///    `#`). Its `topic` rules (step 1) still apply, as in Mosquitto.
/// 3. Otherwise the `pattern` rules are tried the same way (denies first), with `%c` and `%u`
///    substituted. A pattern using `%u` is skipped for a client without a username.
/// 4. Anything not granted is refused. An empty file refuses everything.
///
/// So a `deny` wins over grants *in the same list*, but a user's `topic` grant is decided in step 1
/// and a `pattern deny` cannot take it back — Mosquitto's order.
///
/// Rules match topics as MQTT subscription filters, including `$`: a topic starting with `$` is
/// matched only by a rule starting with `$` (so `#` and `+/...` never grant `$SYS/...`), as in
/// Mosquitto's `mosquitto_topic_matches_sub`. `%c` and `%u` are substituted as text wherever they
/// appear in a level (Mosquitto's manual asks that they fill a level, but Mosquitto does not
/// enforce it); a substituted value holding `/` spans levels, as in Mosquitto.
///
/// # Subscriptions
///
/// Mosquitto 2.0's ACL file does not restrict SUBSCRIBE at all (its check returns success before
/// looking at any rule) and enforces read access per message. Roost enforces it per message too,
/// with [`AclFile::can_receive`], and also refuses a subscription that could deliver nothing:
/// one whose whole filter a deny rule covers, or that no read grant overlaps. So a client with
/// `topic read a/#` may subscribe to `#` (and receives only `a/...`), as in Mosquitto, but a
/// subscription to `b/#` gets SUBACK 0x80 (3.x) / 0x87 (5) instead of silence.
///
/// # Cost
///
/// Rules are split into levels at load. A check looks the username up once, then walks the rules
/// comparing the topic level by level, substituting `%c`/`%u` in place: it builds no string.
/// Checks take `&self`, so the broker can share one in an `Arc` and swap in a freshly loaded one
/// on SIGHUP.
#[derive(Debug, Default)]
pub struct AclFile {
    /// `topic` rules before the first `user` line: clients without a username.
    anonymous: Rules,
    /// `topic` rules after `user NAME` lines, by name.
    users: HashMap<Box<str>, Rules>,
    /// `pattern` rules: every client.
    patterns: Rules,
}

/// Which access a check asks for.
#[derive(Debug, Clone, Copy)]
enum Want {
    Read,
    Write,
}

/// One list of rules: denies are tried before grants, as Mosquitto puts them first.
#[derive(Debug, Default)]
struct Rules {
    denies: Vec<Filter>,
    grants: Vec<(Access, Filter)>,
}

impl Rules {
    fn push(&mut self, access: Access, filter: Filter) {
        match access {
            Access::Deny => self.denies.push(filter),
            granted => self.grants.push((granted, filter)),
        }
    }

    fn is_empty(&self) -> bool {
        self.denies.is_empty() && self.grants.is_empty()
    }

    /// `Some(false)` if a deny matches, `Some(true)` if a grant of `want` matches, else `None`.
    /// A subscription is refused when a deny rule covers the whole filter, and allowed when a
    /// read grant overlaps it (some topic could be delivered); what is delivered is then still
    /// checked message by message.
    fn decide_subscription(&self, filter: &str, who: &Identity<'_>) -> Option<bool> {
        let rendered = |f: &Filter| f.render(who);
        if self
            .denies
            .iter()
            .filter_map(rendered)
            .any(|rule| covers(&rule, filter))
        {
            return Some(false);
        }
        let readable = |(access, f): &(Access, Filter)| match access {
            Access::Read | Access::ReadWrite => f.render(who),
            _ => None,
        };
        self.grants
            .iter()
            .filter_map(readable)
            .any(|rule| overlaps(&rule, filter))
            .then_some(true)
    }

    fn decide(&self, topic: &str, want: Want, who: &Identity<'_>) -> Option<bool> {
        if self.denies.iter().any(|filter| filter.matches(topic, who)) {
            return Some(false);
        }
        let granted = self.grants.iter().any(|(access, filter)| {
            let gives = matches!(
                (access, want),
                (Access::ReadWrite, _) | (Access::Read, Want::Read) | (Access::Write, Want::Write)
            );
            gives && filter.matches(topic, who)
        });
        granted.then_some(true)
    }
}

impl AclFile {
    /// Reads and parses the ACL file at `path`.
    ///
    /// A comment line may hold any bytes, as in Mosquitto; any other line must be UTF-8 (MQTT
    /// topics and usernames are).
    pub fn load(path: &Path) -> Result<AclFile, AuthFileError> {
        let bytes = std::fs::read(path).map_err(|err| AuthFileError {
            file: path.to_path_buf(),
            line: 0,
            message: format!("cannot read the ACL file: {err}"),
        })?;
        let mut text = String::with_capacity(bytes.len());
        for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            if index > 0 {
                text.push('\n');
            }
            if raw.first() == Some(&b'#') {
                text.push('#');
                continue;
            }
            match std::str::from_utf8(raw) {
                Ok(line) => text.push_str(line),
                Err(_) => return Err(error(path, index + 1, "line is not valid UTF-8".into())),
            }
        }
        AclFile::parse(path, &text)
    }

    /// Parses the text of an ACL file; `path_for_errors` names it in errors.
    pub fn parse(path_for_errors: &Path, text: &str) -> Result<AclFile, AuthFileError> {
        let mut acl = AclFile::default();
        let mut user: Option<&str> = None;
        for (index, raw) in text.split('\n').enumerate() {
            let number = index + 1;
            let parsed =
                line::parse(raw).map_err(|message| error(path_for_errors, number, message));
            match parsed? {
                None => {}
                Some(Line::User(name)) => user = Some(name),
                Some(Line::Topic { access, topic }) => {
                    let filter = Filter::topic(topic)
                        .map_err(|message| error(path_for_errors, number, message))?;
                    let rules = match user {
                        Some(name) => acl.users.entry(name.into()).or_default(),
                        None => &mut acl.anonymous,
                    };
                    rules.push(access, filter);
                }
                Some(Line::Pattern { access, topic }) => {
                    let filter = Filter::pattern(topic)
                        .map_err(|message| error(path_for_errors, number, message))?;
                    if !filter.uses_substitution() {
                        tracing::warn!(
                            "{}:{number}: ACL pattern \"{topic}\" does not contain %c or %u",
                            path_for_errors.display()
                        );
                    }
                    acl.patterns.push(access, filter);
                }
            }
        }
        Ok(acl)
    }

    /// Whether the client may publish to the topic name `topic` (write access).
    ///
    /// `false` for an empty topic or one holding `+` or `#`, which no rule matches.
    #[must_use]
    pub fn can_publish(&self, username: Option<&str>, client_id: &str, topic: &str) -> bool {
        self.check(username, client_id, topic, Want::Write)
    }

    /// Whether the client may receive a message published to `topic` (read access).
    ///
    /// Check it for every message delivered to the client and for every retained message sent to
    /// it, as Mosquitto does: this, not [`AclFile::can_subscribe`], is what keeps a client subscribed
    /// to `#` from seeing what it may not read.
    #[must_use]
    pub fn can_receive(&self, username: Option<&str>, client_id: &str, topic: &str) -> bool {
        self.check(username, client_id, topic, Want::Read)
    }

    /// Whether the client may subscribe to `filter`: not when a deny rule covers all of it, yes
    /// when a read grant overlaps it (see [Subscriptions](AclFile#subscriptions)). Read access is
    /// still enforced per message by [`AclFile::can_receive`].
    #[must_use]
    pub fn can_subscribe(&self, username: Option<&str>, client_id: &str, filter: &str) -> bool {
        !filter.is_empty()
            && self.decide(username, client_id, |rules, who| {
                rules.decide_subscription(filter, who)
            })
    }

    fn check(&self, username: Option<&str>, client_id: &str, topic: &str, want: Want) -> bool {
        if topic.is_empty() || topic.contains(['+', '#']) {
            return false;
        }
        self.decide(username, client_id, |rules, who| {
            rules.decide(topic, want, who)
        })
    }

    /// Mosquitto's order: the client's own rules (its user section, or the anonymous section)
    /// decide first; then the patterns, which a user name or client id holding `+` or `#` never
    /// reaches; what nothing decides is denied.
    fn decide(
        &self,
        username: Option<&str>,
        client_id: &str,
        rule: impl Fn(&Rules, &Identity<'_>) -> Option<bool>,
    ) -> bool {
        let who = Identity {
            username,
            client_id,
        };
        let own = match username {
            Some(name) => self.users.get(name),
            None => Some(&self.anonymous),
        };
        if let Some(decision) = own.and_then(|rules| rule(rules, &who)) {
            return decision;
        }
        if self.patterns.is_empty() || username.is_some_and(has_wildcard) || has_wildcard(client_id)
        {
            return false;
        }
        rule(&self.patterns, &who).unwrap_or(false)
    }
}

/// True when every topic `filter` matches is also matched by `rule` (both MQTT filters).
fn covers(rule: &str, filter: &str) -> bool {
    if rule.starts_with('$') != filter.starts_with('$') && !filter.starts_with('$') {
        return false;
    }
    let mut filter_levels = filter.split('/');
    for rule_level in rule.split('/') {
        if rule_level == "#" {
            return true;
        }
        match filter_levels.next() {
            None | Some("#") => return false,
            Some("+") if rule_level != "+" => return false,
            Some(level) if rule_level != "+" && rule_level != level => return false,
            Some(_) => {}
        }
    }
    filter_levels.next().is_none()
}

/// True when some topic is matched by both filters. Topics starting with `$` are matched only
/// by filters that name them (MQTT-4.7.2-1), so a rule and a filter must agree on the `$`.
fn overlaps(rule: &str, filter: &str) -> bool {
    if rule.starts_with('$') != filter.starts_with('$') {
        let dollar_side_literal = if filter.starts_with('$') {
            rule
        } else {
            filter
        };
        if dollar_side_literal.starts_with(['+', '#']) || !dollar_side_literal.starts_with('$') {
            return false;
        }
    }
    let (mut a, mut b) = (rule.split('/'), filter.split('/'));
    loop {
        match (a.next(), b.next()) {
            (Some("#"), _) | (_, Some("#")) => return true,
            (None, None) => return true,
            (None, Some(_)) | (Some(_), None) => return false,
            (Some(x), Some(y)) if x == "+" || y == "+" || x == y => {}
            _ => return false,
        }
    }
}

fn has_wildcard(text: &str) -> bool {
    text.contains(['+', '#'])
}

fn error(file: &Path, line: usize, message: String) -> AuthFileError {
    AuthFileError {
        file: PathBuf::from(file),
        line,
        message,
    }
}

#[cfg(test)]
mod tests;
