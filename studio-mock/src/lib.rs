//! A stateful local Studio API server.
//!
//! It serves every operation of `openapi/studio.yaml` from in-memory state and
//! enforces the API's documented rules: credentials (401), scopes and
//! bearer-only endpoints (403), unknown ids (404), validation (422), the
//! wallet on paid operations (402) and per-credential quotas (429, with
//! `Retry-After` and `X-RateLimit-*` headers). It reads a request's body only
//! once its credential, quota and scope have passed, and never past the
//! body's limit ([`BodyLimits`], 413 beyond it). Jobs, exports and renders move
//! from queued through processing to completed or failed over a configurable
//! time, and their results (PNG images, WAV audio, placeholders for the rest)
//! are served by the same server.
//!
//! ```
//! use studio_api_blocking::{Client, Credential};
//! use studio_mock::MockServer;
//!
//! let server = MockServer::start().unwrap();
//! let client = Client::with_credential(server.base_url(), Credential::api_key(server.api_key())).unwrap();
//! let project = client
//!     .create_project()
//!     .body_map(|b| b.name("Lighthouse"))
//!     .send()
//!     .unwrap();
//! assert_eq!(project.data.frame_count, 0);
//! ```

mod artifacts;
mod auth;
mod body;
mod call;
mod error;
mod faults;
mod handlers;
mod lifecycle;
mod limits;
mod server;
mod store;
mod validate;

pub use body::BodyLimits;
pub use faults::Fault;
pub use limits::RateLimit;
pub use studio_api::operations::Scope;

use call::Behaviour;
use server::{Config, Shared, State};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Settings for a [`MockServer`], with the production API's defaults for quotas.
#[derive(Debug, Clone)]
pub struct MockBuilder {
    job_duration: Duration,
    failure_rate: f64,
    rate_limit: Option<RateLimit>,
    body_limits: BodyLimits,
    wallet: f64,
    log_requests: bool,
}

impl Default for MockBuilder {
    fn default() -> Self {
        MockBuilder {
            job_duration: Duration::from_millis(1500),
            failure_rate: 0.0,
            rate_limit: Some(RateLimit::default()),
            body_limits: BodyLimits::default(),
            wallet: 1000.0,
            log_requests: false,
        }
    }
}

impl MockBuilder {
    /// How long generation jobs, exports and renders take (default 1.5 s).
    pub fn job_duration(mut self, duration: Duration) -> Self {
        self.job_duration = duration;
        self
    }

    /// The chance, from 0 to 1, that a job, export or render fails (default 0).
    pub fn failure_rate(mut self, rate: f64) -> Self {
        self.failure_rate = rate.clamp(0.0, 1.0);
        self
    }

    /// Quotas per API key and per bearer user in each `window`
    /// (default: the spec's quotas, per minute).
    pub fn rate_limit(mut self, api_key_quota: u32, bearer_quota: u32, window: Duration) -> Self {
        self.rate_limit = Some(RateLimit {
            api_key_quota,
            bearer_quota,
            window,
        });
        self
    }

    /// Turns rate limiting off.
    pub fn no_rate_limit(mut self) -> Self {
        self.rate_limit = None;
        self
    }

    /// The largest JSON request body accepted, in bytes (default 1 MiB);
    /// a longer one gets 413.
    pub fn json_body_limit(mut self, bytes: usize) -> Self {
        self.body_limits.json = bytes;
        self
    }

    /// The largest upload (`upload_asset`) accepted, in bytes (default
    /// 100 MiB); a longer one gets 413.
    pub fn upload_limit(mut self, bytes: usize) -> Self {
        self.body_limits.upload = bytes;
        self
    }

    /// The wallet's starting balance in credits (default 1000).
    pub fn wallet(mut self, credits: f64) -> Self {
        self.wallet = credits;
        self
    }

    /// Print one line per request to stderr.
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    fn shared(self, address: SocketAddr) -> Arc<Shared> {
        let mut state = State::default();
        state.store.wallet = self.wallet;
        state.store.origin = format!("http://{address}");
        handlers::seed(&mut state.store);
        Arc::new(Shared {
            state: std::sync::Mutex::new(state),
            config: Config {
                behaviour: Behaviour {
                    job_duration: self.job_duration,
                    failure_rate: self.failure_rate,
                },
                rate_limit: self.rate_limit,
                body_limits: self.body_limits,
                log_requests: self.log_requests,
            },
            validator: validate::RequestValidator::from_spec(),
        })
    }

