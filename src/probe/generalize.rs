//! Turning one observed reply text into an assertion that still holds tomorrow: dates, times,
//! addresses, queue and session ids are left out; the stable words around them are kept.

/// Day and month names (and time zones) that appear in banners' dates.
const DATE_WORDS: &[&str] = &[
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    "utc",
    "gmt",
    "am",
    "pm",
];

/// Whether a word of a reply changes from one connection or day to the next.
/// Digits mark dates, times, counters, ids and IP addresses; a dotted host name keeps its
/// digits (`mx1.example.com`), as long as it also has letters.
pub fn is_volatile(word: &str) -> bool {
    let core = word.trim_matches(|c: char| !c.is_alphanumeric());
    if DATE_WORDS.iter().any(|d| d.eq_ignore_ascii_case(core)) {
        return true;
    }
    if !word.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let host_like = core.contains('.')
        && core.chars().any(|c| c.is_ascii_alphabetic())
        && core
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    !host_like
}

/// The byte ranges of the maximal runs of stable words in `text` (one line).
fn stable_runs(text: &str) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    let mut pos = 0;
    for word in text.split(' ') {
        let start = pos;
        let end = start + word.len();
        pos = end + 1;
        if word.is_empty() {
            continue;
        }
        if is_volatile(word) {
            if let Some(run) = current.take() {
                runs.push(run);
            }
        } else {
            current = Some(match current {
                Some((s, _)) => (s, end),
                None => (start, end),
            });
        }
    }
    runs.extend(current);
    runs
}

/// A run is worth asserting if it has at least two letters.
fn meaningful(s: &str) -> bool {
    s.chars().filter(|c| c.is_alphabetic()).count() >= 2
}

/// The longest stable stretch of `line` (the first of equal length), if any is meaningful.
pub fn stable_text(line: &str) -> Option<String> {
    let mut best: Option<&str> = None;
    for (s, e) in stable_runs(line) {
        let run = line.get(s..e).unwrap_or_default();
        if meaningful(run) && best.is_none_or(|b| run.len() > b.len()) {
            best = Some(run);
        }
    }
    best.map(str::to_owned)
}

/// A regex for `line`: `^` + the stable words it starts with (`^mail\.example\.test ESMTP
/// Postfix`), or the longest stable stretch unanchored when it starts with a volatile word.
pub fn line_regex(line: &str) -> Option<String> {
    let runs = stable_runs(line);
    if let Some(&(0, end)) = runs.first() {
        let prefix = line.get(..end).unwrap_or_default();
        if meaningful(prefix) {
            return Some(format!("^{}", regex::escape(prefix)));
        }
    }
    stable_text(line).map(|t| regex::escape(&t))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn volatile_words() {
        for w in [
            "10:00:00",
            "2024",
            "+0000",
            "Mon,",
            "Jan",
            "[127.0.0.1]",
            "<20240101.a1@host>",
            "C71F55688DB",
            "(UTC)",
            "<unknown[127.0.0.1]>:",
        ] {
            assert!(is_volatile(w), "{w}");
        }
        for w in [
            "mail.example.test",
            "mx1.example.com",
            "ESMTP",
            "Postfix",
            "(Debian/GNU)",
            "<bob@example.test>:",
            "Ready",
        ] {
            assert!(!is_volatile(w), "{w}");
        }
    }

    #[test]
    fn banners_become_anchored_prefixes() {
        assert_eq!(
            line_regex("mail.example.test ESMTP Postfix").unwrap(),
            r"^mail\.example\.test ESMTP Postfix"
        );
        assert_eq!(
            line_regex(
                "localhost Microsoft ESMTP MAIL Service ready at Mon, 1 Jan 2024 10:00:00 +0000"
            )
            .unwrap(),
            r"^localhost Microsoft ESMTP MAIL Service ready at"
        );
        assert_eq!(
            line_regex("localhost Hello [127.0.0.1]").unwrap(),
            "^localhost Hello"
        );
        assert_eq!(
            line_regex("12345 (x) Service ready").unwrap(),
            r"\(x\) Service ready"
        );
        assert_eq!(line_regex("1 2 3"), None);
    }

    #[test]
    fn longest_stable_stretch() {
        assert_eq!(
            stable_text("<unknown[127.0.0.1]>: Client host rejected: Access denied").unwrap(),
            "Client host rejected: Access denied"
        );
        assert_eq!(
            stable_text(
                "<20240101@mail.contoso.com> [InternalId=1234, Hostname=MBX01.contoso.com] \
                 Queued mail for delivery"
            )
            .unwrap(),
            "Queued mail for delivery"
        );
        assert_eq!(stable_text("Ok").unwrap(), "Ok");
        assert_eq!(
            stable_text("Ok: queued as C71F55688DB").unwrap(),
            "Ok: queued as"
        );
        assert_eq!(stable_text(""), None);
    }
}
