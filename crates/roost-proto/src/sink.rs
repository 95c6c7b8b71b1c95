//! Where encoders write: a [`BytesMut`] or a [`Counter`] that only adds up lengths.
//!
//! Every packet is written by one generic function run twice, first into a [`Counter`] (to learn
//! the remaining length and the property length) and then into the output. So
//! [`crate::encoded_len`] is exact by construction: it is the same code counting instead of writing.

use bytes::{BufMut, BytesMut};

use crate::varint;

/// A byte destination for the encoders.
pub(crate) trait Sink {
    /// Appends one byte.
    fn put_u8(&mut self, value: u8);
    /// Appends bytes.
    fn put_slice(&mut self, value: &[u8]);

    /// Appends a big-endian Two Byte Integer.
    fn put_u16(&mut self, value: u16) {
        self.put_slice(&value.to_be_bytes());
    }

    /// Appends a big-endian Four Byte Integer.
    fn put_u32(&mut self, value: u32) {
        self.put_slice(&value.to_be_bytes());
    }
}

impl Sink for BytesMut {
    fn put_u8(&mut self, value: u8) {
        BufMut::put_u8(self, value);
    }

    fn put_slice(&mut self, value: &[u8]) {
        self.extend_from_slice(value);
    }
}

/// A sink that counts the bytes it is given.
#[derive(Debug, Default)]
pub(crate) struct Counter(pub(crate) usize);

impl Sink for Counter {
    fn put_u8(&mut self, _value: u8) {
        self.0 += 1;
    }

    fn put_slice(&mut self, value: &[u8]) {
        self.0 += value.len();
    }
}

/// Appends Binary Data (§1.5.6): a two-byte length and the bytes, cut at 65,535 bytes.
///
/// The types promise values the protocol can carry; cutting keeps the frame well formed when a
/// caller breaks that promise.
pub(crate) fn put_binary<S: Sink>(s: &mut S, value: &[u8]) {
    let len = value.len().min(usize::from(u16::MAX));
    s.put_u16(len as u16);
    s.put_slice(value.get(..len).unwrap_or_default());
}

/// Appends a UTF-8 Encoded String (§1.5.4), cut like [`put_binary`].
pub(crate) fn put_str<S: Sink>(s: &mut S, value: &str) {
    put_binary(s, value.as_bytes());
}

/// Appends a Variable Byte Integer.
pub(crate) fn put_varint<S: Sink>(s: &mut S, value: u32) {
    varint::write(s, value);
}

/// Runs `write` into a [`Counter`] and returns the count.
pub(crate) fn count(write: impl FnOnce(&mut Counter)) -> usize {
    let mut counter = Counter::default();
    write(&mut counter);
    counter.0
}
