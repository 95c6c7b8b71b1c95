//! [`EventLoop`]: the one task that owns a connection's socket.
//!
//! A single `select!` loop over: bytes from the socket, room to write, commands from the
//! [`crate::Client`] handles, room in the [`crate::Incoming`] channel and the keep-alive timer.
//! Everything it decides is delegated to [`Session`]; this file only moves bytes and wakes up.
//!
//! Bounds: the task reads from the socket only while fewer than [`BACKLOG`] received messages
//! wait for the application and the write buffer is under [`WRITE_HIGH_WATER`]; it takes commands
//! only while fewer than [`MAX_WAITING`] publishes wait for the in-flight window. So a slow
//! application or a slow broker pushes back instead of growing memory.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::BytesMut;
use roost_proto::{encode, Packet, ProtocolVersion, ReasonCode};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};

use crate::command::{answer, Command, Reply};
use crate::error::ClientError;
use crate::incoming::{CloseCause, Message};
use crate::options::{Direction, PacketHook};
use crate::outbound::PubOutcome;
use crate::session::{Control, Session};

/// Received messages the task holds beyond the `Incoming` channel before it stops reading.
const BACKLOG: usize = 64;
/// Bytes queued for the socket above which the task stops producing more.
const WRITE_HIGH_WATER: usize = 256 * 1024;
/// Publishes waiting for the in-flight window above which the task stops taking commands.
const MAX_WAITING: usize = 1024;
/// Commands run back to back before the loop writes and reads again.
const COMMAND_BATCH: usize = 64;
/// How long a closing client may spend writing its last packets.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// Socket read size: it starts small, so an idle connection holds little (a benchmark opens
/// tens of thousands), doubles while reads fill it, up to the largest, and halves while they
/// are small.
pub(crate) const READ_MIN: usize = 512;
const READ_CHUNK: usize = 16 * 1024;

/// How the loop ended.
struct Ending {
    cause: CloseCause,
    /// Write what is queued (a final DISCONNECT) before closing.
    drain: bool,
    /// Answer to a `disconnect` call.
    reply: Option<Reply<()>>,
}

impl Ending {
    fn now(cause: CloseCause) -> Self {
        Ending {
            cause,
            drain: false,
            reply: None,
        }
    }

    fn after_drain(cause: CloseCause, reply: Option<Reply<()>>) -> Self {
        Ending {
            cause,
            drain: true,
            reply,
        }
    }
}

/// The session task of one connection.
pub(crate) struct EventLoop<S> {
    pub(crate) reader: ReadHalf<S>,
    pub(crate) writer: WriteHalf<S>,
    /// Received bytes not yet decoded; may hold bytes that arrived with CONNACK.
    pub(crate) rbuf: BytesMut,
    pub(crate) session: Session,
    pub(crate) version: ProtocolVersion,
    pub(crate) max_packet_size: u32,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) incoming: mpsc::Sender<Message>,
    pub(crate) hook: Option<PacketHook>,
    pub(crate) cause: Arc<OnceLock<CloseCause>>,
    /// The outbox being encoded, kept for reuse.
    pub(crate) spare: Vec<crate::outbound::Outgoing>,
}

/// Bytes for the socket, and the QoS 0 publishes waiting for theirs to be written.
#[derive(Default)]
struct WriteState {
    buf: BytesMut,
    needs_flush: bool,
    /// Total bytes ever queued and ever written; a waiter is done when `written` passes its end.
    queued: u64,
    written: u64,
    waiters: VecDeque<(u64, Reply<PubOutcome>)>,
}

impl WriteState {
    fn wrote(&mut self, n: usize) {
        self.written += n as u64;
        while let Some((end, _)) = self.waiters.front() {
            if *end > self.written {
                break;
            }
            if let Some((_, reply)) = self.waiters.pop_front() {
                let outcome = PubOutcome {
                    packet_id: None,
                    reason: ReasonCode::SUCCESS,
                    properties: Default::default(),
                };
                answer(reply, Ok(outcome));
            }
        }
    }
}

enum WriteStep {
    Wrote(usize),
    Flushed,
}

async fn write_step<W: AsyncWrite + Unpin>(
    writer: &mut W,
    buf: &mut BytesMut,
) -> io::Result<WriteStep> {
    if buf.is_empty() {
        writer.flush().await.map(|()| WriteStep::Flushed)
    } else {
        writer.write_buf(buf).await.map(WriteStep::Wrote)
    }
}

