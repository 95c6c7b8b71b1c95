//! [`Session`]: the client side of one MQTT connection as a state machine — commands and packets
//! in, packets to write and messages to deliver out. No I/O and no clock of its own: the event
//! loop passes `now`, which keeps every rule here testable without sockets or sleeps.
//!
//! It checks each request against the limits the broker announced in CONNACK (Maximum QoS,
//! Retain Available, Maximum Packet Size) before anything is written, so the broker never has to
//! disconnect the client for them.

use roost_proto::{
    encoded_len, topic, ConnAck, Disconnect, Packet, Properties, ProtocolVersion, Publish, QoS,
    ReasonCode,
};
use tokio::time::Instant;

use crate::command::{answer, Command, Reply};
use crate::error::ClientError;
use crate::inbound::{Inbound, Violation};
use crate::incoming::{CloseCause, Message};
use crate::keep_alive::{KeepAlive, KeepAliveAction};
use crate::options::ClientOptions;
use crate::outbound::{Outbound, Outgoing};

/// What the broker said when it accepted the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connected {
    /// Session Present: the broker resumed a session for this client id.
    pub session_present: bool,
    /// CONNACK reason code (always a success here).
    pub reason: ReasonCode,
    /// CONNACK properties (MQTT 5): the broker's limits and assigned values.
    pub properties: Properties,
    /// The client id the broker assigned, when the client sent an empty one (MQTT 5).
    pub assigned_client_id: Option<String>,
    /// The keep-alive in force: the broker's Server Keep Alive if it sent one, else the client's.
    pub keep_alive: u16,
}

impl Connected {
    pub(crate) fn new(connack: ConnAck, requested_keep_alive: u16) -> Self {
        Connected {
            session_present: connack.session_present,
            reason: connack.reason,
            assigned_client_id: connack.properties.assigned_client_identifier.clone(),
            keep_alive: connack
                .properties
                .server_keep_alive
                .unwrap_or(requested_keep_alive),
            properties: connack.properties,
        }
    }
}

/// What the event loop must do after a command.
pub(crate) enum Control {
    /// Keep going.
    Continue,
    /// Write what is queued (ending with DISCONNECT), close, then answer.
    Disconnect(Reply<()>),
    /// Close the socket now, writing nothing more.
    Abort,
}

/// The broker's limits from CONNACK.
struct BrokerLimits {
    max_qos: QoS,
    retain_available: bool,
    max_packet_size: Option<u32>,
}

/// One connection's protocol state.
pub(crate) struct Session {
    version: ProtocolVersion,
    limits: BrokerLimits,
    outbound: Outbound,
    inbound: Inbound,
    keep_alive: KeepAlive,
    /// Packets to write, in order; the event loop drains it after every event.
    pub(crate) outbox: Vec<Outgoing>,
}

impl Session {
    /// The session after a successful CONNACK.
    pub(crate) fn new(options: &ClientOptions, connected: &Connected, now: Instant) -> Self {
        let props = &connected.properties;
        Session {
            version: options.protocol,
            limits: BrokerLimits {
                max_qos: match props.maximum_qos {
                    Some(0) => QoS::AtMostOnce,
                    Some(1) => QoS::AtLeastOnce,
                    _ => QoS::ExactlyOnce,
                },
                retain_available: props.retain_available != Some(0),
                max_packet_size: props.maximum_packet_size,
            },
            outbound: Outbound::new(
                options.protocol,
                options.inflight_window(props.receive_maximum),
            ),
            inbound: Inbound::new(options.protocol, options.incoming_alias_max()),
            keep_alive: KeepAlive::new(connected.keep_alive, now),
            outbox: Vec::new(),
        }
    }

    /// Publishes queued behind a full in-flight window.
    pub(crate) fn waiting(&self) -> usize {
        self.outbound.waiting()
    }

