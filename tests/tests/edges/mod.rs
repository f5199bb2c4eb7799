//! The edges of retries, outcome-unknown errors, job recovery and pacing,
//! as one list of scenarios played against a [`ScriptedServer`]. Each
//! crate's test file implements [`Sdk`] and runs the whole list through
//! its own client (`edge_tests!`), so the async and the blocking client
//! are held to the same expectations.
//!
//! A scenario is a script and a few calls; for each call it checks the
//! error kind, status, `outcome_unknown()` and `attempts()` (or the ids of
//! the answer), how many requests of the call's operation and how many
//! job lookups the server read, that nothing else was sent, how long the
//! call took, and that a billed request arrived at most once unless each
//! earlier arrival was refused with a 429. Every mismatch of every call is
//! reported together.

pub mod cases;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use studio_api::{ClientBuilder, Error, ErrorKind};
use studio_tests::scripted::{Refusing, Response, Script, ScriptedServer, Seen};

/// The client's timeout per attempt.
pub const TIMEOUT: Duration = Duration::from_millis(400);
/// The backoff's first step and ceiling: two retries wait at most 3 ms.
pub const BACKOFF: (Duration, Duration) = (Duration::from_millis(1), Duration::from_millis(5));
/// What a call may take beyond the waits it is expected to make.
pub const SLACK: Duration = Duration::from_millis(300);
/// The path of the job lookup.
pub const LOOKUP: &str = "/api/v1/generation-jobs";
/// The project, frame and job ids the operations use.
pub const PROJECT: &str = "prj_1";
pub const FRAME: &str = "frm_1";
pub const JOB: &str = "job_new";

/// An operation under test.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `get_project(prj_1)`: a read, 200.
    Read,
    /// `create_project`: a write that is not billed, 201.
    Write,
    /// `generate_frame_image(frm_1)`: a billed write that starts a job, 202.
    Billed,
    /// `generate_multi_shot(prj_1)` with these `frame_ids`: billed, 202.
    MultiShot(Vec<&'static str>),
}

impl Op {
    /// The three operations every fault is tried with.
    pub const EACH: [Op; 3] = [Op::Read, Op::Write, Op::Billed];

    /// Its HTTP method.
    pub fn method(&self) -> &'static str {
        match self {
            Op::Read => "GET",
            _ => "POST",
        }
    }

    /// Its path, as the server sees it.
    pub fn path(&self) -> &'static str {
        match self {
            Op::Read => "/api/v1/projects/prj_1",
            Op::Write => "/api/v1/projects",
            Op::Billed => "/api/v1/frames/frm_1/image/generate",
            Op::MultiShot(_) => "/api/v1/projects/prj_1/multi-shot",
        }
    }

    /// Whether it is billed.
    pub fn billed(&self) -> bool {
        matches!(self, Op::Billed | Op::MultiShot(_))
    }

    /// Its success status.
    pub fn status(&self) -> u16 {
        match self {
            Op::Read => 200,
            Op::Write => 201,
            _ => 202,
        }
    }

    /// The answer of a server that did the work.
    pub fn success(&self) -> Response {
        let data = match self {
            Op::Read | Op::Write => cases::project(),
            Op::Billed => cases::job(JOB, "image", FRAME, cases::Time::Now),
            Op::MultiShot(frames) => frames
                .iter()
                .map(|frame| {
                    cases::job(
                        &format!("job_{frame}"),
                        "multi_shot",
                        frame,
                        cases::Time::Now,
                    )
                })
                .collect(),
        };
        Response::json(
            self.status(),
            &serde_json::json!({"success": true, "data": data}),
        )
    }

    /// The ids a success answers with.
    pub fn ids(&self) -> Vec<String> {
        match self {
            Op::Read | Op::Write => vec![PROJECT.to_string()],
            Op::Billed => vec![JOB.to_string()],
            Op::MultiShot(frames) => frames.iter().map(|frame| format!("job_{frame}")).collect(),
        }
    }

    /// What it stands for in a fault's scenarios.
    pub fn role(&self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Write => "unbilled write",
            _ => "billed write",
        }
    }

    /// Its operation id.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Read => "get_project",
            Op::Write => "create_project",
            Op::Billed => "generate_frame_image",
            Op::MultiShot(_) => "generate_multi_shot",
        }
    }
}

/// A client of one crate, as the scenarios drive it.
pub trait Sdk: Sized {
    /// The client `builder` makes.
    fn build(builder: ClientBuilder) -> Self;
    /// Calls `op`; the ids of the project or jobs it answered with.
    fn call(&self, op: &Op) -> Result<Vec<String>, Error>;
    /// Lets `wait` pass between calls as a user of this crate would.
    fn pause(&self, wait: Duration);
}

