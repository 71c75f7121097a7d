//! `smtp-plan doc`: plans rendered as a Markdown page a mail administrator reads without
//! knowing the YAML. Works from the loaded model, so it follows the format as it grows.
//!
//! Plans are loaded without the process environment: `${env:NAME:-default}` shows its
//! default and `${env:NAME}` shows as itself, so the page is the same on every machine.
//! Values of secret variables and AUTH passwords are never shown, only their names.
//!
//! Why one file: the page is written top to bottom in one pass; the words for
//! assertions, extensions and mailbox checks are already in doc/.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;

mod asserts;
mod extensions;
mod mailbox_words;
mod words;

use crate::model::{Action, ConnectSpec, Plan, Scenario, StartTls, Target, TlsMode};
use crate::protocol::HostPort;
use crate::redact::Redactor;
use crate::scenario::{LoadOptions, load_plans_with_env};
use crate::template::env_refs;
use asserts::expect_words;
use words::{code, credential_words, md, normalize, tpl, trust};

/// Load plans with an environment of their own: names used somewhere without a default read
/// as `${env:NAME}`; every other name is unset (so its default applies). `options` carries
/// `--var`, `--vars-file` and the secrets of the command line, as for `run`.
pub fn load_for_doc(
    paths: &[PathBuf],
    options: LoadOptions,
) -> Result<Vec<Plan>, crate::scenario::Diagnostics> {
    let mut no_default = BTreeSet::new();
    for path in paths {
        for file in crate::scenario::find_plan_files(path).unwrap_or_default() {
            let bytes = crate::files::read_file(&file, crate::files::MAX_PLAN_BYTES);
            if let Ok(Ok(text)) = bytes.map(String::from_utf8) {
                for r in env_refs(&text) {
                    if r.default.is_none() {
                        no_default.insert(r.name);
                    }
                }
            }
        }
    }
    let env = move |name: &str| {
        no_default
            .contains(name)
            .then(|| format!("${{env:{name}}}"))
    };
    // `doc` describes plans without running them: the TLS files they name need not exist
    // here, and a secret may be empty.
    let options = LoadOptions {
        describe_only: true,
        ..options
    };
    load_plans_with_env(paths, &options, &env)
}

