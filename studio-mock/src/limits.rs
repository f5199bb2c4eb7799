//! Per-credential request quotas in fixed windows, as the API documents them.

use crate::error::ApiError;
use axum::http::StatusCode;
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Quotas: requests per window for API keys and for bearer users.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// Requests per window for one API key (60 in production).
    pub api_key_quota: u32,
    /// Requests per window for one bearer user (120 in production).
    pub bearer_quota: u32,
    /// The window length (a minute in production).
    pub window: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            api_key_quota: 60,
            bearer_quota: 120,
            window: Duration::from_secs(60),
        }
    }
}

/// What the `X-RateLimit-*` headers say after a request.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// The quota.
    pub limit: u32,
    /// Requests left in this window.
    pub remaining: u32,
    /// When the window resets, in epoch seconds.
    pub reset_epoch: u64,
    /// Seconds until the window resets (for `Retry-After`), rounded up.
    pub retry_after: u64,
}

/// Fixed-window counters, one per bucket.
#[derive(Debug, Default)]
pub struct Limiter {
    windows: HashMap<String, (Instant, u32)>,
}

impl Limiter {
    /// Counts a request for `bucket`; `Err` with the usage when over `quota`.
    pub fn admit(
        &mut self,
        bucket: &str,
        quota: u32,
        window: Duration,
    ) -> Result<Usage, (ApiError, Usage)> {
        let now = Instant::now();
        let (start, count) = self.windows.entry(bucket.to_string()).or_insert((now, 0));
        if now.duration_since(*start) >= window {
            *start = now;
            *count = 0;
        }
        let left = window.saturating_sub(now.duration_since(*start));
        let reset = SystemTime::now() + left;
        let usage = |remaining| Usage {
            limit: quota,
            remaining,
            reset_epoch: reset
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() + u64::from(d.subsec_nanos() > 0))
                .unwrap_or_default(),
            retry_after: left.as_secs() + u64::from(left.subsec_nanos() > 0),
        };
        if *count >= quota {
            let error = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests. Wait and retry.",
            );
            return Err((error, usage(0)));
        }
        *count += 1;
        Ok(usage(quota - *count))
    }
}
