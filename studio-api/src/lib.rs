//! Async Rust client for the [Studio API](https://mstudio.ai): storyboard
//! projects, frames, AI image and video generation jobs, audio, assets,
//! exports, teams and voices.
//!
//! Every operation of `openapi/studio.yaml` is a method on [`Client`] that
//! returns a builder: set its parameters, then `send().await`.
//!
//! ```no_run
//! use studio_api::{Client, Credential};
//!
//! # async fn run() -> Result<(), studio_api::Error<studio_api::types::ErrorResponse>> {
//! let client = Client::with_credential(
//!     "https://mstudio.ai/api/v1",
//!     Credential::api_key("sk_live_your_key_here"),
//! );
//! let projects = client.list_projects().limit(10u32).send().await?;
//! for project in &projects.data {
//!     println!("{} {}", project.id, project.name);
//! }
//! # Ok(())
//! # }
//! ```

mod config;
#[allow(
    clippy::all,
    clippy::pedantic,
    missing_docs,
    rustdoc::broken_intra_doc_links,
    rustdoc::bare_urls
)]
#[rustfmt::skip]
mod generated;
mod hooks;
#[rustfmt::skip]
pub mod operations;

pub use config::{ClientState, Credential};
pub use generated::*;

impl Client {
    /// A client for `base_url` (e.g. `https://mstudio.ai/api/v1`) that sends
    /// `credential` with every request.
    pub fn with_credential(base_url: &str, credential: Credential) -> Self {
        Client::new(base_url, ClientState::new(credential))
    }
}
