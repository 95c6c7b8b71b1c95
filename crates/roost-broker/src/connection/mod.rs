//! One client connection: a task that reads packets, acts on them, and drains the client's
//! session into the socket.
//!
//! The task owns both halves of the transport. Reading, writing, wake-ups from publishers, control
//! messages (takeover, kick) and the keep-alive timer are raced in one `select!`; each turn first
//! moves what the session has queued into the write buffer, bounded by [`WRITE_HIGH_WATER`], so a
//! slow reader holds back its own queue (where the limits apply) instead of growing memory.

mod connect;
mod inbound;
mod outbound;
mod subscribe;
pub(crate) mod will;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use roost_proto::{decode, encode, Disconnect, Packet, Properties, ProtocolVersion, ReasonCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::time::{sleep_until, Instant};
use tracing::info;

use crate::broker::Broker;
use crate::config::{Config, Listener};
use crate::metrics::Metrics;
use crate::session::{Control, Session};
use crate::store::{Durability, Op, Progress};
use crate::transport::PeerIdentity;
use tokio::sync::watch;

/// Stop moving queued messages into the write buffer past this many bytes.
const WRITE_HIGH_WATER: usize = 64 * 1024;
/// How long a connection the broker closes keeps reading before the socket is dropped.
const LINGER: Duration = Duration::from_millis(500);
/// Read buffer reserve per read call: it starts small, so an idle connection holds little, doubles
/// while reads fill it, and halves while they are small.
const READ_MIN: usize = 512;
const READ_MAX: usize = 64 * 1024;
/// A drained write buffer larger than this is given back rather than kept for the next batch.
const WRITE_KEEP: usize = 16 * 1024;
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
    pub(crate) id: Arc<str>,
    pub(crate) username: Option<Arc<str>>,
    /// Kept to check the client again when the password file is reloaded, as Mosquitto does
    /// (boxed: 24 bytes less in every connection's state, twice over).
    pub(crate) password: Option<Box<bytes::Bytes>>,
    pub(crate) keep_alive: Option<Duration>,
    /// Boxed: most clients have none, and it would add 400 bytes to every connection.
    pub(crate) will: Option<Box<roost_proto::Will>>,
    pub(crate) session_expiry: u32,
    pub(crate) control: Arc<crate::session::ControlSlot>,
    /// This connection's entry in the API's client list (message counts).
    pub(crate) info: Arc<crate::session::ConnectionInfo>,
    /// Topic aliases both ways (MQTT 5), made on first use: most clients use none, and two
    /// empty maps would add 96 bytes to every connection.
    pub(crate) aliases: Option<Box<Aliases>>,
    pub(crate) client_alias_max: u16,
    pub(crate) client_receive_max: u16,
    pub(crate) client_max_packet: u32,
    pub(crate) problem_info: bool,
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
    listener_index: usize,
    conn_id: u64,
    peer: SocketAddr,
    reader: ReadHalf<S>,
    writer: WriteHalf<S>,
    inbuf: BytesMut,
    /// How much to reserve for the next read (see [`READ_MIN`]).
    read_hint: usize,
    /// Bytes encoded and not yet handed to the socket.
    pending: BytesMut,
    /// Bytes being written now.
    writing: BytesMut,
    /// Written bytes the transport may still hold (TLS and WebSocket buffer until a flush).
    unflushed: bool,
    version: ProtocolVersion,
    /// What the transport learned of the client (a user name from its certificate).
    identity: PeerIdentity,
    /// The store's progress, when there is a store: output that acknowledges a change waits
    /// until the commit holding the change has finished.
    progress: Option<watch::Receiver<Progress>>,
    /// The commit everything in `pending` waits for (0: nothing waits).
    hold: u64,
    /// The first commit the output held back waits for: if any commit from there on fails, it
    /// may acknowledge something that was not written, and is dropped.
    held_from: u64,
    /// A subscriber session this publisher filled, and until when reading waits for it to drain
    /// (boxed: rarely set, and every connection carries the field).
    throttle: Option<Box<(Arc<Session>, Instant)>>,
}

