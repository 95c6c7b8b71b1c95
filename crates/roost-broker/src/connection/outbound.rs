//! Moving a session's queued deliveries into the write buffer: the in-flight window, the client's
//! Receive Maximum and Maximum Packet Size, message expiry, and topic aliases towards the client.

use std::time::Instant;

use roost_proto::{
    encode_publish, publish_len, Packet, Properties, PubResponse, PublishRef, QoS, ReasonCode,
};
use tokio::io::{AsyncRead, AsyncWrite};

use super::{Client, Connection, Ending, WRITE_HIGH_WATER};
use crate::metrics::Metrics;
use crate::session::{Awaiting, Delivery};
use crate::store::{Durability, Op, Stage};

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Encodes queued deliveries while the window and the write buffer allow.
    pub(super) fn fill_from_session(&mut self, client: &mut Client) -> Result<(), Ending> {
        if self.pending.len() >= WRITE_HIGH_WATER {
            return Ok(());
        }
        let max_bytes = self.config.max_inflight_bytes;
        let window = self
            .broker
            .config()
            .inflight_window()
            .min(usize::from(client.client_receive_max));
        let now = Instant::now();
        let session = client.session.clone();
        let mut state = session.lock();
        if !state.is_attached_to(self.conn_id) {
            return Ok(());
        }
        let mut sent = [0u64; 3];
        let mut held = Durability::default();
        let mut sent_bytes = [0u64; 3];
        while self.pending.len() < WRITE_HIGH_WATER {
            let Some(front) = state.queue.front() else {
                break;
            };
            // max_inflight_bytes bounds the window too, but one message may always go.
            let over_bytes = max_bytes > 0
                && state.inflight.len() > 0
                && state.inflight.bytes() + front.msg.size() > max_bytes;
            if front.qos != QoS::AtMostOnce && (state.inflight.len() >= window || over_bytes) {
                break;
            }
            let Some(delivery) = state.queue.pop() else {
                break;
            };
            let discard = if delivery.msg.is_expired(now) {
                Some(&self.broker.metrics.dropped_expired)
            } else if self.publish_size(&delivery, now) > client.client_max_packet as usize {
                // MQTT-3.1.2-25: a message too large for the client is discarded.
                Some(&self.broker.metrics.dropped_too_large)
            } else {
                None
            };
            if let Some(counter) = discard {
                Metrics::add(counter, 1);
                if delivery.seq != 0 {
                    self.broker.write_behind(|| Op::DeleteDelivery {
                        client: client.id().clone(),
                        seq: delivery.seq,
                    });
                }
                continue;
            }
            let packet_id = match delivery.qos {
                QoS::AtMostOnce => None,
                _ => match state.inflight.insert(delivery.clone()) {
                    Ok(id) => Some(id),
                    Err(_) => break,
                },
            };
            if let (Some(packet_id), true) = (packet_id, delivery.seq != 0) {
                let op = || Op::PutInflight {
                    client: client.id().clone(),
                    seq: delivery.seq,
                    packet_id,
                    stage: Stage::Published,
                };
                if delivery.qos == QoS::ExactlyOnce {
                    // Exactly once: after a restart this message must be resent under the same
                    // identifier (the client may hold it), so it leaves only once that is stored.
                    held.join(self.broker.write(op));
                } else {
                    // At least once: a PUBLISH resent without DUP after a crash is allowed.
                    self.broker.write_behind(op);
                }
            }
            self.encode_delivery(client, &delivery, packet_id, false, now);
            sent[delivery.qos as usize] += 1;
            sent_bytes[delivery.qos as usize] += delivery.msg.payload.len() as u64;
        }
        drop(state);
        if held.failed {
            return Err(self.store_failed());
        }
        self.hold_until(held.commit);
        let total = sent.iter().sum();
        if total > 0 {
            let metrics = &self.broker.metrics;
            Metrics::add(&metrics.messages_sent, total);
            Metrics::add(&metrics.packets_sent, total);
            Metrics::add(&client.info.sent, total);
            for (counter, n) in metrics.publish_sent_qos.iter().zip(sent) {
                Metrics::add(counter, n);
            }
            for (counter, n) in metrics.publish_sent_bytes_qos.iter().zip(sent_bytes) {
                Metrics::add(counter, n);
            }
        }
        Ok(())
    }

    fn publish_size(&self, delivery: &Delivery, now: Instant) -> usize {
        let msg = &delivery.msg;
        let publish = PublishRef {
            dup: false,
            qos: delivery.qos,
            retain: delivery.retain,
            topic: self.unmounted(&msg.topic),
            packet_id: (delivery.qos != QoS::AtMostOnce).then_some(1),
            payload: &msg.payload,
            properties: &msg.properties,
            message_expiry_interval: msg.remaining_expiry(now),
            topic_alias: None,
            subscription_identifiers: &delivery.sub_ids,
        };
        publish_len(&publish, self.version)
    }

    /// Encodes one PUBLISH, using (or creating) a topic alias when the client accepts them.
    fn encode_delivery(
        &mut self,
        client: &mut Client,
        d: &Delivery,
        packet_id: Option<u16>,
        dup: bool,
        now: Instant,
    ) {
        let msg = &d.msg;
        let outbound = match client.client_alias_max {
            0 => None,
            _ => Some(&mut client.aliases.get_or_insert_with(Box::default).outbound),
        };
        let (topic, topic_alias) = match outbound {
            None => (self.unmounted(&msg.topic), None),
            Some(aliases) => match aliases.get(&msg.topic) {
                Some(alias) => ("", Some(*alias)),
                None if aliases.len() < usize::from(client.client_alias_max) => {
                    let alias = aliases.len() as u16 + 1;
                    aliases.insert(msg.topic.clone(), alias);
                    (self.unmounted(&msg.topic), Some(alias))
                }
                None => (self.unmounted(&msg.topic), None),
            },
        };
        let publish = PublishRef {
            dup,
            qos: d.qos,
            retain: d.retain,
            topic,
            packet_id,
            payload: &msg.payload,
            properties: &msg.properties,
            message_expiry_interval: msg.remaining_expiry(now),
            topic_alias,
            subscription_identifiers: &d.sub_ids,
        };
        encode_publish(&publish, self.version, &mut self.pending);
    }

    /// A topic as this listener's clients see it: without the mount point.
    fn unmounted<'t>(&self, topic: &'t str) -> &'t str {
        match &self.listener.mount_point {
            Some(mount) => topic.strip_prefix(mount.as_str()).unwrap_or(topic),
            None => topic,
        }
    }

    /// After a session resumes: every unacknowledged PUBLISH again with DUP set, and PUBREL for
    /// those past PUBREC (MQTT-4.4.0-1).
    pub(super) fn resend_inflight(&mut self, client: &mut Client) {
        let now = Instant::now();
        let session = client.session.clone();
        let state = session.lock();
        for entry in state.inflight.entries() {
            match entry.stage {
                Awaiting::PubComp => {
                    let rel = PubResponse {
                        packet_id: entry.packet_id,
                        reason: ReasonCode::SUCCESS,
                        properties: Properties::default(),
                    };
                    self.send(&Packet::PubRel(rel));
                }
                Awaiting::PubAck | Awaiting::PubRec => {
                    self.encode_delivery(client, &entry.delivery, Some(entry.packet_id), true, now);
                }
            }
        }
    }
}
