//! Micro-benchmarks of the retained-message tree with 100,000 retained topics: what a new
//! subscription costs to find its retained messages, for filters matching 1 to 100,000 of them.
//!
//! Run with `cargo bench -p roost-broker --bench retained_tree`. Figures: bench/MICRO.md.

use std::sync::LazyLock;

use divan::{black_box, Bencher};
use roost_broker::retained_tree::RetainedTree;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

const DEVICES: u32 = 20_000;
const METRICS: [&str; 5] = ["temp", "humidity", "status", "battery", "rssi"];

/// 100,000 retained topics: `devices/{id}/{metric}` for 20,000 devices and 5 metrics.
static TREE: LazyLock<RetainedTree<u32>> = LazyLock::new(|| {
    let mut tree = RetainedTree::new();
    for id in 0..DEVICES {
        for (m, metric) in METRICS.iter().enumerate() {
            tree.insert(&format!("devices/{id}/{metric}"), id * 8 + m as u32);
        }
    }
    assert_eq!(tree.len(), 100_000);
    tree
});

/// Filters and how many retained topics each matches in [`TREE`].
const FILTERS: [(&str, usize); 6] = [
    ("devices/12345/temp", 1),
    ("devices/12345/#", 5),
    ("devices/+/temp", 20_000),
    ("+/+/status", 20_000),
    ("devices/#", 100_000),
    ("#", 100_000),
];

/// Finds every retained message a new subscription to the filter would be sent.
#[divan::bench(args = FILTERS.map(|(filter, _)| filter))]
fn match_filter(bencher: Bencher, filter: &str) {
    let tree = &*TREE;
    let expected = FILTERS.iter().find(|(f, _)| *f == filter).map(|(_, n)| *n);
    let mut matched = 0;
    tree.for_each_matching(filter, |_, _| matched += 1);
    assert_eq!(Some(matched), expected, "{filter}");
    bencher.bench(|| {
        let mut matched = 0usize;
        tree.for_each_matching(black_box(filter), |topic, value| {
            matched += 1;
            black_box((topic, value));
        });
        matched
    });
}
