//! Credentials the server accepts, and the scope and bearer-only rules.

use crate::error::ApiError;
use crate::unguessable;
use axum::http::{HeaderMap, StatusCode};
use std::collections::HashMap;
use studio_api::operations::{Operation, Scope};

/// The person behind a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// User id, e.g. `usr_mock`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
}

impl User {
    /// The one user every minted credential belongs to.
    pub fn owner() -> Self {
        User {
            id: "usr_mock".into(),
            name: "Mock Owner".into(),
            email: "owner@studio-mock.local".into(),
        }
    }
}

/// Who made a request.
#[derive(Debug, Clone)]
pub enum Principal {
    /// An API key, limited to its scopes (`None` = `*`).
    ApiKey {
        /// The key itself (the rate-limit bucket).
        key: String,
        /// The scopes it grants; `None` grants all.
        scopes: Option<Vec<Scope>>,
        /// Its owner.
        user: User,
    },
    /// A bearer token: all scopes, bearer-only operations allowed.
    Bearer {
        /// Its user (the rate-limit bucket).
        user: User,
    },
}

impl Principal {
    /// The user acting.
    pub fn user(&self) -> &User {
        match self {
            Principal::ApiKey { user, .. } | Principal::Bearer { user } => user,
        }
    }

    /// The rate-limit bucket: per key for API keys, per user for bearer tokens.
    pub fn bucket(&self) -> String {
        match self {
            Principal::ApiKey { key, .. } => format!("key:{key}"),
            Principal::Bearer { user } => format!("user:{}", user.id),
        }
    }

    /// Checks the bearer-only and scope rules for `op` (403 when broken).
    pub fn authorize(&self, op: &Operation) -> Result<(), ApiError> {
        let Principal::ApiKey { scopes, .. } = self else {
            return Ok(());
        };
        if op.bearer_only {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                studio_api::operations::KEY_FORBIDDEN_MESSAGE,
            ));
        }
        match scopes {
            Some(scopes) if !scopes.contains(&op.scope) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "{}{}",
                    studio_api::operations::MISSING_SCOPE_MESSAGE,
                    op.scope
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// The API keys and bearer tokens the server accepts.
#[derive(Debug, Default)]
pub struct Credentials {
    keys: HashMap<String, Option<Vec<Scope>>>,
    tokens: HashMap<String, User>,
}

impl Credentials {
    /// Mints an API key granting `scopes` (`None` for `*`).
    pub fn mint_api_key(&mut self, scopes: Option<Vec<Scope>>) -> String {
        let key = format!("sk_test_{}", unguessable::hex128());
        self.keys.insert(key.clone(), scopes);
        key
    }

    /// Mints a bearer token for the mock's user.
    pub fn mint_bearer_token(&mut self) -> String {
        let token = format!("tok_{}", unguessable::hex128());
        self.tokens.insert(token.clone(), User::owner());
        token
    }

    /// Identifies the caller from `X-API-Key` and `Authorization: Bearer`.
    /// Every credential sent must be valid (401 otherwise); when both are
    /// sent, the bearer token's user acts.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        let unauthorized = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Missing or invalid API key / token.",
            )
        };
        let text = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().map_err(|_| unauthorized()))
        };
        let key = match text("x-api-key").transpose()? {
            None => None,
            Some(key) => Some(self.keys.get_key_value(key).ok_or_else(unauthorized)?),
        };
        let user = match text("authorization").transpose()? {
            None => None,
            Some(value) => {
                let token = value.strip_prefix("Bearer ").ok_or_else(unauthorized)?;
                Some(self.tokens.get(token).ok_or_else(unauthorized)?)
            }
        };
        match (key, user) {
            (_, Some(user)) => Ok(Principal::Bearer { user: user.clone() }),
            (Some((key, scopes)), None) => Ok(Principal::ApiKey {
                key: key.clone(),
                scopes: scopes.clone(),
                user: User::owner(),
            }),
            (None, None) => Err(unauthorized()),
        }
    }
}
