//! How the broker reaches its connections without a channel, a watch or a timer in each.
//!
//! Every connection past CONNECT has a [`Link`]: a byte of news and one waker. The broker sets a
//! bit and wakes the task to say that a delivery was queued, that the session was taken over or
//! the client kicked, that the broker reloads or shuts down, or that the keep-alive ran out. The
//! connection's loop polls the link beside its socket and takes all the news at once.
//!
//! [`Links`] lists the connections, so that shutdown and reload reach them all, and checks their
//! keep-alives in one sweep every [`SWEEP`] instead of a `Sleep` per connection (112 bytes of
//! every connection's state; the sweep reads one atomic per connection). The same sweep tells a
//! plain TCP connection that has done nothing for a while ([`PARK_FIRST`], [`PARK_AFTER`]) to
//! park (see [`crate::parking`]).

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use tokio::time::Instant;

use crate::session::ConnectionInfo;

/// How often the keep-alives are checked; a silent client is closed at most this late.
const SWEEP: Duration = Duration::from_millis(100);
/// How long a connection that can park does nothing (reads, writes, news) before it is told to.
/// The first time, after CONNECT, it is [`PARK_FIRST`]: a connection in its task holds a
/// tokio task and registration (768 bytes) the parked one gives back, and in a burst of new
/// connections those of the last fraction of a second are all in their tasks at once, so the
/// sooner they park the less the burst leaves behind. From the first return on it is at least
/// [`PARK_AFTER`], and each time the connection comes back soon after parking (within four times
/// its delay) the delay doubles, up to [`PARK_AFTER_MAX`]: a client with traffic every few seconds
/// soon stays in its task instead of paying a park and a wake-up per message. A client that
/// speaks just after CONNECT pays at most one park more.
const PARK_FIRST: u32 = 50;
const PARK_AFTER: u32 = 250;
const PARK_AFTER_MAX: u32 = 64_000;

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
/// The connection has been idle for its delay ([`PARK_FIRST`], [`PARK_AFTER`]): it may park.
pub(crate) const PARK: u8 = 64;

/// One connection's end of the broker's news (inside its [`ConnectionInfo`]).
///
/// Times are milliseconds since [`Links`]' epoch, kept in 32 bits: differences are taken with
/// wrapping arithmetic, right for spans under 49 days (a keep-alive is at most 18 hours).
#[derive(Debug, Default)]
pub(crate) struct Link {
    news: AtomicU8,
    /// The connection can park (a plain TCP one), and whether it is parked now.
    parkable: bool,
    parked: AtomicBool,
    waker: AtomicWaker,
    /// When the client was last heard from.
    heard: AtomicU32,
    /// When the connection last read, wrote or had news, or when it parked.
    active: AtomicU32,
    /// How long it must be idle before it is told to park (see [`PARK_FIRST`], [`PARK_AFTER`]).
    park_after: AtomicU32,
    /// 1.5 × the keep-alive, in milliseconds (0: none); set before the link is shared.
    allowance_ms: u32,
}

impl Link {
    /// A link for a keep-alive of `keep_alive_secs` (0: none); `parkable` for a connection that
    /// can park.
    pub(crate) fn new(keep_alive_secs: u16, parkable: bool) -> Link {
        Link {
            allowance_ms: u32::from(keep_alive_secs) * 1500,
            parkable,
            park_after: AtomicU32::new(PARK_FIRST),
            ..Link::default()
        }
    }

