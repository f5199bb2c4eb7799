//! One call of an operation, from the generated `send()` to its result.
//!
//! The generated `send()` of every builder starts a [`Call`] with what the
//! typed request holds (path parameters, and the body of operations that
//! start jobs), which refuses a path parameter that would change the path
//! before anything is sent. While the request runs, the hooks note what
//! happened on the wire in the call's [`Record`]; the result is then mapped
//! to [`Error`], and a job the call may have started despite the failure
//! is looked for (see `recovery`).

use crate::error::{Error, ErrorKind};
use crate::operations::{OPERATIONS, Operation};
use crate::recovery::JobAnswer;
use crate::types::ErrorResponse;
use crate::{Client, ResponseValue};
use chrono::{DateTime, Utc};
use progenitor_client::ClientInfo;
use progenitor_client::Error as RawError;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::field::Empty;
use tracing::{Instrument, Span};

/// What happened on the wire during one call, as the hooks saw it.
#[derive(Debug, Default)]
pub(crate) struct Record {
    /// How many times the request was sent (or a connection tried).
    pub attempts: u32,
    /// When the last attempt started, on our clock.
    pub last_sent: Option<DateTime<Utc>>,
    /// The status and headers of the last response.
    pub response: Option<ResponseMeta>,
    /// Pacing refused to send: the wait the server asked for.
    pub refused_for: Option<Duration>,
    /// The last response's body was longer than the client reads.
    pub oversized: bool,
    /// The last attempt could not connect, so nothing of it was sent.
    pub not_connected: bool,
}

impl Record {
    /// Whether the server may have acted on the last attempt: one was
    /// made, it connected, and no answer that proves a refusal (a 1xx or
    /// 4xx head) came back for it.
    pub(crate) fn may_have_acted(&self) -> bool {
        self.attempts > 0
            && !self.not_connected
            && crate::retry::may_have_acted(self.response.as_ref().map(|meta| meta.status), None)
    }
}

tokio::task_local! {
    static RECORD: Arc<Mutex<Record>>;
}

/// Updates the record of the call in progress (nothing outside a call).
pub(crate) fn note(update: impl FnOnce(&mut Record)) {
    let _ = RECORD.try_with(|record| update(&mut locked(record)));
}

/// A typed request about to be sent.
pub(crate) struct Call<'a> {
    client: &'a Client,
    operation: &'static Operation,
    path: Vec<(&'static str, String)>,
    body: Option<Value>,
}

impl<'a> Call<'a> {
    /// A call of `OPERATIONS[index]` through `client`.
    pub(crate) fn new(client: &'a Client, index: usize) -> Self {
        Call {
            client,
            operation: &OPERATIONS[index],
            path: Vec::new(),
            body: None,
        }
    }

    /// Adds the path parameter `name`, refusing an empty, `.` or `..`
    /// value or one with a backslash: percent-encoding leaves those as they
    /// are, and they would name another path (another operation). A value the
    /// builder never got is left for the request to report.
    pub(crate) fn path(
        mut self,
        name: &'static str,
        value: &Result<String, String>,
    ) -> Result<Self, Error> {
        let Ok(value) = value else { return Ok(self) };
        let problem = match value.as_str() {
            "" => Some("is empty"),
            "." | ".." => Some("is a dot segment"),
            // URLs read `\` as `/` in http(s) paths, and it is not encoded.
            v if v.contains('\\') => Some("contains a backslash"),
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(Error::local(
                self.operation.id,
                ErrorKind::InvalidInput,
                format!(
                    "the path parameter {name} {problem} ({value:?}), which would change the request's path; nothing was sent"
                ),
            ));
        }
        // Only the job lookup reads the values back.
        if self.operation.job_type.is_some() {
            self.path.push((name, value.clone()));
        }
        Ok(self)
    }

    /// Keeps the request body, for finding the jobs it started.
    pub(crate) fn body<B, T>(mut self, body: &Result<B, String>) -> Self
    where
        B: Clone,
        T: TryFrom<B> + Serialize,
    {
        self.body = body
            .clone()
            .ok()
            .and_then(|body| T::try_from(body).ok())
            .and_then(|body| serde_json::to_value(crate::unknown::Refusing(&body)).ok());
        self
    }

