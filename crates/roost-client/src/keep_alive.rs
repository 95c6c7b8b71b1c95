//! [`KeepAlive`]: when to send PINGREQ and when to give up on the broker.
//!
//! A function of the times packets were sent and PINGRESP arrived, and of `now`: no timers here.
//! The client must send some packet within every keep-alive interval [MQTT-3.1.2-23]; when it has
//! sent nothing for a whole interval it pings, and if the PINGRESP does not come within another
//! interval the connection is considered dead.

use std::time::Duration;

use tokio::time::Instant;

/// What the keep-alive timer asks for at a given moment.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum KeepAliveAction {
    /// Nothing is due.
    Idle,
    /// Send PINGREQ now.
    Ping,
    /// A PINGREQ went unanswered for a whole interval.
    TimedOut,
}

/// Keep-alive state of one connection.
#[derive(Debug)]
pub(crate) struct KeepAlive {
    interval: Option<Duration>,
    last_sent: Instant,
    ping_sent: Option<Instant>,
}

impl KeepAlive {
    /// `seconds` of 0 turns keep-alive off.
    pub(crate) fn new(seconds: u16, now: Instant) -> Self {
        KeepAlive {
            interval: (seconds > 0).then(|| Duration::from_secs(u64::from(seconds))),
            last_sent: now,
            ping_sent: None,
        }
    }

    /// A packet was written.
    pub(crate) fn sent(&mut self, now: Instant) {
        self.last_sent = now;
    }

    /// PINGRESP arrived.
    pub(crate) fn pong(&mut self) {
        self.ping_sent = None;
    }

    /// The next moment [`KeepAlive::poll`] has something to do; `None` when keep-alive is off.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let interval = self.interval?;
        Some(match self.ping_sent {
            Some(at) => at + interval,
            None => self.last_sent + interval,
        })
    }

    /// What to do at `now`. After [`KeepAliveAction::Ping`] the caller must send PINGREQ.
    pub(crate) fn poll(&mut self, now: Instant) -> KeepAliveAction {
        match self.deadline() {
            Some(deadline) if now >= deadline => {
                if self.ping_sent.is_some() {
                    KeepAliveAction::TimedOut
                } else {
                    self.ping_sent = Some(now);
                    KeepAliveAction::Ping
                }
            }
            _ => KeepAliveAction::Idle,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn pings_after_an_idle_interval_and_times_out_without_an_answer() {
        let t0 = Instant::now();
        let mut k = KeepAlive::new(10, t0);
        assert_eq!(k.poll(t0 + 9 * S), KeepAliveAction::Idle);
        assert_eq!(k.deadline(), Some(t0 + 10 * S));
        assert_eq!(k.poll(t0 + 10 * S), KeepAliveAction::Ping);
        k.sent(t0 + 10 * S);
        assert_eq!(k.poll(t0 + 19 * S), KeepAliveAction::Idle);
        assert_eq!(k.poll(t0 + 20 * S), KeepAliveAction::TimedOut);
    }

    #[test]
    fn traffic_postpones_the_ping_and_pong_clears_it() {
        let t0 = Instant::now();
        let mut k = KeepAlive::new(10, t0);
        k.sent(t0 + 8 * S);
        assert_eq!(k.poll(t0 + 10 * S), KeepAliveAction::Idle);
        assert_eq!(k.poll(t0 + 18 * S), KeepAliveAction::Ping);
        k.sent(t0 + 18 * S);
        k.pong();
        assert_eq!(k.poll(t0 + 27 * S), KeepAliveAction::Idle);
        assert_eq!(k.poll(t0 + 28 * S), KeepAliveAction::Ping);
    }

    #[test]
    fn zero_turns_it_off() {
        let t0 = Instant::now();
        let mut k = KeepAlive::new(0, t0);
        assert_eq!(k.deadline(), None);
        assert_eq!(k.poll(t0 + 1000 * S), KeepAliveAction::Idle);
    }
}
