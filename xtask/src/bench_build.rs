//! `cargo xtask bench-build`: how codegen and build cost grow with the API.
//!
//! The spec is scaled by repeating its operations under new names
//! ([`synthesize`]); for each size factor, codegen is timed in-process, and
//! the generated crates are built in a scratch copy of the workspace: once
//! clean (dependencies included), once more after cleaning only
//! `studio-api` and `studio-api-blocking`, the part that grows with the spec.
//! Results go to a table on stdout and to `target/bench-results/build.json`.

use crate::{GeneratedFile, SPEC_PATH, generate, spec};
use anyhow::{Context, Result, bail};
use serde_yaml::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use std::{env, fs};

/// The crates the scratch workspace builds; the generated files belong to them.
const CRATES: [&str; 2] = ["studio-api", "studio-api-blocking"];

/// How many times codegen is timed per factor.
const CODEGEN_RUNS: usize = 5;

/// The spec with its operations repeated `factor` times.
///
/// Copy k (k = 2..=factor) of every path is prefixed with `/copyk` and each
/// of its operationIds suffixed with `_copyk`, e.g. `/copy2/projects/{project_id}`
/// with `get_project_copy2` (and its CLI command `projects get-copy2`).
/// Components are shared, not copied. Factor 1 is
/// the spec unchanged.
pub fn synthesize(spec: &Value, factor: u32) -> Result<Value> {
    if factor == 0 {
        bail!("the size factor must be at least 1");
    }
    let paths = spec
        .get("paths")
        .and_then(Value::as_mapping)
        .context("the spec has no paths")?;
    let mut scaled = paths.clone();
    for k in 2..=factor {
        for (path, item) in paths {
            let path = path.as_str().context("a path is not a string")?;
            let mut item = item.clone();
            if let Some(item) = item.as_mapping_mut() {
                for operation in item.values_mut() {
                    if let Some(Value::String(id)) = operation.get_mut("operationId") {
                        id.push_str(&format!("_copy{k}"));
                    }
                    if let Some(Value::String(command)) = operation.get_mut("x-studio-cli") {
                        command.push_str(&format!("-copy{k}"));
                    }
                }
            }
            scaled.insert(format!("/copy{k}{path}").into(), item);
        }
    }
    let mut spec = spec.clone();
    spec["paths"] = Value::Mapping(scaled);
    Ok(spec)
}

/// Measures every factor in `factors` against the spec under `root`, prints
/// a table and writes `target/bench-results/build.json`. With `codegen_only`,
/// nothing is built and the build times are `null`.
pub fn run(root: &Path, factors: &[u32], codegen_only: bool) -> Result<()> {
    let spec_path = root.join(SPEC_PATH);
    let text = fs::read_to_string(&spec_path)
        .with_context(|| format!("reading {}", spec_path.display()))?;
    let base: Value = serde_yaml::from_str(&text)?;
    let mut rows = Vec::new();
    for &factor in factors {
        eprintln!("factor {factor}: measuring");
        rows.push(measure(root, &base, factor, codegen_only)?);
    }
    print_table(&rows);

    let json = serde_json::json!({
        "operations_base": operation_count(&base)?,
        "rows": rows.iter().map(Row::to_json).collect::<Vec<_>>(),
    });
    let dir = crate::target_dir(root).join("bench-results");
    fs::create_dir_all(&dir)?;
    let out = dir.join("build.json");
    fs::write(&out, serde_json::to_string_pretty(&json)? + "\n")?;
    println!("wrote {}", out.display());
    Ok(())
}

/// The measurements of one size factor, in seconds.
struct Row {
    factor: u32,
    operations: usize,
    codegen_median: f64,
    codegen_min: f64,
    codegen_max: f64,
    clean_build: Option<f64>,
    crates_build: Option<f64>,
    generated_lines: usize,
}

impl Row {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "factor": self.factor,
            "operations": self.operations,
            "codegen_median": self.codegen_median,
            "codegen_min": self.codegen_min,
            "codegen_max": self.codegen_max,
            "clean_build": self.clean_build,
            "crates_build": self.crates_build,
            "generated_lines": self.generated_lines,
        })
    }
}

