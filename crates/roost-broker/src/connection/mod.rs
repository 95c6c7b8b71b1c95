//! One client connection: a task that reads packets, acts on them, and drains the client's
//! session into the socket.
//!
//! The task owns the transport. Each turn first moves what the session has queued into the write
//! buffer, bounded by [`WRITE_HIGH_WATER`], so a slow reader holds back its own queue (where the
//! limits apply) instead of growing memory; then it waits for the next event: the broker's news
//! on the connection's [`Link`] (a delivery queued, takeover, kick, reload, shutdown, keep-alive),
//! the socket becoming writable or readable, the store's commit, or the end of a throttle.
//!
//! That wait is one hand-written poll, not a `select!` over futures: every future a `select!`
//! races lives in the connection's state for its whole life, and an idle connection's memory is
//! mostly that state (BENCHMARKS.md, "Memory per idle TCP connection"). Reads go into a buffer
//! each worker thread shares ([`SCRATCH`]) and only what is read is kept, so an idle connection
//! holds no read buffer; the write buffer is given back once written; the keep-alive is checked
//! by the broker's sweep ([`crate::links`]) instead of a timer per connection.

mod connect;
mod ending;
mod held;
mod inbound;
mod outbound;
mod parked;
mod subscribe;
pub(crate) mod will;

pub(crate) use parked::{serve_tcp, unpark, Parked};

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use roost_proto::{decode, encode, Packet, ProtocolVersion, ReasonCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};
use tracing::info;

use crate::broker::Broker;
use crate::config::{Config, Listener};
use crate::links::{Link, KICKED, PARK, RELOADED, SHUTDOWN, SILENT, TAKEN_OVER};
use crate::metrics::Metrics;
use crate::session::Session;
use crate::store::Op;
use crate::transport::PeerIdentity;

/// Stop moving queued messages into the write buffer past this many bytes.
const WRITE_HIGH_WATER: usize = 64 * 1024;
/// How long a connection the broker closes keeps reading before the socket is dropped.
const LINGER: Duration = Duration::from_millis(500);
/// The most one read takes from the socket.
const READ_MAX: usize = 64 * 1024;
/// Stop reading while this much output waits (held back for the store, or unread by the client).
const READ_PAUSE: usize = 2 * WRITE_HIGH_WATER;
/// How often a publisher held back by a crowded subscriber looks again.
const THROTTLE_POLL: Duration = Duration::from_millis(1);

/// How a connection ended, for the log line and the will.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The client sent DISCONNECT; `with_will` for MQTT 5 reason 0x04.
    Disconnected { with_will: bool },
    /// The socket closed or failed without DISCONNECT.
    Closed,
    /// Keep-alive ran out.
    TimedOut,
    /// The broker closed it for a reason (protocol error, takeover, shutdown, ...).
    Closing { reason: ReasonCode, why: String },
}

/// What a client negotiated in CONNECT and what lives only as long as this connection.
pub(crate) struct Client {
    pub(crate) session: Arc<Session>,
    /// Kept to check the client again when the password file is reloaded, as Mosquitto does
    /// (boxed: 24 bytes less in every connection's state, twice over).
    pub(crate) password: Option<Box<bytes::Bytes>>,
    /// Boxed: most clients have none, and it would add 400 bytes to every connection.
    pub(crate) will: Option<Box<roost_proto::Will>>,
    pub(crate) session_expiry: u32,
    /// This connection's entry in the API's client list (message counts) and its link for the
    /// broker's news, listed in [`crate::links::Links`] at `slot`.
    pub(crate) info: Arc<crate::session::ConnectionInfo>,
    pub(crate) slot: u32,
    /// Topic aliases both ways (MQTT 5), made on first use: most clients use none, and two
    /// empty maps would add 96 bytes to every connection.
    pub(crate) aliases: Option<Box<Aliases>>,
    pub(crate) client_alias_max: u16,
    pub(crate) client_receive_max: u16,
    pub(crate) client_max_packet: u32,
    pub(crate) problem_info: bool,
}

impl Client {
    /// The client identifier (the session's).
    pub(crate) fn id(&self) -> &Arc<str> {
        &self.session.client_id
    }

