//! The API's request rules, through the generated client: credentials
//! (401), scopes and bearer-only endpoints (403), unknown ids (404),
//! validation (422) and the wallet on paid operations (402).

use crate::common;

use common::{
    ApiError, anonymous_client, assert_error, assert_invalid, assert_invalid_field, bearer_client,
    client, frame, key_client, project, start,
};
use serde_json::{Value, json};
use studio_api::{Credential, ErrorKind, types};
use studio_mock::Scope;

const UNAUTHORIZED: &str = "Missing or invalid API key / token.";

#[tokio::test]
async fn a_missing_or_unknown_credential_gets_401() {
    let server = start();
    let strangers = [
        anonymous_client(&server),
        key_client(&server, "sk_test_not_a_key_of_this_server"),
        common::plain(&server, Credential::bearer("tok_unknown"))
            .build()
            .unwrap(),
    ];
    for stranger in &strangers {
        let error = stranger.list_projects().send().await.unwrap_err();
        assert_error(error, 401, UNAUTHORIZED);
    }
    // A rejected create leaves nothing behind.
    let error = strangers[0]
        .create_project()
        .body_map(|b| b.name("Ghost"))
        .send()
        .await
        .unwrap_err();
    assert_error(error, 401, UNAUTHORIZED);
    let projects = client(&server).list_projects().send().await.unwrap();
    assert_eq!(projects.pagination.total, 0);
}

#[tokio::test]
async fn a_key_without_the_scope_gets_403_naming_it() {
    let server = start();
    let owner = client(&server);
    let prj = project(&owner, "Scopes").await;
    let frm = frame(&owner, &prj.id, "A lighthouse at dusk").await;
    let frames_only = key_client(&server, &server.mint_api_key(Some(&[Scope::Frames])));

    // What the key's scope covers works, including job polling.
    let listed = frames_only
        .list_frames()
        .project_id(&prj.id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.data.len(), 1);
    frames_only.list_generation_jobs().send().await.unwrap();

    // Everything else names the scope it lacks.
    let missing = |scope: &str| format!("API key missing required scope: {scope}");
    let cases: Vec<(&str, ApiError)> = vec![
        (
            "projects",
            frames_only.list_projects().send().await.unwrap_err(),
        ),
        (
            "voices",
            frames_only.list_voices().send().await.unwrap_err(),
        ),
        (
            "assets",
            frames_only.list_assets().send().await.unwrap_err(),
        ),
        ("teams", frames_only.list_teams().send().await.unwrap_err()),
        (
            "image_generation",
            frames_only
                .generate_frame_image()
                .frame_id(&frm.id)
                .send()
                .await
                .unwrap_err(),
        ),
        (
            "export",
            frames_only
                .create_export()
                .project_id(&prj.id)
                .body_map(|b| b.format(types::ExportFormat::Pdf))
                .send()
                .await
                .unwrap_err(),
        ),
    ];
    for (scope, error) in cases {
        assert_error(error, 403, &missing(scope));
    }
    // The refused paid calls charged nothing.
    assert_eq!(server.wallet(), 1000.0);

    // A key with several scopes has each of them.
    let two = key_client(
        &server,
        &server.mint_api_key(Some(&[Scope::Projects, Scope::Voices])),
    );
    two.list_projects().send().await.unwrap();
    two.list_voices().send().await.unwrap();
    let error = two
        .list_frames()
        .project_id(&prj.id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 403, &missing("frames"));
}

