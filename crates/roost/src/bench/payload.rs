//! The benchmark payload: 8 bytes of send time (nanoseconds since the run's origin, big-endian),
//! 8 bytes of sequence number, then zero padding up to the requested size.
//!
//! Publishers and subscribers run in one process, so one monotonic origin ([`Clock`]) serves
//! both ends and latency needs no clock synchronisation.

use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};

/// The run's time origin, shared by every publisher and subscriber.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    origin: Instant,
}

impl Clock {
    /// A clock whose zero is now.
    pub(crate) fn start() -> Self {
        Clock {
            origin: Instant::now(),
        }
    }

    /// Nanoseconds since the origin.
    pub(crate) fn now_ns(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// The instant `ns` nanoseconds after the origin.
    pub(crate) fn at(&self, ns: u64) -> Instant {
        self.origin + Duration::from_nanos(ns)
    }
}

/// A payload of `size` bytes (at least 16) carrying `sent_ns` and `seq`.
pub(crate) fn encode(size: usize, sent_ns: u64, seq: u64) -> Bytes {
    let mut buf = BytesMut::with_capacity(size);
    buf.put_u64(sent_ns);
    buf.put_u64(seq);
    buf.resize(size.max(16), 0);
    buf.freeze()
}

/// The send time and sequence number of a payload, if it is long enough to hold them.
pub(crate) fn decode(payload: &[u8]) -> Option<(u64, u64)> {
    let sent = payload.get(..8)?.try_into().ok()?;
    let seq = payload.get(8..16)?.try_into().ok()?;
    Some((u64::from_be_bytes(sent), u64::from_be_bytes(seq)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_pads() {
        let payload = encode(64, 123_456_789, 42);
        assert_eq!(payload.len(), 64);
        assert_eq!(decode(&payload), Some((123_456_789, 42)));
        assert!(payload[16..].iter().all(|&b| b == 0));
    }

    #[test]
    fn short_payload_is_not_ours() {
        assert_eq!(decode(b"too short"), None);
    }
}
