//! Per-call options: a client whose calls use other limits than its
//! parent's, sharing its connection pool and quota budget.

use crate::Client;
use crate::jobs::PollSchedule;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use std::time::Duration;

/// What [`Client::with_options`] changes for the calls made through the
/// client it returns; what is not set stays as the parent client has it.
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    timeout: Option<Duration>,
    deadline: Option<Duration>,
    max_retries: Option<u32>,
    headers: Vec<(String, String)>,
    poll_schedule: Option<PollSchedule>,
}

impl CallOptions {
    /// The time one attempt may take, connecting, sending and reading the
    /// answer (the client's `timeout`, 60 s by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The time a whole call may take: every attempt, the waits between
    /// them, pacing waits, reading the body and, for a lost submission, the
    /// lookup of the jobs it started. Past it the call fails with
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout), saying whether
    /// the server may have acted.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// How many times a call may be sent again (see
    /// [`ClientBuilder::max_retries`](crate::ClientBuilder::max_retries)).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// A header every request to the API carries (never to another origin,
    /// such as a download's). It cannot be one the client sets itself: the
    /// credential's (`authorization`, `x-api-key`), or one that decides
    /// where a request goes or how its body is framed (`host`,
    /// `content-length`, `transfer-encoding`, `connection`, `te`,
    /// `trailer`, `upgrade`, `keep-alive`, `proxy-*`); its value may hold
    /// only visible ASCII, spaces and tabs. Any other makes every call fail
    /// with [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput),
    /// naming the header, before anything is sent.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The poll schedule of the job handles made from the client.
    pub fn poll_schedule(mut self, schedule: PollSchedule) -> Self {
        self.poll_schedule = Some(schedule);
        self
    }
}

/// What a client's calls use, as set by its builder and its options.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    /// The time one attempt may take (the builder's `timeout`, or an
    /// option's).
    pub timeout: Duration,
    /// The longest a whole call may take.
    pub deadline: Option<Duration>,
    /// Extra headers for requests to the API, or why they are invalid.
    pub headers: Result<HeaderMap, String>,
    /// The poll schedule of handles made from this client.
    pub poll_schedule: PollSchedule,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(60),
            deadline: None,
            headers: Ok(HeaderMap::new()),
            poll_schedule: PollSchedule::default(),
        }
    }
}

/// Headers that decide where a request goes or how its body is framed,
/// which an option may not set (nor `proxy-*`).
const ROUTING_HEADERS: [&str; 8] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "te",
    "trailer",
    "upgrade",
    "keep-alive",
];

/// The header `name: value` an option asks for, or why it cannot be sent.
fn option_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let name =
        HeaderName::try_from(name).map_err(|_| format!("{name:?} is not a valid header name"))?;
    if name == AUTHORIZATION || name == "x-api-key" {
        return Err(format!(
            "the header {name} carries the credential; set it with the client's credential"
        ));
    }
    if ROUTING_HEADERS.contains(&name.as_str()) || name.as_str().starts_with("proxy-") {
        return Err(format!(
            "the header {name} decides where a request goes or how it is framed; \
             the client sets it, an option cannot"
        ));
    }
    // Visible ASCII, spaces and tabs: the credential's rule, plus the
    // spaces a header value may hold.
    let printable = value
        .bytes()
        .all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic());
    match HeaderValue::try_from(value) {
        Ok(value) if printable => Ok((name, value)),
        _ => Err(format!(
            "the value of the header {name} may hold only visible ASCII characters, spaces and tabs"
        )),
    }
}

impl Limits {
    /// These limits with `options` applied on top.
    fn with(&self, options: CallOptions) -> Limits {
        let mut headers = self.headers.clone();
        for (name, value) in options.headers {
            headers = headers.and_then(|mut map| {
                let (name, value) = option_header(&name, &value)?;
                map.insert(name, value);
                Ok(map)
            });
        }
        Limits {
            timeout: options.timeout.unwrap_or(self.timeout),
            deadline: options.deadline.or(self.deadline),
            headers,
            poll_schedule: options.poll_schedule.unwrap_or(self.poll_schedule),
        }
    }
}

impl Client {
    /// A client whose calls use `options` (a timeout per attempt, a
    /// deadline per call, how often to retry, extra headers, the poll
    /// schedule of its job handles) on top of this client's settings. It
    /// is cheap: it shares this client's connection pool, its quota budget
    /// and the record of the jobs it started.
    ///
    /// ```no_run
    /// # async fn run(client: &studio_api::Client) -> Result<(), studio_api::Error> {
    /// use std::time::Duration;
    /// let patient = client.with_options(|o| o.deadline(Duration::from_secs(30)).max_retries(5));
    /// patient.list_projects().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_options(&self, options: impl FnOnce(CallOptions) -> CallOptions) -> Client {
        let mut client = self.clone();
        let options = options(CallOptions::default());
        if let Some(retries) = options.max_retries {
            client.inner.retry.max_retries = retries;
        }
        client.inner.limits = client.inner.limits.with(options);
        client
    }
}