enum Event {
    Read(std::io::Result<usize>),
    Stored,
    Throttled,
    Wrote(std::io::Result<usize>),
    Control(Control),
    Woken,
    Shutdown,
    Reloaded,
    KeepAliveExpired,
}

/// Serves one accepted connection until it ends.
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
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (reader, writer) = tokio::io::split(stream);
    let conn_id = broker.next_conn_id();
    let mut conn = Connection {
        config: broker.config().clone(),
        broker,
        listener,
        listener_index,
        conn_id,
        peer,
        reader,
        writer,
        inbuf: BytesMut::new(),
        // The smallest reserve: CONNECT is small, and an idle connection keeps this buffer.
        read_hint: READ_MIN,
        pending: BytesMut::new(),
        writing: BytesMut::new(),
        unflushed: false,
        version: ProtocolVersion::V3_1_1,
        identity,
        progress: None,
        hold: 0,
        held_from: 0,
        throttle: None,
    };
    async move {
        conn.progress = conn.broker.store_progress();
        if conn.config.connection_messages {
            info!(
                "New connection from {} on port {}.",
                conn.peer,
                conn.listener.addr.port()
            );
        }
        // The CONNECT phase and the ending are boxed so that their state is not part of the
        // future every connection keeps for its whole life (measured: 8 KiB per idle connection
        // before).
        let Some((client, durability)) = Box::pin(conn.accept()).await else {
            let _ = conn.flush().await;
            conn.linger().await;
            return;
        };
        conn.run(client, durability).await;
    }
}

impl<S: AsyncRead + AsyncWrite> Connection<S> {
    /// Appends one packet to the write buffer.
    pub(crate) fn send(&mut self, packet: &Packet) {
        Metrics::add(&self.broker.metrics.packets_sent, 1);
        encode(packet, self.version, &mut self.pending);
    }

    /// Writes everything buffered.
    async fn flush(&mut self) -> std::io::Result<()> {
        for buf in [&mut self.writing, &mut self.pending] {
            if !buf.is_empty() {
                Metrics::add(&self.broker.metrics.bytes_sent, buf.len() as u64);
                self.writer.write_all(buf).await?;
                buf.clear();
            }
        }
        self.writer.flush().await
    }

