//! The store through the broker's interface: every op written and read back after a reopen, ops
//! applied in submission order, many submitters sharing few commits, close and drop.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::{delivery, session, wait_for};
use roost_broker::store::{Op, Stage, Store, Unavailable};
use roost_broker::Message;
use roost_proto::QoS;

fn client(name: &str) -> Arc<str> {
    Arc::from(name)
}

fn put(c: &str, seq: u64) -> Op {
    Op::PutDelivery {
        client: client(c),
        seq,
        delivery: delivery("t/1", &format!("m{seq}")),
    }
}

fn del(c: &str, seq: u64) -> Op {
    Op::DeleteDelivery {
        client: client(c),
        seq,
    }
}

/// Submits every op and waits for the commit of the last.
fn write_all(store: &dyn Store, ops: Vec<Op>) {
    let mut last = 0;
    for op in ops {
        last = store.submit(op).expect("store is writing");
    }
    wait_for(store, last);
}

#[test]
fn every_op_survives_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("roost.db");
    let (store, snap) = roost_store::open(&path).expect("opens");
    assert!(snap.sessions.is_empty() && snap.retained.is_empty());
    let stored_at = SystemTime::now();
    let mut retained = Message::internal("r/a", "kept", QoS::ExactlyOnce, true);
    retained.origin_username = Some(Arc::from("alice"));
    write_all(
        &*store,
        vec![
            Op::PutSession(client("c1"), session("alice")),
            put("c1", 3),
            put("c1", 1),
            put("c1", 2),
            put("c1", 4),
            Op::PutInflight {
                client: client("c1"),
                seq: 1,
                packet_id: 11,
                stage: Stage::Published,
            },
            Op::PutInflight {
                client: client("c1"),
                seq: 2,
                packet_id: 12,
                stage: Stage::Released,
            },
            del("c1", 4),
            Op::AddInbound(client("c1"), 9),
            Op::AddInbound(client("c1"), 5),
            Op::AddInbound(client("c1"), 7),
            Op::RemoveInbound(client("c1"), 7),
            Op::PutSession(client("c2"), session("bob")),
            put("c2", 10),
            Op::AddInbound(client("c2"), 1),
            Op::DeleteSession(client("c2")),
            Op::PutRetained(Arc::new(retained), stored_at),
            Op::PutRetained(
                Arc::new(Message::internal("r/b", "gone", QoS::AtMostOnce, true)),
                stored_at,
            ),
            Op::DeleteRetained(Arc::from("r/b")),
        ],
    );
    assert!(store.size() > 0);
    drop(store);

    let (_store, snap) = roost_store::open(&path).expect("reopens");
    assert_eq!(snap.sessions.len(), 1, "c2 was deleted with its rows");
    let s = &snap.sessions[0];
    assert_eq!(&*s.client_id, "c1");
    let want = session("alice");
    assert_eq!(s.record.subscriptions, want.subscriptions);
    assert_eq!(s.record.will, want.will);
    assert_eq!(s.record.username, want.username);
    assert_eq!(s.record.listener, 2);
    assert_eq!(s.record.expiry_interval, 3600);
    assert!(s.record.disconnected_at.is_some());
    let seqs: Vec<u64> = s.deliveries.iter().map(|d| d.seq).collect();
    assert_eq!(seqs, [1, 2, 3], "in sequence order, 4 deleted");
    assert_eq!(s.deliveries[0].inflight, Some((11, Stage::Published)));
    assert_eq!(s.deliveries[1].inflight, Some((12, Stage::Released)));
    assert_eq!(s.deliveries[2].inflight, None);
    let d = &s.deliveries[0].delivery;
    assert_eq!(&d.msg.payload[..], b"m1");
    assert_eq!(d.msg.properties.user_properties, [("k".into(), "v".into())]);
    assert_eq!(d.msg.origin.as_deref(), Some("publisher"));
    assert_eq!(d.sub_ids, [42]);
    assert_eq!(d.qos, QoS::AtLeastOnce);
    assert_eq!(s.inbound, [5, 9]);
    assert_eq!(snap.max_seq(), 3);
    assert_eq!(snap.retained.len(), 1);
    let (msg, at) = &snap.retained[0];
    assert_eq!(&*msg.topic, "r/a");
    assert_eq!(msg.qos, QoS::ExactlyOnce);
    assert_eq!(msg.origin_username.as_deref(), Some("alice"));
    let gap = at
        .duration_since(stored_at)
        .unwrap_or_else(|e| e.duration());
    assert!(gap < Duration::from_millis(1), "stored_at kept to the ms");
}

