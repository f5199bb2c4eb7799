//! Storyboard at scale, time-scaled so a quota window is one second:
//! studio-mock allowing 60 requests per API key per 1 s window, 120 frames
//! in one project, poll schedules scaled by 1/60 (first 1/60 s, doubling to
//! at most 10/60 s). Coalesced waiting (the default) runs against
//! per-handle waiting (`coalesced_waiting(false)`, every handle polling by
//! id) in the same run, each on a fresh server and key.
//!
//! - *pipeline*: every shot in its own task: image, `wait()`, video,
//!   `wait()`, jobs lasting 5 windows. Floor: the later of the last
//!   image's submission plus two job lengths and all 240 submissions at
//!   the quota plus one job length = max(2 + 10, 4 + 5) = 12 windows.
//! - *all at once*: 120 image jobs of one window submitted, then
//!   `wait_all`. Floor: 2 windows of submissions plus one job = 3 windows.
//!
//! Reported: wall time from the first submission to the last result, its
//! ratio to the floor, submissions and polls (listings and polls by id),
//! polls per job, 429s and errors.

use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use studio_api::types::GenerationJob;
use studio_api::{Client, Credential, PollSchedule, RetryEvent, wait_all};
use studio_benches::{Summary, write_results};
use studio_mock::MockServer;

const WINDOW: Duration = Duration::from_secs(1);
const QUOTA: u32 = 60;
const FRAMES: usize = 120;
const RUNS: usize = 2;

/// The default schedule, sixty times faster.
const SCALED: PollSchedule = PollSchedule {
    first: Duration::from_micros(16_667),
    factor: 2.0,
    max: Duration::from_micros(166_667),
};

#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    Pipeline,
    AllAtOnce,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Pipeline => "pipeline",
            Scenario::AllAtOnce => "all_at_once",
        }
    }

    fn job_windows(self) -> u32 {
        match self {
            Scenario::Pipeline => 5,
            Scenario::AllAtOnce => 1,
        }
    }

    fn floor_windows(self) -> f64 {
        match self {
            Scenario::Pipeline => 12.0,
            Scenario::AllAtOnce => 3.0,
        }
    }
}

/// One run of one client.
struct Outcome {
    wall: Duration,
    submissions: usize,
    listings: usize,
    by_id: usize,
    too_many: usize,
    errors: usize,
}

