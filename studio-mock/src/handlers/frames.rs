//! Frames (shots) and their versions.

use super::{patch, set};
use crate::call::{Call, Reply};
use crate::error::ApiError;
use crate::store::Store;
use chrono::{DateTime, Utc};
use studio_api::types;

/// Adds a frame to a project at one-based `position` (appended when `None`
/// or past the end), shifting later frames, and returns it.
pub fn insert_frame(
    store: &mut Store,
    project_id: &str,
    position: Option<i32>,
    now: DateTime<Utc>,
    fill: impl FnOnce(&mut types::Frame),
) -> types::Frame {
    let mut order = store.frame_order(project_id);
    let index = position
        .map(|p| (p.max(1) as usize - 1).min(order.len()))
        .unwrap_or(order.len());
    let mut frame = types::Frame {
        id: store.id("frm"),
        project_id: project_id.to_string(),
        position: index as i32 + 1,
        title: None,
        script: String::new(),
        shot_type: None,
        camera_motion: None,
        duration_seconds: None,
        image_url: None,
        video_url: None,
        image_prompt: None,
        video_prompt: None,
        current_version_id: None,
        created_at: now,
        updated_at: now,
        unknown_fields: Default::default(),
    };
    fill(&mut frame);
    order.insert(index, frame.id.clone());
    store.frames.insert(frame.id.clone(), frame);
    store.renumber_frames(project_id, &order, now);
    store.frames[&order[index]].clone()
}

/// Removes a frame with its versions, comments and reviews, and closes the
/// gap in its project's positions.
pub fn remove_frame(store: &mut Store, frame_id: &str) {
    let Some(frame) = store.frames.remove(frame_id) else {
        return;
    };
    store.versions.retain(|_, v| v.frame_id != frame_id);
    store.comments.retain(|_, c| c.frame_id != frame_id);
    store.reviews.retain(|_, r| r.frame_id != frame_id);
    let order = store.frame_order(&frame.project_id);
    store.renumber_frames(&frame.project_id, &order, Utc::now());
}

pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let project = call.param("project_id");
    store.project(project)?;
    Ok(Reply::list(store.project_frames(project), page))
}

pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let project = call.param("project_id");
    store.project(project)?;
    let request: types::CreateFrameRequest = call.json()?;
    let frame = insert_frame(store, project, request.position, call.now, |frame| {
        frame.title = request.title.map(String::from);
        frame.script = request.script.into();
        frame.shot_type = request.shot_type.map(String::from);
        frame.camera_motion = request.camera_motion.map(String::from);
        frame.duration_seconds = request.duration_seconds;
        frame.image_prompt = request.image_prompt.map(String::from);
        frame.video_prompt = request.video_prompt.map(String::from);
    });
    Ok(Reply::created(frame))
}

pub fn reorder(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let project = call.param("project_id");
    store.project(project)?;
    let request: types::ReorderFramesRequest = call.json()?;
    let order: Vec<String> = request.frame_ids.into_iter().map(String::from).collect();
    let mut current = store.frame_order(project);
    let mut requested = order.clone();
    current.sort();
    requested.sort();
    if current != requested {
        return Err(ApiError::invalid(
            "frame_ids",
            "The frame_ids must list every frame of the project exactly once.",
        ));
    }
    store.renumber_frames(project, &order, call.now);
    let frames: Vec<types::Frame> = store.project_frames(project).into_iter().cloned().collect();
    Ok(Reply::ok(frames))
}

pub fn get(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::ok(store.frame(call.param("frame_id"))?.clone()))
}

pub fn update(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = call.param("frame_id");
    store.frame(id)?;
    let request: types::UpdateFrameRequest = call.json()?;
    let frame = store.frames.get_mut(id).expect("checked above");
    patch(&mut frame.title, request.title);
    set(&mut frame.script, request.script);
    patch(&mut frame.shot_type, request.shot_type);
    patch(&mut frame.camera_motion, request.camera_motion);
    patch(&mut frame.duration_seconds, request.duration_seconds);
    patch(&mut frame.image_prompt, request.image_prompt);
    patch(&mut frame.video_prompt, request.video_prompt);
    frame.updated_at = call.now;
    Ok(Reply::ok(frame.clone()))
}

pub fn delete(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = call.param("frame_id");
    store.frame(id)?;
    remove_frame(store, id);
    Ok(Reply::deleted("Frame deleted"))
}

/// Records a new version of a frame's media and makes it current.
pub fn add_version(
    store: &mut Store,
    frame_id: &str,
    source: types::VersionSource,
    prompt: Option<String>,
    now: DateTime<Utc>,
    media: impl FnOnce(&mut types::FrameVersion),
) -> Option<types::FrameVersion> {
    let number = store
        .versions
        .values()
        .filter(|v| v.frame_id == frame_id)
        .count() as u32
        + 1;
    let frame = store.frames.get(frame_id)?;
    let mut version = types::FrameVersion {
        id: String::new(),
        frame_id: frame_id.to_string(),
        number: number.try_into().ok()?,
        source,
        image_url: frame.image_url.clone(),
        video_url: frame.video_url.clone(),
        prompt,
        created_at: now,
        unknown_fields: Default::default(),
    };
    media(&mut version);
    version.id = store.id("ver");
    store.versions.insert(version.id.clone(), version.clone());
    apply_version(store, &version, now);
    Some(version)
}

fn apply_version(store: &mut Store, version: &types::FrameVersion, now: DateTime<Utc>) {
    if let Some(frame) = store.frames.get_mut(&version.frame_id) {
        frame.image_url = version.image_url.clone();
        frame.video_url = version.video_url.clone();
        frame.current_version_id = Some(version.id.clone());
        frame.updated_at = now;
        let project = frame.project_id.clone();
        let is_first = frame.position == 1;
        if is_first && let Some(project) = store.projects.get_mut(&project) {
            project.thumbnail_url = version.image_url.clone();
        }
    }
}

pub fn list_versions(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let frame = call.param("frame_id");
    store.frame(frame)?;
    let versions: Vec<_> = store
        .versions
        .values()
        .rev()
        .filter(|v| v.frame_id == frame)
        .collect();
    Ok(Reply::list(versions, page))
}

fn version<'a>(store: &'a Store, call: &Call<'_>) -> Result<&'a types::FrameVersion, ApiError> {
    let frame = call.param("frame_id");
    store.frame(frame)?;
    store
        .versions
        .get(call.param("version_id"))
        .filter(|v| v.frame_id == frame)
        .ok_or_else(|| ApiError::not_found("Frame version"))
}

pub fn get_version(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::ok(version(store, call)?.clone()))
}

pub fn restore_version(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let version = version(store, call)?.clone();
    apply_version(store, &version, call.now);
    Ok(Reply::ok(store.frame(&version.frame_id)?.clone()))
}
