//! Where a call's deadline meets the rest: job recovery, a 429's wait, a
//! body still arriving, and a server's hint on a poll. A call ended by
//! its deadline says what happened before it (the tries, the last status
//! and request id, whether the server may have acted); a hint is never
//! waited past the retry-after cap. Each case runs through the async and
//! the blocking client.

use crate::edges::{FRAME, LOOKUP, Op, cases};
use std::time::{Duration, Instant};
use studio_api::types::{GenerationJob, JobStatus};
use studio_api::{Client, ClientBuilder, Error, ErrorKind, PollSchedule};
use studio_tests::scripted::{Refusing, Response, Script, ScriptedServer, Step};

/// What a call may take beyond the time it is expected to end at.
const SLACK: Duration = Duration::from_millis(700);

/// Which crate's client makes the call.
#[derive(Debug, Clone, Copy)]
enum Crate {
    Async,
    Blocking,
}

const BOTH: [Crate; 2] = [Crate::Async, Crate::Blocking];

impl Crate {
    /// Runs `call` with `client` as this crate's client; what it returned
    /// and how long it took.
    fn time<T>(
        self,
        client: Client,
        run: impl FnOnce(Caller<'_>) -> Result<T, Error>,
    ) -> (Result<T, Error>, Duration) {
        let start = Instant::now();
        let result = match self {
            Crate::Async => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .expect("a runtime");
                run(Caller::Async(&client, &runtime))
            }
            Crate::Blocking => {
                let client = studio_api_blocking::Client::from_async(client).expect("a client");
                run(Caller::Blocking(&client))
            }
        };
        (result, start.elapsed())
    }
}

/// A client of either crate, with what it needs to make a call.
enum Caller<'a> {
    Async(&'a Client, &'a tokio::runtime::Runtime),
    Blocking(&'a studio_api_blocking::Client),
}

impl Caller<'_> {
    /// Calls `op`; the ids it answered with.
    fn call(&self, op: &Op) -> Result<Vec<String>, Error> {
        match self {
            Caller::Async(client, runtime) => call_op!(client, op, |sent| runtime.block_on(sent)),
            Caller::Blocking(client) => call_op!(client, op, |sent| sent),
        }
        .map(|answer| answer.ids)
    }

    /// Waits for the job `queued` until it is final, or `within` has passed.
    fn wait_until(
        &self,
        queued: &GenerationJob,
        schedule: PollSchedule,
        within: Duration,
    ) -> Result<GenerationJob, Error> {
        let deadline = Instant::now() + within;
        match self {
            Caller::Async(client, runtime) => runtime.block_on(
                client
                    .job(queued)
                    .poll_schedule(schedule)
                    .wait_until(deadline),
            ),
            Caller::Blocking(client) => client
                .job(queued)
                .poll_schedule(schedule)
                .wait_until(deadline),
        }
    }

    /// Waits for the job `queued` until it is final.
    fn wait(&self, queued: &GenerationJob, schedule: PollSchedule) -> Result<GenerationJob, Error> {
        match self {
            Caller::Async(client, runtime) => {
                runtime.block_on(client.job(queued).poll_schedule(schedule).wait())
            }
            Caller::Blocking(client) => client.job(queued).poll_schedule(schedule).wait(),
        }
    }
}

/// A client of `base_url` with a `timeout` per attempt and a `deadline`
/// per call, no pacing, and quick retries.
fn client(base_url: &str, timeout: Duration, deadline: Duration) -> Client {
    builder(base_url)
        .timeout(timeout)
        .build()
        .expect("a client")
        .with_options(|o| o.deadline(deadline))
}

fn builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .api_key("sk_test_deadlines")
        .pacing(false)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
}

fn assert_by(took: Duration, end: Duration, what: &str) {
    assert!(took < end + SLACK, "{what}: took {took:?}, due by {end:?}");
}

/// Calls `op` on `base_url` through `sdk`'s client with a `timeout` per
/// attempt and a `deadline`, which it must fail by; the error, and what to
/// call the case in messages.
fn fails_by(
    sdk: Crate,
    op: &Op,
    base_url: &str,
    timeout: Duration,
    deadline: Duration,
) -> (Error, String) {
    let (result, took) = sdk.time(client(base_url, timeout, deadline), |c| c.call(op));
    let what = format!("{sdk:?} {}", op.name());
    assert_by(took, deadline, &what);
    (result.expect_err(&what), what)
}

#[test]
fn a_deadline_during_job_recovery_returns_the_submissions_own_error() {
    let held = Step::Silent(Duration::from_secs(8));
    for (answer, kind, status) in [
        (held.clone(), ErrorKind::Timeout, None),
        (
            Step::Answer(Response::empty(502)),
            ErrorKind::Server,
            Some(502),
        ),
    ] {
        for sdk in BOTH {
            let server = ScriptedServer::start(
                Script::new()
                    .route("POST", Op::Billed.path(), [answer.clone()])
                    .route("GET", LOOKUP, [held.clone()]),
            );
            let (error, what) = fails_by(
                sdk,
                &Op::Billed,
                server.base_url(),
                Duration::from_secs(1),
                Duration::from_secs(3),
            );
            let what = format!("{what}, POST answered {status:?}");
            assert_eq!(error.kind(), &kind, "{what}: {error}");
            assert_eq!(error.status().map(|s| s.as_u16()), status, "{what}");
            assert!(error.outcome_unknown(), "{what}: the POST was received");
            assert_eq!(error.attempts(), 1, "{what}");
            assert_eq!(server.count("POST", Op::Billed.path()), 1, "{what}");
            assert!(server.count("GET", LOOKUP) >= 1, "{what}: a lookup ran");
        }
    }
}

