//! Building a client: credentials, base URL, timeouts, checked before any
//! request is sent.

use crate::clock::ServerClock;
use crate::error::Error;
use crate::jobs::PollSchedule;
use crate::jobs::Pool;
use crate::options::Limits;
use crate::pacing::{Pacer, SharedQuota};
use crate::recovery::Started;
use crate::retry::{OnRetry, RetryEvent, RetryPolicy};
use reqwest::header::{HeaderName, HeaderValue, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::marker::PhantomData;
use std::net::IpAddr;
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

    /// A name for this credential that tells credentials apart without
    /// revealing the secret, the same in every process, on every machine
    /// and with every Rust version: SHA-256 over a versioned prefix, the
    /// kind and the secret, as 64 hex digits.
    pub(crate) fn fingerprint(&self) -> String {
        use sha2::Digest;
        let kind = match self {
            Credential::ApiKey(_) => "api_key",
            Credential::Bearer(_) => "bearer",
        };
        let digest = sha2::Sha256::new()
            .chain_update(format!("studio-api credential v1\0{kind}\0"))
            .chain_update(self.secret())
            .finalize();
        digest.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// Rejects an empty secret or one with anything but visible ASCII
    /// (`!` to `~`): whitespace, control, non-ASCII or invisible characters
    /// cannot travel in a header as the server expects them.
    fn check(&self) -> Result<(), Error> {
        let secret = self.secret();
        if secret.is_empty() {
            return Err(Error::configuration(BUILD, "the credential is empty"));
        }
        if let Some(position) = secret.chars().position(|c| !c.is_ascii_graphic()) {
            return Err(Error::configuration(
                BUILD,
                format!(
                    "the credential has a character that is not visible ASCII at position {} \
                     (a stray newline or space from a file or shell, or a pasted invisible character?)",
                    position + 1
                ),
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
///
/// It is made only by [`ClientBuilder::build`], after every check.
#[derive(Clone, Debug)]
pub struct ClientState {
    credential: Option<Credential>,
    /// The credential's header, made once rather than on every request.
    auth: Option<(HeaderName, HeaderValue)>,
    /// The base URL: the credential goes to its origin and nowhere else.
    base: reqwest::Url,
    user_agent: HeaderValue,
    pub(crate) retry: RetryPolicy,
    /// Per-attempt timeout, deadline, extra headers and poll schedule.
    pub(crate) limits: Limits,
    pacer: Option<Arc<Pacer>>,
    clock: Arc<ServerClock>,
    /// The jobs this client's calls started.
    started: Arc<Started>,
    /// Where its handles share their polls, unless each polls alone.
    pool: Option<Arc<Pool>>,
    /// Sends downloads, which carry no credential and may follow redirects.
    downloads: reqwest::Client,
}

impl ClientState {
    /// The retry policy.
    pub(crate) fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The quota bucket requests wait on, unless pacing is off.
    pub(crate) fn pacer(&self) -> Option<&Pacer> {
        self.pacer.as_deref()
    }

    /// What the server's `Date` headers say about its clock.
    pub(crate) fn clock(&self) -> &ServerClock {
        &self.clock
    }

    /// The jobs this client's calls started.
    pub(crate) fn started(&self) -> &Started {
        &self.started
    }

    /// Where its handles share their polls, unless each polls alone.
    pub(crate) fn pool(&self) -> Option<&Arc<Pool>> {
        self.pool.as_ref()
    }

    /// The HTTP client for downloads.
    pub(crate) fn downloads(&self) -> &reqwest::Client {
        &self.downloads
    }

    /// The credential requests are sent with, if any.
    pub fn credential(&self) -> Option<&Credential> {
        self.credential.as_ref()
    }

    /// Adds the User-Agent to a request, and the credential's header when
    /// the request goes to the base URL's origin (scheme, host and port).
    pub(crate) fn decorate(&self, request: &mut reqwest::Request) {
        let ours = same_origin(request.url(), &self.base);
        let headers = request.headers_mut();
        if let Some((name, value)) = self.auth.as_ref().filter(|_| ours) {
            headers.insert(name, value.clone());
        }
        if let (Ok(extra), true) = (&self.limits.headers, ours) {
            for (name, value) in extra {
                headers.insert(name, value.clone());
            }
        }
        headers.insert(USER_AGENT, self.user_agent.clone());
    }
}

/// Whether `a` and `b` share scheme, host and port.
fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Settings for a [`Client`](crate::Client); `build()` checks them all
/// before anything is sent, and is the only way to make a client.
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
///
/// There is no unchecked way in: neither the generated constructors nor
/// the client state can be reached from outside.
///
/// ```compile_fail
/// let unchecked = studio_api::Client::new_with_client;
/// ```
///
/// ```compile_fail
/// let client = studio_api::Client::new("http://203.0.113.9/api/v1", studio_api::ClientState::anonymous());
/// ```
///
/// ```compile_fail
/// let state = studio_api::ClientState::new(studio_api::Credential::api_key("sk_live_x\n"));
/// ```
///
/// `C` is the client it builds: [`Client`](crate::Client) here, and
/// `studio_api_blocking::Client` through that crate's `Client::builder()`;
/// the settings and their checks are the same.
#[derive(Clone)]
pub struct ClientBuilder<C = crate::Client> {
    target: PhantomData<fn() -> C>,
    credential: Option<Credential>,
    no_credential: bool,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent_suffix: Option<String>,
    root_certificates: Vec<reqwest::Certificate>,
    /// Roots as PEM, for HTTPS and for a `rediss://` shared quota.
    root_certificates_pem: Vec<Vec<u8>>,
    proxy: Option<reqwest::Proxy>,
    local_address: Option<IpAddr>,
    allow_insecure_http: bool,
    retry: RetryPolicy,
    pacing: bool,
    poll_schedule: PollSchedule,
    shared_quota: Option<String>,
    coalesced_waiting: bool,
}

/// Shows no secret: the credential is redacted, the base URL loses any
/// user-info, query or fragment, and a proxy shows only that it is set
/// (its URL may hold a password).
impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("credential", &self.credential)
            .field("no_credential", &self.no_credential)
            .field("base_url", &format_args!("{}", shown(&self.base_url)))
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("root_certificates", &self.root_certificates.len())
            .field("root_certificates_pem", &self.root_certificates_pem.len())
            .field("proxy", &self.proxy.as_ref().map(|_| "set"))
            .field("local_address", &self.local_address)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("retry", &self.retry)
            .field("pacing", &self.pacing)
            .field("shared_quota", &self.shared_quota.as_ref().map(|_| "set"))
            .field("poll_schedule", &self.poll_schedule)
            .field("coalesced_waiting", &self.coalesced_waiting)
            .finish()
    }
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        ClientBuilder {
            target: PhantomData,
            credential: None,
            no_credential: false,
            base_url: DEFAULT_BASE_URL.to_string(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            user_agent_suffix: None,
            root_certificates: Vec::new(),
            root_certificates_pem: Vec::new(),
            proxy: None,
            local_address: None,
            allow_insecure_http: false,
            retry: RetryPolicy::default(),
            pacing: true,
            poll_schedule: PollSchedule::default(),
            shared_quota: None,
            coalesced_waiting: true,
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
        Self::default().with_env()
    }
}

/// A client a [`ClientBuilder`] can build: made from the async client its
/// checked settings give.
pub trait BuiltClient: Sized {
    /// The client for `client`, the async client just built.
    fn from_async(client: crate::Client) -> Result<Self, Error>;
}

impl BuiltClient for crate::Client {
    fn from_async(client: crate::Client) -> Result<Self, Error> {
        Ok(client)
    }
}

impl<C: BuiltClient> ClientBuilder<C> {
    /// These settings, with the environment's credential and base URL where
    /// set: `STUDIO_API_KEY` or `STUDIO_BEARER_TOKEN` (the key wins when
    /// both are set), `STUDIO_BASE_URL`, and `STUDIO_QUOTA_URL` for
    /// [`shared_quota`](Self::shared_quota).
    pub fn with_env(mut self) -> Self {
        let var = |name: &str| std::env::var(name).ok();
        let credential = var("STUDIO_API_KEY")
            .map(Credential::api_key)
            .or_else(|| var("STUDIO_BEARER_TOKEN").map(Credential::bearer));
        if credential.is_some() {
            self.credential = credential;
        }
        if let Some(url) = var("STUDIO_BASE_URL") {
            self.base_url = url;
        }
        self.shared_quota = var("STUDIO_QUOTA_URL").or(self.shared_quota);
        self
    }

    /// The credential to send with every request.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self.no_credential = false;
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

    /// Sends no credential at all (every call then answers 401), to test
    /// how code handles that. The base URL is checked as for any client;
    /// there is no pacing, since quotas are per credential.
    pub fn no_credential(mut self) -> Self {
        self.credential = None;
        self.no_credential = true;
        self
    }

    /// The base URL, e.g. `https://mstudio.ai/api/v1`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// How long to wait for a connection (default 10 s; at most 90% of
    /// the timeout, so a slow connect fails as nothing sent).
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

    /// Trusts `certificate` as a root besides the system's (a company
    /// proxy's or a test server's certificate authority), for HTTPS only;
    /// [`add_root_certificates_pem`](Self::add_root_certificates_pem)
    /// trusts a root for a `rediss://` shared quota too.
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Trusts the certificates in `pem` (one or more PEM `CERTIFICATE`
    /// blocks, such as a private authority's `ca.pem`) as roots besides the
    /// system's, for HTTPS and for a `rediss://`
    /// [`shared_quota`](Self::shared_quota) store; `build()` fails when
    /// `pem` holds no certificate.
    pub fn add_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.root_certificates_pem.push(pem.as_ref().to_vec());
        self
    }

    /// Sends every request through `proxy` instead of the proxy the
    /// environment names (`HTTPS_PROXY` and friends, used by default for an
    /// https base URL; never for a plain http one, where it would see the
    /// credential in clear text).
    pub fn proxy(mut self, proxy: reqwest::Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Connects from this local address.
    pub fn local_address(mut self, address: IpAddr) -> Self {
        self.local_address = Some(address);
        self
    }

    /// Allows an `http://` base URL for a host other than loopback, which
    /// sends the credential in clear text. Off by default.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// How many times a failed request may be sent again (default 2).
    /// Only a request that certainly did not take effect is sent again:
    /// one refused with 429 or whose connection failed before sending, and
    /// for reads (GET) also a 502/503/504, a timeout or a broken connection.
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

    /// The longest wait a server may ask for (default 60 s): a 429 whose
    /// `Retry-After` is longer is returned to the caller instead of retried,
    /// and while such a wait (or a rate-limit window with nothing left that
    /// resets later than this) is in force, calls sharing the budget fail
    /// at once with [`RateLimited`](crate::ErrorKind::RateLimited) instead
    /// of blocking.
    pub fn retry_after_cap(mut self, cap: Duration) -> Self {
        self.retry.retry_after_cap = cap;
        self
    }

    /// Runs `callback` before each retry (besides the `tracing` event).
    pub fn on_retry(mut self, callback: impl Fn(&RetryEvent) + Send + Sync + 'static) -> Self {
        self.retry.on_retry = Some(Arc::new(callback) as OnRetry);
        self
    }

    /// Waits for quota before sending (default on): the spec's quota
    /// ([`API_KEY_QUOTA_PER_MINUTE`](crate::operations::API_KEY_QUOTA_PER_MINUTE)
    /// or [`BEARER_QUOTA_PER_MINUTE`](crate::operations::BEARER_QUOTA_PER_MINUTE)
    /// a minute), shared by every client with the same credential.
    pub fn pacing(mut self, on: bool) -> Self {
        self.pacing = on;
        self
    }

    /// Keeps the pacing budget in Redis at `url`, or `STUDIO_QUOTA_URL`
    /// through [`with_env`](Self::with_env), shared by every process and
    /// machine using the same credential; needs the `shared-quota`
    /// feature, without which `build()` fails. The URL is
    /// `redis://[[user]:password@]host[:port][/db]`, `rediss://…` for TLS
    /// (verified against the system's roots and those of
    /// [`add_root_certificates_pem`](Self::add_root_certificates_pem)), or
    /// `redis+unix:///path/to/socket`. Nothing is connected at `build()`,
    /// and a call never fails because Redis is down or its certificate is
    /// not trusted: it is paced in-process meanwhile. See `docs/QUOTA.md`.
    pub fn shared_quota(mut self, url: impl Into<String>) -> Self {
        self.shared_quota = Some(url.into());
        self
    }

    /// The poll schedule of the job handles the client makes (see
    /// [`PollSchedule`]); against studio-mock, a fast one makes every wait
    /// of a test fast in one place.
    pub fn poll_schedule(mut self, schedule: PollSchedule) -> Self {
        self.poll_schedule = schedule;
        self
    }

    /// Whether the job and export handles of the client, its clones and
    /// its [`with_options`](crate::Client::with_options) clients share
    /// their polls while they wait at the same time (default on): waits in
    /// one project are served by one `list_generation_jobs` or
    /// `list_exports` request per tick instead of one request per handle.
    /// Off, every handle polls by id on its own schedule.
    pub fn coalesced_waiting(mut self, on: bool) -> Self {
        self.coalesced_waiting = on;
        self
    }

    /// Checks every setting and builds the client; nothing is sent.
    pub fn build(self) -> Result<C, Error> {
        let credential = match (self.credential, self.no_credential) {
            (_, true) => None,
            (Some(credential), false) => {
                credential.check()?;
                Some(credential)
            }
            (None, false) => {
                return Err(Error::configuration(
                    BUILD,
                    "no credential: set STUDIO_API_KEY or STUDIO_BEARER_TOKEN, or call .credential()",
                ));
            }
        };
        let base = check_base_url(&self.base_url, self.allow_insecure_http)?;
        let mut user_agent = concat!("studio-api-rust/", env!("CARGO_PKG_VERSION")).to_string();
        if let Some(suffix) = &self.user_agent_suffix {
            user_agent = format!("{user_agent} {suffix}");
        }
        let user_agent = HeaderValue::from_str(&user_agent).map_err(|_| {
            Error::configuration(BUILD, "the User-Agent suffix is not a valid header value")
        })?;
        if self.timeout.is_zero() {
            return Err(Error::configuration(BUILD, "the timeout is zero"));
        }
        // A connect that has not finished when the attempt's time is nearly
        // up fails as a connect error (nothing sent, safe to resend), not as
        // a timeout that may have reached the server.
        let connect_timeout = self.connect_timeout.min(self.timeout.mul_f64(0.9));
        // Plain http is allowed for loopback (or when asked); a proxy from
        // the environment would carry the credential elsewhere in clear text.
        let plain = base.scheme() == "http";
        let mut pem_roots = Vec::new();
        for pem in &self.root_certificates_pem {
            match reqwest::Certificate::from_pem_bundle(pem) {
                Ok(certificates) if !certificates.is_empty() => pem_roots.extend(certificates),
                _ => {
                    return Err(Error::configuration(
                        BUILD,
                        "a PEM given to add_root_certificates_pem holds no certificate",
                    ));
                }
            }
        }
        let http = |redirects, credentialed: bool| {
            let mut builder = reqwest::Client::builder()
                .connect_timeout(connect_timeout)
                .timeout(self.timeout)
                .redirect(redirects)
                .referer(false)
                .tls_certs_merge(self.root_certificates.iter().chain(&pem_roots).cloned())
                .local_address(self.local_address);
            match &self.proxy {
                Some(proxy) => builder = builder.proxy(proxy.clone()),
                None if plain && credentialed => builder = builder.no_proxy(),
                None => {}
            }
            builder.build().map_err(|e| {
                Error::configuration(BUILD, format!("the HTTP client could not be built: {e}"))
            })
        };
        let api = http(reqwest::redirect::Policy::none(), true)?;
        let shared = SharedQuota::open(
            self.shared_quota.as_deref(),
            &self.root_certificates_pem.join(&b'\n'),
        )?;
        let state = ClientState {
            pacer: credential
                .as_ref()
                .filter(|_| self.pacing)
                .map(|credential| Pacer::for_credential(credential, shared.as_ref())),
            auth: credential.as_ref().and_then(Credential::header),
            credential,
            user_agent,
            retry: self.retry,
            limits: Limits {
                timeout: self.timeout,
                poll_schedule: self.poll_schedule,
                ..Limits::default()
            },
            clock: Arc::default(),
            started: Arc::default(),
            pool: self.coalesced_waiting.then(Arc::default),
            downloads: http(download_redirects(), false)?,
            base: base.clone(),
        };
        let base_url = base.as_str().trim_end_matches('/');
        C::from_async(crate::Client::new_with_client(base_url, api, state))
    }
}

/// Download URLs may redirect (to a CDN, say): up to 10 times, never
/// from https to plain http.
fn download_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let downgrade = attempt.url().scheme() == "http"
            && attempt.previous().iter().any(|url| url.scheme() == "https");
        if downgrade {
            attempt.error("refused a redirect from https to plain http")
        } else if attempt.previous().len() > 10 {
            attempt.error("more than 10 redirects")
        } else {
            attempt.follow()
        }
    })
}

/// A base URL as messages may show it: user-info, a query or a fragment
/// may hold a secret, so they are never repeated.
fn shown(text: &str) -> String {
    match text.find(['?', '#']) {
        _ if text.contains('@') => "(not shown: it has user-info)".to_string(),
        Some(at) => format!("{:?} (its query or fragment not shown)", &text[..at]),
        None => format!("{text:?}"),
    }
}

/// Parses the base URL and refuses what would misdirect requests or leak
/// a secret: user-info, a query, a fragment, and clear-text credentials to
/// remote hosts. Messages never repeat user-info.
fn check_base_url(text: &str, allow_insecure_http: bool) -> Result<reqwest::Url, Error> {
    let refuse = |why: String| Error::configuration(BUILD, format!("the base URL {why}"));
    let shown = shown(text);
    let url = reqwest::Url::parse(text.trim())
        .map_err(|e| refuse(format!("{shown} is not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            "has user-info (`user:password@`); pass the credential with .credential() instead"
                .to_string(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse(format!(
            "{shown} has a query or fragment; give only scheme, host, port and path"
        )));
    }
    let host = url
        .host_str()
        .ok_or_else(|| refuse(format!("{shown} has no host")))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = host == "localhost"
                || host
                    .trim_matches(|c| c == '[' || c == ']')
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback && !allow_insecure_http {
                return Err(refuse(format!(
                    "{shown} is plain http to a remote host, which would send the credential in clear text; use https or .allow_insecure_http(true)"
                )));
            }
        }
        other => {
            return Err(refuse(format!(
                "{shown} has scheme {other:?}; expected https"
            )));
        }
    }
    Ok(url)
}
