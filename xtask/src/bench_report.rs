//! `cargo xtask benchmarks`: runs every benchmark and rewrites
//! `BENCHMARKS.md` from their results.
//!
//! `cargo bench` leaves criterion's estimates under
//! `<target>/criterion` and the scenario results under
//! `<target>/bench-results`; `cargo xtask bench-build` adds `build.json`
//! there, the instruction counts `instructions.json`, and each stage the
//! date and commit it measured in `stamps.json`. This module reads them all
//! and renders one table per benchmark, each with its goal, when and on
//! what code it was measured, and the command that reproduces it.

use crate::{bench_build, bench_instructions};
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the report is written, relative to the workspace root.
pub const REPORT_PATH: &str = "BENCHMARKS.md";

/// Runs the benchmarks (unless `report_only`), then writes the report.
pub fn run(root: &Path, report_only: bool) -> Result<()> {
    if !report_only {
        let status = Command::new(env!("CARGO"))
            .arg("bench")
            .current_dir(root)
            .status()
            .context("running cargo bench")?;
        if !status.success() {
            bail!("cargo bench failed: {status}");
        }
        stamp(root, "bench")?;
        bench_build::run(root, &[1, 2, 4], false)?;
        stamp(root, "build")?;
        bench_instructions::run(root)?;
        stamp(root, "instructions")?;
    }
    let report = render(&crate::target_dir(root), &machine())?;
    std::fs::write(root.join(REPORT_PATH), report)?;
    println!("wrote {REPORT_PATH}");
    Ok(())
}