    /// A client of its own session, for tests of the connection's pieces.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Client {
        let info = crate::session::ConnectionInfo {
            link: Link::new(0, true),
            username: None,
            peer: "127.0.0.1:1".parse().expect("an address"),
            protocol: ProtocolVersion::V5,
            keep_alive: 0,
            clean_start: true,
            connected_at: std::time::SystemTime::now(),
            received: Default::default(),
            sent: Default::default(),
        };
        Client {
            session: Arc::new(Session::new("tested".into(), 0)),
            password: None,
            will: None,
            session_expiry: 0,
            info: Arc::new(info),
            slot: 0,
            aliases: None,
            client_alias_max: 0,
            client_receive_max: u16::MAX,
            client_max_packet: u32::MAX,
            problem_info: true,
        }
    }
}

/// The topic aliases of one connection.
#[derive(Debug, Default)]
pub(crate) struct Aliases {
    /// Set by the client, alias → topic.
    pub(crate) inbound: HashMap<u16, Arc<str>>,
    /// Set by the broker towards the client, topic → alias.
    pub(crate) outbound: HashMap<Arc<str>, u16>,
}

/// A connection before and after CONNECT.
pub(crate) struct Connection<S> {
    broker: Arc<Broker>,
    listener: Arc<Listener>,
    /// The configuration, re-read when the broker reloads (cheaper than a load per packet).
    config: Arc<Config>,
    /// Position of the listener in the configuration, for its security settings.
    listener_index: u32,
    conn_id: u64,
    peer: SocketAddr,
    stream: S,
    /// Bytes read and not yet decoded (empty, and unallocated, between packets).
    inbuf: BytesMut,
    /// Bytes encoded and not yet handed to the socket.
    pending: BytesMut,
    /// How many bytes at the front of `pending` may be written now; the rest waits for the store.
    released: usize,
    /// Written bytes the transport may still hold (TLS and WebSocket buffer until a flush).
    unflushed: bool,
    /// The connection can park while idle (plain TCP, served by [`parked::serve_tcp`]).
    may_park: bool,
    version: ProtocolVersion,
    /// What the transport learned of the client (a user name from its certificate); boxed, and
    /// none for the common case of [`PeerIdentity::FromConnect`].
    identity: Option<Box<PeerIdentity>>,
    /// While output is held: the wait for the store's next commit (made only then).
    storing: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// The commit the held part of `pending` waits for (0: nothing waits).
    hold: u64,
    /// The first commit the output held back waits for: if any commit from there on fails, it
    /// may acknowledge something that was not written, and is dropped.
    held_from: u64,
    /// A subscriber this publisher filled, while reading waits for it to drain (boxed: rarely
    /// set, and every connection carries the field).
    throttle: Option<Box<Throttle>>,
}

/// A publisher held back by a crowded subscriber.
pub(crate) struct Throttle {
    session: Arc<Session>,
    /// Reading resumes by then whatever the subscriber does.
    until: Instant,
    /// The next look at the subscriber.
    poll: Pin<Box<Sleep>>,
}

impl Throttle {
    pub(crate) fn new(session: Arc<Session>, most: Duration) -> Box<Throttle> {
        let now = Instant::now();
        Box::new(Throttle {
            session,
            until: now + most,
            poll: Box::pin(tokio::time::sleep_until(now + THROTTLE_POLL)),
        })
    }
}

enum Event {
    /// The broker's news on the link (bits of [`crate::links`]).
    News(u8),
    Read(std::io::Result<usize>),
    Wrote(std::io::Result<usize>),
    Stored,
    Throttled,
}

thread_local! {
    /// Where every connection on this worker thread reads: only the bytes read are copied into
    /// the connection's own buffer.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; READ_MAX]);
}

/// Serves one accepted connection until it ends (a plain TCP one that may park is served by
/// [`parked::serve_tcp`] instead).
///
/// The connection's state is built before the future is, and the future captures only it: the
/// arguments of an `async fn` would stay in its state, beside their moved copies, for the
/// connection's whole life.
pub(crate) fn serve<S>(
    broker: Arc<Broker>,
    listener: Arc<Listener>,
    listener_index: usize,
    stream: S,
    peer: SocketAddr,
    identity: PeerIdentity,
) -> impl std::future::Future<Output = ()> + Send
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut conn = Connection::new(broker, listener, listener_index, stream, peer, identity);
    async move {
        let Some((mut client, started)) = conn.open().await else {
            return;
        };
        let ending = match started {
            Err(ending) => ending,
            // This connection cannot park (`may_park` is false), so it runs until it ends.
            Ok(()) => loop {
                if let Stop::End(ending) = conn.run(&mut client).await {
                    break ending;
                }
            },
        };
        Box::pin(conn.finish(client, ending)).await;
    }
}

