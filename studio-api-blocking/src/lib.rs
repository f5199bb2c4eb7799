//! Blocking Rust client for the Studio API.
//!
//! The same methods, builder setters and types as the async `studio_api`
//! crate; `send()` returns the response without the caller creating a
//! runtime. The client owns one Tokio runtime, shared by all its clones.
//!
//! Calls run on any thread where blocking is allowed: plain threads,
//! `tokio::task::spawn_blocking` and `tokio::task::block_in_place`. Called
//! from async code on a Tokio runtime, where blocking would stall it, they
//! return a configuration error instead; use `studio_api` there.
//!
//! ```no_run
//! use studio_api_blocking::{Client, Credential};
//!
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::with_credential(
//!     "https://mstudio.ai/api/v1",
//!     Credential::api_key("sk_live_your_key_here"),
//! )?;
//! let projects = client.list_projects().limit(10).send()?;
//! for project in &projects.data {
//!     println!("{} {}", project.id, project.name);
//! }
//! # Ok(())
//! # }
//! ```

#[allow(clippy::all, missing_docs, rustdoc::broken_intra_doc_links)]
#[rustfmt::skip]
mod generated;
mod jobs;
mod pages;
mod runtime;
mod transfer;

pub use generated::builder;
pub use jobs::{Handle, Progress, ProgressAll, progress_all, wait_all};
pub use pages::Iter;
pub use runtime::{Client, ClientBuilder};
pub use studio_api::{
    BuiltClient, CallOptions, ErrorKind, IntoField, PollSchedule, Pollable, RetryEvent,
    UnknownValue, Work,
};
pub use studio_api::{
    ByteStream, ClientState, Credential, Error, ResponseValue, operations, types,
};
