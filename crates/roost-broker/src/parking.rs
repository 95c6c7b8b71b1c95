//! Where idle plain TCP connections wait without a task: the parking lot.
//!
//! A connection with a tokio task and a tokio socket costs about 1 KB before any state of
//! Roost's (the task cell, 512 bytes, and the socket's registration, 256, each aligned to 128,
//! with the allocator's slack around them). Most connections of a big deployment are idle most
//! of the time, so one that has done nothing for a while (50 ms after CONNECT, then a quarter of
//! a second, growing for clients that come back soon; [`crate::links`]' sweep tells it) and has
//! nothing held, queued or half-read gives both up: its state moves here, in one box,
//! and its socket is registered with the lot's own epoll (mio), which costs no memory per
//! socket. One thread waits on that epoll. When the socket becomes readable (or closes), or the
//! broker has news for the connection (a delivery, a takeover, shutdown, the keep-alive), the
//! thread gives the socket back to tokio and spawns the connection's task again, where it goes
//! on as if it had never left.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Wake, Waker};
use std::time::Duration;

use mio::net::TcpStream as MioStream;
use mio::{Events, Interest, Poll, Token};
use tracing::warn;

use crate::connection::Parked;

/// The token of the lot's own waker (new arrivals, news for parked connections).
const WAKE: Token = Token(usize::MAX);

/// The lot: started by the first connection that parks.
#[derive(Default)]
pub(crate) struct ParkingLot {
    started: OnceLock<Option<Arc<Shared>>>,
}

impl std::fmt::Debug for ParkingLot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let started = matches!(self.started.get(), Some(Some(_)));
        f.debug_struct("ParkingLot")
            .field("started", &started)
            .finish()
    }
}

/// What the lot's thread shares with everyone who parks or wakes a connection.
struct Shared {
    waker: mio::Waker,
    inbox: Mutex<Inbox>,
    /// Connections parked now.
    parked: AtomicUsize,
    /// Set when the broker is dropped: the thread ends.
    stop: AtomicBool,
}

#[derive(Default)]
struct Inbox {
    /// Connections to park, with their sockets.
    arriving: Vec<(Box<Parked>, MioStream)>,
    /// Slots whose connection has news.
    woken: Vec<usize>,
}

impl Shared {
    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Wakes the lot for the connection parked in `slot`.
struct SlotWaker {
    shared: Arc<Shared>,
    slot: usize,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.shared.inbox().woken.push(self.slot);
        let _ = self.shared.waker.wake();
    }
}

impl Drop for ParkingLot {
    /// Ends the lot's thread with the broker (a parked connection holds the broker, so by now
    /// none is parked).
    fn drop(&mut self) {
        if let Some(Some(shared)) = self.started.get() {
            shared.stop.store(true, Ordering::Release);
            let _ = shared.waker.wake();
        }
    }
}

impl ParkingLot {
    /// Something that lives as long as the lot's thread or the lot itself, for tests that
    /// check the thread ends.
    #[cfg(test)]
    pub(crate) fn liveness(&self) -> Option<std::sync::Weak<impl Sized>> {
        match self.started.get() {
            Some(Some(shared)) => Some(Arc::downgrade(shared)),
            _ => None,
        }
    }

    /// How many connections are parked now.
    pub(crate) fn count(&self) -> usize {
        match self.started.get() {
            Some(Some(shared)) => shared.parked.load(Ordering::Relaxed),
            _ => 0,
        }
    }

    /// Parks `parked` with its socket; `Err` gives both back when the lot cannot take them
    /// (its thread could not start), and the connection goes on in its task.
    pub(crate) fn park(
        &self,
        parked: Box<Parked>,
        socket: MioStream,
    ) -> Result<(), (Box<Parked>, MioStream)> {
        let Some(shared) = self.started.get_or_init(start).as_ref() else {
            return Err((parked, socket));
        };
        shared.inbox().arriving.push((parked, socket));
        let _ = shared.waker.wake();
        Ok(())
    }
}

