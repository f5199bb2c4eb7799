//! Routing and the per-request rule pipeline.

use crate::auth::{Credentials, Principal, User};
use crate::body::{self, BodyKind, BodyLimits};
use crate::call::{Behaviour, Call, Reply};
use crate::connections::dropped;
use crate::error::ApiError;
use crate::faults::Fault;
use crate::handlers;
use crate::limits::{Limiter, RateLimit, Usage};
use crate::store::Store;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, get, on};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use studio_api::operations::{OPERATIONS, Operation};

/// Everything that changes while the server runs.
#[derive(Debug, Default)]
pub struct State {
    /// The resources.
    pub store: Store,
    /// Accepted keys and tokens.
    pub credentials: Credentials,
    /// Quota counters.
    pub limiter: Limiter,
    /// Scripted faults by operation id, next first.
    pub faults: HashMap<String, VecDeque<Fault>>,
    /// Requests received per operation id.
    pub counts: HashMap<String, usize>,
    /// Job timing and failure rate.
    pub behaviour: Behaviour,
}

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Quotas, or `None` for no rate limiting.
    pub rate_limit: Option<RateLimit>,
    /// How large request bodies may be.
    pub body_limits: BodyLimits,
    /// Print one line per request to stderr.
    pub log_requests: bool,
}

/// The state and settings every request handler shares.
#[derive(Debug)]
pub struct Shared {
    /// Mutable state behind one lock: every request sees a consistent
    /// store. It is held only to read or change the state: a request's
    /// input is read and checked before it is taken, and the reply, cloned
    /// out of the store, is serialised after it is released.
    pub state: Mutex<State>,
    /// Settings.
    pub config: Config,
    /// Checks request input against the spec.
    pub validator: crate::validate::RequestValidator,
}

impl Shared {
    /// Locks the state (a panic elsewhere does not poison it for good).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts a request for `op` and takes the next fault scripted for it.
    fn take_fault(&self, op: &Operation) -> Option<Fault> {
        let mut state = self.lock();
        *state.counts.entry(op.id.to_string()).or_default() += 1;
        state.faults.get_mut(op.id).and_then(VecDeque::pop_front)
    }

    /// Who is calling, counted against their quota and allowed to call
    /// `op`: decided from the head alone, before any of the body is read.
    /// A refusal carries the quota usage when the request was counted.
    fn admit(
        &self,
        op: &Operation,
        headers: &HeaderMap,
    ) -> Result<(User, Option<Usage>), (ApiError, Option<Usage>)> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let principal = state
            .credentials
            .authenticate(headers)
            .map_err(|error| (error, None))?;
        let usage = match self.config.rate_limit {
            None => None,
            Some(limit) => {
                let quota = match principal {
                    Principal::ApiKey { .. } => limit.api_key_quota,
                    Principal::Bearer { .. } => limit.bearer_quota,
                };
                let usage = state
                    .limiter
                    .admit(&principal.bucket(), quota, limit.window)
                    .map_err(|(error, usage)| (error, Some(usage)))?;
                Some(usage)
            }
        };
        principal.authorize(op).map_err(|error| (error, usage))?;
        Ok((principal.user().clone(), usage))
    }
}

/// The router: one route per operation of the table under `/api/v1`, and
/// `/files/{name}` for generated artifacts and uploads.
pub fn router(shared: Arc<Shared>) -> Router {
    let mut api = Router::new();
    for op in OPERATIONS {
        let filter = match op.method {
            "GET" => MethodFilter::GET,
            "POST" => MethodFilter::POST,
            "PATCH" => MethodFilter::PATCH,
            "PUT" => MethodFilter::PUT,
            _ => MethodFilter::DELETE,
        };
        let shared = shared.clone();
        api = api.route(
            op.path,
            on(
                filter,
                move |Path(params): Path<HashMap<String, String>>, request: Request| {
                    dispatch(shared.clone(), op, params, request)
                },
            ),
        );
    }
    let files = shared.clone();
    Router::new()
        .nest("/api/v1", api)
        .route(
            "/files/{name}",
            get(move |Path(name): Path<String>| async move { serve_file(&files, &name) }),
        )
        .fallback(|| async { error_response(&ApiError::not_found("Route"), None) })
}

