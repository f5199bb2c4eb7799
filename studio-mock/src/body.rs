//! Request bodies: what kind each operation takes, how large it may be,
//! and reading one without ever holding more than its limit.

use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use http_body::Body as _;
use http_body_util::BodyExt;
use std::time::Duration;

/// How long the rest of a refused body is read and thrown away (see [`discard_rest`]).
const LINGER: Duration = Duration::from_secs(5);

/// The kind of request body an operation takes, as the spec declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body: whatever a client sends is thrown away, never kept.
    None,
    /// A JSON document (`application/json`).
    Json,
    /// A file's raw bytes (`application/octet-stream`).
    Upload,
}

/// How many bytes a request body may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// JSON bodies: 1 MiB by default, room for the longest body the spec's
    /// length limits allow, even in four-byte characters.
    pub json: usize,
    /// Uploads: 100 MiB by default, room for a long high-quality audio
    /// track or a short video clip.
    pub upload: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            json: 1024 * 1024,
            upload: 100 * 1024 * 1024,
        }
    }
}

impl BodyLimits {
    /// The limit for a body of `kind`.
    pub fn of(&self, kind: BodyKind) -> usize {
        match kind {
            BodyKind::None => 0,
            BodyKind::Json => self.json,
            BodyKind::Upload => self.upload,
        }
    }
}

/// Reads `body` whole, or refuses it with 413 as soon as it is known to be
/// longer than `limit`: from `Content-Length` before a byte is read, or
/// once the bytes read pass the limit.
pub async fn read(body: &mut Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body is larger than the limit of {limit} bytes."),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0) as usize);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "The request body could not be read.",
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(bytes))
}

/// Reads and throws away, in the background and for at most [`LINGER`],
/// what is left of the body of a request that was answered without it
/// (refused, or an operation that takes no body). A client still sending
/// then reads the answer instead of a reset connection; nothing is kept.
/// A client waiting for `100 Continue` sends nothing more, so its
/// connection is simply closed.
pub fn discard_rest(mut body: Body, headers: &HeaderMap) {
    let waits_to_send = headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if body.is_end_stream() || waits_to_send {
        return;
    }
    tokio::spawn(async move {
        let drain = async { while let Some(Ok(_)) = body.frame().await {} };
        let _ = tokio::time::timeout(LINGER, drain).await;
    });
}
