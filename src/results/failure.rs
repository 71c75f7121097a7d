//! Typed step failures: what kind of problem ended a step. The kind decides JUnit `<failure>`
//! (an expectation about the server did not hold) versus `<error>` (the conversation could not
//! go on), is written to the JSON report as `kind`, and is what `expect: {fails: ...}` matches. A scenario's [`Failure`] adds where it stopped.

use std::sync::Arc;

use crate::model::{ExpectedFailure, Origin, Span};
use crate::transport::{ConnectFailure, TlsFailure, TransportError};

/// What kind of problem ended a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A reply (or the TLS session, or an expected failure) did not match the expectation.
    Expectation,
    /// The server sent bytes no command asked for: before a command was sent, or after a
    /// reply when none was due.
    Unsolicited,
    /// smtp-plan refused to send the step before anything went out (credentials without TLS,
    /// STARTTLS not advertised, no AUTH mechanism to choose).
    NotSent,
    /// Connecting was refused (nothing listens there).
    Refused,
    /// Connecting failed otherwise (no address, unreachable).
    Connect,
    /// No reply, no complete reply, or no connection within the timeout.
    Timeout,
    /// The server closed the connection (or it was closed already).
    Closed,
    /// The server reset the connection (TCP RST).
    Reset,
    /// The server broke the protocol: a malformed reply, a line or reply over the bounds.
    Protocol,
    /// The TLS handshake or the certificate check failed.
    Tls(TlsFailure),
    /// Another I/O error.
    Io,
    /// The plan could not be played as written (a variable that failed to render).
    Plan,
    /// The scenario's task panicked or was cancelled: a bug in smtp-plan.
    Lost,
}

impl FailureKind {
    /// An `<error>` (could not run on) rather than a `<failure>` (the server did not do what
    /// the plan says).
    pub fn is_error(self) -> bool {
        !matches!(self, Self::Expectation | Self::Unsolicited | Self::NotSent)
    }

    /// The word in the JSON report's `kind`.
    pub fn word(self) -> &'static str {
        match self {
            Self::Expectation => "expectation",
            Self::Unsolicited => "unsolicited",
            Self::NotSent => "not_sent",
            Self::Refused => "refused",
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Closed => "closed",
            Self::Reset => "reset",
            Self::Protocol => "protocol",
            Self::Tls(_) => "tls",
            Self::Io => "io",
            Self::Plan => "plan",
            Self::Lost => "lost",
        }
    }

    /// The TLS sub-kind, for the JSON report's `tls_failure`.
    pub fn tls(self) -> Option<TlsFailure> {
        match self {
            Self::Tls(t) => Some(t),
            _ => None,
        }
    }

    /// Whether this failure is the one `want` (from `expect: {fails: ...}`) names.
    pub fn satisfies(self, want: ExpectedFailure) -> bool {
        use ExpectedFailure as E;
        match (want, self) {
            (E::Tls, Self::Tls(t)) => t != TlsFailure::Setup,
            // A self-signed certificate's issuer is not trusted either.
            (E::TlsKind(TlsFailure::Untrusted), Self::Tls(TlsFailure::SelfSigned)) => true,
            (E::TlsKind(want), Self::Tls(got)) => want == got,
            (E::Refused, Self::Refused) => true,
            (E::Timeout, Self::Timeout) => true,
            (E::Closed, Self::Closed | Self::Reset) => true,
            (E::Reset, Self::Reset) => true,
            _ => false,
        }
    }

    /// The kind of a transport error.
    pub fn of(e: &TransportError) -> Self {
        match e {
            TransportError::Connect { kind, .. } => match kind {
                ConnectFailure::Refused => Self::Refused,
                ConnectFailure::TimedOut => Self::Timeout,
                ConnectFailure::Other => Self::Connect,
            },
            TransportError::Timeout { .. } => Self::Timeout,
            TransportError::Closed { .. } => Self::Closed,
            TransportError::Reset { .. } => Self::Reset,
            TransportError::LineTooLong { .. } | TransportError::Reply(_) => Self::Protocol,
            TransportError::Tls { kind, .. } => Self::Tls(*kind),
            TransportError::CaFile { .. } | TransportError::ClientCert { .. } => {
                Self::Tls(TlsFailure::Setup)
            }
            TransportError::PlaintextAfterStarttls { .. } => Self::Unsolicited,
            TransportError::Io(_) => Self::Io,
        }
    }
}

