//! The broker on a store it does not own: acknowledgements held until the commit that holds the
//! change, refused writes never acknowledged as a success, what touches the store and what does
//! not, and a restore that resumes a session. The store here is a recorder whose commits the test
//! decides, so every interleaving is deterministic.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{expiry, publish, Peer};
use roost_broker::store::{
    Op, Progress, RestoredDelivery, RestoredSession, SessionRecord, Snapshot, Stage, Store,
    StoredDelivery, StoredSubscription, Unavailable,
};
use roost_broker::{Broker, Config, Message};
use roost_proto::{Packet, Properties, ProtocolVersion, PubResponse, QoS, ReasonCode};
use tokio::sync::watch;
use tokio::time::timeout;

/// A store that records ops and commits only when told (or at once, in `auto` mode).
#[derive(Debug)]
struct Recorder {
    state: Mutex<RecorderState>,
    progress: watch::Sender<Progress>,
}

#[derive(Debug)]
struct RecorderState {
    ops: Vec<Op>,
    batch: u64,
    auto: bool,
    failing: bool,
}

impl Recorder {
    fn new(auto: bool) -> Arc<Recorder> {
        Arc::new(Recorder {
            state: Mutex::new(RecorderState {
                ops: Vec::new(),
                batch: 1,
                auto,
                failing: false,
            }),
            progress: watch::channel(Progress::default()).0,
        })
    }

    /// Ends the batch being filled: written, or failed.
    fn finish(&self, failed: bool) {
        let mut state = self.state.lock().unwrap();
        let done = state.batch;
        state.batch += 1;
        self.progress.send_modify(|p| {
            p.finished = done;
            p.failures += u64::from(failed);
            if failed {
                p.last_failed = done;
            }
        });
    }

    fn set(&self, auto: bool, failing: bool) {
        let mut state = self.state.lock().unwrap();
        state.auto = auto;
        state.failing = failing;
    }

    fn ops(&self) -> Vec<Op> {
        self.state.lock().unwrap().ops.clone()
    }
}

impl Store for Recorder {
    fn submit(&self, op: Op) -> Result<u64, Unavailable> {
        let mut state = self.state.lock().unwrap();
        state.ops.push(op);
        if state.failing {
            return Err(Unavailable);
        }
        let batch = state.batch;
        let auto = state.auto;
        drop(state);
        if auto {
            self.finish(false);
        }
        Ok(batch)
    }

    fn together(&self, f: &mut dyn FnMut()) {
        // Commits are the test's to make: nothing can split what `f` submits.
        f();
    }

    fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.subscribe()
    }

    fn size(&self) -> u64 {
        0
    }

    fn close(&self) {}
}

fn broker_on(store: &Arc<Recorder>) -> Arc<Broker> {
    let store: Arc<dyn Store> = store.clone();
    Broker::with_store(Config::default(), Some(store)).unwrap()
}

/// Nothing arrives within a (paused-clock) second.
async fn silent(peer: &mut Peer) {
    if let Ok(packet) = timeout(Duration::from_secs(1), peer.recv()).await {
        panic!("expected nothing yet, got {packet:?}");
    }
}

/// A broker on a recording store with a stored session `keeper` (MQTT 5, connected) subscribed
/// to `t` at QoS 1.
async fn broker_with_a_keeper() -> (Arc<Recorder>, Arc<Broker>, Peer) {
    let store = Recorder::new(true);
    let broker = broker_on(&store);
    let mut sub = Peer::open(&broker, ProtocolVersion::V5);
    sub.connect("keeper", false, 0, expiry(600), None).await;
    sub.subscribe("t", QoS::AtLeastOnce).await;
    (store, broker, sub)
}

/// A clean-session publisher that has sent `payload` to `t` at QoS 1 under `packet_id`.
async fn published(broker: &Arc<Broker>, payload: &'static str, packet_id: u16) -> Peer {
    let mut publisher = Peer::open(broker, ProtocolVersion::V5);
    publisher
        .connect("pub", true, 0, Properties::default(), None)
        .await;
    publisher
        .send(publish("t", payload, QoS::AtLeastOnce, Some(packet_id)))
        .await;
    publisher
}

