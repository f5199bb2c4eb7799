//! Updates that leave a field alone, set it or clear it, in both crates.
//!
//! Against a recording server: for every field of every PATCH body that the
//! spec lets a user clear (`nullable`) or empty (a list), the three calls put
//! `{}`, `{"field": value}` and `{"field": null}` (or `[]`) on the wire; a
//! test checks that this list is the spec's. Against studio-mock: a cleared
//! description and emptied tags are really gone, and what was left alone
//! is still there.

use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use studio_api::Credential;
use studio_mock::MockServer;
use studio_tests::RecordingServer;

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/studio.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The spec's example of a response schema, for the recording server to answer.
fn example(schema: &str) -> Value {
    spec()["components"]["schemas"][schema]["example"].clone()
}

/// `{field: value}`.
fn one(field: &str, value: Value) -> Value {
    Value::Object(Map::from_iter([(field.to_string(), value)]))
}

/// For each operation and field: the tests of leave / set / clear on the
/// wire through both clients, and the list of what they cover.
macro_rules! clearable {
    ($(
        $op:ident($param:ident = $id:literal) $response:literal {
            $($field:ident = $value:expr => $wire:expr, clear: $clear:expr => $cleared:expr;)*
        }
    )*) => {
        /// (operation, field) of every test below.
        const COVERED: &[(&str, &str)] = &[$($((stringify!($op), stringify!($field)),)*)*];

        $(mod $op {
            use super::*;
            $(mod $field {
                use super::*;

                /// A key of its own: the quota is paced per key, across clients.
                const API_KEY: &str = concat!("sk_live_", stringify!($op), "_", stringify!($field));

                fn expected() -> Vec<Value> {
                    let field = stringify!($field);
                    vec![json!({}), one(field, $wire), one(field, $cleared)]
                }

                #[tokio::test]
                async fn async_client_leaves_sets_and_clears() {
                    let server = RecordingServer::json(200, example($response));
                    let client = studio_api::Client::with_credential(
                        server.base_url(),
                        Credential::api_key(API_KEY),
                    )
                    .unwrap();
                    client.$op().$param($id).send().await.unwrap();
                    client.$op().$param($id).body_map(|b| b.$field($value)).send().await.unwrap();
                    client.$op().$param($id).body_map(|b| b.$field($clear)).send().await.unwrap();
                    let bodies: Vec<Value> = server.requests().iter().map(|r| r.json()).collect();
                    assert_eq!(bodies, expected());
                }

                #[test]
                fn blocking_client_leaves_sets_and_clears() {
                    let server = RecordingServer::json(200, example($response));
                    let client = studio_api_blocking::Client::with_credential(
                        server.base_url(),
                        Credential::api_key(API_KEY),
                    )
                    .unwrap();
                    client.$op().$param($id).send().unwrap();
                    client.$op().$param($id).body_map(|b| b.$field($value)).send().unwrap();
                    client.$op().$param($id).body_map(|b| b.$field($clear)).send().unwrap();
                    let bodies: Vec<Value> = server.requests().iter().map(|r| r.json()).collect();
                    assert_eq!(bodies, expected());
                }
            })*
        })*
    };
}

clearable! {
    update_project(project_id = "prj_1") "ProjectResponse" {
        description = "A teaser" => json!("A teaser"), clear: None => Value::Null;
        style = "watercolor" => json!("watercolor"), clear: None => Value::Null;
        script = String::from("Dawn.") => json!("Dawn."), clear: None => Value::Null;
    }
    update_frame(frame_id = "frm_1") "FrameResponse" {
        title = "Storm" => json!("Storm"), clear: None => Value::Null;
        shot_type = "wide" => json!("wide"), clear: None => Value::Null;
        camera_motion = "pan left" => json!("pan left"), clear: None => Value::Null;
        duration_seconds = 3 => json!(3.0), clear: None => Value::Null;
        image_prompt = "A lighthouse" => json!("A lighthouse"), clear: None => Value::Null;
        video_prompt = "Waves" => json!("Waves"), clear: None => Value::Null;
    }
    update_audio_track(track_id = "trk_1") "AudioTrackResponse" {
        frame_id = "frm_2" => json!("frm_2"), clear: None => Value::Null;
        duration_seconds = 2.5 => json!(2.5), clear: None => Value::Null;
    }
    update_asset(asset_id = "ast_1") "AssetResponse" {
        project_id = "prj_2" => json!("prj_2"), clear: None => Value::Null;
        tags = ["keeper", "approved"] => json!(["keeper", "approved"]), clear: Vec::new() => json!([]);
    }
    update_voice(voice_id = "voc_1") "VoiceResponse" {
        description = "Warm" => json!("Warm"), clear: None => Value::Null;
        language = "en-GB" => json!("en-GB"), clear: None => Value::Null;
    }
}

