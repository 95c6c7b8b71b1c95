//! [`Outbound`]: the client's own requests — PUBLISH flows, SUBSCRIBE and UNSUBSCRIBE — from the
//! moment the task takes them until the broker acknowledges them.
//!
//! QoS 0 publishes go straight out. QoS 1 and 2 publishes take a packet identifier and a slot in
//! the in-flight window (the smaller of the broker's Receive Maximum and the client's own
//! `max_inflight` [MQTT-4.9.0-2]); beyond it they wait here, in order. The task stops taking
//! commands while too many wait, so this queue stays bounded.

use std::collections::{HashMap, VecDeque};

use roost_proto::{
    Packet, Properties, ProtocolVersion, PubResponse, Publish, QoS, ReasonCode, SubAck, Subscribe,
    SubscribeFilter, UnsubAck, Unsubscribe,
};

use crate::command::{answer, Reply};
use crate::error::ClientError;
use crate::packet_ids::PacketIds;

/// How a publish ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PubOutcome {
    /// The packet identifier it used; `None` for QoS 0.
    pub packet_id: Option<u16>,
    /// The broker's reason: from PUBACK (QoS 1), from PUBREC if that refused it or else PUBCOMP
    /// (QoS 2); `SUCCESS` for QoS 0 and before MQTT 5.
    pub reason: ReasonCode,
    /// Properties of the final acknowledgement (MQTT 5): reason string, user properties.
    pub properties: Properties,
}

impl PubOutcome {
    /// True unless the broker refused the message (a reason code of 0x80 or above).
    pub fn is_success(&self) -> bool {
        !self.reason.is_error()
    }
}

/// A packet to write, and who to tell once it is written (QoS 0 publishes).
pub(crate) struct Outgoing {
    pub(crate) packet: Packet,
    pub(crate) on_written: Option<Reply<PubOutcome>>,
}

impl From<Packet> for Outgoing {
    fn from(packet: Packet) -> Self {
        Outgoing {
            packet,
            on_written: None,
        }
    }
}

/// The acknowledgement an in-flight publish waits for.
#[allow(clippy::enum_variant_names)] // The variants are the packets' own names.
enum Awaiting {
    PubAck,
    PubRec,
    PubComp,
}

struct InFlight {
    stage: Awaiting,
    reply: Reply<PubOutcome>,
}

/// Sending side of one connection.
pub(crate) struct Outbound {
    version: ProtocolVersion,
    window: usize,
    ids: PacketIds,
    waiting: VecDeque<(Publish, Reply<PubOutcome>)>,
    publishes: HashMap<u16, InFlight>,
    subscribes: HashMap<u16, Reply<SubAck>>,
    unsubscribes: HashMap<u16, Reply<UnsubAck>>,
}

impl Outbound {
    /// `window` bounds the QoS 1/2 publishes in flight; it is at least 1.
    pub(crate) fn new(version: ProtocolVersion, window: u16) -> Self {
        Outbound {
            version,
            window: usize::from(window.max(1)),
            ids: PacketIds::new(),
            waiting: VecDeque::new(),
            publishes: HashMap::new(),
            subscribes: HashMap::new(),
            unsubscribes: HashMap::new(),
        }
    }

