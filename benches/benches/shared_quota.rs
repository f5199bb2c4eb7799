//! A quota shared across processes: 4, then 16 worker processes each make
//! 150 `get_project` calls with one API key against studio-mock allowing
//! 60 requests per key per window, the window shortened to one second.
//! Each worker paces through Redis (the shared store) against a baseline
//! of pacing in each process alone, which only the server's headers and
//! 429s tell about the other processes. Each run gets a fresh server and
//! key; Redis is one `redis-server` on loopback for the whole benchmark.
//!
//! Reported per configuration: wall time against the quota's minimum
//! (requests ÷ quota × window), 429s received (requests that reached the
//! server and were not served), calls that failed, and the share of the
//! quota used in the windows the run touched.

use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};
use studio_api::{Client, Credential};
use studio_benches::{Summary, window_index, write_results};
use studio_mock::MockServer;
use studio_tests::quota_worker::Workers;
use studio_tests::redis_server::RedisServer;

const CALLS: u32 = 150;
const PROCESSES: [usize; 2] = [4, 16];
const QUOTA: u32 = 60;
const WINDOW: Duration = Duration::from_secs(1);
const RUNS: usize = 2;

/// One run of one configuration.
#[derive(Debug)]
struct Outcome {
    wall: Duration,
    served: u64,
    too_many: u64,
    failed: u64,
    windows: u128,
}

fn run(processes: usize, quota_url: Option<&str>) -> Outcome {
    let server = MockServer::builder()
        .rate_limit(QUOTA, 10_000, WINDOW)
        .start()
        .expect("start studio-mock");
    // The project is made with the bearer token, whose quota is apart.
    let owner =
        Client::with_credential(server.base_url(), Credential::bearer(server.bearer_token()))
            .expect("client");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let project = runtime.block_on(owner.create_project().body_map(|b| b.name("Quota")).send());
    let project_id = project.expect("create a project").into_inner().data.id;
    let key = server.mint_api_key(None);
    let workers = Workers {
        program: Path::new(env!("CARGO_BIN_EXE_quota_worker")),
        base_url: server.base_url(),
        key: &key,
        quota_url,
        project_id: &project_id,
        calls: CALLS,
    };
    let first_window = window_index(SystemTime::now(), WINDOW);
    let started = Instant::now();
    let reports = workers.run(processes);
    let wall = started.elapsed();
    let served: u64 = reports.iter().map(|r| r.ok).sum();
    let requests = server.request_count("get_project").unwrap() as u64;
    Outcome {
        wall,
        served,
        too_many: requests - served,
        failed: reports.iter().map(|r| r.failed).sum(),
        windows: window_index(SystemTime::now(), WINDOW) - first_window + 1,
    }
}

fn report(name: &str, processes: usize, outcomes: &[Outcome]) -> Value {
    let requests = processes as f64 * f64::from(CALLS);
    let minimum = requests / f64::from(QUOTA) * WINDOW.as_secs_f64();
    let summary =
        |f: &dyn Fn(&Outcome) -> f64| Summary::of(&outcomes.iter().map(f).collect::<Vec<_>>());
    let wall = summary(&|o| o.wall.as_secs_f64());
    let used = summary(&|o| o.served as f64 / (f64::from(QUOTA) * o.windows as f64));
    let too_many = summary(&|o| o.too_many as f64);
    let failed = summary(&|o| o.failed as f64);
    println!(
        "{processes:>2} processes, {name:<10} wall {:6.2} s (min {:.2}, max {:.2}) = {:.2}x the minimum | quota used {:5.1}% | 429s {:>4} | failed {:>4}",
        wall.median,
        wall.min,
        wall.max,
        wall.median / minimum,
        used.median * 100.0,
        too_many.median,
        failed.median,
    );
    json!({
        "wall_seconds": wall.to_json(),
        "minimum_seconds": minimum,
        "quota_used": used.to_json(),
        "too_many_requests": too_many.to_json(),
        "failed": failed.to_json(),
    })
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        return; // `cargo test --benches` builds this; only `cargo bench` runs it.
    }
    let Some(redis) = RedisServer::start("shared_quota benchmark") else {
        return;
    };
    println!(
        "shared_quota: {CALLS} calls per process, {QUOTA} per {} s window, {RUNS} runs each",
        WINDOW.as_secs_f64()
    );
    let url = redis.url();
    let mut configurations = Vec::new();
    for processes in PROCESSES {
        let mut shared = Vec::new();
        let mut alone = Vec::new();
        for _ in 0..RUNS {
            shared.push(run(processes, Some(&url)));
            alone.push(run(processes, None));
        }
        configurations.push(json!({
            "processes": processes,
            "redis": report("redis", processes, &shared),
            "in_process": report("in_process", processes, &alone),
        }));
    }
    let results = json!({
        "calls_per_process": CALLS,
        "quota": QUOTA,
        "window_seconds": WINDOW.as_secs_f64(),
        "runs": RUNS,
        "configurations": configurations,
    });
    write_results("shared_quota", &results);
}
