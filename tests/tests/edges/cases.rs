//! The cases, one function per test: each is a list of scenarios.
//!
//! A fault is tried on a read (`get_project`), an unbilled write
//! (`create_project`) and a billed write (`generate_frame_image`, whose
//! job lookup then finds nothing, so the error itself is checked). The
//! recovery cases fail a billed write and script the lookup's answer.

use super::{
    Call, Expect, FRAME, JOB, Kind, LOOKUP, Op, PROJECT, Scenario, TIMEOUT, err, ok,
    ok_on_second_try,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use studio_tests::scripted::{Accept, After, Dates, Response, Script, Seen, Step};

const T: Duration = TIMEOUT;
/// Longer than any timeout: a stall or a silence the client gives up on.
const STALL: Duration = Duration::from_secs(2);
const HTML_502: &str = "<html><body><h1>502 Bad Gateway</h1></body></html>";
/// What every image lookup asks for.
const QUERY: [&str; 3] = ["type=image", "frame_id=frm_1", "limit=100"];
/// What every multi-shot lookup asks for.
const MULTI_QUERY: [&str; 3] = ["type=multi_shot", "project_id=prj_1", "limit=100"];
const FRAMES: [&str; 2] = ["frm_a", "frm_b"];

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

/// The project every project operation answers with.
pub fn project() -> Value {
    json!({
        "id": PROJECT, "name": "Edges", "aspect_ratio": "16:9", "frame_count": 0,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    })
}

/// When a job was created.
#[derive(Clone, Copy)]
pub enum Time {
    /// When the answer is made.
    Now,
    /// At this moment.
    At(SystemTime),
}

/// A queued job of `kind` on `frame` of the project.
pub fn job(id: &str, kind: &str, frame: &str, created: Time) -> Value {
    job_in(id, kind, frame, PROJECT, created)
}

fn job_in(id: &str, kind: &str, frame: &str, project: &str, created: Time) -> Value {
    let at = match created {
        Time::Now => SystemTime::now(),
        Time::At(at) => at,
    };
    let at = DateTime::<Utc>::from(at).to_rfc3339_opts(SecondsFormat::Millis, true);
    json!({
        "id": id, "type": kind, "status": "queued", "progress": 0,
        "project_id": project, "frame_id": frame, "created_at": at, "updated_at": at,
    })
}

fn error_body(status: u16, message: &str) -> Response {
    Response::json(status, &json!({"success": false, "message": message}))
}

/// One page holding `jobs`, as the lookup answers.
pub fn jobs_page(jobs: Vec<Value>) -> Response {
    let total = jobs.len();
    Response::json(
        200,
        &json!({
            "success": true, "data": jobs,
            "pagination": {"page": 1, "limit": 100, "total": total, "total_pages": total.min(1)},
        }),
    )
}

/// When the server read the last submission (POST) before the lookup.
fn submitted(log: &[Seen]) -> SystemTime {
    log.iter()
        .rev()
        .find(|seen| seen.method == "POST")
        .map_or_else(SystemTime::now, |seen| seen.at)
}

/// A lookup answering the jobs `list` makes of the submission's arrival.
fn lookup(list: impl Fn(SystemTime) -> Vec<Value> + Send + Sync + 'static) -> Step {
    Step::decide(move |log| Step::Answer(jobs_page(list(submitted(log)))))
}

fn no_jobs() -> Step {
    Step::Answer(jobs_page(Vec::new()))
}

fn epoch(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

/// A fault tried on each operation: `steps` answers its requests (from
/// its normal answer); a billed operation's lookup finds no job.
fn each_op(steps: fn(&Op) -> Vec<Step>, expect: [Expect; 3]) -> Vec<Scenario> {
    Op::EACH
        .into_iter()
        .zip(expect)
        .map(|(op, expect)| {
            let script = Script::new()
                .route(op.method(), op.path(), steps(&op))
                .route("GET", LOOKUP, [no_jobs()]);
            Scenario::new(op.role(), script, vec![Call::new(op, expect)])
        })
        .collect()
}

/// The same for a fault the operation's route never sees.
fn each_op_unrouted(expect: [Expect; 3]) -> Vec<Scenario> {
    each_op(|op| vec![Step::Answer(op.success())], expect)
}

pub fn refused() -> Vec<Scenario> {
    let refused = || err(Kind::Connection, None, false, 3).unseen();
    let mut scenarios = each_op_unrouted([refused(), refused(), refused()]);
    for scenario in &mut scenarios {
        scenario.refused = true;
    }
    scenarios
}

/// Connections closed before the server reads anything: as many as the
/// call should try, so that one more would be answered (and seen).
pub fn close_before_read() -> Vec<Scenario> {
    let mut scenarios = each_op_unrouted([
        err(Kind::Connection, None, false, 3).unseen(),
        err(Kind::Connection, None, true, 1).unseen(),
        err(Kind::Connection, None, true, 1).unseen().lookups(1),
    ]);
    for scenario in &mut scenarios {
        let closes = scenario.calls[0].expect.attempts();
        let script = std::mem::take(&mut scenario.script);
        scenario.script = script.accept(std::iter::repeat_n(Accept::Close, closes));
    }
    scenarios
}

/// What a fault with no answer (or none usable) does to each operation.
fn unanswered(kind: Kind, status: [Option<u16>; 3], read_attempts: u32) -> [Expect; 3] {
    [
        err(kind.clone(), status[0], false, read_attempts),
        err(kind.clone(), status[1], true, 1),
        err(kind, status[2], true, 1).lookups(1),
    ]
}

pub fn close_after_read() -> Vec<Scenario> {
    each_op(
        |_| vec![Step::Close],
        unanswered(Kind::Connection, [None; 3], 3),
    )
}

pub fn reset_after_read() -> Vec<Scenario> {
    each_op(
        |_| vec![Step::Reset],
        unanswered(Kind::Connection, [None; 3], 3),
    )
}

pub fn silent() -> Vec<Scenario> {
    let [read, write, billed] = unanswered(Kind::Timeout, [None; 3], 3);
    each_op(
        |_| vec![Step::Silent(STALL)],
        [
            read.taking(3 * T, 3 * T),
            write.taking(T, T),
            billed.taking(T, T),
        ],
    )
}

pub fn html_502() -> Vec<Scenario> {
    each_op(
        |_| vec![Step::Answer(Response::text(502, "text/html", HTML_502))],
        unanswered(Kind::Server, [Some(502); 3], 3),
    )
}

pub fn empty_429() -> Vec<Scenario> {
    let refused = || err(Kind::RateLimited(None), Some(429), false, 3);
    each_op(
        |_| vec![Step::Answer(Response::empty(429))],
        [refused(), refused(), refused()],
    )
}

pub fn status_503() -> Vec<Scenario> {
    each_op(
        |_| vec![Step::Answer(error_body(503, "Service unavailable"))],
        unanswered(Kind::Server, [Some(503); 3], 3),
    )
}

/// A 503 asking for a second: a read waits it out; a write is not resent
/// and does not wait.
pub fn status_503_with_retry_after() -> Vec<Scenario> {
    let [_, write, billed] = unanswered(Kind::Server, [Some(503); 3], 3);
    each_op(
        |op| {
            let busy = Response::empty(503).header("retry-after", 1);
            vec![Step::Answer(busy), Step::Answer(op.success())]
        },
        [
            ok_on_second_try(Op::Read.ids()).taking(secs(1), secs(1)),
            write,
            billed,
        ],
    )
}

pub fn status_500() -> Vec<Scenario> {
    each_op(
        |_| vec![Step::Answer(error_body(500, "Internal error"))],
        unanswered(Kind::Server, [Some(500); 3], 1),
    )
}

/// `Retry-After` as an HTTP date two seconds ahead (one to two seconds of
/// waiting, as the date has whole seconds), then the work is done.
pub fn retry_after_as_date() -> Vec<Scenario> {
    let waited = |op: Op| ok_on_second_try(op.ids()).taking(ms(900), secs(2));
    each_op(
        |op| {
            let later = Response::retry_at(429, secs(2));
            vec![Step::Answer(later), Step::Answer(op.success())]
        },
        Op::EACH.map(waited),
    )
}

pub fn huge_retry_after() -> Vec<Scenario> {
    let refused = || err(Kind::RateLimited(Some(secs(3600))), Some(429), false, 1);
    each_op(
        |_| {
            vec![Step::Answer(
                Response::empty(429).header("retry-after", 3600),
            )]
        },
        [refused(), refused(), refused()],
    )
}

/// The head and ten bytes of the body, then nothing past the timeout.
pub fn stalled_body() -> Vec<Scenario> {
    let [read, write, billed] = unanswered(Kind::Timeout, [Some(200), Some(201), Some(202)], 3);
    each_op(
        |op| {
            vec![Step::Stall {
                response: op.success(),
                sent: 10,
                pause: STALL,
            }]
        },
        [
            read.taking(3 * T, 3 * T),
            write.taking(T, T),
            billed.taking(T, T),
        ],
    )
}

/// A `content-length` larger than the body sent before closing.
pub fn truncated_body() -> Vec<Scenario> {
    each_op(
        |op| {
            vec![Step::Truncate {
                response: op.success(),
                sent: 40,
            }]
        },
        unanswered(Kind::Connection, [Some(200), Some(201), Some(202)], 3),
    )
}

pub fn invalid_json() -> Vec<Scenario> {
    each_op(
        |op| {
            vec![Step::Answer(Response::text(
                op.status(),
                "application/json",
                "{not json",
            ))]
        },
        unanswered(Kind::Undecodable, [Some(200), Some(201), Some(202)], 1),
    )
}

pub fn missing_field() -> Vec<Scenario> {
    each_op(
        |op| {
            let partial = json!({"success": true, "data": {"id": "incomplete"}});
            vec![Step::Answer(Response::json(op.status(), &partial))]
        },
        unanswered(Kind::Undecodable, [Some(200), Some(201), Some(202)], 1),
    )
}

pub fn redirect() -> Vec<Scenario> {
    each_op(
        |_| {
            let elsewhere =
                Response::empty(302).header("location", "https://elsewhere.example/api/v1/x");
            vec![Step::Answer(elsewhere)]
        },
        unanswered(Kind::UnexpectedStatus, [Some(302); 3], 1),
    )
}

pub fn validation_422() -> Vec<Scenario> {
    let rejected = || err(Kind::Validation, Some(422), false, 1);
    each_op(
        |_| {
            let body = json!({"success": false, "message": "Invalid input", "errors": {"name": ["is required"]}});
            vec![Step::Answer(Response::json(422, &body))]
        },
        [rejected(), rejected(), rejected()],
    )
}

/// A kept-alive connection the server drops while idle between two calls:
/// the second call takes a new connection, and its request arrives once.
fn stale_keep_alive(after: After) -> Vec<Scenario> {
    Op::EACH
        .into_iter()
        .map(|op| {
            let script = Script::new().route(
                op.method(),
                op.path(),
                [Step::Answer(op.success().then(after))],
            );
            let calls = vec![
                Call::new(op.clone(), ok(op.ids())),
                Call::new(op.clone(), ok(op.ids())).after(ms(250)),
            ];
            Scenario::new(op.role(), script, calls)
        })
        .collect()
}

pub fn stale_keep_alive_closed() -> Vec<Scenario> {
    stale_keep_alive(After::IdleClose(ms(50)))
}

pub fn stale_keep_alive_reset() -> Vec<Scenario> {
    stale_keep_alive(After::IdleReset(ms(50)))
}

/// A billed image request failed by `fault`, the lookup answered by `lookup`.
fn recovery(name: &str, fault: Step, lookup: Step, dates: Dates, expect: Expect) -> Vec<Scenario> {
    let op = Op::Billed;
    let script = Script::new()
        .dates(dates)
        .route(op.method(), op.path(), [fault])
        .route("GET", LOOKUP, [lookup]);
    vec![Scenario::new(name, script, vec![Call::new(op, expect)])]
}

/// The job the submission started, created when the server read it.
fn started(at: SystemTime) -> Value {
    job(JOB, "image", FRAME, Time::At(at))
}

fn recovered() -> Expect {
    ok(vec![JOB.to_string()]).lookups(1).lookup_query(&QUERY)
}

fn not_recovered() -> Expect {
    err(Kind::Connection, None, true, 1)
        .lookups(1)
        .lookup_query(&QUERY)
}

/// The job is found after every failure that leaves the outcome unknown;
/// after those that brought a `Date`, the lookup asks only for jobs
/// created since.
pub fn recovery_after_each_unknown_outcome() -> Vec<Scenario> {
    let success = Op::Billed.success();
    let faults: Vec<(&str, Step, Duration, bool)> = vec![
        ("closed", Step::Close, Duration::ZERO, false),
        ("reset", Step::Reset, Duration::ZERO, false),
        ("silent", Step::Silent(STALL), T, false),
        (
            "html 502",
            Step::Answer(Response::text(502, "text/html", HTML_502)),
            Duration::ZERO,
            true,
        ),
        (
            "500",
            Step::Answer(error_body(500, "Internal error")),
            Duration::ZERO,
            true,
        ),
        (
            "503",
            Step::Answer(error_body(503, "Unavailable")),
            Duration::ZERO,
            true,
        ),
        (
            "302",
            Step::Answer(Response::empty(302).header("location", "/elsewhere")),
            Duration::ZERO,
            true,
        ),
        (
            "stalled body",
            Step::Stall {
                response: success.clone(),
                sent: 10,
                pause: STALL,
            },
            T,
            true,
        ),
        (
            "truncated body",
            Step::Truncate {
                response: success,
                sent: 40,
            },
            Duration::ZERO,
            true,
        ),
        (
            "invalid json",
            Step::Answer(Response::text(202, "application/json", "{not json")),
            Duration::ZERO,
            true,
        ),
        (
            "missing field",
            Step::Answer(Response::json(
                202,
                &json!({"success": true, "data": {"id": JOB}}),
            )),
            Duration::ZERO,
            true,
        ),
    ];
    faults
        .into_iter()
        .flat_map(|(name, fault, waits, dated)| {
            let mut expect = recovered().taking(waits, waits);
            if dated {
                expect.lookup_query.push("created_after=");
            }
            recovery(
                &format!("after {name}"),
                fault,
                lookup(|at| vec![started(at)]),
                Dates::True,
                expect,
            )
        })
        .collect()
}

pub fn recovery_right_job() -> Vec<Scenario> {
    recovery(
        "right job",
        Step::Close,
        lookup(|at| vec![started(at)]),
        Dates::True,
        recovered(),
    )
}

pub fn recovery_older_job_only() -> Vec<Scenario> {
    let older = |at: SystemTime| vec![job("job_old", "image", FRAME, Time::At(at - secs(3)))];
    recovery(
        "older job only",
        Step::Close,
        lookup(older),
        Dates::True,
        not_recovered(),
    )
}

pub fn recovery_other_frame() -> Vec<Scenario> {
    let other = |at| vec![job("job_other", "image", "frm_2", Time::At(at))];
    recovery(
        "other frame",
        Step::Close,
        lookup(other),
        Dates::True,
        not_recovered(),
    )
}

/// What a server that ignores the lookup's filters lists besides the job:
/// other frames, other types, an older job, another project.
fn unfiltered(at: SystemTime) -> Vec<Value> {
    vec![
        job("job_old", "image", FRAME, Time::At(at - secs(3))),
        job("job_frame", "image", "frm_2", Time::At(at)),
        job("job_video", "video", FRAME, Time::At(at)),
        job("job_edit", "image_edit", FRAME, Time::At(at)),
        job_in("job_project", "multi_shot", FRAME, "prj_9", Time::At(at)),
    ]
}

pub fn recovery_filters_ignored_with_the_job() -> Vec<Scenario> {
    let listed = |at| {
        let mut jobs = unfiltered(at);
        jobs.insert(2, started(at));
        jobs
    };
    recovery(
        "filters ignored",
        Step::Close,
        lookup(listed),
        Dates::True,
        recovered(),
    )
}

pub fn recovery_filters_ignored_without_the_job() -> Vec<Scenario> {
    recovery(
        "filters ignored",
        Step::Close,
        lookup(unfiltered),
        Dates::True,
        not_recovered(),
    )
}

pub fn recovery_two_candidates() -> Vec<Scenario> {
    let two = |at: SystemTime| {
        vec![
            started(at),
            job("job_twin", "image", FRAME, Time::At(at + ms(1))),
        ]
    };
    recovery(
        "two candidates",
        Step::Close,
        lookup(two),
        Dates::True,
        not_recovered(),
    )
}

/// The lookup itself never answers: it is a read, tried three times, and
/// the call still ends within the timeouts.
pub fn recovery_lookup_hangs() -> Vec<Scenario> {
    let expect = not_recovered().lookups(3).taking(3 * T, 3 * T);
    recovery(
        "lookup hangs",
        Step::Close,
        Step::Silent(STALL),
        Dates::True,
        expect,
    )
}

/// A server whose clock runs an hour ahead (its `Date` and its jobs agree).
pub fn recovery_server_clock_ahead() -> Vec<Scenario> {
    let ahead = |at| vec![started(at + secs(3600))];
    recovery(
        "clock ahead",
        Step::Close,
        lookup(ahead),
        Dates::Shifted(3600),
        recovered(),
    )
}

/// A server whose clock runs an hour behind.
pub fn recovery_server_clock_behind() -> Vec<Scenario> {
    let behind = |at| vec![started(at - secs(3600))];
    recovery(
        "clock behind",
        Step::Close,
        lookup(behind),
        Dates::Shifted(-3600),
        recovered(),
    )
}

pub fn recovery_older_job_on_a_clock_behind() -> Vec<Scenario> {
    let older = |at| vec![job("job_old", "image", FRAME, Time::At(at - secs(3603)))];
    recovery(
        "older, clock behind",
        Step::Close,
        lookup(older),
        Dates::Shifted(-3600),
        not_recovered(),
    )
}

/// `Date` an hour ahead of the server's own job times: the job looks
/// older than the submission, so it is not taken.
pub fn recovery_date_lies_ahead() -> Vec<Scenario> {
    recovery(
        "date lies",
        Step::Close,
        lookup(|at| vec![started(at)]),
        Dates::Shifted(3600),
        not_recovered(),
    )
}

/// No `Date` at all: nothing says when the submission was sent on the
/// server's clock, so no job is taken.
pub fn recovery_without_dates() -> Vec<Scenario> {
    recovery(
        "no dates",
        Step::Close,
        lookup(|at| vec![started(at)]),
        Dates::Omitted,
        not_recovered(),
    )
}

/// `job` in a status this client does not know, as a newer server might
/// report a job it just started.
fn in_unknown_status(mut job: Value) -> Value {
    job["status"] = "scheduled".into();
    job
}

/// The lookup finds the job in a status this client does not know: it is
/// the answer all the same, its status kept.
pub fn recovery_job_in_an_unknown_status() -> Vec<Scenario> {
    recovery(
        "unknown status",
        Step::Close,
        lookup(|at| vec![in_unknown_status(started(at))]),
        Dates::True,
        recovered(),
    )
}

/// A job an earlier call answered with, in a status this client does not
/// know, is noted as that call's: a later lost submission on the frame
/// does not take it for its own.
pub fn recovery_never_takes_an_earlier_calls_job_in_an_unknown_status() -> Vec<Scenario> {
    let op = Op::Billed;
    let answered = Response::json(
        op.status(),
        &json!({"success": true, "data": in_unknown_status(job(JOB, "image", FRAME, Time::Now))}),
    );
    let script = Script::new()
        .route(
            op.method(),
            op.path(),
            [Step::Answer(answered), Step::Close],
        )
        .route(
            "GET",
            LOOKUP,
            [lookup(|at| vec![in_unknown_status(started(at))])],
        );
    let calls = vec![
        Call::new(op.clone(), ok(op.ids())),
        Call::new(op, not_recovered()),
    ];
    vec![Scenario::new("earlier job, unknown status", script, calls)]
}

/// A multi-shot for frm_a and frm_b, failed by a closed connection, the
/// lookup answering `list`.
fn multi_shot(name: &str, list: fn(SystemTime) -> Vec<Value>, expect: Expect) -> Vec<Scenario> {
    let op = Op::MultiShot(FRAMES.to_vec());
    let script = Script::new()
        .route(op.method(), op.path(), [Step::Close])
        .route("GET", LOOKUP, [lookup(list)]);
    vec![Scenario::new(
        name,
        script,
        vec![Call::new(op, expect.lookup_query(&MULTI_QUERY))],
    )]
}

fn shot(frame: &str, at: SystemTime) -> Value {
    job(&format!("job_{frame}"), "multi_shot", frame, Time::At(at))
}

fn shots_recovered() -> Expect {
    ok(Op::MultiShot(FRAMES.to_vec()).ids()).lookups(1)
}

fn shots_not_recovered() -> Expect {
    err(Kind::Connection, None, true, 1).lookups(1)
}

pub fn multi_shot_one_job_per_frame() -> Vec<Scenario> {
    multi_shot(
        "one each",
        |at| vec![shot("frm_b", at), shot("frm_a", at)],
        shots_recovered(),
    )
}

pub fn multi_shot_a_frame_without_a_job() -> Vec<Scenario> {
    multi_shot(
        "frm_b has none",
        |at| vec![shot("frm_a", at)],
        shots_not_recovered(),
    )
}

pub fn multi_shot_two_jobs_for_a_frame() -> Vec<Scenario> {
    let listed = |at| {
        vec![
            shot("frm_a", at),
            job("job_twin", "multi_shot", "frm_a", Time::At(at)),
            shot("frm_b", at),
        ]
    };
    multi_shot("frm_a has two", listed, shots_not_recovered())
}

pub fn multi_shot_filters_ignored() -> Vec<Scenario> {
    let listed = |at: SystemTime| {
        vec![
            job("job_old", "multi_shot", "frm_a", Time::At(at - secs(3))),
            shot("frm_a", at),
            job("job_image", "image", "frm_b", Time::At(at)),
            job("job_c", "multi_shot", "frm_c", Time::At(at)),
            job_in("job_project", "multi_shot", "frm_b", "prj_9", Time::At(at)),
            shot("frm_b", at),
        ]
    };
    multi_shot("filters ignored", listed, shots_recovered())
}

/// A call pacing refuses without sending: the server asked for a wait
/// far longer than the cap.
fn held() -> Expect {
    err(Kind::RateLimitedFor(secs(3500)), None, false, 0)
}

fn paced(name: &str, script: Script, calls: Vec<Call>) -> Vec<Scenario> {
    let mut scenario = Scenario::new(name, script, calls);
    scenario.pacing = true;
    vec![scenario]
}

/// After a 429 asking for an hour, every client with the key fails at once.
pub fn pacing_far_retry_after() -> Vec<Scenario> {
    let script = Script::new().route(
        "GET",
        Op::Read.path(),
        [Step::Answer(
            Response::empty(429).header("retry-after", 3600),
        )],
    );
    let calls = vec![
        Call::new(
            Op::Read,
            err(Kind::RateLimited(Some(secs(3600))), Some(429), false, 1),
        ),
        Call::new(Op::Write, held()).new_client(),
        Call::new(Op::Billed, held()).new_client(),
        Call::new(Op::Read, held()),
    ];
    paced("far retry-after", script, calls)
}

/// After a window with nothing left that resets in an hour, likewise.
pub fn pacing_far_reset() -> Vec<Scenario> {
    let used_up = Step::decide(|_| {
        let reset = epoch(SystemTime::now()) + 3600;
        Step::Answer(
            Op::Read
                .success()
                .header("x-ratelimit-limit", 60)
                .header("x-ratelimit-remaining", 0)
                .header("x-ratelimit-reset", reset),
        )
    });
    let script = Script::new().route("GET", Op::Read.path(), [used_up]);
    let calls = vec![
        Call::new(Op::Read, ok(Op::Read.ids())),
        Call::new(Op::Write, held()).new_client(),
        Call::new(Op::Billed, held()).new_client(),
    ];
    paced("far reset", script, calls)
}

/// Answers `op` normally, or 429 if a request arrives before `open` says
/// the server's window lets it in.
fn unless_early(op: Op, open: fn(&[Seen]) -> bool) -> Step {
    Step::decide(move |log| match open(log) {
        true => Step::Answer(op.success()),
        false => Step::Answer(Response::empty(429).header("retry-after", 1)),
    })
}

/// The read's window has nothing left and resets within two seconds; the
/// next calls wait for it and are not refused.
pub fn pacing_short_reset_is_waited() -> Vec<Scenario> {
    fn reset(log: &[Seen]) -> u64 {
        let read = log
            .iter()
            .find(|seen| seen.method == "GET")
            .expect("the read came first");
        epoch(read.at) + 2
    }
    let used_up = Step::decide(|log| {
        Step::Answer(
            Op::Read
                .success()
                .header("x-ratelimit-remaining", 0)
                .header("x-ratelimit-reset", reset(log)),
        )
    });
    let open = |log: &[Seen]| epoch(log.last().expect("logged").at) >= reset(log);
    let script = Script::new()
        .route("GET", Op::Read.path(), [used_up])
        .route("POST", Op::Write.path(), [unless_early(Op::Write, open)])
        .route("POST", Op::Billed.path(), [unless_early(Op::Billed, open)]);
    let calls = vec![
        Call::new(Op::Read, ok(Op::Read.ids())),
        // How long the write waits depends on where in its second the read
        // fell and how soon the write follows; that it waited for the reset
        // is the server's check: sent earlier, it is refused (two requests).
        Call::new(
            Op::Write,
            ok(Op::Write.ids()).taking(Duration::ZERO, secs(2)),
        )
        .new_client(),
        Call::new(Op::Billed, ok(Op::Billed.ids())),
    ];
    paced("short reset", script, calls)
}

/// A 429 asking for a second: the write is resent after it, and the calls
/// after it are not refused. The 429 empties the budget, which then
/// refills at the quota's rate (one request a second for an API key), so
/// each later call may wait up to a second for its share.
pub fn pacing_short_retry_after_is_waited() -> Vec<Scenario> {
    let open = |log: &[Seen]| {
        let now = log.last().expect("logged").at;
        !log.iter().any(|seen| {
            seen.answered == Some(429) && now.duration_since(seen.at).unwrap_or_default() < secs(1)
        })
    };
    let script = Script::new()
        .route(
            "POST",
            Op::Write.path(),
            [
                Step::Answer(Response::empty(429).header("retry-after", 1)),
                Step::Answer(Op::Write.success()),
            ],
        )
        .route("POST", Op::Billed.path(), [unless_early(Op::Billed, open)])
        .route("GET", Op::Read.path(), [unless_early(Op::Read, open)]);
    let calls = vec![
        Call::new(
            Op::Write,
            ok_on_second_try(Op::Write.ids()).taking(secs(1), secs(1)),
        ),
        Call::new(
            Op::Billed,
            ok(Op::Billed.ids()).taking(Duration::ZERO, secs(1)),
        )
        .new_client(),
        Call::new(Op::Read, ok(Op::Read.ids()).taking(Duration::ZERO, secs(1))),
    ];
    paced("short retry-after", script, calls)
}
