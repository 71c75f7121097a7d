//! Hosts and ports: the one place that says what a host is (a DNS name or an IP address, never
//! a URL or a name with a port glued on) and how a host and port are shown (`[::1]:25`).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// Why a text is not a host (or not `HOST[:PORT]`). Each says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("the host is empty")]
    Empty,
    /// `127.0.0.1:2525` where only a host belongs.
    #[error("`{text}` is a host and a port")]
    WithPort {
        text: String,
        host: String,
        port: String,
    },
    /// `http://x:25`, `smtp://x`.
    #[error("`{text}` is a URL, not a host")]
    Url { text: String, host: String },
    /// A space, a slash, an `@`, a control character...
    #[error("`{text}` is not a host name: it contains {what}")]
    BadChar { text: String, what: String },
    /// `[...]` that is not an IPv6 address.
    #[error("`{text}` is not an IPv6 address")]
    BadIpv6 { text: String },
    #[error("`{text}` is longer than 253 characters, the most a host name may have")]
    TooLong { text: String },
    #[error("invalid port `{text}`")]
    BadPort { text: String },
}

impl HostError {
    /// The fix, for a host written in a plan (`host:` beside `port:`).
    pub fn plan_help(&self) -> String {
        match self {
            HostError::WithPort { host, port, .. } => {
                format!("write `host: {host}` and `port: {port}`")
            }
            HostError::Url { host, .. } => {
                format!("write the host name alone: `host: {host}` (and the port as `port:`)")
            }
            HostError::BadPort { .. } => "a port is a number from 1 to 65535".into(),
            _ => HELP.into(),
        }
    }

    /// The fix, for `HOST[:PORT]` on the command line.
    pub fn flag_help(&self) -> String {
        match self {
            HostError::Url { host, .. } => format!("write `{host}` or `{host}:PORT`"),
            HostError::BadPort { .. } => "a port is a number from 1 to 65535".into(),
            _ => format!("{HELP}, then `:PORT` if needed (IPv6 as [::1]:25)"),
        }
    }
}

const HELP: &str = "a host is a name (mail.example.com) or an IP address (192.0.2.1, ::1)";

/// A host as written in a plan (`host:`): a name, an IPv4 address, or an IPv6 address bare or
/// in brackets. Returns it trimmed, IPv6 without brackets.
pub fn parse_host(text: &str) -> Result<String, HostError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(HostError::Empty);
    }
    if let Some((scheme, rest)) = t.split_once("://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit('@').next().unwrap_or_default();
        let host = match host.strip_prefix('[').and_then(|h| h.split_once(']')) {
            Some((v6, _)) => v6,
            None => split_port(host).map_or(host, |(h, _)| h),
        };
        let _ = scheme;
        return Err(HostError::Url {
            text: t.to_owned(),
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
        });
    }
    if let Some(inner) = t.strip_prefix('[') {
        return match inner.split_once(']') {
            Some((v6, "")) if v6.parse::<Ipv6Addr>().is_ok() => Ok(v6.to_owned()),
            Some((v6, port)) if v6.parse::<Ipv6Addr>().is_ok() && port.starts_with(':') => {
                Err(HostError::WithPort {
                    text: t.to_owned(),
                    host: format!("\"[{v6}]\""),
                    port: port.trim_start_matches(':').to_owned(),
                })
            }
            _ => Err(HostError::BadIpv6 { text: t.to_owned() }),
        };
    }
    if t.contains(':') {
        if t.parse::<Ipv6Addr>().is_ok() {
            return Ok(t.to_owned());
        }
        if let Some((host, port)) = split_port(t) {
            return Err(HostError::WithPort {
                text: t.to_owned(),
                host: host.to_owned(),
                port: port.to_owned(),
            });
        }
    }
    if let Some(c) = t
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '.' | '_')))
    {
        let what = match c {
            ' ' => "a space".to_owned(),
            c if c.is_control() => format!("a control character ({})", c.escape_default()),
            c if c.is_whitespace() => "white space".to_owned(),
            c => format!("`{c}`"),
        };
        return Err(HostError::BadChar {
            text: escape_controls(t),
            what,
        });
    }
    if t.chars().count() > 253 {
        return Err(HostError::TooLong { text: t.to_owned() });
    }
    Ok(t.to_owned())
}

/// `text` with its control characters escaped (`\u{7}`), for messages.
fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `NAME:DIGITS` (one colon, digits after it): the host and the port text.
fn split_port(text: &str) -> Option<(&str, &str)> {
    let (host, port) = text.rsplit_once(':')?;
    let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    (digits && !host.contains(':') && !host.is_empty()).then_some((host, port))
}

