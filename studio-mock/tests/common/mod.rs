//! What every test file shares: a server per test, clients for its
//! credentials, small fixtures, error assertions and a poll loop.

// The exports binary uses only a few of these.
#![allow(dead_code)]

pub mod binary;
pub mod wire;

use serde_json::Value;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use studio_api::{Client, ClientBuilder, Credential, Error, types};
use studio_mock::{MockBuilder, MockServer};

/// The error every generated `send()` returns.
pub type ApiError = Error;

/// How long jobs take in tests: long enough to be seen queued and
/// processing, short enough to keep the suite fast.
pub const JOB_DURATION: Duration = Duration::from_millis(300);

/// Test settings: short jobs and no quotas, since many tests make more
/// calls than a production quota allows.
pub fn builder() -> MockBuilder {
    MockServer::builder()
        .job_duration(JOB_DURATION)
        .no_rate_limit()
}

/// A server with [`builder`]'s settings.
pub fn start() -> MockServer {
    builder().start().expect("the mock server starts")
}

/// Client settings that show the server's answers as they are: no
/// retries and no pacing, since these tests check the server's rules.
pub fn plain(server: &MockServer, credential: Credential) -> studio_api::ClientBuilder {
    Client::builder()
        .base_url(server.base_url())
        .credential(credential)
        .max_retries(0)
        .pacing(false)
}

/// A client sending the API key `key`.
pub fn key_client(server: &MockServer, key: &str) -> Client {
    plain(server, Credential::api_key(key))
        .build()
        .expect("a valid client")
}

/// The `host:port` a server at `base_url` listens on.
pub fn address(base_url: &str) -> SocketAddr {
    let rest = base_url.strip_prefix("http://").expect("an http URL");
    let host = rest.split('/').next().expect("a host");
    host.parse().expect("a numeric loopback address")
}

/// The spec the server validates against, as JSON.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        serde_yaml::from_str(include_str!("../../../openapi/studio.yaml")).expect("the spec")
    })
}

/// A limit the spec states for a property of a request body schema, such
/// as `maxLength` of `CreateProjectRequest.name`.
#[track_caller]
pub fn body_limit(schema: &str, property: &str, keyword: &str) -> usize {
    let pointer = format!("/components/schemas/{schema}/properties/{property}/{keyword}");
    number(spec().pointer(&pointer), &pointer)
}

/// A limit the spec states for a query parameter of an operation, such as
/// `maxLength` of `list_projects`' `search`.
#[track_caller]
pub fn query_limit(operation_id: &str, name: &str, keyword: &str) -> usize {
    let operation = spec()["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|methods| methods.values())
        .find(|op| op["operationId"] == operation_id)
        .unwrap_or_else(|| panic!("{operation_id} is in the spec"));
    let parameter = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{operation_id} has a {name} parameter"));
    number(
        parameter["schema"].get(keyword),
        &format!("{operation_id}.{name}.{keyword}"),
    )
}

#[track_caller]
fn number(value: Option<&Value>, what: &str) -> usize {
    value
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("the spec states {what}")) as usize
}

/// A client with the server's `*` API key.
pub fn client(server: &MockServer) -> Client {
    key_client(server, server.api_key())
}

/// A client with the server's bearer token.
pub fn bearer_client(server: &MockServer) -> Client {
    plain(server, Credential::bearer(server.bearer_token()))
        .build()
        .expect("a valid client")
}

/// A client that sends no credential at all.
pub fn anonymous_client(server: &MockServer) -> Client {
    ClientBuilder::new()
        .base_url(server.base_url())
        .no_credential()
        .build()
        .expect("a valid client")
}

/// A new project named `name`.
pub async fn project(client: &Client, name: &str) -> types::Project {
    client
        .create_project()
        .body_map(|b| b.name(name))
        .send()
        .await
        .expect("create_project")
        .into_inner()
        .data
}

/// A new frame appended to `project_id` with `script`.
pub async fn frame(client: &Client, project_id: &str, script: &str) -> types::Frame {
    client
        .create_frame()
        .project_id(project_id)
        .body_map(|b| b.script(script))
        .send()
        .await
        .expect("create_frame")
        .into_inner()
        .data
}

