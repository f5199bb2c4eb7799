//! What must not compile: values of the wrong type for a setter, and the
//! generated plumbing that is not part of the API. (What must compile, the
//! plain values a user has in hand, is written out in the tests crate's
//! `wire.rs` and `updates.rs` and in the examples, which build with every
//! test run.)
//!
//! Each `fail/NAME.rs` is checked by rustc against the two clients as a
//! user's project gets them (default features), and what rustc says must
//! match `fail/NAME.stderr`. The clients are checked by cargo in the
//! workspace's own target directory, so their dependencies are checked
//! once and shared with every other build there. `COMPILE_FAIL=overwrite`
//! rewrites the `.stderr` files from what rustc says.

use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn wrong_types_and_hidden_plumbing_do_not_compile() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let clients = check_clients(root);
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fail"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases in fail/");
    let overwrite = std::env::var_os("COMPILE_FAIL").is_some_and(|v| v == "overwrite");
    let mut mismatches = Vec::new();
    for case in &cases {
        let said = check_case(root, case, &clients);
        let expected = case.with_extension("stderr");
        if overwrite {
            std::fs::write(&expected, &said).unwrap();
            continue;
        }
        let wanted = std::fs::read_to_string(&expected).unwrap_or_default();
        if said != wanted {
            mismatches.push(format!(
                "{}: rustc said\n{said}\ninstead of {}:\n{wanted}",
                case.display(),
                expected.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// `--extern` arguments for `studio_api` and `studio_api_blocking`, from
/// a `cargo check` of just those two packages (so with the features a
/// user's project gets, not the workspace's).
fn check_clients(root: &Path) -> Vec<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["check", "--quiet", "--message-format=json"])
        .args(["-p", "studio-api", "-p", "studio-api-blocking"])
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "cargo check of the clients failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let externs: Vec<String> = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter_map(|message| {
            let name = message["target"]["name"].as_str()?;
            let rmeta = message["filenames"]
                .as_array()?
                .iter()
                .filter_map(|file| file.as_str())
                .find(|file| file.ends_with(".rmeta"))?;
            ["studio_api", "studio_api_blocking"]
                .contains(&name)
                .then(|| format!("{name}={rmeta}"))
        })
        .collect();
    assert_eq!(externs.len(), 2, "both clients checked:\n{stdout}");
    externs
}

/// What rustc says of `case`, which must fail to compile, in a form that
/// does not change with the generated code's length (see [`normalize`]).
fn check_case(root: &Path, case: &Path, clients: &[String]) -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let relative = case.strip_prefix(root).unwrap();
    let deps = Path::new(clients[0].split_once('=').unwrap().1)
        .parent()
        .unwrap()
        .to_owned();
    let out = std::env::temp_dir().join(format!("studio-compile-fail-{}", std::process::id()));
    let mut command = Command::new(rustc);
    command
        .current_dir(root)
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "bin",
            "--emit=metadata",
        ])
        .args(["--color", "never", "-A", "dead_code"])
        .arg("--out-dir")
        .arg(&out)
        .arg("-L")
        .arg(format!("dependency={}", deps.display()));
    for client in clients {
        command.args(["--extern", client]);
    }
    let output = command.arg(relative).output().expect("rustc runs");
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        !output.status.success(),
        "{} compiled, and must not",
        case.display()
    );
    normalize(&String::from_utf8_lossy(&output.stderr), relative)
}

/// rustc's text with what moves when the generated code or the spec
/// change taken out: locations in other files than `case` lose their line
/// and column, every source line its gutter number and indent, "and N
/// others" its count; the closing summary lines are dropped.
fn normalize(said: &str, case: &Path) -> String {
    let case = case.to_string_lossy();
    let mut lines = Vec::new();
    for line in said.lines() {
        if line.starts_with("error: aborting due to")
            || line.starts_with("Some errors have detailed explanations")
            || line.starts_with("For more information about")
        {
            continue;
        }
        let trimmed = line.trim_start();
        let line = if let Some(location) = ["--> ", "::: "]
            .iter()
            .find_map(|arrow| trimmed.strip_prefix(arrow).map(|rest| (arrow, rest)))
        {
            let (arrow, place) = location;
            match place.starts_with(&*case) {
                true => format!("{arrow}{place}"),
                false => format!("{arrow}{}", place.split(':').next().unwrap()),
            }
        } else if let Some((gutter, source)) = trimmed.split_once('|')
            && gutter.trim().chars().all(|c| c.is_ascii_digit())
        {
            format!("|{source}")
        } else {
            trimmed.to_owned()
        };
        lines.push(others_counted(&line));
    }
    let mut text = lines.join("\n").trim_end().to_owned();
    text.push('\n');
    text
}

/// `and 12 others` as `and $N others`.
fn others_counted(line: &str) -> String {
    match line
        .strip_prefix("and ")
        .and_then(|rest| rest.strip_suffix(" others"))
    {
        Some(count) if count.chars().all(|c| c.is_ascii_digit()) => "and $N others".to_owned(),
        _ => line.to_owned(),
    }
}