    /// The value of path parameter `name`, kept for job operations only.
    pub(crate) fn path_value(&self, name: &str) -> Option<&str> {
        self.path
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The kept request body, if any.
    pub(crate) fn body_value(&self) -> Option<&Value> {
        self.body.as_ref()
    }

    /// The operation.
    pub(crate) fn operation(&self) -> &'static Operation {
        self.operation
    }

    /// The client.
    pub(crate) fn client(&self) -> &'a Client {
        self.client
    }

    /// Runs the generated request and maps its failure to [`Error`].
    pub(crate) async fn run<T>(
        self,
        send: impl Future<Output = Result<ResponseValue<T>, RawError<ErrorResponse>>>,
    ) -> Result<ResponseValue<T>, Error> {
        self.traced(
            send,
            async |result, record: &Record, _: &Mutex<_>| match result {
                Ok(value) => Ok(value),
                Err(raw) => Err(Error::from_call(self.operation, raw, record).await),
            },
        )
        .await
    }

    /// Runs the generated request of an operation that starts jobs like
    /// [`run`](Self::run), notes the jobs it answers with, and answers with
    /// the job(s) it started when the failure left the outcome unknown and
    /// the lookup finds them beyond doubt.
    pub(crate) async fn run_job<T: JobAnswer>(
        self,
        send: impl Future<Output = Result<ResponseValue<T>, RawError<ErrorResponse>>>,
    ) -> Result<ResponseValue<T>, Error> {
        self.traced(send, async |result, record: &Record, lost: &Mutex<_>| {
            self.answer_job(result, record, lost).await
        })
        .await
    }

    /// Runs the generated request in the call's span and within its
    /// deadline, with a [`Record`] for the hooks to fill, and turns its
    /// outcome into the call's answer with `answer`. `answer` leaves the
    /// call's own error in its last argument while it looks for the jobs a
    /// lost submission started: the error the call ends with should the
    /// deadline pass during the lookup.
    async fn traced<T>(
        &self,
        send: impl Future<Output = Result<ResponseValue<T>, RawError<ErrorResponse>>>,
        answer: impl AsyncFnOnce(
            Result<ResponseValue<T>, RawError<ErrorResponse>>,
            &Record,
            &Mutex<Option<Error>>,
        ) -> Result<ResponseValue<T>, Error>,
    ) -> Result<ResponseValue<T>, Error> {
        // The generated request's future is large; boxed, the wrappers
        // below (span, deadline, record) move a pointer, not its bytes.
        let send = Box::pin(send);
        let span = Traced::start(self.operation);
        let deadline = self.client.inner().limits.deadline;
        let record = Arc::default();
        let lost = Mutex::new(None);
        let work = async {
            let result = RECORD.scope(Arc::clone(&record), send).await;
            // Taken once the request is done: what `answer` then awaits
            // is the job lookup, during which `lost` holds the error.
            let noted = taken(&record);
            (answer(result, &noted, &lost).await, noted.attempts)
        };
        let outcome = self
            .within_deadline(work, deadline, || match locked(&lost).take() {
                Some(error) => {
                    let attempts = error.attempts();
                    (Err(error), attempts)
                }
                None => {
                    let record = taken(&record);
                    let write = self.operation.method != "GET";
                    let limit = deadline.unwrap_or_default();
                    let error = Error::gave_up(self.operation.id, write, limit, &record);
                    (Err(error), record.attempts)
                }
            })
            .instrument(span.span.clone())
            .await;
        span.finish(outcome)
    }

    /// The answer of a job operation: the response, or the job(s) a lost
    /// one started when the lookup finds them beyond doubt, or the error
    /// (left in `lost` while the lookup runs).
    async fn answer_job<T: JobAnswer>(
        &self,
        result: Result<ResponseValue<T>, RawError<ErrorResponse>>,
        record: &Record,
        lost: &Mutex<Option<Error>>,
    ) -> Result<ResponseValue<T>, Error> {
        let started = self.client.inner().started();
        let raw = match result {
            Ok(value) => {
                started.remember(value.job_ids());
                return Ok(value);
            }
            Err(raw) => raw,
        };
        let error = Error::from_call(self.operation, raw, record).await;
        let (Some(sent), true) = (record.last_sent, error.outcome_unknown()) else {
            return Err(error);
        };
        *locked(lost) = Some(error.clone());
        let found = Box::pin(crate::recovery::find(self, sent)).await;
        let Some((jobs, headers)) = found else {
            return Err(error);
        };
        let Some(answer) = T::of_jobs(jobs) else {
            return Err(error);
        };
        started.remember(answer.job_ids());
        let status = reqwest::StatusCode::from_u16(self.operation.success_status)
            .unwrap_or(reqwest::StatusCode::OK);
        Ok(ResponseValue::new(answer, status, headers))
    }

    /// Runs `work`, the whole call, within `deadline` if there is one,
    /// ending with what `gave_up` says when it passes; fails at once
    /// outside a Tokio runtime.
    async fn within_deadline<T>(
        &self,
        work: impl Future<Output = (Result<T, Error>, u32)>,
        deadline: Option<Duration>,
        gave_up: impl FnOnce() -> (Result<T, Error>, u32),
    ) -> Result<(Result<T, Error>, u32), Error> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::configuration(
                self.operation.id,
                "studio_api::Client needs a Tokio runtime with I/O and timers enabled; \
                 use studio_api_blocking outside one",
            ));
        }
        let Some(deadline) = deadline else {
            return Ok(work.await);
        };
        Ok(tokio::time::timeout(deadline, work)
            .await
            .unwrap_or_else(|_| gave_up()))
    }
}

