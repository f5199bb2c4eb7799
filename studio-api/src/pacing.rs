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
//!
//! The bucket lives in a [`Store`]: in this process ([`Bucket`], the
//! default), or, with the `shared-quota` feature, in Redis for every
//! process and machine using the credential (`shared_quota.rs`).

use crate::Credential;
use crate::retry::honoured;
use futures_util::future::BoxFuture;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[cfg(feature = "shared-quota")]
pub(crate) use crate::shared_quota::SharedQuota;

/// A quota: requests per minute, as the spec documents it for a kind of
/// credential.
fn quota(credential: &Credential) -> f64 {
    f64::from(match credential {
        Credential::ApiKey(_) => crate::operations::API_KEY_QUOTA_PER_MINUTE,
        Credential::Bearer(_) => crate::operations::BEARER_QUOTA_PER_MINUTE,
    })
}

/// Where a credential's budget is kept, and how it is spent and corrected.
pub(crate) trait Store: Send + Sync + fmt::Debug {
    /// Takes a token if one is there; otherwise says how long until one is.
    fn take(&self) -> BoxFuture<'_, Option<Wait>>;
    /// Corrects the budget from what a response said.
    fn observe<'a>(&'a self, seen: &'a Seen) -> BoxFuture<'a, ()>;
}

/// The quota budget a client's requests wait on.
#[derive(Debug)]
pub struct Pacer {
    store: Arc<dyn Store>,
}

impl Pacer {
    /// The budget of `credential`: the in-process bucket every client with
    /// that credential shares, or the shared store when one is configured.
    pub(crate) fn for_credential(
        credential: &Credential,
        shared: Option<&SharedQuota>,
    ) -> Arc<Pacer> {
        static BUCKETS: OnceLock<Mutex<HashMap<String, Arc<Bucket>>>> = OnceLock::new();
        let key = credential.fingerprint();
        let (limit, per_second) = (quota(credential), quota(credential) / 60.0);
        let bucket = BUCKETS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(key.clone())
            .or_insert_with(|| Arc::new(Bucket::new(limit, per_second)))
            .clone();
        let store = match shared {
            Some(shared) => shared.store(&key, limit, per_second, bucket),
            None => bucket,
        };
        Arc::new(Pacer { store })
    }

    /// Waits until a request may be sent, and takes its token; fails with
    /// the time left when the server asked for a wait longer than `cap`.
    pub(crate) async fn acquire(&self, cap: Duration) -> Result<(), Duration> {
        while let Some(wait) = self.store.take().await {
            let wait = match wait {
                Wait::Server(left) => honoured(left, cap, true).ok_or(left)?,
                Wait::Refill(wait) => wait,
            };
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// Corrects the budget from a response's rate-limit headers and status.
    pub(crate) async fn observe(&self, status: StatusCode, headers: &HeaderMap) {
        let seen = Seen::read(status, headers);
        if seen != Seen::default() {
            self.store.observe(&seen).await;
        }
    }
}

/// What a response says about the quota, as whole numbers the API sends.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Seen {
    /// `X-RateLimit-Limit`.
    pub(crate) limit: Option<u64>,
    /// `X-RateLimit-Remaining`.
    pub(crate) remaining: Option<u64>,
    /// `X-RateLimit-Reset`: when the window resets, in seconds since the epoch.
    pub(crate) reset: Option<u64>,
    /// A 429: no request until its `Retry-After` (if any) has passed.
    pub(crate) refused: Option<Option<Duration>>,
}

impl Seen {
    /// Reads the rate-limit headers and a 429 from a response's head.
    fn read(status: StatusCode, headers: &HeaderMap) -> Seen {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Seen {
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining"),
            reset: number("x-ratelimit-reset"),
            refused: (status == StatusCode::TOO_MANY_REQUESTS)
                .then(|| crate::retry::retry_after(headers).map(|wait| wait.min(CENTURY))),
        }
    }
}

/// Without the `shared-quota` feature there is no shared store: asking
/// for one is a configuration error that names the feature.
#[cfg(not(feature = "shared-quota"))]
pub(crate) enum SharedQuota {}

#[cfg(not(feature = "shared-quota"))]
impl SharedQuota {
    /// Refuses any URL: this build cannot share a quota.
    pub(crate) fn open(
        url: Option<&str>,
        _roots: &[u8],
    ) -> Result<Option<SharedQuota>, crate::Error> {
        match url {
            None => Ok(None),
            Some(_) => Err(crate::Error::configuration(
                "ClientBuilder::build",
                "a shared quota store was asked for (shared_quota or STUDIO_QUOTA_URL), but \
                 studio-api was built without its `shared-quota` feature; enable it, or unset \
                 STUDIO_QUOTA_URL",
            )),
        }
    }

