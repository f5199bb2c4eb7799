//! Handles on jobs, exports and renders against the local server: a
//! completed wait, a failed one, a deadline and resuming from the id, the
//! progress stream, how few polls the schedule makes, a 429 while polling,
//! and waiting on several at once.

use crate::common;

use futures_util::StreamExt;
use std::time::{Duration, Instant};
use studio_api::types::{ExportFormat, GenerationJob, JobStatus, RenderCodec};
use studio_api::{Client, Error, ErrorKind, PollSchedule, Work, wait_all};
use studio_mock::{Fault, MockServer};

/// The default schedule (1 s doubling to 10 s) a hundred times faster, so
/// one of its seconds is 10 ms here.
fn scaled() -> PollSchedule {
    let default = PollSchedule::default();
    PollSchedule {
        first: default.first / 100,
        max: default.max / 100,
        ..default
    }
}

/// A poll every 5 ms, to see every step of a short job.
const EAGER: PollSchedule = PollSchedule {
    first: Duration::from_millis(5),
    factor: 1.0,
    max: Duration::from_millis(5),
};

/// A local server whose work takes `job_duration` and fails with
/// probability `failure_rate`, a client that neither paces nor retries (so
/// the handle meets every 429 itself), and a frame to draw.
struct Studio {
    server: MockServer,
    client: Client,
    project_id: String,
    frame_id: String,
}

impl Studio {
    async fn start(job_duration: Duration, failure_rate: f64) -> Self {
        let (server, client) = common::start_with(
            MockServer::builder()
                .job_duration(job_duration)
                .failure_rate(failure_rate)
                .no_rate_limit(),
        );
        let project = client
            .create_project()
            .body_map(|b| b.name("Harbour"))
            .send()
            .await
            .unwrap();
        let frame = client
            .create_frame()
            .project_id(&project.data.id)
            .body_map(|b| b.script("A harbour at dawn"))
            .send()
            .await
            .unwrap();
        Studio {
            project_id: project.into_inner().data.id,
            frame_id: frame.into_inner().data.id,
            server,
            client,
        }
    }

    /// A new image job for the frame, as accepted (queued).
    async fn image_job(&self) -> GenerationJob {
        self.client
            .generate_frame_image()
            .frame_id(&self.frame_id)
            .send()
            .await
            .unwrap()
            .into_inner()
            .data
    }

    /// Waits for `job` on the [`scaled`] schedule.
    async fn wait(&self, job: &GenerationJob) -> Result<GenerationJob, Error> {
        self.client.job(job).poll_schedule(scaled()).wait().await
    }

    fn polls(&self) -> usize {
        self.server.request_count("get_generation_job").unwrap()
    }
}

/// Where a status sits in the life cycle.
fn rank(status: &JobStatus) -> u8 {
    match status {
        JobStatus::Queued => 0,
        JobStatus::Processing => 1,
        _ => 2,
    }
}

#[tokio::test]
async fn a_completed_job_is_returned_with_its_image() {
    let studio = Studio::start(Duration::from_millis(100), 0.0).await;
    let job = studio.image_job().await;
    let handle = studio.client.job(&job).poll_schedule(scaled());
    assert_eq!(handle.id(), job.id);

    let done = handle.wait().await.unwrap();
    assert_eq!(done.id, job.id);
    assert_eq!(done.status, JobStatus::Completed);
    assert_eq!(done.progress, Some(100));
    let image_url = done.result.and_then(|r| r.image_url);
    assert!(image_url.is_some_and(|url| url.ends_with(".png")));
}

