//! The one error type users match on.
//!
//! Every failure of a call — an error status, a broken connection, a body
//! that does not decode, bad input caught before sending — becomes an
//! [`Error`] that names the operation, keeps the HTTP status and request id
//! when there was a response, and sorts the failure into an [`ErrorKind`].
//! What the call saw on the wire comes from the call path (`call::Record`,
//! `call::ResponseMeta`), and whether the server may have acted, its
//! `Retry-After` and request id from `retry`.

use crate::call::Record;
use crate::call::ResponseMeta;
use crate::jobs::Work;
use crate::operations::Operation;
use crate::types::{ErrorResponse, JobStatus};
use progenitor_client::Error as RawError;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How many bytes of an undecodable body an error keeps.
const SNIPPET_BYTES: usize = 512;

/// How many characters of the server's message `Display` shows (and of
/// each field's messages); the whole message stays in [`Error::message`].
const DISPLAY_MESSAGE_CHARS: usize = 300;

/// How many characters of an id, a field name or a request id `Display`
/// shows.
const ID_CHARS: usize = 100;

/// How many fields of a validation error `Display` lists; all are in
/// [`Error::field_errors`].
const DISPLAY_FIELDS: usize = 10;

/// The most characters `Display` writes, whatever the server sent.
const DISPLAY_CHARS: usize = 2000;

/// The cause of an error, shared so that [`Error`] stays `Clone`.
type Cause = Arc<dyn std::error::Error + Send + Sync>;

/// What went wrong, with the details each kind has.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 401: the credential is missing, unknown or revoked.
    Unauthorized,
    /// 402: the operation is billed and there is no subscription or balance.
    PaymentRequired,
    /// 403: the API key lacks `scope`.
    MissingScope {
        /// The scope the operation needs, e.g. `video_generation`.
        scope: String,
    },
    /// 403: the operation needs a bearer token, not an API key.
    NotAvailableViaApiKey,
    /// 403 for any other reason.
    Forbidden,
    /// 404: the resource does not exist.
    NotFound,
    /// 422: the input was rejected; field name → messages.
    Validation {
        /// Messages per field, when the server gave them.
        errors: BTreeMap<String, Vec<String>>,
    },
    /// 429: over the quota.
    RateLimited {
        /// How long the server asked to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// A 5xx status.
    Server,
    /// Another unexpected status.
    UnexpectedStatus,
    /// The request or the response took longer than the timeout.
    Timeout,
    /// The connection failed or broke.
    Connection,
    /// The response body could not be decoded.
    UndecodableResponse {
        /// The start of the body, lossily decoded.
        snippet: String,
    },
    /// The input was invalid before anything was sent: a builder value, or
    /// a value the request could not be made from (such as an enum value
    /// this client does not know, read from a response and passed back).
    InvalidInput,
    /// The client was misconfigured or misused; nothing was sent.
    Configuration,
    /// A local file or writer could not be written (a download's target).
    Io,
    /// A generation job, export or render ended as failed.
    JobFailed {
        /// Its id.
        id: String,
        /// The server's reason, when it gave one.
        message: Option<String>,
    },
    /// A generation job, export or render was canceled.
    JobCanceled {
        /// Its id.
        id: String,
    },
    /// The deadline of a wait passed before the work finished; it may
    /// still finish. Wait again with a new handle from `id` to resume.
    DeadlinePassed {
        /// Its id.
        id: String,
        /// The last status seen, if any poll succeeded.
        last_status: Option<JobStatus>,
        /// The last progress seen, in percent.
        last_progress: Option<i32>,
    },
}

/// A failed call: its kind, the operation, and what the response said.
#[derive(Debug, Clone)]
pub struct Error(Box<Details>);

/// A response body an error keeps, whose `Debug` says only its length.
#[derive(Clone)]
struct Body(Arc<[u8]>);

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

