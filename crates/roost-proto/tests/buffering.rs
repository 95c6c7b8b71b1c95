//! How `decode` treats its buffer: need-more-bytes, the size limit, several packets, zero copy.

mod common;

use bytes::{BufMut, BytesMut};
use common::*;
use roost_proto::{decode, DecodeError, Packet, ReasonCode};

#[test]
fn partial_packet_returns_none_and_leaves_the_buffer_alone() {
    let bytes = frame(0x30, &cat(&[&s(b"a/b"), b"payload"]));
    for cut in 0..bytes.len() {
        let mut buf = BytesMut::from(&bytes[..cut]);
        assert_eq!(decode(&mut buf, V311, u32::MAX), Ok(None), "cut at {cut}");
        assert_eq!(&buf[..], &bytes[..cut]);
    }
}

#[test]
fn oversized_packet_is_refused_from_its_fixed_header_alone() {
    // A 10 MB PUBLISH announced by five bytes: refused before any body arrives.
    let header = cat(&[&[0x30], &varint(10_000_000)]);
    assert_eq!(header.len(), 5);
    let mut buf = BytesMut::from(&header[..]);
    let size = 5 + 10_000_000;
    assert_eq!(
        decode(&mut buf, V5, 1024 * 1024),
        Err(DecodeError::PacketTooLarge {
            size,
            max: 1024 * 1024
        })
    );
    assert_eq!(
        DecodeError::PacketTooLarge { size, max: 1 }.reason_code(),
        ReasonCode::PACKET_TOO_LARGE
    );
}

#[test]
fn size_limit_counts_the_fixed_header() {
    let bytes = frame(0x30, &cat(&[&s(b"t"), b"xyz"])); // 2 + 6 = 8 bytes
    assert_eq!(bytes.len(), 8);
    assert!(decode(&mut BytesMut::from(&bytes[..]), V311, 8)
        .unwrap()
        .is_some());
    assert_eq!(
        decode(&mut BytesMut::from(&bytes[..]), V311, 7),
        Err(DecodeError::PacketTooLarge { size: 8, max: 7 })
    );
}

#[test]
fn decodes_one_packet_at_a_time_from_a_shared_buffer() {
    let mut buf = BytesMut::new();
    buf.put_slice(&[0xC0, 0x00]);
    buf.put_slice(&frame(0x30, &cat(&[&s(b"t"), b"hi"])));
    buf.put_slice(&[0xD0]);
    assert_eq!(decode(&mut buf, V311, u32::MAX), Ok(Some(Packet::PingReq)));
    assert!(matches!(
        decode(&mut buf, V311, u32::MAX),
        Ok(Some(Packet::Publish(_)))
    ));
    assert_eq!(&buf[..], &[0xD0]);
    assert_eq!(decode(&mut buf, V311, u32::MAX), Ok(None));
    buf.put_u8(0x00);
    assert_eq!(decode(&mut buf, V311, u32::MAX), Ok(Some(Packet::PingResp)));
    assert!(buf.is_empty());
}

#[test]
fn publish_payload_points_into_the_received_buffer() {
    let bytes = frame(0x30, &cat(&[&s(b"t"), b"zero-copy payload"]));
    let mut buf = BytesMut::with_capacity(64);
    buf.put_slice(&bytes);
    let start = buf.as_ptr() as usize;
    let end = start + bytes.len();
    let Some(Packet::Publish(p)) = decode(&mut buf, V311, u32::MAX).unwrap() else {
        panic!("not a PUBLISH");
    };
    let at = p.payload.as_ptr() as usize;
    assert!(
        at >= start && at + p.payload.len() <= end,
        "payload was copied"
    );
    assert_eq!(&p.payload[..], b"zero-copy payload");
}

#[test]
fn incomplete_remaining_length_needs_more_bytes() {
    let mut buf = BytesMut::from(&[0x30u8, 0xFF, 0xFF][..]);
    assert_eq!(decode(&mut buf, V311, u32::MAX), Ok(None));
    assert_eq!(buf.len(), 3);
}
