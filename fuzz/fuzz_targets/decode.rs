//! Fuzz target: `roost_proto::decode` on arbitrary bytes, under every protocol version.
//!
//! Decoding may fail but must never panic. Every packet that decodes is encoded again, and the
//! encoding must be exactly `encoded_len` bytes and decode back to the same packet. The input is
//! read as a stream, so several packets in one input are all checked.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use roost_proto::{decode, encode, encoded_len, ProtocolVersion};

const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V3_1,
    ProtocolVersion::V3_1_1,
    ProtocolVersion::V5,
];

fuzz_target!(|data: &[u8]| {
    for version in VERSIONS {
        let mut buf = BytesMut::from(data);
        while let Ok(Some(packet)) = decode(&mut buf, version, u32::MAX) {
            let mut again = BytesMut::new();
            encode(&packet, version, &mut again);
            assert_eq!(
                again.len(),
                encoded_len(&packet, version),
                "encoded_len of {packet:?}"
            );
            let size = again.len();
            match decode(&mut again, version, u32::MAX) {
                Ok(Some(decoded)) => assert_eq!(decoded, packet, "re-decoded differs"),
                other => panic!("{packet:?} encoded to {size} bytes that decode to {other:?}"),
            }
            assert!(again.is_empty(), "re-decode left {} bytes", again.len());
        }
    }
});
