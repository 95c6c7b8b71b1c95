//! The message scenarios, fanin, fanout and pairs: who publishes to which topic, who subscribes
//! to which filter, how many deliveries each publish should cause, and the run itself: connect,
//! subscribe, publish, drain, report.
//!
//! Topics live under `roost-bench/<pid>/` so concurrent runs on one broker do not mix.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use roost_client::{Properties, SubscribeFilter, SubscriptionOptions};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::args::{BenchArgs, Scenario};
use super::clients::{open_many, Conn, Target};
use super::payload::Clock;
use super::procstat::{self, ProcSample};
use super::progress::Progress;
use super::publisher::{self, PublishPlan};
use super::report::Report;
use super::stats::{Counters, Latency};
use super::subscriber;

/// Who talks to whom in one scenario.
struct Layout {
    /// Topic of each publisher.
    publish_topics: Vec<String>,
    /// Filter of each subscriber.
    subscribe_filters: Vec<String>,
    /// Deliveries each completed publish should cause.
    fanout: u64,
}

fn layout(args: &BenchArgs) -> Layout {
    let base = format!("roost-bench/{}", std::process::id());
    let n = args.clients as usize;
    match args.scenario {
        Scenario::Fanin => Layout {
            publish_topics: (0..n).map(|i| format!("{base}/fanin/{i}")).collect(),
            subscribe_filters: vec![format!("{base}/fanin/+")],
            fanout: 1,
        },
        Scenario::Fanout => Layout {
            publish_topics: vec![format!("{base}/fanout")],
            subscribe_filters: vec![format!("{base}/fanout"); n],
            fanout: n as u64,
        },
        Scenario::Pairs | Scenario::Conn => Layout {
            publish_topics: (0..n).map(|i| format!("{base}/pairs/{i}")).collect(),
            subscribe_filters: (0..n).map(|i| format!("{base}/pairs/{i}")).collect(),
            fanout: 1,
        },
    }
}

/// What the measured phase of a run leaves behind for the report.
struct Outcome {
    counters: Arc<Counters>,
    latency: Latency,
    expected: u64,
    warmup_end_ns: u64,
    publish_end_ns: u64,
    end_ns: u64,
    /// The broker at the end of the warm-up, and the deliveries counted by then.
    warm: Option<(ProcSample, u64)>,
    end_sample: Option<ProcSample>,
    peak_rss_kb: u64,
}

/// Runs a fanin, fanout or pairs scenario to its end.
pub(crate) async fn run(args: &BenchArgs, target: &Target) -> Result<Report> {
    let layout = layout(args);
    let pid = std::process::id();
    let sub_ids = (0..layout.subscribe_filters.len()).map(|i| format!("bench-{pid}-sub-{i}"));
    let pub_ids = (0..layout.publish_topics.len()).map(|i| format!("bench-{pid}-pub-{i}"));
    let opened = open_many(args, target, sub_ids.chain(pub_ids).collect()).await?;
    let connections = opened.conns.len() as u64;
    let connect_secs = opened.elapsed.as_secs_f64();
    let mut subscribers = opened.conns;
    let publishers = subscribers.split_off(layout.subscribe_filters.len());
    subscribe_all(args, &subscribers, &layout.subscribe_filters).await?;
    let outcome = exercise(args, &layout, subscribers, publishers).await?;
    let mut report = report(args, &layout, &outcome);
    report.connections = connections;
    report.connections_per_sec = per_sec(connections, connect_secs);
    Ok(report)
}

/// Publishes, drains and collects: the measured phase, on connections already subscribed.
async fn exercise(
    args: &BenchArgs,
    layout: &Layout,
    subscriber_conns: Vec<Conn>,
    publisher_conns: Vec<Conn>,
) -> Result<Outcome> {
    let clock = Clock::start();
    let counters = Arc::new(Counters::default());
    let warmup_end_ns = u64::try_from(args.warmup().as_nanos()).unwrap_or(u64::MAX);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut subscribers = JoinSet::new();
    let pace = args.sub_rate;
    for Conn { client, incoming } in subscriber_conns {
        let (counters, stop) = (Arc::clone(&counters), stop_rx.clone());
        subscribers.spawn(async move {
            let latency =
                subscriber::run(incoming, clock, counters, pace, warmup_end_ns, stop).await;
            drop(client);
            latency
        });
    }
    let progress = Progress::start(Arc::clone(&counters), args.pid);
    let warm_sample = spawn_warm_sample(args, &counters, clock, warmup_end_ns);
    let plan = Arc::new(PublishPlan {
        clock,
        counters: Arc::clone(&counters),
        qos: args.qos(),
        size: args.size,
        inflight: usize::from(args.inflight),
        stop: args.stop(),
        rate: args.rate,
        warmup_end_ns,
    });
    let mut publishing = JoinSet::new();
    for (conn, topic) in publisher_conns.iter().zip(&layout.publish_topics) {
        let (client, topic, plan) = (conn.client.clone(), topic.clone(), Arc::clone(&plan));
        publishing.spawn(publisher::run(client, topic, plan));
    }
    let mut publish_end_ns = 0;
    while let Some(end) = publishing.join_next().await {
        publish_end_ns = publish_end_ns.max(end.context("a publisher panicked")?);
    }
    let expected = Counters::get(&counters.completed) * layout.fanout;
    drain(&counters, clock, expected, args.drain()).await;
    let _ = stop_tx.send(true);
    let mut latency = Latency::default();
    while let Some(joined) = subscribers.join_next().await {
        latency.merge(&joined.context("a subscriber panicked")?);
    }
    let end_ns = clock.now_ns();
    let end_sample = sample(args.pid);
    drop(publisher_conns);
    Ok(Outcome {
        counters,
        latency,
        expected,
        warmup_end_ns,
        publish_end_ns,
        end_ns,
        warm: warm_sample.await.ok().flatten(),
        end_sample,
        peak_rss_kb: progress.peak_rss_kb(),
    })
}

