//! What a handler receives (`Call`) and returns (`Reply`).

use crate::auth::User;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

/// Settings that shape handler behaviour.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// How long generation jobs, exports and renders take.
    pub job_duration: Duration,
    /// The chance (0–1) that a job, export or render fails.
    pub failure_rate: f64,
}

/// One request, as a handler sees it.
pub struct Call<'a> {
    /// Path parameters by name.
    pub params: HashMap<String, String>,
    /// Query pairs in order; a name may repeat.
    pub query: Vec<(String, String)>,
    /// The raw request body (an upload's bytes).
    pub body: &'a Bytes,
    /// The JSON body, parsed and checked against the spec, for an
    /// operation that takes one.
    pub json: Option<&'a Value>,
    /// Who is calling.
    pub user: &'a User,
    /// The wall-clock time of the request.
    pub now: DateTime<Utc>,
    /// The server's behaviour settings.
    pub behaviour: &'a Behaviour,
}

impl Call<'_> {
    /// A path parameter (the router guarantees it is present).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The last value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated query parameter.
    pub fn query_all(&self, name: &str) -> Vec<String> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A query parameter parsed as an enum of the API: only a value it
    /// knows (its `FromStr`), else 422.
    pub fn query_enum<T: FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        self.query(name)
            .map(|value| {
                value.parse().map_err(|_| {
                    ApiError::invalid(name, format!("The selected {name} is invalid."))
                })
            })
            .transpose()
    }

    /// The JSON body decoded into a request type; 422 with the field at fault otherwise.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let Some(body) = self.json else {
            return Err(ApiError::invalid(
                "body",
                "A JSON request body is required.",
            ));
        };
        T::deserialize(body).map_err(|error| {
            let text = error.to_string();
            let field = text
                .split('`')
                .nth(1)
                .filter(|_| text.starts_with("missing field") || text.starts_with("unknown"))
                .unwrap_or("body")
                .to_string();
            ApiError::invalid(&field, format!("The request body is invalid: {text}"))
        })
    }

    /// `page` and `limit`, validated (page ≥ 1, limit 1–100, defaults 1 and 20).
    pub fn page(&self) -> Result<Page, ApiError> {
        let number = |name: &str, default: u32, max: u32| -> Result<u32, ApiError> {
            match self.query(name) {
                None => Ok(default),
                Some(text) => text
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            name,
                            format!("The {name} must be an integer between 1 and {max}."),
                        )
                    }),
            }
        };
        Ok(Page {
            page: number("page", 1, i32::MAX as u32)?,
            limit: number("limit", 20, 100)?,
        })
    }
}

/// A requested page of a list.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// One-based page number.
    pub page: u32,
    /// Items per page.
    pub limit: u32,
}

/// A success response: its status and JSON body. The body owns what it
/// shows (handlers clone it out of the store) and is serialised only by
/// [`Reply::into_response`], after the store's lock is released.
pub struct Reply {
    status: StatusCode,
    body: Box<dyn FnOnce() -> serde_json::Result<Vec<u8>> + Send>,
}

/// `{"success": true, "data": ...}`.
#[derive(Serialize)]
struct Envelope<T> {
    success: bool,
    data: T,
}

/// One page of a list with its pagination block.
#[derive(Serialize)]
struct Listing<T> {
    success: bool,
    data: Vec<T>,
    pagination: Value,
}

impl Reply {
    fn new(status: StatusCode, body: impl Serialize + Send + 'static) -> Reply {
        Reply {
            status,
            body: Box::new(move || serde_json::to_vec(&body)),
        }
    }

    fn envelope(status: StatusCode, data: impl Serialize + Send + 'static) -> Reply {
        Self::new(
            status,
            Envelope {
                success: true,
                data,
            },
        )
    }

    /// 200 with `{"success": true, "data": data}`.
    pub fn ok(data: impl Serialize + Send + 'static) -> Reply {
        Self::envelope(StatusCode::OK, data)
    }

    /// 201 with the created resource.
    pub fn created(data: impl Serialize + Send + 'static) -> Reply {
        Self::envelope(StatusCode::CREATED, data)
    }

    /// 202 with the job, export or render that was started.
    pub fn accepted(data: impl Serialize + Send + 'static) -> Reply {
        Self::envelope(StatusCode::ACCEPTED, data)
    }

    /// 200 with `{"success": true, "message": message}`.
    pub fn deleted(message: &str) -> Reply {
        Self::new(StatusCode::OK, json!({"success": true, "message": message}))
    }

    /// 200 with one page of `items` (only that page is cloned) and the
    /// pagination block.
    pub fn list<T: Clone + Serialize + Send + 'static>(items: Vec<&T>, page: Page) -> Reply {
        let total = items.len();
        let limit = page.limit as usize;
        let start = (page.page as usize - 1).saturating_mul(limit);
        let data: Vec<T> = items.into_iter().skip(start).take(limit).cloned().collect();
        Self::new(
            StatusCode::OK,
            Listing {
                success: true,
                data,
                pagination: json!({
                    "page": page.page,
                    "limit": page.limit,
                    "total": total,
                    "total_pages": total.div_ceil(limit),
                }),
            },
        )
    }

    /// Serialises the body into the response.
    pub fn into_response(self) -> Response {
        match (self.body)() {
            Ok(bytes) => (
                self.status,
                [(header::CONTENT_TYPE, "application/json")],
                bytes,
            )
                .into_response(),
            Err(error) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("The response could not be serialised: {error}"),
            )
            .response(),
        }
    }
}