    /// Sets `news` and wakes the connection. For news that ends it, false when it was already
    /// told to end.
    pub(crate) fn tell(&self, news: u8) -> bool {
        // News already set and not yet taken needs neither a write nor a wake: a busy
        // subscriber is told of every delivery, and reading leaves its cache line in place.
        let seen = self.news.load(Ordering::Acquire);
        if seen & news == news {
            return news & ENDING == 0 || seen & ENDING == 0;
        }
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

    /// Whether there is news not yet taken.
    pub(crate) fn has_news(&self) -> bool {
        self.news.load(Ordering::Acquire) != 0
    }

    /// Wakes `waker` for the next news instead of the connection's task (while it is parked).
    pub(crate) fn wake_instead(&self, waker: &Waker) {
        self.waker.register(waker);
    }

    /// Lets go of the ended connection's task, which its waker would keep allocated for as long
    /// as the session keeps this link (for the API).
    pub(crate) fn forget(&self) {
        drop(self.waker.take());
    }

    /// Notes that the client was heard from at `now_ms` (which is also activity).
    pub(crate) fn heard(&self, now_ms: u32) {
        self.heard.store(now_ms, Ordering::Relaxed);
        self.active.store(now_ms, Ordering::Relaxed);
    }

    /// Notes that the connection did something at `now_ms`.
    pub(crate) fn active(&self, now_ms: u32) {
        self.active.store(now_ms, Ordering::Relaxed);
    }

    /// Notes that the connection parked at `now_ms`.
    pub(crate) fn parked(&self, now_ms: u32) {
        self.active.store(now_ms, Ordering::Relaxed);
        self.parked.store(true, Ordering::Release);
    }

    /// Notes that the connection came back from the parking lot at `now_ms`; one that comes
    /// back soon waits longer before it parks again.
    pub(crate) fn unparked(&self, now_ms: u32) {
        let parked_for = now_ms.wrapping_sub(self.active.load(Ordering::Relaxed));
        let after = self.park_after.load(Ordering::Relaxed);
        let next = if parked_for < after.saturating_mul(4) {
            after.saturating_mul(2).min(PARK_AFTER_MAX)
        } else {
            after
        };
        self.park_after
            .store(next.max(PARK_AFTER), Ordering::Relaxed);
        self.active.store(now_ms, Ordering::Relaxed);
        self.parked.store(false, Ordering::Release);
    }

    /// True when the client has been silent past its allowance at `now_ms`.
    pub(crate) fn is_silent(&self, now_ms: u32) -> bool {
        self.allowance_ms != 0
            && now_ms.wrapping_sub(self.heard.load(Ordering::Relaxed)) >= self.allowance_ms
    }

    /// True when the connection can park, is not parked, and has been idle for its delay.
    fn should_park(&self, now_ms: u32) -> bool {
        self.parkable
            && !self.parked.load(Ordering::Acquire)
            && now_ms.wrapping_sub(self.active.load(Ordering::Relaxed))
                >= self.park_after.load(Ordering::Relaxed)
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

    /// Milliseconds since the epoch, modulo 2^32: the clock of [`Link`].
    pub(crate) fn now_ms(&self) -> u32 {
        // Truncation is the point: the clock wraps, and spans are taken with wrapping_sub.
        self.epoch.elapsed().as_millis() as u32
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

    /// Tells every connection whose client is silent past its keep-alive, and every one that
    /// has been idle long enough to park.
    fn check_keep_alives(&self) {
        let now = self.now_ms();
        for conn in self.slots().live.iter().flatten() {
            if conn.link.is_silent(now) {
                conn.link.tell(SILENT);
            } else if conn.link.should_park(now) {
                // Told once a delay: a connection that cannot park now notes activity.
                conn.link.active(now);
                conn.link.tell(PARK);
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
        let link = Link::new(0, false);
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

    /// Counts its wakes.
    struct Wakes(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn news_not_yet_taken_is_not_woken_for_again() {
        let link = Link::new(0, false);
        let wakes = Arc::new(Wakes(Default::default()));
        let waker = std::task::Waker::from(Arc::clone(&wakes));
        let mut cx = Context::from_waker(&waker);
        assert_eq!(link.poll_news(&mut cx), Poll::Pending);
        assert!(link.tell(WOKEN));
        assert!(link.tell(WOKEN));
        assert_eq!(
            wakes.0.load(Ordering::Relaxed),
            1,
            "one wake until it is taken"
        );
        assert_eq!(link.poll_news(&mut cx), Poll::Ready(WOKEN));
        assert!(link.tell(WOKEN));
        assert_eq!(
            wakes.0.load(Ordering::Relaxed),
            2,
            "taken news is woken for again"
        );
        assert!(link.tell(KICKED));
        assert!(!link.tell(KICKED), "ending news already set: told once");
    }

    #[test]
    fn passing_news_is_taken_once() {
        let link = Link::new(0, false);
        link.tell(WOKEN | RELOADED);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert_eq!(link.poll_news(&mut cx), Poll::Ready(WOKEN | RELOADED));
        assert_eq!(link.poll_news(&mut cx), Poll::Pending);
    }

    #[test]
    fn silence_counts_from_the_last_time_heard() {
        let link = Link::new(10, false);
        link.heard(1_000);
        assert!(!link.is_silent(15_999));
        assert!(link.is_silent(16_000));
        let none = Link::new(0, false);
        assert!(!none.is_silent(u32::MAX), "no keep-alive, never silent");
        link.heard(u32::MAX - 100);
        assert!(!link.is_silent(1_000), "the clock wrapped 1.1 s later");
        assert!(link.is_silent(15_000));
    }

    #[test]
    fn only_an_idle_parkable_unparked_connection_is_told_to_park() {
        let link = Link::new(0, true);
        link.active(5_000);
        assert!(!link.should_park(5_049));
        assert!(link.should_park(5_050), "the first park comes soon");
        link.parked(6_000);
        assert!(!link.should_park(9_000), "parked already");
        assert!(!Link::new(0, false).should_park(9_000), "cannot park");
    }

    #[test]
    fn a_connection_that_comes_back_soon_parks_later_next_time() {
        let link = Link::new(0, true);
        link.parked(0);
        link.unparked(100);
        assert!(!link.should_park(349), "after the first park: 0.25 s");
        assert!(link.should_park(350));
        link.parked(350);
        link.unparked(1_350);
        assert!(
            link.should_park(1_600),
            "back after 1 s, 4 x 0.25 s: unchanged"
        );
        link.parked(1_600);
        link.unparked(2_100);
        assert!(
            !link.should_park(2_599),
            "back after 0.5 s: waits 0.5 s now"
        );
        assert!(link.should_park(2_600));
        link.parked(2_600);
        link.unparked(11_600);
        assert!(
            link.should_park(12_100),
            "back after 9 s, more than 4 x 0.5 s: unchanged"
        );
        for _ in 0..10 {
            link.parked(12_100);
            link.unparked(12_101);
        }
        assert!(!link.should_park(12_101 + 63_999), "at most 64 s");
        assert!(link.should_park(12_101 + 64_000));
    }
}
