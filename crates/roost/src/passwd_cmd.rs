//! `roost passwd`: edits a Mosquitto password file as `mosquitto_passwd` 2.0 does — its flags,
//! argument checks, prompts, messages and exit codes — over `roost_broker::auth::PasswordFile`.
//!
//! The arguments are parsed by hand, in `mosquitto_passwd`'s order (flags first, the first
//! other word starts the positional ones), because its messages depend on that order. Where
//! Roost differs it is safer: the file is replaced atomically instead of rewritten in place,
//! comments and blank lines are kept, `-U` leaves hashes alone instead of hashing them again,
//! and usernames that would not read back as written (empty, leading `#`, surrounding spaces)
//! are refused.

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use roost_broker::auth::{check_username, AuthFileError, HashKind, PasswordFile, PasswordHash};

/// The longest password Mosquitto accepts, an MQTT string's limit.
const MAX_PASSWORD_LEN: usize = 65535;

const USAGE: &str = "\
roost passwd is a tool for managing password files for mosquitto and roost.

Usage: roost passwd [-H sha512-pbkdf2 | -H sha512 | -H argon2id] [-c | -D] passwordfile username
       roost passwd [-H sha512-pbkdf2 | -H sha512 | -H argon2id] [-c] -b passwordfile username password
       roost passwd -U passwordfile
 -b : run in batch mode to allow passing passwords on the command line.
 -c : create a new password file. This will overwrite existing files.
 -D : delete the username rather than adding/updating its password.
 -H : specify the hashing algorithm. Defaults to sha512-pbkdf2, which is recommended
      and which every Mosquitto 2.x reads. sha512 is for Mosquitto 1.6 and earlier;
      argon2id needs Mosquitto 2.1 or Roost.
 -I : number of sha512-pbkdf2 iterations (default 101, as Mosquitto 2.0 writes).
 -U : update a plain text password file to use hashed passwords.

See https://mosquitto.org/ for more information.

";

/// The words after `roost passwd`, read as `mosquitto_passwd` reads its arguments.
#[derive(Debug, Args)]
#[command(disable_help_flag = true, disable_version_flag = true)]
pub(crate) struct PasswdArgs {
    /// [-H sha512-pbkdf2|sha512|argon2id] [-c | -D] FILE USER, -b FILE USER PASS, or -U FILE.
    #[arg(num_args = 0.., allow_hyphen_values = true, trailing_var_arg = true)]
    args: Vec<OsString>,
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
struct Request {
    kind: HashKind,
    file: PathBuf,
    action: Action,
}

#[derive(Debug, PartialEq)]
enum Action {
    /// Add or change a user; the password is prompted for when not given (`-b`).
    Set {
        user: String,
        password: Option<Vec<u8>>,
        create: bool,
    },
    /// `-D`.
    Delete { user: String },
    /// `-U`.
    Update,
}

/// How the command ends early: the usage text, or a message on stderr; both exit 1.
#[derive(Debug, PartialEq)]
enum Stop {
    Usage,
    Error(String),
}

/// Runs `roost passwd`; every failure is reported here, with `mosquitto_passwd`'s exit code.
pub(crate) fn run(args: &PasswdArgs) -> anyhow::Result<ExitCode> {
    let request = match parse(&args.args) {
        Ok(request) => request,
        Err(Stop::Usage) => {
            print!("{USAGE}");
            return Ok(ExitCode::from(1));
        }
        Err(Stop::Error(message)) => {
            eprintln!("{message}");
            return Ok(ExitCode::from(1));
        }
    };
    Ok(match execute(request) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failed { message, code }) => {
            eprintln!("{message}");
            ExitCode::from(code)
        }
    })
}

fn error(message: impl Into<String>) -> Stop {
    Stop::Error(message.into())
}

/// The flags before the first other word.
#[derive(Debug, Default)]
struct Flags {
    kind: HashKind,
    batch: bool,
    create: bool,
    delete: bool,
    update: bool,
}