    /// Publishes waiting for a slot in the window.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// QoS 1/2 publishes sent and not yet acknowledged.
    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.publishes.len()
    }

    /// Starts a publish: QoS 0 goes out now, QoS 1/2 when the window allows.
    pub(crate) fn publish(
        &mut self,
        publish: Publish,
        reply: Reply<PubOutcome>,
        out: &mut Vec<Outgoing>,
    ) {
        if publish.qos == QoS::AtMostOnce {
            out.push(Outgoing {
                packet: Packet::Publish(publish),
                on_written: Some(reply),
            });
        } else {
            self.waiting.push_back((publish, reply));
            self.send_waiting(out);
        }
    }

    /// Moves waiting publishes into the window while it has room.
    fn send_waiting(&mut self, out: &mut Vec<Outgoing>) {
        while self.publishes.len() < self.window && !self.waiting.is_empty() {
            let Some(id) = self.ids.allocate() else {
                return;
            };
            let Some((mut publish, reply)) = self.waiting.pop_front() else {
                self.ids.release(id);
                return;
            };
            publish.packet_id = Some(id);
            let stage = if publish.qos == QoS::AtLeastOnce {
                Awaiting::PubAck
            } else {
                Awaiting::PubRec
            };
            self.publishes.insert(id, InFlight { stage, reply });
            out.push(Packet::Publish(publish).into());
        }
    }

    /// PUBACK: a QoS 1 publish is done.
    pub(crate) fn puback(&mut self, ack: PubResponse, out: &mut Vec<Outgoing>) {
        if matches!(self.stage_of(ack.packet_id), Some(Awaiting::PubAck)) {
            self.finish(ack, out);
        } else {
            tracing::warn!(
                packet_id = ack.packet_id,
                "PUBACK for no QoS 1 publish in flight"
            );
        }
    }

    /// PUBREC: a QoS 2 publish was received; release it, or end here if it was refused.
    pub(crate) fn pubrec(&mut self, rec: PubResponse, out: &mut Vec<Outgoing>) {
        let id = rec.packet_id;
        match self.publishes.get_mut(&id) {
            Some(flight) if matches!(flight.stage, Awaiting::PubRec) => {
                if rec.reason.is_error() {
                    self.finish(rec, out);
                } else {
                    flight.stage = Awaiting::PubComp;
                    out.push(Packet::PubRel(pub_response(id, ReasonCode::SUCCESS)).into());
                }
            }
            Some(flight) if matches!(flight.stage, Awaiting::PubComp) => {
                // A repeated PUBREC: the PUBREL may have crossed it; send it again.
                out.push(Packet::PubRel(pub_response(id, ReasonCode::SUCCESS)).into());
            }
            _ => {
                tracing::warn!(packet_id = id, "PUBREC for no QoS 2 publish in flight");
                if self.version.is_v5() {
                    let rel = pub_response(id, ReasonCode::PACKET_IDENTIFIER_NOT_FOUND);
                    out.push(Packet::PubRel(rel).into());
                }
            }
        }
    }

    /// PUBCOMP: a QoS 2 publish is done.
    pub(crate) fn pubcomp(&mut self, comp: PubResponse, out: &mut Vec<Outgoing>) {
        if matches!(self.stage_of(comp.packet_id), Some(Awaiting::PubComp)) {
            self.finish(comp, out);
        } else {
            tracing::warn!(
                packet_id = comp.packet_id,
                "PUBCOMP for no PUBREL in flight"
            );
        }
    }

    fn stage_of(&self, id: u16) -> Option<&Awaiting> {
        self.publishes.get(&id).map(|f| &f.stage)
    }

    fn finish(&mut self, ack: PubResponse, out: &mut Vec<Outgoing>) {
        if let Some(flight) = self.publishes.remove(&ack.packet_id) {
            self.ids.release(ack.packet_id);
            let outcome = PubOutcome {
                packet_id: Some(ack.packet_id),
                reason: ack.reason,
                properties: ack.properties,
            };
            answer(flight.reply, Ok(outcome));
        }
        self.send_waiting(out);
    }

    /// Sends SUBSCRIBE.
    pub(crate) fn subscribe(
        &mut self,
        filters: Vec<SubscribeFilter>,
        properties: Properties,
        reply: Reply<SubAck>,
        out: &mut Vec<Outgoing>,
    ) {
        let Some(packet_id) = self.ids.allocate() else {
            return answer(reply, Err(ClientError::NoPacketId));
        };
        self.subscribes.insert(packet_id, reply);
        out.push(
            Packet::Subscribe(Subscribe {
                packet_id,
                filters,
                properties,
            })
            .into(),
        );
    }

    /// Sends UNSUBSCRIBE.
    pub(crate) fn unsubscribe(
        &mut self,
        filters: Vec<String>,
        properties: Properties,
        reply: Reply<UnsubAck>,
        out: &mut Vec<Outgoing>,
    ) {
        let Some(packet_id) = self.ids.allocate() else {
            return answer(reply, Err(ClientError::NoPacketId));
        };
        self.unsubscribes.insert(packet_id, reply);
        out.push(
            Packet::Unsubscribe(Unsubscribe {
                packet_id,
                filters,
                properties,
            })
            .into(),
        );
    }

    /// SUBACK: answers its SUBSCRIBE.
    pub(crate) fn suback(&mut self, ack: SubAck, out: &mut Vec<Outgoing>) {
        match self.subscribes.remove(&ack.packet_id) {
            Some(reply) => {
                self.ids.release(ack.packet_id);
                answer(reply, Ok(ack));
                self.send_waiting(out);
            }
            None => tracing::warn!(packet_id = ack.packet_id, "SUBACK for no SUBSCRIBE"),
        }
    }

    /// UNSUBACK: answers its UNSUBSCRIBE.
    pub(crate) fn unsuback(&mut self, ack: UnsubAck, out: &mut Vec<Outgoing>) {
        match self.unsubscribes.remove(&ack.packet_id) {
            Some(reply) => {
                self.ids.release(ack.packet_id);
                answer(reply, Ok(ack));
                self.send_waiting(out);
            }
            None => tracing::warn!(packet_id = ack.packet_id, "UNSUBACK for no UNSUBSCRIBE"),
        }
    }

    /// Fails every request still waiting, as the connection is gone.
    pub(crate) fn fail_all(&mut self, reason: Option<ReasonCode>) {
        for (_, reply) in self.waiting.drain(..) {
            answer(reply, Err(ClientError::Disconnected(reason)));
        }
        for (_, flight) in self.publishes.drain() {
            answer(flight.reply, Err(ClientError::Disconnected(reason)));
        }
        for (_, reply) in self.subscribes.drain() {
            answer(reply, Err(ClientError::Disconnected(reason)));
        }
        for (_, reply) in self.unsubscribes.drain() {
            answer(reply, Err(ClientError::Disconnected(reason)));
        }
    }
}

