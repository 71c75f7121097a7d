//! The JSON Schema (draft 2020-12) of the plan format, printed by `smtp-plan schema` and
//! committed as `schemas/smtp-plan.schema.json`.
//!
//! One source of truth: every mapping's `properties` are exactly the key list the loader
//! checks that mapping against (`PLAN_KEYS`, `TARGET_KEYS`, `step_keys()`, ...), and each
//! key's value schema comes from [`value_schema`]. A key the loader accepts but this file does
//! not describe makes [`plan_schema`] fail (and its unit test, and `smtp-plan schema`), so the
//! two cannot drift apart. To add a key: add it to the loader's list, then an arm here.
//!
//! Why one file: the schema is one table built from the loader's key lists, so that the
//! drift test compares one thing with the shipped file.

use serde_json::{Map, Value, json};

use super::envelope::{ENVELOPE_KEYS, RECIPIENT_KEYS};
use super::expect::EXPECT_KEYS;
use super::load::PLAN_KEYS;
use super::mailbox::{IMAP_KEYS, MAILBOX_KEYS};
use super::mailbox_expect::{
    BODY_EXPECT_KEYS, COUNT_KEYS, HEADER_EXPECT_KEYS, MAILBOX_ATTACHMENT_KEYS, MAILBOX_EXPECT_KEYS,
};
use super::message::{ATTACHMENT_KEYS, DATA_KEYS};
use super::proxy::PROXY_KEYS;
use super::scenarios::SCENARIO_KEYS;
use super::step::{AUTH_KEYS, BARE, EHLO_KEYS, STARTTLS_KEYS, step_keys};
use super::step_options::{MAX_RETRIES, RETRY_KEYS};
use super::target::{CONNECT_KEYS, TARGET_KEYS};
use super::tls_expect::{CERT_EXPECT_KEYS, TLS_EXPECT_KEYS};
use super::xclient::{XCLIENT_KEYS, XFORWARD_KEYS};

/// The schema's `$id`.
pub const SCHEMA_ID: &str = "urn:smtp-plan:schema:plan";

