//! Generation jobs: image, video, voice and SFX, and their life cycle.

use super::frames::add_version;
use crate::call::{Call, Reply};
use crate::error::ApiError;
use crate::lifecycle::{Lifecycle, Phase};
use crate::store::{JobEntry, JobRequest, Store};
use chrono::{DateTime, Utc};
use std::time::Instant;
use studio_api::types::{self, JobStatus, JobType};
use studio_mock_media as artifacts;

/// Credits each kind of job costs: images, voice and SFX (and any kind
/// the spec adds later) one credit.
fn cost(kind: &JobType) -> f64 {
    match kind {
        JobType::Video => 5.0,
        JobType::VideoExtend | JobType::LipSync => 3.0,
        _ => 1.0,
    }
}

/// Where a new job belongs.
struct Target {
    project_id: String,
    frame_id: Option<String>,
}

/// Charges for a job of `kind` and queues it.
fn start(
    store: &mut Store,
    call: &Call<'_>,
    kind: JobType,
    target: Target,
    request: JobRequest,
) -> Result<types::GenerationJob, ApiError> {
    let credits = cost(&kind);
    store.charge(credits)?;
    let job = types::GenerationJob {
        id: store.id("job"),
        type_: kind,
        status: JobStatus::Queued,
        progress: Some(0),
        project_id: target.project_id,
        frame_id: target.frame_id,
        audio_track_id: None,
        result: None,
        error: None,
        credits_charged: Some(credits),
        created_at: call.now,
        updated_at: call.now,
        completed_at: None,
        unknown_fields: Default::default(),
    };
    let lifecycle = Lifecycle::start(call.behaviour.job_duration, call.behaviour.failure_rate);
    store.jobs.insert(
        job.id.clone(),
        JobEntry {
            job: job.clone(),
            lifecycle,
            request,
        },
    );
    Ok(job)
}

/// Moves every unfinished job along the clock and applies what finished jobs produce.
pub fn advance(store: &mut Store, instant: Instant, now: DateTime<Utc>) {
    let pending: Vec<String> = store
        .jobs
        .iter()
        .filter(|(_, entry)| !entry.lifecycle.settled)
        .map(|(id, _)| id.clone())
        .collect();
    for id in pending {
        let phase = store.jobs[&id].lifecycle.phase(instant);
        let finished = matches!(phase, Phase::Completed | Phase::Failed);
        let result = match phase {
            Phase::Completed => Some(produce(store, &id, now)),
            _ => None,
        };
        let entry = store.jobs.get_mut(&id).expect("listed above");
        let job = &mut entry.job;
        let (status, progress) = status_of(phase);
        if job.status != status || job.progress != Some(progress) {
            job.status = status;
            job.progress = Some(progress);
            job.updated_at = now;
        }
        if finished {
            entry.lifecycle.settled = true;
            job.completed_at = Some(now);
            match result {
                Some((result, track)) => {
                    job.result = Some(result);
                    job.audio_track_id = track;
                }
                None => {
                    job.error = Some(format!(
                        "The {} generation failed (simulated failure).",
                        job.type_
                    ))
                }
            }
        }
    }
}

/// The API status and progress of a phase.
pub fn status_of(phase: Phase) -> (JobStatus, i32) {
    match phase {
        Phase::Queued => (JobStatus::Queued, 0),
        Phase::Processing(progress) => (JobStatus::Processing, progress),
        Phase::Completed => (JobStatus::Completed, 100),
        Phase::Failed => (JobStatus::Failed, 100),
    }
}

