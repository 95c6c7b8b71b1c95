//! [`Inbound`]: PUBLISH from the broker — acknowledgements, exactly-once delivery and topic aliases.
//!
//! QoS 1 is acknowledged at once. QoS 2 is delivered when the PUBLISH first arrives and its packet
//! identifier is remembered until PUBREL, so a retransmitted PUBLISH (same identifier, DUP set) is
//! acknowledged again but not delivered twice [MQTT-4.3.3]. Topic aliases the broker sets are
//! remembered per connection and resolved before the application sees the message [MQTT-3.3.2-12].

use std::collections::{HashMap, HashSet};

use roost_proto::{Packet, ProtocolVersion, PubResponse, Publish, QoS, ReasonCode};

use crate::incoming::Message;
use crate::outbound::Outgoing;

/// The broker broke the protocol; the client closes with this reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Violation {
    /// Sent in DISCONNECT (MQTT 5).
    pub(crate) reason: ReasonCode,
    /// What went wrong, for logs and [`crate::CloseCause`].
    pub(crate) what: &'static str,
}

/// Receiving side of one connection.
pub(crate) struct Inbound {
    version: ProtocolVersion,
    /// QoS 2 identifiers received and delivered, waiting for PUBREL.
    awaiting_release: HashSet<u16>,
    aliases: HashMap<u16, String>,
    alias_max: u16,
}

impl Inbound {
    /// `alias_max` is the Topic Alias Maximum the client announced in CONNECT.
    pub(crate) fn new(version: ProtocolVersion, alias_max: u16) -> Self {
        Inbound {
            version,
            awaiting_release: HashSet::new(),
            aliases: HashMap::new(),
            alias_max,
        }
    }

    /// Handles a PUBLISH: pushes its acknowledgement onto `out` and returns the message to
    /// deliver, if it is not a duplicate.
    pub(crate) fn publish(
        &mut self,
        publish: Publish,
        out: &mut Vec<Outgoing>,
    ) -> Result<Option<Message>, Violation> {
        let topic = self.resolve_topic(&publish)?;
        let deliver = match (publish.qos, publish.packet_id) {
            (QoS::AtMostOnce, _) => true,
            (QoS::AtLeastOnce, Some(id)) => {
                out.push(Packet::PubAck(response(id, ReasonCode::SUCCESS)).into());
                true
            }
            (QoS::ExactlyOnce, Some(id)) => {
                out.push(Packet::PubRec(response(id, ReasonCode::SUCCESS)).into());
                self.awaiting_release.insert(id)
            }
            (_, None) => {
                return Err(Violation {
                    reason: ReasonCode::PROTOCOL_ERROR,
                    what: "QoS 1 or 2 PUBLISH without a packet identifier",
                })
            }
        };
        Ok(deliver.then(|| Message {
            topic,
            payload: publish.payload,
            qos: publish.qos,
            retain: publish.retain,
            dup: publish.dup,
            packet_id: publish.packet_id,
            properties: publish.properties,
        }))
    }

    /// Handles PUBREL: ends the QoS 2 exchange with PUBCOMP.
    pub(crate) fn pubrel(&mut self, rel: &PubResponse, out: &mut Vec<Outgoing>) {
        let reason = if self.awaiting_release.remove(&rel.packet_id) || !self.version.is_v5() {
            ReasonCode::SUCCESS
        } else {
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
        };
        out.push(Packet::PubComp(response(rel.packet_id, reason)).into());
    }

    fn resolve_topic(&mut self, publish: &Publish) -> Result<String, Violation> {
        let Some(alias) = publish.properties.topic_alias else {
            return Ok(publish.topic.clone());
        };
        if alias == 0 || alias > self.alias_max {
            return Err(Violation {
                reason: ReasonCode::TOPIC_ALIAS_INVALID,
                what: "topic alias above the client's Topic Alias Maximum",
            });
        }
        if publish.topic.is_empty() {
            self.aliases.get(&alias).cloned().ok_or(Violation {
                reason: ReasonCode::PROTOCOL_ERROR,
                what: "PUBLISH with an empty topic and an unknown topic alias",
            })
        } else {
            self.aliases.insert(alias, publish.topic.clone());
            Ok(publish.topic.clone())
        }
    }
}