/// The contents of an [`Error`], boxed to keep `Result`s small.
#[derive(Debug, Clone)]
struct Details {
    kind: ErrorKind,
    operation: &'static str,
    message: String,
    status: Option<StatusCode>,
    request_id: Option<String>,
    headers: Option<HeaderMap>,
    /// The server may have acted on the request (see [`Error::outcome_unknown`]).
    maybe_processed: bool,
    /// How many times the request was sent (see [`Error::attempts`]).
    attempts: u32,
    /// The underlying failure, when there is one.
    source: Option<Cause>,
    /// The final state of a failed or canceled wait (see
    /// [`Error::final_state`]), shared so that cloning stays cheap.
    final_state: Option<Arc<Work>>,
    /// The whole body of a success that could not be decoded (see
    /// [`Error::body`]), shared like the final state.
    body: Option<Body>,
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The operation id (e.g. `create_frame`), or where the error arose
    /// for configuration errors (e.g. `ClientBuilder::build`).
    pub fn operation(&self) -> &'static str {
        self.0.operation
    }

    /// The server's message, or a description of the failure.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The HTTP status, when there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        self.0.status
    }

    /// The `x-request-id` of the response, when the server sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The response headers, when there was a response (rate-limit
    /// headers included).
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.0.headers.as_ref()
    }

    /// Whether the server may have carried out the request even though the
    /// call failed. True only for an operation that changes something
    /// (POST, PATCH, DELETE), when the request was sent and the answer was a
    /// 5xx, a redirect, or a 2xx whose body was cut short or did not
    /// decode, or when the connection timed out or broke after sending. It
    /// is never true for a read or a 4xx. Such a request is never sent
    /// again by the client; check before repeating it (for generation,
    /// `list_generation_jobs` with `created_after`).
    pub fn outcome_unknown(&self) -> bool {
        self.0.maybe_processed
    }

    /// How many times the client tried to send the request: 0 when it
    /// failed before sending (bad input, or pacing refused to wait that
    /// long), more than 1 when it was retried. A connection that could not
    /// be made counts as a try, though nothing reached the server.
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// The job, export or render as the server last sent it, for a
    /// [`ErrorKind::JobFailed`] or [`ErrorKind::JobCanceled`] error
    /// (`None` for other kinds).
    pub fn final_state(&self) -> Option<&Work> {
        self.0.final_state.as_deref()
    }

    /// The whole body of a response that was not an error but could not
    /// be decoded (a 2xx from a newer or broken server), as far as the
    /// client read it, for an [`ErrorKind::UndecodableResponse`] error:
    /// what the server sent, to show or to search for the id of what it
    /// made. `None` for other kinds.
    pub fn body(&self) -> Option<&[u8]> {
        self.0.body.as_ref().map(|body| &*body.0)
    }

    /// Field messages of a validation error (empty for other kinds).
    pub fn field_errors(&self) -> &BTreeMap<String, Vec<String>> {
        static EMPTY: BTreeMap<String, Vec<String>> = BTreeMap::new();
        match &self.0.kind {
            ErrorKind::Validation { errors } => errors,
            _ => &EMPTY,
        }
    }

    /// A misuse found before any request was sent (also used by wrappers
    /// such as the blocking client).
    pub fn configuration(operation: &'static str, message: impl Into<String>) -> Self {
        Error(Box::new(Details::configuration(operation, message.into())))
    }

    /// A failure of `kind` on this side of the connection, with no response.
    pub(crate) fn local(operation: &'static str, kind: ErrorKind, message: String) -> Self {
        let mut details = Details::configuration(operation, message);
        details.kind = kind;
        Error(Box::new(details))
    }

    /// A wait that ended in `state`, failed or canceled, as `kind`.
    pub(crate) fn ended(
        operation: &'static str,
        kind: ErrorKind,
        message: String,
        state: Work,
    ) -> Self {
        let mut error = Error::local(operation, kind, message);
        error.0.final_state = Some(Arc::new(state));
        error
    }

    /// A call of `operation` (a `write` or not) given up at its `deadline`,
    /// with what its `record` says happened before: the tries made, the
    /// last response's status and headers if one arrived, and whether the
    /// server may have acted on a write (see [`Record::may_have_acted`]).
    pub(crate) fn gave_up(
        operation: &'static str,
        write: bool,
        deadline: Duration,
        record: &Record,
    ) -> Self {
        let message = format!(
            "gave up at the call's deadline of {} s",
            deadline.as_secs_f64()
        );
        let mut details = Details::with_response(
            ErrorKind::Timeout,
            operation,
            message,
            record.response.clone(),
        );
        details.attempts = record.attempts;
        details.maybe_processed = write && record.may_have_acted();
        Error(Box::new(details))
    }

    /// A failed read that the generated client did not make (a
    /// download), sent once unless it could not be built, mapped the same
    /// way as theirs.
    pub(crate) async fn from_raw(operation: &'static str, error: RawError<ErrorResponse>) -> Self {
        let built = !matches!(&error, RawError::CommunicationError(e) if e.is_builder());
        let mut details = Details::classify(operation, error, None).await;
        details.attempts = u32::from(built);
        details.maybe_processed = false;
        Error(Box::new(details))
    }

    /// The failure of a generated call of `operation`, with what its
    /// record says happened on the wire.
    pub(crate) async fn from_call(
        operation: &'static Operation,
        error: RawError<ErrorResponse>,
        record: &Record,
    ) -> Self {
        if let (Some(wait), RawError::Custom(message)) = (record.refused_for, &error) {
            let kind = ErrorKind::RateLimited {
                retry_after: Some(wait),
            };
            return Error::local(operation.id, kind, message.clone());
        }
        let mut details = Details::classify(operation.id, error, record.response.clone()).await;
        if record.oversized {
            details.message = format!(
                "the response body is longer than {} MiB and was not read further",
                crate::hooks::MAX_BODY_BYTES >> 20
            );
        }
        details.attempts = record.attempts;
        details.maybe_processed = details.attempts > 0
            && operation.method != "GET"
            && crate::retry::may_have_acted(details.status, details.source.as_deref());
        Error(Box::new(details))
    }
}