/// Starts the lot's thread in the runtime of the caller (its sockets go back to that runtime);
/// `None`, after one warning, if it cannot.
fn start() -> Option<Arc<Shared>> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    let started = Poll::new().and_then(|poll| {
        let waker = mio::Waker::new(poll.registry(), WAKE)?;
        let shared = Arc::new(Shared {
            waker,
            inbox: Mutex::default(),
            parked: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let lot = Lot {
            poll,
            shared: shared.clone(),
            slots: Vec::new(),
            free: Vec::new(),
        };
        std::thread::Builder::new()
            .name("roost-parking".into())
            .spawn(move || lot.run(&runtime))?;
        Ok(shared)
    });
    match started {
        Ok(shared) => Some(shared),
        Err(e) => {
            warn!("Idle connections keep their tasks: the parking thread did not start: {e}");
            None
        }
    }
}

/// The lot's thread: its epoll and the parked connections.
struct Lot {
    poll: Poll,
    shared: Arc<Shared>,
    slots: Vec<Option<(Box<Parked>, MioStream)>>,
    free: Vec<usize>,
}

impl Lot {
    fn run(mut self, runtime: &tokio::runtime::Handle) {
        // Inside the runtime: giving a socket back to tokio registers it with tokio's driver.
        let _inside = runtime.enter();
        let mut events = Events::with_capacity(1024);
        let mut ready = Vec::new();
        loop {
            if let Err(e) = self.poll.poll(&mut events, None) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    warn!("The parking thread's epoll failed ({e}); trying again in a second.");
                    std::thread::sleep(Duration::from_secs(1));
                }
                continue;
            }
            if self.shared.stop.load(Ordering::Acquire) {
                return;
            }
            ready.extend(
                events
                    .iter()
                    .map(|e| e.token())
                    .filter(|t| *t != WAKE)
                    .map(|t| t.0),
            );
            let (arriving, woken) = {
                let mut inbox = self.shared.inbox();
                (
                    std::mem::take(&mut inbox.arriving),
                    std::mem::take(&mut inbox.woken),
                )
            };
            ready.extend(woken);
            for (parked, socket) in arriving {
                if let Some(slot) = self.admit(parked, socket) {
                    ready.push(slot);
                }
            }
            for slot in ready.drain(..) {
                self.release(slot);
            }
        }
    }

    /// Registers a parked connection's socket and its news; returns its slot if it must go
    /// back at once (news came while it was on its way here, or its socket failed).
    fn admit(&mut self, parked: Box<Parked>, mut socket: MioStream) -> Option<usize> {
        let slot = self.free.pop().unwrap_or(self.slots.len());
        let registered =
            self.poll
                .registry()
                .register(&mut socket, Token(slot), Interest::READABLE);
        let waker = Waker::from(Arc::new(SlotWaker {
            shared: self.shared.clone(),
            slot,
        }));
        let link = &parked.info().link;
        link.wake_instead(&waker);
        let back_now = registered.is_err() || link.has_news();
        match self.slots.get_mut(slot) {
            Some(entry) => *entry = Some((parked, socket)),
            None => self.slots.push(Some((parked, socket))),
        }
        self.shared.parked.fetch_add(1, Ordering::Relaxed);
        back_now.then_some(slot)
    }

    /// Gives the connection in `slot` back to tokio, in a task of its own (a slot already
    /// empty is a wake-up that came late, and is ignored).
    fn release(&mut self, slot: usize) {
        let Some((parked, mut socket)) = self.slots.get_mut(slot).and_then(Option::take) else {
            return;
        };
        self.free.push(slot);
        self.shared.parked.fetch_sub(1, Ordering::Relaxed);
        let _ = self.poll.registry().deregister(&mut socket);
        let socket = tokio::net::TcpStream::from_std(std::net::TcpStream::from(socket));
        crate::connection::unpark(parked, socket);
    }
}
