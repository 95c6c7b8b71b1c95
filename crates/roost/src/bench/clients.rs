//! Opening the benchmark's connections: the options every bench client shares, and opening many
//! at once under a bound, timed, so every scenario can report connections per second.

use std::future::Future;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use roost_client::{Client, ClientOptions, Incoming, Transport};
use tokio::task::JoinSet;

use super::args::BenchArgs;

/// One open connection: the handle and its stream of received messages. Both are kept: the
/// connection stays open while either lives.
pub(crate) struct Conn {
    pub(crate) client: Client,
    pub(crate) incoming: Incoming,
}

/// Where every bench connection goes: the port and the transport, loaded once (TLS files are
/// read once, whatever the number of connections).
pub(crate) struct Target {
    pub(crate) port: u16,
    pub(crate) transport: Transport,
}

/// Connections opened by [`open_many`], in the order of their names, and how long it took.
pub(crate) struct Opened {
    pub(crate) conns: Vec<Conn>,
    pub(crate) elapsed: Duration,
}

/// Source addresses to spread `count` connections over: above this many connections per
/// address, a loopback broker is reached from 127.0.0.2, .3, ... too. The client picks a bound
/// socket's port at connect (IP_BIND_ADDRESS_NO_PORT), where a port need only be free towards
/// this broker; picking it at bind, with 5,000 per address back-to-back runs of 10,000 slowed to
/// a crawl searching for ports, and even with 1,000 `bind` took 63% of the load generator's CPU.
const CONNS_PER_SOURCE: u32 = 1000;

/// The client options of every bench connection named `client_id`.
pub(crate) fn options(args: &BenchArgs, target: &Target, client_id: String) -> ClientOptions {
    let mut options = ClientOptions::new(args.host.clone(), target.port);
    options.transport = target.transport.clone();
    options.client_id = client_id;
    options.protocol = args.protocol();
    options.max_inflight = Some(args.inflight);
    if args.persistent {
        options.clean_start = false;
        options.session_expiry = Some(PERSISTENT_EXPIRY);
    }
    options
}

/// Session expiry of `--persistent` MQTT 5 sessions: long enough for any run, short enough that
/// a broker left running forgets them.
const PERSISTENT_EXPIRY: u32 = 300;

/// The source address for connection `index` of `count`, when they must be spread.
pub(crate) fn source_address(args: &BenchArgs, index: u32, count: u32) -> Option<String> {
    let host: IpAddr = args.host.parse().ok()?;
    if !host.is_loopback() || !host.is_ipv4() || count <= CONNS_PER_SOURCE {
        return None;
    }
    let sources = count.div_ceil(CONNS_PER_SOURCE).min(254);
    Some(format!("127.0.0.{}", 1 + index % sources))
}

/// Opens one connection per id in `ids`, at most `args.connect_concurrency` at a time, and
/// fails on the first that cannot connect.
pub(crate) async fn open_many(
    args: &BenchArgs,
    target: &Target,
    ids: Vec<String>,
) -> Result<Opened> {
    let (conns, elapsed) = open_each(args, target, ids, |options| async move {
        let (client, _connected, incoming) = Client::connect(options).await?;
        Ok(Conn { client, incoming })
    })
    .await?;
    Ok(Opened { conns, elapsed })
}

/// Runs `connect` with the options of each id in `ids` (from their spread of source addresses),
/// at most `args.connect_concurrency` at a time, and gives what they opened in the order of
/// `ids` with the time it took; fails on the first that fails.
pub(crate) async fn open_each<T, F, Fut>(
    args: &BenchArgs,
    target: &Target,
    ids: Vec<String>,
    connect: F,
) -> Result<(Vec<T>, Duration)>
where
    T: Send + 'static,
    F: Fn(ClientOptions) -> Fut,
    Fut: Future<Output = Result<T>> + Send + 'static,
{
    let count = u32::try_from(ids.len()).unwrap_or(u32::MAX);
    let started = Instant::now();
    let mut ids = ids.into_iter().enumerate();
    let mut tasks = JoinSet::new();
    let mut opened: Vec<Option<T>> = (0..count).map(|_| None).collect();
    loop {
        while tasks.len() < args.connect_concurrency {
            let Some((index, id)) = ids.next() else { break };
            let mut options = options(args, target, id);
            let index_u32 = u32::try_from(index).unwrap_or(u32::MAX);
            options.bind_address = source_address(args, index_u32, count);
            let what = format!(
                "connecting {} to {}:{}",
                options.client_id, args.host, target.port
            );
            let attempt = connect(options);
            tasks.spawn(async move { (index, attempt.await.context(what)) });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let (index, result) = joined.context("a connecting task panicked")?;
        opened[index] = Some(result?);
    }
    Ok((opened.into_iter().flatten().collect(), started.elapsed()))
}
