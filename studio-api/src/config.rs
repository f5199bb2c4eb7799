//! Building a client: credentials, base URL, timeouts, checked before any
//! request is sent.

use crate::error::Error;
use crate::pacing::Pacer;
use crate::retry::{OnRetry, RetryEvent, RetryPolicy};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

/// The production base URL.
pub const DEFAULT_BASE_URL: &str = "https://mstudio.ai/api/v1";

/// Where configuration errors arise, as their operation.
const BUILD: &str = "ClientBuilder::build";

/// How requests authenticate: an API key or a bearer token.
///
/// The secret is never printed: `Debug` shows only which kind it is.
///
/// ```
/// use studio_api::Credential;
///
/// let key = Credential::api_key("sk_live_example");
/// assert_eq!(format!("{key:?}"), "ApiKey(**redacted**)");
/// ```
#[derive(Clone)]
pub enum Credential {
    /// Sent as `X-API-Key: <key>`; limited to the key's scopes.
    ApiKey(SecretString),
    /// Sent as `Authorization: Bearer <token>`; needed for bearer-only operations.
    Bearer(SecretString),
}

impl Credential {
    /// An API key (`sk_live_…`), sent in the `X-API-Key` header.
    pub fn api_key(key: impl Into<String>) -> Self {
        Credential::ApiKey(SecretString::from(key.into()))
    }

    /// A user's bearer token, sent in the `Authorization` header.
    pub fn bearer(token: impl Into<String>) -> Self {
        Credential::Bearer(SecretString::from(token.into()))
    }

    fn secret(&self) -> &str {
        match self {
            Credential::ApiKey(secret) | Credential::Bearer(secret) => secret.expose_secret(),
        }
    }

    /// Feeds the kind and secret to `hasher`, to tell credentials apart
    /// without keeping another copy of the secret.
    pub(crate) fn fingerprint(&self, hasher: &mut impl Hasher) {
        matches!(self, Credential::ApiKey(_)).hash(hasher);
        self.secret().hash(hasher);
    }

    /// Rejects an empty secret or one with whitespace or control characters.
    fn check(&self) -> Result<(), Error> {
        let secret = self.secret();
        if secret.is_empty() {
            return Err(Error::configuration(BUILD, "the credential is empty"));
        }
        if secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::configuration(
                BUILD,
                "the credential contains whitespace or control characters (a stray newline from a file or shell?)",
            ));
        }
        Ok(())
    }

    /// The header this credential is sent as, marked sensitive; `None`
    /// for one that cannot be a header value (a checked one always can).
    fn header(&self) -> Option<(HeaderName, HeaderValue)> {
        let (name, text) = match self {
            Credential::ApiKey(key) => (
                HeaderName::from_static("x-api-key"),
                key.expose_secret().to_string(),
            ),
            Credential::Bearer(token) => (
                reqwest::header::AUTHORIZATION,
                format!("Bearer {}", token.expose_secret()),
            ),
        };
        let mut value = HeaderValue::from_str(&text).ok()?;
        value.set_sensitive(true);
        Some((name, value))
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::ApiKey(_) => f.write_str("ApiKey(**redacted**)"),
            Credential::Bearer(_) => f.write_str("Bearer(**redacted**)"),
        }
    }
}

/// State the hand-written runtime keeps inside every generated `Client`.
#[derive(Clone, Debug)]
pub struct ClientState {
    credential: Option<Credential>,
    /// The credential's header, made once rather than on every request.
    auth: Option<(HeaderName, HeaderValue)>,
    user_agent: HeaderValue,
    retry: RetryPolicy,
    pacer: Option<Arc<Pacer>>,
}

impl ClientState {
    /// State that authenticates every request with `credential`, with the
    /// default retries and pacing on.
    pub fn new(credential: Credential) -> Self {
        ClientState {
            pacer: Some(Pacer::for_credential(&credential)),
            auth: credential.header(),
            credential: Some(credential),
            user_agent: HeaderValue::from_static(concat!(
                "studio-api-rust/",
                env!("CARGO_PKG_VERSION")
            )),
            retry: RetryPolicy::default(),
        }
    }

    /// The retry policy.
    pub(crate) fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The quota bucket requests wait on, unless pacing is off.
    pub(crate) fn pacer(&self) -> Option<&Pacer> {
        self.pacer.as_deref()
    }

    /// The credential requests are sent with, if any.
    pub fn credential(&self) -> Option<&Credential> {
        self.credential.as_ref()
    }

    /// State with no credential: every call then answers 401. Useful to
    /// test how code handles that.
    pub fn anonymous() -> Self {
        ClientState {
            credential: None,
            auth: None,
            pacer: None,
            ..Self::new(Credential::api_key(""))
        }
    }

    /// Adds the credential and User-Agent headers to a request.
    pub(crate) fn decorate(&self, headers: &mut HeaderMap) {
        if let Some((name, value)) = &self.auth {
            headers.insert(name, value.clone());
        }
        headers.insert(USER_AGENT, self.user_agent.clone());
    }
}

