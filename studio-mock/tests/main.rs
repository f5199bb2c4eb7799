//! studio-mock's integration tests, one module per area, in one binary so
//! that they build once and run in parallel. `exports.rs` sets the
//! process's environment, so it stays a binary of its own.

mod common;

mod blocking;
mod bodies;
mod cli;
mod concurrency;
mod connections;
mod faults;
mod files;
mod jobs;
mod limits;
mod memory;
mod pagination;
mod rules;
mod state;
