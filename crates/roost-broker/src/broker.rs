//! The broker's shared state — sessions, subscriptions, retained messages, counters — and the
//! publish path that fans a message out to every matching session.
//!
//! There is no router task: the connection that reads a PUBLISH matches it against the topic tree
//! (a read lock many publishers share) and pushes one `Arc` per matching session into that
//! session's queue. Locks here are `std` locks held for short, synchronous sections only.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime};

use roost_proto::QoS;
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use crate::auth::{AuthFileError, Security};
use arc_swap::{ArcSwap, Guard};

use crate::config::{Config, Listener};
use crate::links::Links;
use crate::message::Message;
use crate::metrics::Metrics;
use crate::retained_tree::RetainedTree;
use crate::session::{
    Attachment, Delivery, Enqueue, EnqueuePolicy, Enqueued, Identity, QueueLimits, Session,
    SessionRef, SubscriptionData, NEVER_EXPIRES,
};
use crate::store::{Durability, Journal, Op, Progress, Store};
use crate::topic_tree::TopicTree;

/// Bytes of QoS 0 messages a connected client may have waiting: Mosquitto buffers these without
/// a bound; Roost bounds them generously, so a burst to a healthy subscriber is not dropped while a
/// stalled one cannot exhaust memory.
const ONLINE_QOS0_BACKLOG: usize = 32 << 20;

thread_local! {
    /// The matches of one publish, reused per thread so fan-out allocates nothing per subscriber
    /// (taken, not borrowed: a nested publish would simply allocate its own).
    static MATCHES: Cell<Vec<(SessionRef, SubscriptionData)>> = const { Cell::new(Vec::new()) };
}

/// Largest match buffer kept for reuse; a rare huge fan-out gives its memory back.
const MATCHES_KEPT: usize = 1 << 16;

/// Subscriptions of every session.
pub(crate) type Subscriptions = TopicTree<SessionRef, SubscriptionData>;

/// The broker: everything connections share.
#[derive(Debug)]
pub struct Broker {
    config: ArcSwap<Config>,
    /// Counters read by `$SYS` and the API.
    pub metrics: Metrics,
    sessions: Mutex<HashMap<Arc<str>, Arc<Session>>>,
    subscriptions: RwLock<Subscriptions>,
    /// Retained messages with the time each was stored (for the API).
    retained: RwLock<RetainedTree<(Arc<Message>, SystemTime)>>,
    next_conn_id: AtomicU64,
    next_auto_id: AtomicU64,
    started: Instant,
    /// The connections past CONNECT: how shutdown and reloads reach them, and their keep-alives.
    links: Arc<Links>,
    /// Where idle plain TCP connections wait without a task.
    parking: crate::parking::ParkingLot,
    /// Security per listener, by position in the configuration; swapped whole on reload.
    security: RwLock<Vec<Arc<Security>>>,
    /// Counts reloads, so connections re-read the configuration and re-check credentials.
    reloads: watch::Sender<u64>,
    /// Which listeners, by position in the configuration, are bound and accepting (an optional
    /// one that could not bind is not); set once by `Server::bind`.
    listening: Vec<AtomicBool>,
    /// Where durable state is written; `None` runs the broker in memory only.
    store: Option<Arc<dyn Store>>,
    /// The store's progress, subscribed to once: connections holding output read it here.
    progress: Option<watch::Receiver<Progress>>,
    /// The next delivery sequence number for the store.
    next_seq: AtomicU64,
}

/// Loads the security of every listener (one shared set unless `per_listener_settings`).
fn load_security(config: &Config) -> Result<Vec<Arc<Security>>, AuthFileError> {
    let global = Arc::new(Security::load(&config.security)?);
    config
        .listeners
        .iter()
        .map(
            |listener| match (config.per_listener_settings, &listener.security) {
                (true, Some(own)) => Security::load(own).map(Arc::new),
                _ => Ok(global.clone()),
            },
        )
        .collect()
}

/// What attaching a connection to a session produced.
pub(crate) struct Attached {
    pub(crate) session: Arc<Session>,
    pub(crate) session_present: bool,
    /// What the CONNACK must wait for.
    pub(crate) durability: Durability,
}

/// What a publish did.
pub(crate) struct Published {
    /// Sessions it was queued for.
    pub(crate) delivered: usize,
    /// What acknowledging it must wait for.
    pub(crate) durability: Durability,
    /// A connected session whose queue it filled past half: its publisher should wait for room.
    pub(crate) crowded: Option<Arc<Session>>,
}

