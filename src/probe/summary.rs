//! The header of a probed plan: the `$schema` comment (only when asked for), how and when it
//! was probed, and what the probe found out about AUTH and the plaintext policy.

use super::observation::{Observation, Purpose, Sent};

/// How the plan is labelled.
#[derive(Debug, Clone)]
pub struct PlanMeta {
    /// The plan's `name:`.
    pub name: String,
    /// The `$schema` of the yaml-language-server comment (`--schema`); none by default, as
    /// no path or URL works for every reader of the plan.
    pub schema: Option<String>,
    /// The probe command, as a shell line (no secrets: the password is an env var name).
    pub command: String,
}

/// `s` on one line: control characters (a server's CR, LF, ESC) become spaces.
pub(super) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The comment lines above the plan's YAML.
pub(super) fn header(obs: &Observation, meta: &PlanMeta) -> String {
    let mut out = String::new();
    if let Some(schema) = &meta.schema {
        out.push_str(&format!(
            "# yaml-language-server: $schema={}\n#\n",
            one_line(schema)
        ));
    }
    out.push_str(&format!(
        "# Probed by smtp-plan {} at {}:\n#   {}\n",
        env!("CARGO_PKG_VERSION"),
        crate::transport::date::rfc3339(obs.started),
        one_line(&meta.command)
    ));
    out.push_str(
        "# Each scenario asserts what the server answered then: `smtp-plan run` on this file says\n\
         # whether it still does. Dates, ids and addresses in replies were left out of the\n\
         # assertions; the TLS version, certificate names and issuer are asserted, and the\n\
         # certificate must stay valid for two more weeks (or what it had left).\n",
    );
    for line in findings(obs) {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str(&format!("# {}\n", one_line(&line)));
        }
    }
    out
}

/// What the AUTH and plaintext-policy conversations found, one line each.
fn findings(obs: &Observation) -> Vec<String> {
    let mut lines = Vec::new();
    let mut tried = Vec::new();
    for c in &obs.conversations {
        let reply = |sent: &Sent| c.exchanges.iter().find(|e| e.sent == *sent);
        match c.purpose {
            Purpose::Auth(mech) => {
                let outcome = match (reply(&Sent::Auth(mech)), &c.auth_failed) {
                    (Some(e), _) if e.reply.code.value() == 235 => "succeeded (235)".to_owned(),
                    (Some(e), _) => format!("failed ({})", e.reply.code.value()),
                    (None, Some(_)) => "given up by the client".to_owned(),
                    (None, None) => "not reached".to_owned(),
                };
                tried.push(format!("{mech} {outcome}"));
            }
            Purpose::PlaintextMail => {
                let policy = match reply(&Sent::MailFrom { as_user: false }) {
                    Some(e) if e.reply.code.is_positive() => format!(
                        "accepted ({}): mail may be sent without TLS",
                        e.reply.code.value()
                    ),
                    Some(e) => format!("refused ({}): TLS is required first", e.reply.code.value()),
                    None => "not reached".to_owned(),
                };
                lines.push(format!(
                    "Plaintext policy: MAIL FROM before STARTTLS was {policy} (scenario \"mail before STARTTLS\")."
                ));
            }
            _ => {}
        }
    }
    if !tried.is_empty() {
        lines.insert(
            0,
            format!(
                "AUTH, each mechanism on its own connection: {}.",
                tried.join(", ")
            ),
        );
    }
    if !obs.untried.is_empty() {
        let untried: Vec<String> = obs
            .untried
            .iter()
            .map(|(name, why)| format!("{name} ({why})"))
            .collect();
        lines.push(format!(
            "AUTH mechanisms advertised but not tried: {}.",
            untried.join(", ")
        ));
    }
    if !lines.is_empty() {
        lines.insert(0, String::new());
    }
    lines
}
