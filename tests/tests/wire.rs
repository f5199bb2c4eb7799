//! Wire round trips: for every tag, both clients call an operation against a
//! local recording server, written as a user writes it: plain `&str`s,
//! unsuffixed numbers, enum wire strings, arrays and a bare `None`. Each test checks what went over the wire (method,
//! path, query, auth header, body) and what the client decoded from the
//! canned response, which is the example the spec itself documents.

use serde_json::{Value, json};
use studio_api::types;
use studio_tests::{Recorded, RecordingServer};

const API_KEY: &str = "sk_live_wire_test_key";
const BEARER: &str = "eyJ.wire.test";

/// The `example` of a component schema in `openapi/studio.yaml`.
fn example(schema: &str) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/studio.yaml");
    let spec: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    spec["components"]["schemas"][schema]["example"].clone()
}

/// Checks the credential header: the async clients send an API key, the
/// blocking ones a bearer token, so both schemes cross the wire.
fn assert_auth(request: &Recorded, api_key: bool) {
    if api_key {
        assert_eq!(request.header("x-api-key"), Some(API_KEY));
        assert_eq!(request.header("authorization"), None);
    } else {
        assert_eq!(
            request.header("authorization"),
            Some(&*format!("Bearer {BEARER}"))
        );
        assert_eq!(request.header("x-api-key"), None);
    }
}

/// One operation called through both clients. `$call` builds the request
/// from `$client` up to (not including) `send()`; `$check` receives the
/// recorded request, the decoded response and the canned body.
macro_rules! round_trip {
    ($name:ident, $status:expr, $schema:expr, |$client:ident| $call:expr, |$request:ident, $response:ident, $canned:ident| $check:block) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn async_client_with_api_key() {
                let $canned = example($schema);
                let server = RecordingServer::json($status, $canned.clone());
                let $client = studio_api::Client::with_credential(
                    server.base_url(),
                    studio_api::Credential::api_key(API_KEY),
                )
                .unwrap();
                let $response = $call.send().await.expect("the call succeeds").into_inner();
                let $request = server.single_request();
                assert_auth(&$request, true);
                $check
            }

            #[test]
            fn blocking_client_with_bearer_token() {
                let $canned = example($schema);
                let server = RecordingServer::json($status, $canned.clone());
                let $client = studio_api_blocking::Client::with_credential(
                    server.base_url(),
                    studio_api::Credential::bearer(BEARER),
                )
                .unwrap();
                let $response = $call.send().expect("the call succeeds").into_inner();
                let $request = server.single_request();
                assert_auth(&$request, false);
                $check
            }
        }
    };
}

round_trip!(
    projects_create_project,
    201,
    "ProjectResponse",
    |client| client.create_project().body_map(|b| b
        .name("Launch teaser")
        .aspect_ratio("9:16")
        .style("watercolor")
        .description(None)),
    |request, response, canned| {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/api/v1/projects");
        assert_eq!(request.query, None);
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(
            request.json(),
            json!({"name": "Launch teaser", "aspect_ratio": "9:16", "style": "watercolor"})
        );
        assert!(response.success);
        assert_eq!(response.data.id, canned["data"]["id"].as_str().unwrap());
        assert_eq!(response.data.name, canned["data"]["name"].as_str().unwrap());
        assert_eq!(
            response.data.aspect_ratio.to_string(),
            canned["data"]["aspect_ratio"].as_str().unwrap()
        );
    }
);

round_trip!(
    frames_list_frames,
    200,
    "FrameListResponse",
    |client| client
        .list_frames()
        .project_id("prj_8f2k1")
        .page(2)
        .limit(50),
    |request, response, canned| {
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/api/v1/projects/prj_8f2k1/frames");
        assert_eq!(request.query.as_deref(), Some("limit=50&page=2"));
        assert!(request.body.is_empty());
        let frames = canned["data"].as_array().unwrap();
        assert_eq!(response.data.len(), frames.len());
        for (frame, expected) in response.data.iter().zip(frames) {
            assert_eq!(frame.id, expected["id"].as_str().unwrap());
            assert_eq!(
                i64::from(frame.position),
                expected["position"].as_i64().unwrap()
            );
        }
        assert_eq!(
            i64::from(response.pagination.total),
            canned["pagination"]["total"].as_i64().unwrap()
        );
    }
);

round_trip!(
    image_generation_generate_frame_image,
    202,
    "GenerationJobResponse",
    |client| client
        .generate_frame_image()
        .frame_id("frm_3b9x2")
        .body_map(|b| b.prompt("A lighthouse at dusk, volumetric fog").seed(42)),
    |request, response, canned| {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/api/v1/frames/frm_3b9x2/image/generate");
        assert_eq!(
            request.json(),
            json!({"prompt": "A lighthouse at dusk, volumetric fog", "seed": 42})
        );
        assert_eq!(response.data.id, canned["data"]["id"].as_str().unwrap());
        assert_eq!(
            response.data.status.to_string(),
            canned["data"]["status"].as_str().unwrap()
        );
        assert_eq!(
            response.data.type_.to_string(),
            canned["data"]["type"].as_str().unwrap()
        );
    }
);

