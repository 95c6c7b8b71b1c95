//! Reading `mosquitto.conf`-syntax text: `name value` lines, `#` comments, `include_dir`, and
//! errors that name the file, the line, the directive and what would be valid.
//!
//! Every word is looked up in the directive table; a known directive Roost does not implement
//! yet is refused with the feature it needs. Listener addresses are settled at the end, once
//! `socket_domain` and `bind_interface` lines have been read, as Mosquitto does when it binds.

use std::cmp::Ordering;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use super::address::{family_of, host_address, interface_address};
use super::directives::{directives, lookup, Support};
use super::log::{parse_dest, parse_type};
use super::{
    Config, DashboardSettings, Listener, LogDest, LogTypes, SecuritySettings, SocketDomain,
};

/// A configuration error, with where it stands.
pub type ConfigError = crate::file_error::FileError;

/// A line of a file.
#[derive(Debug, Clone, Default)]
struct Location {
    file: PathBuf,
    line: usize,
}

impl Location {
    fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            line: self.line,
            message: message.into(),
        }
    }
}

/// A listener being read: its settings so far, and the lines its address comes from.
#[derive(Debug)]
struct Pending {
    listener: Listener,
    /// The address or host name given, if any.
    host: Option<String>,
    host_at: Location,
    domain_at: Location,
    interface_at: Location,
}

impl Pending {
    fn new(port: u16, host: Option<&str>, at: &Location) -> Pending {
        Pending {
            listener: Listener::new(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port)),
            host: host.map(str::to_string),
            host_at: at.clone(),
            domain_at: at.clone(),
            interface_at: at.clone(),
        }
    }
}

/// The state of one parse: the config so far and which listener per-listener lines apply to.
#[derive(Debug)]
pub(crate) struct ParseState {
    pub(crate) config: Config,
    /// The default listener: `port` and `bind_address` make it real; per-listener lines before
    /// any `listener` apply to it, as in Mosquitto. In local-only mode it is the local listener.
    default: Pending,
    default_used: bool,
    listeners: Vec<Pending>,
    /// The line being read.
    at: Location,
    /// How deep in `include_dir` files the line is (0: the main file).
    depth: usize,
    /// A directory an `include_dir` line asked for, read once that line is done.
    include: Option<String>,
    log_dest_set: bool,
    log_type_set: bool,
}

impl ParseState {
    fn new(source: &Path) -> ParseState {
        let config = Config {
            source: Some(source.to_path_buf()),
            security: SecuritySettings::default(),
            dashboard: DashboardSettings::default(),
            ..Config::default()
        };
        ParseState {
            config,
            default: Pending::new(1883, None, &Location::default()),
            default_used: false,
            listeners: Vec::new(),
            at: Location::default(),
            depth: 0,
            include: None,
            log_dest_set: false,
            log_type_set: false,
        }
    }

    /// Starts a listener: later per-listener lines apply to it.
    pub(crate) fn add_listener(&mut self, port: u16, host: Option<&str>) {
        self.listeners.push(Pending::new(port, host, &self.at));
    }

    fn current(&mut self) -> &mut Pending {
        match self.listeners.last_mut() {
            Some(pending) => pending,
            None => &mut self.default,
        }
    }

    /// The listener per-listener directives apply to: the last one declared, else the default.
    pub(crate) fn listener(&mut self) -> &mut Listener {
        &mut self.current().listener
    }

    /// The default listener of `port`/`bind_address`, which those lines make real.
    pub(crate) fn default_listener(&mut self) -> &mut Listener {
        self.default_used = true;
        &mut self.default.listener
    }

    /// `bind_address`: the default listener's address.
    pub(crate) fn set_default_host(&mut self, host: &str) {
        self.default_used = true;
        self.default.host = Some(host.to_string());
        self.default.host_at = self.at.clone();
    }

    /// A value with the line being read, for errors found when its file is used.
    pub(crate) fn sourced<T>(&self, value: T) -> super::Sourced<T> {
        super::Sourced {
            value,
            file: self.at.file.clone(),
            line: self.at.line,
        }
    }

    /// The TLS settings of the current listener.
    pub(crate) fn tls(&mut self) -> &mut super::TlsSettings {
        &mut self.current().listener.tls
    }

    /// `socket_domain` for the current listener.
    pub(crate) fn set_socket_domain(&mut self, domain: SocketDomain) {
        let at = self.at.clone();
        let current = self.current();
        current.listener.socket_domain = Some(domain);
        current.domain_at = at;
    }

    /// `bind_interface` for the current listener.
    pub(crate) fn set_bind_interface(&mut self, name: &str) -> Result<(), String> {
        let at = self.at.clone();
        let current = self.current();
        if current.listener.bind_interface.is_some() {
            return Err("given twice for this listener".into());
        }
        current.listener.bind_interface = Some(name.to_string());
        current.interface_at = at;
        Ok(())
    }

