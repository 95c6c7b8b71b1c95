//! Sessions: the state MQTT keeps for a client identifier across connections — its subscriptions,
//! its queue of messages waiting to be sent, its in-flight window and its inbound QoS 2 state.
//!
//! A session is shared (`Arc<Session>`): publishers on any connection push deliveries into it and
//! wake the one connection attached to it, which drains the queue into its socket. The state sits
//! behind a `std` mutex held only for short, non-async critical sections (a push, a drain of at
//! most one write buffer); nothing awaits while holding it.

mod inflight;
mod queue;

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use roost_proto::{ProtocolVersion, QoS};

use crate::message::Message;
use crate::metrics::Metrics;
use crate::store::{Durability, Journal, Op, SessionRecord, StoredDelivery, StoredSubscription};

pub(crate) use inflight::{Awaiting, Inflight};
pub(crate) use queue::{OutboundQueue, QueueLimits};

/// One message on its way to one session, with what differs per subscriber.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) msg: Arc<Message>,
    /// QoS granted for this subscriber (the smaller of message and subscription QoS).
    pub(crate) qos: QoS,
    /// RETAIN flag as this subscriber sees it.
    pub(crate) retain: bool,
    /// Subscription identifiers of the matching subscriptions (MQTT 5).
    pub(crate) sub_ids: Vec<u32>,
    /// Its sequence number in the store; 0 when it is not stored (QoS 0, a session that ends
    /// with its connection, or no store).
    pub(crate) seq: u64,
}

impl Delivery {
    pub(crate) fn new(msg: Arc<Message>, qos: QoS, retain: bool) -> Delivery {
        Delivery {
            msg,
            qos,
            retain,
            sub_ids: Vec::new(),
            seq: 0,
        }
    }

    /// The delivery as the store keeps it.
    pub(crate) fn stored(&self) -> StoredDelivery {
        StoredDelivery {
            msg: self.msg.clone(),
            qos: self.qos,
            retain: self.retain,
            sub_ids: self.sub_ids.clone(),
        }
    }
}

/// What one subscription asked for; stored in the topic tree and in the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SubscriptionData {
    pub(crate) qos: QoS,
    pub(crate) no_local: bool,
    pub(crate) retain_as_published: bool,
    pub(crate) sub_id: Option<u32>,
    /// Retain Handling as subscribed (0, 1 or 2), kept for the HTTP API.
    pub(crate) retain_handling: u8,
}

/// The connection currently attached to a session.
#[derive(Debug)]
pub(crate) struct Attachment {
    pub(crate) conn_id: u64,
    /// The connection's facts, and its link for the broker's news (wake-ups, takeover).
    pub(crate) conn: Arc<ConnectionInfo>,
}

/// Facts about one connection, set at CONNECT, for the HTTP API's client list, and the link
/// through which the broker wakes it.
#[derive(Debug)]
pub(crate) struct ConnectionInfo {
    pub(crate) link: crate::links::Link,
    /// The user name it connected with (or its certificate's).
    pub(crate) username: Option<Arc<str>>,
    pub(crate) peer: SocketAddr,
    pub(crate) protocol: ProtocolVersion,
    /// Keep-alive in force, in seconds (0: none).
    pub(crate) keep_alive: u16,
    pub(crate) clean_start: bool,
    pub(crate) connected_at: SystemTime,
    /// PUBLISH packets received from and sent to this connection (the client's own share of
    /// the broker-wide counters, which are counted separately in `Metrics`).
    pub(crate) received: AtomicU64,
    pub(crate) sent: AtomicU64,
}

/// Who the session's client is, for the ACL checks made when messages are delivered to it, also
/// while it is offline.
#[derive(Debug, Clone, Default)]
pub(crate) struct Identity {
    pub(crate) username: Option<Arc<str>>,
    /// Position of the listener it connected through, for per-listener security.
    pub(crate) listener: usize,
}

/// A value made on its first change: until then it reads as empty and costs one pointer. Most
/// sessions never queue a message, and the queue and the in-flight window are 104 bytes.
#[derive(Debug, Default)]
pub(crate) struct Lazy<T: 'static>(Option<Box<T>>);

/// A type with an empty value to read while a [`Lazy`] holds none.
pub(crate) trait Empty: Default + 'static {
    const EMPTY: &'static Self;
}