round_trip!(
    video_generation_generate_frame_video,
    202,
    "GenerationJobResponse",
    |client| client
        .generate_frame_video()
        .frame_id("frm_3b9x2")
        .body_map(|b| b
            .duration_seconds(4.5)
            .camera_motion(String::from("dolly_in"))),
    |request, response, canned| {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/api/v1/frames/frm_3b9x2/video/generate");
        assert_eq!(
            request.json(),
            json!({"duration_seconds": 4.5, "camera_motion": "dolly_in"})
        );
        assert_eq!(
            response.data.project_id,
            canned["data"]["project_id"].as_str().unwrap()
        );
    }
);

round_trip!(
    generation_jobs_list_generation_jobs,
    200,
    "GenerationJobListResponse",
    |client| client
        .list_generation_jobs()
        .project_id("prj_8f2k1")
        .status("processing")
        .type_(types::JobType::Video),
    |request, response, canned| {
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/api/v1/generation-jobs");
        assert_eq!(
            request.query.as_deref(),
            Some("project_id=prj_8f2k1&status=processing&type=video")
        );
        let jobs = canned["data"].as_array().unwrap();
        assert_eq!(response.data.len(), jobs.len());
        assert_eq!(response.data[0].id, jobs[0]["id"].as_str().unwrap());
    }
);

round_trip!(
    audio_generate_voiceover,
    202,
    "GenerationJobResponse",
    |client| client
        .generate_voiceover()
        .project_id("prj_8f2k1")
        .body_map(|b| b
            .text("Every light needs a keeper.")
            .voice_id("voc_2k7rm")
            .start_seconds(1.25)),
    |request, response, canned| {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/api/v1/projects/prj_8f2k1/audio/voiceover");
        assert_eq!(
            request.json(),
            json!({"text": "Every light needs a keeper.", "voice_id": "voc_2k7rm", "start_seconds": 1.25})
        );
        assert_eq!(response.data.id, canned["data"]["id"].as_str().unwrap());
    }
);

/// Every byte value, twice, behind a PNG signature: nothing may be re-encoded.
fn upload_bytes() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..=255u8).chain((0..=255u8).rev()));
    bytes
}

round_trip!(
    assets_upload_asset,
    201,
    "AssetResponse",
    |client| client
        .upload_asset()
        .filename("key art.png")
        .content_type("image/png")
        .project_id("prj_8f2k1")
        .tags(["key-art", "v2"])
        .body(upload_bytes()),
    |request, response, canned| {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/api/v1/assets");
        assert_eq!(
            request.query.as_deref(),
            Some(
                "content_type=image%2Fpng&filename=key+art.png&project_id=prj_8f2k1&tags=key-art&tags=v2"
            )
        );
        assert_eq!(
            request.header("content-type"),
            Some("application/octet-stream")
        );
        assert_eq!(request.body.as_ref(), upload_bytes().as_slice());
        assert_eq!(response.data.url, canned["data"]["url"].as_str().unwrap());
        assert_eq!(
            response.data.size_bytes,
            canned["data"]["size_bytes"].as_i64().unwrap()
        );
    }
);

round_trip!(
    export_create_export,
    202,
    "ExportResponse",
    |client| client
        .create_export()
        .project_id("prj_8f2k1")
        .body_map(|b| b.format("mp4").include_audio(true)),
    |request, response, canned| {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/api/v1/projects/prj_8f2k1/exports");
        assert_eq!(
            request.json(),
            json!({"format": "mp4", "include_audio": true})
        );
        assert_eq!(response.data.id, canned["data"]["id"].as_str().unwrap());
        assert_eq!(response.data.format, types::ExportFormat::Mp4);
    }
);

round_trip!(
    teams_update_team_member,
    200,
    "TeamMemberResponse",
    |client| client
        .update_team_member()
        .team_id("team_5c1q8")
        .user_id("usr_77ab")
        .body_map(|b| b.role(types::TeamRole::Editor)),
    |request, response, canned| {
        assert_eq!(request.method, "PATCH");
        assert_eq!(request.path, "/api/v1/teams/team_5c1q8/members/usr_77ab");
        assert_eq!(request.json(), json!({"role": "editor"}));
        assert_eq!(
            response.data.email,
            canned["data"]["email"].as_str().unwrap()
        );
    }
);

round_trip!(
    teams_delete_team,
    200,
    "DeleteResponse",
    |client| client.delete_team().team_id("team_5c1q8"),
    |request, response, canned| {
        assert_eq!(request.method, "DELETE");
        assert_eq!(request.path, "/api/v1/teams/team_5c1q8");
        assert!(request.body.is_empty());
        assert_eq!(response.message, canned["message"].as_str().unwrap());
    }
);

round_trip!(
    voices_list_voices,
    200,
    "VoiceListResponse",
    |client| client
        .list_voices()
        .category(types::VoiceCategory::Cloned)
        .language("en"),
    |request, response, canned| {
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/api/v1/voices");
        assert_eq!(
            request.query.as_deref(),
            Some("category=cloned&language=en")
        );
        assert_eq!(
            response.data.len(),
            canned["data"].as_array().unwrap().len()
        );
        assert_eq!(
            response.data[0].name,
            canned["data"][0]["name"].as_str().unwrap()
        );
    }
);