    fn store(&self, _: &str, _: f64, _: f64, _: Arc<Bucket>) -> Arc<dyn Store> {
        match *self {}
    }
}

/// The in-process token bucket of one credential.
#[derive(Debug)]
pub(crate) struct Bucket {
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

impl Bucket {
    fn new(limit: f64, per_second: f64) -> Self {
        Bucket {
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

    /// Takes a token if one is there; otherwise how long until one is.
    pub(crate) fn try_take(&self, now: Instant) -> Option<Wait> {
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

    /// Corrects the bucket from what a response said, by this process's clock.
    pub(crate) fn apply(&self, seen: &Seen) {
        let now = Instant::now();
        let epoch_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        // A reset already past marks a response from an earlier window (a
        // slow one, answered after the window turned): what it says is left
        // is stale too, and must not empty the new window's bucket.
        let reset_in = seen
            .reset
            .map(|reset| Duration::from_secs(reset).checked_sub(epoch_now));
        let current = !matches!(reset_in, Some(None));
        let mut tokens = self.lock();
        if let Some(limit) = seen.limit {
            tokens.limit = (limit as f64).max(1.0);
        }
        if let Some(remaining) = seen.remaining.filter(|_| current) {
            tokens.available = tokens.available.min(remaining as f64);
        }
        if let Some(Some(reset_in)) = reset_in {
            tokens.window_resets = Some(later(now, reset_in));
        }
        if let Some(retry_after) = seen.refused {
            tokens.available = 0.0;
            let wait = retry_after
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

impl Store for Bucket {
    fn take(&self) -> BoxFuture<'_, Option<Wait>> {
        Box::pin(std::future::ready(self.try_take(Instant::now())))
    }

    fn observe<'a>(&'a self, seen: &'a Seen) -> BoxFuture<'a, ()> {
        self.apply(seen);
        Box::pin(std::future::ready(()))
    }
}

/// Why a request must wait, and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Wait {
    /// The server asked for it (`Retry-After`, or its window is used up).
    Server(Duration),
    /// The bucket refills at the documented rate.
    Refill(Duration),
}

/// The longest wait kept: a century, so no wait overflows a clock.
pub(crate) const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `now + wait`, at most a century ahead.
pub(crate) fn later(now: Instant, wait: Duration) -> Instant {
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
        let pacer = Bucket::new(60.0, 1.0);
        pacer.apply(&Seen::read(StatusCode::OK, &headers(0, 30.0)));
        let wait = pacer.try_take(Instant::now()).expect("no token left");
        assert!(
            matches!(wait, Wait::Server(w) if w > Duration::from_secs(29)),
            "waits {wait:?} for the reset"
        );
    }

    #[test]
    fn a_response_from_an_earlier_window_does_not_empty_the_bucket() {
        let pacer = Bucket::new(60.0, 1.0);
        // Answered after its window ended: its reset is already past.
        pacer.apply(&Seen::read(StatusCode::OK, &headers(0, -5.0)));
        assert_eq!(
            pacer.try_take(Instant::now()),
            None,
            "a token is taken at once"
        );
    }
}

#[cfg(test)]
mod fingerprint {
    use crate::Credential;

    #[test]
    fn is_sha256_of_a_versioned_prefix_the_kind_and_the_secret() {
        // printf 'studio-api credential v1\0api_key\0sk_live_example' | sha256sum
        assert_eq!(
            Credential::api_key("sk_live_example").fingerprint(),
            "bffd315eeee7ccbadc330bd011b80d6c66f3b32f307aa66e5880ec0f112a7562"
        );
    }

    #[test]
    fn differs_by_kind_for_the_same_secret() {
        let key = Credential::api_key("sk_live_example").fingerprint();
        let token = Credential::bearer("sk_live_example").fingerprint();
        assert_ne!(key, token);
        assert_eq!(
            token,
            "4690f1d9de4234588e5c0270964515b4d6860d479e50ef1578f4ade4d45ef60e"
        );
    }

    #[test]
    fn holds_no_part_of_the_secret() {
        let secret = "0123456789abcdef0123456789abcdef";
        let fingerprint = Credential::api_key(secret).fingerprint();
        assert_eq!(fingerprint.len(), 64);
        for window in secret.as_bytes().windows(8) {
            let part = std::str::from_utf8(window).unwrap();
            assert!(!fingerprint.contains(part), "{part} is in {fingerprint}");
        }
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
        let pacer = Bucket::new(60.0, 1.0);
        for value in [
            "NaN",
            "inf",
            "-1",
            "1e300",
            "18446744073709551615",
            "99999999999999999999",
        ] {
            pacer.apply(&Seen::read(
                StatusCode::OK,
                &one("x-ratelimit-reset", value),
            ));
            pacer.apply(&Seen::read(
                StatusCode::OK,
                &one("x-ratelimit-limit", value),
            ));
            pacer.apply(&Seen::read(
                StatusCode::OK,
                &one("x-ratelimit-remaining", value),
            ));
            pacer.apply(&Seen::read(
                StatusCode::TOO_MANY_REQUESTS,
                &one("retry-after", value),
            ));
        }
        match pacer.try_take(Instant::now()) {
            Some(Wait::Server(wait)) => assert!(wait > Duration::from_secs(3600), "{wait:?}"),
            other => panic!("a far wait the server asked for, got {other:?}"),
        }
    }
}
