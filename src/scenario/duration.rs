//! Durations as plans write them: `500ms`, `10s`, `1.5s`, `2m`, `1h`.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DurationError {
    /// A bare number: `10` (seconds? milliseconds?).
    NoUnit,
    Invalid,
    /// More than a day: surely a typo, and it keeps the arithmetic small.
    TooLong,
}

const MAX: Duration = Duration::from_secs(24 * 60 * 60);

/// Parse `NUMBER UNIT` with no space; NUMBER is `digits` or `digits.digits`, UNIT is one of
/// `ms`, `s`, `m`, `h`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, DurationError> {
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
        _ => return Err(DurationError::Invalid),
    };
    let value: f64 = number.parse().map_err(|_| DurationError::Invalid)?;
    let seconds = value * (millis_per_unit as f64) / 1_000.0;
    if seconds > MAX.as_secs_f64() {
        return Err(DurationError::TooLong);
    }
    if fraction.is_none() {
        let n: u64 = whole.parse().map_err(|_| DurationError::TooLong)?;
        let ms = n
            .checked_mul(millis_per_unit)
            .ok_or(DurationError::TooLong)?;
        return Ok(Duration::from_millis(ms));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| DurationError::Invalid)
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
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
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
        assert_eq!(parse_duration("25h"), Err(DurationError::TooLong));
        assert_eq!(
            parse_duration("99999999999999999999999ms"),
            Err(DurationError::TooLong)
        );
    }
}
