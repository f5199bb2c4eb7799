//! The error body every non-2xx response carries.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// An API error: a status, the message, and field messages for a 422.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The human-readable message.
    pub message: String,
    /// Field name → messages, for validation errors.
    pub errors: BTreeMap<String, Vec<String>>,
}

impl ApiError {
    /// An error with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            errors: BTreeMap::new(),
        }
    }

    /// 404 for a `kind` (e.g. "Project") that does not exist.
    pub fn not_found(kind: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{kind} not found"))
    }

    /// 422 for one invalid field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut error = Self::new(StatusCode::UNPROCESSABLE_ENTITY, message.clone());
        error.errors.insert(field.to_string(), vec![message]);
        error
    }

    /// 402 when the wallet cannot pay `cost` credits.
    pub fn payment_required(cost: f64, balance: f64) -> Self {
        Self::new(
            StatusCode::PAYMENT_REQUIRED,
            format!(
                "Subscription or wallet balance needed: this costs {cost} credits and the wallet holds {balance}"
            ),
        )
    }

    /// The JSON body: `{"success": false, "message": ..., "errors"?: ...}`.
    pub fn body(&self) -> Value {
        let mut body = json!({"success": false, "message": self.message});
        if !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        body
    }

    /// The response: the status with the JSON body.
    pub fn response(&self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}
