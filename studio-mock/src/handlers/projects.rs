//! Projects, AI scripts and share links.

use super::{patch, set};
use crate::call::{Call, Reply};
use crate::error::ApiError;
use crate::store::Store;
use studio_api::types;

/// Credits an AI script costs.
const SCRIPT_COST: f64 = 1.0;

pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let team = call.query("team_id");
    let search = call.query("search").map(str::to_lowercase);
    let projects: Vec<_> = store
        .projects
        .values()
        .filter(|p| team.is_none() || p.team_id.as_deref() == team)
        .filter(|p| {
            search.as_deref().is_none_or(|s| {
                p.name.to_lowercase().contains(s)
                    || p.description
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(s))
            })
        })
        .collect();
    Ok(Reply::list(projects, page))
}

pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let request: types::CreateProjectRequest = call.json()?;
    if let Some(team) = &request.team_id
        && !store.teams.contains_key(team.as_str())
    {
        return Err(ApiError::invalid(
            "team_id",
            "The selected team_id is invalid.",
        ));
    }
    let project = types::Project {
        id: store.id("prj"),
        name: request.name.to_string(),
        description: request.description.map(String::from),
        aspect_ratio: request.aspect_ratio.unwrap_or(types::AspectRatio::X169),
        style: request.style.map(String::from),
        script: None,
        team_id: request.team_id.map(String::from),
        frame_count: 0,
        thumbnail_url: None,
        created_at: call.now,
        updated_at: call.now,
        unknown_fields: Default::default(),
    };
    store.projects.insert(project.id.clone(), project.clone());
    Ok(Reply::created(project))
}

pub fn get(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::ok(store.project(call.param("project_id"))?.clone()))
}

pub fn update(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = call.param("project_id");
    store.project(id)?;
    let request: types::UpdateProjectRequest = call.json()?;
    let project = store.projects.get_mut(id).expect("checked above");
    set(&mut project.name, request.name);
    patch(&mut project.description, request.description);
    set(&mut project.aspect_ratio, request.aspect_ratio);
    patch(&mut project.style, request.style);
    patch(&mut project.script, request.script);
    project.updated_at = call.now;
    Ok(Reply::ok(project.clone()))
}

pub fn delete(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = call.param("project_id").to_string();
    store
        .projects
        .remove(&id)
        .ok_or_else(|| ApiError::not_found("Project"))?;
    store.share_links.remove(&id);
    for frame in store.frame_order(&id) {
        super::frames::remove_frame(store, &frame);
    }
    store.tracks.retain(|_, t| t.project_id != id);
    store.jobs.retain(|_, j| j.job.project_id != id);
    store.exports.retain(|_, e| e.export.project_id != id);
    store.renders.retain(|_, r| r.render.project_id != id);
    for asset in store.assets.values_mut() {
        if asset.project_id.as_deref() == Some(id.as_str()) {
            asset.project_id = None;
        }
    }
    Ok(Reply::deleted("Project deleted"))
}

pub fn duplicate(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let source = store.project(call.param("project_id"))?.clone();
    let request: types::DuplicateProjectRequest = call.json()?;
    let mut copy = source.clone();
    copy.id = store.id("prj");
    copy.name = request
        .name
        .map(String::from)
        .unwrap_or_else(|| format!("{} (copy)", source.name));
    copy.created_at = call.now;
    copy.updated_at = call.now;
    for frame_id in store.frame_order(&source.id) {
        let mut frame = store.frames[&frame_id].clone();
        frame.id = store.id("frm");
        frame.project_id = copy.id.clone();
        frame.current_version_id = None;
        frame.created_at = call.now;
        frame.updated_at = call.now;
        store.frames.insert(frame.id.clone(), frame);
    }
    store.projects.insert(copy.id.clone(), copy.clone());
    Ok(Reply::created(copy))
}

pub fn generate_script(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = call.param("project_id").to_string();
    store.project(&id)?;
    let request: types::GenerateScriptRequest = call.json()?;
    let count = request.frame_count.map_or(4, |n| n.get()).min(100) as usize;
    store.charge(SCRIPT_COST)?;
    if request.replace_existing == Some(true) {
        for frame in store.frame_order(&id) {
            super::frames::remove_frame(store, &frame);
        }
    }
    let beats = [
        "Establishing shot",
        "Closer look",
        "Turning point",
        "Resolution",
    ];
    let mut created = Vec::with_capacity(count);
    let mut lines = Vec::with_capacity(count);
    for n in 0..count {
        let beat = beats[n % beats.len()];
        let script = format!("{beat}: {}", request.prompt.as_str());
        lines.push(format!("{}. {script}", n + 1));
        let frame = super::frames::insert_frame(store, &id, None, call.now, |frame| {
            frame.title = Some(format!("Shot {}", n + 1));
            frame.script = script;
            frame.duration_seconds = request.duration_seconds.map(|total| total / count as f64);
        });
        created.push(frame);
    }
    let text = lines.join("\n");
    let project = store.projects.get_mut(&id).expect("checked above");
    project.script = Some(text.clone());
    project.updated_at = call.now;
    Ok(Reply::ok(types::Script {
        text,
        frames: created,
        unknown_fields: Default::default(),
    }))
}

pub fn create_share_link(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = call.param("project_id").to_string();
    store.project(&id)?;
    let request: types::CreateShareLinkRequest = call.json()?;
    let token = format!("shr_{}", crate::unguessable::hex128());
    let link = types::ShareLink {
        url: format!("{}/share/{token}", store.origin),
        token,
        access: request.access,
        expires_at: request.expires_at,
        created_at: call.now,
        unknown_fields: Default::default(),
    };
    store.share_links.insert(id, link.clone());
    Ok(Reply::created(link))
}

pub fn get_share_link(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = call.param("project_id");
    store.project(id)?;
    let link = store
        .share_links
        .get(id)
        .ok_or_else(|| ApiError::not_found("Share link"))?;
    Ok(Reply::ok(link.clone()))
}

pub fn revoke_share_link(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let id = call.param("project_id");
    store.project(id)?;
    store
        .share_links
        .remove(id)
        .ok_or_else(|| ApiError::not_found("Share link"))?;
    Ok(Reply::deleted("Share link revoked"))
}