/// Why [`Connection::run`] returned.
pub(crate) enum Stop {
    /// The connection must end, for this reason.
    End(Ending),
    /// The connection is idle and may park (see [`crate::parking`]).
    Park,
}

impl<S> Connection<S> {
    fn new(
        broker: Arc<Broker>,
        listener: Arc<Listener>,
        listener_index: usize,
        stream: S,
        peer: SocketAddr,
        identity: PeerIdentity,
    ) -> Connection<S> {
        let conn_id = broker.next_conn_id();
        let identity = match identity {
            PeerIdentity::FromConnect => None,
            other => Some(Box::new(other)),
        };
        // A configuration has far fewer than 2^32 listeners.
        let listener_index = u32::try_from(listener_index).unwrap_or(u32::MAX);
        Connection::idle(
            broker,
            listener,
            listener_index,
            conn_id,
            stream,
            peer,
            identity,
        )
    }

    /// A connection with nothing read, written, held or throttled, and the configuration in
    /// force now: a new one, or one back from the parking lot.
    fn idle(
        broker: Arc<Broker>,
        listener: Arc<Listener>,
        listener_index: u32,
        conn_id: u64,
        stream: S,
        peer: SocketAddr,
        identity: Option<Box<PeerIdentity>>,
    ) -> Connection<S> {
        Connection {
            config: broker.config().clone(),
            broker,
            listener,
            listener_index,
            conn_id,
            peer,
            stream,
            inbuf: BytesMut::new(),
            pending: BytesMut::new(),
            released: 0,
            unflushed: false,
            may_park: false,
            version: ProtocolVersion::V3_1_1,
            identity,
            storing: None,
            hold: 0,
            held_from: 0,
            throttle: None,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// The CONNECT phase: the client and whether the packets that came with CONNECT went well,
    /// or `None` once a connection refused or broken before CONNECT has been closed.
    async fn open(&mut self) -> Option<(Client, Result<(), Ending>)> {
        if self.config.connection_messages {
            info!(
                "New connection from {} on port {}.",
                self.peer,
                self.listener.addr.port()
            );
        }
        // The CONNECT phase and the ending are boxed so that their state is not part of the
        // future every connection keeps for its whole life (measured: 8 KiB per idle connection
        // before).
        let Some((mut client, durability)) = Box::pin(self.accept()).await else {
            Box::pin(async {
                let _ = self.flush().await;
                self.linger().await;
            })
            .await;
            return None;
        };
        // Packets that came in the same read as CONNECT are already buffered: handle them now,
        // not when the next read happens to arrive.
        let started = self
            .hold_for(durability)
            .and_then(|()| self.handle_input(&mut client));
        Some((client, started))
    }

    /// Appends one packet to the write buffer.
    pub(crate) fn send(&mut self, packet: &Packet) {
        Metrics::add(&self.broker.metrics.packets_sent, 1);
        encode(packet, self.version, &mut self.pending);
    }

    /// Writes everything buffered, held or not.
    async fn flush(&mut self) -> std::io::Result<()> {
        self.released = self.pending.len();
        poll_fn(|cx| {
            while self.released > 0 || self.unflushed {
                match self.poll_output(cx) {
                    Poll::Ready(Ok(_)) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending if self.released > 0 || self.unflushed => return Poll::Pending,
                    Poll::Pending => {}
                }
            }
            Poll::Ready(Ok(()))
        })
        .await
    }

    /// Writes what is released, then flushes, so that a transport that buffers (TLS, WebSocket)
    /// sends it now (a plain TCP flush is immediate). Ready with the bytes written once some were,
    /// or the flush finished; a written-out buffer is given back, so an idle connection keeps none.
    fn poll_output(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        let mut wrote = 0;
        while self.released > 0 {
            let chunk = &self.pending[..self.released];
            match Pin::new(&mut self.stream).poll_write(cx, chunk) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()))
                }
                Poll::Ready(Ok(n)) => {
                    self.pending.advance(n);
                    self.released -= n;
                    self.unflushed = true;
                    wrote += n;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => break,
            }
        }
        if wrote > 0 {
            Metrics::add(&self.broker.metrics.bytes_sent, wrote as u64);
            if self.pending.is_empty() {
                self.pending = BytesMut::new();
            }
        }
        let mut flushed = false;
        if self.unflushed {
            match Pin::new(&mut self.stream).poll_flush(cx) {
                Poll::Ready(Ok(())) => {
                    self.unflushed = false;
                    flushed = true;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
        }
        match wrote > 0 || flushed {
            true => Poll::Ready(Ok(wrote)),
            false => Poll::Pending,
        }
    }

    /// Reads what the socket has into the worker's [`SCRATCH`] and keeps it in `inbuf`.
    /// Ready with the bytes read (0: the client closed).
    fn poll_input(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        SCRATCH.with_borrow_mut(|scratch| {
            let mut buf = ReadBuf::new(scratch);
            match Pin::new(&mut self.stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) => {
                    let read = buf.filled();
                    self.inbuf.extend_from_slice(read);
                    Metrics::add(&self.broker.metrics.bytes_received, read.len() as u64);
                    Poll::Ready(Ok(read.len()))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        })
    }

    /// Reads until one whole packet is decoded; `Err` carries how the connection must end.
    async fn read_packet(&mut self) -> Result<Packet, Ending> {
        loop {
            if let Some(packet) = self.decode_one()? {
                return Ok(packet);
            }
            match poll_fn(|cx| self.poll_input(cx)).await {
                Ok(0) => return Err(Ending::Closed),
                Err(e) => return Err(self.read_failed(&e)),
                Ok(_) => {}
            }
        }
    }

    fn decode_one(&mut self) -> Result<Option<Packet>, Ending> {
        let decoded =
            decode(&mut self.inbuf, self.version, self.config.max_packet_size).map_err(|e| {
                Metrics::add(&self.broker.metrics.protocol_errors, 1);
                Ending::Closing {
                    reason: e.reason_code(),
                    why: e.to_string(),
                }
            })?;
        if decoded.is_some() {
            Metrics::add(&self.broker.metrics.packets_received, 1);
        }
        Ok(decoded)
    }

    /// Serves the connected client until the connection must end or may park.
    async fn run(&mut self, client: &mut Client) -> Stop {
        loop {
            if let Err(ending) = self
                .check_store()
                .and_then(|()| self.fill_from_session(client))
            {
                return Stop::End(ending);
            }
            if self.hold == 0 {
                self.released = self.pending.len();
            } else if self.storing.is_none() {
                self.storing = self.await_store();
            }
            let link = &client.info.link;
            let event = poll_fn(|cx| self.poll_event(cx, link)).await;
            let step = match event {
                Event::News(news) => match self.on_news(client, news) {
                    Ok(()) if news & PARK != 0 && self.can_park(client) => return Stop::Park,
                    step => step,
                },
                Event::Read(Ok(0)) => Err(Ending::Closed),
                Event::Read(Err(e)) => Err(self.read_failed(&e)),
                Event::Read(Ok(_)) => {
                    client.info.link.heard(self.broker.links().now_ms());
                    self.handle_input(client)
                }
                Event::Wrote(Ok(_)) => {
                    client.info.link.active(self.broker.links().now_ms());
                    Ok(())
                }
                Event::Stored => Ok(()),
                Event::Wrote(Err(_)) => Err(Ending::Closed),
                Event::Throttled => match self.release_throttle() {
                    true => self.handle_input(client),
                    false => Ok(()),
                },
            };
            if let Err(ending) = step {
                return Stop::End(ending);
            }
        }
    }

    /// Whether the connection holds nothing that a task must look after: nothing to write,
    /// nothing half-read, nothing waiting for the store or a crowded subscriber, nothing queued.
    fn can_park(&self, client: &Client) -> bool {
        self.may_park
            && self.pending.is_empty()
            && !self.unflushed
            && self.inbuf.is_empty()
            && self.hold == 0
            && self.storing.is_none()
            && self.throttle.is_none()
            && {
                let state = client.session.lock();
                state.is_attached_to(self.conn_id) && state.queue.len() == 0
            }
    }

    /// The next event, in order of urgency: the broker's news, output, the store, input, the
    /// throttle. Reading stops while much output waits (held back for the store, or unread by
    /// the client): a client that keeps publishing while the disk is slow is slowed down, not
    /// buffered without bound.
    fn poll_event(&mut self, cx: &mut Context<'_>, link: &Link) -> Poll<Event> {
        if let Poll::Ready(news) = link.poll_news(cx) {
            return Poll::Ready(Event::News(news));
        }
        if self.released > 0 || self.unflushed {
            if let Poll::Ready(wrote) = self.poll_output(cx) {
                return Poll::Ready(Event::Wrote(wrote));
            }
        }
        if let Some(storing) = self.storing.as_mut().filter(|_| self.hold != 0) {
            if storing.as_mut().poll(cx).is_ready() {
                self.storing = None;
                return Poll::Ready(Event::Stored);
            }
        }
        if self.pending.len() < READ_PAUSE && self.throttle.is_none() {
            if let Poll::Ready(read) = self.poll_input(cx) {
                return Poll::Ready(Event::Read(read));
            }
        }
        if let Some(throttle) = self.throttle.as_mut() {
            if throttle.poll.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Event::Throttled);
            }
        }
        Poll::Pending
    }