    /// When [`Session::tick`] next has work.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.keep_alive.deadline()
    }

    /// A packet was written at `now`.
    pub(crate) fn sent(&mut self, now: Instant) {
        self.keep_alive.sent(now);
    }

    /// Runs a request from a [`crate::Client`].
    pub(crate) fn command(&mut self, command: Command) -> Control {
        match command {
            Command::Publish { publish, reply } => match self.check_publish(&publish) {
                Ok(()) => self.outbound.publish(*publish, reply, &mut self.outbox),
                Err(error) => answer(reply, Err(error)),
            },
            Command::Subscribe {
                filters,
                properties,
                reply,
            } => {
                let bad = filters
                    .iter()
                    .find(|f| !topic::is_valid_topic_filter(&f.filter))
                    .map(|f| f.filter.clone());
                match (filters.is_empty(), bad) {
                    (true, _) => answer(reply, Err(ClientError::InvalidFilter(String::new()))),
                    (false, Some(bad)) => answer(reply, Err(ClientError::InvalidFilter(bad))),
                    (false, None) => {
                        self.outbound
                            .subscribe(filters, *properties, reply, &mut self.outbox)
                    }
                }
            }
            Command::Unsubscribe {
                filters,
                properties,
                reply,
            } => {
                let bad = filters
                    .iter()
                    .find(|f| !topic::is_valid_topic_filter(f))
                    .cloned();
                match (filters.is_empty(), bad) {
                    (true, _) => answer(reply, Err(ClientError::InvalidFilter(String::new()))),
                    (false, Some(bad)) => answer(reply, Err(ClientError::InvalidFilter(bad))),
                    (false, None) => {
                        self.outbound
                            .unsubscribe(filters, *properties, reply, &mut self.outbox)
                    }
                }
            }
            Command::Disconnect { disconnect, reply } => {
                self.outbox.push(Packet::Disconnect(*disconnect).into());
                return Control::Disconnect(reply);
            }
            Command::Abort => return Control::Abort,
        }
        Control::Continue
    }

    fn check_publish(&self, publish: &Publish) -> Result<(), ClientError> {
        let aliased = self.version.is_v5()
            && publish.topic.is_empty()
            && publish.properties.topic_alias.is_some();
        if !aliased && !topic::is_valid_topic_name(&publish.topic) {
            return Err(ClientError::InvalidTopic(publish.topic.clone()));
        }
        if publish.qos > self.limits.max_qos {
            return Err(ClientError::QosNotSupported {
                requested: publish.qos,
                max: self.limits.max_qos,
            });
        }
        if publish.retain && !self.limits.retain_available {
            return Err(ClientError::RetainNotSupported);
        }
        if let Some(max) = self.limits.max_packet_size {
            // The packet identifier is not assigned yet; its two bytes count the same either way.
            let mut sized = publish.clone();
            if sized.qos != QoS::AtMostOnce {
                sized.packet_id = Some(1);
            }
            let size = encoded_len(&Packet::Publish(sized), self.version);
            if size > max as usize {
                return Err(ClientError::PacketTooLarge { size, max });
            }
        }
        Ok(())
    }

    /// Handles a packet from the broker: returns a message to deliver, or why the session ends.
    pub(crate) fn packet(&mut self, packet: Packet) -> Result<Option<Message>, CloseCause> {
        let result = match packet {
            Packet::Publish(publish) => self.inbound.publish(publish, &mut self.outbox),
            Packet::PubRel(rel) => {
                self.inbound.pubrel(&rel, &mut self.outbox);
                Ok(None)
            }
            Packet::PubAck(ack) => {
                self.outbound.puback(ack, &mut self.outbox);
                Ok(None)
            }
            Packet::PubRec(rec) => {
                self.outbound.pubrec(rec, &mut self.outbox);
                Ok(None)
            }
            Packet::PubComp(comp) => {
                self.outbound.pubcomp(comp, &mut self.outbox);
                Ok(None)
            }
            Packet::SubAck(ack) => {
                self.outbound.suback(ack, &mut self.outbox);
                Ok(None)
            }
            Packet::UnsubAck(ack) => {
                self.outbound.unsuback(ack, &mut self.outbox);
                Ok(None)
            }
            Packet::PingResp => {
                self.keep_alive.pong();
                Ok(None)
            }
            Packet::Disconnect(disconnect) => {
                return Err(CloseCause::BrokerDisconnect(Box::new(disconnect)));
            }
            Packet::Auth(_) => Err(Violation {
                reason: ReasonCode::PROTOCOL_ERROR,
                what: "AUTH is not supported by this client",
            }),
            Packet::ConnAck(_)
            | Packet::Connect(_)
            | Packet::Subscribe(_)
            | Packet::Unsubscribe(_)
            | Packet::PingReq => Err(Violation {
                reason: ReasonCode::PROTOCOL_ERROR,
                what: "the broker sent a packet only a client may send, or a second CONNACK",
            }),
        };
        result.map_err(|violation| self.violation(violation))
    }

    /// Queues DISCONNECT with the violation's reason (MQTT 5) and names the cause.
    fn violation(&mut self, violation: Violation) -> CloseCause {
        tracing::warn!(reason = %violation.reason, "{}", violation.what);
        self.close_with(violation.reason);
        CloseCause::ProtocolViolation(violation.reason, violation.what)
    }

    /// Queues the DISCONNECT a client sends before closing for a protocol error (MQTT 5 only;
    /// 3.x clients just close).
    pub(crate) fn close_with(&mut self, reason: ReasonCode) {
        if self.version.is_v5() {
            let disconnect = Disconnect {
                reason,
                properties: Properties::default(),
            };
            self.outbox.push(Packet::Disconnect(disconnect).into());
        }
    }

    /// Keep-alive at `now`: queues PINGREQ when due, or says the broker is gone.
    pub(crate) fn tick(&mut self, now: Instant) -> Result<(), CloseCause> {
        match self.keep_alive.poll(now) {
            KeepAliveAction::Idle => Ok(()),
            KeepAliveAction::Ping => {
                self.outbox.push(Packet::PingReq.into());
                Ok(())
            }
            KeepAliveAction::TimedOut => {
                self.close_with(ReasonCode::KEEP_ALIVE_TIMEOUT);
                Err(CloseCause::KeepAliveTimeout)
            }
        }
    }

    /// Fails every request still open; `reason` is the broker's DISCONNECT reason, if any.
    pub(crate) fn fail_all(&mut self, reason: Option<ReasonCode>) {
        self.outbound.fail_all(reason);
        for outgoing in self.outbox.drain(..) {
            if let Some(reply) = outgoing.on_written {
                answer(reply, Err(ClientError::Disconnected(reason)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use tokio::sync::oneshot;

    fn session(props: Properties) -> Session {
        let options = ClientOptions {
            protocol: ProtocolVersion::V5,
            ..ClientOptions::default()
        };
        let connack = ConnAck {
            session_present: false,
            reason: ReasonCode::SUCCESS,
            properties: props,
        };
        Session::new(&options, &Connected::new(connack, 60), Instant::now())
    }

    fn publish_cmd(
        topic: &str,
        qos: QoS,
        retain: bool,
    ) -> (
        Command,
        oneshot::Receiver<Result<crate::PubOutcome, ClientError>>,
    ) {
        let (reply, rx) = oneshot::channel();
        let publish = Publish {
            dup: false,
            qos,
            retain,
            topic: topic.into(),
            packet_id: None,
            payload: Bytes::from_static(&[0; 100]),
            properties: Properties::default(),
        };
        let publish = Box::new(publish);
        (Command::Publish { publish, reply }, rx)
    }

    #[test]
    fn publishes_beyond_the_brokers_limits_are_refused_before_sending() {
        let mut s = session(Properties::from(roost_proto::PropertyValues {
            maximum_qos: Some(1),
            retain_available: Some(0),
            maximum_packet_size: Some(50),
            ..roost_proto::PropertyValues::NONE
        }));
        let (cmd, mut rx) = publish_cmd("t", QoS::ExactlyOnce, false);
        s.command(cmd);
        assert!(matches!(
            rx.try_recv(),
            Ok(Err(ClientError::QosNotSupported { .. }))
        ));
        let (cmd, mut rx) = publish_cmd("t", QoS::AtMostOnce, true);
        s.command(cmd);
        assert!(matches!(
            rx.try_recv(),
            Ok(Err(ClientError::RetainNotSupported))
        ));
        let (cmd, mut rx) = publish_cmd("t", QoS::AtMostOnce, false);
        s.command(cmd);
        assert!(matches!(
            rx.try_recv(),
            Ok(Err(ClientError::PacketTooLarge { max: 50, .. }))
        ));
        let (cmd, mut rx) = publish_cmd("a/+", QoS::AtMostOnce, false);
        s.command(cmd);
        assert!(matches!(
            rx.try_recv(),
            Ok(Err(ClientError::InvalidTopic(_)))
        ));
        assert!(s.outbox.is_empty());
    }

    #[test]
    fn server_keep_alive_overrides_the_clients() {
        let connack = ConnAck {
            session_present: false,
            reason: ReasonCode::SUCCESS,
            properties: Properties::from(roost_proto::PropertyValues {
                server_keep_alive: Some(5),
                ..roost_proto::PropertyValues::NONE
            }),
        };
        assert_eq!(Connected::new(connack, 60).keep_alive, 5);
    }

    #[test]
    fn a_broker_disconnect_ends_the_session_and_a_violation_answers_with_disconnect() {
        let mut s = session(Properties::default());
        let end = s.packet(Packet::Disconnect(Disconnect {
            reason: ReasonCode::SERVER_SHUTTING_DOWN,
            properties: Properties::default(),
        }));
        assert!(matches!(end, Err(CloseCause::BrokerDisconnect(_))));

        let end = s.packet(Packet::PingReq);
        assert!(matches!(
            end,
            Err(CloseCause::ProtocolViolation(ReasonCode::PROTOCOL_ERROR, _))
        ));
        assert!(matches!(
            s.outbox[..],
            [Outgoing {
                packet: Packet::Disconnect(_),
                ..
            }]
        ));
    }
}
