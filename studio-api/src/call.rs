//! One call of an operation, from the generated `send()` to its result.
//!
//! The generated `send()` of every builder starts a [`Call`] with what the
//! typed request holds (path parameters, and the body of operations that
//! start jobs), which refuses a path parameter that would change the path
//! before anything is sent. While the request runs, the hooks note what
//! happened on the wire in the call's [`Record`]; the result is then mapped
//! to [`Error`], and a job the call may have started despite the failure
//! is looked for (see `recovery`).

use crate::error::{Error, ErrorKind, ResponseMeta};
use crate::operations::{OPERATIONS, Operation};
use crate::recovery::JobAnswer;
use crate::types::ErrorResponse;
use crate::{Client, ResponseValue};
use chrono::{DateTime, Utc};
use progenitor_client::ClientInfo;
use progenitor_client::Error as RawError;
use serde::Serialize;
use serde_json::Value;
use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

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
}

tokio::task_local! {
    static RECORD: RefCell<Record>;
}

/// Updates the record of the call in progress (nothing outside a call).
pub(crate) fn note(update: impl FnOnce(&mut Record)) {
    let _ = RECORD.try_with(|record| update(&mut record.borrow_mut()));
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
            .and_then(|body| serde_json::to_value(body).ok());
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
        let (result, record) = self.recorded(send).await?;
        match result {
            Ok(value) => Ok(value),
            Err(raw) => Err(Error::from_call(self.operation, raw, &record).await),
        }
    }

    /// Runs the generated request of an operation that starts jobs like
    /// [`run`](Self::run), notes the jobs it answers with, and answers with
    /// the job(s) it started when the failure left the outcome unknown and
    /// the lookup finds them beyond doubt.
    pub(crate) async fn run_job<T: JobAnswer>(
        self,
        send: impl Future<Output = Result<ResponseValue<T>, RawError<ErrorResponse>>>,
    ) -> Result<ResponseValue<T>, Error> {
        let (result, record) = self.recorded(send).await?;
        let started = self.client.inner().started();
        let raw = match result {
            Ok(value) => {
                started.remember(value.job_ids());
                return Ok(value);
            }
            Err(raw) => raw,
        };
        let error = Error::from_call(self.operation, raw, &record).await;
        let (Some(sent), true) = (record.last_sent, error.outcome_unknown()) else {
            return Err(error);
        };
        let Some((jobs, headers)) = Box::pin(crate::recovery::find(&self, sent)).await else {
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

    /// Runs the generated request with a [`Record`] for the hooks to
    /// fill; fails at once outside a Tokio runtime.
    async fn recorded<T>(
        &self,
        send: impl Future<Output = Result<ResponseValue<T>, RawError<ErrorResponse>>>,
    ) -> Result<(Result<ResponseValue<T>, RawError<ErrorResponse>>, Record), Error> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::configuration(
                self.operation.id,
                "studio_api::Client needs a Tokio runtime with I/O and timers enabled; \
                 use studio_api_blocking outside one",
            ));
        }
        Ok(RECORD
            .scope(RefCell::default(), async {
                let result = send.await;
                (result, RECORD.with(RefCell::take))
            })
            .await)
    }
}
