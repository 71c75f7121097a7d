//! Which scenarios run (tags, name filters, partitions), how many at once, how often, and
//! results back in plan order whatever order they finish in.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::options::RunOptions;
use super::scenario::run_scenario;
use crate::model::{Plan, Scenario};
use crate::results::{Failure, FailureKind, Outcome, ScenarioResult, SuiteResult};

/// `--tag`, `--skip-tag`, `--filter`, `--partition`.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Run only scenarios with at least one of these tags (empty: no constraint).
    pub tags: Vec<String>,
    /// Leave out scenarios with any of these tags.
    pub skip_tags: Vec<String>,
    /// Run only scenarios whose `suite › scenario` name contains one of these
    /// (case-insensitive, `>` also stands for `›`; empty: no constraint).
    pub filters: Vec<String>,
    pub partition: Option<Partition>,
}

/// `--partition hash:K/N` (stable when scenarios are added or removed) or `count:K/N` (round
/// robin over the selected scenarios in order), as cargo-nextest does; `K/N` means `hash:K/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub by_hash: bool,
    /// 1-based shard number.
    pub shard: u64,
    pub total: u64,
}

impl Partition {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (by_hash, rest) = match text.split_once(':') {
            Some(("hash", r)) => (true, r),
            Some(("count", r)) => (false, r),
            Some((kind, _)) => {
                return Err(format!("unknown partition kind `{kind}` (hash or count)"));
            }
            None => (true, text),
        };
        let bad = || format!("expected K/N with 1 <= K <= N, e.g. hash:1/4 (got {text:?})");
        let (k, n) = rest.split_once('/').ok_or_else(bad)?;
        let shard: u64 = k.trim().parse().map_err(|_| bad())?;
        let total: u64 = n.trim().parse().map_err(|_| bad())?;
        if shard == 0 || total == 0 || shard > total {
            return Err(bad());
        }
        Ok(Self {
            by_hash,
            shard,
            total,
        })
    }
}

/// FNV-1a, 64-bit: stable across platforms and releases (unlike std's hasher).
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h ^= 0x1f;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        for b in part.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

impl Selection {
    /// The plans with only the selected scenarios; plans left with none are dropped.
    pub fn apply(&self, plans: Vec<Plan>) -> Vec<Plan> {
        // `>` may stand for `›` (easier to type): a filter matches as written or with each `>`
        // read as `›`, so a scenario name holding `>` still matches its own text.
        let filters: Vec<String> = self
            .filters
            .iter()
            .flat_map(|f| {
                let f = f.to_lowercase();
                let typed = f.contains('>').then(|| f.replace('>', "›"));
                std::iter::once(f).chain(typed)
            })
            .collect();
        let mut counter = 0u64;
        plans
            .into_iter()
            .filter_map(|mut plan| {
                let suite = plan.name.clone();
                plan.scenarios.retain(|sc| {
                    let tagged =
                        self.tags.is_empty() || sc.tags.iter().any(|t| self.tags.contains(t));
                    let untagged = !sc.tags.iter().any(|t| self.skip_tags.contains(t));
                    let full = format!("{suite} › {}", sc.name).to_lowercase();
                    let named =
                        filters.is_empty() || filters.iter().any(|f| full.contains(f.as_str()));
                    if !(tagged && untagged && named) {
                        return false;
                    }
                    match self.partition {
                        None => true,
                        Some(p) if p.by_hash => fnv1a(&[&suite, &sc.name]) % p.total == p.shard - 1,
                        Some(p) => {
                            let mine = counter % p.total == p.shard - 1;
                            counter += 1;
                            mine
                        }
                    }
                });
                (!plan.scenarios.is_empty()).then_some(plan)
            })
            .collect()
    }
}

/// `--jobs`, `--fail-fast`, `--repeat`.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub jobs: usize,
    pub fail_fast: bool,
    pub repeat: usize,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            jobs: 1,
            fail_fast: false,
            repeat: 1,
        }
    }
}

/// One scenario run: plan index, scenario index, repetition (1-based).
#[derive(Debug, Clone, Copy)]
struct Job {
    plan: usize,
    scenario: usize,
    run: usize,
}

/// The result of a scenario whose task panicked or was cancelled: an error with the reason,
/// so that the run fails instead of counting the scenario as nothing.
fn lost(plan: &Plan, sc: &Scenario, why: String) -> ScenarioResult {
    ScenarioResult {
        name: sc.name.clone(),
        tags: sc.tags.clone(),
        outcome: Outcome::Errored(Failure {
            step: 0,
            keyword: "scenario",
            location: format!("{}:{}:{}", plan.path.display(), sc.span.line, sc.span.col),
            span: sc.span,
            origin: None,
            kind: FailureKind::Lost,
            reason: format!("the scenario was lost: {why} (a bug in smtp-plan; please report it)"),
            details: Vec::new(),
            source_line: None,
        }),
        duration: Duration::ZERO,
        steps: Vec::new(),
        transcript: Vec::new(),
        captures: Vec::new(),
        tls: Vec::new(),
    }
}

