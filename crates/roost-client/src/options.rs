//! [`ClientOptions`]: everything that shapes one connection, with Mosquitto's client defaults.
//!
//! The options are plain data: the CONNECT packet is built from them ([`ClientOptions::connect_packet`])
//! and the session task reads its limits from them. Nothing here touches the network.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use roost_proto::{Connect, Packet, Properties, ProtocolVersion, Will};

use crate::transport::Transport;

/// The in-flight window before MQTT 5 when [`ClientOptions::max_inflight`] is `None`.
pub const DEFAULT_V3_INFLIGHT: u16 = 20;

/// Which way a packet went, for a [`PacketHook`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The client wrote the packet.
    Sent,
    /// The client read the packet.
    Received,
}

/// Called with every packet the client sends or receives, before it is written or acted on.
///
/// Runs on the session task: it must be quick and must not block. The CLI's `-d` output is one.
pub type PacketHook = Arc<dyn Fn(Direction, &Packet) + Send + Sync>;

/// How to connect and what to ask the broker for.
///
/// `ClientOptions::default()` is Mosquitto's client default: `localhost:1883`, MQTT 3.1.1, clean
/// session, keep-alive 60 seconds, an empty client id (the broker assigns one).
#[derive(Clone)]
pub struct ClientOptions {
    /// Host name or address of the broker.
    pub host: String,
    /// TCP port of the broker.
    pub port: u16,
    /// How the bytes travel: TCP (the default), TLS, WebSocket or WebSocket over TLS.
    pub transport: Transport,
    /// Client identifier; empty asks the broker to assign one (MQTT 3.1.1 and 5).
    pub client_id: String,
    /// Protocol version to speak.
    pub protocol: ProtocolVersion,
    /// Clean Session (3.x) / Clean Start (5).
    pub clean_start: bool,
    /// Keep-alive in seconds; 0 turns it off. The broker may override it in MQTT 5.
    pub keep_alive: u16,
    /// User name.
    pub username: Option<String>,
    /// Password (binary data).
    pub password: Option<Bytes>,
    /// The will message the broker publishes if the connection ends without DISCONNECT.
    pub will: Option<Will>,
    /// Session Expiry Interval in seconds (MQTT 5).
    pub session_expiry: Option<u32>,
    /// Receive Maximum: how many QoS 1/2 messages the broker may have in flight to us (MQTT 5).
    pub receive_maximum: Option<u16>,
    /// Maximum Packet Size the client accepts (MQTT 5); also the decoder's limit.
    pub maximum_packet_size: Option<u32>,
    /// Topic Alias Maximum: how many topic aliases the broker may use towards us (MQTT 5).
    pub topic_alias_maximum: Option<u16>,
    /// User properties of CONNECT (MQTT 5).
    pub user_properties: Vec<(String, String)>,
    /// Request Problem Information of CONNECT (MQTT 5); `None` leaves the broker's default (1).
    pub request_problem_information: Option<u8>,
    /// Request Response Information of CONNECT (MQTT 5); `None` leaves the default (0).
    pub request_response_information: Option<u8>,
    /// Local address to bind the socket to before connecting (`mosquitto_sub -A`).
    pub bind_address: Option<String>,
    /// How long to wait for the TCP connection, then the TLS handshake, then the WebSocket
    /// upgrade, then CONNACK, each.
    pub connect_timeout: Duration,
    /// Most QoS 1/2 publishes the client keeps in flight (`mosquitto_pub -M`). In MQTT 5 the
    /// window is the smaller of this and the broker's Receive Maximum. Before MQTT 5 the broker
    /// announces no limit, yet Mosquitto drops QoS 1/2 messages beyond its own, so `None` means
    /// [`DEFAULT_V3_INFLIGHT`], libmosquitto's default.
    pub max_inflight: Option<u16>,
    /// Capacity of the [`crate::Incoming`] channel. When it is full the client stops reading
    /// from the socket, so a slow reader slows the broker instead of growing memory.
    pub incoming_capacity: usize,
    /// Observer of every packet sent and received.
    pub packet_hook: Option<PacketHook>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            host: "localhost".to_owned(),
            port: 1883,
            transport: Transport::Tcp,
            client_id: String::new(),
            protocol: ProtocolVersion::V3_1_1,
            clean_start: true,
            keep_alive: 60,
            username: None,
            password: None,
            will: None,
            session_expiry: None,
            receive_maximum: None,
            maximum_packet_size: None,
            topic_alias_maximum: None,
            user_properties: Vec::new(),
            request_problem_information: None,
            request_response_information: None,
            bind_address: None,
            connect_timeout: Duration::from_secs(10),
            max_inflight: None,
            incoming_capacity: 1024,
            packet_hook: None,
        }
    }
}