/// The figures of a finished run (connections are filled in by the caller).
fn report(args: &BenchArgs, layout: &Layout, outcome: &Outcome) -> Report {
    let counters = &outcome.counters;
    let (expected, received) = (outcome.expected, Counters::get(&counters.received));
    let measured_start = outcome.warmup_end_ns as f64 / 1e9;
    let publish_secs = outcome.publish_end_ns as f64 / 1e9 - measured_start;
    let last_receive = Counters::get(&counters.last_receive_ns) as f64 / 1e9;
    let mut report = Report {
        scenario: args.scenario.name(),
        qos: args.qos,
        version: args.version,
        size: args.size,
        publishers: layout.publish_topics.len() as u64,
        subscribers: layout.subscribe_filters.len() as u64,
        sent: Counters::get(&counters.completed),
        failed: Counters::get(&counters.failed),
        expected,
        received,
        loss: expected.saturating_sub(received),
        extra: received.saturating_sub(expected),
        sent_per_sec: per_sec(Counters::get(&counters.completed_measured), publish_secs),
        delivered_per_sec: per_sec(
            Counters::get(&counters.received_measured),
            last_receive - measured_start,
        ),
        latency: outcome.latency.summary(),
        seconds: outcome.end_ns as f64 / 1e9,
        ..Report::default()
    };
    if let (Some((warm, received_at_warm)), Some(end)) = (outcome.warm, outcome.end_sample) {
        let cpu = end.cpu_secs - warm.cpu_secs;
        report.broker_cpu_secs = Some(cpu);
        let delivered = received - received_at_warm;
        report.broker_cpu_secs_per_million = (delivered > 0).then(|| cpu / delivered as f64 * 1e6);
        report.broker_rss_kb = Some(end.rss_kb.max(outcome.peak_rss_kb));
    }
    report
}

/// `count / secs`, when the time is long enough to mean something.
pub(crate) fn per_sec(count: u64, secs: f64) -> Option<f64> {
    (secs > 1e-6).then(|| count as f64 / secs)
}

/// Subscribes each connection to its filter and checks the broker granted it.
async fn subscribe_all(args: &BenchArgs, conns: &[Conn], filters: &[String]) -> Result<()> {
    let mut tasks = JoinSet::new();
    for (conn, filter) in conns.iter().zip(filters) {
        let client = conn.client.clone();
        let filter = SubscribeFilter {
            filter: filter.clone(),
            options: SubscriptionOptions {
                qos: args.qos(),
                ..SubscriptionOptions::default()
            },
        };
        tasks.spawn(async move { client.subscribe(vec![filter], Properties::default()).await });
    }
    while let Some(joined) = tasks.join_next().await {
        let suback = joined.context("a subscribing task panicked")??;
        if suback.reasons.iter().any(|reason| reason.is_error()) {
            bail!("the broker refused a subscription: {:?}", suback.reasons);
        }
    }
    Ok(())
}

/// Waits until every expected delivery arrived, or none arrived for `quiet`.
async fn drain(counters: &Counters, clock: Clock, expected: u64, quiet: Duration) {
    let quiet_ns = u64::try_from(quiet.as_nanos()).unwrap_or(u64::MAX);
    let started = clock.now_ns();
    loop {
        if Counters::get(&counters.received) >= expected {
            return;
        }
        let last = Counters::get(&counters.last_receive_ns).max(started);
        if clock.now_ns().saturating_sub(last) > quiet_ns {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn sample(pid: Option<u32>) -> Option<ProcSample> {
    pid.and_then(|pid| procstat::sample(pid).ok())
}

/// Samples the broker once the warm-up is over, with the deliveries counted by then, so CPU is
/// charged only to measured deliveries.
fn spawn_warm_sample(
    args: &BenchArgs,
    counters: &Arc<Counters>,
    clock: Clock,
    warmup_end_ns: u64,
) -> tokio::task::JoinHandle<Option<(ProcSample, u64)>> {
    let (pid, counters) = (args.pid, Arc::clone(counters));
    tokio::spawn(async move {
        tokio::time::sleep_until(tokio::time::Instant::from_std(clock.at(warmup_end_ns))).await;
        let received = Counters::get(&counters.received);
        sample(pid).map(|s| (s, received))
    })
}