/// Makes what a completed job produced: a PNG and a frame version for
/// images, a placeholder clip and a version for video, a WAV and an audio
/// track for voice and SFX. Returns the job result and any track id.
fn produce(
    store: &mut Store,
    job_id: &str,
    now: DateTime<Utc>,
) -> (types::JobResult, Option<String>) {
    let JobEntry { job, request, .. } = store.jobs[job_id].clone();
    let seed = job_id.bytes().map(u64::from).sum::<u64>();
    let mut result = types::JobResult {
        asset_id: None,
        audio_url: None,
        image_url: None,
        version_id: None,
        video_url: None,
        unknown_fields: Default::default(),
    };
    let frame = job.frame_id.clone().unwrap_or_default();
    match job.type_ {
        JobType::Image | JobType::ImageEdit | JobType::MultiShot => {
            let url = store.put_file("img", "png", "image/png", artifacts::png(320, 180, seed));
            let source = match job.type_ {
                JobType::Image => types::VersionSource::ImageGeneration,
                JobType::ImageEdit => types::VersionSource::ImageEdit,
                _ => types::VersionSource::MultiShot,
            };
            let version = add_version(store, &frame, source, request.prompt, now, |v| {
                v.image_url = Some(url.clone());
            });
            result.version_id = version.map(|v| v.id);
            result.image_url = Some(url);
        }
        JobType::Video | JobType::VideoExtend | JobType::LipSync => {
            let url = store.put_file(
                "vid",
                "mp4",
                "video/mp4",
                artifacts::placeholder("an MP4 video clip"),
            );
            let source = match job.type_ {
                JobType::Video => types::VersionSource::VideoGeneration,
                JobType::VideoExtend => types::VersionSource::VideoExtend,
                _ => types::VersionSource::LipSync,
            };
            let version = add_version(store, &frame, source, request.prompt, now, |v| {
                v.video_url = Some(url.clone());
            });
            result.version_id = version.map(|v| v.id);
            result.video_url = Some(url);
        }
        JobType::Voice | JobType::Sfx => {
            let seconds = request.duration_seconds.unwrap_or(3.0);
            let url = store.put_file("aud", "wav", "audio/wav", artifacts::wav(seconds, seed));
            let (kind, name) = if job.type_ == JobType::Voice {
                (types::AudioKind::Voiceover, "Voiceover")
            } else {
                (types::AudioKind::Sfx, "Sound effect")
            };
            let track = types::AudioTrack {
                id: store.id("trk"),
                project_id: job.project_id.clone(),
                kind,
                name: name.to_string(),
                asset_id: None,
                url: Some(url.clone()),
                frame_id: job.frame_id.clone(),
                voice_id: request.voice_id,
                text: request.prompt,
                start_seconds: request.start_seconds.unwrap_or(0.0),
                duration_seconds: Some(seconds),
                volume: 1.0,
                created_at: now,
                updated_at: now,
                unknown_fields: Default::default(),
            };
            let id = track.id.clone();
            if store.projects.contains_key(&track.project_id) {
                store.tracks.insert(id.clone(), track);
            }
            result.audio_url = Some(url);
            return (result, Some(id));
        }
        // The mock starts only jobs of the types above; another makes nothing.
        _ => {}
    }
    (result, None)
}

pub fn list_jobs(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let page = call.page()?;
    let status: Option<JobStatus> = call.query_enum("status")?;
    let kind: Option<JobType> = call.query_enum("type")?;
    let created_after = call
        .query("created_after")
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::invalid(
                        "created_after",
                        "The created_after must be an RFC 3339 date-time.",
                    )
                })
        })
        .transpose()?;
    let project = call.query("project_id");
    let frame = call.query("frame_id");
    let jobs: Vec<_> = store
        .jobs
        .values()
        .rev()
        .map(|entry| &entry.job)
        .filter(|j| project.is_none_or(|p| j.project_id == p))
        .filter(|j| frame.is_none_or(|f| j.frame_id.as_deref() == Some(f)))
        .filter(|j| status.as_ref().is_none_or(|s| j.status == *s))
        .filter(|j| kind.as_ref().is_none_or(|k| j.type_ == *k))
        .filter(|j| created_after.is_none_or(|t| j.created_at >= t))
        .collect();
    Ok(Reply::list(jobs, page))
}

pub fn get_job(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let entry = store
        .jobs
        .get(call.param("job_id"))
        .ok_or_else(|| ApiError::not_found("Generation job"))?;
    Ok(Reply::ok(entry.job.clone()))
}

