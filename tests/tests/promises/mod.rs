//! A seeded, shrinking randomized checker of the promises README.md makes
//! about retries, `outcome_unknown()`, `attempts()`, deadlines, job
//! recovery, waiting, credentials, downloads, and answers from a newer
//! server.
//!
//! Each case draws an operation, client settings and a fault script for
//! the scripted server ([`Case`]); [`play`] runs it through the async or
//! the blocking client and [`check`] holds what the server logged and what
//! the client returned to the promises. The cases of a test come from
//! proptest strategies driven by a fixed seed; a failing case is shrunk
//! (proptest's simplify and complicate) while it still breaks the same
//! promise, and each distinct broken promise is reported once, with the
//! number of cases it took to find, its shrunk case as Rust (paste it into
//! `replay`), and the server's log.
//!
//! CI plays a fixed number of cases of fixed seeds (about a minute in
//! all). `STUDIO_PROMISES_SOAK=<minutes>` runs every test for that long
//! with a random seed, printed; with it, `STUDIO_PROMISES_SEED=<n>` replays
//! that seed, and without it sets the base of CI's seeds.

mod check;
mod drive;
mod play;

use check::{Rule, Violation};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;
use std::time::{Duration, Instant};
use studio_tests::scripted::Accept;

/// Which crate's client plays a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdk {
    /// `studio_api`, on a runtime of its own.
    Async,
    /// `studio_api_blocking`, from a plain thread.
    Blocking,
}

/// A list whose `Debug` is `List(vec![..])`, so that a case prints as Rust.
#[derive(Clone, PartialEq)]
pub struct List<T>(pub Vec<T>);

impl<T: fmt::Debug> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("List(vec!")?;
        f.debug_list().entries(&self.0).finish()?;
        f.write_str(")")
    }
}

/// The `Retry-After` of a 429.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RetryAfter {
    /// None at all.
    Absent,
    /// This many seconds.
    Seconds(u64),
    /// An HTTP date this many seconds ahead.
    Date(u64),
    /// An hour, longer than any cap.
    Huge,
    /// Neither seconds nor a date.
    Garbage,
}

/// What the server does with one request on a route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// The route's normal answer.
    Answer,
    /// 429.
    TooMany(RetryAfter),
    /// A 5xx, with a JSON error body or an HTML page.
    Server { status: u16, html: bool },
    /// 302 to the other origin.
    Redirect,
    /// The head of the normal answer, then nothing.
    StallHead,
    /// The head, then the body one byte every `every_ms`.
    Drip { every_ms: u64 },
    /// Half the body, then the connection closes.
    Truncated,
    /// A body that is not JSON.
    InvalidJson,
    /// The first half of the normal body, as if it were all of it.
    IncompleteJson,
    /// Closed after reading the request.
    CloseAfterRead,
    /// Reset after reading the request.
    Reset,
    /// Never answers.
    Silent,
    /// The normal answer with `Retry-After: 30`.
    RetryAfterOnOk,
    /// The normal answer of a listing that ignores its filters: decoys too.
    IgnoreFilters,
    /// The normal answer as a newer server sends it: a field, an aspect
    /// ratio and a job status this version does not know.
    Newer,
}

/// What a case does.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// `get_project`.
    Read,
    /// `create_project`.
    Write,
    /// `generate_frame_image`.
    Billed,
    /// `generate_multi_shot` with two `frame_ids`.
    MultiShot,
    /// `job_by_id(..)` with `wait()`, or `wait_until` `until_ms` after the
    /// start; the job is done `done_ms` after the start.
    Wait { until_ms: Option<u64>, done_ms: u64 },
    /// Handles on jobs of one project, each `wait_until` its own deadline
    /// in a task (or thread) of its own.
    Coalesced { until_ms: List<u64>, done_ms: u64 },
    /// `download` of a body of `size` bytes from the other origin, with a
    /// symlink to a victim file planted at `<target>.part` or not.
    Download { size: usize, symlink: bool },
}

/// The client's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub timeout_ms: u64,
    /// Every call's deadline (`with_options`), if any.
    pub deadline_ms: Option<u64>,
    pub max_retries: u32,
    pub retry_after_cap_ms: u64,
    pub pacing: bool,
    pub coalesced: bool,
    /// The poll schedule's first wait and maximum (doubling).
    pub poll_first_ms: u64,
    pub poll_max_ms: u64,
}