#[tokio::test]
async fn a_failed_job_is_job_failed_with_the_servers_message() {
    let studio = Studio::start(Duration::from_millis(100), 1.0).await;
    let job = studio.image_job().await;

    let error = studio.wait(&job).await.unwrap_err();
    let reason = studio
        .client
        .get_generation_job()
        .job_id(&job.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
        .error
        .expect("a failed job says why");
    assert_eq!(
        error.kind(),
        &ErrorKind::JobFailed {
            id: job.id.clone(),
            message: Some(reason.clone()),
        }
    );
    assert_eq!(error.operation(), "get_generation_job");
    assert_eq!(error.status(), None, "no request failed");
    assert_eq!(
        error.to_string(),
        format!(
            "get_generation_job {}: the generation job failed: {reason}",
            job.id
        )
    );

    // Followed from its id once it has failed, the progress stream is the
    // same error, then nothing.
    let mut states = Box::pin(studio.client.job_by_id(&job.id).progress());
    let last = states.next().await.expect("one item: the failed state");
    assert_eq!(last.unwrap_err().kind(), error.kind());
    assert!(states.next().await.is_none());
}

#[tokio::test]
async fn a_passed_deadline_keeps_the_last_state_and_a_new_handle_resumes_from_the_id() {
    let studio = Studio::start(Duration::from_millis(600), 0.0).await;
    let job = studio.image_job().await;
    let started = Instant::now();
    let deadline = started + Duration::from_millis(150);

    let error = studio
        .client
        .job(&job)
        .poll_schedule(scaled())
        .wait_until(deadline)
        .await
        .unwrap_err();
    assert!(Instant::now() >= deadline, "returned before the deadline");
    assert_eq!(error.operation(), "get_generation_job");
    let ErrorKind::DeadlinePassed {
        id,
        last_status,
        last_progress,
    } = error.kind().clone()
    else {
        panic!("not a deadline: {error}");
    };
    assert_eq!(id, job.id);
    // 150 ms into a 600 ms job: past the queued tenth, far from done.
    assert_eq!(last_status, Some(JobStatus::Processing));
    assert!(last_progress.is_some_and(|p| (10..100).contains(&p)));
    assert!(
        error
            .to_string()
            .contains("the deadline passed while the generation job was processing")
    );

    let done = studio
        .client
        .job_by_id(id)
        .poll_schedule(scaled())
        .wait()
        .await
        .unwrap();
    assert_eq!(done.status, JobStatus::Completed);
    assert!(done.result.and_then(|r| r.image_url).is_some());
}

#[tokio::test]
async fn progress_yields_each_change_in_order_and_ends_with_the_completed_state() {
    let studio = Studio::start(Duration::from_millis(300), 0.0).await;
    let job = studio.image_job().await;

    let mut states = Box::pin(studio.client.job(&job).poll_schedule(EAGER).progress());
    let mut seen = Vec::new();
    while let Some(state) = states.next().await {
        seen.push(state.unwrap());
    }
    assert!(states.next().await.is_none(), "stays ended");

    assert_eq!(seen[0], job, "starts from the accepted state");
    for pair in seen.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        assert!(rank(&before.status) <= rank(&after.status), "{pair:?}");
        assert!(before.progress <= after.progress, "{pair:?}");
        assert_ne!(
            (&before.status, before.progress),
            (&after.status, after.progress),
            "only changes are reported"
        );
    }
    assert!(
        seen.iter().any(|s| s.status == JobStatus::Processing),
        "processing was seen: {seen:?}"
    );
    let last = seen.last().unwrap();
    assert_eq!(last.status, JobStatus::Completed);
    assert_eq!(last.progress, Some(100));
}

#[tokio::test]
async fn a_job_of_sixty_schedule_seconds_takes_fewer_than_ten_polls() {
    // Sixty of the scaled schedule's seconds. Polls fall at 1, 3, 7, 15,
    // 25, 35, 45 and 55 of them, then when the progress rate says the job
    // ends: nine.
    let studio = Studio::start(Duration::from_millis(600), 0.0).await;
    let job = studio.image_job().await;

    studio.wait(&job).await.unwrap();
    let polls = studio.polls();
    assert!((5..10).contains(&polls), "{polls} polls");
}

