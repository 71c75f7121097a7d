//! Parsing and rendering templates: every form, every error at its offset.
#![allow(clippy::unwrap_used)]

use super::*;

fn env(name: &str) -> Option<String> {
    (name == "HOST").then(|| "mx.example".to_owned())
}

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn substitutes_vars_and_env() {
    let t = Template::parse("a ${user} at ${env:HOST} ${env:NOPE:-dflt}", &env).unwrap();
    assert_eq!(
        t.render(&vars(&[("user", "bob")])).unwrap(),
        "a bob at mx.example dflt"
    );
    assert_eq!(t.vars().collect::<Vec<_>>(), vec![("user", 2)]);
}

#[test]
fn an_environment_value_is_never_shown_but_its_line_break_is_found() {
    let env = |name: &str| (name == "PW").then(|| "Env-S3cret\r\nRSET".to_owned());
    let t = Template::parse("NOOP ${env:PW}", &env).unwrap();
    assert_eq!(
        t.render(&BTreeMap::new()).unwrap(),
        "NOOP Env-S3cret\r\nRSET"
    );
    assert_eq!(t.to_string(), "NOOP ${env:PW}");
    assert!(!format!("{t:?} {t:#?}").contains("Env-S3cret"), "{t:?}");
    assert_eq!(t.line_break_in(&BTreeMap::new()).as_deref(), Some("env:PW"));
    let secret = SecretTemplate::new(Template::parse("Lit-S3cret", &env).unwrap());
    assert_eq!(format!("{secret:?} {secret:#?}"), "*** ***");
    assert_eq!(
        secret.expose().render(&BTreeMap::new()).unwrap(),
        "Lit-S3cret"
    );
}

#[test]
fn an_empty_environment_variable_takes_the_default_as_in_the_shell() {
    let env = |name: &str| (name == "EMPTY").then(String::new);
    let t = Template::parse("[${env:EMPTY:-dflt}] [${env:EMPTY}]", &env).unwrap();
    assert_eq!(t.render(&BTreeMap::new()).unwrap(), "[dflt] []");
    let t = Template::parse("[${env:EMPTY:-}]", &env).unwrap();
    assert_eq!(t.render(&BTreeMap::new()).unwrap(), "[]");
}

#[test]
fn literal_dollar_forms() {
    let t = Template::parse("$${x} costs $5 and P@$$w0rd", &env).unwrap();
    assert_eq!(
        t.render(&BTreeMap::new()).unwrap(),
        "${x} costs $5 and P@$$w0rd"
    );
}

#[test]
fn errors_point_at_the_dollar() {
    let e = Template::parse("ab ${env:MISSING}", &env).unwrap_err();
    assert_eq!(e.offset, 3);
    assert!(e.message.contains("MISSING"));
    let e = Template::parse("x ${open", &env).unwrap_err();
    assert_eq!(e.offset, 2);
    let e = Template::parse("${bad name}", &env).unwrap_err();
    assert_eq!(e.offset, 0);
}

#[test]
fn functions_apply_and_are_traced() {
    let t = Template::parse(
        "${base64(user)} ${base64_plain(user, pw)}|${base64_decode(c)}",
        &env,
    )
    .unwrap();
    let (out, applied) = t
        .render_traced(&vars(&[
            ("user", "tim"),
            ("pw", "tanstaaftanstaaf"),
            ("c", "VXNlcm5hbWU6"),
        ]))
        .unwrap();
    assert_eq!(out, "dGlt AHRpbQB0YW5zdGFhZnRhbnN0YWFm|Username:");
    assert_eq!(applied.len(), 3);
    assert_eq!(applied[1].args, vec!["tim", "tanstaaftanstaaf"]);
    assert_eq!(applied[1].output, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    assert_eq!(
        t.vars().collect::<Vec<_>>(),
        vec![("user", 0), ("user", 16), ("pw", 16), ("c", 42)]
    );
    assert_eq!(
        t.to_string(),
        "${base64(user)} ${base64_plain(user, pw)}|${base64_decode(c)}"
    );
    let bad = Template::parse("${base64_decode(c)}", &env).unwrap();
    assert!(matches!(
        bad.render(&vars(&[("c", "not base64!")])),
        Err(RenderError::NotBase64 { .. })
    ));
}

#[test]
fn function_errors_point_at_the_dollar() {
    let e = Template::parse("x ${base65(user)}", &env).unwrap_err();
    assert_eq!(e.offset, 2);
    assert!(
        e.message.contains("unknown function `base65`"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("base64_plain(user, password)"),
        "{}",
        e.message
    );
    let e = Template::parse("${base64(a, b)}", &env).unwrap_err();
    assert!(
        e.message.contains("takes 1 argument(s), found 2"),
        "{}",
        e.message
    );
    let e = Template::parse("${base64(a b)}", &env).unwrap_err();
    assert!(
        e.message.contains("not a valid variable name"),
        "{}",
        e.message
    );
}

#[test]
fn undefined_at_render() {
    let t = Template::parse("${who}", &env).unwrap();
    assert_eq!(
        t.render(&BTreeMap::new()).unwrap_err(),
        RenderError::Undefined(UndefinedVar { name: "who".into() })
    );
}
