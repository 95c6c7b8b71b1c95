//! [`Command`]: what a [`crate::Client`] handle asks of the session task.
//!
//! Each request carries a oneshot sender for its answer, so any number of handles can have
//! requests outstanding at once; the channel that carries commands is bounded.
//!
//! Packets and properties are boxed: a command is then at most 48 bytes instead of 416, and the
//! command channel of every connection allocates 32 slots up front (13 KiB per idle client,
//! measured with heaptrack on `roost bench conn`, before).

use roost_proto::{Disconnect, Properties, Publish, SubAck, SubscribeFilter, UnsubAck};
use tokio::sync::oneshot;

use crate::error::ClientError;
use crate::outbound::PubOutcome;

/// Where a request's answer goes.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, ClientError>>;

/// A request to the session task.
pub(crate) enum Command {
    /// Send a PUBLISH (its packet identifier is assigned by the task).
    Publish {
        publish: Box<Publish>,
        reply: Reply<PubOutcome>,
    },
    /// Send a SUBSCRIBE.
    Subscribe {
        filters: Vec<SubscribeFilter>,
        properties: Box<Properties>,
        reply: Reply<SubAck>,
    },
    /// Send an UNSUBSCRIBE.
    Unsubscribe {
        filters: Vec<String>,
        properties: Box<Properties>,
        reply: Reply<UnsubAck>,
    },
    /// Send DISCONNECT and close.
    Disconnect {
        disconnect: Box<Disconnect>,
        reply: Reply<()>,
    },
    /// Close the socket without DISCONNECT.
    Abort,
}

/// Answers `reply`, ignoring a caller that stopped waiting.
pub(crate) fn answer<T>(reply: Reply<T>, result: Result<T, ClientError>) {
    // The caller may have dropped its future (cancelled the request); nobody is left to tell.
    let _ = reply.send(result);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_stays_small_because_its_packets_are_boxed() {
        assert!(std::mem::size_of::<Command>() <= 48);
    }
}
