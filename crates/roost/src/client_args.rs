//! What `roost pub` and `roost sub` share: the connection flags of `mosquitto_pub` and
//! `mosquitto_sub` (same letters, meanings and defaults), their checks with Mosquitto's error
//! sentences, `-D` and `-L`, and connecting with Mosquitto's error messages and exit codes
//! (the `-d` trace is in [`crate::client_trace`], `-L` parsing in [`crate::client_url`], the TLS
//! and WebSocket flags in [`crate::transport_args`]).
//!
//! Like Mosquitto's tools, `-h` is the host and `-V` the protocol version; help is `--help` only.

use std::process::ExitCode;
use std::time::Duration;

use crate::client_props::CommandProperties;
use crate::client_trace::debug_hook;
use crate::client_url::Url;
use crate::transport_args::{self, Plan, TransportArgs, TLS_PORT};
use bytes::Bytes;
use clap::{ArgAction, Args};
use roost_client::{
    connack_exit_code, connack_text, Client, ClientError, ClientOptions, Connected, Incoming,
    Properties, ProtocolVersion, QoS, Will,
};

/// The connection flags common to `roost pub` and `roost sub`.
#[derive(Debug, Args)]
pub(crate) struct ClientArgs {
    /// MQTT host to connect to.
    #[arg(short = 'h', long = "host", default_value = "localhost")]
    pub(crate) host: String,
    /// Network port to connect to (default: 1883, or 8883 with TLS).
    #[arg(short = 'p', long = "port")]
    pub(crate) port: Option<u16>,
    /// Id to use for this client (default: empty, so the broker assigns one; `mosq-...` for 3.1).
    #[arg(short = 'i', long = "id")]
    pub(crate) id: Option<String>,
    /// Use id_prefix followed by the process id as the client id.
    #[arg(short = 'I', long = "id-prefix", value_name = "ID_PREFIX")]
    pub(crate) id_prefix: Option<String>,
    /// Keep alive in seconds for this client (5..=65535).
    #[arg(short = 'k', long = "keepalive", default_value_t = 60)]
    pub(crate) keepalive: u32,
    /// Quality of service level to use (0, 1 or 2).
    #[arg(short = 'q', long = "qos", default_value_t = 0)]
    pub(crate) qos: u8,
    /// Username to connect with.
    #[arg(short = 'u', long = "username")]
    pub(crate) username: Option<String>,
    /// Password to connect with.
    #[arg(short = 'P', long = "pw")]
    pub(crate) password: Option<String>,
    /// MQTT protocol version: mqttv5, mqttv311 or mqttv31 (or 5, 311, 31). Defaults to mqttv311,
    /// or mqttv5 when -D is given.
    #[arg(short = 'V', long = "protocol-version")]
    pub(crate) protocol: Option<String>,
    /// Broker, user, password and topic as a URL: mqtt://[username[:password]@]host[:port]/topic,
    /// or mqtts://... for TLS (port 8883, the system's CA certificates and --cafile's); or a
    /// WebSocket URL ws[s]://[username[:password]@]host[:port][/path] (port 80 or 443, path
    /// /mqtt) with the topic from -t.
    #[arg(short = 'L', long = "url", value_name = "URL")]
    pub(crate) url: Option<String>,
    /// Bind the outgoing socket to this host or address.
    #[arg(short = 'A', value_name = "BIND_ADDRESS")]
    pub(crate) bind_address: Option<String>,
    /// An MQTT 5 property: `-D command identifier value`, or `-D command user-property key value`
    /// (e.g. `-D publish content-type text/plain`, `-D connect session-expiry-interval 60`).
    /// May be repeated; implies -V mqttv5.
    #[arg(
        short = 'D',
        long = "property",
        num_args = 3..=4,
        value_names = ["COMMAND", "IDENTIFIER", "VALUE"],
        action = ArgAction::Append
    )]
    pub(crate) properties: Vec<String>,
    /// Disable clean session / enable a persistent session (needs -i).
    #[arg(short = 'c', long = "disable-clean-session")]
    pub(crate) disable_clean_session: bool,
    /// Session expiry interval in seconds (MQTT 5); -1, 4294967295 or ∞ for never.
    /// Defaults to never with -c, to 0 without.
    #[arg(
        short = 'x',
        long = "session-expiry-interval",
        allow_hyphen_values = true,
        value_name = "SECONDS"
    )]
    pub(crate) session_expiry: Option<String>,
    /// Print every packet sent and received.
    #[arg(short = 'd', long = "debug")]
    pub(crate) debug: bool,
    /// Don't print error messages.
    #[arg(long = "quiet")]
    pub(crate) quiet: bool,
    /// Topic of the client's will, published by the broker if the client drops unexpectedly.
    #[arg(long = "will-topic")]
    pub(crate) will_topic: Option<String>,
    /// Payload of the will (default: empty).
    #[arg(long = "will-payload")]
    pub(crate) will_payload: Option<String>,
    /// QoS of the will.
    #[arg(long = "will-qos", default_value_t = 0)]
    pub(crate) will_qos: u8,
    /// Make the will retained.
    #[arg(long = "will-retain")]
    pub(crate) will_retain: bool,
    /// Accepted for compatibility: Nagle's algorithm is always off.
    #[arg(long = "nodelay")]
    pub(crate) nodelay: bool,
    #[command(flatten)]
    pub(crate) transport: TransportArgs,
    /// Print help.
    #[arg(long = "help", action = ArgAction::Help)]
    pub(crate) help: Option<bool>,
}

