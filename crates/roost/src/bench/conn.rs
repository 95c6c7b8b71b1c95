//! The conn scenario: open N idle connections, hold them, report how fast they opened and, with
//! `--pid`, how much resident memory the broker spends per connection.

use std::time::Duration;

use anyhow::Result;

use super::args::BenchArgs;
use super::clients::{open_many, Target};
use super::procstat;
use super::report::Report;
use super::scenarios::per_sec;

/// How long connections are held when `-d` is not given.
const DEFAULT_HOLD: Duration = Duration::from_secs(2);

/// Opens `-c` connections, holds them for `-d` seconds, and closes them.
pub(crate) async fn run(args: &BenchArgs, target: &Target) -> Result<Report> {
    raise_fd_limit();
    let before = args.pid.and_then(|pid| procstat::sample(pid).ok());
    let pid = std::process::id();
    let ids = (0..args.clients)
        .map(|i| format!("bench-{pid}-conn-{i}"))
        .collect();
    let opened = open_many(args, target, ids).await?;
    let connections = opened.conns.len() as u64;
    let hold = args.duration.map_or(DEFAULT_HOLD, Duration::from_secs_f64);
    tokio::time::sleep(hold).await;
    let after = args.pid.and_then(|pid| procstat::sample(pid).ok());
    let held = opened
        .conns
        .iter()
        .filter(|c| !c.client.is_closed())
        .count() as u64;
    let mut report = Report {
        scenario: args.scenario.name(),
        qos: args.qos,
        version: args.version,
        size: args.size,
        connections,
        connections_per_sec: per_sec(connections, opened.elapsed.as_secs_f64()),
        held: Some(held),
        seconds: opened.elapsed.as_secs_f64() + hold.as_secs_f64(),
        ..Report::default()
    };
    if let (Some(before), Some(after)) = (before, after) {
        report.broker_cpu_secs = Some(after.cpu_secs - before.cpu_secs);
        report.broker_rss_kb = Some(after.rss_kb);
        let grown = after.rss_kb.saturating_sub(before.rss_kb) as f64 * 1024.0;
        report.broker_rss_bytes_per_conn = (connections > 0).then(|| grown / connections as f64);
    }
    drop(opened);
    Ok(report)
}

/// Lets this process use as many descriptors as the hard limit allows: one per connection.
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((_soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}
