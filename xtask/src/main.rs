//! `cargo xtask`: see `xtask --help`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use xtask::{CodegenError, SPEC_PATH, bench_build, bench_report, drift, generate, workspace_root};

#[derive(Parser)]
#[command(about = "Project automation for the Studio SDK")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the clients and the operations table from the spec.
    Codegen {
        /// Write nothing; exit 1 with a diff if a committed file differs.
        #[arg(long)]
        check: bool,
        /// The spec to read (default: openapi/studio.yaml in the workspace).
        #[arg(long)]
        spec: Option<PathBuf>,
    },
    /// Time codegen and the crates' builds on the spec repeated 1, 2, 4… times.
    BenchBuild {
        /// The size factors to measure, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,2,4",
              value_parser = clap::value_parser!(u32).range(1..))]
        factors: Vec<u32>,
        /// Time codegen only; build nothing.
        #[arg(long)]
        codegen_only: bool,
    },
    /// Run every benchmark and rewrite BENCHMARKS.md from the results.
    Benchmarks {
        /// Run nothing; rewrite BENCHMARKS.md from the last results.
        #[arg(long)]
        report_only: bool,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Codegen { check, spec } => codegen(check, spec),
        Command::BenchBuild {
            factors,
            codegen_only,
        } => finish(bench_build::run(&workspace_root(), &factors, codegen_only)),
        Command::Benchmarks { report_only } => {
            finish(bench_report::run(&workspace_root(), report_only))
        }
    }
}

/// Exit 0, or print the error and exit 1.
fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn codegen(check: bool, spec: Option<PathBuf>) -> ExitCode {
    let root = workspace_root();
    let spec = spec.unwrap_or_else(|| root.join(SPEC_PATH));
    let files = match generate(&spec) {
        Ok(files) => files,
        Err(CodegenError::Rules(violations)) => {
            for violation in &violations {
                eprintln!("{violation}");
            }
            eprintln!(
                "{} spec rule violation(s) in {}",
                violations.len(),
                spec.display()
            );
            return ExitCode::from(2);
        }
        Err(CodegenError::Other(error)) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(2);
        }
    };
    if check {
        let diffs = drift(&root, &files);
        if diffs.is_empty() {
            println!("generated files are up to date");
            return ExitCode::SUCCESS;
        }
        for diff in diffs {
            print!("{diff}");
        }
        eprintln!("generated files differ from the spec: run cargo xtask codegen");
        return ExitCode::FAILURE;
    }
    for file in &files {
        if let Err(error) = std::fs::write(root.join(file.path), &file.contents) {
            eprintln!("error: writing {}: {error}", file.path);
            return ExitCode::FAILURE;
        }
        println!("wrote {}", file.path);
    }
    ExitCode::SUCCESS
}
