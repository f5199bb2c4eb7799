//! The benchmark report: every table rendered from the results the
//! benchmarks leave, with each goal judged from the numbers.

use serde_json::{Value, json};
use std::path::Path;
use xtask::bench_report::render;

fn write(path: &Path, value: &Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, value.to_string()).unwrap();
}

/// Criterion's files for one benchmark whose median is `median` ns.
fn criterion(target: &Path, group: &str, name: &str, median: f64) {
    let dir = target.join("criterion").join(group).join(name).join("new");
    let interval = json!({ "lower_bound": median * 0.98, "upper_bound": median * 1.02 });
    write(
        &dir.join("estimates.json"),
        &json!({
            "median": { "point_estimate": median, "confidence_interval": interval },
            "median_abs_dev": { "point_estimate": median * 0.05 },
        }),
    );
    write(
        &dir.join("benchmark.json"),
        &json!({ "throughput": { "Bytes": 49_881 } }),
    );
}

fn spread(median: f64) -> Value {
    json!({ "median": median, "min": median, "max": median })
}

/// Results where the async overhead (1.2×), the longest wait's polls (12),
/// the storyboard's polls when all jobs are waited on at once (0.28 per
/// job) and the shared quota's use with 16 processes (85%) miss their goals,
/// and everything else (the Redis store's 250 µs added among them) meets
/// them.
fn results(target: &Path) {
    criterion(target, "overhead_async", "reqwest", 100_000.0);
    criterion(target, "overhead_async", "studio_api", 120_000.0);
    criterion(target, "overhead_blocking", "reqwest", 100_000.0);
    criterion(
        target,
        "overhead_blocking",
        "studio_api_blocking",
        101_000.0,
    );
    for group in ["decode_100_frames", "decode_10000_frames"] {
        criterion(target, group, "serde_json", 2e6);
        criterion(target, group, "studio_api", 2e6);
    }
    let client = |used: f64, too_many: f64| {
        json!({
            "wall_seconds": spread(9.0), "minimum_seconds": 10.0, "quota_used": spread(used),
            "too_many_requests": spread(too_many), "errors": spread(0.0),
        })
    };
    write(
        &target.join("bench-results/quota.json"),
        &json!({
            "requests": 600, "tasks": 16, "quota": 60, "window_seconds": 1.0, "runs": 3,
            "studio_api": client(1.0, 0.0), "baseline": client(0.8, 144.0),
        }),
    );
    let wait =
        |polls: f64, delay: f64| json!({ "polls": spread(polls), "delay_fraction": spread(delay) });
    write(
        &target.join("bench-results/waiting.json"),
        &json!({ "unit_seconds": 1.0, "samples": 3, "lengths": [
            { "units": 10, "studio_api": wait(4.0, 0.01), "baseline": wait(10.0, 0.01) },
            { "units": 60, "studio_api": wait(12.0, 0.01), "baseline": wait(60.0, 0.01) },
        ]}),
    );
    let row = |factor: u32, seconds: f64| {
        json!({
            "factor": factor, "operations": 66 * factor, "generated_lines": 27_000 * factor,
            "codegen_median": seconds, "codegen_min": seconds, "codegen_max": seconds,
            "clean_build": 100.0 * seconds, "crates_build": 10.0 * seconds,
        })
    };
    write(
        &target.join("bench-results/build.json"),
        &json!({ "operations_base": 66, "rows": [row(1, 0.5), row(2, 1.0)] }),
    );
    // One side of a storyboard scenario: (floor, jobs) and what it measured.
    let side = |(floor, jobs): (f64, f64), wall: f64, listings: f64, by_id: f64, too_many: f64| {
        json!({
            "floor_seconds": floor, "jobs": jobs, "wall_seconds": spread(wall),
            "submissions": spread(240.0), "polls": spread(listings + by_id),
            "listings": spread(listings), "polls_by_id": spread(by_id),
            "too_many_requests": spread(too_many), "errors": spread(0.0),
        })
    };
    let (pipeline, at_once) = ((12.0, 240.0), (3.0, 120.0));
    write(
        &target.join("bench-results/storyboard.json"),
        &json!({
            "frames": 120, "quota": 60, "window_seconds": 1.0, "runs": 2,
            "scenarios": {
                "pipeline": {
                    "per_handle": side(pipeline, 24.0, 0.0, 1200.0, 3.0),
                    "coalesced": side(pipeline, 13.2, 36.0, 0.0, 0.0),
                },
                "all_at_once": {
                    "per_handle": side(at_once, 4.0, 0.0, 120.0, 0.0),
                    "coalesced": side(at_once, 3.0, 3.0, 30.0, 0.0),
                },
            },
        }),
    );
    criterion(target, "overhead_paced", "in_process", 100_000.0);
    criterion(target, "overhead_paced", "redis", 350_000.0);
    let store = |used: f64, too_many: f64, failed: f64| {
        json!({
            "wall_seconds": spread(10.5), "minimum_seconds": 10.0, "quota_used": spread(used),
            "too_many_requests": spread(too_many), "errors": spread(failed),
        })
    };
    write(
        &target.join("bench-results/shared_quota.json"),
        &json!({
            "calls_per_process": 150, "quota": 60, "window_seconds": 1.0, "runs": 2,
            "configurations": [
                { "processes": 4, "redis": store(0.95, 0.0, 0.0), "in_process": store(0.9, 30.0, 2.0) },
                { "processes": 16, "redis": store(0.85, 0.0, 0.0), "in_process": store(0.7, 300.0, 9.0) },
            ],
        }),
    );
    let stamp = |commit: &str| json!({ "date": "2026-12-08 01:00 UTC", "commit": commit });
    write(
        &target.join("bench-results/stamps.json"),
        &json!({ "bench": stamp("abc1234567"), "build": stamp("abc1234567"), "instructions": stamp("def7654321") }),
    );
    let row = |name: &str, base: f64, ours: f64, goal: Option<f64>| {
        json!({
            "name": name, "calls": [300, 900], "goal": goal,
            "baseline": { "client": "reqwest", "per_call": base },
            "ours": { "client": "sdk", "per_call": ours },
        })
    };
    write(
        &target.join("bench-results/instructions.json"),
        &json!([
            row("get_project, async", 100_000.0, 120_000.0, Some(1.10)),
            row(
                "get_project, async, fmt subscriber",
                100_000.0,
                150_000.0,
                None
            ),
            row("list_frames, 100 frames", 1e6, 1.01e6, Some(1.05)),
        ]),
    );
}

