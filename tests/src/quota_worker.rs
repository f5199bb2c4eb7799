//! A worker process for the shared-quota tests and benchmarks: a client
//! configured from the environment (`STUDIO_API_KEY`, `STUDIO_BASE_URL`,
//! and `STUDIO_QUOTA_URL` when the quota is shared; and roots to trust
//! for a `rediss://` store, PEM, in `QUOTA_WORKER_ROOTS_PEM`) makes `CALLS`
//! `get_project` calls one after another and prints one JSON line:
//! `{"ok": .., "failed": .., "first_call_ms": .., "wall_ms": ..}`.
//!
//! ```sh
//! quota_worker PROJECT_ID CALLS
//! ```
//!
//! [`Workers::run`] starts such processes and reads their reports.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The variable with the roots (PEM) a worker trusts.
const ROOTS_PEM: &str = "QUOTA_WORKER_ROOTS_PEM";

/// What one worker process reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    /// Calls that succeeded.
    pub ok: u64,
    /// Calls that failed.
    pub failed: u64,
    /// How long the first call took, waits included.
    pub first_call_ms: f64,
    /// How long all the calls took.
    pub wall_ms: f64,
}

/// Worker processes to start: all with the same settings.
#[derive(Debug, Clone, Copy)]
pub struct Workers<'a> {
    /// The worker binary: `quota_worker` of this crate, or `bench_quota_worker`
    /// of the benchmarks.
    pub program: &'a Path,
    /// The server's base URL.
    pub base_url: &'a str,
    /// The API key every worker uses.
    pub key: &'a str,
    /// The shared quota store, or `None` for pacing in each process alone.
    pub quota_url: Option<&'a str>,
    /// Roots (PEM) the workers trust besides the system's: a `rediss://`
    /// store's authority.
    pub roots_pem: Option<&'a str>,
    /// The project the workers read.
    pub project_id: &'a str,
    /// Calls per worker.
    pub calls: u32,
}

impl Workers<'_> {
    /// Starts `count` workers at once, waits for them all, and returns
    /// their reports; panics when one fails.
    pub fn run(&self, count: usize) -> Vec<Report> {
        let children: Vec<_> = (0..count)
            .map(|_| {
                let mut command = Command::new(self.program);
                command
                    .args([self.project_id, &self.calls.to_string()])
                    .env("STUDIO_API_KEY", self.key)
                    .env("STUDIO_BASE_URL", self.base_url)
                    .env_remove("STUDIO_BEARER_TOKEN")
                    .env_remove("STUDIO_QUOTA_URL")
                    .env_remove(ROOTS_PEM)
                    .stdout(Stdio::piped());
                if let Some(url) = self.quota_url {
                    command.env("STUDIO_QUOTA_URL", url);
                }
                if let Some(pem) = self.roots_pem {
                    command.env(ROOTS_PEM, pem);
                }
                command.spawn().expect("start a worker")
            })
            .collect();
        children
            .into_iter()
            .map(|child| {
                let output = child.wait_with_output().expect("a worker's report");
                assert!(output.status.success(), "a worker failed: {output:?}");
                let json: serde_json::Value =
                    serde_json::from_slice(&output.stdout).expect("a JSON report");
                let number = |name: &str| json[name].as_f64().expect("a number");
                Report {
                    ok: number("ok") as u64,
                    failed: number("failed") as u64,
                    first_call_ms: number("first_call_ms"),
                    wall_ms: number("wall_ms"),
                }
            })
            .collect()
    }
}

/// The worker's `main`: see the module's documentation.
pub fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(project_id), Some(Ok(calls))) = (args.next(), args.next().map(|n| n.parse::<u32>()))
    else {
        eprintln!("usage: quota_worker PROJECT_ID CALLS");
        std::process::exit(2);
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut builder = studio_api::Client::builder().with_env();
    if let Ok(pem) = std::env::var(ROOTS_PEM) {
        builder = builder.add_root_certificates_pem(pem);
    }
    let client = builder.build().expect("a client from the environment");
    let (mut ok, mut failed, mut first_call_ms) = (0u32, 0u32, 0.0);
    let started = Instant::now();
    runtime.block_on(async {
        for call in 0..calls {
            let sent = Instant::now();
            match client.get_project().project_id(&project_id).send().await {
                Ok(_) => ok += 1,
                Err(error) => {
                    failed += 1;
                    eprintln!("call {call} failed: {error}");
                }
            }
            if call == 0 {
                first_call_ms = sent.elapsed().as_secs_f64() * 1e3;
            }
        }
    });
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    println!(
        "{}",
        serde_json::json!({ "ok": ok, "failed": failed, "first_call_ms": first_call_ms, "wall_ms": wall_ms })
    );
}