/// Why a task ended without a result, in words.
fn join_error_text(e: tokio::task::JoinError) -> String {
    if e.is_cancelled() {
        return "its task was cancelled".to_owned();
    }
    // Its message may hold data of the plan, a secret too: it is not repeated.
    "it panicked; its message is not shown, as it may hold a secret".to_owned()
}

/// Run every scenario of every plan, up to `schedule.jobs` at once. `on_done` sees each result
/// in plan order (a result that finishes early waits for those before it), so console output
/// and reports are the same whatever the concurrency.
pub async fn run_plans(
    plans: Arc<Vec<Plan>>,
    options: Arc<RunOptions>,
    schedule: Schedule,
    on_done: &mut dyn FnMut(&Plan, &ScenarioResult),
) -> Vec<SuiteResult> {
    run_plans_with(plans, options, schedule, on_done, play).await
}

/// What [`run_plans`] spawns for scenario `s` of plan `p` (tests put a failing one in).
type Runner = fn(Arc<Vec<Plan>>, usize, usize, Arc<RunOptions>) -> Played;

/// One scenario being played (`None`: no such scenario).
type Played = std::pin::Pin<Box<dyn std::future::Future<Output = Option<ScenarioResult>> + Send>>;

fn play(plans: Arc<Vec<Plan>>, p: usize, s: usize, options: Arc<RunOptions>) -> Played {
    Box::pin(async move {
        let plan = plans.get(p)?;
        let sc = plan.scenarios.get(s)?;
        Some(run_scenario(plan, sc, &options).await)
    })
}