/// The frame of the request and its project, or 404.
fn frame_target(store: &Store, call: &Call<'_>) -> Result<(types::Frame, Target), ApiError> {
    let frame = store.frame(call.param("frame_id"))?.clone();
    let target = Target {
        project_id: frame.project_id.clone(),
        frame_id: Some(frame.id.clone()),
    };
    Ok((frame, target))
}

fn require_assets<'a>(
    store: &Store,
    field: &str,
    ids: impl IntoIterator<Item = &'a types::ResourceId>,
) -> Result<(), ApiError> {
    for id in ids {
        if !store.assets.contains_key(id.as_str()) {
            return Err(ApiError::invalid(
                field,
                format!("The selected {field} is invalid: {}.", id.as_str()),
            ));
        }
    }
    Ok(())
}

pub fn generate_image(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let (frame, target) = frame_target(store, call)?;
    let request: types::GenerateImageRequest = call.json()?;
    require_assets(
        store,
        "reference_asset_ids",
        request.reference_asset_ids.iter().flatten(),
    )?;
    let prompt = request
        .prompt
        .map(String::from)
        .or(frame.image_prompt)
        .unwrap_or(frame.script);
    if prompt.trim().is_empty() {
        return Err(ApiError::invalid(
            "prompt",
            "The prompt is required when the frame has no script.",
        ));
    }
    let job = start(
        store,
        call,
        JobType::Image,
        target,
        JobRequest {
            prompt: Some(prompt),
            ..Default::default()
        },
    )?;
    Ok(Reply::accepted(job))
}

pub fn edit_image(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let (frame, target) = frame_target(store, call)?;
    let request: types::EditImageRequest = call.json()?;
    require_assets(store, "mask_asset_id", &request.mask_asset_id)?;
    if frame.image_url.is_none() {
        return Err(ApiError::invalid(
            "frame_id",
            "The frame has no image to edit.",
        ));
    }
    let prompt = Some(request.instruction.to_string());
    let job = start(
        store,
        call,
        JobType::ImageEdit,
        target,
        JobRequest {
            prompt,
            ..Default::default()
        },
    )?;
    Ok(Reply::accepted(job))
}

pub fn multi_shot(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let project = call.param("project_id").to_string();
    store.project(&project)?;
    let request: types::MultiShotRequest = call.json()?;
    require_assets(
        store,
        "character_asset_ids",
        request.character_asset_ids.iter().flatten(),
    )?;
    let frames = match request.frame_ids {
        None => store.frame_order(&project),
        Some(ids) => ids.into_iter().map(String::from).collect(),
    };
    if frames.is_empty() {
        return Err(ApiError::invalid(
            "frame_ids",
            "The project has no frames to generate.",
        ));
    }
    if let Some(stranger) = frames.iter().find(|id| {
        store
            .frames
            .get(*id)
            .is_none_or(|f| f.project_id != project)
    }) {
        return Err(ApiError::invalid(
            "frame_ids",
            format!("The frame {stranger} is not in this project."),
        ));
    }
    let total = cost(&JobType::MultiShot) * frames.len() as f64;
    if store.wallet < total {
        return Err(ApiError::payment_required(total, store.wallet));
    }
    let mut jobs = Vec::with_capacity(frames.len());
    for frame in frames {
        let prompt = Some(store.frames[&frame].script.clone());
        let target = Target {
            project_id: project.clone(),
            frame_id: Some(frame),
        };
        jobs.push(start(
            store,
            call,
            JobType::MultiShot,
            target,
            JobRequest {
                prompt,
                ..Default::default()
            },
        )?);
    }
    Ok(Reply::accepted(jobs))
}

pub fn generate_video(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let (frame, target) = frame_target(store, call)?;
    let request: types::GenerateVideoRequest = call.json()?;
    if frame.image_url.is_none() {
        return Err(ApiError::invalid(
            "frame_id",
            "The frame needs an image before a video can be generated.",
        ));
    }
    let prompt = request.prompt.map(String::from).or(frame.video_prompt);
    let job = start(
        store,
        call,
        JobType::Video,
        target,
        JobRequest {
            prompt,
            duration_seconds: request.duration_seconds,
            ..Default::default()
        },
    )?;
    Ok(Reply::accepted(job))
}

