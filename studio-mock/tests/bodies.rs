//! Request bodies: refused credentials are answered from the head, before
//! the body is read; bodies past their limit get 413 as soon as that is
//! known; a body within it arrives whole.

use crate::common;

use common::wire::{self, Answer, Framing, Raw};
use common::{address, assert_error, client, key_client};
use serde_json::json;
use studio_mock::{MockServer, Scope};

/// More than any server here will read: answered before it is sent.
const HUGE: u64 = 250 * 1024 * 1024;

const UNAUTHORIZED: &str = "Missing or invalid API key / token.";

/// The message of a 413 for a body past `limit` bytes.
fn too_large(limit: usize) -> String {
    format!("The request body is larger than the limit of {limit} bytes.")
}

/// Asserts a 413 in the spec's error shape, answered before `offered`
/// bytes were written.
#[track_caller]
fn assert_too_large(answer: &Answer, limit: usize, offered: u64) {
    assert_eq!(answer.status, 413, "{answer:?}");
    assert_eq!(
        answer.body,
        json!({"success": false, "message": too_large(limit)})
    );
    assert!(
        answer.sent < offered,
        "answered after the whole body ({} bytes)",
        answer.sent
    );
}

#[tokio::test]
async fn refused_credentials_are_answered_before_the_body_is_read() {
    let server = common::start();
    let at = address(server.base_url());
    let frames_only = server.mint_api_key(Some(&[Scope::Frames]));
    let cases = [
        (None, 401, UNAUTHORIZED.to_string()),
        (
            Some(("x-api-key", "sk_test_unknown".to_string())),
            401,
            UNAUTHORIZED.to_string(),
        ),
        (
            Some(("x-api-key", frames_only)),
            403,
            "API key missing required scope: assets".to_string(),
        ),
    ];
    for (credential, status, message) in cases {
        for framing in [Framing::Length, Framing::Chunked] {
            let mut request = Raw::post("/api/v1/assets?filename=big.bin", framing, HUGE);
            if let Some((name, value)) = &credential {
                request = request.header(name, value.clone());
            }
            let answer = wire::send(at, request).await;
            assert_eq!(answer.status, status, "{answer:?}");
            assert_eq!(answer.body, json!({"success": false, "message": message}));
            assert!(answer.sent < HUGE, "the {HUGE}-byte body was read first");
        }
    }
    // A client that keeps sending after the answer still reads it, rather
    // than a connection reset under its feet.
    let stranger = key_client(&server, "sk_test_unknown");
    for _ in 0..3 {
        let error = stranger
            .upload_asset()
            .filename("big.bin")
            .body(vec![0u8; 32 << 20])
            .send()
            .await
            .unwrap_err();
        assert_error(error, 401, UNAUTHORIZED);
    }
    assert_eq!(server.request_count("upload_asset"), Ok(9));
}

#[tokio::test]
async fn json_bodies_past_the_limit_get_413_by_length_and_chunked() {
    const LIMIT: usize = 64 * 1024;
    let server = common::builder().json_body_limit(LIMIT).start().unwrap();
    let at = address(server.base_url());
    for framing in [Framing::Length, Framing::Chunked] {
        let request = Raw::post("/api/v1/projects", framing, HUGE)
            .header("x-api-key", server.api_key())
            .json_field("name");
        assert_too_large(&wire::send(at, request).await, LIMIT, HUGE);
    }
    // A length one past the limit is refused from the head alone: no body follows.
    let request = Raw::post("/api/v1/projects", Framing::Claimed(LIMIT as u64 + 1), 0)
        .header("x-api-key", server.api_key());
    assert_too_large(&wire::send(at, request).await, LIMIT, 1);
    // A chunked body one byte past the limit is refused too.
    let request = Raw::post("/api/v1/projects", Framing::Chunked, LIMIT as u64 - 10)
        .header("x-api-key", server.api_key())
        .json_field("name");
    let answer = wire::send(at, request).await;
    assert_eq!(answer.status, 413, "{answer:?}");
    // Nothing was created.
    let projects = client(&server).list_projects().send().await.unwrap();
    assert_eq!(projects.pagination.total, 0);
}

#[tokio::test]
async fn an_upload_at_the_limit_is_stored_and_one_byte_more_gets_413() {
    const LIMIT: usize = 3 * 1024 * 1024 + 5;
    let server = common::builder()
        .upload_limit(LIMIT)
        .json_body_limit(1024)
        .start()
        .unwrap();
    let c = client(&server);
    let bytes: Vec<u8> = (0..LIMIT).map(|n| (n * 7 % 251) as u8).collect();
    let asset = c
        .upload_asset()
        .filename("at-the-limit.bin")
        .body(bytes.clone())
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(asset.size_bytes, LIMIT as i64);
    let (_, served) = common::download(&asset.url).await;
    assert!(served == bytes, "the stored file differs from the upload");

    // The JSON limit does not apply to uploads, nor the upload limit to JSON.
    let at = address(server.base_url());
    for framing in [Framing::Length, Framing::Chunked] {
        let request = Raw::post(
            "/api/v1/assets?filename=over.bin",
            framing,
            LIMIT as u64 + 1,
        )
        .header("x-api-key", server.api_key());
        let answer = wire::send(at, request).await;
        assert_too_large(&answer, LIMIT, LIMIT as u64 + 2);
    }
    let request = Raw::post("/api/v1/projects", Framing::Chunked, 2048)
        .header("x-api-key", server.api_key())
        .json_field("name");
    assert_too_large(&wire::send(at, request).await, 1024, 4096);
    // Through the client, which sends on after the answer, the 413 arrives too.
    for _ in 0..3 {
        let error = c
            .upload_asset()
            .filename("over.bin")
            .body(vec![0u8; 8 * LIMIT])
            .send()
            .await
            .unwrap_err();
        assert_error(error, 413, &too_large(LIMIT));
    }
    let assets = c.list_assets().send().await.unwrap();
    assert_eq!(
        assets.pagination.total, 1,
        "the refused uploads left nothing"
    );
}

#[tokio::test]
async fn the_default_limits_are_1_mib_for_json_and_100_mib_for_uploads() {
    const JSON: usize = 1024 * 1024;
    const UPLOAD: usize = 100 * 1024 * 1024;
    let server = MockServer::builder().no_rate_limit().start().unwrap();
    let at = address(server.base_url());
    let request = Raw::post("/api/v1/projects", Framing::Claimed(JSON as u64 + 1), 0)
        .header("x-api-key", server.api_key());
    assert_too_large(&wire::send(at, request).await, JSON, 1);
    let request = Raw::post(
        "/api/v1/assets?filename=big.bin",
        Framing::Claimed(UPLOAD as u64 + 1),
        0,
    )
    .header("x-api-key", server.api_key());
    assert_too_large(&wire::send(at, request).await, UPLOAD, 1);

    // A JSON body of exactly the limit is read and handled.
    let padding = "p".repeat(JSON - r#"{"name":"Pilot","padding":""}"#.len());
    let body = json!({"name": "Pilot", "padding": padding}).to_string();
    assert_eq!(body.len(), JSON);
    let response = reqwest::Client::new()
        .post(format!("{}/projects", server.base_url()))
        .header("x-api-key", server.api_key())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}