#[test]
fn ops_apply_in_submission_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("roost.db");
    let (store, _) = roost_store::open(&path).expect("opens");
    let mut same_batch = 0;
    for round in 0..20u64 {
        let a = round * 2;
        let b = a + 1;
        let n1 = store.submit(put("c", a)).expect("ok");
        let n2 = store.submit(del("c", a)).expect("ok");
        let n3 = store.submit(del("c", b)).expect("ok");
        let n4 = store.submit(put("c", b)).expect("ok");
        same_batch += u32::from(n1 == n2 && n3 == n4);
        wait_for(&*store, n4);
    }
    println!("{same_batch} of 20 rounds had each pair in one batch");
    assert!(same_batch > 0, "no pair ever shared a batch");
    store.close();
    drop(store);
    let (_store, snap) = roost_store::open(&path).expect("reopens");
    let seqs: Vec<u64> = snap
        .sessions
        .iter()
        .flat_map(|s| s.deliveries.iter().map(|d| d.seq))
        .collect();
    assert!(
        seqs.is_empty(),
        "rows of a client with no session are not restored"
    );
    drop(_store);
    // Nor kept: a session of that name made later does not inherit them.
    let (store, _) = roost_store::open(&path).expect("reopens");
    write_all(&*store, vec![Op::PutSession(client("c"), session("u"))]);
    drop(store);
    let (_store, snap) = roost_store::open(&path).expect("reopens");
    assert!(
        snap.sessions[0].deliveries.is_empty(),
        "orphan rows were purged at the previous open"
    );

    // With a session, what is left is exactly the odd seqs (delete then put keeps the put).
    let (store, _) = roost_store::open(&dir.path().join("b.db")).expect("opens");
    let mut ops = vec![Op::PutSession(client("c"), session("u"))];
    for a in (0..40u64).step_by(2) {
        ops.extend([put("c", a), del("c", a), del("c", a + 1), put("c", a + 1)]);
    }
    write_all(&*store, ops);
    drop(store);
    let (_store, snap) = roost_store::open(&dir.path().join("b.db")).expect("reopens");
    let seqs: Vec<u64> = snap.sessions[0].deliveries.iter().map(|d| d.seq).collect();
    let odd: Vec<u64> = (0..40).filter(|s| s % 2 == 1).collect();
    assert_eq!(seqs, odd);
}

#[test]
fn many_submitters_share_few_commits() {
    const THREADS: u64 = 8;
    const EACH: u64 = 5_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, _) = roost_store::open(&dir.path().join("roost.db")).expect("opens");
    let started = Instant::now();
    let last = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let store = &store;
                scope.spawn(move || {
                    let name = format!("client-{t}");
                    let mut last = 0;
                    for i in 0..EACH {
                        last = store.submit(put(&name, t * EACH + i)).expect("ok");
                    }
                    last
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("submitter"))
            .max()
            .unwrap_or(0)
    });
    let progress = wait_for(&*store, last);
    let ops = THREADS * EACH;
    println!(
        "{ops} ops in {} commits ({:.0} ops per commit) in {:?}",
        progress.finished,
        ops as f64 / progress.finished as f64,
        started.elapsed()
    );
    assert_eq!(progress.failures, 0);
    assert!(
        progress.finished * 20 < ops,
        "{} commits for {ops} ops",
        progress.finished
    );
}

