//! Async Rust client for the [Studio API](https://mstudio.ai): storyboard
//! projects, frames, AI image and video generation jobs, audio, assets,
//! exports, teams and voices.
//!
//! Every operation of `openapi/studio.yaml` is a method on [`Client`] that
//! returns a builder: set its parameters, then `send().await`. Every failure
//! is an [`Error`] whose [`kind`](Error::kind) says what went wrong.
//!
//! ```no_run
//! use studio_api::{Client, ErrorKind};
//!
//! # async fn run() -> Result<(), studio_api::Error> {
//! let client = Client::from_env()?; // STUDIO_API_KEY or STUDIO_BEARER_TOKEN
//! match client.list_projects().limit(10).send().await {
//!     Ok(projects) => {
//!         for project in &projects.data {
//!             println!("{} {}", project.id, project.name);
//!         }
//!     }
//!     Err(error) if matches!(error.kind(), ErrorKind::MissingScope { .. }) => {
//!         eprintln!("this key cannot list projects: {error}");
//!     }
//!     Err(error) => return Err(error),
//! }
//! # Ok(())
//! # }
//! ```

mod call;
mod clock;
mod config;
mod error;
mod field;
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
mod jobs;
mod options;
mod pacing;
mod pages;
mod recovery;
mod retry;
#[cfg(feature = "shared-quota")]
mod shared_quota;
mod transfer;
mod unknown;
#[rustfmt::skip]
pub mod operations;

pub use config::{BuiltClient, ClientBuilder, ClientState, Credential, DEFAULT_BASE_URL};
pub use error::{Error, ErrorKind};
pub use field::IntoField;
pub use generated::*;
pub use jobs::{Handle, PollSchedule, Pollable, Work, progress_all, wait_all};
pub use options::CallOptions;
pub use pages::Pages;
pub use retry::RetryEvent;
pub use unknown::UnknownValue;

impl Client {
    /// Settings for a client; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from `STUDIO_API_KEY` or `STUDIO_BEARER_TOKEN`
    /// and `STUDIO_BASE_URL` (default `https://mstudio.ai/api/v1`).
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env().build()
    }

    /// The base URL every request goes to, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.baseurl
    }

    /// The credential sent with every request, if any.
    pub fn credential(&self) -> Option<&Credential> {
        self.inner.credential()
    }

    /// A client for `base_url` that sends `credential` with every request,
    /// after the same checks as [`ClientBuilder::build`].
    pub fn with_credential(base_url: &str, credential: Credential) -> Result<Self, Error> {
        ClientBuilder::new()
            .base_url(base_url)
            .credential(credential)
            .build()
    }
}