/// A command-line mistake, reported as Mosquitto's tools report it.
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl ClientArgs {
    /// The protocol version `-V` names; without `-V`, 5 if `-D` is given, else 3.1.1.
    pub(crate) fn protocol_version(&self) -> Result<ProtocolVersion, UsageError> {
        match self.protocol.as_deref() {
            Some("mqttv31" | "31") => Ok(ProtocolVersion::V3_1),
            Some("mqttv311" | "311") => Ok(ProtocolVersion::V3_1_1),
            Some("mqttv5" | "5") => Ok(ProtocolVersion::V5),
            Some(_) => Err(usage("Invalid protocol version argument given.")),
            None if !self.properties.is_empty() => Ok(ProtocolVersion::V5),
            None => Ok(ProtocolVersion::V3_1_1),
        }
    }

    /// The `-L` URL, if given.
    pub(crate) fn url(&self) -> Result<Option<Url>, UsageError> {
        self.url.as_deref().map(Url::parse).transpose()
    }

    /// The transport the flags ask for, checked; no file is read. TLS is on when a TLS flag
    /// asks for it, the URL says `mqtts://` or `wss://` (which trust the system's CAs too, as
    /// `mqtts://` does in `mosquitto_pub`) or the port given is 8883 (without WebSocket);
    /// WebSocket when `--ws` or `--ws-path` is given or the URL says `ws://` or `wss://`.
    pub(crate) fn transport_plan(&self) -> Result<Plan, UsageError> {
        let url = self.url()?;
        let secure_url = url.as_ref().is_some_and(|u| u.scheme.is_tls());
        let url_path = url.as_ref().and_then(|u| u.path.clone());
        let websocket = url_path.is_some() || self.transport.asks_for_websocket();
        let port = url.map(|u| u.port).or(self.port);
        let tls = secure_url || (!websocket && port == Some(TLS_PORT));
        self.transport.plan(tls, secure_url, url_path)
    }

    /// Loads the TLS files of the flags into `options`, reporting a failure as `mosquitto_pub`
    /// does (unless `--quiet`) with exit code 1.
    pub(crate) fn load_transport(&self, options: &mut ClientOptions) -> Result<(), ExitCode> {
        let plan = self.transport_plan().map_err(|error| {
            if !self.quiet {
                eprintln!("Error: {}", error.0);
            }
            ExitCode::FAILURE
        })?;
        match transport_args::load(&plan) {
            Ok(transport) => {
                options.transport = transport;
                Ok(())
            }
            Err(error) => {
                if !self.quiet {
                    eprintln!("Error: {}", without_os_error(&error.to_string()));
                }
                Err(ExitCode::FAILURE)
            }
        }
    }

    /// The `-D` properties, checked.
    pub(crate) fn command_properties(&self) -> Result<CommandProperties, UsageError> {
        let properties = CommandProperties::parse(&property_groups(&self.properties))?;
        let protocol = self.protocol_version()?;
        let session_expiry = if protocol.is_v5() {
            self.session_expiry()?
        } else {
            None
        };
        properties.check(session_expiry)?;
        Ok(properties)
    }

    /// The QoS `-q` names.
    pub(crate) fn qos(&self) -> Result<QoS, UsageError> {
        QoS::from_u8(self.qos).ok_or_else(|| usage(format!("Invalid QoS given: {}", self.qos)))
    }

    /// Client options from the flags, checked as Mosquitto checks them.
    pub(crate) fn options(&self) -> Result<ClientOptions, UsageError> {
        let protocol = self.protocol_version()?;
        let keep_alive = u16::try_from(self.keepalive)
            .ok()
            .filter(|k| *k >= 5)
            .ok_or_else(|| {
                usage("Invalid keepalive given, it must be between 5 and 65535 inclusive.")
            })?;
        let client_id = self.client_id(protocol)?;
        let props = self.command_properties()?;
        let session_expiry = self
            .session_expiry()?
            .filter(|e| *e > 0)
            .or(props.connect.session_expiry_interval);
        if protocol.is_v5()
            && session_expiry == Some(u32::MAX)
            && (self.id.is_none() || self.id_prefix.is_some())
        {
            return Err(usage(
                "You must provide a client id if you are using an infinite session expiry interval.",
            ));
        }
        let plan = self.transport_plan()?;
        let url = self.url()?;
        let default_port = plan.default_port();
        let (host, port, username, password) = match url {
            Some(url) => (
                url.host,
                url.port,
                url.username.or_else(|| self.username.clone()),
                url.password.or_else(|| self.password.clone()),
            ),
            None => (
                self.host.clone(),
                self.port.unwrap_or(default_port),
                self.username.clone(),
                self.password.clone(),
            ),
        };
        let mut connect = props.connect;
        Ok(ClientOptions {
            host,
            port,
            client_id,
            protocol,
            clean_start: !self.disable_clean_session,
            keep_alive,
            username,
            password: password.map(Bytes::from),
            will: self.will(props.will)?,
            session_expiry: protocol.is_v5().then_some(session_expiry).flatten(),
            receive_maximum: connect.receive_maximum,
            maximum_packet_size: connect.maximum_packet_size,
            topic_alias_maximum: connect.topic_alias_maximum,
            user_properties: std::mem::take(&mut connect.user_properties),
            request_problem_information: connect.request_problem_information,
            request_response_information: connect.request_response_information,
            bind_address: self.bind_address.clone(),
            ..ClientOptions::default()
        })
    }

    fn client_id(&self, protocol: ProtocolVersion) -> Result<String, UsageError> {
        if self.id.is_some() && self.id_prefix.is_some() {
            return Err(usage("-i and -I argument cannot be used together."));
        }
        if !protocol.is_v5()
            && self.disable_clean_session
            && (self.id.is_none() || self.id_prefix.is_some())
        {
            return Err(usage(
                "You must provide a client id if you are using the -c option.",
            ));
        }
        Ok(match (&self.id, &self.id_prefix) {
            (Some(id), _) => id.clone(),
            (None, Some(prefix)) => format!("{prefix}{}", std::process::id()),
            // MQTT 3.1 does not allow an empty id; libmosquitto makes one up the same way.
            (None, None) if protocol == ProtocolVersion::V3_1 => random_client_id(),
            (None, None) => String::new(),
        })
    }

    /// `-x` (`strtol` with base 0: decimal, `0x` hex or `0` octal), or never with `-c`.
    fn session_expiry(&self) -> Result<Option<u32>, UsageError> {
        let text = match self.session_expiry.as_deref() {
            None if self.disable_clean_session => return Ok(Some(u32::MAX)),
            None => return Ok(None),
            Some("∞") => return Ok(Some(u32::MAX)),
            Some(text) => text,
        };
        let value =
            strtol_base0(text).ok_or_else(|| usage("session-expiry-interval not a number."))?;
        match value {
            -1 => Ok(Some(u32::MAX)),
            v => u32::try_from(v)
                .map(Some)
                .map_err(|_| usage("session-expiry-interval out of range.")),
        }
    }

    fn will(&self, properties: Properties) -> Result<Option<Will>, UsageError> {
        let Some(topic) = &self.will_topic else {
            if self.will_payload.is_some() {
                return Err(usage("Will payload given, but no will topic given."));
            }
            if self.will_retain {
                return Err(usage("Will retain given, but no will topic given."));
            }
            return Ok(None);
        };
        if !roost_proto::topic::is_valid_topic_name(topic) {
            return Err(usage(format!(
                "Invalid will topic '{topic}', does it contain '+' or '#'?"
            )));
        }
        let qos = QoS::from_u8(self.will_qos)
            .ok_or_else(|| usage(format!("Invalid will QoS {}.", self.will_qos)))?;
        Ok(Some(Will {
            topic: topic.clone(),
            payload: Bytes::from(self.will_payload.clone().unwrap_or_default()),
            qos,
            retain: self.will_retain,
            properties,
        }))
    }
}