    /// Reads until one whole packet is decoded; `Err` carries how the connection must end.
    async fn read_packet(&mut self) -> Result<Packet, Ending> {
        loop {
            if let Some(packet) = self.decode_one()? {
                return Ok(packet);
            }
            self.prepare_read();
            match self.reader.read_buf(&mut self.inbuf).await {
                Ok(0) => return Err(Ending::Closed),
                Err(e) => return Err(self.read_failed(&e)),
                Ok(n) => Metrics::add(&self.broker.metrics.bytes_received, n as u64),
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

    async fn run(&mut self, mut client: Client, connected: Durability) {
        let mut signals = self.broker.signals();
        let at_start = *signals.borrow_and_update();
        let mut reloads_seen = at_start.reloads;
        if at_start.shutdown {
            let ending = Ending::Closing {
                reason: ReasonCode::SERVER_SHUTTING_DOWN,
                why: "server shutting down".into(),
            };
            Box::pin(self.finish(client, ending)).await;
            return;
        }
        let mut last_read = Instant::now();
        // Packets that came in the same read as CONNECT are already buffered: handle them now,
        // not when the next read happens to arrive.
        if let Err(ending) = self
            .hold_for(connected)
            .and_then(|()| self.handle_input(&mut client))
        {
            Box::pin(self.finish(client, ending)).await;
            return;
        }
        let ending = loop {
            if let Err(ending) = self
                .check_store()
                .and_then(|()| self.fill_from_session(&mut client))
            {
                break ending;
            }
            if self.writing.is_empty() && !self.pending.is_empty() && self.hold == 0 {
                std::mem::swap(&mut self.writing, &mut self.pending);
            }
            let deadline = client.keep_alive.map(|k| last_read + k.mul_f32(1.5));
            self.prepare_read();
            // Output held back for the store counts against reading: a client that keeps
            // publishing while the disk is slow is slowed down, not buffered without bound.
            let may_read = self.pending.len() < READ_PAUSE && self.throttle.is_none();
            let held = self.hold != 0;
            let throttled = self.throttle.is_some();
            // One timer: the keep-alive deadline, or while throttled the next look at the
            // crowded subscriber (one `Sleep` fewer in every connection's future).
            let timer = match throttled {
                true => Some(Instant::now() + THROTTLE_POLL),
                false => deadline,
            };
            let event = tokio::select! {
                biased;
                c = client.control.heard() => Event::Control(c),
                _ = signals.changed() => {
                    let now = *signals.borrow_and_update();
                    if now.shutdown {
                        Event::Shutdown
                    } else if std::mem::replace(&mut reloads_seen, now.reloads) != now.reloads {
                        Event::Reloaded
                    } else {
                        Event::Woken
                    }
                }
                w = write_and_flush(&mut self.writer, &mut self.writing, &mut self.unflushed),
                    if !self.writing.is_empty() || self.unflushed => Event::Wrote(w),
                _ = stored(&mut self.progress), if held => Event::Stored,
                r = self.reader.read_buf(&mut self.inbuf), if may_read => Event::Read(r),
                _ = client.session.woken() => Event::Woken,
                _ = sleep_until(timer.unwrap_or_else(Instant::now)), if timer.is_some() => match throttled {
                    true => Event::Throttled,
                    false => Event::KeepAliveExpired,
                },
            };
            let step = match event {
                Event::Read(Ok(0)) => Err(Ending::Closed),
                Event::Read(Err(e)) => Err(self.read_failed(&e)),
                Event::Read(Ok(n)) => {
                    self.adapt_read_hint(n);
                    last_read = Instant::now();
                    Metrics::add(&self.broker.metrics.bytes_received, n as u64);
                    self.handle_input(&mut client)
                }
                Event::Wrote(Ok(n)) => {
                    Metrics::add(&self.broker.metrics.bytes_sent, n as u64);
                    if self.writing.is_empty() && self.writing.capacity() > WRITE_KEEP {
                        self.writing = BytesMut::new();
                    }
                    Ok(())
                }
                Event::Wrote(Err(_)) => Err(Ending::Closed),
                Event::Woken | Event::Stored => Ok(()),
                Event::Throttled => match self.release_throttle() {
                    true => self.handle_input(&mut client),
                    false => Ok(()),
                },
                Event::Control(Control::TakenOver) => Err(Ending::Closing {
                    reason: ReasonCode::SESSION_TAKEN_OVER,
                    why: "session taken over".into(),
                }),
                Event::Control(Control::Kicked) => Err(Ending::Closing {
                    reason: ReasonCode::ADMINISTRATIVE_ACTION,
                    why: "kicked by an administrator".into(),
                }),
                Event::Shutdown => Err(Ending::Closing {
                    reason: ReasonCode::SERVER_SHUTTING_DOWN,
                    why: "server shutting down".into(),
                }),
                Event::Reloaded => {
                    self.config = self.broker.config().clone();
                    self.recheck_credentials(&client)
                }
                Event::KeepAliveExpired => Err(Ending::TimedOut),
            };
            if let Err(ending) = step {
                break ending;
            }
        };
        Box::pin(self.finish(client, ending)).await;
    }

    /// Releases the output held back for the store once its commit has finished, or ends the
    /// connection (MQTT 5: DISCONNECT 0x97) if a commit failed meanwhile: what is held back may
    /// acknowledge a change that was not written, so it is dropped, never sent.
    fn check_store(&mut self) -> Result<(), Ending> {
        let (first, last) = (self.held_from, self.hold);
        let Some(progress) = self.progress.as_mut().filter(|_| last != 0) else {
            return Ok(());
        };
        let outcome = progress.borrow_and_update().outcome(first, last);
        match outcome {
            None => Ok(()),
            Some(Ok(())) => {
                self.hold = 0;
                Ok(())
            }
            Some(Err(_)) => Err(self.store_failed()),
        }
    }

    /// Input resumes once the crowded subscriber has room again, or its time is up; true then.
    fn release_throttle(&mut self) -> bool {
        if let Some(throttle) = &self.throttle {
            let (session, until) = &**throttle;
            let limits = self.broker.enqueue_policy().limits;
            if Instant::now() >= *until || session.has_room(limits) {
                self.throttle = None;
                return true;
            }
        }
        false
    }

    /// Holds everything written to the client from now on until `durability`'s commit; a change
    /// the store refused ends the connection.
    pub(crate) fn hold_for(&mut self, durability: Durability) -> Result<(), Ending> {
        if durability.failed {
            return Err(self.store_failed());
        }
        self.hold_until(durability.commit);
        Ok(())
    }

    /// Holds the output from now on until commit `commit` (0: nothing to wait for).
    fn hold_until(&mut self, commit: u64) {
        if commit == 0 {
            return;
        }
        if self.hold == 0 {
            self.held_from = commit;
        }
        self.hold = self.hold.max(commit);
    }

    /// Drops the output held back and says why the connection ends.
    fn store_failed(&mut self) -> Ending {
        self.pending.clear();
        self.hold = 0;
        Ending::Closing {
            reason: ReasonCode::QUOTA_EXCEEDED,
            why: "the message store cannot write (see the broker's log)".into(),
        }
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
        if let PeerIdentity::Certificate(_) = self.identity {
            // The certificate stood for the password, as in Mosquitto.
            return Ok(());
        }
        let verdict = self.security().authenticate(
            client.username.as_deref(),
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

    /// Makes room for the next read; an empty buffer much larger than needed is given back.
    fn prepare_read(&mut self) {
        if self.inbuf.is_empty() && self.inbuf.capacity() > 2 * self.read_hint {
            self.inbuf = BytesMut::new();
        }
        self.inbuf.reserve(self.read_hint);
    }

    fn adapt_read_hint(&mut self, read: usize) {
        if read >= self.read_hint {
            self.read_hint = (self.read_hint * 2).min(READ_MAX);
        } else if read < self.read_hint / 8 {
            self.read_hint = (self.read_hint / 2).max(READ_MIN);
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
        Ok(())
    }

    fn handle_packet(&mut self, client: &mut Client, packet: Packet) -> Result<(), Ending> {
        match packet {
            Packet::Publish(publish) => self.on_publish(client, publish),
            Packet::PubAck(ack) => {
                let mut state = client.session.lock();
                if let Some(seq) = state.inflight.puback(ack.packet_id).filter(|s| *s != 0) {
                    self.broker.write_behind(|| Op::DeleteDelivery {
                        client: client.id.clone(),
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
                        client: client.id.clone(),
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

    fn on_disconnect(
        &mut self,
        client: &mut Client,
        disconnect: &Disconnect,
    ) -> Result<(), Ending> {
        if let Some(expiry) = disconnect.properties.session_expiry_interval {
            if client.session_expiry == 0 && expiry != 0 {
                // MQTT-3.14.2-2: a session that was to end cannot be given an expiry now.
                return Err(protocol_error(
                    "session expiry set on DISCONNECT after 0 in CONNECT",
                ));
            }
            client.session_expiry = expiry;
            client.session.lock().expiry_interval = expiry;
        }
        let with_will = disconnect.reason == ReasonCode::DISCONNECT_WITH_WILL_MESSAGE;
        Err(Ending::Disconnected { with_will })
    }

    /// Sends DISCONNECT (MQTT 5) when the broker ends the connection, flushes, publishes the will
    /// if the ending calls for it, and detaches from the session.
    async fn finish(&mut self, mut client: Client, ending: Ending) {
        if ending == Ending::TimedOut && self.version.is_v5() {
            let disconnect = Disconnect {
                reason: ReasonCode::KEEP_ALIVE_TIMEOUT,
                properties: Properties::default(),
            };
            self.send(&Packet::Disconnect(disconnect));
        }
        if let Ending::Closing { reason, why } = &ending {
            if self.version.is_v5() {
                // A reason string is always allowed in DISCONNECT (MQTT-3.1.2-29 spares it).
                let properties = Properties {
                    reason_string: Some(why.clone()),
                    ..Properties::default()
                };
                let disconnect = Disconnect {
                    reason: *reason,
                    properties,
                };
                self.send(&Packet::Disconnect(disconnect));
            }
        }
        if self.hold != 0 {
            // Acknowledgements still held back go out only once the store has them (bounded:
            // a failed or stuck store drops them).
            let progress = self.progress.clone();
            let (first, last) = (self.held_from, self.hold);
            let written = tokio::time::timeout(LINGER, async move {
                let mut progress = progress?;
                let done = progress.wait_for(|p| p.finished >= last).await.ok()?;
                done.outcome(first, last)
            })
            .await;
            if !matches!(written, Ok(Some(Ok(())))) {
                self.store_failed();
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.flush()).await;
        self.log_ending(&client, &ending);
        let publish_will = match &ending {
            Ending::Disconnected { with_will } => *with_will,
            Ending::Closing { reason, .. } => *reason != ReasonCode::SERVER_SHUTTING_DOWN,
            Ending::Closed | Ending::TimedOut => true,
        };
        // The session keeps the will only while a delayed one waits (set by `schedule`), and
        // only this connection's: one that was taken over leaves the new one's alone.
        let still_attached = {
            let mut state = client.session.lock();
            let attached = state.is_attached_to(self.conn_id);
            if attached {
                state.will = None;
            }
            attached
        };
        if let Some(will) = client.will.take().filter(|_| publish_will) {
            will::schedule(&self.broker, &client, *will, still_attached);
        }
        self.broker.detach(&client.session, self.conn_id);
        self.broker.metrics.client_disconnected();
        if matches!(ending, Ending::Closing { .. }) {
            self.linger().await;
        }
    }

    /// Half-closes and reads what the client still sends, briefly, so closing with unread input
    /// does not reset the connection and destroy the DISCONNECT just written.
    async fn linger(&mut self) {
        let _ = self.writer.shutdown().await;
        let drain = async {
            // Read into the (cleared) input buffer: a local array would sit in every
            // connection's future for its whole life.
            loop {
                self.inbuf.clear();
                self.inbuf.reserve(READ_MIN);
                if !matches!(self.reader.read_buf(&mut self.inbuf).await, Ok(n) if n > 0) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(LINGER, drain).await;
    }

    fn log_ending(&self, client: &Client, ending: &Ending) {
        if !self.config.connection_messages {
            return;
        }
        let id = &client.id;
        match ending {
            Ending::Disconnected { .. } => info!("Client {id} disconnected."),
            Ending::Closed => info!("Client {id} closed its connection."),
            Ending::TimedOut => info!("Client {id} has exceeded timeout, disconnecting."),
            Ending::Closing { reason, why } if *reason == ReasonCode::SESSION_TAKEN_OVER => {
                info!("Client {id} already connected, closing old connection ({why}).")
            }
            Ending::Closing { why, .. } => info!("Client {id} disconnected: {why}."),
        }
    }
}

impl<S> Connection<S> {
    /// The security in force now (re-read per check, so a reloaded ACL applies at once).
    pub(crate) fn security(&self) -> Arc<crate::auth::Security> {
        self.broker.security(self.listener_index)
    }

    /// A topic as the broker sees it: the listener's mount point before the client's topic.
    pub(crate) fn mounted(&self, topic: &str) -> String {
        match &self.listener.mount_point {
            Some(mount) => format!("{mount}{topic}"),
            None => topic.to_string(),
        }
    }
}

/// Resolves when the store's progress changes (never, without a store).
async fn stored(progress: &mut Option<watch::Receiver<Progress>>) {
    match progress {
        Some(progress) => {
            if progress.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

/// Writes some of `writing`, then flushes, so that a transport that buffers (TLS, WebSocket)
/// sends it now; `unflushed` stays set if the flush is cancelled or pending, so it is retried.
/// A plain TCP flush is immediate.
async fn write_and_flush<W: AsyncWrite>(
    writer: &mut WriteHalf<W>,
    writing: &mut BytesMut,
    unflushed: &mut bool,
) -> std::io::Result<usize> {
    let n = if writing.is_empty() {
        0
    } else {
        writer.write_buf(writing).await?
    };
    *unflushed = true;
    writer.flush().await?;
    *unflushed = false;
    Ok(n)
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
    /// connection's memory (BENCHMARKS.md, "Memory per idle TCP connection").
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
        assert!(size <= 1280, "the connection future grew to {size} bytes");
    }
}
