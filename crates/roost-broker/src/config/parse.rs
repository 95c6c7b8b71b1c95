//! Reading `mosquitto.conf`-syntax text: `name value` lines, `#` comments, `include_dir`, and
//! errors that name the file, the line, the directive and what would be valid.

use std::fmt;
use std::path::{Path, PathBuf};

use super::directives::{Directive, DIRECTIVES};
use super::{Config, Listener, SecuritySettings};

/// A configuration error, with where it stands.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    /// The file (or `<text>` for a string).
    pub file: PathBuf,
    /// 1-based line number; 0 when the error is about the file as a whole.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        }
    }
}

/// Directives Mosquitto has that Roost does not implement yet: refused, never ignored.
const NOT_YET: &[(&str, &str)] = &[
    ("connection", "bridges"),
    ("address", "bridges"),
    ("plugin", "plugins"),
    ("auth_plugin", "plugins"),
    ("certfile", "TLS"),
    ("keyfile", "TLS"),
    ("cafile", "TLS"),
    ("protocol", "WebSocket listeners"),
    ("persistence", "persistence"),
];

/// The state of one parse: the config so far and which listener per-listener lines apply to.
#[derive(Debug)]
pub(crate) struct ParseState {
    pub(crate) config: Config,
    explicit_listeners: bool,
}

impl ParseState {
    pub(crate) fn add_listener(&mut self, listener: Listener) {
        if !self.explicit_listeners {
            self.config.listeners.clear();
            self.explicit_listeners = true;
        }
        self.config.listeners.push(listener);
    }

    /// The listener per-listener directives apply to: the last one declared.
    pub(crate) fn listener(&mut self) -> &mut Listener {
        let last = self.config.listeners.len() - 1;
        &mut self.config.listeners[last]
    }

    /// The security settings a `password_file`/`acl_file`/`allow_anonymous` line sets: the last
    /// listener's with `per_listener_settings true`, the global ones otherwise.
    pub(crate) fn security(&mut self) -> &mut SecuritySettings {
        if self.config.per_listener_settings && self.explicit_listeners {
            let listener = self.listener();
            listener
                .security
                .get_or_insert_with(SecuritySettings::default)
        } else {
            &mut self.config.security
        }
    }

    /// The default listener of `port`/`bind_address`, created on first use.
    pub(crate) fn default_listener(&mut self) -> Result<&mut Listener, String> {
        if !self.explicit_listeners {
            let addr = std::net::SocketAddr::from(([0, 0, 0, 0], 1883));
            self.add_listener(Listener::new(addr));
        }
        Ok(&mut self.config.listeners[0])
    }
}

/// Reads a configuration file.
pub fn parse_file(path: &Path) -> Result<Config, ConfigError> {
    let mut state = new_state(path);
    read_file(&mut state, path)?;
    Ok(finish(state))
}

/// Reads configuration text; `name` stands for the file in errors.
pub fn parse_str(name: &Path, text: &str) -> Result<Config, ConfigError> {
    let mut state = new_state(name);
    read_text(&mut state, name, text)?;
    Ok(finish(state))
}

fn new_state(path: &Path) -> ParseState {
    let config = Config {
        source: Some(path.to_path_buf()),
        security: SecuritySettings::default(),
        ..Config::default()
    };
    ParseState {
        config,
        explicit_listeners: false,
    }
}

fn finish(mut state: ParseState) -> Config {
    state.config.local_only = !state.explicit_listeners;
    // Mosquitto 2: anonymous clients are refused once any listener is configured.
    let default = !state.explicit_listeners;
    let config = &mut state.config;
    config.security.allow_anonymous = Some(config.security.allow_anonymous.unwrap_or(default));
    for listener in &mut config.listeners {
        if let Some(own) = &mut listener.security {
            own.allow_anonymous = Some(own.allow_anonymous.unwrap_or(default));
        }
    }
    state.config
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
        let err = |message: String| ConfigError {
            file: file.to_path_buf(),
            line: index + 1,
            message,
        };
        let (name, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let value = value.trim();
        if name == "include_dir" {
            include_dir(state, file, value).map_err(err)?;
            continue;
        }
        let directive = lookup(name).map_err(err)?;
        if value.is_empty() {
            return Err(err(format!(
                "'{name}' needs a value: {name} {}",
                directive.form
            )));
        }
        (directive.apply)(state, value).map_err(|why| {
            err(format!(
                "'{name} {value}': {why} (expected: {name} {})",
                directive.form
            ))
        })?;
    }
    Ok(())
}

fn include_dir(state: &mut ParseState, file: &Path, dir: &str) -> Result<(), String> {
    let dir = file.parent().unwrap_or(Path::new(".")).join(dir);
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("include_dir '{}': {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "conf"))
        .collect();
    files.sort();
    for path in files {
        read_file(state, &path).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn lookup(name: &str) -> Result<&'static Directive, String> {
    if let Some(d) = DIRECTIVES.iter().find(|d| d.name == name) {
        return Ok(d);
    }
    if let Some((_, what)) = NOT_YET.iter().find(|(n, _)| *n == name) {
        return Err(format!("'{name}' ({what}) is not supported yet"));
    }
    let nearest = DIRECTIVES
        .iter()
        .map(|d| (edit_distance(name, d.name), d.name))
        .min()
        .filter(|(distance, _)| *distance <= 3);
    Err(match nearest {
        Some((_, suggestion)) => format!("unknown option '{name}' (did you mean '{suggestion}'?)"),
        None => format!("unknown option '{name}'"),
    })
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
    fn unknown_option_suggests_the_nearest() {
        let e = parse("\nalow_anonymous true\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "test.conf:2: unknown option 'alow_anonymous' (did you mean 'allow_anonymous'?)"
        );
    }

    #[test]
    fn bad_value_names_the_expected_form() {
        let e = parse("allow_anonymous yes\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "test.conf:1: 'allow_anonymous yes': expected 'true' or 'false', found 'yes' (expected: allow_anonymous true | false)"
        );
    }

    #[test]
    fn known_but_unsupported_is_refused() {
        let e = parse("connection bridge-01\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "test.conf:1: 'connection' (bridges) is not supported yet"
        );
    }

    #[test]
    fn durations_take_units() {
        let c = parse("persistent_client_expiration 2d\n").unwrap();
        assert_eq!(c.config_expiry_secs(), Some(172_800));
    }

    impl Config {
        fn config_expiry_secs(&self) -> Option<u64> {
            self.persistent_client_expiration.map(|d| d.as_secs())
        }
    }
}