/// Splits the words of every `-D` back into one group per property: `command name value`, or
/// `command user-property key value`.
fn property_groups(words: &[String]) -> Vec<Vec<String>> {
    let mut groups = Vec::new();
    let mut rest = words;
    while !rest.is_empty() {
        let len = if rest.get(1).map(String::as_str) == Some("user-property") {
            4
        } else {
            3
        };
        let (group, tail) = rest.split_at(len.min(rest.len()));
        groups.push(group.to_vec());
        rest = tail;
    }
    groups
}

/// C's `strtol(text, &end, 0)` that must use the whole text: an optional sign, then `0x` hex,
/// `0` octal or decimal digits. `None` if any of the text is not part of the number.
fn strtol_base0(text: &str) -> Option<i64> {
    let trimmed = text.trim_start();
    let (negative, body) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let (radix, digits) =
        if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, hex)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Past the range of `long` the value is out of range either way.
    let value = i64::from_str_radix(digits, radix).unwrap_or(i64::MAX);
    Some(if negative { -value } else { value })
}

/// A usage error with Mosquitto's wording.
pub(crate) fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Prints a usage error as `mosquitto_pub` does (unless `quiet`) and returns exit code 1.
pub(crate) fn report_usage(command: &str, error: &UsageError, quiet: bool) -> ExitCode {
    if !quiet {
        // A few of Mosquitto's sentences carry their own "Error ..." start.
        let prefix = if error.0.starts_with("Error") {
            ""
        } else {
            "Error: "
        };
        eprintln!(
            "{prefix}{}\n\nUse 'roost {command} --help' to see usage.",
            error.0
        );
    }
    ExitCode::FAILURE
}