/// Each kind of mapping in a plan: its `$defs` name, the loader's keys for it, the keys it
/// requires, and a description.
fn mappings() -> Vec<(
    &'static str,
    Vec<&'static str>,
    &'static [&'static str],
    &'static str,
)> {
    vec![
        (
            "plan",
            PLAN_KEYS.to_vec(),
            &[],
            "A plan file (one test suite), or a file of shared definitions that plans `include` (then only `include`, `vars`, `secrets`, `groups` and `target`).",
        ),
        (
            "scenario",
            SCENARIO_KEYS.to_vec(),
            &["name", "steps"],
            "One scenario: one connection (or more, with `connect`) and one JUnit test case.",
        ),
        (
            "target",
            TARGET_KEYS.to_vec(),
            &[],
            "Connection settings; a scenario's keys win over the plan's, one by one.",
        ),
        (
            "connect",
            CONNECT_KEYS.to_vec(),
            &[],
            "Where to open the new connection; missing keys come from the scenario's target.",
        ),
        (
            "proxy",
            PROXY_KEYS.to_vec(),
            &["version", "source", "destination"],
            "A PROXY protocol header sent before anything else on each connection, as a load balancer would.",
        ),
        (
            "step",
            step_keys(),
            &[],
            "One action with an optional `expect`, `retry` and `timeout`; or `expect` alone (read a reply); or `use: GROUP`.",
        ),
        (
            "starttls",
            STARTTLS_KEYS.to_vec(),
            &[],
            "STARTTLS options for this handshake.",
        ),
        (
            "tls_expect",
            TLS_EXPECT_KEYS.to_vec(),
            &[],
            "What the TLS session must be: checked after `starttls`, or on any step of a TLS connection.",
        ),
        (
            "cert_expect",
            CERT_EXPECT_KEYS.to_vec(),
            &[],
            "What the server certificate must hold.",
        ),
        (
            "auth",
            AUTH_KEYS.to_vec(),
            &["mechanism"],
            "The whole SASL exchange; base64 is done for you. The password is always redacted. `username` is required but for GSSAPI.",
        ),
        (
            "envelope",
            ENVELOPE_KEYS.to_vec(),
            &["address"],
            "An envelope address with ESMTP parameters.",
        ),
        (
            "recipient",
            RECIPIENT_KEYS.to_vec(),
            &["address"],
            "One recipient of `rcpt_to: [..]`, with its own `expect` (default: the step's).",
        ),
        (
            "ehlo",
            EHLO_KEYS.to_vec(),
            &["name"],
            "EHLO with options: `helo_fallback: true` sends HELO when EHLO gets a 5xx.",
        ),
        (
            "xclient",
            XCLIENT_KEYS.to_vec(),
            &[],
            "XCLIENT attributes (Postfix): the client to claim; values are xtext-encoded for you.",
        ),
        (
            "xforward",
            XFORWARD_KEYS.to_vec(),
            &[],
            "XFORWARD attributes (Postfix): the original client of a forwarded message.",
        ),
        (
            "data",
            DATA_KEYS.to_vec(),
            &[],
            "The message from a `file`, or built from `headers`, `body` and `attachments` (Date and Message-ID added when missing).",
        ),
        (
            "attachment",
            ATTACHMENT_KEYS.to_vec(),
            &["file"],
            "A file attached to a structured message.",
        ),
        (
            "expect_map",
            EXPECT_KEYS.to_vec(),
            &[],
            "Every given key must hold.",
        ),
        (
            "retry",
            RETRY_KEYS.to_vec(),
            &["count"],
            "Re-play the step while it fails.",
        ),
        (
            "mailbox",
            MAILBOX_KEYS.to_vec(),
            &[],
            "Wait for the message an earlier `data` step sent to arrive, in an IMAP account or a Maildir (give one of `imap`, `maildir`).",
        ),
        (
            "imap",
            IMAP_KEYS.to_vec(),
            &["username", "password"],
            "The IMAP account to look in; TLS is verified as for SMTP, the password is always secret.",
        ),
        (
            "mailbox_expect",
            MAILBOX_EXPECT_KEYS.to_vec(),
            &[],
            "What must hold of the delivered message (on a `mailbox` step).",
        ),
        (
            "header_expect",
            HEADER_EXPECT_KEYS.to_vec(),
            &[],
            "Checks on a header field: its values (top first) are joined by a newline.",
        ),
        (
            "body_expect",
            BODY_EXPECT_KEYS.to_vec(),
            &[],
            "Checks on the decoded text body.",
        ),
        (
            "mailbox_attachment",
            MAILBOX_ATTACHMENT_KEYS.to_vec(),
            &[],
            "An attachment the delivered message must have (every given key must hold).",
        ),
        (
            "count",
            COUNT_KEYS.to_vec(),
            &[],
            "How many times a header field may occur.",
        ),
    ]
}

/// A scalar the loader reads as text: YAML may type `n`, `yes` or `25` as a boolean or a
/// number, and the loader takes them as written.
fn string(description: &str) -> Value {
    json!({"type": ["string", "number", "boolean"], "description": description})
}

fn refer(def: &str) -> Value {
    json!({"$ref": format!("#/$defs/{def}")})
}

