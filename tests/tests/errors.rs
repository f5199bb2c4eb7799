//! Error statuses decode into `studio_api::Error` with their kind, status
//! and the server's message, in both clients; bodies that are not JSON keep
//! their status; the blocking client refuses to run inside a Tokio runtime
//! instead of panicking.

use serde_json::json;
use studio_api::{Credential, Error, ErrorKind};
use studio_tests::RecordingServer;
use studio_tests::scripted::Response;

fn not_found() -> RecordingServer {
    RecordingServer::json(
        404,
        json!({"success": false, "message": "Project not found"}),
    )
}

/// The async client of `server`, with a key.
fn async_client(server: &RecordingServer) -> studio_api::Client {
    studio_api::Client::with_credential(server.base_url(), Credential::api_key("sk_live_x"))
        .unwrap()
}

fn assert_not_found(error: Error) {
    assert_eq!(error.kind(), &ErrorKind::NotFound);
    assert_eq!(error.operation(), "get_project");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(error.message(), "Project not found");
    assert_eq!(
        error.to_string(),
        "get_project failed with 404 Not Found: Project not found"
    );
}

#[tokio::test]
async fn async_client_decodes_a_404() {
    let server = not_found();
    let client = async_client(&server);
    let error = client
        .get_project()
        .project_id("prj_missing")
        .send()
        .await
        .unwrap_err();
    assert_not_found(error);
    assert_eq!(server.single_request().path, "/api/v1/projects/prj_missing");
}

#[test]
fn blocking_client_decodes_a_404() {
    let server = not_found();
    let client = studio_api_blocking::Client::with_credential(
        server.base_url(),
        Credential::api_key("sk_live_x"),
    )
    .unwrap();
    let error = client
        .get_project()
        .project_id("prj_missing")
        .send()
        .unwrap_err();
    assert_not_found(error);
}

#[tokio::test]
async fn a_422_carries_field_messages() {
    let server = RecordingServer::json(
        422,
        json!({
            "success": false,
            "message": "The given data was invalid.",
            "errors": {"name": ["The name field is required."]}
        }),
    );
    let client =
        studio_api::Client::with_credential(server.base_url(), Credential::bearer("tok")).unwrap();
    let error = client
        .create_team()
        .body_map(|b| b.name("Night crew"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(422));
    assert_eq!(error.message(), "The given data was invalid.");
    assert_eq!(
        error.field_errors()["name"],
        ["The name field is required."]
    );
    assert!(matches!(error.kind(), ErrorKind::Validation { .. }));
}

#[tokio::test]
async fn blocking_client_inside_a_runtime_is_an_error_not_a_panic() {
    let server = not_found();
    let client = studio_api_blocking::Client::with_credential(
        server.base_url(),
        Credential::api_key("sk_live_x"),
    )
    .unwrap();
    let error = client.get_project().project_id("prj_1").send().unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Configuration);
    assert_eq!(error.operation(), "get_project");
    assert!(
        error.message().contains("inside a Tokio runtime"),
        "{error}"
    );
    assert!(server.requests().is_empty(), "nothing is sent");
    // Dropping the last clone here, on a runtime thread, must not panic either.
    drop(client);
}

#[test]
fn credentials_never_appear_in_debug_output() {
    let client = studio_api::Client::with_credential(
        "https://mstudio.ai/api/v1",
        Credential::api_key("sk_live_super_secret"),
    )
    .unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains("sk_live_super_secret"), "{debug}");
    assert!(debug.contains("ApiKey(**redacted**)"), "{debug}");
}

#[tokio::test]
async fn display_bounds_the_servers_message_and_message_keeps_it_whole() {
    let huge = "x".repeat(4 << 20);
    let server = RecordingServer::json(404, json!({"success": false, "message": huge}));
    let client = async_client(&server);
    let error = client
        .get_project()
        .project_id("prj_1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.message().len(), 4 << 20);
    let shown = error.to_string();
    assert!(shown.len() < 1000, "{} bytes shown", shown.len());
    assert!(shown.ends_with("x…"), "{shown}");
}

#[tokio::test]
async fn source_returns_the_underlying_cause() {
    use std::error::Error as _;
    let refusing = studio_tests::scripted::Refusing::new();
    let client = studio_api::Client::builder()
        .base_url(refusing.base_url())
        .api_key("sk_live_x")
        .max_retries(0)
        .build()
        .unwrap();
    let error = client.list_voices().send().await.unwrap_err();
    let cause = error.source().expect("a cause");
    let reqwest = cause
        .downcast_ref::<reqwest::Error>()
        .expect("reqwest's error");
    assert!(reqwest.is_connect());

    let server = RecordingServer::json(200, json!({"success": true}));
    let client = async_client(&server);
    let error = client.list_voices().send().await.unwrap_err();
    assert!(matches!(
        error.kind(),
        ErrorKind::UndecodableResponse { .. }
    ));
    let cause = error.source().expect("a cause");
    assert!(
        cause.downcast_ref::<serde_json::Error>().is_some(),
        "{cause:?}"
    );
    // Errors stay cheap to clone, cause and all.
    assert!(error.clone().source().is_some());
}

#[test]
fn outside_a_tokio_runtime_the_async_client_returns_an_error_not_a_panic() {
    let server = not_found();
    let client = async_client(&server);
    let error =
        futures_executor::block_on(client.get_project().project_id("prj_1").send()).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Configuration);
    assert!(error.message().contains("needs a Tokio runtime"), "{error}");
    assert!(server.requests().is_empty());
}