/// The whole page. `command` is the command that makes it, named in its header.
pub fn render_markdown(plans: &[Plan], command: &str) -> String {
    let mut slugs = Slugs::default();
    let mut out = String::new();
    out.push_str("# How our mail servers must behave\n\n");
    let _ = writeln!(
        out,
        "<!-- Generated from the plans by `{command}`. Do not edit by hand: run that command \
         again (with `-o` and this file) to update it. -->\n"
    );
    let _ = writeln!(
        out,
        "Every section below is a test plan that `smtp-plan run` checks against the server: \
         each scenario is one conversation, and each of its steps says what the client sends \
         and what the server must answer. A scenario stops at its first step that does not \
         hold.\n"
    );
    slugs.take("How our mail servers must behave");
    let headings: Vec<String> = plans.iter().map(|p| slugs.take(&p.name)).collect();
    if plans.len() > 1 {
        out.push_str("## Contents\n\n");
        for (plan, slug) in plans.iter().zip(&headings) {
            let _ = writeln!(
                out,
                "- [{}](#{slug}) — {}, {}",
                md(&plan.name),
                code(&plan.path.display().to_string()),
                count(plan.scenarios.len(), "scenario")
            );
        }
        out.push('\n');
    }
    for plan in plans {
        render_plan(&mut out, plan, &mut slugs);
    }
    out
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn render_plan(out: &mut String, plan: &Plan, slugs: &mut Slugs) {
    let redactor = &plan.redactor;
    let _ = writeln!(out, "## {}\n", md(&plan.name));
    let _ = writeln!(
        out,
        "- **Plan file:** {}",
        code(&plan.path.display().to_string())
    );
    let main_target = plan.scenarios.first().map(|s| &s.target);
    if let Some(t) = main_target {
        let _ = writeln!(
            out,
            "- **Server:** {}",
            redactor.redact(&describe_target(t))
        );
    }
    let env = env_refs(&plan.source);
    if !env.is_empty() {
        let items: Vec<String> = env
            .iter()
            .map(|r| match &r.default {
                Some(d) => format!("{} (default {})", code(&r.name), code(&redactor.redact(d))),
                None => code(&r.name),
            })
            .collect();
        let _ = writeln!(out, "- **Read from the environment:** {}", items.join(", "));
    }
    if !plan.vars.is_empty() {
        let items: Vec<String> = plan
            .vars
            .iter()
            .map(|(name, value)| {
                let secret =
                    !value.is_empty() && plan.secret_values.iter().any(|s| s.expose() == value);
                if secret {
                    format!("{} — secret, never shown", code(name))
                } else {
                    format!("{} = {}", code(name), code(&redactor.redact(value)))
                }
            })
            .collect();
        let _ = writeln!(out, "- **Variables:** {}", items.join("; "));
    }
    out.push('\n');
    for scenario in &plan.scenarios {
        slugs.take(&scenario.name);
        let _ = writeln!(out, "### {}\n", md(&scenario.name));
        let mut facts = Vec::new();
        if !scenario.tags.is_empty() {
            let tags: Vec<String> = scenario.tags.iter().map(|t| code(t)).collect();
            facts.push(format!("Tags: {}.", tags.join(", ")));
        }
        if let Some(names) = &scenario.secret_names {
            let names: Vec<String> = names.iter().map(|n| code(n)).collect();
            facts.push(format!("Secrets: {} (never shown).", names.join(", ")));
        }
        if main_target.is_some_and(|t| *t != scenario.target) {
            facts.push(format!(
                "Server: {}.",
                redactor.redact(&describe_target(&scenario.target))
            ));
        }
        if !facts.is_empty() {
            let _ = writeln!(out, "{}\n", facts.join(" "));
        }
        render_steps(out, scenario, redactor);
        out.push('\n');
    }
}

/// `host:port`, or `unix:PATH` for a Unix socket.
fn endpoint(host: &str, port: u16, socket: Option<&PathBuf>) -> String {
    match socket {
        Some(path) => format!("unix:{}", normalize(path).display()),
        None => HostPort::new(host, port).to_string(),
    }
}

fn describe_target(t: &Target) -> String {
    let host = endpoint(&t.host, t.port, t.socket.as_ref());
    let mut s = format!("{}, ", code(&host));
    s.push_str(match t.tls {
        TlsMode::None => "plain SMTP (TLS only through a `STARTTLS` step)",
        TlsMode::Implicit => "TLS from the first byte (implicit TLS)",
    });
    // Over a Unix socket only `server_name` names the server.
    let name = t
        .tls_options
        .server_name
        .as_deref()
        .or(t.socket.is_none().then_some(t.host.as_str()));
    s.push_str(&trust(
        t.tls_options.is_insecure(),
        t.tls_options.ca_file.as_ref(),
        name,
    ));
    s.push_str(&asserts::min_version_words(t.tls_options.min_version));
    let _ = write!(
        s,
        "; each reply within {}",
        crate::duration::format_duration(t.timeout)
    );
    s
}

fn render_steps(out: &mut String, scenario: &Scenario, redactor: &Redactor) {
    let mut fresh_connection = !matches!(
        scenario.steps.first().map(|s| &s.action),
        Some(Action::Connect(_))
    );
    for (i, step) in scenario.steps.iter().enumerate() {
        let n = i + 1;
        let expect = expect_words(&step.expect);
        let line = match &step.action {
            Action::Read if fresh_connection => format!("Wait for the greeting: {expect}."),
            Action::Read => format!("Read a reply: {expect}."),
            Action::Send(t) => format!("Send {}: {expect}.", code(&tpl(t))),
            Action::Ehlo(t) => format!("Say {}: {expect}.", code(&format!("EHLO {}", tpl(t)))),
            Action::Helo(t) => format!("Say {}: {expect}.", code(&format!("HELO {}", tpl(t)))),
            Action::Lhlo(t) => format!("Say {}: {expect}.", code(&format!("LHLO {}", tpl(t)))),
            Action::StartTls(over) => starttls_words(step, over, &scenario.target, &expect),
            Action::Auth(a) => {
                let (what, t) = match &a.credential {
                    crate::model::Credential::Password(t) => ("password", Some(t.expose())),
                    crate::model::Credential::Token(t) => ("token", Some(t.expose())),
                    crate::model::Credential::Ticket => ("ticket", None),
                };
                let secret = match t {
                    Some(t) => credential_words(what, t),
                    None => "the Kerberos ticket from the environment (`KRB5CCNAME`, or a keytab in `KRB5_CLIENT_KTNAME`)".to_owned(),
                };
                let who = if a.username.to_string().is_empty() {
                    "the ticket's principal".to_owned()
                } else {
                    code(&tpl(&a.username))
                };
                let mechanism = match a.mechanism {
                    crate::model::AuthMechanism::Auto => {
                        "the strongest AUTH mechanism the server offers".to_owned()
                    }
                    crate::model::AuthMechanism::Named(m) => code(&format!("AUTH {m}")),
                };
                format!("Log in with {mechanism} as {who} and {secret}: {expect}.")
            }
            Action::MailFrom(e) => format!(
                "Send {}: {expect}.",
                code(&extensions::envelope("MAIL FROM", e))
            ),
            Action::RcptTo(e) => format!(
                "Send {}: {expect}.",
                code(&extensions::envelope("RCPT TO", e))
            ),
            Action::Data(_) => format!(
                "Send the message below with {}: after the server's go-ahead (354), {expect}.",
                code("DATA")
            ),
            Action::Rset => format!("Send {}: {expect}.", code("RSET")),
            Action::Noop => format!("Send {}: {expect}.", code("NOOP")),
            Action::Quit => format!("Send {}: {expect}.", code("QUIT")),
            Action::Vrfy(t) => format!("Send {}: {expect}.", code(&format!("VRFY {}", tpl(t)))),
            Action::Sleep(d) => format!("Wait {}.", crate::duration::format_duration(*d)),
            Action::ExpectClose => "The server must close the connection.".to_owned(),
            Action::Connect(spec) if !step.expect.fails.is_empty() => {
                connect_fails_words(spec, &scenario.target, &expect)
            }
            Action::Connect(spec) => connect_words(spec, &scenario.target),
            Action::Mailbox(m) => mailbox_words::mailbox_words(m, &scenario.target),
            Action::Etrn(_)
            | Action::Expn(_)
            | Action::Help(_)
            | Action::EhloFallback(_)
            | Action::RcptToMany(_)
            | Action::Pipeline(_)
            | Action::Bdat(_)
            | Action::Xclient(_)
            | Action::Xforward(_) => extensions::step_words(step, &expect).unwrap_or_default(),
        };
        fresh_connection = matches!(step.action, Action::Connect(_));
        let mut line = line;
        for note in asserts::step_notes(step, &scenario.target) {
            line.push(' ');
            line.push_str(&note);
        }
        let _ = writeln!(out, "{n}. {}", redactor.redact(&line));
        if let Some(spec) = extensions::message_of(&step.action) {
            let body = redactor.redact(&data_text(spec));
            let fence = if body.contains("```") { "~~~~" } else { "```" };
            let _ = writeln!(out, "\n   {fence}");
            for l in body.trim_end_matches('\n').lines() {
                if l.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "   {l}");
                }
            }
            let _ = writeln!(out, "   {fence}\n");
        }
    }
}