    /// What the broker's news means for this connection.
    fn on_news(&mut self, client: &Client, news: u8) -> Result<(), Ending> {
        let closing = |reason, why: &str| {
            Err(Ending::Closing {
                reason,
                why: why.into(),
            })
        };
        if news & TAKEN_OVER != 0 {
            return closing(ReasonCode::SESSION_TAKEN_OVER, "session taken over");
        }
        if news & KICKED != 0 {
            return closing(
                ReasonCode::ADMINISTRATIVE_ACTION,
                "kicked by an administrator",
            );
        }
        if news & SHUTDOWN != 0 {
            return closing(ReasonCode::SERVER_SHUTTING_DOWN, "server shutting down");
        }
        // The sweep saw silence; a read may have come since.
        if news & SILENT != 0 && client.info.link.is_silent(self.broker.links().now_ms()) {
            return Err(Ending::TimedOut);
        }
        if news & RELOADED != 0 {
            self.config = self.broker.config().clone();
            return self.recheck_credentials(client);
        }
        Ok(())
    }

    /// Input resumes once the crowded subscriber has room again, or its time is up; true then.
    fn release_throttle(&mut self) -> bool {
        let Some(throttle) = self.throttle.as_mut() else {
            return false;
        };
        let limits = self.broker.enqueue_policy().limits;
        let now = Instant::now();
        if now >= throttle.until || throttle.session.has_room(limits) {
            self.throttle = None;
            return true;
        }
        throttle.poll.as_mut().reset(now + THROTTLE_POLL);
        false
    }

