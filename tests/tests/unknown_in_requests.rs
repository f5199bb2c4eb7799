//! A value a newer server sent that this client does not know (an enum's
//! `Unknown`) can be read, and serialises as it was sent, but is never sent
//! back: a request that carries one, as a query filter or in a body, fails
//! with `InvalidInput` naming the value before anything reaches the server,
//! in both clients.

use serde_json::json;
use studio_api::types::{self, ExportFormat, JobStatus};
use studio_api::{Credential, Error, ErrorKind};
use studio_tests::RecordingServer;

/// A job status this client does not know, as a newer server might send it.
fn expired() -> JobStatus {
    serde_json::from_str("\"expired\"").expect("any string decodes as a JobStatus")
}

/// An export format this client does not know.
fn webm() -> ExportFormat {
    serde_json::from_str("\"webm\"").expect("any string decodes as an ExportFormat")
}

fn jobs_page() -> RecordingServer {
    RecordingServer::json(
        200,
        json!({
            "success": true, "data": [],
            "pagination": {"page": 1, "limit": 20, "total": 0, "total_pages": 0},
        }),
    )
}

fn async_client(server: &RecordingServer) -> studio_api::Client {
    studio_api::Client::with_credential(server.base_url(), Credential::api_key("sk_live_x"))
        .unwrap()
}

fn blocking_client(server: &RecordingServer) -> studio_api_blocking::Client {
    studio_api_blocking::Client::with_credential(
        server.base_url(),
        Credential::api_key("sk_live_x"),
    )
    .unwrap()
}

/// The error of a request refused for carrying `what`, from `operation`:
/// by the setter of `field`, or (`None`) when the whole body was given and
/// could not be serialised.
fn assert_refused(error: &Error, operation: &str, what: &str, field: Option<&str>) {
    assert_eq!(error.kind(), &ErrorKind::InvalidInput, "{error}");
    assert_eq!(error.operation(), operation);
    assert_eq!(error.attempts(), 0, "nothing was sent: {error}");
    assert!(!error.outcome_unknown(), "nothing was sent: {error}");
    assert_eq!(error.status(), None);
    let reason = format!("{what} is not known to this client and cannot be sent");
    let shown = match field {
        Some(field) => format!("{operation} failed: invalid input: {field}: {reason}"),
        None => format!(
            "{operation} failed: invalid input: the request could not be built, so nothing was sent: builder error: {reason}"
        ),
    };
    assert_eq!(error.to_string(), shown);
}

#[tokio::test]
async fn an_unknown_status_passed_back_as_a_filter_is_refused_before_sending() {
    let server = jobs_page();
    let client = async_client(&server);
    let error = client
        .list_generation_jobs()
        .status(expired())
        .send()
        .await
        .unwrap_err();
    assert_refused(
        &error,
        "list_generation_jobs",
        "JobStatus value \"expired\"",
        Some("status"),
    );
    assert!(server.requests().is_empty(), "nothing reached the server");

    // The same filter with a status the client knows is sent.
    client
        .list_generation_jobs()
        .status(JobStatus::Failed)
        .send()
        .await
        .unwrap();
    assert_eq!(
        server.single_request().query.as_deref(),
        Some("status=failed")
    );
}

#[tokio::test]
async fn an_unknown_value_in_a_body_is_refused_before_sending() {
    let server = RecordingServer::json(202, json!({"success": true}));
    let client = async_client(&server);
    let error = client
        .create_export()
        .project_id("prj_1")
        .body_map(|b| b.format(webm()))
        .send()
        .await
        .unwrap_err();
    assert_refused(
        &error,
        "create_export",
        "ExportFormat value \"webm\"",
        Some("format"),
    );
    // A body given whole is checked as it is serialised.
    let body = types::CreateExportRequest {
        format: webm(),
        frame_ids: None,
        include_audio: None,
        resolution: None,
    };
    let error = client
        .create_export()
        .project_id("prj_1")
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert_refused(&error, "create_export", "ExportFormat value \"webm\"", None);
    assert!(server.requests().is_empty(), "nothing reached the server");
}

#[test]
fn the_blocking_client_refuses_an_unknown_value_the_same_way() {
    let server = jobs_page();
    let client = blocking_client(&server);
    let error = client
        .list_generation_jobs()
        .status(expired())
        .send()
        .unwrap_err();
    assert_refused(
        &error,
        "list_generation_jobs",
        "JobStatus value \"expired\"",
        Some("status"),
    );
    let error = client
        .create_export()
        .project_id("prj_1")
        .body_map(|b| b.format(webm()))
        .send()
        .unwrap_err();
    assert_refused(
        &error,
        "create_export",
        "ExportFormat value \"webm\"",
        Some("format"),
    );
    assert!(server.requests().is_empty(), "nothing reached the server");
}

/// A body given whole that holds `format`, an export format.
fn export_body(format: ExportFormat) -> types::CreateExportRequest {
    types::CreateExportRequest {
        format,
        frame_ids: None,
        include_audio: None,
        resolution: None,
    }
}

#[tokio::test]
async fn a_value_read_from_a_response_serialises_as_sent_but_no_body_carries_it() {
    // On its own, or in a response, it serialises as the server sent it.
    assert_eq!(serde_json::to_value(webm()).unwrap(), json!("webm"));
    let server = RecordingServer::json(202, json!({"success": true}));
    let client = async_client(&server);
    let error = client
        .create_export()
        .project_id("prj_1")
        .body(export_body(webm()))
        .send()
        .await
        .unwrap_err();
    assert_refused(&error, "create_export", "ExportFormat value \"webm\"", None);
    assert!(server.requests().is_empty(), "nothing reached the server");
    // The refusal ends with the request: the value serialises again.
    assert_eq!(serde_json::to_value(webm()).unwrap(), json!("webm"));
}

#[test]
fn the_blocking_client_refuses_a_whole_body_holding_an_unknown_value() {
    let server = RecordingServer::json(202, json!({"success": true}));
    let error = blocking_client(&server)
        .create_export()
        .project_id("prj_1")
        .body(export_body(webm()))
        .send()
        .unwrap_err();
    assert_refused(&error, "create_export", "ExportFormat value \"webm\"", None);
    assert!(server.requests().is_empty(), "nothing reached the server");
    assert_eq!(serde_json::to_value(webm()).unwrap(), json!("webm"));
}
