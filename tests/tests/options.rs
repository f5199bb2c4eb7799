//! Per-call options, shown on the wire in both crates: extra headers, a
//! per-attempt timeout, a deadline across retries, the number of retries,
//! and the poll schedule of job handles.

use serde_json::json;
use std::time::{Duration, Instant};
use studio_api::{Client, Credential, ErrorKind, PollSchedule};
use studio_mock::MockServer;
use studio_tests::RecordingServer;
use studio_tests::faults::{FaultServer, Reply, http};

use crate::edges::cases;

fn client(base_url: &str, key: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .api_key(key)
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .unwrap()
}

fn unavailable(count: usize, retry_after: &str) -> Vec<Reply> {
    (0..count)
        .map(|_| Reply::Raw(http(503, &[("retry-after", retry_after)], "")))
        .collect()
}

#[tokio::test]
async fn extra_headers_go_with_the_option_client_only_and_never_replace_the_credential() {
    let server = RecordingServer::json(200, json!({"success": true, "message": "ok"}));
    let parent = client(server.base_url(), "sk_live_options_headers");
    let traced = parent.with_options(|o| o.header("x-trace-id", "trace-7"));
    traced.delete_team().team_id("team_1").send().await.unwrap();
    parent.delete_team().team_id("team_1").send().await.unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].header("x-trace-id"), Some("trace-7"));
    assert_eq!(
        requests[0].header("x-api-key"),
        Some("sk_live_options_headers")
    );
    assert_eq!(
        requests[1].header("x-trace-id"),
        None,
        "the parent is unchanged"
    );

    for (name, value) in [
        ("authorization", "Bearer other"),
        ("bad name", "x"),
        ("x-ok", "line\nbreak"),
    ] {
        let error = parent
            .with_options(|o| o.header(name, value))
            .delete_team()
            .team_id("team_1")
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::InvalidInput, "{name}: {error}");
        assert_eq!(error.attempts(), 0);
    }
    assert_eq!(server.requests().len(), 2, "nothing more was sent");
}

#[tokio::test]
async fn the_timeout_applies_per_attempt() {
    let stall = Reply::Stall {
        start: Vec::new(),
        pause: Duration::from_secs(3),
        rest: http(200, &[], "{}"),
    };
    let server = FaultServer::start(vec![stall]);
    let quick = client(server.base_url(), "sk_live_options_timeout")
        .with_options(|o| o.timeout(Duration::from_millis(200)).max_retries(0));
    let started = Instant::now();
    let error = quick.get_team().team_id("team_1").send().await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Timeout, "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_deadline_covers_every_retry_and_its_wait() {
    let server = FaultServer::start(unavailable(10, "1"));
    let bounded = client(server.base_url(), "sk_live_options_deadline")
        .with_options(|o| o.deadline(Duration::from_millis(300)).max_retries(5));
    let started = Instant::now();
    let error = bounded
        .get_team()
        .team_id("team_1")
        .send()
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.kind(), &ErrorKind::Timeout, "{error}");
    assert!(
        took < Duration::from_millis(900),
        "the 1 s Retry-After was not waited out: {took:?}"
    );
    assert_eq!(error.attempts(), 1, "{error}");
    assert!(!error.outcome_unknown(), "a read changes nothing: {error}");
    assert!(error.message().contains("deadline"), "{error}");

    // A write that was sent and never answered within the deadline may have
    // been carried out, and says so.
    let stall = Reply::Stall {
        start: Vec::new(),
        pause: Duration::from_secs(3),
        rest: http(201, &[], "{}"),
    };
    let server = FaultServer::start(vec![stall]);
    let error = client(server.base_url(), "sk_live_options_deadline_write")
        .with_options(|o| o.deadline(Duration::from_millis(300)))
        .create_team()
        .body_map(|b| b.name("Harbor"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Timeout, "{error}");
    assert!(error.outcome_unknown(), "{error}");
}

#[tokio::test]
async fn max_retries_is_per_option_client() {
    let server = FaultServer::start(unavailable(4, "0"));
    let parent = client(server.base_url(), "sk_live_options_retries");
    let once = parent.with_options(|o| o.max_retries(0));
    let error = once.get_team().team_id("team_1").send().await.unwrap_err();
    assert_eq!(error.attempts(), 1, "{error}");
    let error = parent
        .get_team()
        .team_id("team_1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.attempts(),
        3,
        "the parent keeps its two retries: {error}"
    );
}

#[tokio::test]
async fn job_handles_poll_on_the_schedule_of_the_client_they_come_from() {
    let server = MockServer::builder()
        .job_duration(Duration::from_millis(150))
        .start()
        .unwrap();
    let fast = PollSchedule {
        first: Duration::from_millis(20),
        factor: 1.0,
        ..Default::default()
    };
    let built = Client::builder()
        .base_url(server.base_url())
        .api_key(server.api_key())
        .poll_schedule(fast)
        .build()
        .unwrap();
    let default =
        Client::with_credential(server.base_url(), Credential::api_key(server.api_key())).unwrap();
    let optioned = default.with_options(|o| o.poll_schedule(fast));
    let project = built
        .create_project()
        .body_map(|b| b.name("Harbour"))
        .send()
        .await
        .unwrap();
    for client in [&built, &optioned] {
        let frame = client
            .create_frame()
            .project_id(&project.data.id)
            .body_map(|b| b.script("A harbour at dawn"))
            .send()
            .await
            .unwrap();
        let job = client
            .generate_frame_image()
            .frame_id(&frame.data.id)
            .send()
            .await
            .unwrap();
        let started = Instant::now();
        client.job(&job.data).wait().await.unwrap();
        // The default schedule's first poll is a second away.
        assert!(
            started.elapsed() < Duration::from_millis(800),
            "{:?}",
            started.elapsed()
        );
    }
}

