//! `{:?}` and `{:#?}` of a loaded plan and of the load options show no form of any secret:
//! passwords and tokens written literally in `auth`, secrets from `${env:..}` (in `vars:` and
//! inline), listed literal secrets, a secret written again literally in a `send:`, a name, a
//! regex, and base64 of one in a command.

use std::collections::BTreeSet;

use smtp_plan::model::VarValues;
use smtp_plan::scenario::{LoadOptions, load_plans_with_env};

use super::leak_forms::values;
use super::{assert_clean_of, forms_of, yaml_str};

/// In a plan a value is a template: `${` is written `$${`.
fn written(v: &str) -> String {
    yaml_str(&v.replace("${", "$${"))
}

fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// One scenario per value, each holding it in every place a plan can.
fn plan_text(values: &[String]) -> String {
    let mut s = String::from(
        "name: debug\ntarget: {host: 127.0.0.1, port: 2525}\nvars:\n  user: u@example.test\n",
    );
    for (i, v) in values.iter().enumerate() {
        s.push_str(&format!("  env{i}: '${{env:DBG_ENV_{i}}}'\n"));
        s.push_str(&format!("  listed{i}: {}\n", written(v)));
    }
    let listed: Vec<String> = (0..values.len()).map(|i| format!("listed{i}")).collect();
    s.push_str(&format!("secrets: [{}]\nscenarios:\n", listed.join(", ")));
    for (i, v) in values.iter().enumerate() {
        let one_line = !v.contains(['\r', '\n']);
        let name = if one_line && v.len() < 300 {
            format!("value {i} {v}")
        } else {
            format!("value {i}")
        };
        s.push_str(&format!("  - name: {}\n    steps:\n", yaml_str(&name)));
        // Written literally: as the password, again in a command and in base64.
        s.push_str(&format!(
            "      - auth: {{mechanism: PLAIN, username: '${{user}}', password: {}}}\n",
            written(v)
        ));
        s.push_str(&format!("      - send: {}\n", written(&format!("X {v}"))));
        s.push_str(&format!(
            "      - send: 'AUTH PLAIN {}'\n",
            b64(&format!("\0u@example.test\0{v}"))
        ));
        if one_line && v.len() < 300 {
            s.push_str(&format!(
                "        expect: {{matches: {}}}\n",
                yaml_str(&regex::escape(v))
            ));
        }
        // From the environment: through a variable, and inline.
        s.push_str(&format!(
            "      - auth: {{mechanism: XOAUTH2, username: '${{user}}', token: '${{env{i}}}'}}\n"
        ));
        s.push_str(&format!(
            "      - auth: {{mechanism: LOGIN, username: '${{user}}', password: '${{env:DBG_INLINE_{i}}}'}}\n"
        ));
        s.push_str(&format!(
            "      - send: 'NOOP ${{listed{i}}} ${{base64(env{i})}}'\n        expect: {{contains: '${{listed{i}}}'}}\n"
        ));
    }
    s
}

/// A distinct value per place (same characters), so that each is found on its own.
fn variant(v: &str, letter: char) -> String {
    let mut out = String::from(letter);
    out.push_str(&v[v.char_indices().nth(1).unwrap().0..]);
    out
}

#[test]
fn debug_of_a_plan_and_its_load_options_shows_no_form_of_a_secret() {
    let values = values();
    let env_values: Vec<String> = values.iter().map(|v| variant(v, 'E')).collect();
    let inline_values: Vec<String> = values.iter().map(|v| variant(v, 'I')).collect();
    let cli_values: Vec<String> = values.iter().map(|v| variant(v, 'C')).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("debug.yaml");
    std::fs::write(&path, plan_text(&values)).unwrap();
    let env = |name: &str| {
        let (list, i) = if let Some(i) = name.strip_prefix("DBG_ENV_") {
            (&env_values, i)
        } else {
            (&inline_values, name.strip_prefix("DBG_INLINE_")?)
        };
        list.get(i.parse::<usize>().ok()?).cloned()
    };
    // As `--secret cliN` gives them.
    let mut vars = VarValues::default();
    let mut secrets = BTreeSet::new();
    for (i, v) in cli_values.iter().enumerate() {
        vars.insert(format!("cli{i}"), v.clone());
        secrets.insert(format!("cli{i}"));
    }
    let options = LoadOptions {
        vars,
        secrets,
        ..LoadOptions::default()
    };
    let plans = load_plans_with_env(&[path], &options, &env).unwrap();
    assert_eq!(plans.len(), 1);
    let plan = &plans[0];
    let all: Vec<String> = [&values, &env_values, &inline_values, &cli_values]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let forms = forms_of(&all);
    // Not vacuous: the plan holds every value, and `Debug` shows the plan.
    assert!(
        plan.secret_values.len() >= all.len(),
        "{}",
        plan.secret_values.len()
    );
    for shown in [
        format!("{plan:?}"),
        format!("{plan:#?}"),
        format!("{options:?}"),
        format!("{:?}", plan.scenarios[0].steps[0]),
        format!("{:#?}", plan.scenarios[1].steps[3]),
        format!("{:?}", plan.scenarios[2].steps[4]),
    ] {
        let masked = ["Password(", "Token(", "LoadOptions"];
        assert!(masked.iter().any(|m| shown.contains(m)), "{shown}");
        assert!(!shown.contains("Password(\"") && !shown.contains("Token(\""));
        assert_clean_of("Debug", &shown, &forms);
    }
    assert!(format!("{plan:?}").contains("\"listed0\""), "{plan:?}");
}
