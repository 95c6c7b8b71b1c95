//! `roost-client`: an async MQTT 3.1 / 3.1.1 / 5.0 client on tokio, used by the `roost pub` and
//! `roost sub` commands, the tests and the benchmark.
//!
//! [`Client::connect`] opens a connection and returns a [`Client`] handle (cheap to clone), what
//! the broker said in CONNACK ([`Connected`]) and the stream of received messages ([`Incoming`]).
//! One task per connection owns the socket; handles talk to it through a bounded channel, so
//! any number of publishes, subscribes and unsubscribes can be outstanding at once. The task
//! acknowledges received QoS 1 and 2 messages, delivers each QoS 2 message once, resolves topic
//! aliases, pings on keep-alive and respects the broker's Receive Maximum, Maximum QoS, Retain
//! Available and Maximum Packet Size.
//!
//! [`ClientOptions::transport`] says how the bytes travel: plain TCP, TLS ([`TlsConfig`], loaded
//! once from [`TlsOptions`] and shared by every connection that uses it), MQTT over WebSocket, or
//! WebSocket over TLS.
//!
//! It does not reconnect or persist sessions; when the connection ends, `Incoming` ends and
//! pending requests fail with [`ClientError::Disconnected`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), roost_client::ClientError> {
//! use roost_client::{Client, ClientOptions, QoS, Properties, SubscribeFilter};
//!
//! let (client, _connected, mut incoming) = Client::connect(ClientOptions::new("localhost", 1883)).await?;
//! client.subscribe(vec![SubscribeFilter { filter: "a/#".into(), options: Default::default() }],
//!                  Properties::default()).await?;
//! client.publish("a/b", "hello", QoS::AtLeastOnce, false, Properties::default()).await?;
//! if let Some(message) = incoming.recv().await {
//!     println!("{} {:?}", message.topic, message.payload);
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod client;
mod command;
mod connect;
mod error;
mod event_loop;
mod inbound;
mod incoming;
mod keep_alive;
mod options;
mod outbound;
mod packet_ids;
mod reason_text;
mod session;
mod tls;
mod transport;
mod websocket;

pub use client::{Client, PendingPublish};
pub use connect::run_session;
pub use error::ClientError;
pub use incoming::{CloseCause, Incoming, Message};
pub use options::{ClientOptions, Direction, PacketHook, DEFAULT_V3_INFLIGHT};
pub use outbound::PubOutcome;
pub use reason_text::{connack_exit_code, connack_text, reason_name, v3_connack_text};
pub use session::Connected;
pub use tls::{TlsConfig, TlsConfigError, TlsFile, TlsOptions, TlsVersion};
pub use transport::{open_tcp, Transport};
pub use websocket::DEFAULT_WEBSOCKET_PATH;

pub use roost_proto::{
    Disconnect, Packet, Properties, ProtocolVersion, QoS, ReasonCode, RetainHandling, SubAck,
    SubscribeFilter, SubscriptionOptions, UnsubAck, Will,
};
