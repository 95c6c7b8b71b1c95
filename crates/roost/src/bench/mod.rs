//! `roost bench`: a load generator in the manner of emqtt-bench, on `roost-client`.
//!
//! Scenarios ([`args::Scenario`]): fanin, fanout and pairs publish timestamped payloads and
//! measure throughput, exact loss and latency ([`scenarios`]); conn opens idle connections and
//! measures their rate and, with `--pid`, the broker's memory per connection ([`conn`]; bare
//! sockets rather than clients with `--bare`, [`bare`]). Every run ends by itself: a message
//! count or a duration, then a drain timeout. It talks only to the host it is given, over TCP,
//! TLS, WebSocket or WebSocket over TLS (`--tls`, `--ws`, and the TLS flags of `roost pub`).

mod args;
mod bare;
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
use clients::Target;

use crate::transport_args::{self, Plan};

/// Runs `roost bench` and prints its report on stdout.
pub(crate) fn run(args: &BenchArgs) -> Result<ExitCode> {
    args.validate()?;
    let plan = args.transport_plan()?;
    if args.bare && !matches!(plan, Plan::Tcp) {
        anyhow::bail!("--bare: bare connections are plain TCP; leave out --tls and --ws");
    }
    let transport = transport_args::load(&plan).map_err(|e| anyhow::anyhow!("{e}"))?;
    let target = Target {
        port: args.port(&plan),
        transport,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let own_start = procstat::sample(std::process::id()).ok();
    let mut report = runtime.block_on(async {
        match args.scenario {
            Scenario::Conn => conn::run(args, &target).await,
            _ => scenarios::run(args, &target).await,
        }
    })?;
    report.transport = transport_name(&plan);
    if let (Some(start), Ok(end)) = (own_start, procstat::sample(std::process::id())) {
        report.client_cpu_secs = Some(end.cpu_secs - start.cpu_secs);
    }
    // Idle connections are many tasks; do not wait for each to say goodbye.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    Ok(ExitCode::SUCCESS)
}

/// The transport as reports name it.
fn transport_name(plan: &Plan) -> &'static str {
    match plan {
        Plan::Tcp => "tcp",
        Plan::Tls(_) => "tls",
        Plan::Ws(_) => "ws",
        Plan::Wss(..) => "wss",
    }
}