    /// The current listener's own security settings with `per_listener_settings true`, else
    /// `None` (the global ones apply).
    pub(crate) fn listener_security(&mut self) -> Option<&mut SecuritySettings> {
        if !self.config.per_listener_settings {
            return None;
        }
        Some(
            self.listener()
                .security
                .get_or_insert_with(SecuritySettings::default),
        )
    }

    /// The security settings a `password_file`/`acl_file`/`allow_anonymous` line sets: the
    /// current listener's with `per_listener_settings true`, the global ones otherwise.
    pub(crate) fn security(&mut self) -> &mut SecuritySettings {
        if self.config.per_listener_settings {
            return self
                .listener()
                .security
                .get_or_insert_with(SecuritySettings::default);
        }
        &mut self.config.security
    }

    /// Records a notice about the line being read, for the broker to log at start.
    pub(crate) fn notice(&mut self, text: &str) {
        let Location { file, line } = &self.at;
        self.config
            .notices
            .push(format!("{}:{line}: {text}", file.display()));
    }

    /// `include_dir`: read once this line is done; ignored (with a notice) in an included file,
    /// as Mosquitto ignores it there.
    pub(crate) fn include_dir(&mut self, dir: &str) {
        if self.depth > 0 {
            self.notice("'include_dir' is only read in the main configuration file; ignored here");
        } else {
            self.include = Some(dir.to_string());
        }
    }

    /// One `log_dest` line: the first replaces the default, `none` clears, others add.
    pub(crate) fn add_log_dest(&mut self, value: &str) -> Result<(), String> {
        let dest = parse_dest(value)?;
        let log = &mut self.config.log;
        if !self.log_dest_set {
            log.dest.clear();
            self.log_dest_set = true;
        }
        match dest {
            None => log.dest.clear(),
            Some(LogDest::File(_)) if log.dest.iter().any(|d| matches!(d, LogDest::File(_))) => {
                return Err("only one 'log_dest file' may be given".into())
            }
            Some(dest) if !log.dest.contains(&dest) => log.dest.push(dest),
            Some(_) => {}
        }
        Ok(())
    }

    /// One `log_type` line: the first replaces the default, `none` clears, others add.
    pub(crate) fn add_log_type(&mut self, value: &str) -> Result<(), String> {
        let types = parse_type(value)?;
        let log = &mut self.config.log;
        if !self.log_type_set {
            log.types = LogTypes::NONE;
            self.log_type_set = true;
        }
        match types {
            None => log.types = LogTypes::NONE,
            Some(more) => more.iter().for_each(|t| log.types.insert(t)),
        }
        Ok(())
    }
}

/// Reads a configuration file.
pub fn parse_file(path: &Path) -> Result<Config, ConfigError> {
    let mut state = ParseState::new(path);
    read_file(&mut state, path)?;
    finish(state)
}

/// Reads configuration text; `name` stands for the file in errors, and `include_dir` paths are
/// relative to its directory.
pub fn parse_str(name: &Path, text: &str) -> Result<Config, ConfigError> {
    let mut state = ParseState::new(name);
    read_text(&mut state, name, text)?;
    finish(state)
}

fn finish(mut state: ParseState) -> Result<Config, ConfigError> {
    let local_only = state.listeners.is_empty() && !state.default_used;
    let mut pending = std::mem::take(&mut state.listeners);
    if state.default_used || local_only {
        pending.insert(0, state.default);
    }
    let mut listeners = Vec::with_capacity(pending.len());
    for mut p in pending {
        settle_address(&mut p, local_only)?;
        p.listener.tls.check()?;
        listeners.push(p.listener);
    }
    super::directives::check_dashboard(&state.config.dashboard)?;
    let config = &mut state.config;
    config.listeners = listeners;
    config.local_only = local_only;
    // Mosquitto 2: anonymous clients are refused once any listener is configured.
    let anonymous = local_only;
    config.security.allow_anonymous = Some(config.security.allow_anonymous.unwrap_or(anonymous));
    for listener in &mut config.listeners {
        if let Some(own) = &mut listener.security {
            own.allow_anonymous = Some(own.allow_anonymous.unwrap_or(anonymous));
        }
    }
    Ok(state.config)
}

fn read_file(state: &mut ParseState, path: &Path) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.to_path_buf(),
        line: 0,
        message: format!("cannot read the file: {e}"),
    })?;
    read_text(state, path, &text)
}

fn read_text(state: &mut ParseState, file: &Path, text: &str) -> Result<(), ConfigError> {
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = Location {
            file: file.to_path_buf(),
            line: index + 1,
        };
        state.at = at.clone();
        let (name, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let value = value.trim();
        let directive = lookup(name).ok_or_else(|| at.error(unknown(name)))?;
        match directive.support {
            Support::NotYet { feature } => {
                return Err(at.error(format!("'{name}' ({feature}) is not supported yet")));
            }
            Support::Unavailable { why } => {
                return Err(at.error(format!("'{name}' is not supported: {why}")));
            }
            Support::Implemented { .. } if value.is_empty() => {
                return Err(at.error(format!("'{name}' needs a value: {name} {}", directive.form)));
            }
            Support::Implemented { apply, .. } => apply(state, value).map_err(|why| {
                at.error(format!(
                    "'{name} {value}': {why} (expected: {name} {})",
                    directive.form
                ))
            })?,
        }
        if let Some(dir) = state.include.take() {
            include_dir(state, &at, &dir)?;
        }
    }
    Ok(())
}

