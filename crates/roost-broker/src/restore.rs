//! Start-up from the store: every session, subscription, queued and in-flight delivery, inbound
//! QoS 2 identifier, waiting will and retained message the store held is put back in memory, and
//! the timers that were running (session expiry, will delay) start again for what is left of them.
//!
//! A session that was connected when the broker stopped counts as disconnected at the restart;
//! one whose expiry passed while the broker was down is removed from the store, not restored.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use roost_proto::{QoS, Will};

use crate::broker::Broker;
use crate::connection::will;
use crate::session::{
    Awaiting, Delivery, Identity, QueueLimits, Session, SessionRef, SubscriptionData, NEVER_EXPIRES,
};
use crate::store::{Op, RestoredSession, Snapshot, Stage};

/// What a restore brought back, for the start-up log line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restored {
    /// Sessions restored.
    pub sessions: usize,
    /// Queued and in-flight deliveries restored.
    pub deliveries: usize,
    /// Retained messages restored.
    pub retained: usize,
    /// Sessions that expired while the broker was down, removed.
    pub expired: usize,
}

impl std::fmt::Display for Restored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} sessions, {} queued or in-flight messages, {} retained messages",
            self.sessions, self.deliveries, self.retained
        )?;
        if self.expired > 0 {
            write!(f, " ({} sessions had expired)", self.expired)?;
        }
        Ok(())
    }
}

/// A will to schedule once every session is back.
struct WaitingWill {
    session: Arc<Session>,
    origin: (Arc<str>, Option<Arc<str>>),
    will: Will,
    after: Duration,
}

impl Broker {
    /// Puts back what `snapshot` holds. Call once, before the listeners start, inside the
    /// runtime (it starts the expiry and will timers).
    pub fn restore(self: &Arc<Self>, snapshot: Snapshot) -> Restored {
        let now = Instant::now();
        let wall = SystemTime::now();
        let mut restored = Restored::default();
        self.seq_at_least(snapshot.max_seq() + 1);
        {
            let mut tree = self.retained_tree_mut();
            for (msg, at) in snapshot.retained {
                if !msg.is_expired(now) {
                    tree.insert(&msg.topic.clone(), (msg, at));
                    restored.retained += 1;
                }
            }
        }
        let mut wills = Vec::new();
        for stored in snapshot.sessions {
            self.restore_session(stored, (now, wall), &mut restored, &mut wills);
        }
        for w in wills {
            will::schedule_for(self, &w.session, w.origin, w.will, w.after, true);
        }
        restored
    }

    fn restore_session(
        self: &Arc<Self>,
        stored: RestoredSession,
        (now, wall): (Instant, SystemTime),
        restored: &mut Restored,
        wills: &mut Vec<WaitingWill>,
    ) {
        let RestoredSession {
            client_id,
            mut record,
            deliveries,
            inbound,
        } = stored;
        let away = record
            .disconnected_at
            .map(|at| wall.duration_since(at).unwrap_or_default())
            .unwrap_or_default();
        let expiry = record.expiry_interval;
        let expiry_left = Duration::from_secs(u64::from(expiry)).checked_sub(away);
        if expiry == 0 || (expiry != NEVER_EXPIRES && expiry_left.is_none_or(|d| d.is_zero())) {
            self.write_behind(|| Op::DeleteSession(client_id));
            restored.expired += 1;
            return;
        }
        let session = Arc::new(Session::new(client_id.clone(), expiry));
        let subscriptions: Vec<(String, SubscriptionData)> = record
            .subscriptions
            .iter()
            .map(|s| {
                let data = SubscriptionData {
                    qos: s.qos,
                    no_local: s.no_local,
                    retain_as_published: s.retain_as_published,
                    sub_id: s.sub_id,
                    retain_handling: s.retain_handling,
                };
                (s.filter.clone(), data)
            })
            .collect();
        let mut state = session.lock();
        state.stored = true;
        state.identity = Identity {
            username: record.username.clone(),
            listener: record.listener,
        };
        state.disconnected_at = Some(now.checked_sub(away).unwrap_or(now));
        state.subscriptions.extend(subscriptions.iter().cloned());
        let unlimited = QueueLimits {
            max_messages: 0,
            max_bytes: 0,
            online_qos0_bytes: usize::MAX,
        };
        for restored_delivery in deliveries {
            let stored = restored_delivery.delivery;
            let delivery = Delivery {
                msg: stored.msg,
                qos: stored.qos,
                retain: stored.retain,
                sub_ids: stored.sub_ids,
                seq: restored_delivery.seq,
            };
            restored.deliveries += 1;
            match restored_delivery.inflight {
                Some((packet_id, stage)) => {
                    let awaiting = awaiting(stage, delivery.qos);
                    state.inflight.restore(packet_id, awaiting, delivery);
                }
                None => {
                    // Unlimited: what the store held was within the limits when it was queued.
                    let _ = state.queue.push(delivery, unlimited, false);
                }
            }
        }
        state.inbound_qos2.extend(inbound);
        state.will = record.will.clone();
        let generation = state.generation;
        if record.disconnected_at.is_none() {
            // It was connected when the broker stopped: it left now.
            record.disconnected_at = Some(wall);
            self.write_behind(|| Op::PutSession(client_id.clone(), record.clone()));
        }
        drop(state);
        {
            let key = SessionRef(session.clone());
            let mut tree = self.subscription_tree_mut();
            for (filter, data) in subscriptions {
                tree.subscribe(&filter, key.clone(), data);
            }
        }
        self.register(session.clone());
        restored.sessions += 1;
        if let Some(left) = expiry_left.filter(|_| expiry != NEVER_EXPIRES) {
            self.expire_later(&session, generation, left);
        }
        if let Some(will) = record.will {
            let delay = will.properties.will_delay_interval.unwrap_or(0).min(expiry);
            let after = Duration::from_secs(u64::from(delay)).saturating_sub(away);
            let origin = (client_id, record.username);
            wills.push(WaitingWill {
                session,
                origin,
                will: *will,
                after,
            });
        }
    }
}

/// The in-flight stage of a restored delivery.
fn awaiting(stage: Stage, qos: QoS) -> Awaiting {
    match (stage, qos) {
        (Stage::Released, _) => Awaiting::PubComp,
        (Stage::Published, QoS::ExactlyOnce) => Awaiting::PubRec,
        (Stage::Published, _) => Awaiting::PubAck,
    }
}