impl Details {
    fn configuration(operation: &'static str, message: String) -> Self {
        Details {
            kind: ErrorKind::Configuration,
            operation,
            message,
            status: None,
            request_id: None,
            headers: None,
            maybe_processed: false,
            attempts: 0,
            source: None,
            final_state: None,
            body: None,
        }
    }

    /// An error decided by a response status, with the server's message.
    fn from_status(
        operation: &'static str,
        status: StatusCode,
        message: String,
        errors: BTreeMap<String, Vec<String>>,
        headers: HeaderMap,
    ) -> Self {
        let kind = match status.as_u16() {
            401 => ErrorKind::Unauthorized,
            402 => ErrorKind::PaymentRequired,
            403 => match message.strip_prefix(crate::operations::MISSING_SCOPE_MESSAGE) {
                Some(scope) => ErrorKind::MissingScope {
                    scope: scope.trim().to_string(),
                },
                None if message.contains(crate::operations::KEY_FORBIDDEN_MESSAGE) => {
                    ErrorKind::NotAvailableViaApiKey
                }
                None => ErrorKind::Forbidden,
            },
            404 => ErrorKind::NotFound,
            422 => ErrorKind::Validation { errors },
            429 => ErrorKind::RateLimited {
                retry_after: crate::retry::retry_after(&headers),
            },
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::UnexpectedStatus,
        };
        Details {
            kind,
            operation,
            message,
            status: Some(status),
            request_id: crate::retry::request_id(&headers),
            headers: Some(headers),
            maybe_processed: false,
            attempts: 0,
            source: None,
            final_state: None,
            body: None,
        }
    }