/// Tells the connection attached to `session`, if any, that another connection took it over.
fn take_over(session: &Session) {
    if let Some(previous) = session.lock().attached.take() {
        previous.conn.link.tell(crate::links::TAKEN_OVER);
    }
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Broker {
    /// A broker with `config` that keeps everything in memory.
    pub fn new(config: Config) -> Result<Arc<Broker>, AuthFileError> {
        Broker::with_store(config, None)
    }

    /// A broker with `config` that writes its durable state to `store` (empty until
    /// [`Broker::restore`] reads what the store held back in).
    pub fn with_store(
        config: Config,
        store: Option<Arc<dyn Store>>,
    ) -> Result<Arc<Broker>, AuthFileError> {
        let security = RwLock::new(load_security(&config)?);
        let listening = config
            .listeners
            .iter()
            .map(|_| AtomicBool::new(false))
            .collect();
        Ok(Arc::new(Broker {
            security,
            listening,
            config: ArcSwap::from_pointee(config),
            metrics: Metrics::default(),
            sessions: Mutex::new(HashMap::new()),
            subscriptions: RwLock::new(TopicTree::new()),
            retained: RwLock::new(RetainedTree::new()),
            next_conn_id: AtomicU64::new(1),
            next_auto_id: AtomicU64::new(1),
            started: Instant::now(),
            links: Arc::new(Links::new()),
            parking: crate::parking::ParkingLot::default(),
            reloads: watch::channel(0).0,
            progress: store.as_ref().map(|s| s.progress()),
            store,
            next_seq: AtomicU64::new(1),
        }))
    }

    /// The store, if the broker has one.
    pub fn store(&self) -> Option<&Arc<dyn Store>> {
        self.store.as_ref()
    }

    /// The store with the delivery counter, for the code that writes to it.
    pub(crate) fn journal(&self) -> Option<Journal<'_>> {
        self.store.as_deref().map(|store| Journal {
            store,
            seq: &self.next_seq,
        })
    }

    /// Progress of the store's commits, for connections holding acknowledgements back.
    pub(crate) fn store_progress(&self) -> Option<watch::Receiver<Progress>> {
        self.progress.clone()
    }

    /// Whether the commits `first..=last` have all ended and how (`None` while one has not, or
    /// without a store); read in place, without a receiver of its own.
    pub(crate) fn store_outcome(
        &self,
        first: u64,
        last: u64,
    ) -> Option<Result<(), crate::store::Unavailable>> {
        self.progress.as_ref()?.borrow().outcome(first, last)
    }

    /// Writes `op` for a change that nothing waits for (a failure is the store's to report).
    pub(crate) fn write_behind(&self, op: impl FnOnce() -> Op) {
        if let Some(store) = &self.store {
            let _ = store.submit(op());
        }
    }

    /// Writes `op` and returns what an acknowledgement of the change must wait for.
    pub(crate) fn write(&self, op: impl FnOnce() -> Op) -> Durability {
        let mut durability = Durability::default();
        if let Some(store) = &self.store {
            durability.write(&**store, op());
        }
        durability
    }

    /// The security in force on listener `index` (the position in the configuration).
    pub(crate) fn security(&self, index: usize) -> Arc<Security> {
        let table = read(&self.security);
        table
            .get(index)
            .or(table.first())
            .cloned()
            .unwrap_or_else(|| Arc::new(Security::open()))
    }

    /// The configuration in force.
    pub fn config(&self) -> Guard<Arc<Config>> {
        self.config.load()
    }

    /// Applies a reloaded configuration (SIGHUP): the password and ACL files and every setting
    /// read per use — limits, client-id rules, retain and QoS options, `$SYS`. Listeners stay as
    /// they were bound. All or nothing: an unreadable password or ACL file changes nothing.
    pub fn reload(&self, config: Config) -> Result<String, AuthFileError> {
        let fresh = load_security(&config)?;
        let users: usize = fresh.iter().filter_map(|s| s.user_count()).sum();
        let acls = fresh.iter().filter(|s| s.has_acl()).count();
        // The configuration first: connections re-read it when told of the reload below.
        self.config.store(Arc::new(config));
        *write(&self.security) = fresh;
        self.reloads.send_modify(|n| *n += 1);
        self.links.tell_all(crate::links::RELOADED);
        Ok(format!("{users} users, {acls} listeners with an ACL"))
    }

    /// SIGHUP: reads the configuration file again and applies it (see [`Broker::reload`]). On
    /// any error the running settings stay and the error says why. Returns the new configuration
    /// and the lines to log.
    pub fn reload_from_file(&self) -> Result<(Arc<Config>, Vec<String>), String> {
        let running = self.config();
        let fresh = crate::config::reload(&running).map_err(|e| e.to_string())?;
        let mut lines: Vec<String> = fresh
            .changes
            .iter()
            .map(|c| format!("Changed: {c}"))
            .collect();
        lines.extend(
            fresh
                .refused
                .iter()
                .map(|r| format!("Not applied until restart: {r}")),
        );
        let summary = self.reload(fresh.config).map_err(|e| e.to_string())?;
        lines.push(format!("Reloaded password and ACL files ({summary})."));
        Ok((self.config().clone(), lines))
    }

    /// Whether the listener at `index` in the configuration is bound and accepting.
    pub fn is_listening(&self, index: usize) -> bool {
        self.listening
            .get(index)
            .is_some_and(|bound| bound.load(Ordering::Relaxed))
    }

    pub(crate) fn set_listening(&self, index: usize) {
        if let Some(bound) = self.listening.get(index) {
            bound.store(true, Ordering::Relaxed);
        }
    }

    /// Time since the broker started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Serves one client over any byte stream (TCP, TLS, WebSocket, or an in-memory pipe in
    /// tests) with `listener`'s settings, until the connection ends.
    pub async fn serve<S>(self: &Arc<Self>, listener: Arc<Listener>, stream: S, peer: SocketAddr)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let identity = crate::transport::PeerIdentity::FromConnect;
        crate::connection::serve(self.clone(), listener, 0, stream, peer, identity).await;
    }

    /// Tells every connection to close (MQTT 5 clients get DISCONNECT 0x8B).
    pub fn shut_down(&self) {
        self.links.tell_all(crate::links::SHUTDOWN);
    }

    /// Changes after every successful reload (SIGHUP), so that what reads files of its own —
    /// TLS listeners, the dashboard's certificate — reads them again.
    pub fn reloaded(&self) -> watch::Receiver<u64> {
        self.reloads.subscribe()
    }

    /// The connections past CONNECT.
    pub(crate) fn links(&self) -> &Arc<Links> {
        &self.links
    }

    /// Where idle plain TCP connections wait.
    pub(crate) fn parking(&self) -> &crate::parking::ParkingLot {
        &self.parking
    }

    /// Connections parked now: idle plain TCP connections waiting without a task.
    pub fn parked_count(&self) -> usize {
        self.parking.count()
    }

    pub(crate) fn next_conn_id(&self) -> u64 {
        self.next_conn_id.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh client identifier for a client that sent an empty one.
    pub(crate) fn assign_client_id(&self, prefix: &str) -> String {
        let n = self.next_auto_id.fetch_add(1, Ordering::Relaxed);
        let nanos = self.started.elapsed().as_nanos() as u64;
        format!(
            "{}{:016X}{:04X}",
            prefix,
            nanos ^ 0x5DEE_CE66_D1CE_4E5B,
            n & 0xFFFF
        )
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<Arc<str>, Arc<Session>>> {
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every session registered now (for the API's snapshots).
    pub(crate) fn all_sessions(&self) -> Vec<Arc<Session>> {
        self.sessions().values().cloned().collect()
    }

    /// The session of `client_id`, if one is registered.
    pub(crate) fn find_session(&self, client_id: &str) -> Option<Arc<Session>> {
        self.sessions().get(client_id).cloned()
    }

    pub(crate) fn subscription_tree(&self) -> RwLockReadGuard<'_, Subscriptions> {
        read(&self.subscriptions)
    }

    pub(crate) fn retained_tree(
        &self,
    ) -> RwLockReadGuard<'_, RetainedTree<(Arc<Message>, SystemTime)>> {
        read(&self.retained)
    }

    pub(crate) fn retained_tree_mut(
        &self,
    ) -> RwLockWriteGuard<'_, RetainedTree<(Arc<Message>, SystemTime)>> {
        write(&self.retained)
    }

    pub(crate) fn subscription_tree_mut(&self) -> RwLockWriteGuard<'_, Subscriptions> {
        write(&self.subscriptions)
    }

    /// Registers a session read back from the store.
    pub(crate) fn register(&self, session: Arc<Session>) {
        self.sessions().insert(session.client_id.clone(), session);
    }

    /// Makes the next delivery sequence number at least `seq`.
    pub(crate) fn seq_at_least(&self, seq: u64) {
        self.next_seq.fetch_max(seq, Ordering::Relaxed);
    }

    /// Number of sessions, connected or not.
    pub fn session_count(&self) -> usize {
        self.sessions().len()
    }

    /// Number of subscriptions.
    pub fn subscription_count(&self) -> usize {
        read(&self.subscriptions).len()
    }

    /// Number of retained messages.
    pub fn retained_count(&self) -> usize {
        read(&self.retained).len()
    }

    pub(crate) fn enqueue_policy(&self) -> EnqueuePolicy {
        enqueue_policy(&self.config())
    }

    /// Attaches a new connection to the session of `client_id`, creating it or starting it clean
    /// as asked, and tells any connection still attached that it was taken over.
    pub(crate) fn attach(
        &self,
        client_id: &Arc<str>,
        clean_start: bool,
        expiry_interval: u32,
        attachment: Attachment,
        identity: Identity,
        will: Option<&roost_proto::Will>,
    ) -> Attached {
        let now = Instant::now();
        let mut sessions = self.sessions();
        let existing = sessions.get(client_id).cloned();
        // A session with expiry 0 (MQTT 3 clean session) lasts only as long as its connection
        // (MQTT-3.1.2-6, MQTT 5 §3.1.2.11.2): taking the connection over ends it, so it is never
        // resumed, however soon the new CONNECT comes.
        let reuse = existing.filter(|s| {
            let state = s.lock();
            !clean_start && state.expiry_interval != 0 && !state.is_expired(now)
        });
        let (session, session_present) = match reuse {
            Some(session) => (session, true),
            None => {
                let fresh = Arc::new(Session::new(client_id.clone(), expiry_interval));
                if let Some(old) = sessions.insert(client_id.clone(), fresh.clone()) {
                    take_over(&old);
                    self.end_session(&old);
                }
                (fresh, false)
            }
        };
        drop(sessions);
        take_over(&session);
        let mut state = session.lock();
        state.attached = Some(attachment);
        state.identity = identity;
        state.expiry_interval = expiry_interval;
        state.generation += 1;
        state.disconnected_at = None;
        let was_stored = state.stored;
        state.stored = self.store.is_some() && expiry_interval != 0;
        state.will = will.filter(|_| state.stored).cloned().map(Box::new);
        let durability = match (was_stored, state.stored) {
            (_, true) => self.write(|| Op::PutSession(client_id.clone(), state.record())),
            (true, false) => self.write(|| Op::DeleteSession(client_id.clone())),
            (false, false) => Durability::default(),
        };
        drop(state);
        Attached {
            session,
            session_present,
            durability,
        }
    }

    /// Tells the connection attached to `client_id`, if any, to close; false when none is.
    pub fn kick(&self, client_id: &str) -> bool {
        let Some(session) = self.sessions().get(client_id).cloned() else {
            return false;
        };
        let state = session.lock();
        state
            .attached
            .as_ref()
            .is_some_and(|a| a.conn.link.tell(crate::links::KICKED))
    }

    /// Detaches connection `conn_id` from `session`. A session with no expiry ends now; one that
    /// expires later is removed then, unless a client attached again.
    pub(crate) fn detach(self: &Arc<Self>, session: &Arc<Session>, conn_id: u64) {
        let mut state = session.lock();
        if !state.is_attached_to(conn_id) {
            return;
        }
        state.attached = None;
        state.disconnected_at = Some(Instant::now());
        if !self.config().queue_qos0_messages && state.queue.len() > 0 {
            state.queue.drop_qos0();
        }
        let expiry = state.expiry_interval;
        let generation = state.generation;
        if state.stored && expiry != 0 {
            self.write_behind(|| Op::PutSession(session.client_id.clone(), state.record()));
        }
        drop(state);
        match expiry {
            0 => self.remove_session(session),
            NEVER_EXPIRES => {}
            secs => self.expire_later(session, generation, Duration::from_secs(u64::from(secs))),
        }
    }

    /// Removes `session` after `after`, unless a client attached to it again by then.
    pub(crate) fn expire_later(
        self: &Arc<Self>,
        session: &Arc<Session>,
        generation: u64,
        after: Duration,
    ) {
        let broker = self.clone();
        let session = session.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let left = {
                let state = session.lock();
                state.generation == generation && state.attached.is_none()
            };
            if left {
                broker.remove_session(&session);
            }
        });
    }

    /// Removes `session` from the registry (if it is still the one registered) and ends it.
    pub(crate) fn remove_session(&self, session: &Arc<Session>) {
        let mut sessions = self.sessions();
        if sessions
            .get(&session.client_id)
            .is_some_and(|s| Arc::ptr_eq(s, session))
        {
            sessions.remove(&session.client_id);
        }
        drop(sessions);
        self.end_session(session);
    }

    /// Drops a session's subscriptions and messages.
    fn end_session(&self, session: &Arc<Session>) {
        let mut state = session.lock();
        let filters: Vec<String> = std::mem::take(&mut state.subscriptions)
            .into_keys()
            .collect();
        state.inflight.reset();
        state.queue.reset();
        state.inbound_qos2.clear();
        state.will = None;
        if std::mem::take(&mut state.stored) {
            self.write_behind(|| Op::DeleteSession(session.client_id.clone()));
        }
        drop(state);
        let key = SessionRef(session.clone());
        let mut tree = write(&self.subscriptions);
        for filter in &filters {
            tree.unsubscribe(filter, &key);
        }
    }

    /// Adds or replaces a subscription; true when it already existed. A stored session's record
    /// is written, and `durability` learns what the SUBACK must wait for.
    pub(crate) fn subscribe(
        &self,
        session: &Arc<Session>,
        filter: &str,
        data: SubscriptionData,
        durability: &mut Durability,
    ) -> bool {
        let mut state = session.lock();
        state.subscriptions.insert(filter.to_string(), data);
        if state.stored {
            durability
                .join(self.write(|| Op::PutSession(session.client_id.clone(), state.record())));
        }
        drop(state);
        write(&self.subscriptions)
            .subscribe(filter, SessionRef(session.clone()), data)
            .is_some()
    }

    /// Removes a subscription; true when it existed.
    pub(crate) fn unsubscribe(
        &self,
        session: &Arc<Session>,
        filter: &str,
        durability: &mut Durability,
    ) -> bool {
        let mut state = session.lock();
        if state.subscriptions.remove(filter).is_some() && state.stored {
            durability
                .join(self.write(|| Op::PutSession(session.client_id.clone(), state.record())));
        }
        drop(state);
        write(&self.subscriptions)
            .unsubscribe(filter, &SessionRef(session.clone()))
            .is_some()
    }

    /// Calls `f` with every retained message matching `filter` that has not expired.
    pub(crate) fn for_each_retained(&self, filter: &str, mut f: impl FnMut(&Arc<Message>)) {
        let now = Instant::now();
        read(&self.retained).for_each_matching(filter, |_, (msg, _)| {
            if !msg.is_expired(now) {
                f(msg)
            }
        });
    }

    /// Sets, replaces or (with an empty payload) clears the retained message of a topic, in
    /// memory and in the store (under the tree's lock, so the store sees the same order).
    fn store_retained(&self, msg: &Arc<Message>, durability: &mut Durability) {
        // `$SYS` is the broker's own, made again every `sys_interval`: never written.
        let keep = |op| match msg.topic.starts_with("$SYS/") {
            true => Durability::default(),
            false => self.write(|| op),
        };
        let mut retained = write(&self.retained);
        if msg.payload.is_empty() {
            if retained.remove(&msg.topic).is_some() {
                durability.join(keep(Op::DeleteRetained(msg.topic.clone())));
            }
        } else {
            let now = SystemTime::now();
            retained.insert(&msg.topic, (msg.clone(), now));
            durability.join(keep(Op::PutRetained(msg.clone(), now)));
        }
    }

    /// Drops retained messages whose expiry has passed.
    pub(crate) fn purge_expired_retained(&self) {
        let now = Instant::now();
        let mut expired = Vec::new();
        write(&self.retained).retain(|_, (msg, _)| {
            let keep = !msg.is_expired(now);
            if !keep && self.store.is_some() {
                expired.push(msg.topic.clone());
            }
            keep
        });
        for topic in expired {
            self.write_behind(|| Op::DeleteRetained(topic));
        }
    }

    /// Publishes `msg` to every matching session; returns how many sessions it was queued for.
    /// What the store must still write is written behind: nothing waits for it.
    pub fn publish(&self, msg: &Arc<Message>) -> usize {
        self.publish_durably(msg).delivered
    }

    /// Publishes `msg` and returns, besides the count, what an acknowledgement to its publisher
    /// must wait for: the commit holding its retained copy and its deliveries to stored sessions.
    pub(crate) fn publish_durably(&self, msg: &Arc<Message>) -> Published {
        let mut durability = Durability::default();
        let mut crowded = None;
        // One load of the configuration per publish, not one per subscriber.
        let config = self.config();
        if msg.retain && config.retain_available {
            self.store_retained(msg, &mut durability);
        }
        let mut matches = MATCHES.take();
        read(&self.subscriptions).for_each_match(&msg.topic, |s, d| {
            let own = d.no_local && msg.origin.as_deref() == Some(&*s.0.client_id);
            if !own {
                matches.push((s.clone(), *d));
            }
        });
        if matches.len() > 1 {
            matches.sort_unstable_by_key(|(s, _)| Arc::as_ptr(&s.0) as usize);
        }
        let target = Enqueue {
            policy: enqueue_policy(&config),
            metrics: &self.metrics,
            journal: self.journal(),
        };
        let upgrade = config.upgrade_outgoing_qos;
        let security = read(&self.security);
        let acl = security.iter().any(|s| s.has_acl()).then_some(&*security);
        let mut delivered = 0;
        let mut rest = &matches[..];
        while let Some(((session, _), _)) = rest.split_first() {
            let same = rest.iter().take_while(|(s, _)| s == session).count();
            let delivery = merge(msg, &rest[..same], upgrade);
            let client_id = &session.0.client_id;
            let allowed = |identity: &Identity| {
                acl.is_none_or(|table| {
                    table.get(identity.listener).is_none_or(|s| {
                        s.can_receive(identity.username.as_deref(), client_id, &msg.topic)
                    })
                })
            };
            match session
                .0
                .enqueue_if(delivery, target, &mut durability, allowed)
            {
                Enqueued::Denied => {}
                Enqueued::Queued => delivered += 1,
                Enqueued::Crowded => {
                    delivered += 1;
                    crowded.get_or_insert_with(|| session.0.clone());
                }
            }
            rest = &rest[same..];
        }
        matches.clear();
        if matches.capacity() <= MATCHES_KEPT {
            MATCHES.set(matches);
        }
        Published {
            delivered,
            durability,
            crowded,
        }
    }

    /// Writes `first`, then publishes `msg`, all in one commit of the store (see
    /// [`Store::together`]); without a store, or with nothing to write first, a plain publish.
    pub(crate) fn publish_after(&self, first: Option<Op>, msg: &Arc<Message>) -> Published {
        let (Some(store), Some(first)) = (&self.store, first) else {
            return self.publish_durably(msg);
        };
        let mut first = Some(first);
        let mut published = None;
        store.together(&mut || {
            let mut durability = Durability::default();
            if let Some(op) = first.take() {
                durability.write(&**store, op);
            }
            let mut done = self.publish_durably(msg);
            done.durability.join(durability);
            published = Some(done);
        });
        // `together` runs its function once; were it not to, the message is still published.
        published.unwrap_or_else(|| self.publish_durably(msg))
    }

    /// Where deliveries made outside a publish (retained messages on SUBSCRIBE) go.
    pub(crate) fn enqueue_target(&self) -> Enqueue<'_> {
        Enqueue {
            policy: self.enqueue_policy(),
            metrics: &self.metrics,
            journal: self.journal(),
        }
    }
}

/// One delivery for a session that several subscriptions match: the highest QoS, every
/// subscription identifier, retained if any subscription keeps the flag as published.
fn merge(msg: &Arc<Message>, subs: &[(SessionRef, SubscriptionData)], upgrade: bool) -> Delivery {
    let mut qos = QoS::AtMostOnce;
    let mut retain = false;
    let mut sub_ids = Vec::new();
    for (_, sub) in subs {
        let granted = if upgrade {
            sub.qos
        } else {
            sub.qos.min(msg.qos)
        };
        qos = qos.max(granted);
        retain |= sub.retain_as_published && msg.retain;
        sub_ids.extend(sub.sub_id);
    }
    Delivery {
        msg: msg.clone(),
        qos,
        retain,
        sub_ids,
        seq: 0,
    }
}

/// What a session queues under `config`'s limits.
fn enqueue_policy(config: &Config) -> EnqueuePolicy {
    EnqueuePolicy {
        limits: QueueLimits {
            max_messages: config.max_queued_messages,
            max_bytes: config.max_queued_bytes,
            online_qos0_bytes: ONLINE_QOS0_BACKLOG,
        },
        queue_qos0_offline: config.queue_qos0_messages,
    }
}
