//! Log output as Mosquitto writes it — `1700000000: message`, or the `log_timestamp_format` time
//! — to every `log_dest`: stdout, stderr, a file appended to, the local syslog daemon through
//! `/dev/log`, and `$SYS/broker/log/<type>` topics (handed to the broker through a bounded
//! channel, see [`Logging::topic_lines`]).
//!
//! One `tracing` layer does it all. Each event's Mosquitto type comes from
//! [`LogType::of`] (its level, or a notice/subscribe/unsubscribe target); types `log_type` did
//! not ask for are switched off at their call sites, so a disabled `debug!` costs a cached check.
//! Writing never blocks on the broker: a full topic channel drops the line. Warnings and errors
//! also go to a bounded ring ([`RecentLog`]) that the HTTP API shows, whatever `log_type` says.

use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::Write as _;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use roost_admin::RecentLog;
use roost_broker::config::{LogDest, LogSettings, LogType, LogTypes};
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Where the local syslog daemon listens.
const SYSLOG_SOCKET: &str = "/dev/log";

/// Log lines waiting for the broker to publish them on `$SYS/broker/log/...`: bounded so a
/// stalled broker costs lines, never memory.
const TOPIC_BACKLOG: usize = 1024;

/// A log line for a `$SYS/broker/log/...` topic.
#[derive(Debug)]
pub(crate) struct TopicLine {
    pub(crate) topic: &'static str,
    pub(crate) line: String,
}

/// The running log layer: change its settings, and take the lines meant for topics.
#[derive(Debug)]
pub(crate) struct Logging {
    outputs: Arc<RwLock<Outputs>>,
    /// The last warnings and errors, for the HTTP API, whatever `log_type` says.
    recent: RecentLog,
    verbose: bool,
    topic_tx: mpsc::Sender<TopicLine>,
    topic_rx: Option<mpsc::Receiver<TopicLine>>,
}

impl Logging {
    /// Puts `settings` in force (at start, and on a reload): opens the log file again and
    /// reconnects to syslog, as Mosquitto does on SIGHUP.
    pub(crate) fn apply(&self, settings: &LogSettings) -> anyhow::Result<()> {
        let outputs = Outputs::open(settings, self.verbose, &self.topic_tx)?;
        *self.outputs.write().unwrap_or_else(PoisonError::into_inner) = outputs;
        tracing::callsite::rebuild_interest_cache();
        Ok(())
    }

    /// The lines meant for `$SYS/broker/log/...`; the broker publishes them (once: later calls
    /// return `None`).
    pub(crate) fn topic_lines(&mut self) -> Option<mpsc::Receiver<TopicLine>> {
        self.topic_rx.take()
    }

    /// The recent warnings and errors (shared: the layer keeps filling it).
    pub(crate) fn recent(&self) -> RecentLog {
        self.recent.clone()
    }
}

/// Starts logging with `settings`; `verbose` (`-v`) logs every type, as Mosquitto's does.
pub(crate) fn init(settings: &LogSettings, verbose: bool) -> anyhow::Result<Logging> {
    let (topic_tx, topic_rx) = mpsc::channel(TOPIC_BACKLOG);
    let logging = Logging {
        outputs: Arc::new(RwLock::new(Outputs::default())),
        recent: RecentLog::new(),
        verbose,
        topic_tx,
        topic_rx: Some(topic_rx),
    };
    logging.apply(settings)?;
    let layer = MosquittoLayer {
        outputs: logging.outputs.clone(),
        recent: logging.recent.clone(),
    };
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        .context("cannot start logging")?;
    Ok(logging)
}

/// What the layer writes and where, swapped whole on a reload.
#[derive(Debug, Default)]
struct Outputs {
    types: LogTypes,
    stamp: Stamp,
    sinks: Vec<Sink>,
}

/// How a line starts.
#[derive(Debug, Default)]
enum Stamp {
    /// No time (`log_timestamp false`).
    #[default]
    None,
    /// Seconds since the Unix epoch, Mosquitto's default.
    Unix,
    /// A strftime format, in local time.
    Format(String),
}

