//! How the client meets each way a request can fail: the error kind and
//! status it reports, how many requests reached the server, and that a
//! billed operation never arrives twice.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use studio_api::{Client, Error, ErrorKind, RetryEvent};
use studio_tests::faults::{FaultServer, Reply, http};

/// A client with fast backoff and no pacing, recording its retries.
fn client(base_url: &str) -> (Client, Arc<Mutex<Vec<RetryEvent>>>) {
    let retries = Arc::new(Mutex::new(Vec::new()));
    let seen = retries.clone();
    let client = Client::builder()
        .base_url(base_url)
        .api_key("sk_test_faults")
        .pacing(false)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .timeout(Duration::from_millis(500))
        .on_retry(move |event| seen.lock().unwrap().push(event.clone()))
        .build()
        .unwrap();
    (client, retries)
}

async fn get(client: &Client) -> Result<(), Error> {
    client
        .get_project()
        .project_id("prj_1")
        .send()
        .await
        .map(|_| ())
}

/// A billed operation that starts a generation job.
async fn paid(client: &Client) -> Result<(), Error> {
    client
        .generate_frame_image()
        .frame_id("frm_1")
        .send()
        .await
        .map(|_| ())
}

const PROJECT: &str = r#"{"success":true,"data":{"id":"prj_1","name":"P","aspect_ratio":"16:9","frame_count":0,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}"#;

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    let refusing = studio_tests::scripted::Refusing::new();
    let (client, retries) = client(refusing.base_url());
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Connection);
    assert_eq!(error.status(), None);
    assert!(!error.outcome_unknown());
    assert_eq!(retries.lock().unwrap().len(), 2, "the default 2 retries");
}

#[tokio::test]
async fn a_close_before_the_request_is_read_is_retried_only_for_a_read() {
    for (paid_call, retried) in [(false, 2), (true, 0)] {
        let server = FaultServer::start(vec![Reply::CloseOnAccept]);
        let (client, retries) = client(server.base_url());
        let error = if paid_call {
            paid(&client).await
        } else {
            get(&client).await
        }
        .unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::Connection, "{error}");
        assert_eq!(server.received(), 0);
        let resent = retries
            .lock()
            .unwrap()
            .iter()
            .filter(|event| event.operation == error.operation())
            .count();
        assert_eq!(resent, retried, "the job lookup after it may retry");
        assert_eq!(error.attempts(), retried as u32 + 1);
        // The client cannot tell that the server read nothing.
        assert_eq!(error.outcome_unknown(), paid_call, "{error}");
    }
}

#[tokio::test]
async fn a_reset_after_the_request_is_sent_resends_only_a_read() {
    let server = FaultServer::start(vec![Reply::CloseAfterRequest]);
    let (client, retries) = client(server.base_url());
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Connection);
    assert!(!error.outcome_unknown(), "a GET changes nothing: {error:?}");
    assert_eq!(server.received(), 3, "a read is sent again");
    assert_eq!(retries.lock().unwrap().len(), 2);
    retries.lock().unwrap().clear();

    let server = FaultServer::start(vec![Reply::CloseAfterRequest]);
    let (client, _) = client_for(&server);
    let error = paid(&client).await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Connection);
    assert!(error.outcome_unknown());
    assert!(error.to_string().contains("outcome is unknown"), "{error}");
    assert_eq!(
        server.received_with("POST"),
        1,
        "the billed request arrived once"
    );
    assert!(retries.lock().unwrap().is_empty());
}

fn client_for(server: &FaultServer) -> (Client, Arc<Mutex<Vec<RetryEvent>>>) {
    client(server.base_url())
}

#[tokio::test]
async fn an_html_502_keeps_its_status_and_is_retried_only_when_unbilled() {
    let page = http(
        502,
        &[("content-type", "text/html")],
        "<html><h1>502 Bad Gateway</h1></html>",
    );
    let server = FaultServer::start(vec![Reply::Raw(page.clone())]);
    let (client, retries) = client_for(&server);
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Server);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert!(error.message().contains("502 Bad Gateway"), "{error}");
    assert_eq!(server.received(), 3, "one attempt and two retries");
    assert_eq!(retries.lock().unwrap()[0].reason, "502 Bad Gateway");

    let server = FaultServer::start(vec![Reply::Raw(page)]);
    let (client, _) = client_for(&server);
    let error = paid(&client).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert!(error.outcome_unknown());
    assert_eq!(
        server.received_with("POST"),
        1,
        "the billed request arrived once"
    );
}

