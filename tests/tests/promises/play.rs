//! Playing a case: the scripts of the API server and of the other origin
//! (a redirect's target, the download host), the client, the operation,
//! and what came of it.

use super::drive::driver;
use super::{Case, Fault, Operation, RetryAfter};
use crate::edges::cases::{self, Time};
use crate::edges::{Answer, FRAME, JOB, LOOKUP, Op};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};
use studio_api::types::GenerationJob;
use studio_api::{ClientBuilder, Error, PollSchedule};
use studio_tests::scripted::{Refusing, Response, Script, ScriptedServer, Seen, Step};

/// Longer than any timeout or deadline of a case: "never".
const LONG: Duration = Duration::from_secs(8);
/// The job a lone wait polls.
pub const WAITED: &str = "job_w";
/// The frames a multi-shot asks for.
const SHOTS: [&str; 2] = ["frm_a", "frm_b"];
/// The download's path on the other origin, and where its redirect goes.
const FILE: &str = "/files/out.bin";
const MOVED: &str = "/files/moved";
/// The download's target, the file its planted symlink points at, and
/// what that file holds.
pub const TARGET: &str = "out.bin";
pub const PARTIAL: &str = "out.bin.part";
pub const VICTIM: &str = "victim.txt";
pub const VICTIM_TEXT: &[u8] = b"not to be written";

/// What came of a case.
pub struct Observed {
    pub outcome: Outcome,
    /// What the API server read, and when it closed connections unread.
    pub api: Vec<Seen>,
    pub api_unread: Vec<SystemTime>,
    /// What the other origin read.
    pub other: Vec<Seen>,
    /// The download's directory afterwards.
    pub files: Option<Files>,
    started: SystemTime,
}

/// How the operation ended.
pub enum Outcome {
    /// A call's result, and how long it took.
    Call(Result<Answer, Error>, Duration),
    /// Each wait's job id, result, and when it returned after the start.
    Waits(Vec<(String, Result<GenerationJob, Error>, Duration)>),
    /// A download's result and how long it took.
    Download(Result<u64, Error>, Duration),
    /// Still running after this long.
    Hung(Duration),
    /// The client panicked.
    Panicked(String),
}

/// A download's directory after it ended.
pub struct Files {
    /// The names in it.
    pub names: Vec<String>,
    /// The target's contents, if it can be read.
    pub target: Option<Vec<u8>>,
    /// Whether anything is at the target.
    pub target_exists: bool,
    /// The victim's contents.
    pub victim: Vec<u8>,
}

impl Observed {
    /// What the servers logged, a line per request, times from the start.
    pub fn log(&self) -> String {
        let since = |at: SystemTime| at.duration_since(self.started).unwrap_or_default();
        let mut lines: Vec<(Duration, String)> = Vec::new();
        for (server, log) in [("api", &self.api), ("other", &self.other)] {
            for (index, seen) in log.iter().enumerate() {
                let query = seen
                    .query
                    .as_deref()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default();
                let answered = seen
                    .answered
                    .map_or("no answer".to_string(), |s| s.to_string());
                let line = format!(
                    "{server} #{index} {} {}{query} -> {answered}",
                    seen.method, seen.path
                );
                lines.push((since(seen.at), line));
            }
        }
        for at in &self.api_unread {
            lines.push((since(*at), "api: a connection closed before reading".into()));
        }
        lines.sort_by_key(|(at, _)| *at);
        let lines: Vec<String> = lines
            .into_iter()
            .map(|(at, line)| format!("  +{} ms {line}", at.as_millis()))
            .collect();
        match lines.is_empty() {
            true => "  nothing".into(),
            false => lines.join("\n"),
        }
    }
}

/// The operation of the edges' table a call case makes.
pub fn op(operation: &Operation) -> Option<Op> {
    match operation {
        Operation::Read => Some(Op::Read),
        Operation::Write => Some(Op::Write),
        Operation::Billed => Some(Op::Billed),
        Operation::MultiShot => Some(Op::MultiShot(SHOTS.to_vec())),
        _ => None,
    }
}

/// The ids of the jobs the handles of a coalesced wait wait on.
pub fn coalesced_ids(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("job_c{i}")).collect()
}

