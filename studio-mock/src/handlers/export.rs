//! Exports and Remotion renders: paid, asynchronous, with a download URL.

use super::generation::status_of;
use crate::call::{Call, Reply};
use crate::error::ApiError;
use crate::lifecycle::{Lifecycle, Phase};
use crate::store::{ExportEntry, RenderEntry, Store};
use chrono::{DateTime, Utc};
use std::time::Instant;
use studio_api::types;
use studio_mock_media as artifacts;

/// Credits an export costs.
const EXPORT_COST: f64 = 2.0;
/// Credits a render costs.
const RENDER_COST: f64 = 4.0;

/// Moves unfinished exports and renders along the clock; finished ones get
/// their file.
pub fn advance(store: &mut Store, instant: Instant, now: DateTime<Utc>) {
    let exports: Vec<ExportEntry> = store
        .exports
        .values()
        .filter(|e| !e.lifecycle.settled)
        .cloned()
        .collect();
    for mut entry in exports {
        let phase = entry.lifecycle.phase(instant);
        let export = &mut entry.export;
        if step(
            &mut entry.lifecycle,
            &mut export.status,
            &mut export.progress,
            &mut export.completed_at,
            phase,
            now,
        ) {
            let (content_type, extension) = match export.format {
                types::ExportFormat::Mp4 => ("video/mp4", "mp4"),
                types::ExportFormat::Pdf => ("application/pdf", "pdf"),
                types::ExportFormat::Zip => ("application/zip", "zip"),
                _ => ("application/octet-stream", "bin"),
            };
            let what = format!("the {extension} export of project {}", export.project_id);
            match phase {
                Phase::Completed => {
                    export.url = Some(store.put_file(
                        "exp",
                        extension,
                        content_type,
                        artifacts::placeholder(&what),
                    ))
                }
                _ => export.error = Some("The export failed (simulated failure).".into()),
            }
        }
        store.exports.insert(export.id.clone(), entry);
    }
    let renders: Vec<RenderEntry> = store
        .renders
        .values()
        .filter(|r| !r.lifecycle.settled)
        .cloned()
        .collect();
    for mut entry in renders {
        let phase = entry.lifecycle.phase(instant);
        let render = &mut entry.render;
        if step(
            &mut entry.lifecycle,
            &mut render.status,
            &mut render.progress,
            &mut render.completed_at,
            phase,
            now,
        ) {
            let (content_type, extension) = match render.codec {
                types::RenderCodec::H264 | types::RenderCodec::H265 => ("video/mp4", "mp4"),
                types::RenderCodec::Vp9 => ("video/webm", "webm"),
                types::RenderCodec::Prores => ("video/quicktime", "mov"),
                _ => ("application/octet-stream", "bin"),
            };
            let what = format!(
                "the {} render of project {}",
                render.codec, render.project_id
            );
            match phase {
                Phase::Completed => {
                    render.output_url = Some(store.put_file(
                        "rnd",
                        extension,
                        content_type,
                        artifacts::placeholder(&what),
                    ))
                }
                _ => render.error = Some("The render failed (simulated failure).".into()),
            }
        }
        store.renders.insert(render.id.clone(), entry);
    }
}

/// Updates status and progress for `phase`; returns true when the work has
/// just finished (and marks it settled).
fn step(
    lifecycle: &mut Lifecycle,
    status: &mut types::JobStatus,
    progress: &mut Option<i32>,
    completed_at: &mut Option<DateTime<Utc>>,
    phase: Phase,
    now: DateTime<Utc>,
) -> bool {
    let (new_status, new_progress) = status_of(phase);
    *status = new_status;
    *progress = Some(new_progress);
    let finished = matches!(phase, Phase::Completed | Phase::Failed);
    if finished {
        lifecycle.settled = true;
        *completed_at = Some(now);
    }
    finished
}

pub fn create_export(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let project = call.param("project_id").to_string();
    store.project(&project)?;
    let request: types::CreateExportRequest = call.json()?;
    if let Some(stranger) = request.frame_ids.iter().flatten().find(|id| {
        store
            .frames
            .get(id.as_str())
            .is_none_or(|f| f.project_id != project)
    }) {
        return Err(ApiError::invalid(
            "frame_ids",
            format!("The frame {} is not in this project.", stranger.as_str()),
        ));
    }
    store.charge(EXPORT_COST)?;
    let export = types::Export {
        id: store.id("exp"),
        project_id: project,
        format: request.format,
        status: types::JobStatus::Queued,
        progress: Some(0),
        url: None,
        error: None,
        created_at: call.now,
        completed_at: None,
        unknown_fields: Default::default(),
    };
    let lifecycle = Lifecycle::start(call.behaviour.job_duration, call.behaviour.failure_rate);
    store.exports.insert(
        export.id.clone(),
        ExportEntry {
            export: export.clone(),
            lifecycle,
        },
    );
    Ok(Reply::accepted(export))
}

pub fn list_exports(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let project = call.param("project_id");
    store.project(project)?;
    let exports: Vec<_> = store
        .exports
        .values()
        .rev()
        .map(|e| &e.export)
        .filter(|e| e.project_id == project)
        .collect();
    Ok(Reply::list(exports, page))
}

pub fn get_export(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let entry = store
        .exports
        .get(call.param("export_id"))
        .ok_or_else(|| ApiError::not_found("Export"))?;
    Ok(Reply::ok(entry.export.clone()))
}

pub fn create_render(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let project = call.param("project_id").to_string();
    store.project(&project)?;
    let request: types::CreateRenderRequest = call.json()?;
    store.charge(RENDER_COST)?;
    let render = types::Render {
        id: store.id("rnd"),
        project_id: project,
        codec: request.codec,
        fps: request
            .fps
            .unwrap_or(std::num::NonZeroU32::new(30).expect("30 is not zero")),
        width: request.width.unwrap_or(1920),
        height: request.height.unwrap_or(1080),
        status: types::JobStatus::Queued,
        progress: Some(0),
        output_url: None,
        error: None,
        created_at: call.now,
        completed_at: None,
        unknown_fields: Default::default(),
    };
    let lifecycle = Lifecycle::start(call.behaviour.job_duration, call.behaviour.failure_rate);
    store.renders.insert(
        render.id.clone(),
        RenderEntry {
            render: render.clone(),
            lifecycle,
        },
    );
    Ok(Reply::accepted(render))
}

pub fn get_render(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let entry = store
        .renders
        .get(call.param("render_id"))
        .ok_or_else(|| ApiError::not_found("Render"))?;
    Ok(Reply::ok(entry.render.clone()))
}
