//! Building a client: credentials, base URL, timeouts, checked before any
//! request is sent.

use crate::error::Error;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
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

    /// The header this credential is sent as, marked sensitive.
    fn header(&self) -> (HeaderName, HeaderValue) {
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
        let mut value = HeaderValue::from_str(&text).expect("checked: no control characters");
        value.set_sensitive(true);
        (name, value)
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
    user_agent: HeaderValue,
}

impl ClientState {
    /// State that authenticates every request with `credential`.
    pub fn new(credential: Credential) -> Self {
        ClientState {
            credential: Some(credential),
            user_agent: HeaderValue::from_static(concat!(
                "studio-api-rust/",
                env!("CARGO_PKG_VERSION")
            )),
        }
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
            ..Self::new(Credential::api_key(""))
        }
    }

    /// Adds the credential and User-Agent headers to a request.
    pub(crate) fn decorate(&self, headers: &mut HeaderMap) {
        if let Some(credential) = &self.credential {
            let (name, value) = credential.header();
            headers.insert(name, value);
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
