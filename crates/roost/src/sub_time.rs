//! The clock of `roost sub -F`: one local-time reading per message, and C's `strftime`
//! conversions (glibc, C locale) for the `@` fields, `%I`, `%U` and the JSON `tst`.
//!
//! The reading is taken by the caller and passed in, so every conversion is a pure function of
//! it and is tested without a clock. Local time comes from `TZ` or `/etc/localtime` (chrono).
//! One gap: C prints the zone's abbreviation for `%Z` (`CET`); chrono has no abbreviations, so
//! `%Z` prints `UTC` at offset zero and `+hh` / `+hhmm` elsewhere, as glibc does for zones
//! that have no abbreviation.

use chrono::{DateTime, Datelike, FixedOffset, Local, Timelike};

/// One reading of the clock, in local time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Now {
    /// The local date and time.
    pub(crate) local: DateTime<FixedOffset>,
}

impl Now {
    /// Reads the system clock.
    pub(crate) fn read() -> Now {
        Now {
            local: Local::now().fixed_offset(),
        }
    }

    /// A fixed instant at a fixed offset (seconds east of UTC), for tests.
    #[cfg(test)]
    pub(crate) fn at(unix_seconds: i64, nanos: u32, offset_seconds: i32) -> Now {
        let utc =
            DateTime::<chrono::Utc>::from_timestamp(unix_seconds, nanos).expect("valid instant");
        let offset = FixedOffset::east_opt(offset_seconds).expect("valid offset");
        Now {
            local: utc.with_timezone(&offset),
        }
    }

    /// Nanoseconds within the second (C's `tv_nsec`).
    pub(crate) fn nanos(&self) -> u32 {
        self.local.nanosecond() % 1_000_000_000
    }