/// What a call answered: the ids of the project or jobs, and its `data`
/// serialised back to JSON, or why it could not be.
pub struct Answer {
    /// The ids, in the order answered.
    pub ids: Vec<String>,
    /// The answer's `data` as JSON.
    pub json: Result<serde_json::Value, String>,
}

impl Answer {
    /// The answer whose `data` is `data`, holding `ids`.
    pub fn of(data: &impl serde::Serialize, ids: Vec<String>) -> Self {
        Answer {
            ids,
            json: serde_json::to_value(data).map_err(|e| e.to_string()),
        }
    }
}

/// Calls `$op` on `$client`, passing each request's `send()` through
/// `$finish` (`.await`-ing it for the async client, as it is for the
/// blocking one); the [`Answer`]. One text for both crates.
#[macro_export]
macro_rules! call_op {
    ($client:expr, $op:expr, |$sent:ident| $finish:expr) => {{
        use $crate::edges::{Answer, FRAME, Op, PROJECT};
        match $op {
            Op::Read => {
                let $sent = $client.get_project().project_id(PROJECT).send();
                $finish.map(|answer| {
                    let data = answer.into_inner().data;
                    Answer::of(&data, vec![data.id.clone()])
                })
            }
            Op::Write => {
                let $sent = $client
                    .create_project()
                    .body_map(|b| b.name("Edges"))
                    .send();
                $finish.map(|answer| {
                    let data = answer.into_inner().data;
                    Answer::of(&data, vec![data.id.clone()])
                })
            }
            Op::Billed => {
                let $sent = $client.generate_frame_image().frame_id(FRAME).send();
                $finish.map(|answer| {
                    let data = answer.into_inner().data;
                    Answer::of(&data, vec![data.id.clone()])
                })
            }
            Op::MultiShot(frames) => {
                let $sent = $client
                    .generate_multi_shot()
                    .project_id(PROJECT)
                    .body_map(|b| b.frame_ids(frames))
                    .send();
                $finish.map(|answer| {
                    let data = answer.into_inner().data;
                    Answer::of(&data, data.iter().map(|job| job.id.clone()).collect())
                })
            }
        }
    }};
}

/// One test per case of [`cases`], run through the client `$sdk`.
#[macro_export]
macro_rules! edge_tests {
    ($sdk:ty) => {
        $crate::edge_tests!($sdk;
            refused, close_before_read, close_after_read, reset_after_read, silent,
            html_502, empty_429, status_503, status_503_with_retry_after, status_500,
            retry_after_as_date, huge_retry_after, stalled_body, truncated_body,
            invalid_json, missing_field, redirect, validation_422,
            stale_keep_alive_closed, stale_keep_alive_reset,
            recovery_after_each_unknown_outcome, recovery_right_job, recovery_older_job_only,
            recovery_other_frame, recovery_filters_ignored_with_the_job,
            recovery_filters_ignored_without_the_job, recovery_two_candidates,
            recovery_lookup_hangs, recovery_server_clock_ahead, recovery_server_clock_behind,
            recovery_older_job_on_a_clock_behind, recovery_date_lies_ahead, recovery_without_dates,
            recovery_job_in_an_unknown_status,
            recovery_never_takes_an_earlier_calls_job_in_an_unknown_status,
            multi_shot_one_job_per_frame, multi_shot_a_frame_without_a_job,
            multi_shot_two_jobs_for_a_frame, multi_shot_filters_ignored,
            pacing_far_retry_after, pacing_far_reset, pacing_short_reset_is_waited,
            pacing_short_retry_after_is_waited,
        );
    };
    ($sdk:ty; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::edges::run::<$sdk>($crate::edges::cases::$case());
            }
        )*
    };
}

/// What a call should end in.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Success, answering with these ids.
    Ok(Vec<String>),
    /// An error with these properties.
    Err {
        kind: Kind,
        status: Option<u16>,
        unknown: bool,
        attempts: u32,
    },
}

/// The error kinds the scenarios expect.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Server,
    Timeout,
    Connection,
    UnexpectedStatus,
    Undecodable,
    Validation,
    /// Rate limited, with exactly this `retry_after`.
    RateLimited(Option<Duration>),
    /// Rate limited, with a `retry_after` of at least this.
    RateLimitedFor(Duration),
}