/// Records in `stamps.json` that the stage `key` was measured now, on the
/// checked-out commit (marked when the tree differs from it other than in
/// the report itself).
fn stamp(root: &Path, key: &str) -> Result<()> {
    let git = |args: &[&str]| -> Result<String> {
        let output = Command::new("git").args(args).current_dir(root).output()?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let mut commit = git(&["rev-parse", "--short=10", "HEAD"])?;
    let changed = git(&["status", "--porcelain", "--", ".", ":!BENCHMARKS.md"])?;
    if !changed.is_empty() {
        commit.push_str(" with uncommitted changes");
    }
    let path = crate::target_dir(root).join("bench-results/stamps.json");
    let mut stamps = read(&path).unwrap_or_else(|_| Value::Object(Default::default()));
    stamps[key] = serde_json::json!({
        "date": now(),
        "commit": commit,
    });
    std::fs::create_dir_all(path.parent().unwrap())?;
    std::fs::write(&path, serde_json::to_string_pretty(&stamps)?)?;
    Ok(())
}

/// The time now, as `date -u` prints it.
fn now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Reads a JSON file.
fn read(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {} (run the benchmarks first)", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// The number at `pointer` in `value`.
fn number(value: &Value, pointer: &str) -> Result<f64> {
    value
        .pointer(pointer)
        .and_then(Value::as_f64)
        .with_context(|| format!("no number at {pointer}"))
}

/// One criterion benchmark's median and spread, in nanoseconds.
struct Estimate {
    median: f64,
    low: f64,
    high: f64,
    mad: f64,
}

fn estimate(target: &Path, group: &str, name: &str) -> Result<Estimate> {
    let path: PathBuf = [target, "criterion".as_ref(), group.as_ref(), name.as_ref()]
        .iter()
        .collect();
    let json = read(&path.join("new/estimates.json"))?;
    Ok(Estimate {
        median: number(&json, "/median/point_estimate")?,
        low: number(&json, "/median/confidence_interval/lower_bound")?,
        high: number(&json, "/median/confidence_interval/upper_bound")?,
        mad: number(&json, "/median_abs_dev/point_estimate")?,
    })
}

/// Nanoseconds as µs or ms, whichever reads better.
fn duration(nanos: f64) -> String {
    if nanos >= 1e6 {
        format!("{:.2} ms", nanos / 1e6)
    } else {
        format!("{:.1} µs", nanos / 1e3)
    }
}

/// `met` or `missed`, for a goal.
fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

/// The machine the benchmarks ran on, one line.
fn machine() -> String {
    let output = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let cpu = output(
        "sh",
        &["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
    );
    let memory = output(
        "sh",
        &[
            "-c",
            "grep -m1 MemTotal /proc/meminfo | awk '{printf \"%.0f GiB\", $2/1048576}'",
        ],
    );
    format!(
        "{} ({} cores, {memory}), {}, {}; each section says when it was measured, and on what code",
        cpu.trim(),
        output("nproc", &[]),
        output("uname", &["-sr"]),
        output("rustc", &["-V"]),
    )
}

/// The whole report from the results under `target`.
pub fn render(target: &Path, machine: &str) -> Result<String> {
    let mut out = String::new();
    writeln!(out, "# Benchmarks\n")?;
    writeln!(
        out,
        "What the SDK costs per call, how close it runs to the quota, and what \
         waiting costs, each against a baseline measured in the same run. \
         Absolute times on a shared machine are noise; the ratios are the result.\n"
    )?;
    writeln!(out, "Machine: {machine}.\n")?;
    writeln!(
        out,
        "Regenerate everything with `cargo xtask benchmarks` (about 15 minutes), \
         or only this file from the last results with `cargo xtask benchmarks --report-only`.\n"
    )?;
    type Section = fn(&mut String, &Path) -> Result<()>;
    let sections: [(Section, &str); 8] = [
        (overhead, "bench"),
        (decode, "bench"),
        (quota, "bench"),
        (waiting, "bench"),
        (storyboard, "bench"),
        (build, "build"),
        (shared_quota, "bench"),
        (instructions, "instructions"),
    ];
    for (section, key) in sections {
        let mut text = String::new();
        section(&mut text, target)?;
        let stamps = read(&target.join("bench-results/stamps.json"))?;
        // The stamp goes under the section's heading.
        let (heading, rest) = text.split_once("\n\n").context("a section heading")?;
        let date = stamps[key]["date"].as_str().context("a stamp's date")?;
        let commit = stamps[key]["commit"].as_str().context("a stamp's commit")?;
        write!(
            out,
            "{heading}\n\nMeasured {date}, on commit {commit}.\n\n{rest}"
        )?;
    }
    Ok(out)
}

fn instructions(out: &mut String, target: &Path) -> Result<()> {
    writeln!(out, "## 8. Instructions per call\n")?;
    writeln!(
        out,
        "Instructions counted with callgrind (`valgrind --tool=callgrind`), which \
         do not depend on what else the machine is doing. The canned server of \
         sections 1 and 2 runs in a process of its own, so only the client's \
         instructions are counted, its runtime threads included. Each client makes \
         two runs of different lengths; *per call* is the difference in \
         instructions over the difference in calls, so start-up cancels out. \
         *fmt subscriber*: a `tracing_subscriber::fmt` subscriber writing to a sink \
         is installed for both clients.\n\n\
         Reproduce: `cargo xtask benchmarks` (this section alone: \
         `benches/examples/count_calls.rs` says how by hand)\n"
    )?;
    writeln!(
        out,
        "| comparison | calls | baseline | per call | ours | per call | ratio | goal |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    let rows = read(&target.join("bench-results/instructions.json"))?;
    for row in rows.as_array().context("a list of comparisons")? {
        let base = number(row, "/baseline/per_call")?;
        let ours = number(row, "/ours/per_call")?;
        let ratio = ours / base;
        let goal = match row["goal"].as_f64() {
            Some(goal) => format!("≤ {goal:.2}×, {}", verdict(ratio <= goal)),
            None => "shown".to_string(),
        };
        writeln!(
            out,
            "| {} | {} and {} | {} | {:.1}k | {} | {:.1}k | {ratio:.3}× | {goal} |",
            row["name"].as_str().context("a name")?,
            row["calls"][0],
            row["calls"][1],
            row["baseline"]["client"].as_str().context("a client")?,
            base / 1e3,
            row["ours"]["client"].as_str().context("a client")?,
            ours / 1e3,
        )?;
    }
    writeln!(out)?;
    Ok(())
}

/// What the second row of a criterion table must meet against the first.
#[derive(Clone, Copy)]
enum Goal {
    /// A median at most this many times the baseline's.
    Ratio(f64),
    /// A median at most this many nanoseconds above the baseline's.
    Added(f64),
}

/// A table of criterion benchmarks in `group`: the baseline first, then
/// the SDK, with the ratio of medians, judged against `goal`.
fn criterion_table(
    out: &mut String,
    target: &Path,
    group: &str,
    (baseline, sdk): (&str, &str),
    goal: Goal,
) -> Result<()> {
    let base = estimate(target, group, baseline)?;
    let ours = estimate(target, group, sdk)?;
    writeln!(
        out,
        "| {group} | median | 95% interval of the median | spread (MAD) | ratio | goal |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for (name, e) in [(baseline, &base), (sdk, &ours)] {
        let ratio = e.median / base.median;
        let added = e.median - base.median;
        let goal = match goal {
            _ if name != sdk => "baseline".to_string(),
            Goal::Ratio(most) => format!("≤ {most:.2}×, {}", verdict(ratio <= most)),
            Goal::Added(most) => format!(
                "{} added, ≤ {}: {}",
                duration(added),
                duration(most),
                verdict(added <= most)
            ),
        };
        writeln!(
            out,
            "| {name} | {} | {} – {} | ± {:.1}% | {ratio:.3}× | {goal} |",
            duration(e.median),
            duration(e.low),
            duration(e.high),
            e.mad / e.median * 100.0,
        )?;
    }
    writeln!(out)?;
    Ok(())
}

fn overhead(out: &mut String, target: &Path) -> Result<()> {
    writeln!(out, "## 1. Per-call overhead\n")?;
    writeln!(
        out,
        "`get_project` through the SDK against the identical request through bare \
         reqwest (decoded into the same type), to one loopback server answering \
         with a canned body. Pacing off, keep-alive on.\n\n\
         Reproduce: `cargo bench -p studio-benches --bench overhead`\n"
    )?;
    criterion_table(
        out,
        target,
        "overhead_async",
        ("reqwest", "studio_api"),
        Goal::Ratio(1.05),
    )?;
    criterion_table(
        out,
        target,
        "overhead_blocking",
        ("reqwest", "studio_api_blocking"),
        Goal::Ratio(1.10),
    )
}

fn decode(out: &mut String, target: &Path) -> Result<()> {
    writeln!(out, "## 2. Decoding\n")?;
    let size = |group: &str| -> Result<String> {
        let path = target.join(format!("criterion/{group}/studio_api/new/benchmark.json"));
        Ok(format!(
            "{:.0} KB",
            number(&read(&path)?, "/throughput/Bytes")? / 1e3
        ))
    };
    writeln!(
        out,
        "`list_frames` answering with one page of 100 frames ({}) and with one \
         10,000-frame document ({}), through the SDK against reqwest reading the \
         same body and `serde_json::from_slice` into the same generated type.\n\n\
         Reproduce: `cargo bench -p studio-benches --bench decode`\n",
        size("decode_100_frames")?,
        size("decode_10000_frames")?,
    )?;
    for group in ["decode_100_frames", "decode_10000_frames"] {
        criterion_table(
            out,
            target,
            group,
            ("serde_json", "studio_api"),
            Goal::Ratio(1.10),
        )?;
    }
    Ok(())
}

fn quota(out: &mut String, target: &Path) -> Result<()> {
    let json = read(&target.join("bench-results/quota.json"))?;
    writeln!(out, "## 3. Quota utilisation\n")?;
    writeln!(
        out,
        "{} `get_project` calls from {} concurrent tasks against studio-mock \
         allowing {} requests per API key per {} s window, {} runs each. The \
         baseline does what most SDKs do: no pacing, and on a 429 up to two \
         retries after `Retry-After` (exponential backoff with jitter without \
         one). The quota's minimum is requests ÷ quota × window = {} s; a run \
         that starts inside a window can finish sooner, so *quota used* counts \
         the requests served against the quota of every window the run touched.\n\n\
         Reproduce: `cargo bench -p studio-benches --bench quota`\n",
        json["requests"],
        json["tasks"],
        json["quota"],
        json["window_seconds"],
        json["runs"],
        number(&json, "/studio_api/minimum_seconds")?,
    )?;
    writeln!(
        out,
        "| client | wall time, median (min – max) | ÷ minimum | quota used | 429s received | errors surfaced | goal |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for client in ["baseline", "studio_api"] {
        let at = |field: &str| number(&json, &format!("/{client}/{field}"));
        let used = at("quota_used/median")?;
        let too_many = at("too_many_requests/median")?;
        let errors = at("errors/median")?;
        let goal = if client == "studio_api" {
            let met =
                used >= 0.95 && at("too_many_requests/max")? == 0.0 && at("errors/max")? == 0.0;
            format!("≥ 95% used, no 429, no error: {}", verdict(met))
        } else {
            "baseline".to_string()
        };
        writeln!(
            out,
            "| {client} | {:.2} s ({:.2} – {:.2}) | {:.2}× | {:.1}% | {too_many} | {errors} | {goal} |",
            at("wall_seconds/median")?,
            at("wall_seconds/min")?,
            at("wall_seconds/max")?,
            at("wall_seconds/median")? / at("minimum_seconds")?,
            used * 100.0,
        )?;
    }
    writeln!(out)?;
    Ok(())
}

fn waiting(out: &mut String, target: &Path) -> Result<()> {
    let json = read(&target.join("bench-results/waiting.json"))?;
    writeln!(out, "## 4. Waiting\n")?;
    writeln!(
        out,
        "Generation jobs lasting 1, 10 and 60 time units of {} s, waited on with \
         `wait()` and its default schedule, against a baseline polling every unit; \
         {} jobs of each length per client, each on a server of its own. *Delay* \
         is the time from the job's end to `wait()` returning, as a share of the \
         job's length (an upper bound: the job's start is taken as the moment its \
         request was sent).\n\n\
         Reproduce: `cargo bench -p studio-benches --bench waiting`\n",
        json["unit_seconds"], json["samples"],
    )?;
    writeln!(
        out,
        "| job length | client | polls, median (min – max) | delay, median (min – max) | goal |"
    )?;
    writeln!(out, "|---|---|---|---|---|")?;
    let lengths = json["lengths"].as_array().context("no lengths")?;
    let longest = lengths.iter().filter_map(|l| l["units"].as_u64()).max();
    for length in lengths {
        let units = length["units"].as_u64().context("no units")?;
        let units_seconds = units as f64 * number(&json, "/unit_seconds")?;
        for client in ["baseline", "studio_api"] {
            let at = |field: &str| number(length, &format!("/{client}/{field}"));
            let delay = at("delay_fraction/median")?;
            let goal = match client {
                "baseline" => "baseline".to_string(),
                _ if Some(units) == longest => {
                    let polls = at("polls/max")?;
                    format!(
                        "< 10 polls, delay ≤ 10%: {}",
                        verdict(polls < 10.0 && delay <= 0.10)
                    )
                }
                _ => format!("delay ≤ 10%: {}", verdict(delay <= 0.10)),
            };
            writeln!(
                out,
                "| {units}× ({units_seconds} s) | {client} | {} ({} – {}) | {:.1}% ({:.1}% – {:.1}%) | {goal} |",
                at("polls/median")?,
                at("polls/min")?,
                at("polls/max")?,
                delay * 100.0,
                at("delay_fraction/min")? * 100.0,
                at("delay_fraction/max")? * 100.0,
            )?;
        }
    }
    writeln!(out)?;
    Ok(())
}

fn storyboard(out: &mut String, target: &Path) -> Result<()> {
    let json = read(&target.join("bench-results/storyboard.json"))?;
    writeln!(out, "## 5. Storyboard at scale\n")?;
    writeln!(
        out,
        "{} frames in one project against studio-mock allowing {} requests per API key \
         per {} s window (time-scaled: a window stands for a minute), poll schedules \
         scaled by 1/60, {} runs each. Coalesced waiting (the default) against \
         per-handle waiting (`coalesced_waiting(false)`: every handle polls by id, as \
         before). *Pipeline*: every shot in its own task, image, `wait()`, video, \
         `wait()`, jobs lasting 5 windows; floor max(2 + 10, 4 + 5) = 12 windows. *All \
         at once*: {} image jobs of one window submitted, then `wait_all`; floor 3 \
         windows. The floors assume the run starts as a window opens; one that starts \
         inside a window gets that window's quota too, so it can finish sooner. *Wall \
         time* runs from the first submission to the last result; polls are listings \
         plus polls by id, as counted by the server; 429s are those the client saw.\n\n\
         Reproduce: `cargo bench -p studio-benches --bench storyboard`\n",
        json["frames"], json["quota"], json["window_seconds"], json["runs"], json["frames"],
    )?;
    writeln!(
        out,
        "| scenario | waiting | wall time, median (min – max) | ÷ floor | submissions | polls (listings + by id) | polls per job | 429s | errors | goal |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|")?;
    for (scenario, ratio_goal) in [("pipeline", 1.15), ("all_at_once", 1.05)] {
        for waiting in ["per_handle", "coalesced"] {
            let at =
                |field: &str| number(&json, &format!("/scenarios/{scenario}/{waiting}/{field}"));
            let ratio = at("wall_seconds/median")? / at("floor_seconds")?;
            let per_job = at("polls/median")? / at("jobs")?;
            let goal = if waiting == "coalesced" {
                let met = ratio <= ratio_goal
                    && per_job <= 0.2
                    && at("too_many_requests/max")? == 0.0
                    && at("errors/max")? == 0.0;
                format!(
                    "≤ {ratio_goal:.2}× the floor, ≤ 0.2 polls per job, no 429, no error: {}",
                    verdict(met)
                )
            } else {
                "baseline".to_string()
            };
            writeln!(
                out,
                "| {scenario} | {waiting} | {:.2} s ({:.2} – {:.2}) | {ratio:.2}× | {} | {} ({} + {}) | {per_job:.2} | {} | {} | {goal} |",
                at("wall_seconds/median")?,
                at("wall_seconds/min")?,
                at("wall_seconds/max")?,
                at("submissions/median")?,
                at("polls/median")?,
                at("listings/median")?,
                at("polls_by_id/median")?,
                at("too_many_requests/median")?,
                at("errors/median")?,
            )?;
        }
    }
    writeln!(out)?;
    Ok(())
}

fn build(out: &mut String, target: &Path) -> Result<()> {
    let json = read(&target.join("bench-results/build.json"))?;
    writeln!(out, "## 6. Build and generation cost\n")?;
    writeln!(
        out,
        "The spec as it is, and with its operations repeated (copies renamed, \
         components shared). *Codegen* is `cargo xtask codegen`'s work in-process \
         (5 runs); *clean build* is a debug `cargo build -p studio-api -p \
         studio-api-blocking` with an empty target directory, dependencies \
         included; *our crates* rebuilds only those two (one build each, so no \
         spread: a clean build takes most of a minute). Ratios are against the \
         spec as it is. No goal was set: this shows how cost grows with the API.\n\n\
         Reproduce: `cargo xtask bench-build`\n"
    )?;
    writeln!(
        out,
        "| operations | generated lines | codegen, median (min – max) | ratio | clean build | ratio | our crates | ratio |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    let rows = json["rows"].as_array().context("no rows")?;
    let first = rows.first().context("no rows")?;
    let ratio = |row: &Value, field: &str| -> Result<String> {
        let pointer = format!("/{field}");
        Ok(format!(
            "{:.2}×",
            number(row, &pointer)? / number(first, &pointer)?
        ))
    };
    for row in rows {
        writeln!(
            out,
            "| {} | {} | {:.2} s ({:.2} – {:.2}) | {} | {:.1} s | {} | {:.1} s | {} |",
            row["operations"],
            row["generated_lines"],
            number(row, "/codegen_median")?,
            number(row, "/codegen_min")?,
            number(row, "/codegen_max")?,
            ratio(row, "codegen_median")?,
            number(row, "/clean_build")?,
            ratio(row, "clean_build")?,
            number(row, "/crates_build")?,
            ratio(row, "crates_build")?,
        )?;
    }
    Ok(())
}

fn shared_quota(out: &mut String, target: &Path) -> Result<()> {
    let json = read(&target.join("bench-results/shared_quota.json"))?;
    writeln!(out, "\n## 7. Shared quota across processes\n")?;
    writeln!(
        out,
        "Worker processes each making {} `get_project` calls, one after another, \
         with one API key against studio-mock allowing {} requests per key per {} s \
         window, {} runs each. *redis*: every worker paces through the shared store \
         (`redis-server` on loopback); *in_process*, the baseline: each paces alone, \
         told about the others only by the server's headers and 429s. The minimum is \
         requests ÷ quota × window; *quota used* counts the calls served against the \
         quota of every window the run touched.\n\n\
         Reproduce: `cargo bench -p studio-benches --bench shared_quota`\n",
        json["calls_per_process"], json["quota"], json["window_seconds"], json["runs"],
    )?;
    writeln!(
        out,
        "| processes | store | wall time, median (min – max) | ÷ minimum | quota used | 429s received | failed calls | goal |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    let configurations = json["configurations"]
        .as_array()
        .context("no configurations")?;
    for configuration in configurations {
        for store in ["in_process", "redis"] {
            let at = |field: &str| number(configuration, &format!("/{store}/{field}"));
            let used = at("quota_used/median")?;
            let goal = if store == "redis" {
                let met =
                    used >= 0.90 && at("too_many_requests/max")? == 0.0 && at("errors/max")? == 0.0;
                format!("no 429, no failed call, ≥ 90% used: {}", verdict(met))
            } else {
                "baseline".to_string()
            };
            writeln!(
                out,
                "| {} | {store} | {:.2} s ({:.2} – {:.2}) | {:.2}× | {:.1}% | {} | {} | {goal} |",
                configuration["processes"],
                at("wall_seconds/median")?,
                at("wall_seconds/min")?,
                at("wall_seconds/max")?,
                at("wall_seconds/median")? / at("minimum_seconds")?,
                used * 100.0,
                at("too_many_requests/median")?,
                at("errors/median")?,
            )?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "What the shared store costs a call: `get_project` with pacing on, its budget \
         in this process against in Redis on loopback (a take before the request, a \
         correction after the response: two script calls), to the canned server of \
         section 1. That server announces a quota of a billion a second in its \
         `X-RateLimit-*` headers, which both stores follow, so neither throttles the \
         loop.\n\n\
         Reproduce: `cargo bench -p studio-benches --bench overhead -- overhead_paced`\n"
    )?;
    criterion_table(
        out,
        target,
        "overhead_paced",
        ("in_process", "redis"),
        Goal::Added(300_000.0),
    )
}
