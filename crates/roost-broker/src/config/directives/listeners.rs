//! Listeners: where the broker listens, and the settings each listener gives its clients.
//! A listener's address is settled when the whole file has been read (see `parse`), because
//! `socket_domain` and `bind_interface` may follow the `listener` line they change.

use roost_proto::QoS;

use super::values::{boolean, count_or_unlimited, number, one_of, set_once};
use super::{directive, Directive};
use crate::config::parse::ParseState;
use crate::config::{ListenerProtocol, SocketDomain};

pub(super) static TABLE: &[Directive] = &[
    directive! {
        name: "listener",
        scope: Listener,
        form: "PORT [ADDRESS | HOSTNAME]",
        default: "none: local-only mode on 127.0.0.1:1883",
        help: "Listen for MQTT on PORT, on one address or on every interface; later listener lines apply to it.",
        example: "1883 127.0.0.1",
        apply: |s, v| listener(s, v)?,
    },
    directive! {
        name: "port",
        scope: Global,
        form: "PORT",
        default: "1883",
        help: "Deprecated: port of the default listener (use 'listener').",
        example: "1884",
        apply: |s, v| {
            s.default_listener().addr.set_port(number(v)?);
            s.notice("'port' is deprecated; use 'listener PORT' instead");
        },
    },
    directive! {
        name: "bind_address",
        scope: Global,
        form: "ADDRESS | HOSTNAME",
        default: "every interface",
        help: "Deprecated: address of the default listener (use 'listener PORT ADDRESS').",
        example: "127.0.0.1",
        apply: |s, v| {
            s.set_default_host(v);
            s.notice("'bind_address' is deprecated; use 'listener PORT ADDRESS' instead");
        },
    },
    directive! {
        name: "bind_interface",
        scope: Listener,
        form: "INTERFACE",
        default: "none",
        help: "Listen on the address this network interface has (e.g. eth0); wins over the listener's address.",
        example: "lo",
        apply: |s, v| s.set_bind_interface(v)?,
    },
    directive! {
        name: "socket_domain",
        scope: Listener,
        form: "ipv4 | ipv6",
        default: "IPv4 when no address is given",
        help: "Listen on IPv4 only or on IPv6 only.",
        example: "ipv4",
        apply: |s, v| s.set_socket_domain(match one_of(v, &["ipv4", "ipv6"])? {
            "ipv4" => SocketDomain::Ipv4,
            _ => SocketDomain::Ipv6,
        }),
    },
    directive! {
        name: "max_connections",
        scope: Listener,
        form: "COUNT | -1",
        default: "-1 (no limit)",
        help: "Most clients connected at once on this listener; more are refused.",
        example: "100",
        apply: |s, v| s.listener().max_connections = match v.parse::<i64>() {
            Ok(n) if n < 0 => None,
            _ => Some(count_or_unlimited(v)?),
        },
    },
    directive! {
        name: "max_qos",
        scope: Listener,
        form: "0 | 1 | 2",
        default: "2",
        help: "Highest QoS clients may use on this listener (MQTT 5 clients are told).",
        example: "1",
        apply: |s, v| s.listener().max_qos = qos(v)?,
    },
    directive! {
        name: "maximum_qos",
        scope: Listener,
        form: "0 | 1 | 2",
        default: "2",
        help: "Older name of max_qos.",
        example: "1",
        apply: |s, v| s.listener().max_qos = qos(v)?,
    },
    directive! {
        name: "max_topic_alias",
        scope: Listener,
        form: "0..65535",
        default: "10",
        help: "Most topic aliases an MQTT 5 client may set up on this listener (0: none).",
        example: "20",
        apply: |s, v| s.listener().max_topic_alias = number(v)?,
    },
    directive! {
        name: "mount_point",
        scope: Listener,
        form: "TOPIC-PREFIX",
        default: "none",
        help: "Put this prefix before every topic of this listener's clients, hiding the rest of the tree.",
        example: "tenant-a/",
        apply: |s, v| set_once(&mut s.listener().mount_point, v.to_string())?,
    },
    directive! {
        name: "use_username_as_clientid",
        scope: Listener,
        form: "true | false",
        default: "false",
        help: "Replace each client's id with its user name; clients without one are refused.",
        example: "true",
        apply: |s, v| s.listener().use_username_as_clientid = boolean(v)?,
    },
    directive! {
        name: "protocol",
        scope: Listener,
        form: "mqtt | websockets",
        default: "mqtt",
        help: "What this listener speaks: MQTT, or MQTT over WebSocket (any path, subprotocol mqtt or mqttv3.1).",
        example: "websockets",
        apply: |s, v| s.listener().protocol = match one_of(v, &["mqtt", "websockets"])? {
            "mqtt" => ListenerProtocol::Mqtt,
            _ => ListenerProtocol::WebSockets,
        },
    },
];

fn qos(value: &str) -> Result<QoS, String> {
    QoS::from_u8(number(value)?).ok_or_else(|| "expected 0, 1 or 2".to_string())
}

/// `listener PORT [ADDRESS]`: a new listener; a path instead of an address is a Unix socket.
fn listener(state: &mut ParseState, value: &str) -> Result<(), String> {
    let mut words = value.split_whitespace();
    let port = words.next().unwrap_or_default();
    let port: u16 = port
        .parse()
        .map_err(|_| format!("PORT must be a number from 0 to 65535, found '{port}'"))?;
    let host = words.next();
    if words.next().is_some() {
        return Err("expected a port and at most one address".into());
    }
    if let Some(path) = host.filter(|h| h.contains('/')) {
        return Err(format!(
            "'{path}' is a Unix socket path: Unix socket listeners are not supported yet"
        ));
    }
    state.add_listener(port, host);
    Ok(())
}
