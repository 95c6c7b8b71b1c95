//! Micro-benchmarks of the wire codec: decode and encode of the packets a broker handles most
//! (PUBLISH with a 64-byte payload at QoS 0 and 1, in 3.1.1 and in 5 with a few properties;
//! SUBSCRIBE; CONNECT), and `encode_publish` from a `PublishRef`, the broker's per-subscriber path.
//!
//! Run with `cargo bench -p roost-proto`. divan prints time per operation and, through its
//! allocation profiler, heap allocations per operation. Figures and what they say: bench/MICRO.md.

use bytes::{Bytes, BytesMut};
use divan::{black_box, Bencher};
use roost_proto::{
    decode, encode, encode_publish, Connect, Packet, Properties, ProtocolVersion, Publish,
    PublishRef, QoS, Subscribe, SubscribeFilter, SubscriptionOptions,
};

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

/// The cases, each named `{packet}_{version}`; see [`packet`].
const CASES: [&str; 8] = [
    "publish_qos0_v311",
    "publish_qos1_v311",
    "publish_qos0_v5",
    "publish_qos1_v5",
    "subscribe_v311",
    "subscribe_v5",
    "connect_v311",
    "connect_v5",
];

const TOPIC: &str = "devices/sensor-004217/telemetry/temp";

fn version(case: &str) -> ProtocolVersion {
    if case.ends_with("v5") {
        ProtocolVersion::V5
    } else {
        ProtocolVersion::V3_1_1
    }
}

/// A few properties a real MQTT 5 publisher sends: format, expiry, content type, one user property.
fn publish_properties() -> Properties {
    Properties::from(roost_proto::PropertyValues {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(3600),
        content_type: Some("application/json".into()),
        user_properties: vec![("site".into(), "lyon-2".into())],
        ..roost_proto::PropertyValues::NONE
    })
}

fn publish(case: &str) -> Publish {
    let qos1 = case.contains("qos1");
    Publish {
        dup: false,
        qos: if qos1 {
            QoS::AtLeastOnce
        } else {
            QoS::AtMostOnce
        },
        retain: false,
        topic: TOPIC.into(),
        packet_id: qos1.then_some(4242),
        payload: Bytes::from(vec![0x5a; 64]),
        properties: if version(case).is_v5() {
            publish_properties()
        } else {
            Properties::default()
        },
    }
}

fn packet(case: &str) -> Packet {
    let v5 = version(case).is_v5();
    if case.starts_with("publish") {
        return Packet::Publish(publish(case));
    }
    if case.starts_with("subscribe") {
        let filters = ["devices/+/telemetry/#", "site/7/status", "alerts/#"]
            .into_iter()
            .map(|filter| SubscribeFilter {
                filter: filter.into(),
                options: SubscriptionOptions {
                    qos: QoS::AtLeastOnce,
                    ..SubscriptionOptions::default()
                },
            })
            .collect();
        let properties = Properties::from(roost_proto::PropertyValues {
            subscription_identifiers: if v5 { vec![17] } else { Vec::new() },
            ..roost_proto::PropertyValues::NONE
        });
        return Packet::Subscribe(Subscribe {
            packet_id: 9,
            filters,
            properties,
        });
    }
    let properties = if v5 {
        Properties::from(roost_proto::PropertyValues {
            session_expiry_interval: Some(3600),
            receive_maximum: Some(100),
            topic_alias_maximum: Some(16),
            ..roost_proto::PropertyValues::NONE
        })
    } else {
        Properties::default()
    };
    Packet::Connect(Box::new(Connect {
        protocol: version(case),
        clean_start: true,
        keep_alive: 60,
        client_id: "sensor-004217".into(),
        will: None,
        username: Some("fleet".into()),
        password: Some(Bytes::from_static(b"correct horse battery staple")),
        properties,
    }))
}

fn wire(case: &str) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(&packet(case), version(case), &mut out);
    out.to_vec()
}

/// One packet off a receive buffer holding exactly that packet.
#[divan::bench(args = CASES)]
fn decode_packet(bencher: Bencher, case: &str) {
    let bytes = wire(case);
    let version = version(case);
    bencher
        .counter(divan::counter::BytesCount::new(bytes.len()))
        .with_inputs(|| BytesMut::from(&bytes[..]))
        .bench_local_refs(|buf| decode(buf, version, u32::MAX));
}

/// One packet appended to an output buffer that already has room (as a connection's writer has).
#[divan::bench(args = CASES)]
fn encode_packet(bencher: Bencher, case: &str) {
    let packet = packet(case);
    let version = version(case);
    let len = wire(case).len();
    bencher
        .counter(divan::counter::BytesCount::new(len))
        .with_inputs(|| BytesMut::with_capacity(4096))
        .bench_local_refs(|out| encode(black_box(&packet), version, out));
}

/// The broker's per-subscriber encode: the shared message plus a packet id and subscription
/// identifier of this subscriber's own, as `PublishRef`.
#[divan::bench(args = ["publish_qos0_v311", "publish_qos1_v311", "publish_qos0_v5", "publish_qos1_v5"])]
fn encode_publish_ref(bencher: Bencher, case: &str) {
    let message = publish(case);
    let version = version(case);
    let identifiers = [3u32];
    bencher
        .with_inputs(|| BytesMut::with_capacity(4096))
        .bench_local_refs(|out| {
            let p = PublishRef {
                packet_id: message.packet_id.map(|_| 7),
                subscription_identifiers: if version.is_v5() { &identifiers } else { &[] },
                ..message.as_publish_ref()
            };
            encode_publish(black_box(&p), version, out);
        });
}