/// Reports a command line clap could not parse and returns the exit code: 0 for `--help` and
/// `--version`, otherwise 1 as Mosquitto's tools exit (clap alone would exit 2). An unknown
/// option of `roost pub` or `roost sub` reads as in `mosquitto_pub`.
pub(crate) fn report_parse_error(error: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let command = std::env::args().nth(1).filter(|c| c == "pub" || c == "sub");
    let unknown = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) if error.kind() == ErrorKind::UnknownArgument => {
            Some(arg.clone())
        }
        _ => None,
    };
    match (command, unknown) {
        (Some(command), Some(arg)) => {
            eprintln!(
                "Error: Unknown option '{arg}'.\n\nUse 'roost {command} --help' to see usage."
            );
        }
        _ => {
            let _ = error.print();
        }
    }
    ExitCode::FAILURE
}

/// `mosq-` and 18 letters and digits, as libmosquitto makes a client id up.
fn random_client_id() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};

    const ALPHANUMERIC: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut id = String::from("mosq-");
    let state = RandomState::new();
    for i in 0..18u64 {
        let mut hasher = state.build_hasher();
        hasher.write_u64(i);
        hasher.write_u32(std::process::id());
        let pick = (hasher.finish() % ALPHANUMERIC.len() as u64) as usize;
        id.push(char::from(ALPHANUMERIC[pick]));
    }
    id
}

