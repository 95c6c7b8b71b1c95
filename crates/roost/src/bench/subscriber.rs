//! One subscriber: reads deliveries until told to stop or the connection ends, counting each
//! and recording its latency (receipt time minus the send time in the payload).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use roost_client::Incoming;
use tokio::sync::watch;

use super::payload::{self, Clock};
use super::stats::{Counters, Latency};

/// Receives on `incoming` until `stop` turns true; returns the latencies of messages sent after
/// `warmup_end_ns`.
pub(crate) async fn run(
    mut incoming: Incoming,
    clock: Clock,
    counters: Arc<Counters>,
    warmup_end_ns: u64,
    mut stop: watch::Receiver<bool>,
) -> Latency {
    let mut latency = Latency::default();
    loop {
        let message = tokio::select! {
            message = incoming.recv() => message,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let Some(message) = message else { break };
        let now = clock.now_ns();
        let Some((sent_ns, _seq)) = payload::decode(&message.payload) else {
            Counters::bump(&counters.foreign);
            continue;
        };
        Counters::bump(&counters.received);
        counters.last_receive_ns.fetch_max(now, Ordering::Relaxed);
        if sent_ns >= warmup_end_ns {
            Counters::bump(&counters.received_measured);
            latency.record(now.saturating_sub(sent_ns) / 1000);
        }
    }
    latency
}
