//! One publisher: sends timestamped payloads to its topic until its count or time is up, keeping
//! at most `--inflight` publishes outstanding, at a fixed rate when `-r` is given.
//!
//! A publish counts as completed when its exchange ends (written for QoS 0, PUBACK for QoS 1,
//! PUBCOMP for QoS 2); only completed publishes are expected at the subscribers.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use roost_client::{Client, PendingPublish, Properties};
use tokio::time::{sleep_until, timeout, Instant};

use super::args::Stop;
use super::payload::{self, Clock};
use super::stats::Counters;

/// How long one outstanding publish may wait for its acknowledgement before it counts as
/// failed and its publisher stops: a stalled broker must not hang the run.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// What every publisher of a run shares.
#[derive(Debug)]
pub(crate) struct PublishPlan {
    pub(crate) clock: Clock,
    pub(crate) counters: Arc<Counters>,
    pub(crate) qos: roost_client::QoS,
    pub(crate) size: usize,
    pub(crate) inflight: usize,
    pub(crate) stop: Stop,
    pub(crate) rate: Option<f64>,
    /// Messages sent before this time (ns since the clock's origin) are warm-up.
    pub(crate) warmup_end_ns: u64,
}

/// Publishes to `topic` as `plan` says; returns when the last publish completed, in ns since
/// the clock's origin.
pub(crate) async fn run(client: Client, topic: String, plan: Arc<PublishPlan>) -> u64 {
    let start_ns = plan.clock.now_ns();
    let start = Instant::from_std(plan.clock.at(start_ns));
    let mut window: VecDeque<(u64, PendingPublish)> = VecDeque::with_capacity(plan.inflight);
    let mut seq: u64 = 0;
    let mut healthy = true;
    while healthy && !finished(&plan, seq, start) {
        if let Some(rate) = plan.rate {
            // A publisher behind its schedule sends at once: going through the timer for a
            // deadline already past costs a lock on the runtime's timer at every message.
            let due = start + Duration::from_secs_f64(seq as f64 / rate);
            if due > Instant::now() {
                sleep_until(due).await;
            }
        }
        let sent_ns = plan.clock.now_ns();
        let body = payload::encode(plan.size, sent_ns, seq);
        match client
            .begin_publish(topic.clone(), body, plan.qos, false, Properties::default())
            .await
        {
            Ok(pending) => window.push_back((sent_ns, pending)),
            Err(_) => {
                Counters::bump(&plan.counters.failed);
                break;
            }
        }
        seq += 1;
        while window.len() >= plan.inflight {
            let (sent_ns, pending) = window.pop_front().expect("the window is not empty");
            healthy = settle(&plan, sent_ns, pending).await;
        }
    }
    while let Some((sent_ns, pending)) = window.pop_front() {
        settle(&plan, sent_ns, pending).await;
    }
    plan.clock.now_ns()
}

/// True once the publisher has sent all it should.
fn finished(plan: &PublishPlan, seq: u64, start: Instant) -> bool {
    match plan.stop {
        Stop::Count(count) => seq >= count,
        Stop::After(duration) => {
            let warmup = Duration::from_nanos(plan.warmup_end_ns);
            start.elapsed() >= duration + warmup
        }
    }
}

/// Waits for one outstanding publish and counts how it ended; false if it failed.
async fn settle(plan: &PublishPlan, sent_ns: u64, pending: PendingPublish) -> bool {
    match timeout(ACK_TIMEOUT, pending).await {
        Ok(Ok(outcome)) if outcome.is_success() => {
            Counters::bump(&plan.counters.completed);
            if sent_ns >= plan.warmup_end_ns {
                Counters::bump(&plan.counters.completed_measured);
            }
            true
        }
        _ => {
            Counters::bump(&plan.counters.failed);
            false
        }
    }
}
