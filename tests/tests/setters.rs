//! Bad input is refused before any request, with an error that names the
//! operation, the field and what the spec allows; good plain values of every
//! kind go over the wire as the spec writes them.

use serde_json::json;
use studio_api::{Client, Credential, Error, ErrorKind};
use studio_tests::RecordingServer;

fn server_and_client(key: &str) -> (RecordingServer, Client) {
    let page = json!({"page": 1, "limit": 20, "total": 0, "total_pages": 0});
    let server = RecordingServer::json(
        200,
        json!({"success": true, "data": [], "pagination": page}),
    );
    let client =
        Client::with_credential(server.base_url(), Credential::api_key(key.to_string())).unwrap();
    (server, client)
}

/// The error is invalid input, says `message`, and nothing was sent.
fn assert_refused(server: &RecordingServer, error: Error, operation: &str, message: &str) {
    assert_eq!(error.kind(), &ErrorKind::InvalidInput, "{error}");
    assert_eq!(error.attempts(), 0, "{error}");
    assert!(!error.outcome_unknown(), "{error}");
    assert_eq!(
        error.to_string(),
        format!("{operation} failed: invalid input: {message}")
    );
    assert!(server.requests().is_empty(), "nothing is sent");
}

#[tokio::test]
async fn a_missing_required_field_names_the_operation_and_the_field() {
    let (server, client) = server_and_client("sk_live_setters_required");
    let error = client.create_project().send().await.unwrap_err();
    assert_refused(&server, error, "create_project", "name is required");
    let error = client.get_project().send().await.unwrap_err();
    assert_refused(&server, error, "get_project", "project_id is required");
    let error = client
        .upload_asset()
        .filename("a.png")
        .send()
        .await
        .unwrap_err();
    assert_refused(&server, error, "upload_asset", "body is required");
}

#[tokio::test]
async fn numbers_outside_the_spec_range_state_the_range() {
    let (server, client) = server_and_client("sk_live_setters_numbers");
    let script = |count: i64| {
        client
            .generate_script()
            .project_id("prj_1")
            .body_map(move |b| b.prompt("A storm").frame_count(count))
    };
    for count in [0, 101, -1, i64::MAX] {
        let error = script(count).send().await.unwrap_err();
        assert_refused(
            &server,
            error,
            "generate_script",
            "frame_count must be between 1 and 100",
        );
    }
    let error = client.list_projects().limit(0).send().await.unwrap_err();
    assert_refused(
        &server,
        error,
        "list_projects",
        "limit must be between 1 and 100",
    );
    let error = client
        .list_projects()
        .page(usize::MAX)
        .send()
        .await
        .unwrap_err();
    assert_refused(
        &server,
        error,
        "list_projects",
        "page must be between 1 and 4294967295",
    );
    for volume in [1.5, -0.5, f64::NAN, f64::INFINITY] {
        let error = client
            .update_audio_track()
            .track_id("trk_1")
            .body_map(|b| b.volume(volume))
            .send()
            .await
            .unwrap_err();
        assert_refused(
            &server,
            error,
            "update_audio_track",
            "volume must be between 0 and 1",
        );
    }
    let error = client
        .update_frame()
        .frame_id("frm_1")
        .body_map(|b| b.duration_seconds(-1))
        .send()
        .await
        .unwrap_err();
    assert_refused(
        &server,
        error,
        "update_frame",
        "duration_seconds must be a number of at least 0",
    );
}

