//! The table of configuration directives: each one defined once — name, scope, value form,
//! default, help and how it applies — so the parser, the reference and the error messages agree.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use roost_proto::QoS;

use super::parse::ParseState;
use super::Listener;

/// Where a directive may stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Anywhere; applies to the whole broker.
    Global,
    /// Applies to the most recent `listener` (or to the default listener before any).
    Listener,
}

/// One configuration directive.
#[derive(Debug)]
pub struct Directive {
    /// The word that starts the line.
    pub name: &'static str,
    /// Where it applies.
    pub scope: Scope,
    /// The form of its value, as shown in errors and help.
    pub form: &'static str,
    /// Its default, as text.
    pub default: &'static str,
    /// One line of help.
    pub help: &'static str,
    pub(super) apply: fn(&mut ParseState, &str) -> Result<(), String>,
}

fn boolean(value: &str) -> Result<bool, String> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("expected 'true' or 'false', found '{value}'")),
    }
}

fn number<T: std::str::FromStr>(value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("expected a whole number, found '{value}'"))
}

/// A count where Mosquitto's -1 (and 0) means unlimited.
fn count_or_unlimited(value: &str) -> Result<usize, String> {
    match value.parse::<i64>() {
        Ok(n) if n <= 0 => Ok(0),
        Ok(n) => usize::try_from(n).map_err(|_| format!("'{value}' is too large")),
        Err(_) => Err(format!(
            "expected a whole number (or -1 for no limit), found '{value}'"
        )),
    }
}

fn listener(state: &mut ParseState, value: &str) -> Result<(), String> {
    let mut words = value.split_whitespace();
    let port: u16 = words
        .next()
        .ok_or("expected 'listener PORT [ADDRESS]'")
        .and_then(|p| {
            p.parse()
                .map_err(|_| "expected 'listener PORT [ADDRESS]' with PORT from 0 to 65535")
        })?;
    let ip: IpAddr = match words.next() {
        None => IpAddr::from([0, 0, 0, 0]),
        Some("localhost") => IpAddr::from([127, 0, 0, 1]),
        Some(addr) => addr
            .parse()
            .map_err(|_| format!("'{addr}' is not an IP address"))?,
    };
    state.add_listener(Listener::new(SocketAddr::new(ip, port)));
    Ok(())
}

fn duration(value: &str) -> Result<Duration, String> {
    let (digits, unit) = value.split_at(value.trim_end_matches(char::is_alphabetic).len());
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("expected a duration like 3600, 2h, 7d; found '{value}'"))?;
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "y" => 365 * 86_400,
        _ => return Err(format!("unknown unit '{unit}' (use s, m, h, d, w or y)")),
    };
    Ok(Duration::from_secs(n.saturating_mul(secs)))
}

macro_rules! directive {
    ($name:expr, $scope:ident, $form:expr, $default:expr, $help:expr, |$s:ident, $v:ident| $body:expr) => {
        Directive {
            name: $name,
            scope: Scope::$scope,
            form: $form,
            default: $default,
            help: $help,
            apply: |$s: &mut ParseState, $v: &str| -> Result<(), String> {
                $body;
                Ok(())
            },
        }
    };
}

