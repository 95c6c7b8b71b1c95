//! A full disk: commits fail, the failure is visible in the progress and in `submit`, the ops are
//! kept in order, and once space is freed the store writes them and takes ops again. Runs on a
//! 2 MiB tmpfs mounted for the test (we run as root); skipped, saying why, where mount is refused.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use common::{session, wait_for};
use roost_broker::store::{Op, Store, StoredDelivery, Unavailable};
use roost_broker::Message;
use roost_proto::QoS;

/// Log lines, shared with the subscriber that writes them (the writer thread logs).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

/// A small tmpfs, unmounted on drop.
struct Tmpfs {
    dir: PathBuf,
    _base: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let base = tempfile::tempdir().map_err(|e| e.to_string())?;
        let dir = base.path().join("fs");
        std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs { dir, _base: base })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

/// Writes a file until the disk refuses; returns its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).expect("filler");
    let chunk = vec![0u8; 16 * 1024];
    while f.write_all(&chunk).and_then(|()| f.sync_all()).is_ok() {}
    path
}

fn big(seq: u64) -> Op {
    let payload = vec![seq as u8; 64 * 1024];
    Op::PutDelivery {
        client: Arc::from("c"),
        seq,
        delivery: StoredDelivery {
            msg: Arc::new(Message::internal("big", payload, QoS::AtLeastOnce, false)),
            qos: QoS::AtLeastOnce,
            retain: false,
            sub_ids: Vec::new(),
        },
    }
}

fn small(seq: u64) -> Op {
    Op::PutDelivery {
        client: Arc::from("c"),
        seq,
        delivery: StoredDelivery {
            msg: Arc::new(Message::internal("small", "x", QoS::AtLeastOnce, false)),
            qos: QoS::AtLeastOnce,
            retain: false,
            sub_ids: Vec::new(),
        },
    }
}

#[test]
fn a_full_disk_fails_commits_then_recovers_with_every_kept_op() {
    let fs = match Tmpfs::mount("2m") {
        Ok(fs) => fs,
        Err(why) => {
            println!("skipped: cannot mount a tmpfs ({why})");
            return;
        }
    };
    let logs = Logs::default();
    let sink = logs.clone();
    tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .init();
    let path = fs.dir.join("roost.db");
    let (store, _) = roost_store::open(&path).expect("opens");
    let n = store
        .submit(Op::PutSession(Arc::from("c"), session("u")))
        .expect("ok");
    assert_eq!(wait_for(&*store, n).failures, 0);
    let filler = fill(&fs.dir);

    // Submit until a commit fails: the disk is full, so one must.
    let rx = store.progress();
    let mut seq = 0;
    let until = Instant::now() + Duration::from_secs(10);
    while rx.borrow().failures == 0 {
        assert!(Instant::now() < until, "no commit failed on a full disk");
        seq += 1;
        if let Ok(n) = store.submit(big(seq)) {
            wait_for(&*store, n);
        }
    }
    let failed_at = *rx.borrow();
    println!("first failure after {seq} big ops: {failed_at:?}");
    // While failing, submit says so but still keeps the op.
    seq += 1;
    assert_eq!(store.submit(big(seq)), Err(Unavailable));
    std::thread::sleep(Duration::from_millis(1200));
    assert!(
        rx.borrow().failures > failed_at.failures,
        "the writer retries: {:?}",
        *rx.borrow()
    );

    // Memory is bounded: past 100,000 kept ops, new ones are dropped (this marker is).
    for i in 0..100_000u64 {
        let _ = store.submit(Op::DeleteDelivery {
            client: Arc::from("c"),
            seq: 10_000_000 + i,
        });
    }
    assert_eq!(store.submit(small(9_999_999)), Err(Unavailable));

    // A new store cannot be made on the full disk either.
    match roost_store::open(&fs.dir.join("other.db")) {
        Err(e) => println!("opening a new store on the full disk: {e}"),
        Ok(_) => println!("a new store opened on the full disk (the engine had what it needed)"),
    }

    std::fs::remove_file(&filler).expect("free space");
    // Probe with ops that change nothing until submit takes ops again (while the queue is full,
    // a probe is dropped like any op, harmlessly).
    let until = Instant::now() + Duration::from_secs(10);
    while store
        .submit(Op::DeleteDelivery {
            client: Arc::from("c"),
            seq: 0,
        })
        .is_err()
    {
        assert!(Instant::now() < until, "the store did not recover");
        std::thread::sleep(Duration::from_millis(100));
    }
    let failures = rx.borrow().failures;
    let after = store.submit(big(seq + 1)).expect("writing again");
    assert_eq!(
        wait_for(&*store, after).failures,
        failures,
        "no failure after recovery"
    );
    drop(store);

    let (_store, snap) = roost_store::open(&path).expect("reopens");
    let seqs: Vec<u64> = snap.sessions[0].deliveries.iter().map(|d| d.seq).collect();
    let all: Vec<u64> = (1..=seq + 1).collect();
    assert_eq!(
        seqs, all,
        "every op kept while failing was written in order, and the dropped marker was not"
    );

    let text = logs.text();
    print!("{text}");
    let errors: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ERROR") && !l.contains("dropping newer ones"))
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "one error line for the whole failure: {errors:?}"
    );
    assert!(
        errors[0].contains(&path.display().to_string()),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("cannot write ("), "{}", errors[0]);
    let has = |level: &str, words: &[&str]| {
        text.lines()
            .any(|l| l.contains(level) && words.iter().all(|w| l.contains(w)))
    };
    assert!(
        has("ERROR", &["100000 changes wait", "dropping newer ones"]),
        "{text}"
    );
    assert!(
        has("INFO", &["recovered", "newer ones were dropped"]),
        "{text}"
    );
}
