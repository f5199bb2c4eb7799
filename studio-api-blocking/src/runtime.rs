//! The blocking `Client`: an async client plus the runtime that drives it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use studio_api::{Credential, Error};

/// The message returned when a blocking call is made on a Tokio runtime thread.
const INSIDE_RUNTIME: &str = "studio_api_blocking::Client was called from inside a Tokio runtime, \
     where blocking would stall it; use the async studio_api::Client there";

/// A blocking client for the Studio API.
///
/// Cloning is cheap: clones share the HTTP connection pool and the one
/// runtime the first client created.
#[derive(Clone, Debug)]
pub struct Client {
    inner: studio_api::Client,
    runtime: Arc<OwnedRuntime>,
}

impl Client {
    /// Wraps an async client, starting the runtime that will drive it.
    ///
    /// Fails only if the operating system refuses the runtime's thread.
    pub fn from_async(inner: studio_api::Client) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("studio-api-blocking")
            .enable_all()
            .build()?;
        Ok(Client {
            inner,
            runtime: Arc::new(OwnedRuntime(Some(runtime))),
        })
    }

    /// A client for `base_url` (e.g. `https://mstudio.ai/api/v1`) that sends
    /// `credential` with every request.
    pub fn with_credential(base_url: &str, credential: Credential) -> std::io::Result<Self> {
        Self::from_async(studio_api::Client::with_credential(base_url, credential))
    }

    /// The async client underneath, for code that mixes both styles.
    pub fn as_async(&self) -> &studio_api::Client {
        &self.inner
    }

    /// Drives `future` to completion on the owned runtime.
    ///
    /// On a thread that is already running a Tokio runtime this returns an
    /// error instead of panicking.
    #[allow(clippy::result_large_err)] // the generated `send()` returns this error type as is
    pub(crate) fn block_on<T, E>(
        &self,
        future: impl Future<Output = Result<T, Error<E>>>,
    ) -> Result<T, Error<E>> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::Custom(INSIDE_RUNTIME.into()));
        }
        match &self.runtime.0 {
            Some(runtime) => runtime.block_on(future),
            None => unreachable!("the runtime is only taken when the client is dropped"),
        }
    }
}

/// The runtime, shut down without blocking when the last clone is dropped,
/// so dropping a client inside async code does not panic.
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl fmt::Debug for OwnedRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnedRuntime")
    }
}
