//! Broker configuration: the settings the core obeys, with Mosquitto's names and defaults, the
//! table of `mosquitto.conf` directives ([`directives`]) and the reader of files in that syntax
//! ([`parse_file`]).
//!
//! The settings are plain data; everything that reads them takes a shared `Arc<Config>`.

mod address;
pub mod directives;
mod log;
mod parse;
mod reference;
mod reload;
mod tls;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use roost_proto::QoS;

pub use directives::{Directive, Scope};
pub use log::{LogDest, LogSettings, LogType, LogTypes};
pub use parse::{parse_file, parse_str, ConfigError};
pub use reference::reference;
pub use reload::{reload, reloadable_changes, reread, restart_needed, Reload};
pub use tls::{CertUsername, Sourced, TlsSettings, TlsVersion};

/// Which IP version a listener uses (`socket_domain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketDomain {
    /// IPv4 only.
    Ipv4,
    /// IPv6 only.
    Ipv6,
}

/// What a listener speaks (`protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerProtocol {
    /// MQTT straight over TCP (or TLS).
    Mqtt,
    /// MQTT over WebSocket: an HTTP upgrade, then MQTT in binary WebSocket messages.
    WebSockets,
}

impl std::fmt::Display for ListenerProtocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ListenerProtocol::Mqtt => "mqtt",
            ListenerProtocol::WebSockets => "websockets",
        })
    }
}

/// Where the embedded defaults listen for MQTT over WebSocket, as EMQX does: 127.0.0.1:8083.
pub const DEFAULT_WEBSOCKET_PORT: u16 = 8083;

/// The URL path the start-up lines give for the embedded WebSocket listener (any path works).
pub const DEFAULT_WEBSOCKET_PATH: &str = "/mqtt";

/// One network listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// Address and port to bind.
    pub addr: SocketAddr,
    /// What it speaks (`protocol mqtt | websockets`).
    pub protocol: ListenerProtocol,
    /// An extra of the embedded defaults, not asked for by the user: when it cannot be bound the
    /// broker warns and goes on without it.
    pub optional: bool,
    /// Most clients at once on this listener; `None` is unlimited (`max_connections -1`).
    pub max_connections: Option<usize>,
    /// Highest QoS clients may use here (`max_qos`).
    pub max_qos: QoS,
    /// Most topic aliases a client may use towards the broker (`max_topic_alias`).
    pub max_topic_alias: u16,
    /// Prefix put before every topic of this listener's clients (`mount_point`).
    pub mount_point: Option<String>,
    /// Use the user name as the client id (`use_username_as_clientid`).
    pub use_username_as_clientid: bool,
    /// This listener's own security settings, with `per_listener_settings true`.
    pub security: Option<SecuritySettings>,
    /// `socket_domain`: the IP version the parser settled `addr` on, if the file chose one.
    pub socket_domain: Option<SocketDomain>,
    /// `bind_interface`: the interface whose address the parser put in `addr`.
    pub bind_interface: Option<String>,
    /// TLS: on when `certfile` is given.
    pub tls: TlsSettings,
}

/// Who may connect and what they may do: global, or per listener with `per_listener_settings`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecuritySettings {
    /// Allow clients that send no user name; `None` until the file says, then resolved to
    /// Mosquitto 2's default (true only in local-only mode).
    pub allow_anonymous: Option<bool>,
    /// Mosquitto password file (`password_file`).
    pub password_file: Option<PathBuf>,
    /// Mosquitto ACL file (`acl_file`).
    pub acl_file: Option<PathBuf>,
    /// This listener's `allow_zero_length_clientid`; only ever set on a listener's own settings
    /// (the global one is [`Config::allow_zero_length_clientid`]).
    pub allow_zero_length_clientid: Option<bool>,
    /// This listener's `auto_id_prefix`; only ever set on a listener's own settings (the global
    /// one is [`Config::auto_id_prefix`]).
    pub auto_id_prefix: Option<String>,
}

impl Listener {
    /// A listener with Mosquitto's per-listener defaults.
    pub fn new(addr: SocketAddr) -> Listener {
        Listener {
            addr,
            protocol: ListenerProtocol::Mqtt,
            optional: false,
            max_connections: None,
            max_qos: QoS::ExactlyOnce,
            max_topic_alias: 10,
            mount_point: None,
            use_username_as_clientid: false,
            security: None,
            socket_domain: None,
            bind_interface: None,
            tls: TlsSettings::default(),
        }
    }
}