#[tokio::test]
async fn a_star_key_and_a_bearer_token_have_every_scope() {
    let server = start();
    let star = key_client(&server, &server.mint_api_key(None));
    for caller in [star, bearer_client(&server)] {
        caller.list_projects().send().await.unwrap();
        caller.list_voices().send().await.unwrap();
        caller.list_assets().send().await.unwrap();
        caller.list_teams().send().await.unwrap();
        caller.list_generation_jobs().send().await.unwrap();
        let prj = project(&caller, "Everything").await;
        let frm = frame(&caller, &prj.id, "A gull on a post").await;
        caller
            .generate_frame_image()
            .frame_id(&frm.id)
            .send()
            .await
            .unwrap();
        caller
            .create_export()
            .project_id(&prj.id)
            .body_map(|b| b.format(types::ExportFormat::Zip))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn delete_team_is_bearer_only() {
    let server = start();
    let key = client(&server);
    let team = key
        .create_team()
        .body_map(|b| b.name("Night crew"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;

    let error = key
        .delete_team()
        .team_id(&team.id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 403, "endpoint not available via API key");
    // Still there.
    key.get_team().team_id(&team.id).send().await.unwrap();

    let deleted = bearer_client(&server)
        .delete_team()
        .team_id(&team.id)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert!(deleted.success);
    assert_eq!(deleted.message, "Team deleted");
    let error = key.get_team().team_id(&team.id).send().await.unwrap_err();
    assert_error(error, 404, "Team not found");
}

#[tokio::test]
async fn unknown_ids_get_404_naming_the_kind() {
    let server = start();
    let c = client(&server);
    let prj = project(&c, "Known").await;
    let frm = frame(&c, &prj.id, "Known frame").await;
    let team = c
        .create_team()
        .body_map(|b| b.name("Known team"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;

    let cases: Vec<(&str, ApiError)> = vec![
        (
            "Project",
            c.get_project()
                .project_id("prj_404")
                .send()
                .await
                .unwrap_err(),
        ),
        (
            "Project",
            c.create_frame()
                .project_id("prj_404")
                .body_map(|b| b.script("Nowhere"))
                .send()
                .await
                .unwrap_err(),
        ),
        (
            "Frame",
            c.get_frame().frame_id("frm_404").send().await.unwrap_err(),
        ),
        (
            "Frame version",
            c.get_frame_version()
                .frame_id(&frm.id)
                .version_id("ver_404")
                .send()
                .await
                .unwrap_err(),
        ),
        (
            "Comment",
            c.update_frame_comment()
                .frame_id(&frm.id)
                .comment_id("cmt_404")
                .body_map(|b| b.resolved(Some(true)))
                .send()
                .await
                .unwrap_err(),
        ),
        (
            "Share link",
            c.get_share_link()
                .project_id(&prj.id)
                .send()
                .await
                .unwrap_err(),
        ),
        (
            "Generation job",
            c.get_generation_job()
                .job_id("job_404")
                .send()
                .await
                .unwrap_err(),
        ),
        (
            "Audio track",
            c.get_audio_track()
                .track_id("trk_404")
                .send()
                .await
                .unwrap_err(),
        ),
        (
            "Asset",
            c.get_asset().asset_id("ast_404").send().await.unwrap_err(),
        ),
        (
            "Export",
            c.get_export()
                .export_id("exp_404")
                .send()
                .await
                .unwrap_err(),
        ),
        (
            "Render",
            c.get_render()
                .render_id("rnd_404")
                .send()
                .await
                .unwrap_err(),
        ),
        (
            "Team",
            c.get_team().team_id("team_404").send().await.unwrap_err(),
        ),
        (
            "Team member",
            c.remove_team_member()
                .team_id(&team.id)
                .user_id("usr_404")
                .send()
                .await
                .unwrap_err(),
        ),
        (
            "Invite",
            c.revoke_team_invite()
                .team_id(&team.id)
                .invite_id("inv_404")
                .send()
                .await
                .unwrap_err(),
        ),
        (
            "Voice",
            c.get_voice().voice_id("voc_404").send().await.unwrap_err(),
        ),
    ];
    for (kind, error) in cases {
        assert_error(error, 404, &format!("{kind} not found"));
    }
}

#[tokio::test]
async fn invalid_bodies_get_422_with_field_messages() {
    let server = start();
    let c = client(&server);
    let prj = project(&c, "Validation").await;
    let first = frame(&c, &prj.id, "One").await;
    let second = frame(&c, &prj.id, "Two").await;

    // Reordering must name every frame exactly once; the order is untouched.
    let every_frame_once = "The frame_ids must list every frame of the project exactly once.";
    for ids in [
        vec![second.id.clone()],
        vec![second.id.clone(), "frm_404".to_string()],
        vec![second.id.clone(), first.id.clone(), first.id.clone()],
    ] {
        let error = c
            .reorder_frames()
            .project_id(&prj.id)
            .body_map(|b| b.frame_ids(&ids))
            .send()
            .await
            .unwrap_err();
        assert_invalid(error, "frame_ids", every_frame_once);
    }
    let order: Vec<_> = common::all_frames(&c, &prj.id)
        .await
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(order, [first.id.clone(), second.id.clone()]);

    let team = c
        .create_team()
        .body_map(|b| b.name("Crew"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let invite = |email: &'static str, role: types::TeamRole| {
        c.create_team_invite()
            .team_id(&team.id)
            .body_map(move |b| b.email(email).role(role))
            .send()
    };
    assert_invalid(
        invite("new@example.com", types::TeamRole::Owner)
            .await
            .unwrap_err(),
        "role",
        "An invite cannot make someone the owner.",
    );
    assert_invalid_field(
        invite("not-an-email", types::TeamRole::Editor)
            .await
            .unwrap_err(),
        "email",
    );
    // Neither refused invite exists.
    let invites = c
        .list_team_invites()
        .team_id(&team.id)
        .send()
        .await
        .unwrap();
    assert_eq!(invites.pagination.total, 0);

    let error = c
        .generate_voiceover()
        .project_id(&prj.id)
        .body_map(|b| b.text("Hello there").voice_id("voc_nobody"))
        .send()
        .await
        .unwrap_err();
    assert_invalid(error, "voice_id", "The selected voice_id is invalid.");

    let error = c
        .generate_frame_video()
        .frame_id(&first.id)
        .send()
        .await
        .unwrap_err();
    assert_invalid(
        error,
        "frame_id",
        "The frame needs an image before a video can be generated.",
    );

    let error = c
        .create_project()
        .body_map(|b| {
            b.name("Orphan")
                .team_id(Some("team_404".try_into().unwrap()))
        })
        .send()
        .await
        .unwrap_err();
    assert_invalid(error, "team_id", "The selected team_id is invalid.");

    let error = c
        .upload_asset()
        .filename("empty.png")
        .body(Vec::<u8>::new())
        .send()
        .await
        .unwrap_err();
    assert_invalid(error, "body", "The uploaded file is empty.");

    // None of the refused paid calls charged the wallet.
    assert_eq!(server.wallet(), 1000.0);
}

/// A `limit` past 100 gets 422 naming it. Sent raw: the generated client
/// refuses it before sending, with the range from the spec.
#[tokio::test]
async fn a_limit_past_100_gets_422() {
    let server = start();
    let c = client(&server);
    let prj = project(&c, "Limits").await;
    let raw = reqwest::Client::new();
    for path in [
        format!("/projects/{}/frames", prj.id),
        "/projects".to_string(),
    ] {
        let response = raw
            .get(format!("{}{path}?limit=101", server.base_url()))
            .header("x-api-key", server.api_key())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(body["errors"].get("limit").is_some(), "{body}");
    }
    let error = c.list_projects().limit(101).send().await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::InvalidInput, "{error}");
    assert!(
        error.message().contains("limit must be between 1 and 100"),
        "{error}"
    );
    // The bounds themselves are fine.
    c.list_projects().limit(100).send().await.unwrap();
    c.list_projects().limit(1).send().await.unwrap();
}

/// A value past the `maxLength` or `maxItems` the spec states gets 422
/// naming its field, and a value at the limit is accepted. Sent raw: the
/// generated client refuses such values before sending them.
#[tokio::test]
async fn a_value_past_its_length_limit_gets_422_naming_it() {
    let server = start();
    let c = client(&server);
    let prj = project(&c, "Lengths").await;
    let frm = frame(&c, &prj.id, "A quay at night").await;
    let raw = reqwest::Client::new();
    let key = server.api_key();
    let send = |request: reqwest::RequestBuilder| async move {
        let response = request.header("x-api-key", key).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };
    let url = |path: &str| format!("{}{path}", server.base_url());
    // Four bytes a character: the limits count characters.
    let text = |chars: usize| "🌊".repeat(chars);
    let fields = |body: &Value| -> Vec<String> {
        body["errors"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };

    let name = common::body_limit("CreateProjectRequest", "name", "maxLength");
    let create = |name: String| raw.post(url("/projects")).json(&json!({ "name": name }));
    let (status, body) = send(create(text(name + 1))).await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["name".to_string()]),
        "{body}"
    );
    // The message names the limit, not the value: a refused megabyte is
    // not sent back twice.
    assert_eq!(
        body["message"],
        format!("The name is invalid: value is longer than {name} characters.")
    );
    let (status, body) = send(create(text(name))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["name"], text(name));

    let prompt = common::body_limit("GenerateImageRequest", "prompt", "maxLength");
    let generate = |prompt: String| {
        raw.post(url(&format!("/frames/{}/image/generate", frm.id)))
            .json(&json!({ "prompt": prompt }))
    };
    let (status, body) = send(generate(text(prompt + 1))).await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["prompt".to_string()]),
        "{body}"
    );
    let (status, body) = send(generate(text(prompt))).await;
    assert_eq!(status, 202, "{body}");

    let id = common::spec()["components"]["schemas"]["ResourceId"]["maxLength"]
        .as_u64()
        .unwrap() as usize;
    let (status, body) = send(
        raw.post(url("/projects"))
            .json(&json!({ "name": "Teamed", "team_id": "t".repeat(id + 1) })),
    )
    .await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["team_id".to_string()]),
        "{body}"
    );

    let search = common::query_limit("list_projects", "search", "maxLength");
    let list = |search: String| raw.get(url("/projects")).query(&[("search", search)]);
    let (status, body) = send(list(text(search + 1))).await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["search".to_string()]),
        "{body}"
    );
    let (status, body) = send(list(text(search))).await;
    assert_eq!(status, 200, "{body}");

    let tags = common::query_limit("upload_asset", "tags", "maxItems");
    let upload = |count: usize| {
        let mut query = vec![("filename", "tagged.png".to_string())];
        query.extend((0..count).map(|n| ("tags", format!("tag-{n}"))));
        raw.post(url("/assets")).query(&query).body(vec![1u8; 8])
    };
    let (status, body) = send(upload(tags + 1)).await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["tags".to_string()]),
        "{body}"
    );
    let (status, body) = send(upload(tags)).await;
    assert_eq!(status, 201, "{body}");
}

