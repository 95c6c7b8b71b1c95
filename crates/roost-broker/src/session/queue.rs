//! A session's queue of messages waiting to be sent: bounded by count and bytes, as Mosquitto's
//! `max_queued_messages` / `max_queued_bytes`, with QoS 0 messages the first to go when it is full.

use std::collections::VecDeque;

use roost_proto::QoS;

use super::Delivery;

/// Why a delivery was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueDrop {
    /// The queue was full and nothing of lower value could make room.
    Full,
}

/// Limits of one queue; zero means unlimited, as in Mosquitto.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueueLimits {
    pub(crate) max_messages: usize,
    pub(crate) max_bytes: usize,
    /// Bytes of QoS 0 messages waiting for a connected client.
    pub(crate) online_qos0_bytes: usize,
}

/// FIFO of deliveries with running totals, so limit checks are O(1).
#[derive(Debug, Default)]
pub(crate) struct OutboundQueue {
    items: VecDeque<Delivery>,
    bytes: usize,
    qos0: usize,
    qos0_bytes: usize,
}

impl super::Empty for OutboundQueue {
    const EMPTY: &'static OutboundQueue = &OutboundQueue {
        items: VecDeque::new(),
        bytes: 0,
        qos0: 0,
        qos0_bytes: 0,
    };
}

impl OutboundQueue {
    /// Deliveries waiting.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether one more delivery of `size` bytes breaks a limit, and whether evicting QoS 0
    /// messages could make room for it.
    fn over_limit(
        &self,
        limits: QueueLimits,
        qos0: bool,
        online: bool,
        size: usize,
    ) -> Option<bool> {
        let bytes_over = limits.max_bytes > 0 && self.bytes + size > limits.max_bytes;
        if qos0 && online {
            // Mosquitto's limits count QoS 1/2 only for a connected client; its QoS 0 backlog has
            // a byte bound of its own.
            let backlog_over = self.qos0_bytes + size > limits.online_qos0_bytes;
            return (bytes_over || backlog_over).then_some(false);
        }
        let counted = if online {
            self.items.len() - self.qos0
        } else {
            self.items.len()
        };
        let count_over = limits.max_messages > 0 && counted >= limits.max_messages;
        (bytes_over || count_over).then_some(!qos0 && self.qos0 > 0 && (bytes_over || !online))
    }

    /// Appends `delivery`, making room by evicting the oldest QoS 0 message when a QoS 1/2 one
    /// arrives at a full queue. Returns how many old messages were evicted, or `Err` when the new
    /// one is dropped.
    pub(crate) fn push(
        &mut self,
        delivery: Delivery,
        limits: QueueLimits,
        online: bool,
    ) -> Result<usize, QueueDrop> {
        let size = delivery.msg.size();
        let qos0 = delivery.qos == QoS::AtMostOnce;
        let mut evicted = 0;
        while let Some(evicting_helps) = self.over_limit(limits, qos0, online, size) {
            if !evicting_helps {
                return Err(QueueDrop::Full);
            }
            self.evict_oldest_qos0();
            evicted += 1;
        }
        self.account(&delivery, true);
        self.items.push_back(delivery);
        Ok(evicted)
    }

    fn evict_oldest_qos0(&mut self) {
        if let Some(pos) = self.items.iter().position(|d| d.qos == QoS::AtMostOnce) {
            if let Some(old) = self.items.remove(pos) {
                self.account(&old, false);
            }
        }
    }

    fn account(&mut self, delivery: &Delivery, added: bool) {
        let size = delivery.msg.size();
        let qos0 = usize::from(delivery.qos == QoS::AtMostOnce);
        if added {
            self.bytes += size;
            self.qos0 += qos0;
            self.qos0_bytes += size * qos0;
        } else {
            self.bytes -= size;
            self.qos0 -= qos0;
            self.qos0_bytes -= size * qos0;
        }
    }

    /// Whether the QoS 1/2 part of the queue has reached a `1/divisor` share of a limit (count or
    /// bytes); false when the queue is unlimited.
    pub(crate) fn filled_past(&self, limits: QueueLimits, divisor: usize) -> bool {
        let counted = self.items.len() - self.qos0;
        let bytes = self.bytes - self.qos0_bytes;
        (limits.max_messages > 0 && counted * divisor >= limits.max_messages)
            || (limits.max_bytes > 0 && bytes * divisor >= limits.max_bytes)
    }