/// Plays `case`, giving up on the client at [`super::check::limit`].
pub fn run(case: &Case) -> Observed {
    let started = SystemTime::now();
    let start = Instant::now();
    let download = matches!(case.operation, Operation::Download { .. });
    let other = ScriptedServer::start(other_script(case));
    let other_origin = origin(other.base_url());
    let api = ScriptedServer::start(api_script(case, &other_origin, started));
    let refusing = Refusing::new();
    let refusing = refusing.base_url();
    let base_url = match case.refused && !download {
        true => refusing.to_string(),
        false => api.base_url().to_string(),
    };
    let url = match case.refused {
        true => format!("{}{FILE}", origin(refusing)),
        false => format!("{other_origin}{FILE}"),
    };
    let dir = download.then(|| scratch(case));
    let s = &case.settings;
    let builder = ClientBuilder::new()
        .base_url(&base_url)
        .api_key(fresh_key())
        .pacing(s.pacing)
        .max_retries(s.max_retries)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .timeout(ms(s.timeout_ms))
        .retry_after_cap(ms(s.retry_after_cap_ms))
        .coalesced_waiting(s.coalesced)
        .poll_schedule(PollSchedule {
            first: ms(s.poll_first_ms),
            factor: 2.0,
            max: ms(s.poll_max_ms),
        });
    let deadline = s.deadline_ms.map(ms);
    let (case_copy, target) = (case.clone(), dir.as_ref().map(|d| d.join(TARGET)));
    let (send, receive) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let client = driver(case_copy.sdk, builder, |o| {
            let o = o.header("x-checker", "promises");
            match deadline {
                Some(deadline) => o.deadline(deadline),
                None => o,
            }
        });
        let outcome = operate(
            &*client,
            &case_copy,
            (start, started),
            &url,
            target.as_deref(),
        );
        let _ = send.send(outcome);
    });
    let limit = super::check::limit(case);
    let outcome = match receive.recv_timeout(limit.saturating_sub(start.elapsed())) {
        Ok(outcome) => outcome,
        Err(mpsc::RecvTimeoutError::Timeout) => Outcome::Hung(limit),
        Err(mpsc::RecvTimeoutError::Disconnected) => Outcome::Panicked(panic_message(worker)),
    };
    // Lets the server log a request the client sent as it gave up.
    std::thread::sleep(Duration::from_millis(50));
    let files = dir.map(|dir| {
        let files = files(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        files
    });
    Observed {
        outcome,
        api: api.requests(),
        api_unread: api.unread(),
        other: other.requests(),
        files,
        started,
    }
}

/// Runs the case's operation through `client`.
fn operate(
    client: &dyn super::drive::Driver,
    case: &Case,
    (start, started): (Instant, SystemTime),
    url: &str,
    target: Option<&Path>,
) -> Outcome {
    let began = Instant::now();
    match &case.operation {
        Operation::Wait { until_ms, .. } => {
            let result = client.wait(WAITED, until_ms.map(|u| start + ms(u)));
            Outcome::Waits(vec![(WAITED.to_string(), result, start.elapsed())])
        }
        Operation::Coalesced { until_ms, .. } => {
            let ids = coalesced_ids(until_ms.0.len());
            let jobs = ids
                .iter()
                .zip(&until_ms.0)
                .enumerate()
                .map(|(i, (id, until))| {
                    let queued = job(id, &format!("frm_c{i}"), started, None);
                    let job = serde_json::from_value(queued).expect("a job");
                    (job, start + ms(*until))
                })
                .collect();
            let results = client.wait_each(jobs);
            let waits = ids
                .into_iter()
                .zip(results)
                .map(|(id, (result, at))| (id, result, at.duration_since(start)))
                .collect();
            Outcome::Waits(waits)
        }
        Operation::Download { .. } => {
            let result = client.download(url, target.expect("a target"));
            Outcome::Download(result, began.elapsed())
        }
        operation => {
            let result = client.call(&op(operation).expect("a call"));
            Outcome::Call(result, began.elapsed())
        }
    }
}

fn panic_message(worker: std::thread::JoinHandle<()>) -> String {
    match worker.join() {
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into()),
        Ok(()) => "the client's thread ended without an outcome".into(),
    }
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// `http://host:port` of a base URL.
fn origin(base_url: &str) -> String {
    base_url.trim_end_matches("/api/v1").to_string()
}

