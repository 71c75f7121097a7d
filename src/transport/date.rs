//! Dates as smtp-plan writes them: certificate dates, the greeting's and `${now}`'s RFC 2822
//! date, the probe's RFC 3339 time. The calendar is the `time` crate's (already in the tree
//! through x509-parser and rcgen); this module only fixes the formats.

use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// The UTC date and time `secs` after the epoch; a time past what `time` holds (the years
/// -9999 to 9999) is shown as the last second it holds on that side.
pub(crate) fn utc(secs: i64) -> OffsetDateTime {
    let clamped = secs.clamp(
        time::PrimitiveDateTime::MIN.assume_utc().unix_timestamp(),
        time::PrimitiveDateTime::MAX.assume_utc().unix_timestamp(),
    );
    OffsetDateTime::from_unix_timestamp(clamped).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn format(secs: i64, items: &[BorrowedFormatItem<'_>]) -> String {
    utc(secs).format(items).unwrap_or_default()
}

/// `2021-01-01T00:00:00Z`
pub(crate) fn rfc3339(secs: i64) -> String {
    format(
        secs,
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"),
    )
}

/// `2021-01-01`
pub(crate) fn ymd(secs: i64) -> String {
    format(secs, format_description!("[year]-[month]-[day]"))
}

/// `Fri, 1 Jan 2021 00:00:00 +0000`
pub(crate) fn rfc2822(secs: i64) -> String {
    format(
        secs,
        format_description!(
            "[weekday repr:short], [day padding:none] [month repr:short] [year] [hour]:[minute]:[second] +0000"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_609_459_200), "2021-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(ymd(4_102_444_799), "2099-12-31");
        assert_eq!(rfc2822(1_609_459_200), "Fri, 1 Jan 2021 00:00:00 +0000");
        assert_eq!(rfc2822(1_741_000_000), "Mon, 3 Mar 2025 11:06:40 +0000");
        assert_eq!(
            rfc2822(1_609_459_200 + 9 * 86_400),
            "Sun, 10 Jan 2021 00:00:00 +0000"
        );
        // past what the calendar holds: the last day it holds, not a panic
        assert_eq!(ymd(i64::MAX), "9999-12-31");
    }
}
