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
//!
//! ```
//! use bytes::BytesMut;
//! use roost_proto::{decode, encode, Packet, ProtocolVersion, PubResponse, ReasonCode};
//!
//! let ack = Packet::PubAck(PubResponse {
//!     packet_id: 7,
//!     reason: ReasonCode::SUCCESS,
//!     properties: Default::default(),
//! });
//! let mut wire = BytesMut::new();
//! encode(&ack, ProtocolVersion::V5, &mut wire);
//! assert_eq!(&wire[..], &[0x40, 0x02, 0x00, 0x07]);
//!
//! // A receive loop: decode until it asks for more bytes.
//! let mut received = BytesMut::from(&wire[..3]);
//! assert_eq!(decode(&mut received, ProtocolVersion::V5, 1024), Ok(None));
//! received.extend_from_slice(&wire[3..]);
//! assert_eq!(decode(&mut received, ProtocolVersion::V5, 1024), Ok(Some(ack)));
//! ```

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
pub use properties::{Properties, PropertyValues};
pub use property_table::{
    property_info, PropertyInfo, PropertyScope, PropertyType, PROPERTY_TABLE,
};
pub use reason::ReasonCode;
pub use types::*;