    /// An error about a response body, keeping a bounded snippet of it (and,
    /// for a success, the whole body).
    fn from_body(
        operation: &'static str,
        meta: Option<ResponseMeta>,
        body: &[u8],
        detail: String,
    ) -> Self {
        let snippet = snippet(body);
        match meta {
            Some(meta) if !meta.status.is_success() => {
                let location = meta.headers.get(reqwest::header::LOCATION);
                let message = match location {
                    Some(to) if meta.status.is_redirection() => format!(
                        "the server redirected to {:?}; redirects are not followed, so the credential stays with the base URL",
                        String::from_utf8_lossy(to.as_bytes())
                    ),
                    _ if snippet.is_empty() => format!("{} with an empty body", meta.status),
                    _ => format!("{}: {snippet}", meta.status),
                };
                Self::from_status(
                    operation,
                    meta.status,
                    message,
                    BTreeMap::new(),
                    meta.headers,
                )
            }
            meta => Details {
                body: Some(Body(Arc::from(body))),
                ..Self::with_response(
                    ErrorKind::UndecodableResponse { snippet },
                    operation,
                    format!("the response body could not be decoded: {detail}"),
                    meta,
                )
            },
        }
    }

    /// An error of `kind` with the status and headers of the response
    /// that came before it, if one did.
    fn with_response(
        kind: ErrorKind,
        operation: &'static str,
        message: String,
        meta: Option<ResponseMeta>,
    ) -> Self {
        Details {
            kind,
            operation,
            message,
            status: meta.as_ref().map(|m| m.status),
            request_id: meta
                .as_ref()
                .and_then(|m| crate::retry::request_id(&m.headers)),
            headers: meta.map(|m| m.headers),
            maybe_processed: false,
            attempts: 0,
            source: None,
            final_state: None,
            body: None,
        }
    }

    /// The same, with `cause` as its source.
    fn caused_by(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(cause));
        self
    }

    /// Sorts a failure of the generated client into a kind, keeping its
    /// cause; `meta` is the last response the hooks saw, if any.
    async fn classify(
        operation: &'static str,
        error: RawError<ErrorResponse>,
        meta: Option<ResponseMeta>,
    ) -> Self {
        match error {
            RawError::ErrorResponse(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.into_inner();
                Self::from_status(
                    operation,
                    status,
                    body.message,
                    body.errors.into_iter().collect(),
                    headers,
                )
            }
            RawError::UnexpectedResponse(response) => {
                let meta = ResponseMeta::of(&response);
                let body = response.bytes().await.unwrap_or_default();
                match serde_json::from_slice::<ErrorResponse>(&body) {
                    Ok(decoded) if !meta.status.is_success() => Self::from_status(
                        operation,
                        meta.status,
                        decoded.message,
                        decoded.errors.into_iter().collect(),
                        meta.headers,
                    ),
                    _ => Self::from_body(operation, Some(meta), &body, "unexpected status".into()),
                }
            }
            RawError::InvalidResponsePayload(body, error) => {
                Self::from_body(operation, meta, &body, error.to_string()).caused_by(error)
            }
            // The request could not be made (a value in it failed to
            // serialise, such as an enum value this client does not know):
            // nothing was sent.
            RawError::CommunicationError(error) if error.is_builder() => Details {
                kind: ErrorKind::InvalidInput,
                ..Self::configuration(
                    operation,
                    format!(
                        "the request could not be built, so nothing was sent: {}",
                        error_chain(&error)
                    ),
                )
            }
            .caused_by(error),
            RawError::CommunicationError(error)
            | RawError::ResponseBodyError(error)
            | RawError::InvalidUpgrade(error) => {
                let kind = if error.is_timeout() {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Connection
                };
                // `meta` is the head of this attempt, when the body failed.
                Self::with_response(kind, operation, error_chain(&error), meta).caused_by(error)
            }
            RawError::InvalidRequest(message) => Details {
                kind: ErrorKind::InvalidInput,
                ..Self::configuration(operation, message)
            },
            RawError::Custom(message) => Self::configuration(operation, message),
        }
    }
}

