//! Opening a scenario's connection (where to, with which TLS and connect options) and the
//! `expect_close` step; the session does the talking.

use super::run::{Run, StepEnd, StepErr};
use crate::model::{ConnectSpec, Target, TlsMode, TlsOptions};
use crate::results::{FailureKind, StepFailure};
use crate::transport::{CloseSeen, TransportError};

impl Run<'_> {
    /// Open a new connection: the step's host, port and TLS over the target's, the command
    /// line's `--target` over both.
    pub(super) async fn connect(&mut self, spec: &ConnectSpec) -> Result<(), StepErr> {
        self.lmtp_recipients = None;
        let target: &Target = &self.scenario.target;
        let tls = spec.tls.unwrap_or(target.tls);
        if let Some(path) =
            super::connect_options::unix_socket(spec, target, self.options.target.as_ref())
        {
            return self.connect_unix(spec, &path, tls).await;
        }
        let mut host = spec.host.clone().unwrap_or_else(|| target.host.clone());
        let mut port = spec.port.unwrap_or(target.port);
        if let Some(o) = &self.options.target {
            host = o.host.clone();
            port = match tls {
                TlsMode::Implicit => o.tls_port.or(o.port).unwrap_or(port),
                TlsMode::None => o.port.unwrap_or(port),
            };
        }
        let params =
            (tls == TlsMode::Implicit).then(|| self.tls_params(&TlsOptions::default(), &host));
        let (connect_options, notes) =
            super::connect_options::connect_options(spec, target, self.options.bind);
        let info = self
            .session
            .connect(&host, port, params.as_ref(), &connect_options, &notes)
            .await?;
        self.clear_tls_vars();
        if let Some(info) = info {
            self.set_tls_vars(Some(&info));
        }
        Ok(())
    }

    /// [`connect`](Self::connect) to a Unix domain socket; a `bind` or `proxy` that would
    /// apply fails the step before anything is sent.
    async fn connect_unix(
        &mut self,
        spec: &ConnectSpec,
        path: &std::path::Path,
        tls: TlsMode,
    ) -> Result<(), StepErr> {
        if let Some(why) = super::connect_options::not_for_socket(spec, &self.scenario.target) {
            self.session.transcript.info(&format!("error: {why}"));
            return Err(StepFailure::new(FailureKind::Plan, why, Vec::new()));
        }
        // No host name: the TLS name must come from `server_name` (or `insecure`).
        let params =
            (tls == TlsMode::Implicit).then(|| self.tls_params(&TlsOptions::default(), ""));
        let info = self.session.connect_unix(path, params.as_ref()).await?;
        self.clear_tls_vars();
        if let Some(info) = info {
            self.set_tls_vars(Some(&info));
        }
        Ok(())
    }

    /// `expect_close`: the server closes the connection (after QUIT: the one QUIT went on).
    pub(super) async fn expect_close(&mut self) -> Result<StepEnd, StepErr> {
        let timeout = self.session.timeout;
        self.session.reopen_after_quit();
        let res = self.session.conn()?.wait_close(timeout).await;
        match res {
            Ok(seen @ (CloseSeen::Closed | CloseSeen::Reset)) => {
                let how = if seen == CloseSeen::Reset {
                    "reset"
                } else {
                    "closed"
                };
                self.session
                    .transcript
                    .info(&format!("the server {how} the connection"));
                self.session.drop_connection(format!("the server {how} it"));
                Ok(StepEnd::Pass)
            }
            Ok(CloseSeen::Line(line)) => {
                self.session
                    .transcript
                    .push(crate::results::Dir::Server, &line);
                Ok(StepFailure::expectation(
                    "expected the server to close the connection, but it sent a line",
                    vec![format!("got: {line}")],
                )
                .into())
            }
            Err(TransportError::Timeout { after, .. }) => Ok(StepFailure::expectation(
                format!(
                    "expected the server to close the connection, but it stayed open for {}",
                    crate::duration::format_duration(after)
                ),
                Vec::new(),
            )
            .into()),
            Err(e) => Err(self.session.transport_err(e)),
        }
    }
}
