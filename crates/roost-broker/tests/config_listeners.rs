//! Listener addresses as Mosquitto settles them: the default listener of `port` and
//! `bind_address`, host names, `socket_domain` and `bind_interface`.

use std::path::Path;

use roost_broker::config::{parse_str, Config, ConfigError, SocketDomain};

fn parse(text: &str) -> Result<Config, ConfigError> {
    parse_str(Path::new("test.conf"), text)
}

fn addrs(text: &str) -> Vec<String> {
    parse(text)
        .unwrap_or_else(|e| panic!("{e}"))
        .listeners
        .iter()
        .map(|l| l.addr.to_string())
        .collect()
}

#[test]
fn socket_domain_picks_the_unspecified_address() {
    assert_eq!(
        addrs("listener 1883\nsocket_domain ipv4\n"),
        ["0.0.0.0:1883"]
    );
    assert_eq!(addrs("listener 1883\nsocket_domain ipv6\n"), ["[::]:1883"]);
    let c = parse("listener 1883\nsocket_domain ipv6\n").unwrap();
    assert_eq!(c.listeners[0].socket_domain, Some(SocketDomain::Ipv6));
}

#[test]
fn socket_domain_must_match_the_address() {
    assert_eq!(
        parse("listener 1883 127.0.0.1\n\nsocket_domain ipv6\n")
            .unwrap_err()
            .to_string(),
        "test.conf:3: '127.0.0.1' is an IPv4 address but socket_domain is IPv6"
    );
    assert_eq!(
        addrs("listener 1883 ::1\nsocket_domain ipv6\n"),
        ["[::1]:1883"]
    );
}

#[test]
fn localhost_follows_the_socket_domain() {
    assert_eq!(addrs("listener 1883 localhost\n"), ["127.0.0.1:1883"]);
    assert_eq!(
        addrs("listener 1883 localhost\nsocket_domain ipv6\n"),
        ["[::1]:1883"]
    );
}

#[test]
fn socket_domain_applies_to_its_own_listener_only() {
    assert_eq!(
        addrs("listener 1883\nsocket_domain ipv6\nlistener 1884\n"),
        ["[::]:1883", "0.0.0.0:1884"]
    );
}

#[test]
fn bind_interface_takes_the_interface_address() {
    assert_eq!(
        addrs("listener 1883\nbind_interface lo\n"),
        ["127.0.0.1:1883"]
    );
    assert_eq!(
        addrs("listener 1883\nbind_interface LO\n"),
        ["127.0.0.1:1883"]
    );
    let c = parse("listener 1883 127.0.0.1\nbind_interface lo\n").unwrap();
    assert_eq!(c.listeners[0].bind_interface.as_deref(), Some("lo"));
}

#[test]
fn bind_interface_errors_name_the_interface() {
    let e = parse("listener 1883\nbind_interface nosuch0\n").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(
        e.message
            .starts_with("there is no network interface 'nosuch0' (there are: ")
            && e.message.contains("lo"),
        "{e}"
    );
    let e = parse("listener 1883 10.1.2.3\nbind_interface lo\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "test.conf:2: interface 'lo' has address 127.0.0.1, not the listener's address 10.1.2.3"
    );
}

#[test]
fn port_and_bind_address_make_the_default_listener() {
    assert_eq!(addrs("port 1885\n"), ["0.0.0.0:1885"]);
    assert_eq!(
        addrs("bind_address 127.0.0.1\nport 1885\n"),
        ["127.0.0.1:1885"]
    );
    // Per-listener lines before any listener belong to the default listener; a later
    // `listener` line does not take them.
    let c = parse("max_connections 5\nport 1885\nlistener 1886\n").unwrap();
    assert_eq!(c.listeners.len(), 2);
    assert_eq!(c.listeners[0].addr.port(), 1885);
    assert_eq!(c.listeners[0].max_connections, Some(5));
    assert_eq!(c.listeners[1].max_connections, None);
    assert!(!c.local_only);
    assert_eq!(c.notices.len(), 1, "port is deprecated");
}

#[test]
fn port_after_a_listener_does_not_move_it() {
    assert_eq!(
        addrs("listener 1884\nport 1885\n"),
        ["0.0.0.0:1885", "0.0.0.0:1884"]
    );
}

#[test]
fn local_only_mode_keeps_default_listener_settings() {
    let c = parse("max_connections 5\n").unwrap();
    assert!(c.local_only);
    assert_eq!(c.listeners[0].addr.to_string(), "127.0.0.1:1883");
    assert_eq!(c.listeners[0].max_connections, Some(5));
}

#[test]
fn host_names_are_resolved() {
    let c = parse("listener 1883 localhost.\n");
    // Resolvers differ on the trailing dot; when it resolves, it is a loopback address.
    if let Ok(c) = c {
        assert!(c.listeners[0].addr.ip().is_loopback());
    }
    let e = parse("listener 1883 no-such-host.invalid\n").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("test.conf:1: cannot resolve 'no-such-host.invalid'"),
        "{e}"
    );
}