#[test]
fn a_deadline_during_a_429s_wait_leaves_a_refused_write_not_sent() {
    for op in Op::EACH {
        for sdk in BOTH {
            let refused = Response::empty(429).header("retry-after", 8);
            let server = ScriptedServer::start(
                Script::new()
                    .route("POST", op.path(), [Step::Answer(refused.clone())])
                    .route("GET", op.path(), [Step::Answer(refused)]),
            );
            let (error, what) = fails_by(
                sdk,
                &op,
                server.base_url(),
                Duration::from_secs(1),
                Duration::from_millis(2500),
            );
            assert!(
                !error.outcome_unknown(),
                "{what}: a 429 was not acted on: {error}"
            );
            assert_eq!(error.attempts(), 1, "{what}");
            assert_eq!(error.status().map(|s| s.as_u16()), Some(429), "{what}");
            assert_eq!(server.count(op.method(), op.path()), 1, "{what}");
        }
    }
}

#[test]
fn a_deadline_during_a_backoff_after_refused_connections_leaves_a_write_not_sent() {
    for op in Op::EACH {
        for sdk in BOTH {
            let refusing = Refusing::new();
            let client = builder(refusing.base_url())
                .max_retries(10)
                .backoff(Duration::from_millis(300), Duration::from_millis(300))
                .build()
                .expect("a client")
                .with_options(|o| o.deadline(Duration::from_millis(500)));
            let (result, took) = sdk.time(client, |c| c.call(&op));
            let error = result.expect_err("nothing listens");
            let what = format!("{sdk:?} {}", op.name());
            assert_by(took, Duration::from_millis(500), &what);
            assert!(
                !error.outcome_unknown(),
                "{what}: nothing was sent: {error}"
            );
            assert!(error.attempts() >= 1, "{what}");
        }
    }
}

#[test]
fn a_deadline_while_the_body_drips_keeps_the_status_and_request_id() {
    for op in Op::EACH {
        for sdk in BOTH {
            let answer = op.success().header("x-request-id", "req_drip");
            let stall = Step::Stall {
                response: answer,
                sent: 1,
                pause: Duration::from_secs(8),
            };
            let server =
                ScriptedServer::start(Script::new().route(op.method(), op.path(), [stall]).route(
                    "GET",
                    LOOKUP,
                    [Step::Silent(Duration::from_secs(8))],
                ));
            let (error, what) = fails_by(
                sdk,
                &op,
                server.base_url(),
                Duration::from_secs(10),
                Duration::from_millis(1500),
            );
            assert_eq!(error.kind(), &ErrorKind::Timeout, "{what}: {error}");
            assert_eq!(
                error.status().map(|s| s.as_u16()),
                Some(op.status()),
                "{what}"
            );
            assert_eq!(error.request_id(), Some("req_drip"), "{what}");
            assert_eq!(error.outcome_unknown(), op != Op::Read, "{what}: {error}");
            assert_eq!(error.attempts(), 1, "{what}");
        }
    }
}

#[test]
fn a_retry_after_on_a_poll_that_answered_is_waited_at_most_the_cap() {
    let queued: GenerationJob =
        serde_json::from_value(cases::job("job_hint", "image", FRAME, cases::Time::Now))
            .expect("a job");
    let path = "/api/v1/generation-jobs/job_hint";
    let state = |status: &str| {
        let mut job = cases::job("job_hint", "image", FRAME, cases::Time::Now);
        job["status"] = status.into();
        Response::json(200, &serde_json::json!({"success": true, "data": job}))
    };
    for hint in ["30", "100000"] {
        for sdk in BOTH {
            let server = ScriptedServer::start(Script::new().route(
                "GET",
                path,
                [
                    Step::Answer(state("processing").header("retry-after", hint)),
                    Step::Answer(state("completed")),
                ],
            ));
            let client = builder(server.base_url())
                .retry_after_cap(Duration::from_secs(2))
                .build()
                .expect("a client");
            let quick = PollSchedule {
                first: Duration::from_millis(20),
                factor: 1.0,
                max: Duration::from_millis(20),
            };
            let (result, took) = sdk.time(client, |c| c.wait(&queued, quick));
            let what = format!("{sdk:?}, Retry-After: {hint}");
            assert_eq!(result.expect(&what).status, JobStatus::Completed, "{what}");
            assert_by(took, Duration::from_secs(2), &what);
            assert_eq!(server.count("GET", path), 2, "{what}");
        }
    }
}

#[test]
fn a_wait_until_returns_by_its_deadline_plus_one_attempt_however_its_polls_are_retried() {
    let queued: GenerationJob =
        serde_json::from_value(cases::job("job_slow", "image", FRAME, cases::Time::Now))
            .expect("a job");
    let path = "/api/v1/generation-jobs/job_slow";
    for sdk in BOTH {
        // Every poll is held past the timeout; a read is retried after one.
        let server = ScriptedServer::start(Script::new().route(
            "GET",
            path,
            [Step::Silent(Duration::from_secs(8))],
        ));
        let client = builder(server.base_url())
            .timeout(Duration::from_millis(500))
            .max_retries(5)
            .build()
            .expect("a client");
        let quick = PollSchedule {
            first: Duration::from_millis(20),
            factor: 1.0,
            max: Duration::from_millis(20),
        };
        let (result, took) = sdk.time(client, |c| {
            c.wait_until(&queued, quick, Duration::from_millis(300))
        });
        let what = format!("{sdk:?}");
        let error = result.expect_err("the job is never seen");
        assert!(
            matches!(error.kind(), ErrorKind::DeadlinePassed { .. }),
            "{what}: {error}"
        );
        assert_by(took, Duration::from_millis(800), &what);
    }
}
