//! [`Client`]: a cheap, cloneable handle to one connection's session task.
//!
//! Every method sends a [`Command`] over a bounded channel (so a burst of requests waits for the
//! task instead of growing a queue) and then waits for the task's answer on a oneshot. Handles
//! hold no lock and can be used from any number of tasks at once.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use roost_proto::{
    Disconnect, Properties, ProtocolVersion, Publish, QoS, ReasonCode, SubAck, SubscribeFilter,
    UnsubAck,
};
use tokio::sync::{mpsc, oneshot};

use crate::command::Command;
use crate::error::ClientError;
use crate::incoming::CloseCause;
use crate::outbound::PubOutcome;

/// What every handle of one connection shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) client_id: String,
    pub(crate) protocol: ProtocolVersion,
    pub(crate) cause: Arc<OnceLock<CloseCause>>,
}

impl Shared {
    /// The error for a request that found the session gone.
    fn closed_error(&self) -> ClientError {
        match self.cause.get() {
            Some(CloseCause::BrokerDisconnect(d)) => ClientError::Disconnected(Some(d.reason)),
            _ => ClientError::Disconnected(None),
        }
    }
}

/// A handle to a connected MQTT client. Clone it freely; the connection stays open while any
/// handle or the [`crate::Incoming`] stream is alive, and sends DISCONNECT when the last is dropped.
#[derive(Clone, Debug)]
pub struct Client {
    commands: mpsc::Sender<Command>,
    shared: Arc<Shared>,
}

impl Client {
    pub(crate) fn new(commands: mpsc::Sender<Command>, shared: Arc<Shared>) -> Self {
        Client { commands, shared }
    }

    /// The client id in use: the broker-assigned one when it assigned one (MQTT 5).
    pub fn client_id(&self) -> &str {
        &self.shared.client_id
    }

    /// The protocol version of the connection.
    pub fn protocol(&self) -> ProtocolVersion {
        self.shared.protocol
    }

    /// True once the session has ended.
    pub fn is_closed(&self) -> bool {
        self.commands.is_closed()
    }

    async fn request<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, ClientError>>) -> Command,
    ) -> Result<oneshot::Receiver<Result<T, ClientError>>, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(make(reply))
            .await
            .map_err(|_| self.shared.closed_error())?;
        Ok(answer)
    }

    /// Hands a PUBLISH to the session task and returns at once with a future of its outcome, so
    /// one task can keep many publishes outstanding. Waits only while the command channel is full.
    pub async fn begin_publish(
        &self,
        topic: impl Into<String>,
        payload: impl Into<Bytes>,
        qos: QoS,
        retain: bool,
        properties: Properties,
    ) -> Result<PendingPublish, ClientError> {
        let publish = Box::new(Publish {
            dup: false,
            qos,
            retain,
            topic: topic.into(),
            packet_id: None,
            payload: payload.into(),
            properties,
        });
        let answer = self
            .request(|reply| Command::Publish { publish, reply })
            .await?;
        Ok(PendingPublish {
            answer,
            shared: Arc::clone(&self.shared),
        })
    }

    /// Publishes and waits for the end of its exchange: written (QoS 0), PUBACK (QoS 1) or
    /// PUBCOMP (QoS 2). The broker's reason code is in the outcome; a refusal is not an `Err`.
    pub async fn publish(
        &self,
        topic: impl Into<String>,
        payload: impl Into<Bytes>,
        qos: QoS,
        retain: bool,
        properties: Properties,
    ) -> Result<PubOutcome, ClientError> {
        self.begin_publish(topic, payload, qos, retain, properties)
            .await?
            .await
    }

    /// Subscribes and waits for the SUBACK (one reason per filter, in order).
    pub async fn subscribe(
        &self,
        filters: Vec<SubscribeFilter>,
        properties: Properties,
    ) -> Result<SubAck, ClientError> {
        let answer = self
            .request(|reply| Command::Subscribe {
                filters,
                properties: Box::new(properties),
                reply,
            })
            .await?;
        self.wait(answer).await
    }

    /// Unsubscribes and waits for the UNSUBACK.
    pub async fn unsubscribe(&self, filters: Vec<String>) -> Result<UnsubAck, ClientError> {
        self.unsubscribe_with_properties(filters, Properties::default())
            .await
    }

    /// Unsubscribes with UNSUBSCRIBE properties (MQTT 5: user properties) and waits for the
    /// UNSUBACK.
    pub async fn unsubscribe_with_properties(
        &self,
        filters: Vec<String>,
        properties: Properties,
    ) -> Result<UnsubAck, ClientError> {
        let answer = self
            .request(|reply| Command::Unsubscribe {
                filters,
                properties: Box::new(properties),
                reply,
            })
            .await?;
        self.wait(answer).await
    }

    /// Sends DISCONNECT (after everything already queued), closes the connection and waits until
    /// it is closed. Requests still unanswered fail with [`ClientError::Disconnected`]. The reason
    /// and properties are sent in MQTT 5 only; `DISCONNECT_WITH_WILL_MESSAGE` asks the broker to
    /// publish the will anyway.
    pub async fn disconnect(
        &self,
        reason: ReasonCode,
        properties: Properties,
    ) -> Result<(), ClientError> {
        let disconnect = Box::new(Disconnect { reason, properties });
        let answer = self
            .request(|reply| Command::Disconnect { disconnect, reply })
            .await?;
        self.wait(answer).await
    }

    /// Closes the socket without DISCONNECT, as a crash would: the broker publishes the will.
    pub async fn abort(&self) {
        // If the session is already gone there is nothing to abort.
        let _ = self.commands.send(Command::Abort).await;
        self.commands.closed().await;
    }

    async fn wait<T>(
        &self,
        answer: oneshot::Receiver<Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        answer
            .await
            .unwrap_or_else(|_| Err(self.shared.closed_error()))
    }
}

/// The outcome of a publish handed over by [`Client::begin_publish`]; resolves like
/// [`Client::publish`].
#[derive(Debug)]
pub struct PendingPublish {
    answer: oneshot::Receiver<Result<PubOutcome, ClientError>>,
    shared: Arc<Shared>,
}

impl Future for PendingPublish {
    type Output = Result<PubOutcome, ClientError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.answer)
            .poll(cx)
            .map(|result| result.unwrap_or_else(|_| Err(self.shared.closed_error())))
    }
}
