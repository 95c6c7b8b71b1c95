//! roost-client

#![warn(missing_docs)]
