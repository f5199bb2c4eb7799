//! The blocking handles against the local server: the same waits as the
//! async ones, the progress iterator, and a refusal inside a runtime.

use std::time::Duration;
use studio_api_blocking::types::{ExportFormat, GenerationJob, JobStatus};
use studio_api_blocking::{Client, ErrorKind, PollSchedule, Work, wait_all};
use studio_mock::MockServer;

/// A poll every 5 ms, to see every step of a short job.
const EAGER: PollSchedule = PollSchedule {
    first: Duration::from_millis(5),
    factor: 1.0,
    max: Duration::from_millis(5),
};

/// A server whose work takes 200 ms and fails with probability
/// `failure_rate`, a client that neither paces nor retries, and a new
/// image job on a new frame.
fn start(failure_rate: f64) -> (MockServer, Client, GenerationJob) {
    let server = MockServer::builder()
        .job_duration(Duration::from_millis(200))
        .failure_rate(failure_rate)
        .no_rate_limit()
        .start()
        .unwrap();
    let client = Client::from_async(
        studio_api::Client::builder()
            .base_url(server.base_url())
            .api_key(server.api_key())
            .pacing(false)
            .max_retries(0)
            .build()
            .unwrap(),
    )
    .unwrap();
    let project = client
        .create_project()
        .body_map(|b| b.name("Harbour"))
        .send()
        .unwrap();
    let frame = client
        .create_frame()
        .project_id(&project.data.id)
        .body_map(|b| b.script("A harbour at dawn"))
        .send()
        .unwrap();
    let job = client
        .generate_frame_image()
        .frame_id(&frame.data.id)
        .send()
        .unwrap()
        .into_inner()
        .data;
    (server, client, job)
}

#[test]
fn a_completed_job_is_returned_with_its_image() {
    let (_server, client, job) = start(0.0);
    let done = client.job(&job).poll_schedule(EAGER).wait().unwrap();
    assert_eq!(done.id, job.id);
    assert_eq!(done.status, JobStatus::Completed);
    assert!(done.result.and_then(|r| r.image_url).is_some());
}

#[test]
fn a_failed_job_is_job_failed_with_the_servers_message() {
    let (_server, client, job) = start(1.0);
    let error = client.job(&job).poll_schedule(EAGER).wait().unwrap_err();
    let reason = client
        .get_generation_job()
        .job_id(&job.id)
        .send()
        .unwrap()
        .into_inner()
        .data
        .error;
    assert!(reason.is_some());
    assert_eq!(
        error.kind(),
        &ErrorKind::JobFailed {
            id: job.id,
            message: reason,
        }
    );
    assert_eq!(error.operation(), "get_generation_job");
}

#[test]
fn the_progress_iterator_yields_each_change_and_ends_with_the_completed_state() {
    let (_server, client, job) = start(0.0);
    let mut states = client.job(&job).poll_schedule(EAGER).progress();
    let seen: Vec<GenerationJob> = states.by_ref().map(Result::unwrap).collect();
    assert!(states.next().is_none(), "stays ended");

    assert_eq!(seen[0], job);
    assert!(seen.iter().any(|s| s.status == JobStatus::Processing));
    for pair in seen.windows(2) {
        assert!(pair[0].progress < pair[1].progress, "{pair:?}");
    }
    assert_eq!(seen.last().unwrap().status, JobStatus::Completed);
}

#[test]
fn wait_all_reports_a_job_and_an_export_in_the_order_given() {
    let (_server, client, job) = start(0.0);
    let export = client
        .create_export()
        .project_id(&job.project_id)
        .body_map(|b| b.format(ExportFormat::Zip))
        .send()
        .unwrap()
        .into_inner()
        .data;

    let results = wait_all([
        client.export(&export).poll_schedule(EAGER).into_work(),
        client.job_by_id(&job.id).poll_schedule(EAGER).into_work(),
    ]);
    assert!(matches!(&results[0], Ok(Work::Export(e)) if e.url.is_some()));
    assert!(matches!(&results[1], Ok(Work::Job(j)) if j.id == job.id));
    assert!(wait_all(Vec::<studio_api_blocking::Handle<Work>>::new()).is_empty());
}

#[test]
fn inside_a_runtime_each_call_is_refused_once_without_blocking() {
    let (_server, client, job) = start(0.0);
    let handle = client.job(&job);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let error = handle.wait().unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::Configuration);
        assert_eq!(error.operation(), "Handle::wait");

        let mut states = handle.progress();
        let refused = states.next().unwrap().unwrap_err();
        assert_eq!(refused.kind(), &ErrorKind::Configuration);
        assert!(states.next().is_none(), "the iterator ends after refusing");

        let results = wait_all([handle.clone()]);
        assert_eq!(results.len(), 1);
        assert_eq!(
            results[0].as_ref().unwrap_err().kind(),
            &ErrorKind::Configuration
        );
    });
}