/// One case: an operation, settings and the faults of the scripted server.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub sdk: Sdk,
    pub operation: Operation,
    pub settings: Settings,
    /// Connections to the API (or, for a download, its host) are refused.
    pub refused: bool,
    /// What happens to the first connections (to the download host, for a download).
    pub accept: List<Accept>,
    /// One per request on the operation's route (the job's, the first
    /// handle's, the download's); the normal answer after them.
    pub faults: List<Fault>,
    /// The same for the job lookup or listing route.
    pub lookup: List<Fault>,
}

/// What the tests paste a printed case with.
pub mod paste {
    pub use super::Fault::*;
    pub use super::Operation::*;
    pub use super::RetryAfter::*;
    pub use super::Sdk::*;
    pub use super::{Case, List, Settings, replay};
    pub use studio_tests::scripted::Accept::*;
}

/// Plays `case` and panics with every promise it breaks: for a printed
/// case pasted into a test.
pub fn replay(case: Case) {
    let (violations, log) = verdict(&case);
    assert!(
        violations.is_empty(),
        "{}\nthe server logged:\n{log}",
        describe(&violations)
    );
}

/// Plays `case`: the promises it breaks, and what the servers logged.
fn verdict(case: &Case) -> (Vec<Violation>, String) {
    let observed = play::run(case);
    (check::check(case, &observed), observed.log())
}

fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("  broken: {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn retry_after() -> impl Strategy<Value = RetryAfter> {
    prop_oneof![
        1 => Just(RetryAfter::Absent),
        3 => (1u64..=2).prop_map(RetryAfter::Seconds),
        1 => Just(RetryAfter::Date(2)),
        1 => Just(RetryAfter::Huge),
        1 => Just(RetryAfter::Garbage),
    ]
}

/// A fault, drawn from the whole alphabet plus `stress`: faults a family
/// of cases weighs more, with their weights.
fn fault(stress: &[(u32, Fault)]) -> BoxedStrategy<Fault> {
    let server = (
        prop::sample::select(vec![500u16, 502, 503, 504]),
        any::<bool>(),
    )
        .prop_map(|(status, html)| Fault::Server { status, html });
    let mut arms: Vec<(u32, BoxedStrategy<Fault>)> = vec![
        (4, Just(Fault::Answer).boxed()),
        (4, retry_after().prop_map(Fault::TooMany).boxed()),
        (3, server.boxed()),
        (1, Just(Fault::Redirect).boxed()),
        (2, Just(Fault::StallHead).boxed()),
        (
            1,
            (5u64..=40)
                .prop_map(|every_ms| Fault::Drip { every_ms })
                .boxed(),
        ),
        (1, Just(Fault::Truncated).boxed()),
        (1, Just(Fault::InvalidJson).boxed()),
        (1, Just(Fault::IncompleteJson).boxed()),
        (1, Just(Fault::CloseAfterRead).boxed()),
        (1, Just(Fault::Reset).boxed()),
        (3, Just(Fault::Silent).boxed()),
        (1, Just(Fault::RetryAfterOnOk).boxed()),
        (1, Just(Fault::IgnoreFilters).boxed()),
        (2, Just(Fault::Newer).boxed()),
    ];
    arms.extend(
        stress
            .iter()
            .map(|&(weight, fault)| (weight, Just(fault).boxed())),
    );
    prop::strategy::Union::new_weighted(arms).boxed()
}

/// One to three faults, one per request, drawn as [`fault`] draws them.
fn faults(stress: &[(u32, Fault)]) -> impl Strategy<Value = List<Fault>> + use<> {
    prop::collection::vec(fault(stress), 1..=3).prop_map(List)
}

fn settings() -> impl Strategy<Value = Settings> {
    (
        100u64..=600,
        prop::option::weighted(0.65, 200u64..=1500),
        0u32..=3,
        prop::sample::select(vec![500u64, 1000, 2500]),
        prop::bool::weighted(0.3),
        any::<bool>(),
        10u64..=40,
        50u64..=150,
    )
        .prop_map(
            |(timeout_ms, deadline_ms, max_retries, cap, pacing, coalesced, first, max)| Settings {
                timeout_ms,
                deadline_ms,
                max_retries,
                retry_after_cap_ms: cap,
                pacing,
                coalesced,
                poll_first_ms: first,
                poll_max_ms: max,
            },
        )
}