async fn run_plans_with(
    plans: Arc<Vec<Plan>>,
    options: Arc<RunOptions>,
    schedule: Schedule,
    on_done: &mut dyn FnMut(&Plan, &ScenarioResult),
    runner: Runner,
) -> Vec<SuiteResult> {
    let repeat = schedule.repeat.max(1);
    let jobs: Vec<Job> = plans
        .iter()
        .enumerate()
        .flat_map(|(p, plan)| {
            (0..plan.scenarios.len()).flat_map(move |s| {
                (1..=repeat).map(move |run| Job {
                    plan: p,
                    scenario: s,
                    run,
                })
            })
        })
        .collect();
    let mut results: Vec<Option<ScenarioResult>> = vec![None; jobs.len()];
    let mut set = JoinSet::new();
    // Which job each task runs: a task that panics returns no index of its own.
    let mut task_jobs = std::collections::HashMap::new();
    let mut next_start = 0usize;
    let mut next_report = 0usize;
    let mut stop = false;
    let width = schedule.jobs.max(1);
    loop {
        while !stop && next_start < jobs.len() && set.len() < width {
            let index = next_start;
            next_start += 1;
            let Some(job) = jobs.get(index).copied() else {
                continue;
            };
            let task = runner(
                Arc::clone(&plans),
                job.plan,
                job.scenario,
                Arc::clone(&options),
            );
            let handle = set.spawn(task);
            task_jobs.insert(handle.id(), index);
        }
        let Some(joined) = set.join_next_with_id().await else {
            break;
        };
        let (id, result) = match joined {
            Ok((id, result)) => (
                id,
                result.ok_or_else(|| "it found no scenario to run".to_owned()),
            ),
            Err(e) => (e.id(), Err(join_error_text(e))),
        };
        let Some(index) = task_jobs.remove(&id) else {
            continue;
        };
        // A lost scenario is an error with its reason, in its place; later results go on.
        let result = match result {
            Ok(result) => result,
            Err(why) => {
                let Some((plan, sc)) = jobs
                    .get(index)
                    .and_then(|j| plans.get(j.plan).map(|p| (j, p)))
                    .and_then(|(j, p)| p.scenarios.get(j.scenario).map(|sc| (p, sc)))
                else {
                    continue;
                };
                lost(plan, sc, why)
            }
        };
        if schedule.fail_fast && result.failed() {
            stop = true;
        }
        if let Some(slot) = results.get_mut(index) {
            *slot = Some(result);
        }
        // Report every finished result that is next in order.
        while let Some(Some(result)) = results.get_mut(next_report).map(|r| r.as_mut()) {
            if let Some(job) = jobs.get(next_report) {
                if repeat > 1 {
                    result.name = format!("{} (run {}/{repeat})", result.name, job.run);
                }
                if let Some(plan) = plans.get(job.plan) {
                    on_done(plan, result);
                }
            }
            next_report += 1;
        }
    }
    // With --fail-fast, what never started is reported as skipped, in order.
    for (index, slot) in results.iter_mut().enumerate().skip(next_report) {
        if slot.is_none() {
            let Some(job) = jobs.get(index) else { continue };
            let Some(plan) = plans.get(job.plan) else {
                continue;
            };
            let Some(sc) = plan.scenarios.get(job.scenario) else {
                continue;
            };
            let mut result = ScenarioResult {
                name: sc.name.clone(),
                tags: sc.tags.clone(),
                outcome: Outcome::Skipped(
                    "not run: --fail-fast stopped after a failure".to_owned(),
                ),
                duration: Duration::ZERO,
                steps: Vec::new(),
                transcript: Vec::new(),
                captures: Vec::new(),
                tls: Vec::new(),
            };
            if repeat > 1 {
                result.name = format!("{} (run {}/{repeat})", result.name, job.run);
            }
            on_done(plan, &result);
            *slot = Some(result);
        }
    }
    let mut suites: Vec<SuiteResult> = plans
        .iter()
        .map(|plan| SuiteResult {
            name: plan.name.clone(),
            path: plan.path.clone(),
            scenarios: Vec::new(),
            duration: Duration::ZERO,
        })
        .collect();
    for (job, result) in jobs.iter().zip(results) {
        if let (Some(suite), Some(result)) = (suites.get_mut(job.plan), result) {
            suite.duration += result.duration;
            suite.scenarios.push(result);
        }
    }
    suites
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn partitions_parse() {
        assert_eq!(
            Partition::parse("2/3").unwrap(),
            Partition {
                by_hash: true,
                shard: 2,
                total: 3
            }
        );
        assert_eq!(
            Partition::parse("count:1/2").unwrap(),
            Partition {
                by_hash: false,
                shard: 1,
                total: 2
            }
        );
        for bad in ["0/2", "3/2", "x/2", "1/0", "slice:1/2", "1"] {
            assert!(Partition::parse(bad).is_err(), "{bad}");
        }
    }

    /// Scenario "b" panics; "a" and "d" pass.
    fn flaky(plans: Arc<Vec<Plan>>, p: usize, s: usize, _options: Arc<RunOptions>) -> Played {
        Box::pin(async move {
            let sc = plans.get(p)?.scenarios.get(s)?;
            match sc.name.as_str() {
                "b" => panic!("boom in b"),
                _ => Some(ScenarioResult {
                    name: sc.name.clone(),
                    tags: Vec::new(),
                    outcome: Outcome::Passed,
                    duration: Duration::ZERO,
                    steps: Vec::new(),
                    transcript: Vec::new(),
                    captures: Vec::new(),
                    tls: Vec::new(),
                }),
            }
        })
    }

    #[tokio::test]
    async fn a_lost_scenario_is_an_error_and_later_results_are_kept() {
        let text = "name: s\nscenarios:\n  - name: a\n    steps: [quit]\n  - name: b\n    steps: [quit]\n  - name: d\n    steps: [quit]\n";
        let plan = crate::scenario::load_plan_str(
            std::path::Path::new("p.yaml"),
            text,
            &crate::scenario::LoadOptions::default(),
        )
        .unwrap();
        for jobs in [1, 3] {
            let mut seen = Vec::new();
            let suites = run_plans_with(
                Arc::new(vec![plan.clone()]),
                Arc::new(RunOptions::default()),
                Schedule {
                    jobs,
                    ..Schedule::default()
                },
                &mut |_, r| seen.push((r.name.clone(), r.failed())),
                flaky,
            )
            .await;
            assert_eq!(
                seen,
                [("a".into(), false), ("b".into(), true), ("d".into(), false)],
                "jobs {jobs}"
            );
            let b = &suites[0].scenarios[1];
            let f = b.outcome.failure().unwrap();
            assert!(matches!(b.outcome, Outcome::Errored(_)));
            assert_eq!(f.kind, FailureKind::Lost);
            assert_eq!(
                f.reason,
                "the scenario was lost: it panicked; its message is not shown, as it may hold a secret (a bug in smtp-plan; please report it)"
            );
            assert_eq!(f.location, "p.yaml:5:5");
        }
    }

    #[test]
    fn hash_is_stable() {
        // pinned: a change here would move scenarios between CI shards
        assert_eq!(fnv1a(&["a"]), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}