/// The schema of the value of `key` in the mapping `place`; None = not described (a bug,
/// caught by the tests).
fn value_schema(place: &str, key: &str) -> Option<Value> {
    Some(match (place, key) {
        ("plan", "name") => string("The suite name; default: the file stem."),
        ("plan", "include") => json!({
            "description": "Files of shared `vars`, `secrets`, `groups` and `target` defaults, relative to this file.",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": ["string", "number", "boolean"]}}]
        }),
        ("plan" | "scenario", "target") => refer("target"),
        ("plan" | "scenario", "vars") => refer("vars"),
        ("plan", "secrets") => json!({
            "description": "Variables whose values are never printed, in any output or report.",
            "type": "array", "items": {"type": ["string", "number", "boolean"]}
        }),
        ("scenario", "secrets") => json!({
            "description": "Variables of this scenario (its own, the plan's, or values its steps capture) whose values are never printed, in any output or report of the plan.",
            "type": "array", "items": {"type": ["string", "number", "boolean"]}
        }),
        ("plan", "groups") => json!({
            "description": "Named lists of steps, used in scenarios with `- use: NAME`.",
            "type": "object",
            "propertyNames": refer("name"),
            "additionalProperties": {"type": "array", "minItems": 1, "items": refer("step")}
        }),
        ("plan", "scenarios") => json!({
            "type": "array", "minItems": 1, "items": refer("scenario")
        }),
        ("scenario", "name") => json!({
            "description": "Unique in the file; the JUnit test case name.",
            "type": ["string", "number", "boolean"]
        }),
        ("scenario", "tags") => {
            json!({"type": "array", "items": {"type": ["string", "number", "boolean"]}})
        }
        ("scenario", "skip") => json!({
            "description": "Do not run this scenario; report it as skipped with this reason.",
            "type": "string", "minLength": 1
        }),
        ("scenario", "steps") => json!({"type": "array", "minItems": 1, "items": refer("step")}),
        ("target" | "connect", "host") => string(
            "Host name or IP address (IPv6 without brackets, or as \"[::1]\"); not a URL, and without a port (that is `port`).",
        ),
        ("target" | "connect", "port") => json!({
            "anyOf": [{"type": "integer", "minimum": 1, "maximum": 65535}, refer("template")]
        }),
        ("target" | "connect", "tls") => json!({
            "description": "none (plain, upgraded by a `starttls` step) or implicit (TLS from the start).",
            "anyOf": [{"enum": ["none", "implicit"]}, refer("template")]
        }),
        ("target", "timeout") => json!({
            "description": "How long to wait for each reply.",
            "anyOf": [refer("duration"), refer("template")]
        }),
        ("target" | "starttls", "ca_file") => {
            string("An extra trust anchor (PEM), relative to the plan file.")
        }
        ("target" | "starttls", "insecure") => json!({
            "description": "Do not verify the server certificate.",
            "anyOf": [{"type": "boolean"}, refer("template")]
        }),
        ("target" | "starttls", "server_name") => {
            string("The name for SNI and the certificate check; default: the host.")
        }
        ("target" | "starttls", "client_cert") => string(
            "A client certificate (PEM chain) to present, relative to the plan file; needs `client_key`.",
        ),
        ("target" | "starttls", "client_key") => {
            string("The client certificate's private key (PEM), relative to the plan file.")
        }
        ("target" | "starttls", "min_version") => json!({
            "description": "The oldest TLS version to accept: \"1.2\" or \"1.3\".",
            "anyOf": [{"enum": ["1.2", "1.3", 1.2, 1.3]}, refer("template")]
        }),
        ("target" | "connect", "proxy") => refer("proxy"),
        ("target" | "connect", "bind") => {
            string("The local IP address to connect from, e.g. 127.0.0.2.")
        }
        ("target" | "connect", "socket") => string(
            "A Unix domain socket to connect to instead of host and port (e.g. an LMTP server's /run/dovecot/lmtp), relative to the plan file; not with host, port, bind or proxy.",
        ),
        ("proxy", "version") => json!({
            "description": "1 (the text header) or 2 (the binary one).",
            "enum": [1, 2, "1", "2"]
        }),
        ("proxy", "source" | "destination") => {
            string("IP:PORT the header claims, e.g. 127.0.0.5:4000 or [::1]:25.")
        }
        ("target" | "starttls", "pin_sha256") => json!({
            "description": "Trust exactly the certificate with this SHA-256 fingerprint (64 hex digits, `:` between pairs allowed), or one of a list, whoever issued it; its name and dates are still checked.",
            "anyOf": [
                {"type": "string", "pattern": "^\\s*([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}\\s*$"},
                {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^\\s*([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}\\s*$"}},
                refer("template")
            ]
        }),
        ("starttls", "required") => json!({
            "description": "false: a server without STARTTLS passes, and the scenario goes on in plaintext.",
            "type": "boolean"
        }),
        ("step", "allow_plaintext") => json!({
            "description": "On `auth`, `send`, `ehlo`, `helo`, `lhlo`, `mail_from`, `rcpt_to`, `vrfy`, `data`, `bdat`, `etrn`, `expn`, `help` and `mailbox`: let a secret (credentials, or a secret variable in the command or message, or the IMAP password) go over a connection without TLS (negative tests).",
            "type": "boolean"
        }),
        ("expect_map", "tls") => refer("tls_expect"),
        ("expect_map", "within") => json!({
            "description": "The reply must come this soon after the command was sent (a FAIL when later; no reply at all is the timeout ERROR).",
            "$ref": "#/$defs/duration"
        }),
        ("tls_expect", "version") => json!({
            "description": "The negotiated version must be one of these: TLSv1.2, TLSv1.3.",
            "anyOf": [{"type": "string"}, {"type": "array", "minItems": 1, "items": {"type": "string"}}]
        }),
        ("tls_expect", "cipher") => string("A regex over the cipher suite name, e.g. 'AES.*GCM'."),
        ("tls_expect", "cert") => refer("cert_expect"),
        ("cert_expect", "names_include") => json!({
            "description": "Names (DNS or IP) the certificate must hold.",
            "type": "array", "items": {"type": ["string", "number", "boolean"]}
        }),
        ("cert_expect", "subject_matches" | "issuer_matches") => {
            string("A regex over the subject / issuer, e.g. '^CN=mail\\.contoso\\.com$'.")
        }
        ("cert_expect", "valid_for_at_least") => json!({
            "description": "The certificate must stay valid this long (a duration, at most 3650d): 30d, 12h, 1.5h.",
            "$ref": "#/$defs/duration"
        }),
        ("starttls", "expect") | ("step", "expect") => refer("expect"),
        ("step", "send") => string(
            "A raw line, sent with CRLF; any reply is accepted unless `expect` says otherwise.",
        ),
        ("step", "ehlo") => json!({
            "description": "The client name, or {name, helo_fallback}; expects 250.",
            "anyOf": [{"type": ["string", "number", "boolean"]}, refer("ehlo")]
        }),
        ("ehlo", "name") => string("The client name."),
        ("ehlo", "helo_fallback") => json!({
            "description": "When EHLO gets a 5xx, send HELO with the same name (as clients do); the transcript says so.",
            "type": "boolean"
        }),
        ("step", "helo" | "lhlo") => string("The client name; expects 250."),
        ("step", "etrn") => string(
            "ETRN (RFC 1985) for this domain or #queue; expects 25x; ETRN must be advertised.",
        ),
        ("step", "expn") => string("EXPN argument (a mailing list); any reply."),
        ("step", "help") => json!({
            "description": "HELP, or HELP TOPIC; expects 211 or 214.",
            "type": ["null", "string", "number", "boolean"]
        }),
        ("step", "pipeline") => json!({
            "description": "PIPELINING (RFC 2920): mail_from, rcpt_to, rset, noop and, last, data steps sent in one write; each reply checked in order against its own `expect`.",
            "type": "array", "minItems": 1, "items": refer("step")
        }),
        ("step", "bdat") => json!({
            "description": "CHUNKING (RFC 3030): the message (as for `data`) in BDAT chunks, LAST on the final one; `expect` applies to the final reply, or to a refused chunk.",
            "anyOf": [{"type": "string"}, refer("data")]
        }),
        ("step", "chunk_size") => json!({
            "description": "On `bdat`: cut the message into chunks of this many bytes (default 65536).",
            "type": "integer", "minimum": 1
        }),
        ("step", "chunks") => json!({
            "description": "On `bdat`: the sizes of the first chunks, in bytes; the rest of the message is the last chunk.",
            "type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 0}
        }),
        ("step", "xclient") => json!({
            "description": "XCLIENT (Postfix): claim another client; expects 220, the server's new greeting (say EHLO again). XCLIENT and each attribute must be advertised.",
            "allOf": [refer("xclient"), {"minProperties": 1}]
        }),
        ("step", "xforward") => json!({
            "description": "XFORWARD (Postfix): the original client of a forwarded message; expects 250. XFORWARD and each attribute must be advertised.",
            "allOf": [refer("xforward"), {"minProperties": 1}]
        }),
        ("xclient" | "xforward", "name" | "reverse_name" | "helo" | "login" | "ident") => {
            string("A name, or [UNAVAILABLE] / [TEMPUNAVAIL].")
        }
        ("xclient" | "xforward", "addr" | "destaddr") => {
            string("An IP address (IPv6 as IPV6:...), or [UNAVAILABLE].")
        }
        ("xclient" | "xforward", "port" | "destport") => json!({
            "description": "A TCP port number.",
            "type": ["integer", "string"]
        }),
        ("xclient" | "xforward", "proto") => string("SMTP or ESMTP."),
        ("xforward", "source") => string("LOCAL or REMOTE."),
        ("step", "send_anyway") => json!({
            "description": "Send a command or ESMTP parameter even though the last EHLO did not advertise its extension (otherwise the step fails before sending).",
            "type": "boolean"
        }),
        ("step", "vrfy") => string("VRFY argument; any reply."),
        ("step", "starttls") => json!({
            "description": "STARTTLS, expect 220, TLS handshake, verify.",
            "anyOf": [{"type": "null"}, refer("starttls")]
        }),
        ("step", "auth") => refer("auth"),
        ("step", "mail_from") => json!({
            "description": "An address without angle brackets (\"\" = the null sender).",
            "anyOf": [{"type": ["string", "number", "boolean"]}, refer("envelope")]
        }),
        ("step", "rcpt_to") => json!({
            "description": "An address without angle brackets, or a list of recipients (one RCPT TO each).",
            "anyOf": [
                {"type": ["string", "number", "boolean"]},
                refer("envelope"),
                {"type": "array", "minItems": 1, "items": {"anyOf": [{"type": ["string", "number", "boolean"]}, refer("recipient")]}}
            ]
        }),
        ("envelope" | "recipient", "size") => json!({
            "description": "SIZE= (RFC 1870): a number of bytes, or `message` for the size of the next `data` step's message.",
            "anyOf": [{"type": "integer", "minimum": 0}, {"const": "message"}, refer("template")]
        }),
        ("envelope", "body") => json!({
            "description": "BODY= (RFC 6152 / RFC 3030); 8BITMIME needs 8BITMIME advertised, BINARYMIME needs BINARYMIME and CHUNKING.",
            "enum": ["7BIT", "8BITMIME", "BINARYMIME", "7bit", "8bitmime", "binarymime"]
        }),
        ("envelope", "smtputf8") => json!({
            "description": "SMTPUTF8 (RFC 6531); needs SMTPUTF8 advertised.",
            "type": "boolean"
        }),
        ("envelope", "ret") => json!({
            "description": "RET= (RFC 3461 DSN): FULL or HDRS.",
            "enum": ["FULL", "HDRS", "full", "hdrs"]
        }),
        ("envelope", "envid") => string("ENVID= (RFC 3461 DSN), xtext-encoded for you."),
        ("envelope" | "recipient", "notify") => json!({
            "description": "NOTIFY= (RFC 3461 DSN): NEVER, or any of SUCCESS, FAILURE, DELAY.",
            "anyOf": [{"type": "string"}, {"type": "array", "minItems": 1, "items": {"enum": ["NEVER", "SUCCESS", "FAILURE", "DELAY", "never", "success", "failure", "delay"]}}]
        }),
        ("envelope" | "recipient", "orcpt") => {
            string("ORCPT=rfc822;ADDRESS (RFC 3461 DSN), xtext-encoded for you.")
        }
        ("recipient", "expect") => refer("expect"),
        ("step", "data") => json!({
            "description": "The message: text (CRLF line ends and dot-stuffing done for you), a file, or headers + body + attachments.",
            "anyOf": [{"type": "string"}, refer("data")]
        }),
        ("step", "rset" | "noop" | "quit" | "expect_close") => json!({"type": "null"}),
        ("step", "sleep") => refer("duration"),
        ("step", "connect") => json!({"anyOf": [{"type": "null"}, refer("connect")]}),
        ("step", "retry") => json!({
            "description": "Re-send the command (or re-connect) while the step fails: `retry: N` or `{count, interval}`.",
            "anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_RETRIES}, refer("retry")]
        }),
        ("step", "timeout") => json!({
            "description": "The reply timeout for this step, instead of the target's.",
            "$ref": "#/$defs/duration"
        }),
        ("step", "use") => json!({
            "description": "Play the steps of this group (defined under `groups:` here or in an included file).",
            "$ref": "#/$defs/name"
        }),
        ("auth", "mechanism") => json!({
            "type": "string",
            "examples": ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER", "NTLM", "GSSAPI", "auto"]
        }),
        ("auth", "password") => string("May use ${..} variables."),
        ("auth", "username") => string(
            "May use ${..} variables. For GSSAPI, optional: the authorization identity (default: the ticket's principal).",
        ),
        ("auth", "service") => string(
            "GSSAPI: the server's Kerberos service, `smtp@HOST` (host-based) or a principal `smtp/HOST@REALM`; default `smtp@` the target's host. The ticket comes from the environment (KRB5CCNAME, or a keytab in KRB5_CLIENT_KTNAME).",
        ),
        ("auth", "token") => {
            string("An OAuth 2.0 bearer token (XOAUTH2, OAUTHBEARER); always secret.")
        }
        ("auth", "initial_response") => json!({
            "description": "PLAIN: send the credentials with AUTH (true, the default) or after an empty 334 (false).",
            "type": "boolean"
        }),
        ("envelope" | "recipient", "address") => string("Without angle brackets."),
        ("envelope" | "recipient", "params") => {
            json!({"type": "array", "items": {"type": ["string", "number", "boolean"]}})
        }
        ("data", "file") => string(
            "A message file (headers and body), relative to this file; `${..}` substituted unless `raw`.",
        ),
        ("data", "raw") => {
            json!({"description": "Send the file as it is, without `${..}` substitution.", "type": "boolean"})
        }
        ("data", "headers") => json!({
            "type": "object",
            "propertyNames": {"pattern": "^[!-9;-~]+$"},
            "additionalProperties": {"type": ["string", "number", "boolean"]}
        }),
        ("data", "body") => string("The text/plain body."),
        ("data", "attachments") => json!({"type": "array", "items": refer("attachment")}),
        ("attachment", "file") => string("Relative to this file; read at load time."),
        ("attachment", "content_type") => json!({
            "type": "string", "pattern": "^[^\\s/]+/[^\\s]+$",
            "description": "Default: from the file extension, else application/octet-stream."
        }),
        ("attachment", "name") => string("The file name in the message; default: the file's."),
        ("expect_map", "code") => refer("codes"),
        ("expect_map", "enhanced") => json!({
            "description": "RFC 3463 code at the start of the reply text: 2.1.5, 5.7.139, 5.x.x.",
            "type": "string",
            "pattern": "^\\s*[245xX]\\.([0-9]{1,3}|[xX])\\.([0-9]{1,3}|[xX])\\s*$"
        }),
        ("expect_map", "matches" | "not_matches") => {
            string("A regex (Rust syntax) over the reply text.")
        }
        ("expect_map", "contains") => string("Text the reply must contain."),
        ("expect_map", "capabilities" | "lacks") => json!({
            "description": "EHLO keywords (`AUTH LOGIN` = AUTH lists LOGIN).",
            "type": "array", "minItems": 1, "items": {"type": ["string", "number", "boolean"]}
        }),
        ("expect_map", "capture") => json!({
            "description": "name: regex; the first group (or the whole match) becomes ${name}.",
            "type": "object", "minProperties": 1,
            "propertyNames": refer("name"),
            "additionalProperties": {"type": ["string", "number", "boolean"]}
        }),
        ("expect_map", "fails") => json!({
            "description": "The step must fail this way (or one of a list of ways): the TLS handshake (`tls`, or by cause: `untrusted`, `self_signed`, `expired`, `not_yet_valid`, `wrong_name`, `protocol_version`, `no_shared_cipher`; on `starttls` and `connect`), the connection (`refused`, on `connect`), `timeout`, `closed` (or reset) or `reset`. It then passes and the connection is closed. Stands alone in `expect`.",
            "anyOf": [
                refer("expected_failure"),
                {"type": "array", "minItems": 1, "items": refer("expected_failure")}
            ]
        }),
        ("expect_map", "per_recipient") => json!({
            "description": "On `data` in an LMTP session: the expectation of each accepted recipient's reply, in RCPT order (default code 250).",
            "type": "array", "minItems": 1, "items": refer("expect")
        }),
        ("retry", "count") => json!({"type": "integer", "minimum": 1, "maximum": MAX_RETRIES}),
        ("step", "mailbox") => refer("mailbox"),
        ("mailbox", "imap") => refer("imap"),
        ("mailbox", "maildir") => {
            string("A Maildir on this machine (its root is INBOX), relative to the plan file.")
        }
        ("mailbox", "message_id") => string(
            "The Message-ID to look for; default: the one the last `data` step sent (added to the message when it has none).",
        ),
        ("mailbox", "folders") => json!({
            "description": "The folders to look in; default: every folder.",
            "anyOf": [{"type": "string"}, {"type": "array", "minItems": 1, "items": {"type": "string"}}]
        }),
        ("mailbox", "within") => json!({
            "description": "How long to wait for the message (default 30s); with `arrives: false`, how long it must stay away.",
            "$ref": "#/$defs/duration"
        }),
        ("mailbox", "poll") => json!({
            "description": "How often to look (default 500ms).",
            "$ref": "#/$defs/duration"
        }),
        ("imap", "host") => string("Default: the scenario's target host."),
        ("imap", "port") => json!({
            "description": "Default: 993 with `tls: implicit`, else 143.",
            "anyOf": [{"type": "integer", "minimum": 1, "maximum": 65535}, refer("template")]
        }),
        ("imap", "tls") => json!({
            "description": "starttls (the default), implicit, or none (the login then needs `allow_plaintext: true`).",
            "anyOf": [{"enum": ["starttls", "implicit", "none"]}, refer("template")]
        }),
        ("imap", "username") => string("May use ${..} variables."),
        ("imap", "password") => string("Always secret; may use ${..} variables."),
        ("imap", "ca_file") => {
            string("An extra trust anchor (PEM), relative to the plan file; default: the target's.")
        }
        ("imap", "insecure") => json!({
            "description": "Do not verify the IMAP server's certificate; default: the target's.",
            "anyOf": [{"type": "boolean"}, refer("template")]
        }),
        ("imap", "server_name") => {
            string("The name for SNI and the certificate check; default: the IMAP host.")
        }
        ("imap", "min_version") => json!({
            "description": "The oldest TLS version to accept: \"1.2\" or \"1.3\".",
            "anyOf": [{"enum": ["1.2", "1.3", 1.2, 1.3]}, refer("template")]
        }),
        ("mailbox_expect", "arrives") => json!({
            "description": "false: the message must NOT arrive within `within` (nothing else may then be checked).",
            "type": "boolean"
        }),
        ("mailbox_expect", "folder") => string("The folder it must be in (INBOX, Junk, ...)."),
        ("mailbox_expect", "headers") => json!({
            "description": "NAME: present | absent | {count, equals, contains, matches, not_matches, capture}.",
            "type": "object", "minProperties": 1,
            "propertyNames": {"pattern": "^[!-9;-~]+$"},
            "additionalProperties": {"anyOf": [{"enum": ["present", "absent"]}, {"allOf": [refer("header_expect"), {"minProperties": 1}]}]}
        }),
        ("mailbox_expect", "body") => {
            json!({"allOf": [refer("body_expect"), {"minProperties": 1}]})
        }
        ("mailbox_expect", "attachments") => {
            json!({"type": "array", "minItems": 1, "items": refer("mailbox_attachment")})
        }
        ("mailbox_expect", "structure") => {
            string("The MIME tree, e.g. 'multipart/mixed(text/plain, application/pdf)'.")
        }
        ("header_expect", "count") => json!({
            "description": "How many fields of this name: a number, or {min, max}.",
            "anyOf": [{"type": "integer", "minimum": 0}, refer("count")]
        }),
        ("count", "min" | "max") => json!({"type": "integer", "minimum": 0}),
        ("header_expect" | "body_expect", "equals") => string("The whole text must be this."),
        ("header_expect" | "body_expect", "contains") => string("Text it must contain."),
        ("header_expect" | "body_expect", "matches" | "not_matches") => {
            string("A regex (Rust syntax) over the text.")
        }
        ("header_expect" | "body_expect", "capture") => json!({
            "description": "name: regex; the first group (or the whole match) becomes ${name}.",
            "type": "object", "minProperties": 1,
            "propertyNames": refer("name"),
            "additionalProperties": {"type": ["string", "number", "boolean"]}
        }),
        ("mailbox_attachment", "name") => string("The attachment's file name."),
        ("mailbox_attachment", "content_type") => json!({
            "type": "string", "pattern": "^[^\\s/;]+/[^\\s;]+$",
            "description": "type/subtype, without parameters."
        }),
        ("mailbox_attachment", "size") => {
            json!({"description": "Decoded size in bytes.", "type": "integer", "minimum": 0})
        }
        ("retry", "interval") => refer("duration"),
        _ => return None,
    })
}

/// The plan format's JSON Schema, or which key the loader accepts that it does not describe.
pub fn plan_schema() -> Result<Value, String> {
    let mut defs = Map::new();
    for (place, keys, required, description) in mappings() {
        let mut properties = Map::new();
        for key in keys {
            let schema = value_schema(place, key)
                .ok_or_else(|| format!("the schema does not describe `{key}` in `{place}`"))?;
            properties.insert(key.to_owned(), schema);
        }
        let mut object = json!({
            "type": "object",
            "description": description,
            "properties": properties,
            "additionalProperties": false,
        });
        if !required.is_empty()
            && let Some(map) = object.as_object_mut()
        {
            map.insert("required".into(), json!(required));
        }
        // `plan` and `step` have other forms too (see below): their mappings are `*_map`.
        let name = match place {
            "plan" | "step" => format!("{place}_map"),
            _ => place.to_owned(),
        };
        defs.insert(name, object);
    }
    let shared = json!({
        "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
        "template": {
            "description": "A value with ${name} / ${env:NAME} / ${env:NAME:-default} references.",
            "type": "string",
            "pattern": "\\$\\{"
        },
        "duration": {
            "description": "A number and a unit: 500ms, 10s, 1.5s, 2m, 1h, 1d.",
            "type": "string",
            "pattern": "^\\s*[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)\\s*$"
        },
        "vars": {
            "description": "Variables, resolved in order; a value may use ${env:..} and earlier variables.",
            "type": "object",
            "propertyNames": refer("name"),
            "additionalProperties": {"type": ["string", "number", "boolean"]}
        },
        "code": {
            "anyOf": [
                {"type": "integer", "minimum": 200, "maximum": 599},
                {"type": "string", "pattern": "^\\s*[2-5][0-9xX][0-9xX]\\s*$"}
            ]
        },
        "codes": {
            "description": "A reply code (250), a class (\"2xx\", \"25x\") or a list of them.",
            "anyOf": [refer("code"), {"type": "array", "minItems": 1, "items": refer("code")}]
        },
        "expect": {
            "description": "A reply expectation; on a `mailbox` step, what must hold of the delivered message.",
            "anyOf": [refer("codes"), refer("expect_map"), refer("mailbox_expect")]
        },
        "expected_failure": {
            "enum": crate::model::ExpectedFailure::all().map(|f| f.word()).collect::<Vec<_>>()
        },
        "step": {
            "anyOf": [
                {"description": "A step without a value.", "enum": BARE},
                {"allOf": [refer("step_map"), {"minProperties": 1}]}
            ]
        },
    });
    if let Value::Object(shared) = shared {
        defs.extend(shared);
    }
    Ok(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "smtp-plan plan",
        "description": "A declarative SMTP test plan for smtp-plan, or a file of definitions that plans include.",
        "$ref": "#/$defs/plan_map",
        "$defs": defs,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::scenario::reuse::INCLUDE_FILE_KEYS;

    #[test]
    fn every_key_the_loader_accepts_is_described() {
        let schema = plan_schema().unwrap();
        let defs = &schema["$defs"];
        for (place, keys, _, _) in mappings() {
            let name = match place {
                "plan" | "step" => format!("{place}_map"),
                _ => place.to_owned(),
            };
            let props = defs[&name]["properties"].as_object().unwrap();
            assert_eq!(props.len(), keys.len(), "{place}");
            for key in keys {
                assert!(props.contains_key(key), "`{key}` missing in {place}");
            }
            assert_eq!(defs[&name]["additionalProperties"], false, "{place}");
        }
    }

    #[test]
    fn an_undescribed_key_is_an_error() {
        assert!(value_schema("step", "no_such_key").is_none());
    }

    #[test]
    fn included_files_use_the_plan_keys() {
        for key in INCLUDE_FILE_KEYS {
            assert!(PLAN_KEYS.contains(key), "{key}");
        }
    }

    #[test]
    fn bare_steps_are_listed() {
        let schema = plan_schema().unwrap();
        let bare = &schema["$defs"]["step"]["anyOf"][0]["enum"];
        assert_eq!(bare.as_array().unwrap().len(), BARE.len());
    }
}
