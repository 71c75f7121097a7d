//! A plan file parsed with its scenarios handed over one at a time, so that the YAML tree of a
//! file of 10,000 scenarios is never held whole: each scenario's tree is built, loaded into
//! the model and dropped before the next is parsed.
//!
//! Only the common shape streams: a mapping whose `scenarios:` is a non-empty list, with every
//! key the scenarios depend on (`include`, `target`, `vars`, `groups`) before it. Anything
//! else (another shape, a key the scenarios need coming after them, a YAML error) gives
//! `None`, and the caller loads the file from its whole tree instead, which reports every
//! problem exactly as it always has: what the stream found is then thrown away.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::node::{Key, Node, yaml_options};

/// What the stream hands over, in file order.
pub(crate) enum Event<'a> {
    /// `scenarios:` is reached: the plan's keys before it.
    Scenarios(&'a [(Key, Node)]),
    /// One item of `scenarios:`.
    Scenario(Node),
}

/// The keys the scenarios are loaded with: they must come before `scenarios:` to stream.
const BEFORE_SCENARIOS: &[&str] = &["include", "target", "vars", "groups", "scenarios"];

/// The plan's keys other than `scenarios:`, once every scenario has been handed to `on`; `None`
/// when the file does not stream (see the module documentation).
pub(crate) fn parse_streaming(
    text: &str,
    on: &mut dyn FnMut(Event<'_>),
) -> Option<Vec<(Key, Node)>> {
    if text.len() > super::node::MAX_FILE_BYTES {
        return None;
    }
    serde_saphyr::with_deserializer_from_str_with_options(text, yaml_options(), |de| {
        de.deserialize_map(Root { on })
    })
    .ok()
}

/// Why the stream stopped: the caller loads the whole tree instead.
fn give_up<E: de::Error>() -> E {
    E::custom("not streamed")
}

struct Root<'f> {
    on: &'f mut dyn FnMut(Event<'_>),
}

impl<'de> Visitor<'de> for Root<'_> {
    type Value = Vec<(Key, Node)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a plan (a mapping)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<Key>()? {
            if BEFORE_SCENARIOS.contains(&key.name.as_str()) && streamed {
                return Err(give_up());
            }
            if key.name == "scenarios" {
                map.next_value_seed(Scenarios {
                    on: &mut *self.on,
                    before: &entries,
                })?;
                streamed = true;
                continue;
            }
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        if !streamed {
            return Err(give_up());
        }
        entries.shrink_to_fit();
        Ok(entries)
    }
}

/// The value of `scenarios:`: a list, streamed.
struct Scenarios<'f, 'b> {
    on: &'f mut dyn FnMut(Event<'_>),
    before: &'b [(Key, Node)],
}

impl<'de> DeserializeSeed<'de> for Scenarios<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scenarios<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of scenarios")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some(first) = seq.next_element::<Node>()? else {
            // "the plan has no scenarios" is reported at the list: from the tree.
            return Err(give_up());
        };
        (self.on)(Event::Scenarios(self.before));
        (self.on)(Event::Scenario(first));
        while let Some(item) = seq.next_element::<Node>()? {
            (self.on)(Event::Scenario(item));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::scenario::LoadOptions;
    use crate::scenario::load::{load_str, load_str_unstreamed};

    fn streams(text: &str) -> bool {
        parse_streaming(text, &mut |_| {}).is_some()
    }

    /// The loaded plan (its `Debug`, which shows every scenario and step) or the problems,
    /// streamed and from the whole tree.
    fn both(path: &Path, text: &str) -> (String, String) {
        let options = LoadOptions::default();
        let env = |name: &str| (name == "SMTP_PLAN_TEST_SET").then(|| "set".to_owned());
        (
            format!("{:#?}", load_str(path, text, &options, &env)),
            format!("{:#?}", load_str_unstreamed(path, text, &options, &env)),
        )
    }

    #[test]
    fn only_plans_whose_scenarios_come_after_what_they_need_stream() {
        let scenarios = "scenarios:\n  - name: a\n    steps: [quit]\n";
        assert!(streams(&format!(
            "name: p\nvars: {{a: b}}\n{scenarios}secrets: []\n"
        )));
        for late in [
            "vars: {a: b}",
            "target: {port: 25}",
            "include: [x.yaml]",
            "groups: {}",
        ] {
            assert!(!streams(&format!("{scenarios}{late}\n")), "{late}");
        }
        assert!(!streams("scenarios: []\n"), "empty: reported at the list");
        assert!(!streams("scenarios: {a: 1}\n"), "not a list");
        assert!(!streams("name: p\n"), "no scenarios");
        assert!(!streams("- a\n"), "not a mapping");
        assert!(!streams(""), "empty file");
        assert!(!streams(&format!("{scenarios}  - [\n")), "a YAML error");
    }

    /// Every plan of the test suite, the golden load cases with their problems first: streamed
    /// or not, the same plan or the same problems at the same places.
    #[test]
    fn streamed_loads_equal_whole_tree_loads() {
        let mut files: Vec<PathBuf> = Vec::new();
        let dirs = [
            "tests/cases/check",
            "tests/cases/run",
            "tests/plans",
            "scenarios",
            "scenarios/postfix",
            "scenarios/reuse",
            "scenarios/starting",
        ];
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            files.extend(
                entries
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml")),
            );
        }
        files.sort();
        assert!(files.len() > 100, "{}", files.len());
        let mut streamed = 0;
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            streamed += usize::from(streams(&text));
            let (stream, tree) = both(file, &text);
            assert_eq!(stream, tree, "{}", file.display());
        }
        assert!(streamed > files.len() / 2, "{streamed} of {}", files.len());
        // A key the scenarios need after them, with problems on both sides of it.
        let late = "scenarios:\n  - name: a\n    steps: [{ehlo: '${x}'}, bogus]\n  - name: a\n    steps: [quit]\nvars: {x: '${env:NOPE}'}\ntarget: {port: 99999}\n";
        let (stream, tree) = both(Path::new("late.yaml"), late);
        assert_eq!(stream, tree);
        assert!(tree.contains("duplicate scenario name"), "{tree}");
    }
}