/// A credential no other case uses: pacing budgets are per credential.
fn fresh_key() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "sk_test_promises_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// An empty directory for a download, with the victim file and, if the
/// case says so, a symlink to it at the old predictable partial name.
fn scratch(case: &Case) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "studio-promises-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    std::fs::write(dir.join(VICTIM), VICTIM_TEXT).expect("the victim");
    if let Operation::Download { symlink: true, .. } = case.operation {
        std::os::unix::fs::symlink(dir.join(VICTIM), dir.join(PARTIAL)).expect("a symlink");
    }
    dir
}

fn files(dir: &Path) -> Files {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let target = dir.join(TARGET);
    Files {
        names,
        target: std::fs::read(&target).ok(),
        target_exists: std::fs::symlink_metadata(&target).is_ok(),
        victim: std::fs::read(dir.join(VICTIM)).unwrap_or_default(),
    }
}

/// The body a download of `case` is served.
pub fn download_body(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 7 + 13) as u8).collect()
}

/// What the download holds when its request meets `fault`: `None` when
/// the server sends no whole body.
pub fn delivered(fault: Fault, size: usize) -> Option<Vec<u8>> {
    let served = Response::text(200, "application/octet-stream", download_body(size));
    match fault {
        Fault::Redirect => Some(served.body().to_vec()),
        fault => match step(fault, served, "") {
            Step::Answer(response) | Step::Drip { response, .. } if response.status() == 200 => {
                Some(response.body().to_vec())
            }
            _ => None,
        },
    }
}

/// The other origin: the download (with the case's faults and accept
/// script), where its redirect goes, and what an API redirect points at.
fn other_script(case: &Case) -> Script {
    let script = Script::new().request_ids(true);
    let moved = Response::json(200, &json!({"success": true}));
    let script = script
        .route("GET", "/api/v1/elsewhere", [Step::Answer(moved.clone())])
        .route("POST", "/api/v1/elsewhere", [Step::Answer(moved)]);
    let Operation::Download { size, .. } = case.operation else {
        return script;
    };
    let served = Response::text(200, "application/octet-stream", download_body(size));
    let file = served.clone();
    script
        .accept(case.accept.0.clone())
        .route(
            "GET",
            FILE,
            route(&case.faults.0, MOVED, move |_, _| file.clone()),
        )
        .route("GET", MOVED, [Step::Answer(served)])
}

/// The API server: the operation's route (or the polled jobs') with the
/// case's faults, and the lookup route with its own.
fn api_script(case: &Case, other_origin: &str, started: SystemTime) -> Script {
    let redirect = format!("{other_origin}/api/v1/elsewhere");
    let mut script = Script::new().request_ids(true);
    match &case.operation {
        Operation::Download { .. } => return script,
        Operation::Wait { done_ms, .. } => {
            let done = started + ms(*done_ms);
            let polled = move |_: &[Seen], _| data(job(WAITED, FRAME, started, Some(done)));
            let path = format!("/api/v1/generation-jobs/{WAITED}");
            script = script.route("GET", &path, route(&case.faults.0, &redirect, polled));
        }
        Operation::Coalesced { until_ms, done_ms } => {
            let done = started + ms(*done_ms);
            let ids = coalesced_ids(until_ms.0.len());
            for (i, id) in ids.iter().enumerate() {
                let (job_id, frame) = (id.clone(), format!("frm_c{i}"));
                let polled = move |_: &[Seen], _| data(job(&job_id, &frame, started, Some(done)));
                let faults = if i == 0 { &case.faults.0[..] } else { &[] };
                let path = format!("/api/v1/generation-jobs/{id}");
                script = script.route("GET", &path, route(faults, &redirect, polled));
            }
            let listed =
                move |_: &[Seen], decoys| cases::jobs_page(listing(&ids, started, done, decoys));
            script = script.route("GET", LOOKUP, route(&case.lookup.0, &redirect, listed));
        }
        operation => {
            let op = op(operation).expect("a call");
            let success = op.success();
            script = script.route(
                op.method(),
                op.path(),
                route(&case.faults.0, &redirect, move |_, _| success.clone()),
            );
            let lookup = move |log: &[Seen], decoys| cases::jobs_page(recovery(&op, log, decoys));
            script = script.route("GET", LOOKUP, route(&case.lookup.0, &redirect, lookup));
        }
    }
    script.accept(case.accept.0.clone())
}

