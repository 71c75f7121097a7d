//! Loading `- mailbox: {imap | maildir, message_id, folders, within, poll}` and its `expect:`
//! (extension): where the delivered message is read, and how long to wait for it.

use std::path::PathBuf;
use std::time::Duration;

use super::context::{Cx, VarScope, get};
use super::files::relative_to;
use super::mailbox_expect::load_mailbox_expect;
use super::node::{Key, Node, Value};
use super::resolver::Resolver;
use crate::files::FileError;
use crate::model::{Action, TlsOptions};
use crate::model::{ImapSpec, ImapTls, MailboxExpect, MailboxSource, MailboxSpec};

pub(crate) const MAILBOX_KEYS: &[&str] =
    &["imap", "maildir", "message_id", "folders", "within", "poll"];
pub(crate) const IMAP_KEYS: &[&str] = &[
    "host",
    "port",
    "tls",
    "username",
    "password",
    "ca_file",
    "insecure",
    "server_name",
    "min_version",
];

/// How long a `mailbox` step waits when `within:` is not given.
pub(crate) const DEFAULT_WITHIN: Duration = Duration::from_secs(30);
/// How often it looks when `poll:` is not given.
pub(crate) const DEFAULT_POLL: Duration = Duration::from_millis(500);

/// A loaded `mailbox` step's action (None if it had problems, all reported) and the names its
/// `capture`s set.
pub(crate) struct LoadedMailbox {
    pub action: Option<Action>,
    pub captures: Vec<String>,
}

pub(crate) fn load_mailbox(
    cx: &mut Cx<'_>,
    resolver: &Resolver<'_>,
    key: &Key,
    value: &Node,
    expect: Option<&(Key, Node)>,
    scope: &VarScope<'_>,
) -> LoadedMailbox {
    let before = cx.diags.len();
    let (expect, captures) = match expect {
        None => (Some(MailboxExpect::default()), Vec::new()),
        Some((k, n)) if n.value == Value::Null => {
            cx.error_key(
                k,
                "`expect` needs a value",
                Some("e.g. `expect: {folder: INBOX, headers: {DKIM-Signature: present}}`".into()),
            );
            (None, Vec::new())
        }
        Some((_, n)) => load_mailbox_expect(cx, n, scope),
    };
    let Value::Map(entries) = &value.value else {
        let message = format!(
            "`mailbox` takes a mapping {{imap: {{..}}}} or {{maildir: DIR}}, found {}",
            value.kind()
        );
        let help =
            Some("write `- mailbox: {maildir: /var/mail/alice/Maildir, within: 10s}`".into());
        if value.value == Value::Null {
            cx.error_key(key, message, help);
        } else {
            cx.error(value, message, help);
        }
        return LoadedMailbox {
            action: None,
            captures,
        };
    };
    cx.check_keys(entries, MAILBOX_KEYS, "in `mailbox`");
    let source = match (get(entries, "imap"), get(entries, "maildir")) {
        (Some(_), Some(_)) => {
            cx.error_key(
                key,
                "`mailbox` takes `imap` or `maildir`, not both",
                Some("use one step for each place to look".into()),
            );
            None
        }
        (Some(imap), None) => load_imap(cx, resolver, imap, scope).map(MailboxSource::Imap),
        (None, Some(dir)) => load_maildir(cx, resolver, dir).map(MailboxSource::Maildir),
        (None, None) => {
            cx.error_key(
                key,
                "`mailbox` needs `imap` or `maildir`: where to look for the message",
                Some(
                    "write `imap: {host, port, tls, username, password}` or `maildir: DIR`".into(),
                ),
            );
            None
        }
    };
    let message_id = get(entries, "message_id").and_then(|n| {
        if n.value == Value::Null {
            cx.error(n, "`message_id` needs a value", None);
            return None;
        }
        cx.template_in(n, "`message_id`", scope)
    });
    let folders = get(entries, "folders")
        .map(|n| load_folders(cx, n))
        .unwrap_or_default();
    let within = positive(cx, get(entries, "within"), "`within`").unwrap_or(DEFAULT_WITHIN);
    let poll = positive(cx, get(entries, "poll"), "`poll`").unwrap_or(DEFAULT_POLL);
    if cx.diags.len() != before {
        return LoadedMailbox {
            action: None,
            captures,
        };
    }
    let action = source.zip(expect).map(|(source, expect)| {
        Action::Mailbox(Box::new(MailboxSpec {
            source,
            message_id,
            folders,
            within,
            poll,
            expect,
        }))
    });
    LoadedMailbox { action, captures }
}

