//! Lists come in pages with a consistent pagination block, and filters
//! hold on every page.

use crate::common;

use common::{client, frame, project, wait_for_job};
use std::time::Duration;
use studio_api::types::{self, AssetKind, JobStatus, JobType};

#[tokio::test]
async fn frames_come_in_pages_with_positions_continuing() {
    let server = common::start();
    let c = client(&server);
    let prj = project(&c, "Forty-five shots").await;
    for n in 1..=45 {
        frame(&c, &prj.id, &format!("Shot {n}")).await;
    }

    let mut positions = Vec::new();
    for (page, size) in [(1u32, 20usize), (2, 20), (3, 5)] {
        let response = c
            .list_frames()
            .project_id(&prj.id)
            .limit(20u32)
            .page(page)
            .send()
            .await
            .unwrap();
        assert_eq!(response.data.len(), size, "page {page}");
        assert_eq!(response.pagination.page.get(), page);
        assert_eq!(response.pagination.limit.get(), 20);
        assert_eq!(response.pagination.total, 45);
        assert_eq!(response.pagination.total_pages, 3);
        positions.extend(response.data.iter().map(|f| f.position));
        let scripts: Vec<_> = response.data.iter().map(|f| f.script.as_str()).collect();
        let expected: Vec<_> = response
            .data
            .iter()
            .map(|f| format!("Shot {}", f.position))
            .collect();
        assert_eq!(scripts, expected, "storyboard order on page {page}");
    }
    assert_eq!(positions, (1..=45).collect::<Vec<_>>());

    // Past the end: an empty page that still reports the total.
    let past = c
        .list_frames()
        .project_id(&prj.id)
        .limit(20u32)
        .page(4u32)
        .send()
        .await
        .unwrap();
    assert!(past.data.is_empty());
    assert_eq!(past.pagination.total, 45);
    assert_eq!(past.pagination.total_pages, 3);

    // Without page and limit: the first 20.
    let first = c.list_frames().project_id(&prj.id).send().await.unwrap();
    assert_eq!(first.data.len(), 20);
    assert_eq!(first.pagination.page.get(), 1);
    assert_eq!(first.pagination.limit.get(), 20);
    assert_eq!(first.data[0].position, 1);
}

/// Reads every page of `list_generation_jobs` (2 per page) with the filters
/// given, checking the pagination block on each; returns the jobs.
async fn jobs_where(
    c: &studio_api::Client,
    kind: Option<JobType>,
    status: Option<JobStatus>,
) -> Vec<types::GenerationJob> {
    let mut jobs = Vec::new();
    let mut page = 1u32;
    loop {
        let mut request = c.list_generation_jobs().limit(2u32).page(page);
        if let Some(kind) = &kind {
            request = request.type_(kind.clone());
        }
        if let Some(status) = &status {
            request = request.status(status.clone());
        }
        let response = request.send().await.unwrap().into_inner();
        let total = response.pagination.total;
        assert_eq!(response.pagination.total_pages, (total + 1) / 2);
        assert!(response.data.len() <= 2);
        jobs.extend(response.data);
        if page as i32 >= response.pagination.total_pages {
            assert_eq!(jobs.len() as i32, total);
            return jobs;
        }
        page += 1;
    }
}

#[tokio::test]
async fn job_filters_by_type_and_status_hold_across_pages() {
    // Jobs take 1 s, so the voice jobs started after the image jobs have
    // finished are still running when listed.
    let server = common::builder()
        .job_duration(Duration::from_secs(1))
        .start()
        .unwrap();
    let c = client(&server);
    let prj = project(&c, "Jobs").await;
    let mut images = Vec::new();
    for n in 1..=3 {
        let frm = frame(&c, &prj.id, &format!("Shot {n}")).await;
        let job = c
            .generate_frame_image()
            .frame_id(&frm.id)
            .send()
            .await
            .unwrap();
        images.push(job.into_inner().data.id);
    }
    for id in &images {
        wait_for_job(&c, id).await;
    }
    let mut voices = Vec::new();
    for text in ["Once", "upon a time"] {
        let job = c
            .generate_voiceover()
            .project_id(&prj.id)
            .body_map(|b| b.text(text).voice_id("voc_aria"))
            .send()
            .await
            .unwrap();
        voices.push(job.into_inner().data.id);
    }

    let ids = |jobs: Vec<types::GenerationJob>| {
        let mut ids: Vec<String> = jobs.into_iter().map(|j| j.id).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(jobs_where(&c, None, None).await).len(), 5);
    let image_jobs = jobs_where(&c, Some(JobType::Image), None).await;
    assert!(image_jobs.iter().all(|j| j.type_ == JobType::Image));
    assert_eq!(ids(image_jobs), images);
    assert_eq!(
        ids(jobs_where(&c, Some(JobType::Voice), None).await),
        voices
    );
    let completed = jobs_where(&c, None, Some(JobStatus::Completed)).await;
    assert!(completed.iter().all(|j| j.status == JobStatus::Completed));
    assert_eq!(ids(completed), images);
    assert!(
        jobs_where(&c, Some(JobType::Voice), Some(JobStatus::Completed))
            .await
            .is_empty()
    );
    assert!(
        jobs_where(&c, None, Some(JobStatus::Failed))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn asset_kind_filter_holds_across_pages() {
    let server = common::start();
    let c = client(&server);
    for name in ["a.png", "b.png", "c.jpg", "voice.wav", "notes.txt"] {
        c.upload_asset()
            .filename(name)
            .body(name.as_bytes().to_vec())
            .send()
            .await
            .unwrap();
    }
    let mut names = Vec::new();
    for (page, size) in [(1u32, 2usize), (2, 1)] {
        let response = c
            .list_assets()
            .kind(AssetKind::Image)
            .limit(2u32)
            .page(page)
            .send()
            .await
            .unwrap();
        assert_eq!(response.data.len(), size);
        assert_eq!(response.pagination.total, 3);
        assert_eq!(response.pagination.total_pages, 2);
        assert!(response.data.iter().all(|a| a.kind == AssetKind::Image));
        names.extend(response.into_inner().data.into_iter().map(|a| a.name));
    }
    names.sort();
    assert_eq!(names, ["a.png", "b.png", "c.jpg"]);

    for (kind, expected) in [
        (AssetKind::Audio, "voice.wav"),
        (AssetKind::Other, "notes.txt"),
    ] {
        let response = c.list_assets().kind(kind).send().await.unwrap();
        let names: Vec<_> = response.data.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, [expected]);
    }
}
