//! kill -9: a child process writes deliveries and reports each commit that finished; it is killed
//! mid-stream, and the reopened store holds every reported delivery with no gap in the order.
//! Its own `main` (harness = false): the same binary is the child when `CHILD_ENV` names a path.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use roost_broker::store::{Op, SessionRecord, Store, StoredDelivery};
use roost_broker::Message;
use roost_proto::QoS;

const CHILD_ENV: &str = "ROOST_STORE_CRASH_CHILD";

fn child(path: &str) {
    let (store, snap) = roost_store::open(path.as_ref()).expect("child opens");
    assert!(snap.sessions.is_empty());
    let record = SessionRecord {
        expiry_interval: u32::MAX,
        disconnected_at: None,
        username: None,
        listener: 0,
        subscriptions: Vec::new(),
        will: None,
    };
    store
        .submit(Op::PutSession(Arc::from("c"), record))
        .expect("ok");
    let rx = store.progress();
    let mut seq = 0u64;
    loop {
        let mut last = 0;
        for _ in 0..50 {
            seq += 1;
            let msg = Message::internal("t", format!("m{seq}"), QoS::AtLeastOnce, false);
            last = store
                .submit(Op::PutDelivery {
                    client: Arc::from("c"),
                    seq,
                    delivery: StoredDelivery {
                        msg: Arc::new(msg),
                        qos: QoS::AtLeastOnce,
                        retain: false,
                        sub_ids: Vec::new(),
                    },
                })
                .expect("ok");
        }
        while rx.borrow().finished < last {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        println!("committed {seq}");
    }
}

fn parent() -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("roost.db");
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("child starts");
    let stdout = child.stdout.take().expect("piped");
    let mut committed = 0u64;
    for line in BufReader::new(stdout).lines().take(20) {
        let line = line.expect("line");
        if let Some(n) = line.strip_prefix("committed ") {
            committed = n.parse().expect("number");
        }
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let (_store, snap) = roost_store::open(&path).expect("reopens after kill -9");
    let seqs: Vec<u64> = snap.sessions[0].deliveries.iter().map(|d| d.seq).collect();
    let max = seqs.last().copied().unwrap_or(0);
    let contiguous = seqs.iter().copied().eq(1..=max);
    println!("child reported {committed} committed; the store holds 1..={max}");
    committed > 0 && max >= committed && contiguous
}

fn main() {
    if let Some(path) = std::env::var_os(CHILD_ENV) {
        child(&path.to_string_lossy());
        return;
    }
    if parent() {
        println!("test every_reported_commit_survives_kill_9 ... ok");
        println!("1 passed, 0 failed");
    } else {
        println!("test every_reported_commit_survives_kill_9 ... FAILED");
        println!("0 passed, 1 failed");
        std::process::exit(1);
    }
}
