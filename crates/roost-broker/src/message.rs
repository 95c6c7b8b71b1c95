//! The application message as the broker holds it: decoded once, then shared by reference count
//! between every subscriber's queue, the retained store and the will machinery.
//!
//! Nothing here is copied per subscriber: the payload is a `Bytes` slice of the publisher's read
//! buffer and the whole message sits behind an `Arc`. What differs per subscriber (QoS, retain flag,
//! subscription identifiers, packet id, topic alias) lives in [`crate::session::Delivery`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use roost_proto::{Properties, QoS};

/// One application message.
#[derive(Debug)]
pub struct Message {
    /// Topic name.
    pub topic: Arc<str>,
    /// Payload, shared with the buffer it was read from.
    pub payload: Bytes,
    /// QoS the publisher used.
    pub qos: QoS,
    /// RETAIN flag as published.
    pub retain: bool,
    /// The publisher's properties to forward (topic alias, subscription identifiers and message
    /// expiry are removed: they are per-hop and recomputed per delivery).
    pub properties: Properties,
    /// When the message expires (from the Message Expiry Interval), if it does.
    pub expires_at: Option<Instant>,
    /// Client identifier of the publisher, for No Local; `None` for messages the broker makes.
    pub origin: Option<Arc<str>>,
    /// User name of the publisher, for `check_retain_source`.
    pub origin_username: Option<Arc<str>>,
}

impl Message {
    /// A message the broker itself publishes (`$SYS`, API), with no properties and no expiry.
    pub fn internal(topic: &str, payload: impl Into<Bytes>, qos: QoS, retain: bool) -> Message {
        Message {
            topic: Arc::from(topic),
            payload: payload.into(),
            qos,
            retain,
            properties: Properties::default(),
            expires_at: None,
            origin: None,
            origin_username: None,
        }
    }

    /// True when the message has expired at `now`.
    pub fn is_expired(&self, now: Instant) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Seconds left before expiry at `now`, for the forwarded Message Expiry Interval (rounded up,
    /// so a message still alive is never forwarded with 0).
    pub fn remaining_expiry(&self, now: Instant) -> Option<u32> {
        self.expires_at.map(|at| {
            let left = at.saturating_duration_since(now);
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            u32::try_from(secs.max(1)).unwrap_or(u32::MAX)
        })
    }

    /// Bytes this message accounts for in queue limits (topic and payload).
    pub fn size(&self) -> usize {
        self.topic.len() + self.payload.len()
    }

    /// The expiry instant for an interval in seconds counted from `now`.
    pub fn expiry_from(now: Instant, interval: Option<u32>) -> Option<Instant> {
        interval.map(|secs| now + Duration::from_secs(u64::from(secs)))
    }
}
