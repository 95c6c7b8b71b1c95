//! Property tests: `decode` never panics, needs-more-bytes is reported until the last byte, and
//! whatever decodes re-encodes to something that decodes the same.

mod strategy;

use bytes::BytesMut;
use proptest::collection::vec;
use proptest::prelude::*;
use roost_proto::{decode, encode, Packet, ProtocolVersion};
use strategy::versioned_packet;

/// Decodes `bytes` under `version`; anything that decodes must survive a re-encode.
fn decode_then_reencode(bytes: &[u8], version: ProtocolVersion) -> Result<(), TestCaseError> {
    let mut buf = BytesMut::from(bytes);
    while let Ok(Some(packet)) = decode(&mut buf, version, u32::MAX) {
        let mut again = BytesMut::new();
        encode(&packet, version, &mut again);
        prop_assert_eq!(decode(&mut again, version, u32::MAX), Ok(Some(packet)));
    }
    Ok(())
}

fn encoded(packet: &Packet, version: ProtocolVersion) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(packet, version, &mut out);
    out.to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..300), version in strategy::version()) {
        decode_then_reencode(&bytes, version)?;
    }

    #[test]
    fn arbitrary_bodies_behind_a_valid_header_never_panic(
        first in any::<u8>(),
        body in vec(any::<u8>(), 0..120),
        version in strategy::version(),
    ) {
        let mut bytes = vec![first, body.len() as u8];
        bytes.extend_from_slice(&body);
        decode_then_reencode(&bytes, version)?;
    }

    #[test]
    fn mutated_valid_packets_never_panic(
        (version, packet) in versioned_packet(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = encoded(&packet, version);
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        decode_then_reencode(&bytes, version)?;
    }

    #[test]
    fn truncated_valid_packets_need_more_bytes_until_complete((version, packet) in versioned_packet()) {
        let bytes = encoded(&packet, version);
        let mut buf = BytesMut::new();
        for (i, byte) in bytes.iter().enumerate() {
            buf.extend_from_slice(&[*byte]);
            let result = decode(&mut buf, version, u32::MAX);
            if i + 1 < bytes.len() {
                prop_assert_eq!(result, Ok(None), "after {} of {} bytes", i + 1, bytes.len());
                prop_assert_eq!(buf.len(), i + 1);
            } else {
                prop_assert_eq!(result, Ok(Some(packet.clone())));
                prop_assert!(buf.is_empty());
            }
        }
    }
}
