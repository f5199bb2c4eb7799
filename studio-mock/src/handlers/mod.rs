//! One handler per operation, looked up by operation id.

mod assets;
mod audio;
mod export;
mod frames;
mod generation;
mod projects;
mod reviews;
mod teams;
mod voices;

use crate::call::{Call, Reply};
use crate::error::ApiError;
use crate::store::Store;
use axum::http::StatusCode;
use studio_api::operations::Operation;

pub use teams::accept_invite;
pub use voices::seed;

/// Moves jobs, exports and renders along the clock.
pub fn advance(store: &mut Store, instant: std::time::Instant, now: chrono::DateTime<chrono::Utc>) {
    generation::advance(store, instant, now);
    export::advance(store, instant, now);
}

/// Runs the handler of `op` against the store.
pub fn handle(op: &Operation, store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    match op.id {
        "list_projects" => projects::list(store, call),
        "create_project" => projects::create(store, call),
        "get_project" => projects::get(store, call),
        "update_project" => projects::update(store, call),
        "delete_project" => projects::delete(store, call),
        "duplicate_project" => projects::duplicate(store, call),
        "generate_script" => projects::generate_script(store, call),
        "create_share_link" => projects::create_share_link(store, call),
        "get_share_link" => projects::get_share_link(store, call),
        "revoke_share_link" => projects::revoke_share_link(store, call),

        "list_frames" => frames::list(store, call),
        "create_frame" => frames::create(store, call),
        "reorder_frames" => frames::reorder(store, call),
        "get_frame" => frames::get(store, call),
        "update_frame" => frames::update(store, call),
        "delete_frame" => frames::delete(store, call),
        "list_frame_versions" => frames::list_versions(store, call),
        "get_frame_version" => frames::get_version(store, call),
        "restore_frame_version" => frames::restore_version(store, call),
        "list_frame_comments" => reviews::list_comments(store, call),
        "create_frame_comment" => reviews::create_comment(store, call),
        "update_frame_comment" => reviews::update_comment(store, call),
        "delete_frame_comment" => reviews::delete_comment(store, call),
        "list_frame_reviews" => reviews::list_reviews(store, call),
        "create_frame_review" => reviews::create_review(store, call),

        "list_generation_jobs" => generation::list_jobs(store, call),
        "get_generation_job" => generation::get_job(store, call),
        "generate_frame_image" => generation::generate_image(store, call),
        "edit_frame_image" => generation::edit_image(store, call),
        "generate_multi_shot" => generation::multi_shot(store, call),
        "generate_frame_video" => generation::generate_video(store, call),
        "extend_frame_video" => generation::extend_video(store, call),
        "lip_sync_frame_video" => generation::lip_sync(store, call),
        "generate_voiceover" => generation::voiceover(store, call),
        "generate_sfx" => generation::sfx(store, call),

        "list_audio_tracks" => audio::list(store, call),
        "create_audio_track" => audio::create(store, call),
        "get_audio_track" => audio::get(store, call),
        "update_audio_track" => audio::update(store, call),
        "delete_audio_track" => audio::delete(store, call),

        "list_assets" => assets::list(store, call),
        "upload_asset" => assets::upload(store, call),
        "get_asset" => assets::get(store, call),
        "update_asset" => assets::update(store, call),
        "delete_asset" => assets::delete(store, call),

        "create_export" => export::create_export(store, call),
        "list_exports" => export::list_exports(store, call),
        "get_export" => export::get_export(store, call),
        "create_render" => export::create_render(store, call),
        "get_render" => export::get_render(store, call),

        "list_teams" => teams::list(store, call),
        "create_team" => teams::create(store, call),
        "get_team" => teams::get(store, call),
        "update_team" => teams::update(store, call),
        "delete_team" => teams::delete(store, call),
        "list_team_members" => teams::list_members(store, call),
        "update_team_member" => teams::update_member(store, call),
        "remove_team_member" => teams::remove_member(store, call),
        "list_team_invites" => teams::list_invites(store, call),
        "create_team_invite" => teams::create_invite(store, call),
        "revoke_team_invite" => teams::revoke_invite(store, call),

        "list_voices" => voices::list(store, call),
        "create_voice" => voices::create(store, call),
        "get_voice" => voices::get(store, call),
        "update_voice" => voices::update(store, call),
        "delete_voice" => voices::delete(store, call),

        other => Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            format!("studio-mock has no handler for {other}"),
        )),
    }
}

/// Replaces `*target` with `value` when the request carried one (a
/// request's length-limited text becomes the resource's plain `String`).
fn set<T>(target: &mut T, value: Option<impl Into<T>>) {
    if let Some(value) = value {
        *target = value.into();
    }
}

/// Applies an update's nullable field to an optional one: absent keeps
/// `*target`, `null` clears it, a value replaces it.
fn patch<T>(target: &mut Option<T>, value: Option<Option<impl Into<T>>>) {
    if let Some(value) = value {
        *target = value.map(Into::into);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::User;
    use crate::call::Behaviour;
    use studio_api::operations::OPERATIONS;

    /// Every operation of the table reaches a handler of its own: on an
    /// empty store each answers with an API status, never the fallback.
    #[test]
    fn every_operation_has_a_handler() {
        let user = User::owner();
        let behaviour = Behaviour {
            job_duration: std::time::Duration::from_millis(10),
            failure_rate: 0.0,
        };
        let (body, json) = (axum::body::Bytes::new(), serde_json::json!({}));
        for op in OPERATIONS {
            let mut store = Store::default();
            let call = Call {
                params: params(op.path),
                query: Vec::new(),
                body: &body,
                json: Some(&json),
                user: &user,
                now: chrono::Utc::now(),
                behaviour: &behaviour,
            };
            if let Err(error) = handle(op, &mut store, &call) {
                assert_ne!(error.status, StatusCode::NOT_IMPLEMENTED, "{}", op.id);
            }
        }
    }

    /// Every `{name}` of a path template, bound to an id that does not exist.
    fn params(path: &str) -> std::collections::HashMap<String, String> {
        path.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}'))
            .map(|(name, _)| (name.to_string(), "missing".to_string()))
            .collect()
    }
}