impl<T: Empty> std::ops::Deref for Lazy<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_deref().unwrap_or(T::EMPTY)
    }
}

impl<T: Empty> std::ops::DerefMut for Lazy<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }
}

impl<T> Lazy<T> {
    /// Drops the value: it reads as empty again.
    pub(crate) fn reset(&mut self) {
        self.0 = None;
    }
}

/// Session expiry interval meaning "never expires" (MQTT 5: 0xFFFFFFFF; MQTT 3 persistent).
pub(crate) const NEVER_EXPIRES: u32 = u32::MAX;

/// The mutable part of a session.
#[derive(Debug, Default)]
pub(crate) struct SessionState {
    pub(crate) attached: Option<Attachment>,
    pub(crate) queue: Lazy<OutboundQueue>,
    pub(crate) inflight: Lazy<Inflight>,
    /// Filter (as subscribed, `$share/...` included) → options; mirrors the topic tree. (B-trees
    /// here: empty, they are half the size of hash tables, and every session has both.)
    pub(crate) subscriptions: BTreeMap<String, SubscriptionData>,
    /// Inbound QoS 2 packet identifiers answered with PUBREC and awaiting PUBREL.
    pub(crate) inbound_qos2: BTreeSet<u16>,
    /// Seconds the session outlives its connection.
    pub(crate) expiry_interval: u32,
    /// Counts attachments, so a delayed expiry or will can tell if the client came back.
    pub(crate) generation: u64,
    pub(crate) disconnected_at: Option<Instant>,
    pub(crate) identity: Identity,
    /// The last connection attached, kept after it ends, for the HTTP API; shared with the
    /// connection task, which counts its messages there.
    pub(crate) connection: Option<Arc<ConnectionInfo>>,
    /// Whether the last delivery was dropped for a full queue (for the log line).
    pub(crate) dropping: bool,
    /// Whether the store holds this session (it outlives its connection and there is a store):
    /// its QoS 1/2 deliveries and changes are written.
    pub(crate) stored: bool,
    /// The will to publish for it, kept here only while the session is stored, so that a delayed
    /// will survives a restart.
    pub(crate) will: Option<Box<roost_proto::Will>>,
}

impl SessionState {
    /// True when the session was left longer than its expiry interval before `now`.
    pub(crate) fn is_expired(&self, now: Instant) -> bool {
        match self.disconnected_at {
            Some(at) if self.attached.is_none() && self.expiry_interval != NEVER_EXPIRES => {
                now.saturating_duration_since(at).as_secs() >= u64::from(self.expiry_interval)
            }
            _ => false,
        }
    }

    /// True when `conn_id` is the connection attached now.
    pub(crate) fn is_attached_to(&self, conn_id: u64) -> bool {
        self.attached.as_ref().is_some_and(|a| a.conn_id == conn_id)
    }

    /// The session's own record for the store.
    pub(crate) fn record(&self) -> SessionRecord {
        let disconnected_at = match (&self.attached, self.disconnected_at) {
            (None, Some(at)) => SystemTime::now().checked_sub(at.elapsed()),
            (None, None) => Some(SystemTime::now()),
            (Some(_), _) => None,
        };
        // In filter order, as the map keeps them.
        let subscriptions: Vec<StoredSubscription> = self
            .subscriptions
            .iter()
            .map(|(filter, d)| StoredSubscription {
                filter: filter.clone(),
                qos: d.qos,
                no_local: d.no_local,
                retain_as_published: d.retain_as_published,
                sub_id: d.sub_id,
                retain_handling: d.retain_handling,
            })
            .collect();
        SessionRecord {
            expiry_interval: self.expiry_interval,
            disconnected_at,
            username: self.identity.username.clone(),
            listener: self.identity.listener,
            subscriptions,
            will: self.will.clone(),
        }
    }
}

/// A connected session whose QoS 1/2 queue is past this share (1/2) of its limit holds back the
/// publishers that fill it, rather than dropping their acknowledged messages; they go on once
/// it is down to a quarter.
const CROWDED: usize = 2;
const ROOMY: usize = 4;

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Enqueued {
    /// The session's client may not receive it (ACL).
    Denied,
    /// Queued (or dropped under the limits, and counted).
    Queued,
    /// Queued, and the connected session's queue is filling: the publisher should wait.
    Crowded,
}

