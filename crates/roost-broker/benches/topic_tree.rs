//! Micro-benchmarks of the subscription tree with 1,000,000 subscriptions: matching one published
//! topic (one that matches a handful of subscriptions and one that matches ten thousand), and
//! subscribe/unsubscribe churn on the full tree.
//!
//! Run with `cargo bench -p roost-broker --bench topic_tree`. Figures: bench/MICRO.md.

use std::sync::LazyLock;

use divan::{black_box, Bencher};
use roost_broker::topic_tree::TopicTree;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

/// One device per subscriber, as a fleet of sensors and the services that watch them would have.
const DEVICES: u32 = 600_000;
/// Devices that also watch their own status topic by exact name.
const STATUS_WATCHERS: u32 = 200_000;
/// Services subscribed to every device's status (`devices/+/status`).
const STATUS_SERVICES: u32 = 10_000;
/// Sites with `site/{n}/#` subscribers, spread evenly over them.
const SITES: u32 = 1_000;
/// Catch-all subscribers (`#`): loggers, bridges.
const CATCH_ALL: u32 = 10;
const TOTAL: u32 = 1_000_000;

/// The tree: 600,000 `devices/{id}/+/temp`, 200,000 `devices/{id}/status`, 10,000
/// `devices/+/status`, 189,990 `site/{n}/#` over 1,000 sites, 10 `#`; subscriber keys are distinct.
fn build() -> TopicTree<u32, u8> {
    let mut tree = TopicTree::new();
    let mut key = 0u32;
    let mut add = |tree: &mut TopicTree<u32, u8>, filter: &str| {
        tree.subscribe(filter, key, 1);
        key += 1;
    };
    for id in 0..DEVICES {
        add(&mut tree, &format!("devices/{id}/+/temp"));
    }
    for id in 0..STATUS_WATCHERS {
        add(&mut tree, &format!("devices/{id}/status"));
    }
    for _ in 0..STATUS_SERVICES {
        add(&mut tree, "devices/+/status");
    }
    for _ in 0..CATCH_ALL {
        add(&mut tree, "#");
    }
    let sites = TOTAL - DEVICES - STATUS_WATCHERS - STATUS_SERVICES - CATCH_ALL;
    for n in 0..sites {
        add(&mut tree, &format!("site/{}/#", n % SITES));
    }
    assert_eq!(tree.len(), TOTAL as usize);
    tree
}

static TREE: LazyLock<TopicTree<u32, u8>> = LazyLock::new(build);

/// Topics and how many subscriptions each matches in [`TREE`].
const TOPICS: [(&str, usize); 4] = [
    // devices/123456/+/temp and the 10 `#`.
    ("devices/123456/kitchen/temp", 11),
    // No device filter: only the 10 `#`.
    ("factory/line-3/press/pressure", 10),
    // site/42/# (190 subscribers) and `#`.
    ("site/42/floor/2/room/17/co2", 200),
    // devices/4242/status, the 10,000 `devices/+/status` and `#`.
    ("devices/4242/status", 10_011),
];

/// Matches one topic and counts the subscriptions, as the broker's publish path would visit them.
#[divan::bench(args = TOPICS.map(|(topic, _)| topic))]
fn match_topic(bencher: Bencher, topic: &str) {
    let tree = &*TREE;
    let expected = TOPICS.iter().find(|(t, _)| *t == topic).map(|(_, n)| *n);
    let mut matched = 0;
    tree.for_each_match(topic, |_, _| matched += 1);
    assert_eq!(Some(matched), expected, "{topic}");
    bencher.bench(|| {
        let mut matched = 0usize;
        tree.for_each_match(black_box(topic), |key, _| {
            matched += 1;
            black_box(key);
        });
        matched
    });
}

/// Subscribe then unsubscribe on the full tree: a new device's filter (two nodes made, then
/// pruned), and one more member of the 10,000 on `devices/+/status` (no new node).
#[divan::bench(args = ["devices/999999999/+/temp", "devices/+/status"])]
fn subscribe_unsubscribe(bencher: Bencher, filter: &str) {
    let mut tree = build();
    let key = TOTAL + 1;
    bencher.bench_local(|| {
        tree.subscribe(black_box(filter), key, 1);
        tree.unsubscribe(black_box(filter), &key)
    });
}
