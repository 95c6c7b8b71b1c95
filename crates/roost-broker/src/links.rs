//! How the broker reaches its connections without a channel, a watch or a timer in each.
//!
//! Every connection past CONNECT has a [`Link`]: a byte of news and one waker. The broker sets a
//! bit and wakes the task to say that a delivery was queued, that the session was taken over or
//! the client kicked, that the broker reloads or shuts down, or that the keep-alive ran out. The
//! connection's loop polls the link beside its socket and takes all the news at once.
//!
//! [`Links`] lists the connections, so that shutdown and reload reach them all, and checks their
//! keep-alives in one sweep every [`SWEEP`] instead of a `Sleep` per connection (112 bytes of
//! every connection's state; the sweep reads one atomic per connection).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use tokio::time::Instant;

use crate::session::ConnectionInfo;

/// How often the keep-alives are checked; a silent client is closed at most this late.
const SWEEP: Duration = Duration::from_millis(100);

/// The session was taken over by another connection.
pub(crate) const TAKEN_OVER: u8 = 1;
/// An administrator disconnected the client.
pub(crate) const KICKED: u8 = 2;
/// The broker is shutting down.
pub(crate) const SHUTDOWN: u8 = 4;
/// The news that ends a connection: it stays set, so a connection is told to close only once.
const ENDING: u8 = TAKEN_OVER | KICKED | SHUTDOWN;
/// The keep-alive sweep found the client silent for too long (the connection checks again).
pub(crate) const SILENT: u8 = 8;
/// The broker reloaded its configuration.
pub(crate) const RELOADED: u8 = 16;
/// A delivery was queued for the session.
pub(crate) const WOKEN: u8 = 32;

/// One connection's end of the broker's news (inside its [`ConnectionInfo`]).
#[derive(Debug, Default)]
pub(crate) struct Link {
    news: AtomicU8,
    waker: AtomicWaker,
    /// When the client was last heard from, in milliseconds since [`Links`]' epoch.
    heard: AtomicU64,
    /// 1.5 × the keep-alive, in milliseconds (0: none); set before the link is shared.
    pub(crate) allowance_ms: u64,
}

impl Link {
    /// A link for a keep-alive of `keep_alive_secs` (0: none).
    pub(crate) fn new(keep_alive_secs: u16) -> Link {
        Link {
            allowance_ms: u64::from(keep_alive_secs) * 1500,
            ..Link::default()
        }
    }

    /// Sets `news` and wakes the connection. For news that ends it, false when it was already
    /// told to end.
    pub(crate) fn tell(&self, news: u8) -> bool {
        let before = self.news.fetch_or(news, Ordering::AcqRel);
        // Already set and not yet taken: the wake that set it is still on its way.
        if before & news != news {
            self.waker.wake();
        }
        news & ENDING == 0 || before & ENDING == 0
    }

    /// The news since the last call, once there is some. What ends a connection stays set.
    pub(crate) fn poll_news(&self, cx: &mut Context<'_>) -> Poll<u8> {
        self.waker.register(cx.waker());
        let news = self.news.fetch_and(ENDING, Ordering::AcqRel);
        match news {
            0 => Poll::Pending,
            news => Poll::Ready(news),
        }
    }

    /// Lets go of the ended connection's task, which its waker would keep allocated for as long
    /// as the session keeps this link (for the API).
    pub(crate) fn forget(&self) {
        drop(self.waker.take());
    }

    /// Notes that the client was heard from at `now_ms`.
    pub(crate) fn heard(&self, now_ms: u64) {
        self.heard.store(now_ms, Ordering::Relaxed);
    }

    /// True when the client has been silent past its allowance at `now_ms`.
    pub(crate) fn is_silent(&self, now_ms: u64) -> bool {
        self.allowance_ms != 0
            && now_ms.saturating_sub(self.heard.load(Ordering::Relaxed)) >= self.allowance_ms
    }
}

/// The connections past CONNECT, each in a slot it keeps until it ends.
#[derive(Debug)]
pub(crate) struct Links {
    epoch: Instant,
    slots: Mutex<Slots>,
    shutting_down: AtomicBool,
    sweeping: AtomicBool,
}

