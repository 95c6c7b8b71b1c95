//! Heap allocations per message the broker delivers: one publisher, N subscribers on one topic
//! (1, 10, 100), QoS 0 and QoS 1, MQTT 3.1.1, 64-byte payloads.
//!
//! The broker runs through its public API (`Broker::serve`) over in-memory pipes on a
//! current-thread runtime, so every allocation of the scenario happens in this process and dhat's
//! global allocator counts it. The clients are written not to allocate while measuring: the
//! publisher writes a batch encoded beforehand, the subscribers count bytes into a stack buffer and
//! acknowledge QoS 1 deliveries from it, without decoding. What is counted is the broker, the
//! runtime and the pipes; the pipes are `tokio::io::duplex`, whose buffers grow once and are reused.
//!
//! Each scenario connects and subscribes, sends warm-up batches so that buffers and queues reach
//! their steady size, then counts allocations over the measured batches only. Batches are small
//! enough (100 messages) that no session queue overflows, so nothing is dropped: every subscriber
//! gets every message, and the bench checks the first byte of each one.
//!
//! Run with `cargo bench -p roost-broker --bench fanout_allocs`. With `ROOST_DHAT_DIR=some/dir`
//! it also writes one dhat profile per scenario there (the allocation stacks of the measured part;
//! open them in dhat's `dh_view.html`). Figures and what they say: bench/MICRO.md.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use roost_broker::config::Listener;
use roost_broker::{Broker, Config};
use roost_proto::{
    decode, encode, Connect, Packet, Properties, ProtocolVersion, Publish, QoS, ReasonCode,
    Subscribe, SubscribeFilter, SubscriptionOptions,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// Counts every allocation of the process while a `dhat::Profiler` runs (registering it needs no
/// unsafe code; dhat holds the `GlobalAlloc` impl).
#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const VERSION: ProtocolVersion = ProtocolVersion::V3_1_1;
const TOPIC: &str = "bench/fanout/room-1/temp";
const PAYLOAD: usize = 64;
/// Messages per batch: after each, the bench waits for every subscriber to have them all. Well
/// under the default `max_queued_messages` (1000), so a subscriber read last drops nothing.
const BATCH: usize = 100;
const WARM_UP_BATCHES: usize = 5;
const MEASURED_BATCHES: usize = 20;
/// Room in each pipe direction: a whole batch for one subscriber fits.
const PIPE: usize = 64 * 1024;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let dhat_dir = std::env::var_os("ROOST_DHAT_DIR").map(PathBuf::from);
    println!(
        "fan-out allocations, MQTT 3.1.1, {PAYLOAD}-byte payload, {} messages measured after {} \
         of warm-up",
        BATCH * MEASURED_BATCHES,
        BATCH * WARM_UP_BATCHES
    );
    println!(
        "{:<5} {:>11} {:>12} {:>14} {:>17} {:>16} {:>9}",
        "qos", "subscribers", "allocations", "bytes", "per publish", "per delivery", "B/deliv"
    );
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce] {
        for subscribers in [1, 10, 100] {
            let file = dhat_dir
                .as_ref()
                .map(|dir| dir.join(format!("fanout-qos{}-{subscribers}.json", qos as u8)));
            let counted = runtime.block_on(scenario(qos, subscribers, file));
            let published = (BATCH * MEASURED_BATCHES) as f64;
            let delivered = published * subscribers as f64;
            println!(
                "{:<5} {:>11} {:>12} {:>14} {:>17.2} {:>16.2} {:>9.1}",
                qos as u8,
                subscribers,
                counted.total_blocks,
                counted.total_bytes,
                counted.total_blocks as f64 / published,
                counted.total_blocks as f64 / delivered,
                counted.total_bytes as f64 / delivered,
            );
        }
    }
}

/// What one scenario allocated while measured.
struct Counted {
    total_blocks: u64,
    total_bytes: u64,
}

async fn scenario(qos: QoS, subscribers: usize, dhat_file: Option<PathBuf>) -> Counted {
    let broker = Broker::new(Config::default()).expect("the default configuration");
    let mut subs = Vec::with_capacity(subscribers);
    for i in 0..subscribers {
        let mut sub = Client::open(&broker);
        sub.connect(&format!("sub-{i}")).await;
        sub.subscribe(qos).await;
        subs.push(Subscriber::new(sub.io, qos));
    }
    let mut publisher = Client::open(&broker);
    publisher.connect("publisher").await;
    let batch = encoded_batch(qos);
    for _ in 0..WARM_UP_BATCHES {
        round(&batch, qos, &mut publisher, &mut subs).await;
    }
    let profiler = match dhat_file {
        Some(file) => dhat::Profiler::builder().file_name(file).build(),
        None => dhat::Profiler::builder().testing().build(),
    };
    let before = dhat::HeapStats::get();
    for _ in 0..MEASURED_BATCHES {
        round(&batch, qos, &mut publisher, &mut subs).await;
    }
    let after = dhat::HeapStats::get();
    drop(profiler);
    broker.shut_down();
    Counted {
        total_blocks: after.total_blocks - before.total_blocks,
        total_bytes: after.total_bytes - before.total_bytes,
    }
}

/// Publishes one batch and waits until the broker acknowledged it (QoS 1) and every subscriber
/// has received all of it.
async fn round(batch: &[u8], qos: QoS, publisher: &mut Client, subs: &mut [Subscriber]) {
    publisher.io.write_all(batch).await.expect("publish");
    if qos == QoS::AtLeastOnce {
        let mut acks = [0u8; 4 * BATCH];
        publisher.io.read_exact(&mut acks).await.expect("PUBACKs");
    }
    for sub in subs.iter_mut() {
        sub.receive(BATCH).await;
    }
}

