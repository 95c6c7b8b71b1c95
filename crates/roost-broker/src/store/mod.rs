//! The storage interface: what the broker writes so that a restart, a crash or a power cut after
//! fsync loses nothing it acknowledged, and what it reads back at start.
//!
//! The core knows no storage engine. It hands [`Op`]s to a [`Store`] in the order it made the
//! changes in memory (each op is submitted while the lock that guards the change is held, so two
//! changes to one session or one retained topic reach the store in the order they happened) and
//! gets back the number of the commit that will hold the op. A connection holds back every
//! acknowledgement that depends on an op until [`Progress::finished`] reaches that number; an
//! engine batches the ops of many connections into one commit (group commit), so durability costs
//! latency, not throughput. QoS 0 messages and sessions that end with their connection never reach
//! the store.
//!
//! What is stored, per client identifier: the session (expiry, identity, subscriptions, will), its
//! queued and in-flight QoS 1/2 deliveries keyed by a broker-wide sequence number (so their order
//! is the key order), the packet identifier and stage of those in flight, and the inbound QoS 2
//! packet identifiers awaiting PUBREL. Besides: retained messages by topic.

mod coalesce;

pub use coalesce::coalesce;

use std::fmt::Debug;
use std::sync::Arc;
use std::time::SystemTime;

use roost_proto::{QoS, Will};
use tokio::sync::watch;

use crate::message::Message;

/// A message on its way to one session, as stored.
#[derive(Debug, Clone)]
pub struct StoredDelivery {
    /// The message (shared with every other session's queue in memory).
    pub msg: Arc<Message>,
    /// QoS granted to this session.
    pub qos: QoS,
    /// RETAIN flag as this session sees it.
    pub retain: bool,
    /// Subscription identifiers of the matching subscriptions.
    pub sub_ids: Vec<u32>,
}

/// Where an in-flight outbound message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// PUBLISH sent; waiting for PUBACK (QoS 1) or PUBREC (QoS 2).
    Published,
    /// PUBREL sent; waiting for PUBCOMP (QoS 2).
    Released,
}

/// One subscription of a session, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubscription {
    /// The filter as subscribed (`$share/...` included).
    pub filter: String,
    /// Maximum QoS granted.
    pub qos: QoS,
    /// No Local (MQTT 5).
    pub no_local: bool,
    /// Retain As Published (MQTT 5).
    pub retain_as_published: bool,
    /// Subscription identifier (MQTT 5).
    pub sub_id: Option<u32>,
    /// Retain Handling (0, 1 or 2).
    pub retain_handling: u8,
}

/// A session's own record: everything but its messages.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// Session expiry interval in seconds (`u32::MAX`: never).
    pub expiry_interval: u32,
    /// When its last connection ended; `None` while one is attached.
    pub disconnected_at: Option<SystemTime>,
    /// User name of its client, for the ACL checks of messages delivered to it.
    pub username: Option<Arc<str>>,
    /// Position in the configuration of the listener its client came through.
    pub listener: usize,
    /// Its subscriptions.
    pub subscriptions: Vec<StoredSubscription>,
    /// The will still to be published for it, if any (a delayed will outlives the connection).
    /// Boxed: most sessions have none, and its properties would triple every op's size.
    pub will: Option<Box<Will>>,
}

/// One change to write.
#[derive(Debug, Clone)]
pub enum Op {
    /// Creates or replaces a session's record.
    PutSession(Arc<str>, SessionRecord),
    /// Removes a session with its deliveries, in-flight states and inbound identifiers.
    DeleteSession(Arc<str>),
    /// Adds a delivery to a session's queue under sequence number `seq`.
    PutDelivery {
        /// Client identifier.
        client: Arc<str>,
        /// Broker-wide sequence number: the queue's order.
        seq: u64,
        /// What to deliver.
        delivery: StoredDelivery,
    },
    /// Records that delivery `seq` is in flight with `packet_id` at `stage`.
    PutInflight {
        /// Client identifier.
        client: Arc<str>,
        /// The delivery's sequence number.
        seq: u64,
        /// Packet identifier it was sent with.
        packet_id: u16,
        /// Stage of its handshake.
        stage: Stage,
    },
    /// Removes delivery `seq` (acknowledged, expired or discarded) and its in-flight state.
    DeleteDelivery {
        /// Client identifier.
        client: Arc<str>,
        /// The delivery's sequence number.
        seq: u64,
    },
    /// Records an inbound QoS 2 packet identifier answered with PUBREC.
    AddInbound(Arc<str>, u16),
    /// Removes an inbound QoS 2 packet identifier (PUBREL came).
    RemoveInbound(Arc<str>, u16),
    /// Sets the retained message of its topic, stored at the given time.
    PutRetained(Arc<Message>, SystemTime),
    /// Clears the retained message of a topic.
    DeleteRetained(Arc<str>),
}

