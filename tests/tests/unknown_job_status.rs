//! A job handle polling a server that reports a status this client does
//! not know (`expired`, which a newer server might add): the status is not
//! final, it is reported like any other, and a deadline stops the wait as
//! it would in any other state. Both clients, against a scripted server.

use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use studio_api::types::{GenerationJob, JobStatus};
use studio_api::{Credential, ErrorKind, PollSchedule};
use studio_tests::scripted::{Response, Script, ScriptedServer, Step};

const JOB: &str = "job_1";
const PATH: &str = "/api/v1/generation-jobs/job_1";

/// Polls every 20 ms.
const QUICK: PollSchedule = PollSchedule {
    first: Duration::from_millis(20),
    factor: 1.0,
    max: Duration::from_millis(20),
};

/// `get_generation_job`'s answer: the job in `status` at `progress`.
fn job(status: &str, progress: i32) -> Step {
    let mut data = json!({
        "id": JOB, "type": "image", "status": status, "progress": progress,
        "project_id": "prj_1", "frame_id": "frm_1",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:05Z",
    });
    if status == "completed" {
        data["result"] = json!({"image_url": "https://cdn.example/frm_1.png"});
    }
    Step::Answer(Response::json(200, &json!({"success": true, "data": data})))
}

/// A server answering the job's polls with `steps`, the last repeating.
fn server(steps: impl IntoIterator<Item = Step>) -> ScriptedServer {
    ScriptedServer::start(Script::new().route("GET", PATH, steps))
}

fn client(server: &ScriptedServer) -> studio_api::Client {
    studio_api::Client::with_credential(server.base_url(), Credential::api_key("sk_live_x"))
        .unwrap()
}

/// The status a newer server reports as `expired`, as this client reads it.
fn expired() -> JobStatus {
    serde_json::from_value(Value::from("expired")).unwrap()
}

fn assert_completed(done: &GenerationJob) {
    assert_eq!(done.id, JOB);
    assert_eq!(done.status, JobStatus::Completed);
    assert_eq!(done.progress, Some(100));
    assert_eq!(
        done.result.as_ref().and_then(|r| r.image_url.as_deref()),
        Some("https://cdn.example/frm_1.png")
    );
}

#[tokio::test]
async fn a_handle_waits_through_an_unknown_status_to_the_completed_job() {
    let server = server([
        job("expired", 40),
        job("expired", 40),
        job("completed", 100),
    ]);
    let done = client(&server)
        .job_by_id(JOB)
        .poll_schedule(QUICK)
        .wait()
        .await
        .expect("an unknown status is not the end");
    assert_completed(&done);
    assert_eq!(server.count("GET", PATH), 3, "polled until completed");
}

#[tokio::test]
async fn progress_reports_an_unknown_status_like_any_other() {
    let server = server([
        job("expired", 40),
        job("expired", 60),
        job("completed", 100),
    ]);
    let states: Vec<GenerationJob> = client(&server)
        .job_by_id(JOB)
        .poll_schedule(QUICK)
        .progress()
        .map(|state| state.expect("no poll fails"))
        .collect()
        .await;
    let seen: Vec<(String, Option<i32>)> = states
        .iter()
        .map(|state| (state.status.to_string(), state.progress))
        .collect();
    assert_eq!(
        seen,
        [
            ("expired".to_string(), Some(40)),
            ("expired".to_string(), Some(60)),
            ("completed".to_string(), Some(100)),
        ]
    );
    assert_eq!(states[0].status, expired());
    assert!(matches!(&states[0].status, JobStatus::Unknown(value) if value.as_str() == "expired"));
    assert_completed(&states[2]);
}

#[tokio::test]
async fn a_handle_that_only_sees_an_unknown_status_stops_at_its_deadline() {
    let server = server([job("expired", 40)]);
    let started = Instant::now();
    let deadline = started + Duration::from_millis(200);
    let error = client(&server)
        .job_by_id(JOB)
        .poll_schedule(QUICK)
        .wait_until(deadline)
        .await
        .expect_err("the job never finishes");
    let took = started.elapsed();
    assert_eq!(
        error.kind(),
        &ErrorKind::DeadlinePassed {
            id: JOB.to_string(),
            last_status: Some(expired()),
            last_progress: Some(40),
        }
    );
    assert_eq!(error.operation(), "get_generation_job");
    assert_eq!(
        error.to_string(),
        "get_generation_job job_1: the deadline passed while the generation job was expired at 40%"
    );
    assert!(
        took >= Duration::from_millis(200),
        "stopped early: {took:?}"
    );
    assert!(took < Duration::from_secs(2), "stopped late: {took:?}");
    // Waiting out the deadline with the unknown status as the last one seen
    // is what shows that the wait went on through it; how many polls fit in
    // 200 ms depends on how loaded the machine is (one, under another build).
    assert!(server.count("GET", PATH) >= 1);
}

#[test]
fn the_blocking_handle_waits_through_an_unknown_status_and_stops_at_its_deadline() {
    let server = server([job("expired", 40), job("completed", 100)]);
    let client = studio_api_blocking::Client::with_credential(
        server.base_url(),
        Credential::api_key("sk_live_x"),
    )
    .unwrap();
    let done = client.job_by_id(JOB).poll_schedule(QUICK).wait().unwrap();
    assert_completed(&done);

    let stuck = self::server([job("expired", 40)]);
    let client = studio_api_blocking::Client::with_credential(
        stuck.base_url(),
        Credential::api_key("sk_live_x"),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_millis(100);
    let error = client
        .job_by_id(JOB)
        .poll_schedule(QUICK)
        .wait_until(deadline)
        .unwrap_err();
    assert!(
        matches!(
            error.kind(),
            ErrorKind::DeadlinePassed { last_status: Some(status), .. } if status.as_str() == "expired"
        ),
        "{error:?}"
    );
}