/// A route's steps: one per fault, then the normal answer, which repeats.
/// `answer` makes the normal answer when a request arrives, from the log
/// and whether the fault is a listing that ignores its filters.
fn route(
    faults: &[Fault],
    redirect: &str,
    answer: impl Fn(&[Seen], bool) -> Response + Send + Sync + 'static,
) -> Vec<Step> {
    let answer = Arc::new(answer);
    faults
        .iter()
        .chain([&Fault::Answer])
        .map(|&fault| {
            let (answer, redirect) = (answer.clone(), redirect.to_string());
            Step::decide(move |log| {
                step(fault, answer(log, fault == Fault::IgnoreFilters), &redirect)
            })
        })
        .collect()
}

/// What `fault` makes of the normal answer `ok`.
fn step(fault: Fault, ok: Response, redirect: &str) -> Step {
    let half = ok.body()[..ok.body().len() / 2].to_vec();
    match fault {
        Fault::Answer | Fault::IgnoreFilters => Step::Answer(ok),
        Fault::TooMany(after) => {
            let refused = error_body(429, "Too many requests");
            Step::Answer(match after {
                RetryAfter::Absent => refused,
                RetryAfter::Seconds(seconds) => refused.header("retry-after", seconds),
                RetryAfter::Date(seconds) => Response::retry_at(429, Duration::from_secs(seconds)),
                RetryAfter::Huge => refused.header("retry-after", 3600),
                RetryAfter::Garbage => refused.header("retry-after", "soon, probably"),
            })
        }
        Fault::Server { status, html: true } => Step::Answer(Response::text(
            status,
            "text/html",
            format!("<html><body><h1>{status}</h1></body></html>"),
        )),
        Fault::Server {
            status,
            html: false,
        } => Step::Answer(error_body(status, "Server error")),
        Fault::Redirect => Step::Answer(Response::empty(302).header("location", redirect)),
        Fault::StallHead => Step::Stall {
            response: ok,
            sent: 0,
            pause: LONG,
        },
        Fault::Drip { every_ms } => Step::Drip {
            response: ok,
            every: ms(every_ms),
        },
        Fault::Truncated => Step::Truncate {
            sent: half.len(),
            response: ok,
        },
        Fault::InvalidJson => {
            Step::Answer(Response::text(ok.status(), "application/json", "{not json"))
        }
        Fault::IncompleteJson => {
            Step::Answer(Response::text(ok.status(), "application/json", half))
        }
        Fault::CloseAfterRead => Step::Close,
        Fault::Reset => Step::Reset,
        Fault::Silent => Step::Silent(LONG),
        Fault::RetryAfterOnOk => Step::Answer(ok.header("retry-after", 30)),
        Fault::Newer => Step::Answer(newer(&ok)),
    }
}

/// The field a newer server adds to every object it sends.
pub const NEWER_FIELD: &str = "from_a_newer_server";
/// The value of [`NEWER_FIELD`].
pub fn newer_value() -> Value {
    json!({"nested": [1, "two", {"three": null}]})
}
/// The values a newer server sends for a project's aspect ratio and a
/// job's status in progress, which this version does not know.
pub const NEWER_ASPECT_RATIO: &str = "32:9";
pub const NEWER_STATUS: &str = "scheduled";

/// `ok` as a newer server sends it: every object of its `data` (each item
/// of a list) with [`NEWER_FIELD`], an aspect ratio of
/// [`NEWER_ASPECT_RATIO`], and a job in progress [`NEWER_STATUS`]. A
/// body that is not JSON (a download's) is the same from any server.
fn newer(ok: &Response) -> Response {
    let Ok(mut body) = serde_json::from_slice::<Value>(ok.body()) else {
        return ok.clone();
    };
    let objects: Vec<&mut Value> = match &mut body["data"] {
        Value::Array(items) => items.iter_mut().collect(),
        data => vec![data],
    };
    for object in objects {
        object[NEWER_FIELD] = newer_value();
        if object.get("aspect_ratio").is_some() {
            object["aspect_ratio"] = NEWER_ASPECT_RATIO.into();
        }
        if matches!(object["status"].as_str(), Some("queued" | "processing")) {
            object["status"] = NEWER_STATUS.into();
        }
    }
    Response::json(ok.status(), &body)
}

