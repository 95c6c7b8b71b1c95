//! The recent warnings log: the last [`RECENT_LOG_CAPACITY`] warning and error lines the process
//! logged, fed by a tracing layer in the binary and read by `GET /api/v5/logs/recent`. Bounded:
//! the oldest line goes when a new one comes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// How many lines are kept.
pub const RECENT_LOG_CAPACITY: usize = 500;

/// One logged line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// When it was logged.
    pub time: SystemTime,
    /// `WARN`, `ERROR` or `INFO`.
    pub level: &'static str,
    /// The line.
    pub message: String,
}

/// A shared, bounded ring of log lines.
#[derive(Debug, Clone, Default)]
pub struct RecentLog {
    lines: Arc<Mutex<VecDeque<LogEntry>>>,
}

impl RecentLog {
    /// An empty log.
    pub fn new() -> RecentLog {
        RecentLog::default()
    }

    /// Adds a line, dropping the oldest when full.
    pub fn push(&self, level: &'static str, message: String) {
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        if lines.len() >= RECENT_LOG_CAPACITY {
            lines.pop_front();
        }
        lines.push_back(LogEntry {
            time: SystemTime::now(),
            level,
            message,
        });
    }

    /// The newest `limit` lines, newest first.
    pub fn newest(&self, limit: usize) -> Vec<LogEntry> {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines.iter().rev().take(limit).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_lines_only() {
        let log = RecentLog::new();
        for i in 0..RECENT_LOG_CAPACITY + 10 {
            log.push("WARN", format!("line {i}"));
        }
        let all = log.newest(usize::MAX);
        assert_eq!(all.len(), RECENT_LOG_CAPACITY);
        assert_eq!(all[0].message, format!("line {}", RECENT_LOG_CAPACITY + 9));
        assert_eq!(all[RECENT_LOG_CAPACITY - 1].message, "line 10");
        assert_eq!(log.newest(2).len(), 2);
    }
}
