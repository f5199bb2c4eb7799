//! The blocking client runs wherever blocking is right — plain threads,
//! `spawn_blocking`, `block_in_place` — and refuses, with an error and no
//! request, wherever it would stall a runtime: inside tasks on either kind
//! of runtime and inside a `block_on` future.

use serde_json::json;
use std::sync::{Arc, Mutex};
use studio_api::{Credential, ErrorKind};
use studio_tests::RecordingServer;
use studio_tests::faults::{FaultServer, Reply, http};

/// A multi-thread and a current-thread runtime.
fn runtimes() -> [tokio::runtime::Runtime; 2] {
    [
        tokio::runtime::Runtime::new().unwrap(),
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    ]
}

fn server() -> RecordingServer {
    RecordingServer::json(200, json!({"success": true, "message": "Team deleted"}))
}

fn client(server: &RecordingServer) -> studio_api_blocking::Client {
    studio_api_blocking::Client::with_credential(server.base_url(), Credential::bearer("tok"))
        .unwrap()
}

/// One call; `Ok` when it went through, the refusal's message otherwise.
fn call(client: &studio_api_blocking::Client) -> Result<(), String> {
    match client.delete_team().team_id("team_1").send() {
        Ok(response) => {
            assert_eq!(response.message, "Team deleted");
            Ok(())
        }
        Err(error) => {
            assert_eq!(error.kind(), &ErrorKind::Configuration, "{error}");
            Err(error.to_string())
        }
    }
}

#[test]
fn blocking_threads_of_both_runtime_kinds_may_block() {
    let server = server();
    let client = client(&server);
    let [multi, current] = runtimes();
    for runtime in [&multi, &current] {
        let blocking = client.clone();
        let outcome = runtime.block_on(async move {
            tokio::task::spawn_blocking(move || call(&blocking))
                .await
                .unwrap()
        });
        assert_eq!(outcome, Ok(()));
        // A plain thread started from inside async code may block too.
        let threaded = client.clone();
        let outcome = runtime
            .block_on(async move { std::thread::spawn(move || call(&threaded)).join().unwrap() });
        assert_eq!(outcome, Ok(()));
    }
    let inside = client.clone();
    let outcome = multi.block_on(async move {
        tokio::spawn(async move { tokio::task::block_in_place(|| call(&inside)) })
            .await
            .unwrap()
    });
    assert_eq!(outcome, Ok(()));
    assert_eq!(server.requests().len(), 5);
}

#[test]
fn async_code_gets_an_error_not_a_stall_or_a_panic() {
    let server = server();
    let client = client(&server);
    let multi = tokio::runtime::Runtime::new().unwrap();
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let mut refusals = Vec::new();
    for runtime in [&multi, &current] {
        // The block_on future itself, as in `#[tokio::main] async fn main`.
        refusals.push(runtime.block_on(async { call(&client) }));
        // A spawned task, after it has spent some of its budget.
        let task = client.clone();
        refusals.push(
            runtime
                .block_on(runtime.spawn(async move {
                    tokio::task::yield_now().await;
                    call(&task)
                }))
                .unwrap(),
        );
    }
    refusals.push(local.block_on(&current, async {
        tokio::task::spawn_local({
            let client = client.clone();
            async move { call(&client) }
        })
        .await
        .unwrap()
    }));
    for refusal in refusals {
        let message = refusal.expect_err("refused");
        assert!(message.contains("inside a Tokio runtime"), "{message}");
    }
    assert!(server.requests().is_empty(), "nothing was sent");
    // Still usable where blocking is allowed, after all those refusals.
    assert_eq!(call(&client), Ok(()));
}

#[test]
fn a_call_from_inside_another_calls_callback_is_an_error_not_a_panic() {
    let server = FaultServer::start(vec![
        Reply::Raw(http(429, &[("retry-after", "0")], "")),
        Reply::Raw(http(
            200,
            &[("content-type", "application/json")],
            r#"{"success":true,"message":"Team deleted"}"#,
        )),
    ]);
    let nested: Arc<Mutex<Option<studio_api_blocking::Client>>> = Arc::default();
    let refusal = Arc::new(Mutex::new(None));
    let (slot, seen) = (nested.clone(), refusal.clone());
    let builder = studio_api::Client::builder()
        .base_url(server.base_url())
        .bearer_token("tok_nested")
        .pacing(false)
        .on_retry(move |_| {
            if let Some(client) = slot.lock().unwrap().as_ref() {
                *seen.lock().unwrap() = Some(call(client));
            }
        });
    let client = studio_api_blocking::Client::from_async(builder.build().unwrap()).unwrap();
    *nested.lock().unwrap() = Some(client.clone());
    assert_eq!(call(&client), Ok(()));
    let inner = refusal.lock().unwrap().clone().expect("the callback ran");
    assert!(inner.unwrap_err().contains("while another of its calls"));
}
