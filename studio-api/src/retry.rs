//! When to send a request again, and how long to wait first.
//!
//! A write (POST, PATCH, DELETE) is sent again only when it certainly did
//! not take effect: a 429 (the request was refused) or a connection that
//! could not be made. A read (GET) changes nothing, so it is also sent
//! again after a 502, 503 or 504, a timeout or a broken connection. A
//! write whose outcome is unknown is never sent twice.
//!
//! The same facts serve the error a call ends with: whether the server may
//! have acted on a write ([`may_have_acted`]), how long it asked to wait
//! ([`retry_after`], also read by pacing) and the id it gave the request.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// One retry about to happen, as given to an `on_retry` callback.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryEvent {
    /// The operation id.
    pub operation: &'static str,
    /// Which retry this is (1 for the first).
    pub attempt: u32,
    /// How long the client waits before sending again.
    pub delay: Duration,
    /// Why: a status (`429 Too Many Requests`) or `connection refused`.
    pub reason: String,
}

/// A callback run before every retry.
pub type OnRetry = Arc<dyn Fn(&RetryEvent) + Send + Sync>;

/// How many times to retry and how long to wait.
#[derive(Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2).
    pub max_retries: u32,
    /// The first backoff step (default 500 ms); each later one doubles.
    pub base_delay: Duration,
    /// The largest backoff step (default 8 s).
    pub max_delay: Duration,
    /// The longest wait a server may ask for (default 60 s): a longer
    /// `Retry-After` is not waited out and the 429 is returned, and pacing
    /// fails calls at once while such a wait is in force.
    pub retry_after_cap: Duration,
    /// Called before each retry.
    pub on_retry: Option<OnRetry>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            retry_after_cap: Duration::from_secs(60),
            on_retry: None,
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_retries", &self.max_retries)
            .field("base_delay", &self.base_delay)
            .field("max_delay", &self.max_delay)
            .field("retry_after_cap", &self.retry_after_cap)
            .field("on_retry", &self.on_retry.as_ref().map(|_| "callback"))
            .finish()
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based) of an attempt that
    /// ended in `outcome`, or `None` to return the outcome as it is.
    pub(crate) fn decide(
        &self,
        retry: u32,
        outcome: &reqwest::Result<reqwest::Response>,
        read: bool,
    ) -> Option<(Duration, String)> {
        if retry > self.max_retries {
            return None;
        }
        match outcome {
            Ok(response) => {
                let status = response.status();
                let retryable = status == StatusCode::TOO_MANY_REQUESTS
                    || (read && matches!(status.as_u16(), 502..=504));
                if !retryable {
                    return None;
                }
                let delay = match retry_after(response.headers()) {
                    Some(wait) => honoured(wait, self.retry_after_cap, true)?,
                    None => self.backoff(retry),
                };
                Some((delay, status.to_string()))
            }
            Err(error) if error.is_connect() => Some((
                self.backoff(retry),
                "connection failed before sending".into(),
            )),
            Err(error) if read => Some((
                self.backoff(retry),
                if error.is_timeout() {
                    "timed out".into()
                } else {
                    "connection broke".into()
                },
            )),
            Err(_) => None,
        }
    }

    /// Exponential backoff with full jitter: a random wait up to
    /// `base_delay * 2^(retry-1)`, capped at `max_delay`.
    fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_delay);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// Whether a server may have acted on a write that was sent: it answered
/// anything but a refusal (1xx and 4xx), or no status came back and the
/// connection did not fail before sending.
pub(crate) fn may_have_acted(
    status: Option<StatusCode>,
    cause: Option<&(dyn std::error::Error + Send + Sync + 'static)>,
) -> bool {
    match status {
        Some(status) => !status.is_client_error() && !status.is_informational(),
        None => cause
            .and_then(|cause| cause.downcast_ref::<reqwest::Error>())
            .is_none_or(|error| !error.is_connect()),
    }
}

/// How long the client waits for a server's hint (a `Retry-After`, or a
/// quota window that is used up), the one rule for calls, polls, listings
/// and pacing: a `refusal` (a 429, or a retry or pacing wait after one)
/// that asks for more than `cap` is not waited at all (`None`: the call
/// fails at once, rate limited); any other hint is waited for at most
/// `cap`. Callers with a deadline wait no longer than it, too.
pub(crate) fn honoured(hint: Duration, cap: Duration, refusal: bool) -> Option<Duration> {
    if hint <= cap {
        Some(hint)
    } else if refusal {
        None
    } else {
        Some(cap)
    }
}

/// The request id the server gave a response, for errors and spans.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or_default())
}
