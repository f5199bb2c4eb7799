//! Error statuses decode into the shared `ErrorResponse` schema with the
//! server's message, in both clients; the blocking client refuses to run
//! inside a Tokio runtime instead of panicking.

use serde_json::json;
use studio_api::{Credential, Error, types};
use studio_tests::RecordingServer;

fn not_found() -> RecordingServer {
    RecordingServer::json(
        404,
        json!({"success": false, "message": "Project not found"}),
    )
}

fn assert_not_found(error: Error<types::ErrorResponse>) {
    let Error::ErrorResponse(response) = error else {
        panic!("expected a documented error response, got {error:?}");
    };
    assert_eq!(response.status(), 404);
    assert!(!response.success);
    assert_eq!(response.message, "Project not found");
}

#[tokio::test]
async fn async_client_decodes_a_404() {
    let server = not_found();
    let client =
        studio_api::Client::with_credential(server.base_url(), Credential::api_key("sk_live_x"));
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
    let client = studio_api::Client::with_credential(server.base_url(), Credential::bearer("tok"));
    let error = client
        .create_team()
        .body_map(|b| b.name("Night crew"))
        .send()
        .await
        .unwrap_err();
    let Error::ErrorResponse(response) = error else {
        panic!("expected a documented error response, got {error:?}");
    };
    assert_eq!(response.status(), 422);
    assert_eq!(response.message, "The given data was invalid.");
    assert_eq!(response.errors["name"], ["The name field is required."]);
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
    let Error::Custom(message) = error else {
        panic!("expected a custom error, got {error:?}");
    };
    assert!(message.contains("inside a Tokio runtime"), "{message}");
    assert!(server.requests().is_empty(), "nothing is sent");
    // Dropping the last clone here, on a runtime thread, must not panic either.
    drop(client);
}

#[test]
fn credentials_never_appear_in_debug_output() {
    let client = studio_api::Client::with_credential(
        "https://mstudio.ai/api/v1",
        Credential::api_key("sk_live_super_secret"),
    );
    let debug = format!("{client:?}");
    assert!(!debug.contains("sk_live_super_secret"), "{debug}");
    assert!(debug.contains("ApiKey(**redacted**)"), "{debug}");
}
