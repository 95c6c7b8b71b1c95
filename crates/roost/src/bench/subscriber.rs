//! One subscriber: reads deliveries until told to stop or the connection ends, counting each
//! and recording its latency (receipt time minus the send time in the payload). With a pace
//! (`--sub-rate`) it takes at most that many messages a second: a slow subscriber, which the
//! client library then stops reading for, so the broker's queue fills.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use roost_client::{Incoming, Message};
use tokio::sync::watch;

use super::payload::{self, Clock};
use super::stats::{Counters, Latency};

/// Receives on `incoming` until `stop` turns true, at most `pace` messages a second if given;
/// returns the latencies of messages sent after `warmup_end_ns`.
pub(crate) async fn run(
    mut incoming: Incoming,
    clock: Clock,
    counters: Arc<Counters>,
    pace: Option<f64>,
    warmup_end_ns: u64,
    mut stop: watch::Receiver<bool>,
) -> Latency {
    let mut latency = Latency::default();
    let mut record = |message: Message| {
        let now = clock.now_ns();
        let Some((sent_ns, _seq)) = payload::decode(&message.payload) else {
            Counters::bump(&counters.foreign);
            return;
        };
        Counters::bump(&counters.received);
        counters.last_receive_ns.fetch_max(now, Ordering::Relaxed);
        if sent_ns >= warmup_end_ns {
            Counters::bump(&counters.received_measured);
            latency.record(now.saturating_sub(sent_ns) / 1000);
        }
    };
    if let Some(rate) = pace {
        // One message per interval at most, with no credit saved up while none came.
        let interval = Duration::from_secs_f64(1.0 / rate);
        let mut next = tokio::time::Instant::now();
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(next) => {}
                _ = stop.wait_for(|stop| *stop) => break,
            }
            let message = tokio::select! {
                message = incoming.recv() => message,
                _ = stop.wait_for(|stop| *stop) => break,
            };
            let Some(message) = message else { break };
            record(message);
            next = (next + interval).max(tokio::time::Instant::now());
        }
        return latency;
    }
    loop {
        // What has arrived is taken without waiting, and the stop is looked at between batches
        // rather than raced against every message: a subscriber receiving a million messages a
        // second would otherwise spend more on the race than on the messages.
        for _ in 0..DRAIN_BATCH {
            let Some(message) = incoming.try_recv() else {
                break;
            };
            record(message);
        }
        if *stop.borrow() {
            break;
        }
        let message = tokio::select! {
            message = incoming.recv() => message,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let Some(message) = message else { break };
        record(message);
    }
    latency
}

/// Messages taken from `Incoming` between two looks at the stop signal.
const DRAIN_BATCH: usize = 256;
