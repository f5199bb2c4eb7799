//! Waiting for quota before sending, instead of collecting 429s.
//!
//! One token bucket per credential, shared by every client built with that
//! credential (clones, and blocking clients too): it holds the documented
//! quota (60 a minute for an API key, 120 for a bearer token) and refills
//! at that rate. When the server sends `X-RateLimit-Remaining` and `-Reset`
//! the bucket follows them instead: it never assumes more room than the
//! server reports, spends nothing more once that is used up, and refills to
//! the limit when the server's window resets. A 429 that still arrives
//! empties it until `Retry-After` has passed.

use crate::Credential;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A quota: requests per minute, as documented for a kind of credential.
fn quota(credential: &Credential) -> f64 {
    match credential {
        Credential::ApiKey(_) => 60.0,
        Credential::Bearer(_) => 120.0,
    }
}

/// The token bucket of one credential.
#[derive(Debug)]
pub struct Pacer {
    per_second: f64,
    state: Mutex<Tokens>,
}

#[derive(Debug)]
struct Tokens {
    available: f64,
    limit: f64,
    updated: Instant,
    /// No request before this instant (after a 429).
    blocked_until: Option<Instant>,
    /// When the server said its window resets; the bucket refills to `limit` then.
    window_resets: Option<Instant>,
}

impl Pacer {
    /// The bucket shared by every client that uses `credential`.
    pub(crate) fn for_credential(credential: &Credential) -> Arc<Pacer> {
        static PACERS: OnceLock<Mutex<HashMap<u64, Arc<Pacer>>>> = OnceLock::new();
        let mut hasher = DefaultHasher::new();
        credential.fingerprint(&mut hasher);
        let key = hasher.finish();
        let limit = quota(credential);
        PACERS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(key)
            .or_insert_with(|| Arc::new(Pacer::new(limit, limit / 60.0)))
            .clone()
    }

    fn new(limit: f64, per_second: f64) -> Self {
        Pacer {
            per_second,
            state: Mutex::new(Tokens {
                available: limit,
                limit,
                updated: Instant::now(),
                blocked_until: None,
                window_resets: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until a request may be sent, and takes its token.
    pub(crate) async fn acquire(&self) {
        while let Some(wait) = self.try_take(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes a token if one is there; otherwise how long until one is.
    fn try_take(&self, now: Instant) -> Option<Duration> {
        let mut tokens = self.lock();
        if let Some(until) = tokens.blocked_until {
            if until > now {
                return Some(until - now);
            }
            tokens.blocked_until = None;
        }
        let elapsed = now.saturating_duration_since(tokens.updated).as_secs_f64();
        tokens.updated = now;
        match tokens.window_resets {
            // The server's window is known: only what it said is left may
            // be spent until the window resets.
            Some(at) if at > now => {}
            Some(_) => {
                tokens.window_resets = None;
                tokens.available = tokens.available.max(tokens.limit);
            }
            None => {
                tokens.available = (tokens.available + elapsed * self.per_second).min(tokens.limit);
            }
        }
        if tokens.available >= 1.0 {
            tokens.available -= 1.0;
            return None;
        }
        Some(match tokens.window_resets {
            Some(at) => at.saturating_duration_since(now),
            None => Duration::from_secs_f64((1.0 - tokens.available) / self.per_second),
        })
    }

    /// Corrects the bucket from a response's rate-limit headers and status.
    pub(crate) fn observe(&self, status: StatusCode, headers: &HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        let now = Instant::now();
        let epoch_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let reset = number("x-ratelimit-reset");
        // A reset already past marks a response from an earlier window (a
        // slow one, answered after the window turned): what it says is left
        // is stale too, and must not empty the new window's bucket.
        let current = reset.is_none_or(|reset| reset > epoch_now);
        let mut tokens = self.lock();
        if let Some(limit) = number("x-ratelimit-limit") {
            tokens.limit = limit.max(1.0);
        }
        if let Some(remaining) = number("x-ratelimit-remaining").filter(|_| current) {
            tokens.available = tokens.available.min(remaining);
        }
        if let Some(reset) = reset.filter(|_| current) {
            tokens.window_resets = Some(now + Duration::from_secs_f64(reset - epoch_now));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            tokens.available = 0.0;
            let wait = crate::error::retry_after(headers)
                .or_else(|| {
                    tokens
                        .window_resets
                        .map(|at| at.saturating_duration_since(now))
                })
                .unwrap_or(Duration::from_secs(1));
            tokens.blocked_until = Some(now + wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(remaining: u32, reset_in: f64) -> HeaderMap {
        let epoch_now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let reset = (epoch_now.as_secs_f64() + reset_in).ceil();
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-limit", "60".parse().unwrap());
        headers.insert(
            "x-ratelimit-remaining",
            remaining.to_string().parse().unwrap(),
        );
        headers.insert("x-ratelimit-reset", reset.to_string().parse().unwrap());
        headers
    }

    #[test]
    fn a_used_up_window_holds_requests_until_it_resets() {
        let pacer = Pacer::new(60.0, 1.0);
        pacer.observe(StatusCode::OK, &headers(0, 30.0));
        let wait = pacer.try_take(Instant::now()).expect("no token left");
        assert!(
            wait > Duration::from_secs(29),
            "waits {wait:?} for the reset"
        );
    }

    #[test]
    fn a_response_from_an_earlier_window_does_not_empty_the_bucket() {
        let pacer = Pacer::new(60.0, 1.0);
        // Answered after its window ended: its reset is already past.
        pacer.observe(StatusCode::OK, &headers(0, -5.0));
        assert_eq!(
            pacer.try_take(Instant::now()),
            None,
            "a token is taken at once"
        );
    }
}
