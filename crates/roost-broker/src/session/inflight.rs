//! Outbound messages sent and not yet acknowledged, in send order, with their packet identifiers
//! and where each stands in its QoS 1 or QoS 2 handshake.
//!
//! The window's size is the smaller of the broker's `max_inflight_messages` and the client's
//! Receive Maximum; what does not fit waits in the queue. Lookups scan from the front: clients
//! acknowledge mostly in order, so the entry is nearly always the first.

use std::collections::VecDeque;

use super::Delivery;

/// What an outbound QoS 1/2 message waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// The variants are the packet names the spec uses; the shared prefix is theirs.
#[allow(clippy::enum_variant_names)]
pub(crate) enum Awaiting {
    /// QoS 1 PUBLISH sent, waiting for PUBACK.
    PubAck,
    /// QoS 2 PUBLISH sent, waiting for PUBREC.
    PubRec,
    /// PUBREL sent, waiting for PUBCOMP.
    PubComp,
}

#[derive(Debug)]
pub(crate) struct InflightEntry {
    pub(crate) packet_id: u16,
    pub(crate) stage: Awaiting,
    pub(crate) delivery: Delivery,
}

/// The in-flight window of one session.
#[derive(Debug)]
pub(crate) struct Inflight {
    entries: VecDeque<InflightEntry>,
    next_id: u16,
    /// Topic and payload bytes in flight, for `max_inflight_bytes`.
    bytes: usize,
}

impl Default for Inflight {
    fn default() -> Self {
        Inflight {
            entries: VecDeque::new(),
            next_id: 1,
            bytes: 0,
        }
    }
}

impl super::Empty for Inflight {
    const EMPTY: &'static Inflight = &Inflight {
        entries: VecDeque::new(),
        next_id: 1,
        bytes: 0,
    };
}

impl Inflight {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = &InflightEntry> {
        self.entries.iter()
    }

    /// A packet identifier not in use by any in-flight message (MQTT-2.2.1-3), or `None` when all
    /// 65,535 are taken.
    fn allocate_id(&mut self) -> Option<u16> {
        if self.entries.len() >= usize::from(u16::MAX) {
            return None;
        }
        loop {
            let id = self.next_id;
            self.next_id = if id == u16::MAX { 1 } else { id + 1 };
            if !self.entries.iter().any(|e| e.packet_id == id) {
                return Some(id);
            }
        }
    }

    /// Puts a QoS 1/2 delivery in flight and returns its packet identifier.
    pub(crate) fn insert(&mut self, delivery: Delivery) -> Result<u16, Delivery> {
        let Some(packet_id) = self.allocate_id() else {
            return Err(delivery);
        };
        let stage = match delivery.qos {
            roost_proto::QoS::ExactlyOnce => Awaiting::PubRec,
            _ => Awaiting::PubAck,
        };
        self.bytes += delivery.msg.size();
        self.entries.push_back(InflightEntry {
            packet_id,
            stage,
            delivery,
        });
        Ok(packet_id)
    }

    fn position(&self, packet_id: u16, stage: Awaiting) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.packet_id == packet_id && e.stage == stage)
    }

    /// Puts back a delivery that was in flight when the broker stopped, at `stage`.
    pub(crate) fn restore(&mut self, packet_id: u16, stage: Awaiting, delivery: Delivery) {
        self.bytes += delivery.msg.size();
        self.entries.push_back(InflightEntry {
            packet_id,
            stage,
            delivery,
        });
    }

    /// PUBACK: the QoS 1 message is done. Returns its store sequence number (0: not stored), or
    /// `None` when no such message was waiting.
    pub(crate) fn puback(&mut self, packet_id: u16) -> Option<u64> {
        self.position(packet_id, Awaiting::PubAck)
            .and_then(|i| self.remove(i))
    }

    /// PUBREC: the QoS 2 message moves to waiting for PUBCOMP; a failure reason ends it.
    /// Returns the message's sequence number when the identifier was known (a PUBREL is sent
    /// either way, as the spec asks).
    pub(crate) fn pubrec(&mut self, packet_id: u16, failed: bool) -> Option<u64> {
        match self.position(packet_id, Awaiting::PubRec) {
            Some(i) if failed => self.remove(i),
            Some(i) => {
                self.entries[i].stage = Awaiting::PubComp;
                Some(self.entries[i].delivery.seq)
            }
            None => self
                .position(packet_id, Awaiting::PubComp)
                .map(|i| self.entries[i].delivery.seq),
        }
    }

    /// PUBCOMP: the QoS 2 message is done; its sequence number, if it was waiting.
    pub(crate) fn pubcomp(&mut self, packet_id: u16) -> Option<u64> {
        self.position(packet_id, Awaiting::PubComp)
            .and_then(|i| self.remove(i))
    }

    fn remove(&mut self, index: usize) -> Option<u64> {
        let entry = self.entries.remove(index)?;
        self.bytes -= entry.delivery.msg.size();
        Some(entry.delivery.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use roost_proto::QoS;
    use std::sync::Arc;

    fn delivery(qos: QoS) -> Delivery {
        Delivery::new(
            Arc::new(Message::internal("t", "x", qos, false)),
            qos,
            false,
        )
    }

    #[test]
    fn qos1_handshake_frees_the_slot() {
        let mut w = Inflight::default();
        let id = w.insert(delivery(QoS::AtLeastOnce)).unwrap();
        assert_eq!(id, 1);
        assert!(w.pubcomp(id).is_none());
        assert!(w.puback(id).is_some());
        assert_eq!(w.len(), 0);
        assert!(
            w.puback(id).is_none(),
            "a second PUBACK for the same id finds nothing"
        );
    }

    #[test]
    fn qos2_handshake_goes_through_pubrec_then_pubcomp() {
        let mut w = Inflight::default();
        let id = w.insert(delivery(QoS::ExactlyOnce)).unwrap();
        assert!(w.puback(id).is_none());
        assert!(w.pubrec(id, false).is_some());
        assert!(
            w.pubrec(id, false).is_some(),
            "a repeated PUBREC is answered again"
        );
        assert_eq!(w.len(), 1);
        assert!(w.pubcomp(id).is_some());
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn packet_ids_skip_those_in_use() {
        // MQTT-2.2.1-3: a new message never reuses an identifier still in flight.
        let mut w = Inflight {
            entries: VecDeque::new(),
            next_id: u16::MAX,
            bytes: 0,
        };
        let a = w.insert(delivery(QoS::AtLeastOnce)).unwrap();
        assert_eq!(a, u16::MAX);
        let b = w.insert(delivery(QoS::AtLeastOnce)).unwrap();
        assert_eq!(b, 1, "identifiers wrap past 65535 to 1, never 0");
        w.next_id = 1;
        let c = w.insert(delivery(QoS::AtLeastOnce)).unwrap();
        assert_eq!(c, 2);
    }
}