#[tokio::test]
async fn text_enums_and_lists_the_spec_forbids_are_refused() {
    let (server, client) = server_and_client("sk_live_setters_text");
    let error = client
        .create_project()
        .body_map(|b| b.name("x".repeat(201)))
        .send()
        .await
        .unwrap_err();
    assert_refused(
        &server,
        error,
        "create_project",
        "name: longer than 200 characters",
    );

    let error = client
        .create_project()
        .body_map(|b| b.name("Teaser").aspect_ratio("4:3"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::InvalidInput);
    assert!(error.message().starts_with("aspect_ratio: "), "{error}");
    assert!(error.message().contains("4:3"), "{error}");
    assert!(
        error.message().contains("16:9"),
        "lists what is accepted: {error}"
    );

    let many: Vec<String> = (0..51).map(|i| format!("tag{i}")).collect();
    let error = client
        .update_asset()
        .asset_id("ast_1")
        .body_map(|b| b.tags(&many))
        .send()
        .await
        .unwrap_err();
    assert_refused(
        &server,
        error,
        "update_asset",
        "tags must have at most 50 items",
    );
    let long = "t".repeat(65);
    let error = client
        .update_asset()
        .asset_id("ast_1")
        .body_map(|b| b.tags(["keeper", long.as_str()]))
        .send()
        .await
        .unwrap_err();
    assert_refused(
        &server,
        error,
        "update_asset",
        "tags: item 2: longer than 64 characters",
    );

    let error = client
        .list_generation_jobs()
        .created_after("yesterday")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::InvalidInput);
    assert!(
        error
            .message()
            .starts_with("created_after: \"yesterday\" is not an RFC 3339 timestamp"),
        "{error}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn plain_values_of_every_kind_go_over_the_wire_as_the_spec_writes_them() {
    let (server, client) = server_and_client("sk_live_setters_plain");
    let id = String::from("prj_1");
    let created = chrono::DateTime::parse_from_rfc3339("2025-03-14T09:12:45Z").unwrap();
    client
        .list_generation_jobs()
        .project_id(&id)
        .created_after("2025-03-14T09:12:45Z")
        .status(None)
        .limit(5)
        .send()
        .await
        .unwrap();
    client
        .list_generation_jobs()
        .project_id(id.clone())
        .created_after(created.with_timezone(&chrono::Utc))
        .send()
        .await
        .unwrap();
    let queries: Vec<Option<String>> = server.requests().into_iter().map(|r| r.query).collect();
    assert_eq!(
        queries,
        [
            Some("created_after=2025-03-14T09%3A12%3A45Z&limit=5&project_id=prj_1".to_string()),
            Some("created_after=2025-03-14T09%3A12%3A45Z&project_id=prj_1".to_string()),
        ]
    );
}

/// A body given whole, not set field by field, is checked the same way:
/// a NaN is not sent as `null`, which would clear the field.
#[tokio::test]
async fn a_body_given_whole_is_checked_like_one_set_field_by_field() {
    let (server, client) = server_and_client("sk_live_setters_whole");
    let body = studio_api::types::UpdateFrameRequest {
        duration_seconds: Some(Some(f64::NAN)),
        ..Default::default()
    };
    let error = client
        .update_frame()
        .frame_id("frm_1")
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert_refused(
        &server,
        error,
        "update_frame",
        "duration_seconds must be a number of at least 0",
    );
    let body = studio_api::types::UpdateAudioTrackRequest {
        volume: Some(5.0),
        ..Default::default()
    };
    let error = client
        .update_audio_track()
        .track_id("trk_1")
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert_refused(
        &server,
        error,
        "update_audio_track",
        "volume must be between 0 and 1",
    );
}

/// An empty selection of frames is refused, not left out: left out, the
/// API generates (and bills) every frame of the project.
#[tokio::test]
async fn an_empty_selection_is_refused_and_none_leaves_it_out() {
    let (server, client) = server_and_client("sk_live_setters_empty");
    let error = client
        .generate_multi_shot()
        .project_id("prj_1")
        .body_map(|b| b.frame_ids(Vec::new()))
        .send()
        .await
        .unwrap_err();
    assert_refused(
        &server,
        error,
        "generate_multi_shot",
        "frame_ids must have 1 to 1000 items",
    );
    let error = client
        .create_export()
        .project_id("prj_1")
        .body_map(|b| b.format("mp4").frame_ids(&Vec::<String>::new()))
        .send()
        .await
        .unwrap_err();
    assert_refused(
        &server,
        error,
        "create_export",
        "frame_ids must have 1 to 1000 items",
    );
}

#[tokio::test]
async fn plain_values_go_into_bodies_as_the_spec_writes_them() {
    // A 422 decodes, is never retried and starts no job lookup: one request each.
    let server = RecordingServer::json(422, json!({"success": false, "message": "recorded"}));
    let client = Client::with_credential(
        server.base_url(),
        Credential::api_key("sk_live_setters_bodies"),
    )
    .unwrap();
    let ids = vec!["frm_1".to_string(), "frm_2".to_string()];
    let resolution = studio_api::types::CreateExportRequestResolution::try_from("1080p").unwrap();
    let _ = client
        .create_export()
        .project_id("prj_1")
        .body_map(|b| {
            b.format("pdf")
                .frame_ids(&ids)
                .include_audio(false)
                .resolution(&resolution)
        })
        .send()
        .await;
    let _ = client
        .generate_multi_shot()
        .project_id("prj_1")
        .body_map(|b| b.frame_ids(None).character_asset_ids(["ast_1"]))
        .send()
        .await;
    let _ = client
        .create_render()
        .project_id("prj_1")
        .body_map(|b| {
            b.codec(studio_api::types::RenderCodec::Vp9)
                .fps(24u8)
                .width(1920usize)
                .input_props(json!({"title": "Keeper"}))
        })
        .send()
        .await;
    let _ = client
        .create_render()
        .project_id("prj_1")
        .body_map(|b| b.codec("h264").input_props(None))
        .send()
        .await;
    let _ = client
        .update_audio_track()
        .track_id("trk_1")
        .body_map(|b| b.volume(1).start_seconds(2u64).duration_seconds(None))
        .send()
        .await;
    let _ = client
        .create_share_link()
        .project_id("prj_1")
        .body_map(|b| b.access("view").expires_at(std::time::UNIX_EPOCH))
        .send()
        .await;
    let bodies: Vec<serde_json::Value> = server.requests().iter().map(|r| r.json()).collect();
    assert_eq!(
        bodies,
        [
            json!({"format": "pdf", "frame_ids": ["frm_1", "frm_2"], "include_audio": false, "resolution": "1080p"}),
            json!({"character_asset_ids": ["ast_1"]}),
            json!({"codec": "vp9", "fps": 24, "width": 1920, "input_props": {"title": "Keeper"}}),
            json!({"codec": "h264"}),
            json!({"volume": 1.0, "start_seconds": 2.0, "duration_seconds": null}),
            json!({"access": "view", "expires_at": "1970-01-01T00:00:00Z"}),
        ]
    );
    let error = client
        .create_render()
        .project_id("prj_1")
        .body_map(|b| b.codec("h264").input_props(json!(["not", "an", "object"])))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::InvalidInput);
    assert!(
        error
            .message()
            .starts_with("input_props: expected a JSON object"),
        "{error}"
    );
}

#[test]
fn the_blocking_builders_check_the_same_way() {
    let server = RecordingServer::json(200, json!({"success": true, "data": []}));
    let client = studio_api_blocking::Client::with_credential(
        server.base_url(),
        Credential::api_key("sk_live_setters_blocking"),
    )
    .unwrap();
    let error = client
        .generate_script()
        .project_id("prj_1")
        .body_map(|b| b.prompt("A storm").frame_count(0))
        .send()
        .unwrap_err();
    assert_refused(
        &server,
        error,
        "generate_script",
        "frame_count must be between 1 and 100",
    );
}
