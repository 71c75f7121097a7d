//! One item of `steps:`: a bare keyword (`quit`), or a mapping with one action key and an
//! optional `expect:`; `- expect: E` alone reads a reply.
//!
//! Why one file: `StepLoader` is the one dispatch over every step kind; each kind's own
//! loading already lives in a file of its own (envelope, bdat, pipeline, xclient, mailbox, ...).

use std::str::FromStr as _;

use super::bdat::{BDAT_OPTIONS, load_bdat};
use super::context::{Cx, VarScope, get, keys, list_names};
use super::diagnostic::did_you_mean;
use super::envelope::{load_envelope, load_recipients};
use super::expect::{EXPECT_KEYS, LoadedExpect, default_expect, load_expect};
use super::fails::{check_fails_fit, is_fails_map};
use super::message::load_data_map;
use super::node::{Key, Node, Value};
use super::step_options::{STEP_OPTIONS, load_step_options};
use super::target::{Resolver, TLS_OPTION_KEYS};
use crate::model::{Action, AuthMechanism, AuthSpec, Credential, DataSpec, Span, Step};
use crate::protocol::Mechanism;
use crate::template::{SecretTemplate, Template};

pub(crate) const ACTIONS: &[&str] = &[
    "send",
    "ehlo",
    "helo",
    "lhlo",
    "starttls",
    "auth",
    "mail_from",
    "rcpt_to",
    "data",
    "rset",
    "noop",
    "quit",
    "vrfy",
    "sleep",
    "expect_close",
    "connect",
    "etrn",
    "expn",
    "help",
    "pipeline",
    "mailbox",
    "bdat",
    "xclient",
    "xforward",
];

/// Steps that may be written as a bare string.
pub(crate) const BARE: &[&str] = &[
    "quit",
    "rset",
    "noop",
    "starttls",
    "expect_close",
    "connect",
    "help",
];
/// Steps that read no reply, so `expect` makes no sense on them.
pub(crate) const NO_REPLY: &[&str] = &["sleep", "expect_close", "connect"];
pub(crate) const STARTTLS_KEYS: &[&str] =
    &keys::<9>(&[&["expect"], &TLS_OPTION_KEYS, &["required"]]);
pub(crate) const AUTH_KEYS: &[&str] = &[
    "mechanism",
    "username",
    "password",
    "token",
    "initial_response",
    "service",
];
/// A step-level key beside the action (not an action itself).
pub(crate) const ALLOW_PLAINTEXT: &str = "allow_plaintext";
/// The steps `allow_plaintext` applies to.
pub(crate) const PLAINTEXT_STEPS: &[&str] = &[
    "auth",
    "send",
    "ehlo",
    "helo",
    "lhlo",
    "mail_from",
    "rcpt_to",
    "vrfy",
    "data",
    "bdat",
    "etrn",
    "expn",
    "help",
    "mailbox",
];
/// `ehlo: {..}` (extension): the name, and HELO when EHLO is refused.
pub(crate) const EHLO_KEYS: &[&str] = &["name", "helo_fallback"];
/// A step-level key: send a command or parameter the server did not advertise.
pub(crate) const SEND_ANYWAY: &str = "send_anyway";
/// The steps that check the server advertised what they use, so `send_anyway` applies.
pub(crate) const ADVERTISED_STEPS: &[&str] = &[
    "mail_from",
    "rcpt_to",
    "etrn",
    "pipeline",
    "bdat",
    "xclient",
    "xforward",
];

/// Every key a step mapping may have: one action, `expect`, the step options (`retry`,
/// `timeout`), or `use` alone (expanded by `reuse`).
pub(crate) fn step_keys() -> Vec<&'static str> {
    ACTIONS
        .iter()
        .copied()
        .chain(["expect"])
        .chain(STEP_OPTIONS.iter().copied())
        .chain([ALLOW_PLAINTEXT, SEND_ANYWAY, "use"])
        .chain(BDAT_OPTIONS.iter().copied())
        .collect()
}

/// What a step can be, for "steps are ..." help: the actions, `expect` and `use`.
fn step_names() -> Vec<&'static str> {
    ACTIONS.iter().copied().chain(["expect", "use"]).collect()
}

/// A loaded step (None if it had problems, all reported) and the names its `capture` sets.
pub(crate) struct LoadedStep {
    pub step: Option<Step>,
    pub captures: Vec<String>,
}

