//! Waiting: generation jobs lasting 1, 10 and 60 time units (one unit is
//! one second, the scale of the default poll schedule), waited on with
//! `Handle::wait()` with its defaults, against a baseline polling every
//! unit. Reported: the polls each spent, and the delay between the job
//! finishing and the wait returning, as a share of the job's length.
//!
//! Every job runs on a server of its own, so the server's request count is
//! that job's polls; all of them run at once, so the whole run lasts about
//! as long as the longest job.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use studio_api::types::JobStatus;
use studio_api::{Client, Credential};
use studio_benches::{Summary, write_results};
use studio_mock::MockServer;

const UNIT: Duration = Duration::from_secs(1);
const LENGTHS: [u32; 3] = [1, 10, 60];
const SAMPLES: usize = 3;

/// What one wait cost.
#[derive(Clone, Copy)]
struct Outcome {
    polls: usize,
    /// From when the job finished to when the wait returned, in seconds.
    delay: f64,
}

async fn wait_once(units: u32, sdk: bool) -> Outcome {
    let length = UNIT * units;
    let server = MockServer::builder()
        .job_duration(length)
        .no_rate_limit()
        .start()
        .expect("start studio-mock");
    let client = Client::with_credential(server.base_url(), Credential::api_key(server.api_key()))
        .expect("client");
    let project = client
        .create_project()
        .body_map(|b| b.name("Waiting"))
        .send()
        .await;
    let project_id = project.expect("a project").into_inner().data.id;
    let frame = client
        .create_frame()
        .project_id(&project_id)
        .body_map(|b| b.script("A harbour at dawn"))
        .send()
        .await
        .expect("a frame")
        .into_inner()
        .data;

    // The job starts while this request is handled, so timing from before
    // it is sent puts the finish no later than `submitted + length`.
    let submitted = Instant::now();
    let job = client
        .generate_frame_image()
        .frame_id(&frame.id)
        .send()
        .await
        .expect("a job")
        .into_inner()
        .data;
    if sdk {
        client.job(&job).wait().await.expect("the job completes");
    } else {
        loop {
            tokio::time::sleep(UNIT).await;
            let polled = client.get_generation_job().job_id(&job.id).send().await;
            if polled.expect("a poll").into_inner().data.status == JobStatus::Completed {
                break;
            }
        }
    }
    let returned = submitted.elapsed();
    Outcome {
        polls: server.request_count("get_generation_job").unwrap(),
        delay: returned.saturating_sub(length).as_secs_f64(),
    }
}

fn report(name: &str, units: u32, outcomes: &[Outcome]) -> Value {
    let length = (UNIT * units).as_secs_f64();
    let polls = Summary::of(&outcomes.iter().map(|o| o.polls as f64).collect::<Vec<_>>());
    let delay = Summary::of(
        &outcomes
            .iter()
            .map(|o| o.delay / length)
            .collect::<Vec<_>>(),
    );
    println!(
        "{units:>3} units {name:<10} polls {:>4} (min {}, max {}) | delay {:6.1}% of the job (min {:.1}%, max {:.1}%)",
        polls.median,
        polls.min,
        polls.max,
        delay.median * 100.0,
        delay.min * 100.0,
        delay.max * 100.0,
    );
    json!({ "polls": polls.to_json(), "delay_fraction": delay.to_json() })
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        return; // `cargo test --benches` builds this; only `cargo bench` runs it.
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "waiting: jobs of {LENGTHS:?} units of {} s, {SAMPLES} of each per client, all at once",
        UNIT.as_secs_f64()
    );
    let outcomes = runtime.block_on(async {
        let mut runs = Vec::new();
        for units in LENGTHS {
            for sdk in [true, false] {
                for _ in 0..SAMPLES {
                    runs.push(((units, sdk), tokio::spawn(wait_once(units, sdk))));
                }
            }
        }
        let mut outcomes = Vec::new();
        for (scenario, run) in runs {
            outcomes.push((scenario, run.await.expect("a wait")));
        }
        outcomes
    });
    let mut lengths = Vec::new();
    for units in LENGTHS {
        let of = |sdk: bool| -> Vec<Outcome> {
            outcomes
                .iter()
                .filter(|((u, s), _)| *u == units && *s == sdk)
                .map(|(_, outcome)| *outcome)
                .collect()
        };
        lengths.push(json!({
            "units": units,
            "studio_api": report("studio_api", units, &of(true)),
            "baseline": report("baseline", units, &of(false)),
        }));
    }
    let results = json!({
        "unit_seconds": UNIT.as_secs_f64(),
        "samples": SAMPLES,
        "lengths": lengths,
    });
    write_results("waiting", &results);
}
