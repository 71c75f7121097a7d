//! `--target`: where every connection goes instead of the plan's target.

/// Where every connection goes instead of the plan's target.
#[derive(Debug, Clone, Default)]
pub struct TargetOverride {
    pub host: String,
    /// None keeps the plan's port.
    pub port: Option<u16>,
    /// For connections with `tls: implicit`; None = `port`.
    pub tls_port: Option<u16>,
}

impl TargetOverride {
    /// `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT`, or a bare IPv6 literal. The error says what
    /// was expected; the caller names its flag.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?}: expected HOST or HOST:PORT (IPv6 as [::1]:25)");
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (h, after) = rest.split_once(']').ok_or_else(bad)?;
            match after {
                "" => (h, None),
                p => (h, Some(p.strip_prefix(':').ok_or_else(bad)?)),
            }
        } else if text.matches(':').count() > 1 {
            (text, None)
        } else {
            match text.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (text, None),
            }
        };
        if host.is_empty() {
            return Err(bad());
        }
        let port = match port {
            Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad)?),
            None => None,
        };
        Ok(Self {
            host: host.to_owned(),
            port,
            tls_port: None,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = TargetOverride::parse("127.0.0.1:2525").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", Some(2525)));
        let t = TargetOverride::parse("[::1]:25").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", Some(25)));
        let t = TargetOverride::parse("::1").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", None));
        let t = TargetOverride::parse("mail.example").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("mail.example", None));
        assert!(TargetOverride::parse("host:0").is_err());
        assert!(TargetOverride::parse("host:x").is_err());
        assert!(TargetOverride::parse(":25").is_err());
    }
}
