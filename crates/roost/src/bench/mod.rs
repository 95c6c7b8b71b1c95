//! `roost bench`: a load generator in the manner of emqtt-bench, on `roost-client`.
//!
//! Scenarios ([`args::Scenario`]): fanin, fanout and pairs publish timestamped payloads and
//! measure throughput, exact loss and latency ([`scenarios`]); conn opens idle connections and
//! measures their rate and, with `--pid`, the broker's memory per connection ([`conn`]). Every
//! run ends by itself: a message count or a duration, then a drain timeout. It talks only to
//! the host it is given.

mod args;
mod clients;
mod conn;
mod payload;
mod procstat;
mod progress;
mod publisher;
mod report;
mod scenarios;
mod stats;
mod subscriber;

use std::process::ExitCode;

use anyhow::{Context, Result};

pub(crate) use args::BenchArgs;
use args::Scenario;

/// Runs `roost bench` and prints its report on stdout.
pub(crate) fn run(args: &BenchArgs) -> Result<ExitCode> {
    args.validate()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(async {
        match args.scenario {
            Scenario::Conn => conn::run(args).await,
            _ => scenarios::run(args).await,
        }
    })?;
    // Idle connections are many tasks; do not wait for each to say goodbye.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    Ok(ExitCode::SUCCESS)
}