fn pub_response(packet_id: u16, reason: ReasonCode) -> PubResponse {
    PubResponse {
        packet_id,
        reason,
        properties: Properties::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use tokio::sync::oneshot;

    fn publish(qos: QoS) -> Publish {
        Publish {
            dup: false,
            qos,
            retain: false,
            topic: "t".into(),
            packet_id: None,
            payload: Bytes::from_static(b"p"),
            properties: Properties::default(),
        }
    }

    fn ids(out: &[Outgoing]) -> Vec<u16> {
        out.iter()
            .filter_map(|o| match &o.packet {
                Packet::Publish(p) => p.packet_id,
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_window_bounds_publishes_in_flight() {
        let mut ob = Outbound::new(ProtocolVersion::V5, 2);
        let mut out = Vec::new();
        let mut replies = Vec::new();
        for _ in 0..3 {
            let (tx, rx) = oneshot::channel();
            ob.publish(publish(QoS::AtLeastOnce), tx, &mut out);
            replies.push(rx);
        }
        assert_eq!(ids(&out), [1, 2]);
        assert_eq!((ob.in_flight(), ob.waiting()), (2, 1));

        out.clear();
        ob.puback(pub_response(1, ReasonCode::SUCCESS), &mut out);
        assert_eq!(ids(&out), [3], "an acknowledgement frees a slot");
        let first = replies.remove(0).try_recv();
        assert!(matches!(
            first,
            Ok(Ok(PubOutcome {
                packet_id: Some(1),
                ..
            }))
        ));
    }

    #[test]
    fn qos2_runs_rec_rel_comp() {
        let mut ob = Outbound::new(ProtocolVersion::V5, 10);
        let mut out = Vec::new();
        let (tx, mut rx) = oneshot::channel();
        ob.publish(publish(QoS::ExactlyOnce), tx, &mut out);
        out.clear();
        ob.pubrec(pub_response(1, ReasonCode::SUCCESS), &mut out);
        assert!(matches!(
            out[..],
            [Outgoing {
                packet: Packet::PubRel(_),
                ..
            }]
        ));
        assert!(rx.try_recv().is_err(), "not done before PUBCOMP");
        ob.pubcomp(pub_response(1, ReasonCode::SUCCESS), &mut out);
        assert!(matches!(rx.try_recv(), Ok(Ok(o)) if o.is_success()));
        assert_eq!(ob.in_flight(), 0);
    }

    #[test]
    fn a_refusing_pubrec_ends_the_flow() {
        let mut ob = Outbound::new(ProtocolVersion::V5, 10);
        let mut out = Vec::new();
        let (tx, mut rx) = oneshot::channel();
        ob.publish(publish(QoS::ExactlyOnce), tx, &mut out);
        out.clear();
        ob.pubrec(pub_response(1, ReasonCode::NOT_AUTHORIZED), &mut out);
        assert!(out.is_empty(), "no PUBREL after a refusal");
        assert!(matches!(rx.try_recv(), Ok(Ok(o)) if o.reason == ReasonCode::NOT_AUTHORIZED));
    }

    #[test]
    fn a_puback_for_a_qos2_publish_is_ignored() {
        let mut ob = Outbound::new(ProtocolVersion::V5, 10);
        let mut out = Vec::new();
        let (tx, mut rx) = oneshot::channel();
        ob.publish(publish(QoS::ExactlyOnce), tx, &mut out);
        ob.puback(pub_response(1, ReasonCode::SUCCESS), &mut out);
        assert!(rx.try_recv().is_err());
        assert_eq!(ob.in_flight(), 1);
    }

    #[test]
    fn fail_all_answers_everyone() {
        let mut ob = Outbound::new(ProtocolVersion::V3_1_1, 1);
        let mut out = Vec::new();
        let (tx1, mut rx1) = oneshot::channel();
        let (tx2, mut rx2) = oneshot::channel();
        let (tx3, mut rx3) = oneshot::channel();
        ob.publish(publish(QoS::AtLeastOnce), tx1, &mut out);
        ob.publish(publish(QoS::AtLeastOnce), tx2, &mut out);
        ob.subscribe(Vec::new(), Properties::default(), tx3, &mut out);
        ob.fail_all(Some(ReasonCode::SERVER_SHUTTING_DOWN));
        for result in [
            rx1.try_recv().map(|r| r.err()),
            rx2.try_recv().map(|r| r.err()),
        ] {
            assert!(matches!(
                result,
                Ok(Some(ClientError::Disconnected(Some(
                    ReasonCode::SERVER_SHUTTING_DOWN
                ))))
            ));
        }
        assert!(matches!(
            rx3.try_recv(),
            Ok(Err(ClientError::Disconnected(_)))
        ));
    }
}
