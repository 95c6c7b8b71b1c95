//! Readers of directive values: booleans, numbers, limits and durations as Mosquitto writes them.
//! Each returns the reason a value is wrong; the parser adds the file, line and expected form.

use std::time::Duration;

/// `true`/`false`, and `1`/`0` as Mosquitto also reads them.
pub(super) fn boolean(value: &str) -> Result<bool, String> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("expected 'true' or 'false', found '{value}'")),
    }
}

/// A whole number that fits `T`.
pub(super) fn number<T: std::str::FromStr>(value: &str) -> Result<T, String> {
    value.parse().map_err(|_| match value.parse::<i128>() {
        Ok(_) => format!("'{value}' is out of range"),
        Err(_) => format!("expected a whole number, found '{value}'"),
    })
}

/// A count where Mosquitto's -1 (and 0) means unlimited; unlimited is returned as 0.
pub(super) fn count_or_unlimited(value: &str) -> Result<usize, String> {
    match value.parse::<i64>() {
        Ok(n) if n <= 0 => Ok(0),
        Ok(n) => usize::try_from(n).map_err(|_| format!("'{value}' is too large")),
        Err(_) => Err(format!(
            "expected a whole number (or -1 for no limit), found '{value}'"
        )),
    }
}

/// Sets a value Mosquitto reads once: a second line for the same setting is an error there too.
pub(super) fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<(), String> {
    if slot.is_some() {
        return Err("given twice; this setting may be given once".into());
    }
    *slot = Some(value);
    Ok(())
}

/// One word among `choices`.
pub(super) fn one_of<'v>(value: &'v str, choices: &[&str]) -> Result<&'v str, String> {
    if choices.contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "expected one of {}, found '{value}'",
            choices.join(", ")
        ))
    }
}

/// `persistent_client_expiration`: a count followed by h, d, w, m or y — hours, days, weeks,
/// months of 30 days and years of 365 days, as Mosquitto reads it (no unit is an error there too).
pub(super) fn expiration(value: &str) -> Result<Duration, String> {
    const HOUR: u64 = 3600;
    const DAY: u64 = 24 * HOUR;
    let (digits, unit) =
        value.split_at(value.len() - value.chars().last().map_or(0, char::len_utf8));
    let unit_secs = match unit {
        "h" => HOUR,
        "d" => DAY,
        "w" => 7 * DAY,
        "m" => 30 * DAY,
        "y" => 365 * DAY,
        _ => {
            return Err(format!(
                "'{value}' needs a unit: h (hours), d (days), w (weeks), m (months) or y (years)"
            ))
        }
    };
    match digits.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_secs(n.saturating_mul(unit_secs))),
        _ => Err(format!(
            "expected a positive count before the unit, like 14d; found '{value}'"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_take_mosquitto_spellings() {
        assert_eq!(boolean("1"), Ok(true));
        assert_eq!(boolean("0"), Ok(false));
        assert!(boolean("yes").is_err());
    }

    #[test]
    fn expiration_units_are_mosquittos() {
        assert_eq!(expiration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(expiration("1m"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(expiration("1y"), Ok(Duration::from_secs(365 * 86_400)));
        assert!(expiration("3600").unwrap_err().contains("needs a unit"));
        assert!(expiration("0d").is_err());
        assert!(expiration("d").is_err());
        assert!(expiration("").is_err());
    }

    #[test]
    fn numbers_out_of_range_say_so() {
        assert_eq!(
            number::<u16>("70000"),
            Err("'70000' is out of range".to_string())
        );
        assert_eq!(
            number::<u16>("lots"),
            Err("expected a whole number, found 'lots'".to_string())
        );
    }

    #[test]
    fn minus_one_is_unlimited() {
        assert_eq!(count_or_unlimited("-1"), Ok(0));
        assert_eq!(count_or_unlimited("7"), Ok(7));
        assert!(count_or_unlimited("many").is_err());
    }
}
