//! Misuse fails at build time with a clear error and no request; secrets
//! stay out of Debug output and logs.

use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use studio_api::{Client, ClientBuilder, Credential, ErrorKind};
use studio_tests::RecordingServer;
use studio_tests::faults::{FaultServer, Reply, http};
use studio_tests::logs::Captured;

const SECRET: &str = "sk_live_do_not_print_me";

#[test]
fn misuse_is_refused_before_any_request() {
    let server = RecordingServer::json(200, json!({"success": true, "data": []}));
    let cases = [
        (
            ClientBuilder::new().base_url(server.base_url()),
            "no credential",
        ),
        (
            ClientBuilder::new().base_url(server.base_url()).api_key(""),
            "the credential is empty",
        ),
        (
            ClientBuilder::new()
                .base_url(server.base_url())
                .api_key("sk_live_x\n"),
            "not visible ASCII",
        ),
        (
            ClientBuilder::new()
                .base_url(server.base_url())
                .bearer_token("tok en"),
            "not visible ASCII",
        ),
        (
            ClientBuilder::new()
                .base_url(server.base_url())
                .api_key("sk\u{7}x"),
            "not visible ASCII",
        ),
        (
            ClientBuilder::new()
                .api_key("sk_live_x")
                .base_url("not a url"),
            "is not a URL",
        ),
        (
            ClientBuilder::new()
                .api_key("sk_live_x")
                .base_url("ftp://mstudio.ai/api/v1"),
            "expected https",
        ),
        (
            ClientBuilder::new()
                .api_key("sk_live_x")
                .base_url("http://studio.example.com/api/v1"),
            "clear text",
        ),
        (
            ClientBuilder::new()
                .base_url(server.base_url())
                .api_key("sk_live_caf\u{e9}"),
            "not visible ASCII at position 12",
        ),
        (
            ClientBuilder::new()
                .base_url(server.base_url())
                .bearer_token("tok\u{200b}en"),
            "not visible ASCII at position 4",
        ),
        (
            ClientBuilder::new()
                .api_key("sk_live_x")
                .base_url("https://mstudio.ai/api/v1?api_key=hunter2"),
            "has a query or fragment",
        ),
        (
            ClientBuilder::new()
                .api_key("sk_live_x")
                .base_url("https://mstudio.ai/api/v1#hunter2"),
            "has a query or fragment",
        ),
        (
            ClientBuilder::new()
                .api_key("sk_live_x")
                .base_url("https://user:hunter2@mstudio.ai/api/v1"),
            "has user-info",
        ),
        (
            ClientBuilder::new()
                .api_key("sk_live_x")
                .base_url("https://hunter2@mstudio.ai/api/v1"),
            "has user-info",
        ),
        (
            ClientBuilder::new()
                .api_key("sk_live_x")
                .base_url("https://user:hunter2@[bad/api/v1"),
            "is not a URL",
        ),
        (
            ClientBuilder::new()
                .base_url("ftp://mstudio.ai/api/v1")
                .no_credential(),
            "expected https",
        ),
    ];
    for (builder, expected) in cases {
        let error = builder.build().unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::Configuration);
        assert_eq!(error.operation(), "ClientBuilder::build");
        assert!(
            error.message().contains(expected),
            "{error} should say {expected:?}"
        );
        assert!(!error.to_string().contains("sk_live_x"), "{error}");
        assert!(!format!("{error:?}").contains("hunter2"), "{error:?}");
    }
    assert!(server.requests().is_empty());
}

#[test]
fn plain_http_is_allowed_for_loopback_or_when_asked() {
    for url in [
        "http://127.0.0.1:4010/api/v1",
        "http://localhost:4010/api/v1",
        "http://[::1]:4010/api/v1",
    ] {
        ClientBuilder::new()
            .api_key("sk_live_x")
            .base_url(url)
            .build()
            .unwrap();
    }
    ClientBuilder::new()
        .api_key("sk_live_x")
        .base_url("http://studio.internal/api/v1")
        .allow_insecure_http(true)
        .build()
        .unwrap();
}

#[test]
fn from_env_reads_the_documented_variables() {
    // One test touches the environment, so nothing races it.
    let read = |key: Option<&str>, token: Option<&str>, url: Option<&str>| {
        // SAFETY: no other test in this binary reads or writes these variables.
        unsafe {
            for (name, value) in [
                ("STUDIO_API_KEY", key),
                ("STUDIO_BEARER_TOKEN", token),
                ("STUDIO_BASE_URL", url),
            ] {
                match value {
                    Some(value) => std::env::set_var(name, value),
                    None => std::env::remove_var(name),
                }
            }
        }
        Client::from_env()
    };
    let error = read(None, None, None).unwrap_err();
    assert!(error.message().contains("STUDIO_API_KEY"), "{error}");
    let client = read(Some("sk_live_env"), None, None).unwrap();
    assert_eq!(client.base_url(), "https://mstudio.ai/api/v1");
    assert!(matches!(client.credential(), Some(Credential::ApiKey(_))));
    let client = read(None, Some("tok_env"), Some("http://127.0.0.1:9/api/v1/")).unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9/api/v1");
    assert!(matches!(client.credential(), Some(Credential::Bearer(_))));
    let error = read(
        Some("sk_live_env"),
        None,
        Some("http://remote.example/api/v1"),
    )
    .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Configuration);
    read(None, None, None).unwrap_err();

    // STUDIO_QUOTA_URL is read too: a malformed one fails the build
    // without repeating it. SAFETY: as above.
    unsafe { std::env::set_var("STUDIO_QUOTA_URL", "http://:env-quota-password@127.0.0.1/") };
    let error = read(Some("sk_live_env"), None, None).unwrap_err();
    unsafe { std::env::remove_var("STUDIO_QUOTA_URL") };
    assert!(error.message().contains("shared quota URL"), "{error}");
    assert!(!error.to_string().contains("env-quota-password"), "{error}");
}