/// Synthesizes the spec for `factor` into a scratch directory, times codegen
/// on it and, unless `codegen_only`, the two builds there.
fn measure(root: &Path, base: &Value, factor: u32, codegen_only: bool) -> Result<Row> {
    let spec = synthesize(base, factor)?;
    let scratch = Scratch::new(factor)?;
    let spec_path = scratch.0.join(SPEC_PATH);
    fs::create_dir_all(spec_path.parent().expect("the spec path has a directory"))?;
    fs::write(&spec_path, serde_yaml::to_string(&spec)?)?;

    let mut codegen = Vec::with_capacity(CODEGEN_RUNS);
    let mut files = Vec::new();
    for _ in 0..CODEGEN_RUNS {
        let start = Instant::now();
        files = generate(&spec_path).map_err(|e| anyhow::anyhow!("codegen failed: {e:?}"))?;
        codegen.push(start.elapsed().as_secs_f64());
    }
    codegen.sort_by(f64::total_cmp);

    let (clean_build, crates_build) = if codegen_only {
        (None, None)
    } else {
        copy_workspace(root, &scratch.0, &files)?;
        eprintln!("factor {factor}: clean build");
        let clean = cargo(&scratch.0, "build")?;
        cargo(&scratch.0, "clean")?;
        eprintln!("factor {factor}: rebuild of {}", CRATES.join(" and "));
        (Some(clean), Some(cargo(&scratch.0, "build")?))
    };
    Ok(Row {
        factor,
        operations: operation_count(&spec)?,
        codegen_median: codegen[CODEGEN_RUNS / 2],
        codegen_min: codegen[0],
        codegen_max: codegen[CODEGEN_RUNS - 1],
        clean_build,
        crates_build,
        generated_lines: files.iter().map(|f| f.contents.lines().count()).sum(),
    })
}

/// The number of operations of a spec, as codegen counts them.
fn operation_count(spec: &Value) -> Result<usize> {
    let spec: openapiv3::OpenAPI = serde_yaml::from_value(spec.clone())?;
    Ok(spec::operations(&spec).len())
}

/// A scratch directory under the system's temporary directory, removed
/// (target directory and all) when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(factor: u32) -> Result<Self> {
        let dir = env::temp_dir().join(format!(
            "studio-bench-build-{}-x{factor}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Makes `dir` (which already holds the spec) a workspace of just [`CRATES`]
/// with `files` in place: the root manifest with its members reduced, the
/// lock file, and the crates without their dev-dependencies, which name
/// workspace crates that are not copied and which a library build never uses.
fn copy_workspace(root: &Path, dir: &Path, files: &[GeneratedFile]) -> Result<()> {
    let manifest = fs::read_to_string(root.join("Cargo.toml"))?;
    let members = format!(
        "members = [{}]",
        CRATES.map(|c| format!("\"{c}\"")).join(", ")
    );
    let mut replaced = false;
    let manifest: Vec<&str> = manifest
        .lines()
        .map(|line| {
            if line.starts_with("members =") && line.ends_with(']') {
                replaced = true;
                members.as_str()
            } else {
                line
            }
        })
        .collect();
    if !replaced {
        bail!("Cargo.toml has no one-line `members = [...]`");
    }
    fs::write(dir.join("Cargo.toml"), manifest.join("\n") + "\n")?;
    fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))?;
    for krate in CRATES {
        copy_dir(&root.join(krate), &dir.join(krate))?;
        let manifest = dir.join(krate).join("Cargo.toml");
        let text = fs::read_to_string(&manifest)?;
        fs::write(&manifest, without_dev_dependencies(&text))?;
    }
    // Only the copied crates' files: the others (the CLI's, the decode
    // tests) belong to crates the scratch workspace does not hold.
    let copied = |file: &&GeneratedFile| {
        CRATES
            .iter()
            .any(|c| file.path.starts_with(&format!("{c}/")))
    };
    for file in files.iter().filter(copied) {
        fs::write(dir.join(file.path), &file.contents)?;
    }
    Ok(())
}

/// A crate manifest without its `[dev-dependencies]` table.
fn without_dev_dependencies(manifest: &str) -> String {
    let mut in_dev = false;
    let mut out = String::new();
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_dev = line.trim() == "[dev-dependencies]";
        }
        if !in_dev {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Copies the directory tree `from` to `to`.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Runs `cargo <subcommand> --offline -p studio-api -p studio-api-blocking`
/// in `dir` with its own target directory and returns the seconds it took.
fn cargo(dir: &Path, subcommand: &str) -> Result<f64> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .args([subcommand, "--offline"]);
    for krate in CRATES {
        command.args(["-p", krate]);
    }
    let start = Instant::now();
    let output = command
        .output()
        .with_context(|| format!("running cargo {subcommand}"))?;
    let seconds = start.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!(
            "cargo {subcommand} failed in {}:\n{}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(seconds)
}

/// Prints the rows as an aligned table; `-` where nothing was built.
fn print_table(rows: &[Row]) {
    let build = |t: Option<f64>| t.map_or("-".into(), |t| format!("{t:.1}"));
    println!(
        "{:>6} {:>10} {:>9} {:>22} {:>13} {:>14}",
        "factor", "operations", "lines", "codegen s (min-max)", "clean build s", "crates build s"
    );
    for row in rows {
        let codegen = format!(
            "{:.2} ({:.2}-{:.2})",
            row.codegen_median, row.codegen_min, row.codegen_max
        );
        println!(
            "{:>6} {:>10} {:>9} {:>22} {:>13} {:>14}",
            row.factor,
            row.operations,
            row.generated_lines,
            codegen,
            build(row.clean_build),
            build(row.crates_build)
        );
    }
}