    /// `%Y-%m-%dT%H:%M:%S.uuuuuu%z`: the `tst` of `%j` and `%J` (microseconds).
    pub(crate) fn iso8601_micros(&self) -> String {
        let mut out = Vec::new();
        strftime_into(b"%Y-%m-%dT%H:%M:%S", self, &mut out);
        out.extend_from_slice(format!(".{:06}", self.nanos() / 1000).as_bytes());
        strftime_into(b"%z", self, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Appends `format` expanded as glibc's `strftime` does in the C locale. A conversion glibc
/// does not know (`%Q`, or a flag with nothing after it) is copied as written.
pub(crate) fn strftime_into(format: &[u8], now: &Now, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < format.len() {
        if format[i] != b'%' {
            out.push(format[i]);
            i += 1;
            continue;
        }
        match format.get(i + 1) {
            Some(&c) => {
                if !conversion(c, now, out) {
                    out.push(b'%');
                    out.push(c);
                }
                i += 2;
            }
            None => {
                out.push(b'%');
                i += 1;
            }
        }
    }
}

/// Appends one conversion (`c` after `%`); false if glibc does not know it.
fn conversion(c: u8, now: &Now, out: &mut Vec<u8>) -> bool {
    let t = &now.local;
    let weekday = t.weekday().num_days_from_sunday() as usize;
    let month0 = t.month0() as usize;
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let text = match c {
        b'a' => DAYS[weekday][..3].to_owned(),
        b'A' => DAYS[weekday].to_owned(),
        b'b' | b'h' => MONTHS[month0][..3].to_owned(),
        b'B' => MONTHS[month0].to_owned(),
        b'c' => expand(b"%a %b %e %H:%M:%S %Y", now),
        b'C' => format!("{:02}", t.year().div_euclid(100)),
        b'd' => format!("{:02}", t.day()),
        b'D' | b'x' => expand(b"%m/%d/%y", now),
        b'e' => format!("{:2}", t.day()),
        b'F' => expand(b"%Y-%m-%d", now),
        b'g' => format!("{:02}", t.iso_week().year().rem_euclid(100)),
        b'G' => t.iso_week().year().to_string(),
        b'H' => format!("{:02}", t.hour()),
        b'I' => format!("{hour12:02}"),
        b'j' => format!("{:03}", t.ordinal()),
        b'k' => format!("{:2}", t.hour()),
        b'l' => format!("{hour12:2}"),
        b'm' => format!("{:02}", t.month()),
        b'M' => format!("{:02}", t.minute()),
        b'n' => "\n".to_owned(),
        b'p' => if t.hour() < 12 { "AM" } else { "PM" }.to_owned(),
        b'P' => if t.hour() < 12 { "am" } else { "pm" }.to_owned(),
        b'r' => expand(b"%I:%M:%S %p", now),
        b'R' => expand(b"%H:%M", now),
        b's' => t.timestamp().to_string(),
        b'S' => format!("{:02}", t.second().min(60)),
        b't' => "\t".to_owned(),
        b'T' | b'X' => expand(b"%H:%M:%S", now),
        b'u' => t.weekday().number_from_monday().to_string(),
        b'U' => format!("{:02}", (t.ordinal0() as usize + 7 - weekday) / 7),
        b'V' => format!("{:02}", t.iso_week().week()),
        b'w' => weekday.to_string(),
        b'W' => {
            let monday_based = t.weekday().num_days_from_monday() as usize;
            format!("{:02}", (t.ordinal0() as usize + 7 - monday_based) / 7)
        }
        b'y' => format!("{:02}", t.year().rem_euclid(100)),
        b'Y' => t.year().to_string(),
        b'z' => offset_text(t.offset().local_minus_utc(), true),
        b'Z' => zone_name(t.offset().local_minus_utc()),
        b'%' => "%".to_owned(),
        _ => return false,
    };
    out.extend_from_slice(text.as_bytes());
    true
}

fn expand(format: &[u8], now: &Now) -> String {
    let mut out = Vec::new();
    strftime_into(format, now, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `+hhmm` (`always_minutes`) or `+hh` when the minutes are zero.
fn offset_text(seconds: i32, always_minutes: bool) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    if always_minutes || m != 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}")
    }
}

fn zone_name(seconds: i32) -> String {
    if seconds == 0 {
        "UTC".to_owned()
    } else {
        offset_text(seconds, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-02-29 (a Thursday, leap day) 13:04:05.123456789 UTC.
    const LEAP_DAY: i64 = 1_709_211_845;

    fn fmt(format: &str, now: &Now) -> String {
        let mut out = Vec::new();
        strftime_into(format.as_bytes(), now, &mut out);
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn each_conversion_matches_glibc_in_the_c_locale() {
        let now = Now::at(LEAP_DAY, 123_456_789, 0);
        let cases = [
            ("%a %A %b %B %h", "Thu Thursday Feb February Feb"),
            ("%c", "Thu Feb 29 13:04:05 2024"),
            ("%C %y %Y %g %G", "20 24 2024 24 2024"),
            ("%d %e %j %m", "29 29 060 02"),
            ("%D|%x|%F", "02/29/24|02/29/24|2024-02-29"),
            ("%H %I %k %l %M %S", "13 01 13  1 04 05"),
            (
                "%p %P %r %R %T %X",
                "PM pm 01:04:05 PM 13:04 13:04:05 13:04:05",
            ),
            ("%s", "1709211845"),
            ("%u %w %U %W %V", "4 4 08 09 09"),
            ("%z %Z %%", "+0000 UTC %"),
            ("%n%t", "\n\t"),
            ("%Q %E %_", "%Q %E %_"),
        ];
        for (format, expected) in cases {
            assert_eq!(fmt(format, &now), expected, "{format}");
        }
    }

    #[test]
    fn offsets_and_padding() {
        let now = Now::at(LEAP_DAY, 0, -(5 * 3600 + 30 * 60));
        assert_eq!(fmt("%H:%M %z %Z", &now), "07:34 -0530 -0530");
        let now = Now::at(LEAP_DAY, 0, 3600);
        assert_eq!(fmt("%z %Z", &now), "+0100 +01");
        let new_year = Now::at(1_704_067_200, 0, 0); // 2024-01-01, a Monday
        assert_eq!(
            fmt("%e|%k|%l|%j|%U|%W|%V", &new_year),
            " 1| 0|12|001|00|01|01"
        );
    }

    #[test]
    fn json_timestamp_has_microseconds_and_offset() {
        let now = Now::at(LEAP_DAY, 123_456_789, 0);
        assert_eq!(now.iso8601_micros(), "2024-02-29T13:04:05.123456+0000");
        assert_eq!(now.nanos(), 123_456_789);
    }
}