/// How far the store has come: read by connections holding acknowledgements back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Every commit up to this number has ended (written, or failed).
    pub finished: u64,
    /// How many commits have failed since start.
    pub failures: u64,
    /// The number of the newest commit that failed (0: none). A connection that waited for
    /// commits from `first` on must not acknowledge them if this is `first` or later: one of
    /// its ops may not have been written.
    pub last_failed: u64,
}

impl Progress {
    /// Whether the commits `first..=last` have all ended, and whether one may have failed.
    pub fn outcome(&self, first: u64, last: u64) -> Option<Result<(), Unavailable>> {
        (self.finished >= last).then_some(match self.last_failed >= first {
            true => Err(Unavailable),
            false => Ok(()),
        })
    }
}

/// The store cannot take writes now (its last commit failed: disk full, I/O error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the message store cannot write now")]
pub struct Unavailable;

/// A crash-safe store for the broker's durable state.
pub trait Store: Send + Sync + Debug + 'static {
    /// Queues `op` behind every op submitted before it and returns the number of the commit that
    /// will hold it; [`Unavailable`] while the store is failing.
    fn submit(&self, op: Op) -> Result<u64, Unavailable>;

    /// Runs `f` so that every op it submits lands in one commit: a crash keeps all of them or
    /// none. The broker uses it where two facts must not be split (an inbound QoS 2 identifier
    /// and the deliveries of its message: the identifier alone would make the client's resent
    /// PUBLISH look like a duplicate of a message the store does not have).
    fn together(&self, f: &mut dyn FnMut());

    /// Progress of the commits, updated after each one.
    fn progress(&self) -> watch::Receiver<Progress>;

    /// Bytes the store takes on disk now.
    fn size(&self) -> u64;

    /// Commits what is queued and stops; ops submitted after this are not written.
    fn close(&self);
}

/// A delivery read back at start, with its in-flight state if it had been sent.
#[derive(Debug, Clone)]
pub struct RestoredDelivery {
    /// Its sequence number.
    pub seq: u64,
    /// What to deliver.
    pub delivery: StoredDelivery,
    /// Packet identifier and stage, if it was in flight.
    pub inflight: Option<(u16, Stage)>,
}

/// A session read back at start.
#[derive(Debug, Clone)]
pub struct RestoredSession {
    /// Client identifier.
    pub client_id: Arc<str>,
    /// Its record.
    pub record: SessionRecord,
    /// Its deliveries in sequence order.
    pub deliveries: Vec<RestoredDelivery>,
    /// Inbound QoS 2 packet identifiers awaiting PUBREL.
    pub inbound: Vec<u16>,
}

/// Everything a store held when it was opened.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Sessions.
    pub sessions: Vec<RestoredSession>,
    /// Retained messages with the time each was stored.
    pub retained: Vec<(Arc<Message>, SystemTime)>,
}

impl Snapshot {
    /// The highest delivery sequence number in the snapshot (0 when none).
    pub fn max_seq(&self) -> u64 {
        self.sessions
            .iter()
            .flat_map(|s| s.deliveries.iter().map(|d| d.seq))
            .max()
            .unwrap_or(0)
    }
}

/// The store as the broker's changes reach it: the store itself and the counter that numbers
/// deliveries.
#[derive(Clone, Copy)]
pub(crate) struct Journal<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) seq: &'a std::sync::atomic::AtomicU64,
}

impl Journal<'_> {
    /// A fresh delivery sequence number.
    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

/// What the changes of one step asked of the store: the commit to wait for before acknowledging
/// them, or that the store could not take one of them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Durability {
    /// The newest commit that holds one of the changes (0: none touched the store).
    pub(crate) commit: u64,
    /// A change could not be written: nothing that depends on it may be acknowledged.
    pub(crate) failed: bool,
}

impl Durability {
    /// Submits `op` and remembers what it needs.
    pub(crate) fn write(&mut self, store: &dyn Store, op: Op) {
        match store.submit(op) {
            Ok(commit) => self.commit = self.commit.max(commit),
            Err(Unavailable) => self.failed = true,
        }
    }

    /// Both steps' needs.
    pub(crate) fn join(&mut self, other: Durability) {
        self.commit = self.commit.max(other.commit);
        self.failed |= other.failed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_fails_only_for_a_failure_at_or_after_its_first_commit() {
        let p = |finished, last_failed| Progress {
            finished,
            failures: u64::from(last_failed > 0),
            last_failed,
        };
        assert_eq!(p(4, 0).outcome(5, 6), None, "commit 6 has not ended");
        assert_eq!(
            p(6, 4).outcome(5, 6),
            Some(Ok(())),
            "4 failed before the wait"
        );
        assert_eq!(p(6, 5).outcome(5, 6), Some(Err(Unavailable)));
        assert_eq!(
            p(9, 8).outcome(5, 6),
            Some(Err(Unavailable)),
            "later: unknown"
        );
    }
}
