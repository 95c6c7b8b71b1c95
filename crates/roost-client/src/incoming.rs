//! [`Incoming`]: the messages the broker delivers, and why they stopped.
//!
//! A bounded channel from the session task. When the application reads slower than the broker
//! sends, the task stops reading the socket once the channel and a small backlog are full, so
//! TCP flow control slows the broker down; memory stays bounded.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use roost_proto::{DecodeError, Disconnect, Properties, QoS, ReasonCode};
use tokio::sync::mpsc;

/// One application message received from the broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Topic name, with a broker topic alias already resolved.
    pub topic: String,
    /// Payload.
    pub payload: Bytes,
    /// QoS it was delivered with.
    pub qos: QoS,
    /// RETAIN flag: a retained message sent because of a subscription.
    pub retain: bool,
    /// DUP flag.
    pub dup: bool,
    /// Packet identifier of a QoS 1 or 2 delivery (`mosquitto_sub -F %m` prints it).
    pub packet_id: Option<u16>,
    /// PUBLISH properties (MQTT 5), the topic alias included as received.
    pub properties: Properties,
}

/// Why a session ended.
#[derive(Debug)]
pub enum CloseCause {
    /// The broker sent DISCONNECT.
    BrokerDisconnect(Box<Disconnect>),
    /// The broker closed the socket without DISCONNECT.
    ConnectionClosed,
    /// Reading or writing the socket failed.
    Io(std::io::Error),
    /// The broker sent bytes that are not a valid packet.
    Decode(DecodeError),
    /// The broker broke the protocol in a well-formed packet; the client sent DISCONNECT with
    /// this reason (MQTT 5).
    ProtocolViolation(ReasonCode, &'static str),
    /// No PINGRESP arrived within the keep-alive interval.
    KeepAliveTimeout,
    /// The application called [`crate::Client::disconnect`], or dropped every handle.
    ClientDisconnect,
    /// The application called [`crate::Client::abort`].
    Aborted,
}

/// The stream of messages from the broker. Ends (`recv` returns `None`) when the session ends.
#[derive(Debug)]
pub struct Incoming {
    rx: mpsc::Receiver<Message>,
    cause: Arc<OnceLock<CloseCause>>,
}

impl Incoming {
    pub(crate) fn new(rx: mpsc::Receiver<Message>, cause: Arc<OnceLock<CloseCause>>) -> Self {
        Incoming { rx, cause }
    }

    /// The next message; `None` once the session has ended and every message was read.
    pub async fn recv(&mut self) -> Option<Message> {
        self.rx.recv().await
    }

    /// A message if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<Message> {
        self.rx.try_recv().ok()
    }

    /// Why the session ended, once it has.
    pub fn close_cause(&self) -> Option<&CloseCause> {
        self.cause.get()
    }
}
