//! The server keeps consistent state: frame positions, what is removed
//! with a project or frame, comments and reviews, and team membership.

use crate::common;

use common::{
    all_frames, assert_error, assert_invalid, bearer_client, client, frame, get_project, project,
};
use studio_api::{Client, types};

/// The scripts of a project's frames in storyboard order, after checking
/// that positions run 1..=n and that the project counts them all.
async fn order(c: &Client, project_id: &str) -> Vec<String> {
    let frames = all_frames(c, project_id).await;
    let count = get_project(c, project_id).await.frame_count;
    assert_eq!(count as usize, frames.len(), "frame_count");
    frames.into_iter().map(|f| f.script).collect()
}

async fn frame_at(c: &Client, project_id: &str, script: &str, position: i32) -> types::Frame {
    c.create_frame()
        .project_id(project_id)
        .body_map(|b| b.script(script).position(Some(position)))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
}

#[tokio::test]
async fn frame_positions_stay_contiguous() {
    let server = common::start();
    let c = client(&server);
    let prj = project(&c, "Order").await;
    let a = frame(&c, &prj.id, "A").await;
    let b = frame(&c, &prj.id, "B").await;
    let d = frame(&c, &prj.id, "D").await;
    assert_eq!((a.position, b.position, d.position), (1, 2, 3));
    assert_eq!(order(&c, &prj.id).await, ["A", "B", "D"]);

    // Inserting at a position shifts the frames after it.
    let cc = frame_at(&c, &prj.id, "C", 3).await;
    assert_eq!(cc.position, 3);
    assert_eq!(order(&c, &prj.id).await, ["A", "B", "C", "D"]);
    let opening = frame_at(&c, &prj.id, "Opening", 1).await;
    assert_eq!(order(&c, &prj.id).await, ["Opening", "A", "B", "C", "D"]);
    // Past the end appends.
    let closing = frame_at(&c, &prj.id, "Closing", 99).await;
    assert_eq!(closing.position, 6);

    // Deleting closes the gap.
    let deleted = c.delete_frame().frame_id(&b.id).send().await.unwrap();
    assert_eq!(deleted.message, "Frame deleted");
    assert_eq!(
        order(&c, &prj.id).await,
        ["Opening", "A", "C", "D", "Closing"]
    );
    let error = c.get_frame().frame_id(&b.id).send().await.unwrap_err();
    assert_error(error, 404, "Frame not found");

    // Reordering renumbers in the order given and returns the frames.
    let wanted: Vec<String> = [&closing, &d, &cc, &a, &opening]
        .iter()
        .map(|f| f.id.clone())
        .collect();
    let reordered = c
        .reorder_frames()
        .project_id(&prj.id)
        .body_map(|b| b.frame_ids(&wanted))
        .send()
        .await
        .unwrap();
    let returned: Vec<_> = reordered.data.iter().map(|f| (&f.id, f.position)).collect();
    let expected: Vec<_> = wanted.iter().zip(1..).collect();
    assert_eq!(returned, expected);
    assert_eq!(
        order(&c, &prj.id).await,
        ["Closing", "D", "C", "A", "Opening"]
    );
    let fetched = c.get_frame().frame_id(&opening.id).send().await.unwrap();
    assert_eq!(fetched.data.position, 5);
}