/// Where the HTTP dashboard and API listen and where they keep their logins (Roost's own
/// `dashboard_*` directives). The broker core never serves HTTP; `roost broker` reads this to
/// start the admin server beside it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DashboardSettings {
    /// Address of the dashboard listener; `None`: no dashboard.
    pub listener: Option<SocketAddr>,
    /// True for the embedded default (no configuration file): failing to bind it is a warning,
    /// not an error.
    pub embedded: bool,
    /// File of dashboard logins and API keys (`dashboard_auth_file`); `None`: the default place.
    pub auth_file: Option<PathBuf>,
    /// How long a dashboard login lasts (`dashboard_token_expiry`); `None`: one hour.
    pub token_expiry: Option<Duration>,
    /// The dashboard's certificate and key (`dashboard_certfile`, `dashboard_keyfile`); with
    /// them it serves HTTPS only. The other TLS settings stay unset.
    pub tls: TlsSettings,
}

/// The dashboard's address when there is no configuration file.
pub const DEFAULT_DASHBOARD: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 18083);

/// Everything the broker core reads from configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where the configuration came from, for log lines (`None`: embedded defaults).
    pub source: Option<PathBuf>,
    /// Listeners; when the file names none, the local-only default on 127.0.0.1:1883. Without a
    /// file, also MQTT over WebSocket on 127.0.0.1:8083 (optional: see [`Listener::optional`]).
    pub listeners: Vec<Listener>,
    /// True when no listener was configured and the broker runs in local-only mode.
    pub local_only: bool,
    /// Security settings for every listener, unless `per_listener_settings` gives each its own.
    pub security: SecuritySettings,
    /// Whether password_file, acl_file and allow_anonymous apply per listener.
    pub per_listener_settings: bool,
    /// Check a retained message's publisher may still publish to its topic before sending it.
    pub check_retain_source: bool,
    /// Allow an empty client identifier (the broker assigns one).
    pub allow_zero_length_clientid: bool,
    /// Prefix of assigned client identifiers.
    pub auto_id_prefix: String,
    /// Outbound QoS 1/2 messages in flight per client; 0 means 65,535.
    pub max_inflight_messages: u16,
    /// Outbound QoS 1/2 payload bytes in flight per client; 0 means no limit. When the window is
    /// full by bytes, one more message may still go if nothing else is in flight.
    pub max_inflight_bytes: usize,
    /// Messages queued per client beyond the in-flight window; 0 means unlimited.
    pub max_queued_messages: usize,
    /// Bytes queued per client; 0 means unlimited.
    pub max_queued_bytes: usize,
    /// Queue QoS 0 messages for offline persistent sessions.
    pub queue_qos0_messages: bool,
    /// Largest PUBLISH payload accepted; 0 means no limit beyond the packet size.
    pub message_size_limit: usize,
    /// Largest packet accepted from a client.
    pub max_packet_size: u32,
    /// Largest keep-alive accepted; larger (or 0) is lowered to this in MQTT 5.
    pub max_keepalive: u16,
    /// Expire persistent MQTT 3 sessions after this long offline; `None` keeps them.
    pub persistent_client_expiration: Option<Duration>,
    /// Whether retained messages are supported.
    pub retain_available: bool,
    /// Deliver at the subscription's QoS even when the message's is lower.
    pub upgrade_outgoing_qos: bool,
    /// Seconds between `$SYS` updates; 0 turns them off.
    pub sys_interval: u64,
    /// Disable Nagle's algorithm on client sockets. On by default (Mosquitto: off): Roost batches
    /// its own writes, so Nagle only adds delay — 20 times slower delivery to one subscriber.
    pub set_tcp_nodelay: bool,
    /// Log connection and disconnection lines.
    pub connection_messages: bool,
    /// How long a new connection may take to send CONNECT (and, before it, to finish each of
    /// the TLS and WebSocket handshakes).
    pub connect_timeout: Duration,
    /// Largest HTTP request head of a WebSocket upgrade (`websockets_headers_size`); 0: 8 KiB.
    pub websockets_headers_size: usize,
    /// Only client ids starting with this may connect (`clientid_prefixes`); others get CONNACK
    /// "not authorised".
    pub clientid_prefixes: Option<String>,
    /// How often expired retained messages are swept out (`retain_expiry_interval`); `None`:
    /// never swept, though an expired one is still never delivered.
    pub retain_expiry_interval: Option<Duration>,
    /// Where and what to log.
    pub log: LogSettings,
    /// Write the process id here at start; remove it at exit (`pid_file`).
    pub pid_file: Option<PathBuf>,
    /// When started as root, switch to this user once the listeners are bound (`user`).
    pub user: Option<String>,
    /// The `roost broker -p` port, kept so a reload applies it again.
    pub port_override: Option<u16>,
    /// Notices from reading the file (deprecated or obsolete directives), each `FILE:LINE: text`,
    /// for the binary to log at start.
    pub notices: Vec<String>,
    /// The HTTP dashboard and API.
    pub dashboard: DashboardSettings,
    /// Keep the durable state on disk (`persistence`, `retained_persistence`); true by default,
    /// where Mosquitto's is false. False: a broker in memory only.
    pub persistence: bool,
    /// Directory of the store (`persistence_location`); `None`: the default directory.
    pub persistence_location: Option<PathBuf>,
    /// File name of the store in that directory (`persistence_file`); `None`:
    /// [`DEFAULT_PERSISTENCE_FILE`].
    pub persistence_file: Option<String>,
    /// The line to log at start when `autosave_interval` or `autosave_on_changes` was given: they
    /// have no effect, since every change is written as it happens.
    pub autosave_ignored: Option<String>,
}

