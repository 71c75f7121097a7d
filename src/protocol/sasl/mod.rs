//! SASL mechanisms as pure functions and small state machines, shared by the client (the
//! runner's `auth` step) and the built-in server. No I/O: bytes in, bytes out.

mod cram_md5;
mod crypto;
mod error;
mod gssapi;
mod mechanism;
mod ntlm;
mod oauth;
mod plain;
mod saslprep;
mod scram;

pub use cram_md5::cram_md5_response;
pub use crypto::random_bytes;
pub use error::SaslError;
pub use gssapi::{check_security_offer, security_layer_choice};
pub use mechanism::{Mechanism, b64_decode, b64_encode};
pub use ntlm::{
    NtlmChallenge, NtlmServer, ntlm_authenticate, ntlm_negotiate, parse_ntlm_challenge,
};
pub use oauth::{OAuthResponse, oauthbearer_response, parse_oauth, xoauth2_response};
pub use plain::{parse_plain, plain_response};
pub use scram::{ScramClient, ScramHash, ScramServer};
