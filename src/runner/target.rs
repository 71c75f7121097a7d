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
    /// was wrong and what to write; the caller names its flag.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (host, port) = crate::protocol::parse_host_port(text)
            .map_err(|e| format!("{text:?}: {e}; {}", e.flag_help()))?;
        Ok(Self {
            host,
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
        let e = TargetOverride::parse("http://x:25").unwrap_err();
        assert_eq!(
            e,
            "\"http://x:25\": `http://x:25` is a URL, not a host; write `x` or `x:PORT`"
        );
        let e = TargetOverride::parse("a b:25").unwrap_err();
        assert!(
            e.contains("`a b` is not a host name: it contains a space"),
            "{e}"
        );
    }
}
