//! Why a SASL exchange stopped.

/// A SASL exchange that cannot go on: the peer sent something malformed or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SaslError(pub String);

impl SaslError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
