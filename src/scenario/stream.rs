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
pub(crate) const BEFORE_SCENARIOS: &[&str] = &["include", "target", "vars", "groups", "scenarios"];

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
    use crate::scenario::load::{Parse, load_str_in};

    fn streams(text: &str) -> bool {
        parse_streaming(text, &mut |_| {}).is_some()
    }

    /// The loaded plan (its `Debug`, which shows every scenario and step) or the problems,
    /// from the whole tree, then streamed through serde-saphyr, then from the events.
    fn every_way(path: &Path, text: &str) -> [String; 3] {
        let options = LoadOptions::default();
        let env = |name: &str| (name == "SMTP_PLAN_TEST_SET").then(|| "set".to_owned());
        [&[][..], &[Parse::Serde], &[Parse::Fast]]
            .map(|ways| format!("{:#?}", load_str_in(path, text, &options, &env, ways)))
    }

    fn fast(text: &str) -> bool {
        crate::scenario::fast_yaml::parse_streaming(text, &mut |_| {}).is_some()
    }

    type Entries = Vec<(Key, Node)>;
    type Streamer = fn(&str, &mut dyn FnMut(Event<'_>)) -> Option<Entries>;

    /// What a stream hands over, and the keys it returns.
    fn nodes(parse: Streamer, text: &str) -> Option<(Vec<Node>, Entries)> {
        let mut seen = Vec::new();
        let entries = parse(text, &mut |event| match event {
            Event::Scenarios(before) => seen.extend(before.iter().map(|(_, n)| n.clone())),
            Event::Scenario(node) => seen.push(node),
        })?;
        Some((seen, entries))
    }

    /// Every scalar the events are read into, typed and placed as serde-saphyr does; those it
    /// cannot type for sure are left to serde-saphyr.
    #[test]
    fn the_events_read_scalars_as_serde_saphyr_does() {
        let fast_ones = [
            "text",
            "${user}",
            "a@b.test",
            "10s",
            "1.5s",
            "127.0.0.1",
            "25",
            "0",
            "yes",
            "No",
            "ON",
            "off",
            "y",
            "true",
            "FALSE",
            "~",
            "null",
            "NULL",
            "'017'",
            "\"1_000\"",
            "\"a\\tb\"",
            "'it''s'",
            "|\n          two\n          lines",
            ">-\n          folded\n          text",
            "plain\n          continued",
            "\"é ü\"",
            "ü",
            "\"\"",
            "",
            "<<",
        ];
        let serde_ones = [
            "017",
            "1_000",
            "0x1A",
            "0o17",
            "+5",
            "-5",
            "1.5",
            "1e5",
            ".inf",
            "inf",
            "nan",
            "1:30",
            "2025-01-01",
            "!!str 5",
            "&a x",
            "99999999999999999999",
        ];
        let mut wrong = Vec::new();
        for (scalars, fast) in [(&fast_ones[..], true), (&serde_ones[..], false)] {
            for s in scalars {
                let text = format!(
                    "vars:\n  k: {s}\n  \"q\": {s}\nscenarios:\n  - name: {s}\n    steps:\n      - {s}\n"
                );
                let by_events = nodes(crate::scenario::fast_yaml::parse_streaming, &text);
                if by_events.is_some() != fast {
                    wrong.push(format!("{s}: {by_events:?}"));
                }
                if let Some(by_events) = by_events {
                    assert_eq!(Some(by_events), nodes(parse_streaming, &text), "{s}");
                }
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
        // Keys: written twice, or not plain text, go to serde-saphyr.
        for text in [
            "a: 1\na: 2\nscenarios: [x]\n",
            "1: x\nscenarios: [x]\n",
            "yes: x\nscenarios: [x]\n",
            "<<: {a: 1}\nscenarios: [x]\n",
            "scenarios: [x]\nscenarios: [y]\n",
            "? [a]\n: x\nscenarios: [x]\n",
            "scenarios: [x]\n---\nb: 1\n",
            "%YAML 1.2\n---\nscenarios: [x]\n",
        ] {
            assert!(
                nodes(crate::scenario::fast_yaml::parse_streaming, text).is_none(),
                "{text}"
            );
        }
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
        let (mut streamed, mut fast_ones) = (0, 0);
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            streamed += usize::from(streams(&text));
            fast_ones += usize::from(fast(&text));
            let [tree, stream, fast] = every_way(file, &text);
            assert_eq!(stream, tree, "{}", file.display());
            assert_eq!(fast, tree, "{}", file.display());
        }
        assert!(streamed > files.len() / 2, "{streamed} of {}", files.len());
        assert!(
            fast_ones > files.len() / 3,
            "{fast_ones} of {}",
            files.len()
        );
        // A key the scenarios need after them, with problems on both sides of it.
        let late = "scenarios:\n  - name: a\n    steps: [{ehlo: '${x}'}, bogus]\n  - name: a\n    steps: [quit]\nvars: {x: '${env:NOPE}'}\ntarget: {port: 99999}\n";
        let [tree, stream, fast] = every_way(Path::new("late.yaml"), late);
        assert_eq!(stream, tree);
        assert_eq!(fast, tree);
        assert!(tree.contains("duplicate scenario name"), "{tree}");
    }
}
