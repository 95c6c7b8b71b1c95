//! roost-broker

#![warn(missing_docs)]