pub(crate) struct StepLoader<'r, 'v> {
    pub resolver: &'r Resolver<'v>,
}

impl StepLoader<'_, '_> {
    pub fn load(&self, cx: &mut Cx<'_>, node: &Node, scope: &VarScope<'_>) -> LoadedStep {
        let span = Span {
            line: node.pos.line,
            col: node.pos.col,
        };
        let failed = LoadedStep {
            step: None,
            captures: Vec::new(),
        };
        match &node.value {
            Value::Str(name) => {
                let step = self.load_bare(cx, node, name).map(|action| Step {
                    expect: default_expect(&action),
                    action,
                    expect_given: false,
                    span,
                    allow_plaintext: false,
                    origin: None,
                    retry: None,
                    timeout: None,
                    send_anyway: false,
                });
                LoadedStep {
                    step,
                    captures: Vec::new(),
                }
            }
            Value::Map(entries) => self.load_map(cx, node, entries, scope, span),
            _ => {
                cx.error(
                    node,
                    format!(
                        "a step must be a step name like `quit` or a mapping like `ehlo: NAME`, found {}",
                        node.kind()
                    ),
                    None,
                );
                failed
            }
        }
    }

    fn load_bare(&self, cx: &mut Cx<'_>, node: &Node, name: &str) -> Option<Action> {
        if BARE.contains(&name) {
            return bare_action(name);
        }
        if STEP_OPTIONS.contains(&name) {
            cx.error(
                node,
                format!("`{name}` is not a step"),
                Some(format!(
                    "`{name}:` goes on a step, next to its action: `- noop:` then `  {name}: ..` on the next line"
                )),
            );
            return None;
        }
        if ACTIONS.contains(&name) || name == "expect" || name == "use" {
            cx.error(
                node,
                format!("step `{name}` needs a value"),
                Some(value_help(name)),
            );
            return None;
        }
        let names = step_names();
        let help = match did_you_mean(name, names.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("steps are {}", list_names(&names)),
        };
        cx.error(node, format!("unknown step `{name}`"), Some(help));
        None
    }

