//! The quota shared through Redis (`shared_quota`, `STUDIO_QUOTA_URL`):
//! clients in separate processes share one budget against studio-mock,
//! a 429 one of them sees pauses the others, Redis going away fails no
//! call, and neither the credential nor the store's password is written
//! anywhere they could leak. Over `rediss://` they share it too, trusting
//! the server's authority; a client that does not trust it paces alone.
//!
//! Each test starts its own `redis-server` (see
//! `studio_tests::redis_server`) and is skipped, saying so, without one.

use std::path::Path;
use std::time::{Duration, Instant};
use studio_api::{BuiltClient, Client, ClientBuilder, Credential, ErrorKind};
use studio_mock::{Fault, MockServer};
use studio_tests::faults::{FaultServer, Reply, http};
use studio_tests::logs::traced;
use studio_tests::quota_worker::Workers;
use studio_tests::redis_server::{PASSWORD, RedisServer};
use studio_tests::tls::Issued;

/// How a test starts its Redis: [`RedisServer::start`] or
/// [`RedisServer::start_tls`].
type Launch = fn(&str) -> Option<RedisServer>;

/// `calls` calls per worker process with `key`, through the store at
/// `quota_url` (`redis`'s), trusting `redis`'s authority if it has one.
fn workers<'a>(
    server: &'a MockServer,
    key: &'a str,
    redis: &'a RedisServer,
    quota_url: &'a str,
    project_id: &'a str,
    calls: u32,
) -> Workers<'a> {
    Workers {
        program: Path::new(env!("CARGO_BIN_EXE_quota_worker")),
        base_url: server.base_url(),
        key,
        quota_url: Some(quota_url),
        roots_pem: redis.authority_pem(),
        project_id,
        calls,
    }
}

/// A project to read, made with the bearer token (whose quota is apart).
async fn project(server: &MockServer) -> String {
    let owner =
        Client::with_credential(server.base_url(), Credential::bearer(server.bearer_token()))
            .unwrap();
    let project = owner.create_project().body_map(|b| b.name("Shared"));
    project.send().await.unwrap().into_inner().data.id
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A Redis for `test` started by `launch` (`None`: it is skipped),
/// studio-mock allowing `quota` requests per credential per `window`, and
/// a key of its own.
fn start(
    launch: Launch,
    test: &str,
    quota: u32,
    window: Duration,
) -> Option<(RedisServer, MockServer, String)> {
    let redis = launch(test)?;
    let server = MockServer::builder()
        .rate_limit(quota, quota, window)
        .start()
        .unwrap();
    let key = server.mint_api_key(None);
    Some((redis, server, key))
}

/// `builder`, pacing through `redis` and trusting its authority if it
/// has one.
fn through<C: BuiltClient>(builder: ClientBuilder<C>, redis: &RedisServer) -> ClientBuilder<C> {
    let builder = builder.shared_quota(redis.url());
    match redis.authority_pem() {
        Some(pem) => builder.add_root_certificates_pem(pem),
        None => builder,
    }
}

/// Settings for a client of `server` pacing through `redis`.
fn shared(server: &MockServer, redis: &RedisServer) -> ClientBuilder {
    through(Client::builder().base_url(server.base_url()), redis)
}

/// A client with `key`, pacing through `redis`.
fn shared_client(server: &MockServer, key: &str, redis: &RedisServer) -> Client {
    shared(server, redis).api_key(key).build().unwrap()
}

/// The quota keys in Redis.
fn quota_keys(redis: &RedisServer) -> Vec<String> {
    redis
        .dump()
        .into_iter()
        .filter(|line| line.starts_with("studio:quota:v1:"))
        .collect()
}

#[test]
fn two_processes_share_one_budget_and_get_no_429() {
    two_processes_share_one_budget(
        RedisServer::start,
        "two_processes_share_one_budget_and_get_no_429",
    );
}

#[test]
fn two_processes_share_one_budget_through_rediss() {
    two_processes_share_one_budget(
        RedisServer::start_tls,
        "two_processes_share_one_budget_through_rediss",
    );
}

/// Two worker processes sharing a budget through a Redis from `launch`
/// get no 429 and take as long as the budget says.
fn two_processes_share_one_budget(launch: Launch, test: &str) {
    let Some((redis, server, key)) = start(launch, test, 20, Duration::from_secs(1)) else {
        return;
    };
    let project_id = runtime().block_on(project(&server));
    let started = Instant::now();
    let url = redis.url();
    let reports = workers(&server, &key, &redis, &url, &project_id, 30).run(2);
    for report in &reports {
        assert_eq!((report.ok, report.failed), (30, 0), "{report:?}");
    }
    assert_eq!(
        server.request_count("get_project"),
        Ok(60),
        "every request was served at its first try: none was refused with 429"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "60 calls at 20 a window span three windows, so two turns a second apart: {:?}",
        started.elapsed()
    );
    assert_eq!(quota_keys(&redis).len(), 1, "one bucket for the one key");
}

#[test]
fn a_429_seen_by_one_process_pauses_the_other() {
    let test = "a_429_seen_by_one_process_pauses_the_other";
    let Some((redis, server, key)) = start(RedisServer::start, test, 100, Duration::from_secs(60))
    else {
        return;
    };
    let project_id = runtime().block_on(project(&server));
    let refused = Fault::Status {
        status: 429,
        retry_after: Some(3),
    };
    server.fail_next("get_project", 1, refused).unwrap();
    let this_process = shared(&server, &redis)
        .api_key(&key)
        .max_retries(0)
        .build()
        .unwrap();
    let error = runtime()
        .block_on(this_process.get_project().project_id(&project_id).send())
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::RateLimited { .. }),
        "{error}"
    );
    let refused_at = Instant::now();

    let url = redis.url();
    let other = workers(&server, &key, &redis, &url, &project_id, 1).run(1);
    assert_eq!((other[0].ok, other[0].failed), (1, 0), "{other:?}");
    assert!(
        refused_at.elapsed() >= Duration::from_millis(2900),
        "the other process waited out the Retry-After of 3 s: {:?}",
        refused_at.elapsed()
    );
    assert!(
        other[0].first_call_ms >= 2000.0,
        "its call was held, not sent at once: {:?}",
        other[0]
    );
    assert_eq!(
        server.request_count("get_project"),
        Ok(2),
        "the other process's call was not refused"
    );
}