/// Option headers that would change where a request goes, how its body
/// is framed, or carry what a terminal or a log might act on.
const REFUSED_HEADERS: [(&str, &str); 16] = [
    ("host", "evil.example"),
    ("Host", "evil.example"),
    ("content-length", "0"),
    ("content-length", "5"),
    ("transfer-encoding", "chunked"),
    ("connection", "close"),
    ("te", "trailers"),
    ("trailer", "x-after"),
    ("upgrade", "websocket"),
    ("keep-alive", "timeout=5"),
    ("proxy-authorization", "Basic eA=="),
    ("proxy-connection", "keep-alive"),
    ("x-api-key", "sk_other"),
    ("x-trace-id", "zero\u{200b}width"),
    ("x-trace-id", "next\u{85}line"),
    ("x-trace-id", "del\u{7f}"),
];

#[test]
fn option_headers_cannot_change_routing_framing_or_carry_invisible_bytes() {
    let server = RecordingServer::json(201, json!({"success": true, "data": cases::project()}));
    let parent = client(server.base_url(), "sk_live_options_refused");
    let blocking = studio_api_blocking::Client::from_async(parent.clone()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (name, value) in REFUSED_HEADERS {
        let options = |o: studio_api::CallOptions| o.header(name, value);
        let with_header = parent.with_options(options);
        let sent = with_header
            .create_project()
            .body_map(|b| b.name("Options"))
            .send();
        let from_async = runtime.block_on(sent).unwrap_err();
        let from_blocking = blocking
            .with_options(options)
            .create_project()
            .body_map(|b| b.name("Options"))
            .send()
            .unwrap_err();
        for error in [from_async, from_blocking] {
            assert_eq!(error.kind(), &ErrorKind::InvalidInput, "{name}: {error}");
            assert_eq!(error.attempts(), 0, "{name}");
            assert!(!error.outcome_unknown(), "{name}");
            let named = name.to_ascii_lowercase();
            assert!(error.message().contains(&named), "{name}: {error}");
        }
    }
    assert!(server.requests().is_empty(), "nothing was sent");

    // Spaces and tabs are what a header value may hold besides visible ASCII.
    let spaced = parent.with_options(|o| o.header("x-trace-id", "a b\tc"));
    runtime
        .block_on(
            spaced
                .create_project()
                .body_map(|b| b.name("Options"))
                .send(),
        )
        .unwrap();
    let sent = server.single_request();
    assert_eq!(sent.header("x-trace-id"), Some("a b\tc"));
    assert_eq!(sent.json()["name"], "Options", "the whole body was sent");
}

#[test]
fn the_blocking_client_takes_the_same_options() {
    let server = RecordingServer::json(200, json!({"success": true, "message": "ok"}));
    let parent = studio_api_blocking::Client::builder()
        .base_url(server.base_url())
        .api_key("sk_live_options_blocking")
        .build()
        .unwrap();
    parent
        .with_options(|o| {
            o.header("x-trace-id", "trace-9")
                .timeout(Duration::from_secs(5))
        })
        .delete_team()
        .team_id("team_1")
        .send()
        .unwrap();
    assert_eq!(
        server.single_request().header("x-trace-id"),
        Some("trace-9")
    );

    let server = FaultServer::start(unavailable(10, "1"));
    let bounded = studio_api_blocking::Client::builder()
        .base_url(server.base_url())
        .api_key("sk_live_options_blocking_deadline")
        .build()
        .unwrap()
        .with_options(|o| o.deadline(Duration::from_millis(300)));
    let started = Instant::now();
    let error = bounded.get_team().team_id("team_1").send().unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Timeout, "{error}");
    assert!(started.elapsed() < Duration::from_millis(900));
}

#[test]
fn the_blocking_client_retries_and_polls_as_its_options_say() {
    let server = FaultServer::start(unavailable(4, "0"));
    let parent = studio_api_blocking::Client::builder()
        .base_url(server.base_url())
        .api_key("sk_live_options_blocking_retries")
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .unwrap();
    let error = parent
        .with_options(|o| o.max_retries(0))
        .get_team()
        .team_id("team_1")
        .send()
        .unwrap_err();
    assert_eq!(error.attempts(), 1, "{error}");

    let mock = MockServer::builder()
        .job_duration(Duration::from_millis(150))
        .start()
        .unwrap();
    let fast = PollSchedule {
        first: Duration::from_millis(20),
        factor: 1.0,
        ..Default::default()
    };
    let client = studio_api_blocking::Client::with_credential(
        mock.base_url(),
        Credential::api_key(mock.api_key()),
    )
    .unwrap()
    .with_options(|o| o.poll_schedule(fast));
    let project = client
        .create_project()
        .body_map(|b| b.name("Harbour"))
        .send()
        .unwrap();
    let frame = client
        .create_frame()
        .project_id(&project.data.id)
        .body_map(|b| b.script("A harbour at dawn"))
        .send()
        .unwrap();
    let job = client
        .generate_frame_image()
        .frame_id(&frame.data.id)
        .send()
        .unwrap();
    let started = Instant::now();
    client.job(&job.data).wait().unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
}