async fn dispatch(
    shared: Arc<Shared>,
    op: &'static Operation,
    params: HashMap<String, String>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let (parts, mut body) = request.into_parts();
    let response = match shared.take_fault(op) {
        Some(Fault::DropConnection) => {
            // Read the request, as a server that then died would have.
            let limit = shared
                .config
                .body_limits
                .of(shared.validator.body_kind(op.id));
            let _ = body::read(&mut body, &parts.headers, limit).await;
            dropped(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let reason = status.canonical_reason().unwrap_or("Scripted fault");
            let mut response = error_response(&ApiError::new(status, reason), None);
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, seconds.into());
            }
            response
        }
        Some(Fault::NonJson { status }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let page = format!("<html><body><h1>{status}</h1><p>upstream error</p></body></html>");
            (status, [(header::CONTENT_TYPE, "text/html")], page).into_response()
        }
        Some(Fault::DropResponse) => dropped(handle(&shared, op, params, &parts, &mut body).await),
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            handle(&shared, op, params, &parts, &mut body).await
        }
        None => handle(&shared, op, params, &parts, &mut body).await,
    };
    body::discard_rest(body, &parts.headers);
    if shared.config.log_requests {
        eprintln!(
            "{} {} {} -> {} ({} ms)",
            parts.method,
            parts.uri,
            op.id,
            response.status().as_u16(),
            started.elapsed().as_millis()
        );
    }
    response
}

/// Admission from the head, then the operation; the reply is serialised
/// here, after the store's lock is released.
async fn handle(
    shared: &Shared,
    op: &'static Operation,
    params: HashMap<String, String>,
    parts: &Parts,
    body: &mut Body,
) -> Response {
    let (user, usage) = match shared.admit(op, &parts.headers) {
        Ok(admitted) => admitted,
        Err((error, usage)) => return error_response(&error, usage),
    };
    match run(shared, op, params, parts, body, &user).await {
        Ok(reply) => with_usage(reply.into_response(), usage),
        Err(error) => error_response(&error, usage),
    }
}

/// Reads and checks the query and body of an admitted request (the body
/// within its limit, all before the lock), then runs `op` on the store.
async fn run(
    shared: &Shared,
    op: &'static Operation,
    params: HashMap<String, String>,
    parts: &Parts,
    body: &mut Body,
    user: &User,
) -> Result<Reply, ApiError> {
    let Query(query) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map_err(|_| ApiError::invalid("query", "The query string is malformed."))?;
    shared.validator.check_query(op.id, &query)?;
    let body = match shared.validator.body_kind(op.id) {
        BodyKind::None => Bytes::new(),
        kind => body::read(body, &parts.headers, shared.config.body_limits.of(kind)).await?,
    };
    let json = shared.validator.check_body(op.id, &body)?;
    let mut state = shared.lock();
    handlers::advance(&mut state.store, Instant::now(), chrono::Utc::now());
    let behaviour = state.behaviour.clone();
    let call = Call {
        params,
        query,
        body: &body,
        json: json.as_ref(),
        user,
        now: chrono::Utc::now(),
        behaviour: &behaviour,
    };
    handlers::handle(op, &mut state.store, &call)
}

/// The error's response, with the quota headers when the request was
/// counted (and `Retry-After` when it was refused for the quota).
fn error_response(error: &ApiError, usage: Option<Usage>) -> Response {
    let mut response = with_usage(error.response(), usage);
    if let Some(usage) = usage
        && error.status == StatusCode::TOO_MANY_REQUESTS
    {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, usage.retry_after.max(1).into());
    }
    response
}

fn with_usage(mut response: Response, usage: Option<Usage>) -> Response {
    if let Some(usage) = usage {
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", usage.limit.into());
        headers.insert("x-ratelimit-remaining", usage.remaining.into());
        headers.insert("x-ratelimit-reset", usage.reset_epoch.into());
    }
    response
}

fn serve_file(shared: &Shared, name: &str) -> Response {
    let file = shared.lock().store.files.get(name).cloned();
    match file {
        Some(file) => {
            let content_type = HeaderValue::from_str(&file.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            ([(header::CONTENT_TYPE, content_type)], file.bytes).into_response()
        }
        None => error_response(&ApiError::not_found("File"), None),
    }
}
