//! Sampling the broker process from /proc: CPU time (utime + stime of /proc/PID/stat) and
//! resident memory (VmRSS of /proc/PID/status). Linux only; elsewhere the figures are absent.

use anyhow::{anyhow, Context, Result};

/// One reading of the broker process.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ProcSample {
    /// User plus system CPU time, in seconds.
    pub(crate) cpu_secs: f64,
    /// Resident set size, in kibibytes.
    pub(crate) rss_kb: u64,
}

/// Reads `pid`'s CPU time and resident memory now.
pub(crate) fn sample(pid: u32) -> Result<ProcSample> {
    let stat_path = format!("/proc/{pid}/stat");
    let stat =
        std::fs::read_to_string(&stat_path).with_context(|| format!("reading {stat_path}"))?;
    let ticks = cpu_ticks(&stat).ok_or_else(|| anyhow!("{stat_path}: no utime/stime fields"))?;
    let status_path = format!("/proc/{pid}/status");
    let status =
        std::fs::read_to_string(&status_path).with_context(|| format!("reading {status_path}"))?;
    let rss_kb = vm_rss_kb(&status).ok_or_else(|| anyhow!("{status_path}: no VmRSS line"))?;
    Ok(ProcSample {
        cpu_secs: ticks as f64 / ticks_per_second(),
        rss_kb,
    })
}

/// utime + stime, in clock ticks, from the text of /proc/PID/stat. The command name (field 2)
/// may hold spaces and parentheses, so fields are counted from the last `)`.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // After the name: state is field 3, so utime (14) and stime (15) are the 12th and 13th.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// VmRSS in kB from the text of /proc/PID/status.
fn vm_rss_kb(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Clock ticks per second (`getconf CLK_TCK`).
fn ticks_per_second() -> f64 {
    use nix::unistd::{sysconf, SysconfVar};
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(ticks)) if ticks > 0 => ticks as f64,
        _ => 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_a_name_with_spaces() {
        let stat = "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1";
        assert_eq!(cpu_ticks(stat), Some(300));
    }

    #[test]
    fn rss_line() {
        let status = "Name:\troost\nVmPeak:\t  9000 kB\nVmRSS:\t    4321 kB\nThreads: 3\n";
        assert_eq!(vm_rss_kb(status), Some(4321));
    }

    #[test]
    fn samples_this_process() {
        let s = sample(std::process::id()).expect("own /proc entry");
        assert!(s.rss_kb > 0);
    }
}
