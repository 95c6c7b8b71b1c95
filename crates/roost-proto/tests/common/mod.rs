//! Helpers shared by the integration tests: building frames by hand and decoding them.
#![allow(dead_code)]

use bytes::BytesMut;
use roost_proto::{decode, encode, encoded_len, DecodeError, Packet, ProtocolVersion};

pub(crate) const V31: ProtocolVersion = ProtocolVersion::V3_1;
pub(crate) const V311: ProtocolVersion = ProtocolVersion::V3_1_1;
pub(crate) const V5: ProtocolVersion = ProtocolVersion::V5;
pub(crate) const ALL: [ProtocolVersion; 3] = [V31, V311, V5];

/// The minimal Variable Byte Integer encoding of `value`.
pub(crate) fn varint(value: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        let byte = (rest % 128) as u8;
        rest /= 128;
        if rest == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A whole packet: first byte, minimal remaining length, body.
pub(crate) fn frame(first: u8, body: &[u8]) -> Vec<u8> {
    cat(&[&[first], &varint(body.len()), body])
}

/// A length-prefixed string or binary field.
pub(crate) fn s(text: &[u8]) -> Vec<u8> {
    let mut out = (text.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(text);
    out
}

/// Concatenates fields.
pub(crate) fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Decodes `bytes` as one packet with no size limit.
pub(crate) fn try_decode(
    bytes: &[u8],
    version: ProtocolVersion,
) -> Result<Option<Packet>, DecodeError> {
    decode(&mut BytesMut::from(bytes), version, u32::MAX)
}

/// Decodes `bytes` as one complete packet, which must succeed and use every byte.
pub(crate) fn decode_ok(bytes: &[u8], version: ProtocolVersion) -> Packet {
    let mut buf = BytesMut::from(bytes);
    let packet = decode(&mut buf, version, u32::MAX)
        .unwrap_or_else(|e| panic!("decode failed: {e}"))
        .expect("packet incomplete");
    assert!(buf.is_empty(), "{} bytes left", buf.len());
    packet
}

/// Decodes `bytes`, which must fail; returns the error.
pub(crate) fn decode_err(bytes: &[u8], version: ProtocolVersion) -> DecodeError {
    match try_decode(bytes, version) {
        Err(e) => e,
        Ok(p) => panic!("expected an error, decoded {p:?}"),
    }
}

/// Encodes `packet` and checks `encoded_len` against it.
pub(crate) fn encode_vec(packet: &Packet, version: ProtocolVersion) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(packet, version, &mut out);
    assert_eq!(
        out.len(),
        encoded_len(packet, version),
        "encoded_len disagrees"
    );
    out.to_vec()
}

/// A v5 property list: length then the given bytes.
pub(crate) fn props(list: &[u8]) -> Vec<u8> {
    cat(&[&varint(list.len()), list])
}
