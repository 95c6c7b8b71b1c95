//! The narrow interface the HTTP API (crate `roost-admin`) reads and acts through: snapshots of
//! sessions, subscriptions, subscribed filters and retained messages, taken from the broker's own
//! state (no second bookkeeping), plus the few actions an administrator may take — discard a
//! client, delete a retained message, publish as the broker.
//!
//! Every snapshot copies what it needs under the same short `std` locks the broker uses and
//! holds none of them afterwards; a list is as consistent as one pass over the sessions makes it.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use roost_proto::{ProtocolVersion, QoS};

use crate::broker::Broker;
use crate::message::Message;
use crate::session::{Session, SubscriptionData};

/// One session as the API lists it, connected or not.
#[derive(Debug, Clone)]
pub struct ClientSnapshot {
    /// Client identifier.
    pub client_id: String,
    /// User name of the last connection.
    pub username: Option<String>,
    /// Whether a connection is attached now.
    pub connected: bool,
    /// Address of the last connection's peer.
    pub peer: Option<SocketAddr>,
    /// MQTT protocol level of the last connection: 3 (3.1), 4 (3.1.1) or 5.
    pub protocol_level: Option<u8>,
    /// Keep-alive in force in seconds (0: none).
    pub keep_alive: u16,
    /// Clean start (clean session) flag of the last CONNECT.
    pub clean_start: bool,
    /// Session expiry interval in seconds (`u32::MAX`: never).
    pub expiry_interval: u32,
    /// When the last connection was accepted.
    pub connected_at: Option<SystemTime>,
    /// When the client went away, if it has.
    pub disconnected_at: Option<SystemTime>,
    /// When the session began.
    pub created_at: SystemTime,
    /// Subscriptions held.
    pub subscriptions: usize,
    /// Messages queued and not yet sent.
    pub queued: usize,
    /// QoS 1/2 messages sent and not yet acknowledged.
    pub inflight: usize,
    /// PUBLISH packets received from the last connection.
    pub received: u64,
    /// PUBLISH packets sent to the last connection.
    pub sent: u64,
    /// Position in the configuration of the listener the client came through.
    pub listener: Option<usize>,
    /// Whether messages for it are being dropped now (its queue is full).
    pub dropping: bool,
}

/// One subscription of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSnapshot {
    /// The subscribing client.
    pub client_id: String,
    /// The filter as subscribed (`$share/...` included).
    pub filter: String,
    /// QoS granted: 0, 1 or 2.
    pub qos: u8,
    /// No Local.
    pub no_local: bool,
    /// Retain As Published.
    pub retain_as_published: bool,
    /// Retain Handling: 0, 1 or 2.
    pub retain_handling: u8,
}

/// One retained message.
#[derive(Debug, Clone)]
pub struct RetainedSnapshot {
    /// The message (topic, payload, QoS, publisher).
    pub message: Arc<Message>,
    /// When it was stored.
    pub stored_at: SystemTime,
}

/// Why the API could not publish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// Not a valid topic name (empty, wildcards, NUL, too long).
    #[error("'{0}' is not a valid topic name")]
    BadTopic(String),
    /// Retained messages are turned off (`retain_available false`).
    #[error("retained messages are not available (retain_available false)")]
    RetainNotAvailable,
}