/// `maildir: DIR`, relative to the file that names it; it must lie under the file root like
/// every file a plan reads (it may not exist yet: servers create it on first delivery).
fn load_maildir(cx: &mut Cx<'_>, resolver: &Resolver<'_>, node: &Node) -> Option<PathBuf> {
    let text = resolver.text(cx, node, "`maildir`")?;
    if text.trim().is_empty() {
        cx.error(node, "`maildir` is empty", None);
        return None;
    }
    let path = relative_to(cx.path, &text);
    if !cx.files.check_tls_files {
        // `doc` describes plans without running them (and so without the TLS files).
        return Some(path);
    }
    let checked = match &cx.files.root {
        Some(root) => root.check(&path),
        None => Err(FileError::OutsideRoot {
            root: PathBuf::from("(unreadable)"),
        }),
    };
    match checked {
        Ok(real) => Some(real),
        Err(FileError::NotFound) => Some(path),
        Err(e) => {
            cx.error(
                node,
                format!("the Maildir `{text}` {e}"),
                Some("a plan reads files only under its file root (the directory of the plan named on the command line); widen it with `--file-root DIR`".into()),
            );
            None
        }
    }
}

fn positive(cx: &mut Cx<'_>, node: Option<&Node>, what: &str) -> Option<Duration> {
    let node = node?;
    let d = cx.duration(node, what)?;
    if d.is_zero() {
        cx.error(node, format!("{what} must be more than zero"), None);
        return None;
    }
    Some(d)
}

fn load_folders(cx: &mut Cx<'_>, node: &Node) -> Vec<String> {
    let items: Vec<&Node> = match &node.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![node],
    };
    let mut out = Vec::new();
    for item in items {
        if let Some(name) = cx.text(item, "a folder name") {
            if name.trim().is_empty() || name.contains(['\r', '\n', '"', '\\']) {
                cx.error(
                    item,
                    format!("invalid folder name {name:?}"),
                    Some("write a folder name like `INBOX` or `Junk`".into()),
                );
                continue;
            }
            out.push(name);
        }
    }
    if out.is_empty() && !matches!(&node.value, Value::Seq(items) if !items.is_empty()) {
        cx.error(
            node,
            "`folders` lists no folder",
            Some("leave `folders` out to look in every folder".into()),
        );
    }
    out
}

fn load_imap(
    cx: &mut Cx<'_>,
    resolver: &Resolver<'_>,
    node: &Node,
    scope: &VarScope<'_>,
) -> Option<ImapSpec> {
    let entries = cx.map(node, "`imap`")?;
    let before = cx.diags.len();
    cx.check_keys(entries, IMAP_KEYS, "in `imap`");
    // A password is secret: no diagnostic may quote it, whether it is written literally (also
    // with `$` in it) or partly, or is a broken template.
    if let Some(node) = get(entries, "password") {
        cx.secret_spot(node);
        if let Some(text) = node.scalar_text(cx.source)
            && !super::context::is_pure_reference(&text)
            && !text.is_empty()
        {
            cx.literal_secrets.push(text);
        }
    }
    let host = get(entries, "host").and_then(|n| resolver.host(cx, n));
    let port = get(entries, "port").and_then(|n| resolver.port(cx, n));
    let tls = match get(entries, "tls") {
        None => ImapTls::default(),
        Some(n) => {
            let text = resolver.text(cx, n, "`tls`")?;
            match text.trim().to_ascii_lowercase().as_str() {
                "implicit" => ImapTls::Implicit,
                "starttls" => ImapTls::StartTls,
                "none" => ImapTls::None,
                _ => {
                    cx.error(
                        n,
                        format!("invalid IMAP `tls` mode `{text}`"),
                        Some(
                            "use `starttls` (port 143, the default), `implicit` (port 993) or `none`"
                                .into(),
                        ),
                    );
                    return None;
                }
            }
        }
    };
    let mut field = |name: &str| {
        let found = get(entries, name);
        if found.is_none() {
            cx.error(node, format!("`imap` needs `{name}`"), None);
        }
        found.and_then(|n| cx.template_in(n, &format!("`{name}`"), scope))
    };
    let username = field("username");
    let password = field("password");
    let over = resolver.starttls(cx, entries).options;
    if cx.diags.len() != before {
        return None;
    }
    Some(ImapSpec {
        host,
        port,
        tls,
        username: username?,
        password: crate::template::SecretTemplate::new(password?),
        tls_options: TlsOptions {
            client_cert: None,
            client_key: None,
            ..over
        },
    })
}

/// A `mailbox` step without `message_id:` looks for the message of an earlier `data` step of
/// its scenario: there must be one.
pub(crate) fn check_sent_before(cx: &mut Cx<'_>, step: &crate::model::Step, sent_before: bool) {
    if let Action::Mailbox(spec) = &step.action
        && spec.message_id.is_none()
        && !sent_before
    {
        cx.error_at(
            step.span.line,
            step.span.col,
            7,
            "`mailbox` looks for the message of an earlier `data` step, and this scenario sends none before it",
            Some("send the message first, or say which one to look for with `message_id: '<id@example.com>'`".into()),
        );
    }
}
