//! A stateful local Studio API server.
//!
//! It serves every operation of `openapi/studio.yaml` from in-memory state and
//! enforces the API's documented rules: credentials (401), scopes and
//! bearer-only endpoints (403), unknown ids (404), validation (422), the
//! wallet on paid operations (402) and per-credential quotas (429, with
//! `Retry-After` and `X-RateLimit-*` headers). It reads a request's body only
//! once its credential, quota and scope have passed, and never past the
//! body's limit ([`BodyLimits`], 413 beyond it). It serves a bounded number
//! of connections, closes one whose request head is not sent whole in time,
//! and pauses rather than spins when it cannot accept more
//! ([`ConnectionLimits`]). Jobs, exports and renders move
//! from queued through processing to completed or failed over a configurable
//! time, and their results (PNG images, WAV audio, placeholders for the rest)
//! are served by the same server, each under a name no one can guess.
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

mod auth;
mod body;
mod call;
mod connections;
mod error;
mod faults;
mod handlers;
mod lifecycle;
mod limits;
mod operation;
mod server;
mod store;
mod unguessable;
mod validate;

pub use body::BodyLimits;
pub use connections::ConnectionLimits;
pub use faults::Fault;
pub use limits::RateLimit;
pub use operation::{UnknownOperation, operation};
pub use studio_api::operations::Scope;

use call::Behaviour;
use server::{Config, Shared, State};
use std::collections::{HashMap, VecDeque};
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
    connection_limits: ConnectionLimits,
    wallet: f64,
    log_requests: bool,
    api_key_scopes: Option<Vec<Scope>>,
    faults: Vec<(&'static str, usize, Fault)>,
}

