//! `roost-broker`: the MQTT broker core — sessions, subscriptions, retained messages, QoS flows,
//! wills and expiry — with its listeners, connection loop, configuration and `$SYS`.
//!
//! Start it with [`Server::bind`] and [`Server::run`]; everything below is shared through one
//! [`Broker`].

#![warn(missing_docs)]

pub mod auth;
mod broker;
pub mod config;
mod connection;
mod file_error;
mod inspect;
mod links;
mod message;
mod metrics;
mod parking;
mod restore;
pub mod retained_tree;
mod server;
mod session;
pub mod store;
mod sys;
pub mod topic_tree;
mod transport;

pub use broker::Broker;
pub use config::Config;
pub use file_error::FileError;
pub use inspect::{ClientSnapshot, PublishError, RetainedSnapshot, SubscriptionSnapshot};
pub use message::Message;
pub use metrics::Metrics;
pub use restore::Restored;
pub use server::{Server, StartError};
pub use session::Session;
pub use transport::check as check_tls;
pub use transport::tls::TlsListener;