/// Reads the `*.conf` files of `dir` (relative to the including file's directory) in Mosquitto's
/// order.
fn include_dir(state: &mut ParseState, at: &Location, dir: &str) -> Result<(), ConfigError> {
    let dir = at.file.parent().unwrap_or(Path::new(".")).join(dir);
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        at.error(format!(
            "include_dir '{}': cannot read the directory: {e}",
            dir.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.is_file()
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.len() > ".conf".len() && n.ends_with(".conf"))
        })
        .collect();
    files.sort_by(|a, b| mosquitto_order(&a.to_string_lossy(), &b.to_string_lossy()));
    state.depth += 1;
    let result = files.iter().try_for_each(|path| read_file(state, path));
    state.depth -= 1;
    result
}

/// Mosquitto's include order: letters compared without case first, then upper case before lower
/// (`A.conf`, `a.conf`, `B.conf`, `b.conf`).
fn mosquitto_order(a: &str, b: &str) -> Ordering {
    for (x, y) in a.bytes().zip(b.bytes()) {
        let by_letter = x.to_ascii_uppercase().cmp(&y.to_ascii_uppercase());
        let order = by_letter.then(x.cmp(&y));
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

fn unknown(name: &str) -> String {
    let nearest = directives()
        .filter(|d| !d.name.ends_with('*'))
        .map(|d| (edit_distance(name, d.name), d.name))
        .min()
        .filter(|(distance, _)| *distance <= 3 && *distance < name.len());
    match nearest {
        Some((_, suggestion)) => format!("unknown option '{name}' (did you mean '{suggestion}'?)"),
        None => format!("unknown option '{name}' (see 'roost broker --help-config')"),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Puts the address the listener binds in `addr`: from its address or host name, its
/// `socket_domain` and its `bind_interface`, as Mosquitto settles them when it binds.
fn settle_address(p: &mut Pending, local_only: bool) -> Result<(), ConfigError> {
    let domain = p.listener.socket_domain;
    let port = p.listener.addr.port();
    let mut ip = match &p.host {
        None => None,
        Some(host) => Some(host_address(host, port, domain).map_err(|m| {
            let at = if domain.is_some() {
                &p.domain_at
            } else {
                &p.host_at
            };
            at.error(m)
        })?),
    };
    if let Some(name) = &p.listener.bind_interface {
        let family = domain.or(ip.map(family_of));
        let found = interface_address(name, family).map_err(|m| p.interface_at.error(m))?;
        if let Some(given) = ip.filter(|given| *given != found) {
            return Err(p.interface_at.error(format!(
                "interface '{name}' has address {found}, not the listener's address {given}"
            )));
        }
        ip = Some(found);
    }
    let ip = ip.unwrap_or(match (domain, local_only) {
        (Some(SocketDomain::Ipv6), true) => Ipv6Addr::LOCALHOST.into(),
        (_, true) => Ipv4Addr::LOCALHOST.into(),
        (Some(SocketDomain::Ipv6), false) => Ipv6Addr::UNSPECIFIED.into(),
        (_, false) => Ipv4Addr::UNSPECIFIED.into(),
    });
    p.listener.addr.set_ip(ip);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        parse_str(Path::new("test.conf"), text)
    }

    #[test]
    fn no_listener_means_local_only_and_anonymous() {
        let c = parse("# nothing\nmax_inflight_messages 5\n").unwrap();
        assert!(c.local_only && c.security.allow_anonymous == Some(true));
        assert_eq!(c.listeners[0].addr.to_string(), "127.0.0.1:1883");
        assert_eq!(c.max_inflight_messages, 5);
    }

    #[test]
    fn a_listener_refuses_anonymous_unless_allowed() {
        let c = parse("listener 1884\n").unwrap();
        assert!(!c.local_only && c.security.allow_anonymous == Some(false));
        assert_eq!(c.listeners[0].addr.to_string(), "0.0.0.0:1884");
        let c =
            parse("listener 1884 127.0.0.1\nallow_anonymous true\nmax_connections 3\n").unwrap();
        assert_eq!(c.security.allow_anonymous, Some(true));
        assert_eq!(c.listeners[0].max_connections, Some(3));
    }

    #[test]
    fn include_order_is_mosquittos() {
        let mut names = vec!["b.conf", "A.conf", "01.conf", "a.conf", "B.conf", "00.conf"];
        names.sort_by(|a, b| mosquitto_order(a, b));
        assert_eq!(
            names,
            ["00.conf", "01.conf", "A.conf", "a.conf", "B.conf", "b.conf"]
        );
    }

    #[test]
    fn suggestions_are_near_words_only() {
        assert!(unknown("usr").contains("did you mean 'user'"));
        assert!(unknown("frobnicate").contains("--help-config"));
    }
}
