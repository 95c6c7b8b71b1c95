//! Mosquitto's password file as a value: `user:hash` lines read, checked, edited and written
//! back in the same order, comments and blank lines kept where they were.
//!
//! Lines are read as the Mosquitto broker reads them: a line starting with `#` is a comment,
//! spaces around the username and the hash are trimmed, CRLF endings are accepted. Where
//! Mosquitto 2.0 skips a bad line with a log notice, loading fails here naming the file, the
//! line and what is wrong, as Mosquitto 2.1 does, so that no user silently loses access.

use std::collections::HashMap;
use std::fmt;
use std::hint::black_box;
use std::path::Path;

use super::hash::{HashKind, PasswordHash};
use super::username::{check_username, UsernameError};
use crate::auth::AuthFileError;

/// A password file: users in file order with their hashes.
#[derive(Debug, Clone, Default)]
pub struct PasswordFile {
    lines: Vec<Line>,
    /// Username → index in `lines`, so that a CONNECT does not scan the file.
    index: HashMap<String, usize>,
}

#[derive(Debug, Clone)]
enum Line {
    User {
        name: String,
        hash: PasswordHash,
    },
    /// A comment or blank line, written back as it was read.
    Kept(String),
}

impl PasswordFile {
    /// An empty file.
    pub fn new() -> PasswordFile {
        PasswordFile::default()
    }

    /// Reads and parses the password file at `path`.
    pub fn load(path: &Path) -> Result<PasswordFile, AuthFileError> {
        let text = read_text(path)?;
        PasswordFile::parse(path, &text)
    }

    /// Parses the text of a password file; `path_for_errors` only names it in errors.
    pub fn parse(path_for_errors: &Path, text: &str) -> Result<PasswordFile, AuthFileError> {
        PasswordFile::parse_with(path_for_errors, text, |value| {
            value.parse().map_err(|e| format!("{e}"))
        })
    }

    /// Parses a plain-text `user:password` file, hashing each password with `kind`, as
    /// `mosquitto_passwd -U` does.
    ///
    /// Unlike `mosquitto_passwd`, a value that is already a hash is kept rather than hashed
    /// again (so running `-U` twice does no harm), and a password may contain `:`.
    pub fn hash_plain_text(
        path_for_errors: &Path,
        text: &str,
        kind: HashKind,
    ) -> Result<PasswordFile, AuthFileError> {
        PasswordFile::parse_with(path_for_errors, text, |value| {
            if value.starts_with("$6$")
                || value.starts_with("$7$")
                || value.starts_with("$argon2id$")
            {
                value.parse().map_err(|e| format!("{e}"))
            } else {
                PasswordHash::new(kind, value.as_bytes()).map_err(|e| format!("{e}"))
            }
        })
    }

    fn parse_with(
        path: &Path,
        text: &str,
        mut read_value: impl FnMut(&str) -> Result<PasswordHash, String>,
    ) -> Result<PasswordFile, AuthFileError> {
        let mut file = PasswordFile::new();
        let mut defined_on: HashMap<String, usize> = HashMap::new();
        let body = text.strip_suffix('\n').unwrap_or(text);
        for (number, raw) in (1..).zip(body.split('\n')) {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            let error = |message: String| AuthFileError {
                file: path.to_path_buf(),
                line: number,
                message,
            };
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                file.lines.push(Line::Kept(line.to_owned()));
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(error(
                    "expected `username:password-hash`, found no ':'".to_owned(),
                ));
            };
            let name = name.trim();
            check_username(name).map_err(|e| error(format!("bad username `{name}`: {e}")))?;
            if let Some(first) = defined_on.get(name) {
                return Err(error(format!(
                    "user `{name}` is already defined on line {first}"
                )));
            }
            let value = value.trim();
            if value.is_empty() {
                return Err(error(format!("user `{name}` has no password hash")));
            }
            let hash = read_value(value).map_err(|e| error(format!("user `{name}`: {e}")))?;
            defined_on.insert(name.to_owned(), number);
            file.push_user(name.to_owned(), hash);
        }
        Ok(file)
    }

    /// Whether `username` is in the file and `password` matches its hash.
    ///
    /// For an unknown user a password is still hashed, against a decoy with the cost of the
    /// first user's hash, so that the time taken does not tell which users exist.
    pub fn verify(&self, username: &str, password: &[u8]) -> bool {
        match self.get(username) {
            Some(hash) => hash.verify(password),
            None => {
                let decoy = self
                    .entries()
                    .next()
                    .map_or_else(PasswordHash::default_decoy, |(_, hash)| hash.decoy());
                black_box(decoy.verify(black_box(password)));
                false
            }
        }
    }

    /// The usernames, in file order.
    pub fn users(&self) -> impl Iterator<Item = &str> {
        self.entries().map(|(name, _)| name)
    }

    /// The hash of `username`.
    pub fn get(&self, username: &str) -> Option<&PasswordHash> {
        match self.lines.get(*self.index.get(username)?) {
            Some(Line::User { hash, .. }) => Some(hash),
            _ => None,
        }
    }

    /// The number of users.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the file has no users.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Sets the hash of `username`: in place if the user exists, else at the end.
    pub fn set(&mut self, username: &str, hash: PasswordHash) -> Result<(), UsernameError> {
        check_username(username)?;
        match self.index.get(username) {
            Some(&at) => {
                self.lines[at] = Line::User {
                    name: username.to_owned(),
                    hash,
                }
            }
            None => self.push_user(username.to_owned(), hash),
        }
        Ok(())
    }

    /// Removes `username`; false if there was no such user.
    pub fn remove(&mut self, username: &str) -> bool {
        let Some(at) = self.index.remove(username) else {
            return false;
        };
        self.lines.remove(at);
        for position in self.index.values_mut() {
            if *position > at {
                *position -= 1;
            }
        }
        true
    }

    fn entries(&self) -> impl Iterator<Item = (&str, &PasswordHash)> {
        self.lines.iter().filter_map(|line| match line {
            Line::User { name, hash } => Some((name.as_str(), hash)),
            Line::Kept(_) => None,
        })
    }

    fn push_user(&mut self, name: String, hash: PasswordHash) {
        self.index.insert(name.clone(), self.lines.len());
        self.lines.push(Line::User { name, hash });
    }
}

