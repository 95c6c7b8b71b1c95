//! `roost-proto`: MQTT 3.1, 3.1.1 and 5.0 control packets — their types, decoding, encoding and the
//! validation the specifications require.
//!
//! This crate owns the wire format and nothing else: no I/O, no async runtime, no clock. The broker,
//! the client and the tests all speak MQTT through it.

#![warn(missing_docs)]

mod properties;
mod reason;
mod types;

pub use properties::Properties;
pub use reason::ReasonCode;
pub use types::*;