/// What the hooks noted in `record`, leaving it empty.
fn taken(record: &Mutex<Record>) -> Record {
    std::mem::take(&mut locked(record))
}

/// What `lock` guards, even if a panic elsewhere poisoned it (a record or
/// an error: plain data, whole after any update).
fn locked<T>(lock: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the last response of a call said, recorded by the hooks before its
/// body is read.
///
/// progenitor forces this: when an error response's body is not the
/// JSON it expects, or breaks off, its error (`InvalidResponsePayload`,
/// `ResponseBodyError`) carries only the bytes or the cause, not the status
/// or the headers. The hooks see every response's head first, so the call
/// keeps it here for the error mapping.
#[derive(Debug, Clone)]
pub(crate) struct ResponseMeta {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
}

impl ResponseMeta {
    /// The status and headers of `response`.
    pub(crate) fn of(response: &reqwest::Response) -> Self {
        ResponseMeta {
            status: response.status(),
            headers: response.headers().clone(),
        }
    }
}

/// The `tracing` span one call runs in, named and filled with
/// OpenTelemetry's HTTP field names where one exists. It records no
/// credential, no query string and no body: only the operation, the
/// method, the path template, and what came back.
struct Traced {
    span: Span,
    started: Option<Instant>,
}

impl Traced {
    /// Opens the span of a call of `operation` (nothing is measured when no
    /// subscriber wants it).
    fn start(operation: &'static Operation) -> Self {
        let span = tracing::info_span!(
            "studio.call",
            otel.name = operation.id,
            otel.kind = "client",
            studio.operation = operation.id,
            http.request.method = operation.method,
            url.template = operation.path,
            http.request.resend_count = Empty,
            http.response.status_code = Empty,
            studio.request_id = Empty,
            studio.attempts = Empty,
            studio.outcome = Empty,
            error.type = Empty,
            studio.duration_ms = Empty,
        );
        let started = (!span.is_disabled()).then(Instant::now);
        Traced { span, started }
    }

    /// Records how the call ended, and passes its result on.
    fn finish<T>(
        self,
        outcome: Result<(Result<ResponseValue<T>, Error>, u32), Error>,
    ) -> Result<ResponseValue<T>, Error> {
        let (result, attempts) = match outcome {
            Ok((result, attempts)) => (result, attempts),
            Err(error) => (Err(error), 0),
        };
        let Some(started) = self.started else {
            return result;
        };
        let span = &self.span;
        span.record("studio.attempts", attempts);
        if attempts > 1 {
            span.record("http.request.resend_count", attempts - 1);
        }
        let (status, request_id) = match &result {
            Ok(value) => {
                span.record("studio.outcome", "ok");
                let id = value
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok());
                (Some(value.status().as_u16()), id.map(str::to_string))
            }
            Err(error) => {
                let kind = format!("{:?}", error.kind());
                let kind = kind
                    .split(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or("");
                span.record("studio.outcome", "error");
                span.record("error.type", kind);
                (
                    error.status().map(|s| s.as_u16()),
                    error.request_id().map(str::to_string),
                )
            }
        };
        if let Some(status) = status {
            span.record("http.response.status_code", status);
        }
        if let Some(id) = request_id {
            span.record("studio.request_id", id.as_str());
        }
        span.record("studio.duration_ms", started.elapsed().as_millis() as u64);
        result
    }
}