/// The file's text: one line per user, comment or blank line, each ending in `\n`.
impl fmt::Display for PasswordFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            match line {
                Line::User { name, hash } => writeln!(f, "{name}:{hash}")?,
                Line::Kept(text) => writeln!(f, "{text}")?,
            }
        }
        Ok(())
    }
}

/// The file at `path` as UTF-8 text; an error names the line with the first bad byte.
fn read_text(path: &Path) -> Result<String, AuthFileError> {
    let bytes = std::fs::read(path).map_err(|e| AuthFileError {
        file: path.to_path_buf(),
        line: 0,
        message: format!("cannot read the password file: {e}"),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        AuthFileError {
            file: path.to_path_buf(),
            line: valid.iter().filter(|b| **b == b'\n').count() + 1,
            message: "not valid UTF-8".to_owned(),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    /// `mosquitto_passwd` 2.0.11 output: alice / "correct horse", bob / "hunter2" (`-H sha512`).
    const ALICE: &str = "$7$101$8o15WThuh1p/hOtj$Us4ElGGVmqcSzNvkiX+tDdCzzufi5h3ji/R2ww9SHqYVLB94B4Ek3rq/XranG1ZnMiQQU5xS7e1feS04bHyzKQ==";
    const BOB: &str = "$6$945O8siagZ0zQAud$OqWuYy7Tier5oGjPAo61jQnShrKJ8RM0KbobVOv83a6yPme0vOe/tn8ur0xZDRWJkQz9nZu1vywWVDja3fcvYg==";

    fn parse(text: &str) -> Result<PasswordFile, AuthFileError> {
        PasswordFile::parse(Path::new("/etc/mosquitto/passwd"), text)
    }

    fn error_of(text: &str) -> String {
        parse(text).expect_err(text).to_string()
    }

    #[test]
    fn reads_users_skipping_comments_and_blank_lines() {
        let text = format!("# users\n\nalice:{ALICE}\r\n  bob  :  {BOB}  \n   \n#carol:x\n");
        let file = parse(&text).expect("parses");
        assert_eq!(file.users().collect::<Vec<_>>(), ["alice", "bob"]);
        assert_eq!(file.len(), 2);
        assert!(file.verify("alice", b"correct horse"));
        assert!(file.verify("bob", b"hunter2"));
        assert!(!file.verify("alice", b"hunter2"));
        assert!(!file.verify("carol", b"x"));
        assert!(!file.verify("Alice", b"correct horse"));
    }

    #[test]
    fn writes_back_what_it_read() {
        let text = format!("# users\n\nalice:{ALICE}\n#x\nbob:{BOB}\n");
        assert_eq!(parse(&text).expect("parses").to_string(), text);
        let no_final_newline = format!("alice:{ALICE}");
        assert_eq!(
            parse(&no_final_newline).expect("parses").to_string(),
            format!("{no_final_newline}\n")
        );
        assert!(parse("").expect("empty").is_empty());
    }

    #[test]
    fn corrupt_lines_name_file_line_and_fault() {
        let cases = [
            (format!("alice:{ALICE}\njunk\n"), "/etc/mosquitto/passwd:2: expected `username:password-hash`, found no ':'"),
            ("\n\nalice:\n".to_owned(), "/etc/mosquitto/passwd:3: user `alice` has no password hash"),
            (format!(":{ALICE}\n"), "/etc/mosquitto/passwd:1: bad username ``: Username must not be empty."),
            (format!("al\x01ice:{ALICE}\n"), "/etc/mosquitto/passwd:1: bad username `al\x01ice`: Username must not contain control characters."),
            (format!("alice:{ALICE}\n#\nalice:{BOB}\n"), "/etc/mosquitto/passwd:3: user `alice` is already defined on line 1"),
            ("alice:secret\n".to_owned(), "/etc/mosquitto/passwd:1: user `alice`: not a password hash (expected $6$, $7$ or $argon2id$); a plain-text password file is converted with `roost passwd -U FILE`"),
            (format!("alice:{ALICE}:x\n"), "/etc/mosquitto/passwd:1: user `alice`: hash `"),
            ("bob:$7$abc$c2FsdA==$c2FsdA==\n".to_owned(), "/etc/mosquitto/passwd:1: user `bob`: iteration count `abc` is not a number"),
        ];
        for (text, expected) in cases {
            let error = error_of(&text);
            assert!(
                error.starts_with(expected),
                "{text:?}\n got: {error}\nwant: {expected}"
            );
        }
    }

    #[test]
    fn load_names_a_missing_file_and_bad_utf8_line() {
        let dir = std::env::temp_dir().join(format!("roost-pwfile-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let missing = dir.join("missing");
        let error = PasswordFile::load(&missing).expect_err("missing");
        assert_eq!(error.line, 0);
        assert!(error
            .to_string()
            .starts_with(&format!("{}: cannot read", missing.display())));
        let bad = dir.join("bad");
        std::fs::write(&bad, b"# ok\nal\xffice:x\n").expect("write");
        let error = PasswordFile::load(&bad).expect_err("bad utf-8");
        assert_eq!(
            error.to_string(),
            format!("{}:2: not valid UTF-8", bad.display())
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn set_replaces_in_place_and_appends_new_users() {
        let mut file = parse(&format!("alice:{ALICE}\n# keep\nbob:{BOB}\n")).expect("parses");
        let new = PasswordHash::new(HashKind::Sha512, b"new").expect("hash");
        file.set("alice", new.clone()).expect("set");
        file.set("carol", new.clone()).expect("set");
        assert_eq!(file.users().collect::<Vec<_>>(), ["alice", "bob", "carol"]);
        assert!(file.verify("alice", b"new"));
        assert!(file.verify("carol", b"new"));
        assert_eq!(
            file.to_string(),
            format!("alice:{new}\n# keep\nbob:{BOB}\ncarol:{new}\n")
        );
        assert_eq!(file.set("a:b", new), Err(UsernameError::Colon));
    }

    #[test]
    fn remove_keeps_the_others_reachable() {
        let mut file = parse(&format!("alice:{ALICE}\nbob:{BOB}\n")).expect("parses");
        assert!(file.remove("alice"));
        assert!(!file.remove("alice"));
        assert!(!file.verify("alice", b"correct horse"));
        assert!(file.verify("bob", b"hunter2"));
        assert_eq!(file.users().collect::<Vec<_>>(), ["bob"]);
        assert_eq!(file.to_string(), format!("bob:{BOB}\n"));
    }

    #[test]
    fn plain_text_is_hashed_and_hashes_are_kept() {
        let text = format!("alice: pass:word \n# note\nbob:{BOB}\n");
        let file = PasswordFile::hash_plain_text(Path::new("f"), &text, HashKind::default())
            .expect("converts");
        assert!(file.verify("alice", b"pass:word"));
        assert!(file.verify("bob", b"hunter2"));
        assert_eq!(
            file.get("bob").map(ToString::to_string).as_deref(),
            Some(BOB)
        );
        assert!(file
            .get("alice")
            .is_some_and(|h| h.to_string().starts_with("$7$101$")));
        let error = PasswordFile::hash_plain_text(Path::new("f"), "x\n", HashKind::Sha512)
            .expect_err("no colon")
            .to_string();
        assert_eq!(
            error,
            "f:1: expected `username:password-hash`, found no ':'"
        );
    }

    /// Fastest of a few runs: the least disturbed by other work on the machine.
    /// The fastest of several runs of `a` and of `b`, taken in turn so that a machine busy with
    /// other work slows both alike (apart, one could get a quiet moment and the other none).
    fn fastest_in_turn(mut a: impl FnMut(), mut b: impl FnMut()) -> (Duration, Duration) {
        let time = |run: &mut dyn FnMut()| {
            let start = Instant::now();
            run();
            start.elapsed()
        };
        let (mut best_a, mut best_b) = (Duration::MAX, Duration::MAX);
        for _ in 0..7 {
            best_a = best_a.min(time(&mut a));
            best_b = best_b.min(time(&mut b));
        }
        (best_a, best_b)
    }

    #[test]
    fn unknown_user_costs_a_hash_like_a_known_one() {
        let slow =
            PasswordHash::new(HashKind::Sha512Pbkdf2 { iterations: 20_000 }, b"pw").expect("hash");
        let mut file = PasswordFile::new();
        file.set("alice", slow).expect("set");
        let (known, unknown) = fastest_in_turn(
            || assert!(!file.verify("alice", b"wrong")),
            || assert!(!file.verify("mallory", b"wrong")),
        );
        assert!(
            unknown * 3 > known,
            "unknown user took {unknown:?}, known {known:?}"
        );
        let empty = PasswordFile::new();
        assert!(!empty.verify("anyone", b""));
    }
}
