//! Uploaded assets: stored byte for byte and served back.

use super::{patch, set};
use crate::call::{Call, Reply};
use crate::error::ApiError;
use crate::store::Store;
use studio_api::types;

/// The content type a file name suggests.
fn guess_content_type(filename: &str) -> &'static str {
    let extension = filename
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

fn kind_of(content_type: &str) -> types::AssetKind {
    match content_type.split('/').next() {
        Some("image") => types::AssetKind::Image,
        Some("audio") => types::AssetKind::Audio,
        Some("video") => types::AssetKind::Video,
        _ => types::AssetKind::Other,
    }
}

fn check_project(store: &Store, project: Option<&str>) -> Result<(), ApiError> {
    match project {
        Some(id) if !store.projects.contains_key(id) => Err(ApiError::invalid(
            "project_id",
            "The selected project_id is invalid.",
        )),
        _ => Ok(()),
    }
}

pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let kind: Option<types::AssetKind> = call.query_enum("kind")?;
    let project = call.query("project_id");
    let search = call.query("search").map(str::to_lowercase);
    let assets: Vec<_> = store
        .assets
        .values()
        .rev()
        .filter(|a| project.is_none_or(|p| a.project_id.as_deref() == Some(p)))
        .filter(|a| kind.as_ref().is_none_or(|k| a.kind == *k))
        .filter(|a| {
            search
                .as_deref()
                .is_none_or(|s| a.name.to_lowercase().contains(s))
        })
        .collect();
    Ok(Reply::list(assets, page))
}

pub fn upload(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let filename = call
        .query("filename")
        .filter(|f| !f.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("filename", "The filename field is required."))?
        .to_string();
    if call.body.is_empty() {
        return Err(ApiError::invalid("body", "The uploaded file is empty."));
    }
    let content_type = call
        .query("content_type")
        .filter(|t| !t.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| guess_content_type(&filename).to_string());
    let project_id = call.query("project_id").map(str::to_string);
    check_project(store, project_id.as_deref())?;
    let id = store.id("ast");
    let extension = filename
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or("bin");
    let url = store.put_file("ast", extension, &content_type, call.body.clone());
    let asset = types::Asset {
        url,
        id,
        name: filename,
        kind: kind_of(&content_type),
        content_type,
        size_bytes: call.body.len() as i64,
        project_id,
        tags: call.query_all("tags"),
        created_at: call.now,
        unknown_fields: Default::default(),
    };
    store.assets.insert(asset.id.clone(), asset.clone());
    Ok(Reply::created(asset))
}

fn asset<'a>(store: &'a Store, call: &Call<'_>) -> Result<&'a types::Asset, ApiError> {
    store
        .assets
        .get(call.param("asset_id"))
        .ok_or_else(|| ApiError::not_found("Asset"))
}

pub fn get(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    Ok(Reply::ok(asset(store, call)?.clone()))
}

pub fn update(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    asset(store, call)?;
    let request: types::UpdateAssetRequest = call.json()?;
    check_project(
        store,
        request
            .project_id
            .as_ref()
            .and_then(|p| p.as_deref())
            .map(String::as_str),
    )?;
    let asset = store
        .assets
        .get_mut(call.param("asset_id"))
        .expect("checked above");
    set(&mut asset.name, request.name);
    if let Some(tags) = request.tags {
        asset.tags = tags.into_iter().map(String::from).collect();
    }
    patch(&mut asset.project_id, request.project_id);
    Ok(Reply::ok(asset.clone()))
}

pub fn delete(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let url = asset(store, call)?.url.clone();
    store.assets.remove(call.param("asset_id"));
    if let Some(name) = url.rsplit('/').next() {
        store.files.remove(name);
    }
    Ok(Reply::deleted("Asset deleted"))
}
