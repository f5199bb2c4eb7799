//! Credentials and the per-client state the generated `Client` carries.

use secrecy::{ExposeSecret, SecretString};
use std::fmt;

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

    /// The header name and value this credential is sent as.
    pub(crate) fn header(&self) -> (&'static str, String) {
        match self {
            Credential::ApiKey(key) => ("x-api-key", key.expose_secret().to_owned()),
            Credential::Bearer(token) => {
                ("authorization", format!("Bearer {}", token.expose_secret()))
            }
        }
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
#[derive(Clone, Debug, Default)]
pub struct ClientState {
    credential: Option<Credential>,
}

impl ClientState {
    /// State that authenticates every request with `credential`.
    pub fn new(credential: Credential) -> Self {
        ClientState {
            credential: Some(credential),
        }
    }

    /// The credential requests are sent with, if any.
    pub fn credential(&self) -> Option<&Credential> {
        self.credential.as_ref()
    }
}