/// `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT`, or a bare IPv6 literal (command-line targets).
pub fn parse_host_port(text: &str) -> Result<(String, Option<u16>), HostError> {
    let t = text.trim();
    let (host, port) = if let Some(inner) = t.strip_prefix('[') {
        match inner.split_once(']') {
            Some((v6, "")) => (format!("[{v6}]"), None),
            Some((v6, rest)) => match rest.strip_prefix(':') {
                Some(p) => (format!("[{v6}]"), Some(p)),
                None => return Err(HostError::BadIpv6 { text: t.to_owned() }),
            },
            None => return Err(HostError::BadIpv6 { text: t.to_owned() }),
        }
    } else if t.contains("://") || t.parse::<IpAddr>().is_ok() {
        (t.to_owned(), None)
    } else {
        match t.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h.to_owned(), Some(p)),
            _ => (t.to_owned(), None),
        }
    };
    let host = parse_host(&host)?;
    let port = match port {
        Some(p) => Some(parse_port(p)?),
        None => None,
    };
    Ok((host, port))
}

/// A port: 1 to 65535.
pub fn parse_port(text: &str) -> Result<u16, HostError> {
    text.trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| HostError::BadPort {
            text: text.to_owned(),
        })
}

/// A host and a port as shown and as connected to: `mail.example.com:25`, `192.0.2.1:25`,
/// `[::1]:25`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPort<'a> {
    /// As the model holds it: IPv6 without brackets (brackets are tolerated).
    pub host: &'a str,
    pub port: u16,
}

impl<'a> HostPort<'a> {
    pub fn new(host: &'a str, port: u16) -> Self {
        Self { host, port }
    }

    /// The host without brackets (for name lookup and address parsing).
    pub fn bare_host(&self) -> &'a str {
        self.host.trim_start_matches('[').trim_end_matches(']')
    }
}

impl fmt::Display for HostPort<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bare = self.bare_host();
        if bare.contains(':') {
            write!(f, "[{bare}]:{}", self.port)
        } else {
            write!(f, "{bare}:{}", self.port)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hosts_that_are_hosts() {
        for (text, want) in [
            ("mail.example.com", "mail.example.com"),
            (" 127.0.0.1 ", "127.0.0.1"),
            ("::1", "::1"),
            ("[::1]", "::1"),
            ("[2001:db8::25]", "2001:db8::25"),
            ("localhost", "localhost"),
            ("mx_1.example", "mx_1.example"),
            ("bücher.example", "bücher.example"),
        ] {
            assert_eq!(parse_host(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn hosts_that_are_not_hosts_say_the_fix() {
        let e = parse_host("127.0.0.1:2525").unwrap_err();
        assert_eq!(e.to_string(), "`127.0.0.1:2525` is a host and a port");
        assert_eq!(e.plan_help(), "write `host: 127.0.0.1` and `port: 2525`");
        let e = parse_host("[::1]:25").unwrap_err();
        assert_eq!(e.plan_help(), "write `host: \"[::1]\"` and `port: 25`");
        let e = parse_host("http://x:25").unwrap_err();
        assert_eq!(e.to_string(), "`http://x:25` is a URL, not a host");
        assert!(e.plan_help().contains("`host: x`"), "{}", e.plan_help());
        assert_eq!(e.flag_help(), "write `x` or `x:PORT`");
        let e = parse_host("smtp://user@[::1]:25/").unwrap_err();
        assert!(e.plan_help().contains("`host: ::1`"), "{}", e.plan_help());
        let e = parse_host("a b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`a b` is not a host name: it contains a space"
        );
        let e = parse_host("a\tb").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`a\\u{9}b` is not a host name: it contains a control character (\\t)"
        );
        assert!(matches!(parse_host("x/y"), Err(HostError::BadChar { .. })));
        assert!(matches!(parse_host("u@x"), Err(HostError::BadChar { .. })));
        assert!(matches!(
            parse_host("[nope]"),
            Err(HostError::BadIpv6 { .. })
        ));
        assert!(matches!(parse_host(""), Err(HostError::Empty)));
        assert!(matches!(
            parse_host(&"a".repeat(254)),
            Err(HostError::TooLong { .. })
        ));
    }

    #[test]
    fn host_and_port_on_the_command_line() {
        let ok = |t: &str| parse_host_port(t).unwrap();
        assert_eq!(ok("127.0.0.1:2525"), ("127.0.0.1".into(), Some(2525)));
        assert_eq!(ok("[::1]:25"), ("::1".into(), Some(25)));
        assert_eq!(ok("[::1]"), ("::1".into(), None));
        assert_eq!(ok("::1"), ("::1".into(), None));
        assert_eq!(ok("mail.example"), ("mail.example".into(), None));
        for bad in [
            "host:0",
            "host:x",
            ":25",
            "http://x:25",
            "a b:25",
            "[::1]x",
            "[x]:25",
        ] {
            assert!(parse_host_port(bad).is_err(), "{bad}");
        }
        let e = parse_host_port("http://x:25").unwrap_err();
        assert_eq!(e.flag_help(), "write `x` or `x:PORT`");
    }

    #[test]
    fn shown_with_brackets_for_ipv6() {
        assert_eq!(HostPort::new("::1", 25).to_string(), "[::1]:25");
        assert_eq!(HostPort::new("[::1]", 25).to_string(), "[::1]:25");
        assert_eq!(
            HostPort::new("mx.example", 587).to_string(),
            "mx.example:587"
        );
        assert_eq!(HostPort::new("[::1]", 25).bare_host(), "::1");
    }
}