#[tokio::test(start_paused = true)]
async fn puback_waits_for_the_commit_that_holds_the_delivery() {
    let store = Recorder::new(true);
    let broker = broker_on(&store);
    let mut sub = Peer::open(&broker, ProtocolVersion::V3_1_1);
    sub.connect("keeper", false, 0, Properties::default(), None)
        .await;
    sub.subscribe("t", QoS::AtLeastOnce).await;
    sub.send(Packet::Disconnect(Default::default())).await;
    assert!(sub.recv().await.is_none());

    store.set(false, false);
    let mut publisher = published(&broker, "kept", 7).await;
    silent(&mut publisher).await;
    let stored = store.ops().iter().any(|op| {
        matches!(op, Op::PutDelivery { client, delivery, .. }
            if &**client == "keeper" && delivery.msg.payload == "kept")
    });
    assert!(stored, "the delivery to the offline session was written");
    store.finish(false);
    match publisher.recv().await {
        Some(Packet::PubAck(ack)) => {
            assert_eq!((ack.packet_id, ack.reason), (7, ReasonCode::SUCCESS))
        }
        other => panic!("expected PUBACK, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_commit_is_never_acknowledged() {
    let (store, broker, _sub) = broker_with_a_keeper().await;
    store.set(false, false);
    let mut publisher = published(&broker, "lost", 3).await;
    silent(&mut publisher).await;
    store.finish(true);
    match publisher.recv().await {
        Some(Packet::Disconnect(d)) => assert_eq!(d.reason, ReasonCode::QUOTA_EXCEEDED),
        other => panic!("expected DISCONNECT 0x97 and no PUBACK, got {other:?}"),
    }
    assert!(publisher.recv().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn an_unavailable_store_answers_quota_exceeded_and_the_broker_goes_on() {
    let (store, broker, mut sub) = broker_with_a_keeper().await;
    store.set(true, true);
    let mut publisher = published(&broker, "refused", 4).await;
    match publisher.recv().await {
        Some(Packet::PubAck(ack)) => assert_eq!(ack.reason, ReasonCode::QUOTA_EXCEEDED),
        other => panic!("expected PUBACK 0x97, got {other:?}"),
    }
    // QoS 0 does not touch the store and still flows.
    publisher
        .send(publish("t", "light", QoS::AtMostOnce, None))
        .await;
    let mut got = Vec::new();
    while got.len() < 2 {
        match sub.recv().await {
            Some(Packet::Publish(p)) => {
                if let Some(id) = p.packet_id {
                    sub.send(Packet::PubAck(ack(id))).await;
                }
                got.push(p.payload);
            }
            other => panic!("expected PUBLISH, got {other:?}"),
        }
    }
    assert!(got.iter().any(|p| p == "light"));
}

#[tokio::test(start_paused = true)]
async fn clean_sessions_and_qos0_never_touch_the_store() {
    let store = Recorder::new(true);
    let broker = broker_on(&store);
    let mut sub = Peer::open(&broker, ProtocolVersion::V3_1_1);
    sub.connect("fleeting", true, 0, Properties::default(), None)
        .await;
    sub.subscribe("t", QoS::AtLeastOnce).await;
    let mut publisher = Peer::open(&broker, ProtocolVersion::V3_1_1);
    publisher
        .connect("pub", true, 0, Properties::default(), None)
        .await;
    publisher
        .send(publish("t", "a", QoS::AtLeastOnce, Some(1)))
        .await;
    assert!(matches!(publisher.recv().await, Some(Packet::PubAck(_))));
    publisher
        .send(publish("t", "b", QoS::AtMostOnce, None))
        .await;
    for _ in 0..2 {
        if let Some(Packet::Publish(p)) = sub.recv().await {
            if let Some(id) = p.packet_id {
                sub.send(Packet::PubAck(ack(id))).await;
            }
        }
    }
    assert!(store.ops().is_empty(), "ops written: {:?}", store.ops());
}

#[tokio::test(start_paused = true)]
async fn a_restored_session_resends_its_inflight_message_with_dup() {
    let store = Recorder::new(true);
    let broker = broker_on(&store);
    let msg = Arc::new(Message::internal("t", "again", QoS::AtLeastOnce, false));
    let record = SessionRecord {
        expiry_interval: u32::MAX,
        disconnected_at: None,
        username: None,
        listener: 0,
        subscriptions: vec![StoredSubscription {
            filter: "t".into(),
            qos: QoS::AtLeastOnce,
            no_local: false,
            retain_as_published: false,
            sub_id: None,
            retain_handling: 0,
        }],
        will: None,
    };
    let delivery = |seq, inflight| RestoredDelivery {
        seq,
        delivery: StoredDelivery {
            msg: msg.clone(),
            qos: QoS::AtLeastOnce,
            retain: false,
            sub_ids: Vec::new(),
        },
        inflight,
    };
    let snapshot = Snapshot {
        sessions: vec![RestoredSession {
            client_id: "back".into(),
            record,
            deliveries: vec![
                delivery(10, Some((42, Stage::Published))),
                delivery(11, None),
            ],
            inbound: vec![9],
        }],
        retained: Vec::new(),
    };
    let restored = broker.restore(snapshot);
    assert_eq!((restored.sessions, restored.deliveries), (1, 2));
    let mut peer = Peer::open(&broker, ProtocolVersion::V3_1_1);
    assert!(
        peer.connect("back", false, 0, Properties::default(), None)
            .await,
        "session present"
    );
    match peer.recv().await {
        Some(Packet::Publish(p)) => assert_eq!((p.dup, p.packet_id), (true, Some(42))),
        other => panic!("expected the in-flight PUBLISH again, got {other:?}"),
    }
    match peer.recv().await {
        Some(Packet::Publish(p)) => assert!(!p.dup && p.packet_id != Some(42)),
        other => panic!("expected the queued PUBLISH, got {other:?}"),
    }
    // The inbound QoS 2 identifier came back: PUBREL finds it.
    peer.send(Packet::PubRel(ack(9))).await;
    match peer.recv().await {
        Some(Packet::PubComp(c)) => assert_eq!(c.packet_id, 9),
        other => panic!("expected PUBCOMP, got {other:?}"),
    }
    // The subscription came back too: a new message is delivered.
    broker.publish(&Arc::new(Message::internal(
        "t",
        "new",
        QoS::AtLeastOnce,
        false,
    )));
    match peer.recv().await {
        Some(Packet::Publish(p)) => assert_eq!(p.payload, "new"),
        other => panic!("expected the new PUBLISH, got {other:?}"),
    }
}

fn ack(packet_id: u16) -> PubResponse {
    PubResponse {
        packet_id,
        reason: ReasonCode::SUCCESS,
        properties: Properties::default(),
    }
}