fn starttls_words(
    step: &crate::model::Step,
    spec: &StartTls,
    target: &Target,
    expect: &str,
) -> String {
    let handshake =
        step.expect.codes.is_empty() || step.expect.codes.iter().any(|c| c.matches(220));
    if !step.expect.fails.is_empty() {
        // `expect` already says the step must fail, and how.
        return format!("Start TLS with {}: {expect}.", code("STARTTLS"));
    }
    if !handshake {
        return format!(
            "Send {}: the server must refuse it: {expect}.",
            code("STARTTLS")
        );
    }
    let o = spec.options.clone().or(&target.tls_options);
    let insecure = o.is_insecure();
    let name = o
        .server_name
        .clone()
        .or_else(|| target.socket.is_none().then(|| target.host.clone()));
    let ca = o.ca_file.as_ref();
    // the reply first, then the handshake, then what the session must be
    let mut reply_only = (*step.expect).clone();
    let tls = reply_only
        .tls
        .take()
        .and_then(|t| asserts::tls_expect_words(&t));
    let reply = if reply_only.codes.is_empty() && tls.is_some() {
        String::new()
    } else {
        format!(": {}", expect_words(&reply_only))
    };
    let mut s = format!(
        "Start TLS with {}{reply}; then the TLS handshake must succeed",
        code("STARTTLS")
    );
    s.push_str(&trust(insecure, ca, name.as_deref()));
    if spec.options.min_version.is_some() {
        s.push_str(&asserts::min_version_words(spec.options.min_version));
    }
    if let Some(tls) = tls {
        s.push_str("; ");
        s.push_str(&tls);
    }
    s.push('.');
    s
}