/// Why a step did not pass: its kind, one line, and detail lines (expected, got, ...).
#[derive(Debug, Clone)]
pub struct StepFailure {
    pub kind: FailureKind,
    pub reason: String,
    pub details: Vec<String>,
}

impl StepFailure {
    pub fn new(kind: FailureKind, reason: impl Into<String>, details: Vec<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
            details,
        }
    }

    /// An expectation that did not hold.
    pub fn expectation(reason: impl Into<String>, details: Vec<String>) -> Self {
        Self::new(FailureKind::Expectation, reason, details)
    }
}

/// Where and why a scenario stopped. All text is already redacted.
#[derive(Debug, Clone)]
pub struct Failure {
    /// 1-based step number; 0 = the connection opened before the first step.
    pub step: usize,
    /// The step's YAML key (`data`, `starttls`, ...), or `connect`.
    pub keyword: &'static str,
    /// `file:line:col` of the step (or of the scenario for step 0).
    pub location: String,
    pub span: Span,
    /// The file `span` points into when it is not the plan file (a step of an included group).
    pub origin: Option<Arc<Origin>>,
    /// What kind of problem it was (decides failure vs error).
    pub kind: FailureKind,
    /// One line: what went wrong.
    pub reason: String,
    /// Further lines: expected, got, the reply, the last reply before a drop.
    pub details: Vec<String>,
    /// The plan's line at `span` (redacted: it may hold a literal password), when known.
    pub source_line: Option<String>,
}

impl Failure {
    /// `step 7 (data) at scenarios/exchange.yaml:38:9`
    pub fn step_label(&self) -> String {
        if self.step == 0 {
            format!("connecting (scenario at {})", self.location)
        } else {
            format!("step {} ({}) at {}", self.step, self.keyword, self.location)
        }
    }

    /// `step 7 (data) at scenarios/exchange.yaml:38:9: expected code 250, got 554`
    pub fn headline(&self) -> String {
        format!("{}: {}", self.step_label(), self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words a plan may write are the TLS kinds of the transport layer that a plan may
    /// expect, between `tls` and the connection failures, in the format's order.
    #[test]
    fn expected_failures_are_the_plan_words_in_order() {
        let words: Vec<&str> = ExpectedFailure::all().map(|f| f.word()).collect();
        assert_eq!(
            words,
            [
                "tls",
                "untrusted",
                "self_signed",
                "expired",
                "not_yet_valid",
                "wrong_name",
                "protocol_version",
                "no_shared_cipher",
                "refused",
                "timeout",
                "closed",
                "reset"
            ]
        );
        for f in ExpectedFailure::all() {
            assert_eq!(ExpectedFailure::parse(f.word()), Some(f));
        }
        for word in ["pin_mismatch", "setup", "handshake"] {
            assert_eq!(ExpectedFailure::parse(word), None, "{word}");
        }
    }

    /// Each TLS kind a plan expects is met by that kind only (and `untrusted` by a
    /// self-signed certificate too); `tls` by any but unusable settings.
    #[test]
    fn a_tls_expectation_is_met_by_its_own_kind_only() {
        use FailureKind as K;
        use TlsFailure as T;
        let all = [
            T::Untrusted,
            T::SelfSigned,
            T::Expired,
            T::NotYetValid,
            T::WrongName,
            T::ProtocolVersion,
            T::NoSharedCipher,
            T::PinMismatch,
            T::Setup,
            T::Handshake,
        ];
        for want in TlsFailure::EXPECTABLE {
            for got in all {
                let met = want == got || (want == T::Untrusted && got == T::SelfSigned);
                assert_eq!(
                    K::Tls(got).satisfies(ExpectedFailure::TlsKind(want)),
                    met,
                    "{want:?} by {got:?}"
                );
            }
            assert!(!K::Timeout.satisfies(ExpectedFailure::TlsKind(want)));
        }
        for got in all {
            assert_eq!(
                K::Tls(got).satisfies(ExpectedFailure::Tls),
                got != T::Setup,
                "{got:?}"
            );
        }
        assert!(!K::Closed.satisfies(ExpectedFailure::Tls));
        assert!(K::Reset.satisfies(ExpectedFailure::Closed));
        assert!(!K::Closed.satisfies(ExpectedFailure::Reset));
        assert!(!K::Refused.satisfies(ExpectedFailure::Timeout));
    }
}
