//! The `starttls` step and the TLS side of every connection: the handshake's settings (plan,
//! step and command line merged), the `${tls.*}` variables, and the `tls:` expectation.

use super::check::Mismatch;
use super::failure::{FailureKind, StepFailure};
use super::scenario::{Run, StepEnd, StepErr};
use super::tls_check::{check_tls, describe_tls, describe_tls_expect, tls_vars};
use crate::protocol::Command;
use crate::scenario::{Expect, StartTls, Step, TLS_VARS, TlsExpect, TlsOptions};
use crate::transport::{ClientCert, Connection, TlsInfo, TlsParams};

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
    pub(super) fn tls_params(&self, over: &TlsOptions) -> TlsParams {
        let o = over.clone().or(&self.scenario.target.tls_options);
        let mut ca_files = self.options.ca_files.clone();
        ca_files.extend(o.ca_file.clone());
        let insecure = self.options.insecure || o.is_insecure();
        let pins = o.pins().to_vec();
        let client_cert = o.client_cert.zip(o.client_key);
        TlsParams {
            server_name: o.server_name.unwrap_or_else(|| self.host.clone()),
            ca_files,
            insecure,
            client_cert: client_cert
                .map(|(cert, key)| ClientCert { cert, key })
                .or_else(|| self.options.client_cert.clone()),
            min_version: o.min_version.max(self.options.min_version),
            pins,
        }
    }

    /// The detail lines of a failed handshake: the name checked, and whether verification
    /// was off.
    pub(super) fn tls_failure_details(&self, params: &TlsParams) -> Vec<String> {
        let mut details = vec![format!("name checked: {}", params.server_name)];
        if params.insecure {
            details.push("certificate verification was off (insecure)".to_owned());
        }
        details
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

    /// Say what the handshake negotiated; with `insecure`, say (once per scenario) that the
    /// certificate went unverified.
    pub(super) fn note_tls(&mut self, info: &TlsInfo, insecure: bool) {
        self.tls_seen.push(info.clone());
        self.transcript.info(&format!(
            "TLS established: {} {}",
            info.version, info.cipher
        ));
        if insecure && !self.said_insecure {
            self.said_insecure = true;
            self.transcript.info(
                "warning: the server certificate was NOT verified (insecure): any server could have answered",
            );
        }
        if let Some(c) = &info.cert {
            self.transcript.info(&format!(
                "certificate: {}; names: {}; issued by {}; valid until {} ({} days left)",
                c.subject,
                c.names.join(", "),
                c.issuer,
                c.not_after,
                c.days_left
            ));
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
        let info = self.conn.as_ref().and_then(Connection::tls_info);
        let bad = check_tls(info, want, &names, crate::transport::date::unix_now());
        Ok((!bad.is_empty()).then(|| TlsMismatch {
            bad,
            want: describe_tls_expect(want, &names),
            got: describe_tls(info),
        }))
    }

    /// The `tls:` part of a `starttls` step's expectation, after the handshake.
    pub(super) fn check_session(&mut self, expect: &Expect) -> StepEnd {
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
        let advertised = self.capabilities.as_ref().map(|c| c.has("STARTTLS"));
        if advertised == Some(false) && expects_success {
            if !required {
                self.tls_not_used("the server did not advertise STARTTLS");
                return Ok(StepEnd::Pass);
            }
            self.transcript
                .info("the server did not advertise STARTTLS; not sending it");
            let mut details = Vec::new();
            if let Some(r) = &self.last_reply {
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
        let reply = self.command(&Command::StartTls).await?;
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
        let params = self.tls_params(over);
        let timeout = self.timeout();
        let res = self.conn()?.start_tls(&params, timeout).await;
        match res {
            Ok(info) => {
                self.note_tls(&info, params.insecure);
                self.set_tls_vars(Some(&info));
                // Capabilities change after TLS; the server forgets the EHLO.
                self.capabilities = None;
                Ok(self.check_session(expect))
            }
            Err(e) => {
                self.conn = None;
                self.closed_after = Some("the TLS handshake failed".to_owned());
                self.transcript.info(&format!("error: {e}"));
                let details = self.tls_failure_details(&params);
                Ok(StepFailure::new(FailureKind::of(&e), e.to_string(), details).into())
            }
        }
    }

    /// `starttls: {required: false}` met a server without STARTTLS: say so, go on in plaintext.
    fn tls_not_used(&mut self, why: &str) {
        self.transcript.info(&format!(
            "TLS not used: {why} (required: false); going on in plaintext"
        ));
        self.set_tls_vars(None);
    }
}