#[derive(Debug)]
enum Sink {
    Stdout,
    Stderr,
    File(Mutex<File>),
    Syslog(Syslog),
    Topic(mpsc::Sender<TopicLine>),
}

impl Outputs {
    fn open(
        settings: &LogSettings,
        verbose: bool,
        topic: &mpsc::Sender<TopicLine>,
    ) -> anyhow::Result<Outputs> {
        let mut sinks = Vec::with_capacity(settings.dest.len());
        for dest in &settings.dest {
            sinks.push(match dest {
                LogDest::Stdout => Sink::Stdout,
                LogDest::Stderr => Sink::Stderr,
                LogDest::File(path) => Sink::File(Mutex::new(open_log_file(path)?)),
                LogDest::Syslog => Sink::Syslog(
                    Syslog::connect(Path::new(SYSLOG_SOCKET), settings.syslog_facility())
                        .with_context(|| {
                            format!(
                                "log_dest syslog: cannot reach the local syslog daemon at \
                                 {SYSLOG_SOCKET} (is one running? else use log_dest file)"
                            )
                        })?,
                ),
                LogDest::Topic => Sink::Topic(topic.clone()),
            });
        }
        let stamp = match (&settings.timestamp_format, settings.timestamp) {
            (_, false) => Stamp::None,
            (None, true) => Stamp::Unix,
            (Some(format), true) => Stamp::Format(format.clone()),
        };
        Ok(Outputs {
            types: if verbose {
                LogTypes::all()
            } else {
                settings.types
            },
            stamp,
            sinks,
        })
    }

    fn wants(&self, metadata: &Metadata<'_>) -> bool {
        !self.sinks.is_empty()
            && metadata.is_event()
            && self
                .types
                .contains(LogType::of(*metadata.level(), metadata.target()))
    }

    fn write(&self, kind: LogType, message: &str, now: SystemTime) {
        let mut line = self.stamp.render(now);
        line.push_str(message);
        for sink in &self.sinks {
            sink.write(kind, &line);
        }
    }
}

fn open_log_file(path: &Path) -> anyhow::Result<File> {
    File::options()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("log_dest file: cannot open {} for writing", path.display()))
}

impl Stamp {
    /// The start of a line at `now`: `1700000000: `, the formatted time and `: `, or nothing.
    fn render(&self, now: SystemTime) -> String {
        let mut out = String::with_capacity(128);
        match self {
            Stamp::None => return out,
            Stamp::Unix => {
                let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                let _ = write!(out, "{secs}");
            }
            Stamp::Format(format) => {
                let local: chrono::DateTime<chrono::Local> = now.into();
                if write!(out, "{}", local.format(format)).is_err() {
                    out.clear();
                    out.push_str("Time error");
                }
            }
        }
        out.push_str(": ");
        out
    }
}

