//! The blocking `Client`: an async client plus the runtime that drives it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use studio_api::{BuiltClient, Credential, Error};

/// Settings for a blocking [`Client`]: the async crate's builder, the same
/// settings and checks, whose `build()` gives the blocking client.
pub type ClientBuilder = studio_api::ClientBuilder<Client>;

/// The message returned when a blocking call is made on a Tokio runtime thread.
const INSIDE_RUNTIME: &str = "studio_api_blocking::Client was called from inside a Tokio runtime, \
     where blocking would stall it; use the async studio_api::Client there";

/// The message returned when a blocking call is made inside another one.
const NESTED: &str = "studio_api_blocking::Client was called while another of its calls was running \
     on the same thread (from a callback such as on_retry?); call it after that call returns";

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
    pub fn from_async(inner: studio_api::Client) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("studio-api-blocking")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::configuration(
                    "Client::from_async",
                    format!("cannot start the runtime: {e}"),
                )
            })?;
        Ok(Client {
            inner,
            runtime: Arc::new(OwnedRuntime(Some(runtime))),
        })
    }

    /// Settings for a client; see [`ClientBuilder`], whose `build()` gives
    /// this blocking client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `STUDIO_API_KEY` or `STUDIO_BEARER_TOKEN`
    /// and `STUDIO_BASE_URL` (default `https://mstudio.ai/api/v1`).
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().with_env().build()
    }

    /// A client for `base_url` (e.g. `https://mstudio.ai/api/v1`) that sends
    /// `credential` with every request, after the same checks as
    /// [`ClientBuilder::build`](studio_api::ClientBuilder::build).
    pub fn with_credential(base_url: &str, credential: Credential) -> Result<Self, Error> {
        Self::builder()
            .base_url(base_url)
            .credential(credential)
            .build()
    }

    /// A client whose calls use `options` on top of this client's settings
    /// (see [`studio_api::Client::with_options`]); it shares this client's
    /// connection pool, quota budget and runtime.
    pub fn with_options(
        &self,
        options: impl FnOnce(studio_api::CallOptions) -> studio_api::CallOptions,
    ) -> Client {
        Client {
            inner: self.inner.with_options(options),
            runtime: self.runtime.clone(),
        }
    }

    /// The base URL every request goes to, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    /// The credential sent with every request, if any.
    pub fn credential(&self) -> Option<&Credential> {
        self.inner.credential()
    }

    /// The async client underneath, for code that mixes both styles.
    pub fn as_async(&self) -> &studio_api::Client {
        &self.inner
    }

    /// Drives `future` to completion on this thread, with the owned
    /// runtime's timers and connections.
    ///
    /// Inside async code on a Tokio runtime this returns an error instead
    /// of blocking or panicking; on threads where blocking is fine —
    /// `spawn_blocking`, `block_in_place`, any other thread — it runs.
    pub(crate) fn block_on<T>(
        &self,
        operation: &'static str,
        future: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        if polling_async_code() {
            return Err(Error::configuration(operation, INSIDE_RUNTIME));
        }
        // A blocking call made while another one runs on this thread (from
        // an `on_retry` callback, say) cannot nest.
        if futures_executor::enter().is_err() {
            return Err(Error::configuration(operation, NESTED));
        }
        let Some(runtime) = &self.runtime.0 else {
            return Err(Error::configuration(
                operation,
                "the client's runtime has shut down",
            ));
        };
        let _context = runtime.enter();
        futures_executor::block_on(future)
    }
}

/// Whether this thread is in the middle of polling async code on a Tokio
/// runtime, where blocking would stall the runtime.
///
/// Tokio gives every task it polls (and every `block_on` future) a
/// cooperative budget, and lifts it where blocking is allowed: on
/// `spawn_blocking` threads, inside `block_in_place`, and on threads that
/// run no runtime. So the budget tells them apart: this takes budget units
/// (each restored when its guard drops) until none is left, which happens
/// only under a budget, at most 128 units in.
fn polling_async_code() -> bool {
    use std::task::{Context, Poll, Waker};
    use tokio::task::coop::{has_budget_remaining, poll_proceed};
    /// More than any budget Tokio gives.
    const UNCONSTRAINED: usize = 1024;
    if tokio::runtime::Handle::try_current().is_err() {
        return false;
    }
    let mut context = Context::from_waker(Waker::noop());
    let mut taken = Vec::new();
    while has_budget_remaining() && taken.len() < UNCONSTRAINED {
        match poll_proceed(&mut context) {
            Poll::Ready(unit) => taken.push(unit),
            Poll::Pending => break,
        }
    }
    let constrained = !has_budget_remaining();
    // Each guard restores the budget it found: newest first, so the last
    // one dropped leaves the budget exactly as it was.
    while let Some(unit) = taken.pop() {
        drop(unit);
    }
    constrained
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

impl BuiltClient for Client {
    fn from_async(client: studio_api::Client) -> Result<Self, Error> {
        Client::from_async(client)
    }
}
