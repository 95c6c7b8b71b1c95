//! [`WsByteStream`]: a WebSocket connection seen as the byte stream MQTT runs on.
//!
//! MQTT over WebSocket carries the MQTT byte stream in binary messages, and a receiver must not
//! assume packets line up with frames ([MQTT-6.0.0-2]): one message may hold several packets or a
//! piece of one. So this adapter forgets the message boundaries altogether: reading yields the
//! bytes of the binary messages in order, writing collects bytes and sends them as one binary
//! message per flush (or per [`MAX_OUTGOING_MESSAGE`] bytes). A text message is an
//! [`std::io::ErrorKind::InvalidData`] error ([MQTT-6.0.0-1]); a Close message or the end of the
//! underlying stream (with or without a Close) is end of file. Pings are answered by tungstenite itself while the reader
//! keeps reading; pongs are dropped.
//!
//! It owns no timer and no TLS: whoever builds the `WebSocketStream` chooses what lies below it.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

/// The most bytes written into one outgoing binary message; a larger write is sent as several
/// messages, which MQTT over WebSocket allows, so that no message outgrows a peer's frame limit.
pub const MAX_OUTGOING_MESSAGE: usize = 64 * 1024;

/// Why the stream refused what the peer sent, carried inside the [`io::Error`] (its `get_ref`
/// downcasts to this type).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WsStreamError {
    /// The peer sent a text message; MQTT over WebSocket is binary only [MQTT-6.0.0-1].
    #[error("WebSocket text frame received: MQTT over WebSocket uses binary frames only")]
    TextFrame,
}

/// A `WebSocketStream` as a tokio [`AsyncRead`] + [`AsyncWrite`] byte stream (see the module
/// docs for what happens to each kind of message).
#[derive(Debug)]
pub struct WsByteStream<S> {
    inner: WebSocketStream<S>,
    /// The rest of the last binary message received, not yet read.
    incoming: Bytes,
    /// Written bytes waiting for the next flush; at most [`MAX_OUTGOING_MESSAGE`] long.
    outgoing: BytesMut,
    /// The peer closed (or the stream ended): every further read is end of file.
    read_done: bool,
    /// Shutdown has sent (or found) the Close; only the stream below is left to shut down.
    close_sent: bool,
}

impl<S> WsByteStream<S> {
    /// Wraps a WebSocket connection whose handshake is done (by `accept_hdr_async`,
    /// `client_async`, `from_raw_socket` or `from_partially_read`).
    pub fn new(inner: WebSocketStream<S>) -> Self {
        Self {
            inner,
            incoming: Bytes::new(),
            outgoing: BytesMut::new(),
            read_done: false,
            close_sent: false,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsByteStream<S> {
    /// The stream below the WebSocket layer (a TCP or TLS stream).
    pub fn get_ref(&self) -> &S {
        self.inner.get_ref()
    }

    /// Hands the collected bytes to tungstenite as one binary message, once it has room.
    fn poll_send_outgoing(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.outgoing.is_empty() {
            return Poll::Ready(Ok(()));
        }
        ready!(Pin::new(&mut self.inner).poll_ready(cx)).map_err(write_error)?;
        let message = Message::Binary(self.outgoing.split().freeze());
        Pin::new(&mut self.inner)
            .start_send(message)
            .map_err(write_error)?;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WsByteStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if !this.incoming.is_empty() {
                let n = this.incoming.len().min(buf.remaining());
                buf.put_slice(&this.incoming[..n]);
                this.incoming.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.read_done {
                return Poll::Ready(Ok(()));
            }
            match ready!(Pin::new(&mut this.inner).poll_next(cx)) {
                Some(Ok(Message::Binary(data))) => this.incoming = data,
                Some(Ok(Message::Text(_))) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        WsStreamError::TextFrame,
                    )))
                }
                Some(Ok(Message::Close(_))) | None => this.read_done = true,
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                // A stream that ends without a Close is the end too, as a TCP stream's end is.
                Some(Err(
                    WsError::ConnectionClosed
                    | WsError::AlreadyClosed
                    | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake),
                )) => this.read_done = true,
                Some(Err(e)) => return Poll::Ready(Err(read_error(e))),
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WsByteStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.outgoing.len() >= MAX_OUTGOING_MESSAGE {
            ready!(this.poll_send_outgoing(cx))?;
        }
        let n = buf.len().min(MAX_OUTGOING_MESSAGE - this.outgoing.len());
        this.outgoing.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_send_outgoing(cx))?;
        Pin::new(&mut this.inner)
            .poll_flush(cx)
            .map_err(write_error)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if !this.close_sent {
            ready!(this.poll_send_outgoing(cx))?;
            match ready!(Pin::new(&mut this.inner).poll_close(cx)) {
                Ok(()) | Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {}
                Err(e) => return Poll::Ready(Err(write_error(e))),
            }
            this.close_sent = true;
        }
        Pin::new(this.inner.get_mut()).poll_shutdown(cx)
    }
}

/// An error met while reading, as the `io::Error` a byte stream reports.
fn read_error(e: WsError) -> io::Error {
    match e {
        WsError::Io(e) => e,
        e @ (WsError::Protocol(_) | WsError::Capacity(_) | WsError::Utf8(_)) => {
            io::Error::new(io::ErrorKind::InvalidData, e)
        }
        e => io::Error::other(e),
    }
}

/// An error met while writing; a closed connection is a broken pipe, as on a socket.
fn write_error(e: WsError) -> io::Error {
    match e {
        WsError::ConnectionClosed | WsError::AlreadyClosed => {
            io::Error::new(io::ErrorKind::BrokenPipe, e)
        }
        e => read_error(e),
    }
}

#[cfg(test)]
mod tests;
