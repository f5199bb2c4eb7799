//! Asynchronous work: generation jobs, exports and uploads, what they
//! produce, what they cost, and the files the server serves for them.

use crate::common;

use common::{client, download, frame, poll, project, wait_for_job};
use std::time::Duration;
use studio_api::types::{self, JobStatus, JobType, VersionSource};
use studio_api::{Client, ResponseValue};

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Where a status sits in the life cycle.
fn rank(status: &JobStatus) -> u8 {
    match status {
        JobStatus::Queued => 0,
        JobStatus::Processing => 1,
        _ => 2,
    }
}

/// The job as accepted (202, queued, nothing done yet).
#[track_caller]
fn accepted(response: ResponseValue<types::GenerationJobResponse>) -> types::GenerationJob {
    assert_eq!(response.status(), 202);
    let job = response.into_inner().data;
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.progress, Some(0));
    assert!(job.result.is_none() && job.error.is_none() && job.completed_at.is_none());
    job
}

/// Polls a job to its end, checking that status never goes back, progress
/// never falls and the end is at 100 %; returns every state seen, from the
/// accepted one to the final one.
async fn states(c: &Client, job: &types::GenerationJob) -> Vec<types::GenerationJob> {
    let mut seen = vec![job.clone()];
    seen.extend(wait_for_job(c, &job.id).await);
    for pair in seen.windows(2) {
        assert!(rank(&pair[0].status) <= rank(&pair[1].status), "{pair:?}");
        assert!(pair[0].progress <= pair[1].progress, "{pair:?}");
    }
    let last = seen.last().unwrap();
    assert_eq!(last.progress, Some(100));
    assert!(last.completed_at.is_some());
    seen
}

/// The final state of a job (see [`states`]).
async fn finish(c: &Client, job: &types::GenerationJob) -> types::GenerationJob {
    states(c, job).await.pop().unwrap()
}

async fn generate_image(c: &Client, frame_id: &str) -> types::GenerationJob {
    accepted(
        c.generate_frame_image()
            .frame_id(frame_id)
            .send()
            .await
            .unwrap(),
    )
}

/// Polls an export until it is final; returns the final state.
async fn finish_export(c: &Client, export_id: &str) -> types::Export {
    let mut seen = poll(
        || async {
            c.get_export()
                .export_id(export_id)
                .send()
                .await
                .unwrap()
                .into_inner()
                .data
        },
        |e| common::is_final(&e.status),
    )
    .await;
    seen.pop().unwrap()
}

async fn versions(c: &Client, frame_id: &str) -> Vec<types::FrameVersion> {
    c.list_frame_versions()
        .frame_id(frame_id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
}

async fn get_frame(c: &Client, frame_id: &str) -> types::Frame {
    c.get_frame()
        .frame_id(frame_id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
}

#[tokio::test]
async fn an_image_job_goes_queued_processing_completed_and_makes_a_version() {
    // Long enough that polling every 20 ms sees the job processing.
    let server = common::builder()
        .job_duration(Duration::from_millis(600))
        .start()
        .unwrap();
    let c = client(&server);
    let prj = project(&c, "Harbour").await;
    let frm = frame(&c, &prj.id, "A harbour at dawn").await;

    let job = generate_image(&c, &frm.id).await;
    assert_eq!(job.type_, JobType::Image);
    assert_eq!(job.credits_charged, Some(1.0));
    assert_eq!(job.frame_id.as_deref(), Some(frm.id.as_str()));
    assert_eq!(server.wallet(), 999.0);

    let mut seen = states(&c, &job).await;
    assert!(
        seen.iter().any(|j| j.status == JobStatus::Processing
            && (1..=99).contains(&j.progress.unwrap_or_default())),
        "processing was observed: {seen:?}"
    );
    let done = seen.pop().unwrap();
    assert_eq!(done.status, JobStatus::Completed);
    assert!(done.error.is_none());
    let result = done.result.expect("a completed job has a result");
    let image_url = result.image_url.expect("an image URL");
    let version_id = result.version_id.expect("a version id");

    let updated = get_frame(&c, &frm.id).await;
    assert_eq!(updated.image_url.as_deref(), Some(image_url.as_str()));
    assert_eq!(
        updated.current_version_id.as_deref(),
        Some(version_id.as_str())
    );
    let versions = versions(&c, &frm.id).await;
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].id, version_id);
    assert_eq!(versions[0].number.get(), 1);
    assert_eq!(versions[0].source, VersionSource::ImageGeneration);
    assert_eq!(versions[0].prompt.as_deref(), Some("A harbour at dawn"));
    // The first frame's image is the project's thumbnail.
    let prj = common::get_project(&c, &prj.id).await;
    assert_eq!(prj.thumbnail_url.as_deref(), Some(image_url.as_str()));

    let (content_type, bytes) = download(&image_url).await;
    assert_eq!(content_type, "image/png");
    assert!(bytes.starts_with(PNG_SIGNATURE));
    // Polling is free: only the job was charged.
    assert_eq!(server.wallet(), 999.0);
}