/// `BATCH` PUBLISH packets to `TOPIC`, packet ids 1..=BATCH at QoS 1 (acknowledged before reuse).
fn encoded_batch(qos: QoS) -> Vec<u8> {
    let mut out = BytesMut::new();
    for i in 0..BATCH {
        let publish = Publish {
            dup: false,
            qos,
            retain: false,
            topic: TOPIC.into(),
            packet_id: (qos != QoS::AtMostOnce).then_some(i as u16 + 1),
            payload: Bytes::from(vec![b'x'; PAYLOAD]),
            properties: Properties::default(),
        };
        encode(&Packet::Publish(publish), VERSION, &mut out);
    }
    out.to_vec()
}

/// A client for the setup only (connect, subscribe): it decodes, so it allocates.
struct Client {
    io: DuplexStream,
    buf: BytesMut,
}

impl Client {
    fn open(broker: &Arc<Broker>) -> Client {
        let (client, server) = tokio::io::duplex(PIPE);
        let broker = broker.clone();
        let peer: SocketAddr = "127.0.0.1:40000".parse().expect("an address");
        let listener = Arc::new(Listener::new("127.0.0.1:1883".parse().expect("an address")));
        tokio::spawn(async move { broker.serve(listener, server, peer).await });
        Client {
            io: client,
            buf: BytesMut::new(),
        }
    }

    async fn send(&mut self, packet: Packet) {
        let mut out = BytesMut::new();
        encode(&packet, VERSION, &mut out);
        self.io.write_all(&out).await.expect("send");
    }

    async fn recv(&mut self) -> Packet {
        loop {
            if let Some(p) = decode(&mut self.buf, VERSION, u32::MAX).expect("a valid packet") {
                return p;
            }
            let n = self.io.read_buf(&mut self.buf).await.expect("receive");
            assert!(n > 0, "the broker closed the connection");
        }
    }

    async fn connect(&mut self, id: &str) {
        self.send(Packet::Connect(Box::new(Connect {
            protocol: VERSION,
            clean_start: true,
            keep_alive: 0,
            client_id: id.into(),
            will: None,
            username: None,
            password: None,
            properties: Properties::default(),
        })))
        .await;
        match self.recv().await {
            Packet::ConnAck(ack) if ack.reason == ReasonCode::SUCCESS => {}
            other => panic!("expected a successful CONNACK, got {other:?}"),
        }
    }

    async fn subscribe(&mut self, qos: QoS) {
        self.send(Packet::Subscribe(Subscribe {
            packet_id: 1,
            filters: vec![SubscribeFilter {
                filter: TOPIC.into(),
                options: SubscriptionOptions {
                    qos,
                    ..SubscriptionOptions::default()
                },
            }],
            properties: Properties::default(),
        }))
        .await;
        assert!(matches!(self.recv().await, Packet::SubAck(_)));
    }
}

/// A subscriber that reads deliveries without allocating: every one has the same length, so it
/// counts bytes, checks each first byte and, at QoS 1, answers PUBACK with the id at a fixed offset.
struct Subscriber {
    io: DuplexStream,
    qos: QoS,
    /// Bytes of the stream read so far.
    seen: usize,
    /// The packet id being read (QoS 1).
    packet_id: [u8; 2],
}

impl Subscriber {
    /// Fixed header (2 bytes: the remaining length fits in one), topic length and topic.
    const ID_AT: usize = 2 + 2 + TOPIC.len();

    fn new(io: DuplexStream, qos: QoS) -> Subscriber {
        Subscriber {
            io,
            qos,
            seen: 0,
            packet_id: [0; 2],
        }
    }

    fn packet_len(&self) -> usize {
        let id = if self.qos == QoS::AtMostOnce { 0 } else { 2 };
        Self::ID_AT + id + PAYLOAD
    }

    async fn receive(&mut self, messages: usize) {
        let len = self.packet_len();
        let first_byte = 0x30 | ((self.qos as u8) << 1);
        let until = self.seen + messages * len;
        let mut scratch = [0u8; 8192];
        let mut acks = [0u8; 4 * (8192 / (Self::ID_AT + PAYLOAD) + 1)];
        while self.seen < until {
            let want = (until - self.seen).min(scratch.len());
            let n = self.io.read(&mut scratch[..want]).await.expect("receive");
            assert!(n > 0, "the broker closed the connection");
            let mut ack_len = 0;
            for &byte in &scratch[..n] {
                let at = self.seen % len;
                self.seen += 1;
                if at == 0 {
                    assert_eq!(byte, first_byte, "a PUBLISH at QoS {}", self.qos as u8);
                } else if self.qos != QoS::AtMostOnce && at == Self::ID_AT {
                    self.packet_id[0] = byte;
                } else if self.qos != QoS::AtMostOnce && at == Self::ID_AT + 1 {
                    self.packet_id[1] = byte;
                    acks[ack_len..ack_len + 4].copy_from_slice(&[
                        0x40,
                        0x02,
                        self.packet_id[0],
                        self.packet_id[1],
                    ]);
                    ack_len += 4;
                }
            }
            if ack_len > 0 {
                self.io.write_all(&acks[..ack_len]).await.expect("PUBACK");
            }
        }
    }
}
