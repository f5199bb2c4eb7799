//! Quota utilisation: 600 `get_project` calls from 16 concurrent tasks
//! against studio-mock allowing 60 requests per API key per window, the
//! window shortened to one second. The SDK (pacing on, default retries)
//! runs against a baseline built the way most SDKs work: no pacing, and on
//! a 429 up to two retries after `Retry-After` (or an exponential backoff
//! with jitter when there is none). Each run gets a fresh server and key.
//!
//! Reported per client: wall time against the quota's minimum (requests ÷
//! quota × window), the share of the quota used in the windows the run
//! touched, 429s received (requests that reached the server and were not
//! served) and errors surfaced to the caller.

use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};
use studio_api::{Client, Credential};
use studio_benches::{QuotaRun, quota_report, quota_server, window_index, write_results};

const REQUESTS: usize = 600;
const TASKS: usize = 16;
const QUOTA: u32 = 60;
const WINDOW: Duration = Duration::from_secs(1);
const RUNS: usize = 3;
/// Retries after a 429 in the baseline, as in most SDKs.
const BASELINE_RETRIES: u32 = 2;

/// The two ways of calling `get_project` being compared.
#[derive(Clone)]
enum Caller {
    Sdk(Box<Client>),
    Baseline {
        http: reqwest::Client,
        url: String,
        key: String,
    },
}

impl Caller {
    /// One call, as its user sees it: `true` when it succeeded.
    async fn call(&self, project_id: &str) -> bool {
        match self {
            Caller::Sdk(client) => client
                .get_project()
                .project_id(project_id)
                .send()
                .await
                .is_ok(),
            Caller::Baseline { http, url, key } => {
                for attempt in 0..=BASELINE_RETRIES {
                    let Ok(response) = http.get(url).header("X-API-Key", key).send().await else {
                        return false;
                    };
                    if response.status() != reqwest::StatusCode::TOO_MANY_REQUESTS {
                        return response.status().is_success();
                    }
                    if attempt == BASELINE_RETRIES {
                        break;
                    }
                    tokio::time::sleep(baseline_delay(response.headers(), attempt)).await;
                }
                false
            }
        }
    }
}

/// `Retry-After` when sent, else 0.5 s doubling per attempt, with up to a
/// quarter taken off at random.
fn baseline_delay(headers: &reqwest::header::HeaderMap, attempt: u32) -> Duration {
    let retry_after = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match retry_after {
        Some(seconds) => Duration::from_secs(seconds),
        None => Duration::from_millis(500 * 2u64.pow(attempt)).mul_f64(1.0 - fastrand::f64() / 4.0),
    }
}

async fn run(sdk: bool) -> QuotaRun {
    let (server, project_id) = quota_server(QUOTA, WINDOW).await;
    let key = server.mint_api_key(None);
    let caller = if sdk {
        Caller::Sdk(Box::new(
            Client::with_credential(server.base_url(), Credential::api_key(&key)).unwrap(),
        ))
    } else {
        let url = format!("{}/projects/{project_id}", server.base_url());
        Caller::Baseline {
            http: reqwest::Client::new(),
            url,
            key,
        }
    };
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let first_window = window_index(SystemTime::now(), WINDOW);
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (caller, next, failed) = (caller.clone(), next.clone(), failed.clone());
            let project_id = project_id.clone();
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::SeqCst) < REQUESTS {
                    if !caller.call(&project_id).await {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let wall = started.elapsed();
    let errors = failed.load(Ordering::SeqCst);
    let served = REQUESTS - errors;
    QuotaRun {
        wall,
        served,
        too_many: server.request_count("get_project").unwrap() - served,
        errors,
        windows: window_index(SystemTime::now(), WINDOW) - first_window + 1,
    }
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        return; // `cargo test --benches` builds this; only `cargo bench` runs it.
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "quota: {REQUESTS} requests, {TASKS} tasks, {QUOTA} per {} s window, {RUNS} runs each",
        WINDOW.as_secs_f64()
    );
    let mut sdk = Vec::new();
    let mut baseline = Vec::new();
    for _ in 0..RUNS {
        sdk.push(runtime.block_on(run(true)));
        baseline.push(runtime.block_on(run(false)));
    }
    let results = json!({
        "requests": REQUESTS,
        "tasks": TASKS,
        "quota": QUOTA,
        "window_seconds": WINDOW.as_secs_f64(),
        "runs": RUNS,
        "studio_api": quota_report("studio_api", &sdk, REQUESTS, QUOTA, WINDOW),
        "baseline": quota_report("baseline", &baseline, REQUESTS, QUOTA, WINDOW),
    });
    write_results("quota", &results);
}