#[tokio::test]
async fn a_503_with_retry_after_is_waited_out_then_succeeds() {
    let server = FaultServer::start(vec![
        Reply::Raw(http(503, &[("retry-after", "1")], "")),
        Reply::Raw(http(200, &[("content-type", "application/json")], PROJECT)),
    ]);
    let (client, retries) = client_for(&server);
    let started = Instant::now();
    get(&client).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(server.received(), 2);
    let retries = retries.lock().unwrap();
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0].delay, Duration::from_secs(1));
    assert_eq!(retries[0].operation, "get_project");
}

#[tokio::test]
async fn an_empty_429_is_retried_even_when_billed_and_keeps_its_status() {
    let server = FaultServer::start(vec![Reply::Raw(http(429, &[], ""))]);
    let (client, _) = client_for(&server);
    let error = paid(&client).await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::RateLimited { retry_after: None });
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert!(
        !error.outcome_unknown(),
        "a 429 was refused, not carried out"
    );
    assert_eq!(server.received(), 3, "refused requests are safe to resend");
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured_and_a_huge_one_is_not_waited() {
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc2822();
    let server = FaultServer::start(vec![
        Reply::Raw(http(429, &[("retry-after", &soon)], "")),
        Reply::Raw(http(200, &[("content-type", "application/json")], PROJECT)),
    ]);
    let (client, retries) = client_for(&server);
    get(&client).await.unwrap();
    let delay = retries.lock().unwrap()[0].delay;
    assert!(
        delay > Duration::from_millis(500) && delay <= Duration::from_secs(2),
        "{delay:?}"
    );

    let server = FaultServer::start(vec![Reply::Raw(http(429, &[("retry-after", "3600")], ""))]);
    let (client, retries) = client_for(&server);
    let started = Instant::now();
    let error = get(&client).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        error.kind(),
        &ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(3600))
        }
    );
    assert_eq!(server.received(), 1);
    assert!(retries.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_read_whose_body_is_slower_than_the_attempt_timeout_is_retried_then_a_timeout() {
    let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 300\r\nconnection: close\r\n\r\n{\"success\":".to_vec();
    let server = FaultServer::start(vec![Reply::Stall {
        start: head,
        pause: Duration::from_secs(3),
        rest: Vec::new(),
    }]);
    let (client, _) = client_for(&server);
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Timeout, "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
    assert_eq!(server.received(), 3, "a read is sent again");
    assert_eq!(error.attempts(), 3);
}

#[tokio::test]
async fn invalid_json_and_a_missing_field_are_undecodable_with_their_status() {
    for body in ["{not json", r#"{"success":true,"data":{"id":"prj_1"}}"#] {
        let server = FaultServer::start(vec![Reply::Raw(http(
            200,
            &[("content-type", "application/json")],
            body,
        ))]);
        let (client, _) = client_for(&server);
        let error = get(&client).await.unwrap_err();
        let ErrorKind::UndecodableResponse { snippet } = error.kind() else {
            panic!("expected an undecodable response, got {error:?}");
        };
        assert_eq!(snippet, body);
        assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
        assert_eq!(server.received(), 1);
    }
}

#[tokio::test]
async fn a_truncated_body_is_a_connection_error_that_keeps_the_status() {
    let mut truncated = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\nconnection: close\r\n\r\n".to_vec();
    truncated.extend_from_slice(&PROJECT.as_bytes()[..40]);
    let server = FaultServer::start(vec![Reply::Raw(truncated)]);
    let (client, _) = client_for(&server);
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200), "{error:?}");
    assert!(
        matches!(
            error.kind(),
            ErrorKind::Connection | ErrorKind::UndecodableResponse { .. }
        ),
        "{error:?}"
    );
    assert_eq!(server.received(), 3, "a read is sent again");
}