#[tokio::test]
async fn deleting_a_project_removes_what_hangs_off_it() {
    let server = common::start();
    let c = client(&server);
    let doomed = project(&c, "Doomed").await;
    let kept = project(&c, "Kept").await;
    let doomed_frame = frame(&c, &doomed.id, "Going").await;
    frame(&c, &kept.id, "Staying").await;
    let comment = c
        .create_frame_comment()
        .frame_id(&doomed_frame.id)
        .body_map(|b| b.body("Nice"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let track = c
        .create_audio_track()
        .project_id(&doomed.id)
        .body_map(|b| b.kind(types::AudioKind::Music).name("Theme"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let kept_track = c
        .create_audio_track()
        .project_id(&kept.id)
        .body_map(|b| b.kind(types::AudioKind::Music).name("Theme"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    for prj in [&doomed, &kept] {
        c.create_share_link()
            .project_id(&prj.id)
            .body_map(|b| b.access(types::ShareAccess::View))
            .send()
            .await
            .unwrap();
    }

    let deleted = c
        .delete_project()
        .project_id(&doomed.id)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.message, "Project deleted");

    let error = c
        .get_project()
        .project_id(&doomed.id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 404, "Project not found");
    let error = c
        .get_frame()
        .frame_id(&doomed_frame.id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 404, "Frame not found");
    let error = c
        .update_frame_comment()
        .frame_id(&doomed_frame.id)
        .comment_id(&comment.id)
        .body_map(|b| b.resolved(Some(true)))
        .send()
        .await
        .unwrap_err();
    assert_error(error, 404, "Frame not found");
    let error = c
        .get_audio_track()
        .track_id(&track.id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 404, "Audio track not found");
    let error = c
        .get_share_link()
        .project_id(&doomed.id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 404, "Project not found");
    let error = c
        .delete_project()
        .project_id(&doomed.id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 404, "Project not found");

    // The other project is untouched.
    assert_eq!(order(&c, &kept.id).await, ["Staying"]);
    c.get_audio_track()
        .track_id(&kept_track.id)
        .send()
        .await
        .unwrap();
    c.get_share_link()
        .project_id(&kept.id)
        .send()
        .await
        .unwrap();
    let projects = c.list_projects().send().await.unwrap();
    let names: Vec<_> = projects.data.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Kept"]);
}

#[tokio::test]
async fn share_links_are_one_per_project_and_revocable() {
    let server = common::start();
    let c = client(&server);
    let prj = project(&c, "Shared").await;
    let share = |access| {
        c.create_share_link()
            .project_id(&prj.id)
            .body_map(move |b| b.access(access))
    };
    let first = share(types::ShareAccess::View).send().await.unwrap();
    assert_eq!(first.status(), 201);
    let second = share(types::ShareAccess::Comment).send().await.unwrap();
    let current = c.get_share_link().project_id(&prj.id).send().await.unwrap();
    assert_eq!(current.data.token, second.data.token);
    assert_eq!(current.data.access, types::ShareAccess::Comment);
    assert_ne!(first.data.token, second.data.token);

    let revoked = c
        .revoke_share_link()
        .project_id(&prj.id)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.message, "Share link revoked");
    let error = c
        .get_share_link()
        .project_id(&prj.id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 404, "Share link not found");
}

#[tokio::test]
async fn comments_and_reviews_belong_to_their_frame() {
    let server = common::start();
    let c = bearer_client(&server);
    let prj = project(&c, "Review").await;
    let one = frame(&c, &prj.id, "One").await;
    let two = frame(&c, &prj.id, "Two").await;

    let comment = c
        .create_frame_comment()
        .frame_id(&one.id)
        .body_map(|b| b.body("Warmer light?"))
        .send()
        .await
        .unwrap();
    assert_eq!(comment.status(), 201);
    let comment = comment.into_inner().data;
    assert_eq!(comment.author.id, "usr_mock");
    assert!(!comment.resolved);

    // Addressed through the wrong frame, the comment does not exist.
    let error = c
        .update_frame_comment()
        .frame_id(&two.id)
        .comment_id(&comment.id)
        .body_map(|b| b.resolved(Some(true)))
        .send()
        .await
        .unwrap_err();
    assert_error(error, 404, "Comment not found");
    let listed = c
        .list_frame_comments()
        .frame_id(&two.id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.pagination.total, 0);

    let resolved = c
        .update_frame_comment()
        .frame_id(&one.id)
        .comment_id(&comment.id)
        .body_map(|b| b.resolved(Some(true)))
        .send()
        .await
        .unwrap();
    assert!(resolved.data.resolved);
    assert_eq!(resolved.data.body, "Warmer light?");

    for decision in [
        types::ReviewDecision::ChangesRequested,
        types::ReviewDecision::Approved,
    ] {
        c.create_frame_review()
            .frame_id(&one.id)
            .body_map(move |b| b.decision(decision))
            .send()
            .await
            .unwrap();
    }
    let reviews = c
        .list_frame_reviews()
        .frame_id(&one.id)
        .send()
        .await
        .unwrap();
    let decisions: Vec<_> = reviews.data.iter().map(|r| r.decision.clone()).collect();
    assert_eq!(
        decisions,
        [
            types::ReviewDecision::Approved,
            types::ReviewDecision::ChangesRequested
        ],
        "newest first"
    );

    let deleted = c
        .delete_frame_comment()
        .frame_id(&one.id)
        .comment_id(&comment.id)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.message, "Comment deleted");
    let listed = c
        .list_frame_comments()
        .frame_id(&one.id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.pagination.total, 0);

    // Deleting the frame takes its reviews along.
    c.delete_frame().frame_id(&one.id).send().await.unwrap();
    let error = c
        .list_frame_reviews()
        .frame_id(&one.id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 404, "Frame not found");
}

#[tokio::test]
async fn duplicating_a_project_copies_its_frames_independently() {
    let server = common::start();
    let c = client(&server);
    let original = project(&c, "Pilot").await;
    for script in ["One", "Two", "Three"] {
        frame(&c, &original.id, script).await;
    }
    let copy = c
        .duplicate_project()
        .project_id(&original.id)
        .send()
        .await
        .unwrap();
    assert_eq!(copy.status(), 201);
    let copy = copy.into_inner().data;
    assert_eq!(copy.name, "Pilot (copy)");
    assert_ne!(copy.id, original.id);
    let scripts = |frames: Vec<types::Frame>| -> Vec<String> {
        frames.into_iter().map(|f| f.script).collect()
    };
    let copied = all_frames(&c, &copy.id).await;
    assert!(copied.iter().all(|f| f.project_id == copy.id));
    assert_eq!(scripts(copied.clone()), ["One", "Two", "Three"]);
    assert_eq!(get_project(&c, &copy.id).await.frame_count, 3);

    // Changing the copy leaves the original alone.
    c.delete_frame()
        .frame_id(&copied[0].id)
        .send()
        .await
        .unwrap();
    assert_eq!(order(&c, &copy.id).await.len(), 2);
    assert_eq!(
        scripts(all_frames(&c, &original.id).await),
        ["One", "Two", "Three"]
    );
}

#[tokio::test]
async fn team_invites_and_membership() {
    let server = common::start();
    let c = client(&server);
    let team = c
        .create_team()
        .body_map(|b| b.name("Storyboarders"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(team.member_count, 1);
    assert_eq!(team.owner_id, "usr_mock");
    let get_team = || async {
        c.get_team()
            .team_id(&team.id)
            .send()
            .await
            .unwrap()
            .into_inner()
            .data
    };
    let invite = |email: &'static str| {
        c.create_team_invite()
            .team_id(&team.id)
            .body_map(move |b| b.email(email).role(types::TeamRole::Editor))
            .send()
    };
    let invites = || async {
        c.list_team_invites()
            .team_id(&team.id)
            .send()
            .await
            .unwrap()
            .into_inner()
            .data
    };
    let revoke = |invite_id: String| {
        c.revoke_team_invite()
            .team_id(&team.id)
            .invite_id(invite_id)
            .send()
    };

    // Pending, then revoked; revoking again is refused. (403, not 422: the
    // spec declares no 422 for this body-less DELETE, so the client could
    // not decode one.)
    let first = invite("ana@example.com").await.unwrap().into_inner().data;
    assert_eq!(first.status, types::InviteStatus::Pending);
    assert_invalid(
        invite("ANA@example.com").await.unwrap_err(),
        "email",
        "A pending invite for this email already exists.",
    );
    let revoked = revoke(first.id.clone()).await.unwrap();
    assert_eq!(revoked.message, "Invite revoked");
    assert_eq!(invites().await[0].status, types::InviteStatus::Revoked);
    assert_error(
        revoke(first.id.clone()).await.unwrap_err(),
        403,
        "Only pending invites can be revoked; this one is revoked.",
    );
    assert_eq!(server.accept_invite(&first.id), None);

    // Accepting makes a member with the invited role.
    let second = invite("ana@example.com").await.unwrap().into_inner().data;
    let user_id = server.accept_invite(&second.id).expect("a pending invite");
    assert_eq!(server.accept_invite(&second.id), None, "accepted only once");
    let statuses: Vec<_> = invites().await.into_iter().map(|i| i.status).collect();
    assert_eq!(
        statuses,
        [types::InviteStatus::Accepted, types::InviteStatus::Revoked]
    );
    assert_eq!(get_team().await.member_count, 2);
    let members = c
        .list_team_members()
        .team_id(&team.id)
        .send()
        .await
        .unwrap();
    let mut roles: Vec<_> = members
        .data
        .iter()
        .map(|m| (m.user_id.as_str(), m.role.clone()))
        .collect();
    roles.sort_by_key(|(user, _)| *user);
    assert_eq!(
        roles,
        [
            (user_id.as_str(), types::TeamRole::Editor),
            ("usr_mock", types::TeamRole::Owner)
        ]
    );
    assert_invalid(
        invite("ana@example.com").await.unwrap_err(),
        "email",
        "That person is already a member of the team.",
    );
    assert_error(
        revoke(second.id.clone()).await.unwrap_err(),
        403,
        "Only pending invites can be revoked; this one is accepted.",
    );

    // The owner stays; others can be changed and removed.
    let error = c
        .remove_team_member()
        .team_id(&team.id)
        .user_id("usr_mock")
        .send()
        .await
        .unwrap_err();
    assert_error(error, 403, "The team owner cannot be removed.");
    let error = c
        .update_team_member()
        .team_id(&team.id)
        .user_id(&user_id)
        .body_map(|b| b.role(types::TeamRole::Owner))
        .send()
        .await
        .unwrap_err();
    assert_invalid(
        error,
        "role",
        "The owner's role cannot be changed or given.",
    );
    let promoted = c
        .update_team_member()
        .team_id(&team.id)
        .user_id(&user_id)
        .body_map(|b| b.role(types::TeamRole::Admin))
        .send()
        .await
        .unwrap();
    assert_eq!(promoted.data.role, types::TeamRole::Admin);
    let removed = c
        .remove_team_member()
        .team_id(&team.id)
        .user_id(&user_id)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.message, "Member removed");
    assert_eq!(get_team().await.member_count, 1);
    let error = c
        .remove_team_member()
        .team_id(&team.id)
        .user_id(&user_id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 404, "Team member not found");
}

#[tokio::test]
async fn cloned_voices_can_be_deleted_and_premade_ones_cannot() {
    let server = common::start();
    let c = client(&server);
    let premade = c
        .list_voices()
        .category(types::VoiceCategory::Premade)
        .send()
        .await
        .unwrap();
    assert_eq!(premade.pagination.total, 3);

    // A clone needs an uploaded audio sample.
    let image = c
        .upload_asset()
        .filename("face.png")
        .body(b"not really a png".to_vec())
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let error = c
        .create_voice()
        .body_map(|b| b.name("Me").sample_asset_ids([&image.id]))
        .send()
        .await
        .unwrap_err();
    assert_invalid(
        error,
        "sample_asset_ids",
        &format!("The asset {} is not an uploaded audio file.", image.id),
    );
    let sample = c
        .upload_asset()
        .filename("me.wav")
        .body(b"RIFF....WAVE".to_vec())
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let voice = c
        .create_voice()
        .body_map(|b| b.name("Me").sample_asset_ids([&sample.id]))
        .send()
        .await
        .unwrap();
    assert_eq!(voice.status(), 201);
    let voice = voice.into_inner().data;
    assert_eq!(voice.category, types::VoiceCategory::Cloned);
    assert_eq!(voice.preview_url.as_deref(), Some(sample.url.as_str()));
    let cloned = c
        .list_voices()
        .category(types::VoiceCategory::Cloned)
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = cloned.data.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, [voice.id.as_str()]);

    // Premade voices are read-only. (403: the spec declares no 422 for
    // this body-less DELETE.)
    let error = c
        .delete_voice()
        .voice_id(&premade.data[0].id)
        .send()
        .await
        .unwrap_err();
    assert_error(error, 403, "Premade voices cannot be changed or deleted.");
    c.get_voice()
        .voice_id(&premade.data[0].id)
        .send()
        .await
        .unwrap();

    let deleted = c.delete_voice().voice_id(&voice.id).send().await.unwrap();
    assert_eq!(deleted.message, "Voice deleted");
    let error = c.get_voice().voice_id(&voice.id).send().await.unwrap_err();
    assert_error(error, 404, "Voice not found");
}