/// A current-thread runtime: the tools do one thing at a time.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Why connecting failed, and the exit code that goes with it.
#[derive(Debug)]
pub(crate) struct ConnectFailed {
    pub(crate) code: ExitCode,
    /// The broker refused (CONNACK); otherwise the socket could not be opened or the
    /// handshake did not finish.
    pub(crate) refused: bool,
}

/// Connects, printing failures as Mosquitto's tools print them; a failure to reach the broker
/// is not printed when `silent_io` (`mosquitto_sub` reconnecting says nothing).
///
/// `refused_line` is the extra line `mosquitto_pub` prints after a refusal (`mosquitto_sub`
/// prints none).
pub(crate) async fn connect(
    args: &ClientArgs,
    mut options: ClientOptions,
    refused_line: Option<&str>,
    silent_io: bool,
) -> Result<(Client, Connected, Incoming), ConnectFailed> {
    let protocol = options.protocol;
    if args.debug {
        options.packet_hook = Some(debug_hook(&options.client_id, protocol));
    }
    match Client::connect(options).await {
        Ok(connected) => Ok(connected),
        Err(ClientError::Refused(reason)) => {
            if !args.quiet {
                eprintln!("Connection error: {}", connack_text(reason, protocol));
                if let Some(line) = refused_line {
                    eprintln!("{line}");
                }
            }
            Err(ConnectFailed {
                code: ExitCode::from(connack_exit_code(reason, protocol)),
                refused: true,
            })
        }
        Err(error) => {
            if !args.quiet && !silent_io {
                eprintln!("Error: {}", error_text(&error));
            }
            Err(ConnectFailed {
                code: ExitCode::from(io_exit_code(&error)),
                refused: false,
            })
        }
    }
}

/// libmosquitto's error code for a connection that failed before CONNACK: `MOSQ_ERR_TLS` (8)
/// when the broker's certificate was refused, `MOSQ_ERR_CONN_LOST` (7) when the broker ended the
/// TLS session (as it does when it wants a client certificate: `mosquitto_pub` then says "The
/// connection was lost."), and 1 for the rest, as `mosquitto_pub` exits.
fn io_exit_code(error: &ClientError) -> u8 {
    const MOSQ_ERR_CONN_LOST: u8 = 7;
    const MOSQ_ERR_TLS: u8 = 8;
    match error {
        ClientError::Tls { .. } if error.is_tls_alert_from_broker() => MOSQ_ERR_CONN_LOST,
        ClientError::Tls { .. } | ClientError::TlsIo { .. } => MOSQ_ERR_TLS,
        _ => 1,
    }
}

/// An error as a sentence, without Rust's `(os error N)` suffix, so a refused TCP connection reads
/// `Connection refused` as in Mosquitto's tools.
pub(crate) fn error_text(error: &ClientError) -> String {
    let text = without_os_error(&error.to_string());
    text.strip_prefix("failed to lookup address information: ")
        .map(str::to_owned)
        .unwrap_or(text)
}