impl ClientOptions {
    /// Default options for the broker at `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        ClientOptions {
            host: host.into(),
            port,
            ..ClientOptions::default()
        }
    }

    /// The CONNECT packet these options describe. Properties are left out before MQTT 5.
    pub fn connect_packet(&self) -> Connect {
        let properties = if self.protocol.is_v5() {
            Properties::from(roost_proto::PropertyValues {
                session_expiry_interval: self.session_expiry,
                receive_maximum: self.receive_maximum,
                maximum_packet_size: self.maximum_packet_size,
                topic_alias_maximum: self.topic_alias_maximum,
                user_properties: self.user_properties.clone(),
                request_problem_information: self.request_problem_information,
                request_response_information: self.request_response_information,
                ..roost_proto::PropertyValues::NONE
            })
        } else {
            Properties::default()
        };
        let will = self.will.clone().map(|mut will| {
            if !self.protocol.is_v5() {
                will.properties = Properties::default();
            }
            will
        });
        Connect {
            protocol: self.protocol,
            clean_start: self.clean_start,
            keep_alive: self.keep_alive,
            client_id: self.client_id.clone(),
            will,
            username: self.username.clone(),
            password: self.password.clone(),
            properties,
        }
    }

    /// How many QoS 1/2 publishes may be in flight, given the broker's Receive Maximum.
    pub(crate) fn inflight_window(&self, broker_receive_maximum: Option<u16>) -> u16 {
        if self.protocol.is_v5() {
            let broker = broker_receive_maximum.unwrap_or(u16::MAX);
            self.max_inflight.map_or(broker, |own| own.min(broker))
        } else {
            self.max_inflight.unwrap_or(DEFAULT_V3_INFLIGHT)
        }
    }

    /// The largest packet the client accepts from the broker.
    pub(crate) fn max_incoming_packet(&self) -> u32 {
        self.maximum_packet_size.unwrap_or(u32::MAX)
    }

    /// How many topic aliases the broker may use towards us; 0 when we did not offer any.
    pub(crate) fn incoming_alias_max(&self) -> u16 {
        if self.protocol.is_v5() {
            self.topic_alias_maximum.unwrap_or(0)
        } else {
            0
        }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("transport", &self.transport)
            .field("client_id", &self.client_id)
            .field("protocol", &self.protocol)
            .field("clean_start", &self.clean_start)
            .field("keep_alive", &self.keep_alive)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("will", &self.will)
            .field("session_expiry", &self.session_expiry)
            .field("receive_maximum", &self.receive_maximum)
            .field("maximum_packet_size", &self.maximum_packet_size)
            .field("topic_alias_maximum", &self.topic_alias_maximum)
            .field("user_properties", &self.user_properties)
            .field(
                "request_problem_information",
                &self.request_problem_information,
            )
            .field(
                "request_response_information",
                &self.request_response_information,
            )
            .field("bind_address", &self.bind_address)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_inflight", &self.max_inflight)
            .field("incoming_capacity", &self.incoming_capacity)
            .field("packet_hook", &self.packet_hook.as_ref().map(|_| "<hook>"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roost_proto::QoS;

    #[test]
    fn defaults_are_mosquittos() {
        let o = ClientOptions::default();
        assert_eq!((o.host.as_str(), o.port), ("localhost", 1883));
        assert_eq!(o.protocol, ProtocolVersion::V3_1_1);
        assert!(o.clean_start);
        assert_eq!(o.keep_alive, 60);
        assert!(o.client_id.is_empty());
    }

    #[test]
    fn connect_packet_drops_v5_properties_for_v3() {
        let mut o = ClientOptions {
            session_expiry: Some(10),
            receive_maximum: Some(5),
            will: Some(Will {
                topic: "w".into(),
                payload: Bytes::from_static(b"gone"),
                qos: QoS::AtLeastOnce,
                retain: true,
                properties: Properties::from(roost_proto::PropertyValues {
                    will_delay_interval: Some(3),
                    ..roost_proto::PropertyValues::NONE
                }),
            }),
            ..ClientOptions::default()
        };
        let c = o.connect_packet();
        assert!(c.properties.is_empty());
        assert!(c.will.as_ref().is_some_and(|w| w.properties.is_empty()));

        o.protocol = ProtocolVersion::V5;
        o.request_problem_information = Some(0);
        o.request_response_information = Some(1);
        let c = o.connect_packet();
        assert_eq!(c.properties.request_problem_information, Some(0));
        assert_eq!(c.properties.request_response_information, Some(1));
        assert_eq!(c.properties.session_expiry_interval, Some(10));
        assert_eq!(c.properties.receive_maximum, Some(5));
        assert_eq!(
            c.will.and_then(|w| w.properties.will_delay_interval),
            Some(3)
        );
    }

    #[test]
    fn inflight_window_follows_the_broker_in_v5_and_mosquitto_before() {
        let mut o = ClientOptions::default();
        assert_eq!(o.inflight_window(None), DEFAULT_V3_INFLIGHT);
        o.max_inflight = Some(100);
        assert_eq!(o.inflight_window(None), 100);
        o.protocol = ProtocolVersion::V5;
        assert_eq!(o.inflight_window(Some(20)), 20);
        assert_eq!(o.inflight_window(Some(1000)), 100);
        o.max_inflight = None;
        assert_eq!(o.inflight_window(None), u16::MAX);
    }

    #[test]
    fn debug_hides_the_password() {
        let o = ClientOptions {
            password: Some(Bytes::from_static(b"secret")),
            ..ClientOptions::default()
        };
        assert!(!format!("{o:?}").contains("secret"));
    }
}