/// Reads the arguments in `mosquitto_passwd` 2.0's order, with its messages.
fn parse(words: &[OsString]) -> Result<Request, Stop> {
    if words.is_empty() {
        return Err(Stop::Usage);
    }
    let (flags, first_positional) = parse_flags(words)?;
    for (conflict, message) in [
        (
            flags.create && flags.delete,
            "Error: -c and -D cannot be used together.",
        ),
        (
            flags.create && flags.update,
            "Error: -c and -U cannot be used together.",
        ),
        (
            flags.delete && flags.update,
            "Error: -D and -U cannot be used together.",
        ),
        (
            flags.delete && flags.batch,
            "Error: -b and -D cannot be used together.",
        ),
    ] {
        if conflict {
            return Err(error(message));
        }
    }
    let (file, action) = positionals(&flags, &words[first_positional..])?;
    check(&action)?;
    Ok(Request {
        kind: flags.kind,
        file: PathBuf::from(file),
        action,
    })
}

/// Reads flags up to the first word that is not one; returns them and that word's index.
fn parse_flags(words: &[OsString]) -> Result<(Flags, usize), Stop> {
    let mut flags = Flags::default();
    let mut iterations = None;
    let mut idx = 0;
    while let Some(word) = words.get(idx) {
        match word.to_str() {
            Some("-H") => {
                let name = words.get(idx + 1).ok_or_else(|| {
                    error("Error: -H argument given but not enough other arguments.")
                })?;
                flags.kind = name.to_str().and_then(HashKind::from_name).ok_or_else(|| {
                    error(format!(
                        "Error: Unknown hash type '{}'",
                        name.to_string_lossy()
                    ))
                })?;
                idx += 1;
            }
            Some("-I") => {
                let count = words.get(idx + 1).ok_or_else(|| {
                    error("Error: -I argument given but not enough other arguments.")
                })?;
                let count = count
                    .to_str()
                    .and_then(|count| count.parse::<u32>().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| error("Error: Number of iterations must be > 0."))?;
                iterations = Some(count);
                idx += 1;
            }
            Some("-b") => flags.batch = true,
            Some("-c") => flags.create = true,
            Some("-D") => flags.delete = true,
            Some("-U") => flags.update = true,
            _ => break,
        }
        idx += 1;
    }
    if let (HashKind::Sha512Pbkdf2 { .. }, Some(iterations)) = (flags.kind, iterations) {
        flags.kind = HashKind::Sha512Pbkdf2 { iterations };
    }
    Ok((flags, idx))
}

/// The file and what to do with it, from the words after the flags. As `mosquitto_passwd`
/// does, extra words after `-c` or `-D` arguments are ignored; elsewhere they give the usage.
fn positionals<'a>(flags: &Flags, rest: &'a [OsString]) -> Result<(&'a OsString, Action), Stop> {
    let Flags {
        batch,
        create,
        delete,
        update,
        ..
    } = *flags;
    Ok(match rest {
        [file, user, password, ..] if create && batch => (file, set(user, Some(password), true)?),
        _ if create && batch => {
            return Err(error(
                "Error: -c argument given but password file, username, or password missing.",
            ))
        }
        [file, user, ..] if create => (file, set(user, None, true)?),
        _ if create => {
            return Err(error(
                "Error: -c argument given but password file or username missing.",
            ))
        }
        [file, user, ..] if delete => (
            file,
            Action::Delete {
                user: utf8_user(user)?,
            },
        ),
        _ if delete => {
            return Err(error(
                "Error: -D argument given but password file or username missing.",
            ))
        }
        [file] if update => (file, Action::Update),
        _ if update => return Err(error("Error: -U argument given but password file missing.")),
        [file, user, password] if batch => (file, set(user, Some(password), false)?),
        [file, user] if !batch => (file, set(user, None, false)?),
        _ => return Err(Stop::Usage),
    })
}

fn set(user: &OsString, password: Option<&OsString>, create: bool) -> Result<Action, Stop> {
    Ok(Action::Set {
        user: utf8_user(user)?,
        // The bytes as given: a password is hashed as bytes, whatever its encoding.
        password: password.map(|p| p.as_encoded_bytes().to_vec()),
        create,
    })
}

/// MQTT usernames are UTF-8, so a username that is not can never log in.
fn utf8_user(user: &OsString) -> Result<String, Stop> {
    user.to_str()
        .map(str::to_owned)
        .ok_or_else(|| error("Error: Username must be valid UTF-8."))
}