impl Default for MockBuilder {
    fn default() -> Self {
        MockBuilder {
            job_duration: Duration::from_millis(1500),
            failure_rate: 0.0,
            rate_limit: Some(RateLimit::default()),
            body_limits: BodyLimits::default(),
            connection_limits: ConnectionLimits::default(),
            wallet: 1000.0,
            log_requests: false,
            api_key_scopes: None,
            faults: Vec::new(),
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

    /// How long a client has to send a request's whole head (default 10 s);
    /// a connection that has not by then is closed unanswered. The time
    /// runs from when the server starts waiting for a head, so it also
    /// closes a kept-alive connection left idle that long.
    pub fn head_timeout(mut self, timeout: Duration) -> Self {
        self.connection_limits.head_timeout = timeout;
        self
    }

    /// How many connections are served at once (default 512, at least 1);
    /// further connections wait to be accepted until one closes.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.connection_limits.max_connections = connections.max(1);
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

    /// Limits the API key minted at start ([`MockServer::api_key`], and the
    /// one [`MockBuilder::serve`] prints) to `scopes` instead of every scope.
    pub fn api_key_scopes(mut self, scopes: &[Scope]) -> Self {
        self.api_key_scopes = Some(scopes.to_vec());
        self
    }

    /// Makes the first `times` calls of `operation_id` meet `fault`, from the
    /// server's very first request (after any faults already scripted for
    /// it), as [`MockServer::fail_next`] does on a running server.
    ///
    /// Refuses an id that is not one of the API's operations.
    ///
    /// ```
    /// use studio_mock::{Fault, MockServer};
    ///
    /// let unavailable = Fault::Status { status: 503, retry_after: None };
    /// let builder = MockServer::builder().fail_next("create_project", 2, unavailable.clone());
    /// assert!(builder.is_ok());
    /// let error = MockServer::builder().fail_next("create_projects", 1, unavailable).unwrap_err();
    /// assert_eq!(error.suggestion(), Some("create_project"));
    /// ```
    pub fn fail_next(
        mut self,
        operation_id: &str,
        times: usize,
        fault: Fault,
    ) -> Result<Self, UnknownOperation> {
        let op = operation(operation_id)?;
        self.faults.push((op.id, times, fault));
        Ok(self)
    }

    fn shared(self, address: SocketAddr) -> Arc<Shared> {
        let mut state = State {
            behaviour: Behaviour {
                job_duration: self.job_duration,
                failure_rate: self.failure_rate,
            },
            ..State::default()
        };
        state.store.wallet = self.wallet;
        for (id, times, fault) in self.faults {
            script(&mut state.faults, id, times, fault);
        }
        state.store.origin = format!("http://{address}");
        handlers::seed(&mut state.store);
        Arc::new(Shared {
            state: std::sync::Mutex::new(state),
            config: Config {
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
        let key_scopes = self.api_key_scopes.clone();
        let limits = self.connection_limits;
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
                runtime.block_on(connections::serve(listener, router, limits, async {
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
        server.api_key = server.mint_api_key(key_scopes.as_deref());
        server.bearer_token = server.mint_bearer_token();
        Ok(server)
    }

    /// Serves on `listener` from the current runtime until `shutdown`
    /// resolves, printing to stdout first lines ready to paste into a shell:
    /// `export` lines for `STUDIO_BASE_URL`, `STUDIO_API_KEY` and
    /// `STUDIO_BEARER_TOKEN` (the variables [`studio_api::Client::from_env`]
    /// reads), after `#` comments saying where it listens, the key's scopes
    /// and any faults scripted with [`MockBuilder::fail_next`].
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        let address = listener.local_addr()?;
        let scopes = self.api_key_scopes.clone();
        let faults = self.faults.clone();
        let limits = self.connection_limits;
        let shared = self.shared(address);
        let (key, token) = {
            let mut state = shared.lock();
            (
                state.credentials.mint_api_key(scopes.clone()),
                state.credentials.mint_bearer_token(),
            )
        };
        let banner = Banner {
            address,
            key: &key,
            scopes: scopes.as_deref(),
            token: &token,
            faults: &faults,
        };
        print!("{banner}");
        connections::serve(listener, server::router(shared), limits, shutdown).await;
        Ok(())
    }
}

/// Adds `times` of `fault` to the faults scripted for operation `id`.
fn script(faults: &mut HashMap<String, VecDeque<Fault>>, id: &str, times: usize, fault: Fault) {
    let queue = faults.entry(id.to_string()).or_default();
    queue.extend(std::iter::repeat_n(fault, times));
}

/// What [`MockBuilder::serve`] prints on start: comments for people, then
/// `export` lines a shell can run as they are.
struct Banner<'a> {
    address: SocketAddr,
    key: &'a str,
    scopes: Option<&'a [Scope]>,
    token: &'a str,
    faults: &'a [(&'static str, usize, Fault)],
}

impl std::fmt::Display for Banner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scopes = match self.scopes {
            None => "*".to_string(),
            Some([]) => "none".to_string(),
            Some(scopes) => {
                let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
                names.join(",")
            }
        };
        writeln!(f, "# studio-mock listening on {}", self.address)?;
        writeln!(
            f,
            "# the API key has scope {scopes}; the bearer token has every scope"
        )?;
        for (id, times, fault) in self.faults {
            let calls = match times {
                1 => format!("{id} call"),
                _ => format!("{times} {id} calls"),
            };
            writeln!(f, "# the next {calls}: {}", describe(fault))?;
        }
        let base_url = format!("http://{}/api/v1", self.address);
        for (name, value) in [
            ("STUDIO_BASE_URL", base_url.as_str()),
            ("STUDIO_API_KEY", self.key),
            ("STUDIO_BEARER_TOKEN", self.token),
        ] {
            writeln!(f, "export {name}={}", shell_word(value))?;
        }
        Ok(())
    }
}

/// A fault in a few words, for the start-up banner.
fn describe(fault: &Fault) -> String {
    match fault {
        Fault::Status {
            status,
            retry_after: None,
        } => format!("status {status}"),
        Fault::Status {
            status,
            retry_after: Some(seconds),
        } => format!("status {status} with Retry-After: {seconds}"),
        Fault::Delay(delay) => format!("a delay of {delay:?}"),
        Fault::DropConnection => "the connection dropped unanswered".into(),
        Fault::DropResponse => "handled, then the connection dropped unanswered".into(),
        Fault::NonJson { status } => format!("status {status} with an HTML body"),
    }
}

/// `value` as one shell word: as it is when no character in it means
/// anything to a shell, in single quotes otherwise (an IPv6 address's
/// brackets would be a glob).
fn shell_word(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+,=".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
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

    /// An API key minted at start, with every scope (`*`) unless
    /// [`MockBuilder::api_key_scopes`] limited it.
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

    /// Sets the chance, from 0 to 1, that a job, export or render started
    /// from now on fails.
    pub fn set_failure_rate(&self, rate: f64) {
        self.shared.lock().behaviour.failure_rate = rate.clamp(0.0, 1.0);
    }

    /// The wallet's balance in credits.
    pub fn wallet(&self) -> f64 {
        self.shared.lock().store.wallet
    }

    /// Makes the next `times` calls of `operation_id` meet `fault`
    /// (after any faults already scripted for it).
    ///
    /// Refuses an id that is not one of the API's operations, so that a
    /// misspelt one cannot script a fault that never fires; the error names
    /// it and suggests the closest real id.
    ///
    /// ```
    /// use studio_mock::{Fault, MockServer};
    ///
    /// let server = MockServer::start().unwrap();
    /// server.fail_next("create_project", 1, Fault::DropConnection).unwrap();
    /// let error = server.fail_next("create_projet", 1, Fault::DropConnection).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "unknown operation `create_projet`; did you mean `create_project`?"
    /// );
    /// ```
    pub fn fail_next(
        &self,
        operation_id: &str,
        times: usize,
        fault: Fault,
    ) -> Result<(), UnknownOperation> {
        let op = operation(operation_id)?;
        script(&mut self.shared.lock().faults, op.id, times, fault);
        Ok(())
    }

    /// Accepts a pending team invite as its invitee would, making them a
    /// member; returns their user id, or `None` if the invite is not pending.
    pub fn accept_invite(&self, invite_id: &str) -> Option<String> {
        handlers::accept_invite(&mut self.shared.lock().store, invite_id)
    }

    /// How many requests for `operation_id` have arrived so far, refused
    /// ones included.
    ///
    /// Refuses an id that is not one of the API's operations, which would
    /// otherwise always count 0.
    ///
    /// ```
    /// use studio_mock::MockServer;
    ///
    /// let server = MockServer::start().unwrap();
    /// assert_eq!(server.request_count("list_projects"), Ok(0));
    /// assert!(server.request_count("list_project").is_err());
    /// ```
    pub fn request_count(&self, operation_id: &str) -> Result<usize, UnknownOperation> {
        let op = operation(operation_id)?;
        Ok(self
            .shared
            .lock()
            .counts
            .get(op.id)
            .copied()
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_a_shell_would_read_them_otherwise() {
        assert_eq!(
            shell_word("http://127.0.0.1:4010/api/v1"),
            "http://127.0.0.1:4010/api/v1"
        );
        assert_eq!(
            shell_word("http://[::1]:4010/api/v1"),
            "'http://[::1]:4010/api/v1'"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn the_banner_is_comments_then_exports() {
        let banner = Banner {
            address: "[::1]:4010".parse().unwrap(),
            key: "sk_test_abc",
            scopes: Some(&[Scope::Frames, Scope::Projects]),
            token: "tok_xyz",
            faults: &[(
                "create_project",
                2,
                Fault::Status {
                    status: 503,
                    retry_after: Some(4),
                },
            )],
        };
        assert_eq!(
            banner.to_string(),
            "# studio-mock listening on [::1]:4010\n\
             # the API key has scope frames,projects; the bearer token has every scope\n\
             # the next 2 create_project calls: status 503 with Retry-After: 4\n\
             export STUDIO_BASE_URL='http://[::1]:4010/api/v1'\n\
             export STUDIO_API_KEY=sk_test_abc\n\
             export STUDIO_BEARER_TOKEN=tok_xyz\n"
        );
    }
}
