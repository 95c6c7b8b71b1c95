//! How a connection ends: DISCONNECT from the client, the broker's DISCONNECT (MQTT 5), the
//! acknowledgements still held for the store, the will, and the lingering read that lets the
//! last packet reach the client.

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use roost_proto::{Disconnect, Packet, Properties, ReasonCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::info;

use super::{protocol_error, will, Client, Connection, Ending, LINGER};

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    pub(super) fn on_disconnect(
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
    pub(super) async fn finish(&mut self, mut client: Client, ending: Ending) {
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
                let properties = Properties::from(roost_proto::PropertyValues {
                    reason_string: Some(why.clone()),
                    ..roost_proto::PropertyValues::NONE
                });
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
            let progress = self.broker.store_progress();
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
        self.broker.links().remove(client.slot);
        client.info.link.forget();
        self.broker.detach(&client.session, self.conn_id);
        self.broker.metrics.client_disconnected();
        if matches!(ending, Ending::Closing { .. }) {
            self.linger().await;
        }
    }

    /// Half-closes and reads what the client still sends, briefly, so closing with unread input
    /// does not reset the connection and destroy the DISCONNECT just written.
    pub(super) async fn linger(&mut self) {
        let _ = poll_fn(|cx| Pin::new(&mut self.stream).poll_shutdown(cx)).await;
        let drain = async {
            loop {
                self.inbuf.clear();
                if !matches!(poll_fn(|cx| self.poll_input(cx)).await, Ok(n) if n > 0) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(LINGER, drain).await;
    }

    pub(super) fn log_ending(&self, client: &Client, ending: &Ending) {
        if !self.config.connection_messages {
            return;
        }
        let id = client.id();
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