pub fn extend_video(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let (frame, target) = frame_target(store, call)?;
    let request: types::ExtendVideoRequest = call.json()?;
    if frame.video_url.is_none() {
        return Err(ApiError::invalid(
            "frame_id",
            "The frame has no video to extend.",
        ));
    }
    let job = start(
        store,
        call,
        JobType::VideoExtend,
        target,
        JobRequest {
            prompt: request.prompt.map(String::from),
            duration_seconds: Some(request.duration_seconds),
            ..Default::default()
        },
    )?;
    Ok(Reply::accepted(job))
}

pub fn lip_sync(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let (frame, target) = frame_target(store, call)?;
    let request: types::LipSyncRequest = call.json()?;
    let sources = [
        request.audio_track_id.is_some(),
        request.audio_asset_id.is_some(),
        request.text.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() != 1 {
        return Err(ApiError::invalid(
            "audio_track_id",
            "Give exactly one of audio_track_id, audio_asset_id, or text with voice_id.",
        ));
    }
    if request.text.is_some()
        && request
            .voice_id
            .as_ref()
            .is_none_or(|v| !store.voices.contains_key(v.as_str()))
    {
        return Err(ApiError::invalid(
            "voice_id",
            "A valid voice_id is required with text.",
        ));
    }
    if request
        .audio_track_id
        .as_ref()
        .is_some_and(|t| !store.tracks.contains_key(t.as_str()))
    {
        return Err(ApiError::invalid(
            "audio_track_id",
            "The selected audio_track_id is invalid.",
        ));
    }
    require_assets(store, "audio_asset_id", &request.audio_asset_id)?;
    if frame.video_url.is_none() {
        return Err(ApiError::invalid(
            "frame_id",
            "The frame has no video to lip-sync.",
        ));
    }
    let prompt = request.text.map(String::from);
    let job = start(
        store,
        call,
        JobType::LipSync,
        target,
        JobRequest {
            prompt,
            ..Default::default()
        },
    )?;
    Ok(Reply::accepted(job))
}

/// The project of the request and an optional frame that must belong to it.
fn project_target(
    store: &Store,
    call: &Call<'_>,
    frame_id: Option<String>,
) -> Result<Target, ApiError> {
    let project = call.param("project_id").to_string();
    store.project(&project)?;
    if let Some(frame) = &frame_id
        && store
            .frames
            .get(frame)
            .is_none_or(|f| f.project_id != project)
    {
        return Err(ApiError::invalid(
            "frame_id",
            "The selected frame_id is not in this project.",
        ));
    }
    Ok(Target {
        project_id: project,
        frame_id,
    })
}

pub fn voiceover(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let request: types::GenerateVoiceoverRequest = call.json()?;
    let target = project_target(store, call, request.frame_id.map(String::from))?;
    if !store.voices.contains_key(request.voice_id.as_str()) {
        return Err(ApiError::invalid(
            "voice_id",
            "The selected voice_id is invalid.",
        ));
    }
    let text = request.text.to_string();
    let seconds = (text.split_whitespace().count() as f64 / 2.5).clamp(1.0, 60.0);
    let job = start(
        store,
        call,
        JobType::Voice,
        target,
        JobRequest {
            prompt: Some(text),
            voice_id: Some(request.voice_id.into()),
            start_seconds: request.start_seconds,
            duration_seconds: Some(seconds),
        },
    )?;
    Ok(Reply::accepted(job))
}

pub fn sfx(store: &mut Store, call: &Call<'_>) -> Result<Reply, ApiError> {
    let request: types::GenerateSfxRequest = call.json()?;
    let target = project_target(store, call, request.frame_id.map(String::from))?;
    let job = start(
        store,
        call,
        JobType::Sfx,
        target,
        JobRequest {
            prompt: Some(request.prompt.to_string()),
            voice_id: None,
            start_seconds: request.start_seconds,
            duration_seconds: Some(request.duration_seconds.unwrap_or(3.0)),
        },
    )?;
    Ok(Reply::accepted(job))
}
