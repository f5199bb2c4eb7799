//! Waiting for quota before sending, instead of collecting 429s.
//!
//! One token bucket per credential, shared by every client built with that
//! credential (clones, and blocking clients too): it holds the documented
//! quota (`operations::API_KEY_QUOTA_PER_MINUTE` and
//! `BEARER_QUOTA_PER_MINUTE`, from the spec) and refills
//! at that rate. When the server sends `X-RateLimit-Remaining` and `-Reset`
//! the bucket follows them instead: it never assumes more room than the
//! server reports, spends nothing more once that is used up, and refills to
//! the limit when the server's window resets. A 429 that still arrives
//! empties it until `Retry-After` has passed.
//!
//! A wait the server imposes (a `Retry-After`, or a window with nothing
//! left) is waited out only up to the caller's cap: past it, `acquire`
//! fails at once with the time left, for every client sharing the bucket,
//! instead of blocking for hours. Header values are read as the whole
//! numbers the API sends; anything else is ignored.

use crate::Credential;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A quota: requests per minute, as the spec documents it for a kind of
/// credential.
fn quota(credential: &Credential) -> f64 {
    f64::from(match credential {
        Credential::ApiKey(_) => crate::operations::API_KEY_QUOTA_PER_MINUTE,
        Credential::Bearer(_) => crate::operations::BEARER_QUOTA_PER_MINUTE,
    })
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

    /// Waits until a request may be sent, and takes its token; fails with
    /// the time left when the server asked for a wait longer than `cap`.
    pub(crate) async fn acquire(&self, cap: Duration) -> Result<(), Duration> {
        while let Some(wait) = self.try_take(Instant::now()) {
            if let Wait::Server(left) = wait
                && left > cap
            {
                return Err(left);
            }
            tokio::time::sleep(wait.duration()).await;
        }
        Ok(())
    }

    /// Takes a token if one is there; otherwise how long until one is.
    fn try_take(&self, now: Instant) -> Option<Wait> {
        let mut tokens = self.lock();
        if let Some(until) = tokens.blocked_until {
            if until > now {
                return Some(Wait::Server(until - now));
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
            Some(at) => Wait::Server(at.saturating_duration_since(now)),
            None => Wait::Refill(Duration::from_secs_f64(
                (1.0 - tokens.available) / self.per_second,
            )),
        })
    }

    /// Corrects the bucket from a response's rate-limit headers and status.
    pub(crate) fn observe(&self, status: StatusCode, headers: &HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let now = Instant::now();
        let epoch_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        // A reset already past marks a response from an earlier window (a
        // slow one, answered after the window turned): what it says is left
        // is stale too, and must not empty the new window's bucket.
        let reset_in = number("x-ratelimit-reset")
            .map(|reset| Duration::from_secs(reset).checked_sub(epoch_now));
        let current = !matches!(reset_in, Some(None));
        let mut tokens = self.lock();
        if let Some(limit) = number("x-ratelimit-limit") {
            tokens.limit = (limit as f64).max(1.0);
        }
        if let Some(remaining) = number("x-ratelimit-remaining").filter(|_| current) {
            tokens.available = tokens.available.min(remaining as f64);
        }
        if let Some(Some(reset_in)) = reset_in {
            tokens.window_resets = Some(later(now, reset_in));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            tokens.available = 0.0;
            let wait = crate::retry::retry_after(headers)
                .or_else(|| {
                    tokens
                        .window_resets
                        .map(|at| at.saturating_duration_since(now))
                })
                .unwrap_or(Duration::from_secs(1));
            tokens.blocked_until = Some(later(now, wait));
        }
    }
}

/// Why a request must wait, and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Wait {
    /// The server asked for it (`Retry-After`, or its window is used up).
    Server(Duration),
    /// The local bucket refills at the documented rate.
    Refill(Duration),
}

impl Wait {
    fn duration(self) -> Duration {
        match self {
            Wait::Server(wait) | Wait::Refill(wait) => wait,
        }
    }
}

/// `now + wait`, at most a century ahead, so no wait overflows the clock.
pub(crate) fn later(now: Instant, wait: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(wait.min(CENTURY)).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(remaining: u32, reset_in: f64) -> HeaderMap {
        let epoch_now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let reset = (epoch_now.as_secs_f64() + reset_in).ceil() as u64;
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
            matches!(wait, Wait::Server(w) if w > Duration::from_secs(29)),
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

#[cfg(test)]
mod hostile {
    use super::*;

    fn one(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, value.parse().unwrap());
        headers
    }

    #[test]
    fn absurd_header_values_neither_panic_nor_block_forever() {
        let pacer = Pacer::new(60.0, 1.0);
        for value in [
            "NaN",
            "inf",
            "-1",
            "1e300",
            "18446744073709551615",
            "99999999999999999999",
        ] {
            pacer.observe(StatusCode::OK, &one("x-ratelimit-reset", value));
            pacer.observe(StatusCode::OK, &one("x-ratelimit-limit", value));
            pacer.observe(StatusCode::OK, &one("x-ratelimit-remaining", value));
            pacer.observe(StatusCode::TOO_MANY_REQUESTS, &one("retry-after", value));
        }
        match pacer.try_take(Instant::now()) {
            Some(Wait::Server(wait)) => assert!(wait > Duration::from_secs(3600), "{wait:?}"),
            other => panic!("a far wait the server asked for, got {other:?}"),
        }
    }
}
