//! The live progress line: once a second, on stderr, messages completed and received per second
//! since the last line; with `--pid`, the broker's RSS, whose peak the report keeps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::procstat;
use super::stats::Counters;

/// The running progress task; stops when dropped.
pub(crate) struct Progress {
    task: JoinHandle<()>,
    peak_rss_kb: Arc<AtomicU64>,
}

impl Progress {
    /// Starts printing progress of `counters`, sampling `pid` if given.
    pub(crate) fn start(counters: Arc<Counters>, pid: Option<u32>) -> Progress {
        let peak_rss_kb = Arc::new(AtomicU64::new(0));
        let peak = Arc::clone(&peak_rss_kb);
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut ticker = tokio::time::interval(Duration::from_secs(1));
            ticker.tick().await;
            let (mut sent, mut received) = (0, 0);
            loop {
                ticker.tick().await;
                let now_sent = Counters::get(&counters.completed);
                let now_received = Counters::get(&counters.received);
                let mut line = format!(
                    "[{:>4.0}s] sent {:>8}/s  received {:>8}/s",
                    started.elapsed().as_secs_f64(),
                    now_sent - sent,
                    now_received - received
                );
                if let Some(sample) = pid.and_then(|pid| procstat::sample(pid).ok()) {
                    peak.fetch_max(sample.rss_kb, Ordering::Relaxed);
                    line.push_str(&format!("  broker RSS {} kB", sample.rss_kb));
                }
                eprintln!("{line}");
                (sent, received) = (now_sent, now_received);
            }
        });
        Progress { task, peak_rss_kb }
    }

    /// The highest broker RSS seen so far, in kB (0 if never sampled).
    pub(crate) fn peak_rss_kb(&self) -> u64 {
        self.peak_rss_kb.load(Ordering::Relaxed)
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.task.abort();
    }
}
