//! Instructions per call, counted with callgrind: the SDK against bare
//! reqwest (async and blocking, with and without a tracing subscriber)
//! and decoding against `serde_json`, from `benches/examples/count_calls`.
//!
//! The canned servers run in a process of their own, so only the client's
//! instructions are counted. Each client runs twice with different call
//! counts; the difference over the difference in calls is one call's cost,
//! start-up cancelled out. Counts are repeatable whatever else the machine
//! is doing, where timings are not.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One comparison: `(name, operation, server, baseline, ours, calls, goal)`,
/// the server an index into what `count_calls serve` prints, the goal the
/// highest ratio allowed (none: shown, not judged).
type Case = (
    &'static str,
    &'static str,
    usize,
    &'static str,
    &'static str,
    (u64, u64),
    Option<f64>,
);

/// Every comparison the section shows.
pub const CASES: [Case; 6] = [
    (
        "get_project, async",
        "get_project",
        0,
        "reqwest",
        "sdk",
        (300, 900),
        Some(1.10),
    ),
    (
        "get_project, async, fmt subscriber",
        "get_project",
        0,
        "reqwest+fmt",
        "sdk+fmt",
        (300, 900),
        None,
    ),
    (
        "get_project, blocking",
        "get_project",
        0,
        "reqwest-blocking",
        "sdk-blocking",
        (300, 900),
        Some(1.10),
    ),
    (
        "get_project, blocking, fmt subscriber",
        "get_project",
        0,
        "reqwest-blocking+fmt",
        "sdk-blocking+fmt",
        (300, 900),
        None,
    ),
    (
        "list_frames, 100 frames",
        "list_frames",
        1,
        "serde_json",
        "sdk",
        (50, 150),
        Some(1.05),
    ),
    (
        "list_frames, 10,000 frames",
        "list_frames",
        2,
        "serde_json",
        "sdk",
        (3, 9),
        Some(1.05),
    ),
];

/// Builds `count_calls`, counts every case and writes `instructions.json`
/// under `<target>/bench-results`.
pub fn run(root: &Path) -> Result<()> {
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "-p",
            "studio-benches",
            "--example",
            "count_calls",
        ])
        .current_dir(root)
        .status()
        .context("building count_calls")?;
    if !status.success() {
        bail!("building count_calls failed: {status}");
    }
    let program = crate::target_dir(root).join("release/examples/count_calls");
    let mut server = Command::new(&program)
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting count_calls serve")?;
    let urls: Vec<String> = BufReader::new(server.stdout.take().expect("piped"))
        .lines()
        .take(3)
        .collect::<std::io::Result<_>>()?;
    let out = crate::target_dir(root).join("bench-results/callgrind");
    std::fs::create_dir_all(&out)?;
    let mut results = Vec::new();
    for (name, operation, server_index, baseline, ours, calls, goal) in CASES {
        let url = &urls[server_index];
        let per_call = |client: &str| -> Result<f64> {
            let count = |n: u64| count(&program, &out, &[operation, client, &n.to_string(), url]);
            let (short, long) = (count(calls.0)?, count(calls.1)?);
            Ok((long as f64 - short as f64) / (calls.1 - calls.0) as f64)
        };
        let row = json!({
            "name": name, "calls": [calls.0, calls.1], "goal": goal,
            "baseline": { "client": baseline, "per_call": per_call(baseline)? },
            "ours": { "client": ours, "per_call": per_call(ours)? },
        });
        println!("{row}");
        results.push(row);
    }
    drop(server.stdin.take());
    server.wait()?;
    let path = crate::target_dir(root).join("bench-results/instructions.json");
    std::fs::write(&path, serde_json::to_string_pretty(&Value::from(results))?)?;
    Ok(())
}

/// The instructions one run of `program` with `args` executes, from
/// callgrind's totals; its output file is kept under `out`.
fn count(program: &Path, out: &Path, args: &[&str]) -> Result<u64> {
    let file: PathBuf = out.join(format!("{}.out", args[..3].join("-").replace('+', "_")));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", file.display()))
        .arg(program)
        .args(args)
        .output()
        .context("running valgrind (Debian's valgrind package)")?;
    if !output.status.success() {
        bail!(
            "callgrind of {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = std::fs::read_to_string(&file)?;
    text.lines()
        .find_map(|line| line.strip_prefix("totals: "))
        .or_else(|| text.lines().find_map(|line| line.strip_prefix("summary: ")))
        .and_then(|total| total.trim().parse().ok())
        .with_context(|| format!("no totals in {}", file.display()))
}