#[tokio::test]
async fn a_steadily_progressing_job_is_seen_finished_at_its_end_not_the_next_scheduled_poll() {
    // Ten of the schedule's seconds, with one second 200 ms here. The
    // schedule alone polls at 1, 3, 7 and 15 of them (3 s); the progress
    // rate seen at 3 and 7 puts the last poll at 10 (2 s).
    let default = PollSchedule::default();
    let fifth = PollSchedule {
        first: default.first / 5,
        max: default.max / 5,
        ..default
    };
    let studio = Studio::start(Duration::from_secs(2), 0.0).await;
    let submitted = Instant::now();
    let job = studio.image_job().await;

    let done = studio.client.job(&job).poll_schedule(fifth).wait().await;
    let waited = submitted.elapsed();
    assert_eq!(done.unwrap().status, JobStatus::Completed);
    // On a loaded machine the poll at the estimated end can land a moment
    // before the server finishes the job: one more poll then, soon after.
    let polls = studio.polls();
    assert!((4..=5).contains(&polls), "{polls} polls");
    assert!(
        waited < Duration::from_millis(2_500),
        "seen {waited:?} after submission, not at the scheduled 3 s"
    );
}

#[tokio::test]
async fn a_429_while_polling_is_waited_out_for_its_retry_after() {
    let studio = Studio::start(Duration::from_millis(100), 0.0).await;
    let job = studio.image_job().await;
    studio
        .server
        .fail_next(
            "get_generation_job",
            1,
            Fault::Status {
                status: 429,
                retry_after: Some(1),
            },
        )
        .unwrap();
    let started = Instant::now();

    let done = studio.wait(&job).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited 1 s");
    // The refused poll at 10 ms, then one a second later finds it done.
    assert_eq!(studio.polls(), 2);
}

#[tokio::test]
async fn a_handle_made_from_a_final_state_answers_without_polling() {
    let studio = Studio::start(Duration::from_millis(100), 0.0).await;
    let job = studio.image_job().await;
    let canceled = GenerationJob {
        status: JobStatus::Canceled,
        ..job.clone()
    };

    let error = studio.client.job(&canceled).wait().await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::JobCanceled { id: job.id.clone() });
    assert_eq!(
        error.to_string(),
        format!(
            "get_generation_job {}: the generation job was canceled",
            job.id
        )
    );
    let completed = GenerationJob {
        status: JobStatus::Completed,
        ..job
    };
    assert_eq!(
        studio.client.job(&completed).wait().await.unwrap(),
        completed
    );
    assert_eq!(studio.polls(), 0);
}

#[tokio::test]
async fn wait_all_reports_jobs_an_export_and_a_render_in_the_order_given() {
    let studio = Studio::start(Duration::from_millis(200), 0.0).await;
    let first = studio.image_job().await;
    let second = studio.image_job().await;
    let (c, project) = (&studio.client, &studio.project_id);
    let (export, render) = tokio::join!(
        c.create_export()
            .project_id(project)
            .body_map(|b| b.format(ExportFormat::Mp4))
            .send(),
        c.create_render()
            .project_id(project)
            .body_map(|b| b.codec(RenderCodec::H264))
            .send(),
    );
    let (export, render) = (export.unwrap().into_inner(), render.unwrap().into_inner());

    let results = wait_all(
        [
            c.job(&first).into_work(),
            c.export(&export.data).into_work(),
            c.job_by_id("job_unknown").into_work(),
            c.render(&render.data).into_work(),
            c.job(&second).into_work(),
        ]
        .map(|handle| handle.poll_schedule(scaled())),
    )
    .await;

    assert_eq!(results.len(), 5);
    assert!(matches!(&results[0], Ok(Work::Job(j)) if j.id == first.id && j.result.is_some()));
    assert!(
        matches!(&results[1], Ok(Work::Export(e)) if e.id == export.data.id && e.url.is_some())
    );
    let missing = results[2].as_ref().unwrap_err();
    assert_eq!(missing.kind(), &ErrorKind::NotFound);
    assert_eq!(missing.operation(), "get_generation_job");
    assert!(
        matches!(&results[3], Ok(Work::Render(r)) if r.id == render.data.id && r.output_url.is_some())
    );
    assert!(matches!(&results[4], Ok(Work::Job(j)) if j.id == second.id));

    // The same for handles of one type, without `Work`.
    let jobs = wait_all([c.job(&first), c.job(&second)].map(|h| h.poll_schedule(scaled()))).await;
    let ids: Vec<_> = jobs.into_iter().map(|j| j.unwrap().id).collect();
    assert_eq!(ids, [first.id, second.id]);
}
