//! A worker process for the shared-quota tests and benchmarks: a client
//! configured from the environment (`STUDIO_API_KEY`, `STUDIO_BASE_URL`,
//! and `STUDIO_QUOTA_URL` when the quota is shared) makes `CALLS`
//! `get_project` calls one after another and prints one JSON line:
//! `{"ok": .., "failed": .., "first_call_ms": .., "wall_ms": ..}`.
//!
//! ```sh
//! quota_worker PROJECT_ID CALLS
//! ```

use std::time::Instant;

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
    let client = studio_api::Client::builder()
        .with_env()
        .build()
        .expect("a client from the environment");
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