/// Server texts of 4 MB, and 50,000 fields.
fn huge_answers() -> Vec<(&'static str, Response)> {
    let big = "x".repeat(4 << 20);
    let mut many = serde_json::Map::new();
    for field in 0..50_000 {
        many.insert(format!("field_{field}"), json!(["is wrong"]));
    }
    let job = |status: &str, error: Option<&str>| {
        Response::json(
            200,
            &json!({"success": true, "data": {
                "id": "job_1", "type": "image", "status": status, "progress": 10,
                "project_id": "prj_1", "frame_id": "frm_1", "error": error,
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            }}),
        )
    };
    vec![
        (
            "message",
            Response::json(404, &json!({"success": false, "message": big})),
        ),
        (
            "field message",
            Response::json(
                422,
                &json!({
                    "success": false, "message": "invalid", "errors": {"name": [big]},
                }),
            ),
        ),
        (
            "field name",
            Response::json(
                422,
                &json!({
                    "success": false, "message": "invalid", "errors": {big.clone(): ["is wrong"]},
                }),
            ),
        ),
        (
            "many fields",
            Response::json(
                422,
                &json!({
                    "success": false, "message": "invalid", "errors": many,
                }),
            ),
        ),
        (
            "request id",
            Response::json(404, &json!({"success": false, "message": "gone"}))
                .header("x-request-id", "r".repeat(60_000)),
        ),
        ("job error", job("failed", Some(&big))),
        ("job status", job(&big, None)),
    ]
}

#[test]
fn display_is_bounded_as_a_whole_whatever_the_server_sent() {
    use studio_tests::scripted::{Script, ScriptedServer, Step};
    for (what, answer) in huge_answers() {
        let job_path = "/api/v1/generation-jobs/job_1";
        let server = ScriptedServer::start(
            Script::new()
                .route(
                    "GET",
                    "/api/v1/projects/prj_1",
                    [Step::Answer(answer.clone())],
                )
                .route("GET", job_path, [Step::Answer(answer)]),
        );
        let client = studio_api_blocking::Client::builder()
            .base_url(server.base_url())
            .api_key("sk_live_bounded")
            .build()
            .unwrap();
        let error = if what.starts_with("job") {
            let soon = std::time::Instant::now() + std::time::Duration::from_millis(100);
            client.job_by_id("job_1").wait_until(soon).unwrap_err()
        } else {
            client.get_project().project_id("prj_1").send().unwrap_err()
        };
        let shown = error.to_string();
        assert!(
            shown.chars().count() <= 2000,
            "{what}: {} characters",
            shown.chars().count()
        );
        let whole = error.message().len()
            + error.field_errors().keys().map(String::len).sum::<usize>()
            + error
                .field_errors()
                .values()
                .flatten()
                .map(String::len)
                .sum::<usize>()
            + error.request_id().map_or(0, str::len)
            + match error.kind() {
                ErrorKind::JobFailed { message, .. } => message.as_deref().map_or(0, str::len),
                ErrorKind::DeadlinePassed { last_status, .. } => {
                    last_status.as_ref().map_or(0, |s| s.to_string().len())
                }
                _ => 0,
            };
        assert!(
            whole >= 50_000,
            "{what}: the accessors keep the whole text ({whole} bytes)"
        );
    }
}

/// A success the client cannot decode keeps its whole body, however long,
/// while its message and `Debug` stay short; errors keep none.
#[tokio::test]
async fn an_undecodable_success_keeps_its_whole_body() {
    let jobs: Vec<String> = (1..=40)
        .map(|n| format!(r#"{{"id": "job_{n}", "status": "queued", "progress": "forty"}}"#))
        .collect();
    let body = format!(r#"{{"success": true, "data": [{}]}}"#, jobs.join(", "));
    let server = RecordingServer::start(202, "application/json", body.clone().into());
    let client = async_client(&server);
    let error = client
        .generate_multi_shot()
        .project_id("prj_1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::UndecodableResponse { .. }),
        "{error}"
    );
    assert_eq!(error.body(), Some(body.as_bytes()), "the whole body");
    assert!(body.len() > 2000 && error.to_string().len() < 2000);
    let debug = format!("{error:?}");
    assert!(
        debug.contains(&format!("<{} bytes>", body.len())),
        "{debug}"
    );
    assert!(!debug.contains("job_40"), "{debug}");

    let server = not_found();
    let client = async_client(&server);
    let error = client
        .get_project()
        .project_id("p")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.body(), None);
}