impl fmt::Display for Error {
    /// One message of at most 2,000 characters (`DISPLAY_CHARS`), whatever the
    /// server sent: each text of the server's is shortened, and the whole
    /// cut at that length; the accessors keep every byte.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One character is kept for the `…` that marks a cut.
        let mut out = Limited {
            out: f,
            left: DISPLAY_CHARS - 1,
        };
        match self.describe(&mut out) {
            Err(fmt::Error) if out.left == 0 => out.out.write_str("…"),
            done => done,
        }
    }
}

impl Error {
    /// Writes what [`Display`](fmt::Display) shows, before the bound on
    /// the whole.
    fn describe(&self, f: &mut impl fmt::Write) -> fmt::Result {
        let details = &self.0;
        let message = bounded(&details.message, DISPLAY_MESSAGE_CHARS);
        if let ErrorKind::JobFailed { id, .. }
        | ErrorKind::JobCanceled { id }
        | ErrorKind::DeadlinePassed { id, .. } = &details.kind
        {
            return write!(
                f,
                "{} {}: {message}",
                details.operation,
                bounded(id, ID_CHARS)
            );
        }
        write!(f, "{} failed", details.operation)?;
        match (&details.kind, details.status) {
            (_, Some(status)) => write!(f, " with {status}")?,
            (ErrorKind::Timeout, None) => f.write_str(": timed out")?,
            (ErrorKind::Connection, None) => f.write_str(": connection error")?,
            (ErrorKind::InvalidInput, None) => f.write_str(": invalid input")?,
            (ErrorKind::Configuration, None) => f.write_str(": configuration error")?,
            (ErrorKind::Io, None) => f.write_str(": I/O error")?,
            _ => {}
        }
        write!(f, ": {message}")?;
        let fields = self.field_errors();
        for (field, messages) in fields.iter().take(DISPLAY_FIELDS) {
            let messages = messages.join("; ");
            write!(
                f,
                "\n  {}: {}",
                bounded(field, ID_CHARS),
                bounded(&messages, DISPLAY_MESSAGE_CHARS)
            )?;
        }
        if fields.len() > DISPLAY_FIELDS {
            write!(f, "\n  and {} more fields", fields.len() - DISPLAY_FIELDS)?;
        }
        if let Some(id) = &details.request_id {
            write!(f, " (request id {})", bounded(id, ID_CHARS))?;
        }
        match (details.maybe_processed, details.attempts) {
            (true, 1) => f.write_str(" (sent once; the outcome is unknown: the server may have carried it out, and it was not sent again)")?,
            (true, n) => write!(f, " (sent {n} times, the last after the earlier ones were refused; the outcome is unknown: the server may have carried it out, and it was not sent again)")?,
            (false, n) if n > 1 => write!(f, " (after {n} attempts)")?,
            _ => {}
        }
        Ok(())
    }
}

/// A writer that takes at most `left` more characters, then fails.
struct Limited<'a, W> {
    out: &'a mut W,
    left: usize,
}

impl<W: fmt::Write> fmt::Write for Limited<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let end = text
            .char_indices()
            .nth(self.left)
            .map_or(text.len(), |(end, _)| end);
        self.left -= text[..end].chars().count();
        self.out.write_str(&text[..end])?;
        if end < text.len() {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

/// At most `chars` characters of `text`, with `…` when it was cut.
fn bounded(text: &str, chars: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}…", &text[..end]).into(),
        None => text.into(),
    }
}

fn snippet(body: &[u8]) -> String {
    let end = body.len().min(SNIPPET_BYTES);
    let mut text = String::from_utf8_lossy(&body[..end]).trim().to_string();
    if body.len() > SNIPPET_BYTES {
        text.push('…');
    }
    text
}

/// An error's message with its causes, which name what actually failed.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
