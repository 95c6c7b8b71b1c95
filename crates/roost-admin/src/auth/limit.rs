//! Failed logins limited per client address: after [`MAX_FAILURES`] failures within
//! [`WINDOW`], every login from that address is refused (429) until the window ends. The table is
//! bounded: when full, windows that have ended are dropped, and if none has, the oldest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failures allowed per address per window.
pub(crate) const MAX_FAILURES: u32 = 5;
/// The window.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);
/// Addresses tracked at once.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct LoginLimiter {
    failures: HashMap<IpAddr, (Instant, u32)>,
}

impl LoginLimiter {
    /// Seconds to wait when `ip` may not try now.
    pub(crate) fn blocked(&self, ip: IpAddr, now: Instant) -> Option<u64> {
        let (start, count) = self.failures.get(&ip)?;
        let left = WINDOW
            .checked_sub(now.saturating_duration_since(*start))
            .filter(|left| !left.is_zero())?;
        (*count >= MAX_FAILURES).then(|| left.as_secs().max(1))
    }

    /// Counts a failed login from `ip`.
    pub(crate) fn failed(&mut self, ip: IpAddr, now: Instant) {
        if self.failures.len() >= MAX_TRACKED && !self.failures.contains_key(&ip) {
            self.failures
                .retain(|_, (start, _)| now.saturating_duration_since(*start) < WINDOW);
            if self.failures.len() >= MAX_TRACKED {
                let oldest = self
                    .failures
                    .iter()
                    .min_by_key(|(_, (s, _))| *s)
                    .map(|(k, _)| *k);
                if let Some(oldest) = oldest {
                    self.failures.remove(&oldest);
                }
            }
        }
        let entry = self.failures.entry(ip).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    /// A successful login clears the address's failures.
    pub(crate) fn succeeded(&mut self, ip: IpAddr) {
        self.failures.remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_ends() {
        let mut limiter = LoginLimiter::default();
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        let other: IpAddr = "10.0.0.2".parse().expect("ip");
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            limiter.failed(ip, t0);
        }
        assert_eq!(limiter.blocked(ip, t0), None);
        limiter.failed(ip, t0);
        assert!(limiter.blocked(ip, t0).is_some());
        assert_eq!(limiter.blocked(other, t0), None);
        assert_eq!(limiter.blocked(ip, t0 + WINDOW), None);
        limiter.failed(ip, t0 + WINDOW);
        assert_eq!(limiter.blocked(ip, t0 + WINDOW), None, "a new window");
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED as u32 + 100) {
            limiter.failed(IpAddr::from(i.to_be_bytes()), t0);
        }
        assert!(limiter.failures.len() <= MAX_TRACKED);
    }
}
