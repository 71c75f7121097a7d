//! The `starttls` step and the TLS side of every connection: the handshake's settings (plan,
//! step and command line merged), the `${tls.*}` variables, and the `tls:` expectation.

use super::check::Mismatch;
use super::run::{Run, StepEnd, StepErr};
use super::tls_check::{check_tls, describe_tls, describe_tls_expect, tls_vars};
use crate::model::TLS_VARS;
use crate::model::{Expect, StartTls, Step, TlsExpect, TlsOptions};
use crate::protocol::Command;
use crate::results::{FailureKind, StepFailure};
use crate::transport::{ClientCert, TlsInfo, TlsParams};

/// A `tls:` expectation that did not hold.
pub(super) struct TlsMismatch {
    pub bad: Vec<Mismatch>,
    /// The expectation, described.
    pub want: String,
    /// The connection's TLS, described.
    pub got: String,
}

impl Run<'_> {
    /// The TLS settings of one handshake: the step's keys over the target's; the command line's
    /// CA files are trusted as well, its `--insecure` wins, its client certificate is the
    /// fallback, and the higher minimum version applies.
    pub(super) fn tls_params(&self, over: &TlsOptions, host: &str) -> TlsParams {
        let o = over.clone().or(&self.scenario.target.tls_options);
        let mut ca_files = self.options.ca_files.clone();
        ca_files.extend(o.ca_file.clone());
        let insecure = self.options.insecure || o.is_insecure();
        let pins = o.pins().to_vec();
        let client_cert = o.client_cert.zip(o.client_key);
        TlsParams {
            server_name: o.server_name.unwrap_or_else(|| host.to_owned()),
            ca_files,
            insecure,
            client_cert: client_cert
                .map(|(cert, key)| ClientCert { cert, key })
                .or_else(|| self.options.client_cert.clone()),
            min_version: o.min_version.max(self.options.min_version),
            pins,
        }
    }

    /// Set (or, with `None`, reset to "no TLS") the `${tls.*}` variables.
    pub(super) fn set_tls_vars(&mut self, info: Option<&TlsInfo>) {
        self.vars.extend(tls_vars(info));
    }

    pub(super) fn clear_tls_vars(&mut self) {
        for name in TLS_VARS {
            self.vars.remove(*name);
        }
    }

    /// Check the open connection against a `tls:` expectation: `None` if it holds, otherwise
    /// the mismatches and the expectation and the connection described.
    pub(super) fn tls_mismatches(
        &mut self,
        want: &TlsExpect,
    ) -> Result<Option<TlsMismatch>, StepErr> {
        let names = want
            .names_include
            .iter()
            .map(|t| self.render(t))
            .collect::<Result<Vec<_>, _>>()?;
        let info = self.session.tls_info();
        let bad = check_tls(info, want, &names, crate::transport::date::unix_now());
        Ok((!bad.is_empty()).then(|| TlsMismatch {
            bad,
            want: describe_tls_expect(want, &names),
            got: describe_tls(info),
        }))
    }

    /// The `tls:` part of a `starttls` step's expectation, after the handshake.
    fn check_session(&mut self, expect: &Expect) -> StepEnd {
        let Some(want) = &expect.tls else {
            return StepEnd::Pass;
        };
        let m = match self.tls_mismatches(want) {
            Ok(None) => return StepEnd::Pass,
            Ok(Some(m)) => m,
            Err(f) => return f.into(),
        };
        let mut bad = m.bad.into_iter().map(|m| m.0);
        let first = bad.next().unwrap_or_default();
        let mut details: Vec<String> = bad.collect();
        details.push(format!("expected TLS: {}", m.want));
        details.push(format!("got TLS:      {}", m.got));
        StepFailure::expectation(first, details).into()
    }

    pub(super) async fn starttls(
        &mut self,
        spec: &StartTls,
        step: &Step,
    ) -> Result<StepEnd, StepErr> {
        let over = &spec.options;
        let expect = &step.expect;
        let required = spec.is_required();
        // A plan that expects the refusal (`expect: 454`) sends STARTTLS whatever EHLO said.
        let expects_success = expect.codes.iter().any(|c| c.matches(220));
        let advertised = self
            .session
            .capabilities
            .as_ref()
            .map(|c| c.has("STARTTLS"));
        if advertised == Some(false) && expects_success {
            if !required {
                self.tls_not_used("the server did not advertise STARTTLS");
                return Ok(StepEnd::Pass);
            }
            self.session
                .transcript
                .info("the server did not advertise STARTTLS; not sending it");
            let mut details = Vec::new();
            if let Some(r) = self.session.last_reply() {
                details.push(format!("EHLO reply: {}", r.wire_text(" / ")));
            }
            details.push(
                "to accept a server without TLS, write `starttls: {required: false}`".to_owned(),
            );
            return Ok(StepFailure::new(
                FailureKind::NotSent,
                "the server did not advertise STARTTLS in its EHLO reply; smtp-plan never goes on in plaintext (a STARTTLS downgrade?)",
                details,
            )
            .into());
        }
        if expects_success && self.session.conn().is_ok() {
            let params = self.tls_params(over, self.session.host());
            if params.server_name.is_empty() && !params.insecure {
                // Over a Unix socket there is no host name to check the certificate against.
                let reason = format!("{}; STARTTLS was not sent", crate::transport::NO_NAME);
                self.session.transcript.info(&reason);
                return Ok(StepFailure::new(
                    FailureKind::Tls(crate::transport::TlsFailure::Setup),
                    reason,
                    Vec::new(),
                )
                .into());
            }
        }
        let reply = self.session.command(&Command::StartTls).await?;
        if !required && reply.code.value() != 220 {
            self.tls_not_used(&format!(
                "the server refused STARTTLS ({})",
                reply.code.value()
            ));
            return Ok(StepEnd::Pass);
        }
        let end = self.check_parts(&reply, expect, false);
        if !matches!(end, StepEnd::Pass) || reply.code.value() != 220 {
            // A refused STARTTLS never continues in plaintext as if it had worked; a plan that
            // expects the refusal (e.g. 454) passes here with no handshake.
            return Ok(end);
        }
        let params = self.tls_params(over, self.session.host());
        match self.session.start_tls(&params).await {
            Ok(info) => {
                self.set_tls_vars(Some(&info));
                Ok(self.check_session(expect))
            }
            Err(f) => Ok(f.into()),
        }
    }

    /// `starttls: {required: false}` met a server without STARTTLS: say so, go on in plaintext.
    fn tls_not_used(&mut self, why: &str) {
        self.session.transcript.info(&format!(
            "TLS not used: {why} (required: false); going on in plaintext"
        ));
        self.set_tls_vars(None);
    }
}