/// The store's file name when `persistence_file` is not given.
pub const DEFAULT_PERSISTENCE_FILE: &str = "roost.db";

/// Roost's data directory, where what the configuration does not place goes (the message store,
/// the dashboard's logins): `$XDG_DATA_HOME/roost`, else `$HOME/.local/share/roost`; `None` when
/// neither variable is set.
pub fn data_dir() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".local/share"))
        })?;
    Some(data.join("roost"))
}

/// The MQTT limit on packet size: the largest remaining length plus the fixed header.
pub const MAX_PACKET_SIZE: u32 = 268_435_455 + 5;

impl Default for Config {
    fn default() -> Config {
        let local = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1883);
        let mut websocket = Listener::new(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            DEFAULT_WEBSOCKET_PORT,
        ));
        websocket.protocol = ListenerProtocol::WebSockets;
        websocket.optional = true;
        Config {
            source: None,
            listeners: vec![Listener::new(local), websocket],
            local_only: true,
            security: SecuritySettings {
                allow_anonymous: Some(true),
                ..SecuritySettings::default()
            },
            per_listener_settings: false,
            check_retain_source: false,
            allow_zero_length_clientid: true,
            auto_id_prefix: "auto-".to_string(),
            max_inflight_messages: 20,
            max_inflight_bytes: 0,
            max_queued_messages: 1000,
            max_queued_bytes: 0,
            queue_qos0_messages: false,
            message_size_limit: 0,
            max_packet_size: MAX_PACKET_SIZE,
            max_keepalive: 65_535,
            persistent_client_expiration: None,
            retain_available: true,
            upgrade_outgoing_qos: false,
            sys_interval: 10,
            set_tcp_nodelay: true,
            connection_messages: true,
            connect_timeout: Duration::from_secs(10),
            websockets_headers_size: 0,
            clientid_prefixes: None,
            retain_expiry_interval: None,
            log: LogSettings::default(),
            pid_file: None,
            user: None,
            port_override: None,
            notices: Vec::new(),
            dashboard: DashboardSettings {
                listener: Some(DEFAULT_DASHBOARD),
                embedded: true,
                auth_file: None,
                token_expiry: None,
                tls: TlsSettings::default(),
            },
            persistence: true,
            persistence_location: None,
            persistence_file: None,
            autosave_ignored: None,
        }
    }
}

impl Config {
    /// The store file: `persistence_location` (else `default_dir`) joined with
    /// `persistence_file` (else [`DEFAULT_PERSISTENCE_FILE`]). `None` with `persistence false`,
    /// or when neither a location nor a default directory is known.
    pub fn store_path(&self, default_dir: Option<&Path>) -> Option<PathBuf> {
        if !self.persistence {
            return None;
        }
        let dir = match &self.persistence_location {
            Some(dir) => dir.as_path(),
            None => default_dir?,
        };
        let file = self
            .persistence_file
            .as_deref()
            .unwrap_or(DEFAULT_PERSISTENCE_FILE);
        Some(dir.join(file))
    }

    /// Sets the port of every listener (`roost broker -p PORT`); with no listener configured, the
    /// local-only listener moves to that port. The embedded WebSocket listener stays on 8083: it
    /// is not the port `-p` names.
    pub fn override_port(&mut self, port: u16) {
        self.port_override = Some(port);
        for listener in self.listeners.iter_mut().filter(|l| !l.optional) {
            listener.addr.set_port(port);
        }
    }

    /// The security settings in force on `listener`.
    pub fn security_for<'a>(&'a self, listener: &'a Listener) -> &'a SecuritySettings {
        match (&listener.security, self.per_listener_settings) {
            (Some(own), true) => own,
            _ => &self.security,
        }
    }

    /// Whether `listener`'s clients may send an empty client id.
    pub fn allow_zero_length_clientid_for(&self, listener: &Listener) -> bool {
        self.security_for(listener)
            .allow_zero_length_clientid
            .unwrap_or(self.allow_zero_length_clientid)
    }

    /// The prefix of client ids assigned on `listener`.
    pub fn auto_id_prefix_for<'a>(&'a self, listener: &'a Listener) -> &'a str {
        self.security_for(listener)
            .auto_id_prefix
            .as_deref()
            .unwrap_or(&self.auto_id_prefix)
    }

    /// The in-flight window the broker allows per client.
    pub fn inflight_window(&self) -> usize {
        match self.max_inflight_messages {
            0 => usize::from(u16::MAX),
            n => usize::from(n),
        }
    }
}
