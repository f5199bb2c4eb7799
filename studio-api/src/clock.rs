//! The server's clock, as its `Date` headers tell it.
//!
//! A response's `Date` (whole seconds) was read off the server's clock at
//! some moment between sending the request and receiving the answer, so
//! `date - received` is a lower bound of how far the server's clock runs
//! ahead of ours. Each response can only raise that bound, and a time on
//! our clock plus the bound is a time the server's clock had certainly
//! reached then: no later than the true time, however slow the network.

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::header::{DATE, HeaderMap, HeaderValue};
use std::sync::Mutex;

/// The highest lower bound seen of (server clock − local clock).
#[derive(Debug, Default)]
pub(crate) struct ServerClock {
    state: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    ahead_at_least: Option<TimeDelta>,
    /// The last `Date` learnt from: later responses with the same value
    /// arrived later, so they cannot raise the bound.
    last_date: Option<HeaderValue>,
}

impl ServerClock {
    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Learns from the `Date` of a response received at `received`.
    pub(crate) fn observe(&self, headers: &HeaderMap, received: DateTime<Utc>) {
        let Some(value) = headers.get(DATE) else {
            return;
        };
        let mut seen = self.lock();
        if seen.last_date.as_ref() == Some(value) {
            return;
        }
        let Some(date) = value
            .to_str()
            .ok()
            .and_then(|v| DateTime::parse_from_rfc2822(v.trim()).ok())
        else {
            return;
        };
        let bound = date.with_timezone(&Utc) - received;
        seen.ahead_at_least = Some(seen.ahead_at_least.map_or(bound, |known| known.max(bound)));
        seen.last_date = Some(value.clone());
    }

    /// A time the server's clock had certainly reached when ours read
    /// `local`, rounded down to the second (servers often stamp whole
    /// seconds); `None` before any response carried a `Date`.
    pub(crate) fn server_time_at_least(&self, local: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let ahead = self.lock().ahead_at_least?;
        let server = local.checked_add_signed(ahead)?;
        DateTime::from_timestamp(server.timestamp(), 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(date: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(DATE, date.parse().unwrap());
        headers
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn the_bound_never_passes_the_servers_true_time() {
        let clock = ServerClock::default();
        assert_eq!(clock.server_time_at_least(at("2026-12-01T10:00:00Z")), None);
        // The server runs 3.7 s ahead; its Date is read at 10:00:03.7 server
        // time and arrives at 10:00:00.2 local time (a 0.2 s trip).
        clock.observe(
            &headers("Tue, 01 Dec 2026 10:00:03 GMT"),
            at("2026-12-01T10:00:00.2Z"),
        );
        let bound = clock
            .server_time_at_least(at("2026-12-01T10:01:00Z"))
            .unwrap();
        assert!(bound <= at("2026-12-01T10:01:03.7Z"), "{bound}");
        assert_eq!(bound, at("2026-12-01T10:01:02Z"));
        // A later, luckier sample tightens it; an unparsable one is ignored.
        clock.observe(
            &headers("Tue, 01 Dec 2026 10:00:13 GMT"),
            at("2026-12-01T10:00:09.35Z"),
        );
        clock.observe(&headers("yesterday"), at("2026-12-01T10:00:10Z"));
        let bound = clock
            .server_time_at_least(at("2026-12-01T10:01:00Z"))
            .unwrap();
        assert_eq!(bound, at("2026-12-01T10:01:03Z"));
    }
}
