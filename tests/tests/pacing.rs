//! Pacing: the client waits for quota instead of collecting 429s, and every
//! client with the same credential shares one budget.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use studio_api::{Client, Credential};
use studio_mock::MockServer;

/// A client that counts its retries (a 429 would cause one).
fn client(server: &MockServer, retries: &Arc<AtomicUsize>) -> Client {
    let seen = retries.clone();
    Client::builder()
        .base_url(server.base_url())
        .credential(Credential::api_key(server.api_key()))
        .on_retry(move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_tasks_stay_inside_the_quota() {
    let server = MockServer::builder()
        .rate_limit(60, 120, Duration::from_secs(1))
        .start()
        .unwrap();
    let retries = Arc::new(AtomicUsize::new(0));
    let client = client(&server, &retries);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..25 {
                    client
                        .list_voices()
                        .send()
                        .await
                        .expect("no error reaches the caller");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        server.request_count("list_voices"),
        Ok(200),
        "no request was refused and resent"
    );
    assert_eq!(retries.load(Ordering::SeqCst), 0, "no 429 arrived");
}

#[test]
fn a_blocking_client_with_the_same_key_shares_the_budget() {
    let server = MockServer::builder()
        .rate_limit(5, 120, Duration::from_secs(2))
        .start()
        .unwrap();
    let retries = Arc::new(AtomicUsize::new(0));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let asynchronous = client(&server, &retries);
    runtime.block_on(async {
        for _ in 0..5 {
            asynchronous.list_voices().send().await.unwrap();
        }
    });
    drop(runtime);
    let blocking = studio_api_blocking::Client::from_async(
        Client::builder()
            .base_url(server.base_url())
            .credential(Credential::api_key(server.api_key()))
            .build()
            .unwrap(),
    )
    .unwrap();
    blocking
        .list_voices()
        .send()
        .expect("waits for the window instead of a 429");
    assert_eq!(server.request_count("list_voices"), Ok(6));
    assert_eq!(retries.load(Ordering::SeqCst), 0);
}