/// The username and password checks `mosquitto_passwd` makes before touching the file.
fn check(action: &Action) -> Result<(), Stop> {
    let (user, password) = match action {
        Action::Set { user, password, .. } => (user, password.as_ref()),
        Action::Delete { user } => (user, None),
        Action::Update => return Ok(()),
    };
    check_username(user).map_err(|e| error(format!("Error: {e}")))?;
    if password.is_some_and(|p| p.len() > MAX_PASSWORD_LEN) {
        return Err(error(
            "Error: Password must be less than 65536 characters long.",
        ));
    }
    Ok(())
}

/// A failure after the arguments were accepted: the message and the exit code.
struct Failed {
    message: String,
    code: u8,
}

impl Failed {
    fn new(message: impl Into<String>) -> Failed {
        Failed {
            message: message.into(),
            code: 1,
        }
    }
}

fn execute(request: Request) -> Result<(), Failed> {
    let Request { kind, file, action } = request;
    let mut passwords = match &action {
        Action::Set { create: true, .. } => PasswordFile::new(),
        Action::Update => read(&file, |path, text| {
            PasswordFile::hash_plain_text(path, text, kind)
        })?,
        _ => read(&file, PasswordFile::parse)?,
    };
    match action {
        Action::Set { user, password, .. } => {
            let password = match password {
                Some(password) => password,
                None => prompt_twice()?,
            };
            let hash = PasswordHash::new(kind, &password)
                .map_err(|e| Failed::new(format!("Error: Unable to hash password. {e}")))?;
            passwords
                .set(&user, hash)
                .map_err(|e| Failed::new(format!("Error: {e}")))?;
        }
        Action::Delete { user } => {
            if !passwords.remove(&user) {
                return Err(Failed::new(format!(
                    "Warning: User {user} not found in password file."
                )));
            }
        }
        Action::Update => {}
    }
    passwords
        .save(&file)
        .map_err(|e| Failed::new(format!("Error: {e}")))
}

/// Reads and parses an existing file, with `mosquitto_passwd`'s message when it cannot open it.
fn read(
    file: &Path,
    parse: impl FnOnce(&Path, &str) -> Result<PasswordFile, AuthFileError>,
) -> Result<PasswordFile, Failed> {
    let bytes = std::fs::read(file).map_err(|e| {
        Failed::new(format!(
            "Error: Unable to open password file {}. {}.",
            file.display(),
            strerror(&e)
        ))
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Failed::new(format!(
            "Error: Password file {} is not UTF-8 text.",
            file.display()
        ))
    })?;
    parse(file, &text).map_err(|e| Failed::new(format!("Error: {e}")))
}