/// Every directive Roost reads.
pub static DIRECTIVES: &[Directive] = &[
    directive!(
        "listener",
        Global,
        "PORT [ADDRESS]",
        "none (local-only 127.0.0.1:1883)",
        "Listen for MQTT on PORT, on ADDRESS or on every interface.",
        |s, v| listener(s, v)?
    ),
    directive!(
        "port",
        Global,
        "PORT",
        "1883",
        "Port of the default listener (deprecated form of 'listener').",
        |s, v| s.default_listener()?.addr.set_port(number(v)?)
    ),
    directive!(
        "bind_address",
        Global,
        "ADDRESS",
        "all interfaces",
        "Address of the default listener (deprecated form of 'listener PORT ADDRESS').",
        |s, v| s.default_listener()?.addr.set_ip(
            v.parse()
                .map_err(|_| format!("'{v}' is not an IP address"))?
        )
    ),
    directive!(
        "max_connections",
        Listener,
        "N | -1",
        "-1",
        "Most clients connected at once on this listener.",
        |s, v| s.listener().max_connections = Some(count_or_unlimited(v)?).filter(|n| *n > 0)
    ),
    directive!(
        "max_qos",
        Listener,
        "0 | 1 | 2",
        "2",
        "Highest QoS clients may use on this listener.",
        |s, v| s.listener().max_qos = QoS::from_u8(number(v)?).ok_or("expected 0, 1 or 2")?
    ),
    directive!(
        "max_topic_alias",
        Listener,
        "0..65535",
        "10",
        "Most topic aliases an MQTT 5 client may set.",
        |s, v| s.listener().max_topic_alias = number(v)?
    ),
    directive!(
        "allow_anonymous",
        Global,
        "true | false",
        "false with a listener, true in local-only mode",
        "Allow clients that give no user name.",
        |s, v| s.security().allow_anonymous = Some(boolean(v)?)
    ),
    directive!(
        "password_file",
        Global,
        "PATH",
        "none",
        "Mosquitto password file (made with 'roost passwd' or mosquitto_passwd).",
        |s, v| s.security().password_file = Some(PathBuf::from(v))
    ),
    directive!(
        "acl_file",
        Global,
        "PATH",
        "none",
        "Mosquitto ACL file: which user may read and write which topics.",
        |s, v| s.security().acl_file = Some(PathBuf::from(v))
    ),
    directive!(
        "per_listener_settings",
        Global,
        "true | false",
        "false",
        "Give each listener its own allow_anonymous, password_file and acl_file.",
        |s, v| s.config.per_listener_settings = boolean(v)?
    ),
    directive!(
        "check_retain_source",
        Global,
        "true | false",
        "false",
        "Before sending a retained message, check its publisher may still write its topic.",
        |s, v| s.config.check_retain_source = boolean(v)?
    ),
    directive!(
        "mount_point",
        Listener,
        "TOPIC-PREFIX",
        "none",
        "Put this prefix before every topic of this listener's clients.",
        |s, v| s.listener().mount_point = Some(v.to_string())
    ),
    directive!(
        "use_username_as_clientid",
        Listener,
        "true | false",
        "false",
        "Use the client's user name as its client id.",
        |s, v| s.listener().use_username_as_clientid = boolean(v)?
    ),
    directive!(
        "allow_zero_length_clientid",
        Global,
        "true | false",
        "true",
        "Accept an empty client id and assign one.",
        |s, v| s.config.allow_zero_length_clientid = boolean(v)?
    ),
    directive!(
        "auto_id_prefix",
        Global,
        "TEXT",
        "auto-",
        "Prefix of client ids the broker assigns.",
        |s, v| s.config.auto_id_prefix = v.to_string()
    ),
    directive!(
        "max_inflight_messages",
        Global,
        "0..65535",
        "20",
        "Outgoing QoS 1/2 messages in flight per client (0: no limit).",
        |s, v| s.config.max_inflight_messages = number(v)?
    ),
    directive!(
        "max_queued_messages",
        Global,
        "N",
        "1000",
        "Messages queued per client beyond those in flight (0: no limit).",
        |s, v| s.config.max_queued_messages = count_or_unlimited(v)?
    ),
    directive!(
        "max_queued_bytes",
        Global,
        "N",
        "0",
        "Bytes queued per client (0: no limit).",
        |s, v| s.config.max_queued_bytes = count_or_unlimited(v)?
    ),
    directive!(
        "queue_qos0_messages",
        Global,
        "true | false",
        "false",
        "Queue QoS 0 messages for offline persistent clients.",
        |s, v| s.config.queue_qos0_messages = boolean(v)?
    ),
    directive!(
        "message_size_limit",
        Global,
        "BYTES",
        "0",
        "Largest payload accepted (0: no limit).",
        |s, v| s.config.message_size_limit = count_or_unlimited(v)?
    ),
    directive!(
        "max_packet_size",
        Global,
        "BYTES",
        "268435460",
        "Largest packet accepted from a client.",
        |s, v| s.config.max_packet_size = match number::<u32>(v)? {
            n if n < 20 => return Err("must be at least 20".into()),
            n => n,
        }
    ),
    directive!(
        "max_keepalive",
        Global,
        "0..65535",
        "65535",
        "Largest keep-alive a client may use.",
        |s, v| s.config.max_keepalive = number(v)?
    ),
    directive!(
        "persistent_client_expiration",
        Global,
        "DURATION",
        "never",
        "Remove persistent MQTT 3 sessions offline this long (e.g. 14d).",
        |s, v| s.config.persistent_client_expiration = Some(duration(v)?)
    ),
    directive!(
        "retain_available",
        Global,
        "true | false",
        "true",
        "Support retained messages.",
        |s, v| s.config.retain_available = boolean(v)?
    ),
    directive!(
        "upgrade_outgoing_qos",
        Global,
        "true | false",
        "false",
        "Deliver at the subscription's QoS even when the message's is lower.",
        |s, v| s.config.upgrade_outgoing_qos = boolean(v)?
    ),
    directive!(
        "sys_interval",
        Global,
        "SECONDS",
        "10",
        "Seconds between $SYS updates (0: off).",
        |s, v| s.config.sys_interval = number(v)?
    ),
    directive!(
        "set_tcp_nodelay",
        Global,
        "true | false",
        "true",
        "Disable Nagle's algorithm on client sockets (Roost batches its writes; Mosquitto defaults to false).",
        |s, v| s.config.set_tcp_nodelay = boolean(v)?
    ),
    directive!(
        "connection_messages",
        Global,
        "true | false",
        "true",
        "Log clients connecting and disconnecting.",
        |s, v| s.config.connection_messages = boolean(v)?
    ),
];
