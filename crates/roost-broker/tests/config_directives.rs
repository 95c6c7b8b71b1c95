//! What each implemented directive sets, with Mosquitto's defaults and edge values.

use std::path::{Path, PathBuf};
use std::time::Duration;

use roost_broker::config::{parse_str, Config, ConfigError, ListenerProtocol};
use roost_proto::QoS;

fn parse(text: &str) -> Result<Config, ConfigError> {
    parse_str(Path::new("test.conf"), text)
}

fn ok(text: &str) -> Config {
    parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

#[test]
fn defaults_are_mosquittos() {
    let c = ok("");
    assert_eq!(c.max_inflight_messages, 20);
    assert_eq!(c.max_inflight_bytes, 0);
    assert_eq!(c.max_queued_messages, 1000);
    assert_eq!(c.max_queued_bytes, 0);
    assert_eq!(c.sys_interval, 10);
    assert_eq!(c.auto_id_prefix, "auto-");
    assert!(c.allow_zero_length_clientid && c.connection_messages && c.retain_available);
    assert!(!c.queue_qos0_messages && !c.upgrade_outgoing_qos && !c.per_listener_settings);
    assert_eq!(c.persistent_client_expiration, None);
    assert_eq!(c.retain_expiry_interval, None);
    assert_eq!(
        (c.pid_file, c.user, c.clientid_prefixes),
        (None, None, None)
    );
    assert!(c.notices.is_empty());
}

#[test]
fn limits() {
    let c = ok(
        "max_inflight_messages 1\nmax_inflight_bytes 1000\nmax_queued_messages 0\n\
                max_queued_bytes 4096\nmessage_size_limit 100\nmax_packet_size 20\n\
                max_keepalive 30\nqueue_qos0_messages true\nretain_available false\n\
                upgrade_outgoing_qos true\n",
    );
    assert_eq!(c.max_inflight_messages, 1);
    assert_eq!(c.max_inflight_bytes, 1000);
    assert_eq!(c.max_queued_messages, 0);
    assert_eq!(c.max_queued_bytes, 4096);
    assert_eq!(c.message_size_limit, 100);
    assert_eq!(c.max_packet_size, 20);
    assert_eq!(c.max_keepalive, 30);
    assert!(c.queue_qos0_messages && !c.retain_available && c.upgrade_outgoing_qos);
}

#[test]
fn minus_one_and_65535_mean_no_inflight_limit() {
    assert_eq!(ok("max_inflight_messages -1\n").max_inflight_messages, 0);
    assert_eq!(ok("max_inflight_messages 65535\n").max_inflight_messages, 0);
    assert_eq!(ok("max_inflight_bytes -1\n").max_inflight_bytes, 0);
    assert_eq!(ok("max_queued_bytes -5\n").max_queued_bytes, 0);
}

#[test]
fn packet_size_below_20_is_refused() {
    assert!(parse("max_packet_size 19\n").is_err());
    assert!(parse("max_packet_size 0\n").is_err());
}

#[test]
fn expiry_settings() {
    let c = ok("persistent_client_expiration 2d\nretain_expiry_interval 5\n");
    assert_eq!(
        c.persistent_client_expiration,
        Some(Duration::from_secs(172_800))
    );
    assert_eq!(c.retain_expiry_interval, Some(Duration::from_secs(300)));
    assert_eq!(
        ok("retain_expiry_interval 0\n").retain_expiry_interval,
        None
    );
    // m is a month of 30 days in Mosquitto, not a minute.
    assert_eq!(
        ok("persistent_client_expiration 1m\n").persistent_client_expiration,
        Some(Duration::from_secs(30 * 86_400))
    );
}

#[test]
fn process_settings() {
    let c = ok("pid_file /run/roost.pid\nuser nobody\nsys_interval 0\n");
    assert_eq!(c.pid_file, Some(PathBuf::from("/run/roost.pid")));
    assert_eq!(c.user.as_deref(), Some("nobody"));
    assert_eq!(c.sys_interval, 0);
    assert!(parse("sys_interval 65536\n").is_err());
}

#[test]
fn general_switches() {
    let c = ok("connection_messages false\nset_tcp_nodelay false\ncheck_retain_source true\n");
    assert!(!c.connection_messages && !c.set_tcp_nodelay && c.check_retain_source);
}

#[test]
fn client_id_settings() {
    let c = ok("allow_zero_length_clientid false\nauto_id_prefix gen-\nclientid_prefixes dev-\n");
    assert!(!c.allow_zero_length_clientid);
    assert_eq!(c.auto_id_prefix, "gen-");
    assert_eq!(c.clientid_prefixes.as_deref(), Some("dev-"));
    assert_eq!(c.notices.len(), 1, "clientid_prefixes is deprecated");
}

#[test]
fn per_listener_client_id_settings() {
    let c = ok("per_listener_settings true\n\
                listener 1883\nallow_zero_length_clientid false\nauto_id_prefix a-\n\
                listener 1884\n");
    let (first, second) = (&c.listeners[0], &c.listeners[1]);
    assert!(!c.allow_zero_length_clientid_for(first));
    assert_eq!(c.auto_id_prefix_for(first), "a-");
    assert!(c.allow_zero_length_clientid_for(second));
    assert_eq!(c.auto_id_prefix_for(second), "auto-");
}

#[test]
fn security_settings_global_and_per_listener() {
    let c = ok("listener 1883\npassword_file pw\nacl_file acl\nallow_anonymous true\n");
    assert_eq!(c.security.password_file, Some(PathBuf::from("pw")));
    assert_eq!(c.security.acl_file, Some(PathBuf::from("acl")));
    assert_eq!(c.security.allow_anonymous, Some(true));
    let c = ok(
        "per_listener_settings true\nlistener 1883\npassword_file pw\n\
                listener 1884\nallow_anonymous true\n",
    );
    let own = |i: usize| c.listeners[i].security.clone().unwrap_or_default();
    assert_eq!(own(0).password_file, Some(PathBuf::from("pw")));
    assert_eq!(own(0).allow_anonymous, Some(false));
    assert_eq!(own(1).allow_anonymous, Some(true));
    assert_eq!(
        c.security_for(&c.listeners[0]).password_file,
        own(0).password_file
    );
}

#[test]
fn listener_settings() {
    let c = ok(
        "listener 1883\nmax_connections 0\nmax_qos 1\nmax_topic_alias 0\n\
                mount_point m/\nuse_username_as_clientid true\n\
                listener 1884\nmaximum_qos 0\nmax_connections -1\n",
    );
    let (a, b) = (&c.listeners[0], &c.listeners[1]);
    assert_eq!(
        a.max_connections,
        Some(0),
        "0 refuses every client, as in Mosquitto"
    );
    assert_eq!(a.max_qos, QoS::AtLeastOnce);
    assert_eq!(a.max_topic_alias, 0);
    assert_eq!(a.mount_point.as_deref(), Some("m/"));
    assert!(a.use_username_as_clientid);
    assert_eq!(b.max_qos, QoS::AtMostOnce);
    assert_eq!(b.max_connections, None);
}

#[test]
fn deprecated_and_obsolete_words_are_read_with_a_notice() {
    let c = ok("allow_duplicate_messages true\nretry_interval 20\n");
    assert_eq!(c.notices.len(), 2);
    assert!(c.notices[0].starts_with("test.conf:1: 'allow_duplicate_messages' is deprecated"));
    assert!(c.notices[1].starts_with("test.conf:2: 'retry_interval' is no longer available"));
}

#[test]
fn persistence_false_and_protocol_mqtt_are_read() {
    let c = ok("persistence false\nlistener 1883\nprotocol mqtt\n");
    assert!(!c.persistence);
    assert_eq!(c.listeners[0].protocol, ListenerProtocol::Mqtt);
}

#[test]
fn protocol_websockets_applies_to_its_listener_only() {
    let c = ok("listener 1883\nlistener 8080\nprotocol websockets\nlistener 8081\n");
    let protocols: Vec<_> = c.listeners.iter().map(|l| l.protocol).collect();
    use ListenerProtocol::{Mqtt, WebSockets};
    assert_eq!(protocols, [Mqtt, WebSockets, Mqtt]);
    assert!(c.listeners.iter().all(|l| !l.optional));
}

#[test]
fn a_file_opens_only_its_own_listeners_not_the_default_websocket_one() {
    let c = ok("allow_anonymous true\n");
    assert_eq!(c.listeners.len(), 1, "{:?}", c.listeners);
    assert_eq!(c.listeners[0].protocol, ListenerProtocol::Mqtt);
}

#[test]
fn without_a_file_websocket_listens_on_127_0_0_1_8083_and_p_moves_only_mqtt() {
    let mut c = Config::default();
    let shown: Vec<_> = c
        .listeners
        .iter()
        .map(|l| (l.addr.to_string(), l.protocol, l.optional))
        .collect();
    assert_eq!(
        shown,
        [
            ("127.0.0.1:1883".to_string(), ListenerProtocol::Mqtt, false),
            (
                "127.0.0.1:8083".to_string(),
                ListenerProtocol::WebSockets,
                true
            ),
        ]
    );
    c.override_port(1999);
    assert_eq!(c.listeners[0].addr.port(), 1999);
    assert_eq!(c.listeners[1].addr.port(), 8083);
}

#[test]
fn websockets_headers_size_limits_the_upgrade_request() {
    assert_eq!(Config::default().websockets_headers_size, 0);
    let c = ok("websockets_headers_size 4096\n");
    assert_eq!(c.websockets_headers_size, 4096);
    let e = parse_str(Path::new("t.conf"), "websockets_headers_size big\n").unwrap_err();
    assert!(e.to_string().contains("expected a whole number"), "{e}");
}
