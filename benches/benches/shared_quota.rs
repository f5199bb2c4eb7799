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
//! server and were not served), calls that failed (`errors`), and the
//! share of the quota used in the windows the run touched.

use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};
use studio_benches::{QuotaRun, quota_report, quota_server, window_index, write_results};
use studio_tests::quota_worker::Workers;
use studio_tests::redis_server::RedisServer;

const CALLS: u32 = 150;
const PROCESSES: [usize; 2] = [4, 16];
const QUOTA: u32 = 60;
const WINDOW: Duration = Duration::from_secs(1);
const RUNS: usize = 2;

fn run(processes: usize, quota_url: Option<&str>) -> QuotaRun {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (server, project_id) = runtime.block_on(quota_server(QUOTA, WINDOW));
    let key = server.mint_api_key(None);
    let workers = Workers {
        program: Path::new(env!("CARGO_BIN_EXE_bench_quota_worker")),
        base_url: server.base_url(),
        key: &key,
        quota_url,
        roots_pem: None,
        project_id: &project_id,
        calls: CALLS,
    };
    let first_window = window_index(SystemTime::now(), WINDOW);
    let started = Instant::now();
    let reports = workers.run(processes);
    let wall = started.elapsed();
    let served = reports.iter().map(|r| r.ok as usize).sum();
    let requests = server.request_count("get_project").unwrap();
    QuotaRun {
        wall,
        served,
        too_many: requests - served,
        errors: reports.iter().map(|r| r.failed as usize).sum(),
        windows: window_index(SystemTime::now(), WINDOW) - first_window + 1,
    }
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
        let requests = processes * CALLS as usize;
        let report = |store: &str, runs: &[QuotaRun]| {
            let name = format!("{processes} processes, {store}");
            quota_report(&name, runs, requests, QUOTA, WINDOW)
        };
        configurations.push(json!({
            "processes": processes,
            "redis": report("redis", &shared),
            "in_process": report("in_process", &alone),
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