#[tokio::test]
async fn a_video_job_after_an_image_sets_the_video_url() {
    let server = common::start();
    let c = client(&server);
    let prj = project(&c, "Moving").await;
    let frm = frame(&c, &prj.id, "Waves on rocks").await;
    let image = finish(&c, &generate_image(&c, &frm.id).await).await;
    let image_url = image.result.unwrap().image_url.unwrap();

    let video = accepted(
        c.generate_frame_video()
            .frame_id(&frm.id)
            .body_map(|b| b.prompt(Some("slow push in".parse().unwrap())))
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(video.type_, JobType::Video);
    assert_eq!(video.credits_charged, Some(5.0));
    assert_eq!(server.wallet(), 1000.0 - 1.0 - 5.0);
    let done = finish(&c, &video).await;
    assert_eq!(done.status, JobStatus::Completed);
    let video_url = done.result.unwrap().video_url.expect("a video URL");

    let updated = get_frame(&c, &frm.id).await;
    assert_eq!(updated.video_url.as_deref(), Some(video_url.as_str()));
    assert_eq!(updated.image_url.as_deref(), Some(image_url.as_str()));
    let sources: Vec<_> = versions(&c, &frm.id)
        .await
        .into_iter()
        .map(|v| (v.number.get(), v.source))
        .collect();
    assert_eq!(
        sources,
        [
            (2, VersionSource::VideoGeneration),
            (1, VersionSource::ImageGeneration)
        ],
        "newest first"
    );
    let (content_type, _) = download(&video_url).await;
    assert_eq!(content_type, "video/mp4");
}

#[tokio::test]
async fn restoring_a_version_brings_back_its_media() {
    let server = common::start();
    let c = client(&server);
    let prj = project(&c, "Takes").await;
    let frm = frame(&c, &prj.id, "Take").await;
    let first = finish(&c, &generate_image(&c, &frm.id).await).await;
    let second = finish(&c, &generate_image(&c, &frm.id).await).await;
    let (first, second) = (first.result.unwrap(), second.result.unwrap());
    assert_ne!(first.image_url, second.image_url);
    assert_eq!(get_frame(&c, &frm.id).await.image_url, second.image_url);

    let restored = c
        .restore_frame_version()
        .frame_id(&frm.id)
        .version_id(first.version_id.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(restored.data.image_url, first.image_url);
    assert_eq!(restored.data.current_version_id, first.version_id);
    assert_eq!(versions(&c, &frm.id).await.len(), 2, "restoring adds none");
}

#[tokio::test]
async fn multi_shot_starts_a_job_per_frame() {
    let server = common::start();
    let c = client(&server);
    let prj = project(&c, "Sequence").await;
    let mut frames = Vec::new();
    for script in ["One", "Two", "Three"] {
        frames.push(frame(&c, &prj.id, script).await.id);
    }
    let response = c
        .generate_multi_shot()
        .project_id(&prj.id)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let jobs = response.into_inner().data;
    let targets: Vec<_> = jobs.iter().map(|j| j.frame_id.clone().unwrap()).collect();
    assert_eq!(targets, frames);
    assert_eq!(server.wallet(), 997.0);
    for job in &jobs {
        assert_eq!(job.type_, JobType::MultiShot);
        assert_eq!(finish(&c, job).await.status, JobStatus::Completed);
    }
    for id in &frames {
        assert!(get_frame(&c, id).await.image_url.is_some());
        assert_eq!(versions(&c, id).await[0].source, VersionSource::MultiShot);
    }
}

#[tokio::test]
async fn a_voiceover_job_creates_an_audio_track_serving_wav() {
    let server = common::start();
    let c = client(&server);
    let prj = project(&c, "Narrated").await;
    let job = accepted(
        c.generate_voiceover()
            .project_id(&prj.id)
            .body_map(|b| {
                b.text("The keeper climbs the stairs")
                    .voice_id("voc_aria")
                    .start_seconds(Some(2.5))
            })
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(job.type_, JobType::Voice);
    assert_eq!(job.credits_charged, Some(1.0));
    let done = finish(&c, &job).await;
    assert_eq!(done.status, JobStatus::Completed);
    let track_id = done.audio_track_id.expect("the job names its track");

    let tracks = c
        .list_audio_tracks()
        .project_id(&prj.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(tracks.len(), 1);
    let track = &tracks[0];
    assert_eq!(track.id, track_id);
    assert_eq!(track.kind, types::AudioKind::Voiceover);
    assert_eq!(track.voice_id.as_deref(), Some("voc_aria"));
    assert_eq!(track.text.as_deref(), Some("The keeper climbs the stairs"));
    assert_eq!(track.start_seconds, 2.5);
    let url = track.url.clone().expect("a track URL");
    assert_eq!(done.result.unwrap().audio_url, Some(url.clone()));

    let (content_type, bytes) = download(&url).await;
    assert_eq!(content_type, "audio/wav");
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
}

#[tokio::test]
async fn an_export_completes_with_a_url() {
    let server = common::start();
    let c = client(&server);
    let prj = project(&c, "Deliverable").await;
    frame(&c, &prj.id, "Only shot").await;
    let export = c
        .create_export()
        .project_id(&prj.id)
        .body_map(|b| b.format(types::ExportFormat::Pdf))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 202);
    let export = export.into_inner().data;
    assert_eq!(export.status, JobStatus::Queued);
    assert!(export.url.is_none());
    assert_eq!(server.wallet(), 998.0);

    let done = finish_export(&c, &export.id).await;
    assert_eq!(done.status, JobStatus::Completed);
    assert_eq!(done.progress, Some(100));
    assert!(done.error.is_none() && done.completed_at.is_some());
    let (content_type, _) = download(&done.url.expect("a download URL")).await;
    assert_eq!(content_type, "application/pdf");

    let listed = c.list_exports().project_id(&prj.id).send().await.unwrap();
    assert_eq!(listed.data.len(), 1);
    assert_eq!(listed.data[0].status, JobStatus::Completed);
}

#[tokio::test]
async fn with_failure_rate_one_jobs_and_exports_fail_with_an_error() {
    let server = common::builder().failure_rate(1.0).start().unwrap();
    let c = client(&server);
    let prj = project(&c, "Unlucky").await;
    let frm = frame(&c, &prj.id, "Fog").await;

    let done = finish(&c, &generate_image(&c, &frm.id).await).await;
    assert_eq!(done.status, JobStatus::Failed);
    assert_eq!(
        done.error.as_deref(),
        Some("The image generation failed (simulated failure).")
    );
    assert!(done.result.is_none());
    // The frame is as it was.
    let unchanged = get_frame(&c, &frm.id).await;
    assert!(unchanged.image_url.is_none() && unchanged.current_version_id.is_none());
    assert!(versions(&c, &frm.id).await.is_empty());

    let export = c
        .create_export()
        .project_id(&prj.id)
        .body_map(|b| b.format(types::ExportFormat::Zip))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let done = finish_export(&c, &export.id).await;
    assert_eq!(done.status, JobStatus::Failed);
    assert_eq!(
        done.error.as_deref(),
        Some("The export failed (simulated failure).")
    );
    assert!(done.url.is_none());
}

#[tokio::test]
async fn uploaded_bytes_are_served_back_byte_for_byte() {
    let server = common::start();
    let c = client(&server);
    let prj = project(&c, "Library").await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let asset = c
        .upload_asset()
        .filename("reference.bin")
        .content_type("application/x-test")
        .project_id(prj.id.as_str())
        .tags(vec!["ref".try_into().unwrap(), "v1".try_into().unwrap()])
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 201);
    let asset = asset.into_inner().data;
    assert_eq!(asset.name, "reference.bin");
    assert_eq!(asset.kind, types::AssetKind::Other);
    assert_eq!(asset.size_bytes, 70_000);
    assert_eq!(asset.project_id.as_deref(), Some(prj.id.as_str()));
    assert_eq!(asset.tags, ["ref", "v1"]);

    let (content_type, served) = download(&asset.url).await;
    assert_eq!(content_type, "application/x-test");
    assert!(served == bytes, "served bytes differ from the upload");

    // Without a content type, the file name decides it and the kind.
    let png = c
        .upload_asset()
        .filename("still.png")
        .body(PNG_SIGNATURE.to_vec())
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(png.content_type, "image/png");
    assert_eq!(png.kind, types::AssetKind::Image);

    // Deleting the asset stops serving its file.
    c.delete_asset().asset_id(&asset.id).send().await.unwrap();
    let gone = reqwest::get(&asset.url).await.unwrap();
    assert_eq!(gone.status(), 404);
}
