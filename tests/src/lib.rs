//! Test support shared by the cross-crate tests: a local HTTP server that
//! records every request it receives and answers with a canned response,
//! and raw servers that misbehave on purpose ([`faults`], and [`scripted`]
//! for scripts per connection and per request), what `tracing`
//! writes ([`logs`]), a real Redis ([`redis_server`]) and the worker process of the shared-quota tests
//! and benchmarks ([`quota_worker`]).

pub mod faults;
pub mod logs;
pub mod quota_worker;
pub mod redis_server;
pub mod scripted;
pub mod tls;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};

/// Serves `app` on a free loopback port, on a thread and runtime of its
/// own so that async and blocking callers alike can use it; returns the
/// base URL, ending in `/api/v1`.
pub fn serve_on_loopback(app: axum::Router) -> String {
    serve_at("127.0.0.1", app)
}

/// Serves `app` on a free port of the loopback address `ip` (any of
/// 127.0.0.0/8, for a second origin), like [`serve_on_loopback`].
pub fn serve_at(ip: &str, app: axum::Router) -> String {
    let listener = std::net::TcpListener::bind((ip, 0)).expect("bind loopback");
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let address = listener.local_addr().expect("local address");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    format!("http://{address}/api/v1")
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The HTTP method.
    pub method: Method,
    /// The path, including the `/api/v1` prefix.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// All request headers.
    pub headers: HeaderMap,
    /// The request body, byte for byte.
    pub body: Bytes,
}

impl Recorded {
    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }

    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Clone)]
struct Shared {
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

/// A loopback server that answers every request with one canned response.
///
/// It runs on its own thread and runtime, so both async tests and blocking
/// tests (which must not run inside a runtime) can use it.
pub struct RecordingServer {
    base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl RecordingServer {
    /// Starts a server that answers `status` with `body` as JSON.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::start(status, "application/json", body.to_string().into())
    }

    /// Starts a server that answers `status` with `body` of `content_type`.
    pub fn start(status: u16, content_type: &'static str, body: Bytes) -> Self {
        Self::start_at("127.0.0.1", status, content_type, body)
    }

    /// The same, on the loopback address `ip`.
    pub fn start_at(ip: &str, status: u16, content_type: &'static str, body: Bytes) -> Self {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            status: StatusCode::from_u16(status).expect("a valid status"),
            content_type,
            body,
            requests: requests.clone(),
        };
        let app = axum::Router::new().fallback(record).with_state(shared);
        RecordingServer {
            base_url: serve_at(ip, app),
            requests,
        }
    }

    /// The base URL to give a client, ending in `/api/v1`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The one request received so far; panics if there were none or several.
    pub fn single_request(&self) -> Recorded {
        let mut requests = self.requests();
        assert_eq!(requests.len(), 1, "expected exactly one request");
        requests.remove(0)
    }
}

async fn record(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    shared.requests.lock().unwrap().push(Recorded {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
    });
    (
        shared.status,
        [("content-type", shared.content_type)],
        shared.body.clone(),
    )
        .into_response()
}

/// The README's examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
