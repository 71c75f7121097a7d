//! The TLS client handshake: SNI, the configuration of [`super::tls_config`], a timeout, and
//! what the session turned out to be.

use std::time::Duration;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::cert::{CertInfo, TlsInfo};
use super::error::TransportError;
use super::tls_config::{TlsParams, client_config};
use super::tls_failure::{TlsFailure, describe_io};
use crate::duration::format_duration as human;
use crate::protocol::TlsVersion;

/// Why a handshake over a Unix socket cannot check the certificate without a `server_name`.
pub(crate) const NO_NAME: &str = "a Unix socket has no host name to check the server certificate against: give `server_name` (on the target or the `starttls` step), or `insecure: true`";

/// The cipher suites the client offers, by IANA name.
fn offered_suites(config: &ClientConfig, min_version: Option<TlsVersion>) -> Vec<String> {
    config
        .crypto_provider()
        .cipher_suites
        .iter()
        .filter(|s| {
            min_version != Some(TlsVersion::V1_3)
                || s.version().version == rustls::ProtocolVersion::TLSv1_3
        })
        .map(|s| {
            let s = s.suite();
            s.as_str().map_or_else(|| format!("{s:?}"), str::to_owned)
        })
        .collect()
}

/// The TLS client handshake over `tcp`, with `params.server_name` (else `host`) as SNI and
/// the name to verify. Errors are worded for a mail administrator. Without either (a Unix
/// socket has no host name), only an `insecure` handshake goes ahead, with `localhost` as SNI.
pub(crate) async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    tcp: S,
    params: &TlsParams,
    host: &str,
    timeout: Duration,
) -> Result<(TlsStream<S>, TlsInfo), TransportError> {
    let name = if params.server_name.is_empty() {
        host
    } else {
        params.server_name.as_str()
    };
    let name = match (name.is_empty(), params.insecure) {
        (false, _) => name,
        (true, true) => "localhost",
        (true, false) => return Err(TransportError::tls(TlsFailure::Setup, NO_NAME)),
    };
    let (config, verifier) = client_config(params)?;
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(name.to_owned()).map_err(|_| {
        TransportError::tls(
            TlsFailure::Setup,
            format!("{name:?} is not a valid server name"),
        )
    })?;
    let offered = offered_suites(&config, params.min_version);
    let connector = TlsConnector::from(config);
    let stream = match tokio::time::timeout(timeout, connector.connect(server_name, tcp)).await {
        Err(_) => {
            return Err(TransportError::tls(
                TlsFailure::Handshake,
                format!("no TLS handshake within {}", human(timeout)),
            ));
        }
        Ok(Err(e)) => {
            let (kind, message) =
                describe_io(&e, verifier.seen(), name, params.min_version, &offered);
            return Err(TransportError::tls(kind, message));
        }
        Ok(Ok(s)) => s,
    };
    let (_, conn) = stream.get_ref();
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_owned(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_owned(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    };
    let cipher = conn
        .negotiated_cipher_suite()
        .map(|s| {
            let s = s.suite();
            s.as_str().map_or_else(|| format!("{s:?}"), str::to_owned)
        })
        .unwrap_or_default();
    let cert = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|der| CertInfo::parse(der))
        .or_else(|| verifier.seen());
    Ok((
        stream,
        TlsInfo {
            version,
            cipher,
            cert,
        },
    ))
}
