//! Durations, the one way they are written and shown: `500ms`, `10s`, `1.5s`, `2m`, `1h`,
//! `30d`. Plans (`timeout`, `sleep`, `retry`, `valid_for_at_least`) and flags (`probe
//! --timeout`, `serve --reply-delay`) parse with [`parse_duration`]; every message shows one
//! with [`format_duration`].

use std::time::Duration;

/// The longest duration a timeout, a sleep or a retry interval may have: a day (surely a typo
/// beyond that, and it keeps the arithmetic small).
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// A bare number: `10` (seconds? milliseconds?).
    #[error("needs a unit")]
    NoUnit,
    #[error("is not a duration")]
    Invalid,
    /// Longer than the most allowed.
    #[error("is longer than {}, the most allowed", format_duration(*.max))]
    TooLong { max: Duration },
}

/// The words that say how to write one.
pub const DURATION_HELP: &str =
    "write a number and a unit: `500ms`, `10s`, `1.5s`, `2m`, `1h`, `1d`";

/// [`parse_duration_within`] with [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    parse_duration_within(text, MAX_DURATION)
}

/// Parse `NUMBER UNIT` with no space; NUMBER is `digits` or `digits.digits`, UNIT is one of
/// `ms`, `s`, `m`, `h`, `d`. At most `max`.
pub fn parse_duration_within(text: &str, max: Duration) -> Result<Duration, DurationError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (number, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return Err(DurationError::Invalid);
    }
    let millis_per_unit: u64 = match unit {
        "" => return Err(DurationError::NoUnit),
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(DurationError::Invalid),
    };
    let too_long = DurationError::TooLong { max };
    let value: f64 = number.parse().map_err(|_| DurationError::Invalid)?;
    let seconds = value * (millis_per_unit as f64) / 1_000.0;
    if seconds > max.as_secs_f64() {
        return Err(too_long);
    }
    if fraction.is_none() {
        let n: u64 = whole.parse().map_err(|_| too_long)?;
        let ms = n.checked_mul(millis_per_unit).ok_or(too_long)?;
        return Ok(Duration::from_millis(ms));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| DurationError::Invalid)
}

/// The shortest exact form: `2d`, `1h`, `2m`, `10s`, `1500ms`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    let unit = |per: u128| ms > 0 && ms.is_multiple_of(per);
    if unit(86_400_000) {
        format!("{}d", ms / 86_400_000)
    } else if unit(3_600_000) {
        format!("{}h", ms / 3_600_000)
    } else if unit(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        let ten_years = Duration::from_secs(3650 * 86_400);
        assert_eq!(
            parse_duration_within("30d", ten_years),
            Ok(Duration::from_secs(30 * 86_400))
        );
    }

    #[test]
    fn rejects_the_rest() {
        assert_eq!(parse_duration("10"), Err(DurationError::NoUnit));
        assert_eq!(parse_duration("1.5"), Err(DurationError::NoUnit));
        for bad in [
            "", "s", "10 s", "10sec", "-1s", "1.s", ".5s", "1e3s", "10S", "1m30s",
        ] {
            assert_eq!(parse_duration(bad), Err(DurationError::Invalid), "{bad}");
        }
        let day = DurationError::TooLong { max: MAX_DURATION };
        assert_eq!(parse_duration("25h"), Err(day));
        assert_eq!(parse_duration("2d"), Err(day));
        assert_eq!(parse_duration("99999999999999999999999ms"), Err(day));
        assert_eq!(day.to_string(), "is longer than 1d, the most allowed");
    }

    #[test]
    fn formats_the_shortest_exact_form() {
        for (ms, want) in [
            (0, "0s"),
            (500, "500ms"),
            (1500, "1500ms"),
            (10_000, "10s"),
            (120_000, "2m"),
            (3_600_000, "1h"),
            (5_400_000, "90m"),
            (86_400_000, "1d"),
        ] {
            assert_eq!(format_duration(Duration::from_millis(ms)), want);
        }
    }
}