#[test]
fn ops_submitted_together_land_in_one_commit() {
    // Regression: an inbound QoS 2 identifier and its message's deliveries went into different
    // commits, and a crash between them lost an acknowledged message.
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, _) = roost_store::open(&dir.path().join("roost.db")).expect("opens");
    let stop = std::sync::atomic::AtomicBool::new(false);
    let split = std::thread::scope(|scope| {
        // Another connection keeps the writer busy, commit after commit.
        scope.spawn(|| {
            let mut seq = 1_000_000;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = store.submit(put("busy", seq));
                seq += 1;
            }
        });
        let mut split = Vec::new();
        for round in 0..50u64 {
            let mut numbers = Vec::new();
            store.together(&mut || {
                for i in 0..3 {
                    numbers.push(store.submit(put("pair", round * 3 + i)));
                    std::thread::sleep(Duration::from_micros(300));
                }
            });
            if numbers.windows(2).any(|w| w[0] != w[1]) {
                split.push((round, numbers));
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        split
    });
    assert!(split.is_empty(), "split across commits: {split:?}");
}

#[test]
fn batch_numbers_start_at_one_and_count_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, _) = roost_store::open(&dir.path().join("roost.db")).expect("opens");
    assert_eq!(store.progress().borrow().finished, 0);
    let first = store.submit(del("c", 1)).expect("ok");
    assert_eq!(first, 1);
    wait_for(&*store, 1);
    let second = store.submit(del("c", 2)).expect("ok");
    assert_eq!(second, 2);
    assert_eq!(wait_for(&*store, 2).finished, 2);
}

#[test]
fn a_store_dropped_without_close_keeps_finished_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("roost.db");
    let (store, _) = roost_store::open(&path).expect("opens");
    write_all(
        &*store,
        vec![Op::PutSession(client("c"), session("u")), put("c", 1)],
    );
    drop(store);
    let (_store, snap) = roost_store::open(&path).expect("reopens");
    assert_eq!(snap.sessions[0].deliveries.len(), 1);
}

#[test]
fn close_writes_what_is_queued_and_refuses_later_ops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("roost.db");
    let (store, _) = roost_store::open(&path).expect("opens");
    store
        .submit(Op::PutSession(client("c"), session("u")))
        .expect("ok");
    for seq in 0..100 {
        store.submit(put("c", seq)).expect("ok");
    }
    store.close();
    store.close();
    assert_eq!(store.submit(put("c", 500)), Err(Unavailable));
    drop(store);
    let (_store, snap) = roost_store::open(&path).expect("reopens");
    assert_eq!(snap.sessions[0].deliveries.len(), 100);
}

#[test]
fn expired_messages_are_dropped_at_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("roost.db");
    let (store, _) = roost_store::open(&path).expect("opens");
    let soon = Some(Instant::now() + Duration::from_millis(300));
    let later = Some(Instant::now() + Duration::from_secs(3600));
    let msg = |topic: &str, expires_at| {
        Arc::new(Message {
            expires_at,
            ..Message::internal(topic, "x", QoS::AtLeastOnce, true)
        })
    };
    let deliver = |seq, m: Arc<Message>| Op::PutDelivery {
        client: client("c"),
        seq,
        delivery: roost_broker::store::StoredDelivery {
            msg: m,
            qos: QoS::AtLeastOnce,
            retain: false,
            sub_ids: Vec::new(),
        },
    };
    write_all(
        &*store,
        vec![
            Op::PutSession(client("c"), session("u")),
            deliver(1, msg("d/soon", soon)),
            deliver(2, msg("d/later", later)),
            Op::PutRetained(msg("r/soon", soon), SystemTime::now()),
            Op::PutRetained(msg("r/later", later), SystemTime::now()),
        ],
    );
    drop(store);
    std::thread::sleep(Duration::from_millis(400));
    let (store, snap) = roost_store::open(&path).expect("reopens");
    let seqs: Vec<u64> = snap.sessions[0].deliveries.iter().map(|d| d.seq).collect();
    assert_eq!(seqs, [2]);
    let left = snap.sessions[0].deliveries[0]
        .delivery
        .msg
        .remaining_expiry(Instant::now());
    assert!(matches!(left, Some(3590..=3600)), "{left:?}");
    let topics: Vec<&str> = snap.retained.iter().map(|(m, _)| &*m.topic).collect();
    assert_eq!(topics, ["r/later"]);
    drop(store);
    // They are gone from the file too, not only from the snapshot.
    let (_store, snap) = roost_store::open(&path).expect("reopens");
    assert_eq!(snap.retained.len(), 1);
}
