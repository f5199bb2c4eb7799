//! The cross-crate tests, one module per area, in one binary so that they
//! build once and run in parallel. Files that read or change what a whole
//! process shares (the environment, the global tracing subscriber, peak
//! memory, the count of threads) are binaries of their own; see Cargo.toml.

#[macro_use]
mod edges;

mod blocking_threads;
mod coalesced;
mod deadlines;
mod downloads;
mod edges_async;
mod edges_blocking;
mod errors;
mod faults;
mod job_final_state;
mod options;
mod origin;
mod pacing;
mod paths;
mod promises;
mod public_api;
mod recovery;
mod setters;
mod shared_quota;
mod surface;
mod unknown_in_requests;
mod unknown_job_status;
mod unknown_values;
mod updates;
mod wire;