    /// How a failed read ends the connection: input the transport refused (a WebSocket text frame,
    /// a bad TLS record) is named in the log; a socket error is a plain close, as on TCP.
    fn read_failed(&self, e: &std::io::Error) -> Ending {
        if e.kind() != std::io::ErrorKind::InvalidData {
            return Ending::Closed;
        }
        Metrics::add(&self.broker.metrics.protocol_errors, 1);
        Ending::Closing {
            reason: ReasonCode::PROTOCOL_ERROR,
            why: format!("bad input from {}: {e}", self.peer),
        }
    }

    /// After a reload, a client whose credentials no longer pass is disconnected.
    fn recheck_credentials(&self, client: &Client) -> Result<(), Ending> {
        if let PeerIdentity::Certificate(_) = self.identity() {
            // The certificate stood for the password, as in Mosquitto.
            return Ok(());
        }
        let verdict = self.security().authenticate(
            client.info.username.as_deref(),
            client.password.as_deref().map(|p| &p[..]),
        );
        match verdict {
            crate::auth::Verdict::Allowed => Ok(()),
            refused => Err(Ending::Closing {
                reason: refused.reason(),
                why: "not authorised after the password file was reloaded".into(),
            }),
        }
    }

    /// Decodes and handles every whole packet in the read buffer, unless a publish filled a
    /// subscriber's queue: the rest waits in the buffer until that subscriber has room.
    fn handle_input(&mut self, client: &mut Client) -> Result<(), Ending> {
        while self.throttle.is_none() {
            let Some(packet) = self.decode_one()? else {
                break;
            };
            self.handle_packet(client, packet)?;
        }
        if self.inbuf.is_empty() {
            // Nothing left to decode: give the buffer back (the decoded packets keep their part).
            self.inbuf = BytesMut::new();
        }
        Ok(())
    }