    fn load_map(
        &self,
        cx: &mut Cx<'_>,
        node: &Node,
        entries: &[(Key, Node)],
        scope: &VarScope<'_>,
        span: Span,
    ) -> LoadedStep {
        let before = cx.diags.len();
        let keys = step_keys();
        let mut action_entry: Option<&(Key, Node)> = None;
        let mut expect_entry: Option<&(Key, Node)> = None;
        let mut plaintext_entry: Option<&(Key, Node)> = None;
        let mut anyway_entry: Option<&(Key, Node)> = None;
        let mut option_entries: Vec<&(Key, Node)> = Vec::new();
        for entry in entries {
            let key = &entry.0;
            if key.name == "expect" {
                expect_entry = Some(entry);
            } else if key.name == ALLOW_PLAINTEXT {
                plaintext_entry = Some(entry);
            } else if key.name == SEND_ANYWAY {
                anyway_entry = Some(entry);
            } else if STEP_OPTIONS.contains(&key.name.as_str()) {
                option_entries.push(entry);
            } else if BDAT_OPTIONS.contains(&key.name.as_str()) {
                if !entries.iter().any(|(k, _)| k.name == "bdat") {
                    cx.error_key(
                        key,
                        format!("`{}` applies to `bdat` steps only", key.name),
                        Some("it says how to cut the message into BDAT chunks".into()),
                    );
                }
            } else if ACTIONS.contains(&key.name.as_str()) {
                match action_entry {
                    None => action_entry = Some(entry),
                    Some((first, _)) => cx.error_key(
                        key,
                        format!(
                            "two actions in one step: `{}` and `{}`",
                            first.name, key.name
                        ),
                        Some("give each action its own list item (`- ...`)".into()),
                    ),
                }
            } else if EXPECT_KEYS.contains(&key.name.as_str()) {
                cx.error_key(
                    key,
                    format!("unknown key `{}` in a step", key.name),
                    Some(format!("`{}` belongs under `expect:`", key.name)),
                );
            } else {
                let mut known = keys.clone();
                known.push(ALLOW_PLAINTEXT);
                cx.unknown_key(key, &known, "in a step");
            }
        }

        // The expectation: loaded whatever happens to the action, so its captures count.
        let inner_expect = match action_entry {
            Some((
                k,
                Node {
                    value: Value::Map(inner),
                    ..
                },
            )) if k.name == "starttls" => inner.iter().find(|(k, _)| k.name == "expect"),
            _ => None,
        };
        if let (Some((outer, _)), Some(_)) = (expect_entry, inner_expect) {
            cx.error_key(
                outer,
                "`expect` is given twice for `starttls`",
                Some("keep either the one inside `starttls:` or this one".into()),
            );
        }
        let expect_entry = inner_expect.or(expect_entry);
        let mut loaded_expect = None;
        let mut captures = Vec::new();
        // A `mailbox` step's `expect:` checks the delivered message: its own loader reads it.
        let is_mailbox = action_entry.is_some_and(|(k, _)| k.name == "mailbox");
        if let Some((key, value)) = expect_entry.filter(|_| !is_mailbox) {
            if let Some((action_key, _)) = action_entry.filter(|(k, _)| {
                NO_REPLY.contains(&k.name.as_str()) && !(k.name == "connect" && is_fails_map(value))
            }) {
                cx.error_key(
                    key,
                    format!(
                        "`{}` reads no reply, so it cannot have `expect`",
                        action_key.name
                    ),
                    Some("read a reply with a separate `- expect: ...` step".into()),
                );
            } else if value.value == Value::Null {
                cx.error_key(
                    key,
                    "`expect` needs a value",
                    Some("e.g. `expect: 250` or `expect: {code: 250, matches: 'OK'}`".into()),
                );
            } else {
                let LoadedExpect {
                    expect,
                    captures: names,
                } = load_expect(cx, value, scope);
                loaded_expect = expect;
                captures = names;
            }
        }

        let allow_plaintext = match plaintext_entry {
            None => false,
            Some((key, value)) => {
                let action_name = action_entry.map(|(k, _)| k.name.as_str());
                if !action_name.is_some_and(|a| PLAINTEXT_STEPS.contains(&a)) {
                    cx.error_key(
                        key,
                        format!(
                            "`{ALLOW_PLAINTEXT}` applies to the steps that send text of the plan (`auth`, `send`, `ehlo`, `helo`, `lhlo`, `mail_from`, `rcpt_to`, `vrfy`, `data`, `etrn`, `expn`, `help`, `mailbox`) only{}",
                            action_name.map_or_else(String::new, |a| format!(", not `{a}`"))
                        ),
                        Some("it lets a secret go over a connection without TLS".into()),
                    );
                    false
                } else {
                    cx.bool(value, &format!("`{ALLOW_PLAINTEXT}`"))
                        .unwrap_or(false)
                }
            }
        };
        let send_anyway = match anyway_entry {
            None => false,
            Some((key, value)) => {
                let action_name = action_entry.map(|(k, _)| k.name.as_str());
                if action_name.is_some_and(|a| !ADVERTISED_STEPS.contains(&a)) {
                    cx.error_key(
                        key,
                        format!(
                            "`{SEND_ANYWAY}` applies to {} steps only{}",
                            list_names(ADVERTISED_STEPS),
                            action_name.map_or_else(String::new, |a| format!(", not `{a}`"))
                        ),
                        Some("they check that the last EHLO advertised what they use".into()),
                    );
                    false
                } else {
                    cx.bool(value, &format!("`{SEND_ANYWAY}`")).unwrap_or(false)
                }
            }
        };
        let action = match action_entry {
            Some((key, value)) if is_mailbox => {
                let loaded = super::mailbox::load_mailbox(
                    cx,
                    self.resolver,
                    key,
                    value,
                    expect_entry,
                    scope,
                );
                captures = loaded.captures;
                loaded.action
            }
            Some((key, value)) if key.name == "pipeline" => {
                if let Some((ekey, _)) = expect_entry {
                    cx.error_key(
                        ekey,
                        "a pipelined group has no reply of its own",
                        Some("put `expect` on each of its commands".into()),
                    );
                }
                let (action, names) = self.load_pipeline(cx, key, value, scope);
                captures.extend(names);
                action
            }
            Some((key, value)) if key.name == "bdat" => load_bdat(cx, key, value, entries, scope),
            Some((key, value)) => self.load_action(cx, key, value, scope),
            None if expect_entry.is_some() => Some(Action::Read),
            None => {
                if cx.diags.len() == before {
                    cx.error(
                        node,
                        "a step needs an action",
                        Some(format!("steps are {}", list_names(&step_names()))),
                    );
                }
                None
            }
        };
        let keyword = action.as_ref().map(Action::keyword);
        let (retry, timeout) = load_step_options(cx, &option_entries, keyword);
        if cx.diags.len() != before {
            return LoadedStep {
                step: None,
                captures,
            };
        }
        if let (Some(action), Some(expect), Some((key, _))) =
            (&action, &loaded_expect, expect_entry)
        {
            check_fails_fit(cx, key, action, expect);
            if cx.diags.len() != before {
                return LoadedStep {
                    step: None,
                    captures,
                };
            }
        }
        let step = action.map(|action| {
            let expect_given = loaded_expect.is_some();
            let expect = match loaded_expect {
                None => default_expect(&action),
                Some(mut expect) => {
                    // The step's default code stays in force unless the expectation names one.
                    if expect.codes.is_empty() {
                        expect.codes.clone_from(&default_expect(&action).codes);
                    }
                    std::sync::Arc::new(expect)
                }
            };
            Step {
                expect,
                action,
                expect_given,
                span,
                allow_plaintext,
                origin: None,
                retry,
                timeout,
                send_anyway,
            }
        });
        LoadedStep { step, captures }
    }

