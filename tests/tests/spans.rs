//! Every call runs in one `tracing` span named with OpenTelemetry's HTTP
//! field names, its retries are events inside it, a job handle's wait is a
//! span around its polls, and nothing records the credential, even at TRACE.

use std::time::Duration;
use studio_api::{Client, Credential, PollSchedule};
use studio_mock::MockServer;
use studio_tests::faults::{FaultServer, Reply, http};
use studio_tests::logs::{capturing, traced};

const SECRET: &str = "sk_live_span_test_secret";

/// The lines of `logs` that close a `studio.call` span.
fn call_closes(logs: &str) -> Vec<&str> {
    logs.lines()
        .filter(|l| l.contains("studio.call{") && l.contains("close"))
        .collect()
}

#[test]
fn a_call_is_one_span_with_its_retry_inside_and_no_credential() {
    let project = r#"{"success":true,"data":{"id":"prj_1","name":"Keeper","aspect_ratio":"16:9","frame_count":0,"created_at":"2025-03-14T09:12:45Z","updated_at":"2025-03-14T09:12:45Z"}}"#;
    let server = FaultServer::start(vec![
        Reply::Raw(http(429, &[("retry-after", "0")], "")),
        Reply::Raw(http(
            201,
            &[
                ("content-type", "application/json"),
                ("x-request-id", "req_42"),
            ],
            project,
        )),
    ]);
    let logs = traced(async {
        let client = Client::builder()
            .base_url(server.base_url())
            .api_key(SECRET)
            .backoff(Duration::from_millis(1), Duration::from_millis(2))
            .build()
            .unwrap();
        client
            .create_project()
            .body_map(|b| b.name("Keeper").description("not to be logged"))
            .send()
            .await
            .unwrap();
    });
    let closes = call_closes(&logs);
    assert_eq!(closes.len(), 1, "one span per call: {logs}");
    for field in [
        "otel.name=\"create_project\"",
        "http.request.method=\"POST\"",
        "url.template=\"/projects\"",
        "http.response.status_code=201",
        "studio.request_id=\"req_42\"",
        "studio.attempts=2",
        "http.request.resend_count=1",
        "studio.outcome=\"ok\"",
        "studio.duration_ms=",
    ] {
        assert!(closes[0].contains(field), "{field} in {}", closes[0]);
    }
    let retry = logs
        .lines()
        .find(|l| l.contains("retrying"))
        .expect("the retry is an event");
    assert!(
        retry.contains("studio.call{"),
        "inside the call's span: {retry}"
    );
    assert!(!logs.contains(SECRET), "the credential leaked: {logs}");
    assert!(!logs.contains("not to be logged"), "a body leaked: {logs}");
}

#[test]
fn a_failed_call_records_its_status_and_error_type() {
    let server = FaultServer::start(vec![Reply::Raw(http(
        404,
        &[("content-type", "application/json")],
        r#"{"success":false,"message":"Project not found"}"#,
    ))]);
    let logs = traced(async {
        let client =
            Client::with_credential(server.base_url(), Credential::api_key(SECRET)).unwrap();
        client
            .get_project()
            .project_id("prj_x")
            .send()
            .await
            .unwrap_err();
    });
    let closes = call_closes(&logs);
    assert_eq!(closes.len(), 1, "{logs}");
    for field in [
        "url.template=\"/projects/{project_id}\"",
        "http.response.status_code=404",
        "studio.outcome=\"error\"",
        "error.type=\"NotFound\"",
        "studio.attempts=1",
    ] {
        assert!(closes[0].contains(field), "{field} in {}", closes[0]);
    }
    assert!(
        !closes[0].contains("prj_x"),
        "the path holds ids; only its template is recorded"
    );
}

#[test]
fn a_wait_is_a_span_around_its_polls() {
    let server = MockServer::builder()
        .job_duration(Duration::from_millis(100))
        .start()
        .unwrap();
    let logs = traced(async {
        let client =
            Client::with_credential(server.base_url(), Credential::api_key(server.api_key()))
                .unwrap();
        let project = client
            .create_project()
            .body_map(|b| b.name("Harbour"))
            .send()
            .await
            .unwrap();
        let frame = client
            .create_frame()
            .project_id(&project.data.id)
            .body_map(|b| b.script("A harbour at dawn"))
            .send()
            .await
            .unwrap();
        let job = client
            .generate_frame_image()
            .frame_id(&frame.data.id)
            .send()
            .await
            .unwrap();
        let quick = PollSchedule {
            first: Duration::from_millis(20),
            factor: 1.0,
            ..Default::default()
        };
        client
            .job(&job.data)
            .poll_schedule(quick)
            .wait()
            .await
            .unwrap();
    });
    let polls: Vec<&str> = call_closes(&logs)
        .into_iter()
        .filter(|l| l.contains("otel.name=\"get_generation_job\""))
        .collect();
    assert!(!polls.is_empty(), "{logs}");
    for poll in &polls {
        assert!(
            poll.contains("studio.wait{studio.job_id="),
            "inside the wait: {poll}"
        );
    }
    assert!(
        logs.lines().any(|l| l.contains("studio.wait{")
            && l.contains("close")
            && !l.contains("studio.call{")),
        "the wait's own span closes: {logs}"
    );
    assert!(!logs.contains(server.api_key()), "the credential leaked");
}

#[test]
fn a_blocking_call_is_one_span_too() {
    let server = FaultServer::start(vec![Reply::Raw(http(
        404,
        &[("content-type", "application/json")],
        r#"{"success":false,"message":"Team not found"}"#,
    ))]);
    let (logs, subscriber) = capturing();
    // The blocking client runs its calls on its own runtime thread; the
    // subscriber must be global to see them.
    let _ = tracing::subscriber::set_global_default(subscriber);
    let client = studio_api_blocking::Client::with_credential(
        server.base_url(),
        Credential::api_key(SECRET),
    )
    .unwrap();
    client.get_team().team_id("team_1").send().unwrap_err();
    let logs = logs.text();
    let closes = call_closes(&logs);
    assert!(
        closes.iter().any(|l| l.contains("otel.name=\"get_team\"")
            && l.contains("http.response.status_code=404")
            && l.contains("error.type=\"NotFound\"")),
        "{logs}"
    );
    assert!(!logs.contains(SECRET));
}
