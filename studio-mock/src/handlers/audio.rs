//! Audio tracks on a project's timeline.

use super::{patch, set};
use crate::call::{Call, Reply};
use crate::error::ApiError;
use crate::store::Store;
use studio_api::types;

pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let project = call.param("project_id");
    store.project(project)?;
    let kind: Option<types::AudioKind> = call.query_enum("kind")?;
    let tracks: Vec<_> = store
        .tracks
        .values()
        .filter(|t| t.project_id == project && kind.as_ref().is_none_or(|k| t.kind == *k))
        .collect();
    Ok(Reply::list(tracks, page))
}

/// Checks that `frame_id`, when given, is a frame of `project`.
fn check_frame(
    store: &Store,
    project: &str,
    frame_id: Option<&types::ResourceId>,
) -> Result<(), ApiError> {
    match frame_id {
        Some(frame)
            if store
                .frames
                .get(frame.as_str())
                .is_none_or(|f| f.project_id != project) =>
        {
            Err(ApiError::invalid(
                "frame_id",
                "The selected frame_id is not in this project.",
            ))
        }
        _ => Ok(()),
    }
}

pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let project = call.param("project_id").to_string();
    store.project(&project)?;
    let request: types::CreateAudioTrackRequest = call.json()?;
    check_frame(store, &project, request.frame_id.as_ref())?;
    let url = match &request.asset_id {
        Some(asset) => Some(
            store
                .assets
                .get(asset.as_str())
                .ok_or_else(|| ApiError::invalid("asset_id", "The selected asset_id is invalid."))?
                .url
                .clone(),
        ),
        None => None,
    };
    let track = types::AudioTrack {
        id: store.id("trk"),
        project_id: project,
        kind: request.kind,
        name: request.name.to_string(),
        asset_id: request.asset_id.map(String::from),
        url,
        frame_id: request.frame_id.map(String::from),
        voice_id: None,
        text: None,
        start_seconds: request.start_seconds.unwrap_or(0.0),
        duration_seconds: request.duration_seconds,
        volume: request.volume.unwrap_or(1.0),
        created_at: call.now,
        updated_at: call.now,
        unknown_fields: Default::default(),
    };
    store.tracks.insert(track.id.clone(), track.clone());
    Ok(Reply::created(track))
}

fn track<'a>(store: &'a Store, call: &Call<'_>) -> Result<&'a types::AudioTrack, ApiError> {
    store
        .tracks
        .get(call.param("track_id"))
        .ok_or_else(|| ApiError::not_found("Audio track"))
}

pub fn get(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::ok(track(store, call)?.clone()))
}

pub fn update(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let project = track(store, call)?.project_id.clone();
    let request: types::UpdateAudioTrackRequest = call.json()?;
    check_frame(
        store,
        &project,
        request.frame_id.as_ref().and_then(Option::as_ref),
    )?;
    let track = store
        .tracks
        .get_mut(call.param("track_id"))
        .expect("checked above");
    set(&mut track.name, request.name);
    patch(&mut track.frame_id, request.frame_id);
    set(&mut track.start_seconds, request.start_seconds);
    patch(&mut track.duration_seconds, request.duration_seconds);
    set(&mut track.volume, request.volume);
    track.updated_at = call.now;
    Ok(Reply::ok(track.clone()))
}

pub fn delete(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    track(store, call)?;
    store.tracks.remove(call.param("track_id"));
    Ok(Reply::deleted("Audio track deleted"))
}