/// Cases of `operation`, with every other part drawn; the faults of the
/// operation's route and of the lookup route weigh `stress` more.
fn cases(
    operation: impl Strategy<Value = Operation>,
    stress: [&[(u32, Fault)]; 2],
) -> impl Strategy<Value = Case> {
    let accept = prop::collection::vec(
        prop_oneof![4 => Just(Accept::Serve), 1 => Just(Accept::Close)],
        0..=2,
    )
    .prop_map(List);
    // Shrinking simplifies the parts in this order: the faults first.
    (
        faults(stress[0]),
        faults(stress[1]),
        accept,
        prop::bool::weighted(0.05),
        settings(),
        operation,
        prop_oneof![Just(Sdk::Async), Just(Sdk::Blocking)],
    )
        .prop_map(
            |(faults, lookup, accept, refused, settings, operation, sdk)| Case {
                sdk,
                operation,
                settings,
                refused,
                accept,
                faults,
                lookup,
            },
        )
}

/// A broken promise, as first found by one test.
struct Found {
    /// How many cases the test had played when it first broke.
    after_cases: usize,
    violation: Violation,
    /// The smallest case found that still breaks it.
    case: Case,
    log: String,
}

/// At most this many cases are played to shrink one failure.
const SHRINK_STEPS: usize = 48;
/// The seed CI runs.
const CI_SEED: u64 = 0x5eed_0001;

/// How a test runs: a fixed seed and number of cases, or a soak.
struct Plan {
    seed: u64,
    cases: usize,
    until: Option<Instant>,
    /// How long one failure is shrunk at most.
    shrink: Duration,
}

impl Plan {
    /// CI's plan (`cases` cases of the seed `CI_SEED + offset`, each
    /// failure shrunk for 10 s at most), unless the environment asks for a
    /// soak (which shrinks for two minutes) or another seed.
    fn from_env(offset: u64, cases: usize) -> Plan {
        let seed = std::env::var("STUDIO_PROMISES_SEED")
            .ok()
            .and_then(|s| s.parse().ok());
        let soak = std::env::var("STUDIO_PROMISES_SOAK")
            .ok()
            .and_then(|m| m.parse::<f64>().ok());
        match soak {
            Some(minutes) => {
                let seed = seed.unwrap_or_else(random_seed);
                eprintln!("promises: soaking {minutes} min with STUDIO_PROMISES_SEED={seed}");
                Plan {
                    seed,
                    cases: usize::MAX,
                    until: Some(Instant::now() + Duration::from_secs_f64(minutes * 60.0)),
                    shrink: Duration::from_secs(120),
                }
            }
            None => Plan {
                seed: seed.unwrap_or(CI_SEED) + offset,
                cases,
                until: None,
                shrink: Duration::from_secs(10),
            },
        }
    }
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now())
}

/// Plays the cases `strategy` draws under `plan` and fails with every
/// distinct broken promise, each shrunk.
fn explore(name: &str, strategy: impl Strategy<Value = Case>, plan: Plan) {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&plan.seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    );
    let mut found: BTreeMap<Rule, Found> = BTreeMap::new();
    let mut played = 0;
    let began = Instant::now();
    while played < plan.cases && plan.until.is_none_or(|t| Instant::now() < t) {
        played += 1;
        let mut tree = strategy.new_tree(&mut runner).expect("a case");
        let (violations, _) = verdict(&tree.current());
        let Some(first) = violations
            .iter()
            .find(|v| !found.contains_key(&v.rule))
            .cloned()
        else {
            continue;
        };
        let (case, violations, log) = shrink(&mut tree, first.rule, plan.shrink);
        for violation in violations {
            if let Entry::Vacant(entry) = found.entry(violation.rule) {
                eprintln!(
                    "promises {name}: case {played} (seed {}) broke {violation}\n{case:#?}",
                    plan.seed
                );
                entry.insert(Found {
                    after_cases: played,
                    violation,
                    case: case.clone(),
                    log: log.clone(),
                });
            }
        }
    }
    let report: Vec<String> = found
        .values()
        .map(|f| {
            format!(
                "broken after {} cases of seed {}: {}\nshrunk to (paste into `promises::replay`):\n{:#?}\nthe server logged:\n{}",
                f.after_cases, plan.seed, f.violation, f.case, f.log
            )
        })
        .collect();
    eprintln!(
        "promises {name}: {played} cases of seed {} in {:?}",
        plan.seed,
        began.elapsed()
    );
    assert!(report.is_empty(), "\n{}", report.join("\n\n"));
}

