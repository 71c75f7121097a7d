//! `--target`: where every connection goes instead of the plan's target.

/// Where every connection goes instead of the plan's target.
#[derive(Debug, Clone, Default)]
pub struct TargetOverride {
    /// Empty when `socket` is given.
    pub host: String,
    /// `unix:PATH`: a Unix domain socket instead of a host.
    pub socket: Option<std::path::PathBuf>,
    /// None keeps the plan's port.
    pub port: Option<u16>,
    /// For connections with `tls: implicit`; None = `port`.
    pub tls_port: Option<u16>,
}

impl TargetOverride {
    /// `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT`, a bare IPv6 literal, or `unix:PATH` (a Unix
    /// domain socket, the path relative to the working directory). The error says what was
    /// wrong and what to write; the caller names its flag.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(format!(
                    "{text:?}: no socket path after `unix:`; write `unix:/run/dovecot/lmtp`"
                ));
            }
            return Ok(Self {
                socket: Some(path.into()),
                ..Self::default()
            });
        }
        let (host, port) = crate::protocol::parse_host_port(text)
            .map_err(|e| format!("{text:?}: {e}; {}", e.flag_help()))?;
        Ok(Self {
            host,
            socket: None,
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
        let t = TargetOverride::parse("unix:/run/dovecot/lmtp").unwrap();
        assert_eq!(t.socket.unwrap(), std::path::Path::new("/run/dovecot/lmtp"));
        let t = TargetOverride::parse("unix:lmtp.sock").unwrap();
        assert_eq!(t.socket.unwrap(), std::path::Path::new("lmtp.sock"));
        let e = TargetOverride::parse("unix:").unwrap_err();
        assert!(e.contains("no socket path after `unix:`"), "{e}");
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