    /// The next delivery to send, if any.
    pub(crate) fn front(&self) -> Option<&Delivery> {
        self.items.front()
    }

    /// Takes the next delivery.
    pub(crate) fn pop(&mut self) -> Option<Delivery> {
        let d = self.items.pop_front()?;
        self.account(&d, false);
        Some(d)
    }

    /// Drops every QoS 0 message (a session going offline keeps only QoS 1/2 unless configured).
    pub(crate) fn drop_qos0(&mut self) -> usize {
        let before = self.items.len();
        self.items.retain(|d| d.qos != QoS::AtMostOnce);
        self.bytes = self.items.iter().map(|d| d.msg.size()).sum();
        self.qos0 = 0;
        self.qos0_bytes = 0;
        before - self.items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use std::sync::Arc;

    fn delivery(qos: QoS, payload: &'static [u8]) -> Delivery {
        Delivery::new(
            Arc::new(Message::internal("t", payload, qos, false)),
            qos,
            false,
        )
    }

    #[test]
    fn full_queue_refuses_new_qos0() {
        let mut q = OutboundQueue::default();
        let limits = QueueLimits {
            max_messages: 2,
            max_bytes: 0,
            online_qos0_bytes: 1 << 20,
        };
        assert!(q
            .push(delivery(QoS::AtLeastOnce, b"a"), limits, false)
            .is_ok());
        assert!(q
            .push(delivery(QoS::AtMostOnce, b"b"), limits, false)
            .is_ok());
        assert_eq!(
            q.push(delivery(QoS::AtMostOnce, b"c"), limits, false),
            Err(QueueDrop::Full)
        );
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn full_queue_evicts_qos0_first_for_qos1() {
        let mut q = OutboundQueue::default();
        let limits = QueueLimits {
            max_messages: 2,
            max_bytes: 0,
            online_qos0_bytes: 1 << 20,
        };
        q.push(delivery(QoS::AtMostOnce, b"a"), limits, false)
            .unwrap();
        q.push(delivery(QoS::AtLeastOnce, b"b"), limits, false)
            .unwrap();
        assert_eq!(
            q.push(delivery(QoS::AtLeastOnce, b"c"), limits, false),
            Ok(1)
        );
        let order: Vec<_> = std::iter::from_fn(|| q.pop())
            .map(|d| d.msg.payload.clone())
            .collect();
        assert_eq!(order, vec![&b"b"[..], &b"c"[..]]);
        assert_eq!(q.bytes(), 0);
    }

    #[test]
    fn full_queue_of_qos1_drops_the_new_message() {
        let mut q = OutboundQueue::default();
        let limits = QueueLimits {
            max_messages: 1,
            max_bytes: 0,
            online_qos0_bytes: 1 << 20,
        };
        q.push(delivery(QoS::AtLeastOnce, b"a"), limits, false)
            .unwrap();
        assert_eq!(
            q.push(delivery(QoS::ExactlyOnce, b"b"), limits, false),
            Err(QueueDrop::Full)
        );
    }

    #[test]
    fn online_qos0_has_its_own_byte_bound() {
        let mut q = OutboundQueue::default();
        let limits = QueueLimits {
            max_messages: 1,
            max_bytes: 0,
            online_qos0_bytes: 4,
        };
        q.push(delivery(QoS::AtLeastOnce, b"a"), limits, true)
            .unwrap();
        q.push(delivery(QoS::AtMostOnce, b"abc"), limits, true)
            .unwrap();
        assert_eq!(
            q.push(delivery(QoS::AtMostOnce, b"x"), limits, true),
            Err(QueueDrop::Full)
        );
        assert_eq!(
            q.push(delivery(QoS::AtLeastOnce, b"b"), limits, true),
            Err(QueueDrop::Full)
        );
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn byte_limit_counts_topic_and_payload() {
        let mut q = OutboundQueue::default();
        let limits = QueueLimits {
            max_messages: 0,
            max_bytes: 5,
            online_qos0_bytes: 1 << 20,
        };
        q.push(delivery(QoS::AtLeastOnce, b"abc"), limits, false)
            .unwrap();
        assert_eq!(q.bytes(), 4);
        assert_eq!(
            q.push(delivery(QoS::AtLeastOnce, b"xy"), limits, false),
            Err(QueueDrop::Full)
        );
        q.push(delivery(QoS::AtLeastOnce, b""), limits, false)
            .unwrap();
    }
}
