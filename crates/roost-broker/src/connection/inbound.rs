//! PUBLISH from the client and the acknowledgements of both QoS flows: topic aliases, limits,
//! QoS 2 duplicate suppression, routing, and PUBACK/PUBREC/PUBREL/PUBCOMP.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use roost_proto::{Packet, Properties, PubResponse, Publish, QoS, ReasonCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::debug;

/// Payloads up to this size are copied out of the read buffer (see `message`).
const COPY_BELOW: usize = 4096;
/// The longest a publisher is held back by one crowded subscriber: a client that stops reading
/// slows its publishers down for this long, then its queue limits apply (and count their drops).
const THROTTLE_MAX: std::time::Duration = std::time::Duration::from_millis(200);

use super::{protocol_error, Client, Connection, Ending};
use crate::message::Message;
use crate::metrics::Metrics;
use crate::store::{Durability, Op, Stage};

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    pub(super) fn on_publish(
        &mut self,
        client: &mut Client,
        mut publish: Publish,
    ) -> Result<(), Ending> {
        Metrics::add(&self.broker.metrics.messages_received, 1);
        Metrics::add(&client.info.received, 1);
        let metrics = &self.broker.metrics;
        Metrics::add(&metrics.publish_received_qos[publish.qos as usize], 1);
        Metrics::add(
            &metrics.publish_received_bytes_qos[publish.qos as usize],
            publish.payload.len() as u64,
        );
        if publish.qos > self.listener.max_qos {
            return Err(closing(ReasonCode::QOS_NOT_SUPPORTED, "QoS above max_qos"));
        }
        if publish.retain && !self.config.retain_available {
            return Err(closing(
                ReasonCode::RETAIN_NOT_SUPPORTED,
                "retain is not available",
            ));
        }
        if !publish.properties.subscription_identifiers.is_empty() {
            // MQTT-3.3.4-6: only the server puts subscription identifiers in a PUBLISH.
            return Err(protocol_error(
                "subscription identifier in a PUBLISH from a client",
            ));
        }
        let topic = self.resolve_topic(client, &mut publish)?;
        let packet_id = publish.packet_id.unwrap_or(0);
        if !self
            .security()
            .can_publish(client.info.username.as_deref(), client.id(), &topic)
        {
            // Denied by the ACL: dropped; MQTT 5 hears 0x87, 3.x an ordinary acknowledgement.
            debug!("Denied PUBLISH from {} to '{topic}'.", client.id());
            match publish.qos {
                QoS::AtMostOnce => {}
                QoS::AtLeastOnce => self.ack(Packet::PubAck, packet_id, ReasonCode::NOT_AUTHORIZED),
                QoS::ExactlyOnce => self.ack(Packet::PubRec, packet_id, ReasonCode::NOT_AUTHORIZED),
            }
            return Ok(());
        }
        let mut durability = Durability::default();
        // For a stored session, the inbound QoS 2 identifier: written in the same commit as the
        // message's deliveries, never without them.
        let mut mark = None;
        if publish.qos == QoS::ExactlyOnce {
            let mut state = client.session.lock();
            if state.inbound_qos2.contains(&packet_id) {
                // MQTT-4.3.3-10: a resent QoS 2 PUBLISH is acknowledged again, not delivered again.
                drop(state);
                self.ack(Packet::PubRec, packet_id, ReasonCode::SUCCESS);
                return Ok(());
            }
            if state.inbound_qos2.len() >= self.config.inflight_window() {
                return Err(closing(
                    ReasonCode::RECEIVE_MAXIMUM_EXCEEDED,
                    "receive maximum exceeded",
                ));
            }
            state.inbound_qos2.insert(packet_id);
            if state.stored {
                mark = Some(Op::AddInbound(client.id().clone(), packet_id));
            }
        }
        let qos = publish.qos;
        let limit = self.config.message_size_limit;
        let reason = if limit > 0 && publish.payload.len() > limit {
            Metrics::add(&self.broker.metrics.dropped_too_large, 1);
            ReasonCode::PACKET_TOO_LARGE
        } else {
            let message = self.message(client, topic, publish);
            let published = self.broker.publish_after(mark, &Arc::new(message));
            durability.join(published.durability);
            if qos != QoS::AtMostOnce && published.crowded.is_some() {
                self.throttle = published
                    .crowded
                    .map(|s| super::Throttle::new(s, THROTTLE_MAX));
            }
            match published.delivered {
                0 => ReasonCode::NO_MATCHING_SUBSCRIBERS,
                _ => ReasonCode::SUCCESS,
            }
        };
        if qos == QoS::AtMostOnce {
            return Ok(());
        }
        // The acknowledgement waits for the store; one the store refused is never sent as a
        // success (MQTT 5 hears 0x97, MQTT 3 has no code for it and is disconnected).
        let reason = if !durability.failed {
            self.hold_for(durability)?;
            reason
        } else if self.version.is_v5() {
            ReasonCode::QUOTA_EXCEEDED
        } else {
            return Err(self.store_failed());
        };
        let mut properties = Properties::default();
        if reason == ReasonCode::PACKET_TOO_LARGE && client.problem_info {
            properties.reason_string = Some(format!(
                "payload larger than message_size_limit ({limit} bytes)"
            ));
        }
        match qos {
            QoS::AtMostOnce => {}
            QoS::AtLeastOnce => self.ack_with(Packet::PubAck, packet_id, reason, properties),
            QoS::ExactlyOnce => {
                if reason.is_error() {
                    let mut state = client.session.lock();
                    if state.inbound_qos2.remove(&packet_id) && state.stored {
                        self.broker
                            .write_behind(|| Op::RemoveInbound(client.id().clone(), packet_id));
                    }
                }
                self.ack_with(Packet::PubRec, packet_id, reason, properties);
            }
        }
        Ok(())
    }

    fn ack(&mut self, kind: fn(PubResponse) -> Packet, packet_id: u16, reason: ReasonCode) {
        self.ack_with(kind, packet_id, reason, Properties::default());
    }

    /// Sends PUBACK/PUBREC/PUBREL/PUBCOMP; MQTT 3 has no reason on the wire, so the encoder drops it.
    fn ack_with(
        &mut self,
        kind: fn(PubResponse) -> Packet,
        packet_id: u16,
        reason: ReasonCode,
        properties: Properties,
    ) {
        self.send(&kind(PubResponse {
            packet_id,
            reason,
            properties,
        }));
    }

    /// The topic of a PUBLISH after topic aliases (MQTT 5): an alias with a topic sets it, an
    /// alias alone looks it up.
    fn resolve_topic(
        &mut self,
        client: &mut Client,
        publish: &mut Publish,
    ) -> Result<Arc<str>, Ending> {
        // Cleared through `values_mut`: a PUBLISH without properties has none to make.
        let Some(alias) = publish
            .properties
            .values_mut()
            .and_then(|values| values.topic_alias.take())
        else {
            return Ok(self.mounted_topic(&publish.topic));
        };
        if alias == 0 || alias > self.listener.max_topic_alias {
            return Err(closing(
                ReasonCode::TOPIC_ALIAS_INVALID,
                "topic alias out of range",
            ));
        }
        if publish.topic.is_empty() {
            client
                .aliases
                .as_ref()
                .and_then(|a| a.inbound.get(&alias))
                .cloned()
                .ok_or_else(|| protocol_error("topic alias used before it was set"))
        } else {
            let topic = self.mounted_topic(&publish.topic);
            let aliases = client.aliases.get_or_insert_with(Box::default);
            aliases.inbound.insert(alias, topic.clone());
            Ok(topic)
        }
    }

    fn mounted_topic(&self, topic: &str) -> Arc<str> {
        match self.listener.mount_point {
            Some(_) => Arc::from(self.mounted(topic)),
            None => Arc::from(topic),
        }
    }

    fn message(&self, client: &Client, topic: Arc<str>, publish: Publish) -> Message {
        let mut properties = publish.properties;
        let mut expiry = None;
        if let Some(values) = properties.values_mut() {
            expiry = values.message_expiry_interval.take();
            values.subscription_identifiers.clear();
        }
        // A small payload is copied once, here: as a slice it would keep the whole read buffer it
        // came in alive for as long as any subscriber's queue holds it. Large ones stay shared.
        let payload = if publish.payload.len() <= COPY_BELOW {
            Bytes::copy_from_slice(&publish.payload)
        } else {
            publish.payload
        };
        Message {
            topic,
            payload,
            qos: publish.qos,
            retain: publish.retain,
            properties,
            expires_at: Message::expiry_from(Instant::now(), expiry),
            origin: Some(client.id().clone()),
            origin_username: client.info.username.clone(),
        }
    }

    pub(super) fn on_pubrec(
        &mut self,
        client: &mut Client,
        rec: &PubResponse,
    ) -> Result<(), Ending> {
        let failed = rec.reason.is_error();
        let seq = client.session.lock().inflight.pubrec(rec.packet_id, failed);
        let client_id = client.id();
        match seq {
            Some(0) | None => {}
            Some(seq) if failed => self.broker.write_behind(|| Op::DeleteDelivery {
                client: client_id.clone(),
                seq,
            }),
            Some(seq) => {
                // PUBREL only once the store knows the message was received: after a restart
                // it resends PUBREL, never the PUBLISH the client already has.
                let durability = self.broker.write(|| Op::PutInflight {
                    client: client_id.clone(),
                    seq,
                    packet_id: rec.packet_id,
                    stage: Stage::Released,
                });
                self.hold_for(durability)?;
            }
        }
        if !failed {
            let reason = if seq.is_some() {
                ReasonCode::SUCCESS
            } else {
                ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
            };
            self.ack(Packet::PubRel, rec.packet_id, reason);
        }
        Ok(())
    }

    pub(super) fn on_pubrel(
        &mut self,
        client: &mut Client,
        rel: &PubResponse,
    ) -> Result<(), Ending> {
        let mut state = client.session.lock();
        let known = state.inbound_qos2.remove(&rel.packet_id);
        // PUBCOMP only once the store forgot the identifier: the client may reuse it next.
        let durability = match known && state.stored {
            true => self
                .broker
                .write(|| Op::RemoveInbound(client.id().clone(), rel.packet_id)),
            false => Durability::default(),
        };
        drop(state);
        self.hold_for(durability)?;
        let reason = if known {
            ReasonCode::SUCCESS
        } else {
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
        };
        self.ack(Packet::PubComp, rel.packet_id, reason);
        Ok(())
    }
}

fn closing(reason: ReasonCode, why: &str) -> Ending {
    Ending::Closing {
        reason,
        why: why.to_string(),
    }
}
