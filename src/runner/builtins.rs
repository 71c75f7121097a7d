//! The built-in variables (`scenario::BUILTIN_VARS`), set when a scenario runs.

use std::collections::BTreeMap;

use crate::transport::date::{rfc2822, unix_now};

/// A random UUID v4 (RFC 9562) from the operating system's RNG, lowercase hex with dashes.
pub(crate) fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        // No OS randomness: still unique enough within a run (time and a counter).
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mixed = nanos ^ (u128::from(COUNTER.fetch_add(1, Ordering::Relaxed)) << 64);
        b = mixed.to_le_bytes();
    }
    let [
        b0,
        b1,
        b2,
        b3,
        b4,
        b5,
        b6,
        b7,
        b8,
        b9,
        b10,
        b11,
        b12,
        b13,
        b14,
        b15,
    ] = b;
    let b6 = (b6 & 0x0f) | 0x40; // version 4
    let b8 = (b8 & 0x3f) | 0x80; // variant 10
    format!(
        "{b0:02x}{b1:02x}{b2:02x}{b3:02x}-{b4:02x}{b5:02x}-{b6:02x}{b7:02x}-{b8:02x}{b9:02x}-{b10:02x}{b11:02x}{b12:02x}{b13:02x}{b14:02x}{b15:02x}"
    )
}

/// `plan.name` and `scenario.name`: once per scenario. `message_id` (once per scenario),
/// `uuid` and `now` (once per step) are computed only when something uses them: see [`fill`].
pub(crate) fn set_scenario_builtins(
    vars: &mut BTreeMap<String, String>,
    plan: &str,
    scenario: &str,
) {
    vars.insert("plan.name".into(), plan.to_owned());
    vars.insert("scenario.name".into(), scenario.to_owned());
}

/// A new step (or a retry of one): `uuid` and `now` will be fresh when next used.
pub(crate) fn new_step(vars: &mut BTreeMap<String, String>) {
    vars.remove("uuid");
    vars.remove("now");
}

/// Give the computed built-in `name` its value for this step, if it has none yet (a random
/// number and a date string cost a system call each: only spent when a plan uses them).
pub(crate) fn fill(vars: &mut BTreeMap<String, String>, name: &str) {
    if vars.contains_key(name) {
        return;
    }
    let value = match name {
        "uuid" => uuid_v4(),
        "now" => rfc2822(unix_now()),
        "message_id" => format!("<{}@smtp-plan>", uuid_v4()),
        _ => return,
    };
    vars.insert(name.to_owned(), value);
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_and_differ() {
        let a = uuid_v4();
        let b = uuid_v4();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{a}");
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{a}");
    }

    #[test]
    fn every_builtin_is_set_on_use_only() {
        let mut vars = BTreeMap::new();
        set_scenario_builtins(&mut vars, "p", "s");
        assert_eq!(vars.len(), 2, "{vars:?}");
        for name in crate::model::BUILTIN_VARS {
            fill(&mut vars, name);
            assert!(vars.contains_key(*name), "{name}");
        }
        assert!(vars["message_id"].ends_with("@smtp-plan>"));
        assert!(vars["now"].ends_with("+0000"));
        // Kept within a step and for the scenario; uuid and now are new in the next step.
        let (uuid, id) = (vars["uuid"].clone(), vars["message_id"].clone());
        fill(&mut vars, "uuid");
        assert_eq!(vars["uuid"], uuid);
        new_step(&mut vars);
        fill(&mut vars, "uuid");
        fill(&mut vars, "message_id");
        assert_ne!(vars["uuid"], uuid);
        assert_eq!(vars["message_id"], id);
    }
}