/// The C library's text for an I/O error, without Rust's ` (os error N)`.
fn strerror(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Asks for the password twice, as `mosquitto_passwd` does: prompts on stdout, input from
/// stdin without echo when it is a terminal. Empty or missing input exits 1, a mismatch 2.
fn prompt_twice() -> Result<Vec<u8>, Failed> {
    let first = prompt("Password: ")?;
    let second = prompt("Reenter password: ")?;
    if first != second {
        return Err(Failed {
            message: "Error: Passwords do not match.".to_owned(),
            code: 2,
        });
    }
    if first.len() > MAX_PASSWORD_LEN {
        return Err(Failed::new(
            "Error: Password must be less than 65536 characters long.",
        ));
    }
    Ok(first)
}

fn prompt(text: &str) -> Result<Vec<u8>, Failed> {
    let mut stdout = std::io::stdout();
    // A prompt that cannot be shown still lets a script pipe the password in.
    let _ = write!(stdout, "{text}").and_then(|()| stdout.flush());
    let terminal = std::io::stdin().is_terminal();
    let line = read_line(terminal).map_err(|e| Failed::new(format!("Error: {e}")))?;
    let password = line
        .iter()
        .rposition(|b| *b != b'\n' && *b != b'\r')
        .map_or(&line[..0], |end| &line[..=end]);
    if password.is_empty() {
        return Err(Failed::new("Error: Empty password."));
    }
    // The terminal echoed the newline already (rpassword leaves ECHONL on).
    if !terminal {
        let _ = writeln!(stdout).and_then(|()| stdout.flush());
    }
    Ok(password.to_vec())
}

/// One line from the terminal with echo off, or from stdin as it is when that is not a terminal.
fn read_line(terminal: bool) -> std::io::Result<Vec<u8>> {
    if terminal {
        return rpassword::read_password().map(String::into_bytes);
    }
    let mut line = Vec::new();
    std::io::stdin().lock().read_until(b'\n', &mut line)?;
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Request, Stop> {
        let words: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
        parse(&words)
    }

    fn stop(line: &str) -> String {
        match parse_line(line) {
            Err(Stop::Error(message)) => message,
            Err(Stop::Usage) => "usage".to_owned(),
            Ok(request) => format!("accepted {request:?}"),
        }
    }

    #[test]
    fn reads_each_form() {
        let request = parse_line("-H sha512 -c -b f alice pw").expect("parses");
        assert_eq!(request.kind, HashKind::Sha512);
        assert_eq!(request.file, PathBuf::from("f"));
        assert_eq!(
            request.action,
            Action::Set {
                user: "alice".into(),
                password: Some(b"pw".to_vec()),
                create: true
            }
        );
        let request = parse_line("-I 1000 f bob").expect("parses");
        assert_eq!(request.kind, HashKind::Sha512Pbkdf2 { iterations: 1000 });
        assert_eq!(
            request.action,
            Action::Set {
                user: "bob".into(),
                password: None,
                create: false
            }
        );
        assert_eq!(
            parse_line("-D f bob").expect("parses").action,
            Action::Delete { user: "bob".into() }
        );
        assert_eq!(parse_line("-U f").expect("parses").action, Action::Update);
        assert_eq!(
            parse_line("-H argon2id -I 5 f u").expect("parses").kind,
            HashKind::Argon2id
        );
    }

    #[test]
    fn refuses_as_mosquitto_passwd_does() {
        let cases = [
            ("", "usage"),
            ("f", "usage"),
            ("-b f u", "usage"),
            ("f u extra", "usage"),
            (
                "-H",
                "Error: -H argument given but not enough other arguments.",
            ),
            ("-H md5 f u", "Error: Unknown hash type 'md5'"),
            ("-I 0 f u", "Error: Number of iterations must be > 0."),
            (
                "-I",
                "Error: -I argument given but not enough other arguments.",
            ),
            ("-c -D f u", "Error: -c and -D cannot be used together."),
            ("-c -U f", "Error: -c and -U cannot be used together."),
            ("-D -U f", "Error: -D and -U cannot be used together."),
            ("-b -D f u", "Error: -b and -D cannot be used together."),
            (
                "-c -b f u",
                "Error: -c argument given but password file, username, or password missing.",
            ),
            (
                "-c f",
                "Error: -c argument given but password file or username missing.",
            ),
            (
                "-D f",
                "Error: -D argument given but password file or username missing.",
            ),
            ("-U", "Error: -U argument given but password file missing."),
            (
                "-U f g",
                "Error: -U argument given but password file missing.",
            ),
            (
                "-b f a:b pw",
                "Error: Username must not contain the ':' character.",
            ),
            (
                "-D f a:b",
                "Error: Username must not contain the ':' character.",
            ),
            (
                "f #root",
                "Error: Username must not start with '#': the line would be read as a comment.",
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(stop(line), expected, "roost passwd {line}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn passwords_are_taken_as_bytes() {
        use std::os::unix::ffi::OsStringExt;
        let words: Vec<OsString> = [&b"-b"[..], b"f", b"alice", b"caf\xe9"]
            .iter()
            .map(|word| OsString::from_vec(word.to_vec()))
            .collect();
        let request = parse(&words).expect("parses");
        assert_eq!(
            request.action,
            Action::Set {
                user: "alice".into(),
                password: Some(b"caf\xe9".to_vec()),
                create: false
            }
        );
        let words: Vec<OsString> = [&b"-b"[..], b"f", b"al\xffice", b"pw"]
            .iter()
            .map(|word| OsString::from_vec(word.to_vec()))
            .collect();
        assert_eq!(
            parse(&words),
            Err(Stop::Error("Error: Username must be valid UTF-8.".into()))
        );
    }

    #[test]
    fn strerror_drops_the_os_error_number() {
        let error = std::io::Error::from_raw_os_error(2);
        assert_eq!(strerror(&error), "No such file or directory");
    }
}
