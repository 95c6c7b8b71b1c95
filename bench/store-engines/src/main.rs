//! Compares redb and fjall on the workload of Roost's message store: several threads submit small
//! records (a ~150-byte value under a (client id, u64 sequence) key) to one group-commit writer
//! that applies each batch in one durable commit; every record is deleted (acknowledged) later,
//! as a subscriber's PUBACK removes its delivery.
//!
//! Run from this folder: `cargo run --release -- [SECONDS_PER_CASE]`.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const VALUE_LEN: usize = 150;
/// How many records a producer keeps unacknowledged before it deletes the oldest.
const IN_FLIGHT: usize = 100;

enum Rec {
    Put(Vec<u8>),
    Del(Vec<u8>),
}

trait Engine: Send + 'static {
    fn name(&self) -> String;
    fn commit(&mut self, batch: &[Rec]);
    fn size(&self) -> u64;
}

struct Redb {
    db: redb::Database,
    path: std::path::PathBuf,
}

const TABLE: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("deliveries");

impl Engine for Redb {
    fn name(&self) -> String {
        "redb 4.6 (Durability::Immediate)".into()
    }
    fn commit(&mut self, batch: &[Rec]) {
        let mut tx = self.db.begin_write().expect("begin");
        tx.set_durability(redb::Durability::Immediate)
            .expect("durability");
        {
            let mut t = tx.open_table(TABLE).expect("table");
            for r in batch {
                match r {
                    Rec::Put(k) => {
                        t.insert(k.as_slice(), [7u8; VALUE_LEN].as_slice())
                            .expect("insert");
                    }
                    Rec::Del(k) => {
                        t.remove(k.as_slice()).expect("remove");
                    }
                }
            }
        }
        tx.commit().expect("commit");
    }
    fn size(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }
}

struct Fjall {
    db: fjall::Database,
    ks: fjall::Keyspace,
    path: std::path::PathBuf,
}

impl Engine for Fjall {
    fn name(&self) -> String {
        "fjall 3.1 (batch, PersistMode::SyncAll)".into()
    }
    fn commit(&mut self, batch: &[Rec]) {
        let mut b = self.db.batch();
        for r in batch {
            match r {
                Rec::Put(k) => b.insert(&self.ks, k.as_slice(), [7u8; VALUE_LEN].as_slice()),
                Rec::Del(k) => b.remove(&self.ks, k.as_slice()),
            }
        }
        b.commit().expect("commit");
        self.db
            .persist(fjall::PersistMode::SyncAll)
            .expect("persist");
    }
    fn size(&self) -> u64 {
        dir_size(&self.path)
    }
}

fn dir_size(p: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

#[derive(Default)]
struct Queue {
    ops: Vec<Rec>,
    batch: u64,
    stop: bool,
}

struct Shared {
    q: Mutex<Queue>,
    ready: Condvar,
    done: Mutex<u64>,
    done_cv: Condvar,
}

struct Outcome {
    ops: u64,
    commits: u64,
    lat: Vec<Duration>,
    size: u64,
    secs: f64,
}

fn run(
    mut engine: Box<dyn Engine>,
    threads: usize,
    secs: f64,
    linger: Duration,
) -> (String, Outcome) {
    let name = engine.name();
    let sh = Arc::new(Shared {
        q: Mutex::new(Queue {
            batch: 1,
            ..Queue::default()
        }),
        ready: Condvar::new(),
        done: Mutex::new(0),
        done_cv: Condvar::new(),
    });
    let writer = {
        let sh = sh.clone();
        thread::spawn(move || {
            let mut lat = Vec::new();
            let mut ops = 0u64;
            loop {
                let (batch, n) = {
                    let mut q = sh.q.lock().expect("lock");
                    while q.ops.is_empty() && !q.stop {
                        q = sh.ready.wait(q).expect("wait");
                    }
                    if q.ops.is_empty() {
                        break;
                    }
                    if !linger.is_zero() {
                        drop(q);
                        thread::sleep(linger);
                        q = sh.q.lock().expect("lock");
                    }
                    let n = q.batch;
                    q.batch += 1;
                    (std::mem::take(&mut q.ops), n)
                };
                let t = Instant::now();
                engine.commit(&batch);
                lat.push(t.elapsed());
                ops += batch.len() as u64;
                *sh.done.lock().expect("lock") = n;
                sh.done_cv.notify_all();
            }
            (lat, ops, engine.size())
        })
    };
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let producers: Vec<_> = (0..threads)
        .map(|t| {
            let sh = sh.clone();
            thread::spawn(move || {
                let client = format!("client-{t:04}");
                let mut pending = VecDeque::new();
                let mut seq = 0u64;
                while Instant::now() < deadline {
                    seq += 1;
                    let mut key = client.as_bytes().to_vec();
                    key.push(0);
                    key.extend_from_slice(&seq.to_be_bytes());
                    let mut recs = vec![Rec::Put(key.clone())];
                    pending.push_back(key);
                    if pending.len() > IN_FLIGHT {
                        if let Some(old) = pending.pop_front() {
                            recs.push(Rec::Del(old));
                        }
                    }
                    let n = {
                        let mut q = sh.q.lock().expect("lock");
                        q.ops.extend(recs);
                        q.batch
                    };
                    sh.ready.notify_one();
                    // A publisher waits for its commit before the next message (PUBACK held back).
                    let mut d = sh.done.lock().expect("lock");
                    while *d < n {
                        d = sh.done_cv.wait(d).expect("wait");
                    }
                }
            })
        })
        .collect();
    for p in producers {
        p.join().expect("producer");
    }
    sh.q.lock().expect("lock").stop = true;
    sh.ready.notify_all();
    let (lat, ops, size) = writer.join().expect("writer");
    let secs = start.elapsed().as_secs_f64();
    (
        name,
        Outcome {
            ops,
            commits: lat.len() as u64,
            lat,
            size,
            secs,
        },
    )
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4.0);
    let base = std::env::temp_dir().join(format!("store-engines-{}", std::process::id()));
    println!("| engine | threads | linger | ops/s | commits/s | ops/commit | p50 commit ms | p99 commit ms | size after run |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for &threads in &[1usize, 8, 64] {
        for linger in [Duration::ZERO, Duration::from_micros(200)] {
            for kind in ["redb", "fjall"] {
                let dir = base.join(format!("{kind}-{threads}-{}", linger.as_micros()));
                std::fs::create_dir_all(&dir).expect("dir");
                let engine: Box<dyn Engine> = if kind == "redb" {
                    let path = dir.join("db.redb");
                    Box::new(Redb {
                        db: redb::Database::create(&path).expect("redb"),
                        path,
                    })
                } else {
                    let path = dir.join("fjall");
                    let db = fjall::Database::builder(&path).open().expect("fjall");
                    let ks = db
                        .keyspace("deliveries", fjall::KeyspaceCreateOptions::default)
                        .expect("ks");
                    Box::new(Fjall { db, ks, path })
                };
                let (name, mut o) = run(engine, threads, secs, linger);
                o.lat.sort();
                println!(
                    "| {name} | {threads} | {} µs | {:.0} | {:.0} | {:.1} | {:.2} | {:.2} | {:.1} MiB |",
                    linger.as_micros(),
                    o.ops as f64 / o.secs,
                    o.commits as f64 / o.secs,
                    o.ops as f64 / o.commits.max(1) as f64,
                    pct(&o.lat, 0.5),
                    pct(&o.lat, 0.99),
                    o.size as f64 / (1024.0 * 1024.0)
                );
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&base);
}