/// The wall-clock time of `at`, an `Instant` in the past.
fn wall_clock(at: Instant) -> SystemTime {
    SystemTime::now()
        .checked_sub(at.elapsed())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

fn protocol_level(version: ProtocolVersion) -> u8 {
    match version {
        ProtocolVersion::V3_1 => 3,
        ProtocolVersion::V3_1_1 => 4,
        ProtocolVersion::V5 => 5,
    }
}

fn subscription(client_id: &str, filter: &str, data: &SubscriptionData) -> SubscriptionSnapshot {
    SubscriptionSnapshot {
        client_id: client_id.to_string(),
        filter: filter.to_string(),
        qos: data.qos as u8,
        no_local: data.no_local,
        retain_as_published: data.retain_as_published,
        retain_handling: data.retain_handling,
    }
}

impl Broker {
    /// Every session now, sorted by client identifier.
    pub fn clients(&self) -> Vec<ClientSnapshot> {
        let mut all: Vec<ClientSnapshot> = self
            .all_sessions()
            .iter()
            .map(|s| self.snapshot(s))
            .collect();
        all.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        all
    }

    /// The session of `client_id`, if there is one.
    pub fn client(&self, client_id: &str) -> Option<ClientSnapshot> {
        self.find_session(client_id).map(|s| self.snapshot(&s))
    }

    fn snapshot(&self, session: &Session) -> ClientSnapshot {
        let config = self.config();
        let state = session.lock();
        let info = state.connection.as_deref();
        ClientSnapshot {
            client_id: session.client_id.to_string(),
            username: state.identity.username.as_deref().map(str::to_string),
            connected: state.attached.is_some(),
            peer: info.map(|i| i.peer),
            protocol_level: info.map(|i| protocol_level(i.protocol)),
            keep_alive: info.map_or(0, |i| i.keep_alive),
            clean_start: info.is_some_and(|i| i.clean_start),
            expiry_interval: state.expiry_interval,
            connected_at: info.map(|i| i.connected_at),
            disconnected_at: state.disconnected_at.map(wall_clock),
            created_at: session.created_at,
            subscriptions: state.subscriptions.len(),
            queued: state.queue.len(),
            inflight: state.inflight.len(),
            received: info.map_or(0, |i| i.received.load(Ordering::Relaxed)),
            sent: info.map_or(0, |i| i.sent.load(Ordering::Relaxed)),
            listener: info
                .filter(|_| state.identity.listener < config.listeners.len())
                .map(|_| state.identity.listener),
            dropping: state.dropping,
        }
    }

    /// The subscriptions of `client_id`, sorted by filter; `None` when there is no such session.
    pub fn subscriptions_of(&self, client_id: &str) -> Option<Vec<SubscriptionSnapshot>> {
        let session = self.find_session(client_id)?;
        let state = session.lock();
        let mut subs: Vec<SubscriptionSnapshot> = state
            .subscriptions
            .iter()
            .map(|(filter, data)| subscription(client_id, filter, data))
            .collect();
        drop(state);
        subs.sort_by(|a, b| a.filter.cmp(&b.filter));
        Some(subs)
    }

    /// Every subscription of every session, by client identifier then filter.
    pub fn all_subscriptions(&self) -> Vec<SubscriptionSnapshot> {
        let mut subs = Vec::new();
        for session in self.all_sessions() {
            let state = session.lock();
            subs.extend(
                state
                    .subscriptions
                    .iter()
                    .map(|(filter, data)| subscription(&session.client_id, filter, data)),
            );
        }
        subs.sort_by(|a, b| (&a.client_id, &a.filter).cmp(&(&b.client_id, &b.filter)));
        subs
    }

    /// The distinct filters anyone is subscribed to (the routes), sorted.
    pub fn subscribed_filters(&self) -> Vec<String> {
        let filters: BTreeSet<String> = self
            .subscription_tree()
            .iter()
            .map(|(filter, _, _)| filter)
            .collect();
        filters.into_iter().collect()
    }

    /// Every retained message that has not expired, sorted by topic.
    pub fn retained_messages(&self) -> Vec<RetainedSnapshot> {
        let now = Instant::now();
        let mut all: Vec<RetainedSnapshot> = self
            .retained_tree()
            .iter()
            .filter(|(_, (msg, _))| !msg.is_expired(now))
            .map(|(_, (msg, at))| RetainedSnapshot {
                message: msg.clone(),
                stored_at: *at,
            })
            .collect();
        all.sort_by(|a, b| a.message.topic.cmp(&b.message.topic));
        all
    }

    /// The retained message of `topic`, if one is stored and has not expired.
    pub fn retained_message(&self, topic: &str) -> Option<RetainedSnapshot> {
        let now = Instant::now();
        self.retained_tree()
            .get(topic)
            .filter(|(msg, _)| !msg.is_expired(now))
            .map(|(msg, at)| RetainedSnapshot {
                message: msg.clone(),
                stored_at: *at,
            })
    }

    /// Deletes the retained message of `topic`; false when there was none.
    pub fn delete_retained(&self, topic: &str) -> bool {
        self.retained_tree_mut().remove(topic).is_some()
    }

    /// Publishes a message from no client (the API's publish), as any client's PUBLISH would be
    /// routed, retained included. Returns how many sessions it was queued for.
    pub fn publish_as_broker(
        &self,
        topic: &str,
        payload: Bytes,
        qos: QoS,
        retain: bool,
    ) -> Result<usize, PublishError> {
        if !roost_proto::topic::is_valid_topic_name(topic) {
            return Err(PublishError::BadTopic(topic.to_string()));
        }
        if retain && !self.config().retain_available {
            return Err(PublishError::RetainNotAvailable);
        }
        Ok(self.publish(&Arc::new(Message::internal(topic, payload, qos, retain))))
    }

    /// Disconnects `client_id` (MQTT 5 clients get DISCONNECT 0x98, Administrative action) and
    /// discards its session, as EMQX's kick-out does; false when there is no such session.
    pub fn discard_client(&self, client_id: &str) -> bool {
        let Some(session) = self.find_session(client_id) else {
            return false;
        };
        self.kick(client_id);
        self.remove_session(&session);
        true
    }

    /// Clients connected now through each listener, by position in the configuration.
    pub fn connections_per_listener(&self) -> Vec<usize> {
        let mut counts = vec![0; self.config().listeners.len()];
        for session in self.all_sessions() {
            let state = session.lock();
            if state.attached.is_some() {
                if let Some(n) = counts.get_mut(state.identity.listener) {
                    *n += 1;
                }
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    #[test]
    fn publish_as_broker_checks_the_topic_and_retains() {
        let broker = Broker::new(Config::default()).expect("broker");
        for bad in ["", "a/+", "a/#", "a\0b"] {
            assert_eq!(
                broker.publish_as_broker(bad, Bytes::new(), QoS::AtMostOnce, false),
                Err(PublishError::BadTopic(bad.to_string()))
            );
        }
        let queued = broker
            .publish_as_broker("a/b", Bytes::from_static(b"x"), QoS::AtLeastOnce, true)
            .expect("valid");
        assert_eq!(queued, 0);
        let kept = broker.retained_message("a/b").expect("retained");
        assert_eq!(&kept.message.payload[..], b"x");
        assert_eq!(kept.message.origin, None);
        assert_eq!(broker.retained_messages().len(), 1);
        assert!(broker.delete_retained("a/b"));
        assert!(!broker.delete_retained("a/b"));
        assert!(broker.retained_message("a/b").is_none());
    }

    #[test]
    fn no_sessions_means_empty_lists() {
        let broker = Broker::new(Config::default()).expect("broker");
        assert!(broker.clients().is_empty());
        assert!(broker.client("nobody").is_none());
        assert!(broker.subscriptions_of("nobody").is_none());
        assert!(!broker.discard_client("nobody"));
        let listeners = broker.config().listeners.len();
        assert_eq!(broker.connections_per_listener(), vec![0; listeners]);
    }
}