#[test]
fn redis_going_away_mid_run_fails_no_call_warns_once_and_sharing_resumes() {
    let test = "redis_going_away_mid_run_fails_no_call_warns_once_and_sharing_resumes";
    let Some((mut redis, server, key)) =
        start(RedisServer::start, test, 1000, Duration::from_secs(1))
    else {
        return;
    };
    let redis = &mut redis;
    let logs = traced(async {
        let project_id = project(&server).await;
        let client = shared_client(&server, &key, redis);
        let call = || async {
            let sent = Instant::now();
            let result = client.get_project().project_id(&project_id).send().await;
            assert!(result.is_ok(), "no call fails: {:?}", result.err());
            assert!(sent.elapsed() < Duration::from_secs(1), "no call stalls");
        };
        for _ in 0..5 {
            call().await;
        }
        assert_eq!(quota_keys(redis).len(), 1, "the bucket is in Redis");

        redis.stop();
        for _ in 0..20 {
            call().await;
        }
        redis.start_again();
        assert!(quota_keys(redis).is_empty(), "a restarted Redis is empty");
        let deadline = Instant::now() + Duration::from_secs(10);
        while quota_keys(redis).is_empty() {
            assert!(
                Instant::now() < deadline,
                "sharing resumed after the restart"
            );
            call().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for _ in 0..5 {
            call().await;
        }
    });
    let warnings = logs
        .matches("the shared quota store is unreachable")
        .count();
    assert_eq!(warnings, 1, "one warning for the outage:\n{logs}");
    assert!(logs.contains("WARN"), "{logs}");
    let resumed = logs
        .matches("the shared quota store is reachable again")
        .count();
    assert_eq!(resumed, 1, "one note that sharing resumed:\n{logs}");
    assert!(
        !logs.contains(PASSWORD) && !logs.contains(&key),
        "no secret in the logs:\n{logs}"
    );
}

#[test]
fn the_credential_never_reaches_redis() {
    let test = "the_credential_never_reaches_redis";
    let Some((redis, server, key)) = start(RedisServer::start, test, 1000, Duration::from_secs(1))
    else {
        return;
    };
    let token = server.mint_bearer_token();
    let refused = Fault::Status {
        status: 429,
        retry_after: Some(1),
    };
    server.fail_next("get_project", 1, refused).unwrap();
    let client = shared_client(&server, &key, &redis);
    let bearer = shared(&server, &redis)
        .bearer_token(&token)
        .build()
        .unwrap();
    runtime().block_on(async {
        let project_id = project(&server).await;
        for _ in 0..3 {
            client
                .get_project()
                .project_id(&project_id)
                .send()
                .await
                .unwrap();
            bearer.list_projects().send().await.unwrap();
        }
    });
    let dump = redis.dump().join("\n");
    assert_eq!(
        quota_keys(&redis).len(),
        2,
        "one bucket per credential:\n{dump}"
    );
    for secret in [key.as_str(), token.as_str()] {
        for part in secret.as_bytes().windows(8) {
            let part = std::str::from_utf8(part).unwrap();
            assert!(
                !dump.contains(part),
                "{part:?} of a credential is in Redis:\n{dump}"
            );
        }
    }
    for shown in [
        format!("{client:?}"),
        format!("{:?}", Client::builder().shared_quota(redis.url())),
    ] {
        assert!(
            !shown.contains(PASSWORD) && !shown.contains(&key),
            "{shown}"
        );
    }
}

#[test]
fn a_blocking_client_shares_the_budget_too() {
    a_blocking_client_shares(
        RedisServer::start,
        "a_blocking_client_shares_the_budget_too",
    );
}

#[test]
fn a_blocking_client_shares_the_budget_through_rediss_too() {
    a_blocking_client_shares(
        RedisServer::start_tls,
        "a_blocking_client_shares_the_budget_through_rediss_too",
    );
}

/// A blocking client keeps its bucket in a Redis from `launch`.
fn a_blocking_client_shares(launch: Launch, test: &str) {
    let Some((redis, server, key)) = start(launch, test, 1000, Duration::from_secs(1)) else {
        return;
    };
    let builder = studio_api_blocking::Client::builder()
        .base_url(server.base_url())
        .api_key(&key);
    let client = through(builder, &redis).build().unwrap();
    client.list_projects().send().unwrap();
    assert_eq!(quota_keys(&redis).len(), 1, "the bucket is in Redis");
}

#[test]
fn a_client_that_does_not_trust_the_authority_of_rediss_paces_alone_and_fails_no_call() {
    let test = "a_client_that_does_not_trust_the_authority_of_rediss_paces_alone_and_fails_no_call";
    let Some((redis, server, key)) =
        start(RedisServer::start_tls, test, 1000, Duration::from_secs(1))
    else {
        return;
    };
    let untrusting = [
        // The system's roots only.
        Client::builder(),
        // Those and another authority.
        Client::builder().add_root_certificates_pem(Issued::new().authority_pem),
    ];
    let logs = traced(async {
        for builder in untrusting {
            let client = builder
                .base_url(server.base_url())
                .api_key(&key)
                .shared_quota(redis.url())
                .build()
                .unwrap();
            for _ in 0..3 {
                let sent = Instant::now();
                let result = client.list_projects().send().await;
                assert!(result.is_ok(), "no call fails: {:?}", result.err());
                assert!(sent.elapsed() < Duration::from_secs(1), "no call stalls");
            }
            assert!(
                quota_keys(&redis).is_empty(),
                "a client that does not trust the server's certificate shares nothing"
            );
        }
        let trusting = shared_client(&server, &key, &redis);
        trusting.list_projects().send().await.unwrap();
        assert_eq!(
            quota_keys(&redis).len(),
            1,
            "trusting the authority, the client shares"
        );
    });
    let warnings = logs
        .matches("the shared quota store is unreachable")
        .count();
    assert_eq!(warnings, 2, "one warning per untrusting client:\n{logs}");
    let url = redis.url();
    let address = url.rsplit('@').next().unwrap().trim_end_matches('/');
    for secret in [PASSWORD, &key, address] {
        assert!(
            !logs.contains(secret),
            "neither a secret nor the store's address in the logs:\n{logs}"
        );
    }
}

#[test]
fn build_neither_connects_nor_fails_and_calls_go_on_while_redis_is_down() {
    let server = MockServer::builder()
        .rate_limit(1000, 1000, Duration::from_secs(1))
        .start()
        .unwrap();
    // Nothing listens on port 1.
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(server.mint_api_key(None))
        .shared_quota("redis://127.0.0.1:1/")
        .build()
        .unwrap();
    runtime().block_on(async {
        for _ in 0..3 {
            client.list_projects().send().await.unwrap();
        }
    });
}

#[test]
fn a_malformed_quota_url_is_a_configuration_error_that_does_not_repeat_it() {
    for url in [
        "http://:hunter2-password@127.0.0.1:6379/",
        "not a url hunter2-password",
    ] {
        let error = Client::builder()
            .api_key("sk_live_example")
            .shared_quota(url)
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::Configuration, "{error}");
        assert!(error.to_string().contains("shared quota URL"), "{error}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}

#[test]
fn a_rediss_url_that_turns_verification_off_is_refused_at_build() {
    let error = Client::builder()
        .api_key("sk_live_example")
        .shared_quota("rediss://:hunter2-password@127.0.0.1:6379/#insecure")
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Configuration, "{error}");
    assert!(
        error
            .to_string()
            .contains("without certificate verification"),
        "{error}"
    );
    assert!(!error.to_string().contains("hunter2"), "{error}");
}

#[test]
fn absurd_rate_limit_headers_neither_break_the_script_nor_block_forever() {
    let Some(redis) = RedisServer::start("absurd_rate_limit_headers_neither_break_the_script")
    else {
        return;
    };
    let huge = "18446744073709551615";
    let absurd = [
        ("x-ratelimit-limit", huge),
        ("x-ratelimit-remaining", huge),
        ("x-ratelimit-reset", huge),
    ];
    let server = FaultServer::start(vec![
        Reply::Raw(http(200, &absurd, "{}")),
        Reply::Raw(http(429, &[("retry-after", "99999999999999999999")], "")),
    ]);
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key("sk_live_absurd_headers")
        .shared_quota(redis.url())
        .max_retries(0)
        .build()
        .unwrap();
    let logs = traced(async {
        for _ in 0..2 {
            let _ = client.get_project().project_id("prj_1").send().await;
        }
        let refused = client.get_project().project_id("prj_1").send().await;
        let error = refused.unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::RateLimited { .. }),
            "{error}"
        );
        assert_eq!(error.attempts(), 0, "refused before sending: {error}");
    });
    assert!(
        !logs.contains("unreachable"),
        "the script ran every time:\n{logs}"
    );
    assert_eq!(quota_keys(&redis).len(), 1);
}