/// `text` without the ` (os error N)` Rust adds to system errors, wherever it stands.
pub(crate) fn without_os_error(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" (os error ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + " (os error ".len()..];
        match after.find(')') {
            Some(close) if after[..close].chars().all(|c| c.is_ascii_digit()) => {
                rest = &after[close + 1..];
            }
            _ => {
                out.push_str(" (os error ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Waits for SIGINT or SIGTERM.
pub(crate) async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A duration of `seconds` (fractions allowed), as `--repeat-delay` and `-W` count time.
pub(crate) fn seconds(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    #[command(disable_help_flag = true)]
    struct Harness {
        #[command(flatten)]
        args: ClientArgs,
    }

    fn parse(argv: &[&str]) -> ClientArgs {
        let argv = std::iter::once("roost").chain(argv.iter().copied());
        Harness::try_parse_from(argv).expect("parses").args
    }

    #[test]
    fn defaults_are_mosquittos() {
        let options = parse(&[]).options().expect("valid");
        assert_eq!((options.host.as_str(), options.port), ("localhost", 1883));
        assert_eq!(options.keep_alive, 60);
        assert_eq!(options.protocol, ProtocolVersion::V3_1_1);
        assert!(options.clean_start);
        assert!(options.client_id.is_empty());
    }

    #[test]
    fn dash_h_is_the_host_and_dash_v_the_version() {
        let options = parse(&["-h", "broker.example", "-V", "5"])
            .options()
            .expect("valid");
        assert_eq!(options.host, "broker.example");
        assert_eq!(options.protocol, ProtocolVersion::V5);
        for (flag, version) in [
            ("mqttv31", ProtocolVersion::V3_1),
            ("311", ProtocolVersion::V3_1_1),
            ("mqttv5", ProtocolVersion::V5),
        ] {
            assert_eq!(parse(&["-V", flag]).protocol_version().ok(), Some(version));
        }
        let error = parse(&["-V", "7"]).options().expect_err("invalid");
        assert_eq!(error.0, "Invalid protocol version argument given.");
    }

    #[test]
    fn clean_session_off_needs_an_id_and_never_expires_in_v5() {
        let error = parse(&["-c"]).options().expect_err("needs -i");
        assert_eq!(
            error.0,
            "You must provide a client id if you are using the -c option."
        );
        let options = parse(&["-c", "-i", "me", "-V", "5"])
            .options()
            .expect("valid");
        assert!(!options.clean_start);
        assert_eq!(options.session_expiry, Some(u32::MAX));
        let options = parse(&["-x", "-1", "-i", "me", "-V", "5"])
            .options()
            .expect("valid");
        assert_eq!(options.session_expiry, Some(u32::MAX));
        let error = parse(&["-x", "-1", "-V", "5"])
            .options()
            .expect_err("needs -i");
        assert_eq!(
            error.0,
            "You must provide a client id if you are using an infinite session expiry interval."
        );
        for (text, expected) in [("0x10", Some(16)), ("010", Some(8)), ("0", None)] {
            let options = parse(&["-x", text, "-V", "5"]).options().expect("valid");
            assert_eq!(options.session_expiry, expected, "{text}");
        }
        let error = parse(&["-x", "12s"]).options().expect_err("not a number");
        assert_eq!(error.0, "session-expiry-interval not a number.");
        let error = parse(&["-x", "4294967296"]).options().expect_err("too big");
        assert_eq!(error.0, "session-expiry-interval out of range.");
        let options = parse(&["-x", "30", "-V", "311"]).options().expect("valid");
        assert_eq!(options.session_expiry, None, "3.1.1 has no session expiry");
    }

    #[test]
    fn a_url_names_broker_and_credentials() {
        let options = parse(&["-L", "mqtt://u:p@127.0.0.2:1999/x"])
            .options()
            .expect("valid");
        assert_eq!((options.host.as_str(), options.port), ("127.0.0.2", 1999));
        assert_eq!(options.username.as_deref(), Some("u"));
    }

    #[test]
    fn tls_moves_the_default_port_to_8883_as_in_mosquitto_pub() {
        let tls = |argv: &[&str]| {
            let args = parse(argv);
            let port = args.options().expect("valid").port;
            (args.transport_plan().expect("valid").is_tls(), port)
        };
        assert_eq!(tls(&[]), (false, 1883));
        assert_eq!(tls(&["--cafile", "ca.crt"]), (true, 8883));
        assert_eq!(tls(&["--cafile", "ca.crt", "-p", "1884"]), (true, 1884));
        assert_eq!(tls(&["--tls-use-os-certs"]), (true, 8883));
        // Port 8883 alone means TLS with the system's CAs, in mosquitto_pub too.
        assert_eq!(tls(&["-p", "8883"]), (true, 8883));
        assert_eq!(tls(&["-L", "mqtts://h/t"]), (true, 8883));
        assert_eq!(tls(&["-L", "mqtts://h:1999/t"]), (true, 1999));
        assert_eq!(
            tls(&["-L", "mqtt://h/t", "--cafile", "ca.crt"]),
            (true, 1883)
        );
        let Ok(Plan::Tls(options)) =
            parse(&["-L", "mqtts://h/t", "--cafile", "ca.crt"]).transport_plan()
        else {
            panic!("TLS");
        };
        assert!(
            options.use_system_roots,
            "mqtts:// trusts the system's CAs as well"
        );
        assert_eq!(tls(&["-L", "wss://h/mqtt"]), (true, 443));
        assert_eq!(
            tls(&["-L", "ws://h:8883/mqtt"]),
            (false, 8883),
            "8883 means TLS only without WebSocket"
        );
        assert_eq!(tls(&["--ws", "-p", "8883"]), (false, 8883));
        assert_eq!(tls(&["--ws"]), (false, 8083));
        assert_eq!(tls(&["--ws", "--cafile", "ca.crt"]), (true, 8084));
        let Ok(Plan::Ws(path)) = parse(&["-L", "ws://h/ws/path"]).transport_plan() else {
            panic!("WebSocket");
        };
        assert_eq!(path, "/ws/path");
        let error = parse(&["--cert", "c.crt"]).options().expect_err("no key");
        assert_eq!(
            error.0,
            "Both certfile and keyfile must be provided if one of them is set."
        );
    }

    #[test]
    fn dash_d_means_mqtt_5_and_fills_connect_and_will() {
        let options = parse(&[
            "-D",
            "connect",
            "receive-maximum",
            "7",
            "-D",
            "connect",
            "user-property",
            "k",
            "v",
            "-D",
            "will",
            "will-delay-interval",
            "9",
            "--will-topic",
            "w",
            "-A",
            "127.0.0.1",
        ])
        .options()
        .expect("valid");
        assert_eq!(options.protocol, ProtocolVersion::V5);
        assert_eq!(options.receive_maximum, Some(7));
        assert_eq!(options.user_properties, [("k".into(), "v".into())]);
        let delay = options.will.and_then(|w| w.properties.will_delay_interval);
        assert_eq!(delay, Some(9));
        assert_eq!(options.bind_address.as_deref(), Some("127.0.0.1"));
        let options = parse(&["-D", "publish", "topic-alias", "1", "-V", "311"])
            .options()
            .expect("valid");
        assert_eq!(options.protocol, ProtocolVersion::V3_1_1, "-V wins");
    }

    #[test]
    fn id_prefix_appends_the_pid_and_31_gets_a_mosq_id() {
        let options = parse(&["-I", "pre"]).options().expect("valid");
        assert_eq!(options.client_id, format!("pre{}", std::process::id()));
        let options = parse(&["-V", "31"]).options().expect("valid");
        assert!(options.client_id.starts_with("mosq-"));
        assert_eq!(options.client_id.len(), 23);
    }

    #[test]
    fn keepalive_and_qos_are_checked() {
        let error = parse(&["-k", "4"]).options().expect_err("too small");
        assert_eq!(
            error.0,
            "Invalid keepalive given, it must be between 5 and 65535 inclusive."
        );
        assert_eq!(
            parse(&["-q", "3"]).qos().map_err(|e| e.0),
            Err("Invalid QoS given: 3".into())
        );
    }

    #[test]
    fn will_flags_need_a_will_topic() {
        let error = parse(&["--will-payload", "x"])
            .options()
            .expect_err("no topic");
        assert_eq!(error.0, "Will payload given, but no will topic given.");
        let options = parse(&["--will-topic", "w", "--will-qos", "1", "--will-retain"])
            .options()
            .expect("valid");
        let will = options.will.expect("a will");
        assert_eq!(
            (will.qos, will.retain, will.payload.len()),
            (QoS::AtLeastOnce, true, 0)
        );
    }

    #[test]
    fn io_errors_lose_the_os_error_suffix() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let raw = std::io::Error::from_raw_os_error(111);
        assert_eq!(error_text(&ClientError::Io(raw)), "Connection refused");
        assert!(!error_text(&ClientError::Io(refused)).contains("os error"));
        assert_eq!(
            without_os_error("cannot read \"a\": No such file (os error 2). More (os error x)"),
            "cannot read \"a\": No such file. More (os error x)"
        );
    }
}
