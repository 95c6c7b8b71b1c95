//! The conn scenario: open N idle connections, hold them, report how fast they opened and, with
//! `--pid`, how much resident memory the broker spends per connection. With `--waves`, the
//! connections come in waves some seconds apart, and the last wave's own figure says what a
//! connection costs on a broker that already holds idle ones (a broker may spend less on a
//! connection once it has been idle a while, and reuse what it gave back). With `--bare` the
//! connections are sockets with one CONNECT written on them rather than clients ([`super::bare`]).

use std::time::Duration;

use anyhow::Result;
use tokio::net::TcpStream;

use super::args::BenchArgs;
use super::bare::{open_bare, still_open};
use super::clients::{open_many, Conn, Target};
use super::procstat;
use super::report::Report;
use super::scenarios::per_sec;

/// How long connections are held when `-d` is not given.
const DEFAULT_HOLD: Duration = Duration::from_secs(2);

/// Opens `-c` connections, holds them for `-d` seconds, and closes them.
pub(crate) async fn run(args: &BenchArgs, target: &Target) -> Result<Report> {
    raise_fd_limit();
    let sample = || args.pid.and_then(|pid| procstat::sample(pid).ok());
    let before = sample();
    let pid = std::process::id();
    let gap = Duration::from_secs_f64(args.wave_gap);
    let mut conns = Held::default();
    let mut opening = Duration::ZERO;
    let mut last_wave = (before, 0);
    for wave in 0..args.waves {
        if wave > 0 {
            tokio::time::sleep(gap).await;
            last_wave.0 = sample();
        }
        let range = wave_range(args.clients, args.waves, wave);
        last_wave.1 = range.len() as u64;
        let ids = range.map(|i| format!("bench-{pid}-conn-{i}")).collect();
        if args.bare {
            let opened = open_bare(args, target, ids).await?;
            opening += opened.elapsed;
            conns.bare.extend(opened.streams);
        } else {
            let opened = open_many(args, target, ids).await?;
            opening += opened.elapsed;
            conns.clients.extend(opened.conns);
        }
    }
    let connections = conns.len();
    let hold = args.duration.map_or(DEFAULT_HOLD, Duration::from_secs_f64);
    tokio::time::sleep(hold).await;
    let after = sample();
    let held = conns.still_open();
    let mut report = Report {
        scenario: args.scenario.name(),
        qos: args.qos,
        version: args.version,
        size: args.size,
        connections,
        connections_per_sec: per_sec(connections, opening.as_secs_f64()),
        held: Some(held),
        seconds: opening.as_secs_f64() + hold.as_secs_f64(),
        ..Report::default()
    };
    if let (Some(before), Some(after)) = (before, after) {
        report.broker_cpu_secs = Some(after.cpu_secs - before.cpu_secs);
        report.broker_rss_kb = Some(after.rss_kb);
        let grown = after.rss_kb.saturating_sub(before.rss_kb) as f64 * 1024.0;
        report.broker_rss_bytes_per_conn = (connections > 0).then(|| grown / connections as f64);
    }
    if let (true, Some(wave_start), Some(after)) = (args.waves > 1, last_wave.0, after) {
        let grown = after.rss_kb.saturating_sub(wave_start.rss_kb) as f64 * 1024.0;
        report.broker_rss_bytes_per_conn_last_wave = Some(grown / last_wave.1.max(1) as f64);
    }
    drop(conns);
    Ok(report)
}

/// The connections being held: clients, or bare sockets with `--bare`.
#[derive(Default)]
struct Held {
    clients: Vec<Conn>,
    bare: Vec<TcpStream>,
}

impl Held {
    fn len(&self) -> u64 {
        (self.clients.len() + self.bare.len()) as u64
    }

    /// How many the broker has not closed.
    fn still_open(&self) -> u64 {
        let clients = self
            .clients
            .iter()
            .filter(|c| !c.client.is_closed())
            .count();
        let bare = self.bare.iter().filter(|s| still_open(s)).count();
        (clients + bare) as u64
    }
}

/// The connection numbers of wave `wave` of `waves`: equal shares, the last taking what is left.
fn wave_range(clients: u32, waves: u32, wave: u32) -> std::ops::Range<u32> {
    let share = clients / waves;
    let start = share * wave;
    let end = if wave + 1 == waves {
        clients
    } else {
        start + share
    };
    start..end
}

/// Lets this process use as many descriptors as the hard limit allows: one per connection.
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((_soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

#[cfg(test)]
mod tests {
    use super::wave_range;

    #[test]
    fn waves_share_the_connections_and_the_last_takes_the_rest() {
        assert_eq!(wave_range(10, 1, 0), 0..10);
        assert_eq!(wave_range(10, 3, 0), 0..3);
        assert_eq!(wave_range(10, 3, 1), 3..6);
        assert_eq!(wave_range(10, 3, 2), 6..10);
    }
}
