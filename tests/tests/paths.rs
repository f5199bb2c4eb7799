//! A path parameter cannot change the path: an empty, `.` or `..` value is
//! refused before anything is sent, naming the parameter, in both crates;
//! every other value is percent-encoded into its one segment.

use serde_json::json;
use studio_api::{Client, Credential, Error, ErrorKind};
use studio_tests::RecordingServer;

fn server() -> RecordingServer {
    RecordingServer::json(404, json!({"success": false, "message": "Not found."}))
}

fn assert_refused(error: &Error, operation: &str, parameter: &str) {
    assert_eq!(error.kind(), &ErrorKind::InvalidInput, "{error}");
    assert_eq!(error.operation(), operation);
    assert!(error.message().contains(parameter), "{error}");
    assert_eq!(error.attempts(), 0);
    assert!(!error.outcome_unknown());
}

#[tokio::test]
async fn dot_segments_and_empty_values_are_refused_before_sending() {
    let server = server();
    let client =
        Client::with_credential(server.base_url(), Credential::api_key("sk_live_x")).unwrap();
    for value in ["", ".", "..", "..\\projects\\prj_victim", ".\\", "a\\b"] {
        let error = client
            .remove_team_member()
            .team_id("tm_1")
            .user_id(value)
            .send()
            .await
            .unwrap_err();
        assert_refused(&error, "remove_team_member", "user_id");
        let error = client
            .list_frames()
            .project_id(value)
            .send()
            .await
            .unwrap_err();
        assert_refused(&error, "list_frames", "project_id");
        let error = client
            .generate_frame_image()
            .frame_id(value)
            .send()
            .await
            .unwrap_err();
        assert_refused(&error, "generate_frame_image", "frame_id");
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn any_other_value_stays_inside_its_segment() {
    let server = server();
    let client =
        Client::with_credential(server.base_url(), Credential::api_key("sk_live_x")).unwrap();
    for value in ["...", "a/..", "%2e%2e", "?x", "#x", " .."] {
        let _ = client
            .remove_team_member()
            .team_id("tm_1")
            .user_id(value)
            .send()
            .await;
    }
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/api/v1/teams/tm_1/members/...",
            "/api/v1/teams/tm_1/members/a%2F..",
            "/api/v1/teams/tm_1/members/%252e%252e",
            "/api/v1/teams/tm_1/members/%3Fx",
            "/api/v1/teams/tm_1/members/%23x",
            "/api/v1/teams/tm_1/members/%20..",
        ]
    );
}

#[test]
fn the_blocking_client_refuses_them_too() {
    let server = server();
    let client = studio_api_blocking::Client::with_credential(
        server.base_url(),
        Credential::api_key("sk_live_x"),
    )
    .unwrap();
    let error = client
        .remove_team_member()
        .team_id("..")
        .user_id("usr_1")
        .send()
        .unwrap_err();
    assert_refused(&error, "remove_team_member", "team_id");
    assert!(server.requests().is_empty());
}