impl Kind {
    fn matches(&self, kind: &ErrorKind) -> bool {
        match (self, kind) {
            (Kind::Server, ErrorKind::Server)
            | (Kind::Timeout, ErrorKind::Timeout)
            | (Kind::Connection, ErrorKind::Connection)
            | (Kind::UnexpectedStatus, ErrorKind::UnexpectedStatus)
            | (Kind::Undecodable, ErrorKind::UndecodableResponse { .. })
            | (Kind::Validation, ErrorKind::Validation { .. }) => true,
            (Kind::RateLimited(want), ErrorKind::RateLimited { retry_after }) => {
                want == retry_after
            }
            (Kind::RateLimitedFor(least), ErrorKind::RateLimited { retry_after }) => {
                retry_after.is_some_and(|wait| wait >= *least)
            }
            _ => false,
        }
    }
}

/// What a call should do: its outcome, what the server read during it,
/// and how long it takes.
#[derive(Debug, Clone)]
pub struct Expect {
    pub outcome: Outcome,
    /// Requests of the call's own operation the server read.
    pub sent: usize,
    /// Job lookups the server read.
    pub lookups: usize,
    /// The least and most the call may take.
    pub wall: (Duration, Duration),
    /// What every lookup's query must contain.
    pub lookup_query: Vec<&'static str>,
}

/// A success answering with `ids`, sent once, quickly.
pub fn ok(ids: Vec<String>) -> Expect {
    Expect {
        outcome: Outcome::Ok(ids),
        sent: 1,
        lookups: 0,
        wall: (Duration::ZERO, SLACK),
        lookup_query: Vec::new(),
    }
}

/// A success answering with `ids` on the second try, after a refusal.
pub fn ok_on_second_try(ids: Vec<String>) -> Expect {
    Expect { sent: 2, ..ok(ids) }
}

/// An error, the request read by the server once per attempt, quickly.
pub fn err(kind: Kind, status: Option<u16>, unknown: bool, attempts: u32) -> Expect {
    Expect {
        outcome: Outcome::Err {
            kind,
            status,
            unknown,
            attempts,
        },
        sent: attempts as usize,
        lookups: 0,
        wall: (Duration::ZERO, SLACK),
        lookup_query: Vec::new(),
    }
}

impl Expect {
    /// None of the call's requests reaches the server.
    pub fn unseen(self) -> Self {
        Expect { sent: 0, ..self }
    }

    /// Job lookups the server reads.
    pub fn lookups(mut self, lookups: usize) -> Self {
        self.lookups = lookups;
        self
    }

    /// Takes at least `least` and at most `waits` plus [`SLACK`].
    pub fn taking(self, least: Duration, waits: Duration) -> Self {
        let wall = (least, waits + SLACK);
        Expect { wall, ..self }
    }

    /// Every lookup's query has each of `parts`.
    pub fn lookup_query(self, parts: &[&'static str]) -> Self {
        let lookup_query = parts.to_vec();
        Expect {
            lookup_query,
            ..self
        }
    }

    /// How many times the call is expected to try.
    pub fn attempts(&self) -> usize {
        match self.outcome {
            Outcome::Err { attempts, .. } => attempts as usize,
            Outcome::Ok(_) => self.sent,
        }
    }
}

/// One call of a scenario.
#[derive(Debug, Clone)]
pub struct Call {
    pub op: Op,
    /// Waited before the call.
    pub pause: Duration,
    /// Made with a new client (same credential) instead of the last one.
    pub new_client: bool,
    pub expect: Expect,
}

impl Call {
    pub fn new(op: Op, expect: Expect) -> Self {
        Call {
            op,
            pause: Duration::ZERO,
            new_client: false,
            expect,
        }
    }

    pub fn after(mut self, pause: Duration) -> Self {
        self.pause = pause;
        self
    }