#[tokio::test]
async fn the_secret_appears_in_no_log_line_error_or_debug_output() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    let server = FaultServer::start(vec![
        Reply::Raw(http(429, &[("retry-after", "0")], "")),
        Reply::Raw(http(
            401,
            &[("content-type", "application/json")],
            r#"{"success":false,"message":"Missing or invalid API key / token."}"#,
        )),
    ]);
    let builder = Client::builder()
        .base_url(server.base_url())
        .api_key(SECRET)
        .pacing(false)
        .backoff(Duration::from_millis(1), Duration::from_millis(2));
    let client = builder.clone().build().unwrap();
    let error = client.list_voices().send().await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Unauthorized);
    let logs = logs.text();
    assert!(logs.contains("retrying"), "the retry was logged: {logs}");
    for text in [
        logs,
        format!("{error}"),
        format!("{error:?}"),
        format!("{client:?}"),
        format!("{builder:?}"),
    ] {
        assert!(!text.contains(SECRET), "the secret leaked into: {text}");
    }
}

#[test]
fn the_blocking_client_refuses_the_same_misuse() {
    let server = RecordingServer::json(200, json!({"success": true, "data": []}));
    let error = studio_api_blocking::Client::builder()
        .base_url(server.base_url())
        .api_key("sk_live_x ")
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Configuration);
    let error = studio_api_blocking::Client::builder()
        .api_key("sk_live_x")
        .base_url("http://studio.example.com/api/v1")
        .build()
        .unwrap_err();
    assert!(error.message().contains("clear text"), "{error}");
    assert!(server.requests().is_empty());
}

#[test]
fn a_zero_timeout_is_refused_and_no_secret_shows_in_the_builders_debug() {
    let error = ClientBuilder::new()
        .api_key("sk_live_x")
        .timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Configuration);
    assert!(error.message().contains("timeout is zero"), "{error}");
    let builder = ClientBuilder::new()
        .api_key(SECRET)
        .base_url("https://user:hunter2@mstudio.ai/api/v1?token=hunter3")
        .proxy(reqwest::Proxy::all("http://proxyuser:hunter4@127.0.0.1:3128").unwrap());
    let shown = format!("{builder:?}");
    for secret in [SECRET, "hunter2", "hunter3", "hunter4"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

/// A write whose connection is still being made when the attempt's time
/// runs out was never sent: it fails as a connect error, is retried, and
/// its outcome is known.
#[tokio::test]
async fn a_connect_that_outlasts_the_timeout_counts_as_nothing_sent() {
    // A listener with a full accept queue: connects hang.
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = socket.local_addr().unwrap();
    let raw = socket2::SockRef::from(&socket);
    raw.listen(0).unwrap();
    let mut queue = Vec::new();
    while let Ok(stream) =
        std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200))
    {
        queue.push(stream);
        if queue.len() > 8 {
            break;
        }
    }
    let client = Client::builder()
        .api_key("sk_live_x")
        .base_url(format!("http://{address}/api/v1"))
        .timeout(Duration::from_millis(500))
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .pacing(false)
        .build()
        .unwrap();
    let error = client
        .create_project()
        .body_map(|b| b.name("Queued"))
        .send()
        .await
        .unwrap_err();
    assert!(!error.outcome_unknown(), "{error}");
    assert_eq!(
        error.attempts(),
        3,
        "a write that was never sent is retried"
    );
}

/// The blocking crate is built the same way as the async one: switching
/// crates changes the import and drops `.await`.
#[test]
fn both_crates_build_their_client_the_same_way() {
    let server = RecordingServer::json(
        200,
        json!({"success": true, "data": {"id": "voc_1", "name": "Keeper", "category": "premade", "created_at": "2025-03-14T09:12:45Z"}}),
    );
    let retries = Arc::new(Mutex::new(0));
    let seen = retries.clone();
    let client: studio_api_blocking::Client = studio_api_blocking::Client::builder()
        .base_url(server.base_url())
        .api_key("sk_live_same_way")
        .max_retries(1)
        .on_retry(move |_event: &studio_api_blocking::RetryEvent| *seen.lock().unwrap() += 1)
        .build()
        .unwrap();
    assert_eq!(client.base_url(), server.base_url());
    assert!(matches!(client.credential(), Some(Credential::ApiKey(_))));
    let voice = client
        .get_voice()
        .voice_id("voc_1")
        .send()
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(voice.name, "Keeper");
    assert_eq!(
        server.single_request().header("x-api-key"),
        Some("sk_live_same_way")
    );
    assert_eq!(*retries.lock().unwrap(), 0);
    let error = studio_api_blocking::Client::builder().build().unwrap_err();
    assert_eq!(
        error.kind(),
        &ErrorKind::Configuration,
        "no credential: {error}"
    );
}