/// The message of a 402 for `cost` credits against a wallet of `balance`.
fn payment_required(cost: &str, balance: &str) -> String {
    format!(
        "Subscription or wallet balance needed: this costs {cost} credits and the wallet holds {balance}"
    )
}

#[tokio::test]
async fn paid_operations_get_402_when_the_wallet_is_short_and_charge_nothing() {
    let server = start();
    let c = client(&server);
    let prj = project(&c, "Budget").await;
    let mut frames = Vec::new();
    for script in ["One", "Two", "Three"] {
        frames.push(frame(&c, &prj.id, script).await);
    }

    server.set_wallet(0.5);
    let error = c
        .generate_frame_image()
        .frame_id(&frames[0].id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 402, &payment_required("1", "0.5"));
    let error = c
        .generate_script()
        .project_id(&prj.id)
        .body_map(|b| b.prompt("A storm"))
        .send()
        .await
        .unwrap_err();
    assert_error(error, 402, &payment_required("1", "0.5"));
    assert_eq!(server.wallet(), 0.5);

    // Multi-shot prices every frame up front: no partial run.
    server.set_wallet(2.0);
    let error = c
        .generate_multi_shot()
        .project_id(&prj.id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 402, &payment_required("3", "2"));

    server.set_wallet(1.0);
    let error = c
        .create_export()
        .project_id(&prj.id)
        .body_map(|b| b.format(types::ExportFormat::Mp4))
        .send()
        .await
        .unwrap_err();
    assert_error(error, 402, &payment_required("2", "1"));
    assert_eq!(server.wallet(), 1.0);

    // Nothing was queued, the script changed nothing, and free calls still work.
    let jobs = c.list_generation_jobs().send().await.unwrap();
    assert_eq!(jobs.pagination.total, 0);
    let exports = c.list_exports().project_id(&prj.id).send().await.unwrap();
    assert_eq!(exports.pagination.total, 0);
    assert_eq!(common::all_frames(&c, &prj.id).await.len(), 3);
    frame(&c, &prj.id, "Four").await;

    // An exact balance is enough.
    let job = c
        .generate_frame_image()
        .frame_id(&frames[0].id)
        .send()
        .await
        .unwrap();
    assert_eq!(job.status(), 202);
    assert_eq!(job.data.credits_charged, Some(1.0));
    assert_eq!(server.wallet(), 0.0);
}
