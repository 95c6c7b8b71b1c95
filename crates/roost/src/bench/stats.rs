//! What a run counts while it runs (lock-free counters shared by every task) and the latency
//! histogram each subscriber keeps for itself and hands back at the end.
//!
//! Counters are relaxed atomics: they are read for the progress line and, after every task has
//! finished, for the report; no decision depends on their order.

use std::sync::atomic::{AtomicU64, Ordering};

use hdrhistogram::Histogram;

/// Counters of one run.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Publishes whose exchange completed: written (QoS 0), PUBACK (1), PUBCOMP (2).
    pub(crate) completed: AtomicU64,
    /// Of those, the ones sent after the warm-up.
    pub(crate) completed_measured: AtomicU64,
    /// Publishes refused by the broker, failed, or not acknowledged in time.
    pub(crate) failed: AtomicU64,
    /// Messages received by subscribers.
    pub(crate) received: AtomicU64,
    /// Of those, the ones sent after the warm-up.
    pub(crate) received_measured: AtomicU64,
    /// Received payloads too short to carry a timestamp (not ours).
    pub(crate) foreign: AtomicU64,
    /// When the last message arrived, in nanoseconds since the run's origin.
    pub(crate) last_receive_ns: AtomicU64,
}

impl Counters {
    /// Adds one to `counter`.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads `counter`.
    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// The largest latency the histogram tells apart: 10 minutes, in microseconds.
const MAX_MICROS: u64 = 600_000_000;

/// Latency in microseconds, from the send time in the payload to receipt.
#[derive(Debug)]
pub(crate) struct Latency {
    histogram: Histogram<u64>,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            // 1 µs to 10 minutes at three significant figures; a slower message is counted as
            // 10 minutes rather than dropped.
            histogram: Histogram::new_with_bounds(1, MAX_MICROS, 3)
                .expect("1 ..= 10 minutes at 3 significant figures is a valid range"),
        }
    }
}

impl Latency {
    /// Records one latency.
    pub(crate) fn record(&mut self, micros: u64) {
        self.histogram.saturating_record(micros);
    }

    /// Adds another subscriber's latencies.
    pub(crate) fn merge(&mut self, other: &Latency) {
        // Both have the same range, so adding cannot fail.
        let _ = self.histogram.add(&other.histogram);
    }

    /// The summary for the report; `None` when nothing was recorded.
    pub(crate) fn summary(&self) -> Option<LatencySummary> {
        if self.histogram.is_empty() {
            return None;
        }
        let h = &self.histogram;
        Some(LatencySummary {
            p50: h.value_at_quantile(0.50),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        })
    }
}

/// Latency percentiles in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LatencySummary {
    pub(crate) p50: u64,
    pub(crate) p99: u64,
    pub(crate) p999: u64,
    pub(crate) max: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_percentiles() {
        let mut a = Latency::default();
        let mut b = Latency::default();
        for v in 1..=500 {
            a.record(v);
        }
        for v in 501..=1000 {
            b.record(v);
        }
        a.merge(&b);
        let s = a.summary().expect("recorded");
        assert!((499..=501).contains(&s.p50), "{s:?}");
        assert!((989..=991).contains(&s.p99), "{s:?}");
        assert_eq!(s.max, 1000);
    }

    #[test]
    fn empty_has_no_summary() {
        assert_eq!(Latency::default().summary(), None);
    }
}