/// The project as the server has it now.
pub async fn get_project(client: &Client, project_id: &str) -> types::Project {
    client
        .get_project()
        .project_id(project_id)
        .send()
        .await
        .expect("get_project")
        .into_inner()
        .data
}

/// Every frame of a project, read page by page (100 per page), checking
/// that the pages agree on the total and that positions run 1..=n in order.
pub async fn all_frames(client: &Client, project_id: &str) -> Vec<types::Frame> {
    let mut frames = Vec::new();
    let mut page = 1u32;
    loop {
        let response = client
            .list_frames()
            .project_id(project_id)
            .limit(100u32)
            .page(page)
            .send()
            .await
            .expect("list_frames")
            .into_inner();
        frames.extend(response.data);
        if i64::from(page) >= i64::from(response.pagination.total_pages) {
            assert_eq!(
                frames.len() as i32,
                response.pagination.total,
                "pages add up to the total"
            );
            break;
        }
        page += 1;
    }
    let positions: Vec<i32> = frames.iter().map(|f| f.position).collect();
    let expected: Vec<i32> = (1..=frames.len() as i32).collect();
    assert_eq!(positions, expected, "positions are contiguous from 1");
    frames
}

/// Asserts that `error` came from a response with `status` and the
/// server's `message`, and returns it for further checks.
#[track_caller]
pub fn assert_error(error: ApiError, status: u16, message: &str) -> ApiError {
    assert_eq!(
        error.status().map(|s| s.as_u16()),
        Some(status),
        "status of {error:?}"
    );
    assert_eq!(error.message(), message);
    error
}

/// Asserts a 422 whose message is `message` and whose `errors` name only
/// `field`, with that message.
#[track_caller]
pub fn assert_invalid(error: ApiError, field: &str, message: &str) {
    let error = assert_error(error, 422, message);
    let errors: Vec<_> = error.field_errors().iter().collect();
    assert_eq!(
        errors,
        [(&field.to_string(), &vec![message.to_string()])],
        "field messages"
    );
}

/// Asserts a 422 whose `errors` name only `field`, without pinning the
/// wording (for constraints the spec states, such as ranges and formats).
#[track_caller]
pub fn assert_invalid_field(error: ApiError, field: &str) {
    assert_eq!(
        error.status().map(|s| s.as_u16()),
        Some(422),
        "status of {error:?}"
    );
    assert!(!error.message().is_empty());
    let fields: Vec<_> = error.field_errors().keys().collect();
    assert_eq!(fields, [field], "fields at fault in {error:?}");
    assert!(!error.field_errors()[field].is_empty());
}

/// A response header as text (panics when it is missing or not text).
#[track_caller]
pub fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("header {name} is missing from {headers:?}"))
        .to_str()
        .expect("a text header")
}

/// Calls `fetch` every 20 ms until `done` holds for what it returns,
/// returning every value seen (the last one is done). Panics after 10 s.
pub async fn poll<T, F, Fut>(mut fetch: F, done: impl Fn(&T) -> bool) -> Vec<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        let value = fetch().await;
        let finished = done(&value);
        seen.push(value);
        if finished {
            return seen;
        }
        assert!(Instant::now() < deadline, "still not done after 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether a job, export or render status is final.
pub fn is_final(status: &types::JobStatus) -> bool {
    matches!(
        status,
        types::JobStatus::Completed | types::JobStatus::Failed | types::JobStatus::Canceled
    )
}

/// Polls a generation job until it is final; returns every state seen.
pub async fn wait_for_job(client: &Client, job_id: &str) -> Vec<types::GenerationJob> {
    poll(
        || async {
            client
                .get_generation_job()
                .job_id(job_id)
                .send()
                .await
                .expect("get_generation_job")
                .into_inner()
                .data
        },
        |job| is_final(&job.status),
    )
    .await
}

/// Downloads a served file: its `Content-Type` and bytes.
pub async fn download(url: &str) -> (String, Vec<u8>) {
    let response = reqwest::get(url).await.expect("the file URL answers");
    assert_eq!(response.status(), 200, "GET {url}");
    let content_type = header(response.headers(), "content-type").to_string();
    let bytes = response.bytes().await.expect("the file body").to_vec();
    (content_type, bytes)
}
