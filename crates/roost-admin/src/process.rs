//! The process's own figures, read from `/proc` (Linux): resident memory, CPU time, open file
//! descriptors, and the system's load averages. Elsewhere they are absent, never made up.

/// Resident set size in bytes (`VmRSS` of /proc/self/status).
pub(crate) fn resident_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// User plus system CPU time in seconds (/proc/self/stat fields 14 and 15, in clock ticks of
/// 1/100 s, the value Linux reports to user space).
pub(crate) fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; the fields after it follow its ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Open file descriptors.
pub(crate) fn open_fds() -> Option<u64> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count() as u64)
}

/// The 1, 5 and 15 minute load averages.
pub(crate) fn load_averages() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut words = text.split_whitespace().map(|w| w.parse::<f64>().ok());
    Some([words.next()??, words.next()??, words.next()??])
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn linux_figures_are_there() {
        assert!(resident_memory().is_some_and(|m| m > 0));
        assert!(cpu_seconds().is_some());
        assert!(open_fds().is_some_and(|n| n >= 3));
        assert!(load_averages().is_some());
    }
}