/// The tests above cover every field a PATCH body of the spec can clear or
/// empty, and nothing else.
#[test]
fn every_clearable_field_of_every_update_is_covered() {
    let spec = spec();
    let mut clearable = BTreeSet::new();
    for item in spec["paths"].as_object().unwrap().values() {
        let patch = &item["patch"];
        let Some(reference) =
            patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
        else {
            continue;
        };
        let body = &spec["components"]["schemas"][reference.rsplit('/').next().unwrap()];
        for (field, schema) in body["properties"].as_object().unwrap() {
            if schema["nullable"] == true || schema["type"] == "array" {
                let op = patch["operationId"].as_str().unwrap().to_string();
                clearable.insert((op, field.clone()));
            }
        }
    }
    let covered: BTreeSet<(String, String)> = COVERED
        .iter()
        .map(|(op, field)| (op.to_string(), field.to_string()))
        .collect();
    assert_eq!(covered, clearable);
}

/// Against studio-mock: a cleared field is gone and an emptied list empty
/// in the next read, a set value is there, and what the update left out is
/// unchanged.
#[tokio::test]
async fn studio_mock_applies_set_clear_and_leave_through_the_async_client() {
    let server = MockServer::start().unwrap();
    let client = studio_api::Client::with_credential(
        server.base_url(),
        Credential::api_key(server.api_key()),
    )
    .unwrap();
    let project = client
        .create_project()
        .body_map(|b| b.name("Keeper").description("A teaser").style("watercolor"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let update = || client.update_project().project_id(&project.id);
    let cleared = update()
        .body_map(|b| b.description(None))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(cleared.description, None);
    assert_eq!(cleared.style.as_deref(), Some("watercolor"), "left alone");
    let read = client
        .get_project()
        .project_id(&project.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(
        (read.description, read.style),
        (None, Some("watercolor".into()))
    );
    let unchanged = update().send().await.unwrap().into_inner().data;
    assert_eq!(unchanged.style.as_deref(), Some("watercolor"));

    let asset = client
        .upload_asset()
        .filename("keeper.png")
        .project_id(&project.id)
        .tags(["keeper", "approved"])
        .body(b"\x89PNG\r\n\x1a\n".to_vec())
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(asset.tags, ["keeper", "approved"]);
    let emptied = client
        .update_asset()
        .asset_id(&asset.id)
        .body_map(|b| b.tags(Vec::new()).project_id(None))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(emptied.tags, Vec::<String>::new());
    assert_eq!(emptied.project_id, None);
    let read = client
        .get_asset()
        .asset_id(&asset.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!((read.tags.len(), read.project_id), (0, None));
    assert_eq!(read.name, "keeper.png", "left alone");

    // A frame's title and a track's link to its frame, cleared; a new
    // camera motion set and read back.
    let frame = client
        .create_frame()
        .project_id(&project.id)
        .body_map(|b| b.script("A storm").title("Storm").camera_motion("static"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    client
        .update_frame()
        .frame_id(&frame.id)
        .body_map(|b| b.title(None).camera_motion("pan left"))
        .send()
        .await
        .unwrap();
    let read = client
        .get_frame()
        .frame_id(&frame.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(read.title, None);
    assert_eq!(read.camera_motion.as_deref(), Some("pan left"));
    assert_eq!(read.script, "A storm", "left alone");
    let track = client
        .create_audio_track()
        .project_id(&project.id)
        .body_map(|b| {
            b.name("Rain")
                .kind("sfx")
                .frame_id(&frame.id)
                .duration_seconds(2)
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(track.frame_id.as_deref(), Some(frame.id.as_str()));
    client
        .update_audio_track()
        .track_id(&track.id)
        .body_map(|b| b.frame_id(None).duration_seconds(None))
        .send()
        .await
        .unwrap();
    let read = client
        .get_audio_track()
        .track_id(&track.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!((read.frame_id, read.duration_seconds), (None, None));
    assert_eq!(read.name, "Rain", "left alone");
}

/// The same through the blocking client.
#[test]
fn studio_mock_applies_set_clear_and_leave_through_the_blocking_client() {
    let server = MockServer::start().unwrap();
    let client = studio_api_blocking::Client::with_credential(
        server.base_url(),
        Credential::api_key(server.api_key()),
    )
    .unwrap();
    let project = client
        .create_project()
        .body_map(|b| b.name("Keeper").description("A teaser").style("watercolor"))
        .send()
        .unwrap()
        .into_inner()
        .data;
    let cleared = client
        .update_project()
        .project_id(&project.id)
        .body_map(|b| b.description(None).style("ink"))
        .send()
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(
        (cleared.description, cleared.style),
        (None, Some("ink".into()))
    );
    let read = client
        .get_project()
        .project_id(&project.id)
        .send()
        .unwrap()
        .into_inner()
        .data;
    assert_eq!((read.description, read.style), (None, Some("ink".into())));

    let asset = client
        .upload_asset()
        .filename("keeper.png")
        .tags(["keeper"])
        .body(b"\x89PNG\r\n\x1a\n".to_vec())
        .send()
        .unwrap()
        .into_inner()
        .data;
    let emptied = client
        .update_asset()
        .asset_id(&asset.id)
        .body_map(|b| b.tags(Vec::new()))
        .send()
        .unwrap()
        .into_inner()
        .data;
    assert!(emptied.tags.is_empty());
    let read = client
        .get_asset()
        .asset_id(&asset.id)
        .send()
        .unwrap()
        .into_inner()
        .data;
    assert!(read.tags.is_empty());
}