    /// Starts the server on a free loopback port, on a thread of its own, so
    /// it works from async and blocking code alike. It stops when the
    /// returned [`MockServer`] is dropped.
    pub fn start(self) -> std::io::Result<MockServer> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        self.start_on(listener)
    }

    /// Starts the server on an already bound listener (see [`MockBuilder::start`]).
    pub fn start_on(self, listener: std::net::TcpListener) -> std::io::Result<MockServer> {
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let shared = self.shared(address);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("studio-mock")
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = server::router(shared.clone());
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        std::thread::Builder::new()
            .name("studio-mock-accept".into())
            .spawn(move || {
                runtime.block_on(server::serve(listener, router, async {
                    let _ = stopped.await;
                }));
            })?;
        let mut server = MockServer {
            base_url: format!("http://{address}/api/v1"),
            shared,
            api_key: String::new(),
            bearer_token: String::new(),
            _stop: stop,
        };
        server.api_key = server.mint_api_key(None);
        server.bearer_token = server.mint_bearer_token();
        Ok(server)
    }

    /// Serves on `listener` from the current runtime until `shutdown`
    /// resolves, printing the base URL and a key and token to stdout first.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        let address = listener.local_addr()?;
        let shared = self.shared(address);
        let (key, token) = {
            let mut state = shared.lock();
            (
                state.credentials.mint_api_key(None),
                state.credentials.mint_bearer_token(),
            )
        };
        println!("studio-mock listening");
        println!("  base URL:     http://{address}/api/v1");
        println!("  API key:      {key}   (scope *)");
        println!("  bearer token: {token}");
        server::serve(listener, server::router(shared), shutdown).await;
        Ok(())
    }
}

/// A running local Studio server. Dropping it stops the server.
#[derive(Debug)]
pub struct MockServer {
    base_url: String,
    shared: Arc<Shared>,
    api_key: String,
    bearer_token: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl MockServer {
    /// Starts a server with default settings (see [`MockBuilder`]).
    pub fn start() -> std::io::Result<MockServer> {
        MockBuilder::default().start()
    }

    /// Settings for a server to start.
    pub fn builder() -> MockBuilder {
        MockBuilder::default()
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:4010/api/v1`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// An API key with every scope (`*`), minted at start.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// A bearer token, minted at start.
    pub fn bearer_token(&self) -> &str {
        &self.bearer_token
    }

    /// Mints an API key limited to `scopes` (`None` grants all, like `*`).
    pub fn mint_api_key(&self, scopes: Option<&[Scope]>) -> String {
        self.shared
            .lock()
            .credentials
            .mint_api_key(scopes.map(<[Scope]>::to_vec))
    }

    /// Mints another bearer token for the same user.
    pub fn mint_bearer_token(&self) -> String {
        self.shared.lock().credentials.mint_bearer_token()
    }

    /// Sets the wallet's balance in credits.
    pub fn set_wallet(&self, credits: f64) {
        self.shared.lock().store.wallet = credits;
    }

    /// The wallet's balance in credits.
    pub fn wallet(&self) -> f64 {
        self.shared.lock().store.wallet
    }

    /// Makes the next `times` calls of `operation_id` meet `fault`
    /// (after any faults already scripted for it).
    pub fn fail_next(&self, operation_id: &str, times: usize, fault: Fault) {
        let mut state = self.shared.lock();
        let queue = state.faults.entry(operation_id.to_string()).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// Accepts a pending team invite as its invitee would, making them a
    /// member; returns their user id, or `None` if the invite is not pending.
    pub fn accept_invite(&self, invite_id: &str) -> Option<String> {
        handlers::accept_invite(&mut self.shared.lock().store, invite_id)
    }

    /// How many requests for `operation_id` have arrived so far.
    pub fn request_count(&self, operation_id: &str) -> usize {
        self.shared
            .lock()
            .counts
            .get(operation_id)
            .copied()
            .unwrap_or_default()
    }
}
