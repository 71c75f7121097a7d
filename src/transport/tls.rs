use std::path::PathBuf;

/// What the client needs for one TLS handshake.
#[derive(Debug, Clone, Default)]
pub struct TlsParams {
    /// SNI and the name the certificate must hold (a DNS name or an IP literal).
    pub server_name: String,
    /// Extra trust anchor (PEM, may hold several certificates) on top of the system roots.
    pub ca_file: Option<PathBuf>,
    /// Skip certificate verification entirely.
    pub insecure: bool,
}

/// What a finished handshake negotiated and what the server showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// `TLSv1.3`, `TLSv1.2`.
    pub version: String,
    /// IANA name, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
    pub cert: Option<CertInfo>,
}

/// The server's end-entity certificate, summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// e.g. `CN=localhost`
    pub subject: String,
    /// The subject alternative names (DNS names and IPs), else the CN.
    pub names: Vec<String>,
    pub issuer: String,
    /// RFC 3339, UTC.
    pub not_after: String,
    /// Whole days until not_after (negative when expired).
    pub days_left: i64,
}
