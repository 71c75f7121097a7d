//! SMTP as data: replies, enhanced status codes, EHLO capabilities, commands, DATA encoding and
//! SASL, hosts and ports. Pure parsing and formatting; no I/O. Shared by the client and the built-in server.

mod capability;
mod command;
mod data;
mod enhanced;
mod host;
mod mime;
mod proxy;
mod reply;
mod sasl;
mod tls_version;

pub use capability::{Capabilities, Capability};
pub use command::{Command, CommandError, parse_command, xtext};
pub use data::{DataDecoder, DataEncoder, encode_data, normalize_crlf};
pub use enhanced::EnhancedCode;
pub use host::{HostError, HostPort, parse_host, parse_host_port, parse_port};
pub use mime::{MimeAttachment, build_message};
pub use proxy::proxy_header;
pub use reply::{Limits, Reply, ReplyCode, ReplyError, ReplyParser};
pub use sasl::{
    Mechanism, NtlmChallenge, NtlmServer, OAuthResponse, SaslError, ScramClient, ScramHash,
    ScramServer, b64_decode, b64_encode, check_security_offer, cram_md5_response,
    ntlm_authenticate, ntlm_negotiate, oauthbearer_response, parse_ntlm_challenge, parse_oauth,
    parse_plain, plain_response, random_bytes, security_layer_choice, xoauth2_response,
};
pub use tls_version::TlsVersion;