    pub fn new_client(mut self) -> Self {
        self.new_client = true;
        self
    }
}

/// A server script and the calls made to it, with one credential.
pub struct Scenario {
    pub name: String,
    pub script: Script,
    /// Calls go to a port where nothing listens.
    pub refused: bool,
    /// Clients pace themselves (off unless the scenario is about pacing,
    /// so that a 429 costs only the backoff).
    pub pacing: bool,
    pub calls: Vec<Call>,
}

impl Scenario {
    pub fn new(name: impl Into<String>, script: Script, calls: Vec<Call>) -> Self {
        Scenario {
            name: name.into(),
            script,
            refused: false,
            pacing: false,
            calls,
        }
    }
}

/// Plays every scenario and fails with every mismatch found.
pub fn run<S: Sdk>(scenarios: Vec<Scenario>) {
    let failures: Vec<String> = scenarios.into_iter().flat_map(play::<S>).collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A credential no other scenario of this process uses: pacing budgets
/// are shared per credential.
fn fresh_key() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("sk_test_edges_{}", NEXT.fetch_add(1, Ordering::SeqCst))
}

fn play<S: Sdk>(scenario: Scenario) -> Vec<String> {
    let server = ScriptedServer::start(scenario.script);
    let refusing = Refusing::new();
    let base_url = match scenario.refused {
        true => refusing.base_url().to_string(),
        false => server.base_url().to_string(),
    };
    let key = fresh_key();
    let builder = || {
        ClientBuilder::new()
            .base_url(&base_url)
            .api_key(&key)
            .pacing(scenario.pacing)
            .max_retries(2)
            .backoff(BACKOFF.0, BACKOFF.1)
            .timeout(TIMEOUT)
            .retry_after_cap(Duration::from_secs(60))
    };
    let mut client = S::build(builder());
    let mut failures = Vec::new();
    for (index, call) in scenario.calls.iter().enumerate() {
        if call.new_client {
            client = S::build(builder());
        }
        if !call.pause.is_zero() {
            client.pause(call.pause);
        }
        let before = server.requests().len();
        let started = Instant::now();
        let result = client.call(&call.op);
        let took = started.elapsed();
        let seen = server.requests().split_off(before);
        let label = format!("{}, call {} ({})", scenario.name, index + 1, call.op.name());
        failures.extend(
            check(&call.op, &call.expect, &result, took, &seen)
                .into_iter()
                .map(|f| format!("{label}: {f}")),
        );
    }
    failures
}

/// The mismatches between what `expect` says and what happened.
fn check(
    op: &Op,
    expect: &Expect,
    result: &Result<Vec<String>, Error>,
    took: Duration,
    seen: &[Seen],
) -> Vec<String> {
    let mut failures = Vec::new();
    let mut differ = |what: &str, want: String, got: String| {
        if want != got {
            failures.push(format!("{what}: expected {want}, got {got}"));
        }
    };
    match (&expect.outcome, result) {
        (Outcome::Ok(ids), Ok(got)) => differ("ids", format!("{ids:?}"), format!("{got:?}")),
        (Outcome::Ok(_), Err(error)) => differ("outcome", "success".into(), format!("{error:?}")),
        (Outcome::Err { .. }, Ok(ids)) => {
            differ("outcome", "an error".into(), format!("success {ids:?}"))
        }
        (
            Outcome::Err {
                kind,
                status,
                unknown,
                attempts,
            },
            Err(error),
        ) => {
            if !kind.matches(error.kind()) {
                differ(
                    "kind",
                    format!("{kind:?}"),
                    format!("{:?} ({error})", error.kind()),
                );
            }
            differ(
                "status",
                format!("{status:?}"),
                format!("{:?}", error.status().map(|s| s.as_u16())),
            );
            differ(
                "outcome_unknown",
                unknown.to_string(),
                error.outcome_unknown().to_string(),
            );
            differ(
                "attempts",
                attempts.to_string(),
                error.attempts().to_string(),
            );
        }
    }
    let own: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.method == op.method() && s.path == op.path())
        .collect();
    let lookups: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.method == "GET" && s.path == LOOKUP)
        .collect();
    differ(
        &format!("{} {} received", op.method(), op.path()),
        expect.sent.to_string(),
        own.len().to_string(),
    );
    differ(
        "lookups received",
        expect.lookups.to_string(),
        lookups.len().to_string(),
    );
    let others: Vec<String> = seen
        .iter()
        .filter(|s| !(s.method == op.method() && s.path == op.path()) && s.path != LOOKUP)
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    differ("other requests", "[]".into(), format!("{others:?}"));
    if op.billed() && own.len() > 1 && own[..own.len() - 1].iter().any(|s| s.answered != Some(429))
    {
        let answers: Vec<_> = own.iter().map(|s| s.answered).collect();
        failures.push(format!(
            "a billed request arrived again after an answer other than 429: {answers:?}"
        ));
    }
    for lookup in &lookups {
        let query = lookup.query.clone().unwrap_or_default();
        for part in &expect.lookup_query {
            if !query
                .split('&')
                .any(|pair| pair == *part || (part.ends_with('=') && pair.starts_with(part)))
            {
                failures.push(format!("the lookup's query {query:?} lacks {part:?}"));
            }
        }
    }
    let (least, most) = expect.wall;
    if took < least || took > most {
        failures.push(format!("took {took:?}, expected {least:?} to {most:?}"));
    }
    failures
}