fn response(packet_id: u16, reason: ReasonCode) -> PubResponse {
    PubResponse {
        packet_id,
        reason,
        properties: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use roost_proto::Properties;

    fn packets(out: &[Outgoing]) -> Vec<&Packet> {
        out.iter().map(|o| &o.packet).collect()
    }

    fn publish(qos: QoS, id: Option<u16>, topic: &str, alias: Option<u16>) -> Publish {
        Publish {
            dup: false,
            qos,
            retain: false,
            topic: topic.into(),
            packet_id: id,
            payload: Bytes::from_static(b"x"),
            properties: Properties::from(roost_proto::PropertyValues {
                topic_alias: alias,
                ..roost_proto::PropertyValues::NONE
            }),
        }
    }

    #[test]
    fn qos1_is_acknowledged_and_delivered() {
        let mut inbound = Inbound::new(ProtocolVersion::V3_1_1, 0);
        let mut out = Vec::new();
        let msg = inbound.publish(publish(QoS::AtLeastOnce, Some(7), "a", None), &mut out);
        assert!(matches!(msg, Ok(Some(ref m)) if m.topic == "a" && m.packet_id == Some(7)));
        assert!(matches!(
            packets(&out)[..],
            [Packet::PubAck(PubResponse { packet_id: 7, .. })]
        ));
    }

    #[test]
    fn qos2_duplicate_is_acknowledged_but_delivered_once() {
        let mut inbound = Inbound::new(ProtocolVersion::V5, 0);
        let mut out = Vec::new();
        let first = inbound.publish(publish(QoS::ExactlyOnce, Some(3), "a", None), &mut out);
        let again = inbound.publish(publish(QoS::ExactlyOnce, Some(3), "a", None), &mut out);
        assert!(matches!(first, Ok(Some(_))));
        assert_eq!(again, Ok(None));
        assert_eq!(out.len(), 2, "each PUBLISH gets its PUBREC");

        out.clear();
        inbound.pubrel(&response(3, ReasonCode::SUCCESS), &mut out);
        assert!(matches!(
            packets(&out)[..],
            [Packet::PubComp(PubResponse {
                packet_id: 3,
                reason: ReasonCode::SUCCESS,
                ..
            })]
        ));
        let after = inbound.publish(publish(QoS::ExactlyOnce, Some(3), "a", None), &mut out);
        assert!(
            matches!(after, Ok(Some(_))),
            "a released id starts a new message"
        );
    }

    #[test]
    fn unknown_pubrel_gets_not_found_in_v5() {
        let mut inbound = Inbound::new(ProtocolVersion::V5, 0);
        let mut out = Vec::new();
        inbound.pubrel(&response(9, ReasonCode::SUCCESS), &mut out);
        assert!(matches!(
            packets(&out)[..],
            [Packet::PubComp(PubResponse {
                reason: ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
                ..
            })]
        ));
    }

    #[test]
    fn topic_alias_is_set_then_resolved() {
        let mut inbound = Inbound::new(ProtocolVersion::V5, 4);
        let mut out = Vec::new();
        let set = inbound.publish(
            publish(QoS::AtMostOnce, None, "long/topic", Some(2)),
            &mut out,
        );
        let used = inbound.publish(publish(QoS::AtMostOnce, None, "", Some(2)), &mut out);
        assert!(matches!(set, Ok(Some(ref m)) if m.topic == "long/topic"));
        assert!(matches!(used, Ok(Some(ref m)) if m.topic == "long/topic"));
    }

    #[test]
    fn bad_topic_aliases_are_violations() {
        let mut inbound = Inbound::new(ProtocolVersion::V5, 4);
        let mut out = Vec::new();
        let unknown = inbound.publish(publish(QoS::AtMostOnce, None, "", Some(1)), &mut out);
        assert_eq!(
            unknown.map_err(|v| v.reason),
            Err(ReasonCode::PROTOCOL_ERROR)
        );
        let too_big = inbound.publish(publish(QoS::AtMostOnce, None, "t", Some(5)), &mut out);
        assert_eq!(
            too_big.map_err(|v| v.reason),
            Err(ReasonCode::TOPIC_ALIAS_INVALID)
        );
    }
}