impl Sink {
    fn write(&self, kind: LogType, line: &str) {
        match self {
            Sink::Stdout => {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
            Sink::Stderr => {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
            Sink::File(file) => {
                let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
                // One write per line, so lines from several threads never interleave.
                let _ = file.write_all(format!("{line}\n").as_bytes());
            }
            Sink::Syslog(syslog) => syslog.send(kind, line),
            Sink::Topic(topic) => {
                if let Some(topic_name) = kind.topic() {
                    let _ = topic.try_send(TopicLine {
                        topic: topic_name,
                        line: line.to_string(),
                    });
                }
            }
        }
    }
}

/// The local syslog daemon, spoken to as the C library's `syslog()` does: one datagram per line,
/// `<PRIORITY>roost[PID]: line`.
#[derive(Debug)]
struct Syslog {
    socket: UnixDatagram,
    facility: u8,
    pid: u32,
}

impl Syslog {
    fn connect(path: &Path, facility: u8) -> std::io::Result<Syslog> {
        let socket = UnixDatagram::unbound()?;
        socket.connect(path)?;
        Ok(Syslog {
            socket,
            facility,
            pid: std::process::id(),
        })
    }

    fn send(&self, kind: LogType, line: &str) {
        let priority = u16::from(self.facility) * 8 + u16::from(kind.syslog_severity());
        let datagram = format!("<{priority}>roost[{}]: {line}", self.pid);
        let _ = self.socket.send(datagram.as_bytes());
    }
}

/// The `tracing` layer: filters by Mosquitto type, formats, writes.
struct MosquittoLayer {
    outputs: Arc<RwLock<Outputs>>,
    recent: RecentLog,
}

/// Warnings and errors are kept for the HTTP API's recent log even when not written anywhere.
fn kept_recent(metadata: &Metadata<'_>) -> bool {
    *metadata.level() <= Level::WARN
}

impl MosquittoLayer {
    fn outputs(&self) -> std::sync::RwLockReadGuard<'_, Outputs> {
        self.outputs.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<S: Subscriber> Layer<S> for MosquittoLayer {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.outputs().wants(metadata) || kept_recent(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        self.outputs().wants(metadata) || kept_recent(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        let outputs = self.outputs();
        Some(
            if outputs.sinks.is_empty() || outputs.types == LogTypes::NONE {
                LevelFilter::WARN
            } else if outputs.types.contains(LogType::Debug) {
                LevelFilter::TRACE
            } else {
                // Notices, subscribe and unsubscribe lines are info! events with their own target.
                LevelFilter::INFO
            },
        )
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let outputs = self.outputs();
        let wanted = outputs.wants(metadata);
        let recent = kept_recent(metadata);
        if !wanted && !recent {
            return;
        }
        let mut text = Text::default();
        event.record(&mut text);
        let text = text.finish();
        if recent {
            let level = if *metadata.level() == Level::ERROR {
                "ERROR"
            } else {
                "WARN"
            };
            self.recent.push(level, text.clone());
        }
        if wanted {
            let kind = LogType::of(*metadata.level(), metadata.target());
            outputs.write(kind, &text, SystemTime::now());
        }
    }
}

/// An event's message followed by its other fields as ` name=value`.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Text {
    fn finish(mut self) -> String {
        self.message.push_str(&self.fields);
        self.message
    }
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn unix_seconds_is_mosquittos_default_shape() {
        assert_eq!(Stamp::Unix.render(at(1_700_000_000)), "1700000000: ");
        assert_eq!(Stamp::None.render(at(1_700_000_000)), "");
    }

    #[test]
    fn strftime_formats_local_time() {
        // Mid-year and mid-day, so the date is the same in every time zone.
        let stamp = Stamp::Format("%Y-%m-%d".into()).render(at(1_718_452_800));
        assert_eq!(stamp, "2024-06-15: ");
    }

    #[test]
    fn syslog_lines_carry_facility_and_severity() {
        let dir = std::env::temp_dir().join(format!("roost-syslog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log.sock");
        let daemon = UnixDatagram::bind(&path).unwrap();
        let syslog = Syslog::connect(&path, LogSettings::default().syslog_facility()).unwrap();
        syslog.send(LogType::Notice, "1700000000: roost starting");
        let mut buf = [0u8; 256];
        let n = daemon.recv(&mut buf).unwrap();
        assert_eq!(
            std::str::from_utf8(&buf[..n]).unwrap(),
            format!(
                "<29>roost[{}]: 1700000000: roost starting",
                std::process::id()
            )
        );
        assert!(Syslog::connect(&dir.join("absent.sock"), 3).is_err());
    }

    #[test]
    fn topic_lines_skip_debug_and_drop_when_full() {
        let (tx, mut rx) = mpsc::channel(1);
        let sink = Sink::Topic(tx);
        sink.write(LogType::Debug, "never");
        sink.write(LogType::Warning, "first");
        sink.write(LogType::Error, "dropped: the channel is full");
        let line = rx.try_recv().unwrap();
        assert_eq!(
            (line.topic, line.line.as_str()),
            ("$SYS/broker/log/W", "first")
        );
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn verbose_logs_every_type() {
        let (tx, _rx) = mpsc::channel(1);
        let settings = LogSettings {
            types: LogTypes::NONE,
            ..LogSettings::default()
        };
        assert_eq!(
            Outputs::open(&settings, true, &tx).unwrap().types,
            LogTypes::all()
        );
        assert_eq!(
            Outputs::open(&settings, false, &tx).unwrap().types,
            LogTypes::NONE
        );
    }
}