fn error_body(status: u16, message: &str) -> Response {
    Response::json(status, &json!({"success": false, "message": message}))
}

/// `{"success": true, "data": data}`.
fn data(data: Value) -> Response {
    Response::json(200, &json!({"success": true, "data": data}))
}

/// Image job `id` on `frame` of the project, created at `created`: queued
/// without `done`, else processing until `done`, completed from then on.
fn job(id: &str, frame: &str, created: SystemTime, done: Option<SystemTime>) -> Value {
    let mut job = cases::job(id, "image", frame, Time::At(created));
    let Some(done) = done else { return job };
    let now = SystemTime::now();
    let (status, progress) = match done.duration_since(now) {
        Err(_) => ("completed", 100),
        Ok(left) => {
            let total = done
                .duration_since(created)
                .unwrap_or_default()
                .as_millis()
                .max(1);
            let passed = total.saturating_sub(left.as_millis());
            ("processing", (passed * 100 / total).min(99) as i64)
        }
    };
    job["status"] = status.into();
    job["progress"] = progress.into();
    job
}

/// A coalesced listing: the waited jobs, and with `decoys` what a listing
/// that ignores its filters adds: an older job, and a job of another
/// project with the same id as a waited one, failed.
fn listing(ids: &[String], started: SystemTime, done: SystemTime, decoys: bool) -> Vec<Value> {
    let mut jobs: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| job(id, &format!("frm_c{i}"), started, Some(done)))
        .collect();
    if decoys {
        let older = started - Duration::from_secs(10);
        jobs.push(job("job_older", "frm_c0", older, Some(older)));
        let mut impostor = job(&ids[0], "frm_c0", started, Some(done));
        impostor["project_id"] = "prj_9".into();
        impostor["status"] = "failed".into();
        jobs.push(impostor);
    }
    jobs
}

/// The jobs a billed submission starts: `(id, type, frame)`.
pub fn started_jobs(op: &Op) -> Vec<(String, &'static str, &'static str)> {
    match op {
        Op::Billed => vec![(JOB.to_string(), "image", FRAME)],
        Op::MultiShot(frames) => frames
            .iter()
            .map(|frame| (format!("job_{frame}"), "multi_shot", *frame))
            .collect(),
        _ => Vec::new(),
    }
}

/// The recovery lookup's answer: the jobs the last submission the server
/// did not refuse started, created when it arrived, and with `decoys`
/// what a server ignoring the filters lists besides: an older job on the
/// frame, a job on another frame, one of another type, one on a frame of
/// another project.
fn recovery(op: &Op, log: &[Seen], decoys: bool) -> Vec<Value> {
    let submitted = log.iter().rev().find(|seen| {
        seen.method == "POST"
            && seen.path == op.path()
            && !seen.answered.is_some_and(|s| (400..500).contains(&s))
    });
    let mut jobs = Vec::new();
    for (id, kind, frame) in started_jobs(op) {
        if let Some(seen) = submitted {
            jobs.push(cases::job(&id, kind, frame, Time::At(seen.at)));
        }
        if decoys {
            let at = submitted.map_or_else(SystemTime::now, |seen| seen.at);
            let older = Time::At(at - Duration::from_secs(3));
            jobs.push(cases::job(&format!("{id}_older"), kind, frame, older));
            jobs.push(cases::job(
                &format!("{id}_frame"),
                kind,
                "frm_other",
                Time::At(at),
            ));
            jobs.push(cases::job(
                &format!("{id}_type"),
                "video",
                frame,
                Time::At(at),
            ));
            let elsewhere = Time::At(at);
            let mut elsewhere = cases::job(&format!("{id}_project"), kind, "frm_9", elsewhere);
            elsewhere["project_id"] = "prj_9".into();
            jobs.push(elsewhere);
        }
    }
    jobs
}
