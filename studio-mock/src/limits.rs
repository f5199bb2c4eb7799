//! Per-credential request quotas in fixed windows, as the API documents them.

use crate::error::ApiError;
use axum::http::StatusCode;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Quotas: requests per window for API keys and for bearer users.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// Requests per window for one API key (the spec's quota in production).
    pub api_key_quota: u32,
    /// Requests per window for one bearer user (the spec's quota in production).
    pub bearer_quota: u32,
    /// The window length (a minute in production).
    pub window: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            api_key_quota: studio_api::operations::API_KEY_QUOTA_PER_MINUTE,
            bearer_quota: studio_api::operations::BEARER_QUOTA_PER_MINUTE,
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

/// Fixed-window counters, one per bucket. Windows are aligned to the clock
/// (window `n` covers `[n·w, (n+1)·w)` since the epoch), as a counter keyed
/// by the current window is usually kept, so `X-RateLimit-Reset` is exact
/// whenever the window is a whole number of seconds.
#[derive(Debug, Default)]
pub struct Limiter {
    windows: HashMap<String, (u128, u32)>,
}

impl Limiter {
    /// Counts a request for `bucket`; `Err` with the usage when over `quota`.
    pub fn admit(
        &mut self,
        bucket: &str,
        quota: u32,
        window: Duration,
    ) -> Result<Usage, (ApiError, Usage)> {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let width = window.as_nanos().max(1);
        let index = since_epoch.as_nanos() / width;
        let (current, count) = self.windows.entry(bucket.to_string()).or_insert((index, 0));
        if *current != index {
            *current = index;
            *count = 0;
        }
        let reset = Duration::from_nanos(u64::try_from((index + 1) * width).unwrap_or(u64::MAX));
        let left = reset.saturating_sub(since_epoch);
        let usage = |remaining| Usage {
            limit: quota,
            remaining,
            reset_epoch: reset.as_secs() + u64::from(reset.subsec_nanos() > 0),
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