impl<S: AsyncRead + AsyncWrite + Send + 'static> EventLoop<S> {
    /// Runs the connection until it ends, then fails what is left and ends `Incoming`.
    pub(crate) async fn run(mut self) {
        let mut out = WriteState::default();
        let mut backlog = VecDeque::new();
        let ending = self.drive(&mut out, &mut backlog).await;
        if ending.drain {
            self.encode_outbox(&mut out);
            let pending = out.buf.len();
            let writer = &mut self.writer;
            let last = async {
                writer.write_all_buf(&mut out.buf).await?;
                writer.flush().await?;
                writer.shutdown().await
            };
            match tokio::time::timeout(CLOSE_GRACE, last).await {
                Ok(Ok(())) => out.wrote(pending),
                Ok(Err(error)) => tracing::debug!(%error, "closing write failed"),
                Err(_) => tracing::debug!("closing write timed out"),
            }
        }
        let broker_reason = match &ending.cause {
            CloseCause::BrokerDisconnect(d) => Some(d.reason),
            _ => None,
        };
        tracing::debug!(cause = ?ending.cause, "session ended");
        // Set before anyone is answered, so handles that see the channel closed read the cause.
        let _ = self.cause.set(ending.cause);
        self.session.fail_all(broker_reason);
        for (_, reply) in out.waiters.drain(..) {
            answer(reply, Err(ClientError::Disconnected(broker_reason)));
        }
        if let Some(reply) = ending.reply {
            answer(reply, Ok(()));
        }
        self.commands.close();
        drop(self.reader);
        drop(self.writer);
        // Messages already acknowledged to the broker still reach the application.
        for message in backlog {
            if self.incoming.send(message).await.is_err() {
                break;
            }
        }
    }

    async fn drive(&mut self, out: &mut WriteState, backlog: &mut VecDeque<Message>) -> Ending {
        let mut commands_closed = false;
        let mut read_size = READ_MIN;
        // A second sender for the select branches, whose permits must not borrow `self`.
        let incoming = self.incoming.clone();
        let far = Instant::now() + Duration::from_secs(86_400 * 365);
        let timer = sleep_until(far);
        tokio::pin!(timer);
        if let Some(end) = self.decode_all(backlog) {
            return end;
        }
        loop {
            self.encode_outbox(out);
            let deadline = self.session.deadline();
            let next = deadline.unwrap_or(far);
            if timer.deadline() != next {
                timer.as_mut().reset(next);
            }
            let can_read = backlog.len() < BACKLOG && out.buf.len() < WRITE_HIGH_WATER;
            let can_take = !commands_closed
                && self.session.waiting() < MAX_WAITING
                && out.buf.len() < WRITE_HIGH_WATER;
            let must_write = !out.buf.is_empty() || out.needs_flush;
            if self.rbuf.capacity() - self.rbuf.len() < read_size {
                self.rbuf.reserve(read_size);
            }

            tokio::select! {
                read = tokio::io::AsyncReadExt::read_buf(&mut self.reader, &mut self.rbuf), if can_read => {
                    match read {
                        Ok(0) => return Ending::now(CloseCause::ConnectionClosed),
                        Ok(n) => {
                            read_size = next_read_size(read_size, n);
                            if let Some(end) = self.decode_all(backlog) {
                                return end;
                            }
                        }
                        Err(error) => return Ending::now(CloseCause::Io(error)),
                    }
                }
                step = write_step(&mut self.writer, &mut out.buf), if must_write => {
                    match step {
                        Ok(WriteStep::Wrote(0)) => {
                            return Ending::now(CloseCause::Io(io::ErrorKind::WriteZero.into()));
                        }
                        Ok(WriteStep::Wrote(n)) => {
                            out.wrote(n);
                            out.needs_flush = true;
                        }
                        Ok(WriteStep::Flushed) => out.needs_flush = false,
                        Err(error) => return Ending::now(CloseCause::Io(error)),
                    }
                }
                command = self.commands.recv(), if can_take => {
                    match command {
                        Some(command) => {
                            if let Some(end) = self.run_commands(command) {
                                return end;
                            }
                        }
                        None => {
                            commands_closed = true;
                            if self.incoming.is_closed() {
                                return self.last_handle_dropped();
                            }
                        }
                    }
                }
                permit = incoming.reserve(), if !backlog.is_empty() => {
                    match (permit, backlog.pop_front()) {
                        (Ok(permit), Some(message)) => permit.send(message),
                        // Nobody reads `Incoming` any more: drop what it would have received.
                        _ => backlog.clear(),
                    }
                }
                () = incoming.closed(), if commands_closed => {
                    return self.last_handle_dropped();
                }
                () = &mut timer, if deadline.is_some() => {
                    if let Err(cause) = self.session.tick(Instant::now()) {
                        return Ending::after_drain(cause, None);
                    }
                }
            }
        }
    }

    /// Runs `first` and then the commands already waiting, up to [`COMMAND_BATCH`], so a burst
    /// of requests goes out in one write.
    fn run_commands(&mut self, first: Command) -> Option<Ending> {
        let mut next = Some(first);
        let mut ran = 0;
        while let Some(command) = next.take() {
            match self.session.command(command) {
                Control::Continue => {}
                Control::Disconnect(reply) => {
                    return Some(Ending::after_drain(
                        CloseCause::ClientDisconnect,
                        Some(reply),
                    ));
                }
                Control::Abort => return Some(Ending::now(CloseCause::Aborted)),
            }
            ran += 1;
            if ran < COMMAND_BATCH && self.session.waiting() < MAX_WAITING {
                next = self.commands.try_recv().ok();
            }
        }
        None
    }

    /// Every `Client` and the `Incoming` are gone: disconnect normally.
    fn last_handle_dropped(&mut self) -> Ending {
        self.session
            .outbox
            .push(Packet::Disconnect(Default::default()).into());
        Ending::after_drain(CloseCause::ClientDisconnect, None)
    }

    /// Decodes and handles every complete packet in the read buffer.
    fn decode_all(&mut self, backlog: &mut VecDeque<Message>) -> Option<Ending> {
        loop {
            let packet =
                match roost_proto::decode(&mut self.rbuf, self.version, self.max_packet_size) {
                    Ok(Some(packet)) => packet,
                    Ok(None) => return None,
                    Err(error) => {
                        tracing::warn!(%error, "invalid packet from the broker");
                        self.session.close_with(error.reason_code());
                        return Some(Ending::after_drain(CloseCause::Decode(error), None));
                    }
                };
            if let Some(hook) = &self.hook {
                hook(Direction::Received, &packet);
            }
            tracing::trace!(?packet, "received");
            match self.session.packet(packet) {
                Ok(Some(message)) => self.deliver(message, backlog),
                Ok(None) => {}
                Err(cause @ CloseCause::ProtocolViolation(..)) => {
                    return Some(Ending::after_drain(cause, None));
                }
                Err(cause) => return Some(Ending::now(cause)),
            }
        }
    }

    fn deliver(&mut self, message: Message, backlog: &mut VecDeque<Message>) {
        if !backlog.is_empty() {
            backlog.push_back(message);
            return;
        }
        match self.incoming.try_send(message) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(message)) => backlog.push_back(message),
            // Nobody reads `Incoming`: the message is acknowledged and dropped.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Encodes every queued packet into the write buffer.
    fn encode_outbox(&mut self, out: &mut WriteState) {
        if self.session.outbox.is_empty() {
            return;
        }
        let now = Instant::now();
        // Swap buffers rather than take one, so neither is reallocated per event.
        std::mem::swap(&mut self.session.outbox, &mut self.spare);
        for outgoing in self.spare.drain(..) {
            if let Some(hook) = &self.hook {
                hook(Direction::Sent, &outgoing.packet);
            }
            tracing::trace!(packet = ?outgoing.packet, "sending");
            let before = out.buf.len();
            encode(&outgoing.packet, self.version, &mut out.buf);
            out.queued += (out.buf.len() - before) as u64;
            if let Some(reply) = outgoing.on_written {
                out.waiters.push_back((out.queued, reply));
            }
        }
        self.session.sent(now);
    }
}

/// The next read's size after a read of `read` bytes into room for `size`.
fn next_read_size(size: usize, read: usize) -> usize {
    if read >= size {
        (size * 2).min(READ_CHUNK)
    } else if read < size / 8 {
        (size / 2).max(READ_MIN)
    } else {
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_size_doubles_while_reads_fill_it_and_halves_while_they_are_small() {
        assert_eq!(next_read_size(READ_MIN, READ_MIN), 2 * READ_MIN);
        assert_eq!(next_read_size(READ_CHUNK, READ_CHUNK), READ_CHUNK, "capped");
        assert_eq!(next_read_size(4096, 100), 2048);
        assert_eq!(
            next_read_size(READ_MIN, 4),
            READ_MIN,
            "never below the least"
        );
        assert_eq!(next_read_size(4096, 1000), 4096, "a middling read keeps it");
    }
}