async fn run(scenario: Scenario, coalesced: bool) -> Outcome {
    let server = MockServer::builder()
        .rate_limit(QUOTA, 10_000, WINDOW)
        .job_duration(WINDOW * scenario.job_windows())
        .wallet(1e9)
        .start()
        .expect("start studio-mock");
    // The project and its frames are made with the bearer token, whose
    // quota is apart from the key's.
    let owner =
        Client::with_credential(server.base_url(), Credential::bearer(server.bearer_token()))
            .expect("client");
    let project = owner
        .create_project()
        .body_map(|b| b.name("Storyboard at scale"))
        .send()
        .await
        .expect("a project")
        .into_inner()
        .data;
    let mut frames = Vec::new();
    for shot in 0..FRAMES {
        let frame = owner
            .create_frame()
            .project_id(&project.id)
            .body_map(|b| b.script(format!("Shot {shot}")))
            .send()
            .await
            .expect("a frame");
        frames.push(frame.into_inner().data.id);
    }

    let too_many = Arc::new(AtomicUsize::new(0));
    let counted = too_many.clone();
    let client = Client::builder()
        .base_url(server.base_url())
        .credential(Credential::api_key(server.mint_api_key(None)))
        .poll_schedule(SCALED)
        .coalesced_waiting(coalesced)
        .on_retry(move |event: &RetryEvent| {
            if event.reason.starts_with("429") {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()
        .expect("client");
    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    match scenario {
        Scenario::Pipeline => {
            let tasks: Vec<_> = frames
                .into_iter()
                .map(|frame| {
                    let (client, errors) = (client.clone(), errors.clone());
                    tokio::spawn(async move {
                        if shot(&client, &frame).await.is_err() {
                            errors.fetch_add(1, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("a shot's task");
            }
        }
        Scenario::AllAtOnce => {
            let submissions = frames.iter().map(|frame| {
                let client = client.clone();
                async move { client.generate_frame_image().frame_id(frame).send().await }
            });
            let mut handles = Vec::new();
            for submitted in futures_util::future::join_all(submissions).await {
                match submitted {
                    Ok(job) => handles.push(client.job(&job.into_inner().data)),
                    Err(_) => {
                        errors.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            let failed = wait_all(handles)
                .await
                .iter()
                .filter(|r| r.is_err())
                .count();
            errors.fetch_add(failed, Ordering::SeqCst);
        }
    }
    let wall = started.elapsed();
    let count = |operation| server.request_count(operation).unwrap();
    let errors = errors.load(Ordering::SeqCst);
    Outcome {
        wall,
        submissions: count("generate_frame_image") + count("generate_frame_video"),
        listings: count("list_generation_jobs"),
        by_id: count("get_generation_job"),
        too_many: too_many.load(Ordering::SeqCst),
        errors,
    }
}

/// One shot of the pipeline: its image, then its video, each waited for.
async fn shot(client: &Client, frame: &str) -> Result<GenerationJob, studio_api::Error> {
    let image = client.generate_frame_image().frame_id(frame).send().await?;
    client.job(&image.into_inner().data).wait().await?;
    let video = client
        .generate_frame_video()
        .frame_id(frame)
        .body_map(|b| b)
        .send()
        .await?;
    client.job(&video.into_inner().data).wait().await
}

fn report(scenario: Scenario, name: &str, outcomes: &[Outcome]) -> Value {
    let floor = scenario.floor_windows() * WINDOW.as_secs_f64();
    let jobs = match scenario {
        Scenario::Pipeline => 2 * FRAMES,
        Scenario::AllAtOnce => FRAMES,
    } as f64;
    let summary =
        |f: &dyn Fn(&Outcome) -> f64| Summary::of(&outcomes.iter().map(f).collect::<Vec<_>>());
    let wall = summary(&|o| o.wall.as_secs_f64());
    let polls = summary(&|o| (o.listings + o.by_id) as f64);
    let listings = summary(&|o| o.listings as f64);
    let by_id = summary(&|o| o.by_id as f64);
    let submissions = summary(&|o| o.submissions as f64);
    let too_many = summary(&|o| o.too_many as f64);
    let errors = summary(&|o| o.errors as f64);
    println!(
        "{:<12} {name:<10} wall {:6.2} s = {:.2}x the floor | submissions {:>4} | polls {:>5} ({} listings, {} by id) = {:.2} per job | 429s {} | errors {}",
        scenario.name(),
        wall.median,
        wall.median / floor,
        submissions.median,
        polls.median,
        listings.median,
        by_id.median,
        polls.median / jobs,
        too_many.median,
        errors.median,
    );
    json!({
        "wall_seconds": wall.to_json(),
        "floor_seconds": floor,
        "jobs": jobs,
        "submissions": submissions.to_json(),
        "polls": polls.to_json(),
        "listings": listings.to_json(),
        "polls_by_id": by_id.to_json(),
        "too_many_requests": too_many.to_json(),
        "errors": errors.to_json(),
    })
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        return; // `cargo test --benches` builds this; only `cargo bench` runs it.
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "storyboard: {FRAMES} frames, {QUOTA} requests per {} s window, {RUNS} runs each",
        WINDOW.as_secs_f64()
    );
    let mut results = serde_json::Map::new();
    for scenario in [Scenario::Pipeline, Scenario::AllAtOnce] {
        let mut coalesced = Vec::new();
        let mut per_handle = Vec::new();
        for _ in 0..RUNS {
            coalesced.push(runtime.block_on(run(scenario, true)));
            per_handle.push(runtime.block_on(run(scenario, false)));
        }
        results.insert(
            scenario.name().to_string(),
            json!({
                "job_windows": scenario.job_windows(),
                "per_handle": report(scenario, "per_handle", &per_handle),
                "coalesced": report(scenario, "coalesced", &coalesced),
            }),
        );
    }
    let results = json!({
        "frames": FRAMES,
        "quota": QUOTA,
        "window_seconds": WINDOW.as_secs_f64(),
        "runs": RUNS,
        "scenarios": results,
    });
    write_results("storyboard", &results);
}