fn connect_words(spec: &ConnectSpec, target: &Target) -> String {
    let host = spec.host.clone().unwrap_or_else(|| target.host.clone());
    let port = spec.port.unwrap_or(target.port);
    let tcp = spec.host.is_some() || spec.port.is_some();
    let socket = spec
        .socket
        .as_ref()
        .or(target.socket.as_ref().filter(|_| !tcp));
    let shown = endpoint(&host, port, socket);
    let tls = match spec.tls.unwrap_or(target.tls) {
        TlsMode::None => "",
        TlsMode::Implicit => " with implicit TLS",
    };
    format!("Open a new connection to {}{tls}.", code(&shown))
}

/// A `connect` step with `expect: {fails: ...}`.
fn connect_fails_words(spec: &ConnectSpec, target: &Target, expect: &str) -> String {
    let open = connect_words(spec, target);
    format!("{}: {expect}.", open.trim_end_matches('.'))
}

/// The message of a `data` step as the plan writes it: the text, or a structured message's
/// headers, body and attachment names.
fn data_text(spec: &crate::model::DataSpec) -> String {
    match spec {
        crate::model::DataSpec::Text(t) => tpl(t),
        crate::model::DataSpec::File(f) => {
            crate::scenario::preview_message_file(f, 64 * 1024, &tpl)
        }
        crate::model::DataSpec::Mime(m) => {
            let mut text: String = m
                .headers
                .iter()
                .map(|(name, value)| format!("{name}: {}\n", tpl(value)))
                .collect();
            text.push('\n');
            if let Some(body) = &m.body {
                text.push_str(&tpl(body));
            }
            for a in &m.attachments {
                text.push_str(&format!("\n[attachment {} ({})]\n", a.name, a.content_type));
            }
            text
        }
    }
}

/// GitHub-style heading anchors, with `-1`, `-2` for repeats.
#[derive(Default)]
struct Slugs {
    seen: HashMap<String, usize>,
}

impl Slugs {
    fn take(&mut self, heading: &str) -> String {
        let base: String = heading
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        let n = self.seen.entry(base.clone()).or_insert(0);
        let slug = if *n == 0 { base } else { format!("{base}-{n}") };
        *n += 1;
        slug
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn slugs_repeat() {
        let mut s = Slugs::default();
        assert_eq!(
            s.take("AUTH is refused (before TLS)"),
            "auth-is-refused-before-tls"
        );
        assert_eq!(
            s.take("AUTH is refused (before TLS)"),
            "auth-is-refused-before-tls-1"
        );
    }
}
