//! `roost-proto`: MQTT 3.1, 3.1.1 and 5.0 control packets — their types, decoding, encoding and the
//! validation the specifications require.
//!
//! This crate owns the wire format and nothing else: no I/O, no async runtime, no clock. The broker,
//! the client and the tests all speak MQTT through it.
//!
//! - [`decode`] takes one packet off the front of a receive buffer (or says it needs more bytes),
//!   refusing with a [`DecodeError`] anything the specification forbids.
//! - [`encode`] / [`encoded_len`] write any packet; [`encode_publish`] / [`publish_len`] write a
//!   PUBLISH from borrowed parts, for the broker's one-message-many-subscribers path.
//! - [`topic`] says which strings are valid topic names and filters.

#![warn(missing_docs)]

mod decode;
mod encode;
mod error;
mod header;
mod packet;
mod properties;
mod property_codec;
mod property_table;
mod reader;
mod reason;
mod sink;
pub mod topic;
mod types;
mod varint;

pub use decode::decode;
pub use encode::{encode, encoded_len};
pub use error::DecodeError;
pub use header::PacketType;
pub use packet::connack::connack_return_code;
pub use packet::publish::{encode_publish, publish_len, PublishRef};
pub use properties::Properties;
pub use property_table::{
    property_info, PropertyInfo, PropertyScope, PropertyType, PROPERTY_TABLE,
};
pub use reason::ReasonCode;
pub use types::*;