/// Settings for a [`Client`](crate::Client); `build()` checks them all
/// before anything is sent.
///
/// ```
/// use std::time::Duration;
/// use studio_api::{ClientBuilder, Credential};
///
/// let client = ClientBuilder::new()
///     .credential(Credential::api_key("sk_live_example"))
///     .timeout(Duration::from_secs(30))
///     .user_agent_suffix("my-pipeline/1.2")
///     .build()
///     .unwrap();
///
/// // Credentials never travel in clear text to a remote host.
/// let refused = ClientBuilder::new()
///     .credential(Credential::api_key("sk_live_example"))
///     .base_url("http://studio.example.com/api/v1")
///     .build()
///     .unwrap_err();
/// assert_eq!(refused.kind(), &studio_api::ErrorKind::Configuration);
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    credential: Option<Credential>,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent_suffix: Option<String>,
    http_client: Option<reqwest::Client>,
    allow_insecure_http: bool,
    retry: RetryPolicy,
    pacing: bool,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            credential: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            user_agent_suffix: None,
            http_client: None,
            allow_insecure_http: false,
            retry: RetryPolicy::default(),
            pacing: true,
        }
    }
}

impl ClientBuilder {
    /// Defaults: production base URL, 10 s to connect, 60 s per attempt.
    pub fn new() -> Self {
        Self::default()
    }

    /// Settings from the environment: `STUDIO_API_KEY` or
    /// `STUDIO_BEARER_TOKEN` (the key wins when both are set), and
    /// `STUDIO_BASE_URL` when set.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok();
        let credential = var("STUDIO_API_KEY")
            .map(Credential::api_key)
            .or_else(|| var("STUDIO_BEARER_TOKEN").map(Credential::bearer));
        let mut builder = Self::new();
        builder.credential = credential;
        if let Some(url) = var("STUDIO_BASE_URL") {
            builder.base_url = url;
        }
        builder
    }

    /// The credential to send with every request.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }

    /// Shorthand for `credential(Credential::api_key(key))`.
    pub fn api_key(self, key: impl Into<String>) -> Self {
        self.credential(Credential::api_key(key))
    }

    /// Shorthand for `credential(Credential::bearer(token))`.
    pub fn bearer_token(self, token: impl Into<String>) -> Self {
        self.credential(Credential::bearer(token))
    }

    /// The base URL, e.g. `https://mstudio.ai/api/v1`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, response body included (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Text appended to the User-Agent, e.g. `my-app/1.0`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Sends through the caller's own `reqwest::Client` (its timeouts,
    /// proxy and TLS settings then apply instead of this builder's).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Allows an `http://` base URL for a host other than loopback, which
    /// sends the credential in clear text. Off by default.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// How many times a failed request may be sent again (default 2).
    /// Only refused requests (429), connections that failed before sending
    /// and, for operations that are not billed, 502/503/504 are retried.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// The first backoff step (default 500 ms), doubling per retry up to
    /// `max_delay` (default 8 s), with full jitter.
    pub fn backoff(mut self, base_delay: Duration, max_delay: Duration) -> Self {
        self.retry.base_delay = base_delay;
        self.retry.max_delay = max_delay;
        self
    }

    /// The longest `Retry-After` waited out (default 60 s); a 429 asking
    /// for longer is returned to the caller instead.
    pub fn retry_after_cap(mut self, cap: Duration) -> Self {
        self.retry.retry_after_cap = cap;
        self
    }

    /// Runs `callback` before each retry (besides the `tracing` event).
    pub fn on_retry(mut self, callback: impl Fn(&RetryEvent) + Send + Sync + 'static) -> Self {
        self.retry.on_retry = Some(Arc::new(callback) as OnRetry);
        self
    }

    /// Waits for quota before sending (default on): 60 requests a minute
    /// for an API key, 120 for a bearer token, shared by every client with
    /// the same credential.
    pub fn pacing(mut self, on: bool) -> Self {
        self.pacing = on;
        self
    }

    /// Checks every setting and builds the client; nothing is sent.
    pub fn build(self) -> Result<crate::Client, Error> {
        let credential = self.credential.ok_or_else(|| {
            Error::configuration(
                BUILD,
                "no credential: set STUDIO_API_KEY or STUDIO_BEARER_TOKEN, or call .credential()",
            )
        })?;
        credential.check()?;
        let base_url = check_base_url(&self.base_url, self.allow_insecure_http)?;
        let mut state = ClientState::new(credential);
        state.retry = self.retry;
        if !self.pacing {
            state.pacer = None;
        }
        if let Some(suffix) = &self.user_agent_suffix {
            let agent = format!("{} {suffix}", state.user_agent.to_str().unwrap_or_default());
            state.user_agent = HeaderValue::from_str(&agent).map_err(|_| {
                Error::configuration(BUILD, "the User-Agent suffix is not a valid header value")
            })?;
        }
        let http = match self.http_client {
            Some(client) => client,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .timeout(self.timeout)
                .build()
                .map_err(|e| {
                    Error::configuration(BUILD, format!("the HTTP client could not be built: {e}"))
                })?,
        };
        Ok(crate::Client::new_with_client(&base_url, http, state))
    }
}

/// Parses the base URL and refuses clear-text credentials to remote hosts.
fn check_base_url(text: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let url = reqwest::Url::parse(text.trim()).map_err(|e| {
        Error::configuration(BUILD, format!("the base URL {text:?} is not a URL: {e}"))
    })?;
    let host = url
        .host_str()
        .ok_or_else(|| Error::configuration(BUILD, format!("the base URL {text:?} has no host")))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = host == "localhost"
                || host
                    .trim_matches(|c| c == '[' || c == ']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback && !allow_insecure_http {
                return Err(Error::configuration(
                    BUILD,
                    format!(
                        "the base URL {text:?} is plain http to a remote host, which would send the credential in clear text; use https or .allow_insecure_http(true)"
                    ),
                ));
            }
        }
        other => {
            return Err(Error::configuration(
                BUILD,
                format!("the base URL {text:?} has scheme {other:?}; expected https"),
            ));
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}
