//! Variable Byte Integers (spec §1.5.5): seven bits per byte, least significant group first, at most
//! four bytes, so at most 268,435,455.
//!
//! Reading accepts any encoding of up to four bytes; writing always uses the fewest bytes
//! [MQTT-1.5.5-1]. Values above [`MAX`] cannot be written and are clamped to it.

use crate::sink::Sink;

/// The largest value a Variable Byte Integer can hold.
pub(crate) const MAX: u32 = 268_435_455;

/// The outcome of reading a Variable Byte Integer from the front of a slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VarintRead {
    /// The slice ends before the last byte (one without the continuation bit).
    Incomplete,
    /// The fourth byte still has its continuation bit set.
    TooLong,
    /// The value and how many bytes it took.
    Value {
        /// The decoded value.
        value: u32,
        /// Its length on the wire, 1 to 4.
        len: usize,
    },
}

/// Reads a Variable Byte Integer from the front of `buf`.
pub(crate) fn read_prefix(buf: &[u8]) -> VarintRead {
    let mut value = 0u32;
    for (i, &byte) in buf.iter().take(4).enumerate() {
        value |= u32::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return VarintRead::Value { value, len: i + 1 };
        }
    }
    if buf.len() >= 4 {
        VarintRead::TooLong
    } else {
        VarintRead::Incomplete
    }
}

/// How many bytes the minimal encoding of `value` takes.
pub(crate) fn len(value: u32) -> usize {
    match value {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Writes the minimal encoding of `value` (clamped to [`MAX`]).
pub(crate) fn write<S: Sink>(s: &mut S, value: u32) {
    let mut rest = value.min(MAX);
    loop {
        let byte = (rest & 0x7F) as u8;
        rest >>= 7;
        if rest == 0 {
            s.put_u8(byte);
            return;
        }
        s.put_u8(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;

    fn encoded(value: u32) -> Vec<u8> {
        let mut out = BytesMut::new();
        write(&mut out, value);
        out.to_vec()
    }

    #[test]
    fn boundaries_use_the_minimal_form_mqtt_1_5_5_1() {
        assert_eq!(encoded(0), [0x00]);
        assert_eq!(encoded(127), [0x7F]);
        assert_eq!(encoded(128), [0x80, 0x01]);
        assert_eq!(encoded(16_383), [0xFF, 0x7F]);
        assert_eq!(encoded(16_384), [0x80, 0x80, 0x01]);
        assert_eq!(encoded(2_097_151), [0xFF, 0xFF, 0x7F]);
        assert_eq!(encoded(2_097_152), [0x80, 0x80, 0x80, 0x01]);
        assert_eq!(encoded(MAX), [0xFF, 0xFF, 0xFF, 0x7F]);
        for v in [0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, MAX] {
            assert_eq!(encoded(v).len(), len(v));
        }
    }

    #[test]
    fn reads_back_what_it_writes() {
        for v in [0, 1, 127, 128, 300, 16_383, 16_384, 2_097_152, MAX] {
            let bytes = encoded(v);
            assert_eq!(
                read_prefix(&bytes),
                VarintRead::Value {
                    value: v,
                    len: bytes.len()
                }
            );
        }
    }

    #[test]
    fn five_byte_integer_is_too_long() {
        assert_eq!(
            read_prefix(&[0x80, 0x80, 0x80, 0x80, 0x01]),
            VarintRead::TooLong
        );
        assert_eq!(read_prefix(&[0xFF, 0xFF, 0xFF, 0xFF]), VarintRead::TooLong);
    }

    #[test]
    fn unfinished_integer_is_incomplete() {
        assert_eq!(read_prefix(&[]), VarintRead::Incomplete);
        assert_eq!(read_prefix(&[0x80, 0x80, 0x80]), VarintRead::Incomplete);
    }

    #[test]
    fn values_above_the_maximum_are_clamped() {
        assert_eq!(encoded(u32::MAX), encoded(MAX));
    }
}