#[derive(Debug, Default)]
struct Slots {
    live: Vec<Option<Arc<ConnectionInfo>>>,
    free: Vec<u32>,
}

impl Links {
    pub(crate) fn new() -> Links {
        Links {
            epoch: Instant::now(),
            slots: Mutex::default(),
            shutting_down: AtomicBool::new(false),
            sweeping: AtomicBool::new(false),
        }
    }

    /// Milliseconds since the epoch, the clock of [`Link::heard`].
    pub(crate) fn now_ms(&self) -> u64 {
        self.epoch
            .elapsed()
            .as_millis()
            .try_into()
            .unwrap_or(u64::MAX)
    }

    fn slots(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lists a connection; returns its slot, for [`Links::remove`]. A connection listed during
    /// shutdown is told at once. The first one starts the keep-alive sweep (which needs the
    /// runtime, and ends with the broker).
    pub(crate) fn add(self: &Arc<Self>, conn: &Arc<ConnectionInfo>) -> u32 {
        conn.link.heard(self.now_ms());
        let slot = {
            let mut slots = self.slots();
            match slots.free.pop() {
                Some(slot) => {
                    slots.live[slot as usize] = Some(conn.clone());
                    slot
                }
                None => {
                    slots.live.push(Some(conn.clone()));
                    u32::try_from(slots.live.len() - 1).unwrap_or(u32::MAX)
                }
            }
        };
        if self.shutting_down.load(Ordering::Acquire) {
            conn.link.tell(SHUTDOWN);
        }
        if !self.sweeping.swap(true, Ordering::AcqRel) {
            tokio::spawn(sweep(Arc::downgrade(self)));
        }
        slot
    }

    /// Takes a connection off the list.
    pub(crate) fn remove(&self, slot: u32) {
        let mut slots = self.slots();
        if let Some(entry) = slots.live.get_mut(slot as usize) {
            if entry.take().is_some() {
                slots.free.push(slot);
            }
        }
    }

    /// Tells every listed connection `news`.
    pub(crate) fn tell_all(&self, news: u8) {
        if news & SHUTDOWN != 0 {
            self.shutting_down.store(true, Ordering::Release);
        }
        for conn in self.slots().live.iter().flatten() {
            conn.link.tell(news);
        }
    }

    /// Tells every connection whose client is silent past its keep-alive.
    fn check_keep_alives(&self) {
        let now = self.now_ms();
        for conn in self.slots().live.iter().flatten() {
            if conn.link.is_silent(now) {
                conn.link.tell(SILENT);
            }
        }
    }
}

/// Checks the keep-alives every [`SWEEP`] while the broker lives.
async fn sweep(links: Weak<Links>) {
    let mut ticks = tokio::time::interval(SWEEP);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(links) = links.upgrade() else {
            return;
        };
        links.check_keep_alives();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ending_news_is_told_once_and_stays() {
        let link = Link::new(0);
        assert!(link.tell(WOKEN));
        assert!(link.tell(KICKED));
        assert!(
            !link.tell(TAKEN_OVER),
            "a connection told to end is told once"
        );
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert_eq!(
            link.poll_news(&mut cx),
            Poll::Ready(WOKEN | KICKED | TAKEN_OVER)
        );
        assert_eq!(link.poll_news(&mut cx), Poll::Ready(KICKED | TAKEN_OVER));
    }

    #[test]
    fn passing_news_is_taken_once() {
        let link = Link::new(0);
        link.tell(WOKEN | RELOADED);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert_eq!(link.poll_news(&mut cx), Poll::Ready(WOKEN | RELOADED));
        assert_eq!(link.poll_news(&mut cx), Poll::Pending);
    }

    #[test]
    fn silence_counts_from_the_last_time_heard() {
        let link = Link::new(10);
        link.heard(1_000);
        assert!(!link.is_silent(15_999));
        assert!(link.is_silent(16_000));
        assert!(
            !Link::new(0).is_silent(u64::MAX),
            "no keep-alive, never silent"
        );
    }
}