    fn handle_packet(&mut self, client: &mut Client, packet: Packet) -> Result<(), Ending> {
        match packet {
            Packet::Publish(publish) => self.on_publish(client, publish),
            Packet::PubAck(ack) => {
                let mut state = client.session.lock();
                if let Some(seq) = state.inflight.puback(ack.packet_id).filter(|s| *s != 0) {
                    self.broker.write_behind(|| Op::DeleteDelivery {
                        client: client.id().clone(),
                        seq,
                    });
                }
                Ok(())
            }
            Packet::PubRec(rec) => self.on_pubrec(client, &rec),
            Packet::PubRel(rel) => self.on_pubrel(client, &rel),
            Packet::PubComp(comp) => {
                let mut state = client.session.lock();
                if let Some(seq) = state.inflight.pubcomp(comp.packet_id).filter(|s| *s != 0) {
                    self.broker.write_behind(|| Op::DeleteDelivery {
                        client: client.id().clone(),
                        seq,
                    });
                }
                Ok(())
            }
            Packet::Subscribe(subscribe) => self.on_subscribe(client, &subscribe),
            Packet::Unsubscribe(unsubscribe) => self.on_unsubscribe(client, &unsubscribe),
            Packet::PingReq => {
                self.send(&Packet::PingResp);
                Ok(())
            }
            Packet::Disconnect(disconnect) => self.on_disconnect(client, &disconnect),
            Packet::Connect(_) => Err(protocol_error("a second CONNECT on one connection")),
            Packet::Auth(_) => Err(protocol_error("AUTH without an authentication method")),
            Packet::ConnAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::PingResp => {
                Err(protocol_error("a packet only a server may send"))
            }
        }
    }
}

impl<S> Connection<S> {
    /// What the transport learned of the client.
    pub(crate) fn identity(&self) -> &PeerIdentity {
        self.identity
            .as_deref()
            .unwrap_or(&PeerIdentity::FromConnect)
    }

    /// The security in force now (re-read per check, so a reloaded ACL applies at once).
    pub(crate) fn security(&self) -> Arc<crate::auth::Security> {
        self.broker.security(self.listener_index as usize)
    }

    /// A topic as the broker sees it: the listener's mount point before the client's topic.
    pub(crate) fn mounted(&self, topic: &str) -> String {
        match &self.listener.mount_point {
            Some(mount) => format!("{mount}{topic}"),
            None => topic.to_string(),
        }
    }
}

/// An ending for a protocol error with a message for the log.
pub(crate) fn protocol_error(why: &str) -> Ending {
    Ending::Closing {
        reason: ReasonCode::PROTOCOL_ERROR,
        why: format!("protocol error: {why}"),
    }
}

#[cfg(test)]
mod tests {
    /// Every connection keeps this future for its whole life: its size is most of an idle
    /// connection's memory (BENCHMARKS.md, "Memory per idle TCP connection"). Tokio's task
    /// cell adds 104 bytes and rounds up to 128: at most 408 bytes of future, with the spawn's
    /// guard, fit a 512-byte cell; 409 take 640.
    #[test]
    fn the_connection_future_stays_small() {
        let broker = crate::Broker::new(crate::Config::default()).unwrap();
        let listener = std::sync::Arc::new(crate::config::Listener::new(
            "127.0.0.1:1883".parse().unwrap(),
        ));
        let (_client, server) = tokio::io::duplex(64);
        let connection = super::serve(
            broker,
            listener,
            0,
            server,
            "127.0.0.1:1".parse().unwrap(),
            crate::transport::PeerIdentity::FromConnect,
        );
        let size = std::mem::size_of_val(&connection);
        assert!(size <= 376, "the connection future grew to {size} bytes");
    }
}