/// Where a delivery goes: the limits, the counters, and the store if there is one.
#[derive(Clone, Copy)]
pub(crate) struct Enqueue<'a> {
    pub(crate) policy: EnqueuePolicy,
    pub(crate) metrics: &'a Metrics,
    pub(crate) journal: Option<Journal<'a>>,
}

/// Limits that decide what a session queues.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EnqueuePolicy {
    pub(crate) limits: QueueLimits,
    /// Queue QoS 0 messages for offline sessions (`queue_qos0_messages`).
    pub(crate) queue_qos0_offline: bool,
}

/// A client's session.
#[derive(Debug)]
pub struct Session {
    pub(crate) client_id: Arc<str>,
    /// When the session began, for the HTTP API.
    pub(crate) created_at: SystemTime,
    state: Mutex<SessionState>,
}

impl Session {
    pub(crate) fn new(client_id: Arc<str>, expiry_interval: u32) -> Session {
        let state = SessionState {
            expiry_interval,
            ..SessionState::default()
        };
        Session {
            client_id,
            created_at: SystemTime::now(),
            state: Mutex::new(state),
        }
    }

    /// The client identifier.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Locks the state. A poisoned lock (a panic elsewhere while holding it) still yields the
    /// state: every critical section leaves it consistent between statements that can panic.
    pub(crate) fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues one delivery if `allowed` says the session's client may receive it (the ACL). A QoS 1/2 delivery to a stored session is written to the
    /// store (while the lock is held, so the store sees the session's changes in order), and
    /// `durability` learns what to wait for.
    pub(crate) fn enqueue_if(
        &self,
        mut delivery: Delivery,
        target: Enqueue<'_>,
        durability: &mut Durability,
        allowed: impl FnOnce(&Identity) -> bool,
    ) -> Enqueued {
        let Enqueue {
            policy,
            metrics,
            journal,
        } = target;
        let mut state = self.lock();
        if !allowed(&state.identity) {
            return Enqueued::Denied;
        }
        let online = state.attached.is_some();
        if !online && delivery.qos == QoS::AtMostOnce && !policy.queue_qos0_offline {
            Metrics::add(&metrics.dropped_offline_qos0, 1);
            return Enqueued::Queued;
        }
        let reliable = delivery.qos != QoS::AtMostOnce;
        let journal = journal.filter(|_| state.stored && delivery.qos != QoS::AtMostOnce);
        let op = journal.map(|j| {
            delivery.seq = j.next_seq();
            Op::PutDelivery {
                client: self.client_id.clone(),
                seq: delivery.seq,
                delivery: delivery.stored(),
            }
        });
        let dropped = match state.queue.push(delivery, policy.limits, online) {
            Ok(evicted) => {
                if let (Some(j), Some(op)) = (journal, op) {
                    durability.write(j.store, op);
                }
                evicted as u64
            }
            Err(_) => 1,
        };
        Metrics::add(&metrics.dropped_queue_full, dropped);
        // One log line when a client starts losing messages, as Mosquitto writes it; the next
        // message that fits without a drop re-arms it.
        if dropped > 0 && !state.dropping {
            tracing::info!(
                "Outgoing messages are being dropped for client {}.",
                self.client_id
            );
        }
        state.dropping = dropped > 0;
        let crowded = online && reliable && state.queue.filled_past(policy.limits, CROWDED);
        if let Some(attached) = &state.attached {
            attached.conn.link.tell(crate::links::WOKEN);
        }
        drop(state);
        match crowded {
            true => Enqueued::Crowded,
            false => Enqueued::Queued,
        }
    }

    /// Whether a publisher held back by this session's queue may go on: the queue has drained
    /// to a quarter of its limit, or nobody is draining it.
    pub(crate) fn has_room(&self, limits: QueueLimits) -> bool {
        let state = self.lock();
        state.attached.is_none() || !state.queue.filled_past(limits, ROOMY)
    }
}

/// A session as a key of the topic tree: equal when it is the same session object.
#[derive(Debug, Clone)]
pub(crate) struct SessionRef(pub(crate) Arc<Session>);

impl PartialEq for SessionRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SessionRef {}

impl Hash for SessionRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.0), state);
    }
}
