//! xtask's integration tests, one module per command, in one binary.

mod bench_build;
mod bench_report;
mod codegen;
