//! The TLS protocol versions a plan can ask for.

/// A protocol version smtp-plan can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    V1_2,
    V1_3,
}

impl TlsVersion {
    /// `1.2`, `1.3`, `TLSv1.2`, `tlsv1.3`, `TLS1.3`, `TLS 1.3`.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.strip_prefix("tls").map_or(t.as_str(), |r| {
            r.trim_start_matches('v').trim_start_matches(' ')
        });
        match t {
            "1.2" => Some(Self::V1_2),
            "1.3" => Some(Self::V1_3),
            _ => None,
        }
    }

    /// `TLSv1.2`, `TLSv1.3`: the names `TlsInfo::version` uses.
    pub fn name(self) -> &'static str {
        match self {
            Self::V1_2 => "TLSv1.2",
            Self::V1_3 => "TLSv1.3",
        }
    }
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