    fn load_action(
        &self,
        cx: &mut Cx<'_>,
        key: &Key,
        value: &Node,
        scope: &VarScope<'_>,
    ) -> Option<Action> {
        let name = key.name.as_str();
        let template = |cx: &mut Cx<'_>| -> Option<Template> {
            if value.value == Value::Null {
                cx.error_key(
                    key,
                    format!("step `{name}` needs a value"),
                    Some(value_help(name)),
                );
                return None;
            }
            cx.template_in(value, &format!("`{name}`"), scope)
        };
        match name {
            "send" => template(cx).map(Action::Send),
            "ehlo" => match &value.value {
                Value::Map(entries) => load_ehlo_map(cx, key, entries, scope),
                _ => template(cx).map(Action::Ehlo),
            },
            "etrn" => template(cx).map(Action::Etrn),
            "xclient" | "xforward" => super::xclient::load_xattrs(cx, key, value, scope),
            "expn" => template(cx).map(Action::Expn),
            "help" => match &value.value {
                Value::Null => Some(Action::Help(None)),
                _ => template(cx).map(|t| Action::Help(Some(t))),
            },
            "helo" => template(cx).map(Action::Helo),
            "lhlo" => template(cx).map(Action::Lhlo),
            "vrfy" => template(cx).map(Action::Vrfy),
            "data" => match &value.value {
                Value::Map(entries) => load_data_map(cx, key, entries, scope).map(Action::Data),
                _ => template(cx).map(|t| Action::Data(DataSpec::Text(t))),
            },
            "rcpt_to" if matches!(value.value, Value::Seq(_)) => match &value.value {
                Value::Seq(items) => load_recipients(cx, key, items, scope).map(Action::RcptToMany),
                _ => None,
            },
            "mail_from" | "rcpt_to" => {
                let envelope = load_envelope(cx, key, value, scope)?;
                Some(if name == "mail_from" {
                    Action::MailFrom(envelope)
                } else {
                    Action::RcptTo(envelope)
                })
            }
            "auth" => self.load_auth(cx, key, value, scope).map(Action::Auth),
            "sleep" => cx.duration(value, "`sleep`").map(Action::Sleep),
            "starttls" => match &value.value {
                Value::Null => Some(Action::StartTls(Box::default())),
                Value::Map(entries) => {
                    cx.check_keys(entries, STARTTLS_KEYS, "in `starttls`");
                    Some(Action::StartTls(Box::new(
                        self.resolver.starttls(cx, entries),
                    )))
                }
                _ => {
                    cx.error(
                        value,
                        format!(
                            "`starttls` takes nothing or a mapping {{expect, required, ca_file, insecure, server_name, client_cert, client_key, min_version, pin_sha256}}, found {}",
                            value.kind()
                        ),
                        None,
                    );
                    None
                }
            },
            "connect" => match &value.value {
                Value::Null => Some(Action::Connect(Box::default())),
                Value::Map(entries) => Some(Action::Connect(Box::new(
                    self.resolver.connect(cx, entries),
                ))),
                _ => {
                    cx.error(
                        value,
                        format!(
                            "`connect` takes nothing or a mapping {{host, port, tls}}, found {}",
                            value.kind()
                        ),
                        None,
                    );
                    None
                }
            },
            _ => {
                if value.value != Value::Null {
                    cx.error(
                        value,
                        format!("step `{name}` takes no value"),
                        Some(format!("write `- {name}`")),
                    );
                    return None;
                }
                bare_action(name)
            }
        }
    }

    fn load_auth(
        &self,
        cx: &mut Cx<'_>,
        key: &Key,
        value: &Node,
        scope: &VarScope<'_>,
    ) -> Option<AuthSpec> {
        let Value::Map(entries) = &value.value else {
            cx.error(
                value,
                format!(
                    "`auth` takes a mapping {{mechanism, username, password}}, found {}",
                    value.kind()
                ),
                None,
            );
            return None;
        };
        let before = cx.diags.len();
        // A password or token is secret: no diagnostic may quote it, whether it is written
        // literally or partly (`P@$$w0rd`, `pre-${pw}`), or is a broken template.
        for name in ["password", "token"] {
            if let Some(node) = get(entries, name) {
                cx.secret_spot(node);
                if let Some(text) = node.scalar_text(cx.source)
                    && !super::context::is_pure_reference(&text)
                    && !text.is_empty()
                {
                    cx.literal_secrets.push(text);
                }
            }
        }
        for (k, _) in entries {
            let name = k.name.as_str();
            if AUTH_KEYS.contains(&name) {
                continue;
            }
            if [ALLOW_PLAINTEXT, "expect", "timeout"].contains(&name) {
                // A step key written inside the mapping: say where it goes.
                cx.error_key(
                    k,
                    format!("`{name}` belongs to the step, not inside `auth`"),
                    Some(format!(
                        "write it on its own line beside `auth:` (`- auth: {{..}}`, then `  {name}: ..`)"
                    )),
                );
            } else {
                cx.unknown_key(k, AUTH_KEYS, "in `auth`");
            }
        }
        let field = |cx: &mut Cx<'_>, name: &str| {
            let node = get(entries, name);
            if node.is_none() {
                cx.error_key(key, format!("`auth` needs `{name}`"), None);
            }
            node
        };
        let mechanism_node = field(cx, "mechanism");
        let mechanism = mechanism_node.and_then(|n| {
            let text = cx.text(n, "`mechanism`")?;
            if text.eq_ignore_ascii_case("auto") {
                return Some(AuthMechanism::Auto);
            }
            match Mechanism::from_str(&text) {
                Ok(m) => Some(AuthMechanism::Named(m)),
                Err(_) => {
                    let names: Vec<&str> = Mechanism::ALL.iter().map(|m| m.name()).collect();
                    cx.error(
                        n,
                        format!("unsupported SASL mechanism `{text}`"),
                        Some(format!(
                            "supported mechanisms: {}, or `auto`",
                            names.join(", ")
                        )),
                    );
                    None
                }
            }
        });
        let gssapi = mechanism == Some(AuthMechanism::Named(Mechanism::Gssapi));
        let username = if gssapi {
            // The authorization identity; empty: the ticket's own principal.
            match get(entries, "username") {
                Some(n) => cx.template_in(n, "`username`", scope),
                None => Some(Template::literal("")),
            }
        } else {
            field(cx, "username").and_then(|n| cx.template_in(n, "`username`", scope))
        };
        let service = match get(entries, "service") {
            None => None,
            Some(n) if gssapi => cx.template_in(n, "`service`", scope),
            Some(_) => {
                if let Some((k, _)) = entries.iter().find(|(k, _)| k.name == "service") {
                    cx.error_key(
                        k,
                        "`service` is for `mechanism: GSSAPI` (the server's Kerberos service name)",
                        Some("remove it".into()),
                    );
                }
                None
            }
        };
        let credential = match (get(entries, "password"), get(entries, "token")) {
            (None, None) if gssapi => Some(Credential::Ticket),
            (Some(_), _) | (_, Some(_)) if gssapi => {
                let k = entries
                    .iter()
                    .find(|(k, _)| k.name == "password" || k.name == "token")
                    .map(|(k, _)| k);
                if let Some(k) = k {
                    cx.error_key(
                        k,
                        format!(
                            "GSSAPI logs in with a Kerberos ticket from the environment: `{}` is not used",
                            k.name
                        ),
                        Some("remove it; get a ticket with `kinit` (KRB5CCNAME) or name a keytab in KRB5_CLIENT_KTNAME".into()),
                    );
                }
                None
            }
            (Some(_), Some(_)) => {
                let token_key = entries
                    .iter()
                    .find(|(k, _)| k.name == "token")
                    .map(|(k, _)| k);
                if let Some(k) = token_key {
                    cx.error_key(
                        k,
                        "`auth` takes `password` or `token`, not both",
                        Some(
                            "`token` is for XOAUTH2 and OAUTHBEARER, `password` for the others"
                                .into(),
                        ),
                    );
                }
                None
            }
            (Some(n), None) => cx
                .template_in(n, "`password`", scope)
                .map(|t| Credential::Password(SecretTemplate::new(t))),
            (None, Some(n)) => cx
                .template_in(n, "`token`", scope)
                .map(|t| Credential::Token(SecretTemplate::new(t))),
            (None, None) => {
                cx.error_key(
                    key,
                    "`auth` needs `password` (or `token` for XOAUTH2 and OAUTHBEARER)",
                    None,
                );
                None
            }
        };
        if let (Some(AuthMechanism::Named(m)), Some(c), Some(n)) =
            (mechanism, &credential, mechanism_node)
        {
            if m.uses_token() && !c.is_token() {
                cx.error(
                    n,
                    format!(
                        "{m} logs in with an OAuth 2.0 bearer token: give `token:`, not `password:`"
                    ),
                    Some(format!(
                        "write `auth: {{mechanism: {m}, username: .., token: '${{token}}'}}`"
                    )),
                );
            } else if !m.uses_token() && c.is_token() {
                cx.error(
                    n,
                    format!("{m} logs in with a password: give `password:`, not `token:`"),
                    Some("`token` is for XOAUTH2 and OAUTHBEARER".into()),
                );
            }
        }
        let initial_response = match get(entries, "initial_response") {
            None => None,
            Some(n) => {
                let b = cx.bool(n, "`initial_response`");
                if mechanism == Some(AuthMechanism::Named(Mechanism::CramMd5)) {
                    cx.error(
                        n,
                        "CRAM-MD5 starts with the server's challenge: it has no initial response",
                        Some("remove `initial_response`".into()),
                    );
                }
                b
            }
        };
        if cx.diags.len() != before {
            return None;
        }
        Some(AuthSpec {
            mechanism: mechanism?,
            username: username?,
            credential: credential?,
            initial_response,
            service,
        })
    }
}

