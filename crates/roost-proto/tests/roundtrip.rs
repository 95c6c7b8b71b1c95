//! Property tests: every valid packet of every version survives encode → decode unchanged, and
//! `encoded_len` is exact.

mod strategy;

use bytes::BytesMut;
use proptest::prelude::*;
use roost_proto::{decode, encode, encoded_len, Packet, PacketType, ProtocolVersion};
use strategy::{packet, versioned_packet};

fn round_trip(version: ProtocolVersion, packet: &Packet) -> Result<(), TestCaseError> {
    let mut buf = BytesMut::new();
    encode(packet, version, &mut buf);
    prop_assert_eq!(buf.len(), encoded_len(packet, version));
    let decoded = decode(&mut buf, version, u32::MAX);
    prop_assert_eq!(decoded, Ok(Some(packet.clone())));
    prop_assert!(buf.is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_packet_round_trips((version, packet) in versioned_packet()) {
        round_trip(version, &packet)?;
    }

    #[test]
    fn mqtt_3_1_packets_round_trip(packet in packet(ProtocolVersion::V3_1)) {
        round_trip(ProtocolVersion::V3_1, &packet)?;
    }

    #[test]
    fn mqtt_3_1_1_packets_round_trip(packet in packet(ProtocolVersion::V3_1_1)) {
        round_trip(ProtocolVersion::V3_1_1, &packet)?;
    }

    #[test]
    fn mqtt_5_packets_round_trip(packet in packet(ProtocolVersion::V5)) {
        round_trip(ProtocolVersion::V5, &packet)?;
    }

    #[test]
    fn several_packets_in_one_buffer_decode_in_order(
        (version, packets) in strategy::version()
            .prop_flat_map(|v| (Just(v), proptest::collection::vec(packet(v), 1..6)))
    ) {
        let mut buf = BytesMut::new();
        for p in &packets {
            encode(p, version, &mut buf);
        }
        for p in &packets {
            prop_assert_eq!(decode(&mut buf, version, u32::MAX), Ok(Some(p.clone())));
        }
        prop_assert!(buf.is_empty());
    }
}

/// Every packet type is generated in every version it exists in.
#[test]
fn generators_cover_every_packet_type() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    for version in strategy::VERSIONS {
        let mut seen = std::collections::HashSet::new();
        let strategy = packet(version);
        for _ in 0..2000 {
            let p = strategy.new_tree(&mut runner).expect("generate").current();
            seen.insert(p.packet_type());
        }
        let expected = if version.is_v5() { 15 } else { 14 };
        assert_eq!(seen.len(), expected, "{version:?}: {seen:?}");
        assert_eq!(seen.contains(&PacketType::Auth), version.is_v5());
    }
}