/// Shrinks the failing case of `tree` while it still breaks `rule`: the
/// smallest such case, its violations and the server's log.
fn shrink(
    tree: &mut impl ValueTree<Value = Case>,
    rule: Rule,
    budget: Duration,
) -> (Case, Vec<Violation>, String) {
    let mut best = tree.current();
    let (mut violations, mut log) = verdict(&best);
    let started = Instant::now();
    let mut steps = 0;
    if !tree.simplify() {
        return (best, violations, log);
    }
    while steps < SHRINK_STEPS && started.elapsed() < budget {
        steps += 1;
        let candidate = tree.current();
        let (broken, candidate_log) = verdict(&candidate);
        if broken.iter().any(|v| v.rule == rule) {
            (best, violations, log) = (candidate, broken, candidate_log);
            if !tree.simplify() {
                break;
            }
        } else if !tree.complicate() {
            break;
        }
    }
    violations.sort_by_key(|v| v.rule != rule);
    (best, violations, log)
}

/// Reads and unbilled writes.
#[test]
fn calls() {
    let ops = prop_oneof![Just(Operation::Read), Just(Operation::Write)];
    let waited = [
        (2, Fault::TooMany(RetryAfter::Seconds(1))),
        (2, Fault::TooMany(RetryAfter::Seconds(2))),
    ];
    explore("calls", cases(ops, [&waited, &[]]), Plan::from_env(0, 100));
}

/// Billed writes, whose lost answers are recovered by a job lookup.
fn billed(name: &str, offset: u64) {
    let ops = prop_oneof![2 => Just(Operation::Billed), 1 => Just(Operation::MultiShot)];
    let lost = [(2, Fault::TooMany(RetryAfter::Seconds(2)))];
    let held = [
        (3, Fault::Silent),
        (2, Fault::TooMany(RetryAfter::Seconds(2))),
    ];
    explore(name, cases(ops, [&lost, &held]), Plan::from_env(offset, 80));
}

#[test]
fn billed_calls() {
    billed("billed_calls", 1);
}

#[test]
fn more_billed_calls() {
    billed("more_billed_calls", 2);
}

/// A wait on one job.
#[test]
fn job_waits() {
    let ops = (prop::option::weighted(0.5, 200u64..=2500), 0u64..=1500)
        .prop_map(|(until_ms, done_ms)| Operation::Wait { until_ms, done_ms });
    let hinted = [
        (1, Fault::RetryAfterOnOk),
        (3, Fault::TooMany(RetryAfter::Seconds(2))),
    ];
    explore(
        "job_waits",
        cases(ops, [&hinted, &[]]),
        Plan::from_env(3, 20),
    );
}

/// Waits on several jobs of one project at once.
#[test]
fn coalesced_waits() {
    let ops = (prop::collection::vec(200u64..=1500, 2..=3), 0u64..=2000).prop_map(
        |(until_ms, done_ms)| Operation::Coalesced {
            until_ms: List(until_ms),
            done_ms,
        },
    );
    let slow = [
        (4, Fault::Silent),
        (2, Fault::Drip { every_ms: 20 }),
        (2, Fault::IgnoreFilters),
    ];
    // Coalesced waiting on in most cases, as it is what they are about,
    // and a per-call deadline (which bounds the listing too) in few.
    let calls_deadline = prop::option::weighted(0.2, 200u64..=1500);
    let cases = (
        cases(ops, [&[], &slow]),
        prop::bool::weighted(0.8),
        calls_deadline,
    )
        .prop_map(|(mut case, on, deadline_ms)| {
            case.settings.coalesced = on;
            case.settings.deadline_ms = deadline_ms;
            case
        });
    explore("coalesced_waits", cases, Plan::from_env(4, 45));
}

/// Downloads from another origin.
#[test]
fn downloads() {
    let ops = (1usize..=3000, any::<bool>())
        .prop_map(|(size, symlink)| Operation::Download { size, symlink });
    explore("downloads", cases(ops, [&[], &[]]), Plan::from_env(5, 30));
}

/// A printed case replays when pasted (this one keeps every promise).
#[test]
fn a_pasted_case_replays() {
    use paste::*;
    replay(Case {
        sdk: Blocking,
        operation: Billed,
        settings: Settings {
            timeout_ms: 300,
            deadline_ms: None,
            max_retries: 1,
            retry_after_cap_ms: 1500,
            pacing: false,
            coalesced: true,
            poll_first_ms: 10,
            poll_max_ms: 50,
        },
        refused: false,
        accept: List(vec![Serve]),
        faults: List(vec![TooMany(Absent), CloseAfterRead]),
        lookup: List(vec![IgnoreFilters]),
    });
}