fn bare_action(name: &str) -> Option<Action> {
    Some(match name {
        "quit" => Action::Quit,
        "rset" => Action::Rset,
        "noop" => Action::Noop,
        "starttls" => Action::StartTls(Box::default()),
        "expect_close" => Action::ExpectClose,
        "connect" => Action::Connect(Box::default()),
        "help" => Action::Help(None),
        _ => return None,
    })
}

/// `ehlo: {name: NAME, helo_fallback: true}`.
fn load_ehlo_map(
    cx: &mut Cx<'_>,
    key: &Key,
    entries: &[(Key, Node)],
    scope: &VarScope<'_>,
) -> Option<Action> {
    cx.check_keys(entries, EHLO_KEYS, "in `ehlo`");
    let Some(name) = get(entries, "name") else {
        cx.error_key(
            key,
            "`ehlo` needs `name`",
            Some("write `ehlo: {name: client.example.com, helo_fallback: true}`".into()),
        );
        return None;
    };
    let name = cx.template_in(name, "`name`", scope)?;
    let fallback = match get(entries, "helo_fallback") {
        Some(n) => cx.bool(n, "`helo_fallback`")?,
        None => false,
    };
    Some(if fallback {
        Action::EhloFallback(name)
    } else {
        Action::Ehlo(name)
    })
}

fn value_help(name: &str) -> String {
    let example = match name {
        "ehlo" | "helo" | "lhlo" => "client.example.com",
        "mail_from" | "rcpt_to" | "vrfy" | "expn" => "user@example.com",
        "etrn" => "example.com",
        "send" => "\"NOOP\"",
        "data" => {
            return "write `- data: |` with the message on the following lines, indented".into();
        }
        "sleep" => "1s",
        "auth" => "{mechanism: PLAIN, username: .., password: ..}",
        "mailbox" => "{maildir: DIR, within: 10s}",
        "expect" => "250",
        _ => "...",
    };
    format!("write `- {name}: {example}`")
}
