//! A cursor over the body of one packet, reading the MQTT data types of spec §1.5.
//!
//! It owns a [`Bytes`] view of the frame, so binary fields and the PUBLISH payload are handed out
//! as slices of the received buffer without copying. Running out of bytes is
//! [`DecodeError::Truncated`], named after the field being read; strings must be well-formed UTF-8
//! without U+0000.

use bytes::{Buf, Bytes};

use crate::error::DecodeError;
use crate::varint::{self, VarintRead};

/// Reads fields front to back from one packet's bytes.
#[derive(Debug)]
pub(crate) struct Reader {
    buf: Bytes,
}

impl Reader {
    /// A reader over `buf`.
    pub(crate) fn new(buf: Bytes) -> Reader {
        Reader { buf }
    }

    /// Bytes not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// True when everything has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Fails with [`DecodeError::TrailingBytes`] unless everything has been read.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                extra: self.buf.len(),
            })
        }
    }

    fn need(&self, n: usize, what: &'static str) -> Result<(), DecodeError> {
        if self.buf.len() < n {
            Err(DecodeError::Truncated(what))
        } else {
            Ok(())
        }
    }

    /// One byte.
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        self.need(1, what)?;
        Ok(self.buf.get_u8())
    }

    /// A Two Byte Integer.
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        self.need(2, what)?;
        Ok(self.buf.get_u16())
    }

    /// A Four Byte Integer.
    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        self.need(4, what)?;
        Ok(self.buf.get_u32())
    }

    /// A Variable Byte Integer.
    pub(crate) fn varint(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        match varint::read_prefix(&self.buf) {
            VarintRead::Value { value, len } => {
                self.buf.advance(len);
                Ok(value)
            }
            VarintRead::Incomplete => Err(DecodeError::Truncated(what)),
            VarintRead::TooLong => Err(DecodeError::MalformedPacket(
                "variable byte integer longer than four bytes",
            )),
        }
    }

    /// The next `n` bytes, as a slice of the frame.
    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<Bytes, DecodeError> {
        self.need(n, what)?;
        Ok(self.buf.split_to(n))
    }

    /// Everything not yet read, as a slice of the frame.
    pub(crate) fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.buf)
    }

    /// Binary Data: a two-byte length and that many bytes.
    pub(crate) fn binary(&mut self, what: &'static str) -> Result<Bytes, DecodeError> {
        let len = self.u16(what)?;
        self.take(usize::from(len), what)
    }

    /// A UTF-8 Encoded String: well formed [MQTT-1.5.4-1] and without U+0000 [MQTT-1.5.4-2].
    pub(crate) fn string(&mut self, what: &'static str) -> Result<String, DecodeError> {
        let bytes = self.binary(what)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| DecodeError::MalformedPacket("string is not well-formed UTF-8"))?;
        if text.contains('\0') {
            return Err(DecodeError::MalformedPacket("string contains U+0000"));
        }
        Ok(text.to_owned())
    }

    /// A packet identifier: a Two Byte Integer that is not 0 [MQTT-2.2.1-3].
    pub(crate) fn packet_id(&mut self) -> Result<u16, DecodeError> {
        match self.u16("packet identifier")? {
            0 => Err(DecodeError::ProtocolError("packet identifier 0")),
            id => Ok(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(bytes: &'static [u8]) -> Reader {
        Reader::new(Bytes::from_static(bytes))
    }

    #[test]
    fn strings_must_be_well_formed_utf8_mqtt_1_5_4_1() {
        assert!(matches!(
            reader(&[0, 2, 0xC3, 0x28]).string("s"),
            Err(DecodeError::MalformedPacket(_))
        ));
        // An encoded surrogate (U+D800) is not well-formed UTF-8 either.
        assert!(matches!(
            reader(&[0, 3, 0xED, 0xA0, 0x80]).string("s"),
            Err(DecodeError::MalformedPacket(_))
        ));
        assert_eq!(reader(&[0, 2, 0xC3, 0xA9]).string("s").unwrap(), "é");
    }

    #[test]
    fn strings_must_not_contain_null_mqtt_1_5_4_2() {
        assert!(matches!(
            reader(&[0, 3, b'a', 0, b'b']).string("s"),
            Err(DecodeError::MalformedPacket(_))
        ));
    }

    #[test]
    fn string_longer_than_the_packet_is_truncated() {
        assert_eq!(
            reader(&[0, 5, b'a']).string("topic"),
            Err(DecodeError::Truncated("topic"))
        );
        assert_eq!(
            reader(&[0]).string("topic"),
            Err(DecodeError::Truncated("topic"))
        );
    }

    #[test]
    fn packet_identifier_zero_is_refused_mqtt_2_2_1_3() {
        assert!(matches!(
            reader(&[0, 0]).packet_id(),
            Err(DecodeError::ProtocolError(_))
        ));
        assert_eq!(reader(&[0x12, 0x34]).packet_id(), Ok(0x1234));
    }

    #[test]
    fn trailing_bytes_are_reported() {
        let mut r = reader(&[1, 2, 3]);
        r.u8("x").unwrap();
        assert_eq!(r.finish(), Err(DecodeError::TrailingBytes { extra: 2 }));
    }
}