fn line<'a>(report: &'a str, start: &str) -> &'a str {
    report
        .lines()
        .find(|line| line.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?} in\n{report}"))
}

#[test]
fn each_table_shows_the_ratio_and_judges_the_goal() {
    let target = tempfile::tempdir().unwrap();
    results(target.path());
    let report = render(target.path(), "a test machine").unwrap();

    assert!(report.contains("Machine: a test machine."));
    let async_row = line(&report, "| studio_api | 120.0 µs");
    assert!(
        async_row.contains("| 1.200× | ≤ 1.05×, **missed** |"),
        "{async_row}"
    );
    let blocking_row = line(&report, "| studio_api_blocking |");
    assert!(
        blocking_row.contains("| 1.010× | ≤ 1.10×, met |"),
        "{blocking_row}"
    );
    assert!(report.contains("one page of 100 frames (50 KB)"));
    assert!(line(&report, "| studio_api | 2.00 ms").contains("met"));

    let quota = line(&report, "| studio_api | 9.00 s");
    assert!(
        quota.contains("| 0.90× | 100.0% | 0 | 0 | ≥ 95% used, no 429, no error: met |"),
        "{quota}"
    );
    assert!(line(&report, "| baseline | 9.00 s").contains("| 80.0% | 144 |"));

    let longest = line(&report, "| 60× (60 s) | studio_api |");
    assert!(
        longest.contains("< 10 polls, delay ≤ 10%: **missed**"),
        "{longest}"
    );
    assert!(line(&report, "| 10× (10 s) | studio_api |").contains("delay ≤ 10%: met"));

    let shared = line(&report, "| 4 | redis |");
    assert!(
        shared.contains("| 1.05× | 95.0% | 0 | 0 | no 429, no failed call, ≥ 90% used: met |"),
        "{shared}"
    );
    assert!(line(&report, "| 16 | redis |").contains("≥ 90% used: **missed**"));
    assert!(line(&report, "| 16 | in_process |").contains("| 70.0% | 300 | 9 | baseline |"));
    let cost = line(&report, "| redis | 350.0 µs");
    assert!(
        cost.contains("| 3.500× | 250.0 µs added, ≤ 300.0 µs: met |"),
        "{cost}"
    );

    let pipeline = line(&report, "| pipeline | coalesced |");
    assert!(
        pipeline.contains("| 1.10× | 240 | 36 (36 + 0) | 0.15 | 0 | 0 |"),
        "{pipeline}"
    );
    assert!(pipeline.ends_with("no 429, no error: met |"), "{pipeline}");
    assert!(line(&report, "| pipeline | per_handle |").contains("| 2.00× |"));
    assert!(line(&report, "| pipeline | per_handle |").ends_with("| baseline |"));
    let at_once = line(&report, "| all_at_once | coalesced |");
    assert!(at_once.contains("| 0.28 |"), "{at_once}");
    assert!(at_once.ends_with("**missed** |"), "{at_once}");

    // Every section says when it was measured and on what code.
    assert_eq!(report.matches("\n## ").count(), 8, "{report}");
    assert_eq!(
        report
            .matches("\n\nMeasured 2026-12-08 01:00 UTC, on commit ")
            .count(),
        8,
        "{report}"
    );
    assert!(report.contains("on commit def7654321."), "{report}");
    let missed = line(&report, "| get_project, async | 300 and 900 |");
    assert!(
        missed.contains("| 100.0k | sdk | 120.0k | 1.200× | ≤ 1.10×, **missed** |"),
        "{missed}"
    );
    assert!(line(&report, "| get_project, async, fmt").ends_with("| shown |"));
    assert!(line(&report, "| list_frames, 100 frames").ends_with("≤ 1.05×, met |"));

    let doubled = line(&report, "| 132 |");
    assert!(
        doubled.contains("| 2.00× | 100.0 s | 2.00× | 10.0 s | 2.00× |"),
        "{doubled}"
    );
}

#[test]
fn missing_results_name_the_file_and_say_what_to_run() {
    let target = tempfile::tempdir().unwrap();
    let error = render(target.path(), "m").unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("estimates.json"), "{message}");
    assert!(message.contains("run the benchmarks first"), "{message}");
}
