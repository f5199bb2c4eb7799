//! Quotas: per API key and per bearer user, 429 with `Retry-After` past
//! them, and `X-RateLimit-*` headers on every counted response.

use crate::common;

use common::{assert_error, bearer_client, client, header, key_client};
use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use studio_api::Client;
use studio_mock::MockServer;

const TOO_MANY: &str = "Too many requests. Wait and retry.";

/// A server allowing 3 requests per API key and 5 per bearer user every 2 s,
/// returned at the start of a window.
async fn limited() -> MockServer {
    let server = common::builder()
        .rate_limit(3, 5, Duration::from_secs(2))
        .start()
        .unwrap();
    window_start(Duration::from_secs(2)).await;
    server
}

/// Sleeps until just after the next window starts: windows are aligned to
/// the clock, so a test that must stay inside one window starts there.
async fn window_start(window: Duration) {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let into = since_epoch.as_nanos() % window.as_nanos();
    let left = window.as_nanos() - into;
    let left = Duration::from_nanos(u64::try_from(left).unwrap());
    tokio::time::sleep(left + Duration::from_millis(5)).await;
}

fn number(headers: &HeaderMap, name: &str) -> u64 {
    header(headers, name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} is a whole number"))
}

fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Spends a fresh quota of `quota` with `caller`, checking the headers of
/// each response, then checks the 429 that follows.
async fn exhaust(caller: &Client, quota: u64, window_secs: u64) {
    for used in 1..=quota {
        let response = caller.list_projects().send().await.unwrap();
        let headers = response.headers();
        assert_eq!(number(headers, "x-ratelimit-limit"), quota);
        assert_eq!(number(headers, "x-ratelimit-remaining"), quota - used);
        let reset = number(headers, "x-ratelimit-reset");
        let now = now_epoch();
        assert!(
            (now..=now + window_secs + 1).contains(&reset),
            "reset {reset} is within the window from {now}"
        );
    }
    let error = caller.list_projects().send().await.unwrap_err();
    let error = assert_error(error, 429, TOO_MANY);
    let headers = error.headers().expect("a response");
    let retry_after = number(headers, "retry-after");
    assert!(
        (1..=window_secs).contains(&retry_after),
        "Retry-After {retry_after} is at most the window"
    );
    assert_eq!(number(headers, "x-ratelimit-remaining"), 0);
    assert_eq!(number(headers, "x-ratelimit-limit"), quota);
}

#[tokio::test]
async fn an_api_key_gets_429_past_its_quota_and_keys_do_not_share() {
    let server = limited().await;
    let key = client(&server);
    exhaust(&key, 3, 2).await;
    // Still refused: a 429 does not reopen the window.
    let error = key.list_voices().send().await.unwrap_err();
    assert_error(error, 429, TOO_MANY);

    // Another key has a quota of its own, and so does the bearer user.
    let other = key_client(&server, &server.mint_api_key(None));
    let response = other.list_projects().send().await.unwrap();
    assert_eq!(number(response.headers(), "x-ratelimit-remaining"), 2);
    let response = bearer_client(&server).list_projects().send().await.unwrap();
    assert_eq!(number(response.headers(), "x-ratelimit-limit"), 5);
    assert_eq!(number(response.headers(), "x-ratelimit-remaining"), 4);
}

#[tokio::test]
async fn a_bearer_user_gets_429_past_its_quota_across_tokens() {
    let server = limited().await;
    let bearer = bearer_client(&server);
    exhaust(&bearer, 5, 2).await;

    // The quota is the user's, so a second token of the same user is refused too.
    let second = common::plain(
        &server,
        studio_api::Credential::bearer(server.mint_bearer_token()),
    )
    .build()
    .unwrap();
    let error = second.list_projects().send().await.unwrap_err();
    assert_error(error, 429, TOO_MANY);

    // API keys are counted apart from the user's bearer quota.
    let response = client(&server).list_projects().send().await.unwrap();
    assert_eq!(number(response.headers(), "x-ratelimit-remaining"), 2);
}

#[tokio::test]
async fn error_responses_count_and_carry_the_headers() {
    let server = limited().await;
    let key = client(&server);
    let error = key
        .get_project()
        .project_id("prj_404")
        .send()
        .await
        .unwrap_err();
    let error = assert_error(error, 404, "Project not found");
    assert_eq!(number(error.headers().unwrap(), "x-ratelimit-remaining"), 2);
    let response = key.list_projects().send().await.unwrap();
    assert_eq!(number(response.headers(), "x-ratelimit-remaining"), 1);
}

#[tokio::test]
async fn the_quota_refills_when_the_window_ends() {
    let server = common::builder()
        .rate_limit(1, 1, Duration::from_millis(500))
        .start()
        .unwrap();
    window_start(Duration::from_millis(500)).await;
    let key = client(&server);
    key.list_projects().send().await.unwrap();
    let error = key.list_projects().send().await.unwrap_err();
    let error = assert_error(error, 429, TOO_MANY);
    // Whole seconds, rounded up, never 0.
    assert_eq!(header(error.headers().unwrap(), "retry-after"), "1");
    tokio::time::sleep(Duration::from_millis(550)).await;
    let response = key.list_projects().send().await.unwrap();
    assert_eq!(number(response.headers(), "x-ratelimit-remaining"), 0);
}

#[tokio::test]
async fn the_default_quotas_are_the_documented_ones() {
    let server = MockServer::start().unwrap();
    let response = client(&server).list_projects().send().await.unwrap();
    assert_eq!(number(response.headers(), "x-ratelimit-limit"), 60);
    let response = bearer_client(&server).list_projects().send().await.unwrap();
    assert_eq!(number(response.headers(), "x-ratelimit-limit"), 120);
}

#[tokio::test]
async fn without_rate_limiting_there_are_no_quota_headers_and_no_429() {
    let server = common::start(); // `no_rate_limit()`
    let key = client(&server);
    // More than the production quota of 60 per key.
    for _ in 0..70 {
        let response = key.list_projects().send().await.unwrap();
        for name in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
        ] {
            assert!(response.headers().get(name).is_none(), "{name} is absent");
        }
    }
    let error = key
        .get_project()
        .project_id("prj_404")
        .send()
        .await
        .unwrap_err();
    let error = assert_error(error, 404, "Project not found");
    assert!(error.headers().unwrap().get("x-ratelimit-limit").is_none());
}
