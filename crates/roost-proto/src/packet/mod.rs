//! One module per control packet: how its body (everything after the fixed header) is read and
//! written in each protocol version.
//!
//! Each module offers `decode`, reading a body that the caller has already cut to the remaining
//! length, and `write`, generic over [`crate::sink::Sink`] so that counting and writing are one
//! code path. The caller checks that decoding consumed the whole body.

pub(crate) mod auth;
pub(crate) mod connack;
pub(crate) mod connect;
pub(crate) mod disconnect;
pub(crate) mod pub_response;
pub(crate) mod publish;
pub(crate) mod suback;
pub(crate) mod subscribe;
pub(crate) mod unsuback;
pub(crate) mod unsubscribe;
