//! A wait that ends with a failed or canceled job, export or render fails
//! with `JobFailed` or `JobCanceled`, and the error keeps the final state
//! as the server sent it (`Error::final_state`), down to fields and values
//! this client does not know: a single handle's `wait()`, `wait_all` and
//! `progress_all`, in both clients, against a scripted server.

use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use studio_api::{Credential, Error, ErrorKind, PollSchedule, Work};
use studio_tests::scripted::{Response, Script, ScriptedServer, Step};

const JOB_PATH: &str = "/api/v1/generation-jobs/job_1";
const EXPORT_PATH: &str = "/api/v1/exports/exp_1";

/// Polls every 20 ms.
const QUICK: PollSchedule = PollSchedule {
    first: Duration::from_millis(20),
    factor: 1.0,
    max: Duration::from_millis(20),
};

/// The job as the server sends it once it has failed, with a field and a
/// job type this client does not know.
fn failed_job() -> Value {
    json!({
        "id": "job_1", "type": "hologram", "status": "failed", "progress": 40,
        "project_id": "prj_1", "error": "the model was overloaded",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:05Z",
        "retry_hint": {"after_seconds": 30, "regions": ["eu", "us"]},
    })
}

/// The export as the server sends it once it was canceled, in a format
/// this client does not know.
fn canceled_export() -> Value {
    json!({
        "id": "exp_1", "project_id": "prj_1", "format": "webm", "status": "canceled",
        "created_at": "2026-01-01T00:00:00Z", "canceled_by": "usr_1",
    })
}

/// An answer of `data`, in the success envelope.
fn answer(data: &Value) -> Step {
    Step::Answer(Response::json(200, &json!({"success": true, "data": data})))
}

/// A server whose job is processing once then failed, and whose export is
/// canceled.
fn server() -> ScriptedServer {
    let mut processing = failed_job();
    processing["status"] = json!("processing");
    processing.as_object_mut().unwrap().remove("error");
    let script = Script::new()
        .route(
            "GET",
            JOB_PATH,
            [answer(&processing), answer(&failed_job())],
        )
        .route("GET", EXPORT_PATH, [answer(&canceled_export())]);
    ScriptedServer::start(script)
}

/// `error` ended the wait on the failed job, and keeps it as it was sent.
fn assert_failed(error: &Error) {
    assert_eq!(
        error.kind(),
        &ErrorKind::JobFailed {
            id: "job_1".to_string(),
            message: Some("the model was overloaded".to_string()),
        }
    );
    assert_eq!(
        error.to_string(),
        "get_generation_job job_1: the generation job failed: the model was overloaded"
    );
    let Some(Work::Job(job)) = error.final_state() else {
        panic!("no final job in {error:?}");
    };
    assert_eq!(serde_json::to_value(job).unwrap(), failed_job());
}

/// `error` ended the wait on the canceled export, and keeps it as it was sent.
fn assert_canceled(error: &Error) {
    assert_eq!(
        error.kind(),
        &ErrorKind::JobCanceled {
            id: "exp_1".to_string()
        }
    );
    let Some(Work::Export(export)) = error.final_state() else {
        panic!("no final export in {error:?}");
    };
    assert_eq!(serde_json::to_value(export).unwrap(), canceled_export());
}

/// The last result `progress_all` reported for each handle.
fn last_of<T>(reported: Vec<(usize, Result<T, Error>)>) -> Vec<Result<T, Error>> {
    let last: BTreeMap<usize, Result<T, Error>> = reported.into_iter().collect();
    last.into_values().collect()
}

fn async_client(server: &ScriptedServer) -> studio_api::Client {
    studio_api::Client::with_credential(server.base_url(), Credential::api_key("sk_live_x"))
        .unwrap()
}

fn blocking_client(server: &ScriptedServer) -> studio_api_blocking::Client {
    studio_api_blocking::Client::with_credential(
        server.base_url(),
        Credential::api_key("sk_live_x"),
    )
    .unwrap()
}

#[tokio::test]
async fn a_failed_wait_keeps_the_final_state_as_the_server_sent_it() {
    let server = server();
    let client = async_client(&server);
    let error = client
        .job_by_id("job_1")
        .poll_schedule(QUICK)
        .wait()
        .await
        .unwrap_err();
    assert_failed(&error);
    let error = client
        .export_by_id("exp_1")
        .poll_schedule(QUICK)
        .wait()
        .await
        .unwrap_err();
    assert_canceled(&error);
}

#[tokio::test]
async fn wait_all_and_progress_all_keep_each_final_state() {
    let server = server();
    let client = async_client(&server);
    let handles = || {
        [
            client.job_by_id("job_1").poll_schedule(QUICK).into_work(),
            client
                .export_by_id("exp_1")
                .poll_schedule(QUICK)
                .into_work(),
        ]
    };
    let results = studio_api::wait_all(handles()).await;
    assert_failed(results[0].as_ref().unwrap_err());
    assert_canceled(results[1].as_ref().unwrap_err());

    let reported = studio_api::progress_all(handles()).collect().await;
    let results = last_of(reported);
    assert_failed(results[0].as_ref().unwrap_err());
    assert_canceled(results[1].as_ref().unwrap_err());
}

#[test]
fn the_blocking_client_keeps_each_final_state_the_same_way() {
    let server = server();
    let client = blocking_client(&server);
    let error = client
        .job_by_id("job_1")
        .poll_schedule(QUICK)
        .wait()
        .unwrap_err();
    assert_failed(&error);
    let handles = || {
        [
            client.job_by_id("job_1").poll_schedule(QUICK).into_work(),
            client
                .export_by_id("exp_1")
                .poll_schedule(QUICK)
                .into_work(),
        ]
    };
    let results = studio_api_blocking::wait_all(handles());
    assert_failed(results[0].as_ref().unwrap_err());
    assert_canceled(results[1].as_ref().unwrap_err());

    let results = last_of(studio_api_blocking::progress_all(handles()).collect());
    assert_failed(results[0].as_ref().unwrap_err());
    assert_canceled(results[1].as_ref().unwrap_err());
}

#[tokio::test]
async fn other_errors_have_no_final_state() {
    let server = ScriptedServer::start(Script::new().route(
        "GET",
        JOB_PATH,
        [Step::Answer(Response::empty(404))],
    ));
    let error = async_client(&server)
        .job_by_id("job_1")
        .wait()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::NotFound);
    assert!(error.final_state().is_none());
}
